"""The account report as Block Kit: headline first, people who need a call next.

Slack caps a message at 50 blocks and a section at 3000 characters; an account with 200
respondents must still render, so long lists are cut with "and N more" and a button that opens
everything in a modal (100 blocks).
"""

from __future__ import annotations

from datetime import tzinfo

from bot import formatting
from bot.champions import TITLE_CHANGED, ChampionChange
from bot.core.slack import Mrkdwn, escape, mention, mrkdwn
from bot.core.text import plural
from bot.reports.model import AccountReport, Person
from bot.views.common import (
    DATE_AND_TIME,
    MAX_VIEW_BLOCKS,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    pack_lines,
    section,
    slack_date,
    slack_day,
    truncate,
)
from bot.views.followups import followup_line

PEOPLE_IN_MESSAGE = 12
COMMITMENTS_IN_MESSAGE = 8
FOLLOWUPS_IN_MESSAGE = 6
COMMENT_LIMIT = 400
THEMES_IN_MESSAGE = 6  # one section: what the comments are about, most talked-about first
QUOTE_LIMIT = 140
SHOW_PEOPLE_ACTION = "report_show_people"
TREND_CHART_ACTION = "report_trend_chart"


def report_fallback_text(report: AccountReport) -> Mrkdwn:
    """What a notification or a screen reader shows: the headline, in one line."""
    if report.current is None:
        return mrkdwn("{}: no feedback results yet.", report.account)
    return mrkdwn(
        "{} ({}): NPS {}, satisfaction {}/10, {}",
        report.account,
        report.cycle,
        formatting.nps(report.current.nps),
        formatting.mean(report.current.satisfaction_mean),
        plural(report.current.respondents, "respondent"),
    )


def report_blocks(report: AccountReport, tz: tzinfo) -> list[Block]:
    blocks: list[Block] = [header(report.account), context(_identity_line(report))]
    blocks += [section(f":warning: {escape(flag)}") for flag in report.flags]
    if report.current is None:
        blocks.append(section("No feedback results yet for this account."))
    else:
        blocks += _headline_blocks(report)
        blocks += _people_blocks(report)
        blocks += theme_blocks(report)
        blocks += _followup_blocks(report, tz)
        blocks += _attribute_blocks(report)
    blocks += _commitment_blocks(report, tz)
    blocks.append(context(_schedule_line(report, tz)))
    if report.trend and report.current is not None:
        blocks.append(
            actions(
                button(
                    ":chart_with_upwards_trend: Trend chart",
                    TREND_CHART_ACTION,
                    str(report.account_id),
                ),
                block_id="report_actions",
            )
        )
    return blocks


def _identity_line(report: AccountReport) -> str:
    parts = [escape(report.segment_name), report.tier]
    if report.cycle:
        parts.append(f"cycle {escape(report.cycle)}")
    parts.append(f"account manager {mention(report.account_manager)}")
    parts.append(f"exec sponsor {mention(report.exec_sponsor)}")
    return " · ".join(parts)


def _headline_blocks(report: AccountReport) -> list[Block]:
    current, previous = report.current, report.previous
    assert current is not None
    nps_line = f"*NPS {formatting.nps(current.nps)}*"
    sat_line = f"*Satisfaction {formatting.mean(current.satisfaction_mean)}/10*"
    if formatting.missing(current.nps):
        nps_line += f" — {escape(formatting.nps_unanswered(report.cycle or ''))}"
    elif previous is not None and formatting.missing(previous.nps):
        nps_line += f"\n_nothing to compare: {escape(formatting.nps_unanswered(previous.cycle))}_"
    elif previous is not None:
        nps_change = formatting.change(current.nps, previous.nps, points=True)
        verdict = formatting.significance(report.nps_change_significant)
        nps_line += f"  {nps_change} vs {escape(previous.cycle)}\n_{verdict}_"
    if previous is not None:
        sat_change = formatting.change(
            current.satisfaction_mean, previous.satisfaction_mean, points=False
        )
        sat_line += f"  {sat_change} vs {escape(previous.cycle)}"
    respondents = plural(current.respondents, "respondent")
    return [
        section(f"{nps_line}\n{sat_line}\n{respondents}"),
        section("*Against the benchmarks*", fields=_benchmark_fields(report)),
    ]


