"""A fake Slack Web API served over real HTTP, so the bot's real WebClient code paths run.

`FakeSlack` answers the methods the bot relies on the way Slack does (including Slack's
`ok: false` error codes and its stricter habits: DM ids differ from user ids, ephemeral
messages cannot be updated, trigger ids are single-use), records every call, validates every
Block Kit payload and lets a test inject 429/500/`ok: false` failures — including Slack's
ambiguous one, where the call took effect and the answer was still a 500 (`fail_after_effect`),
and a call that took effect but whose answer is held until the test lets it go (`hold_after_effect`,
for killing the process that is waiting on it).

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="C0VOCCHAN", text="hi")
        slack.wait_for("chat.postMessage")
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email.parser
import email.policy
import itertools
import json
import mimetypes
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

from .blockkit import message_errors, view_errors
from .markup import markup_errors

TEAM_ID = "T0VOCTEAM"
TEAM_NAME = "VoC Test"
TEAM_DOMAIN = "voc-test"
BOT_USER_ID = "U0VOCBOT"
BOT_ID = "B0VOCBOT"
APP_ID = "A0VOCAPP"
DEFAULT_USER_ID = "U0VOCUSER"
DEFAULT_CHANNEL_ID = "C0VOCCHAN"
DEFAULT_CHANNEL_NAME = "voc-general"
BASE_TS = 1_700_000_000

Params = dict[str, Any]
Handler = Callable[[Params], Params]
Validator = Callable[[str, Params], list[str]]

_NO_AUTH_METHODS = frozenset({"api.test", "oauth.access", "oauth.v2.access"})
_TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xoxa-", "xoxe", "xapp-")
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "user_auth_blocks")
_HTTP_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}
_MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
)
_VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})
_RESPONSE_URL_MAX_USES = 5  # Slack accepts five posts per response_url
_TZ_LABELS = {
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "JST": "Japan Standard Time",
}


@dataclass(frozen=True)
class Call:
    """One request the bot made to the Web API, as Slack would have seen it."""

    method: str
    params: Params
    headers: dict[str, str]  # header names are Title-Cased
    status: int = 200
    response: Params = field(default_factory=dict)
    injected_failure: bool = False  # True when fail_next() produced this answer

    @property
    def ok(self) -> bool:
        """Whether Slack answered HTTP 200 with `ok: true`."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def token(self) -> str | None:
        """The token the caller used (Bearer header, or the legacy `token` param)."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ").strip()
        token = self.params.get("token")
        return token if isinstance(token, str) else None


@dataclass
class Upload:
    """A file sent through files.getUploadURLExternal + upload POST + completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    upload_url: str
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int


