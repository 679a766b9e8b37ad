"""What a scheduled job is: the types the scheduler and every feature's job share.

They live apart from `bot.scheduler` so that a feature can describe its due work without
importing the module that imports every feature (`bot.scheduler.default_jobs`).

    Job(
        name="reminder",
        find_due=lambda runtime, now: [DueItem(...), ...],   # read-only: also used by --dry-run
        deliver=lambda runtime, client, item, now: Delivered("sent" | "found" | "failed" |
                                                               "skipped", detail=...),
    )

`find_due` must not write; `deliver` delivers through `bot.delivery` with the client it is given
(a `slack_client.delivery_client`, which never retries a post on its own), and reports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.delivery import ledger
from bot.runtime import Runtime


@dataclass(frozen=True)
class DueItem:
    """One thing owed now: what a dry run lists and what `deliver` receives back."""

    job: str
    key: str
    workspace_id: str
    description: str
    payload: Any = None  # the job's own reference (a DueDigest for digests)


@dataclass(frozen=True)
class Delivered:
    """`sent`; `found` (an earlier attempt had posted it); `failed` (a later tick retries);
    `skipped` (already sent, in flight elsewhere, withdrawn, or nowhere to send)."""

    outcome: str
    detail: str | None = None


@dataclass(frozen=True)
class Job:
    name: str
    find_due: Callable[[Runtime, datetime], Sequence[DueItem]]
    deliver: Callable[[Runtime, WebClient, DueItem, datetime], Delivered]


def owed_items(
    runtime: Runtime,
    now: datetime,
    *,
    kind: str,
    job: str,
    owed_for: timedelta,
    describe: Callable[[str, str], str],
) -> list[DueItem]:
    """The messages of one kind recorded as owed (`ledger.owe_in`) that a claim would win now.

    Every job whose messages are owed inside another transaction (an import's announcements,
    a command's answer) reads them here, so none can differ on what is still owed; news older
    than `owed_for` is left unsent. `describe(key, recipient)` is the dry run's line. The
    payload is the recipient.
    """
    with runtime.sessions() as session:
        rows = ledger.owed(session, kind=kind, since=now - owed_for, now=now)
    return [
        DueItem(
            job=job,
            key=row.delivery_key,
            workspace_id=row.workspace_id,
            description=describe(row.delivery_key, row.recipient),
            payload=row.recipient,
        )
        for row in rows
    ]
