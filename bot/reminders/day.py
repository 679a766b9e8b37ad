"""The day's DM job: reminders, follow-ups and escalations, and the parts other rooms owe.

`day_job(planners)` is the scheduler's reminder job. Its read-only half plans the reminders
(`planning.plan_reminders`) and asks each planner for its parts (`bot.reminders.parts`); a part
rides in the reminder DM its person is owed that day, or makes a DM of its own (no reminder
items) when they are owed none. A part whose person's DM of the day went already waits: its
planner keeps owing it on the next working day its window allows. Delivery is `bundle.deliver`
for both, so the day's key (`reminder:<user>:<local date>`) is taken once, whatever it carries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from bot.delivery.jobs import DueItem, Job
from bot.reminders import bundle, planning
from bot.reminders.escalations import plan_escalations
from bot.reminders.parts import DayPart, PartPlanner, planned_parts
from bot.reminders.planning import OwnerReminder
from bot.reminders.queries import item_titles
from bot.runtime import Runtime


def day_job(planners: list[PartPlanner]) -> Job:
    """The reminder job, carrying what `planners` owe people on their working day."""

    def find_due(runtime: Runtime, now: datetime) -> list[DueItem]:
        return find_day_dms(runtime, now, planners)

    return Job(planning.JOB_NAME, find_due, bundle.deliver)


def find_day_dms(runtime: Runtime, now: datetime, planners: list[PartPlanner]) -> list[DueItem]:
    """Every DM of the day owed now, each described for the tick report; nothing is written."""
    parts = planning.without_dm_sent(runtime, planned_parts(runtime, now, planners))
    plans = with_parts(planning.plan_reminders(runtime, now), parts)
    if any(not plan.items and plan.followups is None for plan in plans):
        plans = _with_escalations_alone(runtime, now, plans)
    if not plans:
        return []
    with runtime.sessions() as session:
        titles = item_titles(session, [item.commitment_id for plan in plans for item in plan.items])
    return [
        DueItem(
            job=planning.JOB_NAME,
            key=plan.key,
            workspace_id=plan.workspace_id,
            description=_described(plan, titles),
            payload=plan,
        )
        for plan in plans
    ]


def _with_escalations_alone(
    runtime: Runtime, now: datetime, plans: list[OwnerReminder]
) -> list[OwnerReminder]:
    """A DM made for parts alone also carries the week's escalation owed that day, which
    would otherwise find the day's DM gone and wait a day."""
    alone = [plan for plan in plans if not plan.items and plan.followups is None]
    rest = [plan for plan in plans if plan.items or plan.followups is not None]
    carried = planning.with_escalations(alone, plan_escalations(runtime, now))
    return sorted([*rest, *carried], key=lambda r: (r.send_at, r.workspace_id, r.user_id))


def with_parts(reminders: list[OwnerReminder], parts: list[DayPart]) -> list[OwnerReminder]:
    """Each part in its person's reminder DM of that day, or in a DM of its own: one DM per
    person per day, whatever it carries."""
    owed: dict[tuple[str, str, object], list[DayPart]] = defaultdict(list)
    for part in parts:
        owed[(part.workspace_id, part.user_id, part.day)].append(part)
    merged = []
    for plan in reminders:
        mine = owed.pop((plan.workspace_id, plan.user_id, plan.day), [])
        merged.append(replace(plan, parts=tuple(mine)) if mine else plan)
    merged += [_own_dm(mine) for mine in owed.values()]
    return sorted(merged, key=lambda r: (r.send_at, r.workspace_id, r.user_id))


def _own_dm(parts: list[DayPart]) -> OwnerReminder:
    first = parts[0]
    return OwnerReminder(
        workspace_id=first.workspace_id,
        user_id=first.user_id,
        owners=(),
        tz_name=first.tz_name,
        day=first.day,
        send_at=max(part.send_at for part in parts),
        items=(),
        parts=tuple(parts),
    )


def _described(plan: OwnerReminder, titles: dict[int, str]) -> str:
    lines = [planning.describe(plan, titles)]
    lines += [f"      with the {part.description}" for part in plan.parts]
    return "\n".join(lines)
