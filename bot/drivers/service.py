"""Key-driver use cases: the analysis people ask for, and keeping its statistics current.

`key_drivers` owns its session, so the terminal and Slack call it the same way. The other
functions run inside a caller's session: `refresh_statistics`/`recompute_statistics` in the
intake's transaction (the statistics commit with the responses they summarise, like the
benchmarks), `fix_first` inside the account report's assembly.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy.orm import Session

from bot.core.names import name_key
from bot.drivers import queries
from bot.drivers.rules import FIX_FIRST, STRENGTH, DriverAnalysis, analyse
from bot.drivers.statistics import Moments, MomentsBySegment, all_customers
from bot.errors import NotFound
from bot.insights import AttributeGap
from bot.runtime import Runtime

ALL = ("all", "")


def key_drivers(
    runtime: Runtime, workspace_id: str, *, segment: str | None = None, cycle: str | None = None
) -> DriverAnalysis:
    """Drivers of all customers or of one segment, in `cycle` (default: the scope's latest).

    An unknown segment or cycle is refused with the names that exist, never answered empty.
    """
    with runtime.sessions() as session:
        scope = _scope(session, workspace_id, segment)
        cycles = queries.cycles_with_statistics(session, workspace_id, *scope)
        cycle_id, label = _cycle(session, workspace_id, cycles, cycle)
        shown_segment = scope[1] or None
        if cycle_id is None:
            return analyse([], segment=shown_segment, cycle=label)
        moments = queries.stored_moments(session, workspace_id, cycle_id, *scope)
    return analyse(moments, segment=shown_segment, cycle=label)


def _scope(session: Session, workspace_id: str, segment: str | None) -> tuple[str, str]:
    if segment is None or not segment.strip():
        return ALL
    known = queries.segment_names(session, workspace_id)
    for name in known:
        if name_key(name) == name_key(segment):
            return ("segment", name)
    listed = ", ".join(known) or "none yet"
    raise NotFound(f'no segment "{segment.strip()}"; segments: {listed}')


def _cycle(
    session: Session, workspace_id: str, cycles: list[tuple[int, str]], wanted: str | None
) -> tuple[int | None, str | None]:
    if wanted is None:
        return cycles[-1] if cycles else (None, None)
    for cycle_id, label in cycles:
        if label.casefold() == wanted.strip().casefold():
            return cycle_id, label
    labels = queries.cycle_labels(session, workspace_id)
    if any(label.casefold() == wanted.strip().casefold() for label in labels):
        return None, wanted.strip()  # a cycle that exists but has no responses in this scope
    raise NotFound(f'no cycle "{wanted.strip()}"; cycles: {", ".join(labels) or "none yet"}')


def fix_first(
    session: Session,
    workspace_id: str,
    segment: str,
    cycle_id: int,
    account_means: dict[str, float],
) -> list[AttributeGap]:
    """The segment's drivers (important: fix_first or strength) where the account is below the
    segment's mean, biggest gap first; nothing when the segment has too few cases to rank."""
    statistics = queries.stored_statistics(session, workspace_id, cycle_id, "segment", segment)
    gaps = [
        AttributeGap(attribute, mean, performance, mean - performance)
        for attribute, performance in _important_drivers(statistics, segment)
        if (mean := account_means.get(attribute)) is not None and mean < performance
    ]
    return sorted(gaps, key=lambda g: (g.gap, g.attribute))


@functools.lru_cache(maxsize=1024)
def _important_drivers(
    statistics: tuple[queries.StoredStatistic, ...], segment: str
) -> tuple[tuple[str, float], ...]:
    """(attribute, segment mean) of the segment's fix-first and strength drivers, in rank order.

    Kept by the statistics themselves: every report of the segment's accounts in a cycle ranks
    the same drivers, and statistics that change are a different key, so nothing goes stale.
    """
    moments = [queries.as_moments(statistic) for statistic in statistics]
    analysis = analyse(moments, segment=segment, cycle=None, with_stability=False)
    return tuple(
        (d.attribute, d.performance)
        for d in analysis.ranked
        if d.quadrant in (FIX_FIRST, STRENGTH) and d.performance is not None
    )


# --- keeping the statistics current (in the intake's transaction) ---------------------------


def fresh_accumulator(segments: dict[int, str]) -> MomentsBySegment:
    """What the intake feeds the rows it writes into empty cycles, chunk by chunk."""
    return MomentsBySegment(segment_of=segments.get)


def refresh_statistics(
    session: Session,
    workspace_id: str,
    changed: Iterable[int],
    fresh: Iterable[int],
    accumulated: MomentsBySegment,
) -> None:
    """Statistics of the cycles an import changed: a cycle that was empty holds exactly what
    was accumulated on the way in; any other is rebuilt from its stored responses."""
    changed = sorted(set(changed))
    if not changed:
        return
    from_import = set(fresh) & set(changed)
    groups = accumulated.for_cycles(from_import)
    others = [c for c in changed if c not in from_import]
    groups.update(_rebuilt(session, workspace_id, others).groups)
    _store(session, workspace_id, changed, groups)


def recompute_statistics(session: Session, workspace_id: str, cycle_ids: Iterable[int]) -> None:
    """Rebuild the cycles' statistics from their stored responses (a segment changed, say)."""
    cycle_ids = sorted(set(cycle_ids))
    if cycle_ids:
        _store(session, workspace_id, cycle_ids, _rebuilt(session, workspace_id, cycle_ids).groups)


def _rebuilt(session: Session, workspace_id: str, cycle_ids: list[int]) -> MomentsBySegment:
    moments = MomentsBySegment()
    if cycle_ids:
        for chunk in queries.response_chunks(session, workspace_id, cycle_ids):
            moments.add(chunk)
    return moments


def _store(
    session: Session,
    workspace_id: str,
    cycle_ids: list[int],
    groups: dict[tuple[int, str, str], Moments],
) -> None:
    rows = [
        queries.statistic_row(workspace_id, cycle, "segment", segment, part)
        for (cycle, segment, _pattern), part in sorted(groups.items())
    ]
    rows += [
        queries.statistic_row(workspace_id, cycle, *ALL, part)
        for (cycle, _pattern), part in sorted(all_customers(groups).items())
    ]
    queries.replace_statistics(session, workspace_id, cycle_ids, rows)
