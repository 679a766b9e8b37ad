"""Hostile files get a message, not a traceback (issue 18), through the real `voc` process.

Every attack in tests/hostile_files.py is imported on SQLite and PostgreSQL: exit 2, the usual
rejection heading and one line saying why, no traceback, nothing stored, and the external
entity's file never read. Then the limits on attributes, a cycle that already holds ~1,000
attributes, and `voc forget --cycle`, the way out for data that should not be there.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from bot.intake import service
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account, AuditEntry, Benchmark, Cycle, Followup, Respondent, Response
from tests.cli import voc, write_csv
from tests.hostile_files import HOSTILE, empty_rows, kind_of, row, wide_responses, write_xlsx
from tests.portfolio import account_row, load, response_row

SECRET = "TOP-SECRET-XXE-7f3a"
EXPECTED = {
    "billion laughs": "laughs.xlsx is refused: its XML declares entities or a document type (DTD)",
    "external entity": "xxe.xlsx is refused: its XML declares entities or a document type (DTD)",
    "damaged XML (NUL)": "nul.xlsx is not a readable XLSX workbook: its XML is damaged.",
    "2,000,000 empty rows": "empty.xlsx is refused: a sheet has more rows than the 1,048,576",
    "2,000,000 empty rows, undeclared": "empty-undeclared.xlsx is refused: a sheet has more rows",
    "1 MB random Latin-1": "random.csv is not text: ",
    "9,993 rating: columns": "the file has 9,993 rating: columns; a file may rate at most 60",
    "NUL in a CSV": "nul.csv contains binary data (a NUL byte on line 3)",
}


def _stored(runtime: Runtime) -> tuple[int, int, int, int]:
    with runtime.sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Account, Response, Respondent, Cycle)
        )


@pytest.fixture
def seeded(any_runtime: Runtime) -> Runtime:
    """One account with one answer, so "nothing stored" is checked against a real baseline."""
    load(any_runtime, [account_row("Acme")], [response_row("Acme", "2026-Q2", "Bo Lee", 8, 9, 9)])
    return any_runtime


@pytest.mark.parametrize("attack", list(HOSTILE))
def test_a_hostile_file_is_refused_in_one_line(
    seeded: Runtime, tmp_path: Path, attack: str
) -> None:
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    path = HOSTILE[attack](tmp_path)
    before = _stored(seeded)
    ran = voc("import", kind_of(path), str(path), cwd=tmp_path, DATABASE_URL=_url(seeded))
    assert ran.code == 2, ran.err
    heading, reason = ran.err_lines
    assert heading == f"{path.name} was rejected; nothing was imported."
    assert reason.startswith(EXPECTED[attack]), reason
    assert "Traceback" not in ran.err and SECRET not in ran.err + ran.out
    assert _stored(seeded) == before


def test_a_long_run_of_blank_rows_is_refused_with_where_it_starts(
    runtime: Runtime, tmp_path: Path
) -> None:
    path = empty_rows(tmp_path, 10_050, dimension=False)
    ran = voc("import", "accounts", str(path), cwd=tmp_path, DATABASE_URL=_url(runtime))
    assert (ran.code, ran.err_lines[1]) == (
        2,
        "empty-undeclared.xlsx is refused: rows 3–10,002 of its first sheet are all blank, and a "
        "sheet may not have 10,000 blank rows in a row (empty but formatted rows are read one by "
        "one). Delete the empty rows, or save it as CSV",
    )
    assert _stored(runtime) == (0, 0, 0, 0)


def test_blank_rows_between_data_are_still_read(runtime: Runtime, tmp_path: Path) -> None:
    body = row(1, "account", "segment") + row(2, "Acme", "Enterprise")
    body += row(9_000, "Globex", "Mid-market")  # 8,997 blank rows between: under the limit
    path = write_xlsx(tmp_path / "gappy.xlsx", body)
    ran = voc("import", "accounts", str(path), cwd=tmp_path, DATABASE_URL=_url(runtime))
    assert ran.code == 0, ran.err
    assert _stored(runtime)[0] == 2


def test_a_nul_in_a_data_frame_names_its_row(any_runtime: Runtime) -> None:
    """Frames reach the importer from code (the demo, uploads); a NUL there is refused too."""
    frame = pd.DataFrame([account_row("Acme"), account_row("Be\x00ta", channel="C0BETA001")])
    with pytest.raises(service.ImportRejected) as refused, transaction(any_runtime.sessions) as s:
        service.import_accounts(s, frame, workspace_id="local", actor="test")
    assert refused.value.problems == [
        "data frame: row 3, account: contains a NUL character (\\u0000), which cannot be stored: "
        "delete it in the spreadsheet and import again"
    ]
    assert _stored(any_runtime) == (0, 0, 0, 0)


# --- attributes ------------------------------------------------------------------------------


def test_a_cycle_may_rate_at_most_60_attributes_across_files(
    seeded: Runtime, tmp_path: Path
) -> None:
    """60 attributes fit; a later file may add answers to them but no 61st attribute. The
    benchmark aggregate of a cycle that already holds data runs in the database, on both."""
    url = _url(seeded)
    full = wide_responses(tmp_path, 60, name="wide-60.csv")  # Ann rates every attribute 7
    assert voc("import", "responses", str(full), cwd=tmp_path, DATABASE_URL=url).code == 0
    known = write_csv(
        tmp_path / "known.csv",
        "account,cycle,respondent,email,satisfaction,rating:attribute 7",
        "Acme,2026-Q3,Cy Dunn,cy@acme.example,6,5",
    )
    ran = voc("import", "responses", str(known), cwd=tmp_path, DATABASE_URL=url)
    assert ran.code == 0, ran.err
    means = _all_benchmark(seeded, "2026-Q3").attribute_means
    assert (len(means), means["Attribute 7"], means["Attribute 8"]) == (60, 6.0, 7.0)

    more = write_csv(
        tmp_path / "one-more.csv",
        "account,cycle,respondent,email,satisfaction,rating:brand new",
        "Acme,2026-Q3,Di Moss,di@acme.example,6,5",
    )
    before = _stored(seeded)
    ran = voc("import", "responses", str(more), cwd=tmp_path, DATABASE_URL=url)
    assert (ran.code, ran.err_lines[1:]) == (
        2,
        [
            'cycle "2026-Q3" would rate 61 attributes with this file; a cycle may rate at most '
            "60. Use the attribute names earlier files of the cycle used, or remove its responses "
            "first (voc forget --cycle)"
        ],
    )
    assert _stored(seeded) == before

    wide = wide_responses(tmp_path, 61, name="wide-61.csv")
    ran = voc("import", "responses", str(wide), cwd=tmp_path, DATABASE_URL=url)
    assert (ran.code, ran.err_lines[1:]) == (
        2,
        [
            "the file has 61 rating: columns; a file may rate at most 60 attributes. Keep the "
            "ones the survey asked about"
        ],
    )
    gone = voc("forget", "--cycle", "2026-Q3", "--yes", cwd=tmp_path, DATABASE_URL=url)
    assert gone.code == 0, gone.err
    assert _stored(seeded) == (1, 1, 1, 1)  # Acme, and Bo Lee's 2026-Q2 answer


# --- voc forget --cycle --------------------------------------------------------------------


@pytest.fixture
def two_cycles(any_runtime: Runtime) -> str:
    """Acme and Globex answered in 2026-Q3; Cy (2/10) and Gus (6/10) are dissatisfied, so each
    has a follow-up open. Acme's Ann answered in 2026-Q2 too."""
    load(
        any_runtime,
        [account_row("Acme"), account_row("Globex", channel="C0GLOBEX1")],
        [
            response_row("Acme", "2026-Q2", "Ann Lee", 9, 10, 9, comment="Great"),
            response_row("Acme", "2026-Q3", "Ann Lee", 8, 9, 8),
            response_row("Acme", "2026-Q3", "Cy Dunn", 2, 1, 2, comment="Call me"),
            response_row("Globex", "2026-Q3", "Gus Fring", 6, 7, 6),
        ],
    )
    any_runtime.engine.dispose()
    return str(any_runtime.engine.url)


