"""Follow-ups in the day's DM, and the account channel's flag when one waits far too long.

- **The owner** (the follow-up's owner, else the account manager) finds in their one DM of the
  working day every follow-up whose first contact is due by the end of that day, or overdue.
- **Past the first-contact target** the account manager and, for strategic accounts, the
  executive sponsor find it in their own DM, under "waiting past the first-contact target";
  a person who owns it sees it once, as theirs.
- **At twice the target** a follow-up still open is flagged in the account channel once,
  keyed `followup-late:<id>` in the delivery ledger (`post_once`).

The list is the state of the day, not a sequence of moments: a DM shows what is due that day,
so no ledger row per follow-up is needed; the DM's own key (`reminder:<user>:<day>`) keeps it
to one DM per person per day, with whatever else the bundle carries.

**The owner's timezone.** An import may run without Slack, so opening counts the due time in
`VOC_TIMEZONE`. Planning asks the directory for each owner once (cached, as for commitments),
counts the due time again from `opened_at` in the owner's zone, and the DM's claim stores it.
The count is one `add_working_hours` per distinct (opening moment, zone): the follow-ups of one
import share their opening moment, so 100,000 follow-ups are a few hundred counts, not 100,000.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.core.clock import add_working_hours, working_day_start
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import FAILED, NOT_NOW, SKIPPED, Delivery, Message, post_once
from bot.directory import Directory, DirectoryUnavailable, TtlCache
from bot.followups.queries import followup_items_by_id
from bot.followups.rules import HOURS_PER_WORKING_DAY
from bot.followups.values import FollowupItem
from bot.reminders.people import PeopleFor, directory_for, people_for_workspace
from bot.reminders.queries import load_open_followups, open_followup_owners
from bot.reminders.rules import reminder_day
from bot.runtime import Runtime
from bot.settings import Settings
from bot.views import reminders as views
from bot.views.reminders import FollowupSection

log = logging.getLogger(__name__)

STRATEGIC = "strategic"
CANDIDATE_AHEAD = timedelta(days=3)
ANSWERER_AHEAD = timedelta(days=2)
FLAG_KIND = "followup_late"
FLAG_EVENT = "voc_followup_late"


@dataclass(frozen=True)
class DueFollowups:
    """What a person's DM lists today: theirs due or overdue, and others' past the target."""

    owned: tuple[int, ...]
    waiting: tuple[int, ...] = ()
    # The due time counted in each listed follow-up's owner's zone, where it differs from the
    # stored one: the DM's claim stores it.
    retimed: tuple[tuple[int, datetime], ...] = ()

    @property
    def ids(self) -> tuple[int, ...]:
        return (*self.owned, *self.waiting)


@dataclass(frozen=True)
class PersonFollowups:
    """One person's follow-ups for their DM of `day`, with where and when that DM goes."""

    workspace_id: str
    user_id: str
    names: tuple[str, ...]  # how follow-ups and accounts name this person (ID, email)
    tz_name: str
    day: date
    send_at: datetime
    due: DueFollowups


# --- who is who ---------------------------------------------------------------------------


PEOPLE_COLUMNS = ["workspace_id", "name", "user_id", "tz_name", "day", "day_end", "send_at"]
TO_COLUMNS = {column: f"to_{column}" for column in PEOPLE_COLUMNS[2:]}


def resolve_people(
    names: pd.DataFrame, people_for: PeopleFor, now: datetime, settings: Settings
) -> pd.DataFrame:
    """One row per (workspace_id, name) the directory knows: user, zone, and the local day
    whose DM may go at `now` (None at a weekend or before the working day starts).

    One lookup per distinct name (cached by the directory): never one per follow-up.
    """
    rows = []
    for workspace_id, group in names.groupby("workspace_id"):
        people = people_for(str(workspace_id))
        if people is None:
            continue
        for name in group["name"].unique():
            try:
                person = people.recipient(str(name))
            except DirectoryUnavailable as error:
                log.warning("follow-ups for %s wait for the next tick: %s", name, error)
                continue
            if person is None:
                continue
            day = reminder_day(now, person.tz, settings.workday_start_hour)
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "name": name,
                    "user_id": person.user_id,
                    "tz_name": person.tz.key,
                    "day": day,
                    "day_end": _day_end(day, person.tz),
                    "send_at": None
                    if day is None
                    else working_day_start(day, person.tz, settings.workday_start_hour),
                }
            )
    return pd.DataFrame(rows, columns=PEOPLE_COLUMNS)


