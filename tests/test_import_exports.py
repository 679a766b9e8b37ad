"""Survey-tool exports through `voc import responses`, as a person runs it in a terminal.

Every case runs the real command in a child process (tests/cli.py) on the example files of
`examples/` or small exports written here; figures are counted by hand in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import Ran, voc

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUALTRICS = EXAMPLES / "qualtrics_export.csv"
QUALTRICS_MAPPING = EXAMPLES / "qualtrics_mapping.yaml"
MONKEY = EXAMPLES / "surveymonkey_export.csv"
MONKEY_MAPPING = EXAMPLES / "surveymonkey_mapping.yaml"

IMPORT_ID = '"{""ImportId"":""QID{}""}"'


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory with its own database, holding the example roster."""
    ran = run(tmp_path, "import", "accounts", str(EXAMPLES / "accounts.csv"))
    assert ran.code == 0, ran.err
    return tmp_path


def run(cwd: Path, *argv: str) -> Ran:
    return voc(*argv, cwd=cwd, DATABASE_URL=f"sqlite:///{cwd / 'voc.db'}")


def report(cwd: Path, account: str) -> dict:
    ran = run(cwd, "account", account, "--json")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def test_the_qualtrics_example_imports_with_its_mapping(workdir: Path) -> None:
    ran = run(
        workdir,
        "import",
        "responses",
        str(QUALTRICS),
        "--mapping",
        str(QUALTRICS_MAPPING),
        "--cycle",
        "2026-Q4",
    )
    assert ran.code == 0, ran.err
    assert "Imported qualtrics_export.csv: 5 rows — 5 responses added" in ran.out
    assert "Cycles: 2026-Q4" in ran.out
    # Mikkel Dahl (5, 4) and Helen Marsh (4, 3) are dissatisfied detractors; no one else.
    assert "Follow-ups opened: 2" in ran.out
    # Q6 is asked but mapped to nothing: named, with its question text.
    assert (
        'Unmapped questions (not imported; map them with --mapping): Q6 "Is there anything else '
        'you would like to tell us?"' in ran.out
    )
    # First and last names were used (joined), so they are not listed as ignored.
    assert '"RecipientFirstName"' not in ran.out and '"StartDate"' in ran.out
    nordhavn = report(workdir, "nordhavn")
    # Satisfaction 9, 7, 5 → 7.0; recommend 10, 8, 4: one promoter, one detractor of 3 → 0.
    assert (nordhavn["cycle"], nordhavn["satisfaction_mean"], nordhavn["nps"]) == (
        "2026-Q4",
        7.0,
        0,
    )
    people = {p["respondent"]: p for p in nordhavn["people"]}
    assert set(people) == {"Ingrid Solberg", "Jonas Berg", "Mikkel Dahl"}
    assert people["Mikkel Dahl"]["comment"] == "Invoices still arrive without our PO numbers."
    assert people["Ingrid Solberg"]["continue"] == 9

    again = run(
        workdir,
        "import",
        "responses",
        str(QUALTRICS),
        "--mapping",
        str(QUALTRICS_MAPPING),
        "--cycle",
        "2026-Q4",
        "--format",
        "qualtrics",
    )
    assert "0 responses added, 0 updated, 5 unchanged" in again.out, again.err


def test_the_surveymonkey_example_imports_with_its_mapping(workdir: Path) -> None:
    ran = run(workdir, "import", "responses", str(MONKEY), "--mapping", str(MONKEY_MAPPING))
    assert ran.code == 0, ran.err
    assert "3 rows — 3 responses added" in ran.out and "Cycles: 2026-Q4" in ran.out
    # Ben Carter: satisfaction 6, recommend 5, and asked to be contacted: one follow-up.
    assert "Follow-ups opened: 1" in ran.out
    assert "Unmapped questions" not in ran.out
    meadowlark = report(workdir, "meadowlark")
    # Satisfaction 9, 6, 8 → 7.7; recommend 9, 5, 7 → (1 − 1) / 3 = 0.
    assert (meadowlark["satisfaction_mean"], meadowlark["nps"]) == (7.7, 0)
    roles = {p["respondent"]: p["role"] for p in meadowlark["people"]}
    assert roles == {
        "Sofia Alvarez": "decision_maker",
        "Ben Carter": "influencer",
        "Lucy Ward": "user",
    }


def qualtrics_csv(path: Path, ids: list[str], texts: list[str], *rows: str) -> Path:
    imports = ",".join(IMPORT_ID.replace("{}", str(i)) for i in range(len(ids)))
    path.write_text("\n".join([",".join(ids), ",".join(texts), imports, *rows]) + "\n")
    return path


def test_a_qualtrics_export_without_a_mapping_matches_the_usual_names(workdir: Path) -> None:
    export = qualtrics_csv(
        workdir / "wave.csv",
        ["ResponseId", "Account", "Q7", "Q1", "Q2", "Q3"],
        ["Response ID", "Company", "Name", "Overall satisfaction", "NPS", "Why?"],
        "R_1,Nordhavn Logistics,Ingrid Solberg,8,9,Fine",
        "R_2,Nordhavn Logistics,Jonas Berg,6,10,Slow",
    )
    ran = run(workdir, "import", "responses", str(export), "--cycle", "2026-Q4")
    assert ran.code == 0, ran.err
    assert "2 rows — 2 responses added" in ran.out
    assert 'Unmapped questions (not imported; map them with --mapping): Q3 "Why?"' in ran.out
    # Satisfaction 8, 6 → 7.0; recommend 9, 10: two promoters of 2 → +100.
    nordhavn = report(workdir, "nordhavn")
    assert (nordhavn["satisfaction_mean"], nordhavn["nps"]) == (7.0, 100)


