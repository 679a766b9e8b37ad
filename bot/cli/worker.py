"""The gunicorn worker of `voc serve`: gthread, with a deadline on every read from a client.

gunicorn's gthread worker parks an idle connection in its poller, but once the first bytes
arrive a thread reads the rest of the request with no timeout: 16 clients that send five bytes
and stall hold 16 threads for as long as they like, and `/healthz` queues behind them. Here
every read from a client socket gives up after `READ_TIMEOUT_SECONDS` (the connection is
closed, with one log line), and the threads outnumber what a handful of stalled clients can
hold. Against many slow clients the answer is a buffering reverse proxy in front (README,
"Deployment"), which hands gunicorn only complete requests.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

READ_TIMEOUT_SECONDS = 10.0
THREADS = 32
SLOW_CLIENT_LINE = "closed a connection that sent no complete request within %.0f s"


class _TimedConn(TConn):  # type: ignore[misc]
    """A client connection whose every read has a deadline, on each request it carries.

    gunicorn sets the socket blocking (no timeout) before each request; `init` runs right
    after that, every time, so this is the one place the timeout always holds.
    """

    def init(self) -> None:
        super().init()
        self.sock.settimeout(READ_TIMEOUT_SECONDS)


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
