"""Exactly-once delivery of what people see (digests, reminders, escalations).

Each message has a key (`digest:42`, `reminder:U123:2026-11-24`). Sending is three steps:

1. `claim`: insert the key, or take over a row whose previous attempt failed or whose lease ran
   out. The database decides, so two ticks, two processes or two hosts cannot both win.
2. Send to Slack, tagging the message with the key in its metadata.
3. `mark_sent` or `mark_failed`. A failed row is claimed again by a later tick.

A process that dies between 2 and 3 leaves a row `claimed` with an expired lease; whoever takes it
over is told (`Claim.uncertain`) and should look for the tagged message before sending again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import Delivery, OwedReply

DEFAULT_LEASE = timedelta(minutes=5)


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# Who holds a claim, as operators read it (`host:pid`). Re-read in every forked child: gunicorn
# forks its workers from a master that already imported this module, and each worker's claims
# must name that worker (the one an operator would look for, or kill).
WORKER_ID = _this_process()


def _renamed_after_fork() -> None:
    global WORKER_ID
    WORKER_ID = _this_process()


os.register_at_fork(after_in_child=_renamed_after_fork)
KEYS_PER_STATEMENT = 500  # within SQLite's parameter limit, whatever the row width


@dataclass(frozen=True)
class Claim:
    """The right to send one message now."""

    key: str
    attempt: int
    uncertain: bool  # a previous attempt may have reached Slack before its process died


def claim(
    sessions: sessionmaker[Session],
    *,
    workspace_id: str,
    key: str,
    kind: str,
    recipient: str | None,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    worker: str | None = None,
) -> Claim | None:
    """Take the key, or None when it is sent or someone else is sending it right now."""
    with transaction(sessions) as session:
        won = claim_in(
            session,
            workspace_id=workspace_id,
            keys=[key],
            kind=kind,
            recipient=recipient,
            now=now,
            lease=lease,
            worker=worker,
        )
    return won.get(key)


def mark_sent(
    sessions: sessionmaker[Session],
    *,
    workspace_id: str,
    key: str,
    now: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    with transaction(sessions) as session:
        mark_sent_on(
            session.connection(),
            workspace_id=workspace_id,
            key=key,
            now=now,
            channel=channel,
            message_ts=message_ts,
        )


def mark_failed(
    sessions: sessionmaker[Session], *, workspace_id: str, key: str, error: str
) -> None:
    """Leave the key for the next tick; the error is kept for operators."""
    with transaction(sessions) as session:
        mark_failed_in(session, workspace_id=workspace_id, keys=[key], error=error)


def cancel(sessions: sessionmaker[Session], *, workspace_id: str, key: str, now: datetime) -> bool:
    """Withdraw an unsent message (a cancelled meeting's digest); False if it already went."""
    try:
        with transaction(sessions) as session:
            session.add(
                Delivery(
                    workspace_id=workspace_id,
                    delivery_key=key,
                    kind="cancelled",
                    status="cancelled",
                    created_at=now,
                )
            )
        return True
    except IntegrityError:
        pass
    with transaction(sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.delivery_key == key,
                Delivery.status.in_(("failed", "cancelled")),
            )
            .values(status="cancelled")
        )
        return result.rowcount == 1


def reopen(sessions: sessionmaker[Session], *, workspace_id: str, key: str) -> bool:
    """Owe a withdrawn message again (a meeting moved away and back); a sent one stays sent.

    A cancelled key was never sent (`cancel` cannot withdraw a sent or in-flight one), so it
    becomes `failed`: the next tick claims it like any retry, looking first.
    """
    with transaction(sessions) as session:
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.delivery_key == key,
                Delivery.status == "cancelled",
            )
            .values(status="failed", last_error="reopened")
        )
        return result.rowcount == 1


def status_of(sessions: sessionmaker[Session], *, workspace_id: str, key: str) -> str | None:
    with sessions() as session:
        return session.scalar(
            select(Delivery.status).where(
                Delivery.workspace_id == workspace_id, Delivery.delivery_key == key
            )
        )


