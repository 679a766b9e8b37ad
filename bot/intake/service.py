"""The import use cases: the accounts roster and survey/interview responses, each one transaction.

This is the only module of the room that sees a whole import: it opens the file (`reading`),
validates it (`roster`, `responses`), writes it (`writing`), recomputes the benchmarks it touched
and records the audit entry. Both use cases run inside the caller's session and transaction (the
CLI's `transaction()`, later a Slack upload handler's), so the import, its benchmarks and its
audit entry commit together or not at all. A rejected file raises `ImportRejected` and leaves the
database as it was: a file that fits in one chunk is checked whole before anything is written;
bigger files are written chunk by chunk while they validate, and a problem found later rolls the
session back before the exception leaves this module.

Benchmarks (per segment and for all customers, per cycle) are recomputed here, in SQL, for the
cycles an import touched, so reports read one small row instead of scanning responses.
"""

from __future__ import annotations

import difflib
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from bot import metrics
from bot.core import clock
from bot.core.cycles import cycle_sort_key, cycle_start
from bot.drivers.service import fresh_accumulator, recompute_statistics, refresh_statistics
from bot.figures.held import HeldResponses
from bot.figures.service import plan_recomputation, refresh_cycles
from bot.followups.announce import TouchedCycles, owe_announcements
from bot.followups.opening import FollowupOpener
from bot.followups.rules import FollowupPolicy
from bot.insights import DETRACTOR_MAX, PROMOTER_MIN
from bot.intake.exports import ExportMapping, open_export
from bot.intake.headers import repetitive_response_columns
from bot.intake.hostile import MAX_ATTRIBUTES, cycle_attributes_over_cap
from bot.intake.people import Namesake
from bot.intake.problems import ImportRejected, ProblemLog
from bot.intake.queries import (
    account_names_by_key,
    benchmark_aggregates,
    benchmarked_attributes,
    cycles_answered_by,
    cycles_with_responses_of,
    replace_benchmarks,
)
from bot.intake.reading import Source, Table, open_table
from bot.intake.responses import ResponseValidator
from bot.intake.roster import DEFAULT_SEGMENT, validate_roster
from bot.intake.writing import ResponseWriter, write_roster
from bot.portfolio.champion_news import owe_champion_news
from bot.themes.lexicon import ThemeLexicon
from bot.themes.tagging import CommentTagger
from storage import audit
from storage.bulk import bulk_write_settings
from storage.db import advisory_xact_lock

__all__ = [
    "ImportRejected",
    "ImportSummary",
    "Progress",
    "import_accounts",
    "import_responses",
    "recompute_benchmarks",
]

Progress = Callable[[int, int | None], None]
"""Called after each chunk with (rows done so far, estimated total rows or None)."""


@dataclass
class ImportSummary:
    """What an import did, in numbers a person can check against their file."""

    kind: str
    rows: int
    added: int
    updated: int
    unchanged: int
    accounts_created: int = 0
    cycles: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    new_accounts: list[str] = field(default_factory=list)
    people_added: int = 0
    people_updated: int = 0
    benchmark_rows: int = 0
    seconds: float = 0.0
    followups_opened: int = 0
    # Roster `#name` channels that resolve to no Slack channel yet (they grant nothing), and
    # whether Slack was asked (no token, or Slack busy: not checked).
    missing_channels: list[str] = field(default_factory=list)
    channels_checked: bool = True
    # Survey-tool question columns no field was mapped to (bot.intake.exports).
    unmapped_questions: list[str] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)  # the accounts the file's rows name
    announcements: list[str] = field(default_factory=list)  # ledger keys of what Slack is owed

    def audit_details(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "rows": self.rows,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "accounts_created": self.accounts_created,
            "cycles": self.cycles,
            "ignored_columns": self.ignored_columns,
            "warnings": self.warnings,
            "followups_opened": self.followups_opened,
        }


# ============================================================================================
# Roster


def import_accounts(
    session: Session,
    source: Source,
    *,
    workspace_id: str,
    actor: str,
    filename: str | None = None,
) -> ImportSummary:
    """Load or refresh the accounts roster; accounts are matched by name, never duplicated."""
    started = time.perf_counter()
    table = open_table(source, filename=filename)
    problems = ProblemLog(table.name)
    roster = validate_roster(table, problems)
    problems.raise_if_any()
    one_import_at_a_time(session, workspace_id)
    result = write_roster(session, workspace_id, roster)
    benchmark_rows = 0
    if result.segment_changed_ids:
        cycles = cycles_with_responses_of(session, result.segment_changed_ids)
        benchmark_rows = recompute_benchmarks(session, workspace_id, cycles)
    summary = ImportSummary(
        kind="accounts",
        rows=len(roster.frame),
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        ignored_columns=roster.ignored,
        warnings=list(table.notes),
        source=table.name,
        benchmark_rows=benchmark_rows,
        seconds=time.perf_counter() - started,
    )
    _audit(session, workspace_id, actor, summary)
    return summary


