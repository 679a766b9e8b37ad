"""The follow-up room's SQL: what an import's accounts hold, writing follow-ups, reading them.

The reads behind opening are set-based, one statement per group of accounts that share their
latest and previous cycle (cycles are workspace-wide, so that is a handful of groups), never
one per person: an import of a million rows must not turn into a million queries.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.core.lazy import lazy_module
from bot.followups.values import AnsweredItem, FollowupItem
from storage.bulk import bound_columns, fetch_in, insert_or_keep
from storage.models import (
    Account,
    AuditEntry,
    Commitment,
    Cycle,
    Delivery,
    Followup,
    Respondent,
    Response,
)

if TYPE_CHECKING:
    import pandas as pd
else:  # loaded when a function here first needs it: most callers never do
    pd = lazy_module("pandas")

DECISION_MAKER = "decision_maker"


def workspace_cycles(session: Session, workspace_id: str) -> list[tuple[int, str, date | None]]:
    rows = session.execute(
        sa.select(Cycle.id, Cycle.label, Cycle.starts_on).where(Cycle.workspace_id == workspace_id)
    )
    return [(int(i), str(label), starts) for i, label, starts in rows]


def cycles_of_accounts(session: Session, account_ids: Sequence[int]) -> pd.DataFrame:
    """(account_id, cycle_id) for every cycle in which these accounts have answers.

    One index probe per account and cycle of its workspace (a few thousand), rather than a
    DISTINCT over every response the accounts hold (a million index entries after a big
    import)."""
    answered = (
        sa.select(Response.id)
        .where(Response.account_id == Account.id, Response.cycle_id == Cycle.id)
        .exists()
    )
    statement = (
        sa.select(Account.id, Cycle.id)
        .join(Cycle, Cycle.workspace_id == Account.workspace_id)
        .where(Account.id.in_(sa.bindparam("ids", expanding=True)), answered)
    )
    rows = fetch_in(session, statement, "ids", sorted(account_ids))
    return pd.DataFrame(rows, columns=["account_id", "cycle_id"])


def latest_answers(session: Session, cycle_id: int, account_ids: Sequence[int]) -> pd.DataFrame:
    """The scores of everyone who answered `cycle_id` in these accounts."""
    statement = sa.select(
        Response.respondent_id,
        Response.account_id,
        Response.satisfaction,
        Response.recommend,
        Response.continue_score,
    ).where(
        Response.cycle_id == sa.bindparam("cycle"),
        Response.account_id.in_(sa.bindparam("ids", expanding=True)),
    )
    rows = fetch_in(session, statement, "ids", sorted(account_ids), cycle=cycle_id)
    columns = ["respondent_id", "account_id", "satisfaction", "recommend", "continue_score"]
    return pd.DataFrame(rows, columns=columns)


def older_answers(
    session: Session, respondent_ids: Sequence[int], latest_id: int, previous_id: int
) -> pd.DataFrame:
    """These people's answers in cycles other than the latest two: where a drop is measured for
    someone who skipped the previous cycle."""
    statement = sa.select(Response.respondent_id, Response.cycle_id, Response.satisfaction).where(
        Response.respondent_id.in_(sa.bindparam("ids", expanding=True)),
        Response.cycle_id != sa.bindparam("latest"),
        Response.cycle_id != sa.bindparam("previous"),
    )
    rows = fetch_in(
        session, statement, "ids", sorted(respondent_ids), latest=latest_id, previous=previous_id
    )
    return pd.DataFrame(rows, columns=["respondent_id", "cycle_id", "satisfaction"])


def silent_decision_makers(
    session: Session, latest_id: int, previous_id: int, account_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """(respondent_id, account_id): decision makers who answered `previous_id`, not `latest_id`."""
    later = aliased(Response)
    answered_later = (
        sa.select(later.id)
        .where(
            later.respondent_id == Response.respondent_id,
            later.cycle_id == sa.bindparam("latest"),
        )
        .exists()
    )
    statement = sa.select(Response.respondent_id, Response.account_id).where(
        Response.cycle_id == sa.bindparam("previous"),
        Response.role == sa.bindparam("role"),
        Response.account_id.in_(sa.bindparam("ids", expanding=True)),
        ~answered_later,
    )
    rows = fetch_in(
        session,
        statement,
        "ids",
        sorted(account_ids),
        latest=latest_id,
        previous=previous_id,
        role=DECISION_MAKER,
    )
    return [(int(r), int(a)) for r, a in rows]


def account_managers(session: Session, account_ids: Sequence[int]) -> dict[int, str | None]:
    statement = sa.select(Account.id, Account.account_manager).where(
        Account.id.in_(sa.bindparam("ids", expanding=True))
    )
    return {int(i): manager for i, manager in fetch_in(session, statement, "ids", account_ids)}


FOLLOWUP_INSERT_COLUMNS = (
    "workspace_id",
    "account_id",
    "cycle_id",
    "respondent_id",
    "reasons",
    "status",
    "owner",
    "opened_at",
    "due_at",
    "updated_at",
)


def insert_new(session: Session, columns: dict[str, list[Any]]) -> int:
    """Insert follow-ups given as columns; one existing for the person and cycle stays as it is.

    The unique (respondent, cycle) constraint decides, never a look-first: two imports racing
    on PostgreSQL both get past any look (`storage.bulk.insert_or_keep`: `ON CONFLICT DO
    NOTHING` on SQLite; COPY on PostgreSQL, a re-import's known people merged by the same
    rule). The rows go straight to the driver
    (a hundred thousand follow-ups from a million-row import cost a quarter of what the ORM's
    insert would); each value is still bound by its column's own type, computed once per
    distinct value, so what is stored is exactly what the models would store.
    """
    if not columns["respondent_id"]:
        return 0
    wanted = {name: columns[name] for name in FOLLOWUP_INSERT_COLUMNS}
    bound = bound_columns(session, Followup.__table__, wanted)
    return insert_or_keep(session, "followups", bound, conflict=("respondent_id", "cycle_id"))


# --- reading and changing follow-ups ------------------------------------------------------


_ANSWER = aliased(Response)
"""The follow-up's answer, aliased once: making the alias on every call was a third of the
account report's time."""


