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
from datetime import date, time, timedelta
from typing import Any

import pandas as pd

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

# Trajectories: how an account's satisfaction moves over the six cycles.
STABLE = "stable"
IMPROVING = "improving"
SLIDING = "sliding"
RECENT_DROP = "recent_drop"
TRAPPED = "trapped"

# Comment tones, tagged by the generator so tests can prove tone always matches the scores.
PRAISE = "praise"
MIXED = "mixed"
COMPLAINT = "complaint"

TRAPPED_ACCOUNT = "Halvorsen Freight Group"
SLIDING_ACCOUNT = "Pinecrest Mutual Insurance"
IMPROVING_ACCOUNT = "Northwind Medical Group"
RECENT_DROP_ACCOUNT = "Brightwater Utilities Authority"
NOTABLE_ACCOUNTS: dict[str, str] = {
    TRAPPED: TRAPPED_ACCOUNT,
    SLIDING: SLIDING_ACCOUNT,
    IMPROVING: IMPROVING_ACCOUNT,
    RECENT_DROP: RECENT_DROP_ACCOUNT,
}

# Words that only ever appear in praise; a dissatisfied person's comment must contain none.
PRAISE_MARKERS: tuple[str, ...] = (
    "excellent",
    "great",
    "love",
    "worth every penny",
    "appreciated",
    "painless",
    "rock solid",
    "reason we stay",
    "just works",
    "really useful",
)

# --------------------------------------------------------------------------------------------
# The cast: account teams on our side


ACCOUNT_MANAGERS: tuple[str, ...] = tuple(f"U0DEMOAM{n:02d}" for n in range(1, 9))
# Spreadsheets often name the owner by email (a partner AM, someone not yet on Slack).
EMAIL_ACCOUNT_MANAGERS: tuple[str, ...] = (
    "jordan.ellis@vendor.example",
    "mei.takahashi@vendor.example",
)
EXEC_SPONSORS: tuple[str, ...] = tuple(f"U0DEMOEX{n:02d}" for n in range(1, 5))
TEAM_MEMBERS: tuple[str, ...] = (
    *(f"U0DEMOSE{n:02d}" for n in range(1, 5)),  # solution engineers
    *(f"U0DEMOCS{n:02d}" for n in range(1, 5)),  # customer success managers
    "renata.silva@vendor.example",
    "tom.okafor@vendor.example",
)


@dataclass(frozen=True)
class AccountPlan:
    """What the generator decides about one account before drawing any scores."""

    name: str
    segment: str
    tier: str = "standard"
    trajectory: str = STABLE


