"""The sample portfolio, generated: pure functions from a seed and `today` to DataFrames.

Nothing here touches a database or a file outside the package. Every random draw comes from a
`random.Random` seeded per account and purpose with a fixed seed, so two runs (and two machines)
produce the same people, scores and comments; only the dates follow `today`, which is what keeps
the demo's latest cycle the current quarter whatever day it is loaded.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from bot.core.cycles import cycle_start
from bot.demo.tables import (
    ACCOUNT_MANAGERS,
    ACCOUNT_PLANS,
    COMMENTS,
    COMPLAINT,
    DECISION_MAKER,
    EMAIL_ACCOUNT_MANAGERS,
    EXEC_SPONSORS,
    FINANCE_WORDS,
    FIRST_NAMES,
    IMPROVING,
    INFLUENCER,
    LAST_NAMES,
    MIXED,
    MODULES,
    PRAISE,
    RECENT_DROP,
    SEGMENT_TITLES,
    SLIDING,
    TEAM_MEMBERS,
    TECH_LEADERS,
    TITLES,
    TRAPPED,
    USER,
    AccountPlan,
)

DEMO_SEED = 20260417
CYCLE_COUNT = 6
MIN_RESPONDENTS = 3
MAX_RESPONDENTS = 9

ATTRIBUTES: tuple[str, ...] = ("support", "product quality", "onboarding", "value for money")
RATING_COLUMNS: tuple[str, ...] = tuple(f"rating:{name}" for name in ATTRIBUTES)
ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account",
    "segment",
    "tier",
    "annual_revenue",
    "account_manager",
    "exec_sponsor",
    "team",
    "channel",
    "cadence",
)
RESPONSE_COLUMNS: tuple[str, ...] = (
    "account",
    "cycle",
    "respondent",
    "title",
    "email",
    "role",
    "responded_on",
    "source",
    "satisfaction",
    "recommend",
    "continue",
    *RATING_COLUMNS,
    "comment",
)


def slugify(name: str) -> str:
    """`Meridian Children's Hospital` -> `meridian-childrens-hospital`, valid in a channel name."""
    text = name.casefold().replace("'", "").replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _account_rng(name: str, purpose: str) -> random.Random:
    """One stream per account and purpose: adding an account never reshuffles the others."""
    return random.Random(f"{DEMO_SEED}:{purpose}:{name}")


# --------------------------------------------------------------------------------------------
# Cycles


@dataclass(frozen=True)
class DemoCycle:
    """One survey wave: a calendar quarter, labelled the way teams name them (`2026-Q2`)."""

    label: str
    starts_on: date
    ends_on: date


def _quarter(index: int) -> tuple[str, date]:
    """Label and first day of the `index`-th quarter since year 0.

    The day is read from the label by `bot.core.cycles`, the rule the importer orders cycles by,
    so the demo's cycles start exactly where an imported `2026-Q2` would.
    """
    year, quarter = divmod(index, 4)
    label = f"{year}-Q{quarter + 1}"
    starts = cycle_start(label)
    if starts is None:  # every `YYYY-Qn` names a period; this guards the rule changing
        raise ValueError(f"{label!r} no longer reads as a quarter")
    return label, starts


def demo_cycles(today: date, count: int = CYCLE_COUNT) -> list[DemoCycle]:
    """The `count` quarters ending with the one `today` falls in, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3  # quarters since year 0
    cycles = []
    for i in range(index - count + 1, index + 1):
        label, starts = _quarter(i)
        _, next_starts = _quarter(i + 1)
        cycles.append(DemoCycle(label, starts, next_starts - timedelta(days=1)))
    return cycles


# --------------------------------------------------------------------------------------------
# Accounts roster


def _revenue(rng: random.Random, tier: str) -> float:
    """Whole thousands, in the tier's band, so a strategic account is visibly worth more."""
    low, high = {"strategic": (2_000, 8_500), "key": (600, 2_000)}.get(tier, (60, 550))
    return float(rng.randint(low, high) * 1000)