_FOLLOWUP_COLUMNS = (
    Followup.id,
    Followup.account_id,
    Followup.cycle_id,
    Followup.reasons,
    Followup.status,
    Followup.owner,
    Followup.opened_at,
    Followup.due_at,
    Followup.contacted_at,
    Followup.closed_at,
    Followup.note,
    Followup.contact_method,
)
"""What a listing reads of the follow-up itself: plain columns, no ORM object per row."""

_ANSWER_COLUMNS = 4
"""The answer's id, scores and comment, last in a `with_answer` row."""


@functools.cache
def _items_statement(*, with_answer: bool = False) -> sa.Select[Any]:
    """Follow-ups with what people see of them, in the workspace bound as `workspace_id`;
    `with_answer` adds the answer's id, scores and comment (what an announcement quotes).

    Built once: constructing the joins on every call cost more than running them."""
    answer = _ANSWER
    extra = (
        (
            answer.id.label("response_id"),
            answer.satisfaction.label("answer_satisfaction"),
            answer.recommend.label("answer_recommend"),
            answer.comment.label("answer_comment"),
        )
        if with_answer
        else ()
    )
    return (
        sa.select(
            *_FOLLOWUP_COLUMNS,
            Account.name.label("account"),
            Cycle.label.label("cycle"),
            Respondent.name.label("respondent"),
            Respondent.email.label("email"),
            answer.role.label("role"),
            *extra,
        )
        .join(Account, Account.id == Followup.account_id)
        .join(Cycle, Cycle.id == Followup.cycle_id)
        .join(Respondent, Respondent.id == Followup.respondent_id)
        .outerjoin(
            answer,
            sa.and_(
                answer.respondent_id == Followup.respondent_id,
                answer.cycle_id == Followup.cycle_id,
            ),
        )
        .where(Followup.workspace_id == sa.bindparam("workspace_id"))
    )


