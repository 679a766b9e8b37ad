"""The one DM message an uploaded responses file gets, in each of its states.

Reading (with progress) → the preview with *Import* / *Cancel*, or the problems, or why the
uploader may not import it → importing (with progress) → what was imported, or cancelled. The
bot updates that same message at each step. File names, account names, column names and the
problems (which quote cells) come from the file, so every one of them is escaped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.core.slack import Mrkdwn, escape, mention, mrkdwn
from bot.core.text import plural
from bot.views.common import Block, actions, button, context, pack_lines, section

IMPORT_ACTION = "upload_import"
CANCEL_ACTION = "upload_cancel"
MAX_PROBLEM_BLOCKS = 8
MAX_NAMES = 10


@dataclass(frozen=True)
class PreviewFacts:
    """What a preview shows: plain data from the import that was rolled back."""

    file_name: str
    rows: int
    added: int
    updated: int
    unchanged: int
    accounts: list[str]
    cycles: list[str]
    people_added: int
    followups: int
    notes: list[str]  # ignored columns, unmapped questions, warnings: one line each


Message = tuple[Mrkdwn, list[Block]]


def button_value(file_id: str, sha256: str, cycle: str | None = None) -> str:
    return json.dumps({"file": file_id, "sha256": sha256, "cycle": cycle})


def read_button_value(value: str) -> tuple[str, str, str | None] | None:
    """(file ID, SHA-256, cycle) from a button, or None for a value this view never wrote."""
    try:
        data = json.loads(value)
        file_id, sha256, cycle = str(data["file"]), str(data["sha256"]), data.get("cycle")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    ok = file_id.isalnum() and len(file_id) <= 32 and len(sha256) == 64 and sha256.isalnum()
    ok = ok and (cycle is None or (isinstance(cycle, str) and 0 < len(cycle) <= 50))
    return (file_id, sha256, cycle) if ok else None


def progress_message(verb: str, file_name: str, done: int, total: int | None) -> Message:
    """`Reading responses.csv… 200,000 of about 1,000,000 rows`."""
    of = f" of about {total:,}" if total and total >= done else ""
    text = mrkdwn("{} *{}*… {} rows{} so far", verb, file_name, f"{done:,}", of)
    return text, [section(text)]


def preview_message(
    facts: PreviewFacts, file_id: str, sha256: str, cycle: str | None = None
) -> Message:
    """The preview and its two buttons; nothing is written until *Import*."""
    title = mrkdwn(
        "*Preview of {}* — nothing is imported until you press *Import*.", facts.file_name
    )
    lines = [
        mrkdwn(
            "• {} — {} new, {} updated, {} unchanged",
            plural(facts.rows, "row"),
            f"{facts.added:,}",
            f"{facts.updated:,}",
            f"{facts.unchanged:,}",
        ),
        mrkdwn("• Accounts: {}", _names(facts.accounts)),
        mrkdwn("• Cycles: {}", ", ".join(facts.cycles) or "none"),
        mrkdwn("• New people: {}", f"{facts.people_added:,}"),
        mrkdwn("• Follow-ups it would open: {}", f"{facts.followups:,}"),
    ]
    lines += [mrkdwn("• {}", note) for note in facts.notes]
    value = button_value(file_id, sha256, cycle)
    blocks = [
        section(title),
        *(section(Mrkdwn(chunk)) for chunk in pack_lines(lines)),
        actions(
            button("Import", IMPORT_ACTION, value, style="primary"),
            button("Cancel", CANCEL_ACTION, value),
            block_id="upload_controls",
        ),
    ]
    return title, blocks


def rejected_message(file_name: str, problems: list[str]) -> Message:
    """Every problem, with its row, as the terminal shows them; nothing was imported."""
    title = mrkdwn(
        "*{} cannot be imported*; nothing was imported. Fix these and send it again:", file_name
    )
    chunks = pack_lines([escape(problem) for problem in problems])
    blocks = [section(title), *(section(Mrkdwn(c)) for c in chunks[:MAX_PROBLEM_BLOCKS])]
    return title, blocks


def refused_message(file_name: str, reason: str) -> Message:
    text = mrkdwn("*{}*: {}", file_name, reason)
    return text, [section(text)]


def imported_message(file_name: str, user_id: str, summary_lines: list[str]) -> Message:
    """What the import did, in the terminal's own words, and who pressed *Import*."""
    title = mrkdwn(":white_check_mark: *{}* imported by {}.", file_name, mention(user_id))
    chunks = pack_lines([escape(line) for line in summary_lines])
    return title, [section(title), *(section(Mrkdwn(c)) for c in chunks[:MAX_PROBLEM_BLOCKS])]


def cancelled_message(file_name: str, user_id: str) -> Message:
    text = mrkdwn("*{}*: cancelled by {}; nothing was imported.", file_name, mention(user_id))
    return text, [section(text), context(Mrkdwn("Send the file again to see a new preview."))]


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    more = f" and {len(names) - MAX_NAMES:,} more" if len(names) > MAX_NAMES else ""
    return (shown + more) or "none known"
