"""`voc account`: the report in the terminal and as the JSON interface.md promises."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.runtime import Runtime
from tests.portfolio import account_row, load, response_row

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
