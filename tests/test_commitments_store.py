"""Commitment use cases against real databases (SQLite, and PostgreSQL when configured):
all-or-nothing recording, the due-date default, and completion that changes a row once however
many callers race for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.commitments.queries import (
    commitments_for_meeting,
    commitments_since,
    complete_commitment,
    default_due_date,
    open_commitments,
    record_commitments,
    reopen_commitment,
)
from bot.commitments.service import handle_done_reaction
from bot.commitments.values import CommitmentDraft, InvalidCommitments, ReactionEvent
from bot.commitments.workspace import SlackWorkspace
from bot.directory import Directory, TtlCache
from bot.runtime import Runtime
from storage.db import transaction
from storage.models import Account, AuditEntry, Commitment, Cycle, Meeting
from tests.portfolio import AM, MEMBER, OUTSIDER, account_row, load
from tests.slack import BOT_USER_ID, FakeSlack

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)


def _acme(rt: Runtime) -> int:
    load(rt, [account_row("ACME Corp")])
    with rt.sessions() as session:
        return session.scalars(select(Account.id).where(Account.name == "ACME Corp")).one()


def _record(
    rt: Runtime, *drafts: CommitmentDraft, now: datetime = NOW, channel: str | None = None
) -> list[int]:
    with transaction(rt.sessions) as session:
        account = session.scalars(select(Account).where(Account.name == "ACME Corp")).one()
        rows = record_commitments(
            session,
            account,
            list(drafts),
            actor=AM,
            channel=channel or account.channel,
            today=now.date(),
            now=now,
        )
        return [row.id for row in rows]


def _draft(text: str = "Send the roadmap", **fields: object) -> CommitmentDraft:
    values: dict[str, object] = {"owner": MEMBER, "due_on": TODAY + timedelta(days=10)}
    values.update(fields)
    return CommitmentDraft(text=text, **values)  # type: ignore[arg-type]


def _actions(rt: Runtime, commitment_id: int) -> list[str]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.entity == "commitment", AuditEntry.entity_id == str(commitment_id)
                )
                .order_by(AuditEntry.id)
            )
        )


def _row(rt: Runtime, commitment_id: int) -> Commitment:
    with rt.sessions() as session:
        return session.get_one(Commitment, commitment_id)


def test_one_bad_draft_saves_none_of_them(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    with pytest.raises(InvalidCommitments) as raised:
        _record(
            any_runtime,
            _draft("Send the roadmap"),
            _draft("", owner=None, due_on=TODAY - timedelta(days=1), area="legal"),
        )
    assert raised.value.problems == {
        1: {
            "text": "Say what was promised.",
            "owner": "Pick who owns it.",
            "due": "2026-11-23 has passed; pick today or a later day.",
            "area": '"legal" is not an area; use one of account_team, product, support, '
            "marketing, services, executive.",
        }
    }
    with any_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Commitment)) == 0
        audited = select(func.count()).where(AuditEntry.entity == "commitment")
        assert session.scalar(audited) == 0


def test_owners_are_slack_ids_or_emails(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    with pytest.raises(InvalidCommitments) as raised:
        _record(any_runtime, _draft(owner="dana"))
    assert raised.value.problems == {0: {"owner": '"dana" is not a Slack user ID or an email.'}}
    [commitment_id] = _record(any_runtime, _draft(owner="Dana.Lee@Vendor.example"))
    assert _row(any_runtime, commitment_id).owner == "dana.lee@vendor.example"


def test_due_today_is_still_allowed(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    [commitment_id] = _record(any_runtime, _draft(due_on=TODAY))
    assert _row(any_runtime, commitment_id).due_on == TODAY


@pytest.mark.parametrize(
    ("starts", "expected"),
    [
        # Cycles on Sep 1 and Nov 1 (61 days): the next on Jan 1, so due Dec 31.
        ([date(2026, 9, 1), date(2026, 11, 1)], date(2026, 12, 31)),
        # One cycle on Oct 1: the usual 91 days → Dec 31, so due Dec 30.
        ([date(2026, 10, 1)], date(2026, 12, 30)),
        # Oct 2 and Oct 29 (27 days): the next starts tomorrow, Nov 25. A day's notice is no
        # default, so a month out.
        ([date(2026, 10, 2), date(2026, 10, 29)], date(2026, 12, 24)),
        # No cycles at all: a month out.
        ([], date(2026, 12, 24)),
    ],
)
def test_the_default_due_date_is_before_customers_are_asked_again(
    any_runtime: Runtime, starts: list[date], expected: date
) -> None:
    with transaction(any_runtime.sessions) as session:
        for i, start in enumerate(starts):
            session.add(Cycle(workspace_id="local", label=f"wave {i}", starts_on=start))
    with any_runtime.sessions() as session:
        assert default_due_date(session, "local", TODAY) == expected


def test_completing_twice_changes_it_once(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    [commitment_id] = _record(any_runtime, _draft())
    assert complete_commitment(any_runtime.sessions, commitment_id, actor=MEMBER, now=NOW, via="x")
    assert not complete_commitment(any_runtime.sessions, commitment_id, actor=AM, now=NOW, via="x")
    row = _row(any_runtime, commitment_id)
    assert (row.status, row.done_by, row.done_at, row.version) == ("done", MEMBER, NOW, 2)
    assert reopen_commitment(any_runtime.sessions, commitment_id, actor=AM, now=NOW, via="x")
    row = _row(any_runtime, commitment_id)
    assert (row.status, row.done_by, row.done_at, row.version) == ("open", None, None, 3)
    assert not reopen_commitment(any_runtime.sessions, commitment_id, actor=AM, now=NOW, via="x")
    assert _actions(any_runtime, commitment_id) == [
        "commitment.created",
        "commitment.done",
        "commitment.reopened",
    ]


def _race(workers: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    """Start every worker at once; collect what each returned."""
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_completions_have_one_winner_and_one_audit_entry(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    [commitment_id] = _record(any_runtime, _draft())
    results = _race(
        8,
        lambda i: complete_commitment(
            any_runtime.sessions, commitment_id, actor=f"U0RACER0{i}", now=NOW, via="reaction"
        ),
    )
    assert results.count(True) == 1
    winner = f"U0RACER0{results.index(True)}"
    row = _row(any_runtime, commitment_id)
    assert (row.status, row.done_by, row.version) == ("done", winner, 2)
    assert _actions(any_runtime, commitment_id) == ["commitment.created", "commitment.done"]


def test_racing_adds_and_removes_leave_a_consistent_history(any_runtime: Runtime) -> None:
    """Each change is written by exactly one caller, and the log alternates like the state did."""
    _acme(any_runtime)
    [commitment_id] = _record(any_runtime, _draft())

    def toggle(index: int) -> int:
        changed = 0
        for _ in range(10):
            change = complete_commitment if index % 2 == 0 else reopen_commitment
            changed += change(
                any_runtime.sessions, commitment_id, actor=f"U0T{index}", now=NOW, via="x"
            )
        return changed

    changes = sum(_race(6, toggle))  # type: ignore[arg-type]
    history = _actions(any_runtime, commitment_id)[1:]
    assert len(history) == changes
    assert history == ["commitment.done", "commitment.reopened"] * (changes // 2) + (
        ["commitment.done"] if changes % 2 else []
    )
    row = _row(any_runtime, commitment_id)
    assert row.version == 1 + changes
    assert row.status == ("done" if changes % 2 else "open")


def test_what_the_digest_reads(any_runtime: Runtime) -> None:
    account_id = _acme(any_runtime)
    with transaction(any_runtime.sessions) as session:
        meeting = Meeting(workspace_id="local", account_id=account_id, starts_at=NOW)
        session.add(meeting)
        session.flush()
        meeting_id = meeting.id
    old, kept = _record(
        any_runtime, _draft("Old promise"), _draft("Kept promise"), now=NOW - timedelta(days=40)
    )
    [made] = _record(any_runtime, _draft("New promise", meeting_id=meeting_id))
    complete_commitment(any_runtime.sessions, kept, actor=MEMBER, now=NOW, via="x")
    since = NOW - timedelta(days=1)
    with any_runtime.sessions() as session:
        assert [c.id for c in commitments_for_meeting(session, meeting_id)] == [made]
        recent = commitments_since(session, account_id, since)
        assert [(c.id, c.status) for c in recent] == [(kept, "done"), (made, "open")]
        assert old not in [c.id for c in recent]


def test_open_lists_find_an_owner_by_id_or_email(any_runtime: Runtime) -> None:
    _acme(any_runtime)
    by_id, by_email, done = _record(
        any_runtime,
        _draft("By id", due_on=TODAY + timedelta(days=9)),
        _draft("By email", owner="tess@vendor.example", due_on=TODAY + timedelta(days=3)),
        _draft("Done already"),
    )
    complete_commitment(any_runtime.sessions, done, actor=MEMBER, now=NOW, via="x")
    with any_runtime.sessions() as session:
        mine = open_commitments(session, "local", owners=[MEMBER, "Tess@Vendor.example"])
        assert [item.commitment.id for item in mine] == [by_email, by_id]  # soonest due first
        assert [i.account_name for i in mine] == ["ACME Corp", "ACME Corp"]
        assert open_commitments(session, "other-workspace") == []


# --- the reaction use case, without Bolt in front of it ---------------------------------------


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
        fake.assert_all_payloads_valid()


def test_reactions_that_are_not_for_a_commitment_are_ignored(
    any_runtime: Runtime, fake_slack: FakeSlack
) -> None:
    _acme(any_runtime)
    [commitment_id] = _record(any_runtime, _draft())
    with transaction(any_runtime.sessions) as session:
        session.get_one(Commitment, commitment_id).message_ts = "1700000000.000100"
    fake_slack.add_channel("C0ACME001", members=[AM])
    fake_slack.add_user(OUTSIDER)
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    slack = SlackWorkspace(
        client=client,
        directory=Directory(client, "local", TtlCache()),
        settings=any_runtime.settings,
        workspace_id="local",
        bot_user_id=BOT_USER_ID,
    )

    def react(user: str, *, reaction: str = "white_check_mark", ts: str = "1700000000.000100"):  # type: ignore[no-untyped-def]
        event = ReactionEvent("C0ACME001", ts, user, reaction, added=True)
        return handle_done_reaction(any_runtime.sessions, slack, event, now=NOW)

    assert react(BOT_USER_ID) == "ignored"  # the bot is in the channel, so "on the team"
    assert react(MEMBER, reaction="thumbsup") == "ignored"
    assert react(MEMBER, ts="1700000000.000200") == "ignored"
    assert react(OUTSIDER) == "refused"
    assert react(OUTSIDER) == "refused"
    assert _row(any_runtime, commitment_id).status == "open"
    assert react(MEMBER, reaction="white_check_mark::skin-tone-3") == "done"
    assert react(MEMBER) == "unchanged"
    assert _actions(any_runtime, commitment_id) == ["commitment.created", "commitment.done"]
    refusals = [
        c for c in fake_slack.calls_to("chat.postMessage") if OUTSIDER in c.params.get("text", "")
    ]
    assert len(refusals) == 1  # one short reply per person per commitment