def sent_row(session: Session, *, workspace_id: str, key: str) -> Row[Any] | None:
    """The key's row (`status`, `message_ts`, `sent_at`) once it is sent, else None.

    For callers that keep their own copy of "sent" (a meeting's `digest_posted_at`) and must
    catch up after a sender died between the ledger and their row.
    """
    row = session.execute(
        select(Delivery.status, Delivery.message_ts, Delivery.sent_at).where(
            Delivery.workspace_id == workspace_id, Delivery.delivery_key == key
        )
    ).first()
    return row if row is not None and row.status == "sent" else None


# --- several keys in one transaction --------------------------------------------------------------
#
# A reminder DM carries one ledger row per occurrence it bundles, and they must be claimed, sent or
# given back together with the DM's own row. These run inside the caller's transaction
# (`storage.db.transaction`) so that more rows, or a re-check of what is still owed, can join it.


def claim_in(
    session: Session,
    *,
    workspace_id: str,
    keys: Sequence[str],
    kind: str,
    recipient: str | None,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    worker: str | None = None,
    worker_is_exclusive: bool = False,
) -> dict[str, Claim]:
    """Claim each key that is free inside `session`'s transaction; the ones won, by key.

    A key is won when it is new, failed, or claimed with an expired lease (then `uncertain`).
    With `worker_is_exclusive` the caller already holds `worker` alone (a DM key whose claim it
    won), so rows that worker left behind are its own again whatever their lease.

    The INSERT comes first: on SQLite it takes the write lock before anything is read, so two
    contenders queue instead of failing on a stale snapshot.
    """
    worker = worker or WORKER_ID
    lease_until = now + lease
    fresh = _insert_new(
        session,
        [_new_claim(workspace_id, key, kind, recipient, worker, lease_until, now) for key in keys],
    )
    won = {key: Claim(key=key, attempt=1, uncertain=False) for key in fresh}
    existing = [key for key in dict.fromkeys(keys) if key not in fresh]
    own: list[str] = []
    for chunk in _chunks(existing):
        rows = session.execute(
            select(
                Delivery.delivery_key,
                Delivery.status,
                Delivery.attempts,
                Delivery.lease_until,
                Delivery.claimed_by,
            ).where(Delivery.workspace_id == workspace_id, Delivery.delivery_key.in_(chunk))
        ).all()
        for row in rows:
            if row.status in ("sent", "cancelled"):
                continue
            if worker_is_exclusive and row.claimed_by == worker:
                own.append(row.delivery_key)
                won[row.delivery_key] = Claim(
                    row.delivery_key, row.attempts, uncertain=row.status == "claimed"
                )
            elif _retakeable(row.status, row.lease_until, now) and _take_over(
                session, workspace_id, row, now, lease_until, worker
            ):
                won[row.delivery_key] = Claim(
                    row.delivery_key, row.attempts + 1, uncertain=row.status == "claimed"
                )
    for chunk in _chunks(own):
        session.execute(
            update(Delivery)
            .where(Delivery.workspace_id == workspace_id, Delivery.delivery_key.in_(chunk))
            .values(status="claimed", claimed_by=worker, lease_until=lease_until)
        )
    return won


