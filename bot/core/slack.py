"""Slack's own vocabulary: object IDs, the `<…>` markup, and escaping text into it.

Text from customers and from people typing into Slack is data. Everything the bot posts goes
through `escape` so `<!channel>` or `<https://evil|click>` in a comment shows literally; text
Slack sends the bot comes escaped and is read back with `unescape`.

`Mrkdwn` marks text our own code built as markup (mentions, links, `*bold*`); `mrkdwn(template,
…)` fills a template of our markup with data, escaping every value that is not itself `Mrkdwn`,
and `as_mrkdwn` is the last step before text leaves for Slack: markup passes, anything else is
data and is escaped. Forgetting a mark shows `&amp;` to a reader; it never pings a channel.
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


class Mrkdwn(str):
    """Text that is Slack markup because our code built it: never made of unescaped data."""

    __slots__ = ()


def escape(text: object) -> Mrkdwn:
    """The three characters Slack reads as markup, made literal."""
    return Mrkdwn(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def as_mrkdwn(text: object) -> Mrkdwn:
    """Markup our code built passes as it is; anything else is data, escaped."""
    return text if isinstance(text, Mrkdwn) else escape(text)


def mrkdwn(template: str, /, *values: object, **named: object) -> Mrkdwn:
    """`template` (ours, `str.format` fields) filled with data escaped, markup kept as markup.

    `mrkdwn("No account is called *{}*", query)` cannot let a typed `<!channel>` through,
    while `mrkdwn("Ask {}", mention(user))` keeps the mention live.
    """
    return Mrkdwn(
        template.format(
            *(as_mrkdwn(value) for value in values),
            **{key: as_mrkdwn(value) for key, value in named.items()},
        )
    )


def unescape(text: str) -> str:
    """Slack escapes `&`, `<` and `>` in what people type; an account called AT&T must match."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(who: str | None) -> Mrkdwn:
    """Slack IDs become live mentions; emails and free text are shown, escaped, never linked."""
    if not who:
        return Mrkdwn("nobody")
    if is_user_id(who):
        return Mrkdwn(f"<@{who}>")
    return escape(who)


def channel_link(channel: str | None) -> Mrkdwn:
    """A channel ID as Slack's link; a `#name` not yet resolved is shown as text."""
    if not channel:
        return Mrkdwn("no channel")
    if channel.startswith("#"):
        return escape(channel)
    return Mrkdwn(f"<#{channel}>")


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
