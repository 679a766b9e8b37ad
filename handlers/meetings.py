"""`/voc meeting`, `/voc meetings`, `/voc digest`, `/voc sponsor` and the meeting buttons.

The manifest sets `should_escape: true`, so Slack sends people and channels picked from its
autocomplete as `<@U123|name>` and `<#C123|name>`, and `&`, `<`, `>` typed by hand as entities.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import meetings
from bot.core.clock import local_moment, utc_now
from bot.core.identity import channel_ref, person_ref
from bot.core.slack import channel_link, escape, unescape
from bot.delivery.tagged import describe_error
from bot.digests.service import post_digest_now
from bot.meetings import (
    DEFAULT_MEETING_TIME,
    MeetingInputError,
    MeetingNotFound,
    parse_meeting_text,
    parse_when,
)
from bot.services import Services
from bot.views import meetings as views
from handlers.command import CommandRequest, CommandRouter, Subcommand
from handlers.common import account_if_allowed, account_named_in, reader_timezone
from storage.db import transaction
from storage.models import Account, Meeting

log = logging.getLogger(__name__)

_MEETING_NUMBER = re.compile(r"^#?(\d+)$")

MEETING_USAGE = (
    "Schedule a review with `/voc meeting ACCOUNT DATE [TIME] [#channel]`, "
    "e.g. `/voc meeting acme 2026-12-03 14:00 #acct-acme`.\n"
    "List, move or cancel: `/voc meetings [ACCOUNT]`, `/voc meeting move 12 2026-12-04 10:00`, "
    "`/voc meeting cancel 12`."
)


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="meeting",
            usage="meeting ACCOUNT DATE [TIME] [#channel]",
            summary="schedule a customer review meeting; its digest goes out before it",
            example="/voc meeting acme 2026-12-03 14:00 #acct-acme",
            run=meeting_command,
        )
    )
    router.add(
        Subcommand(
            name="meetings",
            usage="meetings [ACCOUNT]",
            summary="upcoming review meetings, with buttons to move or cancel them",
            example="/voc meetings acme",
            run=lambda request: list_meetings(request, request.args),
        )
    )
    router.add(
        Subcommand(
            name="digest",
            usage="digest ACCOUNT [#channel]",
            summary="post the pre-meeting digest now",
            example="/voc digest acme",
            run=post_digest_command,
        )
    )
    router.add(
        Subcommand(
            name="sponsor",
            usage="sponsor ACCOUNT @person",
            summary="set the account's executive sponsor",
            example="/voc sponsor acme @jane",
            run=set_sponsor_command,
        )
    )
    app.action(views.CANCEL_ACTION)(cancel_from_button)
    app.action(views.MOVE_ACTION)(open_move_dialog)
    app.view(views.MOVE_CALLBACK)(move_from_dialog)


# -- parsing what Slack sends ----------------------------------------------------------------


def pop_channel(words: list[str]) -> tuple[list[str], str | None]:
    """A trailing `<#C123|name>` (or `#name` when Slack did not escape it) is where to post."""
    if words and words[-1].startswith(("<#", "#")) and (channel := channel_ref(words[-1])):
        return words[:-1], channel
    return words, None


def _meeting_number(word: str) -> int | None:
    match = _MEETING_NUMBER.match(word)
    return int(match[1]) if match else None


# -- /voc meeting ----------------------------------------------------------------------------


def meeting_command(request: CommandRequest) -> None:
    words = request.args
    action = words[0].lower() if words else ""
    if not words or action == "help":
        request.reply(MEETING_USAGE)
    elif action == "list":
        list_meetings(request, words[1:])
    elif action == "move":
        move_command(request, words[1:])
    elif action == "cancel":
        cancel_command(request, words[1:])
    else:
        schedule_command(request, words)


def schedule_command(request: CommandRequest, words: list[str]) -> None:
    services = request.services
    words, channel = pop_channel(words)
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    now = utc_now()
    try:
        text = parse_meeting_text([unescape(w) for w in words], now.astimezone(tz).date())
        starts_at = local_moment(text.day, text.at or DEFAULT_MEETING_TIME, tz)
        with transaction(services.runtime.sessions) as session:
            account = account_named_in(session, request, text.account_query)
            if account is None:
                return
            meeting = meetings.schedule_meeting(
                session,
                account,
                starts_at,
                channel=channel or account.channel or request.channel_id,
                actor=request.user_id,
                now=now,
                settings=services.settings,
            )
    except MeetingInputError as error:
        request.reply(str(error))
        return
    request.reply(views.scheduled_text(meeting, account, tz, time_given=text.at is not None))


def _scheduled_meeting(
    services: Services, workspace_id: str, meeting_id: int | None
) -> tuple[Meeting, Account] | None:
    """The scheduled meeting with that number in this workspace, and its account."""
    if meeting_id is None:
        return None
    with services.runtime.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        account = session.get(Account, meeting.account_id) if meeting else None
    if meeting is None or account is None:
        return None
    if meeting.workspace_id != workspace_id or meeting.status != "scheduled":
        return None
    return meeting, account


def _allowed_meeting(request: CommandRequest, number: int | None) -> tuple[Meeting, Account] | None:
    """The scheduled meeting with that number, if the requester may change its account."""
    services = request.services
    found = _scheduled_meeting(services, request.workspace_id, number)
    if found is None:
        request.reply(
            f"No scheduled meeting #{number}. `/voc meetings` lists them."
            if number is not None
            else MEETING_USAGE
        )
        return None
    allowed = account_if_allowed(
        services, request.client, request.workspace_id, request.user_id, found[1], request.reply
    )
    return found if allowed is not None else None


def move_command(request: CommandRequest, words: list[str]) -> None:
    found = _allowed_meeting(request, _meeting_number(words[0]) if words else None)
    if found is None:
        return
    meeting, account = found
    services = request.services
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    now = utc_now()
    try:
        day, at = parse_when([unescape(w) for w in words[1:]], now.astimezone(tz).date())
        moved = meetings.move_meeting(
            services.runtime.sessions,
            meeting.id,
            local_moment(day, at or meeting.starts_at.astimezone(tz).time(), tz),
            actor=request.user_id,
            now=now,
            settings=services.settings,
        )
    except (MeetingInputError, MeetingNotFound) as error:
        request.reply(_meeting_error(error, meeting.id))
        return
    request.reply(views.moved_text(moved, account, tz))


def cancel_command(request: CommandRequest, words: list[str]) -> None:
    found = _allowed_meeting(request, _meeting_number(words[0]) if words else None)
    if found is None:
        return
    meeting, account = found
    services = request.services
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    try:
        cancelled = meetings.cancel_meeting(
            services.runtime.sessions, meeting.id, actor=request.user_id, now=utc_now()
        )
    except MeetingNotFound as error:
        request.reply(_meeting_error(error, meeting.id))
        return
    request.reply(views.cancelled_text(cancelled, account, tz))


def _meeting_error(error: Exception, meeting_id: int) -> str:
    if isinstance(error, MeetingNotFound):
        return f"Meeting #{meeting_id} is no longer scheduled (cancelled meanwhile?)."
    return str(error)


def list_meetings(request: CommandRequest, words: list[str]) -> None:
    """With an account: its meetings. Without: the accounts the person is named on."""
    services = request.services
    now = utc_now()
    with services.runtime.sessions() as session:
        if words:
            account = account_named_in(session, request, " ".join(words))
            if account is None:
                return
            account_ids: list[int] | None = [account.id]
        elif services.settings.is_admin(request.user_id):
            account_ids = None
        else:
            user = services.directory(request.client, request.workspace_id).user(request.user_id)
            email = user.email if user else None
            account_ids = meetings.accounts_of_person(
                session, request.workspace_id, request.user_id, email
            )
        rows = meetings.upcoming_meetings(
            session, request.workspace_id, now, account_ids=account_ids
        )
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    request.reply(views.meetings_fallback_text(len(rows)), views.meetings_list_blocks(rows, tz))


# -- the list's buttons ----------------------------------------------------------------------


def _meeting_from_action(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> tuple[Meeting, Account] | None:
    services: Services = context["services"]

    def reply(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    meeting_id = _meeting_number(str(body["actions"][0].get("value", "")))
    found = _scheduled_meeting(services, context["workspace_id"], meeting_id)
    if found is None:
        reply(f"Review #{meeting_id} is no longer scheduled.")
        return None
    allowed = account_if_allowed(
        services, client, context["workspace_id"], body["user"]["id"], found[1], reply
    )
    return found if allowed is not None else None


def cancel_from_button(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    found = _meeting_from_action(body, context, client, respond)
    if found is None:
        return
    meeting, account = found
    services: Services = context["services"]
    user_id = body["user"]["id"]
    try:
        cancelled = meetings.cancel_meeting(
            services.runtime.sessions, meeting.id, actor=user_id, now=utc_now()
        )
    except MeetingNotFound:
        respond(
            text=f"Review #{meeting.id} is already cancelled.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    tz = reader_timezone(services, client, context["workspace_id"], user_id)
    respond(
        text=views.cancelled_text(cancelled, account, tz),
        response_type="ephemeral",
        replace_original=False,
    )


def open_move_dialog(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    found = _meeting_from_action(body, context, client, respond)
    if found is None:
        return
    meeting, account = found
    services: Services = context["services"]
    tz = reader_timezone(services, client, context["workspace_id"], body["user"]["id"])
    view = views.move_modal(meeting, account, tz, body.get("response_url"))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def move_from_dialog(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Validate before acking, so a past date shows under the field instead of vanishing."""
    services: Services = context["services"]
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    day = values[views.MOVE_DATE_BLOCK][views.MOVE_DATE_ACTION]["selected_date"]
    at = values[views.MOVE_TIME_BLOCK][views.MOVE_TIME_ACTION]["selected_time"]
    tz = reader_timezone(services, client, context["workspace_id"], user_id)
    now = utc_now()
    try:
        moved = meetings.move_meeting(
            services.runtime.sessions,
            int(metadata["meeting_id"]),
            local_moment(date.fromisoformat(day), time.fromisoformat(at), tz),
            actor=user_id,
            now=now,
            settings=services.settings,
        )
    except MeetingInputError as error:
        ack(response_action="errors", errors={views.MOVE_DATE_BLOCK: str(error)})
        return
    except MeetingNotFound:
        ack(
            response_action="errors",
            errors={views.MOVE_DATE_BLOCK: "This meeting was cancelled meanwhile."},
        )
        return
    ack()
    with services.runtime.sessions() as session:
        account = session.get(Account, moved.account_id)
    if account is not None and metadata.get("response_url"):
        WebhookClient(metadata["response_url"]).send(
            text=views.moved_text(moved, account, tz),
            response_type="ephemeral",
            replace_original=False,
        )


