"""The scheduler's view of the directory: owners, account managers and sponsors as people to DM.

The questions are the directory's (`Directory.recipient`); what is particular to the scheduler
is how long answers live. Timezones rarely change, so the scheduler's directory keeps them for
hours in a cache that lives as long as the database engine (the scheduler's lifetime in
production, one test in tests), and starts from the workspace's list of people that
`bot.people` keeps in the database: 5,000 owners cost a handful of `users.list` pages
every few hours, and only someone not listed is asked about on their own.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.directory import Directory, DirectoryUnavailable, Recipient, TtlCache
from bot.people.listing import listed_people
from bot.runtime import Runtime
from bot.slack_client import client_for_workspace, retry_handlers

PEOPLE_TTL_SECONDS = 6 * 3600.0  # timezones rarely change; 5,000 owners must not cost 5,000 calls


_CACHES: weakref.WeakKeyDictionary[Engine, TtlCache] = weakref.WeakKeyDictionary()


def people_cache(runtime: Runtime) -> TtlCache:
    """One cache per database engine: the scheduler's lifetime in production, one test in tests."""
    cache = _CACHES.get(runtime.engine)
    if cache is None:
        cache = _CACHES[runtime.engine] = TtlCache(ttl=PEOPLE_TTL_SECONDS)
    return cache


class People(Protocol):
    """What planning asks of the directory: whom to DM for an owner, and in which timezone."""

    def recipient(self, who: str) -> Recipient | None: ...


PeopleFor = Callable[[str], "People | None"]


class FallbackPeople:
    """Every owner as their own recipient in `VOC_TIMEZONE`, for a dry run without a token.

    Without Slack nobody can be resolved, and leaving them out made `voc tick --dry-run` list
    no reminders or escalations at all. Only planning sees this: nothing is ever sent to it.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def recipient(self, who: str) -> Recipient | None:
        return Recipient(who, self.tz)


# Workspaces a dry run planned without Slack, or None outside `planning_without_slack`. A
# context variable rather than a parameter: every job's `find_due(runtime, now)` reaches
# `people_for_workspace` its own way, and only the dry run, at the top, knows to fall back.
_UNRESOLVED: ContextVar[set[str] | None] = ContextVar("voc_unresolved_workspaces", default=None)


@contextmanager
def planning_without_slack() -> Iterator[set[str]]:
    """Within the block, a workspace without a token is planned with `FallbackPeople`; the set
    yielded collects those workspaces, so the caller can say that owners were not resolved."""
    unresolved: set[str] = set()
    reset = _UNRESOLVED.set(unresolved)
    try:
        yield unresolved
    finally:
        _UNRESOLVED.reset(reset)


def people_for_workspace(runtime: Runtime, workspace_id: str) -> People | None:
    """Lookups are idempotent reads, so unlike deliveries they may retry (Retry-After honoured).

    None without a token (nobody can be told), except in `planning_without_slack`.
    """
    delivery = client_for_workspace(runtime, workspace_id)
    if delivery is None:
        unresolved = _UNRESOLVED.get()
        if unresolved is None:
            return None
        unresolved.add(workspace_id)
        return FallbackPeople(runtime.settings.tz)
    client = WebClient(
        token=delivery.token,
        base_url=delivery.base_url,
        timeout=delivery.timeout,
        retry_handlers=retry_handlers(),
    )
    directory = Directory(client, workspace_id, people_cache(runtime), runtime.settings.tz)
    directory.listed = listed_people(runtime, directory)
    return directory


def once_per_workspace(people_for: PeopleFor) -> PeopleFor:
    """`people_for`, asked once per workspace: a tick's reminders, follow-ups and escalations
    share one directory, so the stored list is read once per tick, not once per kind."""
    found: dict[str, People | None] = {}

    def people(workspace_id: str) -> People | None:
        if workspace_id not in found:
            found[workspace_id] = people_for(workspace_id)
        return found[workspace_id]

    return people


def permalink(team_url: str | None, channel: str | None, ts: str | None) -> str | None:
    """Slack's message link, built rather than fetched (chat.getPermalink would be one call per
    item). Channels stored as `#name` have no stable link."""
    if not team_url or not channel or not ts or channel.startswith("#"):
        return None
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def directory_for(runtime: Runtime, client: WebClient, workspace_id: str) -> Directory:
    """The directory on the delivering client, sharing the scheduler's long-lived cache: the
    owners a message mentions were mostly looked up when it was planned."""
    directory = Directory(client, workspace_id, people_cache(runtime), runtime.settings.tz)
    directory.listed = listed_people(runtime, directory, ask_slack=False)
    return directory


def team_url(runtime: Runtime, client: WebClient, workspace_id: str) -> str | None:
    """The workspace's URL for message links; without it a message goes without its links
    rather than not at all."""
    people = directory_for(runtime, client, workspace_id)
    try:
        return people.team_url()
    except DirectoryUnavailable:
        return None
