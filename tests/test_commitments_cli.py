"""`voc commit` and `voc open`: the same commitments without Slack, and with it when configured."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import build_parser, main
from bot.cli.commitments import run_commit, run_open
from bot.cli.reports import run_account
from bot.runtime import Runtime
from storage.models import Commitment
from tests.portfolio import AM, MEMBER, account_row, load
from tests.slack import FakeSlack

TODAY = datetime.now(UTC).date()  # VOC_TIMEZONE defaults to UTC: the CLI's "today"
SOON = (TODAY + timedelta(days=7)).isoformat()


def _voc(runtime: Runtime, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    command = {"commit": run_commit, "open": run_open, "account": run_account}[args.command]
    return command(args, runtime)


def _count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Commitment)) or 0


@pytest.fixture
def acme(runtime: Runtime) -> Runtime:
    load(runtime, [account_row("ACME Corp"), account_row("Globex", channel="C0GLOBEX1")])
    return runtime


def test_a_commitment_logged_from_the_terminal_is_listed_everywhere(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _voc(
            acme,
            "commit",
            "acme",
            "Send the 2027 roadmap",
            "--owner",
            MEMBER,
            "--due",
            SOON,
            "--area",
            "Product",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Recorded commitment #1 to ACME Corp: Send the 2027 roadmap" in out
    assert "Not posted to Slack: SLACK_BOT_TOKEN is not set" in out
    assert (
        _voc(
            acme,
            "commit",
            "globex",
            "Exec call with their CFO",
            "--owner",
            "Sam@Vendor.example",
            "--due",
            SOON,
        )
        == 0
    )
    capsys.readouterr()

    assert _voc(acme, "open", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "id": 1,
            "text": "Send the 2027 roadmap",
            "owner": MEMBER,
            "due": SOON,
            "status": "open",
            "area": "product",
            "account": "ACME Corp",
            "customer_told": False,
            "answers": None,
        },
        {
            "id": 2,
            "text": "Exec call with their CFO",
            "owner": "sam@vendor.example",
            "due": SOON,
            "status": "open",
            "area": "account_team",
            "account": "Globex",
            "customer_told": False,
            "answers": None,
        },
    ]
    assert _voc(acme, "open", "globex", "--json") == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [2]
    assert _voc(acme, "open", "--owner", "SAM@vendor.example", "--json") == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [2]
    assert _voc(acme, "open", "acme") == 0
    text = capsys.readouterr().out
    assert "ACME Corp" in text and "Send the 2027 roadmap" in text and "Globex" not in text

    assert _voc(acme, "account", "acme", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["open_commitments"] == [
        {
            "id": 1,
            "text": "Send the 2027 roadmap",
            "owner": MEMBER,
            "due": SOON,
            "status": "open",
            "area": "product",
        }
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "Do it", "--owner", MEMBER], 'No account is called "nope".'),
        (
            ["acme", "Do it", "--owner", MEMBER, "--due", "31/12/2026"],
            '--due: "31/12/2026" is not a date',
        ),
        (
            ["acme", "Do it", "--owner", MEMBER, "--due", "2020-01-01"],
            "--due: 2020-01-01 has passed",
        ),
        (["acme", "Do it", "--owner", MEMBER, "--area", "legal"], '--area: "legal" is not an area'),
        (
            ["acme", "Do it", "--owner", "dana"],
            '--owner: "dana" is not a Slack user ID or an email',
        ),
        (["acme", "  ", "--owner", MEMBER], "TEXT: Say what was promised."),
    ],
)
def test_rejected_input_exits_2_and_saves_nothing(
    acme: Runtime, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert _voc(acme, "commit", *argv) == 2
    assert message in capsys.readouterr().err
    assert _count(acme) == 0


def test_without_due_date_it_is_due_a_month_out(
    acme: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _voc(acme, "commit", "acme", "Fix the invoice format", "--owner", AM) == 0
    capsys.readouterr()
    _voc(acme, "open", "--json")
    [item] = json.loads(capsys.readouterr().out)
    # No feedback cycle on file, so no "before the next cycle": thirty days from today (UTC).
    assert item["due"] == (TODAY + timedelta(days=30)).isoformat()


def test_with_a_bot_token_it_is_posted_and_the_owner_told(
    make_runtime: Callable[..., Runtime], capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeSlack() as slack:
        runtime = make_runtime(slack_bot_token="xoxb-test", slack_api_url=slack.api_url)
        load(runtime, [account_row("ACME Corp")])
        slack.add_user(MEMBER, email="tess@vendor.example")
        slack.add_channel("C0ACME001", name="acct-acme")
        code = _voc(
            runtime,
            "commit",
            "acme",
            "Send the roadmap",
            "--owner",
            "tess@vendor.example",
            "--due",
            SOON,
        )
        assert code == 0
        assert "Posted in C0ACME001" in capsys.readouterr().out
        [message] = slack.messages_in("C0ACME001")
        assert "Send the roadmap" in message["text"]
        [dm] = slack.messages_in(slack.dm_channel(MEMBER))  # the email found them in Slack
        assert "Send the roadmap" in dm["text"]
        with runtime.sessions() as session:
            commitment = session.scalars(select(Commitment)).one()
        assert (commitment.channel, commitment.message_ts) == ("C0ACME001", message["ts"])
        slack.assert_all_payloads_valid()


def test_the_console_script_reaches_the_same_code(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "VOC_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["commit", "acme", "Do it", "--owner", MEMBER]) == 2
    assert 'No account is called "acme".' in capsys.readouterr().err
    assert main(["open", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
