"""The statements on `slack_people`: when the list was taken, the list, replacing it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.directory import ListedPeople, SlackUser
from storage.db import advisory_xact_lock
from storage.models import SlackPerson

_REFRESH_LOCK = 745_022  # two instances refreshing at once take turns writing
_BATCH = 5_000


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
