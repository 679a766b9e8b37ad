"""`voc serve` really serves: gunicorn workers, the health check, signed Slack requests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SIGNING_SECRET
from tests.serving import voc_serve
from tests.slack import FakeSlack, SlackRequests


@pytest.fixture
def served(tmp_path: Path, slack: FakeSlack) -> Iterator[str]:
    with voc_serve(tmp_path, slack, f"sqlite:///{tmp_path / 'voc.db'}") as server:
        yield server.url


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
