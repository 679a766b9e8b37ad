"""What the bot needs to know about Slack people and channels, cached.

Access checks and timezone rendering ask the same questions on every request (who is this, what
is their email and timezone, who is in that channel); asking Slack each time would make every
report wait on several Web API round trips and burn rate limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.identity import as_email
from bot.core.slack import is_user_id

DEFAULT_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    email: str | None
    tz: str | None
    is_bot: bool


class TtlCache:
    """A small thread-safe cache shared by every request of a process."""

    def __init__(
        self, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: tuple[str, ...], load: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = load()
        with self._lock:
            self._values[key] = (now + self.ttl, value)
        return value

    def forget(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._values.pop(key, None)


class Directory:
    """Slack lookups for one workspace, answered from the shared cache when possible."""

    def __init__(self, client: WebClient, workspace_id: str, cache: TtlCache) -> None:
        self.client = client
        self.workspace_id = workspace_id
        self.cache = cache

    def user(self, user_id: str) -> SlackUser | None:
        return self.cache.get_or_load(
            (self.workspace_id, "user", user_id), lambda: self._load_user(user_id)
        )

    def _load_user(self, user_id: str) -> SlackUser | None:
        try:
            data = self.client.users_info(user=user_id)["user"]
        except SlackApiError:
            return None
        profile = data.get("profile") or {}
        return SlackUser(
            id=data["id"],
            name=data.get("real_name") or profile.get("real_name") or data.get("name") or user_id,
            email=(profile.get("email") or "").lower() or None,
            tz=data.get("tz"),
            is_bot=bool(data.get("is_bot")),
        )

    def user_id_of(self, who: str | None) -> str | None:
        """The Slack user a person written as an ID or an email is, when Slack knows them."""
        if not who:
            return None
        if is_user_id(who):
            return who
        email = as_email(who)
        return self.user_id_for_email(email) if email else None

    def user_id_for_email(self, email: str) -> str | None:
        return self.cache.get_or_load(
            (self.workspace_id, "email", email.lower()), lambda: self._lookup_email(email)
        )

    def _lookup_email(self, email: str) -> str | None:
        try:
            return self.client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError:
            return None

    def timezone_of(self, user_id: str) -> str | None:
        user = self.user(user_id)
        return user.tz if user else None

    def channel_members(self, channel: str) -> frozenset[str]:
        channel_id = self.channel_id(channel)
        if channel_id is None:
            return frozenset()
        return self.cache.get_or_load(
            (self.workspace_id, "members", channel_id), lambda: self._load_members(channel_id)
        )

    def _load_members(self, channel_id: str) -> frozenset[str]:
        members: set[str] = set()
        cursor = None
        try:
            while True:
                page = self.client.conversations_members(
                    channel=channel_id, limit=1000, cursor=cursor
                )
                members.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return frozenset(members)
        except SlackApiError:
            return frozenset(members)

    def channel_id(self, channel: str) -> str | None:
        """Rosters may name channels as `#acct-acme`; Slack's APIs want the ID."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:].lower()
        return self.cache.get_or_load(
            (self.workspace_id, "channel", name), lambda: self._find_channel(name)
        )

    def _find_channel(self, name: str) -> str | None:
        cursor = None
        try:
            while True:
                page = self.client.conversations_list(
                    limit=1000, cursor=cursor, exclude_archived=True, types="public_channel"
                )
                for found in page.get("channels") or []:
                    if found.get("name") == name:
                        return found["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError:
            return None