def test_forget_without_yes_says_what_it_would_delete_and_deletes_nothing(
    two_cycles: str, any_runtime: Runtime, tmp_path: Path
) -> None:
    before = _stored(any_runtime)
    ran = voc("forget", "--cycle", "Q3 2026", cwd=tmp_path, DATABASE_URL=two_cycles)
    assert (ran.code, ran.out.splitlines()) == (
        0,
        [
            "Would delete from cycle 2026-Q3: 3 responses of 2 accounts and 2 follow-ups.",
            "Nothing was deleted: run again with --yes to delete them.",
        ],
    )
    assert _stored(any_runtime) == before


def test_forget_one_account_recomputes_the_cycle_and_audits_without_names(
    two_cycles: str, any_runtime: Runtime, tmp_path: Path
) -> None:
    ran = voc(
        "forget", "--cycle", "2026-Q3", "--account", "acme", "--yes",
        cwd=tmp_path, DATABASE_URL=two_cycles,
    )  # fmt: skip
    assert (ran.code, ran.out.splitlines()) == (
        0,
        [
            "Deleted from cycle 2026-Q3: 2 responses of 1 account and 1 follow-up.",
            "1 person with no other answers removed.",  # Cy; Ann still answered 2026-Q2
            "Benchmarks recomputed.",
        ],
    )
    with any_runtime.sessions() as session:
        names = set(session.scalars(select(Respondent.name)))
        followups = session.scalar(select(func.count()).select_from(Followup))
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "forget_cycle"))
    assert (names, followups) == ({"Ann Lee", "Gus Fring"}, 1)  # Gus's is Globex's
    total = _all_benchmark(any_runtime, "2026-Q3")
    assert (total.respondents, total.satisfaction_mean) == (1, 6.0)  # Globex's Gus alone
    assert entry.details == {
        "cycle": "2026-Q3",
        "account_id": entry.details["account_id"],
        "responses": 2,
        "followups": 1,
        "people": 1,
        "cycle_removed": False,
    }
    assert "Cy" not in str(entry.details) and "@" not in str(entry.details)
    report = voc("account", "acme", cwd=tmp_path, DATABASE_URL=two_cycles)
    assert report.code == 0 and "2026-Q2" in report.out and "Cy Dunn" not in report.out


