"""The commitments modal: opened by `/voc commit`, the "Log as commitment" shortcut and the
digest's "Log commitments" button; its rows added and removed; submitted, checked and saved.

The account is found through `bot.accounts.service` and checked against the person acting at
each step (opening, every row change, submitting): a modal can stay open while its account is
deleted or its team changes. Refusals travel as `bot.errors`; only where the modal itself must
show them (a field's error, a notice in its place) are they caught, in `_shown_refusal`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import replace
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Reader
from bot.accounts.service import account_named, account_of_channel
from bot.commitments.service import capture_form, log_commitments
from bot.commitments.values import Announcement, CaptureForm, CommitmentDraft
from bot.commitments.workspace import SlackWorkspace
from bot.core.clock import utc_now
from bot.core.slack import Mrkdwn
from bot.delivery.post import Delivery, tell_once
from bot.directory import DirectoryUnavailable
from bot.errors import AccessRefused, BadInput, NotFound
from bot.followups.values import AnsweredItem
from bot.services import Services
from bot.views.commitments import (
    ACCOUNT_BLOCK,
    ADD_ROW_ACTION,
    COMMIT_MODAL_CALLBACK,
    LOG_SHORTCUT,
    MAX_ROWS,
    OPEN_MODAL_ACTION,
    REMOVE_ROW_ACTION,
    ModalContent,
    ModalContext,
    RowValues,
    commitments_modal,
    items_from_message,
    notice_modal,
    owner_missing_text,
    post_failure_text,
    read_account_query,
    read_rows,
    row_block_id,
    today_in,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.commitments import slack_workspace
from handlers.errors import ANSWERED, answering, field_reason, open_dialog, reason_for
from handlers.subjects import account_from_id, button_value, subject_id
from handlers.subjects import modal_context as modal_context_of

if TYPE_CHECKING:
    from storage.models import Account

log = logging.getLogger(__name__)

NOT_SAVED = "Not saved"
GONE_NOTHING_SAVED = "That account no longer exists, so nothing was saved."
STALE_BUTTON = "That button is out of date; try `/voc commit ACCOUNT`."


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
    app.shortcut(LOG_SHORTCUT)(answering(open_modal_from_message))
    app.action(OPEN_MODAL_ACTION)(answering(open_modal_from_button))
    app.action(ADD_ROW_ACTION)(add_row)
    app.action(REMOVE_ROW_ACTION)(remove_row)
    app.view(COMMIT_MODAL_CALLBACK)(save_commitments)


# --- opening the modal -------------------------------------------------------------------------


def open_modal_from_command(request: CommandRequest) -> None:
    """`/voc commit ACCOUNT`: the team's own account only; the modal opens on the trigger."""
    if not request.raw_args:
        request.reply("Which account? For example `/voc commit halvorsen`.")
        return
    account = account_named(
        request.runtime, request.workspace_id, typed_account(request.raw_args), request.reader
    )
    _open_modal(
        request.services,
        request.client,
        request.workspace_id,
        request.trigger_id,
        account,
        tz=request.tz,
        captured_in=request.channel_id,
    )


def open_modal_from_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    """The "Log as commitment" shortcut on meeting notes: one row per bullet line, for the
    account whose channel it is; in any other channel the modal asks which account."""
    ack()
    services: Services = context["services"]
    channel = body.get("channel") or {}
    rows = items_from_message((body.get("message") or {}).get("text") or "")
    note = None
    if len(rows) > MAX_ROWS:
        note = f"The message has {len(rows)} items; the first {MAX_ROWS} are here."
    account = account_of_channel(
        services.runtime,
        context["workspace_id"],
        channel.get("id", ""),
        context["reader"],
    )
    _open_modal(
        services,
        client,
        context["workspace_id"],
        body.get("trigger_id"),
        account,
        tz=tz,
        captured_in=channel.get("id"),
        rows=rows or [RowValues()],
        note=note,
    )


def open_modal_from_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    """The digest's button: value `{"account_id": …, "meeting_id": … or null}`."""
    ack()
    account_id, meeting_id = _digest_button(body)
    account = account_from_id(account_id, context)
    where = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    _open_modal(
        context["services"],
        client,
        context["workspace_id"],
        body.get("trigger_id"),
        account,
        tz=tz,
        captured_in=where,
        meeting_id=meeting_id,
    )


def _digest_button(body: dict[str, Any]) -> tuple[int, int | None]:
    """The account and meeting the digest's button names; an old button's value may not parse."""
    try:
        data = json.loads(button_value(body) or "{}")
        account_id, meeting_id = data["account_id"], data.get("meeting_id")
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput(STALE_BUTTON) from error
    return subject_id(account_id), None if meeting_id is None else subject_id(meeting_id)


