"""How long a `voc` command takes to start, whole process, against its baseline; worker memory.

The commands run as people run them (the `voc` console script, a fresh process each time) on a
database filled by `voc demo`, interleaved with their baselines and repeated, medians printed:

- `voc --help` against `python -c pass` (target: within +0.15 s);
- `voc account NAME` against `python -c "import pandas, sqlalchemy"` (target: within 1.3×);
- `voc tick --dry-run`, for information.

Then `voc serve --workers 2` (no scheduler) answers `--requests` signed `/voc account` commands
from 8 concurrent clients, against the fake Slack Web API, and each worker's resident memory
(VmRSS, and its peak VmHWM) is printed with the pool and page-cache sizes it runs with.

    python benchmarks/startup_bench.py [--repeat 7] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cli import clean_env
from tests.slack import FakeSlack, SlackRequests

PYTHON = sys.executable
VOC = str(Path(sys.executable).with_name("voc"))
SECRET = "bench-signing-secret"
CLIENTS = 8


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-500:]}")
    return took


def medians(runs: dict[str, list[str]], cwd: Path, env: dict[str, str], repeat: int) -> dict:
    """Each command `repeat` times, interleaved so a busy moment of the machine hits them all."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, argv in runs.items():
            times[name].append(timed(argv, cwd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def demo_database(directory: Path, env: dict[str, str]) -> str:
    """`voc demo` into a fresh file; the name of its largest account."""
    subprocess.run([VOC, "demo"], cwd=directory, env=env, check=True, capture_output=True)
    with sqlite3.connect(directory / "voc.db") as connection:
        (name,) = connection.execute(
            "SELECT a.name FROM accounts a JOIN responses r ON r.account_id = a.id "
            "GROUP BY a.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return str(name)


def start_up(directory: Path, env: dict[str, str], account: str, repeat: int) -> None:
    runs = {
        "python -c pass": [PYTHON, "-c", "pass"],
        "voc --help": [VOC, "--help"],
        'python -c "import pandas, sqlalchemy"': [PYTHON, "-c", "import pandas, sqlalchemy"],
        f"voc account {account}": [VOC, "account", account],
        "voc tick --dry-run": [VOC, "tick", "--dry-run"],
    }
    found = medians(runs, directory, env, repeat)
    for name, value in found.items():
        print(f"  {name:<45} {value * 1000:7.0f} ms (median of {repeat})")
    floor, helped = found["python -c pass"], found["voc --help"]
    libraries, report = (
        found['python -c "import pandas, sqlalchemy"'],
        found[f"voc account {account}"],
    )
    print(f"voc --help: +{(helped - floor) * 1000:.0f} ms over python -c pass (target: +150 ms)")
    print(f"voc account: {report / libraries:.2f}× import pandas, sqlalchemy (target: 1.30×)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_memory(directory: Path, env: dict[str, str], account: str, requests: int) -> None:
    from storage.db import KEPT_CONNECTIONS, SQLITE_CACHE_BUDGET_KIB

    with FakeSlack() as slack:
        port = free_port()
        serving = {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "VOC_ACCESS": "open",
        }
        server = subprocess.Popen(
            [VOC, "serve", "--workers", "2", "--no-scheduler", "--port", str(port)],
            cwd=directory,
            env=serving,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_port(port)
            signed = SlackRequests(f"http://127.0.0.1:{port}", SECRET, slack=slack)

            def ask(_: int) -> int:
                url = slack.response_url()
                return signed.slash_command(f"account {account}", response_url=url).status

            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as clients:
                statuses = list(clients.map(ask, range(requests)))
            slack.wait_for_response_url(count=requests, timeout=120)
            took = time.perf_counter() - started
            print(
                f"voc serve --workers 2: {requests} /voc account from {CLIENTS} clients in "
                f"{took:.1f} s, {sum(s != 200 for s in statuses)} non-200"
            )
            per_connection = SQLITE_CACHE_BUDGET_KIB // KEPT_CONNECTIONS // 1024
            print(
                f"  pool: {KEPT_CONNECTIONS} connections kept per worker, page cache "
                f"{per_connection} MiB each (was 5 kept × 32 MiB)"
            )
            for pid, rss, peak in _workers_memory(server.pid):
                print(f"  worker {pid}: RSS {rss / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB)")
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("voc serve did not start listening")


def _workers_memory(parent: int) -> list[tuple[int, int, int]]:
    """(pid, VmRSS KiB, VmHWM KiB) of each child process of `parent` (gunicorn's workers)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == parent:
            kib = {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}
            found.append((int(status.parent.name), kib["VmRSS"], kib["VmHWM"]))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    env = clean_env(DATABASE_URL=f"sqlite:///{directory / 'voc.db'}")
    env.pop("PYTHONPATH", None)
    account = demo_database(directory, env)
    print(f"start-up, whole process, on the demo portfolio ({os.cpu_count()} CPUs):")
    start_up(directory, env, account, args.repeat)
    worker_memory(directory, env, account, args.requests)


if __name__ == "__main__":
    main()
