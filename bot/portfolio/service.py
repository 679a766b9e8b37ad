"""The executive view: `voc portfolio` and `/voc portfolio` call the same function.

`portfolio` reads the accounts in scope with a few grouped statements (`bot.portfolio.queries`)
and decides with `bot.portfolio.rules`; `portfolio_for_reader` decides whose view a Slack reader
gets at the moment they ask: an admin every strategic and key account, a sponsor their own, and
anyone else a refusal that names no account.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.accounts.access import Reader
from bot.core.identity import person_ref
from bot.errors import BadInput, VocError
from bot.portfolio import queries
from bot.portfolio.rules import (
    ADMIN_TIERS,
    AccountLine,
    Coverage,
    Portfolio,
    Survey,
    coverage,
    ordered,
    sponsors_at_no_review,
    surveys,
)
from bot.reports.rules import CADENCE_DAYS, cycle_order, pick_cycles, review_overdue
from bot.runtime import Runtime
from storage.models import Cycle

NOT_A_SPONSOR = (
    "The portfolio is for executive sponsors and admins, and you sponsor no account yet. "
    "An account's team can name you with `/voc sponsor ACCOUNT @you`."
)


class NotASponsor(VocError):
    """The reader sponsors nothing and is no admin: the refusal names no account."""


def portfolio(
    runtime: Runtime,
    workspace_id: str,
    *,
    sponsor: list[str] | None,
    now: datetime,
    tz: tzinfo,
) -> Portfolio:
    """A sponsor's accounts (any of `sponsor`: their ID and email), or with None every strategic
    and key account. `tz` is the reader's: whether a commitment is overdue depends on whose
    today it is."""
    with runtime.sessions() as session:
        ids = queries.scope(workspace_id, sponsor, ADMIN_TIERS)
        rows = queries.accounts(session, ids)
        surveys = latest_surveys(session, workspace_id, ids, {r.id: r.name for r in rows})
        overdue = queries.overdue_commitments(session, ids, now.astimezone(tz).date())
        past_sla = queries.followups_past_sla(session, ids, now)
        last = queries.last_reviews(session, ids, now)
        upcoming = queries.next_reviews(session, ids, now)
        gaps = _coverage(session, workspace_id, runtime.settings.sponsor_max_accounts, sponsor, now)
    lines = [
        AccountLine(
            account_id=r.id,
            account=r.name,
            segment=r.segment,
            tier=r.tier,
            annual_revenue=r.annual_revenue,
            sponsor=r.exec_sponsor,
            account_manager=r.account_manager,
            survey=surveys.get(r.id, Survey()),
            overdue_commitments=overdue.get(r.id, 0),
            followups_past_sla=past_sla.get(r.id, 0),
            last_review=last.get(r.id),
            next_review=upcoming.get(r.id),
            review_overdue=review_overdue(r.cadence, last.get(r.id), now),
        )
        for r in rows
    ]
    return Portfolio(sponsor[0] if sponsor else None, ordered(lines), gaps)


def portfolio_for_reader(
    runtime: Runtime, workspace_id: str, reader: Reader, *, now: datetime, tz: tzinfo
) -> Portfolio:
    """What `/voc portfolio` shows this reader, decided now (access is never remembered)."""
    if runtime.settings.is_admin(reader.user_id):
        return portfolio(runtime, workspace_id, sponsor=None, now=now, tz=tz)
    email = reader.email()
    who = [reader.user_id, *([email] if email else [])]
    view = portfolio(runtime, workspace_id, sponsor=who, now=now, tz=tz)
    if not view.accounts:
        raise NotASponsor(NOT_A_SPONSOR)
    return view


def sponsor_from_cli(who: str) -> list[str]:
    """`--sponsor WHO`: a Slack user ID or an email, as rosters name people."""
    ref = person_ref(who)
    if ref is None:
        raise BadInput(f'"{who}" is neither a Slack user ID nor an email')
    return [ref]


def _coverage(
    session: Session,
    workspace_id: str,
    max_accounts: int,
    sponsor: list[str] | None,
    now: datetime,
) -> Coverage:
    loads = queries.sponsor_loads(session, workspace_id)
    within = timedelta(days=max(CADENCE_DAYS.values()))
    attended = queries.sponsor_attended_reviews(session, workspace_id, now, within)
    absent = sponsors_at_no_review([who for who, _ in loads], attended, now, CADENCE_DAYS)
    if sponsor is not None:  # a sponsor's own view: only their own gaps are theirs to see
        wanted = {s.lower() for s in sponsor}
        own = [(w, n) for w, n in loads if w.lower() in wanted]
        return coverage([], own, max_accounts, [w for w in absent if w.lower() in wanted])
    unsponsored = queries.strategic_without_sponsor(session, workspace_id)
    return coverage(unsponsored, loads, max_accounts, absent)


def latest_surveys(
    session: Session, workspace_id: str, ids: sa.Select, names: dict[int, str]
) -> dict[int, Survey]:
    """Each account's latest cycle against its previous one, as the account report picks them,
    from the figures stored when the answers arrived (`bot.figures`)."""
    cycles = {cycle.id: cycle for cycle in queries.workspace_cycles(session, workspace_id)}
    by_account: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in queries.cycle_figures(session, ids):
        by_account[row["account_id"]][row["cycle_id"]] = row
    chosen: dict[frozenset[int], tuple[Cycle | None, Cycle | None]] = {}
    latest: dict[int, dict[str, Any]] = {}
    previous: dict[int, dict[str, Any]] = {}
    for account_id, own in by_account.items():
        shape = frozenset(own)  # most accounts share a few cycle sets
        if shape not in chosen:
            chosen[shape] = pick_cycles(sorted((cycles[c] for c in own), key=cycle_order), None)
        now, before = chosen[shape]
        if now is not None:
            latest[account_id] = own[now.id]
        if before is not None:
            previous[account_id] = own[before.id]
    changes = queries.changes_of(session, ids, {a: row["cycle_id"] for a, row in latest.items()})
    for account_id, row in latest.items():
        row["changes"] = changes.get(account_id, {})
    cycles_shown = {
        a: (cycles[row["cycle_id"]].label, cycles[row["cycle_id"]].created_at)
        for a, row in latest.items()
    }
    return surveys(latest, previous, cycles_shown, names)
