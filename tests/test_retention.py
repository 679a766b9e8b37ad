"""Retention: finished bookkeeping rows past VOC_RETENTION_DAYS go, what is still needed stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from bot.runtime import Runtime
from bot.scheduler import default_jobs, run_due_work
from storage.db import transaction
from storage.models import Delivery, OwedReply, ProcessedEvent
from storage.operations import remove_old_rows
from tests.slack import FakeSlack

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=91)  # past the default 90 days
RECENT = NOW - timedelta(days=89)
WORKSPACE = "local"
# The re-read job would do (and so drop) the owed re-read first; here only the trim runs.
RETENTION = [job for job in default_jobs() if job.name == "retention"]


def _delivery(
    key: str, status: str, created: datetime, kind: str = "reminder", **values: object
) -> Delivery:
    return Delivery(
        workspace_id=WORKSPACE, delivery_key=key, kind=kind, status=status,
        created_at=created, **values,
    )  # fmt: skip


def _event(key: str, received: datetime) -> ProcessedEvent:
    return ProcessedEvent(workspace_id=WORKSPACE, event_key=key, received_at=received)


def _owed_reply(key: str, created: datetime) -> OwedReply:
    return OwedReply(
        workspace_id=WORKSPACE, delivery_key=key, user_id="U1", command="/voc account Acme",
        response_url="https://hooks.example/1", expires_at=created + timedelta(minutes=30),
        created_at=created,
    )  # fmt: skip


def _hand_made_rows(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        session.add_all(
            [
                _delivery("old-sent", "sent", OLD, sent_at=OLD),
                _delivery("old-cancelled", "cancelled", OLD),
                _delivery("old-owed", "failed", OLD, attempts=0, last_error="not sent yet"),
                _delivery("old-failed", "failed", OLD, attempts=3, last_error="boom"),
                _delivery("old-leased", "claimed", OLD, lease_until=NOW + timedelta(minutes=5)),
                _delivery("old-but-sent-lately", "sent", OLD, sent_at=RECENT),
                _delivery("recent-sent", "sent", RECENT, sent_at=RECENT),
                # One flag per follow-up, ever: gone, an open follow-up would be flagged again.
                _delivery("followup-late:3", "sent", OLD, "followup_late", sent_at=OLD),
                _event("Ev-old", OLD),
                _event("reaction-recheck:7", OLD),  # a re-read a later tick still owes
                _event("Ev-recent", RECENT),
                _owed_reply("reply:old", OLD),
                _owed_reply("reply:recent", RECENT),
            ]
        )


def _keys(runtime: Runtime) -> tuple[set[str], set[str]]:
    with runtime.sessions() as session:
        deliveries = set(session.scalars(select(Delivery.delivery_key)))
        events = set(session.scalars(select(ProcessedEvent.event_key)))
    return deliveries, events


def _owed_reply_keys(runtime: Runtime) -> set[str]:
    with runtime.sessions() as session:
        return set(session.scalars(select(OwedReply.delivery_key)))


def test_the_daily_job_removes_only_finished_old_rows(
    any_runtime: Runtime, slack: FakeSlack
) -> None:
    _hand_made_rows(any_runtime)
    client = WebClient(token="xoxb-test", base_url=slack.api_url)

    report = run_due_work(any_runtime, NOW, client_for=lambda _ws: client, jobs=RETENTION)

    assert report.lines() == [
        "tick at 2026-12-01T10:00:00+00:00:",
        "  done: remove deliveries and event keys older than 90 days (removed 2 deliveries, "
        "1 event keys and 1 owed command answers from before 2026-09-02)",
    ]
    deliveries, events = _keys(any_runtime)
    assert deliveries == {
        "old-owed",
        "old-failed",
        "old-leased",
        "old-but-sent-lately",
        "recent-sent",
        "followup-late:3",
        "retention:2026-12-01",
    }
    assert events == {"reaction-recheck:7", "Ev-recent"}
    assert _owed_reply_keys(any_runtime) == {"reply:recent"}
    assert slack.calls == []  # trimming asks Slack nothing

    again = run_due_work(
        any_runtime, NOW + timedelta(hours=1), client_for=lambda _ws: client, jobs=RETENTION
    )
    assert again.lines() == ["tick at 2026-12-01T11:00:00+00:00: nothing due"]


def test_a_shorter_retention_reaches_further(make_runtime, slack: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(retention_days=30)
    _hand_made_rows(runtime)
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    run_due_work(runtime, NOW, client_for=lambda _ws: client, jobs=RETENTION)
    deliveries, events = _keys(runtime)
    assert deliveries == {
        "old-owed",
        "old-failed",
        "old-leased",
        "followup-late:3",
        "retention:2026-12-01",
    }
    assert events == {"reaction-recheck:7"}
    assert _owed_reply_keys(runtime) == set()


def test_big_tables_are_trimmed_in_batches_until_nothing_old_is_left(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        session.add_all(_event(f"Ev-{n}", OLD) for n in range(7))
        session.add(_event("Ev-new", NOW))
    removed = remove_old_rows(runtime.sessions, NOW - timedelta(days=90), batch=3)
    assert (removed.deliveries, removed.processed_events) == (0, 7)
    assert _keys(runtime)[1] == {"Ev-new"}
