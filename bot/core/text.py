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
