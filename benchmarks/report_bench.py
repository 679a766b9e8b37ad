"""`/voc account` under load through `voc serve`, against `/voc ping` in the same run.

The bot runs as it does in production: `voc serve --workers 2` (gunicorn, gthread) on a SQLite
file, talking to a local stand-in of Slack's Web API and `response_url`s. `--clients` threads
each send signed slash commands, one after another, the way a busy channel does; a request is
done when its answer reached the stand-in's `response_url` (the ack alone is not the work).

For each portfolio size (about 10,000 and about 1,000,000 responses) and each command, printed:
throughput, p50/p95 latency, the workers' CPU per request (utime + stime from /proc/PID/stat,
before and after the phase, over all workers) and their RSS at the end; then the ratio of
`/voc account` throughput to `/voc ping` throughput (target: at least 1/3).

The million-response database is imported once through the real importer and kept under the
temporary directory (`--cache`), so later runs only measure. `--responses 10k` measures the
small portfolio only.

    python benchmarks/report_bench.py [--responses 10k|1m|both] [--requests 800] [--clients 8]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.intake.service import import_accounts, import_responses  # noqa: E402
from bot.runtime import open_runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from storage.db import transaction  # noqa: E402
from tests.slack import FakeSlack, SlackRequests  # noqa: E402

SECRET = "bench-signing-secret"
AM = "U0BENCHAM1"
SEGMENTS = ["Enterprise", "Mid-Market", "Public Sector", "Healthcare"]
SIZES = {"10k": (105, 8, 12), "1m": (10_000, 8, 12)}  # accounts, cycles, people per account
TICKS = os.sysconf("SC_CLK_TCK")


# --- the portfolio ------------------------------------------------------------------------------


def portfolio(
    accounts: int, cycles: int, people: int, seed: int = 7
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts and responses, generated with numpy so a million rows take seconds."""
    rng = np.random.default_rng(seed)
    names = [f"Account {i:05d}" for i in range(accounts)]
    roster = pd.DataFrame(
        {
            "account": names,
            "segment": [SEGMENTS[i % len(SEGMENTS)] for i in range(accounts)],
            "tier": ["strategic" if i % 20 == 0 else "standard" for i in range(accounts)],
            "account_manager": AM,
            "channel": [f"C{i:08d}" for i in range(accounts)],
        }
    )
    per_account = rng.integers(max(3, people - 4), people + 5, size=accounts)
    account_index = np.repeat(np.arange(accounts), per_account)
    person_index = np.concatenate([np.arange(n) for n in per_account])
    rows = len(account_index)
    frames = []
    for cycle in range(cycles):
        base = np.clip(rng.normal(7.2, 1.8, rows), 0, 10).round()
        frames.append(
            pd.DataFrame(
                {
                    "account": np.asarray(names, dtype=object)[account_index],
                    "cycle": f"20{24 + cycle // 4}-Q{cycle % 4 + 1}",
                    "respondent": [f"Person {p}" for p in person_index],
                    "email": [
                        f"p{p}.a{a}@example.com"
                        for a, p in zip(account_index, person_index, strict=True)
                    ],
                    "title": "Director",
                    "role": np.where(person_index % 4 == 0, "decision_maker", "influencer"),
                    "satisfaction": base,
                    "recommend": np.clip(base + rng.integers(-2, 3, rows), 0, 10),
                    "continue": np.clip(base + rng.integers(-1, 3, rows), 0, 10),
                    "rating:support": np.clip(base + rng.integers(-3, 2, rows), 0, 10),
                    "comment": "Solid partner, support could be faster.",
                }
            )
        )
    return roster, pd.concat(frames, ignore_index=True)


def database(size: str, cache: Path) -> tuple[Path, list[str], int]:
    """The portfolio's SQLite file (imported once, then reused) and its account names."""
    accounts, cycles, people = SIZES[size]
    roster, responses = portfolio(accounts, cycles, people)
    path = cache / f"report-bench-{size}-{_fingerprint()}.db"
    if path.exists():
        return path, list(roster["account"]), len(responses)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    runtime = open_runtime(load_settings(environ={"DATABASE_URL": url}, env_file=None))
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        import_accounts(session, roster, workspace_id="local", actor="bench")
    for start in range(0, len(responses), 250_000):
        with transaction(runtime.sessions) as session:
            part = responses.iloc[start : start + 250_000]
            import_responses(session, part, workspace_id="local", actor="bench")
    runtime.engine.dispose()
    print(f"{size}: imported {len(responses):,} responses in {time.perf_counter() - started:.0f} s")
    shutil.move(partial, path)
    return path, list(roster["account"]), len(responses)


