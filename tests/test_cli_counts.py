"""Counts in the terminal agree with their nouns: `1 row`, `1 account`, never `1 accounts`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.text import plural
from tests.cli import voc, write_csv


def test_plural_agrees_with_the_count() -> None:
    assert plural(1, "account") == "1 account"
    assert plural(0, "account") == "0 accounts"
    assert plural(12400, "row") == "12,400 rows"
    assert plural(1, "person", "people") == "1 person"
    assert plural(2, "person", "people") == "2 people"


def test_import_summaries_of_one_row_are_singular(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'voc.db'}"
    roster = write_csv(
        tmp_path / "roster.csv",
        "account,segment,tier,account_manager",
        "ACME Corp,Enterprise,strategic,U0AM00001",
    )
    answers = write_csv(
        tmp_path / "answers.csv",
        "account,cycle,respondent,email,satisfaction,recommend,continue",
        "ACME Corp,2026-Q3,Ann Lee,ann@acme.example,9,10,9",
    )

    accounts = voc("import", "accounts", str(roster), cwd=tmp_path, DATABASE_URL=db)
    assert accounts.code == 0, accounts.err
    assert accounts.out.splitlines()[0] == (
        "Imported roster.csv: 1 row — 1 account added, 0 updated, 0 unchanged."
    )

    responses = voc("import", "responses", str(answers), cwd=tmp_path, DATABASE_URL=db)
    assert responses.code == 0, responses.err
    assert responses.out.splitlines() == [
        "Imported answers.csv: 1 row — 1 response added, 0 updated, 0 unchanged.",
        "Cycles: 2026-Q3",
        "People: 1 new",
        "Benchmarks recomputed: 2 segment/all rows",
    ]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "Created 1 account (segment Unsegmented): Initech"), (2, "Created 2 accounts")],
)
def test_created_accounts_are_counted_in_words(tmp_path: Path, count: int, expected: str) -> None:
    names = ["Initech", "Umbrella"][:count]
    answers = write_csv(
        tmp_path / "answers.csv",
        "account,cycle,respondent,email,satisfaction,recommend,continue",
        *(f"{name},2026-Q3,Ann Lee,ann@{name.lower()}.example,9,10,9" for name in names),
    )
    ran = voc(
        "import",
        "responses",
        str(answers),
        "--create-accounts",
        cwd=tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'voc.db'}",
    )
    assert ran.code == 0, ran.err
    assert expected in ran.out