def test_forget_a_whole_cycle_removes_it(
    two_cycles: str, any_runtime: Runtime, tmp_path: Path
) -> None:
    ran = voc("forget", "--cycle", "2026-Q3", "--yes", cwd=tmp_path, DATABASE_URL=two_cycles)
    assert ran.out.splitlines()[-1] == (
        "Cycle 2026-Q3 had nothing left and was removed with its benchmarks."
    )
    with any_runtime.sessions() as session:
        assert list(session.scalars(select(Cycle.label))) == ["2026-Q2"]
        assert session.scalar(select(func.count()).select_from(Benchmark)) == 2  # Q2 only


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--cycle", "2031-Q1"],
            'voc forget: There is no cycle "2031-Q1". Cycles: 2026-Q2, 2026-Q3.',
        ),
        (["--cycle", "2026-Q3", "--account", "zzz"], 'voc forget: No account is called "zzz".'),
    ],
)
def test_forget_refuses_what_does_not_exist(
    two_cycles: str, any_runtime: Runtime, tmp_path: Path, argv: list[str], message: str
) -> None:
    before = _stored(any_runtime)
    ran = voc("forget", *argv, "--yes", cwd=tmp_path, DATABASE_URL=two_cycles)
    assert (ran.code, ran.err_lines, ran.out) == (2, [message], "")
    assert _stored(any_runtime) == before


def _all_benchmark(runtime: Runtime, label: str) -> Benchmark:
    with runtime.sessions() as session:
        return session.scalars(
            select(Benchmark)
            .join(Cycle, Cycle.id == Benchmark.cycle_id)
            .where(Cycle.label == label, Benchmark.scope == "all")
        ).one()


def _url(runtime: Runtime) -> str:
    runtime.engine.dispose()
    return runtime.engine.url.render_as_string(hide_password=False)
