"""`/voc account NAME` and the report's buttons."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts import trend_chart_png
from bot.core.clock import utc_now
from bot.reports import AccountReport, build_account_report
from bot.views.report import (
    SHOW_PEOPLE_ACTION,
    TREND_CHART_ACTION,
    people_modal,
    report_blocks,
    report_fallback_text,
)
from handlers.command import CommandRequest, CommandRouter, Subcommand
from handlers.common import account_if_allowed, account_named_in, reader_timezone
from storage.models import Account

log = logging.getLogger(__name__)


def register(app: App, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            name="account",
            usage="account NAME",
            summary="the account's feedback report, shown only to you",
            example="/voc account acme",
            run=show_account_report,
        )
    )
    app.action(SHOW_PEOPLE_ACTION)(show_all_people)
    app.action(TREND_CHART_ACTION)(send_trend_chart)


def show_account_report(request: CommandRequest) -> None:
    if not request.raw_args:
        request.reply("Which account? For example `/voc account acme`.")
        return
    services = request.services
    with services.runtime.sessions() as session:
        account = account_named_in(session, request, request.raw_args)
        if account is None:
            return
        report = build_account_report(session, account, now=utc_now())
    tz = reader_timezone(services, request.client, request.workspace_id, request.user_id)
    request.reply(report_fallback_text(report), report_blocks(report, tz))


def _private_reply(respond: Respond) -> Callable[[str], None]:
    def reply(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    return reply


def _report_for_action(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> AccountReport | None:
    """The report a button refers to, checked again: the clicker may not be the requester."""
    services = context["services"]
    reply = _private_reply(respond)
    with services.runtime.sessions() as session:
        account = session.get(Account, int(body["actions"][0]["value"]))
        if account is None or account.workspace_id != context["workspace_id"]:
            reply("That account no longer exists.")
            return None
        user_id = body["user"]["id"]
        if not account_if_allowed(
            services, client, context["workspace_id"], user_id, account, reply
        ):
            return None
        return build_account_report(session, account, now=utc_now())


def show_all_people(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    report = _report_for_action(body, context, client, respond)
    if report is not None:
        client.views_open(trigger_id=body["trigger_id"], view=people_modal(report))


def send_trend_chart(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """The report is private, so the chart goes to the requester's DM, not the channel."""
    ack()
    report = _report_for_action(body, context, client, respond)
    if report is None:
        return
    reply = _private_reply(respond)
    user_id = body["user"]["id"]
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm,
            content=trend_chart_png(report),
            filename=f"trend-{report.account_id}.png",
            title=f"{report.account}: trend by cycle",
        )
    except SlackApiError as error:
        log.warning("trend chart upload failed: %s", error)
        reply("Sorry, the chart could not be sent. Try again in a minute.")
        return
    reply("The trend chart is in your DMs.")
