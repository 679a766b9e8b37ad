"""The bulk path under the import (by COPY on PostgreSQL): what a person sees when a file comes
again with something new, or breaks a unique key half-way through.

On SQLite and, when VOC_TEST_DATABASE_URL is set, on PostgreSQL, where rows believed new are
COPied straight into the tables (new responses from a thread, while the figures compute) and a
key found there after all falls back to a merge that the unique constraint decides. Expected
values are worked out by hand from the files below.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

import bot.figures.service as figures_service
import bot.intake.reading as reading
import bot.intake.writing as writing
from bot.intake.service import ImportRejected, import_accounts, import_responses
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Base, Respondent, Response
from tests.cli import Ran, clean_env, voc, write_csv

ROSTER = ("account,segment,account_manager", "Acme Corp,Enterprise,U0AM00001")
HEADER = "account,cycle,respondent,email,role,satisfaction,recommend,continue"
# Cy (satisfaction 4) and Di (recommend 3) need a follow-up; Ann (9, 9, 9) does not.
ANN = "Acme Corp,2026-Q4,Ann Lee,ann@acme.example,decision_maker,9,9,9"
CY = "Acme Corp,2026-Q4,Cy Dunn,cy@acme.example,user,4,8,8"
DI = "Acme Corp,2026-Q4,Di Eve,di@acme.example,user,8,3,8"
# Added by the corrected file: Ida (satisfaction 6) needs one too.
IDA = "Acme Corp,2026-Q4,Ida Jo,ida@acme.example,user,6,9,9"


def _env(runtime: Runtime) -> dict[str, str]:
    return clean_env(DATABASE_URL=runtime.engine.url.render_as_string(hide_password=False))


def _run(tmp_path: Path, env: dict[str, str], *argv: str) -> Ran:
    ran = voc(*argv, cwd=tmp_path, env=env)
    assert ran.code == 0, ran.err
    return ran


def _followups(tmp_path: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    ran = _run(tmp_path, env, "followups", "--status", "all", "--json")
    return {item["respondent"]: item for item in json.loads(ran.out)}


def test_a_corrected_file_opens_only_the_new_persons_follow_up_and_keeps_settled_ones(
    any_runtime: Runtime, tmp_path: Path
) -> None:
    env = _env(any_runtime)
    _run(tmp_path, env, "import", "accounts", str(write_csv(tmp_path / "roster.csv", *ROSTER)))
    first = _run(
        tmp_path,
        env,
        "import",
        "responses",
        str(write_csv(tmp_path / "q4.csv", HEADER, ANN, CY, DI)),
    )
    assert "Follow-ups opened: 2" in first.out
    before = _followups(tmp_path, env)
    _run(tmp_path, env, "followup", str(before["Cy Dunn"]["id"]), "closed", "--by", "U0AM00001")

    # The same people again plus Ida: only Ida's follow-up is new; Cy's stays closed.
    again = write_csv(tmp_path / "q4-corrected.csv", HEADER, ANN, CY, DI, IDA)
    second = _run(tmp_path, env, "import", "responses", str(again))

    assert "Follow-ups opened: 1" in second.out
    after = _followups(tmp_path, env)
    assert sorted(after) == ["Cy Dunn", "Di Eve", "Ida Jo"]
    assert (after["Cy Dunn"]["id"], after["Cy Dunn"]["status"]) == (
        before["Cy Dunn"]["id"],
        "closed",
    )
    assert (after["Di Eve"]["id"], after["Di Eve"]["status"]) == (before["Di Eve"]["id"], "open")
    assert (after["Ida Jo"]["status"], after["Ida Jo"]["reasons"]) == ("open", ["dissatisfied"])

    third = _run(tmp_path, env, "import", "responses", str(again))
    assert "Follow-ups opened" not in third.out
    assert _followups(tmp_path, env) == after


def test_responses_stored_by_someone_else_after_the_import_looked_take_the_files_values(
    any_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _acme_with_ann_and_cy(any_runtime, tmp_path)
    # The writer looks and finds nothing stored, as if the rows had been stored just after it
    # looked: on PostgreSQL they go in by COPY, which meets the unique key.
    monkeypatch.setattr(
        writing.ResponseWriter,
        "_compare_with_stored",
        lambda self, chunk, before: (np.zeros(len(chunk), bool), np.zeros(len(chunk), bool)),
    )
    cy_happier = CY.replace(",4,8,8", ",7,8,8")
    corrected = "\n".join((HEADER, ANN, cy_happier, DI, "")).encode()

    with transaction(any_runtime.sessions) as session:
        import_responses(session, corrected, filename="q4.csv", workspace_id="local", actor="t")

    assert _scores(any_runtime) == [("Ann Lee", 9.0), ("Cy Dunn", 7.0), ("Di Eve", 8.0)]


def test_an_import_failing_while_its_responses_are_sent_stores_nothing_and_the_next_one_works(
    any_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(any_runtime)
    _run(tmp_path, env, "import", "accounts", str(write_csv(tmp_path / "roster.csv", *ROSTER)))
    before = _everything(any_runtime)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)  # a COPY per two rows: most still to send
    many = [f"Acme Corp,2026-Q4,P{n},p{n}@acme.example,user,9,9,9" for n in range(400)]
    file = "\n".join((HEADER, ANN, CY, DI, IDA, *many, "")).encode()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the figures broke")

    with monkeypatch.context() as patch:
        patch.setattr(figures_service, "figure_rows", broken)
        with (
            pytest.raises(RuntimeError, match="the figures broke"),
            transaction(any_runtime.sessions) as session,
        ):
            import_responses(session, file, filename="q4.csv", workspace_id="local", actor="test")
    assert _everything(any_runtime) == before

    with transaction(any_runtime.sessions) as session:
        import_responses(session, file, filename="q4.csv", workspace_id="local", actor="test")
    names = [name for name, _ in _scores(any_runtime)]
    assert (len(names), names[:4]) == (404, ["Ann Lee", "Cy Dunn", "Di Eve", "Ida Jo"])


def test_an_import_that_fails_half_way_through_a_file_stops_reading_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(runtime.sessions) as session:
        import_accounts(session, "\n".join((*ROSTER, "")).encode(), workspace_id="local", actor="t")
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    many = [f"Acme Corp,2026-Q4,P{n},p{n}@acme.example,user,9,9,9" for n in range(40)]
    file = "\n".join((HEADER, *many, "")).encode()

    def give_up(done: int, estimated: int | None) -> None:
        if done >= 4:  # the person's upload was withdrawn, or its progress message failed
            raise RuntimeError("gave up")

    with (
        pytest.raises(RuntimeError, match="gave up") as failed,
        transaction(runtime.sessions) as session,
    ):
        import_responses(
            session, file, filename="q4.csv", workspace_id="local", actor="t", progress=give_up
        )

    # Even while the failure is still held (as a log record or an error report would hold it).
    assert failed.traceback
    assert [t.name for t in threading.enumerate() if t.name == "voc-read-ahead"] == []
    assert _scores(runtime) == []


def _scores(runtime: Runtime) -> list[tuple[str, float]]:
    """(person, satisfaction) of every stored response, by name."""
    with runtime.sessions() as session:
        rows = session.execute(
            sa.select(Respondent.name, Response.satisfaction)
            .join(Respondent, Respondent.id == Response.respondent_id)
            .order_by(Respondent.name)
        )
        return [(name, float(score)) for name, score in rows]


def _acme_with_ann_and_cy(runtime: Runtime, tmp_path: Path) -> None:
    """The roster, then Q4 with Ann and Cy, imported through the CLI."""
    env = _env(runtime)
    _run(tmp_path, env, "import", "accounts", str(write_csv(tmp_path / "roster.csv", *ROSTER)))
    _run(tmp_path, env, "import", "responses", str(write_csv(tmp_path / "q4.csv", HEADER, ANN, CY)))


def _everything(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused file stored nothing."""
    with runtime.sessions() as session:
        return {
            table.name: sorted((tuple(row) for row in session.execute(sa.select(table))), key=repr)
            for table in Base.metadata.sorted_tables
        }


def test_a_person_twice_across_chunks_is_refused_and_nothing_is_stored(
    any_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _acme_with_ann_and_cy(any_runtime, tmp_path)
    before = _everything(any_runtime)
    # Two rows a chunk: Di and Ida are written (chunk 2) before Di comes again in chunk 3,
    # whose rows are believed new and go in by COPY on PostgreSQL.
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    di_again = DI.replace("Di Eve", "Di E.").replace(",8,3,8", ",2,2,2")
    twice = "\n".join((HEADER, ANN, CY, DI, IDA, di_again, "")).encode()

    with pytest.raises(ImportRejected) as refused, transaction(any_runtime.sessions) as session:
        import_responses(
            session, twice, filename="q4-twice.csv", workspace_id="local", actor="test"
        )

    assert "rows 4 and 6 are the same response" in str(refused.value)
    assert str(refused.value).startswith("q4-twice.csv was rejected; nothing was imported.")
    assert _everything(any_runtime) == before