# ============================================================================================
# Responses


def import_responses(
    session: Session,
    source: Source,
    *,
    workspace_id: str,
    cycle: str | None = None,
    create_accounts: bool = False,
    actor: str,
    filename: str | None = None,
    progress: Progress | None = None,
    followups: FollowupPolicy | None = None,
    themes: ThemeLexicon | None = None,
    format: str = "auto",
    mapping: ExportMapping | None = None,
) -> ImportSummary:
    """Load feedback responses; re-importing the same file changes nothing.

    `cycle` labels rows whose cycle cell is blank (or every row, when there is no cycle column).
    With `create_accounts`, accounts missing from the roster are created in segment Unsegmented;
    otherwise they make the file rejected, listed by name. Follow-ups are opened for the
    latest cycle's unhappy voices in the same transaction (`followups` says when they are due).
    Comments are tagged with themes (`themes`: default the built-in lexicon) and a tone.
    `format` and `mapping` read survey-tool exports (`bot.intake.exports`); every path in (the
    CLI, a Slack upload, an interview) comes through here.
    """
    started = time.perf_counter()
    table = open_export(
        source,
        filename=filename,
        format=format,
        mapping=mapping,
        repetitive=repetitive_response_columns,
    )
    validator = ResponseValidator(table, default_cycle=cycle)
    one_import_at_a_time(session, workspace_id)
    writer = ResponseWriter(session, workspace_id, create_accounts=create_accounts)
    fresh_figures = _FreshCycleFigures(validator.attributes)
    driver_moments = fresh_accumulator(writer.segments)

    def on_fresh_rows(rows: pd.DataFrame) -> None:
        fresh_figures.add(rows)
        driver_moments.add(rows)  # the key drivers' statistics, summed the same way

    writer.on_fresh_rows = on_fresh_rows
    held = HeldResponses()  # the account figures take written rows from here, not read back
    writer.on_written_rows = held.add
    policy = followups or FollowupPolicy()
    opener = FollowupOpener(policy)
    touched = TouchedCycles(policy)
    writer.on_rows = touched.watching(opener.add)
    writer.tag_comments = CommentTagger(themes)
    try:
        with bulk_write_settings(session):
            _validate_and_write(table, validator, writer, progress)
        validator.finish()
        _unknown_account_problems(session, workspace_id, writer, validator.problems)
        _cycle_attribute_problems(session, workspace_id, writer, validator)
        validator.problems.raise_if_any()
        writer.finish()
    except ImportRejected:
        if writer.wrote:
            session.rollback()
        raise
    whole, pairs = writer.figures_to_refresh()
    figures = plan_recomputation(session, workspace_id, pairs, whole=whole, held=held)
    with writer.responses_sent_meanwhile():  # the session's connection is the COPY's meanwhile
        computed = figures.computed(session)
    figures.store(session, computed)
    benchmark_rows = _refresh_benchmarks(session, workspace_id, writer, fresh_figures)
    refresh_statistics(
        session, workspace_id, writer.changed_cycles, writer.fresh_cycles, driver_moments
    )
    refresh_cycles(session, workspace_id, writer.moved_cycles)  # their order changed
    opened_at = clock.utc_now()
    opened = opener.open(session, workspace_id, opened_at)
    owed = owe_announcements(session, workspace_id, opened_at, policy, touched)
    if policy.announce:
        owe_champion_news(session, workspace_id, writer.touched_accounts, opened_at)
    counts = writer.counts
    summary = ImportSummary(
        kind="responses",
        rows=validator.rows,
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        accounts_created=len(writer.created_accounts),
        cycles=writer.cycle_labels(),
        ignored_columns=[c for c in validator.columns.ignored if c not in table.unmapped_questions],
        warnings=[
            *_response_warnings(table, validator),
            *_undated_cycle_warnings(writer.cycle_labels()),
            *_namesake_warnings(session, writer.people.namesakes),
        ],
        source=table.name,
        new_accounts=writer.created_accounts,
        people_added=counts.people_added,
        people_updated=counts.people_updated,
        benchmark_rows=benchmark_rows,
        seconds=time.perf_counter() - started,
        followups_opened=opened,
        unmapped_questions=table.unmapped_questions,
        account_ids=sorted(writer.touched_accounts),
        announcements=owed,
    )
    _audit(session, workspace_id, actor, summary)
    return summary


