"""Planning the follow-up part of one tick at scale, and how many Slack calls it takes.

100,000 open follow-ups on 2,000 accounts (a tenth strategic), opened by 500 imports spread over
the last six weeks (an import opens all its follow-ups at one moment), three in ten taken by one
of 5,000 people and the rest owned by the account manager, a fifth of people named by email.
People live in European and American timezones; the tick is on a Wednesday at 17:00 UTC, when
every person's working day has started: the heaviest tick of the day.

Slack is the same in-process stand-in as `reminder_bench.py`: `users.info` and
`users.lookupByEmail` answered instantly and counted, so the time is the planner's own and the
count is what a real tick would ask Slack. Printed, for a cold cache (a process's first tick) and
a warm one: the time to plan the follow-ups of everyone's DM (`planning._followups_owed`: the
query, the owner zones, the due times, who sees what, the ledger look-up of the day's DMs) and the
channel flags at twice the target (`followups.find_due_flags`' planning: the first tick owes
85,000 of them at once), and the Slack calls; then the flags once those are posted, as every
later tick plans them.

    python benchmarks/followup_tick_bench.py [--followups 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from benchmarks.reminder_bench import NOW, CountingSlack, open_bench_runtime, owner_names
from bot.directory import Directory, TtlCache
from bot.followups.rules import FollowupPolicy
from bot.reminders import people, planning
from bot.reminders.followups import DueFlag, flag_candidates, plan_flags
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account, Cycle, Delivery, Followup, Respondent

IMPORTS = 500
CHUNK = 20_000


def fill(runtime: Runtime, followups: int, owners: list[str], accounts: int) -> None:
    rng = np.random.default_rng(13)
    created = NOW - timedelta(days=90)
    with transaction(runtime.sessions) as session:
        session.execute(
            insert(Account),
            [
                {
                    "workspace_id": "local",
                    "name": f"Account {i:05d}",
                    "name_key": f"account {i:05d}",
                    "tier": "strategic" if i % 10 == 0 else "standard",
                    "account_manager": owners[i % len(owners)],
                    "exec_sponsor": owners[(i * 7) % len(owners)],
                    "channel": f"C{i:08d}",
                    "team": [],
                    "segment": "Enterprise",
                    "cadence": "quarterly",
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(accounts)
            ],
        )
        cycle = Cycle(workspace_id="local", label="2026-Q4")
        session.add(cycle)
        session.flush()
        cycle_id = cycle.id
    account_of = rng.integers(1, accounts + 1, size=followups)
    respondents = [
        {
            "account_id": int(account_of[i]),
            "person_key": f"person.{i}@customer.example",
            "name": f"Person {i}",
            "email": f"person.{i}@customer.example",
        }
        for i in range(followups)
    ]
    opened = [NOW - timedelta(days=42) * (k / IMPORTS) for k in range(IMPORTS)]
    # As opening stores it: counted in VOC_TIMEZONE; planning re-counts it in each owner's zone.
    policy = FollowupPolicy(runtime.settings.followup_sla_days, runtime.settings.tz)
    due = [policy.due_at(moment) for moment in opened]
    import_of = rng.integers(0, IMPORTS, size=followups)
    taken = rng.random(followups) < 0.3
    owner_of = rng.integers(0, len(owners), size=followups)
    rows = [
        {
            "workspace_id": "local",
            "account_id": int(account_of[i]),
            "cycle_id": cycle_id,
            "respondent_id": i + 1,
            "reasons": ["dissatisfied"],
            "status": "open",
            "owner": owners[owner_of[i]] if taken[i] else None,
            "opened_at": opened[import_of[i]],
            "due_at": due[import_of[i]],
            "updated_at": opened[import_of[i]],
        }
        for i in range(followups)
    ]
    with transaction(runtime.sessions) as session:
        for start in range(0, followups, CHUNK):
            session.execute(insert(Respondent), respondents[start : start + CHUNK])
        for start in range(0, followups, CHUNK):
            session.execute(insert(Followup), rows[start : start + CHUNK])
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=5_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    runtime = open_bench_runtime(args.database_url)
    owners = owner_names(args.owners)
    started = time.perf_counter()
    fill(runtime, args.followups, owners, args.accounts)
    print(
        f"{runtime.engine.dialect.name}: {args.followups:,} open follow-ups, {args.owners:,} "
        f"people, {args.accounts:,} accounts, {IMPORTS} imports "
        f"(filled in {time.perf_counter() - started:.1f} s)"
    )
    slack = CountingSlack(owners)
    cache = TtlCache(ttl=people.PEOPLE_TTL_SECONDS)

    def people_for(workspace_id: str) -> Directory:
        return Directory(slack, workspace_id, cache, runtime.settings.tz)  # type: ignore[arg-type]

    for label in ("cold", "warm"):
        slack.calls.clear()
        started = time.perf_counter()
        planned = planning._followups_owed(runtime, NOW, people_for)
        dms = time.perf_counter() - started
        started = time.perf_counter()
        rows = flag_candidates(runtime, NOW)  # as `followups.find_due_flags` reads them
        flags = plan_flags(rows, people_for, NOW, runtime.settings)
        flagging = time.perf_counter() - started
        calls = sum(slack.calls.values())
        owned = sum(len(p.due.owned) for p in planned)
        waiting = sum(len(p.due.waiting) for p in planned)
        print(
            f"{label} cache: follow-ups of the day's DMs {dms:.2f} s, channel flags "
            f"{flagging:.2f} s, total {dms + flagging:.2f} s"
        )
        print(
            f"  {len(planned):,} people with follow-ups in their DM ({owned:,} their own due or "
            f"overdue, {waiting:,} past the target on accounts they answer for); "
            f"{len(flags):,} flags owed"
        )
        print(
            f"  Slack Web API calls: {calls:,} ({dict(slack.calls)}) = "
            f"{calls / args.followups:.3f} per follow-up"
        )
    mark_flags_sent(runtime, flags)
    started = time.perf_counter()
    again = plan_flags(flag_candidates(runtime, NOW), people_for, NOW, runtime.settings)
    print(
        f"channel flags once those {len(flags):,} are posted (every later tick): "
        f"{time.perf_counter() - started:.2f} s, {len(again):,} owed"
    )
    runtime.engine.dispose()


def mark_flags_sent(runtime: Runtime, flags: list[DueFlag]) -> None:
    """The ledger as it stands after the flags were posted."""
    rows = [
        {
            "workspace_id": flag.workspace_id,
            "delivery_key": flag.key,
            "kind": "followup_late",
            "status": "sent",
            "attempts": 1,
            "created_at": NOW,
            "sent_at": NOW,
        }
        for flag in flags
    ]
    with transaction(runtime.sessions) as session:
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(Delivery), rows[start : start + CHUNK])
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


if __name__ == "__main__":
    main()