@functools.cache
def _listing_statement(by_accounts: bool, by_owners: bool, by_statuses: bool) -> sa.Select[Any]:
    """`followup_items`' statement for one combination of filters, built once; the lists come
    as expanding parameters (`account_ids`, `owners`, `statuses`)."""
    statement = _items_statement()
    whose = []
    if by_accounts:
        whose.append(Followup.account_id.in_(sa.bindparam("account_ids", expanding=True)))
    if by_owners:
        whose.append(Followup.owner.in_(sa.bindparam("owners", expanding=True)))
    if whose:
        statement = statement.where(sa.or_(*whose))
    if by_statuses:
        statement = statement.where(Followup.status.in_(sa.bindparam("statuses", expanding=True)))
    return statement.order_by(Followup.due_at, Followup.id)


_ITEM_FIELDS = tuple(field.name for field in dataclasses.fields(FollowupItem))
_ROLE, _REASONS = _ITEM_FIELDS.index("role"), _ITEM_FIELDS.index("reasons")


@functools.cache
def _item_values() -> Callable[[Any], tuple[Any, ...]]:
    """A listing row's values in `FollowupItem`'s order, found by column name once: every
    listing starts with `_items_statement`'s columns. Reading a row by name, field by field,
    was most of what a report's few dozen follow-ups cost."""
    names = list(_items_statement().selected_columns.keys())
    return operator.itemgetter(*(names.index(name) for name in _ITEM_FIELDS))


def _item(row: Any) -> FollowupItem:
    values = list(_item_values()(row))
    if values[_ROLE] is None:  # only a silent decision maker has no answer in the cycle
        values[_ROLE] = DECISION_MAKER
    values[_REASONS] = list(values[_REASONS] or [])
    return FollowupItem(*values)


def followup_items(
    session: Session,
    workspace_id: str,
    *,
    account_ids: Sequence[int] | None = None,
    statuses: Sequence[str] | None = None,
    owners: Sequence[str] | None = None,
) -> list[FollowupItem]:
    """Follow-ups soonest due first, optionally in some states, of some accounts or owners.

    Given both, accounts and owners widen each other: a person's list is what they own plus
    what their accounts are waiting for.
    """
    statement = _listing_statement(
        account_ids is not None, owners is not None, statuses is not None
    )
    params: dict[str, Any] = {"workspace_id": workspace_id}
    if account_ids is not None:
        params["account_ids"] = list(account_ids)
    if owners is not None:
        params["owners"] = list(owners)
    if statuses is not None:
        params["statuses"] = list(statuses)
    rows = session.execute(statement, params).all()
    return [_item(row) for row in rows]


def followup_item(session: Session, workspace_id: str, followup_id: int) -> FollowupItem | None:
    statement = _items_statement().where(Followup.id == followup_id)
    row = session.execute(statement, {"workspace_id": workspace_id}).first()
    return None if row is None else _item(row)


def followup_for_change(session: Session, workspace_id: str, followup_id: int) -> Followup | None:
    """The row locked until the transaction ends, so two people moving it on cannot interleave."""
    return session.scalars(
        sa.select(Followup)
        .where(Followup.id == followup_id, Followup.workspace_id == workspace_id)
        .with_for_update()
    ).first()


def update_followup(session: Session, followup: Followup, values: dict[str, Any]) -> None:
    session.execute(sa.update(Followup).where(Followup.id == followup.id).values(**values))


