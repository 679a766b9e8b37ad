"""Follow-ups in Slack: `/voc followups [ACCOUNT]` and its Contacted and Closed buttons.

The list is private to the requester, because it names customers and why they are unhappy.
A press re-reads the follow-up and re-checks access at that moment (`bot.followups.service`);
on the Home tab the refreshed tab is the answer, elsewhere the presser is told privately.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core import clock
from bot.followups.service import account_followups, followups_for_reader, move_from_slack
from bot.views.followups import ACTION_STEPS, followup_list_message, moved_text
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.errors import answering
from handlers.home import refresh_home
from handlers.subjects import subject_id


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
