"""`voc run` (Socket Mode) and `voc serve` (HTTP, gunicorn workers)."""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from threading import Event
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.cli import status
from bot.runtime import Runtime, open_runtime
from bot.settings import UnusableSetting

log = logging.getLogger(__name__)


def run_socket_mode(args: argparse.Namespace, runtime: Runtime) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    app = create_app(runtime.settings, runtime, socket_mode=True)
    handler = SocketModeHandler(app, runtime.settings.slack_app_token)
    try:
        handler.connect()  # the app token is first used here: refused, it is one line
    except SlackApiError as error:
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        raise UnusableSetting(f"SLACK_APP_TOKEN: Slack rejected it ({code})") from error
    _start_scheduler(runtime)
    print("voc: connected over Socket Mode; press Ctrl+C to stop")
    Event().wait()
    return status.OK


def run_http(args: argparse.Namespace, runtime: Runtime) -> int:
    """gunicorn with several workers; each worker builds its own app and database pool.

    The workers and this process (its scheduler) keep their metrics in one fresh directory,
    made before anything is counted or forked and removed when the server stops, so `/metrics`
    on any worker answers for the whole instance (`bot.metrics`).
    """
    from gunicorn.app.base import BaseApplication

    from bot import metrics
    from bot.cli.worker import THREADS

    directory = tempfile.mkdtemp(prefix="voc-metrics-")
    metrics.share_between_processes(directory)
    settings = runtime.settings
    runtime.engine.dispose()  # connections must not cross the fork into workers

    class VocServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", "bot.cli.worker.VocWorker")
            self.cfg.set("threads", THREADS)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")
            self.cfg.set("child_exit", lambda _server, worker: metrics.process_exited(worker.pid))
            if settings.log_format == "json":
                self.cfg.set("logger_class", "bot.cli.worker.JsonLogs")

        def load(self) -> Any:
            from bot.web import create_wsgi_app

            return create_wsgi_app(open_runtime(settings, migrate=False, concurrency=THREADS))

    if not args.no_scheduler:
        _start_scheduler(runtime)
    print(f"voc: serving on http://{args.host}:{args.port} (POST /slack/events, GET /healthz)")
    try:
        VocServer().run()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return status.OK


def _start_scheduler(runtime: Runtime) -> None:
    """One scheduler thread, in this process only.

    For `voc serve` this is gunicorn's master: workers are forked from it and do not inherit
    the thread, so a process group ticks once. Another host ticking too is safe (the ledger).
    """
    from bot.scheduler import start_background_scheduler

    start_background_scheduler(runtime)