def _cycle_attribute_problems(
    session: Session, workspace_id: str, writer: ResponseWriter, validator: ResponseValidator
) -> None:
    """A cycle's attributes are capped across files too: the report and the benchmarks list
    every attribute of a cycle, and each is aggregated on every later import into it."""
    if not validator.attributes:
        return
    labels = {cycle_id: label for cycle_id, label, _ in writer.cycles.values()}
    for cycle_id in sorted(writer.touched_cycles):
        earlier = benchmarked_attributes(session, workspace_id, [cycle_id])
        rated = set(validator.attributes) | earlier
        if len(rated) > MAX_ATTRIBUTES and len(rated) > len(earlier):  # only a file that adds
            label = labels.get(cycle_id, str(cycle_id))
            validator.problems.file(cycle_attributes_over_cap(label, len(rated)))


def _validate_and_write(
    table: Table, validator: ResponseValidator, writer: ResponseWriter, progress: Progress | None
) -> None:
    """Validate every chunk; write each one only while the file has shown no problem yet.

    After the first problem the rest is still validated (and its unknown accounts listed), so
    the message names every problem in one go rather than one per attempt.
    """
    try:
        for raw in table.chunks:
            clean = validator.validate(raw)
            del raw  # the cells are not needed once validated; keep the peak to one chunk
            if progress is not None:
                progress(validator.rows, table.estimated_rows)
            if not len(clean) or (validator.problems and writer.create_accounts):
                continue
            account_ids = writer.resolve_accounts(clean)
            if not validator.problems and not writer.unknown:
                writer.write(clean, account_ids)
    finally:
        table.close()


def _response_warnings(table: Table, validator: ResponseValidator) -> list[str]:
    warnings = list(table.notes)
    if validator.blank_rows:
        warnings.append(f"skipped {validator.blank_rows} blank rows")
    return warnings


def _undated_cycle_warnings(labels: list[str]) -> list[str]:
    """A label that names no period cannot be placed in time: say where it goes instead of
    letting it quietly decide which cycle a report calls current."""
    return [
        f'cycle "{label}" has no date; it sorts after dated cycles'
        for label in labels
        if cycle_start(label) is None
    ]


def _namesake_warnings(session: Session, namesakes: list[Namesake]) -> list[str]:
    """Identity is the email, else the name, so a row that drops a known person's email makes a
    second person; the importer is told who, so a corrected file can put the email back."""
    if not namesakes:
        return []
    answered = _latest_cycles(cycles_answered_by(session, [n.known_id for n in namesakes]))
    warnings = []
    for namesake in namesakes:
        cycle = answered.get(namesake.known_id)
        when = f" answered {cycle}" if cycle else " is already known"
        warnings.append(
            f'row {namesake.row}: "{namesake.name}" has no email and is a new person, though '
            f'"{namesake.known_name}" <{namesake.known_email}>{when}'
        )
    return warnings


def _latest_cycles(
    answered: list[tuple[int, str, Any]],
) -> dict[int, str]:
    """The last cycle, in cycle order, each person answered."""
    latest: dict[int, tuple[Any, str]] = {}
    for person, label, starts_on in answered:
        key = cycle_sort_key(starts_on, label)
        if person not in latest or key > latest[person][0]:
            latest[person] = (key, label)
    return {person: label for person, (_, label) in latest.items()}


def _unknown_account_problems(
    session: Session, workspace_id: str, writer: ResponseWriter, problems: ProblemLog
) -> None:
    if not writer.unknown:
        return
    names = account_names_by_key(session, workspace_id)
    for key, entry in writer.unknown.items():
        shown = ", ".join(str(row) for row in entry.rows)
        more = f" and {entry.count - len(entry.rows)} more" if entry.count > len(entry.rows) else ""
        where = f"row {shown}" if entry.count == 1 else f"rows {shown}{more}"
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
        suggestion = f'; did you mean "{names[close[0]]}"?' if close else ""
        problems.trailing(f'unknown account "{entry.name}" ({where}){suggestion}')
    problems.hint(
        f"{len(writer.unknown)} accounts are not in the roster: import the roster first "
        "(voc import accounts FILE), correct the names, or pass --create-accounts to create "
        f"them in segment {DEFAULT_SEGMENT}"
    )


