"""The commitments room's use cases: one function per thing a person does.

Each opens and owns its transaction and takes an explicit `now`, so the Slack listeners and the
`voc` command line call the same function the same way and only translate input and output:

- `log_commitments` checks drafts, saves all or none (an audit entry each), then announces them;
- `complete_from_button` and `handle_done_reaction` close (or, for the reaction, reopen) one
  under the same rules: its owner, the account team and admins may;
- `capture_form`, `list_open` and `list_open_visible` read what the modal and the lists show.

The account a request is about is found in the accounts room (`bot.accounts.service`).

No Bolt types here: a `SlackWorkspace` carries what Slack access needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import may_access
from bot.accounts.queries import account_by_id, account_in_workspace
from bot.commitments import queries, rules
from bot.commitments.announce import (
    announce_commitment,
    owe_announcement,
    refresh_commitment_message,
    refuse_once,
    reply_in_thread,
)
from bot.commitments.reactions import reconcile
from bot.commitments.values import (
    Announcement,
    ButtonOutcome,
    CaptureForm,
    ChangeCheck,
    CommitmentDraft,
    InvalidCommitments,
    Logged,
    OpenItem,
    OpenList,
    ReactionEvent,
)
from bot.commitments.workspace import SlackWorkspace
from bot.delivery.tagged import SEND_ERRORS
from bot.directory import Directory
from bot.followups.announce import redraw_announcement
from bot.runtime import Runtime
from bot.settings import Settings
from bot.views import commitments as views
from storage.db import transaction
from storage.events import first_time_in
from storage.models import Account, Commitment

# --- logging commitments ----------------------------------------------------------------------


def log_commitments(
    runtime: Runtime,
    slack: SlackWorkspace | None,
    account_id: int,
    drafts: list[CommitmentDraft],
    *,
    actor: str,
    captured_in: str | None,
    today: date,
    now: datetime,
    on_saved: Callable[[], None] | None = None,
    once_key: str | None = None,
) -> Logged:
    """Check and save every draft or none, then announce each when Slack is there to tell.

    `captured_in` is where they were captured, kept for an account without a channel. `on_saved`
    runs between saving and announcing: a modal must be closed within Slack's three seconds.
    `once_key` (a modal submission's) is recorded in the saving transaction: the same key again
    saves nothing and says `replayed`, and a save that never committed left no key behind.
    """
    try:
        with transaction(runtime.sessions) as session:
            account = account_by_id(session, account_id)
            if account is None:
                return Logged(account_name=None)
            if once_key is not None and not first_time_in(session, account.workspace_id, once_key):
                return Logged(account_name=account.name, replayed=True)
            resolved = [_with_answer(session, account, draft, runtime.settings) for draft in drafts]
            try:
                saved = queries.record_commitments(
                    session,
                    account,
                    resolved,
                    actor=actor,
                    channel=rules.capture_channel(account, captured_in),
                    today=today,
                    now=now,
                )
            except InvalidCommitments as invalid:
                raise _NothingSaved(Logged(account.name, problems=invalid.problems)) from invalid
            if slack is not None:
                owe_announcement(session, slack.workspace_id, saved, now)
            account_name = account.name
    except _NothingSaved as unsaved:  # rolled back, the submission's key with it
        return unsaved.logged
    if on_saved is not None:
        on_saved()
    if slack is None:
        return Logged(account_name=account_name, saved=saved)
    announcements: list[Announcement] = []
    try:
        for row in saved:
            announcements.append(announce_commitment(runtime.sessions, slack, row.id, now=now))
    except SEND_ERRORS as error:
        return Logged(account_name, saved, announcements=announcements, unreachable=str(error))
    return Logged(account_name=account_name, saved=saved, announcements=announcements)


class _NothingSaved(Exception):
    """Raised inside the saving transaction to roll it back whole: a submission answered with
    field errors may be sent again as it is and be answered anew."""

    def __init__(self, logged: Logged) -> None:
        super().__init__("nothing saved")
        self.logged = logged


def _with_answer(
    session: Session, account: Account, draft: CommitmentDraft, settings: Settings
) -> CommitmentDraft:
    """A picked meeting or feedback becomes the meeting it links to and a readable sentence."""
    if draft.answers is None:
        return draft
    meeting_id, answers = queries.resolve_answer(session, account, draft.answers, settings)
    return replace(draft, meeting_id=meeting_id, answers=answers)


def capture_form(
    sessions: sessionmaker[Session],
    workspace_id: str,
    account_id: int | None,
    *,
    meeting_id: int | None,
    today: date,
    now: datetime,
) -> CaptureForm:
    """What the capture modal offers: the default due date and, for an account, its choices."""
    with sessions() as session:
        due = queries.default_due_date(session, workspace_id, today)
        account = None
        if account_id is not None:
            account = account_in_workspace(session, workspace_id, account_id)
        if account is None:
            return CaptureForm(account_name=None, due=due)
        choices = queries.answer_choices(session, account.id, now, include_meeting=meeting_id)
        return CaptureForm(account_name=account.name, due=due, choices=choices)


def default_due_date(sessions: sessionmaker[Session], workspace_id: str, today: date) -> date:
    """The due date a commitment gets when nobody picked one."""
    with sessions() as session:
        return queries.default_due_date(session, workspace_id, today)


# --- listing ----------------------------------------------------------------------------------


def list_open(
    sessions: sessionmaker[Session],
    workspace_id: str,
    *,
    account_id: int | None = None,
    owners: Iterable[str] | None = None,
) -> list[OpenItem]:
    """Open commitments, soonest due first: an account's, someone's (by every name), or all."""
    with sessions() as session:
        return queries.open_commitments(session, workspace_id, account_id=account_id, owners=owners)


def list_open_visible(
    sessions: sessionmaker[Session], slack: SlackWorkspace, viewer: str, *, owners: Iterable[str]
) -> OpenList:
    """Someone else's list shows only accounts whose team the viewer is on; the rest is counted."""
    allowed: dict[int, bool] = {}
    with sessions() as session:
        every = queries.open_commitments(session, slack.workspace_id, owners=owners)
        for item in every:
            account_id = item.commitment.account_id
            if account_id not in allowed:
                account = account_by_id(session, account_id)
                assert account is not None  # a commitment keeps its account
                allowed[account_id] = may_access(
                    slack.settings, account, viewer, slack.directory
                ).allowed
    items = [item for item in every if allowed[item.commitment.account_id]]
    return OpenList(items=items, hidden=len(every) - len(items))


def shown_owners(items: list[OpenItem], directory: Directory) -> list[OpenItem]:
    """The items with each owner as Slack shows them (a mention where Slack knows the email),
    for a list posted in Slack; each person is looked up once, through the directory's cache."""
    return [replace(item, owner_shown=directory.shown(item.commitment.owner)) for item in items]


# --- completing -------------------------------------------------------------------------------


def check_change(
    sessions: sessionmaker[Session], slack: SlackWorkspace, commitment_id: int, user_id: str
) -> ChangeCheck:
    """Buttons carry only an id, so every press re-reads the row and re-checks who pressed."""
    row, account = queries.commitment_and_account(sessions, commitment_id)
    if row is None or account is None or row.workspace_id != slack.workspace_id:
        return ChangeCheck(None, None)
    if rules.may_change(slack.settings, account, row, user_id, slack.directory):
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
    if not queries.complete_commitment(sessions, row.id, actor=user_id, now=now, via="button"):
        return ButtonOutcome("already_done", queries.commitment(sessions, row.id), account.name)
    reply_in_thread(
        sessions, slack, row, views.transition_reply(True, user_id, slack.settings), now
    )
    refresh_commitment_message(sessions, slack, row.id)
    _redraw_followup(sessions, slack, row, now)
    return ButtonOutcome("done", queries.commitment(sessions, row.id), account.name)


def set_done_by_operator(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace | None,
    workspace_id: str,
    commitment_id: int,
    *,
    done: bool,
    actor: str,
    now: datetime,
) -> ButtonOutcome:
    """`voc done` and `voc reopen`: the reaction's change, by someone at the terminal.

    The operator has the database, so no access check; the change is the same conditional
    update with its audit entry, and when Slack is there the thread hears of it and the message
    is redrawn, as after a reaction. Outcomes: `missing`, `done`, `reopened`, `unchanged`.
    """
    row, account = queries.commitment_and_account(sessions, commitment_id)
    if row is None or account is None or row.workspace_id != workspace_id:
        return ButtonOutcome("missing")
    change = queries.complete_commitment if done else queries.reopen_commitment
    if not change(sessions, row.id, actor=actor, now=now, via="cli"):
        return ButtonOutcome("unchanged", queries.commitment(sessions, row.id), account.name)
    if slack is not None:
        reply_in_thread(
            sessions, slack, row, views.transition_reply(done, actor, slack.settings), now
        )
        refresh_commitment_message(sessions, slack, row.id)
        _redraw_followup(sessions, slack, row, now)
    outcome = "done" if done else "reopened"
    return ButtonOutcome(outcome, queries.commitment(sessions, row.id), account.name)


def handle_done_reaction(
    sessions: sessionmaker[Session], slack: SlackWorkspace, event: ReactionEvent, *, now: datetime
) -> str:
    """Apply a done reaction added or removed; returns what happened (for logs and tests).

    Outcomes: `ignored` (not a commitment message, not the done reaction, the bot itself),
    `refused` (someone who may not change it), `done`, `reopened`, `unchanged`.
    """
    if (
        not rules.is_done_reaction(event.reaction, slack.settings)
        or event.user == slack.bot_user_id
    ):
        return "ignored"
    with sessions() as session:
        row = queries.commitment_at(session, slack.workspace_id, event.channel, event.message_ts)
        account = account_by_id(session, row.account_id) if row is not None else None
    if row is None or account is None:
        return "ignored"
    if not rules.may_change(slack.settings, account, row, event.user, slack.directory):
        refuse_once(sessions, slack, row, account, event.user, now)
        return "refused"
    outcome = reconcile(sessions, slack, row, account, event, now)
    if outcome != "unchanged":
        refresh_commitment_message(sessions, slack, row.id)
        _redraw_followup(sessions, slack, row, now)
    return outcome


def _redraw_followup(
    sessions: sessionmaker[Session], slack: SlackWorkspace, row: Commitment, now: datetime
) -> None:
    """A change to a commitment that answers a follow-up may have closed it: the follow-ups
    announcement in the channel shows that, so nobody calls back someone already answered."""
    if row.followup_id is not None:
        redraw_announcement(
            sessions, slack.settings, slack.client, slack.workspace_id, row.followup_id, now
        )
