"""A file for one person's eyes: a chart or a document, uploaded into their DM with the bot.

A private reply cannot carry a file, so everything a person asked for privately (a trend chart,
the priority matrix, a review pack) is uploaded here, in one way, and the caller only says
whether it went.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.delivery.tagged import describe_error

log = logging.getLogger(__name__)


def send_file_to_dm(
    client: WebClient, user_id: str, content: bytes, *, filename: str, title: str
) -> bool:
    """Upload `content` into the DM with `user_id`; False (logged) when Slack would not take it.

    Nothing is retried: the person is told and asks again, which is cheaper than a ledger for
    something nobody else is owed.
    """
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(channel=dm, content=content, filename=filename, title=title)
    except SlackApiError as error:
        log.warning("upload of %s to a DM failed: %s", filename, describe_error(error))
        return False
    return True
