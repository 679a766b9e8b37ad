"""Issue 18, the HTTP half: hostile and broken requests reach `voc serve`'s real WSGI app and
get a 4xx and one log line, never a 500 or a traceback; replays record nothing twice; NULs typed
into a modal are refused on the field; a reaction Slack delivers late cannot undo a newer one.
Big and slow clients, which need gunicorn itself, are in test_security_serve.py.

Each list below is what was tried; the tests count the answers, so a new case is one line.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.scheduler import default_jobs, run_due_work
from handlers.submissions import NUL_IN_COMMAND, NUL_IN_FIELD
from storage.events import first_time
from storage.models import ProcessedEvent
from tests.conftest import SIGNING_SECRET, SlackBot, _runtime
from tests.portfolio import AM, MEMBER
from tests.slack import FakeSlack, HttpReply, SlackRequests, serve_wsgi
from tests.test_commitments_slack import (
    ACME_CHANNEL,
    SlackReactions,
    _audit,
    _click_in_modal,
    _commitments,
    _current,
    _expect,
    _log,
    _open_modal,
    _portfolio,
    _row,
    _rows,
    _state,
    _text_of,
    _top_level,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
def any_bot(any_database_url: str, slack: FakeSlack) -> Iterator[SlackBot]:
    """The bot behind its real WSGI app, on SQLite and (when configured) PostgreSQL."""
    from bot.web import create_wsgi_app

    with ExitStack() as stack:
        runtime = _runtime(
            any_database_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
        )
        stack.callback(runtime.engine.dispose)
        base_url = stack.enter_context(serve_wsgi(create_wsgi_app(runtime)))
        requests = SlackRequests(base_url, SIGNING_SECRET, slack=slack)
        yield SlackBot(runtime=runtime, slack=slack, requests=requests, base_url=base_url)


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def _tracebacks(log: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in log.records if r.exc_info or "Traceback" in r.getMessage()]


def _refusals(log: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in log.records if r.getMessage().startswith("refused POST")]


def _event_envelope(event: Any, **fields: Any) -> dict[str, Any]:
    return {
        "token": "x",
        "team_id": "T0VOCTEAM",
        "api_app_id": "A0VOCAPP",
        "type": "event_callback",
        "event_id": "Ev0SHAPE01",
        "event_time": int(time.time()),
        "event": event,
        **fields,
    }


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def _form(**fields: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


# What was tried: (what, body, content type, header overrides) → the status expected.
UNSIGNED_OR_BADLY_SIGNED: list[tuple[str, bytes, str, dict[str, Any], int]] = [
    ("timestamp abc", _form(command="/voc", text="help"), FORM, {"timestamp": "abc"}, 400),
    ("timestamp empty", _form(command="/voc", text="help"), FORM, {"timestamp": " "}, 401),
    ("timestamp 1e9", _form(command="/voc", text="help"), FORM, {"timestamp": "1e9"}, 400),
    ("timestamp float", _form(command="/voc"), FORM, {"timestamp": "1796104469.5"}, 400),
    ("timestamp old", _form(command="/voc"), FORM, {"timestamp": "1000000000"}, 401),
    ("forged signature", _form(command="/voc"), FORM, {"signature": "v0=" + "0" * 64}, 401),
    ("non-ascii signature", _form(command="/voc"), FORM, {"signature": "v0=é"}, 401),
    ("malformed JSON, unsigned", b'{"type', JSON, {"signature": "v0=" + "2" * 64}, 401),
    ("deeply nested unsigned", b"[" * 100_000, JSON, {"signature": "v0=" + "1" * 64}, 401),
]

SIGNED_BUT_MALFORMED: list[tuple[str, bytes, str, int]] = [
    ("malformed JSON", b'{"type": "event_callback", ', JSON, 400),
    ("JSON array", b"[1, 2, 3]", JSON, 400),
    ("JSON array as form", b"[{}]", FORM, 400),
    ("JSON scalar", b'"event_callback"', JSON, 400),
    ("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000, JSON, 400),
    ("deeply nested object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON, 400),
    ("non-UTF-8 bytes", b'{"type": "\xff\xfe event_callback"}', JSON, 400),
    ("non-UTF-8 form", b"command=/voc&text=\xff\xfe", FORM, 400),
    ("empty body", b"", FORM, 400),
    ("payload not JSON", _form(payload="{not json"), FORM, 400),
    ("payload a list", _form(payload="[]"), FORM, 400),
    ("payload without type", _form(payload="{}"), FORM, 400),
    (
        "block_actions, user a string",
        _form(payload='{"type":"block_actions","user":"U1"}'),
        FORM,
        400,
    ),
    (
        "block_actions, actions an object",
        _form(payload='{"type":"block_actions","user":{"id":"U1"},"actions":{}}'),
        FORM,
        400,
    ),
    (
        "view_submission, view null",
        _form(payload='{"type":"view_submission","user":{"id":"U1"},"view":null}'),
        FORM,
        400,
    ),
    (
        "view_submission, state a list",
        _form(
            payload=json.dumps(
                {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "state": []}}
            )
        ),
        FORM,
        400,
    ),
    (
        "slash command as JSON",
        _json({"command": "/voc", "text": "help", "user_id": "U1"}),
        JSON,
        400,
    ),
    ("form that is no command", _form(text="help"), FORM, 400),
    ("command with a NUL team", _form(command="/voc", team_id="T\x00"), FORM, 400),
    ("event null", _json(_event_envelope(None)), JSON, 400),
    ("event a list", _json(_event_envelope([])), JSON, 400),
    ("event without type", _json(_event_envelope({"user": "U1"})), JSON, 400),
    (
        "event.item a string",
        _json(
            _event_envelope(
                {
                    "type": "reaction_added",
                    "user": "U1",
                    "reaction": "white_check_mark",
                    "item": "x",
                }
            )
        ),
        JSON,
        400,
    ),
    (
        "reaction without user",
        _json(
            _event_envelope(
                {"type": "reaction_added", "reaction": "x", "item": {"channel": "C1", "ts": "1.2"}}
            )
        ),
        JSON,
        400,
    ),
    (
        "app_home_opened without user",
        _json(_event_envelope({"type": "app_home_opened"})),
        JSON,
        400,
    ),
    (
        "app_home_opened, user a list",
        _json(_event_envelope({"type": "app_home_opened", "user": ["U1"]})),
        JSON,
        400,
    ),
    (
        "event_id of 4,000 characters",
        _json(_event_envelope({"type": "app_home_opened", "user": "U1"}, event_id="E" * 4000)),
        JSON,
        400,
    ),
    (
        "event_id with a NUL",
        _json(_event_envelope({"type": "app_home_opened", "user": "U1"}, event_id="Ev\x0001")),
        JSON,
        400,
    ),
    (
        "event_id a number",
        _json(_event_envelope({"type": "app_home_opened", "user": "U1"}, event_id=12)),
        JSON,
        400,
    ),
    (
        "team_id of 33 characters",
        _json(_event_envelope({"type": "app_home_opened", "user": "U1"}, team_id="T" * 33)),
        JSON,
        400,
    ),
    (
        "team_id of 4,000 characters",
        _json(_event_envelope({"type": "app_home_opened", "user": "U1"}, team_id="T" * 4000)),
        JSON,
        400,
    ),
]


def test_unsigned_and_badly_signed_requests_get_4xx_and_one_line(
    bot: SlackBot, server_log: pytest.LogCaptureFixture
) -> None:
    statuses = [
        (what, bot.requests.post(body, kind, **headers).status, expected)
        for what, body, kind, headers, expected in UNSIGNED_OR_BADLY_SIGNED
    ]
    assert [(what, got) for what, got, expected in statuses if got != expected] == []
    assert _tracebacks(server_log) == []
    assert len(_refusals(server_log)) == len(UNSIGNED_OR_BADLY_SIGNED)
    assert bot.slack.calls == [] or all(c.method == "auth.test" for c in bot.slack.calls)


def test_signed_but_malformed_requests_get_400_and_store_nothing(
    any_bot: SlackBot, server_log: pytest.LogCaptureFixture
) -> None:
    statuses = [
        (what, any_bot.requests.post(body, kind).status, expected)
        for what, body, kind, expected in SIGNED_BUT_MALFORMED
    ]
    assert [(what, got) for what, got, expected in statuses if got != expected] == []
    assert _tracebacks(server_log) == []
    assert len(_refusals(server_log)) == len(SIGNED_BUT_MALFORMED)
    with any_bot.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    # The bot still answers what Slack really sends.
    assert any_bot.requests.slash_command("help").status == 200
    assert "/voc account NAME" in any_bot.slack.wait_for_response_url()[0]["text"]


# --- replays and NULs in modals, on both databases ---------------------------------------------


def _commit_bot(bot: SlackBot) -> dict[str, Any]:
    """ACME Corp and its team, and the commitments modal its account manager opened."""
    _portfolio(bot)
    return _open_modal(bot)


def _submit_pinned(
    bot: SlackBot, view: dict[str, Any], state: dict[str, Any], stamp: int
) -> HttpReply:
    """A submission whose bytes and signature are the same every time it is sent: a replay."""
    return bot.requests.view_submission(
        view, user_id=AM, values=state, trigger_id="1.2.pinned", timestamp=stamp
    )


def test_a_replayed_submission_records_nothing_and_answers_as_the_first(
    any_bot: SlackBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _commit_bot(any_bot)
    sent: list[bytes] = []
    post = any_bot.requests.post
    monkeypatch.setattr(
        any_bot.requests, "post", lambda body, *a, **k: sent.append(body) or post(body, *a, **k)
    )
    state = _state(view, [_row("Call back about support tickets", MEMBER)])
    posted = _expect(any_bot, "chat.postMessage", 2)  # the channel message and the owner's DM
    stamp = int(time.time())  # one signature for every copy, inside Slack's five minutes
    first = _submit_pinned(any_bot, view, state, stamp)
    posted()
    again = [_submit_pinned(any_bot, view, state, stamp) for _ in range(3)]
    assert sent[0] == sent[1] == sent[2] == sent[3]
    assert (first.status, first.body) == (200, b"")
    assert [(reply.status, reply.body) for reply in again] == [(200, b"")] * 3
    assert [row.text for row in _commitments(any_bot)] == ["Call back about support tickets"]
    assert len(_top_level(any_bot.slack, ACME_CHANNEL)) == 1


def test_a_corrected_submission_is_recorded_after_a_refused_one(any_bot: SlackBot) -> None:
    """A submission answered with field errors recorded nothing: sent again as it was, it is
    refused again; corrected, it is recorded."""
    view = _commit_bot(any_bot)
    without_owner = _state(view, [_row("Send the roadmap", None)])
    stamp = int(time.time())
    refused = [_submit_pinned(any_bot, view, without_owner, stamp) for _ in range(2)]
    assert [reply.json()["response_action"] for reply in refused] == ["errors", "errors"]
    assert refused[0].json() == refused[1].json()
    posted = _expect(any_bot, "chat.postMessage", 2)
    fixed = _submit_pinned(any_bot, view, _state(view, [_row("Send the roadmap", MEMBER)]), stamp)
    posted()
    assert (fixed.status, fixed.body) == (200, b"")
    assert [row.text for row in _commitments(any_bot)] == ["Send the roadmap"]


def test_a_nul_pasted_into_a_modal_field_is_refused_on_that_field(
    any_bot: SlackBot, server_log: pytest.LogCaptureFixture
) -> None:
    view = _commit_bot(any_bot)
    rows = [_row("Call back", MEMBER), _row("Fix \x00 the invoice", MEMBER)]
    view = _click_in_modal(any_bot, view, "commitments_add_row", [])
    reply = any_bot.requests.view_submission(view, user_id=AM, values=_state(view, rows))
    assert reply.status == 200
    answer = reply.json()
    second_text = _rows(view)[1]["What was promised"]["block_id"]
    assert answer == {"response_action": "errors", "errors": {second_text: NUL_IN_FIELD}}
    assert _commitments(any_bot) == []
    assert _tracebacks(server_log) == []
    posted = _expect(any_bot, "chat.postMessage", 4)
    rows[1] = _row("Fix the invoice", MEMBER)
    fixed = any_bot.requests.view_submission(view, user_id=AM, values=_state(view, rows))
    posted()
    assert (fixed.status, fixed.body) == (200, b"")
    assert [row.text for row in _commitments(any_bot)] == ["Call back", "Fix the invoice"]


COMMANDS_WITH_NUL = [
    "account a\x00b",
    "commit ac\x00me",
    "open \x00",
    "meeting acme 2027-01-0\x00",
    "digest acme \x00",
    "sponsor acme <@U\x00>",
    "followups a\x00",
]


def test_a_nul_typed_into_a_command_gets_a_private_answer(
    any_bot: SlackBot, server_log: pytest.LogCaptureFixture
) -> None:
    _portfolio(any_bot)
    replies = [any_bot.requests.slash_command(text, user_id=AM) for text in COMMANDS_WITH_NUL]
    answers = [(reply.status, reply.json()) for reply in replies]
    refusal = {"response_type": "ephemeral", "text": NUL_IN_COMMAND}
    assert answers == [(200, refusal)] * len(COMMANDS_WITH_NUL)
    assert _tracebacks(server_log) == []
    assert any_bot.slack.calls_to("chat.postMessage") == []


# --- reactions delivered out of order while reactions.get fails ------------------------------


class LogWatch(logging.Handler):
    """Lets a test wait until the bot logged a line (a listener runs after its ack)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.cond:
            self.lines.append(record.getMessage())
            self.cond.notify_all()

    def wait_for(self, text: str, count: int = 1, timeout: float = 10.0) -> None:
        with self.cond:
            seen = self.cond.wait_for(lambda: sum(text in s for s in self.lines) >= count, timeout)
        assert seen, f"never logged {text!r} {count} time(s); logged: {self.lines}"


