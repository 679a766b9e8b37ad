"""What an operator watches: /readyz, the delivery and import counts in /metrics, JSON logs."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk import WebClient
from sqlalchemy import text

from bot.cli import main as voc_main
from bot.delivery.post import Delivery, Message, post_once
from bot.runtime import Runtime
from tests.cli import voc, write_csv
from tests.conftest import SlackBot
from tests.portfolio import AM, MEMBER, SPONSOR
from tests.reminders_world import two_promises_at_acme
from tests.slack import FakeSlack

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HELLO = Message("hello")
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except HTTPError as error:
        return error.code, error.read()


def _sample(bot: SlackBot, name: str, **labels: str) -> float:
    status, body = _get(f"{bot.base_url}/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_readyz_says_why_not_when_the_schema_is_behind_while_healthz_stays_up(
    bot: SlackBot,
) -> None:
    assert _get(f"{bot.base_url}/readyz") == (200, b"ready\n")
    with bot.runtime.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    assert _get(f"{bot.base_url}/readyz") == (
        503,
        b"not ready: schema at revision 0003, this code needs 0009 (run `voc db upgrade`)\n",
    )
    assert _get(f"{bot.base_url}/healthz")[0] == 200


def test_deliveries_are_counted_by_kind_and_outcome(bot: SlackBot, slack: FakeSlack) -> None:
    slack.add_channel("C0ACME001", name="acct-acme")
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    before = {
        outcome: _sample(bot, "voc_deliveries_total", kind="metrics_test", outcome=outcome)
        for outcome in ("sent", "taken_elsewhere", "failed", "cancelled")
    }

    def deliver(key: str, message: Message | None = HELLO):  # type: ignore[no-untyped-def]
        delivery = Delivery("T0VOCTEAM", key, "metrics_test", "C0ACME001", "voc_test")
        return post_once(bot.runtime.sessions, client, delivery, lambda: message, NOW)

    assert deliver("metrics:1").outcome == "sent"
    assert deliver("metrics:1").outcome == "skipped"  # already sent: nothing posted
    slack.fail_next("chat.postMessage", status=500)
    assert deliver("metrics:2").outcome == "failed"
    assert deliver("metrics:3", None).outcome == "skipped"  # no longer owed: withdrawn

    after = {outcome: _sample(bot, "voc_deliveries_total", kind="metrics_test", outcome=outcome)
             for outcome in before}  # fmt: skip
    assert {k: after[k] - before[k] for k in before} == {
        "sent": 1,
        "taken_elsewhere": 1,
        "failed": 1,
        "cancelled": 1,
    }
    assert len(slack.messages_in("C0ACME001")) == 1


def test_imported_rows_are_counted_and_a_rejected_file_adds_none(
    bot: SlackBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("SLACK_", "VOC_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", str(bot.runtime.engine.url))
    good = write_csv(
        tmp_path / "roster.csv",
        "account,segment,tier,account_manager",
        "ACME Corp,Enterprise,strategic,U0AM00001",
        "Beta Ltd,Enterprise,key,U0AM00001",
        "Gamma Inc,Mid-market,standard,U0AM00001",
    )
    bad = write_csv(tmp_path / "bad.csv", "account,tier", "Delta,platinum")
    before = _sample(bot, "voc_import_rows_total", kind="accounts")

    assert voc_main(["import", "accounts", str(good)]) == 0
    assert voc_main(["import", "accounts", str(bad)]) == 2

    assert _sample(bot, "voc_import_rows_total", kind="accounts") - before == 3


@pytest.fixture
def promised(runtime: Runtime) -> str:
    return two_promises_at_acme(runtime)


def test_json_logs_are_one_object_per_line_with_each_delivery_key(
    promised: str, slack: FakeSlack, tmp_path: Path
) -> None:
    for user in (MEMBER, AM, SPONSOR):
        slack.add_user(user, tz="Europe/Paris")
    slack.add_channel("C0ACME001", name="acct-acme", members=[AM])
    slack.fail_next("users.lookupByEmail", status=500, count=10)

    ran = voc(
        "tick", "--now", "2026-12-01T10:00:00Z",
        cwd=tmp_path, DATABASE_URL=promised, SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.api_url, VOC_LOG_FORMAT="json",
    )  # fmt: skip

    assert ran.code == 0
    entries = [json.loads(line) for line in ran.err_lines]
    assert all(re.fullmatch(STAMP, entry["time"]) for entry in entries)
    assert entries[0]["level"] == "WARNING"
    delivered = [
        (entry["level"], entry["key"], entry["message"].rsplit(": ", 1)[-1])
        for entry in entries
        if entry["logger"] == "bot.scheduler"
    ]
    assert delivered == [  # the same deliveries test_cli_tick sees logged as text
        ("INFO", "reminder:U0EXEC001:2026-12-01", "sent"),
        ("INFO", "reminder:U0TEAM001:2026-12-01", "sent"),
        ("INFO", "escalation:U0AM00001:2026-W49", "sent"),
        ("INFO", "open-promises:1:2026-W49", "sent"),
    ]


def test_an_unknown_log_format_is_a_configuration_problem(tmp_path: Path) -> None:
    ran = voc("doctor", cwd=tmp_path, VOC_LOG_FORMAT="xml")
    assert ran.code == 78
    assert 'VOC_LOG_FORMAT: "xml" is not one of text, json' in ran.err
