"""Commitments: what the team promised a customer, followed from the review meeting to done.

A promise made in a meeting is easy to forget; one written down with an owner, a due date and
the function that must act is not. These use cases are shared by the Slack handlers and the
`voc` command line, so both record, announce and complete commitments the same way:

- `record_commitments` validates drafts and writes them (with an audit entry each) in the
  caller's transaction: nothing is saved unless every draft is valid.
- `announce_commitment` posts the commitment as its own message in the account channel (the
  message people react to), tells the owner by DM and, when the area has a function channel,
  announces it there. Each of the three goes through the delivery ledger, so announcing twice
  never doubles a message; a failed channel post leaves the commitment saved and says why.
- `complete_commitment` / `reopen_commitment` are conditional UPDATEs (`WHERE status = …`,
  `version + 1`): a replayed or racing event cannot change a commitment twice, and the audit
  entry is written only by the update that changed the row.
- `handle_done_reaction` turns the done reaction into a state change. Slack may deliver
  reaction events twice or out of order, so the reaction's meaning is not trusted on its own:
  the message's current reactions (`reactions.get`) decide, and the check is repeated after
  the write until the two agree. When Slack cannot be asked, the event's meaning is used.

No Bolt types here: every function takes a sessionmaker (or Session), a `SlackWorkspace` and an
explicit `now`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import may_access
from bot.core.identity import is_person, normalized_person
from bot.delivery import ledger
from bot.directory import Directory
from bot.reports.queries import next_cycle_start
from bot.settings import AREAS, Settings
from bot.views import commitments as views
from storage.db import transaction
from storage.models import (
    Account,
    AuditEntry,
    Commitment,
    Cycle,
    Meeting,
    Respondent,
    Response,
)

log = logging.getLogger(__name__)

MAX_TEXT = 1000
DEFAULT_DUE_DAYS = 30
PAST_MEETING_CHOICES = 4
UPCOMING_MEETING_CHOICES = 2
FEEDBACK_CHOICES = 15
RECONCILE_ROUNDS = 3
REFRESH_ROUNDS = 3


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentDraft:
    """One commitment as a person entered it, before it is checked and saved."""

    text: str
    owner: str | None
    due_on: date | None
    area: str = "account_team"
    customer_told: bool = False
    answers: str | None = None
    meeting_id: int | None = None


class InvalidCommitments(ValueError):
    """Raised when any draft has a problem; `problems[i]` maps field names to messages."""

    def __init__(self, problems: dict[int, dict[str, str]]) -> None:
        self.problems = problems
        lines = [
            f"commitment {index + 1}, {name}: {message}"
            for index, fields in sorted(problems.items())
            for name, message in fields.items()
        ]
        super().__init__("; ".join(lines))


@dataclass(frozen=True)
class SlackWorkspace:
    """What announcing and completing need from Slack, for one workspace."""

    client: WebClient
    directory: Directory
    settings: Settings
    workspace_id: str
    bot_user_id: str | None = None


@dataclass(frozen=True)
class Announcement:
    """Where a commitment went; errors are Slack's codes, kept to tell the person who logged it."""

    commitment_id: int
    owner: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    post_error: str | None = None
    owner_error: str | None = None
    area_channel: str | None = None
    area_error: str | None = None

    @property
    def posted(self) -> bool:
        return self.message_ts is not None


@dataclass(frozen=True)
class OpenItem:
    """An open commitment with the name of its account, for lists."""

    commitment: Commitment
    account_name: str


@dataclass(frozen=True)
class AnswerChoice:
    """Something a commitment can answer: a review meeting or a piece of customer feedback."""

    value: str  # "meeting:12" or "response:345"
    kind: str  # "meeting" or "feedback"
    meeting_at: datetime | None = None
    respondent: str | None = None
    cycle: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ReactionEvent:
    """A `reaction_added` / `reaction_removed` on a message, reduced to what matters here."""

    channel: str
    message_ts: str
    user: str
    reaction: str
    added: bool


@dataclass(frozen=True)
class ButtonOutcome:
    """What pressing Done did, so the surface can say so."""

    result: str  # "done", "already_done", "refused", "missing"
    commitment: Commitment | None = None
    account_name: str | None = None
    ask: list[str] = field(default_factory=list)


# --- checking and recording -----------------------------------------------------------------


