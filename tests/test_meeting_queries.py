"""Which meeting is "next" and which was the "last review": one boundary, everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.meetings.queries import last_review, next_meeting, upcoming_meetings
from bot.reports.assemble import build_account_report
from bot.runtime import Runtime
from storage.models import Account, Meeting
from tests.reviews import account_id, load_acme

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _meeting_at(runtime: Runtime, starts_at: datetime) -> int:
    with runtime.sessions() as session, session.begin():
        meeting = Meeting(
            workspace_id="local",
            account_id=account_id(runtime),
            starts_at=starts_at,
            status="scheduled",
        )
        session.add(meeting)
        session.flush()
        return meeting.id


def test_a_meeting_starting_now_is_the_next_one_not_the_last_review(runtime: Runtime) -> None:
    load_acme(runtime)
    now_id = _meeting_at(runtime, NOW)
    earlier_id = _meeting_at(runtime, NOW - timedelta(days=30))
    with runtime.sessions() as session:
        acme = account_id(runtime)
        assert next_meeting(session, acme, NOW).id == now_id  # type: ignore[union-attr]
        assert last_review(session, acme, NOW).id == earlier_id  # type: ignore[union-attr]
        assert [m.id for m, _ in upcoming_meetings(session, "local", NOW)] == [now_id]
        report = build_account_report(session, session.get(Account, acme), now=NOW)  # type: ignore[arg-type]
    assert report.next_meeting_at is not None
    assert report.next_meeting_at.astimezone(UTC) == NOW
    after = NOW + timedelta(seconds=1)
    with runtime.sessions() as session:
        assert next_meeting(session, acme, after) is None
        assert last_review(session, acme, after).id == now_id  # type: ignore[union-attr]
