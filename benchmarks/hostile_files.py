"""How `voc import` meets files built to break it: how many crashed, and how long each took.

    python benchmarks/hostile_files.py [--database-url URL]   # URL: an empty scratch database

Builds every attack in tests/hostile_files.py in a temporary directory (plus a roster so the
database is not empty), runs `voc import` on each as a separate process, as an operator would,
and prints one line per file: exit status, seconds, and the reason `voc` gave. A crash is an
exit status other than 2 or a traceback on standard error. Figures are printed, never asserted;
the seconds include starting Python and opening the database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile_files import HOSTILE, kind_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        url = args.database_url or f"sqlite:///{directory / 'voc.db'}"
        (directory / "secret.txt").write_text("TOP-SECRET", encoding="utf-8")
        roster = directory / "roster.csv"
        roster.write_text("account,segment\nAcme,Enterprise\n", encoding="utf-8")
        _voc(directory, url, "import", "accounts", str(roster))
        crashed = 0
        for name, build in HOSTILE.items():
            path = build(directory)
            started = time.perf_counter()
            ran = _voc(directory, url, "import", kind_of(path), str(path))
            seconds = time.perf_counter() - started
            broke = ran.returncode != 2 or "Traceback" in ran.stderr or "TOP-SECRET" in ran.stderr
            crashed += broke
            reason = (ran.stderr.strip().splitlines() or [""])[-1][:110]
            print(f"{name:34} exit {ran.returncode}  {seconds:5.1f} s  {reason}")
        print(f"{crashed} of {len(HOSTILE)} hostile files crashed the importer")


def _voc(directory: Path, url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VOC_"))}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


if __name__ == "__main__":
    main()
