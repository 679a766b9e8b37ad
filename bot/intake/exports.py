"""Survey-tool exports as the tools write them: Qualtrics and SurveyMonkey headers, mappings.

An export is a responses file whose header spans more than one row: Qualtrics writes column
IDs, then question texts, then `{"ImportId": …}`; SurveyMonkey writes question texts, then
sub-answers (`Response`, `Open-Ended Response`, a matrix row's label). This module turns such a
file into the one-row header the responses validator reads, so there is still one importer:
the extra header rows are dropped from the first chunk (data rows keep their real spreadsheet
row numbers), each column gets the name the validator should see, and a mapping file
(`fields: {satisfaction: Q1, respondent: [RecipientFirstName, RecipientLastName]}`) renames
columns or joins several into one. Question columns that end up meaning nothing are listed by
the import summary instead of vanishing with the survey tool's own bookkeeping columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bot.intake.headers import RESPONSE_COLUMNS, header_key
from bot.intake.problems import ImportRejected, quote, reject
from bot.intake.reading import RawChunk, Repetitive, Source, Table, open_table

FORMATS = ("auto", "plain", "qualtrics", "surveymonkey")
MAPPING_MAX_BYTES = 256 * 1024  # a mapping names a few dozen columns; more is not a mapping
_RATING = re.compile(r"^\s*ratings?\s*:\s*(.+?)\s*$", re.IGNORECASE)
_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"\s*:', re.IGNORECASE)
_SUB_ANSWERS = frozenset({"response", "open_ended_response", "other_please_specify"})
_KNOWN = {
    header_key(alias): spec.name
    for spec in RESPONSE_COLUMNS
    for alias in (spec.name, *spec.aliases)
}
# The tools' own bookkeeping columns: not questions, so not listed as unmapped questions.
_TOOL_COLUMNS = frozenset(
    header_key(name)
    for name in [
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration_(in_seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
        "Respondent_ID",
        "Collector_ID",
        "Start_Date",
        "End_Date",
        "IP_Address",
        "Email_Address",
        "First_Name",
        "Last_Name",
        "Custom_Data_1",
    ]
)


@dataclass(frozen=True)
class Mapping:
    """Which export column holds which field: `fields` maps a field to one or more columns."""

    name: str
    fields: dict[str, tuple[str, ...]]


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping file; ImportRejected says what is wrong with it, in one line each."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise reject(f"{path}: no such file")
    if path.stat().st_size > MAPPING_MAX_BYTES:
        raise reject(f"{path.name} is too big for a mapping file (at most 256 KB)", path.name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise reject(f"{path.name} is not UTF-8 text, so it is not a mapping file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise reject(f"{path.name} is not valid YAML{where}", path.name) from None
    return mapping_from(data, path.name)


def mapping_from(data: object, name: str) -> Mapping:
    """A mapping from parsed YAML: `fields:` whose keys are field names, values column names."""
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict) or not fields:
        raise reject(
            f"{name} has no `fields:` mapping (for example `fields: {{satisfaction: Q1}}`)", name
        )
    problems: list[str] = []
    mapped: dict[str, tuple[str, ...]] = {}
    for key, value in fields.items():
        field_name = _field_name(str(key))
        columns = _column_names(value)
        if field_name is None:
            problems.append(
                f'mapping {quote(key)}: "{key}" is not a field of a responses file (fields: '
                f"{', '.join(spec.name for spec in RESPONSE_COLUMNS)}, rating:<attribute>)"
            )
        elif not columns:
            problems.append(f"mapping {quote(key)}: give a column name or a list of them")
        elif field_name in mapped:
            problems.append(f"mapping {quote(key)}: {field_name} is mapped twice")
        else:
            mapped[field_name] = columns
    if problems:
        raise ImportRejected(problems, name=name)
    return Mapping(name, mapped)


def _field_name(key: str) -> str | None:
    rating = _RATING.match(key)
    if rating:
        return f"rating:{rating.group(1)}"
    return _KNOWN.get(header_key(key))


def _column_names(value: object) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or any(not isinstance(v, str | int) or isinstance(v, bool) for v in values):
        return ()
    names = tuple(str(v).strip() for v in values)
    return names if all(names) else ()


# --- opening an export ----------------------------------------------------------------------


@dataclass
class _Column:
    """One column of the export: what the tool calls it, and what the validator will."""

    position: int
    ids: tuple[str, ...]  # what a mapping or the usual names may match: ID, question, label
    shown: str  # how messages and the summary name it
    question: bool  # a survey question, not the tool's bookkeeping
    name: str = ""
    joined: bool = False  # read into a joined field (`respondent: [First, Last]`)


@dataclass
class _Layout:
    kind: str
    extra_rows: int
    columns: list[_Column]
    joins: list[tuple[str, list[int]]] = field(default_factory=list)


def open_export(
    source: Source,
    *,
    filename: str | None = None,
    format: str = "auto",
    mapping: Mapping | None = None,
    repetitive: Repetitive | None = None,
) -> Table:
    """Open a responses file of any supported format as a Table with a one-row header."""
    if format not in FORMATS:
        raise reject(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    table = open_table(source, filename=filename, repetitive=_renaming(repetitive, mapping))
    chunks = iter(table.chunks)
    first = next(chunks, None)
    kind = _detected(table, first, format)
    if kind == "plain" and mapping is None:
        table.chunks = _chained(first, chunks)
        return table
    layout = _layout(table, first, kind)
    _apply_mapping(layout, mapping, table.name)
    _name_the_rest(layout, mapping, table)
    table.header = [column.name for column in layout.columns] + [name for name, _ in layout.joins]
    table.chunks = _reshaped(first, chunks, layout)
    if table.estimated_rows is not None:
        table.estimated_rows = max(table.estimated_rows - layout.extra_rows, 1)
    return table


def _renaming(repetitive: Repetitive | None, mapping: Mapping | None) -> Repetitive | None:
    """The CSV parser's categorical columns, found through the mapping's names for them."""
    if repetitive is None or mapping is None:
        return repetitive
    by_key = {
        header_key(c): f for f, cols in mapping.fields.items() if len(cols) == 1 for c in cols
    }

    def renamed(header: list[str]) -> set[int]:
        return set(repetitive([by_key.get(header_key(text), text) for text in header]))

    return renamed


def _detected(table: Table, first: RawChunk | None, wanted: str) -> str:
    """The format the header rows show; a format asked for that the file lacks is refused."""
    rows = [] if first is None else [_row_texts(first, i) for i in range(min(2, len(first.rows)))]
    qualtrics = len(rows) == 2 and any(_IMPORT_ID.match(text) for text in rows[1])
    monkey = bool(rows) and any(header_key(text) in _SUB_ANSWERS for text in rows[0])
    found = "qualtrics" if qualtrics else "surveymonkey" if monkey else "plain"
    if wanted in ("auto", found) or wanted == "plain":
        return found if wanted == "auto" else wanted
    if wanted == "qualtrics":
        raise reject(
            f'{table.name} is not a Qualtrics export: row 3 should hold {{"ImportId": …}} '
            "under each column (export the responses as CSV with choice text, keeping the "
            "three header rows), or pass --format auto",
            table.name,
        )
    raise reject(
        f"{table.name} is not a SurveyMonkey export: row 2 should hold the sub-answers "
        '("Response", "Open-Ended Response", …) under the questions of row 1, or pass '
        "--format auto",
        table.name,
    )


def _row_texts(chunk: RawChunk, index: int) -> list[str]:
    return [str(value) for value in chunk.cells.iloc[index].tolist()]


def _layout(table: Table, first: RawChunk | None, kind: str) -> _Layout:
    header = table.header
    width = len(header)
    if kind == "qualtrics":
        assert first is not None
        texts = (_row_texts(first, 0) + [""] * width)[:width]
        columns = [
            _Column(
                i,
                _distinct(header[i], texts[i]),
                _qualtrics_shown(header[i], texts[i]),
                header_key(header[i]) not in _TOOL_COLUMNS,
            )
            for i in range(width)
        ]
        return _Layout(kind, 2, columns)
    if kind == "surveymonkey":
        assert first is not None
        subs = (_row_texts(first, 0) + [""] * width)[:width]
        columns = []
        question = ""
        for i in range(width):
            question = header[i].strip() or question
            sub = subs[i].strip()
            label = (
                question if header_key(sub) in _SUB_ANSWERS or not sub else f"{question} | {sub}"
            )
            ids = _distinct(label, question) if label != question else (label,)
            columns.append(_Column(i, ids, label, header_key(question) not in _TOOL_COLUMNS))
        return _Layout(kind, 1, columns)
    return _Layout(
        kind, 0, [_Column(i, (header[i],), header[i].strip(), False) for i in range(width)]
    )


def _distinct(*names: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def _qualtrics_shown(column_id: str, text: str) -> str:
    text = " ".join(text.split())
    column_id = column_id.strip()
    return (
        f"{column_id} {quote(text)}"
        if text and header_key(text) != header_key(column_id)
        else column_id
    )


def _apply_mapping(layout: _Layout, mapping: Mapping | None, name: str) -> None:
    """Name the mapped columns; a mapping naming a column the export lacks refuses the file."""
    if mapping is None:
        return
    problems = []
    for field_name, wanted in mapping.fields.items():
        positions = []
        for column_name in wanted:
            found = [c for c in layout.columns if header_key(column_name) in map(header_key, c.ids)]
            if len(found) == 1:
                positions.append(found[0].position)
            elif not found:
                problems.append(
                    f"{mapping.name}: {field_name} names the column {quote(column_name)}, which "
                    f"{name} does not have (its columns: {_column_list(layout)})"
                )
            else:
                shown = ", ".join(quote(c.shown) for c in found[:5])
                problems.append(
                    f"{mapping.name}: {field_name} names {quote(column_name)}, which is "
                    f"{len(found)} columns ({shown}): name one of them"
                )
        if len(positions) == 1 and len(wanted) == 1:
            layout.columns[positions[0]].name = field_name
        elif len(positions) == len(wanted):
            layout.joins.append((field_name, positions))
            for position in positions:
                layout.columns[position].joined = True
    if problems:
        raise ImportRejected(problems, name=name)


def _column_list(layout: _Layout, limit: int = 12) -> str:
    shown = [quote(c.ids[0]) for c in layout.columns if c.ids][:limit]
    more = len(layout.columns) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def _name_the_rest(layout: _Layout, mapping: Mapping | None, table: Table) -> None:
    """Columns the mapping does not name keep a usual name if they have one; a question that
    means nothing is listed as unmapped, and one that would double a mapped field is let go."""
    taken = {_means(f) for f in mapping.fields} if mapping else set()
    unmapped = []
    for column in layout.columns:
        if column.name or column.joined:
            continue
        usual = next((n for n in column.ids if _means(n) is not None), None)
        meaning = _means(usual) if usual else None
        if meaning is not None and meaning in taken:
            table.notes.append(
                f"column {quote(column.shown)} was not used: the mapping gives {meaning} from "
                "another column"
            )
            continue
        if usual is not None:
            column.name = usual
        elif column.question and column.ids:
            column.name = column.shown  # named in the summary's own line, not as ignored
            unmapped.append(column.shown)
        else:
            column.name = column.ids[0] if column.ids else ""
    table.unmapped_questions = unmapped


def _means(text: str) -> str | None:
    rating = _RATING.match(text)
    if rating:
        return f"rating:{header_key(rating.group(1))}"
    return _KNOWN.get(header_key(text))


def _chained(first: RawChunk | None, rest: Iterator[RawChunk]) -> Iterator[RawChunk]:
    if first is not None:
        yield first
    yield from rest


def _reshaped(
    first: RawChunk | None, rest: Iterator[RawChunk], layout: _Layout
) -> Iterator[RawChunk]:
    """Data chunks without the extra header rows, joined columns appended after the others."""
    if first is not None:
        skip = min(layout.extra_rows, len(first.rows))
        cells = first.cells.iloc[skip:].reset_index(drop=True)
        yield _with_joins(RawChunk(cells, first.rows[skip:]), layout)
    for chunk in rest:
        yield _with_joins(chunk, layout)


def _with_joins(chunk: RawChunk, layout: _Layout) -> RawChunk:
    if not layout.joins:
        return chunk
    width = len(layout.columns)
    cells = chunk.cells.reindex(columns=range(width), fill_value="")
    for offset, (_, positions) in enumerate(layout.joins):
        cells[width + offset] = joined([cells[p] for p in positions])
    return RawChunk(cells, chunk.rows)


def joined(parts: Sequence[pd.Series]) -> np.ndarray:
    """The parts' texts joined with one space, blanks left out (`Ada` + `` + `Lovelace`)."""
    texts = [part.astype(str).str.strip() for part in parts]
    result = texts[0]
    for text in texts[1:]:
        result = (result + " " + text).str.strip()
    if len(texts) > 2:
        result = result.str.replace(r"\s{2,}", " ", regex=True)
    return result.to_numpy(dtype=object)


ExportMapping = Mapping  # the name the import service knows it by

__all__ = ["FORMATS", "ExportMapping", "Mapping", "load_mapping", "mapping_from", "open_export"]