def _account_row(plan: AccountPlan, position: int) -> dict[str, Any]:
    """One roster row; the position (not a draw) spreads the team, so it stays balanced."""
    rng = _account_rng(plan.name, "roster")
    # Email-only AMs look after a few standard accounts; the notable ones keep Slack IDs so the
    # commitments and reminders demo reaches a real-looking Slack user.
    if plan.tier == "standard" and position % 7 == 3:
        manager = EMAIL_ACCOUNT_MANAGERS[position % len(EMAIL_ACCOUNT_MANAGERS)]
    else:
        manager = ACCOUNT_MANAGERS[position % len(ACCOUNT_MANAGERS)]
    sponsor = ""
    if plan.tier == "strategic" or (plan.tier == "key" and rng.random() < 0.3):
        sponsor = EXEC_SPONSORS[position % len(EXEC_SPONSORS)]
    team_size = {"strategic": 3, "key": 2}.get(plan.tier, rng.randint(0, 1))
    team = rng.sample(TEAM_MEMBERS, team_size)
    cadence = "monthly" if plan.tier == "strategic" or rng.random() < 0.1 else "quarterly"
    return {
        "account": plan.name,
        "segment": plan.segment,
        "tier": plan.tier,
        "annual_revenue": _revenue(rng, plan.tier),
        "account_manager": manager,
        "exec_sponsor": sponsor,
        "team": ", ".join(team),
        "channel": f"#acct-{slugify(plan.name)}",
        "cadence": cadence,
    }


def generate_accounts() -> pd.DataFrame:
    """The roster, in the columns of docs/data-formats.md (what `voc import accounts` reads)."""
    rows = [_account_row(plan, i) for i, plan in enumerate(ACCOUNT_PLANS)]
    return pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS))


def with_team(accounts: pd.DataFrame, people: Sequence[str]) -> pd.DataFrame:
    """The roster with `people` appended to every account's `team` cell.

    The demo's own team members are made-up Slack IDs, so nobody real may open a demo account
    in Slack; naming real people here (`voc demo --team`) lets them. They go into the cell the
    importer reads, so they are checked and stored exactly like a customer's roster entries.
    """
    if not people:
        return accounts
    extra = ", ".join(people)
    team = accounts["team"].map(lambda cell: f"{cell}, {extra}" if cell else extra)
    return accounts.assign(team=team)


def account_trajectories() -> dict[str, str]:
    """Account name -> the story its scores tell (stable, improving, sliding, …)."""
    return {plan.name: plan.trajectory for plan in ACCOUNT_PLANS}


# --------------------------------------------------------------------------------------------
# The customer's people


@dataclass
class Person:
    """Someone at the customer who answers some cycles; mutable only while the cast is drawn."""

    name: str
    title: str
    role: str
    email: str | None
    offset: float  # how much kinder or harsher than the account's mood this person scores
    joins: int  # first cycle index this person answers in
    leaves: int  # first cycle index they no longer answer in


def _pick_title(rng: random.Random, role: str, segment: str) -> str:
    options = TITLES[role] + SEGMENT_TITLES.get(segment, {}).get(role, ())
    return rng.choice(options)


def _new_person(
    rng: random.Random, plan: AccountPlan, role: str, taken: set[str], joins: int
) -> Person:
    """A new name within the account (two people of one name would merge into one respondent)."""
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if name not in taken:
            taken.add(name)
            break
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".casefold())
    # A few people come from interview notes without an email; their name identifies them.
    email = None if rng.random() < 0.05 else f"{local}@{slugify(plan.name)}.example"
    role_bias = {DECISION_MAKER: 0.2, INFLUENCER: 0.0, USER: -0.25}[role]
    return Person(
        name=name,
        title=_pick_title(rng, role, plan.segment),
        role=role,
        email=email,
        offset=rng.gauss(role_bias, 0.6),
        joins=joins,
        leaves=CYCLE_COUNT,
    )


def _initial_size(rng: random.Random, tier: str) -> int:
    """Bigger accounts put more people in front of the survey."""
    low, high = {"strategic": (7, 8), "key": (5, 6)}.get(tier, (3, 5))
    return rng.randint(low, high)


def _cast(rng: random.Random, plan: AccountPlan) -> list[Person]:
    """Everyone who answers at some point: a core group, leavers and newcomers along the way."""
    taken: set[str] = set()
    size = _initial_size(rng, plan.tier)
    roles = [DECISION_MAKER, INFLUENCER, INFLUENCER] + [USER] * max(0, size - 3)
    if size >= 7:
        roles[3] = DECISION_MAKER
    people = [_new_person(rng, plan, role, taken, 0) for role in roles[:size]]
    for cycle in range(1, CYCLE_COUNT):
        active = [p for p in people if p.joins <= cycle < p.leaves]
        if len(active) > MIN_RESPONDENTS + 1 and rng.random() < 0.3:
            rng.choice(active).leaves = cycle
            active = [p for p in people if p.joins <= cycle < p.leaves]
        if len(active) < MAX_RESPONDENTS and rng.random() < 0.35:
            role = rng.choice((INFLUENCER, USER, USER))
            people.append(_new_person(rng, plan, role, taken, cycle))
    return people


