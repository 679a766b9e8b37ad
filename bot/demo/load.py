"""Putting the generated portfolio into the database, and taking it out again.

Everything goes through the use cases the rest of the bot uses, so the demo exercises, and never
bypasses, their validation, identity and audit code:

- roster and responses through `bot.intake`, the importer a customer's spreadsheet goes through;
- commitments through `bot.commitments.queries` (`record_commitments`, then
  `complete_commitment_in` for the promises already kept), which `voc commit` and the Slack
  modal record through too;
- review meetings through `bot.meetings.service.schedule_meeting`, as `/voc meeting` does.

The demo's past is recorded as it would have been at the time: each use case is given the `now`
(and `today`) of the moment it happened. A review held last month was booked two weeks before it,
a promise made there was logged an hour after it started, and the audit log reads as if the team
had used the bot all along. The two direct writes left (removing the demo, and marking a held
review's digest as sent) say why where they happen.

The caller owns the transaction; a second load is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.commitments.queries import complete_commitment_in, record_commitments
from bot.commitments.values import CommitmentDraft
from bot.core import clock
from bot.core.clock import is_working_day, local_moment
from bot.core.names import name_key
from bot.demo.generate import DemoPortfolio, generate_portfolio, with_team
from bot.demo.queries import count_rows, demo_accounts, holds_commitment, remove_demo
from bot.demo.tables import (
    ACCOUNT_MANAGERS,
    COMMITMENT_PLANS,
    NOTABLE_ACCOUNTS,
    PAST_REVIEWS,
    UPCOMING_REVIEWS,
    CommitmentPlan,
    MeetingPlan,
)
from bot.followups.queries import followup_items
from bot.followups.rules import FollowupPolicy
from bot.followups.service import change_followup_in
from bot.intake.service import (
    ImportSummary,
    Progress,
    import_accounts,
    import_responses,
)
from bot.meetings.queries import next_meeting, previous_meeting
from bot.meetings.service import schedule_meeting
from bot.settings import Settings
from storage import audit
from storage.models import (
    Account,
    Commitment,
    Meeting,
    Respondent,
    Response,
)

DEMO_ACTOR = "voc-demo"
DEMO_VIA = "demo"  # the surface a demo commitment was completed through, in its audit entry

# When the demo's past happened, relative to what it plans.
REVIEW_BOOKED_AHEAD = timedelta(days=14)  # a held review was put in the calendar this early
LOGGED_INTO_REVIEW = timedelta(hours=1)  # promises made in a review are logged this far in
STANDALONE_LEAD = timedelta(days=21)  # a promise made outside a review: this long before due
STANDALONE_AT = time(11, 30)
DONE_AT = time(16, 45)


@dataclass
class DemoSummary:
    """What `voc demo` did, for the summary it prints (counts are what the database now holds)."""

    workspace_id: str
    cycles: list[str]
    accounts: int
    respondents: int
    responses: int
    commitments: int
    meetings: int
    upcoming_meetings: int = 0
    commitments_added: int = 0
    meetings_added: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    notable: dict[str, str] = field(default_factory=lambda: dict(NOTABLE_ACCOUNTS))
    team: list[str] = field(default_factory=list)  # who this load added to every account's team
    accounts_import: ImportSummary | None = None
    responses_import: ImportSummary | None = None


# --------------------------------------------------------------------------------------------
# Review meetings


def _owner(account: Account) -> str:
    """Who acts for the account team: its manager (every demo account has one)."""
    return account.account_manager or ACCOUNT_MANAGERS[0]


def _midnight(today: date, tz: ZoneInfo) -> datetime:
    """The start of the team's `today`: "past" and "upcoming" as of it, so reruns agree."""
    return local_moment(today, time(0, 0), tz)


def _review_start(plan: MeetingPlan, today: date, step: int, tz: ZoneInfo) -> datetime:
    """Customer reviews happen on working days; a plan landing off one moves by `step` days."""
    day = today + timedelta(days=plan.in_days)
    while not is_working_day(day):
        day += timedelta(days=step)
    return local_moment(day, plan.at, tz)


