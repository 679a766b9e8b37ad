"""Messages tagged with their ledger key, and finding one an earlier attempt may have posted.

Slack can store a message and still answer 500, and a process can die between posting and
recording. The only way to know afterwards is to read the conversation back: every delivered
message carries its key in its metadata, and a retry looks for it before posting again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 200  # a busy channel's last few hours; an earlier attempt is minutes old
SEND_ERRORS = (SlackClientError, OSError)
UNREADABLE = frozenset(
    {"not_in_channel", "missing_scope", "channel_not_found", "not_authed", "invalid_auth"}
)
GONE = frozenset({"user_not_found", "users_not_found", "user_not_visible", "account_inactive"})


@dataclass(frozen=True)
class Found:
    """A message an earlier attempt posted: where it is and what its tag carried."""

    channel: str
    ts: str
    payload: dict[str, Any]


def tag(event_type: str, key: str, **extra: Any) -> dict[str, Any]:
    """Message metadata that names the delivery, for `find_tagged` to recognise it later."""
    return {"event_type": event_type, "event_payload": {"key": key, **extra}}


def find_tagged(
    client: WebClient, channel_id: str, event_type: str, key: str, thread_ts: str | None = None
) -> Found | None:
    """A recent message in `channel_id` (or its thread `thread_ts`) tagged with `key`, if an
    earlier attempt posted it: a channel's history does not show replies in threads.

    When the bot may not read the conversation nobody can know, so the caller posts rather than
    stays silent; transient errors are raised so the delivery is retried later.
    """
    try:
        if thread_ts is None:
            response = client.conversations_history(
                channel=channel_id, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        else:
            response = client.conversations_replies(
                channel=channel_id, ts=thread_ts, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
    except SlackApiError as error:
        if error.response.get("error") in UNREADABLE:
            log.warning("cannot read %s to look for %s: %s", channel_id, key, error)
            return None
        raise
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == event_type and payload.get("key") == key:
            return Found(channel_id, str(message["ts"]), payload)
    return None


def dm_channel(client: WebClient, user_id: str) -> str | None:
    """The `D…` id of the bot's DM with a person (history needs it; posting takes the user id)."""
    try:
        return str(client.conversations_open(users=user_id)["channel"]["id"])
    except SlackApiError as error:
        if error.response.get("error") in UNREADABLE | GONE:
            return None
        raise


def describe_error(error: BaseException) -> str:
    """Slack's error code and HTTP status when there is one: what an operator can act on."""
    if isinstance(error, SlackApiError):
        response = error.response
        return f"Slack answered {response.status_code} {response.get('error') or ''}".strip()
    return f"{type(error).__name__}: {error}"


def error_code(error: SlackApiError) -> str:
    """Slack's short error name (`channel_not_found`), for messages to people and logs."""
    response = getattr(error, "response", None)
    try:
        return str(response["error"]) if response is not None else str(error)
    except (KeyError, TypeError):
        return str(error)