def mark_sent_in(
    session: Session,
    *,
    workspace_id: str,
    keys: Sequence[str],
    now: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    """The keys went out in one message: sent together, in the caller's transaction."""
    _update_keys(
        session,
        workspace_id,
        keys,
        status="sent",
        sent_at=now,
        lease_until=None,
        channel=channel,
        message_ts=message_ts,
        last_error=None,
    )


def mark_failed_in(session: Session, *, workspace_id: str, keys: Sequence[str], error: str) -> None:
    """The claimed keys are left for the next tick, the error kept for operators."""
    _update_keys(
        session,
        workspace_id,
        keys,
        only_claimed=True,
        status="failed",
        lease_until=None,
        last_error=error[:2000],
    )


def forget_in(session: Session, *, workspace_id: str, keys: Sequence[str], worker: str) -> None:
    """Drop `worker`'s claims on keys it will not send, as if they had never been claimed."""
    for chunk in _chunks(list(keys)):
        session.execute(
            delete(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.delivery_key.in_(chunk),
                Delivery.claimed_by == worker,
                Delivery.status == "claimed",
            )
            .execution_options(synchronize_session=False)
        )


def owe_in(
    session: Session,
    *,
    workspace_id: str,
    recipients: Mapping[str, str | None],
    kind: str,
    now: datetime,
) -> set[str]:
    """Record messages as owed inside the caller's transaction, to be claimed like a retry.

    For work born in a transaction that must not wait on Slack (an import): the message is owed
    exactly when that transaction commits. An owed row is `failed` with no attempt yet, so the
    first claim is not `uncertain`; a key already known (sent, or owed) is left as it is.
    `recipients` maps each key to where its message goes; returns the keys recorded now (a
    racing transaction's insert of the same key is still absorbed by ON CONFLICT). One
    executemany, not one statement of many VALUES: an import may owe hundreds, and compiling
    such a statement costs more than running it.
    """
    rows = [
        {
            "workspace_id": workspace_id,
            "delivery_key": key,
            "kind": kind,
            "recipient": recipient,
            "status": "failed",
            "attempts": 0,
            "last_error": "not sent yet",
            "created_at": now,
        }
        for key, recipient in recipients.items()
    ]
    if not rows:
        return set()
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(Delivery).on_conflict_do_nothing(
        index_elements=["workspace_id", "delivery_key"]
    )
    known = _known_keys(session, workspace_id, [row["delivery_key"] for row in rows])
    fresh = [row for row in rows if row["delivery_key"] not in known]
    if fresh:
        session.execute(statement, fresh)
    return {row["delivery_key"] for row in fresh}


def _known_keys(session: Session, workspace_id: str, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(
            session.scalars(
                select(Delivery.delivery_key).where(
                    Delivery.workspace_id == workspace_id, Delivery.delivery_key.in_(chunk)
                )
            )
        )
    return found


def owed(session: Session, *, kind: str, since: datetime, now: datetime) -> list[Row[Any]]:
    """(`workspace_id`, `delivery_key`, `recipient`) of this kind's keys, owed since `since`,
    that a claim would win now: never sent, failed, or left claimed past their lease."""
    return list(
        session.execute(
            select(Delivery.workspace_id, Delivery.delivery_key, Delivery.recipient)
            .where(
                Delivery.kind == kind,
                Delivery.created_at >= since,
                or_(
                    Delivery.status == "failed",
                    and_(Delivery.status == "claimed", Delivery.lease_until < now),
                ),
            )
            .order_by(Delivery.id)
        ).all()
    )


def _new_claim(
    workspace_id: str,
    key: str,
    kind: str,
    recipient: str | None,
    worker: str,
    lease_until: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The row of a key claimed for the first time."""
    return {
        "workspace_id": workspace_id,
        "delivery_key": key,
        "kind": kind,
        "recipient": recipient,
        "status": "claimed",
        "claimed_by": worker,
        "lease_until": lease_until,
        "attempts": 1,
        "created_at": now,
    }


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """INSERT … ON CONFLICT DO NOTHING on the ledger's unique key; the keys it inserted.

    A savepoint-free way to try unique keys inside a larger transaction: a failed plain INSERT
    would abort the whole transaction on PostgreSQL. RETURNING says which rows went in (the
    drivers' rowcount cannot be relied on for this).
    """
    if not rows:
        return set()
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(Delivery)
        .on_conflict_do_nothing(index_elements=["workspace_id", "delivery_key"])
        .returning(Delivery.delivery_key)
    )
    inserted: set[str] = set()
    for chunk in _chunks(rows):
        inserted.update(session.scalars(statement.values(list(chunk))))
    return inserted


def _retakeable(status: str, lease_until: datetime | None, now: datetime) -> bool:
    return status == "failed" or (
        status == "claimed" and lease_until is not None and lease_until < now
    )


def _take_over(
    session: Session,
    workspace_id: str,
    seen: Any,
    now: datetime,
    lease_until: datetime,
    worker: str,
) -> bool:
    """A conditional update: only one contender can move the row out of the state it saw."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.workspace_id == workspace_id,
            Delivery.delivery_key == seen.delivery_key,
            Delivery.status == seen.status,
            Delivery.attempts == seen.attempts,
            or_(
                Delivery.status == "failed",
                and_(Delivery.status == "claimed", Delivery.lease_until < now),
            ),
        )
        .values(
            status="claimed",
            claimed_by=worker,
            lease_until=lease_until,
            attempts=Delivery.attempts + 1,
        )
    )
    return result.rowcount == 1


def _update_keys(
    session: Session,
    workspace_id: str,
    keys: Sequence[str],
    *,
    only_claimed: bool = False,
    **values: Any,
) -> None:
    for chunk in _chunks(list(keys)):
        statement = update(Delivery).where(
            Delivery.workspace_id == workspace_id, Delivery.delivery_key.in_(chunk)
        )
        if only_claimed:
            statement = statement.where(Delivery.status == "claimed")
        session.execute(statement.values(**values))


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), KEYS_PER_STATEMENT):
        yield values[start : start + KEYS_PER_STATEMENT]