def _open_modal(
    services: Services,
    client: WebClient,
    workspace_id: str,
    trigger_id: str | None,
    account: Account | None,
    *,
    tz: tzinfo,
    captured_in: str | None,
    meeting_id: int | None = None,
    rows: list[RowValues] | None = None,
    note: str | None = None,
    followup_id: int | None = None,
) -> None:
    """Opens on the trigger; where it was opened is kept for accounts without a channel."""
    shown = (rows or [RowValues()])[:MAX_ROWS]
    modal_context = ModalContext(
        account_id=account.id if account else None,
        meeting_id=meeting_id,
        channel=captured_in,
        rows=tuple(range(len(shown))),
        next_row=len(shown),
        followup_id=followup_id,
    )
    form = _capture_form(services, workspace_id, modal_context, tz)
    answer = _meeting_answer(modal_context)
    filled = [replace(row, due=row.due or form.due, answer=row.answer or answer) for row in shown]
    content = ModalContent(
        account_name=account.name if account else None, choices=form.choices, tz=tz, note=note
    )
    open_dialog(client, trigger_id, commitments_modal(content, modal_context, filled))


def open_modal_for_followup(
    client: WebClient,
    context: BoltContext,
    trigger_id: str | None,
    followup: AnsweredItem,
    *,
    tz: tzinfo,
    captured_in: str | None,
) -> None:
    """*Log commitment* on a follow-up: its account, its person's answer picked, and what is
    saved linked to the follow-up (closing it once every such commitment is done)."""
    item = followup.item
    account = account_from_id(item.account_id, context)
    answer = f"response:{followup.response_id}" if followup.response_id is not None else None
    _open_modal(
        context["services"],
        client,
        context["workspace_id"],
        trigger_id,
        account,
        tz=tz,
        captured_in=captured_in,
        rows=[RowValues(owner=item.owner, answer=answer)],
        note=f"For the follow-up with {item.respondent}.",
        followup_id=item.id,
    )


# --- adding and removing rows ------------------------------------------------------------------


def add_row(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    ack()
    view = body["view"]
    modal_context = _changed_modal(client, view)
    if modal_context is None or len(modal_context.rows) >= MAX_ROWS:
        return
    if not _still_allowed(client, view, modal_context, context):
        return
    typed = [values for _, values in read_rows(view["state"]["values"], modal_context)]
    key = modal_context.next_row
    grown = modal_context.with_rows((*modal_context.rows, key), key + 1)
    form = _capture_form(context["services"], context["workspace_id"], grown, tz)
    blank = RowValues(due=form.due, answer=_meeting_answer(grown))
    _update_modal(client, view, grown, [*typed, blank], form, tz)


def remove_row(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, tz: tzinfo
) -> None:
    ack()
    view = body["view"]
    modal_context = _changed_modal(client, view)
    if modal_context is None or not _still_allowed(client, view, modal_context, context):
        return
    value = button_value(body)
    gone = int(value) if value.isdigit() and len(value) <= 6 else None  # a row key, never large
    kept = [(key, values) for key, values in read_rows(view["state"]["values"], modal_context)]
    kept = [(key, values) for key, values in kept if key != gone] or kept[:1]
    shrunk = modal_context.with_rows(tuple(key for key, _ in kept))
    form = _capture_form(context["services"], context["workspace_id"], shrunk, tz)
    _update_modal(client, view, shrunk, [values for _, values in kept], form, tz)


def _changed_modal(client: WebClient, view: dict[str, Any]) -> ModalContext | None:
    """The modal's memory, or None (and a notice in its place) when it names nothing."""
    try:
        return modal_context_of(view)
    except NotFound:
        _replace_modal(client, view, notice_modal(NOT_SAVED, GONE_NOTHING_SAVED))
        return None


def _still_allowed(
    client: WebClient, view: dict[str, Any], modal_context: ModalContext, context: BoltContext
) -> bool:
    """Whether the clicker may still see the modal's account, re-checked at this click.

    An updated modal carries the account's respondents (its answer choices), so someone taken
    off the team gets a notice in its place. A deleted account keeps the modal, shown as
    deleted (submitting then says nothing was saved); a busy Slack leaves it as it is.
    """
    if modal_context.account_id is None:
        return True
    try:
        account_from_id(modal_context.account_id, context)
    except NotFound:
        return True
    except AccessRefused as refused:
        _replace_modal(client, view, notice_modal(NOT_SAVED, reason_for(refused)))
        return False
    except DirectoryUnavailable:
        log.info("commitments modal not updated: Slack did not answer the access check")
        return False
    return True


def _capture_form(
    services: Services, workspace_id: str, modal_context: ModalContext, tz: tzinfo
) -> CaptureForm:
    """Re-read at every change (the account may be renamed or gone); due from the reader's today."""
    now = utc_now()
    return capture_form(
        services.runtime.sessions,
        workspace_id,
        modal_context.account_id,
        meeting_id=modal_context.meeting_id,
        today=today_in(tz, now),
        now=now,
    )


def _meeting_answer(modal_context: ModalContext) -> str | None:
    return f"meeting:{modal_context.meeting_id}" if modal_context.meeting_id is not None else None


def _update_modal(
    client: WebClient,
    view: dict[str, Any],
    modal_context: ModalContext,
    rows: list[RowValues],
    form: CaptureForm,
    tz: tzinfo,
) -> None:
    """Rows keep their block ids, so Slack keeps what was typed."""
    content = ModalContent(
        account_name=form.account_name,
        choices=form.choices,
        tz=tz,
        account_query=read_account_query(view["state"]["values"]),
    )
    if modal_context.account_id is not None and form.account_name is None:
        content = replace(content, account_name="(deleted account)")
    _replace_modal(client, view, commitments_modal(content, modal_context, rows))


def _replace_modal(client: WebClient, view: dict[str, Any], new_view: dict[str, Any]) -> None:
    """`hash` guards a stale update: Slack refuses it if the modal changed meanwhile."""
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)
    except SlackApiError as error:
        log.info("commitments modal not updated: %s", error.response.get("error"))


