"""Counts in sentences people read: `1 account`, `2 accounts`, never `1 accounts`.

A wrong plural in a summary makes a person doubt the number next to it, so every count the bot
prints goes through `plural` rather than a hand-written `s`.
"""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and the noun that agrees with it; `many` for nouns that add more than an `s`.

    Thousands get separators (`12,400 rows`), as the import summaries always printed them.
    """
    noun = word if count == 1 else (many or f"{word}s")
    return f"{count:,} {noun}"


# Characters that steer a terminal or reorder what it shows: C0 and C1 controls (ESC starts
# colour, cursor and title sequences; BEL rings; CR overwrites the line; NUL truncates in some
# terminals) and the bidirectional overrides and isolates that make `evil.exe` read `exe.live`.
_LAYOUT = frozenset("\n\t")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SEPARATORS = frozenset("\u2028\u2029")


def _steers_terminal(char: str) -> bool:
    code = ord(char)
    control = code < 0x20 or 0x7F <= code <= 0x9F
    return (control and char not in _LAYOUT) or char in _BIDI or char in _SEPARATORS


def terminal_safe(text: str) -> str:
    """Text as a terminal may show it: each steering character written out as `\\uXXXX`.

    Customer text is stored verbatim and only made visible on its way to a terminal. The
    `\\uXXXX` form is also a JSON escape, so `--json` output stays valid and means the same.
    """
    if text.isprintable() or not any(_steers_terminal(char) for char in text):
        return text
    return "".join(f"\\u{ord(char):04x}" if _steers_terminal(char) else char for char in text)
