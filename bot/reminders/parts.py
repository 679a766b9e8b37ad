"""Parts other rooms owe a person, carried by that person's one DM of the day.

A person gets at most one DM a working day. What another room owes them on such a day (the
sponsor's monthly executive digest, the admins' weekly word that no leadership review has
happened in a year) is a `DayPart`: its own ledger key, the local day and moment it is owed
from, and how to render it when the DM is sent. `bot.reminders.day` puts each part into the
reminder DM the person is owed that day, or into a DM of its own when they are owed none; the
bundle claims the part's key in the DM's claim transaction (held by the DM's key), marks it
sent with the DM, and withdraws it (`cancelled`) when its render says there is nothing to say.

The rooms that own a part never import the reminders' planning: a planner is a plain function
`(runtime, now) -> list[DayPart]`, handed in by the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class PartContent:
    """A part as it reads at the moment of sending: its notification line and its blocks."""

    text: str
    blocks: list[dict[str, Any]]


Render = Callable[["Runtime", datetime], PartContent | None]


@dataclass(frozen=True)
class DayPart:
    """One section owed to one person on one local working day, riding in their DM."""

    kind: str  # the ledger kind of its key: "exec_digest", "leadership_overdue"
    key: str  # its own ledger key, e.g. exec_digest:U…:2026-12
    workspace_id: str
    user_id: str
    tz_name: str
    day: date  # the person's local day it rides in
    send_at: datetime  # when it is owed from (UTC)
    description: str  # one line for `voc tick --dry-run`
    render: Render = field(compare=False, repr=False)  # None: nothing to say, withdrawn


log = logging.getLogger(__name__)

PartPlanner = Callable[["Runtime", datetime], list[DayPart]]


def planned_parts(runtime: Runtime, now: datetime, planners: list[PartPlanner]) -> list[DayPart]:
    """Every part the planners owe at `now`, read-only. A planner that fails is logged and
    skipped: its parts wait for a later tick, and nobody's reminders wait with them."""
    parts: list[DayPart] = []
    for planner in planners:
        try:
            parts += planner(runtime, now)
        except Exception:
            log.exception("planning %s failed; its parts wait for a later tick", planner)
    return parts
