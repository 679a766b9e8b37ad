"""A database `voc` cannot use is one line naming DATABASE_URL and exit 78, for every command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli.database import schema_message
from storage.db import SchemaChange
from tests.cli import voc, write_csv
from tests.slack import FakeSlack

EXIT_CONFIG = 78
MISSING_DIR = "sqlite:////nonexistent/dir/voc.db"
MISSING_DIR_LINE = (
    "DATABASE_URL: cannot open the SQLite database /nonexistent/dir/voc.db: "
    "the directory /nonexistent/dir does not exist"
)
SERVE_ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}


def _roster(directory: Path) -> Path:
    return write_csv(
        directory / "roster.csv",
        "account,segment,tier,account_manager",
        "ACME Corp,Enterprise,strategic,U0AM00001",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("db", "upgrade"),
        ("open",),
        ("account", "acme"),
        ("commit", "acme", "Send the roadmap", "--owner", "U0AM00001"),
        ("tick", "--dry-run"),
        ("import", "accounts", "roster.csv"),
        ("serve", "--port", "1"),
    ],
    ids=lambda argv: argv[0],
)
def test_a_missing_sqlite_directory_is_one_line_for_every_command(
    tmp_path: Path, slack: FakeSlack, argv: tuple[str, ...]
) -> None:
    _roster(tmp_path)
    env = {**SERVE_ENV, "SLACK_API_URL": slack.api_url}  # `serve` checks its token first
    ran = voc(*argv, cwd=tmp_path, DATABASE_URL=MISSING_DIR, **env)
    assert (ran.code, ran.err_lines, ran.out) == (EXIT_CONFIG, [MISSING_DIR_LINE], "")


@pytest.mark.parametrize(
    ("url", "line"),
    [
        (
            "postgresql+psycopg://postgres@127.0.0.1:1/voc",
            "DATABASE_URL: cannot use the PostgreSQL database at 127.0.0.1:1: Connection "
            "refused — Is the server running on that host and accepting TCP/IP connections?",
        ),
        ("foo://x", 'DATABASE_URL: "foo://…" is not a kind of database SQLAlchemy knows'),
    ],
    ids=["nothing-listens", "unknown-driver"],
)
def test_an_unreachable_or_unknown_database_is_one_line(
    tmp_path: Path, url: str, line: str
) -> None:
    ran = voc("open", cwd=tmp_path, DATABASE_URL=url)
    assert (ran.code, ran.err_lines) == (EXIT_CONFIG, [line])


def test_a_missing_postgresql_database_is_one_line(tmp_path: Path) -> None:
    server = os.environ.get("VOC_TEST_DATABASE_URL")
    if not server:
        pytest.skip("VOC_TEST_DATABASE_URL is not set")
    parsed = make_url(server)
    url = parsed.set(drivername="postgresql+psycopg", database="no_such_db")
    ran = voc("account", "acme", cwd=tmp_path, DATABASE_URL=url.render_as_string(False))
    assert (ran.code, ran.err_lines) == (
        EXIT_CONFIG,
        [
            f"DATABASE_URL: cannot use the PostgreSQL database at {parsed.host}:{parsed.port}: "
            'database "no_such_db" does not exist'
        ],
    )


def test_a_read_only_database_is_one_line_at_start_or_at_the_first_write(tmp_path: Path) -> None:
    # Opened read-only by SQLite itself, which holds for root too (chmod would not).
    path = tmp_path / "voc.db"
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    line = f"DATABASE_URL: the SQLite database {path} is read-only"

    path.touch()  # an empty file: creating the schema is the first write
    ran = voc("open", cwd=tmp_path, DATABASE_URL=read_only)
    assert (ran.code, ran.err_lines) == (EXIT_CONFIG, [line])

    path.unlink()
    assert (
        voc(
            "import",
            "accounts",
            str(_roster(tmp_path)),
            cwd=tmp_path,
            DATABASE_URL=f"sqlite:///{path}",
        ).code
        == 0
    )
    ran = voc(
        "commit", "acme", "Send the roadmap", "--owner", "U0AM00001",
        cwd=tmp_path, DATABASE_URL=read_only,
    )  # fmt: skip
    assert (ran.code, ran.err_lines, ran.out) == (EXIT_CONFIG, [line], "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_a_read_only_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "voc.db"
    assert voc("db", "upgrade", cwd=tmp_path, DATABASE_URL=f"sqlite:///{path}").code == 0
    _roster(tmp_path)
    for extra in tmp_path.glob("voc.db-*"):
        extra.unlink()
    path.chmod(0o444)
    try:
        ran = voc("import", "accounts", "roster.csv", cwd=tmp_path, DATABASE_URL="sqlite:///voc.db")
    finally:
        path.chmod(0o644)
    assert (ran.code, ran.err_lines) == (
        EXIT_CONFIG,
        [f"DATABASE_URL: the SQLite database {path} is read-only"],
    )


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    shutil.copyfile(_roster(tmp_path), tmp_path / "voc.db")
    ran = voc("open", cwd=tmp_path)  # the default, sqlite:///voc.db, in the working directory
    assert (ran.code, ran.err_lines) == (
        EXIT_CONFIG,
        [f"DATABASE_URL: {tmp_path / 'voc.db'} is not a SQLite database"],
    )


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    first = voc("db", "upgrade", cwd=tmp_path)
    assert (first.code, first.out, first.err) == (0, "Created the schema at revision 0009\n", "")
    again = voc("db", "upgrade", cwd=tmp_path)
    assert (again.code, again.out, again.err) == (0, "Already at revision 0009\n", "")


def test_an_upgrade_names_both_revisions() -> None:
    assert schema_message(SchemaChange(before="0001", after="0002")) == "Upgraded from 0001 to 0002"


def test_a_cron_tick_elsewhere_says_which_empty_database_it_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "cron-home"
    elsewhere.mkdir()
    database = elsewhere / "voc.db"

    tick = voc("tick", "--dry-run", "--now", "2026-12-01T09:00:00Z", cwd=elsewhere)
    assert (tick.code, tick.out) == (0, "dry run at 2026-12-01T09:00:00+00:00: nothing due\n")
    assert tick.err_lines == [
        f"Created an empty database at {database} (DATABASE_URL); import data or set DATABASE_URL."
    ]

    listed = voc("open", cwd=elsewhere)
    assert (listed.code, listed.out) == (0, "No open commitments.\n")
    assert listed.err_lines == [
        f"Using an empty database at {database} (DATABASE_URL); import data or set DATABASE_URL."
    ]

    assert voc("import", "accounts", str(_roster(tmp_path)), cwd=elsewhere).code == 0
    filled = voc("open", cwd=elsewhere)
    assert (filled.code, filled.out, filled.err) == (0, "No open commitments.\n", "")