def _day_end(day: date | None, tz: ZoneInfo) -> datetime | None:
    """The local midnight that ends `day`: what is due before it is due today."""
    return None if day is None else working_day_start(day + timedelta(days=1), tz, 0)


def _names(rows: pd.DataFrame, *columns: str) -> pd.DataFrame:
    parts = [rows[["workspace_id", column]].rename(columns={column: "name"}) for column in columns]
    return pd.concat(parts).dropna().drop_duplicates()


def _to(rows: pd.DataFrame, people: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows told to the person named in `column`: their user, zone and day as `to_*`."""
    named = rows.assign(name=rows[column]).dropna(subset=["name"])
    return named.merge(people.rename(columns=TO_COLUMNS), on=["workspace_id", "name"])


# --- the due time in the owner's zone -------------------------------------------------------


def counted_in_zone(opened: pd.Series, zones: pd.Series, hours: float) -> pd.Series:
    """`hours` working hours after each opening moment, Monday to Friday in each row's zone.

    One count per distinct (moment, zone): an import opens all its follow-ups at one moment.
    """
    pairs = pd.DataFrame({"opened": opened, "zone": zones})
    codes = pairs.groupby(["opened", "zone"], sort=False).ngroup().to_numpy()
    distinct = pairs.drop_duplicates()  # in order of first appearance, as `ngroup` numbers them
    counted = [
        add_working_hours(moment.to_pydatetime(), hours, ZoneInfo(name))
        for moment, name in zip(distinct["opened"], distinct["zone"], strict=True)
    ]
    values = pd.DatetimeIndex(counted).tz_convert("UTC")
    return pd.Series(values[codes], index=opened.index)


def with_owner_zone(
    rows: pd.DataFrame, people: pd.DataFrame, settings: Settings, *multiples: int
) -> pd.DataFrame:
    """The rows with `owner_tz` and `due_<n>`: `n` times the SLA counted in the owner's zone
    (`VOC_TIMEZONE` for an owner Slack does not know)."""
    zones = people.rename(columns={"name": "owner", "tz_name": "owner_tz"})
    merged = rows.merge(
        zones[["workspace_id", "owner", "owner_tz"]], on=["workspace_id", "owner"], how="left"
    )
    merged["owner_tz"] = merged["owner_tz"].fillna(settings.tz.key).astype(str)
    for n in multiples:
        hours = n * settings.followup_sla_days * HOURS_PER_WORKING_DAY
        merged[f"due_{n}"] = counted_in_zone(merged["opened_at"], merged["owner_tz"], hours)
    return merged


# --- planning the DM's part -----------------------------------------------------------------


def plan_followups(
    rows: pd.DataFrame, people_for: PeopleFor, now: datetime, settings: Settings
) -> list[PersonFollowups]:
    """Each person's follow-ups for their DM at `now`, from every open follow-up (`rows`, as
    `queries.load_open_followups` reads them). Read-only; the caller drops people whose DM of
    the day went already.

    Only people something may be due for are looked up: a due time counted again in another
    zone moves by less than a day and a half (where the weekend starts), and an owner's day
    ends within a day, so a follow-up stored as due later than `CANDIDATE_AHEAD` cannot be
    listed today, nor one not past `ANSWERER_AHEAD` for the manager. A follow-up opened after
    `now` did not exist then (a replayed tick).
    """
    at = pd.Timestamp(now)
    rows = rows[(rows["opened_at"] <= at) & (rows["due_at"] < at + CANDIDATE_AHEAD)]
    if rows.empty:
        return []
    late = rows[rows["due_at"] < at + ANSWERER_AHEAD]
    names = pd.concat(
        [_names(rows, "owner"), _names(late, "account_manager", "exec_sponsor")]
    ).drop_duplicates()
    people = resolve_people(names, people_for, now, settings)
    if people.empty:
        return []
    rows = with_owner_zone(rows, people, settings, 1)
    people = people[people["day"].notna()]
    owned = _to(rows, people, "owner")
    owned = owned[owned["due_1"] < owned["to_day_end"]].assign(part=0)
    past = rows[rows["due_1"] < pd.Timestamp(now)]
    waiting = pd.concat(
        [
            _to(past, people, "account_manager"),
            _to(past[past["tier"] == STRATEGIC], people, "exec_sponsor"),
        ]
    ).assign(part=1)
    listed = pd.concat([owned, waiting], ignore_index=True)
    if listed.empty:
        return []
    listed = listed.sort_values(["part", "due_1", "id"])
    # The same person may be named as owner, manager and sponsor, by ID or by email.
    names_of: dict[tuple[str, str], set[str]] = {}
    named = listed[["workspace_id", "to_user_id", "name"]].drop_duplicates()
    for workspace_id, user_id, name in named.itertuples(index=False):
        names_of.setdefault((workspace_id, user_id), set()).add(str(name))
    listed = listed.drop_duplicates(["workspace_id", "to_user_id", "id"])
    return _per_person(listed, {key: tuple(sorted(names)) for key, names in names_of.items()})


def _per_person(
    listed: pd.DataFrame, names_of: dict[tuple[str, str], tuple[str, ...]]
) -> list[PersonFollowups]:
    """One `PersonFollowups` per (workspace, user), theirs first, each part soonest due first.

    Whole columns sorted once and cut per person: a pandas operation, or even a Python step,
    per follow-up would cost more than the rest of the planning put together.
    """
    codes = listed.groupby(["workspace_id", "to_user_id"], sort=True).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")  # keeps the urgency order within a person
    cuts = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    ids = listed["id"].to_numpy(np.int64)[order]
    mine = (listed["part"].to_numpy() == 0)[order]
    differs = (listed["due_1"] != listed["due_at"]).to_numpy()[order]
    counted = np.empty(len(order), dtype=object)
    counted[differs] = list(listed["due_1"].iloc[order[differs]].dt.to_pydatetime())
    people = listed.iloc[order[cuts[:-1]]]
    send_at = list(pd.to_datetime(people["to_send_at"], utc=True).dt.to_pydatetime())
    columns = ("workspace_id", "to_user_id", "to_tz_name", "to_day")
    planned = []
    for group, (workspace_id, user_id, tz_name, day) in enumerate(
        people[list(columns)].itertuples(index=False)
    ):
        start, end = cuts[group], cuts[group + 1]
        them, own, late = ids[start:end], mine[start:end], differs[start:end]
        retimed = dict(zip(them[late].tolist(), counted[start:end][late], strict=True))
        planned.append(
            PersonFollowups(
                workspace_id=str(workspace_id),
                user_id=str(user_id),
                names=names_of[(workspace_id, user_id)],
                tz_name=str(tz_name),
                day=day,
                send_at=send_at[group],
                due=DueFollowups(
                    tuple(them[own].tolist()), tuple(them[~own].tolist()), tuple(retimed.items())
                ),
            )
        )
    return planned


def still_listed(
    due: DueFollowups, names: set[str], current: dict[int, object]
) -> DueFollowups | None:
    """The planned follow-ups still open and still this person's to hear about (owners change,
    follow-ups are contacted), re-checked inside the DM's claim; None when none is left."""

    def answers(row: object) -> bool:
        people = {row.owner, row.account_manager}  # type: ignore[attr-defined]
        if row.tier == STRATEGIC:  # type: ignore[attr-defined]
            people.add(row.exec_sponsor)  # type: ignore[attr-defined]
        return bool(names & people)

    owned = tuple(i for i in due.owned if i in current and current[i].owner in names)  # type: ignore[attr-defined]
    waiting = tuple(i for i in due.waiting if i in current and answers(current[i]))
    if not owned and not waiting:
        return None
    kept = set(owned) | set(waiting)
    return DueFollowups(owned, waiting, tuple(p for p in due.retimed if p[0] in kept))


