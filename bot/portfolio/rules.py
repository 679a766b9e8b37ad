"""Pure decisions of the executive view (data-formats.md, "Executive view").

What makes an account at risk, what a champion change is, which sponsors are stretched and how
the list is ordered: decided here from plain rows, so the terminal and Slack agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from bot import insights
from bot.champions import ChampionChange, champion_changes
from bot.core.cycles import cycle_sort_key

DECISION_MAKER = "decision_maker"
LOW_SATISFACTION_BELOW = 7.0
RISK_REASONS = (
    "decision_maker_high_risk",
    "decision_maker_trapped",
    "low_satisfaction",
    "significant_drop",
)
ADMIN_TIERS = ("strategic", "key")


@dataclass(frozen=True)
class LoyaltyMove:
    respondent: str
    before: str
    after: str


@dataclass(frozen=True)
class Survey:
    """An account's latest cycle and the one before it, as the figures the view needs."""

    cycle: str | None = None
    respondents: int = 0
    nps: float | None = None
    nps_change: float | None = None
    nps_change_significant: bool | None = None
    satisfaction_mean: float | None = None
    risk_reasons: tuple[str, ...] = ()
    champion_changes: tuple[ChampionChange, ...] = ()
    # For the monthly digest: when the latest cycle arrived, whether the previous cycle's own
    # answers already put the account at risk, and decision makers whose loyalty segment moved.
    arrived_at: datetime | None = None
    was_at_risk: bool = False
    loyalty_moves: tuple[LoyaltyMove, ...] = ()


@dataclass(frozen=True)
class AccountLine:
    account_id: int
    account: str
    segment: str
    tier: str
    annual_revenue: float | None
    sponsor: str | None
    account_manager: str | None
    survey: Survey
    overdue_commitments: int
    followups_past_sla: int
    last_review: datetime | None
    next_review: datetime | None
    review_overdue: bool

    @property
    def at_risk(self) -> bool:
        return bool(self.survey.risk_reasons)

    @property
    def revenue_at_risk(self) -> float:
        return (self.annual_revenue or 0.0) if self.at_risk else 0.0

    def to_json(self) -> dict[str, Any]:
        s = self.survey
        return {
            "account": self.account,
            "segment": self.segment,
            "tier": self.tier,
            "annual_revenue": self.annual_revenue,
            "sponsor": self.sponsor,
            "account_manager": self.account_manager,
            "cycle": s.cycle,
            "respondents": s.respondents,
            "nps": s.nps,
            "nps_change": s.nps_change,
            "nps_change_significant": s.nps_change_significant,
            "satisfaction_mean": s.satisfaction_mean,
            "at_risk": self.at_risk,
            "risk_reasons": list(s.risk_reasons),
            "overdue_commitments": self.overdue_commitments,
            "followups_past_sla": self.followups_past_sla,
            "last_review": _iso(self.last_review),
            "next_review": _iso(self.next_review),
            "review_overdue": self.review_overdue,
        }


@dataclass(frozen=True)
class Coverage:
    strategic_without_sponsor: list[str] = field(default_factory=list)
    sponsors_over_capacity: list[tuple[str, int]] = field(default_factory=list)
    max_accounts: int = 3

    def to_json(self) -> dict[str, Any]:
        return {
            "strategic_without_sponsor": self.strategic_without_sponsor,
            "sponsors_over_capacity": [
                {"sponsor": who, "accounts": n} for who, n in self.sponsors_over_capacity
            ],
            "max_accounts": self.max_accounts,
        }


@dataclass(frozen=True)
class SegmentTotal:
    segment: str
    accounts: int
    at_risk: int
    revenue_at_risk: float


