"""The App Home tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from bot.commitments.values import OpenItem
from bot.core.slack import escape
from bot.followups.values import FollowupItem
from bot.views.commitments import home_commitment_blocks
from bot.views.common import DATE_AND_TIME, Block, context, divider, header, section, slack_date
from bot.views.followups import home_followup_blocks
from storage.models import Account, Meeting


@dataclass(frozen=True)
class HomeSummary:
    """What the tab shows, read for one person (`bot.home`)."""

    accounts: list[Account]
    upcoming_meetings: list[tuple[Meeting, str]] = field(default_factory=list)
    open_commitments: list[OpenItem] = field(default_factory=list)
    open_followups: list[FollowupItem] = field(default_factory=list)


def home_view(summary: HomeSummary, tz: tzinfo, today: date | None = None) -> Block:
    """`today` is the reader's, for marking overdue commitments."""
    today = today or datetime.now(tz).date()
    blocks: list[Block] = [header("Voice of the Customer")]
    blocks += home_commitment_blocks(summary.open_commitments, tz, today)
    blocks += home_followup_blocks(summary.open_followups, tz, datetime.now(tz))
    blocks.append(divider())
    if summary.accounts:
        lines = [
            f"• *{escape(account.name)}* — {escape(account.segment)}, {account.tier}"
            for account in summary.accounts
        ]
        blocks.append(section("*Your accounts*\n" + "\n".join(lines)))
    else:
        blocks.append(section("You are not on the team of any account yet."))
    blocks.append(divider())
    if summary.upcoming_meetings:
        lines = [
            f"• {escape(name)} — {slack_date(meeting.starts_at, DATE_AND_TIME, tz)}"
            for meeting, name in summary.upcoming_meetings
        ]
        blocks.append(section("*Upcoming review meetings*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Upcoming review meetings*\nNone scheduled."))
    blocks.append(
        context(
            "Try `/voc account NAME` for an account's feedback report, "
            "`/voc commit NAME` to log commitments."
        )
    )
    return {"type": "home", "blocks": blocks}
