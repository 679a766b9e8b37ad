"""`voc drivers` as a user runs it: files imported, then the analysis, text and JSON.

The expected figures are worked out here, independently of the bot, from the rows the test
wrote: Johnson's relative weights by his original construction (the orthonormal matrix closest
to the standardised attributes, from their SVD, and two regressions), R² by least squares,
performance and complete cases with pandas, the stability by a case bootstrap over the rows.
The bot never sees rows at query time (it keeps sums and cross-products), so agreement is a
real check. On SQLite and, with VOC_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bot.cli import main as voc
from bot.runtime import Runtime
from tests.drivers_world import ATTRIBUTES, expected_quadrants, johnson, roster, survey

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = voc(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def imported(cli: Cli, tmp_path: Path, frames: list[pd.DataFrame], segments: list[str]) -> None:
    (tmp_path / "roster.csv").write_text(roster(*segments), encoding="utf-8")
    assert cli("import", "accounts", str(tmp_path / "roster.csv"))[0] == 0
    for i, frame in enumerate(frames):
        path = tmp_path / f"responses-{i}.csv"
        frame.to_csv(path, index=False)
        status, _, err = cli("import", "responses", str(path))
        assert status == 0, err


def drivers(cli: Cli, *argv: str) -> dict[str, Any]:
    status, out, err = cli("drivers", *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def check_against_rows(result: dict[str, Any], frame: pd.DataFrame, attributes: list[str]) -> None:
    complete = frame.dropna(subset=[f"rating:{a}" for a in attributes])
    importance, r_squared = johnson(complete, attributes)
    performance = {a: frame[f"rating:{a}"].mean() for a in attributes}
    got = {d["attribute"]: d for d in result["drivers"]}
    assert set(got) == set(attributes)
    assert result["n"] == len(complete)
    assert result["r_squared"] == pytest.approx(r_squared, abs=1e-9)
    assert sum(d["importance"] for d in result["drivers"]) == pytest.approx(100.0)
    for a in attributes:
        assert got[a]["importance"] == pytest.approx(importance[a], abs=1e-7)
        assert got[a]["performance"] == pytest.approx(performance[a], abs=1e-9)
    assert {a: got[a]["quadrant"] for a in attributes} == expected_quadrants(
        importance, performance
    )
    ranked = [d["importance"] for d in result["drivers"]]
    assert ranked == sorted(ranked, reverse=True)


# --- the tests --------------------------------------------------------------------------------


def test_weights_match_johnsons_construction_for_all_customers_and_each_segment(
    cli: Cli, tmp_path: Path
) -> None:
    enterprise = survey(300, (6, 1, 2, 0.5), seed=1)
    smb = survey(250, (1, 6, 1, 1), seed=2, segment="SMB")
    imported(cli, tmp_path, [enterprise, smb], ["Enterprise", "SMB"])

    everyone = drivers(cli)
    assert (everyone["segment"], everyone["cycle"], everyone["enough_data"]) == (
        None,
        "2026-Q4",
        True,
    )
    assert everyone["minimum_n"] == 30
    check_against_rows(everyone, pd.concat([enterprise, smb]), list(ATTRIBUTES))

    by_segment = drivers(cli, "--segment", "smb")  # segment names match like account names
    assert by_segment["segment"] == "SMB"
    check_against_rows(by_segment, smb, list(ATTRIBUTES))
    assert by_segment["drivers"][0]["attribute"] == "Price"
    assert drivers(cli, "--segment", "Enterprise")["drivers"][0]["attribute"] == "Support"


def test_only_attributes_half_the_scope_answered_count_and_only_complete_cases(
    cli: Cli, tmp_path: Path
) -> None:
    frame = survey(200, (3, 2, 1, 1), seed=3)
    rng = np.random.default_rng(4)
    frame.loc[rng.random(200) < 0.3, "rating:Onboarding"] = np.nan  # ~70 % answered: kept
    frame.loc[np.arange(200) >= 90, "rating:Reporting"] = np.nan  # 45 % answered: left out
    imported(cli, tmp_path, [frame], ["Enterprise"])
    result = drivers(cli)
    check_against_rows(result, frame, ["Support", "Price", "Onboarding"])
    assert result["n"] < 200


def test_an_import_into_a_cycle_that_has_data_and_a_segment_change_keep_the_figures_true(
    cli: Cli, tmp_path: Path
) -> None:
    frame = survey(160, (1, 4, 1, 2), seed=5)
    changed = frame.iloc[:40].copy()
    changed["satisfaction"] = 10 - changed["satisfaction"]  # the same people, corrected answers
    imported(cli, tmp_path, [frame.iloc[:100], frame.iloc[100:], changed], ["Enterprise"])
    final = pd.concat([changed, frame.iloc[40:]])
    check_against_rows(drivers(cli), final, list(ATTRIBUTES))

    # Two accounts move to a new segment: both segments' statistics follow, "all" stays.
    moved = roster("Enterprise").replace(
        "Enterprise Account 0,Enterprise", "Enterprise Account 0,SMB"
    )
    (tmp_path / "roster.csv").write_text(moved, encoding="utf-8")
    assert cli("import", "accounts", str(tmp_path / "roster.csv"))[0] == 0
    in_smb = final["account"] == "Enterprise Account 0"
    check_against_rows(drivers(cli, "--segment", "SMB"), final[in_smb], list(ATTRIBUTES))
    check_against_rows(drivers(cli, "--segment", "Enterprise"), final[~in_smb], list(ATTRIBUTES))
    check_against_rows(drivers(cli), final, list(ATTRIBUTES))


def test_below_thirty_complete_cases_no_ranking_is_claimed(cli: Cli, tmp_path: Path) -> None:
    frame = survey(45, (3, 1, 1, 1), seed=6)
    frame.loc[29:, "rating:Price"] = np.nan  # 29 complete cases of 45; Price answered by 29
    imported(cli, tmp_path, [frame], ["Enterprise"])
    result = drivers(cli)
    assert (result["n"], result["enough_data"], result["r_squared"]) == (29, False, None)
    assert all(d["importance"] is None and d["quadrant"] is None for d in result["drivers"])
    assert {d["attribute"]: d["performance"] for d in result["drivers"]} == pytest.approx(
        {a: frame[f"rating:{a}"].mean() for a in ATTRIBUTES}
    )
    status, out, _ = cli("drivers")
    assert status == 0
    assert "Not enough data to rank drivers: 29 complete cases, at least 30 needed." in out
    assert "importance" not in out


def test_thirty_complete_cases_are_enough(cli: Cli, tmp_path: Path) -> None:
    frame = survey(45, (3, 1, 1, 1), seed=6)
    frame.loc[30:, "rating:Price"] = np.nan
    imported(cli, tmp_path, [frame], ["Enterprise"])
    result = drivers(cli)
    assert (result["n"], result["enough_data"]) == (30, True)


def case_bootstrap_stability(frame: pd.DataFrame, draws: int = 600, seed: int = 99) -> float:
    """How often the top attribute stays top when respondents are resampled with replacement."""
    rng = np.random.default_rng(seed)
    attributes = list(ATTRIBUTES)
    observed, _ = johnson(frame, attributes)
    top = max(observed, key=observed.__getitem__)
    hits = 0
    for _ in range(draws):
        sample = frame.iloc[rng.integers(0, len(frame), len(frame))]
        weights, _ = johnson(sample, attributes)
        hits += max(weights, key=weights.__getitem__) == top
    return hits / draws


def test_stability_says_how_often_the_top_driver_stays_top(cli: Cli, tmp_path: Path) -> None:
    clear = survey(400, (8, 1, 1, 1), seed=7, cycle="2026-Q3")
    close = survey(80, (3, 2.6, 0.5, 0.5), seed=8, noise=1.5)
    imported(cli, tmp_path, [clear, close], ["Enterprise"])

    settled = drivers(cli, "--cycle", "2026-Q3")
    assert (settled["stability"], settled["tentative"]) == (1.0, False)

    contested = drivers(cli, "--cycle", "2026-Q4")
    assert contested == drivers(cli, "--cycle", "2026-Q4")  # fixed seed: the same every time
    assert contested["tentative"] is True
    assert contested["stability"] == pytest.approx(case_bootstrap_stability(close), abs=0.12)
    status, out, _ = cli("drivers")
    assert status == 0
    assert "stays the top driver in" in out and "a tentative ranking" in out


def test_unknown_segment_or_cycle_is_one_clear_line_and_exit_2(cli: Cli, tmp_path: Path) -> None:
    imported(cli, tmp_path, [survey(40, (1, 1, 1, 1), seed=9)], ["Enterprise"])
    status, out, err = cli("drivers", "--segment", "Retail")
    assert (status, out) == (2, "")
    assert err.strip().splitlines() == ['voc drivers: no segment "Retail"; segments: Enterprise']
    status, out, err = cli("drivers", "--cycle", "2019-Q1")
    assert (status, out) == (2, "")
    assert err.strip().splitlines() == ['voc drivers: no cycle "2019-Q1"; cycles: 2026-Q4']


def test_names_from_files_reach_the_terminal_without_control_characters(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "roster.csv").write_text("account,segment\nACME Corp,Evil\x1b[2Jseg\n")
    assert cli("import", "accounts", str(tmp_path / "roster.csv"))[0] == 0
    status, _, err = cli("drivers", "--segment", "retail")
    assert status == 2
    # The one terminal step (bot/cli/terminal.py) writes the escape out instead of sending it.
    assert err == 'voc drivers: no segment "retail"; segments: Evil\\u001b[2Jseg\n'
