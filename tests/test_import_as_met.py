"""Files as people really send them, imported with `voc import`, read back as people read them.

Each test writes small CSV files, imports them through the command line and checks what the
terminal, Slack or a later command shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main as voc
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER

CHANNEL = "C0ACME001"
ROSTER = f"account,segment,tier,account_manager,channel\nAcme Corp,Enterprise,key,{AM},{CHANNEL}\n"
# 2026-Q3 has recommend scores: 10 (promoter) and 4 (detractor) → NPS 0.
Q3_WITH_RECOMMEND = (
    "account,cycle,respondent,email,satisfaction,recommend\n"
    "Acme Corp,2026-Q3,Dana Whitfield,dana@acme.example,9,10\n"
    "Acme Corp,2026-Q3,Lee Park,lee@acme.example,5,4\n"
)
# 2026-Q4 has no recommend column at all: its NPS cannot be computed.
Q4_WITHOUT_RECOMMEND = (
    "account,cycle,respondent,email,satisfaction\n"
    "Acme Corp,2026-Q4,Dana Whitfield,dana@acme.example,8\n"
    "Acme Corp,2026-Q4,Lee Park,lee@acme.example,6\n"
)
WHY = 'NPS n/a — nobody answered "likelihood to recommend" in 2026-Q4'


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def _import(directory: Path, kind: str, name: str, text: str, *options: str) -> int:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return voc(["import", kind, str(path), *options])


def _load(directory: Path, *files: tuple[str, str]) -> None:
    assert _import(directory, "accounts", "roster.csv", ROSTER) == 0
    for name, text in files:
        assert _import(directory, "responses", name, text) == 0


def _ask(bot: SlackBot, text: str) -> dict[str, Any]:
    url = bot.slack.response_url()
    expected = len(bot.slack.responses) + 1
    assert bot.requests.slash_command(text, user_id=AM, response_url=url).status == 200
    bot.slack.wait_for_response_url(count=expected)
    return bot.slack.responses_to(url)[-1]


def _everything(message: dict[str, Any]) -> str:
    return message.get("text", "") + "\n" + json.dumps(message.get("blocks"), ensure_ascii=False)


# -- an NPS nobody could give ------------------------------------------------------------------


def test_the_terminal_says_why_the_nps_is_missing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env, ("q3.csv", Q3_WITH_RECOMMEND), ("q4.csv", Q4_WITHOUT_RECOMMEND))
    capsys.readouterr()
    assert voc(["account", "acme"]) == 0
    out = capsys.readouterr().out
    assert WHY in out
    assert "()" not in out and "( " not in out
    # Satisfaction still compares: (8 + 6)/2 = 7.0 against (9 + 5)/2 = 7.0.
    assert "Satisfaction 7.0 / 10  (no change vs 2026-Q3)" in out


def test_the_terminal_says_why_there_is_nothing_to_compare_with(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q3 = Q4_WITHOUT_RECOMMEND.replace("2026-Q4", "2026-Q3")
    q4 = Q3_WITH_RECOMMEND.replace("2026-Q3", "2026-Q4")
    _load(cli_env, ("q3.csv", q3), ("q4.csv", q4))
    capsys.readouterr()
    assert voc(["account", "acme"]) == 0
    out = capsys.readouterr().out
    assert (
        'NPS 0  (nothing to compare: nobody answered "likelihood to recommend" in 2026-Q3)' in out
    )


def test_slack_report_and_digest_say_why_the_nps_is_missing(
    cli_env: Path, make_bot: Callable[..., SlackBot]
) -> None:
    _load(cli_env, ("q3.csv", Q3_WITH_RECOMMEND), ("q4.csv", Q4_WITHOUT_RECOMMEND))
    bot = make_bot()
    bot.slack.add_channel(CHANNEL, members=[MEMBER])
    report = _everything(_ask(bot, "account acme"))
    assert '*NPS n/a* — nobody answered \\"likelihood to recommend\\" in 2026-Q4' in report
    assert "()" not in report and "( " not in report
    _ask(bot, "digest acme")
    [digest] = bot.slack.messages_in(CHANNEL)
    text = _everything(digest)
    assert '*NPS n/a* — nobody answered \\"likelihood to recommend\\" in 2026-Q4' in text
    assert "()" not in text and "( " not in text


# -- the same person without an email ---------------------------------------------------------


Q2_WITH_EMAILS = (
    "account,cycle,respondent,email,satisfaction,recommend\n"
    "Acme Corp,2026-Q2,Lee Park,lee@acme.example,7,8\n"
    "Acme Corp,2026-Q2,Dana Whitfield,dana@acme.example,9,10\n"
)
Q3_WITHOUT_EMAILS = (
    "account,cycle,respondent,satisfaction,recommend\n"
    "Acme Corp,2026-Q3,Sam Ortiz,6,7\n"  # nobody of that name before: simply new
    "Acme Corp,2026-Q3,Dana Whitfield,8,9\n"
)


def test_a_known_person_without_their_email_is_a_new_person_and_the_import_says_so(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env, ("q2.csv", Q2_WITH_EMAILS))
    capsys.readouterr()
    assert _import(cli_env, "responses", "q3.csv", Q3_WITHOUT_EMAILS) == 0
    out = capsys.readouterr().out
    assert "People: 2 new" in out
    warnings = [line for line in out.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        'Warning: row 3: "Dana Whitfield" has no email and is a new person, though '
        '"Dana Whitfield" <dana@acme.example> answered 2026-Q2'
    ]


# -- a cycle label that names no period -------------------------------------------------------


WAVES = (
    "account,cycle,respondent,email,responded_on,satisfaction,recommend\n"
    "Acme Corp,2026-Q2,Dana Whitfield,dana@acme.example,2026-04-10,9,10\n"
    "Acme Corp,2026-Q3,Dana Whitfield,dana@acme.example,2026-07-10,8,9\n"
    # Answered in May, between the two quarters, but it names no period.
    "Acme Corp,Autumn wave,Dana Whitfield,dana@acme.example,2026-05-10,3,2\n"
)


def test_an_undated_cycle_sorts_after_dated_ones_and_is_not_current(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(cli_env, ("waves.csv", WAVES))
    out = capsys.readouterr().out
    assert 'Warning: cycle "Autumn wave" has no date; it sorts after dated cycles' in out
    assert voc(["account", "acme", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cycle"] == "2026-Q3" and report["satisfaction_mean"] == 8.0
    assert report["previous"]["cycle"] == "2026-Q2"
    assert [point["cycle"] for point in report["trend"]] == ["2026-Q2", "2026-Q3", "Autumn wave"]
    assert voc(["account", "acme", "--cycle", "Autumn wave", "--json"]) == 0
    asked = json.loads(capsys.readouterr().out)
    assert asked["cycle"] == "Autumn wave" and asked["previous"]["cycle"] == "2026-Q3"