@pytest.fixture
def watch() -> Iterator[LogWatch]:
    handler = LogWatch()
    logger = logging.getLogger("handlers.commitments")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _reaction(bot: SlackBot, message: dict[str, Any], *, added: bool, at: float) -> None:
    """A reaction event as Slack delivers it: `event_ts` is when the person reacted."""
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": MEMBER,
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": ACME_CHANNEL, "ts": message["ts"]},
        "event_ts": f"{at:.6f}",
    }
    assert bot.requests.event(event).status == 200


def _status(bot: SlackBot) -> str:
    [commitment] = _commitments(bot)
    return commitment.status


def test_a_late_added_cannot_undo_a_removal_while_slack_cannot_be_asked(
    any_bot: SlackBot, watch: LogWatch
) -> None:
    _portfolio(any_bot)
    [message] = _log(any_bot, [_row("Send the 2027 roadmap", MEMBER)])
    any_bot.slack.fail_next("reactions.get", error="internal_error", count=1000)
    added_at = time.time() - 5

    # Slack cannot say what the message shows: each event's own meaning is all there is.
    updated = _expect(any_bot, "chat.update")
    _reaction(any_bot, message, added=True, at=added_at)
    updated()
    assert _status(any_bot) == "done"
    updated = _expect(any_bot, "chat.update")
    _reaction(any_bot, message, added=False, at=added_at + 2)
    updated()
    assert _status(any_bot) == "open"

    # Slack then delivers the "added" again, late: the person's last word stands.
    _reaction(any_bot, message, added=True, at=added_at)
    watch.wait_for(f"done reaction added by {MEMBER}: unchanged")
    assert _status(any_bot) == "open"
    assert _audit(any_bot)[1:] == [("commitment.done", MEMBER), ("commitment.reopened", MEMBER)]


