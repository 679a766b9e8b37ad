"""The account report: what `/voc account`, `voc account` and the digest all show.

Everything it reads is bounded by the account (its own responses, a handful of precomputed
benchmark rows, its open commitments), so it costs the same in a portfolio of ten accounts or
ten thousand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import insights
from bot.core.cycles import cycle_label, cycle_sort_key
from storage.models import Account, Benchmark, Commitment, Cycle, Meeting, Respondent, Response

CADENCE_DAYS = {"monthly": 31, "quarterly": 92}
DEFAULT_CYCLE_SPACING = timedelta(days=91)


@dataclass(frozen=True)
class Figures:
    """NPS and mean satisfaction of a group of respondents in one cycle."""

    cycle: str
    respondents: int
    nps: float | None
    satisfaction_mean: float | None


@dataclass(frozen=True)
class Person:
    respondent: str
    title: str | None
    role: str | None
    satisfaction: float
    recommend: float | None
    continue_: float | None
    band: str
    loyalty: str
    comment: str | None
    source: str


@dataclass(frozen=True)
class OpenCommitment:
    id: int
    text: str
    owner: str
    due: date | None
    status: str
    area: str


@dataclass(frozen=True)
class TrendPoint:
    """One cycle of the trend chart: the account against its segment."""

    cycle: str
    nps: float | None
    satisfaction_mean: float | None
    segment_nps: float | None
    segment_satisfaction_mean: float | None


@dataclass(frozen=True)
class AccountReport:
    account_id: int
    account: str
    segment_name: str
    tier: str
    account_manager: str | None
    exec_sponsor: str | None
    channel: str | None
    cycle: str | None
    current: Figures | None
    previous: Figures | None
    nps_change_significant: bool | None
    segment: Figures | None
    all_customers: Figures | None
    people: list[Person]
    weakest: list[insights.AttributeGap]
    open_commitments: list[OpenCommitment]
    trend: list[TrendPoint]
    band_moves: list[insights.BandMove] = field(default_factory=list)
    not_answered: list[str] = field(default_factory=list)
    next_cycle_on: date | None = None
    next_meeting_at: datetime | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def has_results(self) -> bool:
        return self.current is not None

    def to_json(self) -> dict[str, Any]:
        """The shape interface.md promises to scripts; extra keys are allowed, not fewer."""
        current = self.current
        return {
            "account": self.account,
            "segment_name": self.segment_name,
            "tier": self.tier,
            "cycle": self.cycle,
            "respondents": current.respondents if current else 0,
            "nps": _round(current.nps) if current else None,
            "satisfaction_mean": _round(current.satisfaction_mean) if current else None,
            "previous": _figures_json(self.previous, with_cycle=True),
            "nps_change_significant": self.nps_change_significant,
            "segment": {"name": self.segment_name, **_figures_json(self.segment)},
            "all_customers": _figures_json(self.all_customers),
            "people": [_person_json(person) for person in self.people],
            "weakest_attributes": [
                {
                    "attribute": gap.attribute,
                    "account": _round(gap.account_mean),
                    "segment": _round(gap.segment_mean),
                    "gap": _round(gap.gap),
                }
                for gap in self.weakest
            ],
            "open_commitments": [_commitment_json(item) for item in self.open_commitments],
            "trend": [
                {
                    "cycle": point.cycle,
                    "nps": _round(point.nps),
                    "satisfaction_mean": _round(point.satisfaction_mean),
                    "segment_nps": _round(point.segment_nps),
                    "segment_satisfaction_mean": _round(point.segment_satisfaction_mean),
                }
                for point in self.trend
            ],
            "not_answered": self.not_answered,
            "next_cycle_on": self.next_cycle_on.isoformat() if self.next_cycle_on else None,
            "next_meeting_at": self.next_meeting_at.isoformat() if self.next_meeting_at else None,
            "flags": self.flags,
        }


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 1)


def _figures_json(figures: Figures | None, *, with_cycle: bool = False) -> Any:
    if figures is None:
        return None if with_cycle else {"nps": None, "satisfaction_mean": None}
    data: dict[str, Any] = {
        "nps": _round(figures.nps),
        "satisfaction_mean": _round(figures.satisfaction_mean),
    }
    if with_cycle:
        data = {"cycle": figures.cycle, **data}
    else:
        data["respondents"] = figures.respondents
    return data


def _person_json(person: Person) -> dict[str, Any]:
    return {
        "respondent": person.respondent,
        "title": person.title,
        "role": person.role,
        "satisfaction": person.satisfaction,
        "recommend": person.recommend,
        "continue": person.continue_,
        "band": person.band,
        "loyalty": person.loyalty,
        "comment": person.comment,
        "source": person.source,
    }


def _commitment_json(item: OpenCommitment) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "owner": item.owner,
        "due": item.due.isoformat() if item.due else None,
        "status": item.status,
        "area": item.area,
    }


class UnknownCycle(LookupError):
    """The requested cycle label has no data for this account."""


def build_account_report(
    session: Session, account: Account, *, cycle_label: str | None = None, now: datetime
) -> AccountReport:
    """Assemble the report from the account's own rows plus precomputed benchmarks."""
    cycles = _cycles_with_data(session, account)
    current_cycle, previous_cycle = _pick_cycles(cycles, cycle_label)
    frame = _responses_frame(session, account.id, [cycle.id for cycle in cycles])
    benchmarks = _benchmarks(session, account, [cycle.id for cycle in cycles])
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
        open_commitments=open_commitments_of(session, account.id),
        trend=_trend(cycles, headlines, benchmarks),
        band_moves=insights.band_moves(previous_rows, current_rows)
        if len(previous_rows) and len(current_rows)
        else [],
        not_answered=insights.missing_respondents(previous_rows, current_rows)
        if len(previous_rows)
        else [],
        next_cycle_on=next_cycle_start(session, account.workspace_id),
        next_meeting_at=_next_meeting(session, account.id, now),
        flags=account_flags(session, account, now),
    )


