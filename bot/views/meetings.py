"""Review meetings in Slack: the confirmation, the list with its buttons, the move dialog."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.core.slack import Mrkdwn, channel_link, escape, mention
from bot.core.text import plural
from bot.views.common import (
    DATE_AND_TIME,
    MAX_MESSAGE_BLOCKS,
    Block,
    actions,
    button,
    context,
    header,
    section,
    slack_date,
    truncate,
)
from storage.models import Account, Meeting

MOVE_ACTION = "meeting_move"
CANCEL_ACTION = "meeting_cancel"
MOVE_CALLBACK = "meeting_move_submit"
MOVE_DATE_BLOCK = "meeting_date"
MOVE_DATE_ACTION = "date"
MOVE_TIME_BLOCK = "meeting_time"
MOVE_TIME_ACTION = "time"
MEETINGS_PER_MESSAGE = (MAX_MESSAGE_BLOCKS - 2) // 2


def when(moment: datetime, tz: tzinfo) -> str:
    return slack_date(moment, DATE_AND_TIME, tz)


def digest_status(meeting: Meeting, tz: tzinfo) -> str:
    if meeting.digest_posted_at is not None:
        return f"digest posted {when(meeting.digest_posted_at, tz)}"
    if meeting.digest_due_at is not None:
        return f"digest due {when(meeting.digest_due_at, tz)}"
    return "no digest planned"


def scheduled_text(
    meeting: Meeting,
    account: Account,
    tz: tzinfo,
    *,
    time_given: bool,
    attendees: Sequence[str] = (),
) -> Mrkdwn:
    """The requester's confirmation: what, when, who, where the digest goes, how to change it."""
    assumed = "" if time_given else " (no time given, so 10:00 your time)"
    due = meeting.digest_due_at
    digest_when = f", due {when(due, tz)}" if due else " before it"
    with_whom = f" With {people_list(attendees)}." if attendees else ""
    return Mrkdwn(
        f":calendar: Review with *{escape(account.name)}* scheduled for "
        f"{when(meeting.starts_at, tz)}{assumed}, meeting #{meeting.id}.{with_whom}\n"
        f"The pre-meeting digest goes to {channel_link(meeting.channel)}"
        f"{digest_when}.\n"
        f"To move or cancel it: `/voc meetings {escape(account.name)}`."
    )


def attendees_text(meeting: Meeting, account: Account, attendees: Sequence[str]) -> Mrkdwn:
    return Mrkdwn(
        f":busts_in_silhouette: Review #{meeting.id} with *{escape(account.name)}*: "
        f"{people_list(attendees)}."
    )


def people_list(people: Sequence[str]) -> str:
    """People as mentions (an email, which cannot be one, escaped as text)."""
    return ", ".join(mention(who) for who in people)


def moved_text(meeting: Meeting, account: Account, tz: tzinfo) -> Mrkdwn:
    return Mrkdwn(
        f":calendar: Review #{meeting.id} with *{escape(account.name)}* moved to "
        f"{when(meeting.starts_at, tz)}; {digest_status(meeting, tz)}."
    )


def moved_modal(meeting: Meeting, account: Account, tz: tzinfo) -> Block:
    """The dialog's answer once moved, in its place: the person sees it where they submitted."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Review moved"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(moved_text(meeting, account, tz))],
    }


def cancelled_text(meeting: Meeting, account: Account, tz: tzinfo) -> Mrkdwn:
    posted = (
        " Its digest had already been posted."
        if meeting.digest_posted_at is not None
        else " Its digest will not be sent."
    )
    return Mrkdwn(
        f":x: Review #{meeting.id} with *{escape(account.name)}* on "
        f"{when(meeting.starts_at, tz)} is cancelled.{posted}"
    )


def meetings_fallback_text(count: int) -> Mrkdwn:
    if count == 0:
        return Mrkdwn("No upcoming review meetings.")
    return Mrkdwn(plural(count, "upcoming review meeting"))


def meetings_list_blocks(rows: list[tuple[Meeting, Account]], tz: tzinfo) -> list[Block]:
    """Each meeting with Move and Cancel buttons; a cancel asks for confirmation first."""
    if not rows:
        return [
            section(
                "No upcoming review meetings. Schedule one with "
                "`/voc meeting ACCOUNT DATE TIME`, e.g. `/voc meeting halvorsen 2026-12-03 14:00`."
            )
        ]
    blocks: list[Block] = [header("Upcoming review meetings")]
    for meeting, account in rows[:MEETINGS_PER_MESSAGE]:
        blocks.append(
            section(
                f"*{escape(account.name)}* — {when(meeting.starts_at, tz)} · "
                f"#{meeting.id} · {channel_link(meeting.channel)} · {digest_status(meeting, tz)}"
            )
        )
        blocks.append(_meeting_buttons(meeting, account))
    if len(rows) > MEETINGS_PER_MESSAGE:
        blocks.append(context(f"…and {len(rows) - MEETINGS_PER_MESSAGE} more."))
    return blocks


def _meeting_buttons(meeting: Meeting, account: Account) -> Block:
    cancel = button("Cancel meeting", CANCEL_ACTION, str(meeting.id), style="danger")
    cancel["confirm"] = {
        "title": {"type": "plain_text", "text": "Cancel this review?"},
        "text": {
            "type": "mrkdwn",
            "text": truncate(
                f"The review with *{escape(account.name)}* is cancelled and its digest is "
                "not sent (unless it already was).",
                300,
            ),
        },
        "confirm": {"type": "plain_text", "text": "Cancel the review"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    return actions(
        button("Move…", MOVE_ACTION, str(meeting.id)),
        cancel,
        block_id=f"meeting_{meeting.id}",
    )


def move_modal(meeting: Meeting, account: Account, tz: tzinfo) -> Block:
    """Date and time pickers prefilled with the current slot, in the reader's timezone.

    The metadata holds the meeting's number only: where to answer is never read from it.
    """
    local = meeting.starts_at.astimezone(tz)
    metadata = {"meeting_id": meeting.id}
    return {
        "type": "modal",
        "callback_id": MOVE_CALLBACK,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": "Move review"},
        "submit": {"type": "plain_text", "text": "Move"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"Review with *{escape(account.name)}*, now {when(meeting.starts_at, tz)}. "
                f"Times are in your timezone ({escape(str(tz))})."
            ),
            {
                "type": "input",
                "block_id": MOVE_DATE_BLOCK,
                "label": {"type": "plain_text", "text": "New date"},
                "element": {
                    "type": "datepicker",
                    "action_id": MOVE_DATE_ACTION,
                    "initial_date": local.date().isoformat(),
                },
            },
            {
                "type": "input",
                "block_id": MOVE_TIME_BLOCK,
                "label": {"type": "plain_text", "text": "New time"},
                "element": {
                    "type": "timepicker",
                    "action_id": MOVE_TIME_ACTION,
                    "initial_time": local.strftime("%H:%M"),
                },
            },
        ],
    }


def sponsor_text(
    account: Account,
    previous: str | None,
    *,
    shown: str | None = None,
    previous_shown: str | None = None,
) -> Mrkdwn:
    """`shown` and `previous_shown` name the two sponsors as Slack shows them (Slack IDs for
    emails Slack knows); without them the stored values are shown."""
    was = (
        f" (was {mention(previous_shown or previous)})"
        if previous and previous != account.exec_sponsor
        else ""
    )
    return Mrkdwn(
        f"{mention(shown or account.exec_sponsor)} is now the executive sponsor of "
        f"*{escape(account.name)}*{was}. They open its review meetings with the company "
        "overview, future plans and the Voice of the Customer programme."
    )