def _plans() -> list[AccountPlan]:
    """Sixty accounts; names invented, with the odd `&` and apostrophe that real names have."""
    s, k = "strategic", "key"
    return [
        # Enterprise
        AccountPlan(TRAPPED_ACCOUNT, "Enterprise", s, TRAPPED),
        AccountPlan(SLIDING_ACCOUNT, "Enterprise", k, SLIDING),
        AccountPlan("Atlas Ridge Manufacturing", "Enterprise", s),
        AccountPlan("Corvane Retail Holdings", "Enterprise", s),
        AccountPlan("Harborline Financial Services", "Enterprise", s),
        AccountPlan("Bluefin Logistics", "Enterprise", k),
        AccountPlan("Kestrel Aerospace Components", "Enterprise", k),
        AccountPlan("Ironbridge Construction", "Enterprise", k, IMPROVING),
        AccountPlan("Solano Foods International", "Enterprise", k),
        AccountPlan("Vantage Point Telecom", "Enterprise", k, SLIDING),
        AccountPlan("Marlow & Finch Legal", "Enterprise"),
        AccountPlan("Quarry Hill Mining", "Enterprise"),
        AccountPlan("Tidewater Shipping Lines", "Enterprise"),
        AccountPlan("Crescent Bay Hotels", "Enterprise"),
        AccountPlan("Greywell Chemicals", "Enterprise"),
        AccountPlan("Orchard Lane Beverages", "Enterprise"),
        AccountPlan("Summit Peak Energy", "Enterprise"),
        AccountPlan("Redcliff Automotive", "Enterprise"),
        # Mid-Market
        AccountPlan("Copperleaf Software", "Mid-Market", k, IMPROVING),
        AccountPlan("Nimbus Cloud Hosting", "Mid-Market", k, SLIDING),
        AccountPlan("Juniper Analytics", "Mid-Market", k),
        AccountPlan("Fernwood Outdoor Supply", "Mid-Market"),
        AccountPlan("Lumen & Co Design", "Mid-Market"),
        AccountPlan("Brackett Engineering", "Mid-Market"),
        AccountPlan("Driftwood Furniture Co", "Mid-Market"),
        AccountPlan("Elm Street Credit Union", "Mid-Market"),
        AccountPlan("Foxglove Cosmetics", "Mid-Market"),
        AccountPlan("Granger Precision Tools", "Mid-Market"),
        AccountPlan("Hollis Brothers Printing", "Mid-Market"),
        AccountPlan("Keel & Anchor Marine", "Mid-Market"),
        AccountPlan("Larkspur Travel", "Mid-Market"),
        AccountPlan("Maple Hollow Dairy", "Mid-Market"),
        AccountPlan("Oakridge Staffing", "Mid-Market"),
        AccountPlan("Prairie Wind Agriculture", "Mid-Market"),
        AccountPlan("Rivet Robotics", "Mid-Market"),
        AccountPlan("Saltmarsh Seafood Traders", "Mid-Market"),
        # Public Sector
        AccountPlan(RECENT_DROP_ACCOUNT, "Public Sector", s, RECENT_DROP),
        AccountPlan("Northfield County Council", "Public Sector", k),
        AccountPlan("Riverton Transit District", "Public Sector", k, SLIDING),
        AccountPlan("Lakeshore School District", "Public Sector", k, IMPROVING),
        AccountPlan("City of Ashbury", "Public Sector"),
        AccountPlan("Eastvale Department of Parks", "Public Sector"),
        AccountPlan("Westmarch Public Library System", "Public Sector"),
        AccountPlan("Cedar Falls Housing Authority", "Public Sector"),
        AccountPlan("Port of Graystone", "Public Sector"),
        AccountPlan("Millbrook Fire & Rescue", "Public Sector"),
        AccountPlan("Kingsford Regional Water Board", "Public Sector"),
        AccountPlan("Three Rivers Community College", "Public Sector"),
        # Healthcare
        AccountPlan(IMPROVING_ACCOUNT, "Healthcare", k, IMPROVING),
        AccountPlan("St. Aldric Health System", "Healthcare", s),
        AccountPlan("Meridian Children's Hospital", "Healthcare", k),
        AccountPlan("Clearwater Clinics", "Healthcare", k),
        AccountPlan("Bayview Orthopedics", "Healthcare"),
        AccountPlan("Evergreen Senior Living", "Healthcare"),
        AccountPlan("Harmony Behavioral Health", "Healthcare"),
        AccountPlan("Lindenwood Dental Partners", "Healthcare"),
        AccountPlan("Silverline Diagnostics", "Healthcare"),
        AccountPlan("Upland Rural Health Network", "Healthcare"),
        AccountPlan("Valemont Pharmacy Group", "Healthcare"),
        AccountPlan("Whitestone Rehabilitation Center", "Healthcare"),
    ]


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
    label: str
    starts_on: date
    ends_on: date


