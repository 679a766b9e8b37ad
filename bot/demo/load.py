"""Putting the generated portfolio into the database, and taking it out again.

The roster and responses go through the same importer real spreadsheets go through
(`bot.intake`), so the demo exercises, and never bypasses, the validation, identity and
benchmark code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from bot.demo.generate import generate_portfolio
from bot.demo.tables import (
    ACCOUNT_MANAGERS,
    ACCOUNT_PLANS,
    COMMITMENT_PLANS,
    NOTABLE_ACCOUNTS,
    PAST_REVIEWS,
    UPCOMING_REVIEWS,
)
from bot.intake.service import (
    ImportSummary,
    Progress,
    import_accounts,
    import_responses,
    recompute_benchmarks,
)
from bot.meetings.queries import next_meeting, previous_meeting
from bot.meetings.rules import digest_due_at
from bot.meetings.service import schedule_meeting
from bot.settings import Settings
from storage.models import (
    Account,
    AuditEntry,
    Benchmark,
    Commitment,
    Cycle,
    Meeting,
    Respondent,
    Response,
)

DEMO_ACTOR = "voc-demo"


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
    accounts_import: ImportSummary | None = None
    responses_import: ImportSummary | None = None


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


DEMO_ACCOUNT_KEYS: frozenset[str] = frozenset(_name_key(plan.name) for plan in ACCOUNT_PLANS)


def _demo_accounts(session: Session, workspace_id: str) -> list[Account]:
    """Recognised by name, not by a flag: the demo owns exactly the accounts it generates."""
    accounts = session.scalars(select(Account).where(Account.workspace_id == workspace_id))
    return [account for account in accounts if _name_key(account.name) in DEMO_ACCOUNT_KEYS]


def remove_demo(session: Session, *, workspace_id: str) -> dict[str, int]:
    """Delete the demo accounts of one workspace and everything hanging off them.

    Children are deleted explicitly rather than left to ON DELETE CASCADE, so the result does
    not depend on SQLite's foreign-key pragma being on. Cycles that no longer hold any response
    go too (with their benchmarks), so a reload starts from the same state as a fresh database;
    cycles other accounts still answer in get their benchmarks recomputed without the demo.
    """
    ids = [account.id for account in _demo_accounts(session, workspace_id)]
    if not ids:
        return {}
    touched = set(
        session.scalars(select(Response.cycle_id).where(Response.account_id.in_(ids)).distinct())
    )
    removed: dict[str, int] = {}
    for label, model in (
        ("commitments", Commitment),
        ("meetings", Meeting),
        ("responses", Response),
        ("respondents", Respondent),
        ("accounts", Account),
    ):
        column = model.id if model is Account else model.account_id
        result = session.execute(
            delete(model).where(column.in_(ids)).execution_options(synchronize_session=False)
        )
        removed[label] = int(result.rowcount or 0)
    empty = select(Cycle.id).where(
        Cycle.workspace_id == workspace_id,
        ~exists().where(Response.cycle_id == Cycle.id),
    )
    empty_ids = list(session.scalars(empty))
    if empty_ids:
        session.execute(delete(Benchmark).where(Benchmark.cycle_id.in_(empty_ids)))
        result = session.execute(delete(Cycle).where(Cycle.id.in_(empty_ids)))
        removed["cycles"] = int(result.rowcount or 0)
    # Cycles shared with other accounts keep their responses; their benchmarks must lose ours.
    recompute_benchmarks(session, workspace_id, touched - set(empty_ids))
    session.expunge_all()  # the bulk deletes bypassed the identity map; forget stale objects
    return removed


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    """A wall-clock time where the team works, stored as the aware UTC datetime it is."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _add_commitments(
    session: Session,
    workspace_id: str,
    today: date,
    accounts: dict[str, Account],
    reviews: dict[int, Meeting],
    tz: tzinfo,
) -> int:
    """Insert the planned commitments an account does not already hold (matched by text).

    A promise due after the account's last review is recorded as made in that review, which is
    what the pre-meeting digest reports on ("what we said last time"); older ones stand alone.
    """
    added = 0
    for plan in COMMITMENT_PLANS:
        account = accounts[_name_key(plan.account)]
        already = session.scalar(
            select(Commitment.id)
            .where(Commitment.account_id == account.id, Commitment.text == plan.text)
            .limit(1)
        )
        if already is not None:
            continue
        owner = account.account_manager or ACCOUNT_MANAGERS[0]
        due = today + timedelta(days=plan.due_in_days)
        review = reviews.get(account.id)
        if review is not None and review.starts_at.astimezone(tz).date() < due:
            meeting_id, created = review.id, review.starts_at + timedelta(hours=1)
        else:
            meeting_id, created = (
                None,
                _local(min(due, today) - timedelta(days=21), time(11, 30), tz),
            )
        done_at = None
        if plan.done_days_ago is not None:
            done_at = _local(today - timedelta(days=plan.done_days_ago), time(16, 45), tz)
        session.add(
            Commitment(
                workspace_id=workspace_id,
                account_id=account.id,
                meeting_id=meeting_id,
                text=plan.text,
                owner=owner,
                due_on=due,
                area=plan.area,
                status=plan.status,
                customer_told=plan.customer_told,
                answers=plan.answers,
                created_by=owner,
                created_at=created,
                done_by=owner if done_at else None,
                done_at=done_at,
            )
        )
        added += 1
    return added


