"""What a button or a dialog is about, loaded and checked again at the moment it is used.

A button's value and a dialog's `private_metadata` are just IDs: the message may have been
forwarded, the dialog left open while the meeting was cancelled or the clicker taken off the
team, the clicker may not be the person who asked, and anyone holding the app's signing secret
can forge them. Every listener that acts on something a payload names gets it from here: each
loader reads the ID with the one parser for IDs from outside (`bot.core.ids.parse_id`), re-reads
the subject in the request's workspace, re-checks the clicker's access, and returns it or raises
a `bot.errors` reason that names nothing of it.

Nothing else a payload carries is trusted either: the metadata never says where to send an
answer (a URL there could be anyone's); answers go to the request's own `response_url`, or
to the person by ID.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext

from bot.accounts.service import GONE, account_with_id
from bot.commitments.service import check_change
from bot.core.clock import utc_now
from bot.core.ids import parse_id
from bot.errors import AccessRefused, NotFound
from bot.meetings.service import MeetingNotFound, Review, review_for
from bot.reports.model import AccountReport
from bot.reports.service import report_of_account
from bot.services import Services
from bot.views.commitments import ModalContext

if TYPE_CHECKING:
    from bot.commitments.workspace import SlackWorkspace
    from storage.models import Account

COMMITMENT_GONE = "That commitment no longer exists."
REVIEW_GONE = "That review is no longer scheduled."


def button_value(body: dict[str, Any]) -> str:
    """The pressed button's value; empty when the payload has none (forged or malformed)."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    return str(action.get("value") or "") if isinstance(action, dict) else ""


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What the listener that opened the dialog put in it (`private_metadata`, JSON); empty
    when it is not a JSON object, so a forged value reads as "names nothing"."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def subject_id(value: object, gone: str = GONE) -> int:
    """An ID from a payload, or `NotFound(gone)`: `abc`, `''` and 2**63 name nothing."""
    number = parse_id(value)
    if number is None:
        raise NotFound(gone)
    return number


def account_from_id(account_id: object, context: BoltContext) -> Account:
    """The account a button or a dialog carries, if the clicker may use it at this moment."""
    services: Services = context["services"]
    return account_with_id(
        services.runtime, context["workspace_id"], subject_id(account_id), context["reader"]
    )


def modal_context(view: dict[str, Any]) -> ModalContext:
    """What the commitments modal carries, with its account and meeting read as IDs from
    outside: a forged or stale value is `NotFound`, never a database error."""
    try:
        read = ModalContext.from_metadata(view.get("private_metadata"))
    except (AttributeError, TypeError, ValueError) as error:
        raise NotFound(GONE) from error
    account_id = None if read.account_id is None else subject_id(read.account_id)
    meeting_id = None if read.meeting_id is None else subject_id(read.meeting_id)
    return replace(read, account_id=account_id, meeting_id=meeting_id)


def account_report_from_button(body: dict[str, Any], context: BoltContext) -> AccountReport:
    """The report of the account a report button names, if the clicker may read it."""
    services: Services = context["services"]
    return report_of_account(
        services.runtime,
        context["workspace_id"],
        subject_id(button_value(body)),
        reader=context["reader"],
        now=utc_now(),
        tz=context["tz"],
    )


def review_from_button(body: dict[str, Any], context: BoltContext) -> Review:
    """The scheduled meeting a list button names, if the clicker may change its account."""
    return _review(button_value(body), context)


def review_from_view(view: dict[str, Any], context: BoltContext) -> Review:
    """The meeting a dialog was opened for, checked again when it is submitted."""
    return _review(view_metadata(view).get("meeting_id"), context)


def _review(value: object, context: BoltContext) -> Review:
    meeting_id = subject_id(value, REVIEW_GONE)
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


def commitment_from_button(
    body: dict[str, Any], context: BoltContext, slack: SlackWorkspace
) -> int:
    """The commitment a Done or Snooze button names, if the presser may change it now.

    A refusal names the account only to someone who may see it anyway (the owner who lost
    the team keeps their own item's account name): the rule of `check_change`.
    """
    commitment_id = subject_id(button_value(body), COMMITMENT_GONE)
    services: Services = context["services"]
    check = check_change(services.runtime.sessions, slack, commitment_id, context["user_id"])
    if check.row is None or check.account is None:
        raise NotFound(COMMITMENT_GONE)
    if check.refused:
        raise AccessRefused()
    return commitment_id


def changeable_items(ids: list[int], context: BoltContext, slack: SlackWorkspace) -> bool:
    """Whether the presser may change every commitment a message lists, in this workspace: a
    DM is re-rendered from the database only then, so forged blocks read nobody's items."""
    services: Services = context["services"]
    for commitment_id in ids:
        check = check_change(services.runtime.sessions, slack, commitment_id, context["user_id"])
        if check.row is None or check.refused:
            return False
    return True
