"""Shared fixtures: real databases, migrated by the real migrations.

`runtime` is a fresh SQLite file per test. `any_runtime` runs a test on SQLite and, when
`VOC_TEST_DATABASE_URL` is set, again on PostgreSQL, in a schema of its own per test session so
parallel runs on one server never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.runtime import Runtime
from bot.settings import Settings, load_settings
from storage.db import make_engine, normalize_url, session_factory, upgrade
from storage.models import Base
from tests.slack import FakeSlack, SlackRequests, serve_wsgi

POSTGRES_URL = os.environ.get("VOC_TEST_DATABASE_URL")


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings as an operator would write them, but never read from the developer's `.env`."""
    base = load_settings(environ={"DATABASE_URL": database_url}, env_file=None)
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test then copies the file, which is much faster than re-migrating."""
    path = tmp_path_factory.mktemp("template") / "voc.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema on the test server, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("VOC_TEST_DATABASE_URL is not set")
    schema = f"voc_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(POSTGRES_URL, schema)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _with_search_path(url: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(normalize_url(url))
    parsed = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def _sqlite_url(template: Path, directory: Path) -> str:
    path = directory / "voc.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _runtime(url: str, **overrides: object) -> Runtime:
    settings = make_settings(url, **overrides)
    engine = make_engine(url)
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    return _sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = _runtime(database_url)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """For tests that need settings other than the defaults (access mode, admins…)."""
    made: list[Runtime] = []

    def factory(**overrides: object) -> Runtime:
        rt = _runtime(database_url, **overrides)
        made.append(rt)
        return rt

    yield factory
    for rt in made:
        rt.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return _sqlite_url(sqlite_template, tmp_path)
    url = request.getfixturevalue("postgres_schema_url")
    _truncate_all(url)
    return url


@pytest.fixture
def any_runtime(any_database_url: str) -> Iterator[Runtime]:
    rt = _runtime(any_database_url)
    yield rt
    rt.engine.dispose()


# --- Slack: the fake Web API and the bot behind its real HTTP path --------------------------

SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A running fake Slack; every payload the bot sent must have been valid Block Kit."""
    with FakeSlack() as fake:
        yield fake
        fake.assert_all_payloads_valid()


@dataclass
class SlackBot:
    """The bot as Slack sees it: a URL that takes signed requests, and its database."""

    runtime: Runtime
    slack: FakeSlack
    requests: SlackRequests
    base_url: str


@pytest.fixture
def make_bot(database_url: str, slack: FakeSlack) -> Iterator[Callable[..., SlackBot]]:
    """Build and serve the app as `voc serve` would, with settings overridden per test."""
    from bot.web import create_wsgi_app

    stack = ExitStack()

    def factory(**overrides: object) -> SlackBot:
        settings = {
            "slack_bot_token": "xoxb-test",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.api_url,
            **overrides,
        }
        runtime = _runtime(database_url, **settings)
        stack.callback(runtime.engine.dispose)
        base_url = stack.enter_context(serve_wsgi(create_wsgi_app(runtime)))
        requests = SlackRequests(base_url, SIGNING_SECRET, slack=slack)
        return SlackBot(runtime=runtime, slack=slack, requests=requests, base_url=base_url)

    with stack:
        yield factory


@pytest.fixture
def bot(make_bot: Callable[..., SlackBot]) -> SlackBot:
    return make_bot()