def _fingerprint() -> str:
    """What the stored rows depend on (the schema, the figures' arithmetic): a cached file from
    other code is imported again rather than served stale."""
    digest = hashlib.blake2b(digest_size=6)
    sources = [*sorted((ROOT / "storage" / "migrations" / "versions").glob("*.py"))]
    sources += [*sorted((ROOT / "bot" / "figures").glob("*.py")), ROOT / "bot" / "insights.py"]
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()


# --- the server and its workers -----------------------------------------------------------------


class AnsweringSlack(FakeSlack):
    """The stand-in Slack, telling each waiting client the moment its answer arrived."""

    def __init__(self) -> None:
        super().__init__(validator=lambda method, params: [])
        self.arrived: dict[str, threading.Event] = {}

    def handle_response_url(self, url: str, body: bytes):  # type: ignore[no-untyped-def]
        reply = super().handle_response_url(url, body)
        event = self.arrived.get(url)
        if event is not None:
            event.set()
        return reply


def serve(
    database_path: Path, api_url: str, tmp: Path, workers: int
) -> tuple[subprocess.Popen[bytes], int]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{database_path}",
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
    }
    port = _free_port()
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-scheduler"]
    process = subprocess.Popen(
        command, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _wait_until_listening(process)
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return process, port


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def _drain(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    for _ in process.stderr:
        pass


def workers_of(master: int, expected: int) -> list[int]:
    """The gunicorn workers: the master's children, once all have booted."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    children.append(int(entry))
        if len(children) >= expected:
            return sorted(children)
        time.sleep(0.2)
    raise SystemExit("the workers did not start")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def rss_mib(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


# --- the load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        cpu_ms = 1000 * self.cpu_seconds / self.requests
        return (
            f"  {self.label:14}{self.throughput:>9.1f} req/s{p50:>9.1f}{p95:>9.1f}{cpu_ms:>14.2f}"
        )


def load(
    slack: AnsweringSlack,
    port: int,
    workers: list[int],
    label: str,
    texts: list[str],
    clients: int,
) -> Phase:
    """Send `texts` from `clients` threads at once; each waits for its answer before the next."""
    requests = SlackRequests(f"http://127.0.0.1:{port}", SECRET, slack=slack, timeout=60)
    queue = list(reversed(texts))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                text = queue.pop()
            url = slack.response_url()
            arrived = slack.arrived[url] = threading.Event()
            started = time.perf_counter()
            reply = requests.slash_command(text, user_id=AM, response_url=url)
            if reply.status != 200 or not arrived.wait(60):
                failures.append(f"{text}: {reply.status} {reply.text[:200]}")
                return
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                del slack.arrived[url]

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu_before = cpu_seconds(workers)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(workers) - cpu_before
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return Phase(label, len(texts), seconds, latencies, cpu)


def measure(size: str, cache: Path, requests: int, clients: int, workers: int) -> float:
    path, names, responses = database(size, cache)
    rng = random.Random(1)
    print(
        f"{size}: {len(names):,} accounts, {responses:,} responses, "
        f"{workers} workers, {clients} clients"
    )
    with AnsweringSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        slack.add_user(AM, tz="Europe/Paris")
        server, port = serve(path, slack.api_url, Path(tmp), workers)
        try:
            pids = workers_of(server.pid, workers)
            warm = max(40, clients * 5)  # imports, caches and pools of every worker
            load(slack, port, pids, "warm-up", ["ping"] * warm, clients)
            load(
                slack,
                port,
                pids,
                "warm-up",
                [f"account {rng.choice(names)}" for _ in range(warm)],
                clients,
            )
            ping = load(slack, port, pids, "/voc ping", ["ping"] * requests, clients)
            report = load(
                slack,
                port,
                pids,
                "/voc account",
                [f"account {rng.choice(names)}" for _ in range(requests)],
                clients,
            )
            memory = rss_mib(pids)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"  {'':14}{'throughput':>15}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms/req':>14}")
    print(ping.line())
    print(report.line())
    ratio = report.throughput / ping.throughput
    cpu_ratio = (report.cpu_seconds / report.requests) / (ping.cpu_seconds / ping.requests)
    print(f"  worker RSS: {', '.join(f'{m:.0f} MiB' for m in memory)}")
    print(
        f"  /voc account ÷ /voc ping throughput: {ratio:.2f} (target ≥ 0.33); "
        f"CPU per request: {cpu_ratio:.1f}× ping"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", choices=["10k", "1m", "both"], default="both")
    parser.add_argument("--requests", type=int, default=800, help="per command and size")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "voc-report-bench",
        help="where the imported portfolios are kept between runs",
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sizes = ["10k", "1m"] if args.responses == "both" else [args.responses]
    for size in sizes:
        measure(size, args.cache, args.requests, args.clients, args.workers)


if __name__ == "__main__":
    main()
