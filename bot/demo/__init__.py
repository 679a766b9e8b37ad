"""`voc demo`: a realistic sample portfolio to try every feature on.

The portfolio is generated, not shipped as rows, so its dates always end in the current quarter
and the digests, reminders and "overdue" badges have something to say whatever day it is.
`generate` draws it (pure, seeded: same people, scores and comments on every machine) from the
names, titles, comment texts and plans that `tables` reads from `data/`; `load` puts it into the
database through the same use cases a customer's spreadsheet and the team's commands go through,
so the demo exercises, and never bypasses, the real code.

A few accounts tell a story on purpose, so a first-time user sees each kind of report:
- a *trapped* account: renews because it must (high continue, low satisfaction and recommend);
- a *sliding* account: satisfaction falling cycle after cycle, support the driver;
- an *improving* account: onboarding fixed, satisfaction climbing;
- a *recent drop*: steady and happy until an outage in the latest cycle.

This module only gathers the names callers use, so `from bot import demo` keeps working.
"""

from bot.demo.generate import (
    ACCOUNT_COLUMNS,
    ATTRIBUTES,
    CYCLE_COUNT,
    DEMO_SEED,
    RATING_COLUMNS,
    RESPONSE_COLUMNS,
    DemoCycle,
    DemoPortfolio,
    account_trajectories,
    comment_tone,
    demo_cycles,
    generate_accounts,
    generate_portfolio,
    generate_responses,
    slugify,
    with_team,
)
from bot.demo.load import DEMO_ACTOR, DemoSummary, load_demo
from bot.demo.queries import remove_demo
from bot.demo.tables import (
    ACCOUNT_MANAGERS,
    COMPLAINT,
    IMPROVING,
    IMPROVING_ACCOUNT,
    MIXED,
    NOTABLE_ACCOUNTS,
    PRAISE,
    PRAISE_MARKERS,
    RECENT_DROP,
    RECENT_DROP_ACCOUNT,
    SLIDING,
    SLIDING_ACCOUNT,
    STABLE,
    TRAPPED,
    TRAPPED_ACCOUNT,
    AccountPlan,
    CommitmentPlan,
    MeetingPlan,
    commitment_plans,
    meeting_plans,
    past_review_plans,
)

__all__ = [
    "ACCOUNT_COLUMNS",
    "ACCOUNT_MANAGERS",
    "ATTRIBUTES",
    "COMPLAINT",
    "CYCLE_COUNT",
    "DEMO_ACTOR",
    "DEMO_SEED",
    "IMPROVING",
    "IMPROVING_ACCOUNT",
    "MIXED",
    "NOTABLE_ACCOUNTS",
    "PRAISE",
    "PRAISE_MARKERS",
    "RATING_COLUMNS",
    "RECENT_DROP",
    "RECENT_DROP_ACCOUNT",
    "RESPONSE_COLUMNS",
    "SLIDING",
    "SLIDING_ACCOUNT",
    "STABLE",
    "TRAPPED",
    "TRAPPED_ACCOUNT",
    "AccountPlan",
    "CommitmentPlan",
    "DemoCycle",
    "DemoPortfolio",
    "DemoSummary",
    "MeetingPlan",
    "account_trajectories",
    "comment_tone",
    "commitment_plans",
    "demo_cycles",
    "generate_accounts",
    "generate_portfolio",
    "generate_responses",
    "load_demo",
    "meeting_plans",
    "past_review_plans",
    "remove_demo",
    "slugify",
    "with_team",
]
