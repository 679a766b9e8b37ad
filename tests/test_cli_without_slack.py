"""A team not on Slack yet: closing commitments and scheduling reviews from the terminal.

Every command goes through `voc`'s entry point with the settings an operator would export.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as voc
from bot.runtime import Runtime
from storage.models import AuditEntry
from tests.portfolio import MEMBER, account_row, load
from tests.slack import FakeSlack

SOON = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
CHANNEL = "C0ACME001"


@pytest.fixture
def terminal(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", str(runtime.engine.url))
    for name in ("SLACK_BOT_TOKEN", "VOC_WORKSPACE", "VOC_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    load(runtime, [account_row("ACME Corp")])
    return runtime


def _commit(capsys: pytest.CaptureFixture[str]) -> None:
    assert voc(["commit", "acme", "Send the roadmap", "--owner", MEMBER, "--due", SOON]) == 0
    capsys.readouterr()


def _open_ids(capsys: pytest.CaptureFixture[str]) -> list[int]:
    assert voc(["open", "--json"]) == 0
    return [item["id"] for item in json.loads(capsys.readouterr().out)]


def _audit(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "commitment").order_by(AuditEntry.id)
        ).all()
        return [(row.action, row.actor) for row in rows]


def test_a_commitment_is_closed_and_reopened_from_the_terminal(
    terminal: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    _commit(capsys)
    assert voc(["done", "1", "--by", "sam@vendor.example"]) == 0
    out = capsys.readouterr().out
    assert "Marked done: commitment #1 to ACME Corp: Send the roadmap" in out
    assert _open_ids(capsys) == []
    assert voc(["done", "#1"]) == 0
    assert "is already done" in capsys.readouterr().out
    assert voc(["reopen", "1", "--by", MEMBER]) == 0
    assert "Reopened: commitment #1 to ACME Corp" in capsys.readouterr().out
    assert _open_ids(capsys) == [1]
    assert _audit(terminal)[1:] == [
        ("commitment.done", "sam@vendor.example"),
        ("commitment.reopened", MEMBER),
    ]


@pytest.mark.parametrize("number", ["7", "seven"])
def test_an_unknown_commitment_exits_2(
    terminal: Runtime, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    _commit(capsys)
    assert voc(["done", number]) == 2
    assert "voc open` lists them" in capsys.readouterr().err
    assert voc(["reopen", number]) == 2
    assert _open_ids(capsys) == [1]


def test_with_slack_configured_the_commitment_message_follows(
    terminal: Runtime, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.api_url)
        slack.add_user(MEMBER)
        slack.add_channel(CHANNEL, name="acct-acme")
        _commit(capsys)
        [posted] = slack.messages_in(CHANNEL)
        assert voc(["done", "1", "--by", MEMBER]) == 0
        shown = slack.message(CHANNEL, posted["ts"])
        assert shown is not None and "~Send the roadmap~" in json.dumps(shown)
        replies = [c.params for c in slack.calls_to("chat.postMessage", ok=True)]
        assert any(
            r.get("thread_ts") == posted["ts"] and f"Marked done by <@{MEMBER}>" in r["text"]
            for r in replies
        )
        slack.assert_all_payloads_valid()


# -- review meetings ---------------------------------------------------------------------------


def test_a_review_is_scheduled_and_listed_from_the_terminal(
    terminal: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    # Thursday 5 December 2030, 14:00 in VOC_TIMEZONE (UTC by default). Two working days before
    # is Tuesday 3 December, at the 09:00 digest hour.
    assert voc(["meeting", "ACME Corp", "2030-12-05", "14:00", "--channel", "C0PREP001"]) == 0
    out = capsys.readouterr().out
    assert "Scheduled review #1 with ACME Corp for 2030-12-05 14:00 UTC." in out
    assert "Its digest is due 2030-12-03 09:00 UTC, in C0PREP001." in out
    assert voc(["meeting", "acme", "6 Dec 2030"]) == 0
    assert "for 2030-12-06 10:00 UTC (no time given, so 10:00)" in capsys.readouterr().out
    assert voc(["meetings", "acme", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "id": 1,
            "account": "ACME Corp",
            "starts_at": "2030-12-05T14:00:00+00:00",
            "channel": "C0PREP001",
            "digest_due_at": "2030-12-03T09:00:00+00:00",
            "digest_posted_at": None,
        },
        {
            "id": 2,
            "account": "ACME Corp",
            "starts_at": "2030-12-06T10:00:00+00:00",
            "channel": CHANNEL,  # the account's channel
            "digest_due_at": "2030-12-04T09:00:00+00:00",
            "digest_posted_at": None,
        },
    ]
    assert voc(["meetings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("#1     ACME Corp · 2030-12-05 14:00 UTC · C0PREP001 · digest due")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["meeting", "Umbrella", "2030-12-05"], 'No account is called "Umbrella"'),
        (["meeting", "acme", "2030-02-30"], "is not a calendar date"),
        (["meeting", "acme", "03/12"], "day/month or month/day"),
        (["meeting", "acme", "2020-12-03"], "That moment is in the past"),
        (["meetings", "Umbrella"], 'No account is called "Umbrella"'),
    ],
)
def test_a_review_that_cannot_be_scheduled_exits_2(
    terminal: Runtime, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert voc(argv) == 2
    assert said in capsys.readouterr().err
    assert voc(["meetings", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
