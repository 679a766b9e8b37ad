"""What a request to `POST /slack/events` must look like before Bolt sees it.

Bolt trusts what reaches it: a timestamp header that is not an integer, a body that is not JSON,
an `event` that is not an object each end in a traceback and a 500. Every such check lives here,
in the order that keeps a hostile client cheap: the size before reading the body, the signature
before parsing it, the shape before any listener runs. Each refusal is a `Refused` carrying its
HTTP status and one line for the log and the reply. Nothing here knows Bolt or the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

# Slack's largest payloads are view submissions echoing the bot's own modals (at most 100 blocks,
# inputs capped at 1,000 characters) and message shortcuts carrying one message (40,000
# characters): well under 1 MiB even form-encoded. Anything bigger is not from Slack.
MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_WINDOW_SECONDS = 5 * 60
# Slack's IDs (team, event, user, view) are short runs of letters and digits; a team ID is
# stored as the workspace (32 characters at most).
_SLACK_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TEAM_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_EVENTS_API_TYPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})
_USER_PAYLOADS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)


@dataclass(frozen=True)
class Shape:
    """What passed: its kind (for the metrics) and the ID that names it in log lines."""

    kind: str  # event, command, action, shortcut, view, options or other
    key: str | None = None


_INTERACTION_KINDS = {
    "block_actions": "action",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "view_submission": "view",
    "view_closed": "view",
    "block_suggestion": "options",
}


@dataclass(frozen=True)
class Refused(Exception):
    """A request answered with `status` and `reason`, before Bolt or any listener sees it."""

    status: int
    reason: str


# -- size: decided before the body is read ---------------------------------------------------


def read_body(environ: Mapping[str, Any]) -> bytes:
    """The raw body, refused with 413 when it is bigger than any Slack payload.

    A declared length is checked before a byte is read; a chunked body (no length) is read at
    most one byte past the limit, so an endless stream costs at most `MAX_BODY_BYTES`.
    """
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if declared and not (declared.isascii() and declared.isdigit()):
        raise Refused(400, "Content-Length is not a number")
    if declared and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, f"body of {declared} bytes is over {MAX_BODY_BYTES}")
    body = _read(environ.get("wsgi.input"), int(declared) if declared else MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"chunked body over {MAX_BODY_BYTES} bytes")
    return body


def _read(stream: IO[bytes] | None, size: int) -> bytes:
    """A client that stalls past the server's read timeout, or hangs up, gets a 4xx."""
    if stream is None or size == 0:
        return b""
    try:
        return stream.read(size)
    except TimeoutError as error:
        raise Refused(408, "request body not received in time") from error
    except OSError as error:  # gunicorn's NoMoreData: the client hung up mid-body
        raise Refused(400, "request body ended early") from error


# -- authenticity: decided before the body is parsed -----------------------------------------


