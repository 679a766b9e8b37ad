"""Reminders: one direct message per owner per working day, bundling what needs them.

People ignore bots that nag, so a reminder is owed only at a few moments in a commitment's life,
and each moment is delivered once:

- **due soon**: from `due_soon_days` working days before the due date until the due date;
- **overdue**: from the first working day after the due date for a week, then again each week;
- **before the next cycle**: once, in the `cycle_window_days` before the workspace's next feedback
  cycle starts (the customer will be asked again and will remember what was promised);
- **snoozed**: when a snooze ends, the item comes back once with whatever of the above applies.

Each such moment is an *occurrence* with a stable ledger key,
`reminder_item:<commitment>:<kind>:<occurrence>` (the due date, the overdue week's first day, the
cycle start, or the snooze's end). An occurrence not yet delivered stays owed until its window
closes, so a commitment created inside a window, a day the bot was down, or an owner who was
snoozing still gets told. Working days are Monday to Friday in the owner's own timezone; public
holidays are out of scope.

**Timing.** The owner's timezone comes from `users.info` (owners written as emails are found with
`users.lookupByEmail`, which returns the same user object), cached per process, falling back to
`VOC_TIMEZONE`. A tick on a working day at or after `workday_start_hour` local time sends that
day's DM; a tick at a weekend sends nothing. The DM's ledger key is `reminder:<user>:<local date>`.

**The ledger.** The DM row and one Delivery row per bundled occurrence are written in the same
transaction, after re-checking that each commitment is still open, unsnoozed and the owner's:

- the DM row's unique key makes a second DM for the same owner and day impossible, whichever
  process or tick tries it; item rows are `claimed_by` the DM key while it is in flight;
- an occurrence row already `sent` (in an earlier DM, or another owner's after a reassignment) or
  claimed by another DM still in flight is left out, so the same reminder never reaches two DMs;
- sent: the DM row and its item rows become `sent` in one transaction; failed: both become
  `failed` and the next tick claims them again, looking first in the DM's history for a message
  tagged with the key (metadata `voc_reminder`, with the commitment ids it carried), because a 500
  or a timeout can come after Slack stored the message;
- a claim with nothing left to say (everything done or delivered since planning) is rolled back
  whole, so it blocks nothing later that day.

Item rows per occurrence rather than an item list on the DM row: the "already told" question is
then a unique-key lookup, which is what keeps planning set-based (no query per item) and lets a
reminder that did not fit in today's DM (at most `MAX_ITEMS_PER_DM`) come tomorrow.

**The DM's buttons** (`handlers/reminders.py`): Done is `commitments.complete_from_button`, the
path the reaction's rules live on (permission, conditional update, audit, thread reply, channel
message updated); Snooze sets `snoozed_until` to the start of the presser's working day one
working day or one week later (a conditional UPDATE, audited as `commitment.snoozed`). Both then
re-render the DM's items from the database (`refreshed_reminder`).

**Planning** (`plan_reminders`) reads every open commitment in one query and decides who gets
what with numpy/pandas; Slack is asked once per owner (cached), the ledger with a few `IN`
queries. `find_due` never writes, so `voc tick --dry-run` lists who would get what.
"""

from __future__ import annotations

import logging
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import ARRAY, Engine, String, any_, cast, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.commitments import SlackWorkspace, check_change
from bot.core.clock import (
    is_working_day,
    next_working_day,
    working_day_start,
    zone,
)
from bot.core.slack import is_user_id
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.directory import TtlCache
from bot.reports import next_cycle_start
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack_client import client_for_workspace, retry_handlers
from bot.views import reminders as views
from bot.views.reminders import BEFORE_CYCLE, DUE_SOON, KIND_ORDER, OVERDUE, ReminderLine
from storage.db import transaction
from storage.models import Account, AuditEntry, Commitment, Cycle, Delivery

log = logging.getLogger(__name__)

SNOOZED = "snoozed"
DM_KIND = "reminder"
ITEM_KIND = "reminder_item"
JOB_NAME = "reminder"
EVENT_TYPE = "voc_reminder"
MAX_ITEMS_PER_DM = 20  # two blocks each with its buttons, within Slack's 50
PEOPLE_TTL_SECONDS = 6 * 3600.0  # timezones rarely change; 5,000 owners must not cost 5,000 calls
HISTORY_LOOKBACK = 50
IN_CHUNK = 500
ARRAY_CHUNK = 10_000
SEND_ERRORS = (SlackClientError, OSError)
SNOOZE_DAY = "day"
SNOOZE_WEEK = "week"

