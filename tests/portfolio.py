"""Small, hand-readable portfolios for tests, loaded through the real import code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from bot.runtime import Runtime
from storage.db import transaction

AM = "U0AM00001"
SPONSOR = "U0EXEC001"
MEMBER = "U0TEAM001"
OUTSIDER = "U0OUTSIDE"
ADMIN = "U0ADMIN01"


def account_row(name: str, **fields: Any) -> dict[str, Any]:
    row = {
        "account": name,
        "segment": "Enterprise",
        "tier": "strategic",
        "account_manager": AM,
        "exec_sponsor": SPONSOR,
        "team": MEMBER,
        "channel": "C0ACME001",
        "cadence": "quarterly",
    }
    row.update(fields)
    return row


def response_row(
    account: str,
    cycle: str,
    name: str,
    satisfaction: float,
    recommend: float | None = None,
    continue_: float | None = None,
    **fields: Any,
) -> dict[str, Any]:
    row = {
        "account": account,
        "cycle": cycle,
        "respondent": name,
        "email": f"{name.lower().replace(' ', '.')}@{account.split()[0].lower()}.example",
        "title": "CIO",
        "role": "decision_maker",
        "satisfaction": satisfaction,
        "recommend": recommend,
        "continue": continue_,
        "comment": None,
    }
    row.update(fields)
    return row


def load(
    runtime: Runtime,
    accounts: Iterable[dict[str, Any]],
    responses: Iterable[dict[str, Any]] = (),
    workspace_id: str = "local",
) -> None:
    from bot.intake.service import import_accounts, import_responses

    with transaction(runtime.sessions) as session:
        import_accounts(
            session, pd.DataFrame(list(accounts)), workspace_id=workspace_id, actor="test"
        )
    rows = list(responses)
    if rows:
        with transaction(runtime.sessions) as session:
            import_responses(session, pd.DataFrame(rows), workspace_id=workspace_id, actor="test")
