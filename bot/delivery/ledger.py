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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import Delivery

DEFAULT_LEASE = timedelta(minutes=5)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


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
    worker: str = WORKER_ID,
) -> Claim | None:
    """Take the key, or None when it is sent or someone else is sending it right now."""
    try:
        with transaction(sessions) as session:
            session.add(
                Delivery(
                    workspace_id=workspace_id,
                    delivery_key=key,
                    kind=kind,
                    recipient=recipient,
                    status="claimed",
                    claimed_by=worker,
                    lease_until=now + lease,
                    attempts=1,
                    created_at=now,
                )
            )
        return Claim(key=key, attempt=1, uncertain=False)
    except IntegrityError:
        return _take_over(sessions, workspace_id, key, now, lease, worker)


def _take_over(
    sessions: sessionmaker[Session],
    workspace_id: str,
    key: str,
    now: datetime,
    lease: timedelta,
    worker: str,
) -> Claim | None:
    """A conditional update: only one contender can move the row out of its old state."""
    with transaction(sessions) as session:
        row = session.execute(
            select(Delivery.status, Delivery.attempts).where(
                Delivery.workspace_id == workspace_id, Delivery.delivery_key == key
            )
        ).first()
        if row is None or row.status == "sent" or row.status == "cancelled":
            return None
        retakeable = or_(
            Delivery.status == "failed",
            and_(Delivery.status == "claimed", Delivery.lease_until < now),
        )
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.delivery_key == key,
                Delivery.status == row.status,
                Delivery.attempts == row.attempts,
                retakeable,
            )
            .values(
                status="claimed",
                claimed_by=worker,
                lease_until=now + lease,
                attempts=Delivery.attempts + 1,
            )
        )
        if result.rowcount != 1:
            return None
    return Claim(key=key, attempt=row.attempts + 1, uncertain=row.status == "claimed")


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
        session.execute(
            update(Delivery)
            .where(Delivery.workspace_id == workspace_id, Delivery.delivery_key == key)
            .values(
                status="sent",
                sent_at=now,
                lease_until=None,
                channel=channel,
                message_ts=message_ts,
                last_error=None,
            )
        )


def mark_failed(
    sessions: sessionmaker[Session], *, workspace_id: str, key: str, error: str
) -> None:
    """Leave the key for the next tick; the error is kept for operators."""
    with transaction(sessions) as session:
        session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.delivery_key == key,
                Delivery.status == "claimed",
            )
            .values(status="failed", lease_until=None, last_error=error[:2000])
        )


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