def _hold_review(
    session: Session, account: Account, starts_at: datetime, settings: Settings
) -> Meeting:
    """A review already held: booked two weeks before it, its digest sent when it was due.

    `schedule_meeting` is asked as of the day it was booked, so the row and its audit entry are
    what a real one gets. Sending a digest is `bot.digests`' job, with Slack and the delivery
    ledger; the demo has no message to send, so it only marks the digest sent on the meeting.
    The status stays "scheduled", as real meetings do once held: nothing marks them done.
    """
    meeting = schedule_meeting(
        session,
        account,
        starts_at,
        channel=account.channel,
        actor=_owner(account),
        now=starts_at - REVIEW_BOOKED_AHEAD,
        settings=settings,
    )
    meeting.digest_posted_at = meeting.updated_at = meeting.digest_due_at
    return meeting


def _add_past_reviews(
    session: Session, today: date, accounts: dict[str, Account], settings: Settings
) -> tuple[int, dict[int, Meeting]]:
    """Reviews already held, unless the account has one on record; returns them by account."""
    before = _midnight(today, settings.tz)
    added = 0
    reviews: dict[int, Meeting] = {}
    for plan in PAST_REVIEWS:
        account = accounts[name_key(plan.account)]
        meeting = previous_meeting(session, account.id, before)
        if meeting is None:
            starts_at = _review_start(plan, today, -1, settings.tz)
            meeting = _hold_review(session, account, starts_at, settings)
            added += 1
        reviews[account.id] = meeting
    session.flush()
    return added, reviews


def _add_upcoming_meetings(
    session: Session, today: date, accounts: dict[str, Account], settings: Settings
) -> int:
    """One upcoming review per planned account, unless it already has one scheduled.

    Scheduled as of the start of `today`, so the digest due time and the audit entry are exactly
    what `/voc meeting` would have given it that morning.
    """
    now = _midnight(today, settings.tz)
    added = 0
    for plan in UPCOMING_REVIEWS:
        account = accounts[name_key(plan.account)]
        if next_meeting(session, account.id, now) is not None:
            continue
        schedule_meeting(
            session,
            account,
            _review_start(plan, today, 1, settings.tz),
            channel=account.channel,
            actor=_owner(account),
            now=now,
            settings=settings,
        )
        added += 1
    return added


# --------------------------------------------------------------------------------------------
# Commitments


def _origin(
    review: Meeting | None, due: date, today: date, tz: ZoneInfo
) -> tuple[int | None, datetime]:
    """(meeting, when the promise was made): in the last review when that came before it fell
    due, which is what the pre-meeting digest reports on ("what we said last time"); else on
    its own, three weeks before it was due (or before today, for one not yet due)."""
    if review is not None and review.starts_at.astimezone(tz).date() < due:
        return review.id, review.starts_at + LOGGED_INTO_REVIEW
    return None, local_moment(min(due, today) - STANDALONE_LEAD, STANDALONE_AT, tz)


def _record_commitment(
    session: Session,
    account: Account,
    plan: CommitmentPlan,
    today: date,
    review: Meeting | None,
    tz: ZoneInfo,
) -> Commitment:
    """Record the promise as of when it was made, and complete it as of when it was kept.

    `record_commitments` refuses a due date before its `today`; given the day the promise was
    made, that check still holds for one now overdue. No channel: the demo posts nothing, so
    the commitment was never announced anywhere.
    """
    owner = _owner(account)
    due = today + timedelta(days=plan.due_in_days)
    meeting_id, made_at = _origin(review, due, today, tz)
    draft = CommitmentDraft(
        text=plan.text,
        owner=owner,
        due_on=due,
        area=plan.area,
        customer_told=plan.customer_told,
        answers=plan.answers,
        meeting_id=meeting_id,
    )
    [row] = record_commitments(
        session,
        account,
        [draft],
        actor=owner,
        channel=None,
        today=made_at.astimezone(tz).date(),
        now=made_at,
    )
    if plan.done_days_ago is not None:
        done_at = local_moment(today - timedelta(days=plan.done_days_ago), DONE_AT, tz)
        complete_commitment_in(session, row.id, actor=owner, now=done_at, via=DEMO_VIA)
    return row


def _add_commitments(
    session: Session,
    today: date,
    accounts: dict[str, Account],
    reviews: dict[int, Meeting],
    tz: ZoneInfo,
) -> int:
    """Record the planned commitments an account does not already hold."""
    added = 0
    for plan in COMMITMENT_PLANS:
        account = accounts[name_key(plan.account)]
        if not holds_commitment(session, account, plan.text):
            _record_commitment(session, account, plan, today, reviews.get(account.id), tz)
            added += 1
    return added


# --------------------------------------------------------------------------------------------
# Loading