def one_import_at_a_time(session: Session, workspace_id: str) -> None:
    """Serialise a workspace's imports on PostgreSQL (SQLite has one writer anyway).

    Two concurrent imports into one cycle could each believe the cycle was empty and compute
    benchmarks from their own rows only; a transaction-scoped advisory lock rules that out.
    `voc forget --cycle` takes it too, so nothing is imported into a cycle while it is emptied.
    """
    digest = hashlib.blake2b(f"voc-import:{workspace_id}".encode(), digest_size=8).digest()
    advisory_xact_lock(session, int.from_bytes(digest, "big", signed=True))


def _audit(session: Session, workspace_id: str, actor: str, summary: ImportSummary) -> None:
    audit.record(
        session,
        workspace_id=workspace_id,
        actor=actor,
        action=f"import_{summary.kind}",
        entity="import",
        entity_id=summary.source[:64] or None,
        details=summary.audit_details(),
    )
    session.flush()
    metrics.count_import_rows(session, summary.kind, summary.rows)


# ============================================================================================
# Benchmarks


def recompute_benchmarks(
    session: Session,
    workspace_id: str,
    cycle_ids: Iterable[int],
    attributes: Iterable[str] = (),
) -> int:
    """Recompute the segment and all-customer rows of these cycles from their stored responses.

    Counts and sums are aggregated in SQL. Attribute means cover `attributes` plus every
    attribute the cycles' benchmark rows already had, which is every attribute any earlier
    import of those cycles brought. Returns the number of rows written.
    """
    cycle_ids = sorted({int(c) for c in cycle_ids})
    if not cycle_ids:
        return 0
    figures = _figures_from_database(session, workspace_id, cycle_ids, attributes)
    recompute_statistics(session, workspace_id, cycle_ids)  # key drivers, same cycles
    return _store_benchmarks(session, workspace_id, cycle_ids, figures)


def _refresh_benchmarks(
    session: Session, workspace_id: str, writer: ResponseWriter, fresh: _FreshCycleFigures
) -> int:
    """Benchmarks of the cycles this import changed.

    A cycle that had no responses before holds exactly the rows just written, whose figures were
    summed chunk by chunk on the way in; only cycles that already had data are aggregated again
    in the database. That keeps a first million-row import from re-reading what it just wrote.
    """
    changed = sorted(writer.changed_cycles)
    if not changed:
        return 0
    from_import = writer.fresh_cycles & writer.changed_cycles
    figures = fresh.figures(from_import, writer.segments)
    others = [c for c in changed if c not in from_import]
    if others:
        figures += _figures_from_database(session, workspace_id, others, fresh.attributes)
    return _store_benchmarks(session, workspace_id, changed, figures)


@dataclass
class _Figures:
    """Additive benchmark figures of one (cycle, segment): counts and sums, never means."""

    respondents: int = 0
    promoters: int = 0
    detractors: int = 0
    answered: int = 0
    satisfaction_sum: float = 0.0
    attribute_sums: dict[str, float] = field(default_factory=dict)
    attribute_counts: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Figures) -> None:
        self.respondents += other.respondents
        self.promoters += other.promoters
        self.detractors += other.detractors
        self.answered += other.answered
        self.satisfaction_sum += other.satisfaction_sum
        for name, total in other.attribute_sums.items():
            self.attribute_sums[name] = self.attribute_sums.get(name, 0.0) + total
            self.attribute_counts[name] = (
                self.attribute_counts.get(name, 0) + other.attribute_counts[name]
            )

    def row(self, workspace_id: str, cycle_id: int, scope: str, segment: str) -> dict[str, Any]:
        means = {
            name: self.attribute_sums[name] / count
            for name, count in sorted(self.attribute_counts.items())
            if count
        }
        return {
            "workspace_id": workspace_id,
            "cycle_id": cycle_id,
            "scope": scope,
            "segment": segment,
            "respondents": self.respondents,
            "promoters": self.promoters,
            "detractors": self.detractors,
            "recommend_answered": self.answered,
            "satisfaction_sum": self.satisfaction_sum,
            "satisfaction_mean": (
                self.satisfaction_sum / self.respondents if self.respondents else None
            ),
            "nps": (
                100.0 * (self.promoters - self.detractors) / self.answered
                if self.answered
                else None
            ),
            "attribute_means": means,
            "computed_at": datetime.now(UTC),
        }


SegmentFigures = tuple[int, str, _Figures]


