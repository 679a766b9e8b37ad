"""The leadership review: once per `VOC_LEADERSHIP_CADENCE`, the portfolio pack in the channel.

With `VOC_LEADERSHIP_CHANNEL` set, the pack is due on the first working day of each period
(month, quarter, half-year or year) from `VOC_DIGEST_HOUR` in `VOC_TIMEZONE`, keyed
`leadership:<period>` in the delivery ledger, so it is posted once. It holds the headline
figures by segment with their trend (from the precomputed benchmarks), revenue at risk, the
accounts most at risk, the coverage gaps and the closed-loop figures; the portfolio chart
(accounts by revenue and NPS, at risk in red) follows in its thread.

The message and its chart are one owed delivery: the pack is due until both its key and the
chart's (`leadership:<period>:chart`) are settled, so a process that dies between the post and
the upload leaves the chart to the next tick, which finds the posted pack in the ledger (or, on
a retried post, by its tag in the channel) and uploads into its thread. A chart claim taken over
from a dead attempt first looks in that thread for the file, so it is not shared twice.

One channel serves one install: the pack is built only when the database holds exactly one
workspace's accounts, so no workspace's figures can reach another's channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts import PortfolioPoint, portfolio_png
from bot.core.clock import working_day_start
from bot.delivery import ledger
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import FAILED, FOUND, SENT, SKIPPED, Delivery, Message, post_once
from bot.delivery.tagged import SEND_ERRORS, describe_error
from bot.followups.queries import sent_message
from bot.followups.service import closed_loop
from bot.portfolio import queries
from bot.portfolio.monthly import first_working_day
from bot.portfolio.rules import LeadershipPack, Portfolio, segment_trends
from bot.portfolio.service import portfolio
from bot.runtime import Runtime
from bot.views.portfolio import leadership_message

log = logging.getLogger(__name__)

JOB = "leadership"
EVENT_TYPE = "voc_leadership_pack"
CHART_KIND = "leadership_chart"
MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


@dataclass(frozen=True)
class DuePack:
    channel: str
    period: str


def period_of(day: date, cadence: str) -> tuple[str, date]:
    """The period `day` falls in, as a label (2026-12, 2026-Q4, 2026-H2, 2026), and its start."""
    months = MONTHS[cadence]
    month = (day.month - 1) // months * months + 1
    labels = {
        1: f"{day.year}-{month:02d}",
        3: f"{day.year}-Q{(month - 1) // 3 + 1}",
        6: f"{day.year}-H{1 if month < 7 else 2}",
        12: f"{day.year}",
    }
    return labels[months], date(day.year, month, 1)


def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
    settings = runtime.settings
    if not settings.leadership_channel:
        return []
    tz = settings.tz
    today = now.astimezone(tz).date()
    period, start = period_of(today, settings.leadership_cadence)
    day = first_working_day(start.year, start.month)
    if now < working_day_start(day, tz, settings.digest_hour):
        return []  # the period's first working day has not reached the digest hour
    key = f"{JOB}:{period}"
    with runtime.sessions() as session:
        workspaces = queries.workspaces_with_accounts(session)
        if len(workspaces) != 1:
            return []
        settled = queries.settled_keys(session, workspaces[0], [key, chart_key(key)])
    if settled == {key, chart_key(key)}:
        return []
    if today != day and key not in settled:
        return []  # the pack is owed on its day; a chart owed after its pack, all period
    item = DuePack(settings.leadership_channel, period)
    return [DueItem(JOB, key, workspaces[0], f"leadership review pack {period}", item)]


def chart_key(pack_key: str) -> str:
    return f"{pack_key}:chart"


def pack_for(runtime: Runtime, workspace_id: str, period: str, now: datetime) -> LeadershipPack:
    view = portfolio(runtime, workspace_id, sponsor=None, now=now, tz=runtime.settings.tz)
    with runtime.sessions() as session:
        trends = segment_trends(queries.segment_benchmarks(session, workspace_id))
    return LeadershipPack(period, view, trends, closed_loop(runtime, workspace_id, now))


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    """The pack, unless it went already, then its chart in the pack's thread."""
    due: DuePack = item.payload
    built: list[LeadershipPack] = []

    def render() -> Message:
        pack = pack_for(runtime, item.workspace_id, due.period, now)
        built.append(pack)
        text, blocks = leadership_message(pack, runtime.settings.tz)
        return Message(text, blocks)

    delivery = Delivery(item.workspace_id, item.key, JOB, due.channel, EVENT_TYPE)
    posted = post_once(runtime.sessions, client, delivery, render, now)
    if posted.outcome == FAILED:
        return Delivered(posted.outcome, posted.detail or None)
    with runtime.sessions() as session:
        where = sent_message(session, item.workspace_id, item.key)
    if where is None:  # being posted elsewhere right now: that attempt's tick, or the next
        return Delivered(posted.outcome, posted.detail or None)
    chart = _chart_once(runtime, client, item, where, built[0] if built else None, now)
    if posted.outcome not in (SENT, FOUND) or chart.outcome == FAILED:
        return chart  # the pack went earlier (or now, but its chart is still owed)
    return Delivered(posted.outcome, chart.detail)


