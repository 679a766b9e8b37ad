"""The executive view's SQL: a handful of grouped reads over the accounts in scope.

The scope is a subquery of account IDs (a sponsor's accounts, or every strategic and key
account), so each read is one statement however many accounts there are: no per-account round
trips and no IN lists of thousands of IDs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.bulk import fetch_rows
from storage.models import (
    Account,
    AccountFigures,
    Benchmark,
    Commitment,
    Cycle,
    Delivery,
    Followup,
    Meeting,
    MeetingAttendee,
    Response,
)

SCHEDULED = "scheduled"
CANCELLED = "cancelled"


def scope(workspace_id: str, sponsor: Sequence[str] | None, tiers: Sequence[str]) -> sa.Select[Any]:
    """Account IDs in view: those whose sponsor is one of `sponsor` (ID or email), else by tier."""
    query = sa.select(Account.id).where(Account.workspace_id == workspace_id)
    if sponsor is not None:
        return query.where(sa.func.lower(Account.exec_sponsor).in_([s.lower() for s in sponsor]))
    return query.where(Account.tier.in_(list(tiers)))


def accounts(session: Session, ids: sa.Select[Any]) -> list[Any]:
    return list(  # Core rows: the ORM's per-row bookkeeping is most of the time at 10,000 accounts
        session.connection()
        .execute(
            sa.select(
                Account.id,
                Account.name,
                Account.segment,
                Account.tier,
                Account.annual_revenue,
                Account.exec_sponsor,
                Account.account_manager,
                Account.cadence,
            ).where(Account.id.in_(ids))
        )
        .all()
    )


def cycle_figures(session: Session, ids: sa.Select[Any]) -> list[dict[str, Any]]:
    """The stored headline of every cycle of the accounts in scope (`bot.figures`), as dicts
    keyed the way `rules.surveys` reads them."""
    rows = fetch_rows(
        session,
        sa.select(
            AccountFigures.account_id,
            AccountFigures.cycle_id,
            AccountFigures.respondents,
            AccountFigures.satisfaction_mean,
            AccountFigures.recommend_answered,
            AccountFigures.promoters,
            AccountFigures.detractors,
            AccountFigures.decision_maker_high_risk,
            AccountFigures.decision_maker_trapped,
        ).where(AccountFigures.account_id.in_(ids)),
    )
    return [dict(zip(FIGURE_KEYS, row, strict=True)) for row in rows]


FIGURE_KEYS = (
    "account_id",
    "cycle_id",
    "respondents",
    "satisfaction_mean",
    "answered",
    "promoters",
    "detractors",
    "dm_high_risk",
    "dm_trapped",
)


def changes_of(
    session: Session, ids: sa.Select[Any], cycle_of: Mapping[int, int]
) -> dict[int, dict[str, Any]]:
    """What each account's decision makers did in its `cycle_of` cycle since the previous one:
    champion changes and loyalty moves, as stored (`bot.figures`)."""
    if not cycle_of:
        return {}
    rows = fetch_rows(
        session,
        sa.select(
            AccountFigures.account_id, AccountFigures.cycle_id, AccountFigures.champions
        ).where(
            AccountFigures.account_id.in_(ids),
            AccountFigures.cycle_id.in_(sorted(set(cycle_of.values()))),
        ),
    )
    return {
        int(a): json.loads(changes) if isinstance(changes, str) else changes
        for a, c, changes in rows
        if cycle_of.get(int(a)) == int(c)
    }


def workspace_cycles(session: Session, workspace_id: str) -> list[Cycle]:
    return list(session.scalars(sa.select(Cycle).where(Cycle.workspace_id == workspace_id)))


def overdue_commitments(session: Session, ids: sa.Select[Any], today: date) -> dict[int, int]:
    """Open commitments due before `today`, per account."""
    rows = session.execute(
        sa.select(Commitment.account_id, sa.func.count())
        .where(
            Commitment.account_id.in_(ids),
            Commitment.status == "open",
            Commitment.due_on < today,
        )
        .group_by(Commitment.account_id)
    )
    return {int(a): int(n) for a, n in rows}


def followups_past_sla(session: Session, ids: sa.Select[Any], now: datetime) -> dict[int, int]:
    """Follow-ups still open after their due time, per account (as `voc loop` counts them)."""
    rows = session.execute(
        sa.select(Followup.account_id, sa.func.count())
        .where(Followup.account_id.in_(ids), Followup.status == "open", Followup.due_at < now)
        .group_by(Followup.account_id)
    )
    return {int(a): int(n) for a, n in rows}


def last_reviews(session: Session, ids: sa.Select[Any], now: datetime) -> dict[int, datetime]:
    """The latest review held (not cancelled) before now, per account, as `last_review` means."""
    rows = session.execute(
        sa.select(Meeting.account_id, sa.func.max(Meeting.starts_at))
        .where(Meeting.account_id.in_(ids), Meeting.status != CANCELLED, Meeting.starts_at < now)
        .group_by(Meeting.account_id)
    )
    return {int(a): _utc(at) for a, at in rows}


def next_reviews(session: Session, ids: sa.Select[Any], now: datetime) -> dict[int, datetime]:
    """The next scheduled review from now, per account, as `next_meeting` means."""
    rows = session.execute(
        sa.select(Meeting.account_id, sa.func.min(Meeting.starts_at))
        .where(Meeting.account_id.in_(ids), Meeting.status == SCHEDULED, Meeting.starts_at >= now)
        .group_by(Meeting.account_id)
    )
    return {int(a): _utc(at) for a, at in rows}


def _utc(moment: Any) -> datetime:
    """An aggregate skips the column's type, so SQLite hands back text or a naive time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def sponsor_loads(session: Session, workspace_id: str) -> list[tuple[str, int]]:
    """How many accounts each sponsor has, in the whole workspace."""
    rows = session.execute(
        sa.select(Account.exec_sponsor, sa.func.count())
        .where(Account.workspace_id == workspace_id, Account.exec_sponsor.is_not(None))
        .where(Account.exec_sponsor != "")
        .group_by(Account.exec_sponsor)
    )
    return [(str(who), int(n)) for who, n in rows]