_GONE = frozenset({"user_not_found", "users_not_found", "user_not_visible", "account_inactive"})
_UNREADABLE = frozenset(
    {"not_in_channel", "missing_scope", "channel_not_found", "not_authed", "invalid_auth"}
)


# --- working days and the owner's clock ----------------------------------------------------------


def reminder_day(now: datetime, tz: ZoneInfo, start_hour: int) -> date | None:
    """The owner's local date whose DM may go out at `now`, or None (weekend, or too early)."""
    day = now.astimezone(tz).date()
    if not is_working_day(day) or now < working_day_start(day, tz, start_hour):
        return None
    return day


def snooze_until(now: datetime, tz: ZoneInfo, span: str, start_hour: int) -> datetime:
    """The start of the working day one working day (or one week) from the presser's today."""
    today = now.astimezone(tz).date()
    target = today + timedelta(days=7 if span == SNOOZE_WEEK else 1)
    return working_day_start(next_working_day(target), tz, start_hour)


# --- who the owners are in Slack -----------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A person the bot can DM, and the timezone their working day starts in."""

    user_id: str
    tz: ZoneInfo


class LookupUnavailable(Exception):
    """Slack could not answer now (rate limit, outage): try this person again next tick."""


class People:
    """Owners (Slack IDs or emails) to Slack users and timezones: one call per person, cached.

    A person Slack does not know (or deactivated, or a bot) is None and cached as such; a
    transient failure raises `LookupUnavailable` and is not cached, so a rate-limited lookup is
    never mistaken for "not in Slack" nor answered with the wrong timezone.
    """

    def __init__(
        self, client: WebClient, workspace_id: str, cache: TtlCache, fallback: ZoneInfo
    ) -> None:
        self.client = client
        self.workspace_id = workspace_id
        self.cache = cache
        self.fallback = fallback

    def recipient(self, who: str) -> Recipient | None:
        who = who.strip()
        if is_user_id(who):
            found = self._cached(("user", who), lambda: self._user(who))
        elif "@" in who:
            found = self._cached(("email", who.lower()), lambda: self._by_email(who))
        else:
            return None
        if found is None:
            return None
        user_id, tz_name = found
        return Recipient(user_id, zone(tz_name, self.fallback))

    def team_url(self) -> str | None:
        """`https://team.slack.com/`, for message links without a call per message."""
        return self._cached(("team_url",), self._auth_test_url)

    def _cached(self, key: tuple[str, ...], load: Callable[[], Any]) -> Any:
        return self.cache.get_or_load((self.workspace_id, "reminders", *key), load)

    def _user(self, user_id: str) -> tuple[str, str | None] | None:
        return _usable(self._ask(lambda: self.client.users_info(user=user_id)))

    def _by_email(self, email: str) -> tuple[str, str | None] | None:
        return _usable(self._ask(lambda: self.client.users_lookupByEmail(email=email)))

    def _auth_test_url(self) -> str | None:
        try:
            url = self.client.auth_test().get("url")
        except (SlackClientError, OSError) as error:
            raise LookupUnavailable(str(error)) from error
        return str(url) if url else None

    @staticmethod
    def _ask(call: Callable[[], Any]) -> dict[str, Any] | None:
        try:
            return call().get("user")
        except SlackApiError as error:
            if error.response.get("error") in _GONE:
                return None
            raise LookupUnavailable(str(error.response.get("error"))) from error
        except (SlackClientError, OSError) as error:
            raise LookupUnavailable(f"{type(error).__name__}: {error}") from error


def _usable(user: dict[str, Any] | None) -> tuple[str, str | None] | None:
    if not user or user.get("deleted") or user.get("is_bot"):
        return None
    return str(user["id"]), user.get("tz")


_CACHES: weakref.WeakKeyDictionary[Engine, TtlCache] = weakref.WeakKeyDictionary()


def people_cache(runtime: Runtime) -> TtlCache:
    """One cache per database engine: the scheduler's lifetime in production, one test in tests."""
    cache = _CACHES.get(runtime.engine)
    if cache is None:
        cache = _CACHES[runtime.engine] = TtlCache(ttl=PEOPLE_TTL_SECONDS)
    return cache


