"""The scheduler's `commitment_announce` job: commitments saved but not (fully) announced.

Saving a commitment owes its channel post and its owner's DM in the same transaction
(`announce.owe_announcement`). The request that saved it announces straight away; what it could
not finish — Slack failing, or its process killed between posting and recording — is found here
by a later tick, in this instance or another, once the dead sender's lease has run out. The
announcement itself is the same keyed `announce_commitment`: a message an earlier attempt posted
is found by its tag and its ts recorded, so the done reaction on it works, and the owner's DM
follows if it had not gone. A thread reply after a change that kept failing is sent late too,
saying what the audit entry of that change says.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.commitments import queries
from bot.commitments.announce import (
    OWNER_KIND,
    POST_KIND,
    REPLY_KIND,
    announce_commitment,
    reply_in_thread,
)
from bot.commitments.workspace import SlackWorkspace
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.directory import Directory, TtlCache
from bot.runtime import Runtime
from bot.views import commitments as views

JOB_NAME = "commitment_announce"
OWED_FOR = timedelta(days=3)  # after that the person who logged it has long been told it failed


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """One item per commitment with a post or DM owed that a claim would win now, and one per
    thread reply owed (read only)."""
    with runtime.sessions() as session:
        rows = [
            row
            for kind in (POST_KIND, OWNER_KIND)
            for row in ledger.owed(session, kind=kind, since=now - OWED_FOR, now=now)
        ]
        replies = ledger.owed(session, kind=REPLY_KIND, since=now - OWED_FOR, now=now)
    owed: dict[tuple[str, int], list[str]] = {}
    for row in rows:
        commitment_id = _commitment_of(row.delivery_key)
        if commitment_id is not None:
            owed.setdefault((row.workspace_id, commitment_id), []).append(row.delivery_key)
    return [
        DueItem(
            job=JOB_NAME,
            key=f"commitment:{commitment_id}",
            workspace_id=workspace_id,
            description=f"commitment {commitment_id} announcement ({', '.join(sorted(keys))})",
            payload=commitment_id,
        )
        for (workspace_id, commitment_id), keys in owed.items()
    ] + [
        DueItem(
            job=JOB_NAME,
            key=row.delivery_key,
            workspace_id=row.workspace_id,
            description=f"commitment thread reply {row.delivery_key}",
            payload=row.delivery_key,
        )
        for row in replies
    ]


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    slack = SlackWorkspace(
        client=client,
        directory=Directory(client, item.workspace_id, TtlCache(), runtime.settings.tz),
        settings=runtime.settings,
        workspace_id=item.workspace_id,
    )
    if isinstance(item.payload, str):
        return _deliver_reply(runtime, slack, item.payload, now)
    announced = announce_commitment(runtime.sessions, slack, int(item.payload), now=now)
    problems = [
        f"{what}: {error}"
        for what, error in (("post", announced.post_error), ("owner", announced.owner_error))
        if error and error != "owner_not_in_slack"
    ]
    if problems:
        return Delivered("failed", "; ".join(problems))
    if not announced.delivered:
        return Delivered("skipped", "announced meanwhile, or being announced elsewhere")
    return Delivered("sent", ", ".join(announced.delivered))


def _deliver_reply(runtime: Runtime, slack: SlackWorkspace, key: str, now: datetime) -> Delivered:
    """`commitment:42:change:3`: the reply to the change that moved commitment 42 to version 3."""
    parts = key.split(":")
    commitment_id, version = int(parts[1]), int(parts[3])
    row = queries.commitment(runtime.sessions, commitment_id)
    change = queries.change_at_version(runtime.sessions, commitment_id, version)
    if row is None or change is None:
        ledger.cancel(runtime.sessions, workspace_id=slack.workspace_id, key=key, now=now)
        return Delivered("skipped", "the commitment or its change is gone")
    done, actor = change
    text = views.transition_reply(done, actor, slack.settings)
    posted = reply_in_thread(runtime.sessions, slack, row, text, now, version=version)
    if posted is None:
        return Delivered("skipped", "the commitment has no channel message")
    return Delivered(posted.outcome, posted.detail or None)


def _commitment_of(key: str) -> int | None:
    """`commitment:42:post` names commitment 42."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "commitment" or not parts[1].isdigit():
        return None
    return int(parts[1])
