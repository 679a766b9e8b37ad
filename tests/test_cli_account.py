"""`voc account`: the report in the terminal and as the JSON docs/interface.md promises."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account, Commitment
from tests.portfolio import AM, account_row, load, response_row
from tests.slack import FakeSlack

INTERFACE_KEYS = {
    "account",
    "cycle",
    "respondents",
    "nps",
    "satisfaction_mean",
    "previous",
    "nps_change_significant",
    "segment",
    "all_customers",
    "people",
    "open_commitments",
}


@pytest.fixture
def acme(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("DATABASE_URL", str(runtime.engine.url))
    load(
        runtime,
        [account_row("ACME Corp")],
        [
            response_row("ACME Corp", "2026-Q3", "Ann Lee", 9, 10, 9),
            response_row("ACME Corp", "2026-Q3", "Cy Dunn", 5, 4, 8, comment="Too slow"),
            response_row("ACME Corp", "2026-Q4", "Ann Lee", 10, 10, 10),
        ],
    )
    return runtime


def test_json_has_the_promised_keys_and_hand_computed_figures(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "acme", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report.keys() >= INTERFACE_KEYS
    assert report["cycle"] == "2026-Q4" and report["respondents"] == 1 and report["nps"] == 100
    # 2026-Q3: one promoter (10), one detractor (4) of two → 0; satisfaction (9 + 5)/2 = 7.0.
    assert report["previous"] == {"cycle": "2026-Q3", "nps": 0.0, "satisfaction_mean": 7.0}
    person = report["people"][0]
    assert {
        "respondent",
        "title",
        "role",
        "satisfaction",
        "recommend",
        "continue",
        "band",
        "loyalty",
        "comment",
    } <= person.keys()
    assert person["band"] == "totally_satisfied" and person["loyalty"] == "truly_loyal"


def test_a_cycle_can_be_named_as_people_write_it(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "ACME", "--cycle", "Q3 2026", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cycle"] == "2026-Q3" and report["previous"] is None
    first = report["people"][0]
    assert (first["respondent"], first["band"], first["loyalty"]) == (
        "Cy Dunn",
        "dissatisfied",
        "trapped",
    )


def test_the_terminal_report_reads_like_the_slack_one(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "acme corp"]) == 0
    out = capsys.readouterr().out
    assert "ACME Corp — Enterprise · strategic" in out
    assert "NPS +100" in out and "▲ +100 vs 2026-Q3" in out
    assert "Ann Lee, CIO (decision maker)" in out


def test_a_miss_suggests_and_fails(acme: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account", "acne corp"]) == 2
    assert "Did you mean ACME Corp?" in capsys.readouterr().err
    assert main(["account", "acme", "--cycle", "1999-Q1"]) == 2
    assert 'ACME Corp has no cycle "1999-Q1"; it has 2026-Q3, 2026-Q4.' in capsys.readouterr().err


@pytest.fixture
def emailed(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """A roster that names its account manager by email and its sponsor by Slack ID."""
    monkeypatch.setenv("DATABASE_URL", str(runtime.engine.url))
    load(
        runtime,
        [
            account_row(
                "ACME Corp", account_manager="jordan@vendor.example", exec_sponsor="U0EXEC001"
            )
        ],
        [response_row("ACME Corp", "2026-Q4", "Ann Lee", 10, 10, 10)],
    )
    return runtime


def test_with_a_token_the_terminal_names_people_as_slack_does(
    emailed: Runtime,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    slack.add_user("U0JORDAN1", email="jordan@vendor.example", name="Jordan Ellis")
    slack.add_user("U0EXEC001", name="Seb Sponsor")
    assert main(["account", "acme"]) == 0
    assert "Account manager Jordan Ellis · exec sponsor Seb Sponsor" in capsys.readouterr().out


def test_without_a_token_the_terminal_shows_the_roster_as_written(
    emailed: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["account", "acme"]) == 0
    assert "Account manager jordan@vendor.example · exec sponsor U0EXEC001" in (
        capsys.readouterr().out
    )


def _promise(runtime: Runtime, text: str, due: date) -> None:
    with transaction(runtime.sessions) as session:
        account = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        session.add(
            Commitment(
                workspace_id="local",
                account_id=account.id,
                text=text,
                owner=AM,
                due_on=due,
                created_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )


def test_an_open_commitment_past_its_due_date_is_reported_overdue(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    _promise(acme, "Send the root-cause report", date(2020, 1, 15))  # years ago
    _promise(acme, "Roadmap call", date(2099, 1, 15))
    assert main(["account", "acme", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["open_commitments"]
    assert [(c["text"], c["status"]) for c in listed] == [
        ("Send the root-cause report", "overdue"),
        ("Roadmap call", "open"),
    ]
    assert main(["account", "acme"]) == 0
    out = capsys.readouterr().out
    assert f"Send the root-cause report — {AM}, due 2020-01-15 OVERDUE" in out
    assert f"Roadmap call — {AM}, due 2099-01-15 (" in out
