"""The scheduler's view of the directory: owners, account managers and sponsors as people to DM.

The questions are the directory's (`Directory.recipient`); what is particular to the scheduler
is how long answers live. Timezones rarely change, so the scheduler's directory keeps them for
hours in a cache that lives as long as the database engine (the scheduler's lifetime in
production, one test in tests): 5,000 owners cost 5,000 calls once, not every tick.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.directory import Directory, DirectoryUnavailable, TtlCache
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


def people_for_workspace(runtime: Runtime, workspace_id: str) -> Directory | None:
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
    return Directory(client, workspace_id, people_cache(runtime), runtime.settings.tz)


PeopleFor = Callable[[str], "Directory | None"]


def permalink(team_url: str | None, channel: str | None, ts: str | None) -> str | None:
    """Slack's message link, built rather than fetched (chat.getPermalink would be one call per
    item). Channels stored as `#name` have no stable link."""
    if not team_url or not channel or not ts or channel.startswith("#"):
        return None
    return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def directory_for(runtime: Runtime, client: WebClient, workspace_id: str) -> Directory:
    """The directory on the delivering client, sharing the scheduler's long-lived cache: the
    owners a message mentions were mostly looked up when it was planned."""
    return Directory(client, workspace_id, people_cache(runtime), runtime.settings.tz)


def team_url(runtime: Runtime, client: WebClient, workspace_id: str) -> str | None:
    """The workspace's URL for message links; without it a message goes without its links
    rather than not at all."""
    people = directory_for(runtime, client, workspace_id)
    try:
        return people.team_url()
    except DirectoryUnavailable:
        return None