def people_for_workspace(runtime: Runtime, workspace_id: str) -> People | None:
    """Lookups are idempotent reads, so unlike deliveries they may retry (Retry-After honoured)."""
    delivery = client_for_workspace(runtime, workspace_id)
    if delivery is None:
        return None
    client = WebClient(
        token=delivery.token,
        base_url=delivery.base_url,
        timeout=delivery.timeout,
        retry_handlers=retry_handlers(),
    )
    return People(client, workspace_id, people_cache(runtime), runtime.settings.tz)


PeopleFor = Callable[[str], "People | None"]


def permalink(team_url: str | None, channel: str | None, ts: str | None) -> str | None:
    """Slack's message link, built rather than fetched (chat.getPermalink would be one call per
    item). Channels stored as `#name` have no stable link."""
    if not team_url or not channel or not ts or channel.startswith("#"):
        return None
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


# --- planning ------------------------------------------------------------------------------------


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

    @property
    def key(self) -> str:
        return dm_key(self.user_id, self.day)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)


def dm_key(user_id: str, day: date) -> str:
    return f"{DM_KIND}:{user_id}:{day.isoformat()}"


def item_key(commitment_id: int, kind: str, occurrence: str) -> str:
    return f"{ITEM_KIND}:{commitment_id}:{kind}:{occurrence}"


def commitment_of_key(key: str) -> int:
    return int(key.split(":")[1])


def kind_of_key(key: str) -> str:
    return key.split(":")[2]


_OPEN_COLUMNS = ["id", "workspace_id", "account_id", "owner", "due_on", "snoozed_until"]


def load_open_commitments(session: Session) -> pd.DataFrame:
    """Every open commitment, only the columns planning needs, in one query."""
    rows = session.execute(
        select(
            Commitment.id,
            Commitment.workspace_id,
            Commitment.account_id,
            Commitment.owner,
            Commitment.due_on,
            Commitment.snoozed_until,
        ).where(Commitment.status == "open")
    ).all()
    if not rows:
        return pd.DataFrame(columns=[*_OPEN_COLUMNS[:-1], "snoozed_epoch"])
    ids, workspaces, accounts, owners, due, snoozed = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "id": np.array(ids, dtype=np.int64),
            "workspace_id": workspaces,
            "account_id": accounts,
            "owner": owners,
            "due_on": np.array(due, dtype="datetime64[D]"),  # None becomes NaT
            "snoozed_epoch": [np.nan if at is None else at.timestamp() for at in snoozed],
        }
    )


def upcoming_cycle_start(session: Session, workspace_id: str, today: date) -> date | None:
    """The next time customers are asked: a cycle already set up for a later date, else the
    usual spacing after the last one (`reports.next_cycle_start`)."""
    planned = session.scalar(
        select(Cycle.starts_on)
        .where(Cycle.workspace_id == workspace_id, Cycle.starts_on >= today)
        .order_by(Cycle.starts_on)
        .limit(1)
    )
    return planned if planned is not None else next_cycle_start(session, workspace_id)


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
    """Who gets which reminders at `now`: read-only, one query for the commitments, one Slack
    lookup per owner (cached), a few set queries for the ledger."""
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
    lookups = people_for or (lambda ws: people_for_workspace(runtime, ws))
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
            except LookupUnavailable as error:
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


def sent_keys(session: Session, keys: pd.DataFrame) -> set[str]:
    """Which of these ledger keys (`workspace_id`, `key` columns) are already sent."""
    sent: set[str] = set()
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    size = ARRAY_CHUNK if on_postgresql else IN_CHUNK
    for workspace_id, group in keys.groupby("workspace_id"):
        for chunk in chunks(list(group["key"].unique()), size):
            # One array parameter on PostgreSQL instead of thousands of IN parameters. Status is
            # checked here, not in SQL: with `status = 'sent'` in the WHERE, SQLite prefers the
            # status index and scans instead of looking each key up in the unique one.
            matching = (
                Delivery.delivery_key == any_(cast(list(chunk), ARRAY(String)))
                if on_postgresql
                else Delivery.delivery_key.in_(chunk)
            )
            rows = session.execute(
                select(Delivery.delivery_key, Delivery.status).where(
                    Delivery.workspace_id == workspace_id, matching
                )
            )
            sent.update(row.delivery_key for row in rows if row.status == "sent")
    return sent


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- the scheduler's job -------------------------------------------------------------------------


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    """The job's read-only half: every DM owed now, described for the tick report."""
    plans = plan_reminders(runtime, now)
    if not plans:
        return []
    with runtime.sessions() as session:
        titles = item_titles(session, [item.commitment_id for plan in plans for item in plan.items])
    return [
        DueItem(
            job=JOB_NAME,
            key=plan.key,
            workspace_id=plan.workspace_id,
            description=describe(plan, titles),
            payload=plan,
        )
        for plan in plans
    ]


