"""`voc serve` and `voc run` ask Slack about the token once, before any worker or socket starts:
a refused token or an unreachable Slack is one line naming the setting, and exit 78."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli import voc
from tests.slack import FakeSlack

EXIT_CONFIG = 78
COMMANDS = {
    "serve": ("serve", "--port", "1"),  # never bound: the check comes first
    "run": ("run",),
}
TOKENS = {
    "SLACK_BOT_TOKEN": "xoxb-revoked",
    "SLACK_SIGNING_SECRET": "secret",
    "SLACK_APP_TOKEN": "xapp-test",
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_token_slack_rejects_is_one_line(tmp_path: Path, slack: FakeSlack, command: str) -> None:
    slack.fail_next("auth.test", error="invalid_auth")
    ran = voc(*COMMANDS[command], cwd=tmp_path, SLACK_API_URL=slack.api_url, **TOKENS)
    assert (ran.code, ran.err_lines, ran.out) == (
        EXIT_CONFIG,
        ["SLACK_BOT_TOKEN: Slack rejected it (invalid_auth)"],
        "",
    )
    assert [call.method for call in slack.calls] == ["auth.test"]
    assert not (tmp_path / "voc.db").exists()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unreachable_slack_is_one_line(tmp_path: Path, command: str) -> None:
    api_url = f"http://127.0.0.1:{_closed_port()}/api/"
    ran = voc(*COMMANDS[command], cwd=tmp_path, SLACK_API_URL=api_url, **TOKENS)
    assert (ran.code, ran.err_lines, ran.out) == (
        EXIT_CONFIG,
        [f"SLACK_API_URL: Slack could not be reached ({api_url}: Connection refused)"],
        "",
    )


def test_an_app_token_slack_rejects_is_one_line(tmp_path: Path, slack: FakeSlack) -> None:
    slack.fail_next("apps.connections.open", error="invalid_auth")
    ran = voc("run", cwd=tmp_path, SLACK_API_URL=slack.api_url, **TOKENS)
    assert ran.code == EXIT_CONFIG
    assert ran.err_lines[-1] == "SLACK_APP_TOKEN: Slack rejected it (invalid_auth)"
    assert "Traceback" not in ran.err
