"""The records the commitments room passes around: what people entered, what happened.

Plain data, no I/O: views render these and services return them, so views import this module
and never the services (that is what kept the two from importing each other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from storage.models import Account, Commitment


@dataclass(frozen=True)
class CommitmentDraft:
    """One commitment as a person entered it, before it is checked and saved.

    `answers` is what the commitment answers as picked or typed: a choice's value
    (`meeting:12`, `response:345`, see `AnswerChoice`) or free text. Logging it turns a pick
    into the meeting it links to and a sentence people can read.
    """

    text: str
    owner: str | None
    due_on: date | None
    area: str = "account_team"
    customer_told: bool = False
    answers: str | None = None
    meeting_id: int | None = None
    followup_id: int | None = None  # the follow-up this promise answers


class InvalidCommitments(ValueError):
    """Raised when any draft has a problem; `problems[i]` maps field names to messages."""

    def __init__(self, problems: dict[int, dict[str, str]]) -> None:
        self.problems = problems
        lines = [
            f"commitment {index + 1}, {name}: {message}"
            for index, fields in sorted(problems.items())
            for name, message in fields.items()
        ]
        super().__init__("; ".join(lines))


@dataclass(frozen=True)
class Announcement:
    """Where a commitment went; errors are Slack's codes, kept to tell the person who logged it."""

    commitment_id: int
    owner: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    post_error: str | None = None
    owner_error: str | None = None
    area_channel: str | None = None
    area_error: str | None = None
    delivered: tuple[str, ...] = ()  # what this attempt sent or found: `post found`, …

    @property
    def posted(self) -> bool:
        return self.message_ts is not None


@dataclass(frozen=True)
class Logged:
    """What logging commitments did, for the modal and the terminal to say.

    Either `problems` (nothing saved; by draft index, then field) or `saved` with, when Slack
    was there to tell, one `Announcement` each. `unreachable` says why the rest went unannounced
    when Slack could not be reached: they are saved and tracked all the same.
    """

    account_name: str | None
    saved: list[Commitment] = field(default_factory=list)
    problems: dict[int, dict[str, str]] = field(default_factory=dict)
    announcements: list[Announcement] = field(default_factory=list)
    unreachable: str | None = None
    replayed: bool = False  # the same submission was saved before: nothing saved now

    @property
    def account_gone(self) -> bool:
        return self.account_name is None


@dataclass(frozen=True)
class OpenItem:
    """An open commitment with the name of its account, for lists."""

    commitment: Commitment
    account_name: str
    owner_shown: str | None = None  # the owner as Slack shows them, when resolved for Slack


@dataclass(frozen=True)
class OpenList:
    """Open commitments someone asked for; `hidden` counts those on accounts they may not see."""

    items: list[OpenItem]
    hidden: int = 0


@dataclass(frozen=True)
class AnswerChoice:
    """Something a commitment can answer: a review meeting or a piece of customer feedback."""

    value: str  # "meeting:12" or "response:345"
    kind: str  # "meeting" or "feedback"
    meeting_at: datetime | None = None
    respondent: str | None = None
    cycle: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class CaptureForm:
    """What the capture modal offers for an account: its name, the default due date, choices.

    `account_name` is None when no account is chosen yet or the chosen one is gone.
    """

    account_name: str | None
    due: date
    choices: list[AnswerChoice] = field(default_factory=list)


@dataclass(frozen=True)
class ReactionEvent:
    """A `reaction_added` / `reaction_removed` on a message, reduced to what matters here."""

    channel: str
    message_ts: str
    user: str
    reaction: str
    added: bool
    at: datetime | None = None  # when the person reacted (Slack's event_ts), to spot late ones


def slack_moment(ts: object) -> datetime | None:
    """The moment a Slack timestamp (`"1712345678.000100"`) names; None for anything else."""
    try:
        return datetime.fromtimestamp(float(str(ts)), UTC)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class ButtonOutcome:
    """What pressing Done did, so the surface can say so."""

    result: str  # "done", "already_done", "refused", "missing"
    commitment: Commitment | None = None
    account_name: str | None = None
    ask: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChangeCheck:
    """Whether a person may change a commitment from a button: the row, its account, the verdict."""

    row: Commitment | None
    account: Account | None
    refused: bool = False
    ask: list[str] = field(default_factory=list)


def commitment_json(item: OpenItem) -> dict[str, Any]:
    """The keys docs/interface.md promises for `open_commitments`, plus the account."""
    row = item.commitment
    return {
        "id": row.id,
        "text": row.text,
        "owner": row.owner,
        "due": row.due_on.isoformat() if row.due_on else None,
        "status": row.status,
        "area": row.area,
        "account": item.account_name,
        "customer_told": row.customer_told,
        "answers": row.answers,
    }
