"""Promises that stay late reach the account manager and, for strategic accounts, the executive
sponsor once a week; the account channel hears about open promises only while one is overdue.

Alma (account manager of both accounts) works in Paris, Seb (executive sponsor of both) in New
York. ACME Corp is strategic, Globex standard. 14 and 21 December 2026 are Mondays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.runtime import Runtime
from bot.scheduler import TickReport, default_jobs, run_due_work
from storage.db import transaction
from storage.models import Commitment
from tests.portfolio import AM, SPONSOR
from tests.reminders_world import (
    ACME_CHANNEL,
    ANN,
    BO,
    BO_EMAIL,
    GLOBEX_CHANNEL,
    KEN,
    LIA,
    PARIS,
    ledger_rows,
    load_accounts,
    promise,
    serve_history,
    tagged,
    tick,
    world_settings,
)
from tests.slack import FakeSlack

MONDAY = datetime(2026, 12, 14, 9, 0, tzinfo=PARIS)  # 08:00 UTC


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    runtime = make_runtime(**world_settings(slack))
    load_accounts(runtime, slack)
    serve_history(slack)
    return runtime


def _escalations_to(slack: FakeSlack, user: str) -> list[dict[str, Any]]:
    return tagged(slack, slack.dm_channel(user), "voc_escalation")


def _text(message: dict[str, Any]) -> str:
    return message["text"] + "\n" + str(message["blocks"])


def _only(job: str, runtime: Runtime, now: datetime) -> TickReport:
    jobs = [j for j in default_jobs() if j.name == job]
    return run_due_work(runtime, now.astimezone(UTC), jobs=jobs)


def _complete(rt: Runtime, commitment_id: int) -> None:
    with transaction(rt.sessions) as session:
        session.execute(
            update(Commitment).where(Commitment.id == commitment_id).values(status="done")
        )


def test_late_promises_reach_the_manager_and_the_sponsor_once_a_week(
    rt: Runtime, slack: FakeSlack
) -> None:
    invoice = promise(rt, "Fix the invoice format", ANN, date(2026, 12, 3))  # 11 days late
    promise(rt, "Quarterly roadmap call", BO_EMAIL, date(2026, 12, 7))  # 7 days: not yet
    promise(rt, "Named support engineer", KEN, date(2026, 12, 4))  # 10 days late
    promise(rt, "Globex security review", LIA, date(2026, 12, 1), account="Globex")

    sent: dict[str, list[datetime]] = defaultdict(list)
    moment = datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
    while moment < datetime(2026, 12, 22, 0, 0, tzinfo=UTC):
        if moment == datetime(2026, 12, 16, 12, 0, tzinfo=UTC):
            _complete(rt, invoice)
        for entry in tick(rt, moment).done:
            if entry.item.job == "escalation" and entry.outcome == "sent":
                sent[entry.item.payload.user_id].append(moment)
        moment += timedelta(hours=1)

    # 09:00 on Monday in Paris (UTC+1) and in New York (UTC−5), once in each week.
    assert sent == {
        AM: [datetime(2026, 12, 14, 8, tzinfo=UTC), datetime(2026, 12, 21, 8, tzinfo=UTC)],
        SPONSOR: [datetime(2026, 12, 14, 14, tzinfo=UTC), datetime(2026, 12, 21, 14, tzinfo=UTC)],
    }
    first, second = _escalations_to(slack, AM)
    assert "Fix the invoice format" in _text(first)
    assert "Named support engineer" in _text(first)
    assert "Globex security review" in _text(first)
    assert "Quarterly roadmap call" not in _text(first)
    assert "11 days late" in _text(first) and "ACME Corp* (strategic)" in _text(first)
    assert first["text"].startswith("3 promises to customers are over 7 days late")
    # A week on: the invoice was fixed, the roadmap call is now 14 days late.
    assert "Fix the invoice format" not in _text(second)
    assert "Quarterly roadmap call" in _text(second) and "14 days late" in _text(second)

    sponsor_first, _ = _escalations_to(slack, SPONSOR)
    assert "Fix the invoice format" in _text(sponsor_first)
    assert "Globex" not in _text(sponsor_first)  # standard account: the manager's alone


def test_nothing_late_enough_escalates_nothing(rt: Runtime, slack: FakeSlack) -> None:
    promise(rt, "Quarterly roadmap call", BO_EMAIL, date(2026, 12, 7))
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 18))
    for hour in range(24):
        _only("escalation", rt, datetime(2026, 12, 14, hour, tzinfo=UTC))
    assert _escalations_to(slack, AM) == [] and _escalations_to(slack, SPONSOR) == []


def test_a_sponsor_who_also_manages_the_account_gets_one_message(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    from tests.portfolio import account_row, load
    from tests.reminders_world import add_people

    rt = make_runtime(**world_settings(slack))
    add_people(slack)
    load(rt, [account_row("ACME Corp", exec_sponsor=AM)])
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 3))
    report = _only("escalation", rt, MONDAY)
    assert [(e.item.payload.user_id, e.outcome) for e in report.done] == [(AM, "sent")]
    assert len(_escalations_to(slack, AM)) == 1


def test_a_manager_who_owns_a_late_promise_gets_one_dm_that_day(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Fix the invoice format", AM, date(2026, 12, 3))  # Alma's own, 11 days late
    promise(rt, "Named support engineer", BO_EMAIL, date(2026, 12, 4))  # Bo's, 10 days late
    moment = datetime(2026, 12, 14, 0, 0, tzinfo=UTC)
    while moment < datetime(2026, 12, 15, 0, 0, tzinfo=UTC):
        tick(rt, moment)
        moment += timedelta(hours=1)

    [dm] = slack.messages_in(slack.dm_channel(AM))
    text = _text(dm)
    # Her reminder first: her own promise, overdue, with its buttons.
    assert dm["metadata"]["event_type"] == "voc_reminder"
    assert "Promises to customers that need you" in text and "*Overdue*" in text
    # Then the week's escalation, naming Bo by mention, not by email.
    assert "Promises to customers running late" in text
    assert "11 days late" in text and "10 days late" in text
    assert f"<@{BO}>" in text and BO_EMAIL not in text
    assert ledger_rows(rt, f"reminder:{AM}") == [(f"reminder:{AM}:2026-12-14", "sent")]
    assert ledger_rows(rt, f"escalation:{AM}") == [(f"escalation:{AM}:2026-W51", "sent")]
    # Later ticks that day and the next morning owe her nothing more this week's escalation.
    tick(rt, datetime(2026, 12, 15, 9, 0, tzinfo=PARIS))
    assert [m for m in slack.messages_in(slack.dm_channel(AM)) if "running late" in _text(m)] == [
        dm
    ]


@pytest.mark.parametrize("stored_before_failing", [False, True])
def test_a_failed_escalation_is_retried_and_arrives_once(
    rt: Runtime, slack: FakeSlack, stored_before_failing: bool
) -> None:
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 3))
    promise(rt, "Globex security review", LIA, date(2026, 12, 1), account="Globex")
    real = slack.workspace.call

    def fail_once(params: dict[str, Any]) -> dict[str, Any]:
        if stored_before_failing:
            real("chat.postMessage", params)
        slack.set_handler("chat.postMessage", lambda p: real("chat.postMessage", p))
        return {"ok": False, "error": "internal_error"}

    slack.set_handler("chat.postMessage", fail_once)
    assert [e.outcome for e in _only("escalation", rt, MONDAY).done] == ["failed"]
    retried = _only("escalation", rt, MONDAY + timedelta(minutes=2))
    assert [e.outcome for e in retried.done] == ["found" if stored_before_failing else "sent"]
    assert _only("escalation", rt, MONDAY + timedelta(minutes=4)).done == []
    assert len(_escalations_to(slack, AM)) == 1
    assert ledger_rows(rt, "escalation") == [(f"escalation:{AM}:2026-W51", "sent")]


def test_an_escalation_with_nothing_left_to_say_blocks_nothing_later_that_week(
    rt: Runtime, slack: FakeSlack
) -> None:
    invoice = promise(rt, "Fix the invoice format", ANN, date(2026, 12, 3))
    [escalation] = [j for j in default_jobs() if j.name == "escalation"]

    def complete_then_deliver(runtime: Runtime, client: Any, item: Any, now: datetime) -> Any:
        _complete(runtime, invoice)
        return escalation.deliver(runtime, client, item, now)

    job = replace(escalation, deliver=complete_then_deliver)
    report = run_due_work(rt, MONDAY.astimezone(UTC), jobs=[job])
    assert [(e.outcome, e.detail) for e in report.done] == [("skipped", "nothing to say any more")]
    assert ledger_rows(rt, "escalation") == []  # rolled back, not withdrawn

    promise(rt, "Named support engineer", KEN, date(2026, 12, 4))
    tuesday = _only("escalation", rt, MONDAY + timedelta(days=1))
    assert [(e.item.payload.user_id, e.outcome) for e in tuesday.done] == [(AM, "sent")]
    [message] = _escalations_to(slack, AM)
    assert "Named support engineer" in _text(message)


# --- the account channel --------------------------------------------------------------------------


def test_the_channel_hears_about_open_promises_weekly_only_while_one_is_overdue(
    rt: Runtime, slack: FakeSlack
) -> None:
    late = promise(rt, "Fix the invoice format", ANN, date(2026, 12, 10))
    promise(rt, "Send the SSO plan", ANN, date(2026, 12, 30))
    promise(rt, "Globex renewal deck", LIA, date(2026, 12, 30), account="Globex")

    assert _only("open_promises", rt, MONDAY - timedelta(minutes=1)).done == []
    sent = _only("open_promises", rt, MONDAY)
    assert [(e.item.payload.channel, e.outcome) for e in sent.done] == [(ACME_CHANNEL, "sent")]
    [summary] = tagged(slack, ACME_CHANNEL, "voc_open_promises")
    assert summary["text"] == "Open promises to ACME Corp: 2 open, 1 overdue"
    lines = str(summary["blocks"])
    assert lines.index("Fix the invoice format") < lines.index("Send the SSO plan")
    assert ":warning: Fix the invoice format" in lines
    assert tagged(slack, GLOBEX_CHANNEL, "voc_open_promises") == []

    for day in range(15, 19):  # the rest of the week: nothing more
        assert _only("open_promises", rt, MONDAY.replace(day=day)).done == []
    _complete(rt, late)
    assert _only("open_promises", rt, MONDAY + timedelta(days=7)).done == []
    assert len(tagged(slack, ACME_CHANNEL, "voc_open_promises")) == 1


def test_the_channel_summary_goes_by_the_team_clock_not_at_weekends(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Fix the invoice format", ANN, date(2026, 12, 10))
    saturday = datetime(2026, 12, 12, 10, 0, tzinfo=PARIS)
    for hours in range(0, 46, 3):  # Saturday 10:00 to Monday 08:00, Paris
        assert _only("open_promises", rt, saturday + timedelta(hours=hours)).done == []
    assert [e.outcome for e in _only("open_promises", rt, MONDAY).done] == ["sent"]
