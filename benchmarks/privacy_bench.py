"""What `voc forget --email` and `voc export` cost on a large SQLite portfolio, against floors.

    python benchmarks/privacy_bench.py --rows 200000

Generates import_bench's realistic responses file (8 cycles, people answering cycle after
cycle) and imports it into a fresh SQLite database (not timed). Then, in this order on that
file:

1. `VACUUM` alone, the floor of any erasure that must leave no freed page behind;
2. `forget_person` for one person who answered every cycle, in its transaction (finding them,
   deleting, recomputing eight cycles' benchmarks and key-driver statistics, redacting the
   commitments and the audit log), then `reclaim_freed_pages`; both times are printed and the
   total's ratio to the floor;
3. `export` of every account into a fresh directory, against a plain `sqlite3` dump of the
   responses table through `csv.writer` (the floor of writing those rows at all).

Figures are printed, never asserted; a machine shared with other work makes them noisy.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for place in (ROOT, ROOT / "benchmarks"):
    if str(place) not in sys.path:
        sys.path.insert(0, str(place))

from import_bench import generate, run_import  # noqa: E402

WORKSPACE = "bench"  # import_bench's


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        made = generate(args.rows, directory)
        url = f"sqlite:///{directory / 'bench.db'}"
        imported = run_import(directory, url, trace=False, followups=True)
        print(f"imported {imported['rows']:,} responses of {made['accounts']:,} accounts")
        vacuum = _vacuum(directory / "bench.db")
        print(f"floor: VACUUM of {(directory / 'bench.db').stat().st_size / 2**20:.1f} MiB: "
              f"{vacuum:.2f} s")  # fmt: skip
        forgetting, reclaiming = _forget(url)
        total = forgetting + reclaiming
        print(f"forget --email: {forgetting:.2f} s in its transaction + {reclaiming:.2f} s "
              f"rebuilding the file = {total:.2f} s ({total / vacuum:.2f}x the floor)")  # fmt: skip
        exporting, rows = _export(url, directory / "export")
        raw = _raw_dump(directory / "bench.db", directory / "raw.csv")
        print(f"export of every account: {exporting:.2f} s for {rows:,} rows in six files; "
              f"raw dump of responses: {raw:.2f} s ({exporting / raw:.2f}x)")  # fmt: skip
    return 0


def _vacuum(path: Path) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    started = time.perf_counter()
    connection.execute("VACUUM")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _someone_in_every_cycle(url: str) -> str:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    email = connection.execute(
        "SELECT email FROM respondents JOIN responses ON responses.respondent_id = respondents.id"
        " GROUP BY respondents.id ORDER BY count(*) DESC, respondents.id LIMIT 1"
    ).fetchone()[0]
    connection.close()
    return str(email)


def _forget(url: str) -> tuple[float, float]:
    from bot.intake.erasure import Person, forget_person
    from storage.db import make_engine, reclaim_freed_pages, session_factory, transaction

    email = _someone_in_every_cycle(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with transaction(sessions) as session:
        done = forget_person(session, WORKSPACE, Person(email=email), actor="bench")
    middle = time.perf_counter()
    reclaim_freed_pages(engine)
    ended = time.perf_counter()
    engine.dispose()
    print(f"  erased {done.responses} responses in {len(done.cycles)} cycles")
    return middle - started, ended - middle


def _export(url: str, out: Path) -> tuple[float, int]:
    from bot.export.service import export
    from storage.db import make_engine, session_factory, transaction

    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with transaction(sessions) as session:
        written = export(session, WORKSPACE, None, out)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, sum(done.rows for done in written)


def _raw_dump(path: Path, out: Path) -> float:
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    with out.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        cursor = connection.execute("SELECT * FROM responses")
        writer.writerow([column[0] for column in cursor.description])
        writer.writerows(cursor)
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


if __name__ == "__main__":
    raise SystemExit(main())
