"""Bulk writes and reads through the DBAPI cursor of a session's transaction.

Generic over tables: these helpers know SQL dialects, parameter layouts and the PostgreSQL COPY
path, never what a row means. Feature code (the importer) decides which rows to write; the
statements built here are compiled once per shape and run with plain tuples through
`executemany`, because ORM objects or per-row SQLAlchemy parameter processing cost several times
more at a million rows. Everything runs on the connection of the caller's session, so it lands in
the caller's one transaction (same BEGIN, same COMMIT).

SQLite and PostgreSQL are supported; `INSERT … ON CONFLICT` is built with
`sqlalchemy.dialects.<dialect>.insert`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.lazy import lazy_module
from storage import jsoncodec

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

LOOKUP_BATCH = 5000
"""Values per `IN (…)` list when reading rows back by key."""


def dialect_insert(session: Session) -> Callable[..., Any]:
    """The dialect's `insert` with `on_conflict_*`; imported here, since only writers need it and
    the PostgreSQL dialect costs a reading command (`voc account`) tens of milliseconds to load."""
    from sqlalchemy.dialects import postgresql, sqlite

    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"bulk import supports SQLite and PostgreSQL, not {name}")


def _positional_dialect(session: Session) -> Any:
    """The session's dialect, with positional parameters so rows can be plain tuples."""
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        return dialect
    return type(dialect)(paramstyle="format")


def _cursor(session: Session) -> Any:
    """A DBAPI cursor on the connection of the session's transaction (same BEGIN, same COMMIT)."""
    return session.connection().connection.dbapi_connection.cursor()


def upsert_sql(
    session: Session,
    table: str,
    columns: Sequence[str],
    conflict: Sequence[str],
    update: Sequence[str],
    *,
    rows: int = 1,
    returning: Sequence[str] = (),
) -> tuple[str, list[str]]:
    """Compile `INSERT … ON CONFLICT (…) DO UPDATE` (DO NOTHING without `update`), once per shape.

    Returns the SQL and the column order of one row's parameters (rows are laid out one after
    another in that order for a multi-row statement).
    """
    names = list(dict.fromkeys([*columns, *returning]))
    target = sa.table(table, *(sa.column(name) for name in names))
    if rows == 1:
        values: Any = {c: sa.bindparam(c) for c in columns}
    else:
        values = [{c: sa.bindparam(f"{c}__{i}") for c in columns} for i in range(rows)]
    statement = dialect_insert(session)(target).values(values)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict), set_={c: statement.excluded[c] for c in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*(target.c[c] for c in returning))
    compiled = statement.compile(dialect=_positional_dialect(session))
    order = [name.split("__")[0] for name in compiled.positiontup or []]
    per_row = order[: len(columns)]
    if order != per_row * rows:
        raise RuntimeError(f"unexpected parameter order in {compiled.string[:80]}")
    return compiled.string, per_row


