"""Follow-ups in Slack: `/voc followups [ACCOUNT]` with its Contacted and Closed buttons, and
the controls of the channel announcement after an import (I'll take it, Contacted…, Log
commitment, Not needed…).

The list is private to the requester, because it names customers and why they are unhappy.
A press or a dialog's submission re-reads the follow-up and re-checks access at that moment
(`bot.followups.service`); a refusal is told privately and names no account. On the Home tab the
refreshed tab is the answer; after an announcement's control the announcement is redrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import clock
from bot.core.ids import parse_id
from bot.followups.announce import refresh_announcement
from bot.followups.moving import SETTLED
from bot.followups.service import (
    NO_REASON,
    account_followups,
    followup_from_slack,
    followups_for_reader,
    move_from_slack,
    take_from_slack,
)
from bot.followups.values import AnsweredItem, FollowupItem
from bot.views.commitments import notice_modal
from bot.views.followups import (
    ACTION_STEPS,
    CONTACT_ACTION,
    CONTACT_MODAL,
    LOG_ACTION,
    METHOD_BLOCK,
    METHOD_INPUT,
    NOT_NEEDED_ACTION,
    NOT_NEEDED_MODAL,
    NOTE_BLOCK,
    NOTE_INPUT,
    REASON_BLOCK,
    REASON_INPUT,
    TAKE_ACTION,
    contact_modal,
    followup_list_message,
    modal_followup_id,
    moved_text,
    not_needed_modal,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.commitments_modal import open_modal_for_followup
from handlers.errors import ANSWERED, answering, open_dialog, reason_for
from handlers.home import refresh_home
from handlers.subjects import button_value, subject_id

NOT_SAVED = "Not saved"
PICK_A_METHOD = "Pick how the contact was made."


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="followups",
            usage="followups [ACCOUNT]",
            summary="customers waiting for a call back: yours, or an account's, with buttons",
            example="/voc followups halvorsen",
            run=show_followups,
        )
    )
    for action_id in ACTION_STEPS:
        app.action(action_id)(answering(move_on))
    app.action(TAKE_ACTION)(answering(take_it))
    app.action(CONTACT_ACTION)(answering(open_contact_modal))
    app.action(NOT_NEEDED_ACTION)(answering(open_not_needed_modal))
    app.action(LOG_ACTION)(answering(log_commitment))
    app.view(CONTACT_MODAL)(save_contact)
    app.view(NOT_NEEDED_MODAL)(save_not_needed)


def show_followups(request: CommandRequest) -> None:
    """`/voc followups` (what you own and your accounts wait for) or `/voc followups ACCOUNT`."""
    query = typed_account(request.raw_args)
    if query:
        name, items = account_followups(
            request.runtime, request.workspace_id, query, request.reader
        )
        title = f"Open follow-ups · {name}"
    else:
        items = followups_for_reader(request.runtime, request.workspace_id, request.reader)
        title = "Your open follow-ups"
    text, blocks = followup_list_message(title, items, request.tz, clock.utc_now())
    request.reply(text, blocks)


def move_on(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Contacted or Closed, pressed in `/voc followups` or on the Home tab."""
    ack()
    action = body["actions"][0]
    followup_id = subject_id(action.get("value"), "That follow-up no longer exists.")
    moved = move_from_slack(
        context["services"].runtime,
        context["workspace_id"],
        followup_id,
        ACTION_STEPS[action["action_id"]],
        reader=context["reader"],
        now=clock.utc_now(),
    )
    if (body.get("view") or {}).get("type") == "home":
        refresh_home(context, client)
        return
    if body.get("response_url"):
        text = moved_text(moved.item, moved.previous, moved.changed)
        respond(text=text, response_type="ephemeral", replace_original=False)


# --- the announcement's controls -----------------------------------------------------------


def take_it(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """*I'll take it*: the presser owns the follow-up from now on, and the channel sees it."""
    ack()
    followup_id = parse_id(button_value(body))
    now = clock.utc_now()
    runtime = context["services"].runtime
    moved = take_from_slack(
        runtime, context["workspace_id"], followup_id, reader=context["reader"], now=now
    )
    if not moved.changed and moved.item.status in SETTLED:
        respond(
            text=moved_text(moved.item, moved.previous, False),
            response_type="ephemeral",
            replace_original=False,
        )
    refresh_announcement(runtime, client, context["workspace_id"], moved.item.id, now)


def open_contact_modal(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """*Contacted…*: checked now, then a dialog asks how (call, meeting, email) and a note."""
    _open_dialog(ack, body, client, context, respond, contact_modal)


def open_not_needed_modal(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """*Not needed…*: checked now, then a dialog asks why (required)."""
    _open_dialog(ack, body, client, context, respond, not_needed_modal)


def _open_dialog(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    dialog: Callable[[FollowupItem], Any],
) -> None:
    """The follow-up is re-read and access checked at the press; a settled one opens nothing."""
    ack()
    found = _pressed(body, context)
    if _already_settled(found.item, respond):
        return
    open_dialog(client, body.get("trigger_id"), dialog(found.item))


def _already_settled(item: FollowupItem, respond: Respond) -> bool:
    """A press on an older message about someone settled since: say so, change nothing."""
    if item.status not in SETTLED:
        return False
    respond(
        text=moved_text(item, item.status, False), response_type="ephemeral", replace_original=False
    )
    return True


def log_commitment(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    """*Log commitment*: the commitments modal for this account and person, linked to it."""
    ack()
    found = _pressed(body, context)
    where = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    open_modal_for_followup(
        client, context, body.get("trigger_id"), found, tz=tz, captured_in=where
    )


def _pressed(body: dict[str, Any], context: BoltContext) -> AnsweredItem:
    return followup_from_slack(
        context["services"].runtime,
        context["workspace_id"],
        parse_id(button_value(body)),
        reader=context["reader"],
    )


def save_contact(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The first contact, as the dialog says it was made; checked again at submission."""
    values = view["state"]["values"]
    picked = (values.get(METHOD_BLOCK, {}).get(METHOD_INPUT) or {}).get("selected_option") or {}
    method = picked.get("value")
    if not method:
        ack(response_action="errors", errors={METHOD_BLOCK: PICK_A_METHOD})
        return
    note = (values.get(NOTE_BLOCK, {}).get(NOTE_INPUT) or {}).get("value")
    _save(ack, view, client, context, "contacted", note=note, contact_method=method)


def save_not_needed(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Not needed, with its reason; an empty reason is sent back to the field."""
    values = view["state"]["values"]
    reason = (values.get(REASON_BLOCK, {}).get(REASON_INPUT) or {}).get("value") or ""
    if not reason.strip():
        ack(response_action="errors", errors={REASON_BLOCK: NO_REASON})
        return
    _save(ack, view, client, context, "not-needed", note=reason)


def _save(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    target: str,
    *,
    note: str | None,
    contact_method: str | None = None,
) -> None:
    runtime = context["services"].runtime
    now = clock.utc_now()
    try:
        moved = move_from_slack(
            runtime,
            context["workspace_id"],
            parse_id(modal_followup_id(view)),
            target,
            reader=context["reader"],
            now=now,
            note=note,
            contact_method=contact_method,
            reopen=False,
        )
    except ANSWERED as error:
        ack(response_action="update", view=notice_modal(NOT_SAVED, reason_for(error)))
        return
    if moved.item.status in SETTLED and not moved.changed:
        ack(
            response_action="update",
            view=notice_modal(NOT_SAVED, moved_text(moved.item, "", False)),
        )
        return
    ack()
    refresh_announcement(runtime, client, context["workspace_id"], moved.item.id, now)
