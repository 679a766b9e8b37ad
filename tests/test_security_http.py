"""Issue 18, the HTTP half: hostile and broken requests reach `voc serve`'s real WSGI app and
get a 4xx and one log line, never a 500 or a traceback; replays record nothing twice; NULs typed
into a modal are refused on the field; a reaction Slack delivers late cannot undo a newer one.

Each list below is what was tried; the tests count the answers, so a new case is one line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import ProcessedEvent
from tests.conftest import SIGNING_SECRET, SlackBot, _runtime
from tests.slack import FakeSlack, SlackRequests, serve_wsgi

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