def draft_problems(draft: CommitmentDraft, today: date) -> dict[str, str]:
    """Problems with one draft, by field (`text`, `owner`, `due`, `area`), worded for people."""
    problems: dict[str, str] = {}
    text = draft.text.strip()
    if not text:
        problems["text"] = "Say what was promised."
    elif len(text) > MAX_TEXT:
        problems["text"] = f"Keep it under {MAX_TEXT} characters ({len(text)} now)."
    if not draft.owner or not draft.owner.strip():
        problems["owner"] = "Pick who owns it."
    elif not is_person(draft.owner.strip()):
        problems["owner"] = f'"{draft.owner}" is not a Slack user ID or an email.'
    if draft.due_on is None:
        problems["due"] = "Pick a due date."
    elif draft.due_on < today:
        problems["due"] = f"{draft.due_on.isoformat()} has passed; pick today or a later day."
    if draft.area not in AREAS:
        problems["area"] = f'"{draft.area}" is not an area; use one of {", ".join(AREAS)}.'
    return problems


def default_due_date(session: Session, workspace_id: str, today: date) -> date:
    """Before customers are asked again, so the next survey can reflect it; else a month out."""
    start = next_cycle_start(session, workspace_id)
    if start is not None and start - timedelta(days=1) > today:
        return start - timedelta(days=1)
    return today + timedelta(days=DEFAULT_DUE_DAYS)


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
    problems = {i: p for i, draft in enumerate(drafts) if (p := draft_problems(draft, today))}
    for index, draft in enumerate(drafts):
        if draft.meeting_id is not None and not _meeting_of(session, account, draft.meeting_id):
            problems.setdefault(index, {})["answers"] = "That meeting is not one of this account's."
    if problems:
        raise InvalidCommitments(problems)
    if not drafts:
        raise InvalidCommitments({0: {"text": "Say what was promised."}})
    rows = [
        Commitment(
            workspace_id=account.workspace_id,
            account_id=account.id,
            meeting_id=draft.meeting_id,
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
        for draft in drafts
    ]
    session.add_all(rows)
    session.flush()
    for row in rows:
        session.add(_audit(row, actor, "commitment.created", now, _created_details(row)))
    return rows


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
    row: Commitment, actor: str, action: str, now: datetime, details: dict[str, Any]
) -> AuditEntry:
    return AuditEntry(
        workspace_id=row.workspace_id,
        at=now,
        actor=actor,
        action=action,
        entity="commitment",
        entity_id=str(row.id),
        details=details,
    )


def capture_channel(account: Account, fallback: str | None) -> str | None:
    """The account channel when there is one, else where the commitment was captured."""
    return account.channel or fallback


# --- what a commitment answers ---------------------------------------------------------------


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
    choices = [
        AnswerChoice(value=f"meeting:{m.id}", kind="meeting", meeting_at=m.starts_at)
        for m in meetings
    ]
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
    choices += [
        AnswerChoice(
            value=f"response:{row.id}",
            kind="feedback",
            respondent=row.name,
            cycle=row.label,
            comment=row.comment,
        )
        for row in feedback
        if (row.comment or "").strip()
    ]
    return choices


def resolve_answer(
    session: Session, account: Account, value: str | None, settings: Settings
) -> tuple[int | None, str | None]:
    """(meeting_id, answers text) for a chosen meeting or feedback; free text stays as typed."""
    if not value:
        return None, None
    kind, _, raw_id = value.partition(":")
    if kind == "meeting" and raw_id.isdigit():
        meeting = session.get(Meeting, int(raw_id))
        if meeting is not None and meeting.account_id == account.id:
            day = meeting.starts_at.astimezone(settings.tz).date().isoformat()
            return meeting.id, f"Review meeting on {day}"
        return None, None
    if kind == "response" and raw_id.isdigit():
        row = session.execute(
            select(Respondent.name, Cycle.label, Response.comment, Response.account_id)
            .join(Respondent, Respondent.id == Response.respondent_id)
            .join(Cycle, Cycle.id == Response.cycle_id)
            .where(Response.id == int(raw_id))
        ).first()
        if row is not None and row.account_id == account.id:
            comment = views.shorten(row.comment or "", 300)
            return None, f"{row.name}, {row.label}: “{comment}”"
        return None, None
    return None, value.strip() or None


# --- announcing ------------------------------------------------------------------------------


def announce_commitment(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int, *, now: datetime
) -> Announcement:
    """Post it in its channel, DM its owner, tell its function; each at most once."""
    with sessions() as session:
        row = session.get(Commitment, commitment_id)
        if row is None:
            return Announcement(commitment_id, post_error="commitment_not_found")
        account = session.get_one(Account, row.account_id)
        account_name = account.name
    channel, ts, post_error = _post_in_channel(sessions, slack, row, account_name, now)
    if ts is not None:
        row.channel, row.message_ts = channel, ts
    link = _permalink(slack.client, channel, ts)
    owner_error = _tell_owner(sessions, slack, row, account_name, link, now)
    area_channel, area_error = _tell_area(sessions, slack, row, account_name, link, now)
    return Announcement(
        commitment_id=commitment_id,
        owner=row.owner,
        channel=channel,
        message_ts=ts,
        post_error=post_error,
        owner_error=owner_error,
        area_channel=area_channel,
        area_error=area_error,
    )