def describe(plan: OwnerReminder, titles: dict[int, str]) -> str:
    """Owner, local send time, and each item with its kinds: what `--dry-run` prints."""
    local = plan.send_at.astimezone(plan.tz)
    names = ", ".join(name for name in plan.owners if name != plan.user_id)
    also = f" ({names})" if names else ""
    count = len(plan.items)
    lines = [
        f"reminder DM to {plan.user_id}{also} at {local:%a %Y-%m-%d %H:%M} {plan.tz_name} "
        f"({plan.send_at:%H:%M} UTC): {count} item{'s' if count != 1 else ''}"
    ]
    for item in plan.items:
        kinds = ", ".join(views.KIND_NAMES[kind] for kind in item.kinds)
        lines.append(f"      #{item.commitment_id} {kinds}: {titles.get(item.commitment_id, '')}")
    if plan.held_back:
        lines.append(f"      …and {plan.held_back} more held back for the next reminder")
    return "\n".join(lines)


def item_titles(session: Session, ids: list[int]) -> dict[int, str]:
    titles: dict[int, str] = {}
    for chunk in chunks(ids, IN_CHUNK):
        rows = session.execute(
            select(Commitment.id, Account.name, Commitment.text)
            .join(Account, Account.id == Commitment.account_id)
            .where(Commitment.id.in_(chunk))
        ).all()
        titles.update({row.id: f"{row.name} — {views.truncate(row.text, 80)}" for row in rows})
    return titles


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    return deliver_reminder(runtime, client, item.payload, now)


# --- delivering one owner's DM -------------------------------------------------------------------


@dataclass(frozen=True)
class KeyClaim:
    """The right to send one ledger key now (see `bot.ledger.Claim`)."""

    key: str
    attempt: int
    uncertain: bool

    @property
    def look_first(self) -> bool:
        """A process died mid-send, or an earlier attempt failed after Slack may have stored it."""
        return self.uncertain or self.attempt > 1


@dataclass(frozen=True)
class Bundle:
    """What this attempt claimed: the DM key and, per commitment, the occurrence keys it carries."""

    claim: KeyClaim
    items: tuple[PlannedItem, ...]

    @property
    def keys(self) -> list[str]:
        return [key for item in self.items for key in item.keys]


class NothingToSend(Exception):
    """Raised inside a claim transaction to roll it back whole."""


def insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """INSERT … ON CONFLICT DO NOTHING on the ledger's unique key; the keys it inserted.

    A savepoint-free way to try unique keys inside a larger transaction: a failed plain INSERT
    would abort the whole transaction on PostgreSQL. RETURNING says which rows went in (the
    drivers' rowcount cannot be relied on for this).
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(Delivery)
        .on_conflict_do_nothing(index_elements=["workspace_id", "delivery_key"])
        .returning(Delivery.delivery_key)
    )
    inserted: set[str] = set()
    for chunk in chunks(rows, IN_CHUNK):
        inserted.update(session.scalars(statement.values(list(chunk))))
    return inserted


def claim_key(
    session: Session,
    *,
    workspace_id: str,
    key: str,
    kind: str,
    recipient: str | None,
    now: datetime,
    worker: str = ledger.WORKER_ID,
    lease: timedelta = ledger.DEFAULT_LEASE,
) -> KeyClaim | None:
    """`ledger.claim` inside the caller's transaction, so more rows can join the same claim.

    The INSERT comes first: on SQLite it takes the write lock before anything is read, so two
    contenders queue instead of failing on a stale snapshot.
    """
    row = {
        "workspace_id": workspace_id,
        "delivery_key": key,
        "kind": kind,
        "recipient": recipient,
        "status": "claimed",
        "claimed_by": worker,
        "lease_until": now + lease,
        "attempts": 1,
        "created_at": now,
    }
    if insert_ignoring_duplicates(session, [row]):
        return KeyClaim(key, 1, uncertain=False)
    seen = session.execute(
        select(Delivery.status, Delivery.attempts, Delivery.lease_until).where(
            Delivery.workspace_id == workspace_id, Delivery.delivery_key == key
        )
    ).first()
    if seen is None or not _retakeable(seen.status, seen.lease_until, now):
        return None
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.workspace_id == workspace_id,
            Delivery.delivery_key == key,
            Delivery.status == seen.status,
            Delivery.attempts == seen.attempts,
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
    return KeyClaim(key, seen.attempts + 1, uncertain=seen.status == "claimed")


def _retakeable(status: str, lease_until: datetime | None, now: datetime) -> bool:
    return status == "failed" or (
        status == "claimed" and lease_until is not None and lease_until < now
    )


def claim_bundle(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
    lease: timedelta = ledger.DEFAULT_LEASE,
) -> Bundle | None:
    """Claim the owner's DM for the day and each occurrence it carries, in one transaction.

    None when the DM is sent or in flight elsewhere, or nothing is left to say (rolled back).
    """
    try:
        with transaction(sessions) as session:
            claim = claim_key(
                session,
                workspace_id=plan.workspace_id,
                key=plan.key,
                kind=DM_KIND,
                recipient=plan.user_id,
                now=now,
                worker=worker,
                lease=lease,
            )
            if claim is None:
                return None
            still_owed = _still_owed(session, plan, now)
            items = _claim_items(session, plan, still_owed, now, now + lease)
            if not items:
                raise NothingToSend
            return Bundle(claim, items)
    except NothingToSend:
        return None


def _still_owed(session: Session, plan: OwnerReminder, now: datetime) -> list[PlannedItem]:
    """Re-check after the claim: still open, not snoozed since planning, still this owner's."""
    ids = [item.commitment_id for item in plan.items]
    owners = set(plan.owners)
    current: dict[int, Any] = {}
    for chunk in chunks(ids, IN_CHUNK):
        rows = session.execute(
            select(
                Commitment.id, Commitment.status, Commitment.owner, Commitment.snoozed_until
            ).where(Commitment.id.in_(chunk))
        ).all()
        current.update({row.id: row for row in rows})
    return [
        item
        for item in plan.items
        if (row := current.get(item.commitment_id)) is not None
        and row.status == "open"
        and row.owner in owners
        and (row.snoozed_until is None or row.snoozed_until <= now)
    ]


def _claim_items(
    session: Session,
    plan: OwnerReminder,
    items: list[PlannedItem],
    now: datetime,
    lease_until: datetime,
) -> tuple[PlannedItem, ...]:
    """Take each occurrence row for this DM unless it was sent or another DM is sending it."""
    keys = [key for item in items for key in item.keys]
    insert_ignoring_duplicates(
        session,
        [
            {
                "workspace_id": plan.workspace_id,
                "delivery_key": key,
                "kind": ITEM_KIND,
                "recipient": plan.user_id,
                "status": "claimed",
                "claimed_by": plan.key,
                "lease_until": lease_until,
                "attempts": 1,
                "created_at": now,
            }
            for key in keys
        ],
    )
    ours: set[str] = set()
    for chunk in chunks(keys, IN_CHUNK):
        rows = session.execute(
            select(
                Delivery.delivery_key,
                Delivery.status,
                Delivery.claimed_by,
                Delivery.lease_until,
                Delivery.attempts,
            ).where(Delivery.workspace_id == plan.workspace_id, Delivery.delivery_key.in_(chunk))
        ).all()
        for row in rows:
            if row.status == "sent":
                continue
            if row.claimed_by == plan.key or _take_item(session, plan, row, lease_until, now):
                ours.add(row.delivery_key)
    mine = [key for key in keys if key in ours]
    for chunk in chunks(mine, IN_CHUNK):
        session.execute(
            update(Delivery)
            .where(Delivery.workspace_id == plan.workspace_id, Delivery.delivery_key.in_(chunk))
            .values(status="claimed", claimed_by=plan.key, lease_until=lease_until)
        )
    return tuple(_narrowed(item, ours) for item in items if ours.intersection(item.keys))


def _take_item(
    session: Session, plan: OwnerReminder, row: Any, lease_until: datetime, now: datetime
) -> bool:
    """An occurrence another DM failed to send (or died sending) may travel in this one."""
    if not _retakeable(row.status, row.lease_until, now):
        return False
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.workspace_id == plan.workspace_id,
            Delivery.delivery_key == row.delivery_key,
            Delivery.status == row.status,
            Delivery.attempts == row.attempts,
        )
        .values(
            status="claimed",
            claimed_by=plan.key,
            lease_until=lease_until,
            attempts=Delivery.attempts + 1,
        )
    )
    return result.rowcount == 1


