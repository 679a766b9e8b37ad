"""What `voc` says about the database itself: what `db upgrade` did, and which database is empty.

A relative `sqlite:///voc.db` is relative to the directory `voc` runs in, so a cron job started
elsewhere silently gets a fresh, empty database. Saying where the data is, whenever a command
that reads data finds none, turns "nothing due" into something a person can act on.
"""

from __future__ import annotations

from bot.accounts.service import database_is_empty
from bot.runtime import Runtime
from storage import failures
from storage.db import SchemaChange


def schema_message(change: SchemaChange | None) -> str:
    """`voc db upgrade`: created, upgraded or untouched, and at which revision."""
    if change is None or change.after is None:
        return "No schema revision is recorded in this database"
    if change.created:
        return f"Created the schema at revision {change.after}"
    if change.changed:
        return f"Upgraded from {change.before} to {change.after}"
    return f"Already at revision {change.after}"


def empty_database_note(runtime: Runtime) -> str | None:
    """One line for stderr when the database has no data, naming where it is; else None."""
    created = runtime.schema is not None and runtime.schema.created
    if not created and not database_is_empty(runtime):
        return None
    where = failures.location(runtime.engine.url)
    verb = "Created" if created else "Using"
    return f"{verb} an empty database at {where} (DATABASE_URL); import data or set DATABASE_URL."
