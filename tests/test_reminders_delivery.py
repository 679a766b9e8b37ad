"""A reminder reaches its owner once, whatever ticks, crashes, Slack and a second instance do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import update

from bot.reminders import bundle, planning
from bot.runtime import Runtime
from bot.slack_client import client_for_workspace
from storage.db import make_engine, session_factory, transaction
from storage.models import Commitment
from tests.conftest import _truncate_all, make_settings
from tests.reminders_world import (
    ANN,
    BO,
    BO_EMAIL,
    LIA,
    PARIS,
    item_texts,
    ledger_rows,
    load_accounts,
    promise,
    reminders_to,
    serve_history,
    tick,
    world_settings,
)
from tests.slack import FakeSlack

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)  # 08:00 UTC
THURSDAY = date(2026, 12, 10)  # due soon from Monday


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    runtime = make_runtime(**world_settings(slack))
    load_accounts(runtime, slack)
    serve_history(slack)
    return runtime


def _outcomes(rt: Runtime, now: datetime, **options: Any) -> list[str]:
    return [e.outcome for e in tick(rt, now, **options).done if e.item.job == "reminder"]


def _plan_for(rt: Runtime, user: str, now: datetime) -> planning.OwnerReminder:
    [plan] = [p for p in planning.plan_reminders(rt, now.astimezone(UTC)) if p.user_id == user]
    return plan


@pytest.mark.parametrize("status", [429, 500])
def test_a_slack_failure_is_retried_by_the_next_tick_and_sends_once(
    rt: Runtime, slack: FakeSlack, status: int
) -> None:
    item = promise(rt, "Send the SSO plan", ANN, THURSDAY)
    slack.fail_next("chat.postMessage", status, retry_after=0)

    failed = tick(rt, MONDAY)
    [entry] = [e for e in failed.done if e.item.job == "reminder"]
    assert entry.outcome == "failed" and str(status) in (entry.detail or "")
    assert reminders_to(slack, ANN) == []
    assert ledger_rows(rt, "reminder") == [
        (f"reminder:{ANN}:2026-12-07", "failed"),
        (f"reminder_item:{item}:due_soon:2026-12-10", "failed"),
    ]

    assert _outcomes(rt, MONDAY + timedelta(minutes=2)) == ["sent"]
    assert _outcomes(rt, MONDAY + timedelta(minutes=4)) == []
    [dm] = reminders_to(slack, ANN)
    assert "Send the SSO plan" in item_texts(dm)[0]
    assert ledger_rows(rt, "reminder") == [
        (f"reminder:{ANN}:2026-12-07", "sent"),
        (f"reminder_item:{item}:due_soon:2026-12-10", "sent"),
    ]


def test_a_post_stored_by_slack_before_a_500_is_found_not_repeated(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, THURSDAY)
    real = slack.workspace.call

    def store_then_fail(params: dict[str, Any]) -> dict[str, Any]:
        real("chat.postMessage", params)
        slack.set_handler("chat.postMessage", lambda p: real("chat.postMessage", p))
        return {"ok": False, "error": "internal_error"}

    slack.set_handler("chat.postMessage", store_then_fail)
    assert _outcomes(rt, MONDAY) == ["failed"]
    assert _outcomes(rt, MONDAY + timedelta(minutes=2)) == ["found"]
    [dm] = reminders_to(slack, ANN)
    assert [status for _, status in ledger_rows(rt, "reminder")] == ["sent", "sent"]
    assert _outcomes(rt, MONDAY + timedelta(days=1)) == []
    assert len(reminders_to(slack, ANN)) == 1
    assert dm["ts"] == reminders_to(slack, ANN)[0]["ts"]


def test_a_timeout_after_slack_stored_the_message_is_found_not_repeated(
    rt: Runtime, slack: FakeSlack
) -> None:
    promise(rt, "Send the SSO plan", ANN, THURSDAY)
    real = slack.workspace.call
    release = threading.Event()

    def store_then_hang(params: dict[str, Any]) -> dict[str, Any]:
        stored = real("chat.postMessage", params)
        release.wait(timeout=10)  # the bot gave up long before this answer
        return stored

    def impatient_client(workspace_id: str) -> WebClient:
        return WebClient(token="xoxb-test", base_url=slack.api_url, timeout=0.5)

    slack.set_handler("chat.postMessage", store_then_hang)
    try:
        report = tick(rt, MONDAY, client_for=impatient_client)
    finally:
        release.set()
    [entry] = [e for e in report.done if e.item.job == "reminder"]
    assert entry.outcome == "failed" and "timed out" in (entry.detail or "").lower()

    slack.set_handler("chat.postMessage", lambda p: real("chat.postMessage", p))
    assert _outcomes(rt, MONDAY + timedelta(minutes=2)) == ["found"]
    assert len(reminders_to(slack, ANN)) == 1


@pytest.mark.parametrize("reached_slack", [True, False])
def test_a_sender_that_died_mid_send_is_taken_over_without_doubling(
    rt: Runtime, slack: FakeSlack, reached_slack: bool
) -> None:
    item = promise(rt, "Send the SSO plan", ANN, THURSDAY)
    now = MONDAY.astimezone(UTC)
    plan = _plan_for(rt, ANN, now)
    assert bundle.claim_bundle(rt.sessions, plan, now, worker="dead-host:1") is not None
    if reached_slack:
        WebClient(token="xoxb-test", base_url=slack.api_url).chat_postMessage(
            channel=ANN,
            text="Your reminder (posted by the process that died)",
            metadata={
                "event_type": "voc_reminder",
                "event_payload": {"key": plan.key, "items": [item]},
            },
        )

    assert _outcomes(rt, now + timedelta(minutes=2)) == ["skipped"]  # its lease still runs
    assert _outcomes(rt, now + timedelta(minutes=6)) == ["found" if reached_slack else "sent"]
    assert len(reminders_to(slack, ANN)) == 1
    assert [status for _, status in ledger_rows(rt, "reminder")] == ["sent", "sent"]
    assert _outcomes(rt, now + timedelta(minutes=8)) == []


def test_a_promise_done_between_planning_and_sending_sends_nothing_and_blocks_nothing(
    rt: Runtime, slack: FakeSlack
) -> None:
    from bot.delivery.jobs import Job
    from bot.reminders.day import day_job
    from bot.scheduler import run_due_work

    first = promise(rt, "Send the SSO plan", ANN, THURSDAY)

    def complete_then_deliver(runtime: Runtime, client: WebClient, item: Any, now: datetime):  # type: ignore[no-untyped-def]
        with transaction(runtime.sessions) as session:
            session.execute(update(Commitment).where(Commitment.id == first).values(status="done"))
        return bundle.deliver(runtime, client, item, now)

    job = Job("reminder", day_job([]).find_due, complete_then_deliver)
    report = run_due_work(rt, MONDAY.astimezone(UTC), jobs=[job])
    assert [(e.outcome, e.detail) for e in report.done] == [
        ("skipped", "already sent today, being sent, or nothing left to say")
    ]
    assert reminders_to(slack, ANN) == [] and ledger_rows(rt, "reminder") == []

    promise(rt, "Price the extra seats", ANN, date(2026, 12, 9))
    assert _outcomes(rt, MONDAY + timedelta(hours=2)) == ["sent"]  # the day was not used up
    assert len(reminders_to(slack, ANN)) == 1


def test_a_promise_handed_over_mid_send_reaches_its_new_owner_once(
    rt: Runtime, slack: FakeSlack
) -> None:
    """Ann's DM is in flight on a slow host when the promise passes to Bo (New York)."""
    item = promise(rt, "Send the SSO plan", ANN, THURSDAY)
    at = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Paris 15:00, New York 09:00
    plan = _plan_for(rt, ANN, at)
    assert bundle.claim_bundle(rt.sessions, plan, at, worker="slow-host:1") is not None
    with transaction(rt.sessions) as session:
        session.execute(update(Commitment).where(Commitment.id == item).values(owner=BO_EMAIL))

    assert _outcomes(rt, at + timedelta(minutes=1)) == ["skipped"]  # in Ann's DM right now
    assert reminders_to(slack, BO) == []
    assert _outcomes(rt, at + timedelta(minutes=10)) == ["sent"]  # the slow host never finished
    assert reminders_to(slack, ANN) == []
    [dm] = reminders_to(slack, BO)
    assert "Send the SSO plan" in item_texts(dm)[0]


