"""`voc tick` from the terminal: a dry run without a token still plans reminders and
escalations (in VOC_TIMEZONE, owners as written), and says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from storage.models import Delivery
from tests.cli import voc
from tests.portfolio import AM, MEMBER, SPONSOR
from tests.reminders_world import two_promises_at_acme
from tests.slack import FakeSlack

NOW = "2026-12-01T10:00:00Z"  # a Tuesday


@pytest.fixture
def promised(runtime: Runtime) -> str:
    return two_promises_at_acme(runtime)


def test_a_dry_run_without_a_token_plans_reminders_in_the_team_timezone(
    promised: str, runtime: Runtime, tmp_path: Path
) -> None:
    ran = voc(
        "tick", "--dry-run", "--now", NOW,
        cwd=tmp_path, DATABASE_URL=promised, VOC_TIMEZONE="Europe/Paris",
    )  # fmt: skip
    assert ran.code == 0
    assert ran.out.splitlines() == [
        "dry run at 2026-12-01T10:00:00+00:00:",
        # The sponsor's monthly digest makes their DM of the day, the week's escalation in it.
        "  would send: reminder DM to U0EXEC001 at Tue 2026-12-01 09:00 Europe/Paris "
        "(08:00 UTC): 0 items",
        "      with the escalation of 2026-W49: late #2",
        "      with the executive digest (2026-12)",
        "  would send: reminder DM to U0TEAM001 at Tue 2026-12-01 09:00 Europe/Paris "
        "(08:00 UTC): 1 item",
        "      #1 due soon: ACME Corp — Send the roadmap",
        "  would send: reminder DM to bo@example.com at Tue 2026-12-01 09:00 Europe/Paris "
        "(08:00 UTC): 1 item",
        "      #2 overdue: ACME Corp — Fix the invoices",
        "  would send: escalation DM to U0AM00001 at Tue 2026-12-01 09:00 Europe/Paris "
        "(2026-W49): 1 late: #2",
        "  would send: escalation DM to U0EXEC001 at Tue 2026-12-01 09:00 Europe/Paris "
        "(2026-W49): 1 late: #2",
        "  would send: open promises summary for ACME Corp in C0ACME001 (2026-W49)",
    ]
    assert ran.err_lines == [
        "No Slack token: reminders planned in VOC_TIMEZONE (Europe/Paris), owners not resolved."
    ]
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_a_real_tick_without_a_token_still_sends_nothing(promised: str, tmp_path: Path) -> None:
    ran = voc("tick", "--now", NOW, cwd=tmp_path, DATABASE_URL=promised)
    assert ran.code == 0
    assert ran.out.splitlines()[1:] == [
        "  skipped: open promises summary for ACME Corp in C0ACME001 (2026-W49) "
        "(no Slack token for this workspace)"
    ]
    assert "No Slack token: reminders planned" not in ran.err


STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def test_a_tick_logs_each_delivery_and_each_warning_with_time_and_level(
    promised: str, slack: FakeSlack, tmp_path: Path
) -> None:
    for user in (MEMBER, AM, SPONSOR):
        slack.add_user(user, tz="Europe/Paris")
    slack.add_channel("C0ACME001", name="acct-acme", members=[AM])
    slack.fail_next("users.lookupByEmail", status=500, count=10)  # Slack busy: Bo waits

    ran = voc(
        "tick", "--now", NOW,
        cwd=tmp_path, DATABASE_URL=promised, SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.api_url,
    )  # fmt: skip
    assert ran.code == 0
    assert sum(line.startswith("  sent: ") for line in ran.out.splitlines()) == 4
    logged = [re.sub(f"^{STAMP} ", "<time> ", line) for line in ran.err_lines]
    assert logged[0].startswith(
        "<time> WARNING bot.reminders.planning: reminders for bo@example.com wait for the "
        "next tick: "
    )
    assert logged[1:] == [
        # The sponsor's one DM of the day: the monthly digest, with the week's escalation.
        "<time> INFO bot.scheduler: reminder reminder:U0EXEC001:2026-12-01: sent",
        "<time> INFO bot.scheduler: reminder reminder:U0TEAM001:2026-12-01: sent",
        "<time> INFO bot.scheduler: escalation escalation:U0AM00001:2026-W49: sent",
        "<time> INFO bot.scheduler: open_promises open-promises:1:2026-W49: sent",
    ]


def test_a_failed_delivery_is_logged_as_a_warning(promised: str, tmp_path: Path) -> None:
    from tests.slack import FakeSlack as Fake

    with Fake() as slack:
        slack.add_user(MEMBER, tz="Europe/Paris")
        slack.fail_next("chat.postMessage", error="channel_not_found", count=10)
        ran = voc(
            "tick", "--now", NOW,
            cwd=tmp_path, DATABASE_URL=promised, SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.api_url,
        )  # fmt: skip
    warnings = [line for line in ran.err_lines if " WARNING bot.scheduler: " in line]
    assert warnings, ran.err
    assert all(re.match(f"^{STAMP} WARNING bot.scheduler: ", line) for line in warnings)
