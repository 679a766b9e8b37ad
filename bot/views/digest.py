"""The pre-meeting digest as Block Kit, in the order the meeting runs.

1. What was promised last time and whether it was done: the meeting opens with that.
2. This cycle's results, against the segment and all customers, with the trend.
3. The people: who needs a word, who moved, who went quiet, and who is still waiting for a
   first contact (open follow-ups, owners mentioned).
4. Who says what: the executive sponsor and the account manager, both mentioned.
5. The dry-run checklist and a button to log commitments for this meeting.

Lists are capped so the message stays within Slack's 50 blocks and 3000 characters a section
whatever the account's size; the fallback `text` is the one-line version a notification shows.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import formatting
from bot.core.clock import utc_now
from bot.core.slack import Mrkdwn, channel_link, escape, mention, mrkdwn
from bot.core.text import plural
from bot.digests.model import THREE_QUESTIONS, Digest, ReviewedCommitment
from bot.reports.model import AccountReport, Figures
from bot.views.common import (
    MAX_MESSAGE_BLOCKS,
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
from bot.views.report import champion_text, fix_first_line, person_line, theme_blocks

LOG_COMMITMENTS_ACTION = "commitments_open_modal"
COMMITMENTS_SHOWN = 12
OLDER_OPEN_SHOWN = 5
PEOPLE_SHOWN = 8
FOLLOWUPS_SHOWN = 8
NAMES_SHOWN = 15
NPS_IN_LINE = 5.0  # points: closer than this to a benchmark reads as "in line"
SATISFACTION_IN_LINE = 0.3
DATE_LONG = "{date_long_pretty} at {time}"

DRY_RUN_CHECKLIST = (
    "Walk through the agenda together: who presents what, and in which order",
    "For every commitment from last time, know what was done, or why not and by when",
    "Prepare a word for each dissatisfied or high-risk person, by name",
    "Know the headline figures, the trend and how the account compares with its segment",
    "Agree which new commitments you can make, with owners and dates, before you offer them",
    "Decide who logs the commitments during the meeting (button below)",
)


def digest_fallback_text(digest: Digest, tz: ZoneInfo) -> Mrkdwn:
    """One line for the notification: when, the headline figure, and what needs attention."""
    report = digest.report
    when = f" on {_short_day(digest.starts_at, tz)}" if digest.starts_at else ""
    parts = [_fallback_results(report)]
    open_count = len(report.open_commitments)
    parts.append(plural(open_count, "open commitment"))
    if report.current is not None:
        unhappy = sum(person.band == "dissatisfied" for person in report.people)
        parts.append(f"{plural(unhappy, 'person', 'people')} dissatisfied")
    return mrkdwn("Review with {}{}: {}", report.account, when, ", ".join(parts))


def _short_day(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}"


def _fallback_results(report: AccountReport) -> str:
    if report.current is None:
        return "no feedback results yet"
    if formatting.missing(report.current.nps):
        return "NPS n/a (no recommend answers)"
    text = f"NPS {formatting.nps(report.current.nps)}"
    if report.previous is not None and not formatting.missing(report.previous.nps):
        text += f" ({_short_change(report.current.nps, report.previous.nps)})"
    return text


def _short_change(current: float | None, previous: float) -> str:
    """`▼8`, `▲12`, `=`: the compact delta a notification has room for."""
    if current is None:
        return "n/a"
    delta = round(current - previous)
    if delta == 0:
        return "="
    return f"{'▲' if delta > 0 else '▼'}{abs(delta)}"


def digest_blocks(digest: Digest, tz: ZoneInfo) -> list[Block]:
    report = digest.report
    blocks: list[Block] = [header(f"Customer review: {report.account}")]
    blocks.append(context(_meeting_line(digest, tz)))
    blocks += [section(f":warning: {escape(flag)}") for flag in report.flags]
    if report.champion_changes:  # the strongest early churn signal: before the results
        changes = "; ".join(champion_text(change) for change in report.champion_changes[:10])
        blocks.append(section(f":bust_in_silhouette: *Champion changes:* {changes}"))
    blocks += [divider(), *_since_last_blocks(digest, tz)]
    blocks += [divider(), *_results_blocks(digest)]
    blocks += [divider(), *_people_blocks(report)]
    blocks += theme_blocks(report)
    blocks += _followup_blocks(digest, tz)
    blocks += [divider(), _roles_block(report)]
    blocks += [divider(), *_checklist_blocks(digest)]
    return _fit(blocks)


def _meeting_line(digest: Digest, tz: ZoneInfo) -> str:
    if digest.starts_at is None:
        return (
            ":calendar: No review meeting scheduled yet: "
            f"`/voc meeting {escape(digest.report.account)} DATE TIME`"
        )
    return (
        f":calendar: {slack_date(digest.starts_at, DATE_LONG, tz)} · "
        f"digest in {channel_link(digest.channel)}"
    )


# -- 1. Since the last review --------------------------------------------------------------


def _since_last_blocks(digest: Digest, tz: ZoneInfo) -> list[Block]:
    today = (digest.now or utc_now()).astimezone(tz).date()
    if digest.previous_meeting_at is not None:
        title = (
            "*1. Since the last review* "
            f"({slack_date(digest.previous_meeting_at, '{date_short_pretty}', tz)})"
        )
        empty = "Nothing was logged as promised at the last review."
    else:
        title = "*1. Open commitments* (no earlier review on record)"
        empty = "No open commitments."
    lines = [title]
    shown = digest.since_last[:COMMITMENTS_SHOWN]
    lines += [_commitment_line(item, tz, today) for item in shown] or [empty]
    hidden = len(digest.since_last) - len(shown)
    if hidden > 0:
        lines.append(f"…and {hidden} more: `/voc open {escape(digest.report.account)}`")
    if digest.since_last:
        done = sum(item.status == "done" for item in digest.since_last)
        lines.append(f"_{done} of {len(digest.since_last)} done._")
    if digest.older_open:
        lines.append("*Still open from before the last review*")
        older = digest.older_open[:OLDER_OPEN_SHOWN]
        lines += [_commitment_line(item, tz, today) for item in older]
        if len(digest.older_open) > len(older):
            lines.append(f"…and {len(digest.older_open) - len(older)} more.")
    return [section(text) for text in pack_lines(lines)]


def _commitment_line(item: ReviewedCommitment, tz: ZoneInfo, today: date) -> str:
    what = f"{escape(truncate(item.text, 300))} — {mention(item.owner)}"
    if item.status == "done":
        when = (
            f", done {slack_date(item.done_at, '{date_short_pretty}', tz)}" if item.done_at else ""
        )
        return f":white_check_mark: {what}{when}"
    if not item.is_open:
        return f":heavy_minus_sign: {what} ({escape(item.status)})"
    if item.due is None:
        return f":white_large_square: {what}, no due date"
    overdue = " *overdue*" if item.due < today else ""
    return f":white_large_square: {what}, due {slack_day(item.due, tz)}{overdue}"


# -- 2. This cycle's results ---------------------------------------------------------------


def _results_blocks(digest: Digest) -> list[Block]:
    report = digest.report
    current, previous = report.current, report.previous
    if current is None:
        return [section("*2. This cycle's results*\nNo feedback results yet for this account.")]
    lines = [
        f"*2. This cycle's results* — {escape(report.cycle or '')}, "
        f"{plural(current.respondents, 'respondent')}"
    ]
    nps_line = f"*NPS {formatting.nps(current.nps)}*"
    sat_line = f"*Satisfaction {formatting.mean(current.satisfaction_mean)}/10*"
    if formatting.missing(current.nps):
        nps_line += f" — {escape(formatting.nps_unanswered(report.cycle or ''))}"
    elif previous is not None and formatting.missing(previous.nps):
        nps_line += f" — _nothing to compare: {escape(formatting.nps_unanswered(previous.cycle))}_"
    if previous is not None:
        since = f"vs {escape(previous.cycle)}"
        if not formatting.missing(current.nps) and not formatting.missing(previous.nps):
            nps_line += f"  {formatting.change(current.nps, previous.nps, points=True)} {since}"
            nps_line += f" — _{formatting.significance(report.nps_change_significant)}_"
        sat_change = formatting.change(
            current.satisfaction_mean, previous.satisfaction_mean, points=False
        )
        sat_line += f"  {sat_change} {since}"
    elif not formatting.missing(current.nps):
        nps_line += " — _first cycle with results, no trend yet_"
    lines += [nps_line, sat_line]
    blocks = [section("\n".join(lines)), section(_benchmark_text(report))]
    if digest.has_trend_chart:
        blocks.append(context(":chart_with_upwards_trend: The trend chart is in the thread."))
    return blocks


def _benchmark_text(report: AccountReport) -> str:
    """What is the same and what is different, against the segment and all customers."""
    current = report.current
    assert current is not None
    segment = escape(report.segment_name)
    nps_parts = [
        _compare_nps(current, report.segment, segment),
        _compare_nps(current, report.all_customers, "all customers"),
    ]
    sat_parts = [
        _compare_satisfaction(current, report.segment, segment),
        _compare_satisfaction(current, report.all_customers, "all customers"),
    ]
    lines = ["*Against the benchmarks*"]
    lines.append("• NPS: " + " · ".join(nps_parts))
    lines.append("• Satisfaction: " + " · ".join(sat_parts))
    for gap in report.weakest:
        lines.append(
            f"• {escape(gap.attribute)}: {formatting.mean(gap.account_mean)} vs "
            f"{formatting.mean(gap.segment_mean)} in {segment} ({gap.gap:+.1f})"
        )
    fix = fix_first_line(report)
    if fix:
        lines.append(fix)
    return "\n".join(lines)


def _compare_nps(current: Figures, other: Figures | None, label: str) -> str:
    if other is None or current.nps is None or other.nps is None:
        return f"no {label} figure"
    shown = f"{label} ({formatting.nps(other.nps)})"
    delta = current.nps - other.nps
    if abs(delta) < NPS_IN_LINE:
        return f"in line with {shown}"
    return f"{round(abs(delta))} points {'above' if delta > 0 else 'below'} {shown}"


def _compare_satisfaction(current: Figures, other: Figures | None, label: str) -> str:
    if other is None or current.satisfaction_mean is None or other.satisfaction_mean is None:
        return f"no {label} figure"
    shown = f"{label} ({formatting.mean(other.satisfaction_mean)})"
    delta = current.satisfaction_mean - other.satisfaction_mean
    if abs(delta) < SATISFACTION_IN_LINE:
        return f"in line with {shown}"
    return f"{abs(delta):.1f} {'above' if delta > 0 else 'below'} {shown}"


# -- 3. The people -------------------------------------------------------------------------


def _people_blocks(report: AccountReport) -> list[Block]:
    if report.current is None:
        return [section("*3. The people*\nNobody has answered yet.")]
    needing = [p for p in report.people if p.band == "dissatisfied" or p.loyalty == "high_risk"]
    lines = ["*3. The people* — dissatisfied or high risk"]
    shown = needing[:PEOPLE_SHOWN]
    lines += [person_line(person, comment_limit=200) for person in shown]
    if not needing:
        lines.append("Nobody is dissatisfied or high risk this cycle.")
    elif len(needing) > len(shown):
        lines.append(
            f"…and {len(needing) - len(shown)} more: `/voc account {escape(report.account)}`"
        )
    if report.band_moves:
        since = escape(report.previous.cycle) if report.previous else "last cycle"
        moves = ", ".join(
            f"{escape(m.respondent)} {formatting.band(m.from_band)} → {formatting.band(m.to_band)}"
            for m in report.band_moves[:NAMES_SHOWN]
        )
        lines.append(f"*Moved band since {since}:* {moves}{_more(report.band_moves)}")
    if report.not_answered:
        names = ", ".join(escape(name) for name in report.not_answered[:NAMES_SHOWN])
        lines.append(f"*Answered last time, not this time:* {names}{_more(report.not_answered)}")
    return [section(text) for text in pack_lines(lines)]


def _followup_blocks(digest: Digest, tz: ZoneInfo) -> list[Block]:
    """Who is still waiting for a first contact: the meeting is where the team hears who owes
    which call, and a customer should not learn of a follow-up before its owner does."""
    items = digest.report.followups
    if not items:
        return []
    now = digest.now or utc_now()
    late = sum(item.past_sla(now) for item in items)
    title = f"*Waiting for a first contact* — {plural(len(items), 'person', 'people')}"
    if late:
        title += f", {late} past the first-contact target"
    lines = [title, *(followup_line(item, tz, now) for item in items[:FOLLOWUPS_SHOWN])]
    if len(items) > FOLLOWUPS_SHOWN:
        account = escape(digest.report.account)
        lines.append(f"…and {len(items) - FOLLOWUPS_SHOWN} more: `/voc followups {account}`")
    return [section(text) for text in pack_lines(lines)]


def _more(items: list[object]) -> str:
    hidden = len(items) - NAMES_SHOWN
    return f" and {hidden} more" if hidden > 0 else ""


# -- 4. Roles ------------------------------------------------------------------------------


def _roles_block(report: AccountReport) -> Block:
    if report.exec_sponsor:
        sponsor = f"{mention(report.exec_sponsor)} (executive sponsor)"
    else:
        sponsor = (
            ":warning: No executive sponsor: name one with "
            f"`/voc sponsor {escape(report.account)} @person`. Until then, whoever stands in"
        )
    questions = "\n".join(f">{n}. {q}" for n, q in enumerate(THREE_QUESTIONS, start=1))
    return section(
        "*4. Who says what*\n"
        f"{sponsor} opens: the company overview, our future plans, and the Voice of the "
        "Customer programme — why we ask, and what we did with the last answers.\n"
        f"{mention(report.account_manager)} (account manager) covers the feedback: the results "
        "above, what was done since last time, and then asks the three key questions:\n"
        f"{questions}"
    )


# -- 5. Dry run ------------------------------------------------------------------------------


def _checklist_blocks(digest: Digest) -> list[Block]:
    items = "\n".join(f"☐ {item}" for item in DRY_RUN_CHECKLIST)
    value = json.dumps({"account_id": digest.report.account_id, "meeting_id": digest.meeting_id})
    return [
        section(f"*5. Dry-run checklist*\n{items}"),
        actions(
            button(":memo: Log commitments", LOG_COMMITMENTS_ACTION, value, style="primary"),
            block_id="digest_actions",
        ),
    ]


def _fit(blocks: list[Block]) -> list[Block]:
    """Never more than Slack's 50 blocks: drop from the middle, keep the header and the button."""
    if len(blocks) <= MAX_MESSAGE_BLOCKS:
        return blocks
    head, tail = blocks[:2], blocks[-2:]
    return head + blocks[2 : MAX_MESSAGE_BLOCKS - 2] + tail