def _post_in_channel(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    now: datetime,
) -> tuple[str | None, str | None, str | None]:
    """(channel id, ts, error). The ts is what later reactions are matched against."""
    if row.message_ts:
        return row.channel, row.message_ts, None
    if not row.channel:
        return None, None, "no_channel"
    key = f"commitment:{row.id}:post"
    claim = _claim(sessions, slack, key, "commitment", row.channel, now)
    if claim is None:
        return row.channel, None, None
    target = slack.directory.channel_id(row.channel) or row.channel
    text, blocks = views.commitment_message(
        row, account_name, slack.settings.done_reaction, slack.settings.tz
    )
    try:
        reply = slack.client.chat_postMessage(channel=target, text=text, blocks=blocks)
    except SlackApiError as error:
        code = _error_code(error)
        ledger.mark_failed(sessions, workspace_id=slack.workspace_id, key=key, error=code)
        log.warning("commitment %s could not be posted in %s: %s", row.id, row.channel, code)
        return row.channel, None, code
    channel, ts = reply["channel"], reply["ts"]
    with transaction(sessions) as session:
        session.execute(
            update(Commitment).where(Commitment.id == row.id).values(channel=channel, message_ts=ts)
        )
    ledger.mark_sent(
        sessions, workspace_id=slack.workspace_id, key=key, now=now, channel=channel, message_ts=ts
    )
    return channel, ts, None


def _tell_owner(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
) -> str | None:
    owner_id = slack.directory.user_id_of(row.owner)
    if owner_id is None:
        return "owner_not_in_slack"
    text, blocks = views.owner_dm(
        row, account_name, link, slack.settings.done_reaction, slack.settings.tz
    )
    return _send_once(
        sessions, slack, f"commitment:{row.id}:owner", "commitment_dm", owner_id, text, blocks, now
    )


def _tell_area(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account_name: str,
    link: str | None,
    now: datetime,
) -> tuple[str | None, str | None]:
    """The function that must act hears it in its own channel: it is their promise too."""
    area_channel = slack.settings.area_channels.get(row.area)
    if not area_channel or area_channel == row.channel:
        return None, None
    text, blocks = views.area_announcement(row, account_name, link, slack.settings.tz)
    key = f"commitment:{row.id}:area"
    error = _send_once(sessions, slack, key, "commitment_area", area_channel, text, blocks, now)
    return area_channel, error


def _send_once(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    key: str,
    kind: str,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None,
    now: datetime,
    thread_ts: str | None = None,
) -> str | None:
    """Post under a ledger key; None when sent (now or before), else Slack's error code."""
    claim = _claim(sessions, slack, key, kind, channel, now)
    if claim is None:
        return None
    try:
        reply = slack.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )
    except SlackApiError as error:
        code = _error_code(error)
        ledger.mark_failed(sessions, workspace_id=slack.workspace_id, key=key, error=code)
        log.warning("%s to %s failed: %s", kind, channel, code)
        return code
    ledger.mark_sent(
        sessions,
        workspace_id=slack.workspace_id,
        key=key,
        now=now,
        channel=reply.get("channel"),
        message_ts=reply.get("ts"),
    )
    return None


def _claim(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    key: str,
    kind: str,
    recipient: str | None,
    now: datetime,
) -> ledger.Claim | None:
    return ledger.claim(
        sessions,
        workspace_id=slack.workspace_id,
        key=key,
        kind=kind,
        recipient=recipient,
        now=now,
    )


def _permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    if not channel or not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError:
        return None


