"""Assembling an account's report from its precomputed figures and the other rooms' rows.

The account's figures per cycle (headline, people, attribute means, what changed since the
cycle before) were computed when its responses arrived (`bot.figures`); here they are read with
a few indexed statements, with the benchmarks, commitments, follow-ups and meetings
(`bot.meetings.queries`: the next meeting and the last review mean what they mean everywhere),
and returned as plain data. Nothing here rescans responses.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from bot import insights
from bot.champions import ChampionChange
from bot.drivers.service import fix_first
from bot.figures import queries as figures
from bot.followups.queries import followup_items
from bot.meetings.queries import last_review_start, next_meeting_start
from bot.reports.model import AccountReport, Figures, OpenCommitment, Person, TrendPoint
from bot.reports.queries import benchmarks_of, next_cycle_start, open_commitments_of
from bot.reports.rules import account_flags, cycle_order, pick_cycles
from storage.models import Account, Cycle

log = logging.getLogger(__name__)


def build_account_report(
    session: Session,
    account: Account,
    *,
    cycle_label: str | None = None,
    now: datetime,
    tz: tzinfo = UTC,
) -> AccountReport:
    """Assemble the report from the account's stored figures plus precomputed benchmarks.

    `tz` is the reader's: whether a commitment is overdue depends on whose today it is.
    """
    stored = sorted(figures.cycles_of(session, account.id), key=lambda item: cycle_order(item[0]))
    cycles = [cycle for cycle, _ in stored]
    headlines = {cycle.id: headline for cycle, headline in stored}
    current_cycle, previous_cycle = pick_cycles(cycles, cycle_label)
    benchmarks = benchmarks_of(session, account, [cycle.id for cycle in cycles])
    current = headlines[current_cycle.id] if current_cycle else None
    previous = headlines[previous_cycle.id] if previous_cycle else None
    details = figures.details_of(session, account.id, current_cycle.id) if current_cycle else None
    changes = _changes_since(details, previous_cycle)
    segment_bench = benchmarks.get((current_cycle.id, "segment")) if current_cycle else None
    all_bench = benchmarks.get((current_cycle.id, "all")) if current_cycle else None
    account_attributes = dict(details.attribute_means) if details else {}
    return AccountReport(
        account_id=account.id,
        account=account.name,
        segment_name=account.segment,
        tier=account.tier,
        account_manager=account.account_manager,
        exec_sponsor=account.exec_sponsor,
        channel=account.channel,
        cycle=current_cycle.label if current_cycle else None,
        current=_figures(current_cycle, current),
        previous=_figures(previous_cycle, previous),
        nps_change_significant=_significance(previous, current),
        segment=_bench_figures(current_cycle, segment_bench),
        all_customers=_bench_figures(current_cycle, all_bench),
        people=_people(details.people) if details else [],
        weakest=insights.weakest_attributes(
            account_attributes, segment_bench.attribute_means if segment_bench else {}
        ),
        open_commitments=_flag_overdue(
            open_commitments_of(session, account.id), now.astimezone(tz).date()
        ),
        trend=_trend(cycles, headlines, benchmarks),
        band_moves=[insights.BandMove(*move) for move in changes.get("band_moves", [])],
        not_answered=list(changes.get("not_answered", [])),
        champion_changes=[
            ChampionChange(account.name, **change) for change in changes.get("champion_changes", [])
        ],
        next_cycle_on=next_cycle_start(session, account.workspace_id),
        next_meeting_at=next_meeting_start(session, account.id, now),
        flags=_flags(session, account, now),
        followups=followup_items(
            session, account.workspace_id, account_ids=[account.id], statuses=["open"]
        ),
        as_of=now,
        fix_first=fix_first(
            session, account.workspace_id, account.segment, current_cycle.id, account_attributes
        )
        if current_cycle
        else [],
    )


def _changes_since(details: Any, previous_cycle: Cycle | None) -> dict[str, Any]:
    """What changed in the current cycle since the previous one, as stored with its figures;
    nothing for an account's first cycle."""
    if details is None or previous_cycle is None:
        return {}
    if details.previous_cycle_id != previous_cycle.id:  # a refresh was missed: say nothing wrong
        log.warning(
            "figures compare with cycle %s, the report with %s: not refreshed",
            details.previous_cycle_id,
            previous_cycle.id,
        )
        return {}
    return {**(details.changes or {}), **(details.champions or {})}


def _flag_overdue(items: list[OpenCommitment], today: date) -> list[OpenCommitment]:
    return [
        replace(item, overdue=item.status == "open" and item.due is not None and item.due < today)
        for item in items
    ]


def _flags(session: Session, account: Account, now: datetime) -> list[str]:
    return account_flags(account, last_review_start(session, account.id, now), now)


def _figures(cycle: Cycle | None, headline: Any) -> Figures | None:
    if cycle is None or headline is None:
        return None
    return Figures(cycle.label, headline.respondents, headline.nps, headline.satisfaction_mean)


def _counts(headline: Any) -> insights.NpsCounts:
    promoters, detractors = int(headline.promoters), int(headline.detractors)
    answered = int(headline.recommend_answered)
    return insights.NpsCounts(promoters, answered - promoters - detractors, detractors, answered)


def _significance(previous: Any, current: Any) -> bool | None:
    if previous is None or current is None:
        return None
    return insights.nps_change_significant(_counts(previous), _counts(current))


def _bench_figures(cycle: Cycle | None, bench: Any) -> Figures | None:
    if cycle is None or bench is None:
        return None
    return Figures(cycle.label, bench.respondents, bench.nps, bench.satisfaction_mean)


def _people(stored: dict[str, list[Any]]) -> list[Person]:
    """The stored people table (by column, `figures.PEOPLE`) as the report's rows."""
    rows = zip(*(stored[name] for name in figures.PEOPLE), strict=True)
    return [_person(*row) for row in rows]


def _person(*values: Any) -> Person:
    *fields, themes, tone = values
    if themes is None:  # a comment without tags, or none at all: the Person's defaults
        return Person(*fields)
    return Person(*fields, themes=themes, tone=tone)


def _trend(
    cycles: list[Cycle],
    headlines: dict[int, Any],
    benchmarks: dict[tuple[int, str], Any],
) -> list[TrendPoint]:
    points = []
    for cycle in cycles:
        headline = headlines[cycle.id]
        bench = benchmarks.get((cycle.id, "segment"))
        points.append(
            TrendPoint(
                cycle=cycle.label,
                nps=headline.nps,
                satisfaction_mean=headline.satisfaction_mean,
                segment_nps=bench.nps if bench else None,
                segment_satisfaction_mean=bench.satisfaction_mean if bench else None,
                respondents=headline.respondents,
            )
        )
    return points
