"""The gunicorn worker of `voc serve`: gthread, with a deadline on reading each request.

gunicorn's gthread worker parks an idle connection in its poller, but once the first bytes
arrive a thread reads the rest of the request with no timeout: 16 clients that send five bytes
and stall hold 16 threads for as long as they like, and `/healthz` queues behind them. Here a
request must arrive whole within `READ_TIMEOUT_SECONDS` of its first byte — however it is
trickled — or its connection is closed (a body: answered 408 by `bot.request_shape`), with one
log line; and the threads outnumber what a handful of stalled clients can hold. Against many
slow clients the answer is a buffering reverse proxy in front (README, "Deploying"), which
hands gunicorn only complete requests.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

from bot.cli.logs import JsonFormatter

READ_TIMEOUT_SECONDS = 10.0
THREADS = 32
SLOW_CLIENT_LINE = "closed a connection that sent no complete request within %.0f s"


class _RequestDeadline:
    """The client socket as gunicorn's request parser reads it: every `recv` is allowed only
    what is left of the request's deadline, so a byte every few seconds does not reset it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        self.missed = False

    def restart(self) -> None:
        self.deadline = time.monotonic() + READ_TIMEOUT_SECONDS

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError("request not received in time")
            self.sock.settimeout(remaining)
            return self.sock.recv(size)
        except TimeoutError:
            self.missed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _TimedConn(TConn):  # type: ignore[misc]
    """A client connection whose every request must arrive within the deadline.

    gunicorn calls `init` at the start of each request the connection carries (its first bytes
    are there), so this is the one place the deadline always starts.
    """

    def init(self) -> None:
        super().init()
        self.sock.settimeout(READ_TIMEOUT_SECONDS)
        unreader = getattr(self.parser, "unreader", None)
        if unreader is None or not hasattr(unreader, "sock"):
            return
        if not isinstance(unreader.sock, _RequestDeadline):
            unreader.sock = _RequestDeadline(unreader.sock)
        unreader.sock.restart()

    def close(self, graceful: bool = False) -> None:
        """A client that missed its deadline is not waited for: gunicorn's graceful close
        lingers two seconds reading, on the worker's only poller thread, for each of them."""
        reader = getattr(getattr(self.parser, "unreader", None), "sock", None)
        missed = isinstance(reader, _RequestDeadline) and reader.missed
        super().close(graceful=graceful and not missed)


class SlowClientTimeouts(logging.Filter):
    """gunicorn reports a read that timed out as a socket error, with a traceback; it is a
    slow client, so it becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TimeoutError):
            record.msg, record.args = SLOW_CLIENT_LINE, (READ_TIMEOUT_SECONDS,)
            record.exc_info, record.exc_text, record.levelno = None, None, logging.INFO
            record.levelname = "INFO"
        return True


class VocWorker(ThreadWorker):  # type: ignore[misc]
    """gthread with `_TimedConn` connections."""

    def init_process(self) -> None:
        self.log.error_log.addFilter(SlowClientTimeouts())
        super().init_process()

    def accept(self, listener: Any) -> None:
        """gthread's own `accept`, making a `_TimedConn`."""
        try:
            client_sock, client_addr = listener.accept()
            self.nr_conns += 1
            client_sock.setblocking(True)
            conn = _TimedConn(self.cfg, client_sock, client_addr, listener.getsockname())
            self.enqueue_req(conn)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise


class JsonLogs(Logger):  # type: ignore[misc]
    """gunicorn's own lines (start, workers, access) as JSON objects too, with
    `VOC_LOG_FORMAT=json`: one stream a log shipper parses whole."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())
