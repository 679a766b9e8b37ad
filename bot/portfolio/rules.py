"""Pure decisions of the executive view (data-formats.md, "Executive view").

What makes an account at risk, what a champion change is, which sponsors are stretched and how
the list is ordered: decided here from plain rows, so the terminal and Slack agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import insights
from bot.champions import ChampionChange, LoyaltyMove
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
    sponsors_at_no_review: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "strategic_without_sponsor": self.strategic_without_sponsor,
            "sponsors_over_capacity": [
                {"sponsor": who, "accounts": n} for who, n in self.sponsors_over_capacity
            ],
            "max_accounts": self.max_accounts,
            "sponsors_at_no_review": self.sponsors_at_no_review,
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
    """ISO-8601 in UTC with a Z (the naive form: formatting through a tzinfo is slow)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def surveys(
    latest: Mapping[int, Mapping[str, Any]],
    previous: Mapping[int, Mapping[str, Any]],
    cycles: Mapping[int, tuple[str, datetime | None]],
    names: Mapping[int, str],
) -> dict[int, Survey]:
    """Every account's latest cycle against its previous one, from their stored figures.

    `latest` and `previous` hold each account's figures of its latest and previous cycle
    (`bot.figures`: respondents, satisfaction_mean, answered, promoters, detractors,
    dm_high_risk, dm_trapped, and for the latest what changed since the previous one, `changes`);
    `cycles` the latest cycle's label and when it arrived.
    """
    result = {}
    for account_id, (label, arrived) in cycles.items():
        figures = latest.get(account_id)
        if figures is None:
            result[account_id] = Survey()
            continue
        earlier = previous.get(account_id)
        counts = _counts(figures)
        change: float | None = None
        significant: bool | None = None
        if earlier is not None:
            old = _counts(earlier)
            if old.nps is not None and counts.nps is not None:
                change = counts.nps - old.nps
            significant = insights.nps_change_significant(old, counts)
        changes = (figures.get("changes") or {}) if earlier is not None else {}
        result[account_id] = Survey(
            cycle=label,
            respondents=int(figures["respondents"]),
            nps=counts.nps,
            nps_change=change,
            nps_change_significant=significant,
            satisfaction_mean=float(figures["satisfaction_mean"]),
            risk_reasons=risk_reasons(figures, change, significant),
            champion_changes=tuple(
                ChampionChange(names[account_id], **c) for c in changes.get("champion_changes", [])
            ),
            arrived_at=arrived,
            was_at_risk=earlier is not None and bool(risk_reasons(earlier, None, None)),
            loyalty_moves=tuple(LoyaltyMove(**m) for m in changes.get("loyalty_moves", [])),
        )
    return result


def risk_reasons(
    figures: Mapping[str, Any], nps_change: float | None, significant: bool | None
) -> tuple[str, ...]:
    """The reasons, in the documented order, that hold for one account's cycle figures."""
    holds = (
        figures["dm_high_risk"],
        figures["dm_trapped"],
        figures["satisfaction_mean"] < LOW_SATISFACTION_BELOW,
        bool(significant) and nps_change is not None and nps_change < 0,
    )  # in the order of RISK_REASONS
    return tuple(reason for reason, held in zip(RISK_REASONS, holds, strict=True) if held)


def _counts(figures: Mapping[str, Any]) -> insights.NpsCounts:
    answered, promoters = int(figures["answered"]), int(figures["promoters"])
    detractors = int(figures["detractors"])
    return insights.NpsCounts(promoters, answered - promoters - detractors, detractors, answered)


def coverage(
    strategic_unsponsored: Iterable[str],
    loads: Iterable[tuple[str, int]],
    max_accounts: int,
    at_no_review: Iterable[str] = (),
) -> Coverage:
    """The gaps: strategic accounts with nobody, sponsors with more than they can carry,
    sponsors who were at none of their accounts' reviews."""
    over = sorted(((who, n) for who, n in loads if n > max_accounts), key=lambda p: (-p[1], p[0]))
    return Coverage(
        sorted(strategic_unsponsored, key=str.casefold),
        over,
        max_accounts,
        sorted(at_no_review, key=str.casefold),
    )


def sponsors_at_no_review(
    sponsors: Iterable[str],
    attended: Iterable[tuple[str, str, datetime]],
    now: datetime,
    cadence_days: dict[str, int],
) -> list[str]:
    """Sponsors who attended no review held within the cadence of the account it was for.

    `attended` is (sponsor, account cadence, when) per review that lists the account's sponsor
    among its attendees; a cadence not in `cadence_days` counts as quarterly. Sponsors compare
    as rosters write them, case aside: a sponsor named by email is matched by that email.
    """
    default = cadence_days["quarterly"]
    present = {
        who.lower()
        for who, cadence, at in attended
        if at >= now - timedelta(days=cadence_days.get(cadence, default))
    }
    return [who for who in sponsors if who.lower() not in present]


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
