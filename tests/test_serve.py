"""`voc serve` really serves: gunicorn workers, the health check, signed Slack requests."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SIGNING_SECRET
from tests.slack import FakeSlack, SlackRequests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen[bytes], deadline: float) -> None:
    """Read gunicorn's log until it says it is listening (the socket is bound by then)."""
    assert process.stderr is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"voc serve exited with {process.wait()}")
        if b"Listening at:" in line:
            return
    raise AssertionError("voc serve did not start listening")


@pytest.fixture
def served(tmp_path: Path, slack: FakeSlack) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'voc.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-scheduler",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_listening(process, time.monotonic() + 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_voc_serve_answers_health_checks_and_signed_commands(served: str, slack: FakeSlack) -> None:
    with urllib.request.urlopen(f"{served}/healthz", timeout=10) as response:
        assert response.status == 200
    requests = SlackRequests(served, SIGNING_SECRET, slack=slack)
    assert requests.slash_command("help").status == 200
    answer = slack.wait_for_response_url()[0]
    assert "/voc account NAME" in answer["text"]
    assert requests.slash_command("help", signature="v0=" + "f" * 64).status == 401


def test_voc_serve_without_a_signing_secret_names_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VOC_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'voc.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "SLACK_SIGNING_SECRET: required by `voc serve`" in done.stderr