def _benchmark_fields(report: AccountReport) -> list[str]:
    rows = [("This account", report.current)]
    rows.append((escape(report.segment_name), report.segment))
    rows.append(("All customers", report.all_customers))
    fields = []
    for label, figures in rows:
        if figures is None:
            fields.append(f"*{label}*\nno data")
        else:
            fields.append(
                f"*{label}*\nNPS {formatting.nps(figures.nps)} · "
                f"satisfaction {formatting.mean(figures.satisfaction_mean)}"
            )
    return fields


def person_line(person: Person, comment_limit: int = COMMENT_LIMIT) -> str:
    who = f"*{escape(person.respondent)}*"
    if person.title:
        who += f", {escape(person.title)}"
    if person.role:
        who += f" ({formatting.role(person.role)})"
    marker = (
        ":red_circle:"
        if person.band == "dissatisfied"
        else (
            ":large_green_circle:"
            if person.band == "totally_satisfied"
            else ":large_yellow_circle:"
        )
    )
    line = (
        f"{marker} {who} — {formatting.score(person.satisfaction)}/10, "
        f"{formatting.band(person.band)} · {formatting.loyalty(person.loyalty)}"
    )
    if person.comment:
        line += f"\n>{escape(truncate(person.comment, comment_limit))}"
    return line


def _people_blocks(report: AccountReport) -> list[Block]:
    shown = report.people[:PEOPLE_IN_MESSAGE]
    blocks = [divider(), section("*People* — dissatisfied and high-risk first")]
    blocks += [section(text) for text in pack_lines([person_line(p) for p in shown])]
    extras = []
    hidden = len(report.people) - len(shown)
    if hidden > 0:
        blocks.append(
            section(
                f"…and {hidden} more.",
                accessory=button("Show everyone", SHOW_PEOPLE_ACTION, str(report.account_id)),
            )
        )
    if report.band_moves:
        moves = ", ".join(
            f"{escape(m.respondent)} {formatting.band(m.from_band)} → {formatting.band(m.to_band)}"
            for m in report.band_moves[:10]
        )
        extras.append(f"Moved band: {moves}")
    if report.not_answered:
        names = ", ".join(escape(name) for name in report.not_answered[:15])
        more = len(report.not_answered) - 15
        extras.append(
            f"Answered last time, not this time: {names}{f' and {more} more' if more > 0 else ''}"
        )
    if report.champion_changes:
        extras.append(
            "Champion changes: " + "; ".join(champion_text(c) for c in report.champion_changes)
        )
    if extras:
        blocks.append(context(*extras))
    return blocks


def champion_text(change: ChampionChange) -> Mrkdwn:
    """`Erin Old (CFO) left or went silent`, `Ed Echo changed title: CIO → CTO`."""
    if change.change == TITLE_CHANGED:
        return mrkdwn(
            "{} changed title: {} → {}", change.respondent, change.previous_title, change.title
        )
    if change.previous_title:
        return mrkdwn("{} ({}) left or went silent", change.respondent, change.previous_title)
    return mrkdwn("{} left or went silent", change.respondent)


def theme_blocks(report: AccountReport) -> list[Block]:
    """The comments grouped by theme with their tone, and the sharpest quote of each."""
    lines = []
    for group in report.comments_by_theme[:THEMES_IN_MESSAGE]:
        tones = ", ".join(f"{count} {tone}" for tone, count in group.tones.items())
        quote = truncate(group.comments[0].comment or "", QUOTE_LIMIT)
        lines.append(
            f"• *{escape(group.theme)}* — {plural(len(group.comments), 'comment')} ({tones}): "
            f"“{escape(quote)}”"
        )
    return [section("*What they talk about*\n" + "\n".join(lines))] if lines else []