@dataclass(frozen=True)
class Portfolio:
    """The executive view: whose it is (`sponsor`, None for everyone's), the lines, the gaps."""

    sponsor: str | None
    accounts: list[AccountLine]
    coverage: Coverage

    @property
    def revenue_at_risk(self) -> float:
        return sum(line.revenue_at_risk for line in self.accounts)

    @property
    def at_risk(self) -> list[AccountLine]:
        return [line for line in self.accounts if line.at_risk]

    @property
    def champion_changes(self) -> list[ChampionChange]:
        return [change for line in self.accounts for change in line.survey.champion_changes]

    @property
    def segments(self) -> list[SegmentTotal]:
        return segment_totals(self.accounts)

    def to_json(self) -> dict[str, Any]:
        return {
            "sponsor": self.sponsor,
            "revenue_at_risk": self.revenue_at_risk,
            "accounts": [line.to_json() for line in self.accounts],
            "segments": [
                {
                    "segment": t.segment,
                    "accounts": t.accounts,
                    "at_risk": t.at_risk,
                    "revenue_at_risk": t.revenue_at_risk,
                }
                for t in self.segments
            ],
            "coverage": self.coverage.to_json(),
            "champion_changes": [change.to_json() for change in self.champion_changes],
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def risk_reasons(
    current: pd.DataFrame, nps_change: float | None, significant: bool | None
) -> tuple[str, ...]:
    """The reasons, in the documented order, that hold for the latest cycle's answers."""
    if current.empty:
        return ()
    makers = current[current["role"] == DECISION_MAKER]
    loyalty = set(
        insights.loyalty_segments(makers["satisfaction"], makers["recommend"], makers["continue"])
    )
    holds = {
        "decision_maker_high_risk": insights.HIGH_RISK in loyalty,
        "decision_maker_trapped": insights.TRAPPED in loyalty,
        "low_satisfaction": float(current["satisfaction"].mean()) < LOW_SATISFACTION_BELOW,
        "significant_drop": bool(significant) and nps_change is not None and nps_change < 0,
    }
    return tuple(reason for reason in RISK_REASONS if holds[reason])


def survey_of(
    cycle: str | None,
    previous: pd.DataFrame,
    current: pd.DataFrame,
    account: str,
    arrived_at: datetime | None = None,
) -> Survey:
    """The figures of the latest cycle against the previous one (metric rules of insights)."""
    if cycle is None or current.empty:
        return Survey()
    now_counts = insights.nps_counts(current["recommend"])
    change: float | None = None
    significant: bool | None = None
    if not previous.empty:
        before = insights.nps_counts(previous["recommend"])
        if before.nps is not None and now_counts.nps is not None:
            change = now_counts.nps - before.nps
        significant = insights.nps_change_significant(before, now_counts)
    return Survey(
        cycle=cycle,
        respondents=len(current),
        nps=now_counts.nps,
        nps_change=change,
        nps_change_significant=significant,
        satisfaction_mean=float(current["satisfaction"].mean()),
        risk_reasons=risk_reasons(current, change, significant),
        champion_changes=champion_changes(account, previous, current),
        arrived_at=arrived_at,
        was_at_risk=bool(risk_reasons(previous, None, None)),
        loyalty_moves=loyalty_moves(previous, current),
    )


def loyalty_moves(previous: pd.DataFrame, current: pd.DataFrame) -> tuple[LoyaltyMove, ...]:
    """Decision makers in both cycles whose loyalty segment changed, by name."""
    if previous.empty or current.empty:
        return ()
    both = previous.merge(current, on="respondent_id", suffixes=("_before", "_after"))
    both = both[both["role_after"] == DECISION_MAKER]
    if both.empty:
        return ()
    before = _loyalty(both, "_before")
    after = _loyalty(both, "_after")
    moves = [
        LoyaltyMove(name, b, a)
        for name, b, a in zip(both["respondent_after"], before, after, strict=True)
        if b != a
    ]
    return tuple(sorted(moves, key=lambda move: move.respondent))


def _loyalty(frame: pd.DataFrame, suffix: str) -> list[str]:
    return list(
        insights.loyalty_segments(
            frame["satisfaction" + suffix], frame["recommend" + suffix], frame["continue" + suffix]
        )
    )


def coverage(
    strategic_unsponsored: Iterable[str], loads: Iterable[tuple[str, int]], max_accounts: int
) -> Coverage:
    """The gaps: strategic accounts with nobody, sponsors with more than they can carry."""
    over = sorted(((who, n) for who, n in loads if n > max_accounts), key=lambda p: (-p[1], p[0]))
    return Coverage(sorted(strategic_unsponsored, key=str.casefold), over, max_accounts)


def ordered(lines: Sequence[AccountLine]) -> list[AccountLine]:
    """Biggest revenue at risk first; then the rest, largest revenue first; then by name."""
    return sorted(
        lines,
        key=lambda line: (
            not line.at_risk,
            -(line.annual_revenue or 0.0),
            line.account.casefold(),
        ),
    )


def segment_totals(lines: Sequence[AccountLine]) -> list[SegmentTotal]:
    """Accounts at risk and revenue at risk per segment, biggest revenue at risk first."""
    totals: dict[str, list[float]] = {}
    for line in lines:
        total = totals.setdefault(line.segment, [0, 0, 0.0])
        total[0] += 1
        total[1] += int(line.at_risk)
        total[2] += line.revenue_at_risk
    rows = [SegmentTotal(name, int(a), int(r), v) for name, (a, r, v) in totals.items()]
    return sorted(rows, key=lambda t: (-t.revenue_at_risk, t.segment.casefold()))


@dataclass(frozen=True)
class MonthlyNews:
    """The sponsor's accounts that have something to say, and the next reviews."""

    changed: list[AccountLine]
    overdue: list[AccountLine]
    upcoming: list[AccountLine]

    @property
    def empty(self) -> bool:
        return not self.changed and not self.overdue


def monthly_news(view: Portfolio, since: datetime) -> MonthlyNews:
    """What the month's digest is made of (see the module's docstring)."""
    changed = [line for line in view.accounts if _changed(line, since)]
    overdue = [
        line for line in view.accounts if line.overdue_commitments or line.followups_past_sla
    ]
    upcoming = sorted(
        (line for line in view.accounts if line.next_review is not None),
        key=lambda line: line.next_review,  # type: ignore[arg-type, return-value]
    )
    return MonthlyNews(changed, overdue, upcoming)


def _changed(line: AccountLine, since: datetime) -> bool:
    s = line.survey
    if s.arrived_at is None or s.arrived_at < since:
        return False
    newly_at_risk = line.at_risk and not s.was_at_risk
    return bool(newly_at_risk or s.loyalty_moves or s.champion_changes)


@dataclass(frozen=True)
class SegmentTrend:
    segment: str
    cycle: str
    respondents: int
    nps: float | None
    satisfaction_mean: float | None
    previous_cycle: str | None = None
    previous_nps: float | None = None
    previous_satisfaction_mean: float | None = None


@dataclass(frozen=True)
class LeadershipPack:
    """What the leadership channel gets once per cadence: the portfolio and its trend."""

    period: str
    portfolio: Portfolio
    trends: list[SegmentTrend]
    loop: dict[str, Any]  # the figures of `voc loop`

    TOP_AT_RISK = 5

    @property
    def top_at_risk(self) -> list[AccountLine]:
        return self.portfolio.at_risk[: self.TOP_AT_RISK]


def segment_trends(rows: Sequence[tuple[Any, ...]]) -> list[SegmentTrend]:
    """Each segment's latest cycle against the one before, from benchmark rows
    (segment, label, starts_on, respondents, nps, satisfaction_mean)."""
    by_segment: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_segment.setdefault(row[0], []).append(row)
    trends = []
    for segment, own in sorted(by_segment.items(), key=lambda item: item[0].casefold()):
        own.sort(key=lambda row: cycle_sort_key(row[2], row[1]))
        latest = own[-1]
        before = own[-2] if len(own) > 1 else None
        trends.append(
            SegmentTrend(
                segment,
                latest[1],
                int(latest[3]),
                latest[4],
                latest[5],
                before[1] if before else None,
                before[4] if before else None,
                before[5] if before else None,
            )
        )
    return trends
