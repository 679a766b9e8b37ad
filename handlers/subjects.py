"""What a button or a dialog is about, loaded and checked again at the moment it is used.

A button's value and a dialog's `private_metadata` are just IDs: the message may have been
forwarded, the dialog left open while the meeting was cancelled, the clicker may not be the
person who asked. Each loader re-reads the subject in the request's workspace, re-checks the
clicker's access, and returns it or raises a `bot.errors` reason that names nothing of it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext

from bot.accounts.service import GONE, account_with_id
from bot.core.clock import utc_now
from bot.errors import NotFound
from bot.meetings.rules import meeting_number
from bot.meetings.service import MeetingNotFound, Review, review_for
from bot.reports.model import AccountReport
from bot.reports.service import report_of_account
from bot.services import Services

if TYPE_CHECKING:
    from storage.models import Account

_NUMBER = re.compile(r"^\d+$")


def button_value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value", ""))


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What the listener that opened the dialog put in it (`private_metadata`, JSON)."""
    return json.loads(view.get("private_metadata") or "{}")


def account_from_id(account_id: int | None, context: BoltContext) -> Account:
    """The account a button or a dialog carries, if the clicker may use it at this moment."""
    if account_id is None:
        raise NotFound(GONE)
    services: Services = context["services"]
    return account_with_id(services.runtime, context["workspace_id"], account_id, context["reader"])


def account_report_from_button(body: dict[str, Any], context: BoltContext) -> AccountReport:
    """The report of the account a report button names, if the clicker may read it."""
    value = button_value(body)
    if not _NUMBER.match(value):
        raise NotFound(GONE)
    services: Services = context["services"]
    return report_of_account(
        services.runtime,
        context["workspace_id"],
        int(value),
        reader=context["reader"],
        now=utc_now(),
        tz=context["tz"],
    )


def review_from_button(body: dict[str, Any], context: BoltContext) -> Review:
    """The scheduled meeting a list button names, if the clicker may change its account."""
    return _review(meeting_number(button_value(body)), context)


def review_from_view(view: dict[str, Any], context: BoltContext) -> Review:
    """The meeting a dialog was opened for, checked again when it is submitted."""
    meeting_id = view_metadata(view).get("meeting_id")
    return _review(int(meeting_id) if meeting_id is not None else None, context)


def _review(meeting_id: int | None, context: BoltContext) -> Review:
    if meeting_id is None:
        raise NotFound("That review is no longer scheduled.")
    services: Services = context["services"]
    try:
        return review_for(
            services.runtime,
            context["workspace_id"],
            meeting_id,
            reader=context["reader"],
            named_by_reader=False,
        )
    except MeetingNotFound as error:
        raise NotFound(f"Review #{meeting_id} is no longer scheduled.") from error
