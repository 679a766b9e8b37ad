""" "Fix first" in the account report (terminal, JSON, Slack) and in the pre-meeting digest.

ACME Corp is one of six Enterprise accounts. The segment's satisfaction is driven by Support and
Onboarding (tests/drivers_world.py builds it so); ACME rates Support and Price low and
Onboarding high. Which attributes are drivers, and the segment's means, are worked out here from
the rows, independently of the bot: Support is a driver where ACME trails (fix first), Price
trails but is no driver, Onboarding is a driver where ACME does well.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from bot.cli import main as voc
from bot.runtime import Runtime
from tests.conftest import SlackBot
from tests.drivers_world import ATTRIBUTES, johnson, survey
from tests.portfolio import AM, account_row, load
from tests.reviews import DIGEST_DUE, digests_in, schedule, scheduler_settings, tick
from tests.slack import FakeSlack, assert_valid_message
from tests.slack.blockkit import assert_valid_blocks

ACME = {"Support": 3, "Price": 3, "Onboarding": 9, "Reporting": 6}


def _world(peers: int = 150) -> pd.DataFrame:
    frame = survey(peers, (5, 1, 4, 0.5), seed=31, segment="Peer")
    acme = pd.DataFrame(
        [
            {
                "account": "ACME Corp",
                "cycle": "2026-Q4",
                "respondent": f"Acme Person {i}",
                "email": f"a{i}@acme.example",
                "satisfaction": 5 + i % 3,
                **{f"rating:{a}": v for a, v in ACME.items()},
            }
            for i in range(6)
        ]
    )
    return pd.concat([frame, acme], ignore_index=True)


def _load(runtime: Runtime, frame: pd.DataFrame) -> None:
    accounts = [account_row("ACME Corp")] + [
        account_row(f"Peer Account {i}", channel=f"C0PEER00{i}") for i in range(5)
    ]
    rows = [{k: v for k, v in r.items() if not pd.isna(v)} for r in frame.to_dict("records")]
    load(runtime, accounts, rows)


def _expected_fix_first(frame: pd.DataFrame) -> list[dict[str, Any]]:
    importance, _ = johnson(frame, list(ATTRIBUTES))
    mean_importance = sum(importance.values()) / len(importance)
    segment = {a: frame[f"rating:{a}"].mean() for a in ATTRIBUTES}
    fix = [
        {
            "attribute": a,
            "account": round(ACME[a], 1),
            "segment": round(segment[a], 1),
            "gap": round(ACME[a] - segment[a], 1),
        }
        for a in ATTRIBUTES
        if importance[a] >= mean_importance and ACME[a] < segment[a]
    ]
    return sorted(fix, key=lambda item: item["gap"])


@pytest.fixture
def cli(
    any_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("DATABASE_URL", any_runtime.engine.url.render_as_string(hide_password=False))

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = voc(list(argv))
        return status, capsys.readouterr().out

    return run


def test_the_account_report_names_the_drivers_where_the_account_trails(
    any_runtime: Runtime, cli: Callable[..., tuple[int, str]]
) -> None:
    frame = _world()
    _load(any_runtime, frame)
    expected = _expected_fix_first(frame)
    assert [item["attribute"] for item in expected] == ["Support"]  # the world is as designed

    status, out = cli("account", "ACME Corp", "--json")
    assert status == 0
    assert json.loads(out)["fix_first"] == expected
    _, text = cli("account", "ACME Corp")
    segment_support = expected[0]["segment"]
    assert (
        "Fix first (drivers of satisfaction in Enterprise, below it here): "
        f"Support (3.0 vs {segment_support:.1f})"
    ) in text


def test_no_fix_first_when_the_segment_has_too_few_cases_to_rank(
    any_runtime: Runtime, cli: Callable[..., tuple[int, str]]
) -> None:
    _load(any_runtime, _world(peers=20))  # 26 respondents in the segment: below 30
    status, out = cli("account", "ACME Corp", "--json")
    assert status == 0 and json.loads(out)["fix_first"] == []
    assert "Fix first" not in cli("account", "ACME Corp")[1]


def test_slack_report_shows_fix_first(bot: SlackBot) -> None:
    frame = _world()
    _load(bot.runtime, frame)
    bot.slack.add_user(AM)
    url = bot.slack.response_url()
    bot.requests.slash_command("account acme", user_id=AM, response_url=url)
    [payload] = bot.slack.wait_for_response_url()
    assert_valid_blocks(payload["blocks"])
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    line = next(s for s in sections if "*Fix first*" in s).splitlines()[-1]
    segment = _expected_fix_first(frame)[0]["segment"]
    assert line == (
        f"*Fix first* (drivers of satisfaction in Enterprise, below it here): "
        f"Support (3.0 vs {segment:.1f})"
    )


def test_the_digest_says_what_to_fix_first(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    rt = make_runtime(**scheduler_settings(slack))
    frame = _world()
    _load(rt, frame)
    schedule(rt)
    tick(rt, DIGEST_DUE)
    [digest] = digests_in(slack)
    assert_valid_message(digest)
    text = "\n".join(b["text"]["text"] for b in digest["blocks"] if b["type"] == "section")
    segment = _expected_fix_first(frame)[0]["segment"]
    lead = "*Fix first* (drivers of satisfaction in Enterprise, below it here)"
    assert f"{lead}: Support (3.0 vs {segment:.1f})" in text
