"""How fast `voc import responses` loads a big file, against SQLite's own bulk-insert speed.

    python benchmarks/import_bench.py --rows 1000000 [--database-url URL] [--tracemalloc]

Generates a realistic responses file (13 columns: account, cycle, respondent, email, title, role,
date, three scores, two `rating:` columns and a short comment; many accounts, 8 quarterly cycles,
people answering cycle after cycle) and a roster for its accounts, then in separate processes:

1. imports the roster (not timed), then the responses through
   `bot.intake.service.import_responses` into a fresh database, timing the whole use case:
   reading, validation, writes, benchmarks, commit;
2. inserts the same rows with a plain `sqlite3` `executemany` into an equivalent `responses` table
   (same columns, constraints and indexes, same PRAGMAs as the bot's connections), timing only the
   insert and its commit.

Each phase runs in its own process so that one's memory (the generator's frame, the raw insert's
list of tuples) never counts against another's. Peak memory is the import process's RSS high-water
mark (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, interpreter and libraries included); with
`--tracemalloc`, a second import reports the peak of Python allocations traced by tracemalloc
(slower, so it is not the timed run). Figures are printed, never asserted.
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
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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
    roster = pd.DataFrame(
        {
            "account": account_names,
            "segment": SEGMENTS[rng.integers(0, len(SEGMENTS), accounts)],
            "tier": np.array(["strategic", "key", "standard"])[rng.integers(0, 3, accounts)],
        }
    )
    roster.to_csv(directory / "roster.csv", index=False)
    return {"rows": rows, "accounts": accounts, "bytes": responses.stat().st_size}


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
# The import, as the CLI runs it


def run_import(directory: Path, database_url: str, trace: bool) -> dict[str, Any]:
    from bot.intake.service import import_accounts, import_responses
    from storage.db import make_engine, session_factory, transaction, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        import_accounts(session, directory / "roster.csv", workspace_id="bench", actor="bench")
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    with transaction(sessions) as session:
        summary = import_responses(
            session, directory / "responses.csv", workspace_id="bench", actor="bench"
        )
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "seconds": seconds,
        "rows": summary.rows,
        "added": summary.added,
        "benchmark_rows": summary.benchmark_rows,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if trace:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    engine.dispose()
    return result


# --------------------------------------------------------------------------------------------
# The raw baseline

RAW_TABLE = """
CREATE TABLE responses (
    id INTEGER NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL,
    cycle_id INTEGER NOT NULL,
    respondent_id INTEGER NOT NULL,
    title VARCHAR(200),
    role VARCHAR(30),
    satisfaction FLOAT NOT NULL,
    recommend FLOAT,
    continue_score FLOAT,
    ratings JSON NOT NULL,
    comment TEXT,
    source VARCHAR(20) NOT NULL,
    responded_on DATE,
    UNIQUE (respondent_id, cycle_id)
);
CREATE INDEX ix_responses_account_cycle ON responses (account_id, cycle_id);
CREATE INDEX ix_responses_cycle ON responses (cycle_id);
"""
RAW_INSERT = (
    "INSERT INTO responses (account_id, cycle_id, respondent_id, title, role, satisfaction, "
    "recommend, continue_score, ratings, comment, source, responded_on) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def run_raw(directory: Path) -> dict[str, Any]:
    """The same rows, already as tuples, through sqlite3 alone: the floor an importer can reach."""
    rows = _raw_rows(directory / "responses.csv")
    path = directory / "raw.db"
    connection = sqlite3.connect(path)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "cache_size=-65536",
    ):
        connection.execute(f"PRAGMA {pragma}")
    connection.executescript(RAW_TABLE)
    started = time.perf_counter()
    connection.executemany(RAW_INSERT, rows)
    connection.commit()
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "rows": len(rows)}


def _raw_rows(path: Path) -> list[tuple[Any, ...]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    account = pd.factorize(frame["Account"])[0] + 1
    cycle = pd.factorize(frame["Cycle"])[0] + 1
    person = pd.factorize(frame["Account"] + "|" + frame["Email"])[0] + 1

    def score(column: str) -> list[Any]:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isnan(values), None, values).tolist()

    support = pd.to_numeric(frame["rating:Support"], errors="coerce")
    quality = pd.to_numeric(frame["rating:Product quality"], errors="coerce")
    ratings = [
        json.dumps({k: v for k, v in (("Product quality", q), ("Support", s)) if v == v})
        for q, s in zip(quality.tolist(), support.tolist(), strict=True)
    ]
    comments = frame["Comment"].where(frame["Comment"] != "", None).tolist()
    return list(
        zip(
            account.tolist(),
            cycle.tolist(),
            person.tolist(),
            frame["Title"].tolist(),
            frame["Role"].tolist(),
            score("Satisfaction"),
            score("Recommend"),
            score("Continue"),
            ratings,
            comments,
            ["survey"] * len(frame),
            frame["Responded on"].tolist(),
            strict=True,
        )
    )


# --------------------------------------------------------------------------------------------
# Orchestration


def _phase(*args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter and read its JSON result."""
    completed = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _postgres_schema(url: str) -> tuple[str, str]:
    """A throwaway schema, so the benchmark never touches real data on a shared server."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from storage.db import make_engine, normalize_url

    schema = f"voc_bench_{uuid.uuid4().hex[:8]}"
    with make_engine(url).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    parsed = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False), schema


def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text

    from storage.db import make_engine

    with make_engine(url).begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="import here instead of a fresh SQLite file")
    parser.add_argument("--tracemalloc", action="store_true", help="also report traced peak")
    parser.add_argument("--phase", choices=["generate", "import", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        return _run_phase(args)

    with tempfile.TemporaryDirectory(prefix="voc-import-bench-") as tmp:
        started = time.perf_counter()
        generated = _phase("--phase", "generate", "--rows", str(args.rows), "--dir", tmp)
        print(
            f"generated {generated['rows']:,} rows for {generated['accounts']:,} accounts, "
            f"{len(CYCLES)} cycles ({generated['bytes'] / 2**20:.0f} MiB CSV) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        url, schema = args.database_url, None
        if url and url.startswith("postgres"):
            url, schema = _postgres_schema(args.database_url)
        url = url or f"sqlite:///{Path(tmp) / 'voc.db'}"
        try:
            imported = _phase("--phase", "import", "--dir", tmp, "--database-url", url)
            traced = None
            if args.tracemalloc:
                if schema is None and url.startswith("sqlite"):
                    os.remove(url.removeprefix("sqlite:///"))
                traced = _phase(
                    "--phase", "import", "--dir", tmp, "--database-url", url, "--tracemalloc"
                )
        finally:
            if schema:
                _drop_schema(args.database_url, schema)
        raw = _phase("--phase", "raw", "--dir", tmp)
    _report(imported, raw, traced, url)
    return 0


def _run_phase(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if args.phase == "generate":
        result = generate(args.rows, directory)
    elif args.phase == "import":
        result = run_import(directory, args.database_url, args.tracemalloc)
    else:
        result = run_raw(directory)
    print(json.dumps(result))
    return 0


def _report(
    imported: dict[str, Any], raw: dict[str, Any], traced: dict[str, Any] | None, url: str
) -> None:
    rate = imported["rows"] / imported["seconds"]
    raw_rate = raw["rows"] / raw["seconds"]
    database = url.split(":", 1)[0]
    print(f"import_responses ({database}): {imported['rows']:,} rows")
    print(f"  seconds            {imported['seconds']:.2f}")
    print(f"  rows/s             {rate:,.0f}")
    rss = imported["max_rss_mib"]
    print(f"  peak RSS           {rss:.0f} MiB (ru_maxrss of the import process)")
    if traced:
        peak = traced["traced_peak_mib"]
        print(f"  traced peak        {peak:.0f} MiB (tracemalloc, separate run)")
    print(f"  benchmark rows     {imported['benchmark_rows']}")
    print(f"raw sqlite3.executemany: {raw['rows']:,} rows in {raw['seconds']:.2f} s")
    print(f"  rows/s             {raw_rate:,.0f}")
    print(f"ratio import/raw     {rate / raw_rate:.2f}")


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