def python_values(values: Any) -> list[Any]:
    """A column as Python values for the driver: NaN/NaT become None, numpy scalars plain."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        missing = np.isnan(array)
        return np.where(missing, None, array).tolist() if missing.any() else array.tolist()
    if array.dtype.kind == "M":
        codes, days = pd.factorize(array.astype("datetime64[D]"), use_na_sentinel=True)
        text = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D")
        labels = np.append(text.astype(object), None)  # code -1 (NaT) picks the None
        return labels[codes].tolist()
    # Text columns are built with None for "no value", never NaN: nothing to convert.
    return array.tolist()


def bound_columns(
    session: Session, table: sa.Table, columns: dict[str, list[Any]]
) -> dict[str, list[Any]]:
    """Columns of values as the table's column types bind them on this database, as the ORM
    would (SQLite's timestamps as the same text; JSON as its text, which every driver and COPY
    take), so rows written in bulk read back exactly like rows the models wrote."""
    dialect = session.get_bind().dialect
    return {name: _bound(table.c[name].type, dialect, values) for name, values in columns.items()}


def _bound(column_type: Any, dialect: Any, values: list[Any]) -> list[Any]:
    process = (
        jsoncodec.dumps
        if isinstance(column_type, sa.JSON)
        else column_type.dialect_impl(dialect).bind_processor(dialect)
    )
    if process is None:
        return values
    if values and values.count(values[0]) == len(values):
        return [process(values[0])] * len(values)  # one moment, status or workspace for all
    done: dict[Any, Any] = {}
    out = []
    for value in values:
        if isinstance(value, dict | list):  # JSON: rarely repeated, and not hashable
            out.append(process(value))
            continue
        if value not in done:
            done[value] = process(value)
        out.append(done[value])
    return out


def executemany(session: Session, sql: str, columns: Sequence[list[Any]]) -> int:
    """Run one statement for many rows given as columns; returns the rows the database changed."""
    if not columns or not len(columns[0]):
        return 0
    cursor = _cursor(session)
    try:
        cursor.executemany(sql, zip(*columns, strict=True))
        return int(cursor.rowcount)
    finally:
        cursor.close()


def insert_or_keep(
    session: Session, table: str, values: dict[str, list[Any]], *, conflict: Sequence[str]
) -> int:
    """Insert rows given as columns; a row whose `conflict` key is stored already stays as it is.

    Returns the number of rows inserted, so a caller that expected them all new can tell that
    another writer (or an earlier row of the same batch) got there first. The unique constraint
    decides, never a look beforehand: that is what keeps two racing writers from doubling a
    row. PostgreSQL takes the rows by COPY (`copy_insert`), SQLite by `executemany` of one
    compiled `INSERT … ON CONFLICT DO NOTHING`. Names come from the calling code, never from
    input.
    """
    if not values or not len(next(iter(values.values()))):
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return copy_insert(session, table, values, conflict=conflict)
    sql, order = upsert_sql(session, table, list(values), conflict, ())
    return executemany(session, sql, [values[name] for name in order])


def copy_insert(
    session: Session, table: str, values: dict[str, list[Any]], *, conflict: Sequence[str]
) -> int:
    """PostgreSQL: COPY rows the caller believes new straight into the table; merge if not.

    A COPY into the real table costs what the table's indexes and foreign keys cost and little
    more, where routing the rows through a scratch table and `INSERT … SELECT … ON CONFLICT`
    doubles the server's work. Callers look before they write (and imports hold the
    workspace's lock), so the rows are nearly always new: the COPY runs inside a savepoint,
    and if any key is there after all, the unique violation rolls back to the savepoint and the
    same rows go through the scratch table and one `INSERT … ON CONFLICT DO NOTHING`, where the
    constraint decides row by row. Returns the number of rows inserted.
    """
    import psycopg

    columns = ", ".join(values)
    cursor = _cursor(session)
    try:
        cursor.execute("SAVEPOINT voc_copy")
        try:
            _copy_rows(cursor, table, columns, values)
        except psycopg.errors.UniqueViolation:
            return _merged_instead(cursor, table, [values], conflict)
        cursor.execute("RELEASE SAVEPOINT voc_copy")
        return len(next(iter(values.values())))
    finally:
        cursor.close()


def _merged_instead(
    cursor: Any, table: str, parts: Iterable[dict[str, list[Any]]], conflict: Sequence[str]
) -> int:
    """A COPY met a stored key: back to the savepoint, and the same rows merged through the
    scratch table instead. Returns the number of rows inserted."""
    cursor.execute("ROLLBACK TO SAVEPOINT voc_copy")
    cursor.execute("RELEASE SAVEPOINT voc_copy")
    inserted = 0
    for values in parts:
        inserted += _merge_through_scratch(cursor, table, ", ".join(values), values, conflict)
    return inserted


@dataclass
class SentRows:
    """What `copy_while` stored, known once its block is left."""

    rows: int = 0
    inserted: int = 0


@contextmanager
def copy_while(
    session: Session,
    table: str,
    columns: Sequence[str],
    parts: Callable[[], Iterator[dict[str, list[Any]]]],
    *,
    conflict: Sequence[str],
) -> Iterator[SentRows]:
    """PostgreSQL: COPY rows into `table` from a thread while the caller's block computes.

    An import's longest wait is the server taking its responses, and its longest computation
    is the account figures: neither needs the other, and the server's work (parsing, indexes,
    then the foreign-key checks it runs when each COPY statement ends) happens in its own
    process. So each part is formatted here, on the caller's thread, and goes in by its own
    COPY, sent from a thread (`_CopySender`) that needs the interpreter only to hand the bytes
    over, so the server is never kept waiting by the caller's computation; one part's checks
    run while the next is sent. The block must not use the session: its connection is the
    sender's until the block is left, when every COPY has ended, in the caller's transaction.
    `parts` gives the rows (as columns, like `insert_or_keep`'s `values`) and is called again
    if a key turns out to be stored already: then, as in `copy_insert`, the rows go through
    the scratch table and `ON CONFLICT DO NOTHING`.
    """
    import psycopg

    sent = SentRows()
    cursor = _cursor(session)
    try:
        cursor.execute("SAVEPOINT voc_copy")
        sender = _CopySender(cursor, f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        formatting = _cursor(session)  # its own, as the sender's is busy: it never runs a query
        try:
            for values in parts():
                rows = len(values[columns[0]])
                sender.send(_copy_text(formatting, [values[name] for name in columns]), rows)
                sent.rows += rows
            yield sent
        except BaseException:
            sender.stop()  # the caller failed: no more parts, and wait for the one under way
            raise
        finally:
            sender.join()  # before anything else uses the connection
            formatting.close()
        if isinstance(sender.failure, psycopg.errors.UniqueViolation):
            sent.inserted = _merged_instead(cursor, table, parts(), conflict)
            return
        if sender.failure is not None:
            raise sender.failure
        cursor.execute("RELEASE SAVEPOINT voc_copy")
        sent.inserted = sender.rows
    finally:
        cursor.close()


def _copy_text(cursor: Any, columns: Sequence[list[Any]]) -> bytes:
    """Rows in COPY's text format, as psycopg writes them, with no statement sent."""
    import io

    from psycopg import Copy
    from psycopg.copy import FileWriter

    buffer = io.BytesIO()
    copy = Copy(cursor, binary=False, writer=FileWriter(buffer))
    for row in zip(*columns, strict=True):
        copy.write_row(row)
    copy.finish(None)
    return buffer.getvalue()


class _CopySender:
    """A thread running one COPY per block of formatted rows, on a cursor the caller leaves
    alone."""

    def __init__(self, cursor: Any, statement: str) -> None:
        import queue
        import threading

        self.rows = 0
        self.failure: BaseException | None = None
        self._cursor = cursor
        self._statement = statement
        self._blocks: queue.SimpleQueue[tuple[bytes, int] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, name="voc-copy", daemon=True)
        self._thread.start()

    def send(self, data: bytes, rows: int) -> None:
        self._blocks.put((data, rows))

    def _send(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self._stop.is_set() or self.failure is not None:
                continue  # drained, so that join's end of the queue is reached
            data, rows = block
            try:
                with self._cursor.copy(self._statement) as copy:
                    copy.write(memoryview(data))
                self.rows += rows
            except BaseException as failure:  # handed to the caller's thread after join
                self.failure = failure

    def stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        self._blocks.put(None)
        self._thread.join()


def _copy_rows(cursor: Any, table: str, columns: str, values: dict[str, list[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in zip(*values.values(), strict=True):
            copy.write_row(row)


def _merge_through_scratch(
    cursor: Any, table: str, columns: str, values: dict[str, list[Any]], conflict: Sequence[str]
) -> int:
    """The rows COPied into a scratch table (same column types, no constraints, gone at the
    end of the transaction), then one `INSERT … SELECT … ON CONFLICT DO NOTHING`."""
    scratch = f"voc_import_{table}"
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    cursor.execute(f"TRUNCATE {scratch}")
    _copy_rows(cursor, scratch, columns, values)
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {scratch} "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    )
    return int(cursor.rowcount)


def in_batches(values: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def fetch_in(
    session: Session,
    statement: sa.Select[Any],
    expanding: str,
    values: Sequence[Any],
    **params: Any,
) -> list[tuple[Any, ...]]:
    """Rows for `… IN (:expanding)` over many values, in batches, as plain driver tuples.

    The statement is compiled once; each batch only widens the IN list (compiling a
    five-thousand-value IN clause for every batch costs more than running it).
    """
    compiled = statement.compile(dialect=_positional_dialect(session))
    marker = f"__[POSTCOMPILE_{expanding}]"
    placeholder = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    rows: list[tuple[Any, ...]] = []
    cursor = _cursor(session)
    try:
        for batch in in_batches(values, LOOKUP_BATCH):
            sql = compiled.string.replace(marker, ", ".join([placeholder] * len(batch)))
            flat: list[Any] = []
            for name in compiled.positiontup or []:
                if name == expanding:
                    flat.extend(batch)
                else:
                    flat.append(params[name])
            cursor.execute(sql, flat)
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    return rows


def fetch_rows(session: Session, statement: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """Plain tuples straight from the driver: no Row objects for a hundred thousand rows."""
    compiled = statement.compile(
        dialect=_positional_dialect(session), compile_kwargs={"render_postcompile": True}
    )
    params = [compiled.params[name] for name in compiled.positiontup or []]
    cursor = _cursor(session)
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def update_sql(session: Session, table: str, columns: Sequence[str]) -> tuple[str, list[str]]:
    """`UPDATE table SET … WHERE id = ?` with parameters named row_id and new_<column>."""
    target = sa.table(table, sa.column("id"), *(sa.column(c) for c in columns))
    statement = (
        sa.update(target)
        .where(target.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in columns})
    )
    compiled = statement.compile(dialect=_positional_dialect(session))
    return compiled.string, list(compiled.positiontup or [])


@contextmanager
def bulk_write_settings(session: Session, cache_mib: int = 64) -> Iterator[None]:
    """A larger SQLite page cache while a bulk import runs, restored afterwards.

    The responses table has three indexes; with SQLite's default 2 MiB cache, inserting a
    million rows spends most of its time re-reading index pages. The setting is per connection,
    so it is put back before the connection returns to the pool. (Statement journals, which
    SQLite keeps for `DO UPDATE` upserts, stay in memory thanks to `temp_store`, set by
    storage.db when each connection opens: SQLite refuses to change it inside a transaction.)
    PostgreSQL needs none of this.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    cursor = _cursor(session)
    cache = cursor.execute("PRAGMA cache_size").fetchall()[0][0]
    try:
        cursor.execute(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(cache)}")
        cursor.close()
