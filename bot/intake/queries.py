"""The import use cases' own SQL: what an import reads back, and the benchmark rows it rewrites.

The bulk writes of rows from a file are `writing` and `people`; this module holds the smaller
statements `service` runs around them, each in the caller's session and transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.names import name_key
from bot.insights import DETRACTOR_MAX, PROMOTER_MIN
from storage.bulk import dialect_insert
from storage.models import Account, Benchmark, Cycle, Followup, Respondent, Response


def cycles_with_responses_of(session: Session, account_ids: Sequence[int]) -> list[int]:
    """The cycles holding responses of these accounts: a segment change moves their benchmarks."""
    statement = sa.select(Response.cycle_id).where(Response.account_id.in_(account_ids)).distinct()
    return list(session.scalars(statement))


def cycles_answered_by(
    session: Session, respondent_ids: Sequence[int]
) -> list[tuple[int, str, Any]]:
    """(respondent id, cycle label, cycle start) of every cycle these people answered."""
    statement = (
        sa.select(Response.respondent_id, Cycle.label, Cycle.starts_on)
        .join(Cycle, Cycle.id == Response.cycle_id)
        .where(Response.respondent_id.in_(list(respondent_ids)))
        .distinct()
    )
    return [(int(person), label, starts) for person, label, starts in session.execute(statement)]


def accounts_with_ids(session: Session, workspace_id: str, ids: Sequence[int]) -> list[Account]:
    """The workspace's accounts among `ids`, by name: whom an uploaded file is about."""
    statement = (
        sa.select(Account)
        .where(Account.workspace_id == workspace_id, Account.id.in_(list(ids)))
        .order_by(Account.name)
    )
    return list(session.scalars(statement))


def respondents_of(session: Session, account_id: int, limit: int = 100) -> list[Respondent]:
    """The account's known people, by name: whom an interview may be with."""
    statement = (
        sa.select(Respondent)
        .where(Respondent.account_id == account_id)
        .order_by(Respondent.name, Respondent.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def respondent_of(session: Session, account_id: int, respondent_id: int) -> Respondent | None:
    """One of the account's people; None for an ID of anyone else's."""
    return session.scalar(
        sa.select(Respondent).where(
            Respondent.id == respondent_id, Respondent.account_id == account_id
        )
    )


def workspace_cycles(session: Session, workspace_id: str) -> list[tuple[int, str, Any]]:
    """(id, label, start) of every cycle of the workspace."""
    statement = sa.select(Cycle.id, Cycle.label, Cycle.starts_on).where(
        Cycle.workspace_id == workspace_id
    )
    return [
        (int(cycle_id), label, starts) for cycle_id, label, starts in session.execute(statement)
    ]


def account_names_by_key(session: Session, workspace_id: str) -> dict[str, str]:
    """Every account's name by its matching key, to suggest one for a name the file got wrong."""
    statement = sa.select(Account.name_key, Account.name).where(
        Account.workspace_id == workspace_id
    )
    return {key: name for key, name in session.execute(statement)}


def benchmarked_attributes(session: Session, workspace_id: str, cycle_ids: list[int]) -> set[str]:
    """The attributes the cycles' "all" benchmark rows already average: a recompute keeps them,
    since an earlier import of the same cycles brought them."""
    means = session.scalars(
        sa.select(Benchmark.attribute_means).where(
            Benchmark.workspace_id == workspace_id,
            Benchmark.cycle_id.in_(cycle_ids),
            Benchmark.scope == "all",
        )
    )
    return {str(name) for mapping in means for name in (mapping or {})}


def benchmark_aggregates(
    session: Session, workspace_id: str, cycle_ids: list[int], names: Sequence[str]
) -> list[sa.Row[Any]]:
    """Per (cycle, segment), one aggregate query over the stored responses: cycle id, segment,
    respondents, promoters, detractors, recommend answered, satisfaction sum, then a (sum,
    count) pair per attribute in `names`. Counts and sums only, so they add up across parts.

    Two result columns per attribute: SQLite allows 2,000 and PostgreSQL 1,664, which a cycle of
    ~1,000 attributes passed, failing every later import into it. The intake caps a cycle's
    attributes (`bot.intake.hostile.MAX_ATTRIBUTES`) well below that."""
    one_if = lambda condition: sa.func.sum(sa.case((condition, 1), else_=0))  # noqa: E731
    columns: list[Any] = [
        Response.cycle_id,
        Account.segment,
        sa.func.count(),
        one_if(Response.recommend >= PROMOTER_MIN),
        one_if(Response.recommend <= DETRACTOR_MAX),
        sa.func.count(Response.recommend),
        sa.func.sum(Response.satisfaction),
    ]
    for name in names:
        score = Response.ratings[name].as_float()
        columns += [sa.func.sum(score), sa.func.count(score)]
    statement = (
        sa.select(*columns)
        .join(Account, Account.id == Response.account_id)
        .where(Response.cycle_id.in_(cycle_ids), Account.workspace_id == workspace_id)
        .group_by(Response.cycle_id, Account.segment)
    )
    return list(session.execute(statement))


def replace_benchmarks(
    session: Session, workspace_id: str, cycle_ids: list[int], rows: list[dict[str, Any]]
) -> None:
    """Make the cycles' benchmark rows exactly `rows`: upsert those, delete the ones no longer
    backed by data (a segment that lost its last account)."""
    keep = {(r["cycle_id"], r["scope"], r["segment"]) for r in rows}
    existing = session.execute(
        sa.select(Benchmark.id, Benchmark.cycle_id, Benchmark.scope, Benchmark.segment).where(
            Benchmark.workspace_id == workspace_id, Benchmark.cycle_id.in_(cycle_ids)
        )
    )
    stale = [row.id for row in existing if (row.cycle_id, row.scope, row.segment) not in keep]
    if stale:
        session.execute(sa.delete(Benchmark).where(Benchmark.id.in_(stale)))
    if not rows:
        return
    table = Benchmark.__table__
    statement = dialect_insert(session)(table)
    key = ("workspace_id", "cycle_id", "scope", "segment")
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={c: statement.excluded[c] for c in rows[0] if c not in key},
    )
    session.execute(statement, rows)


# --- forgetting a cycle's responses (`voc forget --cycle`) ------------------------------------


def cycle_by_label(session: Session, workspace_id: str, label: str) -> Cycle | None:
    """The workspace's cycle with this label, compared without regard to case."""
    return session.scalars(
        sa.select(Cycle).where(
            Cycle.workspace_id == workspace_id, sa.func.lower(Cycle.label) == label.lower()
        )
    ).first()


def cycle_labels(session: Session, workspace_id: str) -> list[str]:
    """Every cycle label of the workspace, for a message that names what exists."""
    return list(session.scalars(sa.select(Cycle.label).where(Cycle.workspace_id == workspace_id)))


def _cycle_rows(model: Any, cycle_id: int, account_id: int | None) -> Any:
    condition = model.cycle_id == cycle_id
    return condition if account_id is None else condition & (model.account_id == account_id)


def count_cycle_rows(session: Session, cycle_id: int, account_id: int | None) -> dict[str, int]:
    """How many responses and follow-ups of the cycle (one account's, or all) there are, and
    over how many accounts: what `voc forget --cycle` would delete."""
    responses = session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(Response.account_id))).where(
            _cycle_rows(Response, cycle_id, account_id)
        )
    ).one()
    followups = session.scalar(
        sa.select(sa.func.count()).where(_cycle_rows(Followup, cycle_id, account_id))
    )
    return {"responses": responses[0], "accounts": responses[1], "followups": followups or 0}