def _quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def demo_cycles(today: date, count: int = CYCLE_COUNT) -> list[DemoCycle]:
    """The `count` quarters ending with the one `today` falls in, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3  # quarters since year 0
    cycles = []
    for i in range(index - count + 1, index + 1):
        year, quarter = divmod(i, 4)
        starts = _quarter_start(year, quarter + 1)
        next_year, next_quarter = divmod(i + 1, 4)
        ends = _quarter_start(next_year, next_quarter + 1) - timedelta(days=1)
        cycles.append(DemoCycle(f"{year}-Q{quarter + 1}", starts, ends))
    return cycles


# --------------------------------------------------------------------------------------------
# Accounts roster


def _revenue(rng: random.Random, tier: str) -> float:
    low, high = {"strategic": (2_000, 8_500), "key": (600, 2_000)}.get(tier, (60, 550))
    return float(rng.randint(low, high) * 1000)


def _account_row(plan: AccountPlan, position: int) -> dict[str, Any]:
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
    """The roster, in the columns of data-formats.md (what `voc import accounts` reads)."""
    rows = [_account_row(plan, i) for i, plan in enumerate(_plans())]
    return pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS))


def account_trajectories() -> dict[str, str]:
    """Account name -> the story its scores tell (stable, improving, sliding, …)."""
    return {plan.name: plan.trajectory for plan in _plans()}


# --------------------------------------------------------------------------------------------
# The customer's people

FIRST_NAMES: tuple[str, ...] = (
    "Aisha", "Alejandro", "Amara", "Andrea", "Anil", "Ben", "Bianca", "Carlos", "Chen", "Chloe",
    "Claire", "Daniel", "Deepa", "Diego", "Elena", "Emeka", "Emily", "Farah", "Fiona", "Gareth",
    "Grace", "Hannah", "Hiro", "Ibrahim", "Ines", "Isaac", "James", "Jana", "Jin", "Joanna",
    "Jonas", "Karen", "Kofi", "Laura", "Leila", "Liam", "Lucia", "Marcus", "Maria", "Mateo",
    "Megan", "Miguel", "Nadia", "Naomi", "Nikhil", "Olga", "Omar", "Paul", "Priya", "Rachel",
    "Rahul", "Rosa", "Ruth", "Samir", "Sara", "Sean", "Sofia", "Stefan", "Tariq", "Tessa",
    "Thomas", "Valentina", "Victor", "Wei", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Baker", "Banerjee", "Becker", "Brennan",
    "Castillo", "Chowdhury", "Costa", "Dubois", "Eriksson", "Fischer", "Fitzgerald", "Garcia",
    "Goldberg", "Haddad", "Hansen", "Hughes", "Ito", "Jensen", "Kaur", "Kowalski", "Larsen",
    "Lindqvist", "Lopez", "MacLeod", "Mehta", "Moreau", "Murphy", "Nakamura", "Novak",
    "Nwosu", "O'Brien", "Okonkwo", "Patel", "Petrov", "Quinn", "Rahman", "Reyes", "Rossi",
    "Santos", "Schmidt", "Shah", "Sullivan", "Tanaka", "Torres", "Van Dijk", "Walsh", "Weber",
    "Whitaker", "Yilmaz", "Zhang",
)  # fmt: skip

DECISION_MAKER = "decision_maker"
INFLUENCER = "influencer"
USER = "user"

_TITLES: dict[str, tuple[str, ...]] = {
    DECISION_MAKER: (
        "CIO",
        "CTO",
        "VP Procurement",
        "Head of Finance",
        "COO",
        "VP Operations",
        "Director of IT",
        "Chief Digital Officer",
    ),
    INFLUENCER: (
        "IT Operations Manager",
        "Procurement Manager",
        "Finance Manager",
        "Enterprise Architect",
        "Head of Customer Service",
        "Programme Manager",
        "Information Security Lead",
        "Training Manager",
    ),
    USER: (
        "Service Desk Analyst",
        "Operations Analyst",
        "Accounts Payable Specialist",
        "Systems Administrator",
        "Planning Coordinator",
        "Office Manager",
        "Reporting Analyst",
    ),
}
_SEGMENT_TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "Healthcare": {
        DECISION_MAKER: ("Chief Medical Information Officer", "Director of Clinical Systems"),
        INFLUENCER: ("Clinical Applications Lead", "Practice Manager"),
        USER: ("Nurse Informaticist", "Patient Scheduling Coordinator"),
    },
    "Public Sector": {
        DECISION_MAKER: ("Director of Digital Services", "Chief Financial Officer"),
        INFLUENCER: ("Contracts Manager", "Digital Transformation Lead"),
        USER: ("Case Officer", "Dispatch Supervisor"),
    },
}
_FINANCE_WORDS = ("finance", "financial", "procurement", "accounts payable", "contracts")
_TECH_LEADERS = ("CIO", "CTO", "Director of IT", "Enterprise Architect", "Chief Digital Officer")


@dataclass
class Person:
    name: str
    title: str
    role: str
    email: str | None
    offset: float  # how much kinder or harsher than the account's mood this person scores
    joins: int  # first cycle index this person answers in
    leaves: int  # first cycle index they no longer answer in


def _pick_title(rng: random.Random, role: str, segment: str) -> str:
    options = _TITLES[role] + _SEGMENT_TITLES.get(segment, {}).get(role, ())
    return rng.choice(options)


def _new_person(
    rng: random.Random, plan: AccountPlan, role: str, taken: set[str], joins: int
) -> Person:
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
    return int(min(high, max(low, round(value))))


def _account_base(rng: random.Random) -> tuple[float, dict[str, float]]:
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

_COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "support": {
        COMPLAINT: (
            "Support tickets sit for {days} days before anyone replies, and then we get asked "
            "for the same logs again.",
            "Every P2 ticket turns into a chase. We escalated twice this quarter just to get a "
            "first response.",
            "Your support team is polite but slow. {days} days for a login bug is not "
            "acceptable for a system we run the business on.",
            "We keep being bounced between first-line support and engineering. Nobody owns "
            "our tickets.",
        ),
        MIXED: (
            "Support gets there in the end, but first responses could be faster.",
            "Most tickets are handled fine; the odd one falls through the cracks and we have "
            "to chase.",
            "Good people on the support desk, but weekend coverage is thin.",
        ),
        PRAISE: (
            "Support is the reason we stay. Tickets get answered the same day, usually by "
            "someone who knows our setup.",
            "Whenever something breaks your support team is on it within the hour. Really "
            "appreciated.",
            "Excellent support this quarter: the problem with the {module} was fixed before our "
            "users even noticed.",
        ),
    },
    "product quality": {
        COMPLAINT: (
            "The {module} has been unstable since the last release; we lost half a day of work "
            "twice.",
            "Too many regressions. Every update breaks something in the {module} and we end up "
            "testing your releases for you.",
            "Performance of the {module} is poor at month-end, exactly when we need it most.",
        ),
        MIXED: (
            "The product does what we need, but the {module} still feels clunky compared to "
            "the rest.",
            "Solid platform overall. We'd like fewer surprises in the release notes.",
        ),
        PRAISE: (
            "The product just works. The {module} in particular saves my team hours every week.",
            "Great release cadence, and the new features in the {module} were exactly what we "
            "asked for.",
            "Rock solid this year: no outages that affected us, and the improvements to the "
            "{module} landed well.",
        ),
    },
    "onboarding": {
        COMPLAINT: (
            "Onboarding new staff is hard work. There's no training material beyond the admin "
            "guide, so we train everyone ourselves.",
            "We hired {n} people this quarter and it took weeks to get each of them productive "
            "on the system.",
            "The onboarding sessions were cancelled twice. New starters are still learning by "
            "trial and error.",
        ),
        MIXED: (
            "Onboarding is OK, but short videos for new starters would help a lot.",
            "Setup went fine; training for new hires still takes longer than it should.",
        ),
        PRAISE: (
            "Onboarding the new team was painless. The training sessions were well run and "
            "people were productive within days.",
            "Your onboarding team was excellent. We got {n} new users up to speed in a week.",
        ),
    },
    "value for money": {
        COMPLAINT: (
            "The renewal price went up again and we haven't seen the value to justify it.",
            "We pay for modules nobody uses. We need a licensing model that matches how we "
            "actually work.",
            "Too expensive for what we get. Procurement is asking why we don't go to tender.",
        ),
        MIXED: (
            "Pricing is on the high side but broadly fair for what we get.",
            "The value is there, but the licence tiers are confusing.",
        ),
        PRAISE: (
            "Worth every penny. It paid for itself within the first year.",
            "Fair pricing and no surprises at renewal, which is rare. Really appreciated.",
        ),
    },
    "billing": {
        COMPLAINT: (
            "Invoices still don't follow our format: no PO number on the lines, so every one "
            "gets rejected by AP and paid late.",
            "We get a separate invoice for every module and site. Please consolidate them; "
            "reconciling takes my team days each month.",
            "The invoice format changed again without notice and broke our import into the ERP.",
        ),
        MIXED: (
            "Billing is mostly right now, but PO numbers are still missing on some invoices.",
            "Invoices are accurate; we'd still like one consolidated invoice per month.",
        ),
    },
    "roadmap": {
        COMPLAINT: (
            "We have no visibility of the roadmap. We find out about changes from the release "
            "notes, after the fact.",
            "I asked three times for a roadmap of the {module} and still have nothing I can "
            "plan our budget around.",
            "We can't plan our own projects when your roadmap is a black box.",
        ),
        MIXED: (
            "A clearer view of the roadmap would help us plan. A quarterly briefing would be "
            "enough.",
            "The product is fine; roadmap visibility is the gap.",
        ),
        PRAISE: (
            "The roadmap briefing was really useful; we can finally plan around your releases.",
        ),
    },
    TRAPPED: {
        COMPLAINT: (
            "We renew because migrating off would take a year, not because we're happy.",
            "Honestly, if the switching cost weren't so high we'd have gone to tender already.",
            "Locked into a three-year contract with a product that keeps getting worse. "
            "Support takes {days} days to answer.",
            "Nobody at your company listens. We'll renew because we have to, but I tell "
            "peers to look elsewhere.",
            "We've raised the same invoice problem for a year. We stay only because our whole "
            "dispatch process is built on your system.",
        ),
    },
    RECENT_DROP: {
        COMPLAINT: (
            "The outage in {month} took the {module} down for two days and nobody called us. We "
            "heard about it from our own staff.",
            "After the {month} outage our field crews were back on paper. We need a root-cause "
            "report and a plan, not an apology email.",
            "Trust took a real hit this quarter. The outage handling was chaotic and "
            "communication was non-existent.",
        ),
    },
}
_MODULES: tuple[str, ...] = (
    "reporting module",
    "scheduling board",
    "billing portal",
    "mobile app",
    "dispatch console",
    "analytics dashboard",
)


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
    if tone != PRAISE and any(word in title for word in _FINANCE_WORDS):
        return "billing"
    if theme == "product quality" and person.title in _TECH_LEADERS:
        return "roadmap"
    return theme


def _comment(
    rng: random.Random,
    person: Person,
    scores: dict[str, Any],
    trajectory: str,
    latest: bool,
    cycle: DemoCycle,
    interview: bool,
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
    templates = _COMMENTS[theme].get(tone) or _COMMENTS["value for money"][tone]
    outage_month = (cycle.starts_on + timedelta(days=20)).strftime("%B")
    text = rng.choice(templates).format(
        days=rng.randint(6, 15),
        n=rng.randint(4, 12),
        module=rng.choice(_MODULES),
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
    if person.role == USER:
        return rng.random() < 0.03
    chance = {"strategic": 0.4, "key": 0.2}.get(plan.tier, 0.05)
    return rng.random() < chance


def _account_responses(
    plan: AccountPlan, cycles: Sequence[DemoCycle], today: date
) -> Iterable[dict[str, Any]]:
    rng = _account_rng(plan.name, "responses")
    people = _cast(rng, plan)
    base, offsets = _account_base(rng)
    for index, cycle in enumerate(cycles):
        latest = index == len(cycles) - 1
        mood = _mood(plan.trajectory, base, offsets, index, rng)
        for person in _answering(rng, people, index):
            scores = _scores(rng, person, mood, plan.trajectory, latest)
            interview = _is_interview(rng, plan, person)
            comment, tone = _comment(rng, person, scores, plan.trajectory, latest, cycle, interview)
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
    cycles = demo_cycles(today)
    rows = [row for plan in _plans() for row in _account_responses(plan, cycles, today)]
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
    """The responses file, in the columns of data-formats.md (what `voc import responses` reads)."""
    return generate_portfolio(today).responses


# --------------------------------------------------------------------------------------------
# Commitments and meetings


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
    account: str
    in_days: int
    at: time


def commitment_plans() -> list[CommitmentPlan]:
    """Promises that answer what the customers said: some kept, some open, some overdue."""
    return [
        CommitmentPlan(
            TRAPPED_ACCOUNT,
            "Share the product roadmap for dispatch and routing with Halvorsen's CIO",
            "product",
            -12,
            answers="No roadmap visibility (CIO, latest survey)",
        ),
        CommitmentPlan(
            TRAPPED_ACCOUNT,
            "Move Halvorsen to one consolidated monthly invoice with PO numbers on every line",
            "account_team",
            10,
            answers="Invoices rejected by AP (Head of Finance)",
        ),
        CommitmentPlan(
            TRAPPED_ACCOUNT,
            "Assign a named support engineer for Halvorsen's P1/P2 tickets",
            "support",
            -40,
            status="done",
            done_days_ago=33,
            customer_told=True,
            answers="Slow support tickets",
        ),
        CommitmentPlan(
            SLIDING_ACCOUNT,
            "Review every Pinecrest support ticket older than 10 days and call each requester",
            "support",
            -5,
            answers="Tickets sit for days before a reply",
        ),
        CommitmentPlan(
            SLIDING_ACCOUNT,
            "Bring a written support escalation path (names, hours, SLAs) to the next review",
            "support",
            14,
        ),
        CommitmentPlan(
            IMPROVING_ACCOUNT,
            "Run two onboarding sessions for Northwind's new clinic staff",
            "account_team",
            -60,
            status="done",
            done_days_ago=58,
            customer_told=True,
            answers="New staff take weeks to get productive",
        ),
        CommitmentPlan(
            IMPROVING_ACCOUNT,
            "Draft a customer story on the onboarding turnaround, for Northwind's approval",
            "marketing",
            30,
        ),
        CommitmentPlan(
            RECENT_DROP_ACCOUNT,
            "Send the outage root-cause report to Brightwater's IT operations team",
            "support",
            2,
            answers="Outage with no communication",
        ),
        CommitmentPlan(
            RECENT_DROP_ACCOUNT,
            "Set up a monthly service review with Brightwater's IT Operations Manager",
            "account_team",
            -3,
        ),
        CommitmentPlan(
            "St. Aldric Health System",
            "Invite St. Aldric's CMIO to the product advisory board",
            "product",
            -20,
            status="done",
            done_days_ago=25,
            customer_told=True,
        ),
        CommitmentPlan(
            "Atlas Ridge Manufacturing",
            "Quote the multi-year renewal with the volume discount discussed in the review",
            "account_team",
            21,
        ),
    ]


def meeting_plans() -> list[MeetingPlan]:
    """Upcoming reviews for the strategic accounts that most need one."""
    return [
        MeetingPlan(TRAPPED_ACCOUNT, 2, time(15, 0)),
        MeetingPlan(RECENT_DROP_ACCOUNT, 8, time(10, 30)),
    ]


def past_review_plans() -> list[MeetingPlan]:
    """Reviews already held, so digests have a "last time" and commitments a meeting of origin.

    Corvane's last review is older than its monthly cadence on purpose: the report flags it.
    """
    return [
        MeetingPlan(TRAPPED_ACCOUNT, -26, time(15, 0)),
        MeetingPlan(RECENT_DROP_ACCOUNT, -20, time(10, 30)),
        MeetingPlan("Atlas Ridge Manufacturing", -12, time(14, 0)),
        MeetingPlan("St. Aldric Health System", -18, time(9, 30)),
        MeetingPlan("Harborline Financial Services", -24, time(16, 0)),
        MeetingPlan("Corvane Retail Holdings", -75, time(11, 0)),
        MeetingPlan(SLIDING_ACCOUNT, -30, time(13, 0)),
        MeetingPlan(IMPROVING_ACCOUNT, -45, time(10, 0)),
    ]
