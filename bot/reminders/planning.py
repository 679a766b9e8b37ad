"""Planning a tick's reminders, set-based: every open commitment read once, decided with numpy.

`plan_reminders` is read-only (`voc tick --dry-run` uses it through `day.find_day_dms`): one
query for the commitments, the workspace's people from the stored `users.list` (a lookup of its
own only for someone not listed), a few set queries for the ledger. What each owner
is owed becomes one `OwnerReminder` per owner and local day, most urgent first and capped at
`MAX_ITEMS_PER_DM`; `bundle` delivers it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from bot.core.clock import working_day_start
from bot.core.text import plural
from bot.directory import DirectoryUnavailable
from bot.reminders.escalations import DueEscalation, plan_escalations
from bot.reminders.followups import DueFollowups, PersonFollowups, plan_followups
from bot.reminders.parts import DayPart
from bot.reminders.people import PeopleFor, once_per_workspace, people_for_workspace
from bot.reminders.queries import (
    load_open_commitments,
    load_open_followups,
    sent_keys,
    upcoming_cycle_start,
)
from bot.reminders.rules import MAX_ITEMS_PER_DM, SNOOZED, dm_key, item_key, reminder_day
from bot.runtime import Runtime
from bot.settings import Settings
from bot.views import reminders as views
from bot.views.reminders import BEFORE_CYCLE, DUE_SOON, KIND_ORDER, OVERDUE

log = logging.getLogger(__name__)

JOB_NAME = "reminder"


@dataclass(frozen=True)
class PlannedItem:
    """One commitment in an owner's DM: why (kinds shown) and the ledger keys it delivers."""

    commitment_id: int
    kinds: tuple[str, ...]
    keys: tuple[str, ...]
    due_on: date | None = None
    cycle_start: date | None = None


@dataclass(frozen=True)
class OwnerReminder:
    """The DM one owner is owed now: one per owner per local day."""

    workspace_id: str
    user_id: str
    owners: tuple[str, ...]  # how commitments name this person (ID, email)
    tz_name: str
    day: date
    send_at: datetime
    items: tuple[PlannedItem, ...]
    held_back: int = 0
    escalation: DueEscalation | None = None  # the week's, when owed to this person today
    followups: DueFollowups | None = None  # theirs due today or overdue, others' past the SLA
    parts: tuple[DayPart, ...] = ()  # what other rooms owe this person today (`parts`)

    @property
    def key(self) -> str:
        return dm_key(self.user_id, self.day)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)


def owed_reminders(items: pd.DataFrame, now: datetime, settings: Settings) -> pd.DataFrame:
    """Which reminder occurrences each commitment is owed on its owner's `day` (vectorised).

    In: one row per open commitment with `id`, `due_on` and `cycle_start` (datetime64[D], NaT when
    unknown), `snoozed_epoch` (float, NaN when never snoozed) and the owner's local `day`.
    Out: one row per (commitment, kind) with its ledger `key` and `kind_bit`, plus
    `window_bits`, the kinds whose window the commitment is in (what a reminder after a snooze
    shows).
    """
    snoozed = items["snoozed_epoch"].to_numpy(float)
    awake = ~(snoozed > now.timestamp())  # NaN compares False: never snoozed is awake
    items = items.loc[awake]
    snoozed = snoozed[awake]
    day = items["day"].to_numpy("datetime64[D]")
    due = items["due_on"].to_numpy("datetime64[D]")
    cycle = items["cycle_start"].to_numpy("datetime64[D]")
    has_due, has_cycle = ~np.isnat(due), ~np.isnat(cycle)
    due_or_day = np.where(has_due, due, day)
    cycle_or_day = np.where(has_cycle, cycle, day)

    soon_from = np.busday_offset(due_or_day, -settings.due_soon_days, roll="forward")
    due_soon = has_due & (soon_from <= day) & (day <= due_or_day)
    first_late = np.busday_offset(due_or_day + np.timedelta64(1, "D"), 0, roll="forward")
    overdue = has_due & (day >= first_late)
    weeks = np.where(overdue, (day - first_late).astype(np.int64) // 7, 0)
    late_week = first_late + (weeks * 7).astype("timedelta64[D]")
    window = np.timedelta64(settings.cycle_window_days, "D")
    before_cycle = has_cycle & (cycle_or_day - window <= day) & (day <= cycle_or_day)
    woke = ~np.isnan(snoozed) & (due_soon | overdue | before_cycle)

    window_bits = (
        overdue * KIND_BITS[OVERDUE]
        + due_soon * KIND_BITS[DUE_SOON]
        + before_cycle * KIND_BITS[BEFORE_CYCLE]
    )
    snooze_end = np.nan_to_num(snoozed).astype(np.int64).astype(str)
    occurrences = (
        (OVERDUE, overdue, late_week.astype(str)),
        (DUE_SOON, due_soon, due_or_day.astype(str)),
        (BEFORE_CYCLE, before_cycle, cycle_or_day.astype(str)),
        (SNOOZED, woke, snooze_end),
    )
    ids = items["id"].to_numpy()
    parts = []
    for kind, mask, occurrence in occurrences:
        if not mask.any():
            continue
        part = items.loc[mask, ["id", "workspace_id", "user_id", "due_on", "cycle_start"]].copy()
        part["kind_bit"] = KIND_BITS[kind]
        part["key"] = [
            item_key(int(i), kind, str(o)) for i, o in zip(ids[mask], occurrence[mask], strict=True)
        ]
        part["window_bits"] = window_bits[mask]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=OWED_COLUMNS)
    return pd.concat(parts, ignore_index=True)


