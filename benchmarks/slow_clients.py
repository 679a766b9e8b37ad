"""Slow clients against `voc serve`: does `/healthz` still answer while they stall?

Starts `voc serve` (two workers, a fresh SQLite file, a stand-in Slack answering `auth.test`),
opens `--stalled` connections that each send the headers of a 100 kB POST to /slack/events and
5 bytes of its body and then stall, and while they are open asks `/healthz` `--probes` times,
one after another, each with a `--probe-timeout`. Printed: how many probes were answered and
their latencies, then how long the server kept the stalled connections before closing them.
Then `--trickle` clients each send a request one byte a second: printed, how long the server
let them go on, and `/healthz` meanwhile. Then `--big` clients at once each start sending an
unsigned 20 MB JSON body: printed, how long until all were answered, with what, and `/healthz`.

Measure another tree (e.g. main, before the read timeouts) with `--tree /work/main`: its
package directory is put first on the import path of the served process.

    python benchmarks/slow_clients.py [--stalled 16] [--probes 10] [--tree PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.slack import FakeSlack  # noqa: E402  (a stand-in Slack for auth.test)

SECRET = "bench-signing-secret"
BODY_BYTES = 100_000
BIG_BYTES = 20_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", type=int, default=16)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--probe-timeout", type=float, default=20.0)
    parser.add_argument("--trickle", type=int, default=16, help="clients sending 1 byte/s")
    parser.add_argument("--big", type=int, default=16, help="clients sending 20 MB at once")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to serve")
    args = parser.parse_args()
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        server = _serve(args.tree, port, Path(tmp), slack.api_url)
        try:
            _measure(port, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _measure(port: int, args: argparse.Namespace) -> None:
    print(f"tree {args.tree}: {args.stalled} stalled connections, {args.probes} /healthz probes")
    baseline = _probe(port, args.probe_timeout)
    print(f"  /healthz with nothing stalled: {_shown(baseline)}")
    stalled = [_stall(port) for _ in range(args.stalled)]
    opened = time.monotonic()
    answers = [_probe(port, args.probe_timeout) for _ in range(args.probes)]
    answered = [a for a in answers if a is not None]
    print(f"  answered {len(answered)} of {args.probes} within {args.probe_timeout:.0f} s each")
    if answered:
        print(
            f"  latency median {statistics.median(answered) * 1000:.1f} ms,"
            f" max {max(answered) * 1000:.1f} ms"
        )
    closed = _wait_closed(stalled, deadline=opened + 60)
    kept = f"{closed - opened:.1f} s" if closed is not None else "still open after 60 s"
    print(f"  stalled connections closed by the server after: {kept}")
    if args.trickle:
        _measure_trickle(port, args)
    if args.big:
        _measure_big(port, args)


def _measure_trickle(port: int, args: argparse.Namespace) -> None:
    """`--trickle` clients each sending a request a byte a second, for at most 40 s."""
    request = b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Length: 100\r\n\r\n"
    cut_off: list[float] = []
    stop = threading.Event()

    def trickle() -> None:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for byte in request * 10:
                try:
                    sock.sendall(bytes([byte]))
                    if select.select([sock], [], [], 0)[0] and not sock.recv(64):
                        break  # the server closed it
                except OSError:
                    break
                if stop.wait(1.0):
                    return
            cut_off.append(time.monotonic() - started)

    senders = [threading.Thread(target=trickle) for _ in range(args.trickle)]
    for sender in senders:
        sender.start()
    stop.wait(2.0)
    probe = _probe(port, args.probe_timeout)
    stop.wait(40.0 - 2.0)
    stop.set()
    for sender in senders:
        sender.join(10)
    print(f"{args.trickle} clients trickling a request at one byte a second:")
    if cut_off:
        print(f"  {len(cut_off)} cut off by the server, after {max(cut_off):.1f} s at most")
    else:
        print("  none cut off by the server within 40 s")
    print(f"  /healthz meanwhile: {_shown(probe)}")


def _measure_big(port: int, args: argparse.Namespace) -> None:
    """`--big` clients each sending a 20 MB body as fast as they can."""
    statuses: list[str] = []
    started = time.monotonic()
    senders = [threading.Thread(target=_send_big, args=(port, statuses)) for _ in range(args.big)]
    for sender in senders:
        sender.start()
    probe = _probe(port, args.probe_timeout)
    for sender in senders:
        sender.join(120)
    took = time.monotonic() - started
    print(f"{args.big} clients sending unsigned 20 MB bodies at once:")
    print(f"  all answered after {took:.2f} s: {sorted(set(statuses))}")
    print(f"  /healthz meanwhile: {_shown(probe)}")


def _send_big(port: int, statuses: list[str]) -> None:
    body = b"[" * BIG_BYTES
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        with contextlib.suppress(OSError):  # refused before it was all sent: the server hung up
            sock.sendall(head.encode() + body)
        try:
            statuses.append(sock.recv(64).split(b"\r\n", 1)[0].decode() or "closed")
        except OSError as error:
            statuses.append(type(error).__name__)


def _serve(tree: Path, port: int, tmp: Path, api_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree.resolve()),
        "DATABASE_URL": f"sqlite:///{tmp / 'voc.db'}",
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2", "--no-scheduler"]
    process = subprocess.Popen(
        command, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _wait_until_listening(process)
    time.sleep(1)  # let both workers boot (a benchmark may wait; the tests wait on the log)
    return process


def _wait_until_listening(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise SystemExit(f"voc serve exited with {process.wait()}")
        if b"Listening at:" in line:
            return
    raise SystemExit("voc serve did not start listening")


def _stall(port: int) -> socket.socket:
    """Headers of a 100 kB signed-looking POST and 5 bytes of its body, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bench\r\n"
        "Content-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n"
        f"Content-Length: {BODY_BYTES}\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"ty')
    return sock


def _probe(port: int, timeout: float) -> float | None:
    """Seconds until `/healthz` answered 200, or None when it did not within `timeout`."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            reply = sock.recv(64)
    except OSError:
        return None
    return time.monotonic() - started if reply.startswith(b"HTTP/1.1 200") else None


def _wait_closed(sockets: list[socket.socket], deadline: float) -> float | None:
    """When the server had closed (or answered) every stalled connection."""
    pending = list(sockets)
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(pending, [], [], max(deadline - time.monotonic(), 0))
        for sock in ready:
            sock.close()
            pending.remove(sock)
    for sock in pending:
        sock.close()
    return time.monotonic() if not pending else None


def _shown(latency: float | None) -> str:
    return f"{latency * 1000:.1f} ms" if latency is not None else "no answer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
