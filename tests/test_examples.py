"""The sample files in `examples/` import as the README says, with figures counted by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
VOC = Path(sys.executable).parent / "voc"


def _voc(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """As the README runs it: from the checkout, on a fresh SQLite file, without Slack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VOC_"))}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [str(VOC), *args], cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_example_files_import_and_report_what_they_hold(tmp_path: Path) -> None:
    database = tmp_path / "voc.db"
    accounts = _voc("import", "accounts", "examples/accounts.csv", database=database)
    assert accounts.returncode == 0, accounts.stderr
    assert "5 accounts added, 0 updated, 0 unchanged" in accounts.stdout

    responses = _voc("import", "responses", "examples/responses.csv", database=database)
    assert responses.returncode == 0, responses.stderr
    # 20 answers in each quarter; 22 people (Eva Holm and Fatima Noor answer only in Q2,
    # Oskar Nyberg and Grace Finch only in Q3); 3 segments + all customers, in 2 cycles.
    assert "40 responses added, 0 updated, 0 unchanged" in responses.stdout
    assert "Cycles: 2026-Q2, 2026-Q3" in responses.stdout
    assert "People: 22 new" in responses.stdout
    assert "Benchmarks recomputed: 8 segment/all rows" in responses.stdout
    assert "Ignored columns" not in responses.stdout and "Warning" not in responses.stdout

    again = _voc("import", "responses", "examples/responses.csv", database=database)
    assert "0 responses added, 0 updated, 40 unchanged" in again.stdout

    nordhavn = json.loads(_voc("account", "nordhavn", "--json", database=database).stdout)
    # Q3 recommend 9, 8, 10, 7, 6: 2 promoters − 1 detractor of 5 = +20; satisfaction 39/5.
    # Q2 recommend 8, 7, 9, 5, 9: also +20; satisfaction 38/5.
    assert (nordhavn["cycle"], nordhavn["nps"], nordhavn["satisfaction_mean"]) == (
        "2026-Q3",
        20,
        7.8,
    )
    assert nordhavn["previous"] == {"cycle": "2026-Q2", "nps": 20.0, "satisfaction_mean": 7.6}
    # Enterprise Q3 adds Calder & Finch's 9, 9, 8, 6: 4 promoters − 2 detractors of 9 = +22.2.
    assert nordhavn["segment"]["nps"] == 22.2 and nordhavn["segment"]["respondents"] == 9
    # All 20 of Q3: 7 promoters − 6 detractors = +5.
    assert nordhavn["all_customers"] == {"nps": 5.0, "satisfaction_mean": 7.5, "respondents": 20}

    ashgrove = json.loads(_voc("account", "ashgrove", "--json", database=database).stdout)
    # Q3 recommend 3, 5, 6, 4: all detractors. Q2 4, 6, 7, 3: 3 detractors of 4 = −75.
    assert (ashgrove["nps"], ashgrove["satisfaction_mean"]) == (-100, 5.0)
    assert ashgrove["previous"] == {"cycle": "2026-Q2", "nps": -75.0, "satisfaction_mean": 5.5}
    assert ashgrove["people"][0]["respondent"] == "Helen Marsh"  # the lowest satisfaction, 4
