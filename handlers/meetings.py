"""`/voc meeting`, `/voc meetings`, `/voc digest`, `/voc sponsor` and the meeting buttons.

The manifest sets `should_escape: true`, so Slack sends people and channels picked from its
autocomplete as `<@U123|name>` and `<#C123|name>`, and `&`, `<`, `>` typed by hand as entities.
"""

from __future__ import annotations

import logging
from datetime import date, time, tzinfo
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.accounts.service import account_named, name_sponsor
from bot.core.clock import utc_now
from bot.core.identity import channel_ref, person_ref
from bot.core.slack import channel_link, mrkdwn, unescape
from bot.delivery.tagged import describe_error
from bot.digests.service import post_digest_now
from bot.errors import BadInput, NotFound
from bot.meetings import service
from bot.meetings.rules import attendee_refs, meeting_number, parse_meeting_text, parse_when
from bot.services import Services
from bot.views import meetings as views
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.errors import ANSWERED, answering, field_reason, open_dialog
from handlers.subjects import review_from_button, review_from_view

log = logging.getLogger(__name__)

MEETING_USAGE = (
    "Schedule a review with `/voc meeting ACCOUNT DATE [TIME] [#channel] [@people…]`, "
    "e.g. `/voc meeting halvorsen 2026-12-03 14:00 #acct-halvorsen-freight-group @jane`.\n"
    "List, move or cancel: `/voc meetings [ACCOUNT]`, `/voc meeting move 12 2026-12-04 10:00`, "
    "`/voc meeting cancel 12`. Who was there: `/voc meeting attendees 12 @jane @omar`."
)
CANCELLED_MEANWHILE = "This meeting was cancelled meanwhile."


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="meeting",
            usage="meeting ACCOUNT DATE [TIME] [#channel] [@people…]",
            summary="schedule a customer review meeting; its digest goes out before it",
            example="/voc meeting halvorsen 2026-12-03 14:00 #acct-halvorsen-freight-group",
            run=meeting_command,
            also=(
                "meeting list [ACCOUNT]",
                "meeting move ID DATE [TIME]",
                "meeting cancel ID",
                "meeting attendees ID @people…",
            ),
        )
    )
    router.add(
        Subcommand(
            name="meetings",
            usage="meetings [ACCOUNT]",
            summary="upcoming review meetings, with buttons to move or cancel them",
            example="/voc meetings halvorsen",
            run=lambda request: list_meetings(request, request.args),
        )
    )
    router.add(
        Subcommand(
            name="digest",
            usage="digest ACCOUNT [#channel]",
            summary="post the pre-meeting digest now",
            example="/voc digest halvorsen",
            run=post_digest_command,
        )
    )
    router.add(
        Subcommand(
            name="sponsor",
            usage="sponsor ACCOUNT @person [confirm]",
            summary="set the account's executive sponsor",
            example="/voc sponsor halvorsen @jane",
            run=set_sponsor_command,
        )
    )
    app.action(views.CANCEL_ACTION)(answering(cancel_from_button))
    app.action(views.MOVE_ACTION)(answering(open_move_dialog))
    app.view(views.MOVE_CALLBACK)(move_from_dialog)


# -- parsing what Slack sends ----------------------------------------------------------------


def pop_attendees(words: list[str]) -> tuple[list[str], list[str]]:
    """Trailing `<@U…>` mentions are the people at the meeting (autocomplete sends them so)."""
    words = list(words)
    people: list[str] = []
    while words and words[-1].startswith("<@"):
        people.insert(0, words.pop())
    return words, people


def pop_channel(words: list[str]) -> tuple[list[str], str | None]:
    """A trailing `<#C123|name>` (or `#name` when Slack did not escape it) is where to post."""
    if words and words[-1].startswith(("<#", "#")) and (channel := channel_ref(words[-1])):
        return words[:-1], channel
    return words, None


def _today(tz: tzinfo) -> date:
    return utc_now().astimezone(tz).date()


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
    elif action == "attendees":
        attendees_command(request, words[1:])
    else:
        schedule_command(request, words)


def schedule_command(request: CommandRequest, words: list[str]) -> None:
    words, people = pop_attendees(words)
    words, channel = pop_channel(words)
    attendees = attendee_refs(people)
    text = parse_meeting_text([unescape(w) for w in words], _today(request.tz))
    review = service.schedule_review(
        request.runtime,
        request.workspace_id,
        text,
        request.tz,
        reader=request.reader,
        channel=channel,
        fallback_channel=request.channel_id,
        now=utc_now(),
        attendees=attendees,
    )
    request.reply(
        views.scheduled_text(
            review.meeting,
            review.account,
            request.tz,
            time_given=text.at is not None,
            attendees=attendees,
        )
    )


def _numbered_review(request: CommandRequest, words: list[str]) -> service.Review:
    """The meeting `move 12 …` / `cancel 12` names, if the requester may change its account."""
    number = meeting_number(words[0]) if words else None
    if number is None:
        raise BadInput(MEETING_USAGE)
    return service.review_for(request.runtime, request.workspace_id, number, reader=request.reader)


def move_command(request: CommandRequest, words: list[str]) -> None:
    review = _numbered_review(request, words)
    day, at = parse_when([unescape(w) for w in words[1:]], _today(request.tz))
    moved = service.move_review(
        request.runtime, review, day, at, request.tz, actor=request.user_id, now=utc_now()
    )
    request.reply(views.moved_text(moved.meeting, moved.account, request.tz))


