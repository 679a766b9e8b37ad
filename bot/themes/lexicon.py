"""Which attribute a comment talks about: a keyword lexicon per theme, extendable by the operator.

Themes are named like the survey's attributes (`Support`, `Product quality`, …), so what people
write lines up with what they rate and with the key drivers. The built-in keywords cover the
usual B2B attributes; `VOC_THEMES_FILE` names a YAML file that adds keywords to a theme or adds
themes:

    themes:
      Support: [ticket, "called back", helpdesk]
      Delivery: [shipment, "late delivery", courier]

A keyword matches a whole word or phrase, in any case, dashes and punctuation counting as spaces,
with an optional plural or -ed/-ing ending ("ticket" matches "tickets"); a comment that matches
no theme is "other".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OTHER = "other"
THEME_SEPARATOR = "|"

BUILT_IN: dict[str, tuple[str, ...]] = {
    "Support": (
        "support",
        "helpdesk",
        "help desk",
        "service desk",
        "ticket",
        "called back",
        "call back",
        "call us back",
        "called us back",
        "got back",
        "get back",
        "response time",
        "escalation",
        "escalate",
        "support team",
    ),
    "Product quality": (
        "product",
        "bug",
        "crash",
        "outage",
        "downtime",
        "reliable",
        "reliability",
        "stable",
        "stability",
        "slow",
        "performance",
        "quality",
        "feature",
        "mobile app",
        "app",
        "broken",
        "error",
        "glitch",
        "workaround",
        "release",
    ),
    "Onboarding": (
        "onboarding",
        "implementation",
        "training",
        "setup",
        "set up",
        "rollout",
        "roll out",
        "go-live",
        "go live",
        "migration",
        "migrate",
        "kickoff",
        "kick-off",
    ),
    "Value for money": (
        "price",
        "pricing",
        "cost",
        "expensive",
        "cheap",
        "invoice",
        "billing",
        "bill",
        "value",
        "renewal",
        "renew",
        "contract",
        "discount",
        "fee",
        "licence",
        "license",
        "budget",
        "money",
        "overcharge",
        "switching cost",
    ),
    "Reporting": ("report", "reporting", "dashboard", "analytics", "export", "insight"),
    "Relationship": (
        "account manager",
        "account team",
        "relationship",
        "listen",
        "communication",
        "communicate",
        "partner",
        "roadmap",
        "sales",
        "promise",
    ),
}


class ThemesFileError(ValueError):
    """The operator's themes file cannot be used; the text says where and why, in one line."""


@dataclass(frozen=True)
class ThemeLexicon:
    """Keywords and their inflected forms (lower case, single spaces) with their themes.

    A comment is split into words once and each word looked up; only a word that starts some
    phrase keyword ("called" in "called back") makes the longer runs be looked up too.
    Dictionary look-ups, not a regular expression of every keyword, keep tagging cheap.
    """

    themes_by_form: Mapping[str, frozenset[str]]
    phrase_starts: frozenset[str]
    order: tuple[str, ...]  # the order themes are reported in
    longest: int  # words in the longest keyword

    def themes_of(self, text: str) -> list[str]:
        words = _WORD.findall(text.casefold())
        found: set[str] = set()
        get = self.themes_by_form.get
        for start, word in enumerate(words):
            found.update(get(word, ()))
            if word in self.phrase_starts:
                for end in range(start + 2, min(start + self.longest, len(words)) + 1):
                    found.update(get(" ".join(words[start:end]), ()))
        return [theme for theme in self.order if theme in found] or [OTHER]


def build_lexicon(extra: Mapping[str, list[str]] | None = None) -> ThemeLexicon:
    """The built-in keywords plus the operator's (added to a theme, or as a new theme)."""
    merged: dict[str, list[str]] = {theme: list(words) for theme, words in BUILT_IN.items()}
    for theme, words in (extra or {}).items():
        merged.setdefault(theme, []).extend(words)
    forms: dict[str, set[str]] = {}
    for theme, words in merged.items():
        for keyword in {_normal(w) for w in words} - {""}:
            for form in (keyword, *(keyword + ending for ending in _ENDINGS)):
                forms.setdefault(form, set()).add(theme)
    starts = frozenset(k.split()[0] for k in forms if " " in k)
    longest = max(len(k.split()) for k in forms)
    frozen = {form: frozenset(themes) for form, themes in forms.items()}
    return ThemeLexicon(frozen, starts, tuple(merged), longest)


def load_lexicon(path: str | None) -> ThemeLexicon:
    """The lexicon for a deployment: built-in, plus `VOC_THEMES_FILE` when it is set."""
    return build_lexicon(read_themes_file(path) if path else None)


def read_themes_file(path: str) -> dict[str, list[str]]:
    """`themes: {Theme: [keyword, …]}` from YAML, checked; ThemesFileError says what is wrong."""
    import yaml  # only a deployment with VOC_THEMES_FILE reads YAML

    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ThemesFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ThemesFileError(f"{path}: not valid YAML{line}") from None
    themes = document.get("themes") if isinstance(document, dict) else None
    if not isinstance(themes, dict) or not themes:
        raise ThemesFileError(f"{path}: expected `themes:` mapping each theme to a keyword list")
    result: dict[str, list[str]] = {}
    for theme, words in themes.items():
        name = str(theme).strip()
        if not name or THEME_SEPARATOR in name or name.casefold() == OTHER:
            raise ThemesFileError(f'{path}: "{name}" cannot be a theme name')
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ThemesFileError(f'{path}: theme "{name}" needs a list of keywords')
        result[name] = [w.strip() for w in words]
    return result


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_ENDINGS = ("ing", "es", "ed", "s", "d")


def _normal(keyword: str) -> str:
    """A keyword as the comment's words are compared with it: lower case, words joined by one
    space (dashes and punctuation count as spaces)."""
    return " ".join(_WORD.findall(keyword.casefold()))
