"""How fast `voc import responses` loads a big file, against a raw bulk insert of the same rows
into the same tables, on SQLite and on PostgreSQL.

    python benchmarks/import_bench.py --rows 1000000 [--rounds 3] [--database-url URL]
                                      [--tracemalloc]

Generates a realistic responses file (13 columns: account, cycle, respondent, email, title, role,
date, three scores, two `rating:` columns and a short comment; many accounts, 8 quarterly cycles,
people answering cycle after cycle) and a roster for its accounts. Then, per database (SQLite
always; PostgreSQL too with `--database-url` or `VOC_BENCH_DATABASE_URL`, each phase in a
throwaway schema), it runs these phases, each in its own process against a freshly migrated
database holding the roster:

- raw: the rows the import stores (its respondents, then its responses), already computed as
  tuples with their ids, written by the database's own bulk path into the real tables, with
  every index and foreign key the schema has: `sqlite3` `executemany` (same PRAGMAs as the
  bot's connections and the import's page cache) or psycopg `COPY`. Only the writes and the
  commit are timed. This is the floor an importer can reach on that database;
- import: `bot.intake.service.import_responses`, timing the whole use case (reading,
  validation, writes, benchmarks, follow-ups, commit);
- without follow-ups: the same import with an opener that does nothing, so the two differ by
  exactly the opening of follow-ups (issue 11's "at most 15 % over the import without them");
- next cycle: the quarter after, as a team imports it every quarter (next.csv: the file's
  latest panel answering a ninth cycle), into the database holding the whole file (imported
  first, not timed), against the same next.csv into a database holding only the roster. What
  the stored history adds to a new quarter's import is the difference.

The machine running it is shared, so the phases are interleaved and repeated (`--rounds`, the
order rotating each round) and the figures are medians, with each round's ratio shown so the
noise can be judged. Peak memory is the import process's RSS high-water mark (ru_maxrss, the
interpreter included); with `--tracemalloc`, one more import reports the peak of traced Python
allocations (slower, so it is never a timed run). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median as _median
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.intake.writing import RESPONSE_WRITE_COLUMNS  # noqa: E402

WORKSPACE = "bench"

CYCLES = [f"{year}-Q{quarter}" for year in (2025, 2026) for quarter in (1, 2, 3, 4)]
SEGMENTS = np.array(["Enterprise", "Mid-market", "SMB", "Public sector"])
FIRST = np.array(["Ana", "Bob", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"])
LAST = np.array(["Smith", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Kim", "Ali"])
TITLES = np.array(["CTO", "VP Operations", "IT Manager", "Procurement Lead", "Engineer", "CFO"])
ROLES = np.array(["decision_maker", "influencer", "user", "user"])
COMMENTS = np.array(
    [
        "",
        "",
        "",
        "Great support team",
        "Onboarding was slow",
        "Pricing is high for what we use",
        "Love the product, reporting needs work",
        "Account manager is very responsive",
        "Too many outages this quarter",
        "Would like a roadmap review",
    ]
)


# --------------------------------------------------------------------------------------------
# Generation


def generate(rows: int, directory: Path, seed: int = 7) -> dict[str, Any]:
    """Write responses.csv and roster.csv; vectorised, so a million rows take seconds."""
    rng = np.random.default_rng(seed)
    per_cycle = -(-rows // len(CYCLES))
    accounts = max(20, rows // 500)
    population = per_cycle + per_cycle // 10
    account_of_person = rng.integers(0, accounts, population)
    cycle = np.repeat(np.arange(len(CYCLES)), per_cycle)[:rows]
    # One tenth of the panel turns over each cycle: mostly the same people, some new faces.
    person = (np.tile(np.arange(per_cycle), len(CYCLES))[:rows] + cycle * (per_cycle // 80)) % (
        population
    )
    names = _names(person)
    account_names = np.char.add("Account ", np.char.zfill(np.arange(accounts).astype(str), 5))
    frame = pd.DataFrame(
        {
            "Account": account_names[account_of_person[person]],
            "Cycle": np.array(CYCLES)[cycle],
            "Respondent": names,
            "Email": pd.Series(names).str.lower().str.replace(" ", ".", regex=False).to_numpy()
            + "@example.com",
            "Title": TITLES[person % len(TITLES)],
            "Role": ROLES[person % len(ROLES)],
            "Responded on": (
                np.datetime64("2025-01-06") + cycle * 91 + rng.integers(0, 21, rows)
            ).astype(str),
            "Satisfaction": rng.integers(0, 11, rows),
            "Recommend": _with_blanks(rng, rng.integers(0, 11, rows), 0.1),
            "Continue": _with_blanks(rng, rng.integers(0, 11, rows), 0.2),
            "rating:Support": _with_blanks(rng, rng.integers(0, 11, rows), 0.15),
            "rating:Product quality": _with_blanks(rng, rng.integers(0, 11, rows), 0.15),
            "Comment": COMMENTS[rng.integers(0, len(COMMENTS), rows)],
        }
    )
    responses = directory / "responses.csv"
    frame.to_csv(responses, index=False)
    _next_cycle(frame, rng).to_csv(directory / "next.csv", index=False)
    roster = pd.DataFrame(
        {
            "account": account_names,
            "segment": SEGMENTS[rng.integers(0, len(SEGMENTS), accounts)],
            "tier": np.array(["strategic", "key", "standard"])[rng.integers(0, 3, accounts)],
        }
    )
    roster.to_csv(directory / "roster.csv", index=False)
    return {"rows": rows, "accounts": accounts, "bytes": responses.stat().st_size}


NEXT_CYCLE = "2027-Q1"


def _next_cycle(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The last cycle's people answering the quarter after it, with new scores and comments."""
    latest = frame[frame["Cycle"] == CYCLES[-1]].copy()
    rows = len(latest)
    latest["Cycle"] = NEXT_CYCLE
    latest["Responded on"] = (np.datetime64("2027-01-04") + rng.integers(0, 21, rows)).astype(str)
    for column in ("Satisfaction", "Recommend", "Continue"):
        latest[column] = rng.integers(0, 11, rows)
    latest["Comment"] = COMMENTS[rng.integers(0, len(COMMENTS), rows)]
    return latest


