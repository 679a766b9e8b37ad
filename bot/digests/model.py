"""The digest as plain data: what the review meeting should hear, before any rendering.

Both the builder (`bot.digests.build`) and the Block Kit view (`bot.views.digest`) import this
module and nothing of each other, so the view stays a pure function of these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.reports.model import AccountReport, Show

THREE_QUESTIONS = (  # asked in every review; the digest briefs them, the review pack prints them
    "What can I do to improve your satisfaction and loyalty?",
    "What can the company do to improve?",
    "What would make you totally satisfied?",
)


@dataclass(frozen=True)
class ReviewedCommitment:
    """A promise as the review meeting should hear about it: done or not, and by whom."""

    id: int
    text: str
    owner: str
    due: date | None
    status: str
    done_at: datetime | None
    area: str

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Digest:
    """Everything the digest message shows; rendering lives in `bot.views.digest`."""

    report: AccountReport
    meeting_id: int | None
    starts_at: datetime | None
    channel: str | None
    previous_meeting_at: datetime | None
    since_last: list[ReviewedCommitment]
    older_open: list[ReviewedCommitment] = field(default_factory=list)
    now: datetime | None = None

    def with_people(self, show: Show) -> Digest:
        """The digest with the team and every owner named as Slack shows people (mentions)."""
        return replace(
            self,
            report=self.report.with_people(show),
            since_last=[replace(c, owner=show(c.owner) or c.owner) for c in self.since_last],
            older_open=[replace(c, owner=show(c.owner) or c.owner) for c in self.older_open],
        )

    @property
    def has_trend_chart(self) -> bool:
        """A trend needs two points; one cycle is a dot, not a chart."""
        return self.report.current is not None and len(self.report.trend) >= 2
