"""How JSON columns are written and read: orjson rather than the standard library.

The account figures store each account-cycle's people table as JSON, so an import of a million
responses writes and a report reads it back on every request; orjson does both several times
faster. Its options keep what the standard library accepted: integer dict keys become strings,
and numpy scalars (pandas hands them out) are numbers.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> str:
    """The JSON text of `value`, as SQLAlchemy's `json_serializer` expects (a str)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    """The value of a JSON text (SQLAlchemy's `json_deserializer`)."""
    return orjson.loads(text)