def check_signature(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> None:
    """Slack's `v0` HMAC over the raw bytes, within five minutes of `now`.

    The timestamp must be a plain integer: `1e9`, `1.5` or `abc` are not Slack's and are
    refused here instead of raising inside the signature check.
    """
    stamp = headers.get("x-slack-request-timestamp", "").strip()
    signature = headers.get("x-slack-signature", "").strip()
    if not stamp or not signature:
        raise Refused(401, "missing Slack signature headers")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise Refused(400, "X-Slack-Request-Timestamp is not an integer")
    if abs(now - int(stamp)) > SIGNATURE_WINDOW_SECONDS:
        raise Refused(401, "stale X-Slack-Request-Timestamp")
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused(401, "invalid Slack signature")


# -- shape: what the listeners may take for granted -------------------------------------------


def check_shape(body: bytes, content_type: str) -> Shape:
    """Parse the body as Bolt will and refuse what no listener could handle.

    Bolt reads a body as JSON when its content type is exactly `application/json` or it starts
    with `{`, otherwise as a form whose `payload` field, if any, is JSON; the same choice is made
    here, so what passes is what Bolt parses.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, "body is not UTF-8") from error
    if not text:
        raise Refused(400, "empty body")
    media = content_type.split(";", 1)[0].strip().lower()
    if content_type == "application/json" or text.startswith(("{", "[")) or media.endswith("json"):
        events = _json_object(text, "body")
        _check_events_api(events)
        return Shape("event", _log_id(events.get("event_id")))
    if "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            interaction = _json_object(payload, "payload")
            _check_interaction(interaction)
            kind = _INTERACTION_KINDS.get(interaction["type"], "other")
            return Shape(kind, _log_id(interaction.get("trigger_id")))
    fields = dict(parse_qsl(text, keep_blank_values=True))
    _check_command(fields)
    return Shape("command" if "command" in fields else "other", _log_id(fields.get("trigger_id")))


def _log_id(value: Any) -> str | None:
    """Slack's ID for the request, when it looks like one: it is written into log lines."""
    return value if isinstance(value, str) and _SLACK_ID.fullmatch(value) else None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise Refused(400, f"{what} is not valid JSON") from error
    if not isinstance(parsed, dict):
        raise Refused(400, f"{what} is JSON but not an object")
    return parsed


def _check_events_api(body: dict[str, Any]) -> None:
    """Slack sends only Events API callbacks as JSON; commands and clicks come as forms."""
    kind = body.get("type")
    if kind not in _EVENTS_API_TYPES:
        raise Refused(400, f"JSON body of type {_shown(kind)} is not an Events API callback")
    _optional_id(body, "team_id", pattern=_TEAM_ID)
    if kind != "event_callback":
        return
    _required_id(body, "event_id")
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise Refused(400, "event_callback without an event object")
    check = _EVENT_CHECKS.get(event["type"])
    if check is not None:
        check(event)


def _check_reaction(event: dict[str, Any]) -> None:
    _required_id(event, "user", where="event")
    if not isinstance(event.get("reaction"), str) or not isinstance(event.get("item"), dict):
        raise Refused(400, f"{event['type']} without a reaction and an item object")
    for name in ("channel", "ts"):
        _optional_id(event["item"], name, where="event.item")


def _check_home_opened(event: dict[str, Any]) -> None:
    _required_id(event, "user", where="event")
    if not isinstance(event.get("tab", ""), str):
        raise Refused(400, "app_home_opened with a tab that is not text")


_EVENT_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "reaction_added": _check_reaction,
    "reaction_removed": _check_reaction,
    "app_home_opened": _check_home_opened,
}


def _check_interaction(payload: dict[str, Any]) -> None:
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise Refused(400, "payload without a type")
    if isinstance(payload.get("team"), dict):
        _optional_id(payload["team"], "id", where="team", pattern=_TEAM_ID)
    if kind in _USER_PAYLOADS:
        user = payload.get("user")
        if not isinstance(user, dict):
            raise Refused(400, f"{kind} without a user object")
        _required_id(user, "id", where="user")
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise Refused(400, "block_actions without a list of actions")
    if kind in ("view_submission", "view_closed"):
        _check_view(payload.get("view"), kind)


def _check_view(view: Any, kind: str) -> None:
    if not isinstance(view, dict):
        raise Refused(400, f"{kind} without a view object")
    _required_id(view, "id", where="view")
    state = view.get("state", {})
    if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
        raise Refused(400, f"{kind} whose view.state.values is not an object")
    if not isinstance(view.get("private_metadata", ""), str):
        raise Refused(400, f"{kind} whose private_metadata is not text")


def _check_command(fields: dict[str, str]) -> None:
    """A form without `payload` is a slash command (or Slack's SSL check)."""
    if fields.get("ssl_check") == "1":
        return
    if not fields.get("command", "").startswith("/"):
        raise Refused(400, "form body is neither a slash command nor an interaction payload")
    _optional_id(fields, "user_id")
    _optional_id(fields, "team_id", pattern=_TEAM_ID)


def _required_id(data: dict[str, Any], name: str, *, where: str = "body") -> None:
    if name not in data:
        raise Refused(400, f"{where} has no {name}")
    _optional_id(data, name, where=where)


def _optional_id(
    data: dict[str, Any], name: str, *, where: str = "body", pattern: re.Pattern[str] = _SLACK_ID
) -> None:
    """IDs are stored and looked up: a NUL or 4,000 characters must not reach the database."""
    value = data.get(name)
    if value is None:
        return
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Refused(400, f"{where}.{name} is not a Slack ID")


def _shown(value: Any) -> str:
    """A value from the request, safe and short enough for one log line."""
    return ascii(value)[:40]