def _narrowed(item: PlannedItem, ours: set[str]) -> PlannedItem:
    """Only the occurrences this DM delivers, and the kinds they show."""
    keys = tuple(key for key in item.keys if key in ours)
    owed = {kind_of_key(key) for key in keys}
    kinds = item.kinds if SNOOZED in owed else tuple(k for k in item.kinds if k in owed)
    return PlannedItem(item.commitment_id, kinds or item.kinds, keys, item.due_on, item.cycle_start)


@dataclass(frozen=True)
class ReminderDelivery:
    """What one attempt did: `sent`, `found` (an earlier attempt had posted it), `failed`, or
    `skipped` (sent or in flight elsewhere, or nothing left to say)."""

    outcome: str
    channel: str | None = None
    ts: str | None = None
    commitment_ids: tuple[int, ...] = ()
    detail: str | None = None


def deliver_reminder(
    runtime: Runtime,
    client: WebClient,
    plan: OwnerReminder,
    now: datetime,
    *,
    worker: str = ledger.WORKER_ID,
) -> Delivered:
    """Send one owner's DM for the day unless it went already; safe to call from anywhere."""
    bundle = claim_bundle(runtime.sessions, plan, now, worker=worker)
    if bundle is None:
        return Delivered("skipped", "already sent today, being sent, or nothing left to say")
    try:
        result = _send_bundle(runtime, client, plan, bundle, now)
    except Exception as error:  # a bug must not leave the claim blocking retries for a lease
        _record_failed(runtime.sessions, plan, bundle, repr(error))
        raise
    if result.outcome == "found":
        carried = ", ".join(f"#{i}" for i in result.commitment_ids)
        return Delivered("found", f"an earlier attempt had sent it, carrying {carried}")
    return Delivered(result.outcome, result.detail)


def _send_bundle(
    runtime: Runtime, client: WebClient, plan: OwnerReminder, bundle: Bundle, now: datetime
) -> ReminderDelivery:
    if bundle.claim.look_first:
        try:
            found = find_tagged_dm(client, plan.user_id, EVENT_TYPE, plan.key)
        except SEND_ERRORS as error:
            return _failed(
                runtime, plan, bundle, f"looking for an earlier attempt: {describe_error(error)}"
            )
        if found is not None:
            channel, ts, carried = found
            _record_found(runtime.sessions, plan, bundle, channel, ts, carried, now)
            return ReminderDelivery("found", channel, ts, tuple(sorted(carried)))
    lines = reminder_lines(
        runtime.sessions, bundle.items, team_url(runtime, client, plan.workspace_id)
    )
    text, blocks = views.reminder_message(lines, plan.tz, held_back=plan.held_back)
    ids = [line.commitment_id for line in lines]
    try:
        reply = client.chat_postMessage(
            channel=plan.user_id,
            text=text,
            blocks=blocks,
            metadata={"event_type": EVENT_TYPE, "event_payload": {"key": plan.key, "items": ids}},
            unfurl_links=False,
            unfurl_media=False,
        )
    except SEND_ERRORS as error:
        return _failed(runtime, plan, bundle, describe_error(error))
    channel, ts = str(reply["channel"]), str(reply["ts"])
    _record_sent(runtime.sessions, plan, bundle.keys, channel, ts, now)
    return ReminderDelivery("sent", channel, ts, tuple(ids))


def team_url(runtime: Runtime, client: WebClient, workspace_id: str) -> str | None:
    """The workspace's URL for message links; without it a message goes without its links
    rather than not at all."""
    people = People(client, workspace_id, people_cache(runtime), runtime.settings.tz)
    try:
        return people.team_url()
    except LookupUnavailable:
        return None


def reminder_lines(
    sessions: sessionmaker[Session], items: Iterable[PlannedItem], team_url: str | None
) -> list[ReminderLine]:
    """The items as they are now, in the bundle's order (urgency)."""
    wanted = list(items)
    rows = _commitments_with_accounts(sessions, [item.commitment_id for item in wanted])
    lines = []
    for item in wanted:
        found = rows.get(item.commitment_id)
        if found is None:
            continue
        row, account_name = found
        lines.append(
            ReminderLine(
                commitment_id=row.id,
                account_name=account_name,
                text=row.text,
                due_on=row.due_on,
                kinds=item.kinds,
                cycle_start=item.cycle_start,
                status=row.status,
                done_by=row.done_by,
                link=permalink(team_url, row.channel, row.message_ts),
            )
        )
    return lines