def _names(person: np.ndarray) -> np.ndarray:
    first = FIRST[person % len(FIRST)]
    last = LAST[(person // len(FIRST)) % len(LAST)]
    full = np.char.add(np.char.add(first, " "), last)
    return np.char.add(full, np.char.add(" ", person.astype(str)))


def _with_blanks(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(values)) < share] = ""
    return out


# --------------------------------------------------------------------------------------------
# A fresh database per phase, migrated and holding the roster (not timed)


def _prepared(directory: Path, database_url: str) -> Any:
    """Sessions on a migrated database whose roster is imported, as before any real import."""
    from bot.intake.service import import_accounts
    from storage.db import make_engine, session_factory, transaction, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        import_accounts(session, directory / "roster.csv", workspace_id=WORKSPACE, actor="bench")
    return engine, sessions


# --------------------------------------------------------------------------------------------
# The import, as the CLI runs it


def run_import(
    directory: Path,
    database_url: str,
    trace: bool,
    followups: bool = True,
    file: str = "responses.csv",
    history: bool = False,
) -> dict[str, Any]:
    """Time one import of `file`; with `history`, into a database already holding
    responses.csv (imported first, untimed)."""
    from bot.intake import service
    from storage.db import transaction

    engine, sessions = _prepared(directory, database_url)
    if history:
        with transaction(sessions) as session:
            service.import_responses(
                session, directory / "responses.csv", workspace_id=WORKSPACE, actor="bench"
            )
    opening = _time_opening(service, followups)
    if trace:
        import tracemalloc

        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    with transaction(sessions) as session:
        summary = service.import_responses(
            session, directory / file, workspace_id=WORKSPACE, actor="bench"
        )
        committing = time.perf_counter()
    seconds = time.perf_counter() - started
    commit_seconds = time.perf_counter() - committing
    result: dict[str, Any] = {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "rows": summary.rows,
        "added": summary.added,
        "people_added": summary.people_added,
        "benchmark_rows": summary.benchmark_rows,
        "followups_opened": summary.followups_opened,
        "opening_seconds": opening["seconds"],
        "commit_seconds": commit_seconds,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if trace:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    engine.dispose()
    return result


def _time_opening(service: Any, followups: bool) -> dict[str, float]:
    """Time the opener's own work (per chunk and at the end); without follow-ups, an opener that
    does nothing stands in, so the two runs differ by exactly the opening."""
    spent = {"seconds": 0.0}
    real = service.FollowupOpener

    class TimedOpener(real):  # type: ignore[misc, valid-type]
        def add(self, chunk: Any) -> None:
            if followups:
                started = time.perf_counter()
                super().add(chunk)
                spent["seconds"] += time.perf_counter() - started

        def open(self, session: Any, workspace_id: str, now: Any) -> int:
            if not followups:
                return 0
            started = time.perf_counter()
            opened = super().open(session, workspace_id, now)
            spent["seconds"] += time.perf_counter() - started
            return opened

    service.FollowupOpener = TimedOpener
    return spent


# --------------------------------------------------------------------------------------------
# The raw baseline: the same rows into the same tables by the database's own bulk path

RESPONSE_COLUMNS = ("id", *RESPONSE_WRITE_COLUMNS)  # the importer's columns, with the ids
RESPONDENT_COLUMNS = ("id", "account_id", "person_key", "name", "email")


def run_raw(directory: Path, database_url: str) -> dict[str, Any]:
    """The rows the import stores, already as tuples with their ids, written as fast as the
    database takes them into the migrated tables (every index, unique key and foreign key)."""
    engine, sessions = _prepared(directory, database_url)
    with sessions() as session:
        people, responses = _raw_rows(directory / "responses.csv", session)
        session.commit()
    write = _raw_sqlite if engine.dialect.name == "sqlite" else _raw_copy
    seconds = write(engine, people, responses)
    engine.dispose()
    return {"seconds": seconds, "rows": len(responses), "people": len(people)}


def _raw_sqlite(engine: Any, people: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]) -> float:
    """sqlite3's executemany on its own connection, PRAGMAs as the bot's connections and the
    import's page cache (storage.db, storage.bulk.bulk_write_settings)."""
    connection = sqlite3.connect(engine.url.database)
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "synchronous=NORMAL",
        "temp_store=MEMORY",
        "cache_size=-65536",
    ):
        connection.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for table, columns, values in (
        ("respondents", RESPONDENT_COLUMNS, people),
        ("responses", RESPONSE_COLUMNS, rows),
    ):
        marks = ", ".join("?" * len(columns))
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
        )
    connection.commit()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _raw_copy(engine: Any, people: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]) -> float:
    """psycopg's COPY on a connection of the engine (same schema, same server settings)."""
    connection = engine.raw_connection()
    cursor = connection.cursor()
    started = time.perf_counter()
    for table, columns, values in (
        ("respondents", RESPONDENT_COLUMNS, people),
        ("responses", RESPONSE_COLUMNS, rows),
    ):
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    connection.commit()
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _raw_rows(path: Path, session: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(respondents, responses) as the import would store them: people numbered account by
    account, responses in (account, respondent) order, comments tagged, the cycles created."""
    from bot.core.cycles import cycle_start
    from bot.themes.tagging import CommentTagger
    from storage.models import Account, Cycle

    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for label in CYCLES:
        session.add(Cycle(workspace_id=WORKSPACE, label=label, starts_on=cycle_start(label)))
    session.flush()
    accounts = dict(session.query(Account.name, Account.id).all())
    cycles = dict(session.query(Cycle.label, Cycle.id).all())
    account = frame["Account"].map(accounts).to_numpy(dtype=np.int64)
    key = frame["Email"].str.lower()
    person = account.astype(str) + "|" + key.to_numpy(dtype=str)
    order = np.lexsort((person, account))
    frame, account, key, person = frame.iloc[order], account[order], key.iloc[order], person[order]
    codes, firsts = pd.factorize(person)
    respondent = codes + 1
    first = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
    people = list(
        zip(
            (np.arange(len(firsts)) + 1).tolist(),
            account[first].tolist(),
            key.iloc[first].tolist(),
            frame["Respondent"].iloc[first].tolist(),
            frame["Email"].iloc[first].tolist(),
            strict=True,
        )
    )
    comments = frame["Comment"].where(frame["Comment"] != "", None)
    tags = CommentTagger()(pd.DataFrame({"comment": comments.to_numpy(dtype=object)}))

    def score(column: str) -> list[Any]:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isnan(values), None, values).tolist()

    support = pd.to_numeric(frame["rating:Support"], errors="coerce").tolist()
    quality = pd.to_numeric(frame["rating:Product quality"], errors="coerce").tolist()
    ratings = [
        json.dumps({k: v for k, v in (("Product quality", q), ("Support", s)) if v == v})
        for q, s in zip(quality, support, strict=True)
    ]
    responses = list(
        zip(
            (np.arange(len(frame)) + 1).tolist(),
            account.tolist(),
            frame["Cycle"].map(cycles).tolist(),
            respondent.tolist(),
            frame["Title"].tolist(),
            frame["Role"].tolist(),
            score("Satisfaction"),
            score("Recommend"),
            score("Continue"),
            ratings,
            comments.tolist(),
            ["survey"] * len(frame),
            frame["Responded on"].tolist(),
            tags["themes"].tolist(),
            tags["tone"].tolist(),
            strict=True,
        )
    )
    return people, responses


# --------------------------------------------------------------------------------------------
# Orchestration: phases interleaved and repeated, one fresh database each

PHASES = ("raw", "import", "without", "next", "next-empty")


def _phase(*args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and read its JSON result."""
    completed = subprocess.run(
        [sys.executable, __file__, *args], check=False, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(f"phase {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


class FreshDatabases:
    """One empty database per phase: a new SQLite file, or a new schema on a shared server (so
    the benchmark never touches real data there)."""

    def __init__(self, directory: Path, server_url: str | None) -> None:
        self.directory = directory
        self.server_url = server_url

    def run(self, *args: str) -> dict[str, Any]:
        if self.server_url is None:
            path = self.directory / f"voc-{uuid.uuid4().hex[:8]}.db"
            try:
                return _phase(*args, "--database-url", f"sqlite:///{path}")
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        url, schema = _postgres_schema(self.server_url)
        try:
            return _phase(*args, "--database-url", url)
        finally:
            _drop_schema(self.server_url, schema)


def _postgres_schema(url: str) -> tuple[str, str]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine, normalize_url

    schema = f"voc_bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    parsed = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False), schema


def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def measure(databases: FreshDatabases, directory: Path, rounds: int) -> dict[str, list[Any]]:
    """Every phase once per round, the order rotating so none always runs first or last."""
    results: dict[str, list[Any]] = {phase: [] for phase in PHASES}
    for number in range(rounds):
        shift = number % len(PHASES)
        for phase in PHASES[shift:] + PHASES[:shift]:
            args = ["--phase", phase, "--dir", str(directory)]
            if phase == "without":
                args = ["--phase", "import", "--dir", str(directory), "--without-followups"]
            results[phase].append(databases.run(*args))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="repetitions of every phase")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("VOC_BENCH_DATABASE_URL"),
        help="a PostgreSQL server to measure as well (a throwaway schema per phase)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also report traced peak")
    parser.add_argument(
        "--phase",
        choices=["generate", "import", "raw", "next", "next-empty"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--without-followups", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        return _run_phase(args)
    if args.database_url and not args.database_url.startswith("postgres"):
        parser.error("--database-url names the PostgreSQL server to measure besides SQLite")

    with tempfile.TemporaryDirectory(prefix="voc-import-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        generated = _phase("--phase", "generate", "--rows", str(args.rows), "--dir", tmp)
        print(
            f"generated {generated['rows']:,} rows for {generated['accounts']:,} accounts, "
            f"{len(CYCLES)} cycles ({generated['bytes'] / 2**20:.0f} MiB CSV) "
            f"in {time.perf_counter() - started:.1f} s; {args.rounds} rounds per database, "
            "medians (each round's figure in brackets)"
        )
        servers: list[tuple[str, str | None]] = [("sqlite", None)]
        if args.database_url:
            servers.append(("postgresql", args.database_url))
        for name, server in servers:
            databases = FreshDatabases(directory, server)
            results = measure(databases, directory, max(1, args.rounds))
            traced = None
            if args.tracemalloc:
                traced = databases.run("--phase", "import", "--dir", tmp, "--tracemalloc")
            _report(name, results, traced)
    return 0


def _run_phase(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if args.phase == "generate":
        result = generate(args.rows, directory)
    elif args.phase == "import":
        result = run_import(
            directory, args.database_url, args.tracemalloc, not args.without_followups
        )
    elif args.phase in ("next", "next-empty"):
        history = args.phase == "next"
        result = run_import(directory, args.database_url, False, file="next.csv", history=history)
    else:
        result = run_raw(directory, args.database_url)
    print(json.dumps(result))
    return 0


def _each(values: list[float], spelling: str = "{:.2f}") -> str:
    """Each round's figure, in run order, so the spread behind a median shows."""
    return "[" + " ".join(spelling.format(value) for value in values) + "]"


def _report(name: str, results: dict[str, list[Any]], traced: dict[str, Any] | None) -> None:
    raw, imported, without = results["raw"], results["import"], results["without"]
    rows = imported[0]["rows"]
    raw_s = [r["seconds"] for r in raw]
    import_s = [r["seconds"] for r in imported]
    without_s = [r["seconds"] for r in without]
    # Each round's phases ran next to each other: ratios are taken within a round.
    ratios = [r / i for r, i in zip(raw_s, import_s, strict=True)]
    costs = [w / o - 1 for w, o in zip(import_s, without_s, strict=True)]
    opener = [r["opening_seconds"] for r in imported]
    bulk = "executemany" if name == "sqlite" else "COPY"

    def line(label: str, figure: str, each: str, note: str = "") -> None:
        print(f"  {label:<34}{figure:>10}  {each}{note}")

    print(f"{name}: {rows:,} rows, {raw[0]['people']:,} people")
    rate = f"  {rows / _median(raw_s):,.0f} rows/s"
    line(f"raw {bulk} into the same tables", f"{_median(raw_s):.2f} s", _each(raw_s), rate)
    rate = f"  {rows / _median(import_s):,.0f} rows/s"
    line("import_responses", f"{_median(import_s):.2f} s", _each(import_s), rate)
    line("import speed / raw speed", f"{_median(ratios):.2f}", _each(ratios))
    line("import without follow-up opening", f"{_median(without_s):.2f} s", _each(without_s))
    line(
        "opening follow-ups costs",
        f"{_median(costs):+.1%}",
        _each(costs, "{:+.1%}"),
        " over the import without it",
    )
    if name == "sqlite":
        # SQLite works inside the import's process: its CPU time is the steadier figure when
        # other work shares the machine (PostgreSQL's share is in the server's processes).
        pairs = zip(imported, without, strict=True)
        cpu = [w["cpu_seconds"] / o["cpu_seconds"] - 1 for w, o in pairs]
        line("  the same in CPU time", f"{_median(cpu):+.1%}", _each(cpu, "{:+.1%}"))
    line(
        f"opening {imported[0]['followups_opened']:,} follow-ups",
        f"{_median(opener):.2f} s",
        _each(opener),
        " (the opener's own work)",
    )
    commits = [r["commit_seconds"] for r in imported]
    rss = max(r["max_rss_mib"] for r in imported)
    print(
        f"  commit {_median(commits):.2f} s; peak RSS {rss:.0f} MiB (ru_maxrss of the import "
        f"process); benchmark rows {imported[0]['benchmark_rows']}"
    )
    later, alone = results["next"], results["next-empty"]
    later_s = [r["seconds"] for r in later]
    alone_s = [r["seconds"] for r in alone]
    added = [a / n - 1 for a, n in zip(later_s, alone_s, strict=True)]
    print(f"  the quarter after ({later[0]['rows']:,} rows, {NEXT_CYCLE}):")
    line("  into the database holding the file", f"{_median(later_s):.2f} s", _each(later_s))
    line("  into a database holding none", f"{_median(alone_s):.2f} s", _each(alone_s))
    line("  what the stored history adds", f"{_median(added):+.0%}", _each(added, "{:+.0%}"))
    if imported[0]["people_added"] != raw[0]["people"]:
        print(f"  (the import stored {imported[0]['people_added']:,} people)")
    if traced:
        print(f"  traced peak {traced['traced_peak_mib']:.0f} MiB (tracemalloc, separate run)")


# --------------------------------------------------------------------------------------------
# Comment tagging (themes and tone) — its cost within an import


def tagging_cost(rows: int, sample: int = 100_000, seed: int = 11) -> None:
    """Tag `sample` distinct comments as the import does, and scale to `rows` comments.

    The generated file repeats ten comments, and the import tags each distinct comment of a
    chunk once, so the import figure above hides the cost of real, all-different comments;
    this times CommentTagger on comments made distinct by their wording and a number.
    """
    from bot.themes.tagging import CommentTagger

    rng = np.random.default_rng(seed)
    pool = COMMENTS[COMMENTS != ""]
    texts = np.char.add(
        np.char.add(pool[rng.integers(0, len(pool), sample)], ", ticket "),
        np.arange(sample).astype(str),
    )
    chunk = pd.DataFrame({"comment": texts.astype(object)})
    tagger = CommentTagger()
    tagger(chunk.iloc[:100])  # VADER's lexicon is read once per process
    started = time.perf_counter()
    tagger(chunk)
    seconds = time.perf_counter() - started
    per_comment = seconds / sample
    print(f"comment tagging: {sample:,} distinct comments in {seconds:.2f} s")
    print(f"  µs per comment     {per_comment * 1e6:.1f}")
    print(f"  {rows:,} comments  {per_comment * rows:.1f} s (all distinct; scaled from the sample)")


if __name__ == "__main__":
    status = main()
    if "--phase" not in sys.argv:
        tagging_cost(int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 10**6)
    raise SystemExit(status)
