"""Follow-up use cases: list them, move one on, and the closed-loop figures.

Each function owns its session or transaction, so the terminal and Slack call them the same way.
Opening happens in the intake's transaction instead (`bot.followups.opening`), because a
follow-up belongs with the responses that called for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.accounts.access import Reader
from bot.accounts.queries import accounts_of_person
from bot.accounts.service import account_by_id, named_account
from bot.core.identity import normalized_person, person_ref
from bot.errors import BadInput, NotFound
from bot.followups import queries
from bot.followups.rules import STATUSES, FollowupPolicy, LoopRow, loop_figures, move_to
from bot.followups.values import FollowupItem
from bot.runtime import Runtime
from bot.settings import Settings
from storage import audit
from storage.db import transaction

SETTLED = ("closed", "not_needed")
STATUS_CHOICES = (*STATUSES[:3], "all")
TARGETS = {"contacted": "contacted", "closed": "closed", "not-needed": "not_needed"}


def policy_of(settings: Settings) -> FollowupPolicy:
    """The SLA and calendar the deployment is configured with."""
    return FollowupPolicy(settings.followup_sla_days, settings.tz)


def list_followups(
    runtime: Runtime,
    workspace_id: str,
    *,
    account_ids: list[int] | None = None,
    status: str = "open",
) -> list[FollowupItem]:
    """Follow-ups soonest due first; `status` is one of STATUS_CHOICES (`all`: every state)."""
    if status not in STATUS_CHOICES:
        raise BadInput(f'"{status}" is not a follow-up status: use {", ".join(STATUS_CHOICES)}')
    statuses = None if status == "all" else [status]
    with runtime.sessions() as session:
        return queries.followup_items(
            session, workspace_id, account_ids=account_ids, statuses=statuses
        )


@dataclass(frozen=True)
class Moved:
    item: FollowupItem
    changed: bool
    previous: str


def move_followup(
    runtime: Runtime,
    workspace_id: str,
    followup_id: int,
    target: str,
    *,
    by: str,
    note: str | None,
    now: datetime,
) -> Moved:
    """Move one follow-up on (`contacted`, `closed`, `not-needed`), with an audit entry.

    Not needed asks for a note: deciding not to call back someone unhappy is a decision the
    team must be able to read later. Moving back from a settled state is a reopening and is
    recorded as one.
    """
    status = TARGETS.get(target)
    if status is None:
        raise BadInput(f'"{target}" is not a step: use {", ".join(TARGETS)}')
    if person_ref(by) is None:
        raise BadInput(f'--by: "{by}" is not a Slack user ID or an email address')
    with transaction(runtime.sessions) as session:
        return change_followup_in(
            session,
            workspace_id,
            followup_id,
            status,
            actor=normalized_person(by),
            note=note,
            now=now,
        )


def change_followup_in(
    session: Session,
    workspace_id: str,
    followup_id: int,
    status: str,
    *,
    actor: str,
    note: str | None,
    now: datetime,
) -> Moved:
    """`move_followup` inside the caller's transaction (the demo loader settles a few so)."""
    text = (note or "").strip() or None
    if status == "not_needed" and text is None:
        raise BadInput("not-needed needs --note saying why no contact is needed")
    row = queries.followup_for_change(session, workspace_id, followup_id)
    if row is None:
        raise NotFound(f"There is no follow-up #{followup_id}.")
    previous = row.status
    move = move_to(status, current=previous, contacted_at=row.contacted_at, now=now)
    if move is not None or text is not None:
        queries.update_followup(session, row, _values(move, text, now))
        audit.record(
            session,
            workspace_id=workspace_id,
            actor=actor,
            action=_action(previous, status),
            entity="followup",
            entity_id=row.id,
            at=now,
            details={"from": previous, "to": status, "note": text},
        )
    item = queries.followup_item(session, workspace_id, followup_id)
    if item is None:  # deleted between the two reads of one transaction: it cannot be
        raise NotFound(f"There is no follow-up #{followup_id}.")
    return Moved(item=item, changed=move is not None, previous=previous)


def _values(move: Any, note: str | None, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now}
    if note is not None:
        values["note"] = note
    if move is None:
        return values
    values["status"] = move.status
    if move.contacted_at is not None:
        values["contacted_at"] = move.contacted_at
    if move.closed_at is not None:
        values["closed_at"] = move.closed_at
    for name in move.clear:
        values[name] = None
    return values


def _action(previous: str, status: str) -> str:
    if previous in SETTLED and status not in SETTLED:
        return "followup_reopened"
    return f"followup_{status}"


def closed_loop(runtime: Runtime, workspace_id: str, now: datetime) -> dict[str, Any]:
    """The figures of `voc loop --json`, in total and per account (by name)."""
    with runtime.sessions() as session:
        rows = [LoopRow(*row) for row in queries.loop_rows(session, workspace_id)]
    tz = runtime.settings.tz
    per_account: dict[str, list[LoopRow]] = defaultdict(list)
    for row in rows:
        per_account[row.account].append(row)
    report: dict[str, Any] = asdict(loop_figures(rows, now, tz))
    report["accounts"] = [
        {"account": name, **asdict(loop_figures(group, now, tz))}
        for name, group in sorted(per_account.items(), key=lambda item: item[0].casefold())
    ]
    return report


# --- Slack ----------------------------------------------------------------------------------


def followups_for_reader(runtime: Runtime, workspace_id: str, reader: Reader) -> list[FollowupItem]:
    """`/voc followups`: what the reader owns and what the accounts naming them wait for."""
    email = reader.email()
    with runtime.sessions() as session:
        mine = accounts_of_person(session, workspace_id, reader.user_id, email)
        return queries.followup_items(
            session,
            workspace_id,
            account_ids=mine,
            owners=[reader.user_id] + ([email] if email else []),
            statuses=["open"],
        )


def account_followups(
    runtime: Runtime, workspace_id: str, query: str, reader: Reader
) -> tuple[str, list[FollowupItem]]:
    """`/voc followups ACCOUNT`: the account's open follow-ups, for its team and admins only."""
    with runtime.sessions() as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        items = queries.followup_items(
            session, workspace_id, account_ids=[account.id], statuses=["open"]
        )
        return account.name, items


def move_from_slack(
    runtime: Runtime,
    workspace_id: str,
    followup_id: int,
    target: str,
    *,
    reader: Reader,
    now: datetime,
) -> Moved:
    """A button press: the follow-up and its account are read again and access checked now.

    A button carries only an id anyone could forge, so a refusal names no account.
    """
    status = TARGETS[target]
    with transaction(runtime.sessions) as session:
        row = queries.followup_for_change(session, workspace_id, followup_id)
        if row is None:
            raise NotFound("That follow-up no longer exists.")
        account_by_id(session, runtime, workspace_id, row.account_id, reader)
        return change_followup_in(
            session, workspace_id, followup_id, status, actor=reader.user_id, note=None, now=now
        )