def _still_snoozed(until: datetime | None, now: datetime) -> datetime | None:
    return until if until is not None and until > now else None


def _commitments_with_accounts(
    sessions: sessionmaker[Session], ids: list[int]
) -> dict[int, tuple[Commitment, str]]:
    found: dict[int, tuple[Commitment, str]] = {}
    with sessions() as session:
        for chunk in chunks(ids, IN_CHUNK):
            rows = session.execute(
                select(Commitment, Account.name)
                .join(Account, Account.id == Commitment.account_id)
                .where(Commitment.id.in_(chunk))
            ).all()
            found.update({row.id: (row, name) for row, name in rows})
    return found


def _failed(runtime: Runtime, plan: OwnerReminder, bundle: Bundle, error: str) -> ReminderDelivery:
    _record_failed(runtime.sessions, plan, bundle, error)
    log.warning("reminder %s not sent, will retry: %s", plan.key, error)
    return ReminderDelivery("failed", detail=error)


def _record_sent(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    keys: list[str],
    channel: str,
    ts: str,
    now: datetime,
) -> None:
    """The DM and every occurrence it carried become sent together."""
    values = {
        "status": "sent",
        "sent_at": now,
        "lease_until": None,
        "channel": channel,
        "message_ts": ts,
        "last_error": None,
    }
    with transaction(sessions) as session:
        _update_keys(session, plan.workspace_id, [plan.key], values)
        _update_keys(session, plan.workspace_id, keys, values)


def _record_failed(
    sessions: sessionmaker[Session], plan: OwnerReminder, bundle: Bundle, error: str
) -> None:
    values = {"status": "failed", "lease_until": None, "last_error": error[:2000]}
    with transaction(sessions) as session:
        _update_keys(session, plan.workspace_id, [plan.key], values, only_claimed=True)
        _update_keys(session, plan.workspace_id, bundle.keys, values, only_claimed=True)


def _record_found(
    sessions: sessionmaker[Session],
    plan: OwnerReminder,
    bundle: Bundle,
    channel: str,
    ts: str,
    carried: set[int],
    now: datetime,
) -> None:
    """An earlier attempt's DM is there: what it carried is sent; the rest is owed again."""
    delivered = [key for key in bundle.keys if commitment_of_key(key) in carried]
    not_carried = [key for key in bundle.keys if commitment_of_key(key) not in carried]
    _record_sent(sessions, plan, delivered, channel, ts, now)
    with transaction(sessions) as session:
        for chunk in chunks(not_carried, IN_CHUNK):
            session.execute(
                delete(Delivery)
                .where(
                    Delivery.workspace_id == plan.workspace_id,
                    Delivery.delivery_key.in_(chunk),
                    Delivery.claimed_by == plan.key,
                    Delivery.status == "claimed",
                )
                .execution_options(synchronize_session=False)
            )


def _update_keys(
    session: Session,
    workspace_id: str,
    keys: list[str],
    values: dict[str, Any],
    *,
    only_claimed: bool = False,
) -> None:
    for chunk in chunks(keys, IN_CHUNK):
        statement = update(Delivery).where(
            Delivery.workspace_id == workspace_id, Delivery.delivery_key.in_(chunk)
        )
        if only_claimed:
            statement = statement.where(Delivery.status == "claimed")
        session.execute(statement.values(**values))


def describe_error(error: BaseException) -> str:
    """Slack's error code and HTTP status when there is one: what an operator can act on."""
    if isinstance(error, SlackApiError):
        response = error.response
        return f"Slack answered {response.status_code} {response.get('error') or ''}".strip()
    return f"{type(error).__name__}: {error}"


# --- finding what an earlier attempt posted ------------------------------------------------------


def dm_channel(client: WebClient, user_id: str) -> str | None:
    """The `D…` id of the bot's DM with a person (history needs it; posting takes the user id)."""
    try:
        return str(client.conversations_open(users=user_id)["channel"]["id"])
    except SlackApiError as error:
        if error.response.get("error") in _UNREADABLE | _GONE:
            return None
        raise


