"""Pure decisions of the report: which cycles to compare, when the next one starts, what to flag."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.cycles import cycle_label, cycle_sort_key, is_dated
from storage.models import Account, Cycle

CADENCE_DAYS = {"monthly": 31, "quarterly": 92}
DEFAULT_CYCLE_SPACING = timedelta(days=91)
MIN_CYCLE_SPACING_DAYS = 20
MAX_CYCLES_NAMED = 8


class UnknownCycle(LookupError):
    """The requested cycle label has no data for this account.

    It carries the labels the account does have, oldest first: the person mistyped or
    misremembered a cycle, and the list is what they need to type the right one.
    """

    def __init__(self, label: str, available: list[str] | None = None) -> None:
        super().__init__(label)
        self.label = label
        self.available = list(available or [])


def describe_unknown_cycle(account_name: str, error: UnknownCycle) -> str:
    """`ACME has no cycle "1999"; it has 2025-Q2, 2025-Q3, 2025-Q4.` (long lists elided)."""
    missing = f'{account_name} has no cycle "{error.label}"'
    labels = error.available
    if not labels:
        return f"{missing}; it has no feedback results yet."
    if len(labels) > MAX_CYCLES_NAMED:
        labels = [*labels[:3], "…", *labels[-3:]]
    return f"{missing}; it has {', '.join(labels)}."


def cycle_order(cycle: Cycle) -> tuple[bool, bool, date, str]:
    return cycle_sort_key(cycle.starts_on, cycle.label)


def pick_cycles(cycles: list[Cycle], label: str | None) -> tuple[Cycle | None, Cycle | None]:
    """The cycle to show (the latest dated one, or the one asked for) and the one before it.

    An undated cycle sorts after the dated ones, so it is "current" only when asked for by
    name or when the account has no dated cycle at all.
    """
    if not cycles:
        if label:
            raise UnknownCycle(label)
        return None, None
    if label is None:
        dated = [i for i, cycle in enumerate(cycles) if is_dated(cycle.label)]
        index = dated[-1] if dated else len(cycles) - 1
    else:
        wanted = cycle_label(label).casefold()
        matches = [i for i, cycle in enumerate(cycles) if cycle.label.casefold() == wanted]
        if not matches:
            raise UnknownCycle(label, [cycle.label for cycle in cycles])
        index = matches[0]
    return cycles[index], cycles[index - 1] if index > 0 else None


def next_cycle_after(starts: list[date]) -> date | None:
    """The latest start (first in `starts`, newest first) plus the spacing of the last two.

    Spacing under three weeks is a data-entry artefact, not a cadence: the default applies.
    """
    if not starts:
        return None
    spacing = starts[0] - starts[1] if len(starts) >= 2 else DEFAULT_CYCLE_SPACING
    if spacing.days < MIN_CYCLE_SPACING_DAYS:
        spacing = DEFAULT_CYCLE_SPACING
    return starts[0] + spacing


def review_overdue(cadence: str, last_review_at: datetime | None, now: datetime) -> bool:
    """No customer review within the cadence before now (data-formats.md, Review overdue)."""
    limit = timedelta(days=CADENCE_DAYS.get(cadence, CADENCE_DAYS["quarterly"]))
    return last_review_at is None or now - last_review_at > limit


def account_flags(account: Account, last_review_at: datetime | None, now: datetime) -> list[str]:
    """What senior management should not have to discover by accident."""
    flags = []
    if account.tier == "strategic" and not account.exec_sponsor:
        flags.append("Strategic account without an executive sponsor.")
    if last_review_at is None:
        flags.append(f"No customer review meeting on record ({account.cadence} cadence).")
    elif review_overdue(account.cadence, last_review_at, now):
        flags.append(
            f"Last customer review meeting was {(now - last_review_at).days} days ago "
            f"({account.cadence} cadence)."
        )
    return flags
