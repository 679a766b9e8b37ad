"""Issue 18, big and slow clients, against `voc serve` itself (gunicorn and its workers): bodies
no Slack payload reaches are refused before they are read, and clients that stall cannot stop
`/healthz` from answering. The rest of the issue's HTTP items are in test_security_http.py.
"""

from __future__ import annotations

import json
import select
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.worker import READ_TIMEOUT_SECONDS, SLOW_CLIENT_LINE
from bot.request_shape import MAX_BODY_BYTES
from tests.conftest import SIGNING_SECRET
from tests.serving import Served, voc_serve
from tests.slack import FakeSlack, signed_headers


@pytest.fixture
def served(tmp_path: Path, slack: FakeSlack) -> Iterator[Served]:
    with voc_serve(tmp_path, slack, f"sqlite:///{tmp_path / 'voc.db'}") as server:
        yield server


def _raw(port: int, head: str, body: bytes = b"", timeout: float = 30.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(head.encode() + b"\r\n" + body)
    return sock


def _status_line(sock: socket.socket) -> str:
    """The first line the server answered on `sock` (waits up to the socket's timeout)."""
    reply = b""
    while b"\r\n" not in reply:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.split(b"\r\n", 1)[0].decode()


def _post_head(length: int | None, **headers: str) -> str:
    lines = ["POST /slack/events HTTP/1.1", "Host: voc", "Content-Type: application/json"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n"


def test_bodies_bigger_than_any_slack_payload_get_413_before_they_are_read(
    served: Served,
) -> None:
    signed = signed_headers(SIGNING_SECRET, b"{}")
    tried = [
        # 20 MB declared, 1 kB sent: the answer comes without the other 20 MB.
        _raw(served.port, _post_head(20_000_000), b"{" + b" " * 1023),
        _raw(served.port, _post_head(5_000_000, **signed), b"{" + b" " * 1023),
        _raw(served.port, _post_head(MAX_BODY_BYTES + 1), b"{"),
    ]
    chunk = b" " * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    tried.append(_raw(served.port, _post_head(None), b"1\r\n{\r\n" + chunked))
    assert [_status_line(sock) for sock in tried] == ["HTTP/1.1 413 Content Too Large"] * 4
    for sock in tried:
        sock.close()
    with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as response:
        assert response.status == 200
    log = served.log()
    assert "Traceback" not in log
    assert log.count("refused POST /slack/events: ") == 4


def test_healthz_answers_while_slow_clients_hold_connections_open(served: Served) -> None:
    """The issue's attack: 16 connections send 5 bytes of a 100 kB body and stall."""
    stalled = [_raw(served.port, _post_head(100_000), b'{"ty') for _ in range(16)]
    answers = []
    for _ in range(5):
        with urllib.request.urlopen(f"{served.url}/healthz", timeout=30) as response:
            answers.append((response.status, json.loads(response.read())))
    assert answers == [(200, {"status": "ok"})] * 5
    # The stalled ones are answered and closed by the server's read deadline, not left open.
    assert {_status_line(sock) for sock in stalled} == {"HTTP/1.1 408 Request Timeout"}
    for sock in stalled:
        sock.close()
    log = served.log()
    assert "Traceback" not in log
    assert log.count("refused POST /slack/events: request body not received in time") == 16


def test_a_request_line_that_never_ends_is_cut_off_with_one_line(served: Served) -> None:
    """Five bytes of a request and nothing more: the server closes it, and says so once each."""
    stalled = [socket.create_connection(("127.0.0.1", served.port), timeout=30) for _ in range(4)]
    for sock in stalled:
        sock.sendall(b"POST ")
    with urllib.request.urlopen(f"{served.url}/healthz", timeout=30) as response:
        assert response.status == 200
    assert [sock.recv(1) for sock in stalled] == [b""] * 4  # closed by the server, unanswered
    for sock in stalled:
        sock.close()
    log = served.log()
    assert "Traceback" not in log
    assert log.count(SLOW_CLIENT_LINE % READ_TIMEOUT_SECONDS) == 4


def test_a_request_trickled_a_byte_at_a_time_is_cut_off_before_it_ends(served: Served) -> None:
    """No read ever waits long, yet the request as a whole must arrive within the deadline."""
    request = b"POST /slack/events HTTP/1.1\r\nHost: voc\r\nX-Padding: " + b"x" * 600 + b"\r\n\r\n"
    sent, closed = 0, False
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        while sent < 40 and not closed:  # 40 bytes, a byte a second: past the deadline
            sock.sendall(request[sent : sent + 1])
            sent += 1
            ready, _, _ = select.select([sock], [], [], 1.0)  # the server's answer, if any
            closed = bool(ready) and sock.recv(64) == b""
    assert closed and sent < len(request)
    log = served.log()
    assert "Traceback" not in log
    assert log.count(SLOW_CLIENT_LINE % READ_TIMEOUT_SECONDS) == 1
