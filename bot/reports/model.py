"""The account report's shape: what `/voc account`, `voc account` and the digest all show.

Plain data, so views and the terminal template render it without touching the database;
`to_json` is the shape docs/interface.md promises to scripts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar

from bot import insights
from bot.champions import ChampionChange
from bot.followups.values import FollowupItem, followup_json

Show = Callable[[str | None], str | None]
"""How a surface names a person written as an ID or an email (`Directory.shown`, `.name_of`)."""


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
    themes: list[str] = field(default_factory=list)  # of the comment (bot.themes), if any
    tone: str | None = None


@dataclass(frozen=True)
class ThemeGroup:
    """The comments on one theme, with how they sound: what customers talk about."""

    theme: str
    comments: list[Person]

    @property
    def tones(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for person in self.comments:
            counts[person.tone or "neutral"] = counts.get(person.tone or "neutral", 0) + 1
        return {tone: counts[tone] for tone in TONE_ORDER if tone in counts}


TONE_ORDER = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class OpenCommitment:
    id: int
    text: str
    owner: str
    due: date | None
    status: str
    area: str
    overdue: bool = False

    @property
    def shown_status(self) -> str:
        """`overdue` for an open commitment past its due date in the reader's today, as
        `voc open`, App Home and the digest flag it; else the stored status."""
        return "overdue" if self.overdue else self.status


@dataclass(frozen=True)
class TrendPoint:
    """One cycle of the trend chart: the account against its segment."""

    cycle: str
    nps: float | None
    satisfaction_mean: float | None
    segment_nps: float | None
    segment_satisfaction_mean: float | None
    respondents: int = (
        0  # the account's, shown under each cycle: a figure from 3 people is not one from 30
    )


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
    # Decision makers who left, went silent or changed title since the previous cycle.
    champion_changes: list[ChampionChange] = field(default_factory=list)
    next_cycle_on: date | None = None
    next_meeting_at: datetime | None = None
    flags: list[str] = field(default_factory=list)
    followups: list[FollowupItem] = field(default_factory=list)
    as_of: datetime | None = None  # the moment it was assembled: what "past the SLA" is against
    # Key drivers of the segment where the account is below the segment (bot.drivers.fix_first).
    fix_first: list[insights.AttributeGap] = field(default_factory=list)

    @property
    def has_results(self) -> bool:
        return self.current is not None

    @property
    def comments_by_theme(self) -> list[ThemeGroup]:
        """Comments grouped by theme, most talked-about first ("other" last); within a theme the
        negative ones first, since those are what the review must answer."""
        groups: dict[str, list[Person]] = {}
        for person in self.people:
            if person.comment:
                for theme in person.themes or ["other"]:
                    groups.setdefault(theme, []).append(person)
        rank = {tone: i for i, tone in enumerate(TONE_ORDER)}
        ordered = sorted(groups.items(), key=lambda g: (g[0] == "other", -len(g[1]), g[0]))
        return [
            ThemeGroup(theme, sorted(people, key=lambda p: rank.get(p.tone or "neutral", 1)))
            for theme, people in ordered
        ]

    def with_people(self, show: Show) -> AccountReport:
        """The same report with every person named as the reader's surface shows people: a
        Slack ID (a mention) in Slack, a name in the terminal. Rosters name people by email, and
        an email in a message pings nobody."""
        return replace(
            self,
            account_manager=show(self.account_manager),
            exec_sponsor=show(self.exec_sponsor),
            open_commitments=[_owned_as_shown(item, show) for item in self.open_commitments],
            followups=[_owned_as_shown(item, show) for item in self.followups],
        )

    def to_json(self) -> dict[str, Any]:
        """The shape docs/interface.md promises to scripts; extra keys are allowed, not fewer."""
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
            "champion_changes": [change.to_json() for change in self.champion_changes],
            "next_cycle_on": self.next_cycle_on.isoformat() if self.next_cycle_on else None,
            "next_meeting_at": self.next_meeting_at.isoformat() if self.next_meeting_at else None,
            "flags": self.flags,
            "followups": [followup_json(item) for item in self.followups],
            "fix_first": [_gap_json(gap) for gap in self.fix_first],
        }


def _gap_json(gap: insights.AttributeGap) -> dict[str, Any]:
    return {
        "attribute": gap.attribute,
        "account": _round(gap.account_mean),
        "segment": _round(gap.segment_mean),
        "gap": _round(gap.gap),
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
        "themes": person.themes,
        "tone": person.tone,
    }


def _commitment_json(item: OpenCommitment) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "owner": item.owner,
        "due": item.due.isoformat() if item.due else None,
        "status": item.shown_status,
        "area": item.area,
    }


_Owned = TypeVar("_Owned", OpenCommitment, FollowupItem)


def _owned_as_shown(item: _Owned, show: Show) -> _Owned:
    """The item with its owner as the reader's surface shows them; the item itself when that
    is how it is stored already (an owner picked in Slack is a Slack ID): a report lists a
    few dozen follow-ups, and copying each for nothing was a measurable part of its cost."""
    shown = show(item.owner) or item.owner
    return item if shown == item.owner else replace(item, owner=shown)
