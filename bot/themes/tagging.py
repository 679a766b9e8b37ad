"""Tagging a chunk of comments at import: themes and tone for each distinct comment, once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from bot.themes.lexicon import THEME_SEPARATOR, ThemeLexicon, build_lexicon


@dataclass(frozen=True)
class Tags:
    themes: list[str]
    tone: str


def tag(text: str, lexicon: ThemeLexicon) -> Tags:
    from bot.themes.tone import tone_of  # VADER loads when a comment is read, not on every report

    return Tags(lexicon.themes_of(text), tone_of(text))


class CommentTagger:
    """Adds `themes` ("A|B", the stored form) and `tone` columns to a chunk of responses.

    A blank comment has neither. Identical comments in a chunk are tagged once.
    """

    def __init__(self, lexicon: ThemeLexicon | None = None) -> None:
        self.lexicon = lexicon or build_lexicon()

    def __call__(self, chunk: pd.DataFrame) -> pd.DataFrame:
        comments = chunk["comment"].to_numpy(dtype=object)
        present = np.array([isinstance(c, str) and bool(c.strip()) for c in comments], dtype=bool)
        themes = np.full(len(chunk), None, dtype=object)
        tones = np.full(len(chunk), None, dtype=object)
        if present.any():
            distinct, inverse = np.unique(comments[present].astype(str), return_inverse=True)
            tagged = [tag(text, self.lexicon) for text in distinct]
            themes[present] = np.array(
                [THEME_SEPARATOR.join(t.themes) for t in tagged], dtype=object
            )[inverse]
            tones[present] = np.array([t.tone for t in tagged], dtype=object)[inverse]
        # Object columns: pandas would infer `str`, whose missing value is NaN, not None.
        return chunk.assign(
            themes=pd.Series(themes, index=chunk.index, dtype=object),
            tone=pd.Series(tones, index=chunk.index, dtype=object),
        )


def tags_of(comment: str | None, themes: str | None, tone: str | None) -> Tags | None:
    """A stored response's tags; a comment stored before tagging existed (schema 0004) is
    tagged now with the built-in lexicon, so old cycles read like new ones."""
    if not comment:
        return None
    if themes is None:
        return tag(comment, _built_in())
    return Tags(themes.split(THEME_SEPARATOR), tone or "neutral")


@lru_cache(maxsize=1)
def _built_in() -> ThemeLexicon:
    return build_lexicon()