# -- /voc digest -------------------------------------------------------------------------------


def post_digest_command(request: CommandRequest) -> None:
    words, channel = pop_channel(request.args)
    if not words:
        request.reply("Which account? For example `/voc digest acme`.")
        return
    services = request.services
    with services.runtime.sessions() as session:
        account = account_named_in(session, request, " ".join(words))
    if account is None:
        return
    try:
        posted_in, _ = post_digest_now(
            services.runtime,
            request.client,
            account,
            channel=channel,
            fallback_channel=request.channel_id,
            now=utc_now(),
        )
    except SlackApiError as error:
        log.warning("digest for %s not posted: %s", account.name, error)
        request.reply(
            f"I could not post the digest of *{escape(account.name)}*: "
            f"{escape(describe_error(error))}. If the channel is private, invite me first "
            "(`/invite @voc`)."
        )
        return
    request.reply(f"The digest of *{escape(account.name)}* is in {channel_link(posted_in)}.")


# -- /voc sponsor ------------------------------------------------------------------------------


def set_sponsor_command(request: CommandRequest) -> None:
    words = request.args
    person = person_ref(words[-1]) if len(words) >= 2 else None
    if person is None:
        request.reply(
            "Name the account and the person, picking them from Slack's @ list: "
            "`/voc sponsor acme @jane` (an email works too)."
        )
        return
    services = request.services
    now = utc_now()
    with transaction(services.runtime.sessions) as session:
        account = account_named_in(session, request, " ".join(words[:-1]))
        if account is None:
            return
        previous = meetings.set_exec_sponsor(
            session, account, person, actor=request.user_id, now=now
        )
    request.reply(views.sponsor_text(account, previous))
