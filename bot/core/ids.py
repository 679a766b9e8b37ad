"""Numbers that arrive from outside and name a stored row: a button's value, a dialog's
metadata, `/voc meeting cancel 12`.

Anyone can forge them, and the database's integer columns are signed 64-bit: a value such as
`9223372036854775808` makes the database driver raise instead of finding nothing. Every such
value is read here, so "no such row" is the one answer to anything that is not a row's ID.
"""

from __future__ import annotations

import re

MAX_ID = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) holds
_DIGITS = re.compile(r"#?([0-9]{1,19})")


def parse_id(value: object) -> int | None:
    """The row ID `value` names (`12`, `"12"`, `"#12"`), or None when it cannot be one.

    Booleans, floats, signs, spaces inside, non-ASCII digits, zero and anything beyond a
    signed 64-bit integer are not IDs.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and (match := _DIGITS.fullmatch(value.strip())):
        number = int(match[1])
    else:
        return None
    return number if 0 < number <= MAX_ID else None