def sponsor_attended_reviews(
    session: Session, workspace_id: str, now: datetime, within: timedelta
) -> list[tuple[str, str, datetime]]:
    """(sponsor as the account names them, the account's cadence, when) of each review held on
    a sponsored account in the `within` before now that lists its sponsor among the attendees."""
    rows = session.execute(
        sa.select(Account.exec_sponsor, Account.cadence, Meeting.starts_at)
        .join(Meeting, Meeting.account_id == Account.id)
        .join(MeetingAttendee, MeetingAttendee.meeting_id == Meeting.id)
        .where(Account.workspace_id == workspace_id, Account.exec_sponsor.is_not(None))
        .where(Meeting.status != CANCELLED, Meeting.starts_at < now)
        .where(Meeting.starts_at >= now - within)
        .where(sa.func.lower(MeetingAttendee.person) == sa.func.lower(Account.exec_sponsor))
    )
    return [(str(who), str(cadence or ""), _utc(at)) for who, cadence, at in rows]


def strategic_without_sponsor(session: Session, workspace_id: str) -> list[str]:
    rows = session.scalars(
        sa.select(Account.name).where(
            Account.workspace_id == workspace_id,
            Account.tier == "strategic",
            sa.or_(Account.exec_sponsor.is_(None), Account.exec_sponsor == ""),
        )
    )
    return list(rows)


def settled_keys(session: Session, workspace_id: str, keys: Sequence[str]) -> set[str]:
    """Which of these ledger keys went out or were withdrawn: not owed again."""
    if not keys:
        return set()
    rows = session.scalars(
        sa.select(Delivery.delivery_key).where(
            Delivery.workspace_id == workspace_id,
            Delivery.delivery_key.in_(list(keys)),
            Delivery.status.in_(("sent", "cancelled")),
        )
    )
    return set(rows)


