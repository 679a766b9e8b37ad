"""The demo's content (names, titles, comment texts, plans), read from the package's data files.

Words and plans are content, not logic, so they live in `data/` as TOML and CSV, which the
standard library reads and which ship as package data: they can be edited and reviewed as text
without reading the generator. Order is meaningful everywhere: the generator draws by position,
so reordering a list reshuffles the whole portfolio.

The files are read once, at import, and checked against the vocabulary the generator branches
on, so a typo in a trajectory or a tone fails loudly instead of quietly making an account stable.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import time
from importlib.resources import files
from typing import Any

# Trajectories: how an account's satisfaction moves over the cycles.
STABLE = "stable"
IMPROVING = "improving"
SLIDING = "sliding"
RECENT_DROP = "recent_drop"
TRAPPED = "trapped"
TRAJECTORIES: tuple[str, ...] = (STABLE, IMPROVING, SLIDING, RECENT_DROP, TRAPPED)
STORIES: tuple[str, ...] = (TRAPPED, SLIDING, IMPROVING, RECENT_DROP)  # one notable account each

# Comment tones, tagged by the generator so tests can prove tone always matches the scores.
PRAISE = "praise"
MIXED = "mixed"
COMPLAINT = "complaint"
TONES: tuple[str, ...] = (PRAISE, MIXED, COMPLAINT)

# The customer's people, by the weight their opinion carries.
DECISION_MAKER = "decision_maker"
INFLUENCER = "influencer"
USER = "user"
ROLES: tuple[str, ...] = (DECISION_MAKER, INFLUENCER, USER)

TIERS: tuple[str, ...] = ("strategic", "key", "standard")

Titles = dict[str, tuple[str, ...]]  # role -> job titles
RoleTemplates = dict[str, tuple[str, ...]]  # role -> comment templates
Templates = dict[str, dict[str, RoleTemplates]]  # theme -> tone -> role -> comment templates


@dataclass(frozen=True)
class AccountPlan:
    """What the generator decides about one account before drawing any scores."""

    name: str
    segment: str
    tier: str = "standard"
    trajectory: str = STABLE


@dataclass(frozen=True)
class CommitmentPlan:
    """A past promise; days are relative to `today` so overdue stays overdue whenever you run."""

    account: str
    text: str
    area: str
    due_in_days: int
    status: str = "open"
    done_days_ago: int | None = None
    customer_told: bool = False
    answers: str | None = None


@dataclass(frozen=True)
class MeetingPlan:
    """A review `in_days` from `today` (negative: already held), at a wall-clock time."""

    account: str
    in_days: int
    at: time


def _read(name: str) -> str:
    """Through importlib.resources, so it works from a wheel or a zip as from a checkout."""
    return (files("bot.demo") / "data" / name).read_text(encoding="utf-8")


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(_read(name))


def _titles(table: dict[str, list[str]]) -> Titles:
    """Role -> titles; an unknown role would never be drawn, so it is a mistake in the file."""
    unknown = set(table) - set(ROLES)
    if unknown:
        raise ValueError(f"demo titles for unknown roles: {sorted(unknown)}")
    return {role: tuple(titles) for role, titles in table.items()}


def _account_plans(text: str) -> tuple[tuple[AccountPlan, ...], dict[str, str]]:
    """The roster plan, in file order (a position decides the account manager), and the one
    account per story that the summary points a newcomer to."""
    plans, notable = [], {}
    for row in csv.DictReader(io.StringIO(text)):
        plan = AccountPlan(row["account"], row["segment"], row["tier"], row["trajectory"])
        if plan.tier not in TIERS or plan.trajectory not in TRAJECTORIES:
            raise ValueError(f"demo account {plan.name!r}: unknown tier or trajectory")
        if row["notable"]:
            notable[plan.trajectory] = plan.name
        plans.append(plan)
    if set(notable) != set(STORIES):
        raise ValueError(f"demo accounts: need one notable account per story {STORIES}")
    return tuple(plans), {story: notable[story] for story in STORIES}


def _templates(table: dict[str, dict[str, dict[str, list[str]]]]) -> Templates:
    """Theme -> tone -> role -> templates; a misspelt tone or role would silently never be used."""
    for theme, tones in table.items():
        if not set(tones) <= set(TONES):
            raise ValueError(f"demo comments for {theme!r}: unknown tone in {sorted(tones)}")
        for tone, roles in tones.items():
            if not set(roles) <= set(ROLES):
                raise ValueError(
                    f"demo comments for {theme!r}/{tone}: unknown role in {sorted(roles)}"
                )
    return {
        theme: {
            tone: {role: tuple(texts) for role, texts in roles.items()}
            for tone, roles in tones.items()
        }
        for theme, tones in table.items()
    }


def sentences(text: str) -> list[str]:
    """A comment's sentences, compared without case: the unit people notice repeated."""
    return [part.strip().casefold() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip()]