def _chart_once(
    runtime: Runtime,
    client: WebClient,
    item: DueItem,
    where: tuple[str, str],
    pack: LeadershipPack | None,
    now: datetime,
) -> Delivered:
    """Upload the chart into the pack's thread once."""
    due: DuePack = item.payload
    key = chart_key(item.key)
    sessions, workspace_id = runtime.sessions, item.workspace_id
    claim = ledger.claim(
        sessions, workspace_id=workspace_id, key=key, kind=CHART_KIND, recipient=where[0], now=now
    )
    if claim is None:
        return Delivered(SKIPPED, "the chart is uploaded or being uploaded")
    pack = pack or pack_for(runtime, workspace_id, due.period, now)
    points = _points(pack.portfolio)
    filename = f"portfolio-{pack.period}.png"
    try:
        if not points:
            ledger.mark_failed(sessions, workspace_id=workspace_id, key=key, error="no points")
            ledger.cancel(sessions, workspace_id=workspace_id, key=key, now=now)
            return Delivered(SKIPPED, "no account has an NPS: no chart")
        if (claim.uncertain or claim.attempt > 1) and _in_thread(client, where, filename):
            ledger.mark_sent(sessions, workspace_id=workspace_id, key=key, now=now)
            return Delivered(FOUND, "the chart was in the pack's thread already")
        client.files_upload_v2(
            channel=where[0],
            thread_ts=where[1],
            content=portfolio_png(points, f"Portfolio · {pack.period}"),
            filename=filename,
            title=f"Portfolio · {pack.period}",
        )
    except SEND_ERRORS as error:
        detail = describe_error(error)
        ledger.mark_failed(sessions, workspace_id=workspace_id, key=key, error=detail)
        log.warning("portfolio chart upload failed, the next tick retries: %s", detail)
        return Delivered(FAILED, f"chart upload: {detail}")
    ledger.mark_sent(sessions, workspace_id=workspace_id, key=key, now=now, channel=where[0])
    return Delivered(SENT, "with the chart in its thread")


def _in_thread(client: WebClient, where: tuple[str, str], filename: str) -> bool:
    """Whether the pack's thread holds the chart: an upload may reach Slack before a crash."""
    try:
        replies = client.conversations_replies(channel=where[0], ts=where[1], limit=100)
    except SlackApiError as error:
        log.warning("cannot read the pack's thread, uploading: %s", describe_error(error))
        return False
    return any(
        file.get("name") == filename
        for message in replies.get("messages") or []
        for file in message.get("files") or []
    )


def _points(view: Portfolio) -> list[PortfolioPoint]:
    return [
        PortfolioPoint(line.account, line.annual_revenue or 0.0, line.survey.nps, line.at_risk)
        for line in view.accounts
        if line.survey.nps is not None
    ]
