"""The HTTP face of `voc serve`: Slack's endpoints plus a health check, as one WSGI app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.runtime import Runtime

StartResponse = Callable[..., Any]


class VocWsgiApp:
    """Routes `/healthz` itself and hands everything else to Bolt (events, OAuth)."""

    def __init__(self, app: App, runtime: Runtime) -> None:
        self.bolt = SlackRequestHandler(app)
        self.runtime = runtime

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            return self.healthz(start_response)
        return self.bolt(environ, start_response)

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


def create_wsgi_app(runtime: Runtime) -> VocWsgiApp:
    from bot.app import create_app

    return VocWsgiApp(create_app(runtime.settings, runtime), runtime)
