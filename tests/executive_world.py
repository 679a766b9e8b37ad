"""A small portfolio whose executive view is worked out by hand, loaded through the real code.

Two cycles, 2026-Q2 and 2026-Q3, imported in one file (so only Q3 opens follow-ups), at
IMPORTED; commitments and meetings are logged through `voc` at earlier moments; the view is
read at NOW (Monday 2 November 2026, 10:00 UTC).

| account | tier, segment | revenue | latest answers | risk reason |
|---|---|---|---|---|
| Alpha | strategic, Enterprise | 1,000,000 | DM 5/5/5 (high risk), user 9/9/9 | dm high risk |
| Bravo | strategic, Enterprise | 500,000 | DM 8/5/9 (trapped), user 8/8/8 | dm trapped |
| Charlie | strategic, Public Sector | 2,000,000 | users 6/7/9, 7/7/9: mean 6.5 | low sat. |
| Delta | key, Public Sector | none | 4 users 8/0/8, were 8/10/8 | significant drop |
| Echo | key, Enterprise | 3,000,000 | DM Ed 9/9/9 (CIO → CTO); DM Erin silent | — |
| Foxtrot | standard, Enterprise | 9,000,000 | user 5/5/5 | low sat. |
| Golf | strategic, Enterprise, no sponsor | none | — | — |

Alpha's mean satisfaction is exactly 7.0: not low. Delta's NPS goes from 100 to −100.

Scores are satisfaction/recommend/continue. The previous cycle holds the same answers except
Delta's (recommend 10) and Echo's (Erin answered). Delta's fall: adjusted Wald with n = 4 + 3,
p₊ = 4.75/7, p₋ = 0.75/7, NPS ±0.571, variance 0.0656 each: z = −1.143 / 0.362 = −3.16, beyond
1.96. SPONSOR sponsors Alpha, Bravo, Charlie, Delta, Foxtrot (5 > 3); EMAIL_SPONSOR sponsors Echo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.cli import commitments as cli_commitments
from bot.cli import meetings as cli_meetings
from bot.core import clock
from bot.intake import writing
from bot.runtime import Runtime
from tests.portfolio import account_row, load, response_row

EMAIL_SPONSOR = "exec2@corp.example"
EMAIL_SPONSOR_ID = "U0EXEC002"
SCHEDULED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
IMPORTED = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

Cli = Callable[..., tuple[int, str, str]]


def _accounts() -> list[dict[str, Any]]:
    return [
        account_row("Alpha", annual_revenue=1_000_000, channel=None),
        account_row("Bravo", annual_revenue=500_000, channel=None),
        account_row(
            "Charlie",
            annual_revenue=2_000_000,
            segment="Public Sector",
            cadence="monthly",
            channel=None,
        ),
        account_row("Delta", tier="key", segment="Public Sector", channel=None),
        account_row(
            "Echo", tier="key", annual_revenue=3_000_000, exec_sponsor=EMAIL_SPONSOR, channel=None
        ),
        account_row("Foxtrot", tier="standard", annual_revenue=9_000_000, channel=None),
        account_row("Golf", exec_sponsor=None, channel=None),
    ]


def _both(account: str, name: str, *scores: float, **fields: Any) -> list[dict[str, Any]]:
    return [response_row(account, cycle, name, *scores, **fields) for cycle in CYCLES]


CYCLES = ("2026-Q2", "2026-Q3")
USER = {"role": "user"}


def _responses() -> list[dict[str, Any]]:
    rows = [
        *_both("Alpha", "Ann Alpha", 5, 5, 5),
        *_both("Alpha", "Al User", 9, 9, 9, **USER),
        *_both("Bravo", "Bea Bravo", 8, 5, 9),
        *_both("Bravo", "Bo User", 8, 8, 8, **USER),
        *_both("Charlie", "Cy One", 6, 7, 9, **USER),
        *_both("Charlie", "Cy Two", 7, 7, 9, **USER),
        response_row("Echo", "2026-Q2", "Ed Echo", 9, 9, 9, title="CIO"),
        response_row("Echo", "2026-Q3", "Ed Echo", 9, 9, 9, title="CTO"),
        response_row("Echo", "2026-Q2", "Erin Old", 9, 9, 9, title="CFO"),
        response_row("Foxtrot", "2026-Q3", "Fay User", 5, 5, 5, **USER),
    ]
    for i in range(4):
        rows.append(response_row("Delta", "2026-Q2", f"Dee {i}", 8, 10, 8, **USER))
        rows.append(response_row("Delta", "2026-Q3", f"Dee {i}", 8, 0, 8, **USER))
    return rows


def build(runtime: Runtime, cli: Cli, monkeypatch: Any) -> None:
    """The world of the module docstring; `cli` runs `voc` in-process at the patched moment."""
    at(monkeypatch, SCHEDULED)
    load(runtime, _accounts())
    ok(cli("meeting", "Charlie", "2026-09-25", "10:00"))
    ok(cli("meeting", "Echo", "2026-09-25", "10:00"))
    at(monkeypatch, IMPORTED)
    load(runtime, _accounts(), _responses())
    ok(cli("meeting", "Alpha", "2026-10-20", "14:00"))
    ok(cli("meeting", "Bravo", "2026-11-20", "10:00"))
    ok(cli("commit", "Alpha", "Fix the invoices", "--owner", "U0AM00001", "--due", "2026-10-30"))
    ok(cli("commit", "Alpha", "Roadmap call", "--owner", "U0AM00001", "--due", "2026-11-10"))
    ok(cli("commit", "Alpha", "Named engineer", "--owner", "U0AM00001", "--due", "2026-10-06"))
    ok(cli("commit", "Bravo", "Call back", "--owner", "U0AM00001", "--due", "2026-11-02"))
    ok(cli("done", _id_of(cli, "Named engineer"), "--by", "U0AM00001"))
    delta = [f for f in _json(cli("followups", "Delta", "--json")) if f["respondent"] == "Dee 0"]
    ok(cli("followup", str(delta[0]["id"]), "contacted", "--by", "U0AM00001"))
    at(monkeypatch, NOW)


def at(monkeypatch: Any, moment: datetime) -> None:
    """The bot's clock at `moment`, also where a module holds its own reference to it (the
    import stamps when a cycle arrived; `voc meeting` and `voc commit` check dates against it)."""
    for module in (clock, writing, cli_meetings, cli_commitments):  # those holding their own
        monkeypatch.setattr(module, "utc_now", lambda: moment)


def ok(ran: tuple[int, str, str]) -> str:
    assert ran[0] == 0, ran[2]
    return ran[1]


def _json(ran: tuple[int, str, str]) -> Any:
    return json.loads(ok(ran))


def _id_of(cli: Cli, text: str) -> str:
    return str(next(c["id"] for c in _json(cli("open", "--json")) if c["text"] == text))