def _answering(rng: random.Random, people: Sequence[Person], cycle: int) -> list[Person]:
    """Those active this cycle, minus a few who skip it (holidays, survey fatigue)."""
    active = [p for p in people if p.joins <= cycle < p.leaves]
    present = [p for p in active if rng.random() >= 0.08]
    for person in active:  # never fewer than three: a report of two people is not a demo
        if len(present) >= MIN_RESPONDENTS:
            break
        if person not in present:
            present.append(person)
    return sorted(present, key=active.index)[:MAX_RESPONDENTS]


# --------------------------------------------------------------------------------------------
# Scores


@dataclass(frozen=True)
class Mood:
    """An account's expected scores in one cycle, before each person's own noise."""

    satisfaction: float
    attributes: dict[str, float]


def _clamp_score(value: float, low: int = 0, high: int = 10) -> int:
    """A whole score on the survey's 0–10 scale, whatever the noise drew."""
    return int(min(high, max(low, round(value))))


def _account_base(rng: random.Random) -> tuple[float, dict[str, float]]:
    """A stable account's own level and strengths, so no two stable accounts look alike."""
    base = rng.uniform(6.9, 8.9)
    offsets = {attribute: rng.gauss(0.0, 0.6) for attribute in ATTRIBUTES}
    return base, offsets


def _mood(
    trajectory: str, base: float, offsets: dict[str, float], cycle: int, rng: random.Random
) -> Mood:
    """Satisfaction level and attribute offsets for one cycle of a trajectory."""
    attributes = dict(offsets)
    last = CYCLE_COUNT - 1
    if trajectory == IMPROVING:
        level = 5.2 + 0.6 * cycle
        attributes["onboarding"] = offsets["onboarding"] - 1.8 + 0.5 * cycle
    elif trajectory == SLIDING:
        level = 8.5 - 0.6 * cycle
        attributes["support"] = offsets["support"] - 0.35 * cycle
    elif trajectory == RECENT_DROP:
        level = 8.6 if cycle < last else 4.3
        if cycle == last:
            attributes["product quality"] = -2.0
            attributes["support"] = -1.2
    elif trajectory == TRAPPED:
        level = 4.7 - 0.12 * cycle
        attributes["value for money"] = -1.8
        attributes["support"] = -1.0
    else:
        level = base + rng.gauss(0.0, 0.25)
    return Mood(level, attributes)


def _scores(
    rng: random.Random, person: Person, mood: Mood, trajectory: str, latest: bool
) -> dict[str, Any]:
    """One person's answers: recommend and continue follow satisfaction, unless a story bends."""
    satisfaction = _clamp_score(mood.satisfaction + person.offset + rng.gauss(0.0, 0.7))
    recommend: int | None = _clamp_score(satisfaction + rng.gauss(-0.3, 0.9))
    cont: int | None = _clamp_score(satisfaction + rng.gauss(0.8, 0.8))
    if trajectory == TRAPPED:
        # Attitude negative by construction, behaviour positive: they renew because they must.
        satisfaction = min(satisfaction, 6)
        recommend = _clamp_score(satisfaction - 1.5 + rng.gauss(0.0, 0.9), high=6)
        cont = _clamp_score(rng.gauss(8.6, 0.8), low=7)
    elif trajectory == RECENT_DROP and latest:
        cont = _clamp_score(satisfaction + rng.gauss(0.3, 0.8))
    else:
        if rng.random() < 0.05:
            recommend = None
        if rng.random() < 0.05:
            cont = None
    ratings: dict[str, int | None] = {}
    for attribute in ATTRIBUTES:
        skipped = rng.random() < 0.05 or (
            attribute == "value for money" and person.role == USER and rng.random() < 0.5
        )
        value = mood.attributes[attribute] + satisfaction + rng.gauss(0.0, 0.9)
        ratings[attribute] = None if skipped else _clamp_score(value)
    return {
        "satisfaction": satisfaction,
        "recommend": recommend,
        "continue": cont,
        "ratings": ratings,
    }


# --------------------------------------------------------------------------------------------
# Comments


def comment_tone(satisfaction: float, recommend: float | None) -> str:
    """Praise only from the genuinely happy; anyone dissatisfied complains, whatever else."""
    if satisfaction <= 6 or (recommend is not None and recommend <= 4):
        return COMPLAINT
    if satisfaction >= 9 and (recommend is None or recommend >= 8):
        return PRAISE
    return MIXED


