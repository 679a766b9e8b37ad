"""Trust: a follow-up is opened once per person and cycle, whatever runs at the same time, and
a settled one stays settled when the file comes again.

Two `voc import responses` processes load the same file into one PostgreSQL database at the
same moment (SQLite takes one writer at a time, so the race is PostgreSQL's). Expected by hand
from the file: Cy Dunn (satisfaction 4), Di Eve (recommend 3) and Ida Jo (satisfaction 6) need a
follow-up; Ann Lee (9, 9, 9) does not.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.cli import Ran, clean_env, voc, write_csv
from tests.conftest import _truncate_all

ROSTER = ("account,segment,account_manager", "Acme Corp,Enterprise,U0AM00001")
HEADER = "account,cycle,respondent,email,role,satisfaction,recommend,continue"
ROWS = (
    "Acme Corp,2026-Q4,Ann Lee,ann@acme.example,decision_maker,9,9,9",
    "Acme Corp,2026-Q4,Cy Dunn,cy@acme.example,user,4,8,8",
    "Acme Corp,2026-Q4,Di Eve,di@acme.example,user,8,3,8",
    "Acme Corp,2026-Q4,Ida Jo,ida@acme.example,user,6,9,9",
)


def _followups(tmp_path: Path, env: dict[str, str]) -> list[dict[str, object]]:
    ran = voc("followups", "--status", "all", "--json", cwd=tmp_path, env=env)
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def test_two_imports_of_one_file_at_once_open_each_follow_up_once(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    _truncate_all(postgres_schema_url)
    env = clean_env(DATABASE_URL=postgres_schema_url)
    roster = write_csv(tmp_path / "roster.csv", *ROSTER)
    responses = write_csv(tmp_path / "q4.csv", HEADER, *ROWS)
    assert voc("import", "accounts", str(roster), cwd=tmp_path, env=env).code == 0

    start = threading.Barrier(2)
    results: list[Ran] = []

    def run() -> None:
        start.wait(timeout=30)
        results.append(voc("import", "responses", str(responses), cwd=tmp_path, env=env))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [ran.code for ran in results] == [0, 0], [ran.err for ran in results]
    opened = sorted("Follow-ups opened: 3" in ran.out for ran in results)
    assert opened == [False, True]  # one import opened the three; the other found them there
    people = [item["respondent"] for item in _followups(tmp_path, env)]
    assert sorted(people) == ["Cy Dunn", "Di Eve", "Ida Jo"]


def test_re_importing_leaves_a_settled_follow_up_settled(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    _truncate_all(postgres_schema_url)
    env = clean_env(DATABASE_URL=postgres_schema_url)
    roster = write_csv(tmp_path / "roster.csv", *ROSTER)
    responses = write_csv(tmp_path / "q4.csv", HEADER, *ROWS)
    assert voc("import", "accounts", str(roster), cwd=tmp_path, env=env).code == 0
    assert voc("import", "responses", str(responses), cwd=tmp_path, env=env).code == 0
    ids = {item["respondent"]: item["id"] for item in _followups(tmp_path, env)}
    closed = voc(
        "followup", str(ids["Cy Dunn"]), "closed", "--by", "U0AM00001", cwd=tmp_path, env=env
    )
    assert closed.code == 0, closed.err
    not_needed = voc(
        "followup",
        str(ids["Di Eve"]),
        "not-needed",
        "--by",
        "U0AM00001",
        "--note",
        "left",
        cwd=tmp_path,
        env=env,
    )
    assert not_needed.code == 0, not_needed.err

    again = voc("import", "responses", str(responses), cwd=tmp_path, env=env)
    assert again.code == 0 and "Follow-ups opened" not in again.out
    status = {item["respondent"]: item["status"] for item in _followups(tmp_path, env)}
    assert status == {"Cy Dunn": "closed", "Di Eve": "not_needed", "Ida Jo": "open"}