def _cycles_with_data(session: Session, account: Account) -> list[Cycle]:
    """The account's cycles oldest first; a cycle with no answers from it is not its trend."""
    cycle_ids = select(Response.cycle_id).where(Response.account_id == account.id).distinct()
    cycles = session.scalars(select(Cycle).where(Cycle.id.in_(cycle_ids))).all()
    return sorted(cycles, key=cycle_order)


def cycle_order(cycle: Cycle) -> tuple[bool, date, str]:
    return cycle_sort_key(cycle.starts_on, cycle.label)


def _pick_cycles(cycles: list[Cycle], label: str | None) -> tuple[Cycle | None, Cycle | None]:
    if not cycles:
        if label:
            raise UnknownCycle(label)
        return None, None
    if label is None:
        index = len(cycles) - 1
    else:
        wanted = cycle_label(label).casefold()
        matches = [i for i, cycle in enumerate(cycles) if cycle.label.casefold() == wanted]
        if not matches:
            raise UnknownCycle(label)
        index = matches[0]
    return cycles[index], cycles[index - 1] if index > 0 else None


RESPONSE_COLUMNS = [
    "cycle_id",
    "respondent_key",
    "respondent",
    "title",
    "role",
    "satisfaction",
    "recommend",
    "continue",
    "comment",
    "ratings",
    "source",
]


def _responses_frame(session: Session, account_id: int, cycle_ids: list[int]) -> pd.DataFrame:
    rows = session.execute(
        select(
            Response.cycle_id,
            Respondent.person_key,
            Respondent.name,
            Response.title,
            Response.role,
            Response.satisfaction,
            Response.recommend,
            Response.continue_score,
            Response.comment,
            Response.ratings,
            Response.source,
        )
        .join(Respondent, Respondent.id == Response.respondent_id)
        .where(Response.account_id == account_id, Response.cycle_id.in_(cycle_ids))
    ).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=RESPONSE_COLUMNS)
    for column in ("satisfaction", "recommend", "continue"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


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


def _benchmarks(
    session: Session, account: Account, cycle_ids: list[int]
) -> dict[tuple[int, str], Benchmark]:
    """The segment and all-customer rows for the account's cycles: at most two per cycle."""
    rows = session.scalars(
        select(Benchmark).where(
            Benchmark.workspace_id == account.workspace_id,
            Benchmark.cycle_id.in_(cycle_ids),
            (
                ((Benchmark.scope == "segment") & (Benchmark.segment == account.segment))
                | (Benchmark.scope == "all")
            ),
        )
    ).all()
    return {(row.cycle_id, row.scope): row for row in rows}


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
        )
        for record in table.to_dict("records")
    ]


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number_or_none(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def _trend(
    cycles: list[Cycle],
    headlines: dict[int, tuple[float | None, float | None]],
    benchmarks: dict[tuple[int, str], Benchmark],
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
            )
        )
    return points


def open_commitments_of(session: Session, account_id: int) -> list[OpenCommitment]:
    rows = session.scalars(
        select(Commitment)
        .where(Commitment.account_id == account_id, Commitment.status == "open")
        .order_by(Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)
    ).all()
    return [
        OpenCommitment(row.id, row.text, row.owner, row.due_on, row.status, row.area)
        for row in rows
    ]


def next_cycle_start(session: Session, workspace_id: str) -> date | None:
    """When customers will be asked again: the last cycle's start plus the usual spacing."""
    starts = session.scalars(
        select(Cycle.starts_on)
        .where(Cycle.workspace_id == workspace_id, Cycle.starts_on.is_not(None))
        .order_by(Cycle.starts_on.desc())
        .limit(2)
    ).all()
    if not starts:
        return None
    spacing = starts[0] - starts[1] if len(starts) == 2 else DEFAULT_CYCLE_SPACING
    if spacing.days < 20:
        spacing = DEFAULT_CYCLE_SPACING
    return starts[0] + spacing


def _next_meeting(session: Session, account_id: int, now: datetime) -> datetime | None:
    return session.scalars(
        select(Meeting.starts_at)
        .where(
            Meeting.account_id == account_id,
            Meeting.status == "scheduled",
            Meeting.starts_at >= now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    ).first()


def account_flags(session: Session, account: Account, now: datetime) -> list[str]:
    """What senior management should not have to discover by accident."""
    flags = []
    if account.tier == "strategic" and not account.exec_sponsor:
        flags.append("Strategic account without an executive sponsor.")
    last = session.scalars(
        select(Meeting.starts_at)
        .where(
            Meeting.account_id == account.id,
            Meeting.status != "cancelled",
            Meeting.starts_at <= now,
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    ).first()
    limit = timedelta(days=CADENCE_DAYS.get(account.cadence, CADENCE_DAYS["quarterly"]))
    if last is None:
        flags.append(f"No customer review meeting on record ({account.cadence} cadence).")
    elif now - last > limit:
        flags.append(
            f"Last customer review meeting was {(now - last).days} days ago "
            f"({account.cadence} cadence)."
        )
    return flags
