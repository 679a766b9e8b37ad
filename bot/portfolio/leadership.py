"""The leadership review: once per `VOC_LEADERSHIP_CADENCE`, the portfolio pack in the channel.

With `VOC_LEADERSHIP_CHANNEL` set, the pack is due on the first working day of each period
(month, quarter, half-year or year) from `VOC_DIGEST_HOUR` in `VOC_TIMEZONE`, keyed
`leadership:<period>` in the delivery ledger, so it is posted once. It holds the headline
figures by segment with their trend (from the precomputed benchmarks), revenue at risk, the
accounts most at risk, the coverage gaps and the closed-loop figures; the portfolio chart
(accounts by revenue and NPS, at risk in red) follows in its thread, uploaded only by the
attempt that posted the message.

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
from bot.delivery.jobs import Delivered, DueItem
from bot.delivery.post import SENT, Delivery, Message, post_once
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
    if today != day or now < working_day_start(day, tz, settings.digest_hour):
        return []
    key = f"{JOB}:{period}"
    with runtime.sessions() as session:
        workspaces = queries.workspaces_with_accounts(session)
        if len(workspaces) != 1 or queries.settled_keys(session, workspaces[0], [key]):
            return []
    item = DuePack(settings.leadership_channel, period)
    return [DueItem(JOB, key, workspaces[0], f"leadership review pack {period}", item)]


def pack_for(runtime: Runtime, workspace_id: str, period: str, now: datetime) -> LeadershipPack:
    view = portfolio(runtime, workspace_id, sponsor=None, now=now, tz=runtime.settings.tz)
    with runtime.sessions() as session:
        trends = segment_trends(queries.segment_benchmarks(session, workspace_id))
    return LeadershipPack(period, view, trends, closed_loop(runtime, workspace_id, now))


def deliver(runtime: Runtime, client: WebClient, item: DueItem, now: datetime) -> Delivered:
    due: DuePack = item.payload
    built: list[LeadershipPack] = []

    def render() -> Message:
        pack = pack_for(runtime, item.workspace_id, due.period, now)
        built.append(pack)
        text, blocks = leadership_message(pack, runtime.settings.tz)
        return Message(text, blocks)

    delivery = Delivery(item.workspace_id, item.key, JOB, due.channel, EVENT_TYPE)
    posted = post_once(runtime.sessions, client, delivery, render, now)
    if posted.outcome == SENT and built and posted.ts:
        _upload_chart(client, posted.channel or due.channel, posted.ts, built[0])
    return Delivered(posted.outcome, posted.detail or None)


def _upload_chart(client: WebClient, channel: str, ts: str, pack: LeadershipPack) -> None:
    """The picture in the pack's thread; a failed upload leaves the pack, which says it all."""
    points = _points(pack.portfolio)
    if not points:
        return
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            content=portfolio_png(points, f"Portfolio · {pack.period}"),
            filename=f"portfolio-{pack.period}.png",
            title=f"Portfolio · {pack.period}",
        )
    except SlackApiError as error:
        log.warning("portfolio chart upload failed: %s", error)


def _points(view: Portfolio) -> list[PortfolioPoint]:
    return [
        PortfolioPoint(line.account, line.annual_revenue or 0.0, line.survey.nps, line.at_risk)
        for line in view.accounts
        if line.survey.nps is not None
    ]
