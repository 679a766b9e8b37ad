"""`voc serve` with two workers: /metrics sums every process, /readyz says ready.

The counts asserted are the requests this test made; whichever worker answers a scrape, it
reports the instance's total (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SIGNING_SECRET
from tests.serving import _free_port, voc_serve
from tests.slack import FakeSlack, SlackRequests

COMMANDS = 7


@pytest.fixture
def served(tmp_path: Path, slack: FakeSlack) -> Iterator[str]:
    """Two workers and the scheduler in the parent, as in production."""
    database = f"sqlite:///{tmp_path / 'voc.db'}"
    with voc_serve(tmp_path, slack, database, scheduler=True) as server:
        yield server.url


def _samples(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _wait_for_sample(base_url: str, name: str, labels: dict[str, str]) -> float:
    """The scheduler ticks once at start, in its own thread: wait for it, with a deadline."""
    key = (name, tuple(sorted(labels.items())))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (value := _samples(base_url).get(key)) is not None:
            return value
    raise AssertionError(f"{name}{labels} never reported")


def test_metrics_count_every_request_whichever_worker_answers(
    served: str, slack: FakeSlack
) -> None:
    requests = SlackRequests(served, SIGNING_SECRET, slack=slack, timeout=30)
    for _ in range(COMMANDS):
        assert requests.slash_command("help").status == 200
    assert requests.slash_command("help", signature="v0=" + "f" * 64).status == 401
    slack.wait_for_response_url(COMMANDS, timeout=30)

    assert _wait_for_sample(served, "voc_scheduler_ticks_total", {"result": "ok"}) == 1
    for _ in range(3):  # each scrape may land on either worker: all say the same
        samples = _samples(served)
        assert samples[("voc_slack_requests_total", (("kind", "command"), ("status", "200")))] == (
            COMMANDS
        )
        assert samples[("voc_slack_requests_total", (("kind", "refused"), ("status", "401")))] == 1
        assert samples[("voc_slack_ack_seconds_count", (("kind", "command"),))] == COMMANDS
        assert samples[("voc_slack_ack_seconds_bucket", (("kind", "command"), ("le", "+Inf")))] == (
            COMMANDS
        )
        assert samples[("voc_scheduler_tick_seconds_count", (("result", "ok"),))] == 1
        assert samples[("voc_ledger_backlog", (("state", "owed"),))] == 0
        assert samples[("voc_ledger_backlog", (("state", "sending"),))] == 0


def test_readyz_is_ready_once_the_schema_is_at_head(served: str) -> None:
    with urllib.request.urlopen(f"{served}/readyz", timeout=10) as response:
        assert (response.status, response.read()) == (200, b"ready\n")


def test_with_json_logs_gunicorn_speaks_json_too(tmp_path: Path, slack: FakeSlack) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'voc.db'}",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "VOC_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--workers", "1"]
    process = subprocess.Popen(
        [*command, "--port", str(_free_port()), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[bytes] = []
    deadline = time.monotonic() + 30
    try:
        while not any(b"Listening at:" in line for line in lines):
            ready, _, _ = select.select([process.stderr], [], [], deadline - time.monotonic())
            assert ready, "voc serve did not start listening"
            line = process.stderr.readline()
            assert line, f"voc serve exited with {process.wait()}"
            lines.append(line)
    finally:
        process.terminate()
        _, rest = process.communicate(timeout=30)
    entries = [json.loads(line) for line in [*lines, *rest.splitlines()] if line.strip()]
    assert any(entry["message"].startswith("Listening at:") for entry in entries)
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
