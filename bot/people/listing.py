"""The list a directory starts from: held in this process, else stored, else taken from Slack."""

from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.core import clock
from bot.directory import Directory, DirectoryUnavailable, ListedPeople
from bot.people.queries import last_refresh, store_people, stored_people
from bot.runtime import Runtime
from storage.db import transaction

log = logging.getLogger(__name__)

REFRESH_AGE = timedelta(hours=6)  # as long as the scheduler's in-memory answers live


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
