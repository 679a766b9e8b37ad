"""A real `voc serve` (gunicorn, two workers) on a free local port, for the tests that need the
processes themselves: health checks, metrics across workers, killed workers, slow clients."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SIGNING_SECRET
from tests.slack import FakeSlack

STARTED_WITHIN_SECONDS = 30


@dataclass
class Served:
    """A running `voc serve`; `log()` stops it and returns everything it logged."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        self.process.terminate()
        _, stderr = self.process.communicate(timeout=30)
        return stderr.decode(errors="replace")


@contextmanager
def voc_serve(
    tmp_path: Path, slack: FakeSlack, database_url: str, *, scheduler: bool = False
) -> Iterator[Served]:
    """`voc serve --workers 2` against `database_url` and the fake Slack, stopped at the end;
    without `scheduler` ticks are the test's to run (as cron would)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", *([] if scheduler else ["--no-scheduler"])]
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_until_listening(process, time.monotonic() + STARTED_WITHIN_SECONDS)
        yield Served(process, port)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


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
