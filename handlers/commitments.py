"""Commitments in Slack: `/voc commit`, `/voc open`, the "Log as commitment" shortcut, the
digest's "Log commitments" button, the modal (rows, validation, saving), Done buttons and the
done reaction.

Listeners parse, check access, call `bot.commitments.service` and render what it returns; the
rules, the reads and the writes live there. No listener opens a session.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.accounts.access import may_access, whom_to_ask
from bot.accounts.queries import describe_miss
from bot.commitments.rules import is_done_reaction
from bot.commitments.service import (
    account_by_id,
    account_named,
    account_of_channel,
    capture_form,
    complete_from_button,
    handle_done_reaction,
    list_open,
    list_open_visible,
    log_commitments,
)
from bot.commitments.values import Announcement, CaptureForm, CommitmentDraft, ReactionEvent
from bot.commitments.workspace import SlackWorkspace
from bot.core.clock import utc_now
from bot.core.identity import person_ref
from bot.core.slack import is_user_id, unescape
from bot.services import Services
from bot.views.commitments import (
    ACCOUNT_BLOCK,
    ADD_ROW_ACTION,
    COMMIT_MODAL_CALLBACK,
    DONE_ACTION,
    LOG_SHORTCUT,
    MAX_ROWS,
    OPEN_MODAL_ACTION,
    REMOVE_ROW_ACTION,
    ModalContent,
    ModalContext,
    RowValues,
    already_done_text,
    commitments_modal,
    done_confirmation,
    items_from_message,
    notice_modal,
    open_list_message,
    owner_missing_text,
    post_failure_text,
    read_account_query,
    read_rows,
    row_block_id,
    today_in,
)
from bot.views.report import refusal_text
from handlers.command import CommandRequest, CommandRouter, Subcommand
from handlers.common import account_if_allowed, reader_timezone
from handlers.home import refresh_home
from storage.models import Account

log = logging.getLogger(__name__)


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="commit",
            usage="commit ACCOUNT",
            summary="log what was promised to the customer (owner, due date, area for each)",
            example="/voc commit halvorsen",
            run=open_modal_from_command,
        )
    )
    router.add(
        Subcommand(
            name="open",
            usage="open [ACCOUNT or @user]",
            summary="open commitments: yours, an account's or a person's, with Done buttons",
            example="/voc open halvorsen",
            run=show_open_commitments,
        )
    )
    app.shortcut(LOG_SHORTCUT)(open_modal_from_message)
    app.action(OPEN_MODAL_ACTION)(open_modal_from_button)
    app.action(ADD_ROW_ACTION)(add_row)
    app.action(REMOVE_ROW_ACTION)(remove_row)
    app.view(COMMIT_MODAL_CALLBACK)(save_commitments)
    app.action(DONE_ACTION)(mark_done)
    app.event("reaction_added")(reaction_added)
    app.event("reaction_removed")(reaction_removed)


def slack_workspace(context: BoltContext, client: WebClient) -> SlackWorkspace:
    return _workspace(context["services"], client, context["workspace_id"], context.bot_user_id)


def _workspace(
    services: Services, client: WebClient, workspace_id: str, bot_user_id: str | None = None
) -> SlackWorkspace:
    directory = services.directory(client, workspace_id)
    return SlackWorkspace(client, directory, services.settings, workspace_id, bot_user_id)


def _named_account(
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    query: str,
    reply: Callable[[str], None],
) -> Account | None:
    """`handlers.common.account_for`, with the lookup in the service's own read."""
    match = account_named(services.runtime.sessions, workspace_id, query)
    if match.account is None:
        reply(describe_miss(query, match))
        return None
    return account_if_allowed(services, client, workspace_id, user_id, match.account, reply)


# --- opening the modal -------------------------------------------------------------------------


def open_modal_from_command(request: CommandRequest) -> None:
    """`/voc commit ACCOUNT`: the team's own account only; the modal opens on the trigger."""
    if not request.raw_args:
        request.reply("Which account? For example `/voc commit halvorsen`.")
        return
    services = request.services
    query = unescape(request.raw_args).strip("\"'")
    account = _named_account(
        services, request.client, request.workspace_id, request.user_id, query, request.reply
    )
    if account is None:
        return
    _open_modal(
        services,
        request.client,
        request.workspace_id,
        request.user_id,
        request.trigger_id,
        account,
        captured_in=request.channel_id,
    )