# --- what the DM shows -----------------------------------------------------------------------


def followup_section(
    runtime: Runtime,
    client: WebClient,
    workspace_id: str,
    due: DueFollowups | None,
    now: datetime,
) -> FollowupSection | None:
    """The claimed follow-ups as they read now, owners as Slack shows them; None when none."""
    if due is None:
        return None
    with runtime.sessions() as session:
        found = followup_items_by_id(session, workspace_id, due.ids)
        owners = open_followup_owners(session, due.ids)
    people = directory_for(runtime, client, workspace_id)

    def shown(ids: tuple[int, ...]) -> list[FollowupItem]:
        return [
            replace(found[i], owner=people.shown(owners[i].owner) or owners[i].owner)
            for i in ids
            if i in found and i in owners
        ]

    owned, waiting = shown(due.owned), shown(due.waiting)
    if not owned and not waiting:
        return None
    return FollowupSection(owned=owned, waiting=waiting, now=now)


# --- the channel flag at twice the target -----------------------------------------------------


@dataclass(frozen=True)
class DueFlag:
    """A follow-up still open at twice the first-contact target, owed its channel flag."""

    workspace_id: str
    followup_id: int
    account_name: str
    channel: str
    late_since: datetime

    @property
    def key(self) -> str:
        return f"followup-late:{self.followup_id}"