class _FreshCycleFigures:
    """Sums of the rows written to cycles that were empty, grouped per chunk (vectorised)."""

    def __init__(self, attributes: Sequence[str]) -> None:
        self.attributes = list(attributes)
        self._parts: list[pd.DataFrame] = []

    def add(self, rows: pd.DataFrame) -> None:
        recommend = rows["recommend"].to_numpy(dtype=float, na_value=np.nan)
        columns: dict[str, Any] = {
            "cycle_id": rows["cycle_id"].to_numpy(),
            "account_id": rows["account_id"].to_numpy(),
            "respondents": np.ones(len(rows), dtype=np.int64),
            "promoters": (recommend >= PROMOTER_MIN).astype(np.int64),
            "detractors": (recommend <= DETRACTOR_MAX).astype(np.int64),
            "answered": (~np.isnan(recommend)).astype(np.int64),
            "satisfaction_sum": rows["satisfaction"].to_numpy(dtype=float),
        }
        for name in self.attributes:
            scores = rows[f"rating:{name}"].to_numpy(dtype=float, na_value=np.nan)
            columns[f"sum:{name}"] = np.nan_to_num(scores, nan=0.0)
            columns[f"count:{name}"] = (~np.isnan(scores)).astype(np.int64)
        frame = pd.DataFrame(columns)
        self._parts.append(frame.groupby(["cycle_id", "account_id"], sort=False).sum())

    def figures(self, cycle_ids: set[int], segments: Mapping[int, str]) -> list[SegmentFigures]:
        """Per (cycle, segment); accounts are mapped to segments on the small per-account sums."""
        if not self._parts or not cycle_ids:
            return []
        per_account = pd.concat(self._parts).groupby(level=["cycle_id", "account_id"]).sum()
        accounts = per_account.index.get_level_values("account_id")
        segment = [segments.get(int(a), DEFAULT_SEGMENT) for a in accounts]
        cycles = per_account.index.get_level_values("cycle_id")
        totals = per_account.groupby([cycles, segment]).sum()
        totals.index.names = ["cycle_id", "segment"]
        result = []
        for (cycle_id, segment), record in totals.iterrows():
            if int(cycle_id) not in cycle_ids:
                continue
            result.append(
                (
                    int(cycle_id),
                    str(segment),
                    _Figures(
                        respondents=int(record["respondents"]),
                        promoters=int(record["promoters"]),
                        detractors=int(record["detractors"]),
                        answered=int(record["answered"]),
                        satisfaction_sum=float(record["satisfaction_sum"]),
                        attribute_sums={n: float(record[f"sum:{n}"]) for n in self.attributes},
                        attribute_counts={n: int(record[f"count:{n}"]) for n in self.attributes},
                    ),
                )
            )
        return result


def _figures_from_database(
    session: Session, workspace_id: str, cycle_ids: list[int], attributes: Iterable[str]
) -> list[SegmentFigures]:
    """One aggregate query: per (cycle, segment) counts, sums and per-attribute sums/counts."""
    names = sorted(set(attributes) | benchmarked_attributes(session, workspace_id, cycle_ids))
    result = []
    for record in benchmark_aggregates(session, workspace_id, cycle_ids, names):
        cycle_id, segment, respondents, promoters, detractors, answered, satisfaction = record[:7]
        extra = record[7:]
        figures = _Figures(
            respondents=int(respondents),
            promoters=int(promoters or 0),
            detractors=int(detractors or 0),
            answered=int(answered),
            satisfaction_sum=float(satisfaction or 0.0),
            attribute_sums={n: float(extra[2 * i] or 0.0) for i, n in enumerate(names)},
            attribute_counts={n: int(extra[2 * i + 1]) for i, n in enumerate(names)},
        )
        result.append((int(cycle_id), segment or DEFAULT_SEGMENT, figures))
    return result


def _store_benchmarks(
    session: Session, workspace_id: str, cycle_ids: list[int], figures: list[SegmentFigures]
) -> int:
    """Write segment rows and their "all" totals; delete rows no longer backed by data."""
    totals: dict[int, _Figures] = {}
    rows = []
    for cycle_id, segment, part in sorted(figures, key=lambda item: (item[0], item[1])):
        rows.append(part.row(workspace_id, cycle_id, "segment", segment))
        totals.setdefault(cycle_id, _Figures()).add(part)
    rows.extend(total.row(workspace_id, cycle_id, "all", "") for cycle_id, total in totals.items())
    replace_benchmarks(session, workspace_id, cycle_ids, rows)
    return len(rows)