def open_modal_from_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """The "Log as commitment" shortcut on meeting notes: one row per bullet line, for the
    account whose channel it is; in any other channel the modal asks which account."""
    ack()
    services: Services = context["services"]
    workspace_id = context["workspace_id"]
    user_id = body["user"]["id"]
    channel = body.get("channel") or {}
    rows = items_from_message((body.get("message") or {}).get("text") or "")
    note = None
    if len(rows) > MAX_ROWS:
        note = f"The message has {len(rows)} items; the first {MAX_ROWS} are here."
    account = account_of_channel(
        services.runtime.sessions, workspace_id, channel.get("id", ""), channel.get("name")
    )
    if account is not None and not account_if_allowed(
        services, client, workspace_id, user_id, account, _ephemeral(respond)
    ):
        return
    _open_modal(
        services,
        client,
        workspace_id,
        user_id,
        body.get("trigger_id"),
        account,
        captured_in=channel.get("id"),
        rows=rows or [RowValues()],
        note=note,
    )


def open_modal_from_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """The digest's button: value `{"account_id": …, "meeting_id": … or null}`."""
    ack()
    services: Services = context["services"]
    workspace_id = context["workspace_id"]
    user_id = body["user"]["id"]
    try:
        data = json.loads(body["actions"][0].get("value") or "{}")
        account_id = int(data["account_id"])
        meeting_id = int(data["meeting_id"]) if data.get("meeting_id") is not None else None
    except (ValueError, KeyError, TypeError):
        _ephemeral(respond)("That button is out of date; try `/voc commit ACCOUNT`.")
        return
    account = account_by_id(services.runtime.sessions, workspace_id, account_id)
    if account is None:
        _ephemeral(respond)("That account no longer exists.")
        return
    if not account_if_allowed(
        services, client, workspace_id, user_id, account, _ephemeral(respond)
    ):
        return
    where = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    _open_modal(
        services,
        client,
        workspace_id,
        user_id,
        body.get("trigger_id"),
        account,
        captured_in=where,
        meeting_id=meeting_id,
    )


def _open_modal(
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    trigger_id: str | None,
    account: Account | None,
    *,
    captured_in: str | None,
    meeting_id: int | None = None,
    rows: list[RowValues] | None = None,
    note: str | None = None,
) -> None:
    """Opens on the trigger; where it was opened is kept for accounts without a channel."""
    shown = (rows or [RowValues()])[:MAX_ROWS]
    modal_context = ModalContext(
        account_id=account.id if account else None,
        meeting_id=meeting_id,
        channel=captured_in,
        rows=tuple(range(len(shown))),
        next_row=len(shown),
    )
    form, tz = _capture_form(services, client, workspace_id, user_id, modal_context)
    answer = _meeting_answer(modal_context)
    filled = [replace(row, due=row.due or form.due, answer=row.answer or answer) for row in shown]
    content = ModalContent(
        account_name=account.name if account else None, choices=form.choices, tz=tz, note=note
    )
    client.views_open(trigger_id=trigger_id, view=commitments_modal(content, modal_context, filled))


# --- adding and removing rows ------------------------------------------------------------------


