"""Slack's own vocabulary: object IDs, the `<…>` markup, and escaping text into it.

Text from customers and from people typing into Slack is data. Everything the bot posts goes
through `escape` so `<!channel>` or `<https://evil|click>` in a comment shows literally; text
Slack sends the bot comes escaped and is read back with `unescape`.
"""

from __future__ import annotations

import re

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9._\-]{0,79}$")

USER_MENTION = re.compile(r"<@(?P<user>[UW][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
CHANNEL_MENTION = re.compile(r"<#(?P<id>[CG][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
MAILTO = re.compile(r"<mailto:(?P<email>[^|>]+)(?:\|[^>]*)?>")
SPECIAL_MENTION = re.compile(r"<!(?P<name>[^>|]+)(?:\|(?P<label>[^>]*))?>")
LINK = re.compile(r"<(?P<url>[^>|]+)(?:\|(?P<label>[^>]*))?>")


def is_user_id(text: str) -> bool:
    return bool(USER_ID.match(text))


def is_channel_id(text: str) -> bool:
    return bool(CHANNEL_ID.match(text))


def escape(text: object) -> str:
    """The three characters Slack reads as markup, made literal."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack escapes `&`, `<` and `>` in what people type; an account called AT&T must match."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(who: str | None) -> str:
    """Slack IDs become live mentions; emails and free text are shown, escaped, never linked."""
    if not who:
        return "nobody"
    if is_user_id(who):
        return f"<@{who}>"
    return escape(who)


def channel_link(channel: str | None) -> str:
    """A channel ID as Slack's link; a `#name` not yet resolved is shown as text."""
    if not channel:
        return "no channel"
    if channel.startswith("#"):
        return escape(channel)
    return f"<#{channel}>"


def user_of_mention(text: str) -> str | None:
    """`U123` from exactly one `<@U123|jane>`, else None."""
    match = USER_MENTION.fullmatch(text.strip())
    return match.group("user") if match else None


def markup_to_plain(text: str) -> str:
    """What a person sees of a Slack message, as plain text for an input field."""
    text = USER_MENTION.sub(lambda m: "@" + (m.group("name") or m.group("user")), text)
    text = CHANNEL_MENTION.sub(lambda m: "#" + (m.group("name") or m.group("id")), text)
    text = SPECIAL_MENTION.sub(
        lambda m: m.group("label") or "@" + m.group("name").split("^")[0], text
    )
    text = LINK.sub(lambda m: m.group("label") or m.group("url").removeprefix("mailto:"), text)
    return unescape(text)
