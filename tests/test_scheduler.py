"""The scheduler posts each meeting's digest once, whatever ticks, crashes and Slack do.

Every tick is given its `now`; the account channel of the fake Slack is what people would see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery import ledger
from bot.meetings.rules import digest_key
from bot.meetings.service import cancel_meeting, move_meeting
from bot.runtime import Runtime
from bot.scheduler import default_jobs, start_background_scheduler
from bot.slack_client import client_for_workspace
from storage.db import make_engine, session_factory
from tests.conftest import _truncate_all, make_settings
from tests.portfolio import AM, account_row, load
from tests.reviews import (
    CHANNEL,
    DIGEST_DUE,
    MEETING_AT,
    MINUTE,
    PARIS,
    block_texts,
    digests_in,
    load_acme,
    meeting_row,
    schedule,
    scheduler_settings,
    serve_history,
    tick,
)
from tests.slack import FakeSlack


@pytest.fixture
def rt(make_runtime: Callable[..., Runtime], slack: FakeSlack) -> Runtime:
    runtime = make_runtime(**scheduler_settings(slack))
    load_acme(runtime)
    return runtime


def _key(rt: Runtime, meeting_id: int) -> str:
    meeting = meeting_row(rt, meeting_id)
    assert meeting.digest_due_at is not None
    return digest_key(meeting.id, meeting.digest_due_at)


def test_the_digest_goes_out_when_due_and_only_once(rt: Runtime, slack: FakeSlack) -> None:
    meeting_id = schedule(rt)
    assert meeting_row(rt, meeting_id).digest_due_at == DIGEST_DUE

    early = tick(rt, DIGEST_DUE - MINUTE)
    assert early.done == [] and digests_in(slack) == []

    due = tick(rt, DIGEST_DUE)
    assert [entry.outcome for entry in due.done] == ["sent"]
    [digest] = digests_in(slack)
    assert "Review with ACME Corp on Thu 3 Dec" in digest["text"]
    assert meeting_row(rt, meeting_id).digest_ts == digest["ts"]

    for later in (DIGEST_DUE + MINUTE, DIGEST_DUE + timedelta(hours=5)):
        assert tick(rt, later).done == []
    assert len(digests_in(slack)) == 1


def test_no_digest_for_a_meeting_that_already_started(rt: Runtime, slack: FakeSlack) -> None:
    schedule(rt)
    assert tick(rt, MEETING_AT + MINUTE).done == []
    assert digests_in(slack) == []


@pytest.mark.parametrize("status", [429, 500])
def test_a_slack_failure_is_retried_by_a_later_tick_and_posts_once(
    rt: Runtime, slack: FakeSlack, status: int
) -> None:
    serve_history(slack)
    meeting_id = schedule(rt)
    slack.fail_next("chat.postMessage", status, retry_after=0)

    failed = tick(rt, DIGEST_DUE)
    assert [entry.outcome for entry in failed.done] == ["failed"]
    assert str(status) in (failed.done[0].detail or "")
    assert digests_in(slack) == []
    assert meeting_row(rt, meeting_id).digest_posted_at is None

    retried = tick(rt, DIGEST_DUE + timedelta(minutes=2))
    assert [entry.outcome for entry in retried.done] == ["sent"]
    assert len(digests_in(slack)) == 1
    assert tick(rt, DIGEST_DUE + timedelta(minutes=4)).done == []
    assert len(digests_in(slack)) == 1


def test_a_post_that_reached_slack_before_its_answer_was_lost_is_not_repeated(
    rt: Runtime, slack: FakeSlack
) -> None:
    """A 500 after Slack stored the message: the retry finds it and posts nothing new."""
    serve_history(slack)
    meeting_id = schedule(rt)
    real = slack.workspace.call

    def post_then_fail(params: dict) -> dict:
        real("chat.postMessage", params)
        slack.set_handler("chat.postMessage", lambda p: real("chat.postMessage", p))
        return {"ok": False, "error": "internal_error"}

    slack.set_handler("chat.postMessage", post_then_fail)
    assert [e.outcome for e in tick(rt, DIGEST_DUE).done] == ["failed"]
    assert len(digests_in(slack)) == 1

    retry = tick(rt, DIGEST_DUE + timedelta(minutes=2))
    assert [e.outcome for e in retry.done] == ["found"]
    [digest] = digests_in(slack)
    assert meeting_row(rt, meeting_id).digest_ts == digest["ts"]


@pytest.mark.parametrize("reached_slack", [True, False])
def test_a_sender_that_died_mid_post_is_taken_over_without_doubling(
    rt: Runtime, slack: FakeSlack, reached_slack: bool
) -> None:
    """The dead process claimed the key; whether its post arrived, people see one digest."""
    serve_history(slack)
    meeting_id = schedule(rt)
    key = _key(rt, meeting_id)
    now = DIGEST_DUE.astimezone(UTC)
    assert ledger.claim(
        rt.sessions,
        workspace_id="local",
        key=key,
        kind="digest",
        recipient=CHANNEL,
        now=now,
        worker="dead-host:1",
    )
    if reached_slack:
        client = client_for_workspace(rt, "local")
        assert client is not None
        client.chat_postMessage(
            channel=CHANNEL,
            text="Review with ACME Corp (posted by the process that died)",
            metadata={"event_type": "voc_digest", "event_payload": {"key": key}},
        )

    assert tick(rt, DIGEST_DUE + timedelta(minutes=2)).done[0].outcome == "skipped"  # leased
    takeover = tick(rt, DIGEST_DUE + timedelta(minutes=6))
    assert [e.outcome for e in takeover.done] == ["found" if reached_slack else "sent"]
    [digest] = digests_in(slack)
    assert meeting_row(rt, meeting_id).digest_ts == digest["ts"]
    assert tick(rt, DIGEST_DUE + timedelta(minutes=8)).done == []


def test_moving_a_meeting_moves_its_digest(rt: Runtime, slack: FakeSlack) -> None:
    meeting_id = schedule(rt)
    later = MEETING_AT + timedelta(days=7)  # Thursday 10 December
    move_meeting(
        rt.sessions,
        meeting_id,
        later.astimezone(UTC),
        actor=AM,
        now=DIGEST_DUE - timedelta(days=1),
        settings=rt.settings,
    )
    # The digest alone: a week on, the follow-ups its feedback opened are owed their own DMs.
    digest = [job for job in default_jobs() if job.name == "digest"]
    assert tick(rt, DIGEST_DUE, jobs=digest).done == []
    assert digests_in(slack) == []

    new_due = DIGEST_DUE + timedelta(days=7)  # Tuesday 8 December, 09:00
    assert meeting_row(rt, meeting_id).digest_due_at == new_due
    assert tick(rt, new_due - MINUTE, jobs=digest).done == []
    assert [e.outcome for e in tick(rt, new_due, jobs=digest).done] == ["sent"]
    [digest] = digests_in(slack)
    assert "Thu 10 Dec" in digest["text"]


def test_a_meeting_moved_after_its_digest_owes_a_fresh_one(rt: Runtime, slack: FakeSlack) -> None:
    meeting_id = schedule(rt)
    tick(rt, DIGEST_DUE)
    move_meeting(
        rt.sessions,
        meeting_id,
        (MEETING_AT + timedelta(days=7)).astimezone(UTC),
        actor=AM,
        now=DIGEST_DUE + timedelta(hours=1),
        settings=rt.settings,
    )
    tick(rt, DIGEST_DUE + timedelta(days=7))
    tick(rt, DIGEST_DUE + timedelta(days=7, minutes=5))
    texts = [message["text"] for message in digests_in(slack)]
    assert len(texts) == 2
    assert "Thu 3 Dec" in texts[0] and "Thu 10 Dec" in texts[1]


def test_a_meeting_moved_away_and_back_still_gets_its_digest(rt: Runtime, slack: FakeSlack) -> None:
    meeting_id = schedule(rt)
    for at in (MEETING_AT + timedelta(days=7), MEETING_AT):
        move_meeting(
            rt.sessions,
            meeting_id,
            at.astimezone(UTC),
            actor=AM,
            now=DIGEST_DUE - timedelta(days=1),
            settings=rt.settings,
        )
    assert [e.outcome for e in tick(rt, DIGEST_DUE).done] == ["sent"]
    assert len(digests_in(slack)) == 1


def test_cancelling_a_meeting_cancels_its_unsent_digest(rt: Runtime, slack: FakeSlack) -> None:
    meeting_id = schedule(rt)
    key = _key(rt, meeting_id)
    cancel_meeting(rt.sessions, meeting_id, actor=AM, now=DIGEST_DUE - timedelta(hours=2))
    assert tick(rt, DIGEST_DUE).done == []
    assert tick(rt, DIGEST_DUE + timedelta(hours=1)).done == []
    assert digests_in(slack) == []
    assert ledger.status_of(rt.sessions, workspace_id="local", key=key) == "cancelled"


def test_a_dry_run_lists_what_is_due_and_sends_nothing(rt: Runtime, slack: FakeSlack) -> None:
    schedule(rt)
    dry = tick(rt, DIGEST_DUE, dry_run=True)
    assert [(e.outcome, e.item.job) for e in dry.done] == [("would send", "digest")]
    assert "ACME Corp" in "\n".join(dry.lines())
    assert slack.calls == []
    assert [e.outcome for e in tick(rt, DIGEST_DUE).done] == ["sent"]


def test_overlapping_ticks_post_once(any_runtime: Runtime, slack: FakeSlack) -> None:
    rt = replace(any_runtime, settings=replace(any_runtime.settings, **scheduler_settings(slack)))
    load_acme(rt)
    schedule(rt)
    outcomes = _race([rt] * 4, DIGEST_DUE)
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
    assert len(digests_in(slack)) == 1


def test_two_instances_on_one_postgresql_database_post_once(
    postgres_schema_url: str, slack: FakeSlack
) -> None:
    """Two bot instances (own engines, own pools) tick at the same moment, twice each."""
    _truncate_all(postgres_schema_url)
    instances = [_instance(postgres_schema_url, slack) for _ in range(2)]
    try:
        load_acme(instances[0])
        schedule(instances[0])
        outcomes = _race(instances * 2, DIGEST_DUE)
        assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"]
        assert len(digests_in(slack)) == 1
        assert tick(instances[1], DIGEST_DUE + timedelta(minutes=2)).done == []
    finally:
        for instance in instances:
            instance.engine.dispose()


def _instance(url: str, slack: FakeSlack) -> Runtime:
    engine = make_engine(url)
    settings = make_settings(url, **scheduler_settings(slack))
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


def _race(runtimes: list[Runtime], now: datetime) -> list[str]:
    """Every scheduler finds the digest due, then all claim it at once."""
    barrier = threading.Barrier(len(runtimes))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(runtime: Runtime) -> None:
        def client_after_everyone_found_it(workspace_id: str):  # type: ignore[no-untyped-def]
            barrier.wait(timeout=10)
            return client_for_workspace(runtime, workspace_id)

        report = tick(runtime, now, client_for=client_after_everyone_found_it)
        with lock:
            outcomes.extend(entry.outcome for entry in report.done)

    threads = [threading.Thread(target=run, args=(runtime,)) for runtime in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_the_background_scheduler_posts_what_is_due_now(rt: Runtime, slack: FakeSlack) -> None:
    """The one place the real clock is read: a meeting this afternoon is owed its digest now."""
    now = datetime.now(UTC)
    schedule(rt, now + timedelta(hours=3), now=now)
    scheduler = start_background_scheduler(rt, interval=timedelta(hours=1))
    try:
        assert start_background_scheduler(rt) is scheduler  # one per process
        slack.wait_for("chat.postMessage")
    finally:
        scheduler.stop()
    assert len(digests_in(slack)) == 1


def test_an_account_without_a_channel_is_reported_not_lost(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    rt = make_runtime(**scheduler_settings(slack))
    load_acme(rt, channel=None)
    schedule(rt, channel=None)
    [entry] = tick(rt, DIGEST_DUE).done
    assert entry.outcome == "skipped" and "no channel" in (entry.detail or "")
    assert slack.calls_to("chat.postMessage") == []


def test_voc_tick_runs_once_at_the_given_moment(
    database_url: str,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from bot.cli import main

    rt = _instance(database_url, slack)
    load_acme(rt)
    schedule(rt)
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name, value in {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": slack.api_url,
        "VOC_TIMEZONE": "Europe/Paris",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["tick", "--now", "2026-12-01T08:00:00Z", "--dry-run"]) == 0
    assert "would send: digest for ACME Corp" in capsys.readouterr().out
    assert slack.calls_to("chat.postMessage") == []

    assert main(["tick", "--now", "2026-12-01T09:00"]) == 2
    assert "has no timezone" in capsys.readouterr().err

    assert main(["tick", "--now", "2026-12-01T09:00:00+01:00"]) == 0
    assert "sent: digest for ACME Corp" in capsys.readouterr().out
    assert main(["tick", "--now", "2026-12-01T09:05:00+01:00"]) == 0
    assert "nothing due" in capsys.readouterr().out
    [digest] = digests_in(slack)
    assert "NPS +25" in block_texts(digest)
    rt.engine.dispose()


def test_the_digest_hour_is_the_team_timezone(rt: Runtime) -> None:
    """09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer."""
    winter = schedule(rt)
    summer = schedule(rt, datetime(2027, 7, 1, 14, 0, tzinfo=PARIS))  # a Thursday
    assert meeting_row(rt, winter).digest_due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert meeting_row(rt, summer).digest_due_at == datetime(2027, 6, 29, 7, 0, tzinfo=UTC)


def test_each_workspace_gets_its_digest_with_its_own_installed_token(
    make_runtime: Callable[..., Runtime], slack: FakeSlack
) -> None:
    """OAuth installs: the scheduler finds each workspace's bot token in the installation store."""
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    rt = make_runtime(
        slack_api_url=slack.api_url,
        timezone="Europe/Paris",
        slack_client_id="111.222",
        slack_client_secret="s3cret",
    )
    store = SQLAlchemyInstallationStore(client_id="111.222", engine=rt.engine)
    store.create_tables()
    for team, token in (("T0TEAMA", "xoxb-team-a"), ("T0TEAMB", "xoxb-team-b")):
        store.save(
            Installation(app_id="A0APP", team_id=team, user_id=AM, bot_token=token, bot_id="B0BOT")
        )
    for team, name, channel in (
        ("T0TEAMA", "ACME Corp", "C0ACME001"),
        ("T0TEAMB", "Globex", "C0GLOBEX1"),
        ("T0NOTINST", "Initech", "C0INITEC1"),
    ):
        load(rt, [account_row(name, channel=channel)], workspace_id=team)
        schedule(rt, name=name)

    report = tick(rt, DIGEST_DUE)
    outcomes = {entry.item.workspace_id: (entry.outcome, entry.detail) for entry in report.done}
    assert outcomes == {
        "T0TEAMA": ("sent", None),
        "T0TEAMB": ("sent", None),
        "T0NOTINST": ("skipped", "no Slack token for this workspace"),
    }
    posts = {call.params["channel"]: call.token for call in slack.calls_to("chat.postMessage")}
    assert posts == {"C0ACME001": "xoxb-team-a", "C0GLOBEX1": "xoxb-team-b"}