# --- one key on the caller's connection, by statements built once ------------------------------
# A `/voc` command owes its answer before the ack and settles it after the reply: each request
# binds its values to these, and pays for two small writes, not for compiling or the ORM.

_CLAIM_NEW = {
    name: dialect.insert(Delivery)
    .on_conflict_do_nothing(index_elements=["workspace_id", "delivery_key"])
    .returning(Delivery.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
"""A first claim, or nothing when the key is known: RETURNING says which (see `_insert_new`)."""

_SENT = (
    update(Delivery)
    .where(Delivery.workspace_id == bindparam("ws"), Delivery.delivery_key == bindparam("key"))
    .values(
        status="sent",
        sent_at=bindparam("at"),
        lease_until=None,
        channel=bindparam("to"),
        message_ts=bindparam("ts"),
        last_error=None,
    )
)


def claim_on(
    connection: Connection,
    *,
    workspace_id: str,
    key: str,
    kind: str,
    recipient: str | None,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
) -> Claim | None:
    """`claim` inside the caller's transaction on `connection`.

    A new key (nearly always: every command has its own trigger id) is one INSERT; only a key
    known already is read back and perhaps taken over, by `claim_in`.
    """
    row = _new_claim(workspace_id, key, kind, recipient, WORKER_ID, now + lease, now)
    if connection.execute(_CLAIM_NEW[connection.dialect.name], row).first() is not None:
        return Claim(key=key, attempt=1, uncertain=False)
    with Session(bind=connection) as session:  # joins the caller's transaction, never ends it
        won = claim_in(
            session,
            workspace_id=workspace_id,
            keys=[key],
            kind=kind,
            recipient=recipient,
            now=now,
            lease=lease,
        )
    return won.get(key)


def mark_sent_on(
    connection: Connection,
    *,
    workspace_id: str,
    key: str,
    now: datetime,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    """`mark_sent` inside the caller's transaction on `connection`."""
    values = {"ws": workspace_id, "key": key, "at": now, "to": channel, "ts": message_ts}
    connection.execute(_SENT, values)


# --- replies owed to a command (`bot.delivery.replies`) ----------------------------------------

_RECORD_REPLY = insert(OwedReply)


def record_reply_on(
    connection: Connection,
    *,
    workspace_id: str,
    key: str,
    user_id: str,
    command: str,
    response_url: str | None,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Where the reply under `key` goes, beside its ledger row, in the caller's transaction."""
    connection.execute(
        _RECORD_REPLY,
        {
            "workspace_id": workspace_id,
            "delivery_key": key,
            "user_id": user_id,
            "command": command,
            "response_url": response_url,
            "expires_at": expires_at,
            "created_at": now,
        },
    )


def reply_of(sessions: sessionmaker[Session], *, workspace_id: str, key: str) -> OwedReply | None:
    with sessions() as session:
        return session.scalar(
            select(OwedReply).where(
                OwedReply.workspace_id == workspace_id, OwedReply.delivery_key == key
            )
        )