def find_tagged(
    client: WebClient, channel_id: str, event_type: str, key: str
) -> tuple[str, str, dict[str, Any]] | None:
    """(channel, ts, metadata payload) of a recent bot message tagged with `key`, if any.

    When the bot may not read the conversation nobody can know, so the caller posts rather than
    stays silent; transient errors are raised so the delivery is retried later.
    """
    try:
        response = client.conversations_history(
            channel=channel_id, limit=HISTORY_LOOKBACK, include_all_metadata=True
        )
    except SlackApiError as error:
        if error.response.get("error") in _UNREADABLE:
            log.warning("cannot read %s to look for %s: %s", channel_id, key, error)
            return None
        raise
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == event_type and payload.get("key") == key:
            return channel_id, str(message["ts"]), payload
    return None


def find_tagged_dm(
    client: WebClient, user_id: str, event_type: str, key: str
) -> tuple[str, str, set[int]] | None:
    """An earlier attempt's DM and the commitment ids it carried."""
    channel = dm_channel(client, user_id)
    if channel is None:
        return None
    found = find_tagged(client, channel, event_type, key)
    if found is None:
        return None
    channel_id, ts, payload = found
    return channel_id, ts, {int(i) for i in payload.get("items") or []}


# --- the DM's buttons ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SnoozeOutcome:
    """`snoozed`, `unchanged` (already snoozed until then), `not_open`, `refused`, `missing`."""

    result: str
    until: datetime | None = None
    account_name: str | None = None
    ask: list[str] = field(default_factory=list)


def snooze_commitment(
    sessions: sessionmaker[Session],
    commitment_id: int,
    *,
    until: datetime,
    actor: str,
    now: datetime,
    via: str,
) -> bool:
    """Open and not already snoozed until then → snoozed, once (conditional UPDATE + audit)."""
    with transaction(sessions) as session:
        result = session.execute(
            update(Commitment)
            .where(
                Commitment.id == commitment_id,
                Commitment.status == "open",
                or_(Commitment.snoozed_until.is_(None), Commitment.snoozed_until != until),
            )
            .values(snoozed_until=until, version=Commitment.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return False
        row = session.get_one(Commitment, commitment_id, populate_existing=True)
        session.add(
            AuditEntry(
                workspace_id=row.workspace_id,
                at=now,
                actor=actor,
                action="commitment.snoozed",
                entity="commitment",
                entity_id=str(row.id),
                details={"until": until.isoformat(), "via": via, "version": row.version},
            )
        )
    return True


def snooze_from_reminder(
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    commitment_id: int,
    *,
    user_id: str,
    span: str,
    tz: ZoneInfo,
    now: datetime,
) -> SnoozeOutcome:
    """Snooze 1 day / 1 week from the DM: who may mark it done may snooze it."""
    check = check_change(sessions, slack, commitment_id, user_id)
    if check.row is None or check.account is None:
        return SnoozeOutcome("missing")
    row, account = check.row, check.account
    if check.refused:
        return SnoozeOutcome("refused", account_name=account.name, ask=check.ask)
    if row.status != "open":
        return SnoozeOutcome("not_open", account_name=account.name)
    until = snooze_until(now, tz, span, slack.settings.workday_start_hour)
    changed = snooze_commitment(
        sessions, commitment_id, until=until, actor=user_id, now=now, via="reminder"
    )
    return SnoozeOutcome("snoozed" if changed else "unchanged", until, account.name)


def refreshed_reminder(
    sessions: sessionmaker[Session],
    blocks: list[dict[str, Any]],
    *,
    team_url: str | None,
    tz: ZoneInfo,
    now: datetime,
) -> list[dict[str, Any]]:
    """A posted reminder's blocks with every item shown as it is now (done, snoozed, open)."""
    refs = views.item_refs(blocks)
    rows = _commitments_with_accounts(sessions, [ref.commitment_id for ref in refs])
    lines: dict[int, ReminderLine] = {}
    for ref in refs:
        found = rows.get(ref.commitment_id)
        if found is None:
            lines[ref.commitment_id] = ReminderLine(
                ref.commitment_id, "", "", None, ref.kinds, ref.cycle_start, status="missing"
            )
            continue
        row, account_name = found
        lines[ref.commitment_id] = ReminderLine(
            commitment_id=row.id,
            account_name=account_name,
            text=row.text,
            due_on=row.due_on,
            kinds=ref.kinds,
            cycle_start=ref.cycle_start,
            status=row.status,
            done_by=row.done_by,
            snoozed_until=_still_snoozed(row.snoozed_until, now),
            link=permalink(team_url, row.channel, row.message_ts),
        )
    return views.rerender_items(blocks, lines, tz)