def attendees_command(request: CommandRequest, words: list[str]) -> None:
    """`/voc meeting attendees 12 @jane @omar`: who was at review 12 (or will be)."""
    review = _numbered_review(request, words)
    people = attendee_refs(words[1:])
    if not people:
        raise BadInput("Who was there? For example `/voc meeting attendees 12 @jane @omar`.")
    recorded = service.record_attendees(
        request.runtime, review, people, actor=request.user_id, now=utc_now()
    )
    request.reply(views.attendees_text(review.meeting, review.account, recorded))


def cancel_command(request: CommandRequest, words: list[str]) -> None:
    review = _numbered_review(request, words)
    cancelled = service.cancel_review(request.runtime, review, actor=request.user_id, now=utc_now())
    request.reply(views.cancelled_text(cancelled.meeting, cancelled.account, request.tz))


def list_meetings(request: CommandRequest, words: list[str]) -> None:
    """With an account: its meetings. Without: the accounts the person is named on."""
    rows = service.upcoming_for(
        request.runtime,
        request.workspace_id,
        typed_account(" ".join(words)) if words else None,
        reader=request.reader,
        now=utc_now(),
    )
    request.reply(
        views.meetings_fallback_text(len(rows)), views.meetings_list_blocks(rows, request.tz)
    )


# -- the list's buttons ----------------------------------------------------------------------


def cancel_from_button(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    services: Services,
    user_id: str,
    tz: tzinfo,
) -> None:
    ack()
    review = review_from_button(body, context)
    cancelled = service.cancel_review(services.runtime, review, actor=user_id, now=utc_now())
    respond(
        text=views.cancelled_text(cancelled.meeting, cancelled.account, tz),
        response_type="ephemeral",
        replace_original=False,
    )


def open_move_dialog(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, tz: tzinfo
) -> None:
    ack()
    review = review_from_button(body, context)
    view = views.move_modal(review.meeting, review.account, tz)
    open_dialog(client, body["trigger_id"], view)


def move_from_dialog(
    ack: Ack,
    view: dict[str, Any],
    context: BoltContext,
    services: Services,
    user_id: str,
    tz: tzinfo,
) -> None:
    """Validate before acking, so a past date shows under the field instead of vanishing.

    The answer replaces the dialog: nothing is sent anywhere the payload names.
    """
    try:
        review = review_from_view(view, context)
        day, at = _picked_slot(view)
        moved = service.move_review(
            services.runtime, review, day, at, tz, actor=user_id, now=utc_now()
        )
    except ANSWERED as error:
        reason = CANCELLED_MEANWHILE if isinstance(error, NotFound) else field_reason(error)
        ack(response_action="errors", errors={views.MOVE_DATE_BLOCK: reason})
        return
    ack(response_action="update", view=views.moved_modal(moved.meeting, moved.account, tz))


def _picked_slot(view: dict[str, Any]) -> tuple[date, time]:
    """The date and time the dialog's pickers hold; a forged or empty state is bad input."""
    try:
        values = view["state"]["values"]
        day = values[views.MOVE_DATE_BLOCK][views.MOVE_DATE_ACTION]["selected_date"]
        at = values[views.MOVE_TIME_BLOCK][views.MOVE_TIME_ACTION]["selected_time"]
        return date.fromisoformat(day), time.fromisoformat(at)
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput("Pick a date and a time for the review.") from error


# -- /voc digest -------------------------------------------------------------------------------


def post_digest_command(request: CommandRequest) -> None:
    words, channel = pop_channel(request.args)
    if not words:
        request.reply("Which account? For example `/voc digest halvorsen`.")
        return
    account = account_named(
        request.runtime, request.workspace_id, typed_account(" ".join(words)), request.reader
    )
    try:
        posted_in, _ = post_digest_now(
            request.runtime,
            request.client,
            account,
            channel=channel,
            fallback_channel=request.channel_id,
            now=utc_now(),
            people=request.reader.directory,
        )
    except SlackApiError as error:
        log.warning("digest for %s not posted: %s", account.name, error)
        request.reply(
            mrkdwn(
                "I could not post the digest of *{}*: {}. If the channel is private, invite me "
                "first (`/invite @voc`).",
                account.name,
                describe_error(error),
            )
        )
        return
    request.reply(mrkdwn("The digest of *{}* is in {}.", account.name, channel_link(posted_in)))


# -- /voc sponsor ------------------------------------------------------------------------------


def set_sponsor_command(request: CommandRequest) -> None:
    words = request.args
    confirmed = len(words) >= 3 and words[-1].casefold() == "confirm"  # past the capacity
    words = words[:-1] if confirmed else words
    person = person_ref(words[-1]) if len(words) >= 2 else None
    if person is None:
        request.reply(
            "Name the account and the person, picking them from Slack's @ list: "
            "`/voc sponsor halvorsen @jane` (an email works too)."
        )
        return
    change = name_sponsor(
        request.runtime,
        request.workspace_id,
        typed_account(" ".join(words[:-1])),
        person,
        reader=request.reader,
        now=utc_now(),
        confirmed=confirmed,
    )
    request.reply(
        views.sponsor_text(
            change.account,
            change.previous,
            shown=change.shown,
            previous_shown=change.previous_shown,
        )
    )