def _import(
    session: Session,
    portfolio: DemoPortfolio,
    *,
    workspace_id: str,
    actor: str,
    progress: Progress | None,
    followups: FollowupPolicy,
) -> tuple[ImportSummary, ImportSummary]:
    """The roster and responses, exactly like a customer's spreadsheets: re-importing the same
    frames changes nothing, which is what makes a second load idempotent."""
    accounts = import_accounts(
        session,
        portfolio.accounts,
        workspace_id=workspace_id,
        actor=actor,
        filename="demo accounts",
    )
    responses = import_responses(
        session,
        portfolio.responses,
        workspace_id=workspace_id,
        actor=actor,
        filename="demo responses",
        progress=progress,
        followups=followups,
    )
    session.flush()
    return accounts, responses


DEMO_FOLLOWUPS_CLOSED = 3
DEMO_FOLLOWUP_NOTE = "Called back; walked through the fix with them."


def _settle_followups(session: Session, workspace_id: str, accounts: list[Account]) -> None:
    """Close the first few follow-ups, so the demo shows a loop that closes as well as one open.

    The first by number, whatever their state: a second load picks the same ones, and closing
    one already closed changes nothing.
    """
    ids = [account.id for account in accounts]
    items = sorted(followup_items(session, workspace_id, account_ids=ids), key=lambda i: i.id)
    now = clock.utc_now()
    for item in items[:DEMO_FOLLOWUPS_CLOSED]:
        if item.status == "open":
            actor = item.owner or ACCOUNT_MANAGERS[0]
            note = DEMO_FOLLOWUP_NOTE
            change_followup_in(
                session, workspace_id, item.id, "closed", actor=actor, note=note, now=now
            )


def _audit_load(session: Session, workspace_id: str, actor: str, details: dict[str, Any]) -> None:
    """One entry for the load as a whole, next to the entries its use cases wrote."""
    audit.record(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action="demo_loaded",
        entity="workspace",
        entity_id=workspace_id,
        details=details,
    )


def load_demo(
    session: Session,
    *,
    workspace_id: str,
    today: date | None = None,
    reset: bool = False,
    actor: str = DEMO_ACTOR,
    settings: Settings | None = None,
    progress: Progress | None = None,
    team: Sequence[str] = (),
) -> DemoSummary:
    """Load the sample portfolio through the real use cases; safe to run again.

    Meetings and commitments have no natural key, so they are matched before recording: a
    commitment by its text, a review by "the account already has a past / an upcoming one".
    `team` (Slack IDs or emails) joins every account's team, through the roster like any other
    member; a later load without them puts the teams back as generated.
    The caller owns the transaction.
    """
    settings = settings or Settings()
    today = today or datetime.now(settings.tz).date()
    portfolio = generate_portfolio(today)
    portfolio = replace(portfolio, accounts=with_team(portfolio.accounts, team))
    removed = remove_demo(session, workspace_id=workspace_id) if reset else {}
    accounts_import, responses_import = _import(
        session,
        portfolio,
        workspace_id=workspace_id,
        actor=actor,
        progress=progress,
        followups=FollowupPolicy(settings.followup_sla_days, settings.tz),
    )
    accounts = {name_key(a.name): a for a in demo_accounts(session, workspace_id)}
    _settle_followups(session, workspace_id, list(accounts.values()))
    past_added, reviews = _add_past_reviews(session, today, accounts, settings)
    meetings_added = past_added + _add_upcoming_meetings(session, today, accounts, settings)
    commitments_added = _add_commitments(session, today, accounts, reviews, settings.tz)
    session.flush()
    if reset or commitments_added or meetings_added:
        details = {
            "reset": reset,
            "removed": removed,
            "commitments_added": commitments_added,
            "meetings_added": meetings_added,
        }
        _audit_load(session, workspace_id, actor, details)
    ids = [account.id for account in accounts.values()]
    upcoming = (Meeting.status == "scheduled", Meeting.starts_at > _midnight(today, settings.tz))
    return DemoSummary(
        workspace_id=workspace_id,
        cycles=[cycle.label for cycle in portfolio.cycles],
        accounts=len(ids),
        respondents=count_rows(session, Respondent, ids),
        responses=count_rows(session, Response, ids),
        commitments=count_rows(session, Commitment, ids),
        meetings=count_rows(session, Meeting, ids),
        upcoming_meetings=count_rows(session, Meeting, ids, *upcoming),
        commitments_added=commitments_added,
        meetings_added=meetings_added,
        removed=removed,
        team=list(team),
        accounts_import=accounts_import,
        responses_import=responses_import,
    )