KIND_BITS = {OVERDUE: 1, DUE_SOON: 2, BEFORE_CYCLE: 4, SNOOZED: 8}

OWED_COLUMNS = [
    "id",
    "workspace_id",
    "user_id",
    "due_on",
    "cycle_start",
    "kind_bit",
    "key",
    "window_bits",
]

_SHOWN = {bits: tuple(kind for kind in KIND_ORDER if bits & KIND_BITS[kind]) for bits in range(8)}


def bundle_by_owner(
    owed: pd.DataFrame, recipients: pd.DataFrame, max_items: int = MAX_ITEMS_PER_DM
) -> list[OwnerReminder]:
    """Group the owed occurrences into one DM per owner, most urgent first, capped.

    `recipients` has one row per (workspace, owner string) with `user_id`, `tz_name`, `day`,
    `send_at`. What does not fit is left owed and comes in the next DM.
    """
    if owed.empty:
        return []
    keys_of: dict[int, list[str]] = defaultdict(list)
    for commitment_id, key in zip(owed["id"].to_numpy(), owed["key"].to_numpy(), strict=True):
        keys_of[int(commitment_id)].append(key)
    items = _ranked_items(owed)
    items["position"] = items.groupby(["workspace_id", "user_id"], sort=False).cumcount()
    totals = items.groupby(["workspace_id", "user_id"], sort=False).size().to_dict()
    kept = items[items["position"] < max_items]
    owners = _owner_details(recipients)
    reminders: list[OwnerReminder] = []
    columns = (
        kept["workspace_id"].to_numpy(),
        kept["user_id"].to_numpy(),
        kept["id"].to_numpy(),
        kept["shown"].to_numpy(),
        kept["due_on"].to_numpy("datetime64[D]").astype(object),
        kept["cycle_start"].to_numpy("datetime64[D]").astype(object),
    )
    current: tuple[str, str] | None = None
    planned: list[PlannedItem] = []
    for workspace_id, user_id, commitment_id, shown, due_on, cycle_start in zip(
        *columns, strict=True
    ):
        if (workspace_id, user_id) != current:
            if current is not None:
                reminders.append(_reminder(current, owners[current], planned, totals, max_items))
            current, planned = (workspace_id, user_id), []
        planned.append(
            PlannedItem(
                commitment_id=int(commitment_id),
                kinds=_SHOWN[int(shown)],
                keys=tuple(sorted(keys_of[int(commitment_id)])),
                due_on=due_on,
                cycle_start=cycle_start,
            )
        )
    if current is not None:
        reminders.append(_reminder(current, owners[current], planned, totals, max_items))
    return sorted(reminders, key=lambda r: (r.send_at, r.workspace_id, r.user_id))


def _ranked_items(owed: pd.DataFrame) -> pd.DataFrame:
    """One row per (owner, commitment): kinds shown (the owed ones, or after a snooze every kind
    whose window it is in), sorted overdue first, then due soon, then by due date."""
    items = (
        owed.groupby(["workspace_id", "user_id", "id"], sort=False)
        .agg(
            bits=("kind_bit", "sum"),
            window=("window_bits", "first"),
            due_on=("due_on", "first"),
            cycle_start=("cycle_start", "first"),
        )
        .reset_index()
    )
    bits = items["bits"].to_numpy(np.int64)
    shown = np.where(bits & KIND_BITS[SNOOZED], items["window"].to_numpy(np.int64), bits & 7)
    items["shown"] = shown
    items["rank"] = np.select(
        [(shown & KIND_BITS[OVERDUE]) > 0, (shown & KIND_BITS[DUE_SOON]) > 0], [0, 1], 2
    )
    items["due_sort"] = items["due_on"].fillna(pd.Timestamp.max)
    return items.sort_values(["workspace_id", "user_id", "rank", "due_sort", "id"])