class SlackError(Exception):
    """Raised by a fake method to answer `{"ok": false, "error": code}` like Slack."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def default_payload_errors(method: str, params: Params) -> list[str]:
    """The validation hook: Block Kit problems, and markup that came from data, in a payload."""
    return _block_kit_errors(method, params) + _data_markup_errors(method, params)


def _block_kit_errors(method: str, params: Params) -> list[str]:
    if method in _MESSAGE_METHODS and "blocks" in params:
        return message_errors(params)
    if method in _VIEW_METHODS and "view" in params:
        return view_errors(params["view"])
    if method == "response_url" and not params.get("delete_original"):
        return message_errors(params)
    return []


def _data_markup_errors(method: str, params: Params) -> list[str]:
    """Every payload of the suite is an escaping test (tests/slack/markup.py)."""
    if method in _VIEW_METHODS and isinstance(params.get("view"), dict):
        return markup_errors(params["view"])
    if method in _MESSAGE_METHODS or method == "response_url":
        return markup_errors(params)
    return []


class FakeSlack:
    """A threaded HTTP server on 127.0.0.1 that behaves like Slack's Web API."""

    def __init__(self, *, validator: Validator = default_payload_errors) -> None:
        self._validator = validator
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._responses: list[tuple[str, Params]] = []
        self._invalid: list[tuple[str, str]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._after_effect: dict[str, list[_Failure | None]] = {}
        self._holds: dict[str, threading.Event] = {}
        self._holds_before: dict[str, threading.Event] = {}
        self._holding: set[str] = set()
        self._handlers: dict[str, Handler] = {}
        self._response_urls: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.workspace = Workspace()
        # What every answer's X-OAuth-Scopes header says the token was granted, as Slack does.
        self.granted_scopes: list[str] = list(manifest_scopes())

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind a free port and serve in a daemon thread."""
        handler = type("_BoundHandler", (_RequestHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.workspace.upload_base = f"{self.base_url}/upload/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use `with FakeSlack() as slack:`")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        """The value for `WebClient(base_url=...)` / `SLACK_API_URL` (ends with `/`)."""
        return f"{self.base_url}/api/"

    # -- configuration ---------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "Europe/Paris",
        email: str | None = None,
        name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        tz_label: str | None = None,
    ) -> Params:
        """Register a user for users.info / users.lookupByEmail; returns Slack's user object."""
        with self._cond:
            user = self.workspace.add_user(
                user_id,
                tz=tz,
                email=email,
                name=name,
                is_bot=is_bot,
                deleted=deleted,
                label=tz_label,
            )
            return copy.deepcopy(user)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        is_private: bool = False,
        is_member: bool = True,
    ) -> Params:
        """Register a channel; the bot is added to `members` when `is_member` (as in Slack)."""
        with self._cond:
            channel = self.workspace.add_channel(
                channel_id, name=name, members=members, is_private=is_private, is_member=is_member
            )
            return copy.deepcopy(channel)

    def dm_channel(self, user_id: str) -> str:
        """The `D…` id conversations.open returns for this user (created on first use)."""
        with self._cond:
            return self.workspace.open_dm(user_id)[0]

    def seed_message(
        self, channel: str, *, text: str = "", blocks: list | None = None, user: str | None = None
    ) -> Params:
        """Put an existing message in a channel (e.g. one a user posted); returns it with `ts`."""
        with self._cond:
            message = self.workspace.seed_message(channel, text=text, blocks=blocks, user=user)
            return copy.deepcopy(message)

    def add_file(
        self,
        user_id: str,
        name: str,
        content: bytes,
        *,
        size: int | None = None,
        filetype: str | None = None,
    ) -> Params:
        """A file `user_id` shared with the bot: files.info knows it, and its private download
        URL serves `content` to a bot token (`size` may lie, as a test of the reader's cap)."""
        with self._cond:
            file = self.workspace.add_file(
                user_id, name, content, self.base_url, size=size, filetype=filetype
            )
            return copy.deepcopy(file)

    def downloads(self) -> list[Call]:
        """Every GET of a private file URL, as `files.download` calls (with their headers)."""
        return self.calls_to("files.download")

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer `method` with `handler(params)` (a full response dict, incl. `ok`)."""
        with self._cond:
            self._handlers[method] = handler

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        *,
        error: str | None = None,
        retry_after: int = 1,
        count: int = 1,
    ) -> None:
        """Make the next `count` calls to `method` fail.

        `status` defaults to 429 (with `Retry-After: retry_after`), or to 200 when only
        `error` is given, which yields Slack's `{"ok": false, "error": error}`. Use
        method="response_url" to fail posts to response URLs.
        """
        status = status if status is not None else (200 if error else 429)
        code = error or _HTTP_ERRORS.get(status, "internal_error")
        with self._cond:
            queue = self._failures.setdefault(method, [])
            queue.extend(_Failure(status, code, retry_after) for _ in range(count))

    def fail_after_effect(
        self, method: str, status: int = 500, *, count: int = 1, skip: int = 0
    ) -> None:
        """After `skip` calls answered normally, the next `count` calls to `method` take effect
        (a message is stored) and are then answered with `status` anyway: Slack's ambiguous
        failure, which a retry must not double."""
        code = _HTTP_ERRORS.get(status, "internal_error")
        with self._cond:
            queue = self._after_effect.setdefault(method, [])
            queue.extend([None] * skip)
            queue.extend(_Failure(status, code, 0) for _ in range(count))

    def hold_after_effect(self, method: str) -> threading.Event:
        """The next call to `method` takes effect, is recorded, and then waits for its answer
        until the returned event is set (or a minute passes): its caller can be killed while
        it waits, with the message already in Slack."""
        release = threading.Event()
        with self._cond:
            self._holds[method] = release
        return release

    def hold_unanswered(self, method: str) -> threading.Event:
        """The next call to `method` (or `"response_url"`) waits until the returned event is set
        and is then refused with a 500 that took no effect: as if it never reached Slack, for a
        caller killed while it waits."""
        release = threading.Event()
        with self._cond:
            self._holds_before[method] = release
        return release

    def _held_before(self, method: str) -> bool:
        """Wait out a `hold_unanswered` on `method`; True when this call was the one held."""
        with self._cond:
            hold = self._holds_before.pop(method, None)
            if hold is None:
                return False
            self._holding.add(method)
            self._cond.notify_all()
        hold.wait(60)
        with self._cond:
            self._holding.discard(method)
        return True

    def holding(self, method: str) -> bool:
        """Whether a call to `method` is waiting on a `hold_unanswered` right now."""
        with self._cond:
            return method in self._holding

    def clear(self) -> None:
        """Forget recorded calls, responses, invalid payloads and pending failures.

        Users, channels, messages, views and uploads (the workspace) are kept.
        """
        with self._cond:
            self._calls.clear()
            self._responses.clear()
            self._invalid.clear()
            self._failures.clear()
            self._after_effect.clear()

    # -- response_url ----------------------------------------------------------------------
    def response_url(self) -> str:
        """A fresh response_url served by this fake (usable five times, like Slack's)."""
        with self._cond:
            url = f"{self.base_url}/response/{len(self._response_urls) + 1}"
            self._response_urls[url] = 0
            return url

    # -- inspection ------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Every Web API call so far, including injected failures, in arrival order."""
        with self._cond:
            return list(self._calls)

    def call_counts(self) -> dict[str, int]:
        """How many calls each Web API method received so far, failed ones included."""
        with self._cond:
            return dict(Counter(call.method for call in self._calls))

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        """Calls to one method; `ok=True` keeps successful ones, `ok=False` failed ones."""
        with self._cond:
            return self._matching(method, ok)

    @property
    def responses(self) -> list[Params]:
        """JSON payloads accepted on response URLs, in arrival order."""
        with self._cond:
            return [payload for _, payload in self._responses]

    def answered_response_urls(self) -> list[str]:
        """The response URL of every payload accepted, in arrival order (repeats included)."""
        with self._cond:
            return [posted_to for posted_to, _ in self._responses]

    def responses_to(self, url: str) -> list[Params]:
        """Payloads accepted on one response URL."""
        with self._cond:
            return [payload for posted_to, payload in self._responses if posted_to == url]

    @property
    def invalid_payloads(self) -> list[tuple[str, str]]:
        """(method, error) for every payload Slack would reject or flag."""
        with self._cond:
            return list(self._invalid)

    @property
    def uploads(self) -> list[Upload]:
        """Files requested via files.getUploadURLExternal, in order."""
        with self._cond:
            return [copy.copy(upload) for upload in self.workspace.uploads.values()]

    def message(self, channel: str, ts: str) -> Params | None:
        """The current state of a message (after updates), or None once deleted."""
        with self._cond:
            return copy.deepcopy(self.workspace.messages.get((channel, ts)))

    def messages_in(self, channel: str) -> list[Params]:
        """Messages currently in a channel (posted, seeded or updated), oldest first."""
        with self._cond:
            found = [m for (ch, _), m in self.workspace.messages.items() if ch == channel]
            return copy.deepcopy(sorted(found, key=lambda m: float(m["ts"])))

    def all_messages(self) -> list[tuple[str, Params]]:
        """(channel, message) for every message in the workspace, oldest first."""
        with self._cond:
            found = sorted(self.workspace.messages.items(), key=lambda item: float(item[0][1]))
            return copy.deepcopy([(channel, message) for (channel, _), message in found])

    def view(self, view_id: str) -> Params | None:
        """The current state of a view opened/pushed/updated/published by the bot."""
        with self._cond:
            return copy.deepcopy(self.workspace.views.get(view_id))

    def home_view(self, user_id: str) -> Params | None:
        """The Home tab last published for a user."""
        with self._cond:
            view_id = self.workspace.home_views.get(user_id)
            return copy.deepcopy(self.workspace.views.get(view_id)) if view_id else None

    def assert_all_payloads_valid(self) -> None:
        """Teardown check: fail if any payload was invalid or the fake itself crashed."""
        invalid = self.invalid_payloads
        if invalid:
            lines = "\n  ".join(f"{method}: {error}" for method, error in invalid)
            raise AssertionError(f"Slack would reject or flag these payloads:\n  {lines}")

    # -- waiting ---------------------------------------------------------------------------
    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = None
    ) -> list[Call]:
        """Block until at least `count` calls to `method` were recorded; return them all."""
        with self._cond:
            done = self._cond.wait_for(lambda: len(self._matching(method, ok)) >= count, timeout)
            if not done:
                seen = [c.method for c in self._calls]
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, "
                    f"got {len(self._matching(method, ok))}; recorded methods: {seen}"
                )
            return self._matching(method, ok)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until `condition()` holds, re-checked after every call the fake answers."""
        with self._cond:
            if not self._cond.wait_for(condition, timeout):
                seen = [c.method for c in self._calls]
                raise AssertionError(f"condition not met within {timeout}s; calls: {seen}")

    def wait_for_response_url(self, count: int = 1, timeout: float = 5.0) -> list[Params]:
        """Block until at least `count` payloads were posted to response URLs."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._responses) >= count, timeout):
                seen = [c.method for c in self._calls]
                raise AssertionError(
                    f"expected {count} response_url post(s) within {timeout}s, "
                    f"got {len(self._responses)}; recorded methods: {seen}"
                )
            return [payload for _, payload in self._responses]

    def _matching(self, method: str, ok: bool | None) -> list[Call]:
        return [c for c in self._calls if c.method == method and (ok is None or c.ok == ok)]

    # -- request handling (called from server threads) ------------------------------------
    def handle_api(self, method: str, params: Params, headers: dict[str, str]) -> _Reply:
        """Answer one Web API call and record it."""
        if self._held_before(method):
            return _Reply(500, {"ok": False, "error": "internal_error"})
        errors = self._validator(method, params)
        with self._cond:
            failure = self._pop_failure(method)
            if failure is not None:
                reply = _failure_reply(failure)
            else:
                reply = _Reply(200, self._answer(method, params, headers))
                reply.headers["X-OAuth-Scopes"] = ",".join(self.granted_scopes)
                after = self._after_effect.get(method)
                failure = after.pop(0) if after else None
                if failure is not None:
                    reply = _failure_reply(failure)
            self._invalid.extend((method, error) for error in errors)
            self._calls.append(
                Call(method, params, headers, reply.status, reply.body, failure is not None)
            )
            self._cond.notify_all()
            hold = self._holds.pop(method, None)
        if hold is not None:
            hold.wait(60)
        return reply

    def handle_response_url(self, url: str, body: bytes) -> _Reply:
        """Accept a response_url post like Slack: JSON, at most five times per URL."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return self._reject_response(url, 400, "invalid_payload", "body is not JSON")
        if not isinstance(payload, dict):
            return self._reject_response(url, 400, "invalid_payload", "body is not an object")
        if self._held_before("response_url"):
            return _Reply(500, {"ok": False, "error": "internal_error"})
        errors = self._validator("response_url", payload)
        with self._cond:
            failure = self._pop_failure("response_url")
            if failure is not None:
                return _failure_reply(failure)
            uses = self._response_urls.get(url)
            if uses is None or uses >= _RESPONSE_URL_MAX_USES:
                reason = "unknown response_url" if uses is None else "used more than five times"
                self._invalid.append(("response_url", f"{url}: {reason}"))
                return _Reply(404, {"ok": False, "error": "used_url"})
            self._response_urls[url] = uses + 1
            self._invalid.extend(("response_url", error) for error in errors)
            self._responses.append((url, payload))
            self._cond.notify_all()
        return _Reply(200, {"ok": True})

    def handle_upload(self, file_id: str, content: bytes) -> _Reply:
        """Store bytes POSTed to an upload_url from files.getUploadURLExternal."""
        with self._cond:
            upload = self.workspace.uploads.get(file_id)
            if upload is None:
                return _Reply(404, {"ok": False, "error": "file_not_found"})
            upload.content = content
            self._cond.notify_all()
        return _Reply(200, text=f"OK - {len(content)}")

    def handle_download(self, file_id: str, headers: dict[str, str]) -> _Reply:
        """A private file URL: bytes for a bot token, a refusal (as Slack's login page) else."""
        auth = headers.get("Authorization", "")
        allowed = auth.startswith("Bearer xoxb-")
        with self._cond:
            content = self.workspace.file_contents.get(file_id)
            status = 200 if allowed and content is not None else 403 if content is not None else 404
            self._calls.append(
                Call("files.download", {"file": file_id}, headers, status, {"ok": status == 200})
            )
            self._cond.notify_all()
        if status != 200:
            return _Reply(status, text="<html>Sign in to Slack</html>")
        return _Reply(200, raw=content)

    def record_internal_error(self, where: str, exc: BaseException) -> None:
        """A bug in the fake must fail the test, not hide behind a connection reset."""
        with self._cond:
            self._invalid.append((where, f"FakeSlack crashed: {type(exc).__name__}: {exc}"))
            self._cond.notify_all()

    def _reject_response(self, url: str, status: int, error: str, why: str) -> _Reply:
        with self._cond:
            self._invalid.append(("response_url", f"{url}: {why}"))
            self._cond.notify_all()
        return _Reply(status, {"ok": False, "error": error})

    def _pop_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        return queue.pop(0) if queue else None

    def _answer(self, method: str, params: Params, headers: dict[str, str]) -> Params:
        auth_error = _auth_error(method, params, headers)
        if auth_error:
            return {"ok": False, "error": auth_error}
        handler = self._handlers.get(method)
        if handler is not None:
            return handler(params)
        return self.workspace.call(method, params)


def manifest_scopes() -> list[str]:
    """The bot scopes manifest.yml asks for: what a correctly installed app was granted."""
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


@dataclass
class _Reply:
    status: int
    body: Params = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    raw: bytes | None = None

    def encode(self) -> tuple[bytes, str]:
        if self.raw is not None:
            return self.raw, "application/octet-stream"
        if self.text is not None:
            return self.text.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


def _failure_reply(failure: _Failure) -> _Reply:
    headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
    return _Reply(failure.status, {"ok": False, "error": failure.error}, headers)


def _auth_error(method: str, params: Params, headers: dict[str, str]) -> str | None:
    if method in _NO_AUTH_METHODS:
        return None
    auth = headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
    token = token or params.get("token")
    if not token:
        return "not_authed"
    if not str(token).startswith(_TOKEN_PREFIXES):
        return "invalid_auth"
    return None


# -- request parsing -----------------------------------------------------------------------
def parse_params(query: str, content_type: str, body: bytes) -> Params:
    """Merge query string and body (form, JSON or multipart) like Slack's API does."""
    params: Params = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json":
        decoded = json.loads(body) if body.strip() else {}
        if not isinstance(decoded, dict):
            raise ValueError("JSON body must be an object")
        params.update(decoded)
    elif mime == "multipart/form-data":
        params.update(_parse_multipart(content_type, body))
    elif body:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return _decode_json_fields(params)


def _decode_json_fields(params: Params) -> Params:
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Undecodable values stay strings; the validation hook reports them.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _parse_multipart(content_type: str, body: bytes) -> Params:
    """Form fields as str, file parts as bytes (the legacy files.upload shape)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    params: Params = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        params[name] = payload if part.get_filename() else payload.decode("utf-8")
    return params


def _upload_content(content_type: str, body: bytes) -> bytes:
    """slack_sdk POSTs raw bytes to upload URLs; other clients send multipart."""
    if content_type.lower().startswith("multipart/form-data"):
        files = [v for v in _parse_multipart(content_type, body).values() if isinstance(v, bytes)]
        if files:
            return files[0]
    return body


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes /api/<method>, /response/<n> and /upload/<file_id> to the FakeSlack."""

    fake: ClassVar[FakeSlack]

    def do_POST(self) -> None:
        """Slack accepts POST for every method."""
        self._dispatch()

    def do_GET(self) -> None:
        """Slack also accepts GET with query parameters."""
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            reply = self._route(url.path, url.query, body)
        except Exception as exc:  # surface fake bugs in assert_all_payloads_valid
            self.fake.record_internal_error(url.path, exc)
            reply = _Reply(500, {"ok": False, "error": f"fake_slack_crashed: {exc}"})
        self._send(reply)

    def _route(self, path: str, query: str, body: bytes) -> _Reply:
        headers = {key.title(): value for key, value in self.headers.items()}
        content_type = headers.get("Content-Type", "")
        if path.startswith("/api/"):
            method = path.removeprefix("/api/")
            try:
                params = parse_params(query, content_type, body)
            except ValueError:
                return _Reply(200, {"ok": False, "error": "invalid_json"})
            return self.fake.handle_api(method, params, headers)
        if path.startswith("/response/"):
            return self.fake.handle_response_url(f"{self.fake.base_url}{path}", body)
        if path.startswith("/files-pri/"):
            file_id = path.removeprefix("/files-pri/").split("/")[0].split("-")[-1]
            return self.fake.handle_download(file_id, headers)
        if path.startswith("/upload/"):
            file_id = path.removeprefix("/upload/")
            return self.fake.handle_upload(file_id, _upload_content(content_type, body))
        return _Reply(404, {"ok": False, "error": "unknown_path"})

    def _send(self, reply: _Reply) -> None:
        payload, content_type = reply.encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)  # a caller killed while waiting (`hold_after_effect`)


