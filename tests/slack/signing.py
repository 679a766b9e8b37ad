"""Send signed requests to the bot exactly as Slack would, over real HTTP.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 and the app's signing secret and
sends it as `X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`. `SlackRequests`
builds the payload shapes Slack sends (slash commands and interactivity form-encoded,
events as JSON) so the bot's signature check, parsing and ack paths are all exercised.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .fake_slack import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_CHANNEL_ID,
    DEFAULT_CHANNEL_NAME,
    DEFAULT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
)

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from .fake_slack import FakeSlack

Payload = dict[str, Any]

_counter = itertools.count(1)


def compute_signature(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's request signature: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    signing_secret: str,
    body: bytes | str,
    *,
    timestamp: int | str | None = None,
    signature: str | None = None,
) -> dict[str, str]:
    """Signature headers for `body`; override timestamp/signature to forge or age a request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or compute_signature(signing_secret, stamp, body),
    }


@dataclass(frozen=True)
class HttpReply:
    """What the bot answered: status, headers and raw body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (e.g. an ack with response_action)."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


# -- view_submission state helpers: the shapes Slack puts in view.state.values --------------
def plain_text_value(value: str | None) -> Payload:
    """State of a plain_text_input."""
    return {"type": "plain_text_input", "value": value}


def users_select_value(user_id: str | None) -> Payload:
    """State of a users_select."""
    return {"type": "users_select", "selected_user": user_id}


def datepicker_value(date: str | None) -> Payload:
    """State of a datepicker (`YYYY-MM-DD`)."""
    return {"type": "datepicker", "selected_date": date}


def static_select_value(value: str | None, text: str | None = None) -> Payload:
    """State of a static_select; None means nothing selected."""
    option = None
    if value is not None:
        option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}}
        option["value"] = value
    return {"type": "static_select", "selected_option": option}


class SlackRequests:
    """Signs and POSTs Slack-shaped requests to `{base_url}{path}` (default /slack/events).

    Pass `slack=` (a running FakeSlack) so default response_urls are served by the fake.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        slack: FakeSlack | None = None,
        team_id: str = TEAM_ID,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.slack = slack
        self.team_id = team_id
        self.timeout = timeout

    # -- transport -------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """POST a raw body with Slack's signature headers; HTTP errors are returned, not raised."""
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0"}
        all_headers.update(
            signed_headers(self.signing_secret, body, timestamp=timestamp, signature=signature)
        )
        all_headers.update(headers or {})
        request = Request(self.url, data=body, headers=all_headers, method="POST")
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return HttpReply(response.status, dict(response.headers.items()), response.read())
        except HTTPError as error:
            return HttpReply(error.code, dict(error.headers.items()), error.read())

    def send_form(self, fields: dict[str, str], **overrides: Any) -> HttpReply:
        """Form-encoded body, as Slack sends slash commands."""
        body = urlencode(fields).encode()
        return self.post(body, "application/x-www-form-urlencoded", **overrides)

    def send_json(self, payload: Payload, **overrides: Any) -> HttpReply:
        """JSON body, as Slack sends Events API callbacks."""
        body = json.dumps(payload).encode()
        return self.post(body, "application/json", **overrides)

    def interactive(self, payload: Payload, **overrides: Any) -> HttpReply:
        """Any interactivity payload, form-encoded as `payload=<json>` like Slack."""
        return self.send_form({"payload": json.dumps(payload)}, **overrides)

    # -- slash commands --------------------------------------------------------------------
    def slash_command(
        self,
        text: str = "",
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        team_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        *,
        command: str = "/voc",
        user_name: str = "default.user",
        channel_name: str = DEFAULT_CHANNEL_NAME,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """A slash command invocation (`/voc text`)."""
        fields = {
            "token": "deprecated-verification-token",
            "team_id": team_id or self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or self._response_url(),
            "trigger_id": trigger_id or new_trigger_id(),
        }
        return self.send_form(fields, timestamp=timestamp, signature=signature)

    # -- events ----------------------------------------------------------------------------
    def event(
        self,
        event: Payload,
        team_id: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        *,
        retry_reason: str = "http_timeout",
        event_time: int | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """An Events API `event_callback`; `retry_num` adds Slack's retry headers."""
        team = team_id or self.team_id
        now = event_time or int(time.time())
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": team,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{now}.{next(_counter):06d}", **event},
            "type": "event_callback",
            "event_id": event_id or new_event_id(),
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self.send_json(envelope, headers=headers, timestamp=timestamp, signature=signature)

    def url_verification(self, challenge: str = "challenge-token") -> HttpReply:
        """The handshake Slack sends when the events URL is configured."""
        payload = {"token": "deprecated", "challenge": challenge, "type": "url_verification"}
        return self.send_json(payload)

    # -- interactivity ---------------------------------------------------------------------
    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        user_id: str = DEFAULT_USER_ID,
        *,
        block_id: str | None = None,
        action_type: str | None = None,
        view: Payload | None = None,
        message: Payload | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        state_values: Payload | None = None,
        action_fields: Payload | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """A `block_actions` click in a message (pass `message`) or a view (pass `view`).

        When the message/view has blocks, the action must exist in them (Slack can only
        send what it rendered); block_id, type and value default to the rendered element's.
        `action_fields` adds e.g. `selected_user`/`selected_option` for select menus.
        """
        source = (view or message or {}).get("blocks") or []
        found_block_id, element = _find_action(source, action_id)
        action: Payload = {
            "action_id": action_id,
            "block_id": block_id or found_block_id or f"blk{next(_counter)}",
            "type": action_type or element.get("type", "button"),
            "action_ts": _action_ts(),
        }
        if element.get("text") is not None and action["type"] == "button":
            action["text"] = element["text"]
        chosen = value if value is not None else element.get("value")
        if chosen is not None:
            action["value"] = chosen
        action.update(action_fields or {})
        payload = self._interaction_base("block_actions", user_id, trigger_id)
        payload["actions"] = [action]
        if view is not None:
            filled = _fill_view(view, state_values)
            payload["container"] = {"type": "view", "view_id": filled["id"]}
            payload["view"] = filled
        else:
            payload.update(self._message_context(message, channel_id, response_url))
            payload["state"] = {"values": state_values or {}}
        return self.interactive(payload, timestamp=timestamp, signature=signature)

    def view_submission(
        self,
        view: Payload,
        user_id: str = DEFAULT_USER_ID,
        values: Payload | None = None,
        *,
        trigger_id: str | None = None,
        response_urls: list[Payload] | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """A modal submit; `values` is `{block_id: {action_id: {type, value...}}}`.

        When the view has blocks, each submitted value must match an input block's
        block_id/action_id there, as it would in Slack.
        """
        values = values or {}
        _check_values_match_view(view, values)
        payload = self._interaction_base("view_submission", user_id, trigger_id)
        payload["view"] = _fill_view(view, values)
        payload["response_urls"] = response_urls or []
        return self.interactive(payload, timestamp=timestamp, signature=signature)

    def message_shortcut(
        self,
        callback_id: str,
        message: Payload,
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
        timestamp: int | str | None = None,
        signature: str | None = None,
    ) -> HttpReply:
        """A message shortcut (`message_action`) on `message` in `channel_id`."""
        payload = self._interaction_base("message_action", user_id, trigger_id)
        payload.update(
            {
                "callback_id": callback_id,
                "action_ts": _action_ts(),
                "channel": {"id": channel_id, "name": DEFAULT_CHANNEL_NAME},
                "message_ts": message.get("ts"),
                "message": message,
                "response_url": response_url or self._response_url(),
            }
        )
        return self.interactive(payload, timestamp=timestamp, signature=signature)

    # -- payload pieces --------------------------------------------------------------------
    def _interaction_base(self, kind: str, user_id: str, trigger_id: str | None) -> Payload:
        return {
            "type": kind,
            "token": "deprecated-verification-token",
            "api_app_id": APP_ID,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "enterprise": None,
            "is_enterprise_install": False,
            "trigger_id": trigger_id or new_trigger_id(),
        }

    def _message_context(
        self, message: Payload | None, channel_id: str | None, response_url: str | None
    ) -> Payload:
        channel = channel_id or DEFAULT_CHANNEL_ID
        context: Payload = {
            "container": {"type": "message", "channel_id": channel, "is_ephemeral": False},
            "channel": {"id": channel, "name": DEFAULT_CHANNEL_NAME},
            "response_url": response_url or self._response_url(),
        }
        if message is not None:
            context["container"]["message_ts"] = message.get("ts")
            context["message"] = message
        return context

    def _response_url(self) -> str:
        if self.slack is not None:
            return self.slack.response_url()
        return f"https://hooks.slack.com/actions/{self.team_id}/{next(_counter)}/unreachable"


def new_trigger_id() -> str:
    """A fresh trigger id (Slack's are single-use)."""
    n = next(_counter)
    return f"{n}.{int(time.time())}.{hashlib.sha1(str(n).encode()).hexdigest()[:32]}"


def new_event_id() -> str:
    """A fresh Events API event_id (Ev…)."""
    return f"Ev{next(_counter):010d}"


def _action_ts() -> str:
    return f"{int(time.time())}.{next(_counter):06d}"


def _find_action(blocks: list[Payload], action_id: str) -> tuple[str | None, Payload]:
    """(block_id, element) for the element with `action_id`; raise if blocks lack it."""
    for block in blocks:
        element = _find_in(block, action_id)
        if element is not None:
            return block.get("block_id"), element
    if blocks:
        raise ValueError(f"action_id {action_id!r} is not in the given message/view blocks")
    return None, {}


def _find_in(node: Any, action_id: str) -> Payload | None:
    if isinstance(node, dict):
        if node.get("action_id") == action_id:
            return node
        children: list[Any] = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find_in(child, action_id)
        if found is not None:
            return found
    return None


def _check_values_match_view(view: Payload, values: Payload) -> None:
    inputs = {
        block.get("block_id"): block.get("element", {}).get("action_id")
        for block in view.get("blocks") or []
        if block.get("type") == "input"
    }
    if not inputs:
        return
    for block_id, actions in values.items():
        for action_id in actions:
            if inputs.get(block_id) != action_id:
                raise ValueError(
                    f"state value {block_id}/{action_id} has no matching input block in the view"
                    f" (inputs: {inputs})"
                )


def _fill_view(view: Payload, values: Payload | None) -> Payload:
    """The view as Slack echoes it back: ids, hash and state added to what the bot sent."""
    filled: Payload = {
        "id": f"V{next(_counter):08d}",
        "team_id": TEAM_ID,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "hash": f"{int(time.time())}.{next(_counter):08x}",
        "clear_on_close": False,
        "notify_on_close": False,
        "previous_view_id": None,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }
    filled.update(view)
    filled.setdefault("root_view_id", filled["id"])
    state = dict(filled.get("state") or {})
    state["values"] = values if values is not None else state.get("values", {})
    filled["state"] = state
    return filled


# -- serving a WSGI app --------------------------------------------------------------------
class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a handler that calls back into the test never deadlocks."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@contextmanager
def serve_wsgi(app: WSGIApplication) -> Iterator[str]:
    """Serve a WSGI app on a free 127.0.0.1 port in a thread; yield `http://127.0.0.1:PORT`."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
