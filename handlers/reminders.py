"""The reminder DM's buttons: Done, Snooze 1 day, Snooze 1 week, Open in channel.

Done is the commitments' own Done (`bot.commitments.service.complete_from_button`): same permission
check, conditional update, audit entry, thread reply and channel message update as the done
reaction. After Done or Snooze the DM is re-rendered from the database, so it shows what is true
now (done, snoozed until when) rather than what was true at nine this morning.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commitments.service import complete_from_button
from bot.core.clock import utc_now
from bot.reminders.people import team_url
from bot.reminders.rules import SNOOZE_DAY, SNOOZE_WEEK
from bot.reminders.snooze import refreshed_reminder, snooze_from_reminder
from bot.services import Services
from bot.views.reminders import (
    DONE_ACTION,
    OPEN_ACTION,
    SNOOZE_DAY_ACTION,
    SNOOZE_WEEK_ACTION,
    item_refs,
)
from bot.views.report import refusal_text
from handlers.commitments import slack_workspace
from handlers.errors import answering
from handlers.subjects import changeable_items, commitment_from_button

log = logging.getLogger(__name__)

NOT_REFRESHED = (
    "Saved. This reminder could not be updated; `/voc open` shows your items as they are."
)


def register(app: App) -> None:
    app.action(DONE_ACTION)(answering(done_from_reminder))
    app.action(SNOOZE_DAY_ACTION)(answering(snooze_a_day))
    app.action(SNOOZE_WEEK_ACTION)(answering(snooze_a_week))
    app.action(OPEN_ACTION)(open_in_channel)


def done_from_reminder(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Exactly what the done reaction does, then the DM shows it done.

    The subject loader refuses (changing and showing nothing) before anything is done."""
    ack()
    slack = slack_workspace(context, client)
    commitment_id = commitment_from_button(body, context, slack)
    services: Services = context["services"]
    now = utc_now()
    outcome = complete_from_button(
        services.runtime.sessions, slack, commitment_id, user_id=context["user_id"], now=now
    )
    _answer(body, client, context, respond, now, outcome.result, outcome.ask)


def snooze_a_day(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    _snooze(ack, body, client, context, respond, SNOOZE_DAY)


def snooze_a_week(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    _snooze(ack, body, client, context, respond, SNOOZE_WEEK)


def _snooze(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    span: str,
) -> None:
    """Until the start of the presser's working day, one working day or one week from now."""
    ack()
    slack = slack_workspace(context, client)
    commitment_id = commitment_from_button(body, context, slack)
    services: Services = context["services"]
    now = utc_now()
    outcome = snooze_from_reminder(
        services.runtime.sessions,
        slack,
        commitment_id,
        user_id=context["user_id"],
        span=span,
        tz=context["tz"],
        now=now,
    )
    _answer(body, client, context, respond, now, outcome.result, outcome.ask)


def _answer(
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    now: datetime,
    result: str,
    ask: list[str],
) -> None:
    """The refreshed DM is the answer; a refusal (the team changed since the check) leaves it
    as it was, and a DM that could not be refreshed gets a line saying the change is saved."""
    if result == "refused":
        _tell(respond, refusal_text("this account", ask))
    elif not refresh_reminder_dm(body, client, context, now):
        _tell(respond, NOT_REFRESHED)


def open_in_channel(ack: Ack) -> None:
    """A link button: Slack opens the message itself, but still expects the click acknowledged."""
    ack()


def refresh_reminder_dm(
    body: dict[str, Any], client: WebClient, context: BoltContext, now: datetime
) -> bool:
    """Re-render the pressed DM's items from the database; best effort, the change is saved.

    The blocks come with the request, so only when the presser may change every item they list.
    """
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    blocks = message.get("blocks") or []
    if not channel or not ts or not blocks:
        return False
    refs = item_refs(blocks)
    ids = [ref.commitment_id for ref in refs]
    if not changeable_items(ids, context, slack_workspace(context, client)):
        log.info("reminder %s not refreshed: it lists items the presser may not change", ts)
        return False
    services: Services = context["services"]
    fresh = refreshed_reminder(
        services.runtime.sessions,
        blocks,
        team_url=team_url(services.runtime, client, context["workspace_id"]),
        tz=context["tz"],
        now=now,
    )
    try:
        client.chat_update(
            channel=channel, ts=ts, text=message.get("text") or "Reminder", blocks=fresh
        )
    except SlackApiError as error:
        log.warning("reminder %s not refreshed: %s", ts, error.response.get("error"))
        return False
    return True


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