def _error_code(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    try:
        return str(response["error"]) if response is not None else str(error)
    except (KeyError, TypeError):
        return str(error)


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
    return _transition(
        sessions,
        commitment_id,
        from_status="open",
        values={"status": "done", "done_by": actor, "done_at": now},
        action="commitment.done",
        actor=actor,
        via=via,
        now=now,
    )


def reopen_commitment(
    sessions: sessionmaker[Session],
    commitment_id: int,
    *,
    actor: str,
    now: datetime,
    via: str,
) -> bool:
    """Done → open, once; who and when it was done are cleared (the audit log keeps them)."""
    return _transition(
        sessions,
        commitment_id,
        from_status="done",
        values={"status": "open", "done_by": None, "done_at": None},
        action="commitment.reopened",
        actor=actor,
        via=via,
        now=now,
    )


def _transition(
    sessions: sessionmaker[Session],
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
    with transaction(sessions) as session:
        result = session.execute(
            update(Commitment)
            .where(Commitment.id == commitment_id, Commitment.status == from_status)
            .values(**values, version=Commitment.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        row = session.get_one(Commitment, commitment_id, populate_existing=True)
        session.add(
            _audit(row, actor, action, now, {"via": via, "version": row.version, **_brief(row)})
        )
    return True


def _brief(row: Commitment) -> dict[str, Any]:
    return {"account_id": row.account_id, "text": row.text[:200]}


def may_change(
    settings: Settings,
    account: Account,
    commitment: Commitment,
    user_id: str,
    directory: Directory,
) -> bool:
    """Its owner, the account's team and admins (interface.md); everyone under open access."""
    if is_owner(commitment, user_id, directory):
        return True
    return may_access(settings, account, user_id, directory).allowed


def is_owner(commitment: Commitment, user_id: str, directory: Directory) -> bool:
    owner = commitment.owner
    if owner == user_id:
        return True
    if "@" in owner:
        user = directory.user(user_id)
        return user is not None and user.email == owner.lower()
    return False


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


def is_done_reaction(reaction: str, settings: Settings) -> bool:
    """Skin tones (`name::skin-tone-2`) are the same reaction to a person."""
    return reaction.split("::", 1)[0] == settings.done_reaction.strip(":")


def handle_done_reaction(
    sessions: sessionmaker[Session], slack: SlackWorkspace, event: ReactionEvent, *, now: datetime
) -> str:
    """Apply a done reaction added or removed; returns what happened (for logs and tests).

    Outcomes: `ignored` (not a commitment message, not the done reaction, the bot itself),
    `refused` (someone who may not change it), `done`, `reopened`, `unchanged`.
    """
    if not is_done_reaction(event.reaction, slack.settings) or event.user == slack.bot_user_id:
        return "ignored"
    with sessions() as session:
        row = commitment_at(session, slack.workspace_id, event.channel, event.message_ts)
        account = session.get(Account, row.account_id) if row is not None else None
    if row is None or account is None:
        return "ignored"
    if not may_change(slack.settings, account, row, event.user, slack.directory):
        _refuse_once(sessions, slack, row, account, event, now)
        return "refused"
    outcome = _reconcile(sessions, slack, row, account, event, now)
    if outcome != "unchanged":
        refresh_commitment_message(sessions, slack, row.id)
    return outcome


def _reconcile(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account: Account,
    event: ReactionEvent,
    now: datetime,
) -> str:
    """Move the commitment to what the message shows now, and check again after the write.

    A late or repeated event therefore cannot undo a newer reaction: whichever handler finishes
    last reads the final reactions and leaves the commitment matching them.
    """
    outcome = "unchanged"
    for round_ in range(RECONCILE_ROUNDS):
        shown = done_reaction_present(slack, row, account)
        wanted_done = shown if shown is not None else (event.added if round_ == 0 else None)
        if wanted_done is None:
            break
        if wanted_done:
            changed = complete_commitment(
                sessions, row.id, actor=event.user, now=now, via="reaction"
            )
        else:
            changed = reopen_commitment(sessions, row.id, actor=event.user, now=now, via="reaction")
        if changed:
            outcome = "done" if wanted_done else "reopened"
            reply_in_thread(
                slack, row, views.transition_reply(wanted_done, event.user, slack.settings)
            )
        if shown is None or done_reaction_present(slack, row, account) == wanted_done:
            break
    return outcome


def done_reaction_present(slack: SlackWorkspace, row: Commitment, account: Account) -> bool | None:
    """Whether someone allowed to has the done reaction on the message; None if Slack won't say."""
    if not row.channel or not row.message_ts:
        return None
    try:
        reply = slack.client.reactions_get(channel=row.channel, timestamp=row.message_ts, full=True)
    except SlackApiError:
        return None
    message = reply.get("message")
    if not isinstance(message, dict):
        return None
    for reaction in message.get("reactions") or []:
        if not is_done_reaction(str(reaction.get("name", "")), slack.settings):
            continue
        for user in reaction.get("users") or []:
            if user != slack.bot_user_id and may_change(
                slack.settings, account, row, user, slack.directory
            ):
                return True
    return False


def _refuse_once(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    row: Commitment,
    account: Account,
    event: ReactionEvent,
    now: datetime,
) -> None:
    """One short thread reply per person per commitment; more would be noise."""
    if not row.channel or not row.message_ts:
        return
    text = views.refusal_reply(event.user, account.name, slack.settings)
    key = f"commitment:{row.id}:refused:{event.user}"
    _send_once(
        sessions, slack, key, "commitment_refusal", row.channel, text, None, now, row.message_ts
    )


def reply_in_thread(slack: SlackWorkspace, row: Commitment, text: str) -> None:
    if not row.channel or not row.message_ts:
        return
    try:
        slack.client.chat_postMessage(channel=row.channel, thread_ts=row.message_ts, text=text)
    except SlackApiError as error:
        log.warning("thread reply on commitment %s failed: %s", row.id, _error_code(error))


def refresh_commitment_message(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int
) -> None:
    """Show the current state; re-render if it changed meanwhile, so the last word is the truth."""
    for _ in range(REFRESH_ROUNDS):
        with sessions() as session:
            row = session.get(Commitment, commitment_id)
            if row is None or not row.channel or not row.message_ts:
                return
            account_name = session.get_one(Account, row.account_id).name
        text, blocks = views.commitment_message(
            row, account_name, slack.settings.done_reaction, slack.settings.tz
        )
        try:
            slack.client.chat_update(
                channel=row.channel, ts=row.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as error:
            log.warning("commitment %s message update failed: %s", row.id, _error_code(error))
            return
        with sessions() as session:
            version = session.scalar(
                select(Commitment.version).where(Commitment.id == commitment_id)
            )
        if version == row.version:
            return


@dataclass(frozen=True)
class ChangeCheck:
    """Whether a person may change a commitment from a button: the row, its account, the verdict."""

    row: Commitment | None
    account: Account | None
    refused: bool = False
    ask: list[str] = field(default_factory=list)


def check_change(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int, user_id: str
) -> ChangeCheck:
    """Buttons carry only an id, so every press re-reads the row and re-checks who pressed."""
    with sessions() as session:
        row = session.get(Commitment, commitment_id)
        account = session.get(Account, row.account_id) if row is not None else None
    if row is None or account is None or row.workspace_id != slack.workspace_id:
        return ChangeCheck(None, None)
    if may_change(slack.settings, account, row, user_id, slack.directory):
        return ChangeCheck(row, account)
    decision = may_access(slack.settings, account, user_id, slack.directory)
    return ChangeCheck(row, account, refused=True, ask=decision.ask)


def complete_from_button(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    commitment_id: int,
    *,
    user_id: str,
    now: datetime,
) -> ButtonOutcome:
    """The Done button (App Home, `/voc open`, the owner's DM): same rules as the reaction."""
    check = check_change(sessions, slack, commitment_id, user_id)
    if check.row is None or check.account is None:
        return ButtonOutcome("missing")
    row, account = check.row, check.account
    if check.refused:
        return ButtonOutcome("refused", row, account.name, check.ask)
    if not complete_commitment(sessions, row.id, actor=user_id, now=now, via="button"):
        with sessions() as session:
            current = session.get(Commitment, commitment_id)
        return ButtonOutcome("already_done", current, account.name)
    reply_in_thread(slack, row, views.transition_reply(True, user_id, slack.settings))
    refresh_commitment_message(sessions, slack, row.id)
    with sessions() as session:
        current = session.get(Commitment, commitment_id)
    return ButtonOutcome("done", current, account.name)


# --- reading ---------------------------------------------------------------------------------


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
        names = sorted({normalized_person(owner) for owner in owners if owner})
        query = query.where(
            or_(Commitment.owner.in_(names), func.lower(Commitment.owner).in_(names))
        )
    query = query.order_by(Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)
    if limit is not None:
        query = query.limit(limit)
    return [OpenItem(row, name) for row, name in session.execute(query).all()]


def commitment_json(item: OpenItem) -> dict[str, Any]:
    """The keys interface.md promises for `open_commitments`, plus the account."""
    row = item.commitment
    return {
        "id": row.id,
        "text": row.text,
        "owner": row.owner,
        "due": row.due_on.isoformat() if row.due_on else None,
        "status": row.status,
        "area": row.area,
        "account": item.account_name,
        "customer_told": row.customer_told,
        "answers": row.answers,
    }


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


def account_for_channel(
    session: Session, workspace_id: str, channel_id: str, channel_name: str | None
) -> Account | None:
    """The account whose team channel this is (rosters name channels by ID or `#name`)."""
    names = [channel_id] + ([f"#{channel_name.lower()}"] if channel_name else [])
    return session.scalars(
        select(Account)
        .where(Account.workspace_id == workspace_id, Account.channel.in_(names))
        .order_by(Account.id)
    ).first()
