"""`voc portfolio [--sponsor WHO] [--json]`: the executive view in the terminal or as JSON.

Without `--sponsor` it is the operator's view of every strategic and key account; with it, that
sponsor's accounts. A WHO that is neither a Slack ID nor an email exits 2.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from bot.cli import status
from bot.cli.options import subcommand
from bot.core import clock
from bot.errors import VocError

if TYPE_CHECKING:  # imported where used: `voc --help` loads none of it
    from bot.portfolio.rules import AccountLine, Portfolio
    from bot.runtime import Runtime


def add_command(sub: Any, handler: Any) -> None:
    command = subcommand(
        sub, "portfolio", "the executive view: accounts, revenue at risk, coverage"
    )
    command.add_argument(
        "--sponsor", metavar="WHO", help="only this sponsor's accounts (ID or email)"
    )
    command.add_argument("--json", action="store_true", help="print the view as JSON")
    command.set_defaults(handler=handler)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    from bot.portfolio.service import portfolio, sponsor_from_cli

    try:
        sponsor = sponsor_from_cli(args.sponsor) if args.sponsor is not None else None
    except VocError as refusal:
        return status.reject("portfolio", str(refusal))
    view = portfolio(
        runtime,
        runtime.settings.workspace,
        sponsor=sponsor,
        now=clock.utc_now(),
        tz=runtime.settings.tz,
    )
    if args.json:
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines(view)))
    return status.OK


def lines(view: Portfolio) -> list[str]:
    whose = f"sponsor {view.sponsor}" if view.sponsor else "strategic and key accounts"
    if not view.accounts:
        return [f"Portfolio · {whose}: no accounts."]
    out = [
        f"Portfolio · {whose} · {len(view.accounts)} accounts · "
        f"revenue at risk {_money(view.revenue_at_risk)} ({len(view.at_risk)} at risk)"
    ]
    out += [
        f"  {t.segment}: {t.at_risk} of {t.accounts} at risk, {_money(t.revenue_at_risk)}"
        for t in view.segments
    ]
    out += [_account_line(line) for line in view.accounts]
    gaps = view.coverage
    if gaps.strategic_without_sponsor:
        out.append("Strategic without a sponsor: " + ", ".join(gaps.strategic_without_sponsor))
    for who, count in gaps.sponsors_over_capacity:
        out.append(f"Sponsor over capacity: {who} has {count} accounts (max {gaps.max_accounts})")
    if gaps.sponsors_at_no_review:
        out.append("Sponsors at no review in the cadence: " + ", ".join(gaps.sponsors_at_no_review))
    for change in view.champion_changes:
        out.append(f"Champion change: {change.account} · {change.respondent} · {change.change}")
    return out


def _account_line(line: AccountLine) -> str:
    s = line.survey
    nps = "no NPS" if s.nps is None else f"NPS {s.nps:+.0f}"
    if s.nps_change is not None:
        nps += f" ({s.nps_change:+.0f}{', significant' if s.nps_change_significant else ''})"
    risk = f"AT RISK: {', '.join(s.risk_reasons)}" if line.at_risk else "not at risk"
    review = "review overdue" if line.review_overdue else "review on time"
    return (
        f"- {line.account} · {line.tier} · {_money(line.annual_revenue or 0)} · "
        f"{s.cycle or 'no cycle'} · {nps} · {risk} · {line.overdue_commitments} overdue "
        f"commitments · {line.followups_past_sla} follow-ups past SLA · {review}"
    )


def _money(value: float) -> str:
    return f"{value:,.0f}"
