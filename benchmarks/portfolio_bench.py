"""The executive view at scale: `voc portfolio --json` and planning the sponsors' monthly DMs.

10,000 accounts, every one strategic or key (the admin's view holds them all: the worst case),
200 sponsors of 50 accounts each (a fifth named by email), two cycles of five answers per account
(100,000 responses), 20,000 open commitments, 10,000 follow-ups, 10,000 review meetings. The
rows are inserted directly, so the accounts' figures are then computed as an import computes them
(`bot.figures`; timed apart: that cost is the import's, not the portfolio's).

Printed: the time to build the portfolio and its JSON in-process (the work of `voc portfolio
--json`, without the interpreter's start), one sponsor's view, and the time to plan the monthly
digests on the first working day with the Slack calls it made (an in-process stand-in answers
`users.info` / `users.lookupByEmail` and counts them). `--database-url postgresql://…` measures
on PostgreSQL.

    python benchmarks/portfolio_bench.py [--accounts 10000] [--sponsors 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from benchmarks.reminder_bench import CountingSlack, open_bench_runtime
from bot.directory import Directory, TtlCache
from bot.figures.service import refresh_everything
from bot.portfolio import monthly
from bot.portfolio.service import portfolio
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import (
    Account,
    Commitment,
    Cycle,
    Followup,
    Meeting,
    Respondent,
    Response,
)

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Tuesday, the month's first working day
ROLES = ["decision_maker", "influencer", "user", "user", "decision_maker"]


def sponsor_names(count: int) -> list[str]:
    return [f"owner.{i:05d}@example.com" if i % 5 == 0 else f"U{i:08d}" for i in range(count)]


def fill(runtime: Runtime, accounts: int, sponsors: list[str]) -> None:
    rng = np.random.default_rng(7)
    created = NOW - timedelta(days=90)
    with transaction(runtime.sessions) as session:
        session.execute(
            insert(Account),
            [
                {
                    "workspace_id": "local",
                    "name": f"Account {i:05d}",
                    "name_key": f"account {i:05d}",
                    "tier": "strategic" if i % 3 == 0 else "key",
                    "annual_revenue": float(rng.integers(100_000, 9_000_000)),
                    "account_manager": f"U9{i:07d}",
                    "exec_sponsor": sponsors[i % len(sponsors)],
                    "team": [],
                    "segment": f"Segment {i % 4}",
                    "cadence": "quarterly",
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(accounts)
            ],
        )
        for label, starts in (("2026-Q3", date(2026, 7, 1)), ("2026-Q4", date(2026, 10, 1))):
            session.add(
                Cycle(workspace_id="local", label=label, starts_on=starts, created_at=created)
            )
    with transaction(runtime.sessions) as session:
        account_ids = list(session.scalars(select(Account.id).order_by(Account.id)))
        cycle_ids = list(session.scalars(select(Cycle.id).order_by(Cycle.id)))
        session.execute(
            insert(Respondent),
            [
                {"account_id": a, "person_key": f"p{k}@x", "name": f"Person {k}", "email": None}
                for a in account_ids
                for k in range(5)
            ],
        )
    with transaction(runtime.sessions) as session:
        people = session.execute(select(Respondent.id, Respondent.account_id)).all()
        scores = rng.integers(0, 11, size=(len(people) * 2, 3)).astype(float)
        rows = [
            {
                "account_id": account_id,
                "cycle_id": cycle_id,
                "respondent_id": person_id,
                "title": "CIO",
                "role": ROLES[n % 5],
                "satisfaction": scores[2 * n + c][0],
                "recommend": scores[2 * n + c][1],
                "continue_score": scores[2 * n + c][2],
                "ratings": {},
                "source": "survey",
            }
            for n, (person_id, account_id) in enumerate(people)
            for c, cycle_id in enumerate(cycle_ids)
            if not (c == 1 and n % 17 == 0)  # a few decision makers go silent
        ]
        for start in range(0, len(rows), 20_000):
            session.execute(insert(Response), rows[start : start + 20_000])
        _work(session, account_ids, people, rng)


def _work(session, account_ids, people, rng) -> None:
    today = NOW.date()
    session.execute(
        insert(Commitment),
        [
            {
                "workspace_id": "local",
                "account_id": account_ids[i % len(account_ids)],
                "text": f"Promise {i}",
                "owner": "U00000001",
                "due_on": today + timedelta(days=int(rng.integers(-40, 60))),
                "area": "account_team",
                "status": "open",
                "customer_told": True,
                "created_at": NOW - timedelta(days=60),
                "version": 1,
            }
            for i in range(2 * len(account_ids))
        ],
    )
    session.execute(
        insert(Followup),
        [
            {
                "workspace_id": "local",
                "account_id": account_id,
                "cycle_id": 2,
                "respondent_id": person_id,
                "reasons": ["dissatisfied"],
                "status": "open" if n % 3 else "contacted",
                "owner": "U00000001",
                "opened_at": NOW - timedelta(days=20),
                "due_at": NOW - timedelta(days=int(rng.integers(-5, 18))),
            }
            for n, (person_id, account_id) in enumerate(people[: len(account_ids)])
        ],
    )
    session.execute(
        insert(Meeting),
        [
            {
                "workspace_id": "local",
                "account_id": account_id,
                "starts_at": NOW + timedelta(days=int(rng.integers(-120, 60))),
                "status": "scheduled",
            }
            for account_id in account_ids
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--sponsors", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    runtime = open_bench_runtime(args.database_url)
    sponsors = sponsor_names(args.sponsors)
    started = time.perf_counter()
    fill(runtime, args.accounts, sponsors)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:  # what an import does when answers arrive
        refresh_everything(session)
    computed = time.perf_counter() - started
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    print(
        f"{runtime.engine.dialect.name}: {args.accounts:,} accounts, {args.sponsors} sponsors "
        f"(filled in {filled:.1f} s, their figures computed in {computed:.1f} s)"
    )
    for label, sponsor in (
        ("every strategic and key account", None),
        ("one sponsor", [sponsors[1]]),
    ):
        started = time.perf_counter()
        view = portfolio(runtime, "local", sponsor=sponsor, now=NOW, tz=UTC)
        out = json.dumps(view.to_json())
        seconds = time.perf_counter() - started
        print(
            f"portfolio --json, {label}: {seconds:.2f} s ({len(view.accounts):,} accounts, "
            f"{len(view.at_risk):,} at risk, {len(out) / 1e6:.1f} MB of JSON)"
        )
    slack = CountingSlack(sponsors)
    cache = TtlCache(ttl=3600.0)
    monthly.people_for_workspace = lambda rt, ws: Directory(slack, ws, cache, UTC)  # type: ignore[assignment]
    started = time.perf_counter()
    due = monthly.plan_parts(runtime, NOW)
    seconds = time.perf_counter() - started
    calls = sum(slack.calls.values())
    print(
        f"planning the monthly digests: {seconds:.2f} s, {len(due)} DMs due, "
        f"{calls} Slack lookups for {args.sponsors} sponsors"
    )


if __name__ == "__main__":
    main()
