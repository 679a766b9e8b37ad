"""Commitments in Slack: `/voc open`, the Done buttons and the done reaction.

The modal that logs them (`/voc commit`, the shortcut, the digest's button) is
`handlers.commitments_modal`. Listeners parse, call `bot.commitments.service` and render what it
returns; the rules, the reads and the writes live there. No listener opens a session. Accounts
are found through `bot.accounts.service`, whose refusals the router and `answering` answer.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.accounts.service import account_named
from bot.commitments.rules import is_done_reaction
from bot.commitments.service import (
    complete_from_button,
    handle_done_reaction,
    list_open,
    list_open_visible,
    shown_owners,
)
from bot.commitments.values import ButtonOutcome, ReactionEvent, slack_moment
from bot.commitments.workspace import SlackWorkspace
from bot.core.clock import utc_now
from bot.core.identity import person_ref
from bot.core.slack import is_user_id, unescape
from bot.directory import Directory
from bot.errors import AccessRefused, NotFound
from bot.services import Services
from bot.views.commitments import (
    DONE_ACTION,
    already_done_text,
    done_confirmation,
    open_list_message,
    today_in,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand
from handlers.errors import answering
from handlers.home import refresh_home
from handlers.subjects import button_value, subject_id

log = logging.getLogger(__name__)

COMMITMENT_GONE = "That commitment no longer exists."


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="open",
            usage="open [ACCOUNT or @user]",
            summary="open commitments: yours, an account's or a person's, with Done buttons",
            example="/voc open halvorsen",
            run=show_open_commitments,
            answer_owed=True,
        )
    )
    app.action(DONE_ACTION)(answering(mark_done))
    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)


def slack_workspace(context: BoltContext, client: WebClient) -> SlackWorkspace:
    return _workspace(context["services"], client, context["workspace_id"], context.bot_user_id)


def _workspace(
    services: Services, client: WebClient, workspace_id: str, bot_user_id: str | None = None
) -> SlackWorkspace:
    directory = services.directory(client, workspace_id)
    return SlackWorkspace(client, directory, services.settings, workspace_id, bot_user_id)


# --- completing ---------------------------------------------------------------------------------


def mark_done(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Done in App Home, `/voc open` or the owner's DM; the channel message follows.

    On the Home tab the refreshed list is the answer; elsewhere the presser is told privately.
    """
    ack()
    commitment_id = subject_id(button_value(body), COMMITMENT_GONE)
    outcome = complete_from_button(
        context["services"].runtime.sessions,
        slack_workspace(context, client),
        commitment_id,
        user_id=context["user_id"],
        now=utc_now(),
    )
    if (body.get("view") or {}).get("type") == "home":
        refresh_home(context, client)
        return
    if body.get("response_url"):
        text = _done_reply(outcome)
        respond(text=text, response_type="ephemeral", replace_original=False)


def _done_reply(outcome: ButtonOutcome) -> str:
    """What pressing Done did; a refusal or a vanished commitment travels as its reason."""
    if outcome.result == "refused":
        raise AccessRefused(outcome.account_name, outcome.ask)
    if outcome.commitment is None:
        raise NotFound(COMMITMENT_GONE)
    if outcome.result == "done":
        return done_confirmation(outcome.commitment, outcome.account_name or "")
    if outcome.result == "already_done":
        return already_done_text(outcome.commitment, outcome.account_name or "")
    raise NotFound(COMMITMENT_GONE)


def reaction_added(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    _on_reaction(event, context, client, added=True)


def reaction_removed(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    _on_reaction(event, context, client, added=False)


def _on_reaction(
    event: dict[str, Any], context: BoltContext, client: WebClient, *, added: bool
) -> None:
    """Most reactions are not ours to care about; leave before touching the database."""
    item = event.get("item") or {}
    services: Services = context["services"]
    if item.get("type") != "message" or not is_done_reaction(
        event.get("reaction") or "", services.settings
    ):
        return
    if not item.get("channel") or not item.get("ts") or not event.get("user"):
        return
    outcome = handle_done_reaction(
        services.runtime.sessions,
        slack_workspace(context, client),
        ReactionEvent(
            channel=item["channel"],
            message_ts=item["ts"],
            user=event["user"],
            reaction=event["reaction"],
            added=added,
            at=slack_moment(event.get("event_ts")),
        ),
        now=utc_now(),
    )
    log.info("done reaction %s by %s: %s", "added" if added else "removed", event["user"], outcome)


# --- listing -----------------------------------------------------------------------------------


def show_open_commitments(request: CommandRequest) -> None:
    """`/voc open` (yours), `/voc open ACCOUNT`, `/voc open @user` — only what you may see."""
    sessions = request.runtime.sessions
    directory = request.services.directory(request.client, request.workspace_id)
    arg = request.raw_args.strip().strip("\"'")
    person = person_ref(arg)
    arg = unescape(arg)
    hidden = 0
    if not arg:
        title = "Your open commitments"
        items = list_open(
            sessions, request.workspace_id, owners=_names_of(directory, request.user_id)
        )
    elif person is not None:
        user = directory.user(person) if is_user_id(person) else None
        title = f"Open commitments · {user.name if user else person}"
        owners = _names_of(directory, person) if is_user_id(person) else [person]
        slack = _workspace(request.services, request.client, request.workspace_id)
        listed = list_open_visible(sessions, slack, request.user_id, owners=owners)
        items, hidden = listed.items, listed.hidden
    elif arg.startswith("@"):
        request.reply(
            f"I cannot tell who `{arg}` is from the name alone: pick them from Slack's "
            "mention list so it becomes a mention, or give their email."
        )
        return
    else:
        account = account_named(request.runtime, request.workspace_id, arg, request.reader)
        title = f"Open commitments · {account.name}"
        items = list_open(sessions, request.workspace_id, account_id=account.id)
    today = today_in(request.tz, utc_now())
    items = shown_owners(items, directory)
    text, blocks = open_list_message(title, items, request.tz, today, hidden=hidden)
    request.reply(text, blocks)


def _names_of(directory: Directory, user_id: str) -> list[str]:
    """Owners are stored as a Slack ID or an email: a person is found under either."""
    user = directory.user(user_id)
    return [user_id] + ([user.email] if user and user.email else [])
