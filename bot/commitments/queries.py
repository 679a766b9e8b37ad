"""Every read and write of commitments in the database.

Functions that take a `Session` work in the caller's transaction; those that take a
`sessionmaker` own theirs. The state changes (`complete_commitment`, `reopen_commitment`) are
conditional UPDATEs (`WHERE status = …`, `version + 1`): a replayed or racing event cannot
change a commitment twice, and the audit entry is written only by the update that changed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments import rules
from bot.commitments.values import AnswerChoice, CommitmentDraft, InvalidCommitments, OpenItem
from bot.core.identity import normalized_person
from bot.core.redaction import ERASED, Redaction
from bot.followups.moving import close_when_answered
from bot.reports.queries import next_cycle_start
from bot.settings import Settings
from storage import audit
from storage.db import transaction
from storage.models import (
    Account,
    AuditEntry,
    Commitment,
    Cycle,
    Followup,
    Meeting,
    Respondent,
    Response,
)

PAST_MEETING_CHOICES = 4
UPCOMING_MEETING_CHOICES = 2
FEEDBACK_CHOICES = 15


# --- recording --------------------------------------------------------------------------------


def record_commitments(
    session: Session,
    account: Account,
    drafts: list[CommitmentDraft],
    *,
    actor: str,
    channel: str | None,
    today: date,
    now: datetime,
) -> list[Commitment]:
    """Write every draft or none; the rows get ids (flushed) but the caller commits."""
    problems = {i: p for i, draft in enumerate(drafts) if (p := rules.draft_problems(draft, today))}
    for index, draft in enumerate(drafts):
        if draft.meeting_id is not None and not _meeting_of(session, account, draft.meeting_id):
            problems.setdefault(index, {})["answers"] = "That meeting is not one of this account's."
        if draft.followup_id is not None and not _followup_of(session, account, draft.followup_id):
            problems.setdefault(index, {})["text"] = "That follow-up is not one of this account's."
    if problems:
        raise InvalidCommitments(problems)
    if not drafts:
        raise InvalidCommitments({0: {"text": "Say what was promised."}})
    rows = [_new_row(account, draft, actor=actor, channel=channel, now=now) for draft in drafts]
    session.add_all(rows)
    session.flush()
    for row in rows:
        _audit(session, row, actor, "commitment.created", now, _created_details(row))
    return rows


def _new_row(
    account: Account, draft: CommitmentDraft, *, actor: str, channel: str | None, now: datetime
) -> Commitment:
    return Commitment(
        workspace_id=account.workspace_id,
        account_id=account.id,
        meeting_id=draft.meeting_id,
        followup_id=draft.followup_id,
        text=draft.text.strip(),
        owner=normalized_person(draft.owner or ""),
        due_on=draft.due_on,
        area=draft.area,
        status="open",
        customer_told=draft.customer_told,
        answers=(draft.answers or "").strip() or None,
        created_by=actor,
        created_at=now,
        channel=channel,
        version=1,
    )


def _followup_of(session: Session, account: Account, followup_id: int) -> bool:
    followup = session.get(Followup, followup_id)
    return followup is not None and followup.account_id == account.id


def _meeting_of(session: Session, account: Account, meeting_id: int) -> bool:
    meeting = session.get(Meeting, meeting_id)
    return meeting is not None and meeting.account_id == account.id


def _created_details(row: Commitment) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "text": row.text,
        "owner": row.owner,
        "due": row.due_on.isoformat() if row.due_on else None,
        "area": row.area,
        "customer_told": row.customer_told,
        "meeting_id": row.meeting_id,
    }


def _audit(
    session: Session,
    row: Commitment,
    actor: str,
    action: str,
    now: datetime,
    details: dict[str, Any],
) -> None:
    audit.record(
        session,
        workspace_id=row.workspace_id,
        actor=actor,
        action=action,
        entity="commitment",
        entity_id=row.id,
        at=now,
        details=details,
    )


def set_message_in(session: Session, commitment_id: int, channel: str, ts: str) -> None:
    """Where its channel message is: later reactions are matched against it. In the caller's
    transaction, the one that marks the post sent."""
    session.execute(
        update(Commitment)
        .where(Commitment.id == commitment_id)
        .values(channel=channel, message_ts=ts)
    )


# --- defaults and choices for the capture modal ----------------------------------------------


def default_due_date(session: Session, workspace_id: str, today: date) -> date:
    """Before customers are asked again, so the next survey can reflect it; else a month out."""
    return rules.due_before(next_cycle_start(session, workspace_id), today)


def answer_choices(
    session: Session, account_id: int, now: datetime, *, include_meeting: int | None = None
) -> list[AnswerChoice]:
    """Recent and upcoming review meetings, then the latest feedback comments, unhappiest first.

    `include_meeting` (the meeting a digest button was for) is offered even when it is old.
    """
    of_account = (Meeting.account_id == account_id, Meeting.status != "cancelled")
    upcoming = session.scalars(
        select(Meeting)
        .where(*of_account, Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
        .limit(UPCOMING_MEETING_CHOICES)
    ).all()
    past = session.scalars(
        select(Meeting)
        .where(*of_account, Meeting.starts_at < now)
        .order_by(Meeting.starts_at.desc())
        .limit(PAST_MEETING_CHOICES)
    ).all()
    meetings = [*reversed(upcoming), *past]
    if include_meeting is not None and include_meeting not in {m.id for m in meetings}:
        extra = session.get(Meeting, include_meeting)
        if extra is not None and extra.account_id == account_id:
            meetings.append(extra)
    feedback = session.execute(
        select(Response.id, Respondent.name, Cycle.label, Response.comment)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .join(Cycle, Cycle.id == Response.cycle_id)
        .where(Response.account_id == account_id, Response.comment.is_not(None))
        .order_by(
            Cycle.starts_on.is_(None),
            Cycle.starts_on.desc(),
            Cycle.label.desc(),
            Response.satisfaction,
            Respondent.name,
        )
        .limit(FEEDBACK_CHOICES)
    ).all()
    return rules.answer_choices(meetings, [tuple(row) for row in feedback])


def resolve_answer(
    session: Session, account: Account, value: str | None, settings: Settings
) -> tuple[int | None, str | None]:
    """(meeting_id, answers text) for a chosen meeting or feedback; free text stays as typed."""
    if not value:
        return None, None
    pick = rules.picked(value)
    if pick is None:
        return None, value.strip() or None
    kind, chosen_id = pick
    if kind == "meeting":
        meeting = session.get(Meeting, chosen_id)
        if meeting is not None and meeting.account_id == account.id:
            return meeting.id, rules.meeting_answer(
                meeting.starts_at.astimezone(settings.tz).date()
            )
        return None, None
    row = session.execute(
        select(Respondent.name, Cycle.label, Response.comment, Response.account_id)
        .join(Respondent, Respondent.id == Response.respondent_id)
        .join(Cycle, Cycle.id == Response.cycle_id)
        .where(Response.id == chosen_id)
    ).first()
    if row is not None and row.account_id == account.id:
        return None, rules.feedback_answer(row.name, row.label, row.comment)
    return None, None


# --- completing and reopening ----------------------------------------------------------------


def complete_commitment(
    sessions: sessionmaker[Session],
    commitment_id: int,
    *,
    actor: str,
    now: datetime,
    via: str,
) -> bool:
    """Open → done, once: True only for the call whose update changed the row."""
    with transaction(sessions) as session:
        return complete_commitment_in(session, commitment_id, actor=actor, now=now, via=via)


def complete_commitment_in(
    session: Session, commitment_id: int, *, actor: str, now: datetime, via: str
) -> bool:
    """`complete_commitment` inside a transaction the caller already has open and commits.

    For a caller that records and completes in one go (the demo back-fills promises kept weeks
    ago): the same conditional update and audit entry, without a second connection.
    """
    done = _transition_in(
        session,
        commitment_id,
        from_status="open",
        values={"status": "done", "done_by": actor, "done_at": now},
        action="commitment.done",
        actor=actor,
        via=via,
        now=now,
    )
    if done:
        close_when_answered(session, session.get_one(Commitment, commitment_id), actor, now)
    return done


def reopen_commitment(
    sessions: sessionmaker[Session],
    commitment_id: int,
    *,
    actor: str,
    now: datetime,
    via: str,
) -> bool:
    """Done → open, once; who and when it was done are cleared (the audit log keeps them)."""
    with transaction(sessions) as session:
        return _transition_in(
            session,
            commitment_id,
            from_status="done",
            values={"status": "open", "done_by": None, "done_at": None},
            action="commitment.reopened",
            actor=actor,
            via=via,
            now=now,
        )


def _transition_in(
    session: Session,
    commitment_id: int,
    *,
    from_status: str,
    values: dict[str, Any],
    action: str,
    actor: str,
    via: str,
    now: datetime,
) -> bool:
    """A conditional UPDATE: the database decides which of racing callers made the change."""
    result = session.execute(
        update(Commitment)
        .where(Commitment.id == commitment_id, Commitment.status == from_status)
        .values(**values, version=Commitment.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    row = session.get_one(Commitment, commitment_id, populate_existing=True)
    details = {"via": via, "version": row.version, **_brief(row)}
    _audit(session, row, actor, action, now, details)
    return True


def change_at_version(
    sessions: sessionmaker[Session], commitment_id: int, version: int
) -> tuple[bool, str] | None:
    """(done?, who) of the change that moved the commitment to `version`, from its audit entry:
    what a thread reply that failed at the time must still say."""
    with sessions() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor, AuditEntry.details).where(
                AuditEntry.entity == "commitment",
                AuditEntry.entity_id == str(commitment_id),
                AuditEntry.action.in_(("commitment.done", "commitment.reopened")),
            )
        ).all()
    for action, actor, details in rows:
        if (details or {}).get("version") == version:
            return action == "commitment.done", actor
    return None


def _brief(row: Commitment) -> dict[str, Any]:
    return {"account_id": row.account_id, "text": row.text[:200]}


# --- reading ---------------------------------------------------------------------------------


def commitment(sessions: sessionmaker[Session], commitment_id: int) -> Commitment | None:
    with sessions() as session:
        return session.get(Commitment, commitment_id)


def commitment_and_account(
    sessions: sessionmaker[Session], commitment_id: int
) -> tuple[Commitment | None, Account | None]:
    with sessions() as session:
        row = session.get(Commitment, commitment_id)
        account = session.get(Account, row.account_id) if row is not None else None
    return row, account


def version_of(sessions: sessionmaker[Session], commitment_id: int) -> int | None:
    with sessions() as session:
        return session.scalar(select(Commitment.version).where(Commitment.id == commitment_id))


def commitment_at(
    session: Session, workspace_id: str, channel: str, message_ts: str
) -> Commitment | None:
    """The commitment whose message this is, if any."""
    return session.scalars(
        select(Commitment).where(
            Commitment.workspace_id == workspace_id,
            Commitment.channel == channel,
            Commitment.message_ts == message_ts,
        )
    ).first()


def owner_key(column: Any) -> Any:
    """How a stored owner is compared: lower-cased, so an email matches in any case. The
    expression is the one `ix_commitments_owner_key` indexes; the query must use it as is."""
    return func.lower(column)


def owner_keys(owners: Iterable[str]) -> list[str]:
    """The keys one person goes by (Slack ID, email), as `owner_key` compares them."""
    return sorted({normalized_person(owner).lower() for owner in owners if owner})


def open_commitments(
    session: Session,
    workspace_id: str,
    *,
    account_id: int | None = None,
    owners: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[OpenItem]:
    """Open commitments, soonest due first; `owners` lists the IDs/emails one person goes by."""
    query = (
        select(Commitment, Account.name)
        .join(Account, Account.id == Commitment.account_id)
        .where(Commitment.workspace_id == workspace_id, Commitment.status == "open")
    )
    if account_id is not None:
        query = query.where(Commitment.account_id == account_id)
    if owners is not None:
        query = query.where(owner_key(Commitment.owner).in_(owner_keys(owners)))
    query = query.order_by(Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)
    if limit is not None:
        query = query.limit(limit)
    return [OpenItem(row, name) for row, name in session.execute(query).all()]


def commitments_for_meeting(session: Session, meeting_id: int) -> list[Commitment]:
    """Every commitment logged against a meeting, open or done, in the order they were made."""
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.meeting_id == meeting_id)
            .order_by(Commitment.created_at, Commitment.id)
        )
    )


def commitments_since(session: Session, account_id: int, since: datetime) -> list[Commitment]:
    """The account's commitments made or completed at or after `since`, open or done.

    What the digest needs for "since the last review": new promises, and old ones kept since.
    Filter on `created_at` / `done_at` for one or the other.
    """
    return list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.account_id == account_id,
                or_(Commitment.created_at >= since, Commitment.done_at >= since),
            )
            .order_by(Commitment.created_at, Commitment.id)
        )
    )


def open_commitments_made_before(
    session: Session, account_id: int, before: datetime, *, other_than_meeting: int
) -> list[Commitment]:
    """The account's commitments still open that were made before `before`, except those logged
    against `other_than_meeting`: what the digest lists as "still open from before" the last
    review, which itself already lists the promises made at it."""
    return list(
        session.scalars(
            select(Commitment).where(
                Commitment.account_id == account_id,
                (Commitment.status == "open")
                & (Commitment.created_at < before)
                & or_(Commitment.meeting_id.is_(None), Commitment.meeting_id != other_than_meeting),
            )
        )
    )


# --- forgetting a person (`voc forget --email` / `--name`) ------------------------------------


def redact_commitments(session: Session, account_ids: Iterable[int], redaction: Redaction) -> int:
    """Cut a forgotten person out of the accounts' commitments; returns how many changed.

    The promise stays (the team made it); what it says is redacted, and the feedback it answers,
    a quote of the person (`rules.feedback_answer`), is erased whole."""
    rows = session.scalars(select(Commitment).where(Commitment.account_id.in_(list(account_ids))))
    changed = 0
    for row in rows:
        text = redaction.text(row.text)
        answers = ERASED if redaction.mentions(row.answers) else row.answers
        if (text, answers) != (row.text, row.answers):
            row.text, row.answers = text, answers
            changed += 1
    session.flush()
    return changed
