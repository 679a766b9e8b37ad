"""Assembling an account's report from its rows: figures, people, trend, flags.

Reads through `bot.reports.queries` and `bot.meetings.queries` (the next meeting and the last
review mean what they mean everywhere), computes with `bot.insights`, returns plain data.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from bot import insights
from bot.champions import champion_changes
from bot.drivers.service import fix_first
from bot.followups.queries import followup_items
from bot.meetings.queries import last_review, next_meeting
from bot.reports.model import AccountReport, Figures, OpenCommitment, Person, TrendPoint
from bot.reports.queries import (
    benchmarks_of,
    cycles_with_data,
    next_cycle_start,
    open_commitments_of,
    responses_frame,
)
from bot.reports.rules import account_flags, pick_cycles
from bot.themes.tagging import tags_of
from storage.models import Account, Benchmark, Cycle


def build_account_report(
    session: Session,
    account: Account,
    *,
    cycle_label: str | None = None,
    now: datetime,
    tz: tzinfo = UTC,
) -> AccountReport:
    """Assemble the report from the account's own rows plus precomputed benchmarks.

    `tz` is the reader's: whether a commitment is overdue depends on whose today it is.
    """
    cycles = cycles_with_data(session, account)
    current_cycle, previous_cycle = pick_cycles(cycles, cycle_label)
    frame = responses_frame(session, account.id, [cycle.id for cycle in cycles])
    benchmarks = benchmarks_of(session, account, [cycle.id for cycle in cycles])
    current_rows = _rows_of(frame, current_cycle)
    previous_rows = _rows_of(frame, previous_cycle)
    headlines = insights.headline_by_cycle(frame)
    current_figures = insights.cycle_figures(current_rows) if len(current_rows) else None
    current = _figures(current_cycle, current_figures)
    previous = _previous_figures(previous_cycle, previous_rows, headlines)
    segment_bench = benchmarks.get((current_cycle.id, "segment")) if current_cycle else None
    all_bench = benchmarks.get((current_cycle.id, "all")) if current_cycle else None
    account_attributes = current_figures.attribute_means if current_figures else {}
    return AccountReport(
        account_id=account.id,
        account=account.name,
        segment_name=account.segment,
        tier=account.tier,
        account_manager=account.account_manager,
        exec_sponsor=account.exec_sponsor,
        channel=account.channel,
        cycle=current_cycle.label if current_cycle else None,
        current=current,
        previous=previous,
        nps_change_significant=_significance(previous_rows, current_rows),
        segment=_bench_figures(current_cycle, segment_bench),
        all_customers=_bench_figures(current_cycle, all_bench),
        people=_people(current_rows),
        weakest=insights.weakest_attributes(
            account_attributes, segment_bench.attribute_means if segment_bench else {}
        ),
        open_commitments=_flag_overdue(
            open_commitments_of(session, account.id), now.astimezone(tz).date()
        ),
        trend=_trend(cycles, headlines, benchmarks, _respondents_by_cycle(frame)),
        band_moves=insights.band_moves(previous_rows, current_rows)
        if len(previous_rows) and len(current_rows)
        else [],
        not_answered=insights.missing_respondents(previous_rows, current_rows)
        if len(previous_rows)
        else [],
        champion_changes=list(
            champion_changes(account.name, previous_rows, current_rows, key="respondent_key")
        ),
        next_cycle_on=next_cycle_start(session, account.workspace_id),
        next_meeting_at=_next_meeting_at(session, account.id, now),
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


def _flag_overdue(items: list[OpenCommitment], today: date) -> list[OpenCommitment]:
    return [
        replace(item, overdue=item.status == "open" and item.due is not None and item.due < today)
        for item in items
    ]


def _next_meeting_at(session: Session, account_id: int, now: datetime) -> datetime | None:
    meeting = next_meeting(session, account_id, now)
    return meeting.starts_at if meeting is not None else None


def _flags(session: Session, account: Account, now: datetime) -> list[str]:
    review = last_review(session, account.id, now)
    return account_flags(account, review.starts_at if review is not None else None, now)


def _rows_of(frame: pd.DataFrame, cycle: Cycle | None) -> pd.DataFrame:
    if cycle is None:
        return frame.iloc[0:0]
    return frame[frame["cycle_id"] == cycle.id].reset_index(drop=True)


def _figures(cycle: Cycle | None, figures: insights.CycleFigures | None) -> Figures | None:
    if cycle is None or figures is None:
        return None
    return Figures(cycle.label, figures.respondents, figures.nps, figures.satisfaction_mean)


def _previous_figures(
    cycle: Cycle | None, rows: pd.DataFrame, headlines: dict[int, tuple[float | None, float | None]]
) -> Figures | None:
    """The comparison needs only the headline figures, already computed for the trend."""
    if cycle is None or not len(rows):
        return None
    nps, satisfaction_mean = headlines[cycle.id]
    return Figures(cycle.label, len(rows), nps, satisfaction_mean)


def _significance(previous_rows: pd.DataFrame, current_rows: pd.DataFrame) -> bool | None:
    if not len(previous_rows) or not len(current_rows):
        return None
    return insights.nps_change_significant(
        insights.nps_counts(previous_rows["recommend"]),
        insights.nps_counts(current_rows["recommend"]),
    )


def _bench_figures(cycle: Cycle | None, bench: Benchmark | None) -> Figures | None:
    if cycle is None or bench is None:
        return None
    return Figures(cycle.label, bench.respondents, bench.nps, bench.satisfaction_mean)


def _people(rows: pd.DataFrame) -> list[Person]:
    if not len(rows):
        return []
    table = insights.people_table(rows)
    return [
        Person(
            respondent=record["respondent"],
            title=_text_or_none(record["title"]),
            role=_text_or_none(record["role"]),
            satisfaction=float(record["satisfaction"]),
            recommend=_number_or_none(record["recommend"]),
            continue_=_number_or_none(record["continue"]),
            band=record["band"],
            loyalty=record["loyalty"],
            comment=_text_or_none(record["comment"]),
            source=record["source"] or "survey",
            **_tags(record),
        )
        for record in table.to_dict("records")
    ]


def _tags(record: dict[str, Any]) -> dict[str, Any]:
    tags = tags_of(
        _text_or_none(record["comment"]),
        _text_or_none(record["themes"]),
        _text_or_none(record["tone"]),
    )
    return {"themes": tags.themes, "tone": tags.tone} if tags else {}


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number_or_none(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _respondents_by_cycle(frame: pd.DataFrame) -> dict[int, int]:
    """Cycle ID -> how many of the account's people answered in it (one row each)."""
    return {
        int(cycle_id): int(count) for cycle_id, count in frame.groupby("cycle_id").size().items()
    }


def _trend(
    cycles: list[Cycle],
    headlines: dict[int, tuple[float | None, float | None]],
    benchmarks: dict[tuple[int, str], Benchmark],
    respondents: dict[int, int],
) -> list[TrendPoint]:
    points = []
    for cycle in cycles:
        nps, satisfaction_mean = headlines.get(cycle.id, (None, None))
        bench = benchmarks.get((cycle.id, "segment"))
        points.append(
            TrendPoint(
                cycle=cycle.label,
                nps=nps,
                satisfaction_mean=satisfaction_mean,
                segment_nps=bench.nps if bench else None,
                segment_satisfaction_mean=bench.satisfaction_mean if bench else None,
                respondents=respondents.get(cycle.id, 0),
            )
        )
    return points
