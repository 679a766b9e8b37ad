"""A Qualtrics export against the plain CSV it was made from, imported in the same run.

    python benchmarks/export_bench.py --rows 1000000

Generates import_bench's realistic responses file, then writes the same rows as Qualtrics
exports them: its bookkeeping columns (StartDate … UserLanguage), column IDs in row 1
(`Q1`, `Q3_1`, embedded data `Account`), question texts in row 2 and `{"ImportId": …}` in row
3, names split into RecipientFirstName / RecipientLastName, and a mapping file that joins them
again. Each file is imported into its own fresh SQLite database by `import_responses`, each in
its own process, timing the whole use case (reading, validation, writes, benchmarks, commit).
Prints both rates and their ratio (the target is at least 0.8); figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
for place in (ROOT, ROOT / "benchmarks"):
    if str(place) not in sys.path:
        sys.path.insert(0, str(place))

from import_bench import generate  # noqa: E402

QUESTIONS = {
    "Account": ("Account", "Account"),
    "Wave": ("Wave", "Wave"),
    "RecipientFirstName": ("Recipient First Name", "recipientFirstName"),
    "RecipientLastName": ("Recipient Last Name", "recipientLastName"),
    "RecipientEmail": ("Recipient Email", "recipientEmail"),
    "Q8": ("What is your job title?", "QID8_TEXT"),
    "Q9": ("Which best describes your role?", "QID9"),
    "RecordedDate": ("Recorded Date", "recordedDate"),
    "Q1": ("Overall, how satisfied are you with our service?", "QID1"),
    "Q2": ("How likely are you to recommend us to a colleague?", "QID2"),
    "Q5": ("How likely are you to continue working with us?", "QID5"),
    "Q3_1": ("How would you rate us on each of the following? - Support", "QID3_1"),
    "Q3_2": ("How would you rate us on each of the following? - Product quality", "QID3_2"),
    "Q4": ("What is the main reason for your score?", "QID4_TEXT"),
}
BOOKKEEPING = {
    "StartDate": "2026-10-12 08:14:03",
    "Status": "IP Address",
    "Progress": "100",
    "Finished": "True",
    "ResponseId": "R_1a2B3c4D5e6F7g8",
}
MAPPING = """fields:
  account: Account
  cycle: Wave
  respondent: [RecipientFirstName, RecipientLastName]
  email: RecipientEmail
  title: Q8
  role: Q9
  responded_on: RecordedDate
  satisfaction: Q1
  recommend: Q2
  continue: Q5
  "rating:support": Q3_1
  "rating:product quality": Q3_2
  comment: Q4
"""


def qualtrics_copy(directory: Path) -> Path:
    """The plain file's rows as a Qualtrics export, with its mapping beside it."""
    plain = pd.read_csv(directory / "responses.csv", dtype=str, keep_default_na=False)
    names = plain["Respondent"].str.split(" ", n=1, expand=True)
    columns: dict[str, Any] = dict.fromkeys(BOOKKEEPING)
    columns.update(
        {
            "Account": plain["Account"],
            "Wave": plain["Cycle"],
            "RecipientFirstName": names[0],
            "RecipientLastName": names[1],
            "RecipientEmail": plain["Email"],
            "Q8": plain["Title"],
            "Q9": plain["Role"],
            "RecordedDate": plain["Responded on"],
            "Q1": plain["Satisfaction"],
            "Q2": plain["Recommend"],
            "Q5": plain["Continue"],
            "Q3_1": plain["rating:Support"],
            "Q3_2": plain["rating:Product quality"],
            "Q4": plain["Comment"],
        }
    )
    for column, value in BOOKKEEPING.items():
        columns[column] = value
    export = pd.DataFrame(columns)
    texts = [QUESTIONS.get(c, (c, c))[0] for c in export.columns]
    ids = [json.dumps({"ImportId": QUESTIONS.get(c, (c, c))[1]}) for c in export.columns]
    path = directory / "qualtrics.csv"
    header = pd.DataFrame([texts, ids], columns=export.columns)
    pd.concat([header, export], ignore_index=True).to_csv(path, index=False)
    (directory / "mapping.yaml").write_text(MAPPING)
    return path


def run_import(directory: Path, which: str) -> dict[str, Any]:
    from bot.intake.exports import load_mapping
    from bot.intake.service import import_accounts, import_responses
    from storage.db import make_engine, session_factory, transaction, upgrade

    engine = make_engine(f"sqlite:///{directory / f'{which}.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        import_accounts(session, directory / "roster.csv", workspace_id="bench", actor="bench")
    started = time.perf_counter()
    with transaction(sessions) as session:
        if which == "plain":
            summary = import_responses(
                session, directory / "responses.csv", workspace_id="bench", actor="bench"
            )
        else:
            summary = import_responses(
                session,
                directory / "qualtrics.csv",
                workspace_id="bench",
                actor="bench",
                mapping=load_mapping(directory / "mapping.yaml"),
            )
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": summary.rows, "added": summary.added}


def _phase(*args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=["generate", "plain", "qualtrics"])
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument(
        "--export-first", action="store_true", help="import the export before the plain file"
    )
    args = parser.parse_args(argv)
    if args.phase == "generate":
        generated = generate(args.rows, Path(args.dir))
        qualtrics_copy(Path(args.dir))
        print(json.dumps(generated))
        return 0
    if args.phase:
        print(json.dumps(run_import(Path(args.dir), args.phase)))
        return 0
    with tempfile.TemporaryDirectory(prefix="voc-export-bench-") as tmp:
        generated = _phase("--phase", "generate", "--rows", str(args.rows), "--dir", tmp)
        order = ["qualtrics", "plain"] if args.export_first else ["plain", "qualtrics"]
        timed = {which: _phase("--phase", which, "--dir", tmp) for which in order}
        plain, qualtrics = timed["plain"], timed["qualtrics"]
    plain_rate = plain["rows"] / plain["seconds"]
    export_rate = qualtrics["rows"] / qualtrics["seconds"]
    print(f"{generated['rows']:,} rows, {generated['accounts']:,} accounts; imported {order}")
    print(f"plain CSV          {plain['seconds']:7.2f} s  {plain_rate:10,.0f} rows/s")
    print(f"Qualtrics export   {qualtrics['seconds']:7.2f} s  {export_rate:10,.0f} rows/s")
    print(f"ratio export/plain {export_rate / plain_rate:.2f} (target >= 0.80)")
    return 0 if plain["added"] == qualtrics["added"] == generated["rows"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