def fix_first_line(report: AccountReport) -> str | None:
    """The segment's key drivers where this account trails the segment: what to fix first."""
    if not report.fix_first:
        return None
    segment = escape(report.segment_name)
    parts = [
        f"{escape(gap.attribute)} ({formatting.mean(gap.account_mean)} vs "
        f"{formatting.mean(gap.segment_mean)})"
        for gap in report.fix_first
    ]
    return f"*Fix first* (drivers of satisfaction in {segment}, below it here): " + ", ".join(parts)


def _attribute_blocks(report: AccountReport) -> list[Block]:
    fix = fix_first_line(report)
    if not report.weakest:
        return [section(fix)] if fix else []
    lines = [
        f"• {escape(gap.attribute)}: {formatting.mean(gap.account_mean)} vs "
        f"{formatting.mean(gap.segment_mean)} in {escape(report.segment_name)} ({gap.gap:+.1f})"
        for gap in report.weakest
    ]
    if fix:
        lines.append(fix)
    return [section("*Weakest against the segment*\n" + "\n".join(lines))]


def _followup_blocks(report: AccountReport, tz: tzinfo) -> list[Block]:
    """Who is still waiting to hear from us, soonest due first; `/voc followups` acts on them."""
    items = report.followups
    if not items or report.as_of is None:
        return []
    lines = [followup_line(item, tz, report.as_of) for item in items[:FOLLOWUPS_IN_MESSAGE]]
    hidden = len(items) - FOLLOWUPS_IN_MESSAGE
    if hidden > 0:
        lines.append(f"…and {hidden} more: `/voc followups {escape(report.account)}`")
    title = f"*Follow-ups* — {plural(len(items), 'person', 'people')} waiting for a first contact"
    return [divider(), *[section(text) for text in pack_lines([title, *lines])]]


def _commitment_blocks(report: AccountReport, tz: tzinfo) -> list[Block]:
    items = report.open_commitments
    if not items:
        return [divider(), section("*Open commitments*\nNone.")]
    lines = [
        f"• {escape(truncate(item.text, 300))} — {mention(item.owner)}, "
        f"{'due ' + slack_day(item.due, tz) if item.due else 'no due date'}"
        f"{' :warning: overdue' if item.overdue else ''} "
        f"({formatting.area(item.area)})"
        for item in items[:COMMITMENTS_IN_MESSAGE]
    ]
    hidden = len(items) - COMMITMENTS_IN_MESSAGE
    if hidden > 0:
        lines.append(f"…and {hidden} more: `/voc open {escape(report.account)}`")
    return [divider(), *[section(t) for t in pack_lines(["*Open commitments*", *lines])]]


def _schedule_line(report: AccountReport, tz: tzinfo) -> str:
    cycle = slack_day(report.next_cycle_on, tz) if report.next_cycle_on else "not known"
    meeting = (
        slack_date(report.next_meeting_at, DATE_AND_TIME, tz)
        if report.next_meeting_at
        else "none scheduled"
    )
    return f"Next feedback cycle: {cycle} · Next review meeting: {meeting}"


def people_modal(report: AccountReport) -> Block:
    """Everyone who answered, packed densely: a modal allows 100 blocks."""
    texts = pack_lines([person_line(p, comment_limit=200) for p in report.people])
    budget = MAX_VIEW_BLOCKS - 2
    blocks: list[Block] = [
        context(f"{plural(len(report.people), 'respondent')}, cycle {escape(report.cycle or '')}")
    ]
    blocks += [section(t) for t in texts[:budget]]
    if len(texts) > budget:
        blocks.append(
            context(f'Too many to show here: `voc account "{escape(report.account)}" --json`')
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(f"People · {report.account}", 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def refusal_text(account_name: str, ask: list[str]) -> Mrkdwn:
    who = Mrkdwn(" or ".join(mention(person) for person in ask) if ask else "a VoC admin")
    return mrkdwn(
        "You are not on the account team of *{}*, so its feedback is not "
        "shown to you. Ask {} to add you to the team or its channel.",
        account_name,
        who,
    )


def anonymous_refusal_text() -> Mrkdwn:
    """A refusal for a button or dialog: its ID could be anyone's, so it names no account."""
    return Mrkdwn(
        "You are not on the account team, so I cannot show or change that account. Ask its "
        "account manager or a VoC admin to add you to the team or its channel."
    )
