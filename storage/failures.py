"""Why a database cannot be used, in one line a person can act on.

The drivers explain a failure in their own words, wrapped in SQLAlchemy's, with a traceback
through both. What an operator needs is what to fix: the directory that does not exist, the file
that is read-only, the server that refused the connection. `describe` turns what the engine
raised into that sentence; the caller adds which setting it is about.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

FAILURES: tuple[type[BaseException], ...] = (SQLAlchemyError, ImportError)
"""What opening or migrating a database raises when the database, not the code, is at fault."""

SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mssql": "SQL Server"}


def describe(url: str | URL, error: BaseException) -> str:
    """One line, without the password: what is wrong with the database `url` names."""
    if isinstance(error, NoSuchModuleError):
        scheme = str(url).partition(":")[0]
        return f'"{scheme}://…" is not a kind of database SQLAlchemy knows'
    if isinstance(error, ImportError):
        return f"the database driver is not installed ({error})"
    if isinstance(error, ArgumentError):
        return f"it is not a usable database URL ({error})"
    parsed = make_url(url) if isinstance(url, str) else url
    reason = driver_message(error)
    if parsed.get_backend_name() == "sqlite":
        return sqlite_problem(sqlite_path(parsed), reason)
    backend = parsed.get_backend_name()
    server = f"{parsed.host or 'localhost'}:{parsed.port or 'default port'}"
    return f"cannot use the {SERVER_NAMES.get(backend, backend)} database at {server}: {reason}"


def driver_message(error: BaseException) -> str:
    """The driver's own reason on one line, without the "connection to server … failed:" echo."""
    original = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    if not lines:
        return type(original).__name__
    first = lines[0].rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    return " — ".join([" ".join(first.split()), *lines[1:]])


def sqlite_path(url: URL) -> Path | None:
    """The file a SQLite URL names, absolute (a relative one is relative to where `voc` runs);
    None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").partition("?")[0]
    return Path(database).absolute()


def sqlite_problem(path: Path | None, reason: str) -> str:
    """SQLite says "unable to open database file" for several different mistakes: name the one."""
    if path is None:
        return f"cannot use the in-memory SQLite database: {reason}"
    directory = path.parent
    if not directory.is_dir():
        return f"cannot open the SQLite database {path}: the directory {directory} does not exist"
    if "readonly" in reason or (path.exists() and not os.access(path, os.W_OK)):
        return f"the SQLite database {path} is read-only"
    if not path.exists() and not os.access(directory, os.W_OK):
        return f"cannot create the SQLite database {path}: {directory} is not writable"
    if "not a database" in reason:
        return f"{path} is not a SQLite database"
    return f"cannot use the SQLite database {path}: {reason}"


def location(url: str | URL) -> str:
    """Where the data is, for telling a person which database a command used."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        return str(path) if path is not None else "an in-memory SQLite database"
    return parsed.render_as_string(hide_password=True)