# --- saving ------------------------------------------------------------------------------------


def save_commitments(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    user_id: str,
    tz: tzinfo,
) -> None:
    """Validate every row, save all or nothing, close the modal, then post and tell people."""
    try:
        modal_context = modal_context_of(view)
    except NotFound:
        ack(response_action="update", view=notice_modal(NOT_SAVED, GONE_NOTHING_SAVED))
        return
    values = view["state"]["values"]
    rows = read_rows(values, modal_context)
    try:
        account = _submitted_account(context, modal_context, values)
    except ANSWERED as error:
        ack(**_shown_refusal(error, modal_context, rows))
        return
    now = utc_now()
    logged = log_commitments(
        context["services"].runtime,
        slack_workspace(context, client),
        account.id,
        [replace(_draft(row), followup_id=modal_context.followup_id) for _, row in rows],
        actor=user_id,
        captured_in=modal_context.channel,
        today=today_in(tz, now),
        now=now,
        on_saved=ack,
        once_key=context.get("submission_key"),
    )
    if logged.replayed:
        ack()
    elif logged.account_name is None:
        ack(response_action="update", view=notice_modal(NOT_SAVED, GONE_NOTHING_SAVED))
    elif logged.problems:
        ack(response_action="errors", errors=_errors_by_block(logged.problems, rows))
    elif logged.unreachable:
        log.warning("commitments saved but not all announced: %s", logged.unreachable)
    else:
        _tell_submitter(
            context["services"].runtime.sessions,
            slack_workspace(context, client),
            user_id,
            logged.account_name,
            logged.announcements,
        )


def _submitted_account(
    context: BoltContext, modal_context: ModalContext, values: dict[str, Any]
) -> Account:
    """The account the modal is for (its own, or the one typed in it), checked again now."""
    if modal_context.account_id is not None:
        return account_from_id(modal_context.account_id, context)
    reader: Reader = context["reader"]
    query = read_account_query(values) or ""
    return account_named(context["services"].runtime, context["workspace_id"], query, reader)


def _shown_refusal(
    error: Exception, modal_context: ModalContext, rows: list[tuple[int, RowValues]]
) -> dict[str, Any]:
    """How the modal answers a submission it cannot save: under the account the person typed,
    else in a notice replacing the modal; a busy Slack keeps the modal open to try again."""
    if modal_context.account_id is None:
        return {"response_action": "errors", "errors": {ACCOUNT_BLOCK: _typed_reason(error)}}
    if isinstance(error, DirectoryUnavailable) and rows:
        first_field = row_block_id(rows[0][0], "text")
        return {"response_action": "errors", "errors": {first_field: field_reason(error)}}
    reason = GONE_NOTHING_SAVED if isinstance(error, NotFound) else reason_for(error)
    return {"response_action": "update", "view": notice_modal(NOT_SAVED, reason)}


def _typed_reason(error: Exception) -> str:
    """The typed account is named back: the person wrote it themselves."""
    if isinstance(error, AccessRefused) and error.account_name is not None:
        return (
            f"You are not on the account team of {error.account_name}, so you cannot log its "
            "commitments."
        )
    return field_reason(error)


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
    sessions: sessionmaker[Session],
    slack: SlackWorkspace,
    user_id: str,
    account_name: str,
    announcements: list[Announcement],
) -> None:
    """Silence means it worked (the messages are in the channel); problems come by DM."""
    lines: list[Mrkdwn] = []
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
    key = f"commitment:{announcements[0].commitment_id}:logged"
    delivery = Delivery(slack.workspace_id, key, "commitment_logged", user_id, "voc_commitment")
    text = Mrkdwn("\n\n".join(lines))  # each line a view's Mrkdwn
    posted = tell_once(sessions, slack.client, delivery, text, utc_now())
    if not posted.delivered:
        log.warning("could not tell %s about commitment posting: %s", user_id, posted.detail)
