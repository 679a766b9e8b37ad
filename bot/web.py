"""The HTTP face of `voc serve`: Slack's endpoints plus a health check, as one WSGI app."""

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

from bot.request_shape import Refused, check_shape, check_signature, read_body
from bot.runtime import Runtime

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"

log = logging.getLogger(__name__)


class VocWsgiApp:
    """Routes `/healthz` itself, checks Slack's requests, and hands them to Bolt (events, OAuth)."""

    def __init__(self, app: App, runtime: Runtime) -> None:
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.runtime = runtime
        self.signing_secret = runtime.settings.slack_signing_secret or ""

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if path == "/healthz" and method == "GET":
            return self.healthz(start_response)
        if path == EVENTS_PATH and method == "POST":
            try:
                self.admit(environ)
            except Refused as refused:
                return self.refuse(environ, refused, start_response)
        return self.bolt(environ, start_response)

    def admit(self, environ: dict[str, Any]) -> None:
        """Size, signature, then shape (see `bot.request_shape`); the body read once, kept for
        Bolt. Bolt checks the signature again, which costs one HMAC."""
        body = read_body(environ)
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        check_signature(headers, body, self.signing_secret, time.time())
        check_shape(body, str(environ.get("CONTENT_TYPE") or ""))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))

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
        payload = json.dumps(body).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    408: "Request Timeout",
    413: "Content Too Large",
}


def create_wsgi_app(runtime: Runtime) -> VocWsgiApp:
    from bot.app import create_app

    return VocWsgiApp(create_app(runtime.settings, runtime), runtime)
