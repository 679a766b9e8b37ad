"""The delivery ledger: what makes digests and reminders exactly-once, on both databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.delivery import ledger, replies
from bot.runtime import Runtime
from storage.models import OwedReply

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _claim(rt: Runtime, key: str = "digest:1", now: datetime = NOW, worker: str = "w1"):
    return ledger.claim(
        rt.sessions,
        workspace_id="local",
        key=key,
        kind="digest",
        recipient="C1",
        now=now,
        worker=worker,
    )


def test_a_key_is_claimed_once_until_its_outcome_is_known(any_runtime: Runtime) -> None:
    first = _claim(any_runtime)
    assert first is not None and first.attempt == 1 and not first.uncertain
    assert _claim(any_runtime, worker="w2") is None
    ledger.mark_sent(
        any_runtime.sessions,
        workspace_id="local",
        key="digest:1",
        now=NOW,
        channel="C1",
        message_ts="1.0",
    )
    assert _claim(any_runtime, now=NOW + timedelta(days=1)) is None
    assert ledger.status_of(any_runtime.sessions, workspace_id="local", key="digest:1") == "sent"


def test_a_failed_send_is_claimed_again_by_the_next_tick(any_runtime: Runtime) -> None:
    assert _claim(any_runtime) is not None
    ledger.mark_failed(
        any_runtime.sessions, workspace_id="local", key="digest:1", error="ratelimited"
    )
    retry = _claim(any_runtime, now=NOW + timedelta(minutes=5))
    assert retry is not None and retry.attempt == 2 and not retry.uncertain


def test_an_abandoned_claim_is_taken_over_after_its_lease_as_uncertain(
    any_runtime: Runtime,
) -> None:
    assert _claim(any_runtime) is not None
    assert _claim(any_runtime, now=NOW + timedelta(minutes=4)) is None
    taken = _claim(any_runtime, now=NOW + timedelta(minutes=6))
    assert taken is not None and taken.uncertain


def test_cancelling_an_unsent_message_stops_it_but_not_a_sent_one(any_runtime: Runtime) -> None:
    assert ledger.cancel(any_runtime.sessions, workspace_id="local", key="digest:2", now=NOW)
    assert _claim(any_runtime, key="digest:2") is None
    assert _claim(any_runtime, key="digest:3") is not None
    ledger.mark_sent(any_runtime.sessions, workspace_id="local", key="digest:3", now=NOW)
    assert not ledger.cancel(any_runtime.sessions, workspace_id="local", key="digest:3", now=NOW)


def _race(rt: Runtime, key: str, now: datetime) -> list[str]:
    barrier = threading.Barrier(8)
    winners: list[str] = []
    lock = threading.Lock()

    def contend(worker: str) -> None:
        barrier.wait()
        if _claim(rt, key=key, now=now, worker=worker) is not None:
            with lock:
                winners.append(worker)

    threads = [threading.Thread(target=contend, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners


def test_many_contenders_for_a_new_key_yield_one_winner(any_runtime: Runtime) -> None:
    assert len(_race(any_runtime, "reminder:U1:2026-11-24", NOW)) == 1


def test_many_contenders_for_a_failed_key_yield_one_winner(any_runtime: Runtime) -> None:
    assert _claim(any_runtime, key="k") is not None
    ledger.mark_failed(any_runtime.sessions, workspace_id="local", key="k", error="500")
    assert len(_race(any_runtime, "k", NOW + timedelta(minutes=1))) == 1


# --- a command's answer, owed from the ack until sent (`bot.delivery.replies`) -----------------


def _owe(rt: Runtime, trigger: str = "1.2.abc", now: datetime = NOW) -> bool:
    return replies.owe_reply(
        rt,
        workspace_id="local",
        key=replies.reply_key(trigger),
        user_id="U1",
        command="/voc account acme",
        response_url="https://hooks.slack.test/1",
        now=now,
    )


def _unanswered(rt: Runtime, now: datetime) -> list[str]:
    return [item.key for item in replies.find_due(rt, now)]


def test_an_answer_is_owed_once_and_settled_by_its_reply(any_runtime: Runtime) -> None:
    assert _owe(any_runtime)
    assert not _owe(any_runtime)  # delivered again while the first is answering
    assert _unanswered(any_runtime, NOW + timedelta(minutes=6)) == ["reply:1.2.abc"]
    replies.settle_reply(any_runtime, workspace_id="local", key="reply:1.2.abc", now=NOW)
    assert not _owe(any_runtime, now=NOW + timedelta(minutes=1))  # answered: never again
    assert _unanswered(any_runtime, NOW + timedelta(minutes=6)) == []


def test_an_answer_given_up_is_taken_over_by_a_second_delivery(any_runtime: Runtime) -> None:
    assert _owe(any_runtime)
    replies.give_up_reply(any_runtime, workspace_id="local", key="reply:1.2.abc", error="500")
    assert _unanswered(any_runtime, NOW + timedelta(minutes=1)) == ["reply:1.2.abc"]
    assert _owe(any_runtime, now=NOW + timedelta(minutes=1))  # claimed again, by this process
    assert _unanswered(any_runtime, NOW + timedelta(minutes=2)) == []
    replies.settle_reply(any_runtime, workspace_id="local", key="reply:1.2.abc", now=NOW)
    assert _unanswered(any_runtime, NOW + timedelta(minutes=10)) == []
    assert [r.command for r in _owed_replies(any_runtime)] == ["/voc account acme"]


def _owed_replies(rt: Runtime) -> list[OwedReply]:
    with rt.sessions() as session:
        return list(session.scalars(select(OwedReply)))