def _owner_details(recipients: pd.DataFrame) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (workspace, user): the names commitments use for them, timezone, day, send time."""
    details: dict[tuple[str, str], dict[str, Any]] = {}
    columns = ("workspace_id", "user_id", "owner", "tz_name", "day", "send_at")
    for workspace_id, user_id, owner, tz_name, day, send_at in zip(
        *(recipients[column].to_numpy() for column in columns), strict=True
    ):
        found = details.get((workspace_id, user_id))
        if found is not None:
            found["owners"] = tuple(sorted((*found["owners"], owner)))
            continue
        details[(workspace_id, user_id)] = {
            "owners": (owner,),
            "tz_name": str(tz_name),
            "day": pd.Timestamp(day).date(),
            "send_at": pd.Timestamp(send_at).to_pydatetime(),
        }
    return details


def _reminder(
    owner: tuple[str, str],
    details: dict[str, Any],
    planned: list[PlannedItem],
    totals: dict[tuple[str, str], int],
    max_items: int,
) -> OwnerReminder:
    return OwnerReminder(
        workspace_id=str(owner[0]),
        user_id=str(owner[1]),
        owners=details["owners"],
        tz_name=details["tz_name"],
        day=details["day"],
        send_at=details["send_at"],
        items=tuple(planned),
        held_back=max(0, totals[owner] - max_items),
    )


def plan_reminders(
    runtime: Runtime, now: datetime, *, people_for: PeopleFor | None = None
) -> list[OwnerReminder]:
    """Who gets which reminders, follow-ups and escalations at `now`: read-only, one query for
    the commitments and one for the follow-ups, the people of each workspace once (the stored
    list, else one lookup per person), a few set queries for the ledger."""
    lookups = once_per_workspace(people_for or (lambda ws: people_for_workspace(runtime, ws)))
    reminders = _commitment_reminders(runtime, now, lookups)
    reminders = with_followups(reminders, _followups_owed(runtime, now, lookups))
    return with_escalations(reminders, plan_escalations(runtime, now, people_for=lookups))


def _commitment_reminders(
    runtime: Runtime, now: datetime, lookups: PeopleFor
) -> list[OwnerReminder]:
    settings = runtime.settings
    with runtime.sessions() as session:
        commitments = load_open_commitments(session)
        if commitments.empty:
            return []
        today = now.astimezone(UTC).date()
        cycles = {
            ws: upcoming_cycle_start(session, ws, today)
            for ws in commitments["workspace_id"].unique()
        }
    recipients = resolve_recipients(commitments, lookups, now, settings)
    if recipients.empty:
        return []
    with runtime.sessions() as session:
        sent_dms = sent_keys(
            session, recipients[["workspace_id", "dm_key"]].rename(columns={"dm_key": "key"})
        )
    recipients = recipients[~recipients["dm_key"].isin(sent_dms)]
    due = commitments.merge(
        recipients[["workspace_id", "owner", "user_id", "day"]], on=["workspace_id", "owner"]
    )
    if due.empty:
        return []
    due["cycle_start"] = pd.to_datetime(due["workspace_id"].map(cycles))
    owed = owed_reminders(due, now, settings)
    if owed.empty:
        return []
    with runtime.sessions() as session:
        delivered = sent_keys(session, owed[["workspace_id", "key"]])
    return bundle_by_owner(owed[~owed["key"].isin(delivered)], recipients)


def _followups_owed(runtime: Runtime, now: datetime, lookups: PeopleFor) -> list[PersonFollowups]:
    """Each person's follow-ups for today's DM, leaving out people whose DM went already."""
    with runtime.sessions() as session:
        rows = load_open_followups(session)
    planned = plan_followups(rows, lookups, now, runtime.settings)
    if not planned:
        return []
    return without_dm_sent(runtime, planned)


class ForOneDay(Protocol):
    """Something meant for one person's DM of one day."""

    workspace_id: str
    user_id: str
    day: date


Planned = TypeVar("Planned", bound=ForOneDay)


