"""How a stored value becomes a CSV cell that a spreadsheet shows and cannot be steered by.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also take
a leading tab or carriage return as the start of one (OWASP, "CSV Injection"). A customer's
comment `=HYPERLINK("http://evil.example","Click")` would otherwise become a live link in the
account team's spreadsheet. Such text is written with a leading apostrophe, which every
spreadsheet shows as text and hides; it is the one rule, applied to every text cell here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r")


def spreadsheet_safe(text: str) -> str:
    """`text` as a cell no spreadsheet runs as a formula: a leading apostrophe when needed."""
    return f"'{text}" if text and text[0] in FORMULA_STARTS else text


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _json(value: Any) -> str:
    return spreadsheet_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))


# By exact type, most common first in practice: an export calls this for every cell.
_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: spreadsheet_safe,
    float: _number,
    int: str,
    bool: lambda value: "true" if value else "false",
    datetime: _moment,
    date: date.isoformat,
    list: _json,
    dict: _json,
}


def cell(value: Any) -> str:
    """One stored value as the text of its cell: blanks empty, times ISO 8601 in UTC (`Z`),
    whole numbers without `.0`, lists and mappings as JSON; text made spreadsheet-safe."""
    if value is None:
        return ""
    shape = _BY_TYPE.get(type(value))
    return shape(value) if shape is not None else spreadsheet_safe(str(value))
