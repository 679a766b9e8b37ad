"""`voc drivers [--segment NAME] [--cycle L] [--json]`: what moves overall satisfaction.

The terminal gets a ranked table (or, below 30 complete cases, why there is none); `--json` the
keys of docs/interface.md. An unknown segment or cycle exits 2 with the names that exist.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from bot.cli import status
from bot.cli.options import subcommand
from bot.errors import VocError

if TYPE_CHECKING:  # imported where used: `voc --help` loads none of it
    from bot.drivers.rules import DriverAnalysis
    from bot.runtime import Runtime

QUADRANT_WORDS = {
    "fix_first": "FIX FIRST",
    "strength": "strength",
    "monitor": "monitor",
    "maintain": "maintain",
}


def add_command(sub: Any, handler: Any) -> None:
    drivers = subcommand(sub, "drivers", "key drivers: what moves overall satisfaction")
    drivers.add_argument("--segment", help="one segment's customers (default: all customers)")
    drivers.add_argument("--cycle", help="the cycle label (default: the latest with data)")
    drivers.add_argument("--json", action="store_true", help="print the analysis as JSON")
    drivers.set_defaults(handler=handler)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.drivers.service import key_drivers

    try:
        analysis = key_drivers(
            runtime, runtime.settings.workspace, segment=args.segment, cycle=args.cycle
        )
    except VocError as refusal:
        return status.reject("drivers", str(refusal))
    if args.json:
        print(json.dumps(analysis.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines(analysis)))
    return status.OK


def lines(analysis: DriverAnalysis) -> list[str]:
    scope = f"segment {analysis.segment}" if analysis.segment else "all customers"
    if analysis.cycle is None:
        return [f"Key drivers · {scope}: no responses yet."]
    head = f"Key drivers · {scope} · {analysis.cycle} · {analysis.n} complete cases"
    if not analysis.enough_data:
        return [
            head,
            f"Not enough data to rank drivers: {analysis.n} complete cases, "
            f"at least {analysis.minimum_n} needed.",
            *(f"  {d.attribute:<20} performance {d.performance:.1f}" for d in analysis.drivers),
        ]
    width = max(len(d.attribute) for d in analysis.drivers)
    out = [f"{head} · R² {analysis.r_squared:.2f}"]
    for rank, d in enumerate(analysis.drivers, 1):
        out.append(
            f"  {rank}. {d.attribute:<{width}}  importance {d.importance:5.1f} %  "
            f"performance {d.performance:4.1f}  {QUADRANT_WORDS[d.quadrant or '']}"
        )
    out.append(_stability_line(analysis))
    return out


def _stability_line(analysis: DriverAnalysis) -> str:
    from bot.drivers.rules import BOOTSTRAP_DRAWS

    top = analysis.top
    assert top is not None and analysis.stability is not None
    line = (
        f'"{top.attribute}" stays the top driver in {analysis.stability:.0%} of '
        f"{BOOTSTRAP_DRAWS} bootstrap draws"
    )
    return line + (" — a tentative ranking." if analysis.tentative else ".")
