"""Taking one person out of text others wrote: their name, email and comments become `[erased]`.

Forgetting a person deletes their rows, but their words also travel: a commitment quotes the
comment it answers ("Ann Lee, 2026-Q3: “…”"), an audit entry keeps a commitment's text or an
import's warning about namesakes. Those rows belong to someone else and stay, so the person is
cut out of them instead: their whole name, each part of it of three letters or more ("Call
Zelda"), their email and their comments. Matching ignores case and spacing and respects word
edges, so erasing "Ann" leaves "Annual" alone; the longest match wins ("Zelda Quimby" is one
`[erased]`, not two). A quote may be cut short (a long comment is truncated where it is
quoted), so a text holding the start of a comment counts as quoting all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ERASED = "[erased]"
# A part of a name this long is taken to mean the person ("Call Zelda"); shorter ones ("Al",
# "de") would cut into other people's words too often.
NAME_PART_SHORTEST = 3
# The start of a comment long enough to be that comment's and no one else's: a quote truncated
# anywhere after it still names the comment.
QUOTED_START = 40


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({" ".join(n.split()) for n in needles if n and n.strip()}, key=len)
    if not words:
        return None
    spelled = [r"\s+".join(re.escape(part) for part in word.split()) for word in reversed(words)]
    return re.compile(r"(?<!\w)(?:" + "|".join(spelled) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Redaction:
    """What identifies one person in text: their names, emails and comments."""

    names: frozenset[str]
    emails: frozenset[str]
    comments: frozenset[str]
    _whole: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _starts: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = {p for name in self.names for p in name.split() if len(p) >= NAME_PART_SHORTEST}
        whole = _pattern([*self.names, *parts, *self.emails, *self.comments])
        spaced = (" ".join(comment.split()) for comment in self.comments)
        long_ones = [comment for comment in spaced if len(comment) > QUOTED_START]
        starts = _pattern(c[:QUOTED_START].rstrip() for c in long_ones)
        object.__setattr__(self, "_whole", whole)
        object.__setattr__(self, "_starts", None if starts is None else _unbounded(starts))

    @classmethod
    def of(
        cls,
        names: Iterable[str],
        emails: Iterable[str | None],
        comments: Iterable[str | None],
    ) -> Redaction:
        """The redaction of a person known by these values (blanks are ignored)."""
        return cls(
            frozenset(n for n in names if n and n.strip()),
            frozenset(e for e in emails if e and e.strip()),
            frozenset(c for c in comments if c and c.strip()),
        )

    def mentions(self, text: str | None) -> bool:
        """Whether `text` names the person or quotes one of their comments."""
        if not text:
            return False
        return any(p is not None and p.search(text) for p in (self._whole, self._starts))

    def text(self, text: str) -> str:
        """`text` with every mention replaced by `[erased]`; a cut-short quote erases it all."""
        if self._whole is not None:
            text = self._whole.sub(ERASED, text)
        if self._starts is not None and self._starts.search(text):
            return ERASED
        return text

    def value(self, value: Any) -> Any:
        """A JSON value (an audit entry's details) with every string in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value


def _unbounded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A comment's start may be followed by anything (the rest of the word was cut)."""
    return re.compile(pattern.pattern.removesuffix(r"(?!\w)"), pattern.flags)
