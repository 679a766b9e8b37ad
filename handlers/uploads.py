"""A CSV or XLSX file sent to the bot in its DM: one message, previewed, then imported on a click.

Events are acknowledged before their listener runs (Bolt's `process_before_response=False`), so
a large file is fetched and read after the ack; the DM message the bot posts first is updated
as chunks are read, then replaced by the preview. The buttons carry the file's ID and the hash
of the bytes previewed (`bot.intake.uploads` says why that is all the state there is).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cli.imports import summary_lines
from bot.core.clock import utc_now
from bot.core.slack import Mrkdwn, unescape
from bot.delivery.post import Delivery, tell_once
from bot.errors import BadInput
from bot.followups.announce import owed_announcements
from bot.intake.problems import ImportRejected
from bot.intake.service import ImportSummary
from bot.intake.uploads import (
    Preview,
    SlackFile,
    UploadRefused,
    cancel_upload,
    cycle_in,
    download,
    file_info,
    import_upload,
    not_allowed_text,
    preview_upload,
)
from bot.services import Services
from bot.views.uploads import (
    CANCEL_ACTION,
    IMPORT_ACTION,
    PreviewFacts,
    cancelled_message,
    imported_message,
    preview_message,
    progress_message,
    read_button_value,
    refused_message,
    rejected_message,
)
from handlers.errors import answering
from handlers.subjects import button_value

log = logging.getLogger(__name__)

STALE = "That button is out of date: send the file again to see a new preview."
FAILED = "something went wrong while reading it, and nothing was imported. Try again later."
NOT_YOURS = "Only the person who sent the file can import or cancel it."
Show = Callable[[tuple[Mrkdwn, list[dict[str, Any]]]], None]


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "file_share"})(file_shared)
    app.event("message")(other_message)
    app.action(IMPORT_ACTION)(answering(import_clicked))
    app.action(CANCEL_ACTION)(answering(cancel_clicked))


def other_message(event: dict[str, Any]) -> None:
    """Messages in the bot's DM that carry no file: nothing to do (the event is acked)."""


def file_shared(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Preview the first file of a DM to the bot; files shared in channels are not ours."""
    if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("files"):
        return
    services: Services = context["services"]
    channel = str(event.get("channel") or "")
    first = event["files"][0] if isinstance(event["files"][0], dict) else {}
    name = str(first.get("name") or "your file")
    cycle = cycle_in(unescape(str(event.get("text") or "")))
    text, blocks = progress_message("Reading", name, 0, None)
    key = f"upload:{channel}:{event.get('ts')}:{first.get('id')}"
    delivery = Delivery(context["workspace_id"], key, "upload_progress", channel, "voc_upload")
    posted = tell_once(services.runtime.sessions, client, delivery, text, utc_now(), blocks)
    if not posted.delivered or posted.ts is None:
        log.warning("upload in %s not previewed: %s", channel, posted.detail)
        return
    show = _shower(client, channel, posted.ts)
    try:
        file = file_info(client, str(first.get("id") or ""))
        data = download(file, client.token or "")
        preview = preview_upload(
            services.runtime,
            context["workspace_id"],
            file,
            data,
            context["reader"],
            progress=_progress(show, "Reading", file.name),
            cycle=cycle,
        )
    except UploadRefused as refused:
        show(refused_message(name, str(refused)))
    except ImportRejected as rejected:
        show(rejected_message(name, rejected.problems))
    except Exception:  # never leave the person looking at "Reading…"
        log.exception("previewing an uploaded file failed")
        show(refused_message(name, FAILED))
    else:
        show(_preview(preview, cycle))


def _preview(preview: Preview, cycle: str | None) -> tuple[Mrkdwn, list[dict[str, Any]]]:
    if preview.refused:
        return refused_message(preview.file.name, not_allowed_text(preview.refused))
    summary = preview.summary
    facts = PreviewFacts(
        file_name=preview.file.name,
        rows=summary.rows,
        added=summary.added,
        updated=summary.updated,
        unchanged=summary.unchanged,
        accounts=preview.accounts,
        cycles=summary.cycles,
        people_added=summary.people_added,
        followups=summary.followups_opened,
        notes=_notes(summary),
    )
    return preview_message(facts, preview.file.id, preview.sha256, cycle)


def _notes(summary: ImportSummary) -> list[str]:
    """The summary's lines about columns and warnings, worded as the terminal words them."""
    wanted = ("Ignored columns", "Unmapped questions", "Warning:")
    return [line for line in summary_lines(summary) if line.startswith(wanted)]


def import_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Import once, by the sender, if they may import into every account the file names."""
    ack()
    file, sha256, cycle, show = _clicked(body, client, context)
    data = download(file, client.token or "")
    services: Services = context["services"]
    try:
        summary = import_upload(
            services.runtime,
            context["workspace_id"],
            file,
            data,
            context["reader"],
            sha256,
            progress=_progress(show, "Importing", file.name),
            cycle=cycle,
        )
    except ImportRejected as rejected:
        show(rejected_message(file.name, rejected.problems))
        return
    show(imported_message(file.name, context["user_id"], summary_lines(summary)))
    announce_now(services, client, context["workspace_id"], summary.announcements)


def cancel_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    file, sha256, _, show = _clicked(body, client, context)
    services: Services = context["services"]
    if not cancel_upload(services.runtime, context["workspace_id"], file.id, sha256):
        raise BadInput("That file was imported or cancelled already; nothing more was done.")
    show(cancelled_message(file.name, context["user_id"]))


def _clicked(
    body: dict[str, Any], client: WebClient, context: BoltContext
) -> tuple[SlackFile, str, str | None, Show]:
    """The file a button names, if the clicker sent it; and how to redraw its message."""
    parsed = read_button_value(button_value(body))
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if parsed is None or not channel or not ts:
        raise BadInput(STALE)
    file = file_info(client, parsed[0])
    if file.user != context["user_id"]:
        raise BadInput(NOT_YOURS)
    return file, parsed[1], parsed[2], _shower(client, str(channel), str(ts))


def announce_now(services: Services, client: WebClient, workspace_id: str, keys: list[str]) -> None:
    """Post the account channels' announcements the import owes, as `voc import` does; what
    fails here stays owed in the ledger and the scheduler posts it at its next tick."""
    if keys:
        owed_announcements(services.runtime, client, workspace_id, keys, utc_now())


def _shower(client: WebClient, channel: str, ts: str) -> Show:
    def show(message: tuple[Mrkdwn, list[dict[str, Any]]]) -> None:
        text, blocks = message
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:  # the answer is lost, not the import: say so in logs
            log.warning("could not update the upload message: %s", error.response.get("error"))

    return show


def _progress(show: Show, verb: str, name: str) -> Callable[[int, int | None], None]:
    def progress(done: int, total: int | None) -> None:
        show(progress_message(verb, name, done, total))

    return progress