def test_a_decision_made_without_slack_is_checked_again_when_slack_answers(
    any_bot: SlackBot, watch: LogWatch
) -> None:
    _portfolio(any_bot)
    [message] = _log(any_bot, [_row("Send the 2027 roadmap", MEMBER)])
    # ✅ added and removed at once; Slack cannot be asked, and the removal event is lost.
    any_bot.slack.fail_next("reactions.get", error="internal_error", count=1000)
    updated = _expect(any_bot, "chat.update")
    _reaction(any_bot, message, added=True, at=time.time())
    updated()
    assert _status(any_bot) == "done"

    # The re-check job's ticks, at a fixed moment later than anything this test stores: what
    # else a tick would owe the portfolio then (reminders, the monthly digest) is not this
    # test's business.
    later = datetime(2031, 6, 11, 12, 0, tzinfo=UTC)
    rechecks = [job for job in default_jobs() if job.name == "reaction_recheck"]
    still_failing = run_due_work(any_bot.runtime, later, jobs=rechecks)
    assert [(d.item.job, d.outcome) for d in still_failing.done] == [("reaction_recheck", "failed")]
    assert _status(any_bot) == "done"

    any_bot.slack.clear()  # Slack answers again: the message has no ✅
    SlackReactions(any_bot.slack)
    answered = run_due_work(any_bot.runtime, later + timedelta(minutes=2), jobs=rechecks)
    assert [(d.item.job, d.outcome, d.detail) for d in answered.done] == [
        ("reaction_recheck", "sent", "reopened")
    ]
    assert _status(any_bot) == "open"
    assert "~Send the 2027 roadmap~" not in _text_of(_current(any_bot, message))
    assert run_due_work(any_bot.runtime, later + timedelta(minutes=4), jobs=rechecks).done == []


