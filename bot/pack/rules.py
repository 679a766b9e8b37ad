"""Pure decisions of the pack and the update: what a customer is shown, and how it is phrased.

The confidentiality rules live here, in one place: quotes and scores carry a name only when
`named`; owners are names or functions, never IDs; examples in the update to every customer are
rewritten so that no customer and none of its people are named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date, datetime

from bot import formatting
from bot.core.identity import is_email
from bot.core.slack import is_user_id
from bot.digests.model import THREE_QUESTIONS, ReviewedCommitment
from bot.pack.branding import Branding
from bot.pack.model import (
    CycleResult,
    Done,
    FunctionWork,
    InProgress,
    NamedAnswer,
    Quote,
    ReviewPack,
    ThemeCount,
    ThemeSummary,
)
from bot.reports.model import AccountReport, Figures, OpenCommitment, Person

THEMES_SHOWN = 5
QUOTES_PER_THEME = 2
QUOTE_CHARACTERS = 400
EXAMPLES_PER_FUNCTION = 3
OTHER_THEME = "other"

NameOf = Callable[[str | None], str | None]
"""A person's display name from how they are stored (`Directory.name_of`, or as written)."""


def review_pack(
    report: AccountReport,
    *,
    brand: Branding,
    done: list[ReviewedCommitment],
    last_review_on: date | None,
    next_review_at: datetime | None,
    chart_uri: str | None,
    name_of: NameOf,
    named: bool,
    prepared_on: date,
    redact: Callable[[str], str],
) -> ReviewPack:
    """The customer's view of their own report: figures, themes, what was done, what is next.

    `redact` rewrites commitment texts: an anonymous pack names none of the customer's people
    even where a promise was written about one of them."""
    return ReviewPack(
        company=brand.company,
        logo_uri=brand.logo_uri,
        account=report.account,
        cycle=report.cycle,
        prepared_on=prepared_on,
        current=_result(report.current),
        previous=_result(report.previous),
        trend=[
            CycleResult(p.cycle, p.respondents, p.nps, p.satisfaction_mean) for p in report.trend
        ],
        chart_uri=chart_uri,
        themes=themes(report, named=named),
        last_review_on=last_review_on,
        done=[
            Done(redact(item.text), item.done_at.date(), formatting.area(item.area))
            for item in done
            if item.done_at is not None
        ],
        in_progress=[
            in_progress(replace(item, text=redact(item.text)), name_of)
            for item in report.open_commitments
        ],
        questions=THREE_QUESTIONS,
        next_review_at=next_review_at,
        named=named,
        answers=[_answer(person) for person in report.people] if named else [],
    )


def _result(figures: Figures | None) -> CycleResult | None:
    if figures is None:
        return None
    return CycleResult(figures.cycle, figures.respondents, figures.nps, figures.satisfaction_mean)


def _answer(person: Person) -> NamedAnswer:
    return NamedAnswer(person.respondent, person.title, person.satisfaction, person.recommend)


def themes(report: AccountReport, *, named: bool) -> list[ThemeSummary]:
    """The most talked-about themes, each with a few quotes; a comment is quoted once only."""
    quoted: set[str] = set()
    summaries = []
    for group in report.comments_by_theme:
        if group.theme == OTHER_THEME and summaries:
            continue
        quotes = []
        for person in group.comments:
            if len(quotes) == QUOTES_PER_THEME:
                break
            if person.comment and person.comment not in quoted:
                quoted.add(person.comment)
                quotes.append(_quote(person, named=named))
        summaries.append(ThemeSummary(group.theme, len(group.comments), group.tones, quotes))
    return summaries[:THEMES_SHOWN]


def _quote(person: Person, *, named: bool) -> Quote:
    text = person.comment or ""
    if len(text) > QUOTE_CHARACTERS:
        text = text[: QUOTE_CHARACTERS - 1].rstrip() + "…"
    who = None
    if named:
        who = f"{person.respondent}, {person.title}" if person.title else person.respondent
    return Quote(text, person.tone or "neutral", who)


def in_progress(item: OpenCommitment, name_of: NameOf) -> InProgress:
    return InProgress(item.text, item.due, owner_shown(item.owner, item.area, name_of))


def owner_shown(owner: str | None, area: str, name_of: NameOf) -> str:
    """The owner's name when one is known, else the function: a customer cannot read an ID."""
    name = name_of(owner) if owner else None
    if not name or is_user_id(name) or is_email(name) or name.startswith("<"):
        return (
            f"our {formatting.area(area).lower()} team"
            if area != "account_team"
            else "your account team"
        )
    return name


