"""What a use case answers when it cannot do what was asked, as exceptions with a reason.

Services raise these; the Slack app turns them into the person's private reply in one place
(`handlers.middleware`), and the terminal prints them. Their text is written for the person
who asked, so it never names an account the person may not see.
"""

from __future__ import annotations


class VocError(Exception):
    """Something the person can act on; `str(error)` is what they are told."""


class NotFound(VocError, LookupError):
    """What was named does not exist (here, or any longer)."""


class BadInput(VocError, ValueError):
    """What was typed cannot be what was meant; the text says what to type instead."""


class AccessRefused(VocError):
    """The person is not on the account's team.

    `account_name` is set only when the person named the account themselves: a button or a
    dialog carries an ID anyone could forge, so refusing one must not tell whose it is.
    """

    def __init__(self, account_name: str | None = None, ask: list[str] | None = None) -> None:
        super().__init__(account_name or "an account")
        self.account_name = account_name
        self.ask = list(ask or [])


class SponsorOverCapacity(VocError):
    """The person named as sponsor already has as many accounts as a sponsor should carry."""


class DialogNotOpened(VocError):
    """Slack answered `views.open` with an error: the person would otherwise see nothing."""

    def __init__(self) -> None:
        super().__init__("Slack did not open the dialog (it answered with an error). Try again.")
