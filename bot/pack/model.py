"""The review pack and the customer update as plain data: what a customer may read, nothing more.

Built by `bot.pack.rules` from the account report, rendered by `bot.pack.render`. Nothing here
holds a Slack ID, an internal note, a follow-up or a per-person loyalty segment: the classes have
no field for them, so a template cannot show them by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Quote:
    text: str
    tone: str
    who: str | None = None  # "Name, Title": only in a pack made with `--named`


@dataclass(frozen=True)
class ThemeSummary:
    """One thing customers talked about: how many comments, how they sounded, a few quotes."""

    theme: str
    comments: int
    tones: dict[str, int]
    quotes: list[Quote]


@dataclass(frozen=True)
class Done:
    text: str
    done_on: date
    function: str


@dataclass(frozen=True)
class InProgress:
    text: str
    due: date | None
    owner: str  # a person's name, or the function that acts: never a Slack ID or an email


@dataclass(frozen=True)
class CycleResult:
    cycle: str
    respondents: int
    nps: float | None
    satisfaction_mean: float | None


@dataclass(frozen=True)
class NamedAnswer:
    """A person's scores, printed only with `--named`."""

    name: str
    title: str | None
    satisfaction: float
    recommend: float | None


@dataclass(frozen=True)
class ReviewPack:
    company: str
    logo_uri: str | None
    account: str
    cycle: str | None
    prepared_on: date
    current: CycleResult | None
    previous: CycleResult | None
    trend: list[CycleResult]
    chart_uri: str | None
    themes: list[ThemeSummary]
    last_review_on: date | None
    done: list[Done]
    in_progress: list[InProgress]
    questions: tuple[str, ...]
    next_review_at: datetime | None  # in the deployment's timezone
    named: bool = False
    answers: list[NamedAnswer] = field(default_factory=list)


@dataclass(frozen=True)
class FunctionWork:
    """What one function did (or is doing), with examples that name no customer's people."""

    function: str
    count: int
    examples: list[str]


@dataclass(frozen=True)
class ThemeCount:
    theme: str
    comments: int


@dataclass(frozen=True)
class CustomerUpdate:
    company: str
    logo_uri: str | None
    cycle: str | None
    prepared_on: date
    customers: int
    people: int
    themes: list[ThemeCount]
    done: list[FunctionWork]
    next: list[FunctionWork]
    next_cycle_on: date | None
