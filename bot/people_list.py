"""The workspace's people as `users.list` listed them, kept in the database with when.

A tick plans reminders for every owner in their own timezone. Asking `users.info` once per
owner is 5,000 calls for 5,000 owners, minutes at Slack's per-method rate limits, and again
after every restart; `users.list` pages a thousand people a call. The list is kept in the
database (`slack_people`) so every process and every instance shares it, and taken again from
Slack when it is older than `REFRESH_AGE` (people move, and timezones with them).

What is not trusted falls back to the one-by-one lookups of `bot.directory`: someone missing
from the list (they joined since), a list older than `REFRESH_AGE`, or a list Slack could not
give now (a failed page leaves the stored list as it was; no partial list is ever stored).

The refresh age runs on the wall clock, not a tick's `now`: it is about how old Slack's answer
is, and a replayed tick (`voc tick --now …`) must not make a day-old list look fresh.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from bot.core import clock
from bot.directory import Directory, DirectoryUnavailable, ListedPeople, SlackUser
from bot.runtime import Runtime
from storage.db import advisory_xact_lock, transaction
from storage.models import SlackPerson

log = logging.getLogger(__name__)

REFRESH_AGE = timedelta(hours=6)  # as long as the scheduler's in-memory answers live
_REFRESH_LOCK = 745_022  # two instances refreshing at once take turns writing
_BATCH = 5_000


def listed_people(
    runtime: Runtime, directory: Directory, *, ask_slack: bool = True
) -> ListedPeople:
    """The list this process holds or the stored one, when fresh; else a new one from Slack
    (stored for every process), unless `ask_slack` is False (a delivery uses what planning
    found). Empty when Slack cannot list people now: each person is then asked about alone."""
    now = clock.utc_now()
    workspace_id = directory.workspace_id
    held = _held(runtime).get(workspace_id)
    if held is not None and is_fresh(held[0], now):
        return held[1]
    with runtime.sessions() as session:
        refreshed = last_refresh(session, workspace_id)
        if refreshed is not None and is_fresh(refreshed, now):
            return _hold(runtime, workspace_id, refreshed, stored_people(session, workspace_id))
    if not ask_slack:
        return ListedPeople()
    try:
        everyone = directory.everyone()
    except DirectoryUnavailable as error:
        log.warning("people of %s are looked up one by one for now: %s", workspace_id, error)
        return ListedPeople()
    with transaction(runtime.sessions) as session:
        store_people(session, workspace_id, everyone, now)
    return _hold(runtime, workspace_id, now, ListedPeople.of(everyone))


# Per database engine (the process's lifetime in production, one test in tests): the list as
# read, with when Slack gave it, so a tick's jobs and deliveries read the table once.
_HELD: weakref.WeakKeyDictionary[Engine, dict[str, tuple[datetime, ListedPeople]]] = (
    weakref.WeakKeyDictionary()
)


def _held(runtime: Runtime) -> dict[str, tuple[datetime, ListedPeople]]:
    return _HELD.setdefault(runtime.engine, {})


def _hold(
    runtime: Runtime, workspace_id: str, refreshed: datetime, listed: ListedPeople
) -> ListedPeople:
    _held(runtime)[workspace_id] = (refreshed, listed)
    return listed


def is_fresh(refreshed_at: datetime | None, now: datetime) -> bool:
    return refreshed_at is not None and now - refreshed_at < REFRESH_AGE


def last_refresh(session: Session, workspace_id: str) -> datetime | None:
    return session.scalar(
        select(func.max(SlackPerson.refreshed_at)).where(SlackPerson.workspace_id == workspace_id)
    )


def stored_people(session: Session, workspace_id: str) -> ListedPeople:
    """The people the last refresh listed (a refresh replaces the workspace's rows whole)."""
    rows = session.execute(
        select(
            SlackPerson.user_id,
            SlackPerson.name,
            SlackPerson.email,
            SlackPerson.tz,
            SlackPerson.is_bot,
            SlackPerson.deleted,
        ).where(SlackPerson.workspace_id == workspace_id)
    ).all()
    return ListedPeople.of(
        SlackUser(
            id=user_id, name=name, email=email, tz=tz, is_bot=bool(is_bot), deleted=bool(deleted)
        )
        for user_id, name, email, tz, is_bot, deleted in rows
    )


def store_people(
    session: Session, workspace_id: str, people: list[SlackUser], now: datetime
) -> None:
    """The workspace's list replaced whole: someone no longer listed is no longer kept."""
    advisory_xact_lock(session, _REFRESH_LOCK)
    session.execute(delete(SlackPerson).where(SlackPerson.workspace_id == workspace_id))
    rows = [
        {
            "workspace_id": workspace_id,
            "user_id": person.id,
            "name": person.name,
            "email": person.email,
            "tz": person.tz,
            "is_bot": person.is_bot,
            "deleted": person.deleted,
            "refreshed_at": now,
        }
        for person in {person.id: person for person in people}.values()
    ]
    for start in range(0, len(rows), _BATCH):
        session.execute(insert(SlackPerson), rows[start : start + _BATCH])
