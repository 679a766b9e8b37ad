"""`/voc portfolio` as Slack shows it: revenue at risk, the accounts most at stake first, the gaps.

Account, segment and respondent names come from files, so every value goes through `mrkdwn`;
sponsors and account managers are mentions; review times are `<!date>` tokens, shown in each
reader's own timezone. A long portfolio is cut at `MAX_LINES` accounts with a count of the rest.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from bot import formatting
from bot.champions import ChampionChange
from bot.core.slack import Mrkdwn, mention, mrkdwn
from bot.portfolio.rules import AccountLine, LeadershipPack, MonthlyNews, Portfolio, SegmentTrend
from bot.views.common import Block, context, header, pack_lines, section, slack_date
from bot.views.report import champion_text

MAX_LINES = 40
MAX_GAP_LINES = 15
REASON_WORDS = {
    "decision_maker_high_risk": "a decision maker is high risk",
    "decision_maker_trapped": "a decision maker is trapped",
    "low_satisfaction": "satisfaction below 7",
    "significant_drop": "NPS fell significantly",
}


def money(value: float) -> str:
    return f"{value:,.0f}"


def portfolio_message(view: Portfolio, tz: tzinfo) -> tuple[Mrkdwn, list[Block]]:
    """(fallback text, blocks) of the private answer."""
    whose = "Your accounts" if view.sponsor else "Strategic and key accounts"
    if not view.accounts:
        text = mrkdwn("{}: none yet.", whose)
        return text, [section(text)]
    summary = mrkdwn(
        "*Revenue at risk: {}* · {} of {} accounts at risk",
        money(view.revenue_at_risk),
        len(view.at_risk),
        len(view.accounts),
    )
    blocks: list[Block] = [header(f"Portfolio · {whose}"), section(summary)]
    segments = [
        mrkdwn(
            "• {}: {} of {} at risk, {}", t.segment, t.at_risk, t.accounts, money(t.revenue_at_risk)
        )
        for t in view.segments
    ]
    blocks.append(context(Mrkdwn("\n".join(segments))))
    lines = [account_line(line, tz) for line in view.accounts[:MAX_LINES]]
    blocks += [section(chunk) for chunk in pack_lines(lines)]
    if len(view.accounts) > MAX_LINES:
        blocks.append(
            context(
                mrkdwn(
                    "…and {} more; `voc portfolio` lists them all.", len(view.accounts) - MAX_LINES
                )
            )
        )
    blocks += _gaps(view)
    fallback = mrkdwn("Portfolio: revenue at risk {}", money(view.revenue_at_risk))
    return fallback, blocks


def account_line(line: AccountLine, tz: tzinfo) -> Mrkdwn:
    s = line.survey
    risk = (
        mrkdwn(":red_circle: *at risk*: {}", ", ".join(REASON_WORDS[r] for r in s.risk_reasons))
        if line.at_risk
        else Mrkdwn("not at risk")
    )
    return mrkdwn(
        "*{}* · {} · {} · sponsor {} · AM {}\n{} · {}\n{} · {} overdue commitments · "
        "{} follow-ups past SLA · last review {} · next {}{}",
        line.account,
        line.tier,
        money(line.annual_revenue or 0),
        mention(line.sponsor),
        mention(line.account_manager),
        _nps(line),
        s.cycle or "no feedback yet",
        risk,
        line.overdue_commitments,
        line.followups_past_sla,
        _when(line.last_review, tz),
        _when(line.next_review, tz),
        Mrkdwn(" · :warning: review overdue") if line.review_overdue else Mrkdwn(""),
    )


def _nps(line: AccountLine) -> Mrkdwn:
    s = line.survey
    if s.nps is None:
        return Mrkdwn("no NPS")
    text = mrkdwn("NPS {}", f"{s.nps:+.0f}")
    if s.nps_change is None:
        return text
    verdict = "significant" if s.nps_change_significant else "not significant"
    return mrkdwn("{} ({} since the previous cycle, {})", text, f"{s.nps_change:+.0f}", verdict)


def _when(moment: datetime | None, tz: tzinfo) -> Mrkdwn:
    return slack_date(moment, "{date_short_pretty}", tz) if moment else Mrkdwn("none")


def _gaps(view: Portfolio) -> list[Block]:
    """Coverage gaps and champion changes, each list cut at `MAX_GAP_LINES` with a count, so a
    large portfolio stays within Slack's 50 blocks."""
    gaps = view.coverage
    lines: list[Mrkdwn] = []
    if gaps.strategic_without_sponsor:
        names = gaps.strategic_without_sponsor
        shown = ", ".join(names[:MAX_GAP_LINES])
        lines.append(
            mrkdwn("*Strategic accounts without a sponsor:* {}{}", shown, _more(len(names)))
        )
    over = [
        mrkdwn(
            "*Sponsor over capacity:* {} has {} accounts (at most {})",
            mention(who),
            count,
            gaps.max_accounts,
        )
        for who, count in gaps.sponsors_over_capacity
    ]
    if gaps.sponsors_at_no_review:
        people = gaps.sponsors_at_no_review
        shown = ", ".join(mention(who) for who in people[:MAX_GAP_LINES])
        lines.append(
            mrkdwn(
                "*Sponsors at none of their accounts' reviews in the cadence:* {}{}",
                Mrkdwn(shown),
                _more(len(people)),
            )
        )
    changes = [
        mrkdwn("*Champion change · {}:* {}", change.account, champion_text(change))
        for change in view.champion_changes
    ]
    lines += _capped(over) + _capped(changes)
    return [section(chunk) for chunk in pack_lines(lines)]


def _more(count: int) -> str:
    return f" and {count - MAX_GAP_LINES} more" if count > MAX_GAP_LINES else ""