# -- the simulated workspace ---------------------------------------------------------------
class Workspace:
    """Slack's side of the world: users, channels, messages, views, uploads.

    Not thread-safe on its own; FakeSlack calls it under its lock.
    """

    def __init__(self) -> None:
        self.users: dict[str, Params] = {}
        self.channels: dict[str, Params] = {}
        self.members: dict[str, list[str]] = {}
        self.dms: dict[str, str] = {}
        self.messages: dict[tuple[str, str], Params] = {}
        self.scheduled: dict[str, Params] = {}
        self.views: dict[str, Params] = {}
        self.home_views: dict[str, str] = {}
        self.uploads: dict[str, Upload] = {}
        self.files: dict[str, Params] = {}
        self.file_contents: dict[str, bytes] = {}
        self.reactions: set[tuple[str, str, str]] = set()
        self.used_triggers: set[str] = set()
        self.upload_base = ""
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._methods: dict[str, Handler] = self._method_table()
        self.add_user(BOT_USER_ID, name="vocbot", is_bot=True)
        self.add_user(DEFAULT_USER_ID, name="Default User")
        self.add_channel(DEFAULT_CHANNEL_ID, name=DEFAULT_CHANNEL_NAME, members=[DEFAULT_USER_ID])

    def _method_table(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.scheduleMessage": self._chat_schedule_message,
            "chat.deleteScheduledMessage": self._chat_delete_scheduled_message,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.upload": self._files_upload_legacy,
            "files.info": self._files_info,
        }

    def call(self, method: str, params: Params) -> Params:
        """Run one method; unknown methods succeed with `{"ok": true}`."""
        handler = self._methods.get(method)
        try:
            result = handler(params) if handler else {}
        except SlackError as exc:
            return {"ok": False, "error": exc.error}
        return copy.deepcopy({"ok": True, **result})  # later updates must not rewrite history

    # -- ids -------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        """Unique Slack-looking id, e.g. V00000003."""
        return f"{prefix}{next(self._ids):08d}"

    def new_ts(self) -> str:
        """Unique, increasing message ts: 1700000000.000100, 1700000000.000200, ..."""
        n = next(self._ts)
        return f"{BASE_TS + n // 10_000}.{n % 10_000 * 100:06d}"

    # -- configuration ---------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "Europe/Paris",
        email: str | None = None,
        name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        label: str | None = None,
    ) -> Params:
        """Create or replace a user object shaped like users.info returns it."""
        real_name = name or user_id
        handle = real_name.lower().replace(" ", ".")
        if email is None and not is_bot:
            email = f"{handle}@example.com"
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        abbreviation = now.tzname() or tz
        profile: Params = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": handle,
            "display_name_normalized": handle,
            "team": TEAM_ID,
        }
        if email:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = BOT_ID if user_id == BOT_USER_ID else f"B{user_id[1:]}"
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": handle,
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_app_user": False,
            "tz": tz,
            "tz_label": label or _TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": profile,
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: list[str] | tuple[str, ...] = (),
        is_private: bool = False,
        is_member: bool = True,
    ) -> Params:
        """Create or replace a channel and its member list."""
        member_list = list(members)
        if is_member and BOT_USER_ID not in member_list:
            member_list.append(BOT_USER_ID)
        channel = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_channel": not is_private,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": False,
            "is_member": is_member,
            "created": BASE_TS,
            "num_members": len(member_list),
        }
        self.channels[channel_id] = channel
        self.members[channel_id] = member_list
        return channel

    def open_dm(self, user_id: str) -> tuple[str, bool]:
        """(DM channel id, already_open) for a user; unknown users raise user_not_found."""
        if user_id not in self.users:
            raise SlackError("user_not_found")
        if user_id in self.dms:
            return self.dms[user_id], True
        channel_id = self.new_id("D")
        self.dms[user_id] = channel_id
        self.channels[channel_id] = {
            "id": channel_id,
            "created": BASE_TS,
            "is_im": True,
            "is_org_shared": False,
            "user": user_id,
            "is_user_deleted": False,
        }
        self.members[channel_id] = [user_id, BOT_USER_ID]
        return channel_id, False

    def seed_message(
        self, channel: str, *, text: str, blocks: list | None, user: str | None
    ) -> Params:
        """Store a message as if someone had posted it."""
        ts = self.new_ts()
        message: Params = {"type": "message", "user": user or DEFAULT_USER_ID, "ts": ts}
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        self.messages[(channel, ts)] = message
        return message

    # -- lookups ---------------------------------------------------------------------------
    def _channel_for_post(self, params: Params) -> str:
        """Slack posts to a user id in their DM and to `#name` by name."""
        channel = str(params.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        if channel[0] in "UW":
            try:
                return self.open_dm(channel)[0]
            except SlackError:
                raise SlackError("channel_not_found") from None
        if channel.startswith("#"):
            return self._channel_by_name(channel[1:])
        info = self.channels.get(channel)
        if info is not None and not info.get("is_im") and not info["is_member"]:
            raise SlackError("not_in_channel")
        return channel

    def _channel_by_name(self, name: str) -> str:
        for channel_id, info in self.channels.items():
            if info.get("name") == name:
                return channel_id
        raise SlackError("channel_not_found")

    def _existing_message(self, params: Params, ts_key: str = "ts") -> tuple[str, str]:
        """chat.update/delete take a channel *id*: a user id is channel_not_found."""
        channel = str(params.get("channel") or "")
        ts = str(params.get(ts_key) or "")
        if not channel or channel[0] in "UW#":
            raise SlackError("channel_not_found")
        if (channel, ts) not in self.messages:
            raise SlackError("message_not_found")
        return channel, ts

    def _user(self, user_id: Any) -> Params:
        user = self.users.get(str(user_id or ""))
        if user is None:
            raise SlackError("user_not_found")
        return user

    # -- auth / team -----------------------------------------------------------------------
    def _auth_test(self, params: Params) -> Params:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "vocbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _team_info(self, params: Params) -> Params:
        return {"team": {"id": TEAM_ID, "name": TEAM_NAME, "domain": TEAM_DOMAIN}}

    # -- chat ------------------------------------------------------------------------------
    def _chat_post_message(self, params: Params) -> Params:
        _require_content(params)
        channel = self._channel_for_post(params)
        ts = self.new_ts()
        message = self._bot_message(params, ts)
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, params: Params) -> Params:
        _require_content(params)
        self._user(params.get("user"))
        self._channel_for_post(params)
        return {"message_ts": self.new_ts()}  # ephemeral: not stored, cannot be updated

    def _chat_update(self, params: Params) -> Params:
        channel, ts = self._existing_message(params)
        message = self.messages[(channel, ts)]
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self.new_ts()}
        return {"channel": channel, "ts": ts, "text": message.get("text", ""), "message": message}

    def _chat_delete(self, params: Params) -> Params:
        channel, ts = self._existing_message(params)
        if self.messages[(channel, ts)].get("bot_id") != BOT_ID:
            raise SlackError("cant_delete_message")
        del self.messages[(channel, ts)]
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, params: Params) -> Params:
        channel = str(params.get("channel") or "")
        ts = str(params.get("message_ts") or "")
        if not channel:
            raise SlackError("channel_not_found")
        if not ts:
            raise SlackError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _chat_schedule_message(self, params: Params) -> Params:
        _require_content(params)
        channel = self._channel_for_post(params)
        post_at = int(params.get("post_at") or 0)
        if post_at <= time.time():
            raise SlackError("time_in_past")
        scheduled_id = self.new_id("Q")
        message = self._bot_message(params, ts=None)
        self.scheduled[scheduled_id] = {"channel": channel, "post_at": post_at, **message}
        return {
            "channel": channel,
            "scheduled_message_id": scheduled_id,
            "post_at": post_at,
            "message": message,
        }

    def _chat_delete_scheduled_message(self, params: Params) -> Params:
        if self.scheduled.pop(str(params.get("scheduled_message_id")), None) is None:
            raise SlackError("invalid_scheduled_message_id")
        return {}

    def _bot_message(self, params: Params, ts: str | None) -> Params:
        message: Params = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text", ""),
        }
        if ts is not None:
            message["ts"] = ts
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in params:
                message[key] = params[key]
        return message

    # -- conversations ---------------------------------------------------------------------
    def _conversations_open(self, params: Params) -> Params:
        if params.get("channel"):
            channel = self.channels.get(str(params["channel"]))
            if channel is None:
                raise SlackError("channel_not_found")
            return {
                "channel": channel if _truthy(params.get("return_im")) else {"id": channel["id"]}
            }
        users = _id_list(params.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            return {"channel": {"id": self._open_mpim(users)}}
        channel_id, already_open = self.open_dm(users[0])
        channel = self.channels[channel_id]
        body = channel if _truthy(params.get("return_im")) else {"id": channel_id}
        return {"channel": body, "no_op": already_open, "already_open": already_open}

    def _open_mpim(self, users: list[str]) -> str:
        for user_id in users:
            self._user(user_id)
        channel_id = self.new_id("G")
        self.channels[channel_id] = {"id": channel_id, "is_mpim": True, "is_im": False}
        self.members[channel_id] = [*users, BOT_USER_ID]
        return channel_id

    def _conversations_history(self, params: Params) -> Params:
        """Top-level messages, newest first, metadata included (threads are not history)."""
        channel = str(params.get("channel"))
        found = [
            message
            for (where, _), message in self.messages.items()
            if where == channel and message.get("thread_ts") in (None, message.get("ts"))
        ]
        found.sort(key=lambda message: float(message["ts"]), reverse=True)
        limit = int(params.get("limit") or 100)
        return {"messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, params: Params) -> Params:
        """A thread: its parent first, then the replies oldest first."""
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        found = [
            message
            for (where, key), message in self.messages.items()
            if where == channel and (key == ts or message.get("thread_ts") == ts)
        ]
        if not found:
            raise SlackError("thread_not_found")
        found.sort(key=lambda message: float(message["ts"]))
        return {"messages": found, "has_more": False}

    def _conversations_members(self, params: Params) -> Params:
        members = self.members.get(str(params.get("channel") or ""))
        if members is None:
            raise SlackError("channel_not_found")
        limit = _parse_limit(params.get("limit"))
        start = _decode_cursor(params.get("cursor"))
        page = members[start : start + limit]
        end = start + len(page)
        next_cursor = _encode_cursor(end) if end < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, params: Params) -> Params:
        channel = self.channels.get(str(params.get("channel") or ""))
        if channel is None:
            raise SlackError("channel_not_found")
        return {"channel": channel}

    def _conversations_list(self, params: Params) -> Params:
        """Channels, paged; private ones only where the bot is a member, as Slack lists them."""
        types = set(str(params.get("types") or "public_channel").split(","))
        listed = [
            channel
            for channel in self.channels.values()
            if "name" in channel
            and not channel.get("is_im")
            and not channel.get("is_mpim")
            and ("private_channel" if channel["is_private"] else "public_channel") in types
            and (channel["is_member"] or not channel["is_private"])
        ]
        limit = _parse_limit(params.get("limit"))
        start = _decode_cursor(params.get("cursor"))
        page = listed[start : start + limit]
        end = start + len(page)
        next_cursor = _encode_cursor(end) if end < len(listed) else ""
        return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}

    # -- users -----------------------------------------------------------------------------
    def _users_info(self, params: Params) -> Params:
        return {"user": self._user(params.get("user"))}

    def _users_list(self, params: Params) -> Params:
        """Everyone, bots and deactivated people included, paged as Slack pages it."""
        listed = list(self.users.values())
        limit = _parse_limit(params.get("limit"))
        start = _decode_cursor(params.get("cursor"))
        page = listed[start : start + limit]
        end = start + len(page)
        next_cursor = _encode_cursor(end) if end < len(listed) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _users_lookup_by_email(self, params: Params) -> Params:
        wanted = str(params.get("email") or "").lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == wanted and wanted:
                return {"user": user}
        raise SlackError("users_not_found")

    # -- views -----------------------------------------------------------------------------
    def _views_open(self, params: Params) -> Params:
        self._use_trigger(params)
        return {"view": self._store_view(_view_spec(params))}

    def _views_push(self, params: Params) -> Params:
        self._use_trigger(params)
        return {"view": self._store_view(_view_spec(params))}

    def _views_update(self, params: Params) -> Params:
        current = self._find_view(params)
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._store_view(
            _view_spec(params),
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current.get("previous_view_id"),
        )
        return {"view": view}

    def _views_publish(self, params: Params) -> Params:
        user_id = str(params.get("user_id") or "")
        self._user(user_id)
        spec = _view_spec(params)
        if spec.get("type") != "home":
            raise SlackError("invalid_arguments")
        view_id = self.home_views.get(user_id)
        if view_id and params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        view = self._store_view(spec, view_id=view_id)
        self.home_views[user_id] = view["id"]
        return {"view": view}

    def _use_trigger(self, params: Params) -> None:
        """Trigger ids are single-use in Slack: a second views.open with one fails."""
        trigger_id = params.get("trigger_id")
        if not trigger_id:
            raise SlackError("invalid_arguments")
        if trigger_id in self.used_triggers:
            raise SlackError("exchanged_trigger_id")
        self.used_triggers.add(str(trigger_id))

    def _find_view(self, params: Params) -> Params:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise SlackError("invalid_arguments")
        for view in self.views.values():
            if (view_id and view["id"] == view_id) or (
                external_id and view.get("external_id") == external_id
            ):
                return view
        raise SlackError("not_found")

    def _store_view(
        self,
        spec: Params,
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> Params:
        view_id = view_id or self.new_id("V")
        view = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": spec.get("type"),
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{BASE_TS}.{next(self._ids):08x}",
            "title": spec.get("title"),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": APP_ID,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self.views[view_id] = view
        return view

    # -- reactions -------------------------------------------------------------------------
    def _reactions_add(self, params: Params) -> Params:
        channel, ts = params.get("channel"), params.get("timestamp")
        name = params.get("name")
        if not channel or not ts:
            raise SlackError("no_item_specified")
        if not name:
            raise SlackError("invalid_name")
        key = (str(channel), str(ts), str(name))
        if key in self.reactions:
            raise SlackError("already_reacted")
        self.reactions.add(key)
        return {}

    # -- files -----------------------------------------------------------------------------
    def _files_get_upload_url(self, params: Params) -> Params:
        filename, length = params.get("filename"), params.get("length")
        if not filename or length in (None, ""):
            raise SlackError("invalid_arguments")
        file_id = self.new_id("F")
        url = f"{self.upload_base}{file_id}"
        self.uploads[file_id] = Upload(file_id, str(filename), int(length), url)
        return {"upload_url": url, "file_id": file_id}

    def _files_complete_upload(self, params: Params) -> Params:
        items = params.get("files")
        if not isinstance(items, list) or not items:
            raise SlackError("invalid_arguments")
        return {"files": [self._complete_one(item, params) for item in items]}

    def _complete_one(self, item: Params, params: Params) -> Params:
        upload = self.uploads.get(str(item.get("id")))
        if upload is None or upload.content is None:
            raise SlackError("file_not_found")
        upload.title = item.get("title") or upload.filename
        upload.channel_id = params.get("channel_id") or params.get("channels")
        upload.initial_comment = params.get("initial_comment")
        upload.thread_ts = params.get("thread_ts")
        upload.completed = True
        return {
            "id": upload.file_id,
            "name": upload.filename,
            "title": upload.title,
            "size": len(upload.content),
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
        }

    def add_file(
        self,
        user_id: str,
        name: str,
        content: bytes,
        base_url: str,
        *,
        size: int | None = None,
        filetype: str | None = None,
    ) -> Params:
        """A file object shaped like files.info returns it, with its bytes kept aside."""
        file_id = self.new_id("F")
        kind = filetype or name.rsplit(".", 1)[-1].lower()
        file = {
            "id": file_id,
            "created": BASE_TS,
            "name": name,
            "title": name,
            "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filetype": kind,
            "user": user_id,
            "user_team": TEAM_ID,
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "url_private": f"{base_url}/files-pri/{TEAM_ID}-{file_id}/{quote(name)}",
            "url_private_download": (
                f"{base_url}/files-pri/{TEAM_ID}-{file_id}/download/{quote(name)}"
            ),
        }
        self.files[file_id] = file
        self.file_contents[file_id] = content
        return file

    def _files_info(self, params: Params) -> Params:
        file = self.files.get(str(params.get("file") or ""))
        if file is None:
            raise SlackError("file_not_found")
        return {"file": file, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _files_upload_legacy(self, params: Params) -> Params:
        raise SlackError("method_deprecated")  # Slack retired files.upload; use files_upload_v2


# -- small helpers -------------------------------------------------------------------------
def _require_content(params: Params) -> None:
    if not any(params.get(key) for key in ("text", "blocks", "attachments")):
        raise SlackError("no_text")


def _view_spec(params: Params) -> Params:
    view = params.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    return view


def _id_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _parse_limit(value: Any) -> int:
    """Slack's default page size is 100, its maximum 1000."""
    try:
        limit = int(value or 100)
    except ValueError:
        raise SlackError("invalid_limit") from None
    return 100 if limit <= 0 else min(limit, 1000)


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        prefix, offset = base64.b64decode(str(cursor)).decode().split(":")
        if prefix == "offset":
            return int(offset)
    except ValueError:
        pass
    raise SlackError("invalid_cursor")
