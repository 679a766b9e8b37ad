"""`SlackWorkspace`: what announcing and completing a commitment need from Slack.

Its own module so every part of the room (and reminders, whose Done button is ours) can take
one without importing the services that use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.directory import Directory
from bot.settings import Settings


@dataclass(frozen=True)
class SlackWorkspace:
    """What announcing and completing need from Slack, for one workspace."""

    client: WebClient
    directory: Directory
    settings: Settings
    workspace_id: str
    bot_user_id: str | None = None