def sponsors_with_news(
    session: Session, *, arrived_after: datetime, now: datetime, latest_today: date
) -> list[tuple[str, str]]:
    """(workspace, sponsor) with an account that may have something to say this month: a cycle
    arrived in the window, a commitment late somewhere on Earth, or a follow-up past its SLA.

    A superset of what the digest will say (decided per sponsor when it is sent), found without
    asking Slack about the sponsors who have nothing to hear.
    """
    arrived = sa.exists().where(
        Response.account_id == Account.id,
        Response.cycle_id.in_(
            sa.select(Cycle.id).where(Cycle.created_at > arrived_after, Cycle.created_at <= now)
        ),
    )
    late = sa.exists().where(
        Commitment.account_id == Account.id,
        Commitment.status == "open",
        Commitment.due_on < latest_today,
    )
    waiting = sa.exists().where(
        Followup.account_id == Account.id, Followup.status == "open", Followup.due_at < now
    )
    rows = session.execute(
        sa.select(Account.workspace_id, Account.exec_sponsor)
        .where(Account.exec_sponsor.is_not(None), Account.exec_sponsor != "")
        .where(sa.or_(arrived, late, waiting))
        .distinct()
    )
    return [(str(ws), str(who)) for ws, who in rows]


def last_sent(session: Session, workspace_id: str, kind: str) -> datetime | None:
    """When the latest message of this ledger kind went out in the workspace, if one did."""
    moment = session.scalar(
        sa.select(sa.func.max(Delivery.sent_at)).where(
            Delivery.workspace_id == workspace_id,
            Delivery.kind == kind,
            Delivery.status == "sent",
        )
    )
    return _utc(moment) if moment is not None else None


def first_account_at(session: Session, workspace_id: str) -> datetime | None:
    """When the workspace's first account arrived: where "a year without a review" starts."""
    moment = session.scalar(
        sa.select(sa.func.min(Account.created_at)).where(Account.workspace_id == workspace_id)
    )
    return _utc(moment) if moment is not None else None


def named_channels(
    session: Session, workspace_id: str, account_ids: Sequence[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """(name, channel) per account among `account_ids`: the channel its name resolved to, else
    as the roster wrote it; accounts without one are left out of the second."""
    rows = session.execute(
        sa.select(Account.id, Account.name, Account.channel_id, Account.channel).where(
            Account.workspace_id == workspace_id, Account.id.in_(list(account_ids))
        )
    ).all()
    names = {int(r.id): str(r.name) for r in rows}
    channels = {
        int(r.id): str(r.channel_id or r.channel) for r in rows if r.channel_id or r.channel
    }
    return names, channels


def among(workspace_id: str, account_ids: Sequence[int]) -> sa.Select[Any]:
    """Account IDs in view: these of the workspace's."""
    return sa.select(Account.id).where(
        Account.workspace_id == workspace_id, Account.id.in_(list(account_ids))
    )


def workspaces_with_accounts(session: Session) -> list[str]:
    return list(session.scalars(sa.select(Account.workspace_id).distinct()))


def segment_benchmarks(session: Session, workspace_id: str) -> list[tuple[Any, ...]]:
    """(segment, cycle label, cycle start, respondents, NPS, mean satisfaction) per segment and
    cycle, from the precomputed benchmarks: the leadership's headline figures and their trend."""
    rows = session.execute(
        sa.select(
            Benchmark.segment,
            Cycle.label,
            Cycle.starts_on,
            Benchmark.respondents,
            Benchmark.nps,
            Benchmark.satisfaction_mean,
        )
        .join(Cycle, Cycle.id == Benchmark.cycle_id)
        .where(Benchmark.workspace_id == workspace_id, Benchmark.scope == "segment")
    )
    return [tuple(row) for row in rows]
