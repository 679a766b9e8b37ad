"""`voc forget --email` / `--name … --account …`: one person erased everywhere, through the CLI.

The portfolio is small enough to work every figure out by hand. Acme (Enterprise) and Globex
(Mid-Market) answered 2026-Q3; Zelda Quimby of Acme answered 2026-Q2 alone and is the person
to forget. Her 2026-Q3 answer (2/10) opened a follow-up, which got a note naming her; a
commitment quotes her comment and names her. Globex has two people called Gus Fring.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.commitments.queries import record_commitments
from bot.commitments.values import CommitmentDraft
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import (
    Account,
    AuditEntry,
    Base,
    Benchmark,
    Commitment,
    Cycle,
    DriverStatistic,
    Followup,
    Respondent,
    Response,
)
from tests.cli import voc
from tests.portfolio import AM, account_row, load, response_row

NAME = "Zelda Quimby"
EMAIL = "zelda.quimby@acme.example"
COMMENT = "The purple elephant invoice portal keeps failing every month"
KEPT_NAME = "Ann Lee"
KEPT_COMMENT = "Onboarding was smooth and the team listened"


@pytest.fixture
def world(any_runtime: Runtime, tmp_path: Path) -> Iterator[str]:
    """The portfolio; on SQLite a connection stays open throughout, as a running bot's would,
    so the write-ahead log is not removed when each command ends and keeps what it was given."""
    running_bot = _open_like_a_running_bot(any_runtime)
    load(
        any_runtime,
        [account_row("Acme"), account_row("Globex", segment="Mid-Market", channel="C0GLOBEX1")],
        [
            response_row("Acme", "2026-Q2", NAME, 9, 9, 9, **{"rating:support": 9}),
            response_row(
                "Acme", "2026-Q3", NAME, 2, 1, 2, comment=COMMENT, **{"rating:support": 1}
            ),
            response_row(
                "Acme", "2026-Q3", KEPT_NAME, 8, 9, 8, comment=KEPT_COMMENT, **{"rating:support": 8}
            ),
            response_row("Globex", "2026-Q3", "Gus Fring", 7, 7, 7, **{"rating:support": 5}),
            response_row(
                "Globex", "2026-Q3", "Gus Fring", 9, 8, 9,
                email="gus.f@globex.example", **{"rating:support": 6},
            ),
        ],
    )  # fmt: skip
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with transaction(any_runtime.sessions) as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme")).one()
        draft = CommitmentDraft(
            text=f"Call {NAME}, then send Zelda the invoices",
            owner=AM,
            due_on=date(2026, 12, 1),
            answers=f"{NAME}, 2026-Q3: “{COMMENT}”",
        )
        record_commitments(
            session, acme, [draft], actor=AM, channel=None, today=now.date(), now=now
        )
        followup = session.scalars(select(Followup.id)).all()
    url = _url(any_runtime)
    [zelda_followup] = followup  # the others are satisfied (7/10 and up); her 2/10 opens one
    noted = voc(
        "followup", str(zelda_followup), "contacted", "--by", AM,
        "--note", f"Left {NAME} a voicemail", cwd=tmp_path, DATABASE_URL=url,
    )  # fmt: skip
    assert noted.code == 0, noted.err
    yield url
    if running_bot is not None:
        running_bot.close()


def _open_like_a_running_bot(runtime: Runtime) -> sqlite3.Connection | None:
    if runtime.engine.dialect.name != "sqlite":
        return None
    connection = sqlite3.connect(runtime.engine.url.database or "")
    connection.execute("SELECT count(*) FROM accounts").fetchall()
    return connection


def _url(runtime: Runtime) -> str:
    runtime.engine.dispose()
    return runtime.engine.url.render_as_string(hide_password=False)


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Respondent, Response, Followup, Cycle, Benchmark, AuditEntry, Commitment)
        }


def _everything_stored(runtime: Runtime) -> str:
    """Every row of every table as text, on either database: where a name could hide."""
    with runtime.sessions() as session:
        return "\n".join(
            str(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(select(table))
        )


def _file_bytes(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.parametrize(
    ("argv", "by"),
    [
        (["--email", "Zelda.Quimby@ACME.example"], "email"),
        (["--name", "zelda   QUIMBY", "--account", "acme"], "name"),
    ],
)
def test_forget_a_person_erases_them_everywhere_and_recomputes_the_figures(
    world: str, any_runtime: Runtime, tmp_path: Path, argv: list[str], by: str
) -> None:
    ran = voc("forget", *argv, "--yes", cwd=tmp_path, DATABASE_URL=world)

    assert (ran.code, ran.out.splitlines()) == (
        0,
        [
            "Erased 1 person at Acme: 2 responses in 2026-Q2, 2026-Q3 with 1 comment, "
            "and 1 follow-up.",
            "Cut out of 1 commitment and 2 audit entries that mentioned them.",
            "Cycle 2026-Q2 had nothing left and was removed with its benchmarks.",
            "Benchmarks and key drivers recomputed.",
        ],
    ), ran.err
    stored = _everything_stored(any_runtime)
    for gone in (NAME, EMAIL, "purple elephant", "Zelda"):
        assert gone.lower() not in stored.lower()
    assert KEPT_NAME in stored and KEPT_COMMENT in stored
    if any_runtime.engine.dialect.name == "sqlite":
        raw = _file_bytes(world).lower()
        for gone in (b"zelda", EMAIL.encode(), b"purple elephant"):
            assert gone not in raw
        assert KEPT_NAME.encode() in _file_bytes(world)
        assert KEPT_COMMENT.encode() in _file_bytes(world)

    with any_runtime.sessions() as session:
        labels = set(session.scalars(select(Cycle.label)))
        total, segment = (
            session.scalars(
                select(Benchmark).where(Benchmark.scope == scope, Benchmark.segment == name)
            ).one()
            for scope, name in (("all", ""), ("segment", "Enterprise"))
        )
        drivers = session.scalars(select(DriverStatistic).where(DriverStatistic.scope == "all"))
        driver_n = [(row.n, row.sums) for row in drivers]
        commitment = session.scalars(select(Commitment)).one()
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "forget_person"))
        acme_id = session.scalar(select(Account.id).where(Account.name == "Acme"))
        noted = session.scalars(select(AuditEntry).where(AuditEntry.action.like("followup%"))).one()
    assert labels == {"2026-Q3"}
    # Ann 8 (recommends 9), Gus 7 (7), Gus 9 (8): mean 8.0; one promoter, no detractor of 3.
    assert (total.respondents, total.satisfaction_mean, total.promoters, total.detractors) == (
        3, 8.0, 1, 0,
    )  # fmt: skip
    assert round(total.nps, 1) == 33.3
    assert (segment.respondents, segment.satisfaction_mean, segment.nps) == (1, 8.0, 100.0)
    # Key drivers over satisfaction and support: 8+7+9 = 24 and 8+5+6 = 19.
    assert sum(n for n, _ in driver_n) == 3
    assert [sum(sums[i] for _, sums in driver_n) for i in (0, 1)] == [24.0, 19.0]
    assert (commitment.text, commitment.answers) == (
        "Call [erased], then send [erased] the invoices",
        "[erased]",
    )
    assert noted.details["note"] == "[erased]"
    assert entry.details == {
        "by": by,
        "account_ids": [acme_id],
        "cycles": ["2026-Q2", "2026-Q3"],
        "people": 1,
        "responses": 2,
        "comments": 1,
        "followups": 1,
        "commitments_redacted": 1,
        "audit_entries_redacted": 2,
        "cycles_removed": ["2026-Q2"],
    }
    report = voc("account", "acme", cwd=tmp_path, DATABASE_URL=world)
    assert report.code == 0 and KEPT_NAME in report.out and NAME not in report.out


def test_forget_a_person_without_yes_says_what_it_would_erase_and_erases_nothing(
    world: str, any_runtime: Runtime, tmp_path: Path
) -> None:
    before = _counts(any_runtime)
    ran = voc("forget", "--email", EMAIL, cwd=tmp_path, DATABASE_URL=world)
    assert (ran.code, ran.out.splitlines()) == (
        0,
        [
            "Would erase 1 person at Acme: 2 responses in 2026-Q2, 2026-Q3 with 1 comment, "
            "and 1 follow-up.",
            "Nothing was erased: run again with --yes to erase it.",
        ],
    )
    assert _counts(any_runtime) == before
    assert NAME in _everything_stored(any_runtime)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--email", "nobody@acme.example"], 'No one has the email "nobody@acme.example".'),
        (["--email", EMAIL, "--account", "Globex"], f'No one at Globex has the email "{EMAIL}".'),
        (["--email", "zelda"], '"zelda" is not an email address.'),
        (["--name", NAME], "--name needs --account: people at different accounts share names."),
        (["--name", NAME, "--account", "zzz"], 'No account is called "zzz".'),
        (["--name", "Nobody Here", "--account", "acme"], 'No one at Acme is called "Nobody Here".'),
        (
            ["--name", "gus fring", "--account", "globex"],
            '2 people at Globex are called "gus fring": say which with --email.',
        ),
    ],
)
def test_forget_a_person_refuses_what_it_cannot_tell_and_changes_nothing(
    world: str, any_runtime: Runtime, tmp_path: Path, argv: list[str], message: str
) -> None:
    before = _counts(any_runtime)
    ran = voc("forget", *argv, "--yes", cwd=tmp_path, DATABASE_URL=world)
    assert (ran.code, ran.err_lines, ran.out) == (2, [f"voc forget: {message}"], "")
    assert _counts(any_runtime) == before


def test_forget_takes_exactly_one_of_cycle_email_and_name(tmp_path: Path) -> None:
    both = voc("forget", "--cycle", "2026-Q3", "--email", EMAIL, cwd=tmp_path)
    neither = voc("forget", "--yes", cwd=tmp_path)
    assert both.code == 2 and "not allowed with argument" in both.err_lines[-1]
    assert neither.code == 2 and "one of the arguments" in neither.err_lines[-1]
    assert not (tmp_path / "voc.db").exists()
