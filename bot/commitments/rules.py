"""What the commitments room decides without asking anyone: pure functions of their inputs.

What makes a draft acceptable, when a commitment is due by default, what the capture modal
offers as "answers", how a pick reads once saved, who may change a commitment and which
reaction means done. No database and no Slack here; `may_change` is handed the directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.accounts.access import account_channel, may_access
from bot.commitments.values import AnswerChoice, CommitmentDraft
from bot.core.identity import is_person
from bot.core.names import squeeze
from bot.directory import Directory
from bot.settings import AREAS, Settings
from bot.views.common import truncate
from storage.models import Account, Commitment, Meeting

MAX_TEXT = 1000
DEFAULT_DUE_DAYS = 30
ANSWER_COMMENT_LIMIT = 300


# --- drafts -----------------------------------------------------------------------------------


def draft_problems(draft: CommitmentDraft, today: date) -> dict[str, str]:
    """Problems with one draft, by field (`text`, `owner`, `due`, `area`), worded for people."""
    problems: dict[str, str] = {}
    text = draft.text.strip()
    if not text:
        problems["text"] = "Say what was promised."
    elif len(text) > MAX_TEXT:
        problems["text"] = f"Keep it under {MAX_TEXT} characters ({len(text)} now)."
    if not draft.owner or not draft.owner.strip():
        problems["owner"] = "Pick who owns it."
    elif not is_person(draft.owner.strip()):
        problems["owner"] = f'"{draft.owner}" is not a Slack user ID or an email.'
    if draft.due_on is None:
        problems["due"] = "Pick a due date."
    elif draft.due_on < today:
        problems["due"] = f"{draft.due_on.isoformat()} has passed; pick today or a later day."
    if draft.area not in AREAS:
        problems["area"] = f'"{draft.area}" is not an area; use one of {", ".join(AREAS)}.'
    return problems


def due_before(next_cycle_start: date | None, today: date) -> date:
    """Before customers are asked again, so the next survey can reflect it; else a month out."""
    if next_cycle_start is not None and next_cycle_start - timedelta(days=1) > today:
        return next_cycle_start - timedelta(days=1)
    return today + timedelta(days=DEFAULT_DUE_DAYS)


def capture_channel(account: Account, fallback: str | None) -> str | None:
    """The account channel when there is one, else where the commitment was captured."""
    return account_channel(account) or fallback


# --- what a commitment answers ---------------------------------------------------------------


def answer_choices(
    meetings: Sequence[Meeting], feedback: Sequence[tuple[int, str, str, str | None]]
) -> list[AnswerChoice]:
    """Meetings as given, then each feedback `(response id, respondent, cycle, comment)` that
    says something."""
    choices = [
        AnswerChoice(value=f"meeting:{m.id}", kind="meeting", meeting_at=m.starts_at)
        for m in meetings
    ]
    choices += [
        AnswerChoice(
            value=f"response:{response_id}",
            kind="feedback",
            respondent=respondent,
            cycle=cycle,
            comment=comment,
        )
        for response_id, respondent, cycle, comment in feedback
        if (comment or "").strip()
    ]
    return choices


def picked(value: str) -> tuple[str, int] | None:
    """`("meeting", 12)` for `meeting:12`, `("response", 345)` for `response:345`, else None."""
    kind, _, raw_id = value.partition(":")
    if kind in ("meeting", "response") and raw_id.isdigit():
        return kind, int(raw_id)
    return None


def meeting_answer(day: date) -> str:
    return f"Review meeting on {day.isoformat()}"


def feedback_answer(respondent: str, cycle: str, comment: str | None) -> str:
    quoted = truncate(squeeze(comment or ""), ANSWER_COMMENT_LIMIT)
    return f"{respondent}, {cycle}: “{quoted}”"


# --- who may change it -------------------------------------------------------------------------


def may_change(
    settings: Settings,
    account: Account,
    commitment: Commitment,
    user_id: str,
    directory: Directory,
) -> bool:
    """Its owner, the account's team and admins (docs/interface.md); everyone under open access."""
    if is_owner(commitment, user_id, directory):
        return True
    return may_access(settings, account, user_id, directory).allowed


def is_owner(commitment: Commitment, user_id: str, directory: Directory) -> bool:
    owner = commitment.owner
    if owner == user_id:
        return True
    if "@" in owner:
        user = directory.user(user_id)
        return user is not None and user.email == owner.lower()
    return False


# --- the done reaction ------------------------------------------------------------------------


def is_done_reaction(reaction: str, settings: Settings) -> bool:
    """Skin tones (`name::skin-tone-2`) are the same reaction to a person."""
    return reaction.split("::", 1)[0] == settings.done_reaction.strip(":")


def wanted_done(shown: bool | None, event_added: bool, first_round: bool) -> bool | None:
    """What the commitment should become: what the message shows, else (once) what the event
    said; None when neither can be trusted any more."""
    if shown is not None:
        return shown
    return event_added if first_round else None
