"""The account figures' SQL: the responses they are computed from, and the stored rows.

Reads by account (the figures of an account are recomputed whole, every cycle, since a cycle's
figures are compared with the one before it) and writes by replacing an account's rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.cycles import cycle_sort_key
from bot.core.lazy import lazy_module
from storage import jsoncodec
from storage.bulk import bound_columns, fetch_in, insert_or_keep
from storage.models import Account, AccountFigures, Cycle, Respondent, Response

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    np = lazy_module("numpy")
    pd = lazy_module("pandas")

ACCOUNTS_PER_PASS = 5_000
"""Accounts computed together: enough to vectorise, few enough to bound memory."""

RESPONSES = [
    "account_id",
    "cycle_id",
    "respondent_id",
    "respondent_key",
    "respondent",
    "title",
    "role",
    "satisfaction",
    "recommend",
    "continue",
    "comment",
    "ratings",
    "source",
    "themes",
    "tone",
]

PEOPLE = (
    "respondent",
    "title",
    "role",
    "satisfaction",
    "recommend",
    "continue",
    "band",
    "loyalty",
    "comment",
    "source",
    "themes",
    "tone",
)
"""The people table's columns in `bot.reports.model.Person`'s field order, as stored
(`bot.figures.compute`) and read (`bot.reports.assemble`): one list per column, a row per
person in the order the report lists them; `themes` and `tone` are None for a person whose
comment has no tags."""

HEADLINE = (
    AccountFigures.cycle_id,
    AccountFigures.respondents,
    AccountFigures.promoters,
    AccountFigures.detractors,
    AccountFigures.recommend_answered,
    AccountFigures.satisfaction_mean,
    AccountFigures.nps,
)


_RESPONSES_OF = (
    sa.select(
        Response.account_id,
        Response.cycle_id,
        Response.respondent_id,
        Respondent.person_key,
        Respondent.name,
        Response.title,
        Response.role,
        Response.satisfaction,
        Response.recommend,
        Response.continue_score,
        Response.comment,
        Response.ratings,
        Response.source,
        Response.themes,
        Response.tone,
    )
    .join(Respondent, Respondent.id == Response.respondent_id)
    .where(Response.account_id.in_(sa.bindparam("ids", expanding=True)))
)


def response_frame(
    session: Session,
    account_ids: Sequence[int],
    leaving_out: Collection[int] = (),
    only: Collection[int] | None = None,
) -> pd.DataFrame:
    """The accounts' responses (columns RESPONSES) in every cycle, or `only` those, but not in
    the cycles `leaving_out`."""
    statement = _RESPONSES_OF
    # Cycle ids are ours and integers: inlined, as fetch_in binds only the accounts.
    if leaving_out:
        statement = statement.where(sa.text(f"responses.cycle_id NOT IN ({_ids(leaving_out)})"))
    if only is not None:
        if not only:
            return pd.DataFrame(columns=RESPONSES)
        statement = statement.where(sa.text(f"responses.cycle_id IN ({_ids(only)})"))
    rows = fetch_in(session, statement, "ids", list(account_ids))
    return with_parsed_answers(pd.DataFrame(rows, columns=RESPONSES))


def _ids(values: Collection[int]) -> str:
    return ", ".join(str(int(value)) for value in sorted(values))


def account_batches(account_ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """The accounts in passes of ACCOUNTS_PER_PASS."""
    for start in range(0, len(account_ids), ACCOUNTS_PER_PASS):
        yield account_ids[start : start + ACCOUNTS_PER_PASS]


def with_parsed_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores as floats and ratings as dicts, however the rows were read (SQLite hands JSON
    back as text, PostgreSQL parsed; an import holds it as text). Each distinct ratings text is
    parsed once: scores take few values, so a million rows share a few hundred texts."""
    ratings = frame["ratings"].to_numpy(dtype=object)
    texts = np.array([isinstance(value, str | bytes) for value in ratings], dtype=bool)
    if texts.any():
        codes, distinct = pd.factorize(ratings[texts])
        parsed = np.empty(len(distinct), dtype=object)
        parsed[:] = [jsoncodec.loads(text) for text in distinct]
        ratings = ratings.copy()
        ratings[texts] = parsed[codes]
    frame = frame.assign(ratings=ratings)
    for column in ("satisfaction", "recommend", "continue"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def cycle_sort_keys(session: Session, workspace_id: str) -> dict[int, Any]:
    """Cycle ID -> its place in the order reports list cycles in (`bot.core.cycles`)."""
    rows = session.execute(
        sa.select(Cycle.id, Cycle.starts_on, Cycle.label).where(Cycle.workspace_id == workspace_id)
    )
    return {int(cycle_id): cycle_sort_key(starts, label) for cycle_id, starts, label in rows}


def replace_figures(
    session: Session, account_ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """Make the accounts' figures exactly `rows` (a cycle they no longer answered in goes)."""
    for batch in account_batches(account_ids):
        session.execute(sa.delete(AccountFigures).where(AccountFigures.account_id.in_(batch)))
    _insert_figures(session, figure_columns(session, rows))


def figure_columns(session: Session, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Figure rows as columns of the values the database is sent (JSON as text, timestamps as
    this database binds them): the encoding, which needs no connection, so an import does it
    while its responses are still being sent."""
    if not rows:
        return {}
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    return bound_columns(session, AccountFigures.__table__, columns)


def replace_cycle_figures(
    session: Session, pairs: Collection[tuple[int, int]], columns: dict[str, list[Any]]
) -> None:
    """Make the figures of these (account, cycle) pairs `columns` (`figure_columns`), and no
    others."""
    ordered = sorted(pairs)
    for start in range(0, len(ordered), PAIRS_PER_DELETE):
        batch = ordered[start : start + PAIRS_PER_DELETE]
        session.execute(
            sa.delete(AccountFigures).where(
                sa.tuple_(AccountFigures.account_id, AccountFigures.cycle_id).in_(batch)
            )
        )
    _insert_figures(session, columns)


PAIRS_PER_DELETE = 400
"""Pairs per DELETE: two parameters each, under SQLite's limit on a statement's parameters."""


def _insert_figures(session: Session, columns: dict[str, list[Any]]) -> None:
    if columns:  # by the driver's bulk path (COPY on PostgreSQL): an import writes thousands
        table = AccountFigures.__table__.name
        insert_or_keep(session, table, columns, conflict=("account_id", "cycle_id"))


def cycles_with_figures(session: Session, account_ids: Sequence[int]) -> dict[int, set[int]]:
    """Account -> the cycles it has figures in: the cycles it answered in, as every change
    to responses recomputes them."""
    statement = sa.select(AccountFigures.account_id, AccountFigures.cycle_id).where(
        AccountFigures.account_id.in_(sa.bindparam("ids", expanding=True))
    )
    cycles: dict[int, set[int]] = {}
    for account_id, cycle_id in fetch_in(session, statement, "ids", list(account_ids)):
        cycles.setdefault(int(account_id), set()).add(int(cycle_id))
    return cycles


def accounts_in_cycles(
    session: Session, cycle_ids: Sequence[int], account_id: int | None = None
) -> list[int]:
    """Accounts with figures in these cycles (optionally just one of them)."""
    statement = sa.select(AccountFigures.account_id).where(
        AccountFigures.cycle_id.in_(list(cycle_ids))
    )
    if account_id is not None:
        statement = statement.where(AccountFigures.account_id == account_id)
    return sorted({int(a) for a in session.scalars(statement.distinct())})


def accounts_with_responses(session: Session) -> list[tuple[str, int]]:
    """(workspace, account) of every account that has answers: what a backfill computes."""
    rows = session.execute(
        sa.select(Account.workspace_id, Account.id)
        .where(sa.exists().where(Response.account_id == Account.id))
        .order_by(Account.workspace_id, Account.id)
    )
    return [(str(w), int(a)) for w, a in rows]


# --- reading (the report and the portfolio) ---------------------------------------------------


_CYCLES_OF = (
    sa.select(Cycle.id, Cycle.label, Cycle.starts_on, *HEADLINE)
    .join(Cycle, Cycle.id == AccountFigures.cycle_id)
    .where(AccountFigures.account_id == sa.bindparam("account_id"))
)
"""The report's reads, built once at import so each report only binds its values."""

_DETAILS_OF = sa.select(
    AccountFigures.attribute_means,
    AccountFigures.people,
    AccountFigures.previous_cycle_id,
    AccountFigures.changes,
    AccountFigures.champions,
).where(
    AccountFigures.account_id == sa.bindparam("account_id"),
    AccountFigures.cycle_id == sa.bindparam("cycle_id"),
)


def cycles_of(session: Session, account_id: int) -> list[tuple[Any, Any]]:
    """The account's cycles with figures (id, label, starts_on, as plain rows: the report only
    reads them), each with its headline (HEADLINE columns)."""
    rows = session.connection().execute(_CYCLES_OF, {"account_id": account_id}).all()
    return [(row, row) for row in rows]


def details_of(session: Session, account_id: int, cycle_id: int) -> Any:
    """The people, attribute means and changes of one account in one cycle."""
    params = {"account_id": account_id, "cycle_id": cycle_id}
    return session.connection().execute(_DETAILS_OF, params).one()