def _workday(day: date, step: int) -> date:
    """Customer reviews happen on weekdays; a plan landing on a weekend moves by `step` days."""
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def _add_past_reviews(
    session: Session, today: date, accounts: dict[str, Account], settings: Settings
) -> tuple[int, dict[int, Meeting]]:
    """Reviews already held (digest already sent), unless the account has one on record."""
    tz = settings.tz
    now = _local(today, time(0, 0), tz)
    added, reviews = 0, {}
    for plan in PAST_REVIEWS:
        account = accounts[_name_key(plan.account)]
        meeting = previous_meeting(session, account.id, now)
        if meeting is None:
            starts_at = _local(_workday(today + timedelta(days=plan.in_days), -1), plan.at, tz)
            due = digest_due_at(starts_at, settings)
            meeting = Meeting(
                workspace_id=account.workspace_id,
                account_id=account.id,
                starts_at=starts_at,
                channel=account.channel,
                status="scheduled",  # as real meetings stay once held: nothing marks them done
                created_by=account.account_manager,
                digest_due_at=due,
                digest_posted_at=due,
                created_at=starts_at - timedelta(days=14),
                updated_at=due,
            )
            session.add(meeting)
            added += 1
        reviews[account.id] = meeting
    session.flush()
    return added, reviews


def _add_upcoming_meetings(
    session: Session, today: date, accounts: dict[str, Account], settings: Settings
) -> int:
    """One upcoming review per planned account, unless it already has one scheduled.

    Scheduled through `bot.meetings`, like `/voc meeting`, so the digest due time and the audit
    entry are exactly what a real meeting gets.
    """
    tz = settings.tz
    now = _local(today, time(0, 0), tz)  # "upcoming" as of `today`, so reruns agree
    added = 0
    for plan in UPCOMING_REVIEWS:
        account = accounts[_name_key(plan.account)]
        if next_meeting(session, account.id, now) is not None:
            continue
        starts_at = _local(_workday(today + timedelta(days=plan.in_days), 1), plan.at, tz)
        schedule_meeting(
            session,
            account,
            starts_at,
            channel=account.channel,
            actor=account.account_manager or ACCOUNT_MANAGERS[0],
            now=now,
            settings=settings,
        )
        added += 1
    return added


def _count(session: Session, model: type[Any], ids: list[int], *where: Any) -> int:
    column = model.id if model is Account else model.account_id
    query = select(func.count()).select_from(model).where(column.in_(ids), *where)
    return int(session.scalar(query) or 0)


def load_demo(
    session: Session,
    *,
    workspace_id: str,
    today: date | None = None,
    reset: bool = False,
    actor: str = DEMO_ACTOR,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the sample portfolio through the real importer; safe to run again.

    The roster and responses go through `bot.intake`, exactly like a customer's spreadsheet,
    so a second run is idempotent for the same reasons a re-imported file is. Commitments and
    meetings have no natural key in the schema, so they are matched here before inserting: a
    commitment by its text, a review by "the account already has a past / an upcoming one".
    The caller owns the transaction.
    """
    settings = settings or Settings()
    today = today or datetime.now(settings.tz).date()
    portfolio = generate_portfolio(today)
    removed = remove_demo(session, workspace_id=workspace_id) if reset else {}
    accounts_import = import_accounts(
        session,
        portfolio.accounts,
        workspace_id=workspace_id,
        actor=actor,
        filename="demo accounts",
    )
    responses_import = import_responses(
        session,
        portfolio.responses,
        workspace_id=workspace_id,
        actor=actor,
        filename="demo responses",
        progress=progress,
    )
    session.flush()
    accounts = {_name_key(a.name): a for a in _demo_accounts(session, workspace_id)}
    past_added, reviews = _add_past_reviews(session, today, accounts, settings)
    meetings_added = past_added + _add_upcoming_meetings(session, today, accounts, settings)
    commitments_added = _add_commitments(
        session, workspace_id, today, accounts, reviews, settings.tz
    )
    session.flush()
    ids = [account.id for account in accounts.values()]
    if reset or commitments_added or meetings_added:
        session.add(
            AuditEntry(
                workspace_id=workspace_id,
                actor=actor,
                action="demo_loaded",
                entity="workspace",
                entity_id=workspace_id,
                details={
                    "reset": reset,
                    "removed": removed,
                    "commitments_added": commitments_added,
                    "meetings_added": meetings_added,
                },
            )
        )
    return DemoSummary(
        workspace_id=workspace_id,
        cycles=[cycle.label for cycle in portfolio.cycles],
        accounts=len(ids),
        respondents=_count(session, Respondent, ids),
        responses=_count(session, Response, ids),
        commitments=_count(session, Commitment, ids),
        meetings=_count(session, Meeting, ids),
        upcoming_meetings=_count(
            session,
            Meeting,
            ids,
            Meeting.status == "scheduled",
            Meeting.starts_at > _local(today, time(0, 0), settings.tz),
        ),
        commitments_added=commitments_added,
        meetings_added=meetings_added,
        removed=removed,
        accounts_import=accounts_import,
        responses_import=responses_import,
    )
