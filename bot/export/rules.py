"""How a stored value becomes a CSV cell that a spreadsheet shows and cannot be steered by.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also take
a leading tab or carriage return as the start of one (OWASP, "CSV Injection"). A customer's
comment `=HYPERLINK("http://evil.example","Click")` would otherwise become a live link in the
account team's spreadsheet. Such text is written with a leading apostrophe, which every
spreadsheet shows as text and hides; it is the one rule, applied to every text cell here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """`text` as a cell no spreadsheet runs as a formula: a leading apostrophe when needed."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """One stored value as the text of its cell: blanks empty, times ISO 8601 in UTC (`Z`),
    whole numbers without `.0`, lists and mappings as JSON; text made spreadsheet-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return spreadsheet_safe(str(value))
