"""Markup that came from data: every text field Slack reads as mrkdwn, checked in one place.

Slack parses `<…>` and `&…;` in a message's top-level `text` (the notification line), in
`mrkdwn` text objects and in attachments. The bot builds only a few kinds of markup itself
(mentions of Slack IDs, channel links, `<!date>` tokens, links to Slack permalinks); anything
else between `<` and `>`, a broadcast (`<!channel>`, `<!here>`, `<!everyone>`), a mention of the
hostile test user `U0EVIL` or a link to `evil.example`, and a bare `&`, must have come from data
that was not escaped. `plain_text` objects are shown literally by Slack and are not read here.

`FakeSlack` runs `markup_errors` on every payload the bot sends, so every test in the suite is
also an escaping test; `tests/test_security_text.py` seeds data with all the markers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

HOSTILE_USER = "U0EVIL"
FORBIDDEN = (
    "<!channel",
    "<!here",
    "<!everyone",
    f"<@{HOSTILE_USER}",
    "<https://evil",
    "<http://evil",
)
DOUBLE_ESCAPED = ("&amp;lt;", "&amp;gt;")

_TOKEN = re.compile(r"<([^<>]*)>")
_OURS = re.compile(
    r"^(?:@[UW][A-Z0-9]+(?:\|[^<>]*)?|#[CG][A-Z0-9]+(?:\|[^<>]*)?|!date\^\d+\^[^<>|]*\|[^<>]*"
    r"|https?://[^\s<>|]+(?:\|[^<>]*)?|mailto:[^\s<>|]+(?:\|[^<>]*)?)$"
)
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
_ATTACHMENT_TEXTS = ("text", "fallback", "pretext", "title", "footer", "author_name")


def mrkdwn_texts(payload: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) for every field of a message or view payload Slack reads as markup."""
    if isinstance(payload.get("text"), str):
        yield "text", payload["text"]
    yield from _in_blocks(payload.get("blocks"), "blocks")
    for index, attachment in enumerate(payload.get("attachments") or []):
        if not isinstance(attachment, dict):
            continue
        for key in _ATTACHMENT_TEXTS:
            if isinstance(attachment.get(key), str):
                yield f"attachments[{index}].{key}", attachment[key]
        yield from _in_blocks(attachment.get("blocks"), f"attachments[{index}].blocks")


def _in_blocks(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _in_blocks(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield path, node["text"]
            return
        for key, value in node.items():
            yield from _in_blocks(value, f"{path}.{key}")


def text_errors(text: str) -> list[str]:
    """What in one mrkdwn text can only be data that escaped its escaping."""
    problems = [f"raw {marker}…" for marker in FORBIDDEN if marker in text]
    problems += [f"double-escaped {marker}" for marker in DOUBLE_ESCAPED if marker in text]
    outside = _TOKEN.sub(lambda m: "" if _OURS.match(m.group(1)) else m.group(0), text)
    problems += [f"markup the bot does not build: {t!r}" for t in _TOKEN.findall(outside)]
    if _BARE_AMPERSAND.search(outside):
        problems.append("a bare & (Slack reads it as the start of an entity)")
    return problems


def markup_errors(payload: dict[str, Any]) -> list[str]:
    """Every problem, one line each, naming the field: empty when all data was escaped."""
    errors = []
    for where, text in mrkdwn_texts(payload):
        errors += [f"{where}: {problem} in {text[:120]!r}" for problem in text_errors(text)]
    return errors