def test_errors_in_an_export_name_the_spreadsheet_rows(workdir: Path) -> None:
    export = qualtrics_csv(
        workdir / "bad.csv",
        ["Account", "Q7", "Q1"],
        ["Account", "Name", "Overall satisfaction"],
        "Nordhavn Logistics,Ingrid Solberg,8",
        "Nordhavn Logistics,Jonas Berg,11",
    )
    ran = run(workdir, "import", "responses", str(export), "--cycle", "2026-Q4")
    assert ran.code == 2
    # Row 1 IDs, row 2 questions, row 3 ImportIds, so Jonas is on the sheet's row 5.
    assert ran.err_lines == [
        "bad.csv was rejected; nothing was imported.",
        'row 5, satisfaction: "11" is outside 0–10',
    ]
    assert report(workdir, "nordhavn")["respondents"] == 0


def test_a_surveymonkey_export_without_a_mapping_lists_its_unmapped_questions(
    workdir: Path,
) -> None:
    export = workdir / "monkey.csv"
    export.write_text(
        "Respondent ID,Account,Name,Overall satisfaction,Please rate us on:,\n"
        ",Response,Response,Response,Support,Onboarding\n"
        "1,Ashgrove Health Trust,Amy Chen,7,8,6\n"
    )
    ran = run(workdir, "import", "responses", str(export), "--cycle", "2026-Q4")
    assert ran.code == 0, ran.err
    assert "1 row — 1 response added" in ran.out
    assert (
        "Unmapped questions (not imported; map them with --mapping): Please rate us on: | "
        "Support, Please rate us on: | Onboarding"
    ) in ran.out
    assert 'Ignored columns (not part of the format): "Respondent ID"' in ran.out


def test_a_mapping_that_names_a_missing_column_refuses_the_file(workdir: Path) -> None:
    mapping = workdir / "mapping.yaml"
    mapping.write_text(
        QUALTRICS_MAPPING.read_text().replace("satisfaction: Q1", "satisfaction: Q99")
    )
    ran = run(
        workdir, "import", "responses", str(QUALTRICS), "--mapping", str(mapping), "--cycle", "X"
    )
    assert ran.code == 2
    assert ran.err_lines[0] == "qualtrics_export.csv was rejected; nothing was imported."
    assert ran.err_lines[1].startswith(
        'mapping.yaml: satisfaction names the column "Q99", which qualtrics_export.csv does not '
        'have (its columns: "StartDate", '
    )
    assert len(ran.err_lines) == 2
    assert report(workdir, "nordhavn")["respondents"] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fields: [Q1, Q2]\n",
            "has no `fields:` mapping (for example `fields: {satisfaction: Q1}`)",
        ),
        ("fields: {satisfacton: Q1}\n", '"satisfacton" is not a field of a responses file'),
        ("fields: {satisfaction: [Q1, 7, {a: b}]}\n", "give a column name or a list of them"),
        ("fields: {satisfaction: Q1\n", "is not valid YAML (line 2)"),
    ],
)
def test_a_bad_mapping_file_is_one_clear_message(workdir: Path, text: str, message: str) -> None:
    mapping = workdir / "bad.yaml"
    mapping.write_text(text)
    ran = run(workdir, "import", "responses", str(QUALTRICS), "--mapping", str(mapping))
    assert ran.code == 2
    assert message in ran.err and "Traceback" not in ran.err


def test_a_format_the_file_does_not_have_is_refused(workdir: Path) -> None:
    ran = run(
        workdir, "import", "responses", str(EXAMPLES / "responses.csv"), "--format", "qualtrics"
    )
    assert ran.code == 2
    assert 'responses.csv is not a Qualtrics export: row 3 should hold {"ImportId": …}' in ran.err
    ran = run(workdir, "import", "responses", str(QUALTRICS), "--format", "surveymonkey")
    assert ran.code == 2
    assert "qualtrics_export.csv is not a SurveyMonkey export: row 2 should hold" in ran.err
    missing = run(workdir, "import", "responses", str(QUALTRICS), "--mapping", "nope.yaml")
    assert missing.code == 2 and "nope.yaml: no such file" in missing.err


def test_the_plain_example_still_reads_as_plain(workdir: Path) -> None:
    ran = run(workdir, "import", "responses", str(EXAMPLES / "responses.csv"), "--format", "plain")
    assert ran.code == 0, ran.err
    assert "40 responses added" in ran.out and "Unmapped" not in ran.out


def test_a_surveymonkey_xlsx_export_reads_like_its_csv(workdir: Path) -> None:
    import csv

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with MONKEY.open(newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([int(v) if v.isdigit() and len(v) < 3 else v for v in row])
    export = workdir / "monkey.xlsx"
    workbook.save(export)
    ran = run(workdir, "import", "responses", str(export), "--mapping", str(MONKEY_MAPPING))
    assert ran.code == 0, ran.err
    assert "3 rows — 3 responses added" in ran.out and "Follow-ups opened: 1" in ran.out
    assert report(workdir, "meadowlark")["satisfaction_mean"] == 7.7
