"""`/voc account NAME` and the report's buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.charts import trend_chart_png
from bot.core.clock import utc_now
from bot.delivery.files import send_file_to_dm
from bot.reports.service import account_report
from bot.views.report import (
    SHOW_PEOPLE_ACTION,
    TREND_CHART_ACTION,
    people_modal,
    report_blocks,
    report_fallback_text,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand, typed_account
from handlers.errors import answering, open_dialog
from handlers.subjects import account_report_from_button


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="account",
            usage="account NAME",
            summary="the account's feedback report, shown only to you",
            example="/voc account halvorsen",
            run=show_account_report,
            answer_owed=True,
        )
    )
    app.action(SHOW_PEOPLE_ACTION)(answering(show_all_people))
    app.action(TREND_CHART_ACTION)(answering(send_trend_chart))


def show_account_report(request: CommandRequest) -> None:
    if not request.raw_args:
        request.reply("Which account? For example `/voc account halvorsen`.")
        return
    report = account_report(
        request.runtime,
        request.workspace_id,
        typed_account(request.raw_args),
        reader=request.reader,
        now=utc_now(),
        tz=request.tz,
    )
    request.reply(report_fallback_text(report), report_blocks(report, request.tz))


def show_all_people(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    report = account_report_from_button(body, context)
    open_dialog(client, body["trigger_id"], people_modal(report))


def send_trend_chart(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    user_id: str,
) -> None:
    """The report is private, so the chart goes to the requester's DM, not the channel."""
    ack()
    report = account_report_from_button(body, context)
    sent = send_file_to_dm(
        client,
        user_id,
        trend_chart_png(report),
        filename=f"trend-{report.account_id}.png",
        title=f"{report.account}: trend by cycle",
    )
    if not sent:
        _tell(respond, "Sorry, the chart could not be sent. Try again in a minute.")
        return
    _tell(respond, "The trend chart is in your DMs.")


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)