def _check_comments(templates: Templates, markers: tuple[str, ...]) -> None:
    """Refuse tables that would make a report read wrong.

    A sentence used by two templates could reach two people of one account, and a praise word
    in a complaint would make a dissatisfied person sound happy; both are mistakes in the file.
    """
    counts = Counter(
        sentence
        for tones in templates.values()
        for roles in tones.values()
        for texts in roles.values()
        for text in texts
        for sentence in sentences(text)
    )
    repeated = sorted(sentence for sentence, count in counts.items() if count > 1)
    if repeated:
        raise ValueError(f"demo comments repeat sentences: {repeated}")
    for theme, tones in templates.items():
        for tone, roles in tones.items():
            for text in (text for texts in roles.values() for text in texts):
                praises = any(marker in text.casefold() for marker in markers)
                if praises != (tone == PRAISE):
                    raise ValueError(
                        f"demo comment for {theme!r}/{tone} and its praise words: {text!r}"
                    )


def _commitment_plan(entry: dict[str, Any]) -> CommitmentPlan:
    """A kept promise needs the day it was kept: the loader completes it as of then."""
    plan = CommitmentPlan(**entry)
    if (plan.status == "done") != (plan.done_days_ago is not None):
        raise ValueError(f"demo commitment {plan.text!r}: a done one needs done_days_ago")
    return plan


ACCOUNT_PLANS, NOTABLE_ACCOUNTS = _account_plans(_read("accounts.csv"))

_people = _toml("people.toml")
ACCOUNT_MANAGERS = tuple(_people["team"]["account_managers"])
EMAIL_ACCOUNT_MANAGERS = tuple(_people["team"]["email_account_managers"])
EXEC_SPONSORS = tuple(_people["team"]["exec_sponsors"])
TEAM_MEMBERS = tuple(_people["team"]["members"])
FIRST_NAMES = tuple(_people["names"]["first"])
LAST_NAMES = tuple(_people["names"]["last"])
TITLES: Titles = _titles(_people["titles"])
SEGMENT_TITLES: dict[str, Titles] = {
    segment: _titles(titles) for segment, titles in _people["segment_titles"].items()
}
FINANCE_WORDS = tuple(_people["title_words"]["finance"])
TECH_LEADERS = tuple(_people["title_words"]["tech_leaders"])

_comments = _toml("comments.toml")
PRAISE_MARKERS = tuple(_comments["praise_markers"])
MODULES = tuple(_comments["modules"])
COMMENTS: Templates = _templates(_comments["templates"])
_check_comments(COMMENTS, PRAISE_MARKERS)

_schedule = _toml("plans.toml")
COMMITMENT_PLANS: tuple[CommitmentPlan, ...] = tuple(
    map(_commitment_plan, _schedule["commitments"])
)
UPCOMING_REVIEWS: tuple[MeetingPlan, ...] = tuple(
    MeetingPlan(**entry) for entry in _schedule["upcoming_reviews"]
)
PAST_REVIEWS: tuple[MeetingPlan, ...] = tuple(
    MeetingPlan(**entry) for entry in _schedule["past_reviews"]
)

TRAPPED_ACCOUNT = NOTABLE_ACCOUNTS[TRAPPED]
SLIDING_ACCOUNT = NOTABLE_ACCOUNTS[SLIDING]
IMPROVING_ACCOUNT = NOTABLE_ACCOUNTS[IMPROVING]
RECENT_DROP_ACCOUNT = NOTABLE_ACCOUNTS[RECENT_DROP]


def commitment_plans() -> list[CommitmentPlan]:
    """Promises that answer what the customers said: some kept, some open, some overdue."""
    return list(COMMITMENT_PLANS)


def meeting_plans() -> list[MeetingPlan]:
    """Upcoming reviews for the strategic accounts that most need one."""
    return list(UPCOMING_REVIEWS)


def past_review_plans() -> list[MeetingPlan]:
    """Reviews already held, so digests have a "last time" and commitments a meeting of origin."""
    return list(PAST_REVIEWS)
