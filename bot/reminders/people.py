"""Who the owners are in Slack: Slack IDs or emails to users the bot can DM, and their timezones.

Owners written as emails are found with `users.lookupByEmail`, which returns the same user object
as `users.info`; answers are cached per database engine (the scheduler's lifetime), so 5,000
owners cost 5,000 calls once, not every tick. Escalations ask the same questions of account
managers and sponsors.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.core.clock import zone
from bot.core.slack import is_user_id
from bot.delivery.tagged import GONE, SEND_ERRORS, describe_error
from bot.directory import TtlCache
from bot.runtime import Runtime
from bot.slack_client import client_for_workspace, retry_handlers

PEOPLE_TTL_SECONDS = 6 * 3600.0  # timezones rarely change; 5,000 owners must not cost 5,000 calls


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
        except SEND_ERRORS as error:
            raise LookupUnavailable(str(error)) from error
        return str(url) if url else None

    @staticmethod
    def _ask(call: Callable[[], Any]) -> dict[str, Any] | None:
        try:
            return call().get("user")
        except SlackApiError as error:
            if error.response.get("error") in GONE:
                return None
            raise LookupUnavailable(str(error.response.get("error"))) from error
        except SEND_ERRORS as error:
            raise LookupUnavailable(describe_error(error)) from error


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


def team_url(runtime: Runtime, client: WebClient, workspace_id: str) -> str | None:
    """The workspace's URL for message links; without it a message goes without its links
    rather than not at all."""
    people = People(client, workspace_id, people_cache(runtime), runtime.settings.tz)
    try:
        return people.team_url()
    except LookupUnavailable:
        return None
