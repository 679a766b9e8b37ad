"""`/voc account` latency end to end, at a small and at a very large portfolio.

Each request goes the way Slack's would: a signed slash command over HTTP into the WSGI app of
`voc serve`, through Bolt, access checks, the report use case and Block Kit rendering, and back to
a local fake of Slack's `response_url`. The clock stops when the report reaches that fake.

Printed: p50/p95 for a portfolio of ~10,000 responses and of ~1,000,000, and for the floor — a
`/voc ping` that does nothing but answer, through the same path in the same run — with ratios.

    python benchmarks/report_bench.py [--accounts 10000] [--cycles 8] [--people 12] [--requests 400]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.intake.service import import_accounts, import_responses
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from bot.web import create_wsgi_app
from storage.db import transaction
from tests.slack import FakeSlack, SlackRequests, serve_wsgi

SECRET = "bench-signing-secret"
AM = "U0BENCHAM1"
SEGMENTS = ["Enterprise", "Mid-Market", "Public Sector", "Healthcare"]


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
                    "role": "influencer",
                    "satisfaction": base,
                    "recommend": np.clip(base + rng.integers(-2, 3, rows), 0, 10),
                    "continue": np.clip(base + rng.integers(-1, 3, rows), 0, 10),
                    "rating:support": np.clip(base + rng.integers(-3, 2, rows), 0, 10),
                    "comment": "Solid partner, support could be faster.",
                }
            )
        )
    return roster, pd.concat(frames, ignore_index=True)


def load_portfolio(runtime: Runtime, roster: pd.DataFrame, responses: pd.DataFrame) -> float:
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        import_accounts(session, roster, workspace_id="local", actor="bench")
    chunk = 250_000
    for start in range(0, len(responses), chunk):
        with transaction(runtime.sessions) as session:
            import_responses(
                session, responses.iloc[start : start + chunk], workspace_id="local", actor="bench"
            )
    return time.perf_counter() - started


def measure(
    slack: FakeSlack, requests: SlackRequests, texts: Callable[[int], str], count: int
) -> list[float]:
    """Milliseconds from sending the command until its answer reached Slack."""
    latencies = []
    for i in range(count):
        url = slack.response_url()
        expected = len(slack.responses) + 1
        started = time.perf_counter()
        reply = requests.slash_command(texts(i), user_id=AM, response_url=url)
        if reply.status != 200:
            raise SystemExit(f"request failed: {reply.status} {reply.text}")
        slack.wait_for_response_url(count=expected, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def run_portfolio(
    label: str, directory: Path, accounts: int, cycles: int, people: int, count: int
) -> dict[str, tuple[float, float]]:
    url = f"sqlite:///{directory / (label + '.db')}"
    roster, responses = portfolio(accounts, cycles, people)
    with FakeSlack(validator=lambda method, params: []) as slack:
        settings = replace(
            load_settings(environ={"DATABASE_URL": url}, env_file=None),
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=slack.api_url,
        )
        runtime = open_runtime(settings)
        seconds = load_portfolio(runtime, roster, responses)
        print(
            f"{label}: {accounts} accounts, {len(responses):,} responses loaded in {seconds:.1f} s"
        )
        slack.add_user(AM, tz="Europe/Paris")
        with serve_wsgi(create_wsgi_app(runtime)) as base_url:
            requests = SlackRequests(base_url, SECRET, slack=slack)
            rng = random.Random(1)
            names = list(roster["account"])
            measure(slack, requests, lambda i: "ping", 20)  # warm-up: imports, caches, pools
            measure(slack, requests, lambda i: f"account {rng.choice(names)}", 20)
            floor = measure(slack, requests, lambda i: "ping", count)
            report = measure(slack, requests, lambda i: f"account {rng.choice(names)}", count)
        runtime.engine.dispose()
    return {"floor": percentiles(floor), "report": percentiles(report)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--small-accounts", type=int, default=105)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        small = run_portfolio(
            "small", directory, args.small_accounts, args.cycles, args.people, args.requests
        )
        large = run_portfolio(
            "large", directory, args.accounts, args.cycles, args.people, args.requests
        )
    print()
    print(f"{'':28}{'p50 ms':>10}{'p95 ms':>10}")
    for label, figures in (
        ("floor (/voc ping), small", small["floor"]),
        ("/voc account, small", small["report"]),
        ("floor (/voc ping), large", large["floor"]),
        ("/voc account, large", large["report"]),
    ):
        print(f"{label:28}{figures[0]:>10.1f}{figures[1]:>10.1f}")
    ratio_floor = large["report"][1] / large["floor"][1]
    ratio_size = large["report"][1] / small["report"][1]
    print()
    print(f"large p95 / floor p95 (same run):  {ratio_floor:.2f}  (target ≤ 3)")
    print(f"large p95 / small p95:             {ratio_size:.2f}  (target ≤ 1.3)")
    print(f"large p95:                          {large['report'][1]:.1f} ms  (target < 50 ms)")


if __name__ == "__main__":
    main()
