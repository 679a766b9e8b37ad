"""One customer review, shared by the meeting, digest and scheduler tests.

ACME Corp (Enterprise, strategic) meets on Thursday 3 December 2026 at 14:00 Paris time. With
the defaults (two working days, 09:00 in `VOC_TIMEZONE`) its digest is due on Tuesday 1 December
at 09:00 Paris, 08:00 UTC. The last review was on 3 September: one commitment made there is done,
one is open and overdue, and one from before that is still open.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.meetings.service import schedule_meeting
from bot.runtime import Runtime
from bot.scheduler import TickReport, run_due_work
from storage.db import transaction
from storage.models import Account, Commitment, Meeting
from tests.portfolio import AM, SPONSOR, account_row, load, response_row
from tests.slack import FakeSlack

PARIS = ZoneInfo("Europe/Paris")
CHANNEL = "C0ACME001"
MEETING_AT = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)  # a Thursday
DIGEST_DUE = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # the Tuesday before, 08:00 UTC
PREVIOUS_AT = datetime(2026, 9, 3, 14, 0, tzinfo=PARIS)
SCHEDULED_ON = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

ACME_Q3 = [
    # name, satisfaction, recommend, continue
    ("Ann Lee", 9, 10, 9),
    ("Bob Ray", 8, 9, 8),
    ("Cy Dunn", 5, 4, 8),
    ("Ed Wu", 8, None, None),  # answered only in Q3, without a recommend score
]
ACME_Q4 = [
    ("Ann Lee", 10, 10, 10),
    ("Bob Ray", 6, 7, 5),  # satisfied → dissatisfied, high risk
    ("Cy Dunn", 4, 3, 3),  # dissatisfied, high risk
    ("Di Moss", 9, 9, 9),
]


def scheduler_settings(slack: FakeSlack) -> dict[str, Any]:
    """What a deployment with a bot token and the team in Paris would configure."""
    return {
        "slack_bot_token": "xoxb-test",
        "slack_api_url": slack.api_url,
        "timezone": "Europe/Paris",
    }


def load_acme(runtime: Runtime, **account_fields: Any) -> None:
    """ACME Corp and two neighbours, so segment and all-customer benchmarks differ."""
    rows = [response_row("ACME Corp", "2026-Q3", n, s, r, c) for n, s, r, c in ACME_Q3]
    rows += [response_row("ACME Corp", "2026-Q4", n, s, r, c) for n, s, r, c in ACME_Q4]
    rows += [response_row("Globex", "2026-Q4", "Gus Fring", 7, 10, 9)]
    rows += [response_row("Initech", "2026-Q4", "Pete Gibbons", 2, 0, 2)]
    load(
        runtime,
        [
            account_row("ACME Corp", **account_fields),
            account_row("Globex", channel="C0GLOBEX1"),
            account_row("Initech", segment="Mid-Market", channel="C0INITEC1"),
        ],
        rows,
    )


def account_id(runtime: Runtime, name: str = "ACME Corp") -> int:
    with runtime.sessions() as session:
        return session.scalars(select(Account.id).where(Account.name == name)).one()


def add_last_review(runtime: Runtime) -> int:
    """The September review, what was promised there, and an older promise still open."""
    acme = account_id(runtime)
    with transaction(runtime.sessions) as session:
        previous = Meeting(
            workspace_id="local",
            account_id=acme,
            starts_at=PREVIOUS_AT.astimezone(UTC),
            channel=CHANNEL,
            status="scheduled",
            digest_posted_at=datetime(2026, 9, 1, 7, 0, tzinfo=UTC),
        )
        session.add(previous)
        session.flush()
        made_then = datetime(2026, 9, 3, 13, 30, tzinfo=UTC)
        session.add_all(
            [
                _commitment(
                    acme,
                    previous.id,
                    "Fix the invoice format",
                    AM,
                    date(2026, 10, 1),
                    made_then,
                    done_at=datetime(2026, 9, 28, 15, 0, tzinfo=UTC),
                ),
                _commitment(
                    acme,
                    previous.id,
                    "Quarterly roadmap call",
                    SPONSOR,
                    date(2026, 11, 15),
                    made_then,
                ),
                _commitment(
                    acme,
                    None,
                    "Named support engineer",
                    AM,
                    date(2026, 7, 1),
                    datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
                ),
            ]
        )
        return previous.id


def _commitment(
    account: int,
    meeting: int | None,
    text: str,
    owner: str,
    due: date,
    created: datetime,
    *,
    done_at: datetime | None = None,
) -> Commitment:
    return Commitment(
        workspace_id="local",
        account_id=account,
        meeting_id=meeting,
        text=text,
        owner=owner,
        due_on=due,
        status="done" if done_at else "open",
        created_at=created,
        done_at=done_at,
    )


def schedule(
    runtime: Runtime,
    at: datetime = MEETING_AT,
    *,
    name: str = "ACME Corp",
    now: datetime = SCHEDULED_ON,
    channel: str | None = None,
) -> int:
    """Schedule through the use case the `/voc meeting` handler calls."""
    with transaction(runtime.sessions) as session:
        account = session.get(Account, account_id(runtime, name))
        assert account is not None
        meeting = schedule_meeting(
            session,
            account,
            at.astimezone(UTC),
            channel=channel,
            actor=AM,
            now=now,
            settings=runtime.settings,
        )
        return meeting.id


def tick(runtime: Runtime, now: datetime, **options: Any) -> TickReport:
    return run_due_work(runtime, now.astimezone(UTC), **options)


def digests_in(slack: FakeSlack, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """The digest messages people can see in a channel."""
    return [
        message
        for message in slack.messages_in(channel)
        if (message.get("metadata") or {}).get("event_type") == "voc_digest"
    ]


def serve_history(slack: FakeSlack) -> None:
    """conversations.history as Slack answers it: newest first, metadata included."""

    def history(params: dict[str, Any]) -> dict[str, Any]:
        messages = list(reversed(slack.messages_in(str(params.get("channel")))))
        return {"ok": True, "messages": messages, "has_more": False}

    slack.set_handler("conversations.history", history)


def meeting_row(runtime: Runtime, meeting_id: int) -> Meeting:
    with runtime.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting


def block_texts(message: dict[str, Any]) -> str:
    """Everything a reader sees in a message: fallback and every text in its blocks."""
    return (
        message.get("text", "") + "\n" + json.dumps(message.get("blocks") or [], ensure_ascii=False)
    )


MINUTE = timedelta(minutes=1)
