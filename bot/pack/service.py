"""The pack and the update as use cases: each reads in one session and returns plain data.

`name_of` is how the caller's surface knows people (Slack names through the directory, or the
roster as written); the rules fall back to the function whenever it yields no real name.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from bot.accounts.access import Reader
from bot.accounts.service import named_account
from bot.charts import trend_chart_png
from bot.commitments.queries import commitments_since
from bot.core.cycles import cycle_start
from bot.digests.model import ReviewedCommitment
from bot.errors import NotFound
from bot.meetings.queries import last_review
from bot.pack import queries, rules
from bot.pack.branding import branding, data_uri
from bot.pack.model import CustomerUpdate, ReviewPack
from bot.reports.assemble import build_account_report
from bot.reports.queries import next_cycle_start
from bot.reports.rules import UnknownCycle, describe_unknown_cycle, pick_cycles
from bot.runtime import Runtime
from bot.themes.tagging import tags_of

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def review_pack(
    runtime: Runtime,
    workspace_id: str,
    query: str,
    *,
    reader: Reader | None,
    now: datetime,
    name_of: rules.NameOf,
    cycle_label: str | None = None,
    named: bool = False,
) -> ReviewPack:
    """`voc pack` and `/voc pack`: the account the reader may see, as its customer reads it."""
    settings = runtime.settings
    tz = settings.tz
    with runtime.sessions() as session:
        account = named_account(session, runtime, workspace_id, query, reader)
        try:
            report = build_account_report(session, account, cycle_label=cycle_label, now=now, tz=tz)
        except UnknownCycle as error:
            raise NotFound(describe_unknown_cycle(account.name, error)) from error
        people = [] if named else queries.respondent_names(session, account.id)
        last = last_review(session, account.id, now)
        since = last.starts_at if last is not None else EPOCH
        done = [
            ReviewedCommitment(
                row.id, row.text, row.owner, row.due_on, row.status, row.done_at, row.area
            )
            for row in commitments_since(session, account.id, since)
            if row.status == "done" and row.done_at is not None and row.done_at >= since
        ]
    chart = None
    if report.current is not None and len(report.trend) >= 2:
        chart = data_uri("image/png", trend_chart_png(report, segment=False))
    return rules.review_pack(
        report,
        brand=branding(settings.company_name, settings.logo_file),
        done=sorted((_local(item, tz) for item in done), key=lambda c: (c.done_at, c.id)),
        last_review_on=last.starts_at.astimezone(tz).date() if last is not None else None,
        next_review_at=report.next_meeting_at.astimezone(tz) if report.next_meeting_at else None,
        chart_uri=chart,
        name_of=name_of,
        named=named,
        prepared_on=now.astimezone(tz).date(),
        redact=rules.impersonal([], people),
    )


def _local(item: ReviewedCommitment, tz: tzinfo) -> ReviewedCommitment:
    """The completion moment in the deployment's timezone: its date is the one printed."""
    assert item.done_at is not None
    return replace(item, done_at=item.done_at.astimezone(tz))


def customer_update(
    runtime: Runtime, workspace_id: str, *, now: datetime, cycle_label: str | None = None
) -> CustomerUpdate:
    """`voc update`: one cycle across every customer, naming none of them or their people."""
    settings = runtime.settings
    with runtime.sessions() as session:
        cycles = queries.cycles_answered(session, workspace_id)
        try:
            cycle, _ = pick_cycles(cycles, cycle_label)
        except UnknownCycle as error:
            raise NotFound(_unknown_cycle(error)) from error
        customers, people = queries.answered_counts(session, cycle.id) if cycle else (0, 0)
        comments = queries.comments_of_cycle(session, cycle.id) if cycle else []
        starts_on = (cycle.starts_on or cycle_start(cycle.label)) if cycle is not None else None
        since = (
            datetime.combine(starts_on, datetime.min.time(), tzinfo=settings.tz)
            if starts_on is not None
            else None
        )
        kept = queries.commitments_kept_since(session, workspace_id, since)
        still_open = queries.commitments_open(session, workspace_id)
        accounts, respondents = queries.names_to_hide(session, workspace_id)
        next_cycle_on = next_cycle_start(session, workspace_id)
    redact = rules.impersonal(accounts, respondents)
    brand = branding(settings.company_name, settings.logo_file)
    return CustomerUpdate(
        company=brand.company,
        logo_uri=brand.logo_uri,
        cycle=cycle.label if cycle else None,
        prepared_on=now.astimezone(settings.tz).date(),
        customers=customers,
        people=people,
        themes=rules.theme_counts(
            tags.themes for text, themes, tone in comments if (tags := tags_of(text, themes, tone))
        ),
        done=rules.by_function(kept, redact),
        next=rules.by_function(still_open, redact),
        next_cycle_on=next_cycle_on,
    )


def _unknown_cycle(error: UnknownCycle) -> str:
    labels = ", ".join(error.available) or "none yet"
    return f'no cycle "{error.label}"; cycles with answers: {labels}'
