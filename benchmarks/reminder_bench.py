"""Planning one reminder tick at scale: who gets what, and how many Slack calls it takes.

A portfolio of 100,000 open commitments over 5,000 owners (a fifth of them named by email) on
2,000 accounts, due dates spread from two months ago to three months ahead, a few snoozed, the
next feedback cycle inside the reminder window (so every open item is owed a "before the cycle"
reminder: the worst case), and a ledger already holding two weeks of earlier reminders.

Owners live in European and American timezones and the tick is on a Wednesday at 17:00 UTC, so
every owner's working day has started: every owner is planned, the heaviest tick of the day.

Slack is the test suite's fake Web API (`tests/slack/fake_slack.py`) over local HTTP, holding
every owner as a Slack user, so each call costs a real round trip through the real client.
Printed, each with the Web API calls per method:
- the baseline: a cold tick the way planning asked before the stored list, one `users.info` or
  `users.lookupByEmail` per owner (the same directory without the list);
- a cold tick (new process, empty `slack_people`): the list taken with `users.list`, stored;
- a tick in a new process with the list stored and fresh (no call at all);
- a warm tick in the same process.
Run with `--database-url postgresql://…` to measure on PostgreSQL (its tables are emptied).

    python benchmarks/reminder_bench.py [--commitments 100000] [--owners 5000] [--database-url URL]
                                        [--no-baseline]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient
from sqlalchemy import insert, text

from bot.directory import Directory
from bot.reminders import escalations, people, planning, queries
from bot.runtime import Runtime
from bot.settings import load_settings
from bot.slack_client import retry_handlers
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Account, Base, Commitment, Cycle, Delivery, SlackPerson
from tests.slack import FakeSlack

NOW = datetime(2026, 12, 9, 17, 0, tzinfo=UTC)  # a Wednesday
TIMEZONES = [
    "Europe/Paris",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
]


class CountingSlack:
    """`users.info` and `users.lookupByEmail` answered from memory, every call counted (for
    benchmarks that measure the planner's own time, not Slack's)."""

    def __init__(self, owners: list[str]) -> None:
        self.calls: Counter[str] = Counter()
        self.tz = {owner: TIMEZONES[i % len(TIMEZONES)] for i, owner in enumerate(owners)}

    def users_info(self, *, user: str) -> dict[str, Any]:
        self.calls["users.info"] += 1
        return {"user": {"id": user, "tz": self.tz[user]}}

    def users_lookupByEmail(self, *, email: str) -> dict[str, Any]:
        self.calls["users.lookupByEmail"] += 1
        user_id = "U" + email.split("@")[0].upper().replace(".", "")
        return {"user": {"id": user_id, "tz": self.tz[email]}}


def owner_names(count: int) -> list[str]:
    """Four in five are Slack IDs, one in five an email (rosters name people that way)."""
    return [f"owner.{i:05d}@example.com" if i % 5 == 0 else f"U{i:08d}" for i in range(count)]


def fill(runtime: Runtime, commitments: int, owners: list[str], accounts: int) -> None:
    rng = np.random.default_rng(11)
    today = NOW.date()
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
        session.add(Cycle(workspace_id="local", label="2027-Q1", starts_on=date(2026, 12, 21)))
    offsets = rng.integers(-60, 91, size=commitments)
    snoozed = rng.random(commitments) < 0.02
    owner_index = rng.integers(0, len(owners), size=commitments)
    account_index = rng.integers(1, accounts + 1, size=commitments)
    rows = [
        {
            "workspace_id": "local",
            "account_id": int(account_index[i]),
            "text": f"Promise number {i} to the customer, with enough words to look real",
            "owner": owners[owner_index[i]],
            "due_on": today + timedelta(days=int(offsets[i])),
            "area": "account_team",
            "status": "open",
            "customer_told": True,
            "created_at": created,
            "created_by": owners[0],
            "channel": f"C{int(account_index[i]) - 1:08d}",
            "message_ts": f"1700000000.{i:06d}",
            "snoozed_until": NOW + timedelta(days=3) if snoozed[i] else None,
            "version": 1,
        }
        for i in range(commitments)
    ]
    with transaction(runtime.sessions) as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(Commitment), rows[start : start + 20_000])
    fill_history(runtime, commitments, rng)


def fill_history(runtime: Runtime, commitments: int, rng: np.random.Generator) -> None:
    """Two weeks of earlier reminders: one sent occurrence row for most commitments."""
    rows = [
        {
            "workspace_id": "local",
            "delivery_key": f"reminder_item:{i}:overdue:2026-11-{int(day):02d}",
            "kind": "reminder_item",
            "recipient": "U00000001",
            "status": "sent",
            "claimed_by": "reminder:U00000001:2026-11-30",
            "attempts": 1,
            "created_at": NOW - timedelta(days=14),
            "sent_at": NOW - timedelta(days=14),
        }
        for i, day in zip(
            range(1, commitments + 1), rng.integers(20, 30, size=commitments), strict=True
        )
    ]
    with transaction(runtime.sessions) as session:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(Delivery), rows[start : start + 20_000])
    with runtime.engine.begin() as connection:  # statistics, as autovacuum would have them
        connection.exec_driver_sql("ANALYZE")


def open_bench_runtime(database_url: str | None, slack_api_url: str | None = None) -> Runtime:
    if database_url is None:
        path = Path(tempfile.mkdtemp(prefix="reminder-bench-")) / "voc.db"
        database_url = f"sqlite:///{path}"
    engine = make_engine(database_url)
    upgrade(engine)
    if engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    settings = load_settings(environ={"DATABASE_URL": database_url}, env_file=None)
    settings = replace(
        settings, slack_bot_token="xoxb-bench", timezone="Europe/Paris", slack_api_url=slack_api_url
    )
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


def slack_people(fake: FakeSlack, owners: list[str]) -> None:
    """Every owner as a Slack user: those named by email under an ID of their own."""
    for i, owner in enumerate(owners):
        tz = TIMEZONES[i % len(TIMEZONES)]
        if "@" in owner:
            fake.add_user(f"U{i:08d}", tz=tz, email=owner, name=f"Owner {i}")
        else:
            fake.add_user(owner, tz=tz, email=f"user.{i:05d}@example.com", name=f"Owner {i}")


def new_process(runtime: Runtime) -> Runtime:
    """What a new `voc tick` process starts with: its own engine, so nothing held in memory."""
    engine = make_engine(runtime.settings.database_url)
    return Runtime(settings=runtime.settings, engine=engine, sessions=session_factory(engine))


def one_by_one(runtime: Runtime, workspace_id: str) -> Directory:
    """The directory as planning used it before the stored list: a lookup per owner."""
    settings = runtime.settings
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(),
    )
    return Directory(client, workspace_id, people.people_cache(runtime), settings.tz)


def timed_plan(
    runtime: Runtime, fake: FakeSlack, label: str, people_for: planning.PeopleFor | None = None
) -> list[planning.OwnerReminder]:
    fake.clear()
    started = time.perf_counter()
    plans = planning.plan_reminders(runtime, NOW, people_for=people_for)
    took = time.perf_counter() - started
    counts = fake.call_counts()
    print(f"{label}: {took:.2f} s, {sum(counts.values()):,} Web API calls {counts}")
    return plans


def forget_stored_people(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        session.query(SlackPerson).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commitments", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=5_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-by-one tick")
    args = parser.parse_args()

    with FakeSlack() as fake:
        runtime = open_bench_runtime(args.database_url, slack_api_url=fake.api_url)
        owners = owner_names(args.owners)
        started = time.perf_counter()
        fill(runtime, args.commitments, owners, args.accounts)
        slack_people(fake, owners)
        print(
            f"{runtime.engine.dialect.name}: {args.commitments:,} open commitments, "
            f"{args.owners:,} owners, {args.accounts:,} accounts, {args.commitments:,} earlier "
            f"reminder rows, fake Slack over HTTP with {args.owners:,} users "
            f"(filled in {time.perf_counter() - started:.1f} s)"
        )
        print(f"target: a cold tick under 5 s with at most {-(-args.owners // 1000)} + a few calls")
        if not args.no_baseline:
            cold = new_process(runtime)
            timed_plan(
                cold, fake, "baseline, one lookup per owner, cold", lambda ws: one_by_one(cold, ws)
            )
            cold.engine.dispose()
        forget_stored_people(runtime)
        cold = new_process(runtime)
        plans = timed_plan(cold, fake, "cold tick, users.list stored")
        cold.engine.dispose()
        stored = new_process(runtime)
        timed_plan(stored, fake, "new process, list stored and fresh")
        again = timed_plan(stored, fake, "warm tick, same process")
        assert len(again) == len(plans)
        items = sum(len(plan.items) for plan in plans)
        held = sum(plan.held_back for plan in plans)
        kinds = Counter(kind for plan in plans for item in plan.items for kind in item.kinds)
        print(
            f"  {len(plans):,} DMs planned, {items:,} items in them ({held:,} held back for "
            f"the next day); kinds: {dict(kinds)}"
        )
        started = time.perf_counter()
        with stored.sessions() as session:
            queries.item_titles(session, [i.commitment_id for plan in plans for i in plan.items])
        print(
            f"  + naming every planned item for the tick report / --dry-run: "
            f"{time.perf_counter() - started:.2f} s"
        )
        started = time.perf_counter()
        due = escalations.plan_escalations(stored, NOW)
        summaries = escalations.plan_summaries(stored, NOW)
        print(
            f"plan escalations and channel summaries (list held): "
            f"{time.perf_counter() - started:.2f} s — {len(due):,} escalation DMs, "
            f"{len(summaries):,} channel summaries"
        )
        stored.engine.dispose()
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
