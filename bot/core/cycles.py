"""What a cycle label means: the survey wave or interview round it names, and their order.

People write `Q3 2026`, `2026-q3`, `Jul 2026` or `2026/07`; each is stored under one spelling
(`2026-Q3`, `2026-07`) so a re-import finds the cycle it made last time, and the period's first
day orders cycles in time. A label that names no period (`Autumn wave`) is kept as written and
sorts after every dated cycle.
"""

from __future__ import annotations

import re
from datetime import date

MONTH_NUMBERS = {  # month names and abbreviations people write, shared with meeting dates
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_QUARTER = [
    re.compile(r"^(?P<year>\d{4})[\s\-_/]*q(?P<n>[1-4])$"),
    re.compile(r"^q(?P<n>[1-4])[\s\-_/]*(?P<year>\d{4})$"),
]
_HALF = [
    re.compile(r"^(?P<year>\d{4})[\s\-_/]*h(?P<n>[12])$"),
    re.compile(r"^h(?P<n>[12])[\s\-_/]*(?P<year>\d{4})$"),
]
_MONTH_NUMBER = re.compile(r"^(?P<year>\d{4})[\-/.](?P<n>\d{1,2})$")
_MONTH_NAME = [
    re.compile(r"^(?P<name>[a-z]+)\.?[\s\-_/]*(?P<year>\d{4})$"),
    re.compile(r"^(?P<year>\d{4})[\s\-_/]*(?P<name>[a-z]+)$"),
]
_YEAR = re.compile(r"^(?P<year>\d{4})$")


def cycle_label(text: str) -> str:
    """The one spelling of a cycle label: `Q3 2026` → `2026-Q3`, `Jul 2026` → `2026-07`."""
    label = " ".join(str(text).split())
    parsed = _cycle_period(label)
    return parsed[0] if parsed else label


def cycle_start(label: str) -> date | None:
    """First day of the period a label names (`2026-Q3` → 2026-07-01), None if it names none."""
    parsed = _cycle_period(" ".join(str(label).split()))
    return parsed[1] if parsed else None


def _cycle_period(label: str) -> tuple[str, date] | None:
    key = label.casefold()
    for pattern in _QUARTER:
        if match := pattern.match(key):
            year, n = int(match["year"]), int(match["n"])
            return f"{year}-Q{n}", date(year, 3 * n - 2, 1)
    for pattern in _HALF:
        if match := pattern.match(key):
            year, n = int(match["year"]), int(match["n"])
            return f"{year}-H{n}", date(year, 6 * n - 5, 1)
    if (match := _MONTH_NUMBER.match(key)) and 1 <= int(match["n"]) <= 12:
        year, n = int(match["year"]), int(match["n"])
        return f"{year}-{n:02d}", date(year, n, 1)
    for pattern in _MONTH_NAME:
        if (match := pattern.match(key)) and match["name"] in MONTH_NUMBERS:
            year, n = int(match["year"]), MONTH_NUMBERS[match["name"]]
            return f"{year}-{n:02d}", date(year, n, 1)
    if match := _YEAR.match(key):
        return match["year"], date(int(match["year"]), 1, 1)
    return None


def is_dated(label: str) -> bool:
    """Whether the label names a period (`2026-Q3`, `2026-03`, `H1 2026`, `Mar 2026`)."""
    return cycle_start(label) is not None


def cycle_sort_key(starts_on: date | None, label: str) -> tuple[bool, bool, date, str]:
    """Cycles whose label names a period, by that period's start; after all of them the others,
    by their first response date (`starts_on`, set at import), those without one last, then by
    label. An undated cycle's responses say when it was answered, not which period it reports
    on, so it never slips between two dated cycles."""
    period = cycle_start(label)
    if period is not None:
        return (False, False, period, label)
    return (True, starts_on is None, starts_on or date.min, label)