def loop_rows(
    session: Session, workspace_id: str
) -> list[tuple[str, str, datetime, datetime, datetime | None]]:
    """(account, status, opened_at, due_at, contacted_at) of every follow-up of the workspace."""
    rows = session.execute(
        sa.select(
            Account.name,
            Followup.status,
            Followup.opened_at,
            Followup.due_at,
            Followup.contacted_at,
        )
        .join(Account, Account.id == Followup.account_id)
        .where(Followup.workspace_id == workspace_id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def followup_items_by_id(
    session: Session, workspace_id: str, ids: Sequence[int]
) -> dict[int, FollowupItem]:
    """These follow-ups as they are now, by id: what a DM planned earlier shows when it goes."""
    if not ids:
        return {}
    statement = _items_statement().where(Followup.id.in_(list(ids)))
    rows = session.execute(statement, {"workspace_id": workspace_id}).all()
    return {item.id: item for item in (_item(row) for row in rows)}


def count_answers(session: Session, cycle_id: int, account_ids: Sequence[int]) -> int:
    """How many answers `cycle_id` holds in these accounts (the (account, cycle) index alone)."""
    statement = sa.select(sa.func.count()).where(
        Response.cycle_id == sa.bindparam("cycle"),
        Response.account_id.in_(sa.bindparam("ids", expanding=True)),
    )
    rows = fetch_in(session, statement, "ids", sorted(account_ids), cycle=cycle_id)
    return sum(int(count) for (count,) in rows)


# --- announcing and closing ---------------------------------------------------------------


def opened_together(
    session: Session, workspace_id: str, opened_at: datetime
) -> list[tuple[int, int]]:
    """(account_id, cycle_id) of the follow-ups one import opened: they share its moment."""
    rows = session.execute(
        sa.select(Followup.account_id, Followup.cycle_id)
        .where(
            # New ones are open: the (workspace, status) index narrows the look to those.
            Followup.workspace_id == workspace_id,
            Followup.status == "open",
            Followup.opened_at == opened_at,
        )
        .distinct()
    )
    return sorted((int(a), int(c)) for a, c in rows)


def answered_items(
    session: Session,
    workspace_id: str,
    account_id: int,
    cycle_id: int,
    opened_at: datetime | None,
) -> list[AnsweredItem]:
    """An account's follow-ups of one cycle (opened at `opened_at`, when given), the unhappiest
    first, each with the answer that opened it."""
    statement = _items_statement(with_answer=True).where(
        Followup.account_id == account_id, Followup.cycle_id == cycle_id
    )
    if opened_at is not None:
        statement = statement.where(Followup.opened_at == opened_at)
    rows = session.execute(statement.order_by(Followup.id), {"workspace_id": workspace_id}).all()
    return [_answered(row) for row in rows]


def answered_item(session: Session, workspace_id: str, followup_id: int) -> AnsweredItem | None:
    row = session.execute(
        _items_statement(with_answer=True).where(Followup.id == followup_id),
        {"workspace_id": workspace_id},
    ).first()
    return None if row is None else _answered(row)


def _answered(row: Any) -> AnsweredItem:
    response_id, satisfaction, recommend, comment = row[-_ANSWER_COLUMNS:]
    return AnsweredItem(_item(row), row.cycle_id, response_id, satisfaction, recommend, comment)


def latest_actors(
    session: Session, workspace_id: str, followup_ids: Sequence[int]
) -> dict[tuple[int, str], str]:
    """Who last did each thing to these follow-ups, by (follow-up id, audit action)."""
    if not followup_ids:
        return {}
    rows = session.execute(
        sa.select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.actor)
        .where(
            AuditEntry.workspace_id == workspace_id,
            AuditEntry.entity == "followup",
            AuditEntry.entity_id.in_([str(i) for i in followup_ids]),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return {(int(entity_id), action): actor for entity_id, action, actor in rows}


def account_channels(session: Session, account_ids: Sequence[int]) -> dict[int, str | None]:
    """Where each account's team talks: the channel ID its name resolved to, else as written."""
    statement = sa.select(Account.id, Account.channel_id, Account.channel).where(
        Account.id.in_(sa.bindparam("ids", expanding=True))
    )
    rows = fetch_in(session, statement, "ids", sorted(account_ids))
    return {int(i): channel_id or channel for i, channel_id, channel in rows}


def sent_message(session: Session, workspace_id: str, key: str) -> tuple[str, str] | None:
    """(channel, ts) of a keyed message once it went out."""
    row = session.execute(
        sa.select(Delivery.channel, Delivery.message_ts).where(
            Delivery.workspace_id == workspace_id,
            Delivery.delivery_key == key,
            Delivery.status == "sent",
        )
    ).first()
    if row is None or not row.channel or not row.message_ts:
        return None
    return str(row.channel), str(row.message_ts)


def open_linked_commitments(session: Session, followup_id: int) -> tuple[int, int]:
    """(linked, still open) commitments of a follow-up."""
    linked, still_open = session.execute(
        sa.select(
            sa.func.count(Commitment.id),
            sa.func.count(Commitment.id).filter(Commitment.status != "done"),
        ).where(Commitment.followup_id == followup_id)
    ).one()
    return int(linked), int(still_open)
