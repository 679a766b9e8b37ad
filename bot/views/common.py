"""Pieces every view uses: escaping, mentions, dates in the reader's timezone, Slack's limits."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Any

from bot.core.slack import Mrkdwn

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def slack_date(moment: datetime, fmt: str, fallback_tz: tzinfo) -> Mrkdwn:
    """A `<!date>` token: Slack renders it in each reader's own timezone."""
    fallback = moment.astimezone(fallback_tz).strftime("%Y-%m-%d %H:%M %Z")
    return Mrkdwn(f"<!date^{int(moment.timestamp())}^{fmt}|{fallback}>")


DATE_AND_TIME = "{date_short_pretty} at {time}"


def slack_day(day: date, fallback_tz: tzinfo) -> Mrkdwn:
    """A calendar date: noon in the fallback zone stays the same day for almost every reader."""
    noon = datetime.combine(day, time(12), tzinfo=fallback_tz)
    return Mrkdwn(f"<!date^{int(noon.timestamp())}^{{date_short_pretty}}|{day.isoformat()}>")


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(text, MAX_HEADER_TEXT), "emoji": True},
    }


def section(text: str, *, fields: list[str] | None = None, accessory: Block | None = None) -> Block:
    block: Block = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)},
    }
    if fields:
        block["fields"] = [
            {"type": "mrkdwn", "text": truncate(field, 2000)} for field in fields[:10]
        ]
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate(t, MAX_SECTION_TEXT)} for t in texts[:10]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, url: str | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def pack_lines(lines: list[str], limit: int = MAX_SECTION_TEXT - 100) -> list[str]:
    """Join lines into as few section texts as fit, so long lists cost few blocks."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
