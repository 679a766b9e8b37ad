"""Follow-up use cases: list them, move one on, and the closed-loop figures.

Each function owns its session or transaction, so the terminal and Slack call them the same way.
Opening happens in the intake's transaction instead (`bot.followups.opening`), because a
follow-up belongs with the responses that called for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.accounts.access import Reader
from bot.accounts.queries import accounts_of_person
from bot.accounts.service import account_by_id, named_account
from bot.core.identity import normalized_person, person_ref
from bot.errors import BadInput, NotFound
from bot.followups import queries
from bot.followups.moving import SETTLED, Moved, change_followup_in
from bot.followups.rules import (
    CONTACT_METHODS,
    STATUSES,
    FollowupPolicy,
    LoopRow,
    loop_figures,
)
from bot.followups.values import AnsweredItem, FollowupItem
from bot.runtime import Runtime
from bot.settings import Settings
from storage import audit
from storage.db import transaction
from storage.models import Followup

STATUS_CHOICES = (*STATUSES[:3], "all")
GONE_FOLLOWUP = "That follow-up no longer exists."
NO_REASON = "Say why no contact is needed: the team reads it later."
TARGETS = {"contacted": "contacted", "closed": "closed", "not-needed": "not_needed"}


def policy_of(settings: Settings) -> FollowupPolicy:
    """The SLA and calendar the deployment is configured with; its imports are announced."""
    return FollowupPolicy(
        settings.followup_sla_days,
        settings.tz,
        announce=True,
        announce_headlines=settings.announce_headlines,
    )


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
    followup_id: int | None,
    target: str,
    *,
    reader: Reader,
    now: datetime,
    note: str | None = None,
    contact_method: str | None = None,
    reopen: bool = True,
) -> Moved:
    """A button press or a dialog: the follow-up and its account are read again and access
    checked now. A button carries only an id anyone could forge, so a refusal names no account.

    Not needed without a reason is refused before anything is read. With `reopen` False (the
    announcement's controls, pressed on a message that may be older than the last change) a
    settled follow-up stays as it is: only the open and contacted move on.
    """
    status = TARGETS[target]
    if status == "not_needed" and not (note or "").strip():
        raise BadInput(NO_REASON)
    if contact_method is not None and contact_method not in CONTACT_METHODS:
        raise BadInput(f"How was contact made? One of {', '.join(CONTACT_METHODS)}.")
    with transaction(runtime.sessions) as session:
        row = _checked_row(session, runtime, workspace_id, followup_id, reader)
        if not reopen and row.status in SETTLED:
            item = queries.followup_item(session, workspace_id, row.id)
            assert item is not None  # locked by `_checked_row` until this transaction ends
            return Moved(item=item, changed=False, previous=row.status)
        return change_followup_in(
            session,
            workspace_id,
            row.id,
            status,
            actor=reader.user_id,
            note=note,
            now=now,
            contact_method=contact_method,
        )


def take_from_slack(
    runtime: Runtime, workspace_id: str, followup_id: int | None, *, reader: Reader, now: datetime
) -> Moved:
    """*I'll take it*: the presser becomes the owner (audited); a settled one stays as it is."""
    with transaction(runtime.sessions) as session:
        row = _checked_row(session, runtime, workspace_id, followup_id, reader)
        previous, previous_owner = row.status, row.owner
        changed = row.status not in SETTLED and row.owner != reader.user_id
        if changed:
            queries.update_followup(session, row, {"owner": reader.user_id, "updated_at": now})
            audit.record(
                session,
                workspace_id=workspace_id,
                actor=reader.user_id,
                action="followup_taken",
                entity="followup",
                entity_id=row.id,
                at=now,
                details={"from": previous_owner, "to": reader.user_id},
            )
        item = queries.followup_item(session, workspace_id, row.id)
        assert item is not None  # locked by `_checked_row` until this transaction ends
        return Moved(item=item, changed=changed, previous=previous)


def followup_from_slack(
    runtime: Runtime, workspace_id: str, followup_id: int | None, *, reader: Reader
) -> AnsweredItem:
    """The follow-up a control names, with its answer, if the presser may act on it now
    (before a dialog about it opens, and to prefill the commitments modal)."""
    with runtime.sessions() as session:
        if followup_id is None:
            raise NotFound(GONE_FOLLOWUP)
        found = queries.answered_item(session, workspace_id, followup_id)
        if found is None:
            raise NotFound(GONE_FOLLOWUP)
        account_by_id(session, runtime, workspace_id, found.item.account_id, reader)
        return found


def _checked_row(
    session: Session,
    runtime: Runtime,
    workspace_id: str,
    followup_id: int | None,
    reader: Reader,
) -> Followup:
    """The follow-up, locked, once the reader may act on its account; else why not."""
    row = (
        None
        if followup_id is None
        else queries.followup_for_change(session, workspace_id, followup_id)
    )
    if row is None:
        raise NotFound(GONE_FOLLOWUP)
    account_by_id(session, runtime, workspace_id, row.account_id, reader)
    return row
