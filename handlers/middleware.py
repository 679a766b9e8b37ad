"""Cross-cutting listener concerns, applied to every request before any listener runs.

A request from a Slack team the bot is not installed in is dropped here, before anything reads
or changes data (`foreign_team`): every request is scoped to the workspace it comes from.

Each request's context carries `services`, `workspace_id`, the acting `user_id`, a `reader`
(that person, for access checks) and `tz`, the reader's timezone, looked up from Slack the first
time something is rendered with it and at most once per request. Listeners ask for them by name
(`def listener(ack, context, tz, reader)`), so none recomputes them.

Use cases raise `bot.errors` exceptions; `handlers.errors` turns them into the person's
private reply, in one place, instead of a try/except in each listener.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.accounts.access import Reader
from bot.core.clock import zone
from bot.directory import DirectoryUnavailable
from bot.services import Services
from storage.events import first_time

log = logging.getLogger(__name__)


class ReaderZone(tzinfo):
    """The reader's timezone as a `tzinfo` that asks Slack only when first used.

    Most requests (events, buttons that only change state) never render a time, so looking the
    reader up eagerly would cost a Slack call per request for nothing. Every `tzinfo` method
    delegates to the resolved `ZoneInfo`, including `fromutc`, so DST folds behave the same.
    """

    def __init__(self, resolve: Callable[[], ZoneInfo]) -> None:
        super().__init__()
        self._resolve = resolve
        self._zone: ZoneInfo | None = None
        self._lock = threading.Lock()

    @property
    def zone(self) -> ZoneInfo:
        with self._lock:
            if self._zone is None:
                self._zone = self._resolve()
            return self._zone

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        zone = self.zone
        return zone.fromutc(dt.replace(tzinfo=zone)).replace(tzinfo=self)

    def __str__(self) -> str:
        return str(self.zone)

    def __repr__(self) -> str:
        return f"ReaderZone({self._zone!s})" if self._zone else "ReaderZone(unresolved)"


def reader_timezone(
    services: Services, client: WebClient, workspace_id: str, user_id: str
) -> ZoneInfo:
    """The reader's Slack timezone, else the configured fallback (also while Slack is busy:
    a time shown in the team's zone beats no answer at all)."""
    try:
        name = services.directory(client, workspace_id).timezone_of(user_id)
    except DirectoryUnavailable:
        name = None
    return zone(name, services.settings.tz)


def acting_user(body: dict[str, Any]) -> str | None:
    """Who acts: the slash command's user, the clicker, or the event's user."""
    for user in (body.get("user"), (body.get("event") or {}).get("user"), body.get("user_id")):
        if isinstance(user, dict) and user.get("id"):
            return str(user["id"])
        if isinstance(user, str) and user:
            return user
    return None


def foreign_team(context: BoltContext, services: Services) -> str | None:
    """The Slack team a request comes from when the bot is not installed there, else None.

    A single-workspace install holds one team's data under `VOC_WORKSPACE`: a request signed
    for the app but sent from another team (the same app installed elsewhere) must not read
    or change it. The token's own team is what `auth.test` answered (Bolt's authorization).
    With OAuth, Bolt has already refused a team with no installation, and each installed team
    is its own workspace (`Services.workspace_for`).
    """
    if services.settings.oauth_enabled:
        return None
    installed = context.authorize_result.team_id if context.authorize_result else None
    team = context.team_id
    return team if team and installed and team != installed else None


def register(app: App, services: Services) -> None:
    def put_request_context(
        body: dict[str, Any], context: BoltContext, next: Callable[[], Any]
    ) -> Any:
        if (team := foreign_team(context, services)) is not None:
            log.info("ignoring a request from team %s, where this bot is not installed", team)
            return BoltResponse(status=200, body="")
        workspace_id = services.workspace_for(context.team_id)
        context["services"] = services
        context["workspace_id"] = workspace_id
        user_id = context.user_id or acting_user(body)
        if user_id:
            context["user_id"] = user_id
            client = context.client
            context["reader"] = Reader(user_id, services.directory(client, workspace_id))
            context["tz"] = ReaderZone(
                lambda: reader_timezone(services, client, workspace_id, user_id)
            )
        return next()

    def drop_redelivered_events(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], Any],
    ) -> Any:
        """Slack re-sends an event it thinks was lost; its `event_id` stays the same.

        The ledger row is written before any listener runs, so a retry that arrives while the
        first delivery is still being handled is dropped too.
        """
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_time(
            services.runtime.sessions, context["workspace_id"], event_id
        ):
            log.info("dropping redelivered event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()

    app.use(put_request_context)
    app.use(drop_redelivered_events)
