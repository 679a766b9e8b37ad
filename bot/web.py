"""The HTTP face of `voc serve`: Slack's endpoints plus what operators ask, as one WSGI app.

`/healthz` is liveness (the process answers and so does the database), `/readyz` readiness (and
the schema is the one this code needs: a load balancer sends no traffic to an instance started
before `voc db upgrade` finished), `/metrics` the Prometheus text (`bot.metrics`).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot import metrics
from bot.core.log_keys import keyed
from bot.request_shape import Refused, Shape, check_shape, check_signature, read_body
from bot.runtime import Runtime
from storage.db import HEAD_REVISION, schema_problem

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"

log = logging.getLogger(__name__)


class VocWsgiApp:
    """Answers `/healthz`, `/readyz` and `/metrics` itself, checks Slack's requests, and hands
    them to Bolt (events, OAuth)."""

    def __init__(self, app: App, runtime: Runtime) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.runtime = runtime
        self.signing_secret = runtime.settings.slack_signing_secret or ""
        self.head = HEAD_REVISION  # from the migration files, read once at import

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path == "/healthz" and method == "GET":
            return self.healthz(start_response)
        if path == "/readyz" and method == "GET":
            return self.readyz(start_response)
        if path == "/metrics" and method == "GET":
            return self.metrics(start_response)
        if path == EVENTS_PATH and method == "POST":
            return self.slack_request(environ, start_response)
        return self.bolt(environ, start_response)

    def slack_request(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Admit, hand to Bolt under the request's log key, and count the answer by kind."""
        started = time.perf_counter()
        answered: list[int] = []

        def recording(status: str, headers: Any, *args: Any) -> Any:
            answered.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, *args)

        try:
            shape = self.admit(environ)
        except Refused as refused:
            body = self.refuse(environ, refused, recording)
            shape = Shape("refused")
        else:
            with keyed(shape.key):
                body = self.bolt(environ, recording)
        metrics.record_request(shape.kind, answered[0] if answered else 0, _since(started))
        return body

    def admit(self, environ: dict[str, Any]) -> Shape:
        """Size, signature, then shape (see `bot.request_shape`); the body read once, kept for
        Bolt. Bolt checks the signature again, which costs one HMAC."""
        body = read_body(environ)
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        check_signature(headers, body, self.signing_secret, time.time())
        shape = check_shape(body, str(environ.get("CONTENT_TYPE") or ""))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return shape

    def refuse(
        self, environ: dict[str, Any], refused: Refused, start_response: StartResponse
    ) -> Iterable[bytes]:
        """One log line, no traceback; the body says why, as Slack's own errors do."""
        log.warning("refused %s %s: %s", environ.get("REQUEST_METHOD"), EVENTS_PATH, refused.reason)
        payload = json.dumps({"error": refused.reason}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        start_response(f"{refused.status} {_REASONS[refused.status]}", headers)
        return [payload]

    def healthz(self, start_response: StartResponse) -> Iterable[bytes]:
        """Healthy means the database answers: without it the bot can do nothing useful."""
        try:
            with self.runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            status, body = "200 OK", {"status": "ok"}
        except Exception as error:  # a health check reports, it does not raise
            status, body = "503 Service Unavailable", {"status": "error", "error": str(error)}
        return _answer(start_response, status, "application/json", json.dumps(body).encode())

    def readyz(self, start_response: StartResponse) -> Iterable[bytes]:
        """Ready means the database answers and its schema is at this code's head; the reason
        otherwise, in one line (an orchestrator shows it as the probe's output)."""
        problem = schema_problem(self.runtime.engine, self.head)
        if problem is None:
            return _answer(start_response, "200 OK", "text/plain; charset=utf-8", b"ready\n")
        line = f"not ready: {' '.join(problem.split())}\n".encode()
        return _answer(start_response, "503 Service Unavailable", "text/plain; charset=utf-8", line)

    def metrics(self, start_response: StartResponse) -> Iterable[bytes]:
        return _answer(
            start_response, "200 OK", metrics.CONTENT_TYPE, metrics.exposition(self.runtime)
        )


def _answer(
    start_response: StartResponse, status: str, content_type: str, payload: bytes
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(payload)))])
    return [payload]


def _since(started: float) -> float:
    return time.perf_counter() - started


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    408: "Request Timeout",
    413: "Content Too Large",
}


def create_wsgi_app(runtime: Runtime) -> VocWsgiApp:
    from bot.app import create_app

    return VocWsgiApp(create_app(runtime.settings, runtime), runtime)