def delete_cycle_rows(session: Session, cycle_id: int, account_id: int | None) -> int:
    """Delete the cycle's follow-ups and responses (one account's, or all), then the people
    they leave with no answer and no follow-up anywhere; returns how many people went."""
    touched = sa.select(Response.respondent_id).where(_cycle_rows(Response, cycle_id, account_id))
    people = set(session.scalars(touched))
    session.execute(sa.delete(Followup).where(_cycle_rows(Followup, cycle_id, account_id)))
    session.execute(sa.delete(Response).where(_cycle_rows(Response, cycle_id, account_id)))
    if not people:
        return 0
    still_known = sa.union(
        sa.select(Response.respondent_id).where(Response.respondent_id.in_(people)),
        sa.select(Followup.respondent_id).where(Followup.respondent_id.in_(people)),
    )
    gone = people - set(session.scalars(still_known))
    if gone:
        session.execute(sa.delete(Respondent).where(Respondent.id.in_(gone)))
    return len(gone)


def delete_cycle_if_empty(session: Session, cycle_id: int) -> bool:
    """A cycle with no responses left is forgotten too, with its benchmark rows."""
    if session.scalar(sa.select(Response.id).where(Response.cycle_id == cycle_id).limit(1)):
        return False
    session.execute(sa.delete(Benchmark).where(Benchmark.cycle_id == cycle_id))
    session.execute(sa.delete(Cycle).where(Cycle.id == cycle_id))
    return True


# --- forgetting one person (`voc forget --email` / `--name`) ----------------------------------


def people_with_email(
    session: Session, workspace_id: str, email: str, account_id: int | None
) -> list[Respondent]:
    """The workspace's people (of one account, or all) with this email, ignoring case."""
    statement = (
        sa.select(Respondent)
        .join(Account, Account.id == Respondent.account_id)
        .where(Account.workspace_id == workspace_id, sa.func.lower(Respondent.email) == email)
        .order_by(Respondent.id)
    )
    if account_id is not None:
        statement = statement.where(Respondent.account_id == account_id)
    return list(session.scalars(statement))


def people_named(session: Session, account_id: int, key: str) -> list[Respondent]:
    """The account's people whose name has this `name_key`, compared as the intake compares
    names (in Python: the key squeezes spaces, which SQL cannot do the same way everywhere)."""
    statement = sa.select(Respondent).where(Respondent.account_id == account_id)
    return [person for person in session.scalars(statement) if name_key(person.name) == key]


def answers_of(session: Session, people: Sequence[int]) -> list[sa.Row[Any]]:
    """(response id, account id, cycle id, cycle label, comment) of every answer of these people."""
    columns = (Response.id, Response.account_id, Response.cycle_id, Cycle.label, Response.comment)
    statement = (
        sa.select(*columns)
        .join(Cycle, Cycle.id == Response.cycle_id)
        .where(Response.respondent_id.in_(list(people)))
        .order_by(Cycle.label, Response.id)
    )
    return list(session.execute(statement))


def followups_of(session: Session, people: Sequence[int]) -> list[int]:
    """The IDs of the follow-ups opened about these people."""
    statement = sa.select(Followup.id).where(Followup.respondent_id.in_(list(people)))
    return list(session.scalars(statement.order_by(Followup.id)))


def delete_people(session: Session, people: Sequence[int]) -> None:
    """Delete these people with their follow-ups and responses (children first, whatever the
    database's foreign-key enforcement)."""
    ids = list(people)
    session.execute(sa.delete(Followup).where(Followup.respondent_id.in_(ids)))
    session.execute(sa.delete(Response).where(Response.respondent_id.in_(ids)))
    session.execute(sa.delete(Respondent).where(Respondent.id.in_(ids)))
