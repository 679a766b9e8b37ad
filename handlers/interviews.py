"""`/voc interview ACCOUNT` and the "Log as interview note" shortcut: the interview modal.

The account is checked when the modal opens and again when it is submitted (the modal may
stay open while the person leaves the team). The submission is answered after the response
is stored, so what the importer refuses is shown on its field in the open modal.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.accounts.service import account_named, account_of_channel
from bot.core.clock import utc_now
from bot.core.slack import unescape
from bot.delivery.post import Delivery, tell_once
from bot.errors import BadInput
from bot.intake.interviews import UnknownPerson, interview_form, record_interview
from bot.intake.problems import ImportRejected
from bot.services import Services
from bot.views.interviews import (
    INTERVIEW_CALLBACK,
    INTERVIEW_SHORTCUT,
    field_errors,
    interview_modal,
    read_answers,
    recorded_text,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.errors import ANSWERED, answering, open_dialog
from handlers.subjects import account_from_id, view_metadata
from handlers.uploads import announce_now

NO_ACCOUNT = (
    "This channel is not an account channel I know, so I cannot tell whose interview this is: "
    "use `/voc interview ACCOUNT` and paste the note."
)
NO_LONGER = "You can no longer log interviews for this account, so nothing was saved."
WHO = "Pick a known person or type the name of a new one."
GONE_PERSON = "That person is no longer known for this account: pick again or type a name."


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="interview",
            usage="interview ACCOUNT",
            summary="record what a customer said in a conversation, as an interview response",
            example="/voc interview halvorsen",
            run=open_from_command,
        )
    )
    app.shortcut(INTERVIEW_SHORTCUT)(answering(open_from_message))
    app.view(INTERVIEW_CALLBACK)(save_interview)


def open_from_command(request: CommandRequest) -> None:
    if not request.raw_args:
        request.reply("Which account? For example `/voc interview halvorsen`.")
        return
    account = account_named(
        request.runtime, request.workspace_id, typed_account(request.raw_args), request.reader
    )
    today = utc_now().astimezone(request.tz).date()
    form = interview_form(request.runtime, request.workspace_id, account, today)
    open_dialog(request.client, request.trigger_id, interview_modal(form, today))


def open_from_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    """The note becomes what they said; the account is the one whose channel it is in."""
    ack()
    services: Services = context["services"]
    channel = (body.get("channel") or {}).get("id", "")
    account = account_of_channel(
        services.runtime, context["workspace_id"], channel, context["reader"]
    )
    if account is None:
        raise BadInput(NO_ACCOUNT)
    today = utc_now().astimezone(tz).date()
    form = interview_form(services.runtime, context["workspace_id"], account, today)
    note = unescape((body.get("message") or {}).get("text") or "")
    open_dialog(client, body.get("trigger_id"), interview_modal(form, today, note))


def save_interview(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    view = body["view"]
    metadata = view_metadata(view)
    try:
        account = account_from_id(metadata.get("account_id"), context)
    except ANSWERED:
        ack(response_action="errors", errors={"comment": NO_LONGER})
        return
    listed = metadata.get("attributes")
    attributes = [str(a) for a in listed][:20] if isinstance(listed, list) else []
    answers = read_answers(view.get("state", {}).get("values", {}), attributes)
    if answers.person_id is None and not answers.name.strip():
        ack(response_action="errors", errors={"name": WHO})
        return
    services: Services = context["services"]
    try:
        recorded = record_interview(
            services.runtime,
            context["workspace_id"],
            account,
            answers,
            actor=f"slack:{context['user_id']}",
            today=utc_now().astimezone(tz).date(),
        )
    except UnknownPerson:
        ack(response_action="errors", errors={"person": GONE_PERSON})
        return
    except ImportRejected as rejected:
        ack(response_action="errors", errors=field_errors(rejected.problems, attributes))
        return
    ack()
    summary = recorded.summary
    text = recorded_text(
        recorded.person, account.name, ", ".join(summary.cycles), summary.followups_opened
    )
    user_id = context["user_id"]
    key = f"interview:{view.get('id')}:recorded"
    delivery = Delivery(context["workspace_id"], key, "interview_dm", user_id, "voc_interview")
    tell_once(services.runtime.sessions, client, delivery, text, utc_now())
    announce_now(services, client, context["workspace_id"], summary.announcements)
