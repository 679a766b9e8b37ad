"""What an account channel's follow-ups announcement shows, as plain data for its view.

Apart from `values` because it holds the account report, whose model already imports the
follow-up values: one module holding both would import itself in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.followups.values import AnsweredItem
from bot.reports.model import AccountReport


@dataclass(frozen=True)
class Announced:
    """The account's headline (the report's own figures) and the people an import opened.

    `actors` says who last did what to each follow-up, by (follow-up id, audit action), people
    as Slack shows them: the message names who took someone, contacted them or settled them.
    """

    account_id: int
    account: str
    channel: str | None
    report: AccountReport
    people: list[AnsweredItem] = field(default_factory=list)
    actors: dict[tuple[int, str], str] = field(default_factory=dict)
