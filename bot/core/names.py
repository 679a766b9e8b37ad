"""How account names compare.

People type `acme`, `Acme  corp` or `ACME Corp.`; the importer stores each account's key and
lookups compare keys, so both sides must build the key the same way — here.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w]+")


def squeeze(text: str) -> str:
    """Runs of white space as one space, none at the ends: how a display name is stored."""
    return " ".join(text.split())


def name_key(name: str) -> str:
    """The form names are stored and matched in: single-spaced and case-folded."""
    return squeeze(name).casefold()


def loose_key(name: str) -> str:
    """Letters and digits only, for suggesting `ACME Corp` to someone who typed `acmecorp`."""
    return _NOT_WORD.sub("", name.casefold())
