"""`voc portfolio [--sponsor WHO] [--json]` as an operator runs it, against hand-worked values.

The world and the arithmetic behind every expected figure are in tests/executive_world.py.
On SQLite and, with VOC_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cli import main as voc
from bot.runtime import Runtime
from tests.executive_world import EMAIL_SPONSOR, Cli, build
from tests.portfolio import SPONSOR


@pytest.fixture
def cli(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))
    for name in ("VOC_ADMINS", "VOC_TIMEZONE", "VOC_SPONSOR_MAX_ACCOUNTS", "VOC_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def world(any_runtime: Runtime, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    build(any_runtime, cli, monkeypatch)
    return cli


def portfolio(cli: Cli, *argv: str) -> dict[str, Any]:
    status, out, err = cli("portfolio", *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["account"]: line for line in result["accounts"]}


def test_every_strategic_and_key_account_biggest_revenue_at_risk_first(world: Cli) -> None:
    result = portfolio(world)
    assert [a["account"] for a in result["accounts"]] == [
        "Charlie",  # at risk, 2,000,000
        "Alpha",  # at risk, 1,000,000
        "Bravo",  # at risk, 500,000
        "Delta",  # at risk, no revenue: counts 0
        "Echo",  # not at risk, 3,000,000
        "Golf",  # not at risk, no revenue
    ]  # Foxtrot is a standard account: not in the executive view
    assert result["revenue_at_risk"] == 3_500_000
    assert result["segments"] == [
        {"segment": "Public Sector", "accounts": 2, "at_risk": 2, "revenue_at_risk": 2_000_000},
        {"segment": "Enterprise", "accounts": 4, "at_risk": 2, "revenue_at_risk": 1_500_000},
    ]


def test_each_risk_reason_and_the_figures_behind_it(world: Cli) -> None:
    lines = by_name(portfolio(world))
    reasons = {name: line["risk_reasons"] for name, line in lines.items()}
    assert reasons == {
        "Alpha": ["decision_maker_high_risk"],  # mean satisfaction exactly 7: not low
        "Bravo": ["decision_maker_trapped"],
        "Charlie": ["low_satisfaction"],
        "Delta": ["significant_drop"],
        "Echo": [],
        "Golf": [],
    }
    assert {name: line["at_risk"] for name, line in lines.items()} == {
        name: bool(r) for name, r in reasons.items()
    }
    alpha, bravo, delta, golf = lines["Alpha"], lines["Bravo"], lines["Delta"], lines["Golf"]
    assert (alpha["cycle"], alpha["nps"], alpha["nps_change"]) == ("2026-Q3", 0.0, 0.0)
    assert alpha["satisfaction_mean"] == 7.0 and alpha["nps_change_significant"] is False
    assert (bravo["nps"], lines["Charlie"]["satisfaction_mean"]) == (-50.0, 6.5)
    assert (delta["nps"], delta["nps_change"], delta["nps_change_significant"]) == (
        -100.0,
        -200.0,
        True,
    )
    assert (golf["cycle"], golf["nps"], golf["nps_change"]) == (None, None, None)
    assert (alpha["sponsor"], alpha["account_manager"], alpha["tier"]) == (
        SPONSOR,
        "U0AM00001",
        "strategic",
    )


def test_overdue_commitments_followups_past_sla_and_reviews(world: Cli) -> None:
    lines = by_name(portfolio(world))
    # Alpha: due 30 Oct (overdue), 10 Nov (not yet), 6 Oct (done); Bravo: due today.
    assert {n: line["overdue_commitments"] for n, line in lines.items()} == {
        "Alpha": 1, "Bravo": 0, "Charlie": 0, "Delta": 0, "Echo": 0, "Golf": 0,
    }  # fmt: skip
    # Opened 5 Oct, due 7 Oct; Delta's four detractors, one contacted; Echo's silent Erin.
    assert {n: line["followups_past_sla"] for n, line in lines.items()} == {
        "Alpha": 1, "Bravo": 1, "Charlie": 1, "Delta": 3, "Echo": 1, "Golf": 0,
    }  # fmt: skip
    assert lines["Alpha"]["last_review"] == "2026-10-20T14:00:00Z"
    assert lines["Alpha"]["next_review"] is None
    assert (lines["Bravo"]["last_review"], lines["Bravo"]["next_review"]) == (
        None,
        "2026-11-20T10:00:00Z",
    )
    # 25 Sep to 2 Nov is 38 days: past Charlie's monthly 31, within Echo's quarterly 92.
    assert {n: line["review_overdue"] for n, line in lines.items()} == {
        "Alpha": False, "Bravo": True, "Charlie": True, "Delta": True, "Echo": False, "Golf": True,
    }  # fmt: skip


def test_coverage_and_champion_changes(world: Cli) -> None:
    result = portfolio(world)
    assert result["coverage"]["strategic_without_sponsor"] == ["Golf"]
    assert result["coverage"]["sponsors_over_capacity"] == [{"sponsor": SPONSOR, "accounts": 5}]
    assert [(c["account"], c["respondent"], c["change"]) for c in result["champion_changes"]] == [
        ("Echo", "Ed Echo", "title_changed"),
        ("Echo", "Erin Old", "left_or_silent"),
    ]
    assert result["champion_changes"][0]["previous_title"] == "CIO"
    assert result["champion_changes"][0]["title"] == "CTO"


def test_a_sponsors_own_accounts_of_any_tier(world: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = portfolio(world, "--sponsor", SPONSOR)
    assert [a["account"] for a in mine["accounts"]] == [
        "Foxtrot",  # standard, but theirs: at risk, 9,000,000
        "Charlie",
        "Alpha",
        "Bravo",
        "Delta",
    ]
    assert mine["revenue_at_risk"] == 12_500_000
    assert mine["coverage"]["strategic_without_sponsor"] == []
    assert mine["coverage"]["sponsors_over_capacity"] == [{"sponsor": SPONSOR, "accounts": 5}]
    by_email = portfolio(world, "--sponsor", EMAIL_SPONSOR.upper())
    assert [a["account"] for a in by_email["accounts"]] == ["Echo"]
    assert by_email["coverage"]["sponsors_over_capacity"] == []
    monkeypatch.setenv("VOC_SPONSOR_MAX_ACCOUNTS", "5")
    assert portfolio(world, "--sponsor", SPONSOR)["coverage"]["sponsors_over_capacity"] == []


def test_the_terminal_view_and_bad_input(world: Cli) -> None:
    status, out, err = world("portfolio")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "Portfolio · strategic and key accounts · 6 accounts · "
        "revenue at risk 3,500,000 (4 at risk)"
    )
    assert lines[3].startswith("- Charlie · strategic · 2,000,000 · 2026-Q3 · NPS +0 (+0) · ")
    assert "AT RISK: low_satisfaction" in lines[3] and "review overdue" in lines[3]
    assert "Strategic without a sponsor: Golf" in lines
    status, out, err = world("portfolio", "--sponsor", "jane")
    assert (status, out) == (2, "")
    assert err.strip() == 'voc portfolio: "jane" is neither a Slack user ID nor an email'
