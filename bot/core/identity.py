"""Who a person is: a Slack user ID or an email, whichever the roster, the CLI or Slack gave.

Rosters and the terminal name people by email; Slack names them by ID. Both are kept as written
(emails lower-cased, so they compare), and the directory turns an email into a Slack user where
Slack is reachable. Every entry point reads a person through `person_ref`, so `<@U1|jane>`,
`U1`, `<mailto:a@b.co|a@b.co>` and `A@B.co` mean the same thing everywhere.
"""

from __future__ import annotations

import re

from bot.core.slack import (
    CHANNEL_ID,
    CHANNEL_MENTION,
    CHANNEL_NAME,
    MAILTO,
    USER_ID,
    USER_MENTION,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(text: str) -> bool:
    return bool(EMAIL.match(text))


def person_ref(value: str) -> str | None:
    """A Slack user ID (bare or as a mention) or an email (bare or mailto), normalised; else None.

    A bare `@jane` is not a person: Slack sends real mentions as `<@U…>`, so plain `@jane` is
    text someone typed and cannot be resolved without guessing.
    """
    text = value.strip()
    if match := USER_MENTION.fullmatch(text):
        return match.group("user")
    if match := MAILTO.fullmatch(text):
        text = match.group("email").strip()
    if USER_ID.match(text):
        return text
    if is_email(text):
        return text.lower()
    return None


def is_person(value: str) -> bool:
    return person_ref(value) is not None


def normalized_person(value: str) -> str:
    """How a person is stored: their `person_ref`, or the text trimmed when it is none."""
    return person_ref(value) or value.strip()


def channel_ref(value: str) -> str | None:
    """A channel ID (bare or as `<#C…|name>`) or a `#name` (lower-cased); else None."""
    text = value.strip()
    if match := CHANNEL_MENTION.fullmatch(text):
        return match.group("id")
    if CHANNEL_ID.match(text):
        return text
    if text.startswith("#") and CHANNEL_NAME.match(text.lower()):
        return text.lower()
    return None


def as_email(who: str | None) -> str | None:
    """The email a person was written as, or None when they were written as a Slack ID."""
    return who.lower() if who and "@" in who else None
