"""Report use cases: an account's report by the name a person typed, or by a button's ID.

Each owns its session; `reader=None` is the operator at the terminal, who has the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from bot.accounts.access import Reader
from bot.accounts.service import account_by_id, named_account
from bot.errors import NotFound
from bot.reports.assemble import build_account_report
from bot.reports.model import AccountReport
from bot.reports.rules import UnknownCycle, describe_unknown_cycle
from bot.runtime import Runtime


def account_report(
    runtime: Runtime,
    workspace_id: str,
    query: str,
    *,
    reader: Reader | None,
    now: datetime,
    cycle_label: str | None = None,
    tz: tzinfo = UTC,
) -> AccountReport:
    """`/voc account NAME` and `voc account NAME [--cycle LABEL]`, as read in `tz`.

    For a reader in Slack the people come back as Slack shows them (`shown_to`); the terminal
    gets them as stored and names them itself.
    """
    with runtime.sessions() as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        try:
            report = build_account_report(session, account, cycle_label=cycle_label, now=now, tz=tz)
        except UnknownCycle as error:
            raise NotFound(describe_unknown_cycle(account.name, error)) from error
    return shown_to(reader, report)


def report_of_account(
    runtime: Runtime,
    workspace_id: str,
    account_id: int,
    *,
    reader: Reader,
    now: datetime,
    tz: tzinfo = UTC,
) -> AccountReport:
    """The report a button refers to, checked again: the clicker may not be the requester."""
    with runtime.sessions() as session:
        account = account_by_id(session, runtime, workspace_id, account_id, reader)
        report = build_account_report(session, account, now=now, tz=tz)
    return shown_to(reader, report)


def shown_to(reader: Reader | None, report: AccountReport) -> AccountReport:
    """The report with its people as mentions for a Slack reader, resolved once through the
    reader's directory; unchanged for the terminal (`reader=None`)."""
    if reader is None:
        return report
    return report.with_people(reader.directory.shown)