def without_dm_sent(runtime: Runtime, planned: list[Planned]) -> list[Planned]:
    """Leave out what is meant for a DM that went already: that day's DM is not sent twice."""
    if not planned:
        return []
    keys = pd.DataFrame(
        {
            "workspace_id": [p.workspace_id for p in planned],
            "key": [dm_key(p.user_id, p.day) for p in planned],
        }
    )
    with runtime.sessions() as session:
        sent_dms = sent_keys(session, keys)
    return [p for p in planned if dm_key(p.user_id, p.day) not in sent_dms]


def with_followups(
    reminders: list[OwnerReminder], followups: list[PersonFollowups]
) -> list[OwnerReminder]:
    """Follow-ups ride in the person's reminder DM of the day, or make one of their own: one DM
    per person per day, whatever it carries."""
    owed = {(p.workspace_id, p.user_id, p.day): p for p in followups}
    merged = []
    for plan in reminders:
        mine = owed.pop((plan.workspace_id, plan.user_id, plan.day), None)
        if mine is None:
            merged.append(plan)
            continue
        owners = tuple(sorted({*plan.owners, *mine.names}))
        merged.append(replace(plan, owners=owners, followups=mine.due))
    merged += [
        OwnerReminder(
            workspace_id=p.workspace_id,
            user_id=p.user_id,
            owners=p.names,
            tz_name=p.tz_name,
            day=p.day,
            send_at=p.send_at,
            items=(),
            followups=p.due,
        )
        for p in owed.values()
    ]
    return sorted(merged, key=lambda r: (r.send_at, r.workspace_id, r.user_id))


def with_escalations(
    reminders: list[OwnerReminder], escalations: list[DueEscalation]
) -> list[OwnerReminder]:
    """An owner who is owed this week's escalation today gets it in their reminder DM: at most
    one DM per person per day, whatever kinds it bundles."""
    owed = {(due.workspace_id, due.user_id, due.day): due for due in escalations}
    return [
        replace(plan, escalation=owed.get((plan.workspace_id, plan.user_id, plan.day)))
        for plan in reminders
    ]


def resolve_recipients(
    commitments: pd.DataFrame, people_for: PeopleFor, now: datetime, settings: Settings
) -> pd.DataFrame:
    """One row per (workspace, owner) whose working day has started at `now`.

    Owners who are not in Slack, or whose lookup failed for now, are left out (the lookup
    failure is logged and tried again next tick); overdue ones still reach the account manager
    through the weekly escalation.
    """
    rows = []
    for workspace_id, owners in commitments.groupby("workspace_id")["owner"]:
        people = people_for(str(workspace_id))
        if people is None:
            continue
        for owner in owners.unique():
            try:
                person = people.recipient(str(owner))
            except DirectoryUnavailable as error:
                log.warning("reminders for %s wait for the next tick: %s", owner, error)
                continue
            if person is None:
                continue
            day = reminder_day(now, person.tz, settings.workday_start_hour)
            if day is None:
                continue
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "owner": owner,
                    "user_id": person.user_id,
                    "tz_name": person.tz.key,
                    "day": day,
                    "send_at": working_day_start(day, person.tz, settings.workday_start_hour),
                    "dm_key": dm_key(person.user_id, day),
                }
            )
    columns = ["workspace_id", "owner", "user_id", "tz_name", "day", "send_at", "dm_key"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def describe(plan: OwnerReminder, titles: dict[int, str]) -> str:
    """Owner, local send time, and each item with its kinds: what `--dry-run` prints."""
    local = plan.send_at.astimezone(plan.tz)
    names = ", ".join(name for name in plan.owners if name != plan.user_id)
    also = f" ({names})" if names else ""
    count = len(plan.items)
    lines = [
        f"reminder DM to {plan.user_id}{also} at {local:%a %Y-%m-%d %H:%M} {plan.tz_name} "
        f"({plan.send_at:%H:%M} UTC): {plural(count, 'item')}"
    ]
    for item in plan.items:
        kinds = ", ".join(views.KIND_NAMES[kind] for kind in item.kinds)
        lines.append(f"      #{item.commitment_id} {kinds}: {titles.get(item.commitment_id, '')}")
    if plan.held_back:
        lines.append(f"      …and {plan.held_back} more held back for the next reminder")
    if plan.followups is not None:
        mine = ", ".join(f"#{i}" for i in plan.followups.owned) or "none"
        waiting = ", ".join(f"#{i}" for i in plan.followups.waiting) or "none"
        lines.append(f"      follow-ups due: {mine}; waiting past the target: {waiting}")
    if plan.escalation is not None:
        late = ", ".join(f"#{i}" for i in plan.escalation.commitment_ids)
        lines.append(f"      with the escalation of {plan.escalation.week}: late {late}")
    return "\n".join(lines)