def plan_flags(
    rows: pd.DataFrame, people_for: PeopleFor, now: datetime, settings: Settings
) -> list[DueFlag]:
    """Follow-ups open at twice the SLA, from `rows` as `load_open_followups(session,
    to_flag_before=…)` reads them: opened long enough ago, with a channel, not flagged yet.
    Only their owners are asked for their zone."""
    if rows.empty:
        return []
    people = resolve_people(_names(rows, "owner"), people_for, now, settings)
    rows = with_owner_zone(rows, people, settings, 2)
    rows = rows[rows["due_2"] <= pd.Timestamp(now)]
    late_since = list(rows["due_2"].dt.to_pydatetime())
    return [
        DueFlag(str(ws), int(i), str(name), str(channel), at)
        for ws, i, name, channel, at in zip(
            rows["workspace_id"].tolist(),
            rows["id"].tolist(),
            rows["account_name"].tolist(),
            rows["channel"].tolist(),
            late_since,
            strict=True,
        )
    ]


def flag_candidates(runtime: Runtime, now: datetime) -> pd.DataFrame:
    """Twice the SLA in working hours is never sooner than twice it in days: only follow-ups
    opened that long ago can be owed their flag."""
    soonest = now - timedelta(days=2 * runtime.settings.followup_sla_days)
    with runtime.sessions() as session:
        return load_open_followups(session, to_flag_before=soonest)


def find_due_flags(runtime: Runtime, now: datetime) -> list[DueItem]:
    """The flag job's read-only half: follow-ups owed their channel flag at `now`."""
    rows = flag_candidates(runtime, now)
    lookups = lambda ws: people_for_workspace(runtime, ws)  # noqa: E731
    return [
        DueItem(
            job=FLAG_KIND,
            key=flag.key,
            workspace_id=flag.workspace_id,
            description=(
                f"follow-up #{flag.followup_id} of {flag.account_name} flagged in "
                f"{flag.channel}: open at twice the first-contact target"
            ),
            payload=flag,
        )
        for flag in plan_flags(rows, lookups, now, runtime.settings)
    ]


def deliver_flag(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """Post the flag once (`post_once`): re-checked inside the claim, so a follow-up contacted
    meanwhile is never flagged, and a retry looks for the tagged message before posting."""
    flag: DueFlag = item.payload
    found: list[FollowupItem] = []

    def still_open(session: Session) -> bool:
        current = followup_items_by_id(session, flag.workspace_id, [flag.followup_id])
        followup = current.get(flag.followup_id)
        if followup is None or followup.status != "open":
            return False
        owner = open_followup_owners(session, [flag.followup_id])[flag.followup_id].owner
        found[:] = [replace(followup, owner=owner)]
        return True

    def render() -> Message:
        [followup] = found
        people = directory_for(runtime, client, flag.workspace_id)
        shown = replace(followup, owner=people.shown(followup.owner) or followup.owner)
        text, blocks = views.late_followup_message(
            shown, runtime.settings.tz, now=now, late_since=flag.late_since
        )
        return Message(text, blocks, unfurl=False)

    directory = Directory(client, flag.workspace_id, TtlCache())
    posted = post_once(
        runtime.sessions,
        client,
        Delivery(flag.workspace_id, flag.key, FLAG_KIND, flag.channel, FLAG_EVENT),
        render,
        now,
        still_owed=still_open,
        conversation=lambda: directory.channel_id(flag.channel),
    )
    if posted.outcome == SKIPPED:
        detail = "contacted meanwhile" if posted.detail == NOT_NOW else "already flagged"
        return Delivered("skipped", detail)
    return Delivered(posted.outcome, posted.detail if posted.outcome == FAILED else None)
