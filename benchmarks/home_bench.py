"""App Home for someone owning 5 open commitments, in a small workspace and a large one.

App Home is read each time a person opens the tab and again after every Done there, so its
time must not grow with the workspace. The same person (5 commitments of their own, one as
an email in another case) is measured at 3,000 and at 300,000 commitments (two thirds open,
over 2,000 other owners and 300 accounts), on SQLite and, with `--postgres-url`, on
PostgreSQL in a schema of its own (dropped afterwards). Printed per database: the median of
`--repeat` openings at each size, the ratio large/small (flat is about 1), and the plan the
database chose for the owner filter.

    python benchmarks/home_bench.py [--small 3000] [--large 300000] [--repeat 30]
                                    [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert, text

from bot.commitments.queries import open_commitments
from bot.home import load_home
from storage.db import make_engine, normalize_url, session_factory, transaction, upgrade
from storage.models import Account, Commitment

NOW = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
PERSON = "U0HOMEBEN1"
PERSON_EMAIL = "home.bench@example.com"
ACCOUNTS = 300
BATCH = 20_000


def fill(engine: Engine, commitments: int) -> None:
    """`commitments` rows; five of them the person's (four by ID, one by email, upper-cased)."""
    sessions = session_factory(engine)
    created = NOW - timedelta(days=90)
    with transaction(sessions) as session:
        session.execute(
            insert(Account),
            [
                {
                    "workspace_id": "local",
                    "name": f"Account {i:05d}",
                    "name_key": f"account {i:05d}",
                    "tier": "standard",
                    "account_manager": f"U{i:08d}",
                    "channel": f"C{i:08d}",
                    "team": [],
                    "segment": "Enterprise",
                    "cadence": "quarterly",
                    "created_at": created,
                    "updated_at": created,
                }
                for i in range(ACCOUNTS)
            ],
        )
    mine = {7: PERSON, 70: PERSON, 700: PERSON, 1700: PERSON, 2700: PERSON_EMAIL.upper()}
    for start in range(0, commitments, BATCH):
        rows = [
            {
                "workspace_id": "local",
                "account_id": i % ACCOUNTS + 1,
                "text": f"Promise {i} to the customer",
                "owner": mine.get(i) or _other_owner(i),
                "due_on": (NOW + timedelta(days=i % 90 - 30)).date(),
                "area": "account_team",
                "status": "open" if i in mine or i % 3 else "done",
                "customer_told": True,
                "created_at": created,
                "version": 1,
            }
            for i in range(start, min(start + BATCH, commitments))
        ]
        with transaction(sessions) as session:
            session.execute(insert(Commitment), rows)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _other_owner(i: int) -> str:
    return f"owner.{i % 2000:04d}@example.com" if i % 4 == 0 else f"U{i % 2000:08d}"


def median_opening(engine: Engine, repeat: int) -> float:
    sessions = session_factory(engine)
    load_home(sessions, "local", PERSON, PERSON_EMAIL, NOW)  # connection and statement caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        summary = load_home(sessions, "local", PERSON, PERSON_EMAIL, NOW)
        times.append(time.perf_counter() - started)
    assert len(summary.open_commitments) == 5, len(summary.open_commitments)
    return statistics.median(times)


def owner_filter_plan(engine: Engine) -> str:
    """What the database does for the owner filter, in one line."""
    with session_factory(engine)() as session:
        statement = _home_statement()
        compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = session.execute(text(explain + str(compiled))).all()
    lines = [str(row[-1]) for row in rows]
    return " | ".join(line.strip() for line in lines if "commitments" in line.lower())


def _home_statement():  # type: ignore[no-untyped-def]
    """The statement `open_commitments` runs for the person, captured rather than rebuilt."""
    captured = []

    class Capture:
        def execute(self, statement):  # type: ignore[no-untyped-def]
            captured.append(statement)
            return self

        def all(self) -> list[object]:
            return []

    open_commitments(Capture(), "local", owners=[PERSON, PERSON_EMAIL], limit=100)  # type: ignore[arg-type]
    return captured[0]


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    path = Path(tempfile.mkdtemp(prefix="home-bench-")) / "voc.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)


@contextmanager
def postgres_engine(url: str) -> Iterator[Engine]:
    """A schema of our own on the server, so parallel runs and test sessions never clash."""
    from sqlalchemy.engine import make_url

    schema = f"home_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(scoped.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(name: str, engines: list, sizes: list[int], repeat: int) -> None:  # type: ignore[type-arg]
    figures = []
    for make, size in zip(engines, sizes, strict=True):
        with make() as engine:
            upgrade(engine)
            started = time.perf_counter()
            fill(engine, size)
            filled = time.perf_counter() - started
            median = median_opening(engine, repeat)
            figures.append(median)
            print(
                f"{name}: App Home at {size:,} commitments: {median * 1000:.1f} ms "
                f"(median of {repeat}; filled in {filled:.1f} s)"
            )
            print(f"  owner filter plan: {owner_filter_plan(engine)}")
    print(f"{name}: large / small = {figures[1] / figures[0]:.2f} (flat is about 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=3_000)
    parser.add_argument("--large", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    sizes = [args.small, args.large]
    measure("sqlite", [sqlite_engine, sqlite_engine], sizes, args.repeat)
    if args.postgres_url:
        url = args.postgres_url
        measure("postgresql", [lambda: postgres_engine(url)] * 2, sizes, args.repeat)


if __name__ == "__main__":
    main()
