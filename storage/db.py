"""Engine, sessions and schema upgrades.

SQLite gets WAL (readers never wait for the importer), foreign keys (cascades actually happen) and
a busy timeout (two processes on one file wait rather than fail). PostgreSQL needs none of that.

Every command opens the database through `upgrade`, and almost always the schema is already at
head: that is checked by reading `alembic_version` and comparing it with `HEAD_REVISION` (the
newest migration file's number), without importing Alembic, which costs a CLI command a fifth
of a second (it pulls in Mako and Pygments). Alembic is loaded only when there is work for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage import failures, jsoncodec

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def head_revision(versions: Path = MIGRATIONS_DIR / "versions") -> str:
    """The newest migration's revision, read from the file names (`0006_….py` is "0006"):
    revisions are numbered in order and each file is named after its own (a test keeps it so)."""
    return max(path.name.split("_", 1)[0] for path in versions.glob("[0-9]*_*.py"))


HEAD_REVISION = head_revision()


def normalize_url(url: str) -> str:
    """Let operators write `postgresql://` and still get the psycopg 3 driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# The page cache SQLite keeps per connection comes out of one budget per process, shared among
# the connections the pool keeps: five pooled connections at 32 MiB each held 160 MiB of mostly
# the same pages. What does not fit is read from the OS page cache, which all share.
SQLITE_CACHE_BUDGET_KIB = 32 * 1024
KEPT_CONNECTIONS = 4  # what a pool keeps open between requests; more are opened under load
DEFAULT_CONCURRENCY = 15  # SQLAlchemy's own default ceiling (5 kept + 10 overflow)


def make_engine(url: str, *, concurrency: int | None = None, **kwargs: object) -> Engine:
    """An engine whose pool lets `concurrency` threads hold a connection at once (a web worker
    passes its thread count; commands and tests take the default), keeping a few open."""
    url = normalize_url(url)
    pool = _pool_size(make_url(url), concurrency or DEFAULT_CONCURRENCY)
    codec = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}
    engine = create_engine(url, **{**pool, **codec, **kwargs})
    if engine.dialect.name == "sqlite":
        kept = int(pool.get("pool_size", 1))
        cache_kib = SQLITE_CACHE_BUDGET_KIB // kept
        event.listen(engine, "connect", partial(_sqlite_pragmas, cache_kib=cache_kib))
    return engine


def _pool_size(url: URL, concurrency: int) -> dict[str, int]:
    """`pool_size` and `max_overflow` for a pool with room for `concurrency` connections; none
    for an in-memory SQLite database, whose single connection SQLAlchemy manages itself."""
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {}
    kept = max(1, min(concurrency, KEPT_CONNECTIONS))
    return {"pool_size": kept, "max_overflow": max(0, concurrency - kept)}


def _sqlite_pragmas(dbapi_connection, _record, *, cache_kib: int) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # A report reads one account's rows spread over every cycle's pages; SQLite's 2 MiB default
    # sent each request at a large portfolio back to the OS for most of them.
    cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    cursor.close()


def overwrite_deleted_content(session: Session) -> None:
    """Have SQLite zero what this connection deletes (`PRAGMA secure_delete`), for erasure.

    A deleted row's bytes otherwise stay in its page until the space is reused. With secure
    delete on they are overwritten as they go, so the erasure holds even if the `VACUUM` of
    `reclaim_freed_pages` cannot run (another process busy on the file). The setting belongs
    to the connection; `reclaim_freed_pages` turns it off again on the one it uses.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def reclaim_freed_pages(engine: Engine) -> bool:
    """After an erasure: rebuild the SQLite file so no freed page keeps the erased bytes.

    Deleting a row frees its space but leaves its bytes in the file (in free pages and in the
    write-ahead log, whose frames outlive a checkpoint until the log is reset) until they happen
    to be reused; someone who copies `voc.db` could read a forgotten person back. `VACUUM`
    rewrites the database into fresh pages and `wal_checkpoint(TRUNCATE)` then moves everything
    into the main file and empties the log. False when another process kept the file busy
    throughout the busy timeout (a long import): the caller says so, and a later run finishes
    the job. PostgreSQL keeps deleted tuples until its (auto)vacuum reclaims them; no query can
    see them, and its files are not something an operator hands around, so nothing is done.
    """
    if engine.dialect.name != "sqlite":
        return True
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("PRAGMA secure_delete=OFF")
            connection.exec_driver_sql("VACUUM")
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    except OperationalError:
        return False
    return busy is None or not busy[0]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back whole when it raises."""
    with factory() as session, session.begin():
        yield session


def advisory_xact_lock(session: Session, key: int) -> None:
    """Hold PostgreSQL's advisory lock `key` until the session's transaction ends, so work that
    must not run twice at once queues instead; SQLite has one writer anyway, so nothing there."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class SchemaChange:
    """What one `upgrade` did, so a person can be told whether it created, moved or kept."""

    before: str | None
    after: str | None

    @property
    def created(self) -> bool:
        """The database had no schema: it was empty (or just made) when this process opened it."""
        return self.before is None and self.after is not None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade(engine: Engine, revision: str = "head") -> SchemaChange:
    """Bring the schema to `revision`; safe to run at every start and from several processes."""
    if revision == "head":
        with engine.connect() as connection:
            current = _revision_on(connection)
        if current == HEAD_REVISION:
            return SchemaChange(before=current, after=current)
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two instances starting together must not both try to create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(745021)")
        before = _revision_on(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return SchemaChange(before=before, after=_revision_on(connection))


def _revision_on(connection: Connection) -> str | None:
    """What `alembic_version` holds (one row, one revision on our linear history), or None on a
    database no migration ever ran on."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision_on(connection)


def schema_problem(engine: Engine, head: str = HEAD_REVISION) -> str | None:
    """None when the database answers and its schema is at `head`, else why not, in one line.

    Asked per request by `/readyz`, so it reads Alembic's version table with plain SQL instead
    of building a migration context each time.
    """
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            revisions = set(found)
    except failures.FAILURES as error:  # a database that cannot be read is not ready
        if "alembic_version" in str(error):
            return "the database has no schema yet (run `voc db upgrade`)"
        return failures.describe(engine.url, error)
    if head in revisions:
        return None
    current = ", ".join(sorted(revisions)) or "none"
    return f"schema at revision {current}, this code needs {head} (run `voc db upgrade`)"
