"""`voc demo` as a newcomer runs it: a real `voc` process, then Slack for the people it names.

The demo's own teams are made-up Slack IDs; `--team` is how a real person gets to open the demo
in Slack. The hints it prints must run as printed, so they start the way `voc` was started.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SlackBot

VOC = Path(sys.executable).parent / "voc"  # the console script installed beside this Python
TRAPPED = "Halvorsen Freight Group"
NEWCOMER = "U0NEWBIE1"
BY_EMAIL = "W0NEWBIE2"
OUTSIDER = "U0OUTSID1"


def _env(database_url: str, *, path: str = "/usr/bin:/bin") -> dict[str, str]:
    """No Slack settings and no `voc` on PATH unless asked: a fresh shell in a fresh checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VOC_"))}
    return {**env, "DATABASE_URL": database_url, "PATH": path}


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo, loaded once by a real `voc demo --team …`, for the tests that only read it."""
    directory = tmp_path_factory.mktemp("demo")
    shutil.copyfile(sqlite_template, directory / "voc.db")
    url = f"sqlite:///{directory / 'voc.db'}"
    done = _run(
        [str(VOC), "demo", "--team", NEWCOMER, "Newbie@Vendor.example"],
        cwd=directory,
        env=_env(url),
    )
    assert done.returncode == 0, done.stderr
    assert "On every account's team now: U0NEWBIE1, newbie@vendor.example." in done.stdout
    assert "  /voc account halvorsen" in done.stdout
    return url


@pytest.fixture
def database_url(demo_url: str) -> str:
    """The bot of `make_bot` serves the demo that `voc demo --team` loaded."""
    return demo_url


@pytest.fixture
def empty_url(sqlite_template: Path, tmp_path: Path) -> str:
    shutil.copyfile(sqlite_template, tmp_path / "voc.db")
    return f"sqlite:///{tmp_path / 'voc.db'}"


def _ask(bot: SlackBot, text: str, user: str) -> str:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=user, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    payload: dict[str, Any] = bot.slack.responses_to(url)[-1]
    return payload.get("text", "") + str(payload.get("blocks") or "")


def test_people_named_with_team_may_open_the_demo_in_slack(make_bot: Any) -> None:
    bot: SlackBot = make_bot()
    bot.slack.add_user(BY_EMAIL, email="newbie@vendor.example")
    bot.slack.add_user(OUTSIDER, email="someone.else@vendor.example")
    for reader in (NEWCOMER, BY_EMAIL):
        report = _ask(bot, "account halvorsen", reader)
        # Every trapped respondent recommends at most 6: all detractors, so NPS is −100.
        assert f"{TRAPPED} (" in report and "NPS -100" in report
    refused = _ask(bot, "account halvorsen", OUTSIDER)
    assert "not on the account team" in refused and "NPS" not in refused


def test_a_team_entry_that_is_nobody_is_refused_and_nothing_is_loaded(
    empty_url: str, tmp_path: Path
) -> None:
    done = _run([str(VOC), "demo", "--team", NEWCOMER, "@jane"], cwd=tmp_path, env=_env(empty_url))
    assert done.returncode == 2
    assert 'voc demo: --team "@jane" is not a Slack user ID (U…/W…) or an email' in done.stderr
    engine = create_engine(empty_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM accounts")) == 0
    engine.dispose()


def test_the_hints_start_the_way_voc_was_started(empty_url: str, tmp_path: Path) -> None:
    checkout = VOC.parents[2]  # where `make install` put `.venv`
    relative = VOC.relative_to(checkout)  # `.venv/bin/voc` in a usual checkout

    by_path = _run([str(relative), "demo"], cwd=checkout, env=_env(empty_url))
    assert by_path.returncode == 0, by_path.stderr
    assert f"\n  {relative} account '{TRAPPED}'\n" in by_path.stdout
    assert f"\n  {relative} tick --dry-run" in by_path.stdout

    on_path = _run(["voc", "demo"], cwd=tmp_path, env=_env(empty_url, path=str(VOC.parent)))
    assert f"\n  voc account '{TRAPPED}'\n" in on_path.stdout

    as_module = _run([sys.executable, "-m", "bot.cli", "demo"], cwd=tmp_path, env=_env(empty_url))
    assert f"\n  {sys.executable} -m bot.cli open --owner U0DEMOAM01\n" in as_module.stdout


def _sentences(comment: str) -> list[str]:
    return [s.casefold() for s in re.split(r"(?<=[.!?])\s+", comment.strip()) if s]


def test_no_two_people_of_the_trapped_account_say_the_same_sentence(demo_url: str) -> None:
    done = _run([str(VOC), "account", "halvorsen", "--json"], cwd=Path.cwd(), env=_env(demo_url))
    assert done.returncode == 0, done.stderr
    people = json.loads(done.stdout)["people"]
    said = [s for person in people if person["comment"] for s in _sentences(person["comment"])]
    assert len(said) >= 3
    assert len(said) == len(set(said)), said