def test_keys_the_ledger_column_cannot_hold_are_stored_hashed(any_runtime: Runtime) -> None:
    """Behind the request checks, a 4,000-character or NUL key (Socket Mode is not checked at the
    door) is still recorded once, on PostgreSQL too, and never mistaken for another."""
    keys = ["E" * 4000, "E" * 3999 + "F", "Ev\x0001", "Ev\x0002"]
    first = [first_time(any_runtime.sessions, "local", key) for key in keys]
    again = [first_time(any_runtime.sessions, "local", key) for key in keys]
    assert (first, again) == ([True] * 4, [False] * 4)


def test_what_slack_really_sends_still_gets_through(bot: SlackBot) -> None:
    assert bot.requests.url_verification("chal-123").json() == {"challenge": "chal-123"}
    assert bot.requests.send_form({"ssl_check": "1", "token": "x"}).status == 200
    home = {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D0HOME001"}
    published = _expect(bot, "views.publish")
    assert bot.requests.event(home).status == 200
    published()


def test_a_content_length_that_is_not_a_number_gets_400(
    bot: SlackBot, server_log: pytest.LogCaptureFixture
) -> None:
    port = int(bot.base_url.rsplit(":", 1)[1])
    answers = []
    for length in ("abc", "²", "-1", "1e3"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = f"POST /slack/events HTTP/1.0\r\nContent-Length: {length}\r\n\r\n{{}}"
            sock.sendall(head.encode())
            answers.append(sock.recv(64).split(b"\r\n", 1)[0])
    assert answers == [b"HTTP/1.0 400 Bad Request"] * 4
    assert _tracebacks(server_log) == []
    assert len(_refusals(server_log)) == 4