def _theme(person: Person, ratings: dict[str, int | None], tone: str) -> str:
    """What the person talks about: their worst attribute when unhappy, best when happy."""
    rated = {k: v for k, v in ratings.items() if v is not None} or {"support": 5}
    if tone == PRAISE:
        theme = max(rated, key=lambda k: (rated[k], k))
    else:
        theme = min(rated, key=lambda k: (rated[k], k))
    title = person.title.casefold()
    if tone != PRAISE and any(word in title for word in FINANCE_WORDS):
        return "billing"
    if theme == "product quality" and person.title in TECH_LEADERS:
        return "roadmap"
    return theme


# How many texts each (theme, tone) had when the portfolio's scores were fixed. The main stream
# still draws one index among that many for every comment, so the draws after it (the next
# person's scores) stay where they were; which text is written comes from its own stream, so
# the comment tables can grow and change without moving a single score.
_STREAM_DRAWS: dict[tuple[str, str], int] = {
    ("support", COMPLAINT): 4,
    ("support", MIXED): 3,
    ("support", PRAISE): 3,
    ("product quality", COMPLAINT): 3,
    ("product quality", MIXED): 2,
    ("product quality", PRAISE): 3,
    ("onboarding", COMPLAINT): 3,
    ("onboarding", MIXED): 2,
    ("onboarding", PRAISE): 2,
    ("value for money", COMPLAINT): 3,
    ("value for money", MIXED): 2,
    ("value for money", PRAISE): 2,
    ("billing", COMPLAINT): 3,
    ("billing", MIXED): 2,
    ("billing", PRAISE): 2,  # billing has no praise: praise of value for money stands in
    ("roadmap", COMPLAINT): 3,
    ("roadmap", MIXED): 2,
    ("roadmap", PRAISE): 1,
    (TRAPPED, COMPLAINT): 5,
    (RECENT_DROP, COMPLAINT): 3,
}
_STORY_THEMES = (TRAPPED, RECENT_DROP)  # only their own accounts talk about them


def _pools(theme: str, tone: str, role: str) -> Iterable[Sequence[str]]:
    """Where to look for a text, nearest first: the person's role on the theme, the theme's
    other roles, then the same tone on any ordinary theme, so a busy cycle never runs dry."""
    roles = COMMENTS[theme].get(tone) or COMMENTS["value for money"][tone]
    yield roles.get(role, ())
    for other, texts in roles.items():
        if other != role:
            yield texts
    for name, tones in COMMENTS.items():
        if name not in _STORY_THEMES:
            for texts in tones.get(tone, {}).values():
                yield texts


def _fresh_text(pick: random.Random, theme: str, tone: str, role: str, used: set[str]) -> str:
    """A text nobody else in this account wrote this cycle (`used`), which it joins."""
    for pool in _pools(theme, tone, role):
        fresh = [text for text in pool if text not in used]
        if fresh:
            text = pick.choice(fresh)
            used.add(text)
            return text
    raise ValueError(f"demo comments: too few {tone} texts for one account's cycle")


@dataclass
class CommentDraw:
    """The comment stream of one account's cycle: its own random draws and the texts it used."""

    pick: random.Random
    used: set[str]


def _comment_draw(plan: AccountPlan, index: int) -> CommentDraw:
    """Seeded by the cycle's position, not its label, so only `{month}` follows `today`."""
    return CommentDraw(_account_rng(plan.name, f"comments:{index}"), set())


def _comment(
    rng: random.Random,
    person: Person,
    scores: dict[str, Any],
    trajectory: str,
    latest: bool,
    cycle: DemoCycle,
    interview: bool,
    draw: CommentDraw,
) -> tuple[str | None, str | None]:
    """(comment, tone): unhappy people write more often; interview notes always have words."""
    tone = comment_tone(scores["satisfaction"], scores["recommend"])
    chance = {COMPLAINT: 0.85, MIXED: 0.6, PRAISE: 0.65}[tone]
    if not interview and rng.random() >= chance:
        return None, None
    theme = _theme(person, scores["ratings"], tone)
    if trajectory == TRAPPED and tone == COMPLAINT and rng.random() < 0.7:
        theme = TRAPPED
    elif trajectory == RECENT_DROP and latest and tone == COMPLAINT:
        theme = RECENT_DROP
    rng.randrange(_STREAM_DRAWS[theme, tone])  # keeps the main stream in step (see above)
    template = _fresh_text(draw.pick, theme, tone, person.role, draw.used)
    outage_month = (cycle.starts_on + timedelta(days=20)).strftime("%B")
    text = template.format(
        days=rng.randint(6, 15),
        n=rng.randint(4, 12),
        module=rng.choice(MODULES),
        month=outage_month,
    )
    return text[0].upper() + text[1:], tone


