"""Report use cases: an account's report by the name a person typed, or by a button's ID.

Each owns its session; `reader=None` is the operator at the terminal, who has the database.
"""

from __future__ import annotations

from datetime import datetime

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
) -> AccountReport:
    """`/voc account NAME` and `voc account NAME [--cycle LABEL]`."""
    with runtime.sessions() as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        try:
            return build_account_report(session, account, cycle_label=cycle_label, now=now)
        except UnknownCycle as error:
            raise NotFound(describe_unknown_cycle(account.name, error)) from error


def report_of_account(
    runtime: Runtime, workspace_id: str, account_id: int, *, reader: Reader, now: datetime
) -> AccountReport:
    """The report a button refers to, checked again: the clicker may not be the requester."""
    with runtime.sessions() as session:
        account = account_by_id(session, runtime, workspace_id, account_id, reader)
        return build_account_report(session, account, now=now)