def add_row(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    view = body["view"]
    modal_context = ModalContext.from_metadata(view.get("private_metadata"))
    if len(modal_context.rows) >= MAX_ROWS:
        return
    typed = [values for _, values in read_rows(view["state"]["values"], modal_context)]
    key = modal_context.next_row
    grown = modal_context.with_rows((*modal_context.rows, key), key + 1)
    form, tz = _form_for(context, client, body, grown)
    blank = RowValues(due=form.due, answer=_meeting_answer(grown))
    _update_modal(client, body, grown, [*typed, blank], form, tz)


def remove_row(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    view = body["view"]
    modal_context = ModalContext.from_metadata(view.get("private_metadata"))
    gone = int(body["actions"][0]["value"])
    kept = [(key, values) for key, values in read_rows(view["state"]["values"], modal_context)]
    kept = [(key, values) for key, values in kept if key != gone] or kept[:1]
    shrunk = modal_context.with_rows(tuple(key for key, _ in kept))
    form, tz = _form_for(context, client, body, shrunk)
    _update_modal(client, body, shrunk, [values for _, values in kept], form, tz)


def _form_for(
    context: BoltContext, client: WebClient, body: dict[str, Any], modal_context: ModalContext
) -> tuple[CaptureForm, ZoneInfo]:
    services, workspace_id = context["services"], context["workspace_id"]
    return _capture_form(services, client, workspace_id, body["user"]["id"], modal_context)


def _capture_form(
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    modal_context: ModalContext,
) -> tuple[CaptureForm, ZoneInfo]:
    """Re-read at every change (the account may be renamed or gone); due from the reader's today."""
    tz = reader_timezone(services, client, workspace_id, user_id)
    now = utc_now()
    form = capture_form(
        services.runtime.sessions,
        workspace_id,
        modal_context.account_id,
        meeting_id=modal_context.meeting_id,
        today=today_in(tz, now),
        now=now,
    )
    return form, tz


def _meeting_answer(modal_context: ModalContext) -> str | None:
    return f"meeting:{modal_context.meeting_id}" if modal_context.meeting_id is not None else None


def _update_modal(
    client: WebClient,
    body: dict[str, Any],
    modal_context: ModalContext,
    rows: list[RowValues],
    form: CaptureForm,
    tz: ZoneInfo,
) -> None:
    """Rows keep their block ids, so Slack keeps what was typed; `hash` guards a stale update."""
    view = body["view"]
    content = ModalContent(
        account_name=form.account_name,
        choices=form.choices,
        tz=tz,
        account_query=read_account_query(view["state"]["values"]),
    )
    if modal_context.account_id is not None and form.account_name is None:
        content = replace(content, account_name="(deleted account)")
    try:
        client.views_update(
            view_id=view["id"],
            hash=view.get("hash"),
            view=commitments_modal(content, modal_context, rows),
        )
    except SlackApiError as error:
        log.info("commitments modal not updated: %s", error.response.get("error"))


# --- saving ------------------------------------------------------------------------------------


def save_commitments(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Validate every row, save all or nothing, close the modal, then post and tell people."""
    services: Services = context["services"]
    workspace_id = context["workspace_id"]
    user_id = body["user"]["id"]
    modal_context = ModalContext.from_metadata(view.get("private_metadata"))
    values = view["state"]["values"]
    tz = reader_timezone(services, client, workspace_id, user_id)
    now = utc_now()
    account = _submitted_account(
        ack, services, client, workspace_id, user_id, modal_context, values
    )
    if account is None:
        return
    rows = read_rows(values, modal_context)
    logged = log_commitments(
        services.runtime,
        slack_workspace(context, client),
        account.id,
        [_draft(row) for _, row in rows],
        actor=user_id,
        captured_in=modal_context.channel,
        today=today_in(tz, now),
        now=now,
        on_saved=ack,
    )
    if logged.account_name is None:
        ack(response_action="update", view=_not_saved_because_gone())
    elif logged.problems:
        ack(response_action="errors", errors=_errors_by_block(logged.problems, rows))
    elif logged.unreachable:
        log.warning("commitments saved but not all announced: %s", logged.unreachable)
    else:
        _tell_submitter(client, user_id, logged.account_name, logged.announcements)


def _submitted_account(
    ack: Ack,
    services: Services,
    client: WebClient,
    workspace_id: str,
    user_id: str,
    modal_context: ModalContext,
    values: dict[str, Any],
) -> Account | None:
    """The account the modal is for, or None after telling the person (nothing is saved)."""
    sessions = services.runtime.sessions
    if modal_context.account_id is not None:
        account = account_by_id(sessions, workspace_id, modal_context.account_id)
        if account is None:
            ack(response_action="update", view=_not_saved_because_gone())
            return None
    else:
        query = read_account_query(values) or ""
        match = account_named(sessions, workspace_id, query)
        if match.account is None:
            ack(response_action="errors", errors={ACCOUNT_BLOCK: describe_miss(query, match)})
            return None
        account = match.account
    directory = services.directory(client, workspace_id)
    if may_access(services.settings, account, user_id, directory).allowed:
        return account
    if modal_context.account_id is None:
        ack(
            response_action="errors",
            errors={
                ACCOUNT_BLOCK: f"You are not on the account team of {account.name}, so you "
                "cannot log its commitments."
            },
        )
    else:
        ack(
            response_action="update",
            view=notice_modal(
                "Not saved", refusal_text(account.name, whom_to_ask(account, services.settings))
            ),
        )
    return None


def _not_saved_because_gone() -> dict[str, Any]:
    return notice_modal("Not saved", "That account no longer exists, so nothing was saved.")


def _draft(row: RowValues) -> CommitmentDraft:
    return CommitmentDraft(
        text=row.text,
        owner=row.owner,
        due_on=row.due,
        area=row.area,
        customer_told=row.told,
        answers=row.answer,
    )


def _errors_by_block(
    problems: dict[int, dict[str, str]], rows: list[tuple[int, RowValues]]
) -> dict[str, str]:
    return {
        row_block_id(rows[index][0], name): message
        for index, fields in problems.items()
        if index < len(rows)
        for name, message in fields.items()
    }


def _tell_submitter(
    client: WebClient, user_id: str, account_name: str, announcements: list[Announcement]
) -> None:
    """Silence means it worked (the messages are in the channel); problems come by DM."""
    lines = []
    failed: dict[tuple[str | None, str], int] = defaultdict(int)
    for announcement in announcements:
        if announcement.post_error:
            failed[(announcement.channel, announcement.post_error)] += 1
    for (channel, error), count in failed.items():
        lines.append(post_failure_text(account_name, channel, count, error))
    for owner in sorted({a.owner for a in announcements if a.owner_error and a.owner}):
        lines.append(owner_missing_text(owner))
    if not lines:
        return
    try:
        client.chat_postMessage(channel=user_id, text="\n\n".join(lines))
    except SlackApiError as error:
        log.warning("could not tell %s about commitment posting: %s", user_id, error)


# --- completing ---------------------------------------------------------------------------------


def mark_done(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Done in App Home, `/voc open` or the owner's DM; the channel message follows."""
    ack()
    user_id = body["user"]["id"]
    try:
        commitment_id = int(body["actions"][0]["value"])
    except (KeyError, ValueError):
        return
    outcome = complete_from_button(
        context["services"].runtime.sessions,
        slack_workspace(context, client),
        commitment_id,
        user_id=user_id,
        now=utc_now(),
    )
    if (body.get("view") or {}).get("type") == "home":
        refresh_home(context["services"], client, context["workspace_id"], user_id)
        return
    if outcome.result == "done" and outcome.commitment is not None:
        text = done_confirmation(outcome.commitment, outcome.account_name or "")
    elif outcome.result == "already_done" and outcome.commitment is not None:
        text = already_done_text(outcome.commitment, outcome.account_name or "")
    elif outcome.result == "refused":
        text = refusal_text(outcome.account_name or "this account", outcome.ask)
    else:
        text = "That commitment no longer exists."
    if body.get("response_url"):
        _ephemeral(respond)(text)


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
        ),
        now=utc_now(),
    )
    log.info("done reaction %s by %s: %s", "added" if added else "removed", event["user"], outcome)


# --- listing -----------------------------------------------------------------------------------


def show_open_commitments(request: CommandRequest) -> None:
    """`/voc open` (yours), `/voc open ACCOUNT`, `/voc open @user` — only what you may see."""
    services = request.services
    sessions = services.runtime.sessions
    directory = services.directory(request.client, request.workspace_id)
    arg = request.raw_args.strip().strip("\"'")
    person = person_ref(arg)
    arg = unescape(arg)
    hidden = 0
    if not arg:
        title = "Your open commitments"
        owners = _names_of(services, request, request.user_id)
        items = list_open(sessions, request.workspace_id, owners=owners)
    elif person is not None:
        user = directory.user(person) if is_user_id(person) else None
        title = f"Open commitments · {user.name if user else person}"
        owners = _names_of(services, request, person) if is_user_id(person) else [person]
        slack = _workspace(services, request.client, request.workspace_id)
        listed = list_open_visible(sessions, slack, request.user_id, owners=owners)
        items, hidden = listed.items, listed.hidden
    elif arg.startswith("@"):
        request.reply(
            f"I cannot tell who `{arg}` is from the name alone: pick them from Slack's "
            "mention list so it becomes a mention, or give their email."
        )
        return
    else:
        account = _named_account(
            services, request.client, request.workspace_id, request.user_id, arg, request.reply
        )
        if account is None:
            return
        title = f"Open commitments · {account.name}"
        items = list_open(sessions, request.workspace_id, account_id=account.id)
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    text, blocks = open_list_message(title, items, tz, today_in(tz, utc_now()), hidden=hidden)
    request.reply(text, blocks)


def _names_of(services: Services, request: CommandRequest, user_id: str) -> list[str]:
    """Owners are stored as a Slack ID or an email: a person is found under either."""
    user = services.directory(request.client, request.workspace_id).user(user_id)
    return [user_id] + ([user.email] if user and user.email else [])


def _ephemeral(respond: Respond) -> Callable[[str], None]:
    def reply(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return reply