# --------------------------------------------------------------------------------------------
# Responses


def _responded_on(rng: random.Random, cycle: DemoCycle, today: date) -> date:
    """Survey waves run in weeks 2–7 of the quarter; the current one only up to today."""
    share = rng.random()  # drawn whatever the window, so `today` never shifts later draws
    start = cycle.starts_on + timedelta(days=10)
    end = min(cycle.starts_on + timedelta(days=50), today)
    if end <= start:
        return max(cycle.starts_on, min(end, today))
    return start + timedelta(days=round(share * (end - start).days))


def _is_interview(rng: random.Random, plan: AccountPlan, person: Person) -> bool:
    """Interviews are for the people who decide, and mostly at the accounts worth the time."""
    if person.role == USER:
        return rng.random() < 0.03
    chance = {"strategic": 0.4, "key": 0.2}.get(plan.tier, 0.05)
    return rng.random() < chance


def _account_responses(
    plan: AccountPlan, cycles: Sequence[DemoCycle], today: date
) -> Iterable[dict[str, Any]]:
    """Every answer one account gives, drawn from one stream in a fixed order."""
    rng = _account_rng(plan.name, "responses")
    people = _cast(rng, plan)
    base, offsets = _account_base(rng)
    for index, cycle in enumerate(cycles):
        latest = index == len(cycles) - 1
        mood = _mood(plan.trajectory, base, offsets, index, rng)
        draw = _comment_draw(plan, index)
        for person in _answering(rng, people, index):
            scores = _scores(rng, person, mood, plan.trajectory, latest)
            interview = _is_interview(rng, plan, person)
            comment, tone = _comment(
                rng, person, scores, plan.trajectory, latest, cycle, interview, draw
            )
            row: dict[str, Any] = {
                "account": plan.name,
                "cycle": cycle.label,
                "respondent": person.name,
                "title": person.title,
                "email": person.email,
                "role": person.role,
                "responded_on": _responded_on(rng, cycle, today),
                "source": "interview" if interview else "survey",
                "satisfaction": scores["satisfaction"],
                "recommend": scores["recommend"],
                "continue": scores["continue"],
                "comment": comment,
                "_tone": tone,
            }
            for attribute, value in scores["ratings"].items():
                row[f"rating:{attribute}"] = value
            yield row


def _score_column(values: pd.Series) -> pd.Series:
    """Whole-number scores, blank where not answered, as a spreadsheet would hold them."""
    return pd.to_numeric(values, errors="coerce").astype("Int64")


def _responses_with_tones(today: date) -> pd.DataFrame:
    """The responses file plus a `_tone` column the importer never sees (tests check it)."""
    cycles = demo_cycles(today)
    rows = [row for plan in ACCOUNT_PLANS for row in _account_responses(plan, cycles, today)]
    frame = pd.DataFrame(rows, columns=[*RESPONSE_COLUMNS, "_tone"])
    for column in ("satisfaction", "recommend", "continue", *RATING_COLUMNS):
        frame[column] = _score_column(frame[column])
    return frame


@dataclass(frozen=True)
class DemoPortfolio:
    """Everything the demo loads, as the importer reads it, plus the generator's own labels."""

    today: date
    cycles: list[DemoCycle]
    accounts: pd.DataFrame
    responses: pd.DataFrame
    comment_tones: pd.Series  # aligned with `responses`; None where there is no comment
    trajectories: dict[str, str]


def generate_portfolio(today: date | None = None) -> DemoPortfolio:
    """The whole sample, deterministic for a given `today` (which only moves the dates)."""
    today = today or date.today()
    frame = _responses_with_tones(today)
    tones = frame.pop("_tone").rename("tone")
    return DemoPortfolio(
        today=today,
        cycles=demo_cycles(today),
        accounts=generate_accounts(),
        responses=frame,
        comment_tones=tones,
        trajectories=account_trajectories(),
    )


def generate_responses(today: date | None = None) -> pd.DataFrame:
    """The responses file in the columns of docs/data-formats.md (`voc import responses`)."""
    return generate_portfolio(today).responses
