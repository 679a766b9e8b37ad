"""`voc drivers --json` at ~10,000 and at ~1,000,000 responses: the same cost at any size.

The drivers are computed from sufficient statistics kept per (cycle, segment, answer pattern)
when data is imported, so the query reads a few dozen small rows whatever the number of
responses. Both portfolios are built here (numpy, four attributes each left blank by some
respondents, four segments, eight cycles), imported through `bot.intake.service`, then timed in
the same run, so the two figures are comparable even on a busy machine:

- `drivers --json`: the use case and its JSON, as `voc drivers --json` runs them after start-up
  (`key_drivers` → `to_json` → `json.dumps`), all customers and one segment;
- `voc main()`: the whole command in-process, settings and database start-up included.

    python benchmarks/drivers_bench.py [--small 10000] [--large 1000000] [--repeat 50]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cli import main as voc
from bot.drivers.service import key_drivers
from bot.intake.service import import_accounts, import_responses
from bot.runtime import Runtime, open_runtime
from bot.settings import load_settings
from storage.db import transaction

SEGMENTS = ["Enterprise", "Mid-Market", "Public Sector", "Healthcare"]
ATTRIBUTES = ["Support", "Product quality", "Onboarding", "Value for money"]
CYCLES = [f"20{25 + c // 4}-Q{c % 4 + 1}" for c in range(8)]
CHUNK = 250_000


def portfolio(responses: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A roster and `responses` rows whose satisfaction depends on the attributes."""
    rng = np.random.default_rng(seed)
    per_cycle = -(-responses // len(CYCLES))
    accounts = max(20, per_cycle // 12)
    names = np.char.add("Account ", np.char.zfill(np.arange(accounts).astype(str), 5))
    roster = pd.DataFrame({"account": names, "segment": np.resize(SEGMENTS, accounts)})
    frames = []
    for cycle in CYCLES:
        person = np.arange(per_cycle)
        ratings = np.clip(np.rint(6.5 + 1.8 * rng.normal(size=(per_cycle, 4))), 0, 10)
        satisfaction = np.clip(
            np.rint(ratings @ [0.4, 0.3, 0.2, 0.1] + rng.normal(size=per_cycle)), 0, 10
        )
        frame = pd.DataFrame(
            {
                "account": names[person % accounts],
                "cycle": cycle,
                "respondent": np.char.add("Person ", person.astype(str)),
                "email": np.char.add(np.char.add("p", person.astype(str)), "@example.com"),
                "satisfaction": satisfaction,
            }
        )
        for i, attribute in enumerate(ATTRIBUTES):
            column = ratings[:, i].copy()
            column[rng.random(per_cycle) < 0.1 + 0.05 * i] = np.nan
            frame[f"rating:{attribute}"] = column
        frames.append(frame)
    return roster, pd.concat(frames, ignore_index=True).iloc[:responses]


def load(runtime: Runtime, roster: pd.DataFrame, responses: pd.DataFrame) -> float:
    started = time.perf_counter()
    with transaction(runtime.sessions) as session:
        import_accounts(session, roster, workspace_id="local", actor="bench")
    for start in range(0, len(responses), CHUNK):
        with transaction(runtime.sessions) as session:
            import_responses(
                session, responses.iloc[start : start + CHUNK], workspace_id="local", actor="bench"
            )
    return time.perf_counter() - started


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(p50, p95) in milliseconds, after two warm-up calls."""
    action()
    action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def measure(directory: Path, responses: int, repeat: int) -> dict[str, tuple[float, float]]:
    url = f"sqlite:///{directory / f'drivers-{responses}.db'}"
    runtime = open_runtime(load_settings(environ={"DATABASE_URL": url}, env_file=None))
    roster, frame = portfolio(responses)
    seconds = load(runtime, roster, frame)
    print(f"{len(frame):,} responses, {len(roster):,} accounts loaded in {seconds:.1f} s")

    def use_case(segment: str | None) -> Callable[[], str]:
        return lambda: json.dumps(key_drivers(runtime, "local", segment=segment).to_json())

    os.environ["DATABASE_URL"] = url

    def whole_command() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            assert voc(["drivers", "--json"]) == 0

    figures = {
        "drivers --json (all)": timed(use_case(None), repeat),
        "drivers --json (segment)": timed(use_case("Enterprise"), repeat),
        "voc main() in-process": timed(whole_command, max(5, repeat // 5)),
    }
    runtime.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voc-drivers-bench-") as tmp:
        small = measure(Path(tmp), args.small, args.repeat)
        large = measure(Path(tmp), args.large, args.repeat)
    print(f"\n{'':28}{args.small:>12,} {args.large:>14,}   ratio (p50)")
    for name in small:
        (s50, s95), (l50, l95) = small[name], large[name]
        print(f"{name:28}{s50:7.1f}/{s95:<5.1f}ms {l50:8.1f}/{l95:<5.1f}ms   {l50 / s50:5.2f}")
    print("(p50/p95 per size; budget: under 200 ms at 1 M responses)")


if __name__ == "__main__":
    main()