# --- several schedulers at once -----------------------------------------------------------------


def _three_owners_due(rt: Runtime) -> list[int]:
    """Ann (Paris 18:00), Bo (New York 12:00) and Lia (Los Angeles 09:00) at 17:00 UTC."""
    return [promise(rt, f"Promise of {who}", who, THURSDAY) for who in (ANN, ANN, BO_EMAIL, LIA)]


AT_17_UTC = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def _race(runtimes: list[Runtime], now: datetime) -> list[str]:
    """Every scheduler plans, then all deliver at once."""
    barrier = threading.Barrier(len(runtimes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(runtime: Runtime) -> None:
        def client_after_everyone_planned(workspace_id: str) -> WebClient | None:
            barrier.wait(timeout=20)
            return client_for_workspace(runtime, workspace_id)

        report = tick(runtime, now, client_for=client_after_everyone_planned)
        with lock:
            outcomes.extend(e.outcome for e in report.done if e.item.job == "reminder")

    threads = [threading.Thread(target=run, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _each_once(rt: Runtime, slack: FakeSlack, items: list[int]) -> None:
    assert [len(reminders_to(slack, who)) for who in (ANN, BO, LIA)] == [1, 1, 1]
    assert len(item_texts(reminders_to(slack, ANN)[0])) == 2
    rows = ledger_rows(rt, "reminder_item")
    assert rows == sorted((f"reminder_item:{i}:due_soon:2026-12-10", "sent") for i in items)


def test_overlapping_ticks_send_each_owner_one_message(
    any_runtime: Runtime, slack: FakeSlack
) -> None:
    rt = replace(any_runtime, settings=replace(any_runtime.settings, **world_settings(slack)))
    load_accounts(rt, slack)
    items = _three_owners_due(rt)
    outcomes = _race([rt] * 4, AT_17_UTC)
    assert sorted(outcomes) == ["sent"] * 3 + ["skipped"] * 9
    _each_once(rt, slack, items)


def test_two_instances_on_one_postgresql_database_send_once(
    postgres_schema_url: str, slack: FakeSlack
) -> None:
    """Two bot instances (own engines, own pools, own caches) tick together, twice each."""
    _truncate_all(postgres_schema_url)
    instances = [
        Runtime(
            settings=make_settings(postgres_schema_url, **world_settings(slack)),
            engine=(engine := make_engine(postgres_schema_url)),
            sessions=session_factory(engine),
        )
        for _ in range(2)
    ]
    try:
        load_accounts(instances[0], slack)
        items = _three_owners_due(instances[0])
        outcomes = _race(instances * 2, AT_17_UTC)
        assert sorted(outcomes) == ["sent"] * 3 + ["skipped"] * 9
        _each_once(instances[1], slack, items)
        assert _outcomes(instances[1], AT_17_UTC + timedelta(minutes=2)) == []
    finally:
        for instance in instances:
            instance.engine.dispose()
