"""What the bot needs to know about Slack people and channels, cached.

Access checks and timezone rendering ask the same questions on every request (who is this, what
is their email and timezone, who is in that channel); asking Slack each time would make every
report wait on several Web API round trips and burn rate limits.

Only Slack's definite answers are kept: "no such user" (`user_not_found`; a deactivated person
is a user marked `deleted`) or "no such channel" is an answer and is cached like any other, but
a rate limit, a 5xx, a dropped connection or a token problem (`account_inactive` is the bot's
own token) says nothing about the person. Those raise
`DirectoryUnavailable` and leave the cache untouched, so a busy Slack is never remembered as
"not on the team" or "nobody in the channel".

It is also the one place that knows where a person's day starts (`recipient`): reminders,
escalations and the reader's timezone all ask it, so a person is looked up once, whatever for.
The scheduler's directory also holds the workspace's people as a recent `users.list` listed
them (`ListedPeople`, kept in the database by `bot.people`): a tick for 5,000 owners then
costs a handful of calls, and only someone not listed is asked about one by one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.clock import zone
from bot.core.identity import as_email, person_ref
from bot.core.slack import is_user_id

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_MAX_ENTRIES = 50_000  # a large workspace's people, emails and channels, a few MB
PAGE_SIZE = 1000
DEFINITE_NO = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_not_visible",
        "channel_not_found",
    }
)

T = TypeVar("T")
UTC_ZONE = ZoneInfo("UTC")
_MISSING = object()


class DirectoryUnavailable(SlackClientError):
    """Slack could not answer now (rate limit, outage, dropped connection): ask again later.

    A `SlackClientError`, so code that already treats Slack client errors as "try again later"
    (the delivery ledger's retries) treats an unanswered lookup the same way.
    """


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    email: str | None
    tz: str | None
    is_bot: bool
    deleted: bool = False

    @property
    def can_be_told(self) -> bool:
        """A person the bot can DM: not a bot, not deactivated."""
        return not (self.is_bot or self.deleted)


@dataclass(frozen=True)
class Recipient:
    """A person the bot can DM, and the timezone their working day starts in."""

    user_id: str
    tz: ZoneInfo


@dataclass(frozen=True)
class ListedPeople:
    """The workspace's people as a recent `users.list` listed them: answers without a call.

    Someone not in it (joined since, or the list was too old to trust) is asked about one by one.
    """

    by_id: Mapping[str, SlackUser] = field(default_factory=dict)
    by_email: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[SlackUser]) -> ListedPeople:
        listed = list(people)
        return cls(
            by_id={person.id: person for person in listed},
            by_email={person.email: person.id for person in listed if person.email},
        )

    def __len__(self) -> int:
        return len(self.by_id)


class TtlCache:
    """The directory's cache: entries expire after `ttl` seconds; safe to share across threads.

    One instance lives as long as the app (see `bot.services.Services`), so every request of a
    process reads the same answers. A loader that raises stores nothing.
    """

    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        maxsize: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.ttl = ttl
        self._values: TTLCache[Hashable, Any] = TTLCache(maxsize=maxsize, ttl=ttl, timer=clock)
        self._lock = threading.Lock()

    def get_or_load(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """The cached value, else `load()`'s, remembered; the load runs outside the lock."""
        with self._lock:
            hit = self._values.get(key, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
        value = load()
        with self._lock:
            self._values[key] = value
        return value

    def forget(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._values.pop(key, None)


def _ask_slack(call: Callable[[], T]) -> T | None:
    """Slack's answer, None when Slack definitely says no, `DirectoryUnavailable` otherwise."""
    try:
        return call()
    except SlackApiError as error:
        if error.response.get("error") in DEFINITE_NO:
            return None
        raise DirectoryUnavailable(str(error.response.get("error"))) from error
    except (SlackClientError, OSError) as error:
        raise DirectoryUnavailable(f"{type(error).__name__}: {error}") from error


class Directory:
    """Slack lookups for one workspace, answered from the shared cache when possible.

    Every method may raise `DirectoryUnavailable`; none caches a failure as an answer.
    """

    def __init__(
        self,
        client: WebClient,
        workspace_id: str,
        cache: TtlCache,
        fallback_tz: ZoneInfo = UTC_ZONE,
        listed: ListedPeople | None = None,
    ) -> None:
        self.client = client
        self.workspace_id = workspace_id
        self.cache = cache
        self.fallback_tz = fallback_tz
        self.listed = listed or ListedPeople()
        self._members: dict[str, frozenset[str]] = {}

    def user(self, user_id: str) -> SlackUser | None:
        if (listed := self.listed.by_id.get(user_id)) is not None:
            return listed
        return self.cache.get_or_load(
            (self.workspace_id, "user", user_id), lambda: self._load_user(user_id)
        )

    def _load_user(self, user_id: str) -> SlackUser | None:
        answer = _ask_slack(lambda: self.client.users_info(user=user_id))
        return _slack_user(answer["user"]) if answer is not None else None

    def user_id_of(self, who: str | None) -> str | None:
        """The Slack user a person written as an ID or an email is, when Slack knows them.

        Rosters name people by email; this is the one place such an email becomes a Slack user.
        """
        if not who:
            return None
        if is_user_id(who):
            return who
        email = as_email(who)
        return self.user_id_for_email(email) if email else None

    def user_id_for_email(self, email: str) -> str | None:
        if (listed := self.listed.by_email.get(email.lower())) is not None:
            return listed
        return self.cache.get_or_load(
            (self.workspace_id, "email", email.lower()), lambda: self._lookup_email(email)
        )

    def _lookup_email(self, email: str) -> str | None:
        """Slack answers with the whole user, so it is remembered under its ID too."""
        answer = _ask_slack(lambda: self.client.users_lookupByEmail(email=email))
        if answer is None:
            return None
        user = _slack_user(answer["user"])
        self.cache.get_or_load((self.workspace_id, "user", user.id), lambda: user)
        return user.id

    def shown(self, who: str | None) -> str | None:
        """How a message names a person: their Slack ID when Slack knows them, so the view
        renders a mention; otherwise as written, for the view to escape as text.

        Showing is never worth failing a message over: while Slack is busy the email is shown.
        """
        if not who:
            return who
        try:
            return self.user_id_of(who) or who
        except DirectoryUnavailable:
            return who

    def name_of(self, who: str | None) -> str | None:
        """The person's name in Slack, for the terminal, where a mention means nothing; as
        written when Slack does not know them or cannot answer now."""
        if not who:
            return who
        try:
            user_id = self.user_id_of(who)
            user = self.user(user_id) if user_id else None
        except DirectoryUnavailable:
            return who
        return user.name if user is not None else who

    def timezone_of(self, user_id: str) -> str | None:
        user = self.user(user_id)
        return user.tz if user else None

    def recipient(self, who: str) -> Recipient | None:
        """The Slack user to DM for a person written as an ID or an email, and their timezone;
        None when Slack does not know them or they cannot be told (a bot, deactivated)."""
        user_id = self.user_id_of(person_ref(who) or "")
        user = self.user(user_id) if user_id else None
        if user is None or not user.can_be_told:
            return None
        return Recipient(user.id, zone(user.tz, self.fallback_tz))

    def team_url(self) -> str | None:
        """`https://team.slack.com/`, for message links without a call per message."""
        return self.cache.get_or_load((self.workspace_id, "team_url"), self._load_team_url)

    def _load_team_url(self) -> str | None:
        answer = _ask_slack(self.client.auth_test)
        url = answer.get("url") if answer is not None else None
        return str(url) if url else None

    def channel_members(self, channel: str) -> frozenset[str]:
        """Who is in a channel (ID or `#name`); empty when Slack says there is no such channel.

        Membership grants access, so it is asked fresh for each request (each `Directory`) and
        not kept in the shared cache: someone who left the channel is refused at their next
        click, not minutes later.
        """
        channel_id = self.channel_id(channel)
        if channel_id is None:
            return frozenset()
        if channel_id not in self._members:
            self._members[channel_id] = self._load_members(channel_id)
        return self._members[channel_id]

    def _load_members(self, channel_id: str) -> frozenset[str]:
        pages = _pages(self.client.conversations_members, channel=channel_id)
        return frozenset(member for page in pages for member in page.get("members") or [])

    def everyone(self) -> list[SlackUser]:
        """Every person of the workspace (bots and deactivated people included, marked so):
        `users.list`, a thousand a page, one call per page."""
        return [
            _slack_user(member)
            for page in _pages(self.client.users_list)
            for member in page.get("members") or []
        ]

    def channel_id(self, channel: str) -> str | None:
        """Rosters may name channels as `#acct-acme`, public or private; Slack wants the ID."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:].lower()
        return self.cache.get_or_load(
            (self.workspace_id, "channel", name), lambda: self._find_channel(name)
        )

    def _find_channel(self, name: str) -> str | None:
        """Private channels are listed only when the bot is in them, which posting needs anyway."""
        pages = _pages(
            self.client.conversations_list,
            exclude_archived=True,
            types="public_channel,private_channel",
        )
        for page in pages:
            for found in page.get("channels") or []:
                if found.get("name") == name:
                    return str(found["id"])
        return None


def _pages(method: Callable[..., Any], **params: Any) -> Iterator[Any]:
    """A listing method's pages, `PAGE_SIZE` at a time, following Slack's cursor; none after a
    definite no (no such channel). A failure on any page raises `DirectoryUnavailable`, so a
    partial listing is never taken for the whole."""
    cursor = None
    while True:
        page = _ask_slack(lambda cursor=cursor: method(limit=PAGE_SIZE, cursor=cursor, **params))
        if page is None:
            return
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def _slack_user(data: dict[str, Any]) -> SlackUser:
    profile = data.get("profile") or {}
    return SlackUser(
        id=data["id"],
        name=data.get("real_name") or profile.get("real_name") or data.get("name") or data["id"],
        email=(profile.get("email") or "").lower() or None,
        tz=data.get("tz"),
        is_bot=bool(data.get("is_bot")),
        deleted=bool(data.get("deleted")),
    )