# --- the update to every customer --------------------------------------------------------


def theme_counts(tagged: Iterable[list[str]]) -> list[ThemeCount]:
    """Themes by how many comments raised them, most first; "other" is not a theme."""
    counts: dict[str, int] = {}
    for themes_of_comment in tagged:
        for theme in set(themes_of_comment):
            if theme != OTHER_THEME:
                counts[theme] = counts.get(theme, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [ThemeCount(theme, count) for theme, count in ordered[:THEMES_SHOWN]]


def by_function(
    items: Iterable[tuple[str, str]], redact: Callable[[str], str]
) -> list[FunctionWork]:
    """(area, text) pairs as counts per function, busiest first, with a few impersonal examples."""
    grouped: dict[str, list[str]] = {}
    for area, text in items:
        grouped.setdefault(area, []).append(text)
    ordered = sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0]))
    return [
        FunctionWork(
            formatting.area(area),
            len(texts),
            _distinct(redact(text) for text in texts)[:EXAMPLES_PER_FUNCTION],
        )
        for area, texts in ordered
    ]


def _distinct(texts: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        seen.setdefault(text, None)
    return list(seen)


MENTION = re.compile(r"<[@#!][^>]*>")
EMAIL_IN_TEXT = re.compile(r"[^@\s<>()]+@[^@\s<>()]+\.[A-Za-z]{2,}")
SLACK_ID = re.compile(r"\b[UW][A-Z0-9]{8,}\b")
ARTICLES = frozenset({"the", "a", "an"})
SHORTEST_PERSON_PART = 3  # "Ann" of "Ann Lee"
SHORTEST_ACCOUNT_PART = 4  # "ACME" of "ACME Corp", but not "The" of "The Home Depot"


def impersonal(accounts: Iterable[str], people: Iterable[str]) -> Callable[[str], str]:
    """A rewriter of commitment texts for every customer's eyes: customers become "the
    customer", their people "a contact", IDs and emails "a colleague". Overdoing it costs a
    word; underdoing it tells one customer about another."""
    account_patterns = _name_patterns(
        accounts, first_word=True, ignore_case=True, shortest=SHORTEST_ACCOUNT_PART
    )
    person_patterns = _name_patterns(
        people, first_word=False, ignore_case=False, shortest=SHORTEST_PERSON_PART
    )

    def rewrite(text: str) -> str:
        text = MENTION.sub("a colleague", text)
        text = EMAIL_IN_TEXT.sub("a colleague", text)
        text = SLACK_ID.sub("a colleague", text)
        for pattern in account_patterns:
            text = pattern.sub(_possessive("the customer"), text)
        for pattern in person_patterns:
            text = pattern.sub(_possessive("a contact"), text)
        return text

    return rewrite


def _name_patterns(
    names: Iterable[str], *, first_word: bool, ignore_case: bool, shortest: int
) -> list[re.Pattern[str]]:
    """Whole names first (longest first), then their parts: "Halvorsen Freight Group", then
    "Halvorsen"; a person's "Maria Lopez", then "Maria" and "Lopez"."""
    wholes: set[str] = set()
    parts: set[str] = set()
    for name in names:
        words = name.split()
        if not words:
            continue
        wholes.add(" ".join(words))
        candidates = [w for w in words if w.casefold() not in ARTICLES][:1] if first_word else words
        parts.update(w for w in candidates if len(w.strip(".,'’")) >= shortest)
    flags = re.IGNORECASE if ignore_case else 0
    ordered = sorted(wholes, key=len, reverse=True) + sorted(parts - wholes, key=len, reverse=True)
    return [
        re.compile(
            rf"(?<![\w])(?:(?P<the>[Tt]he)\s+)?{re.escape(name)}(?P<s>['’]s)?(?![\w])", flags
        )
        for name in ordered
    ]


def _possessive(replacement: str) -> Callable[[re.Match[str]], str]:
    """ "ACME's" → "the customer's", "the Initech roadmap" → "the customer roadmap"; an article
    before the name is the replacement's own ("The" stays capitalised)."""

    def substitute(match: re.Match[str]) -> str:
        text = replacement
        if match.group("the") and text.startswith("the "):
            text = match.group("the") + text[3:]
        elif match.group("the"):
            text = f"{match.group('the')} {text}"
        return f"{text}'s" if match.group("s") else text

    return substitute
