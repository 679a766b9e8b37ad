"""People, accounts and commitments for the reminder and escalation tests.

Two accounts: ACME Corp (strategic, channel C0ACME001) and Globex (standard, channel C0GLOBEX1),
both managed by AM with SPONSOR as executive sponsor. Owners live far apart: Ann in Paris, Ken in
Tokyo, Lia in Los Angeles, and Bo in New York, whom commitments name by email.

Dates are chosen by hand from a calendar; every `now` is passed explicitly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime import Runtime
from bot.scheduler import TickReport, run_due_work
from storage.db import transaction
from storage.models import Account, AuditEntry, Commitment, Cycle, Delivery
from tests.portfolio import AM, MEMBER, SPONSOR, account_row, load
from tests.slack import FakeSlack

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")

ANN = "U0ANN0001"
KEN = "U0KEN0001"
LIA = "U0LIA0001"
BO = "U0BO00001"
BO_EMAIL = "bo@example.com"
ACME_CHANNEL = "C0ACME001"
GLOBEX_CHANNEL = "C0GLOBEX1"


def world_settings(slack: FakeSlack, **overrides: Any) -> dict[str, Any]:
    """A single-workspace install whose team works in Paris."""
    return {
        "slack_bot_token": "xoxb-test",
        "slack_api_url": slack.api_url,
        "timezone": "Europe/Paris",
        **overrides,
    }


def add_people(slack: FakeSlack) -> None:
    slack.add_user(ANN, tz="Europe/Paris", name="Ann Paris", email="ann@example.com")
    slack.add_user(KEN, tz="Asia/Tokyo", name="Ken Tokyo")
    slack.add_user(LIA, tz="America/Los_Angeles", name="Lia Angeles")
    slack.add_user(BO, tz="America/New_York", name="Bo York", email=BO_EMAIL)
    slack.add_user(AM, tz="Europe/Paris", name="Alma Manager")
    slack.add_user(SPONSOR, tz="America/New_York", name="Seb Sponsor")
    slack.add_channel(ACME_CHANNEL, name="acct-acme", members=[AM, ANN])
    slack.add_channel(GLOBEX_CHANNEL, name="acct-globex", members=[AM])


def load_accounts(runtime: Runtime, slack: FakeSlack) -> None:
    add_people(slack)
    load(
        runtime,
        [
            account_row("ACME Corp"),
            account_row("Globex", tier="standard", channel=GLOBEX_CHANNEL),
        ],
    )


def account_id(runtime: Runtime, name: str = "ACME Corp") -> int:
    with runtime.sessions() as session:
        return session.scalars(select(Account.id).where(Account.name == name)).one()


def promise(
    runtime: Runtime,
    text: str,
    owner: str,
    due: date | None,
    *,
    account: str = "ACME Corp",
    created: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    channel: str | None = None,
    message_ts: str | None = None,
) -> int:
    """An open commitment, as if logged on `created`."""
    with transaction(runtime.sessions) as session:
        row = Commitment(
            workspace_id="local",
            account_id=account_id(runtime, account),
            text=text,
            owner=owner,
            due_on=due,
            status="open",
            created_at=created,
            created_by=AM,
            channel=channel,
            message_ts=message_ts,
        )
        session.add(row)
        session.flush()
        return row.id


def add_cycle(runtime: Runtime, label: str, starts_on: date) -> None:
    with transaction(runtime.sessions) as session:
        session.add(Cycle(workspace_id="local", label=label, starts_on=starts_on))


def tick(runtime: Runtime, now: datetime, **options: Any) -> TickReport:
    return run_due_work(runtime, now.astimezone(UTC), **options)


def reminders_to(slack: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    """The reminder DMs a person has, oldest first, as they look now."""
    return [
        message
        for message in slack.messages_in(slack.dm_channel(user_id))
        if (message.get("metadata") or {}).get("event_type") == "voc_reminder"
    ]


def tagged(slack: FakeSlack, channel: str, event_type: str) -> list[dict[str, Any]]:
    return [
        message
        for message in slack.messages_in(channel)
        if (message.get("metadata") or {}).get("event_type") == event_type
    ]


def item_texts(message: dict[str, Any]) -> list[str]:
    """The item sections of a reminder, in order, as the reader sees them."""
    return [
        block["text"]["text"]
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("reminder_item:")
    ]


def buttons_of(message: dict[str, Any], commitment_id: int) -> list[str]:
    for block in message.get("blocks") or []:
        if block.get("block_id") == f"reminder_actions:{commitment_id}":
            return [element["text"]["text"] for element in block["elements"]]
    return []


def commitment(runtime: Runtime, commitment_id: int) -> Commitment:
    with runtime.sessions() as session:
        row = session.get(Commitment, commitment_id)
        assert row is not None
        return row


def audit(runtime: Runtime, commitment_id: int) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.entity == "commitment", AuditEntry.entity_id == str(commitment_id))
            .order_by(AuditEntry.id)
        ).all()
    return [(row.action, row.actor) for row in rows]


def ledger_rows(runtime: Runtime, prefix: str) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Delivery.delivery_key, Delivery.status)
            .where(Delivery.delivery_key.like(f"{prefix}%"))
            .order_by(Delivery.delivery_key)
        ).all()
    return [(row.delivery_key, row.status) for row in rows]


def serve_history(slack: FakeSlack) -> None:
    """conversations.history as Slack answers it: newest first, metadata included."""

    def history(params: dict[str, Any]) -> dict[str, Any]:
        messages = list(reversed(slack.messages_in(str(params.get("channel")))))
        return {"ok": True, "messages": messages, "has_more": False}

    slack.set_handler("conversations.history", history)


def two_promises_at_acme(runtime: Runtime) -> str:
    """ACME Corp (strategic): one promise due 2026-12-02, one a month late owned by an email;
    the database's URL, for a `voc` child process (the runtime's connections are let go)."""
    load(runtime, [account_row("ACME Corp")])
    promise(runtime, "Send the roadmap", MEMBER, date(2026, 12, 2))
    promise(runtime, "Fix the invoices", "bo@example.com", date(2026, 11, 2))
    runtime.engine.dispose()
    return str(runtime.engine.url)