def _capped(lines: list[Mrkdwn]) -> list[Mrkdwn]:
    if len(lines) <= MAX_GAP_LINES:
        return lines
    return [*lines[:MAX_GAP_LINES], mrkdwn("…and {} more", len(lines) - MAX_GAP_LINES)]


# -- the sponsor's monthly digest (bot.portfolio.monthly) ------------------------------------


def monthly_message(
    news: MonthlyNews, month: str, since: datetime, tz: tzinfo
) -> tuple[Mrkdwn, list[Block]]:
    """(fallback text, blocks) of the sponsor's DM for `month` (YYYY-MM)."""
    blocks: list[Block] = [header(f"Your accounts this month · {month}")]
    if news.changed:
        lines = _capped([_change_line(line) for line in news.changed])
        title = mrkdwn("*What changed since {}*", slack_date(since, "{date_short_pretty}", tz))
        blocks += [section(chunk) for chunk in pack_lines([title, *lines])]
    if news.overdue:
        lines = _capped(
            [
                mrkdwn(
                    "• *{}*: {} overdue commitments · {} follow-ups past SLA",
                    line.account,
                    line.overdue_commitments,
                    line.followups_past_sla,
                )
                for line in news.overdue
            ]
        )
        blocks += [section(chunk) for chunk in pack_lines([Mrkdwn("*Overdue*"), *lines])]
    if news.upcoming:
        lines = _capped(
            [
                mrkdwn("• *{}*: {}", line.account, _when(line.next_review, tz))
                for line in news.upcoming
            ]
        )
        blocks += [section(chunk) for chunk in pack_lines([Mrkdwn("*Next reviews*"), *lines])]
    return mrkdwn("Your accounts this month ({})", month), blocks


def _change_line(line: AccountLine) -> Mrkdwn:
    s = line.survey
    parts: list[Mrkdwn] = []
    if line.at_risk and not s.was_at_risk:
        reasons = ", ".join(REASON_WORDS[r] for r in s.risk_reasons)
        parts.append(mrkdwn(":red_circle: newly at risk ({})", reasons))
    parts += [
        mrkdwn(
            "{} {} → {}", m.respondent, formatting.loyalty(m.before), formatting.loyalty(m.after)
        )
        for m in s.loyalty_moves
    ]
    parts += [champion_text(change) for change in s.champion_changes]
    return mrkdwn("• *{}* ({}): {}", line.account, s.cycle, Mrkdwn("; ".join(parts)))


# -- a champion change, told to the account channel (bot.portfolio.champion_news) -------------


def champion_news_message(
    account: str,
    cycle: str,
    change: ChampionChange,
    sponsor: str | None,
    manager: str | None,
) -> tuple[Mrkdwn, list[Block]]:
    """(fallback text, blocks) of the channel message: what changed, and who should act."""
    who = [mention(p) for p in (sponsor, manager) if p]
    blocks: list[Block] = [
        section(
            mrkdwn(
                ":rotating_light: *Champion change at {}* ({}): {}",
                account,
                cycle,
                champion_text(change),
            )
        ),
        context(
            mrkdwn(
                "For the account team{}: a decision maker gone quiet or moved is the earliest "
                "sign of churn. Find out who decides now.",
                Mrkdwn(" and " + ", ".join(who)) if who else Mrkdwn(""),
            )
        ),
    ]
    return mrkdwn("Champion change at {}: {}", account, champion_text(change)), blocks


# -- the leadership review pack (bot.portfolio.leadership) ------------------------------------


def leadership_message(pack: LeadershipPack, tz: tzinfo) -> tuple[Mrkdwn, list[Block]]:
    """(fallback text, blocks) of the pack posted in the leadership channel."""
    view = pack.portfolio
    blocks: list[Block] = [header(f"Leadership review · {pack.period}")]
    blocks.append(
        section(
            mrkdwn(
                "*Revenue at risk: {}* · {} of {} strategic and key accounts at risk",
                money(view.revenue_at_risk),
                len(view.at_risk),
                len(view.accounts),
            )
        )
    )
    if pack.trends:
        lines = [Mrkdwn("*By segment*"), *(_trend_line(t) for t in pack.trends)]
        blocks += [section(chunk) for chunk in pack_lines(lines)]
    if pack.top_at_risk:
        lines = [Mrkdwn("*Most at stake*"), *(account_line(line, tz) for line in pack.top_at_risk)]
        blocks += [section(chunk) for chunk in pack_lines(lines)]
    blocks += _gaps(view)
    blocks.append(context(_loop_text(pack.loop)))
    return mrkdwn(
        "Leadership review {}: revenue at risk {}", pack.period, money(view.revenue_at_risk)
    ), blocks


def _trend_line(t: SegmentTrend) -> Mrkdwn:
    def nps(value: float | None) -> str:
        return "—" if value is None else f"{value:+.0f}"

    def sat(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    line = mrkdwn(
        "• *{}* ({}, {} answers): NPS {} · satisfaction {}",
        t.segment,
        t.cycle,
        t.respondents,
        nps(t.nps),
        sat(t.satisfaction_mean),
    )
    if t.previous_cycle is None:
        return line
    return mrkdwn(
        "{} (was {} and {} in {})",
        line,
        nps(t.previous_nps),
        sat(t.previous_satisfaction_mean),
        t.previous_cycle,
    )


def _loop_text(loop: dict[str, Any]) -> Mrkdwn:
    share = loop.get("share_within_sla")
    return mrkdwn(
        "Closing the loop: {} follow-ups, {} contacted within the SLA{}, {} open past the SLA",
        loop["followups"],
        loop["contacted_within_sla"],
        f" ({share:.0%})" if share is not None else "",
        loop["open_past_sla"],
    )
