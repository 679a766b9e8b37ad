"""Reading, validating and bulk-writing rosters and feedback responses.

The contract is `shared/spec/data-formats.md`. Three layers, in file order:

1. Reading (`open_table`): CSV (UTF-8 with or without BOM, else Windows-1252/Latin-1), XLSX
   (openpyxl, first sheet) or a DataFrame, always handed on as chunks of *text* cells with their
   spreadsheet row numbers. Text, because every message must quote the value the person typed.
2. Validation (`validate_roster`, `ResponseValidator`): vectorised over each chunk. Every problem
   is recorded with row, column and value in a `ProblemLog`; nothing here touches a database.
3. Writing (`write_roster`, `ResponseWriter`): bulk statements through the DBAPI cursor of the
   caller's session, so everything lands in the caller's one transaction. Rows already stored and
   identical are not written at all; new rows go in with `INSERT … ON CONFLICT DO NOTHING`,
   changed rows with `… DO UPDATE`, both built with `sqlalchemy.dialects.<dialect>.insert` and
   compiled once, rows passed as plain tuples to `executemany` (on PostgreSQL new rows are COPied
   into a scratch table first). ORM objects or per-row SQLAlchemy parameter processing would cost
   several times more, and a million rows is the size this has to handle.

Decisions the spec leaves open, documented here once:
- Slash dates: `DD/MM/YYYY` unless the file proves month-first (a value such as `07/25/2026`, the
  first chunk of a file with such dates decides, and later rows must agree). Dotted dates are always
  day-first. Ambiguous dates read day-first are counted in a warning. Bare whole numbers between
  20000 and 80000 in a date column are Excel serial dates (1954–2119), in CSV as well as XLSX.
- Cycle labels that name a period are written one way: `Q3 2026`, `2026 q3` → `2026-Q3`;
  `July 2026`, `2026/07` → `2026-07`; `H2 2026` → `2026-H2`. Other labels are kept as typed (spaces
  collapsed) and matched to existing cycles ignoring case.
- Attribute names from `rating:<attribute>` are sentence case (`Product quality`); words of up to
  four capitals (`SLA`, `UX`) are kept as acronyms.
- Roster columns absent from a file leave existing values alone; a column that is present but blank
  in a row resets that value (no sponsor, default tier, …): the file is the truth for what it shows.
- A person first recorded by name (no email) is matched by that name when a later row adds their
  email, so adding emails to a corrected file updates people instead of doubling them.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.core.clock import utc_now
from bot.core.cycles import cycle_label, cycle_start
from bot.core.identity import channel_ref, is_email, person_ref
from bot.core.names import name_key, squeeze
from storage.bulk import (
    copy_insert,
    dialect_insert,
    executemany,
    fetch_in,
    fetch_rows,
    in_batches,
    python_values,
    update_sql,
    upsert_sql,
)

CHUNK_ROWS = 100_000
MAX_PROBLEMS = 50
SCORE_MIN, SCORE_MAX = 0.0, 10.0
DEFAULT_SEGMENT = "Unsegmented"
TIERS = ("strategic", "key", "standard")
CADENCES = ("monthly", "quarterly")
ROLES = ("decision_maker", "influencer", "user")
SOURCES = ("survey", "interview")
BLANK_TOKENS = frozenset({"", "n/a", "na", "-", "–", "—", "none", "null", "nan"})

Source = str | Path | bytes | bytearray | memoryview | pd.DataFrame | IO[bytes]
Progress = Callable[[int, int | None], None]
"""Called after each chunk with (rows done so far, estimated total rows or None)."""


# ============================================================================================
# Problems


class ImportRejected(Exception):
    """The whole file was refused; `problems` are the lines a person reads to fix it."""

    def __init__(self, problems: list[str], *, name: str | None = None) -> None:
        self.problems = list(problems)
        self.name = name
        super().__init__(self._message())

    def _message(self) -> str:
        subject = f"{self.name} was rejected" if self.name else "The file was rejected"
        return "\n".join([f"{subject}; nothing was imported.", *self.problems])

    def __str__(self) -> str:
        return self._message()


@dataclass(order=True)
class _RowProblem:
    row: int
    order: int
    text: str = field(compare=False)


class ProblemLog:
    """Collects problems across chunks, keeps the first MAX_PROBLEMS by row, counts the rest.

    Row problems are sorted by row so a person fixes the file top to bottom; file-level problems
    (encoding, missing columns, unknown accounts) come first or last as they are raised.
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.count = 0
        self._rows: list[_RowProblem] = []
        self._leading: list[str] = []
        self._trailing: list[str] = []
        self._hints: list[str] = []
        self._order = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def file(self, text: str) -> None:
        self.count += 1
        self._leading.append(text)

    def trailing(self, text: str) -> None:
        self.count += 1
        self._trailing.append(text)

    def hint(self, text: str) -> None:
        if text not in self._hints:
            self._hints.append(text)

    def row(self, row: int, text: str) -> None:
        self.count += 1
        self._order += 1
        self._rows.append(_RowProblem(row, self._order, text))

    def cells(
        self, rows: np.ndarray, column: str, values: Sequence[Any] | np.ndarray, reason: str
    ) -> None:
        """Record one problem per offending cell; only the first few are formatted."""
        total = len(rows)
        if not total:
            return
        keep = min(total, MAX_PROBLEMS)
        for row, value in zip(rows[:keep], list(values[:keep]), strict=True):
            self._order += 1
            self._rows.append(
                _RowProblem(
                    int(row), self._order, f"row {int(row)}, {column}: {quote(value)} {reason}"
                )
            )
        self.count += total
        self._trim()

    def missing(self, rows: np.ndarray, column: str, reason: str = "is empty (required)") -> None:
        total = len(rows)
        for row in rows[:MAX_PROBLEMS]:
            self._order += 1
            self._rows.append(
                _RowProblem(int(row), self._order, f"row {int(row)}, {column}: {reason}")
            )
        self.count += total
        self._trim()

    def _trim(self) -> None:
        if len(self._rows) > 4 * MAX_PROBLEMS:
            self._rows.sort()
            del self._rows[MAX_PROBLEMS:]

    def messages(self) -> list[str]:
        self._rows.sort()
        lines = [*self._leading, *(p.text for p in self._rows), *self._trailing]
        shown = lines[:MAX_PROBLEMS]
        if self.count > len(shown):
            shown.append(f"and {self.count - len(shown)} more problems")
        return shown + self._hints

    def raise_if_any(self) -> None:
        if self.count:
            raise ImportRejected(self.messages(), name=self.name)


def quote(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def reject(text: str, name: str | None = None) -> ImportRejected:
    return ImportRejected([text], name=name)


# ============================================================================================
# Reading


@dataclass
class RawChunk:
    """Text cells of some data rows: columns are header positions, blanks are ""."""

    cells: pd.DataFrame
    rows: np.ndarray


@dataclass
class Table:
    """An opened input: its header cells and a one-shot iterator over data chunks."""

    name: str
    kind: str
    header: list[str]
    chunks: Iterator[RawChunk]
    estimated_rows: int | None = None
    notes: list[str] = field(default_factory=list)


Repetitive = Callable[[list[str]], Iterable[int]]
"""Given the header, the columns whose values repeat a lot (accounts, cycles, scores, dates)."""


def open_table(
    source: Source,
    *,
    filename: str | None = None,
    chunk_rows: int | None = None,
    repetitive: Repetitive | None = None,
) -> Table:
    """Open a CSV, XLSX or DataFrame source; ImportRejected says why one cannot be read.

    CSV columns named by `repetitive` are parsed as pandas categoricals: the parser then hands
    over each distinct text once with integer codes, which is what validation works on anyway.
    """
    chunk_rows = chunk_rows or CHUNK_ROWS
    if isinstance(source, pd.DataFrame):
        return _frame_table(source, filename or "data frame", chunk_rows)
    name, path, data = _source_bytes(source, filename)
    head = _head_bytes(path, data)
    kind = _sniff_kind(head, name)
    if kind == "xlsx":
        return _xlsx_table(path, data, name, chunk_rows)
    return _csv_table(path, data, name, chunk_rows, repetitive)


def _source_bytes(source: Source, filename: str | None) -> tuple[str, Path | None, bytes | None]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise reject(f"{path}: no such file")
        return filename or path.name, path, None
    if isinstance(source, bytes | bytearray | memoryview):
        return filename or "uploaded file", None, bytes(source)
    if hasattr(source, "read"):
        return filename or getattr(source, "name", "uploaded file"), None, source.read()
    raise TypeError(f"cannot import from {type(source).__name__}")


def _head_bytes(path: Path | None, data: bytes | None, size: int = 8192) -> bytes:
    if data is not None:
        return data[:size]
    assert path is not None
    with path.open("rb") as handle:
        return handle.read(size)


_NOT_TABULAR = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
_SAVE_AS = "save it as CSV (UTF-8) or Excel workbook (.xlsx) and import that"


def _sniff_kind(head: bytes, name: str) -> str:
    """Decide by content, not by name: a renamed file still reads, a misnamed one is caught."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise reject(
            f"{name} is an Excel 97-2003 workbook (.xls), not CSV or XLSX: {_SAVE_AS}", name
        )
    for magic, what in _NOT_TABULAR.items():
        if head.startswith(magic):
            raise reject(f"{name} is {what}, not a CSV or XLSX file: {_SAVE_AS}", name)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reject(
            f"{name} is UTF-16 text, an encoding this import cannot read: {_SAVE_AS}", name
        )
    if b"\x00" in head:
        raise reject(f"{name} contains binary data: it is not a CSV or XLSX file. {_SAVE_AS}", name)
    return "csv"


# --- CSV ----------------------------------------------------------------------------------


def _byte_blocks(path: Path | None, data: bytes | None, size: int = 1 << 20) -> Iterator[bytes]:
    if data is not None:
        for start in range(0, len(data), size):
            yield data[start : start + size]
        return
    assert path is not None
    with path.open("rb") as handle:
        while block := handle.read(size):
            yield block


@dataclass
class _TextScan:
    encoding: str
    lines: int
    size: int
    note: str | None = None


def _scan_text(path: Path | None, data: bytes | None, name: str) -> _TextScan:
    """Find the encoding in one streaming pass (and count lines for the progress bar).

    UTF-8 is tried first because valid UTF-8 is almost never an accident. A file that is UTF-8 in
    places and not in others was pasted together from two sources: rather than guess, say where.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = size = 0
    saw_multibyte = False
    failure: tuple[int, int] | None = None
    for block in _byte_blocks(path, data):
        if b"\x00" in block:
            raise reject(
                f"{name} contains binary data (NUL bytes): it is not a CSV file. {_SAVE_AS}", name
            )
        if failure is None and not (block.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                failure = (size + error.start, lines + block[: error.start].count(b"\n") + 1)
                saw_multibyte = saw_multibyte or not block[: error.start].isascii()
            else:
                saw_multibyte = True
        lines += block.count(b"\n")
        size += len(block)
    if failure is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            failure = (size, lines + 1)
    if failure is None:
        return _TextScan("utf-8-sig", lines, size)
    offset, line = failure
    if saw_multibyte:
        raise reject(
            f"{name} could not be read: it is UTF-8 text but byte {offset} (line {line}) is not "
            f"valid UTF-8, so the file mixes two encodings. Open it in a spreadsheet and "
            f"{_SAVE_AS.replace('save it', 'save it again')}",
            name,
        )
    encoding = "cp1252" if _decodes(path, data, "cp1252") else "latin-1"
    label = "Windows-1252 (Latin-1)" if encoding == "cp1252" else "Latin-1"
    return _TextScan(encoding, lines, size, f"read as {label} text: the file is not UTF-8")


def _decodes(path: Path | None, data: bytes | None, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in _byte_blocks(path, data):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses semicolons (European Excel) or tabs."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _first_line(path: Path | None, data: bytes | None, encoding: str) -> str:
    for line in _head_text(path, data, encoding).splitlines():
        if line.strip():
            return line
    return ""


def _head_text(path: Path | None, data: bytes | None, encoding: str) -> str:
    head = _head_bytes(path, data, 1 << 20)
    return head.decode(encoding, errors="replace").lstrip("\ufeff")


def _csv_header(
    path: Path | None, data: bytes | None, encoding: str, separator: str
) -> tuple[list[str], int]:
    """The header cells (first row that is not blank) and how many lines it ends after."""
    reader = csv.reader(io.StringIO(_head_text(path, data, encoding)), delimiter=separator)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            return cells, reader.line_num
    return [], 0


def _csv_table(
    path: Path | None,
    data: bytes | None,
    name: str,
    chunk_rows: int,
    repetitive: Repetitive | None,
) -> Table:
    scan = _scan_text(path, data, name)
    first = _first_line(path, data, scan.encoding)
    if not first.strip(" ,;\t\r\n"):
        raise reject(f"{name} is empty: there is no header row and no data", name)
    separator = _sniff_delimiter(first)
    header, header_lines = _csv_header(path, data, scan.encoding, separator)
    categorical = set(repetitive(header)) if repetitive else set()
    handle: Any = path if path is not None else io.BytesIO(data or b"")
    try:
        reader = _csv_reader(handle, separator, header, header_lines, categorical, scan, chunk_rows)
    except pd.errors.EmptyDataError:
        reader = None  # a header and nothing else: validation says so
    notes = [scan.note] if scan.note else []
    if separator != ",":
        notes.append(f"columns are separated by {'tabs' if separator == chr(9) else 'semicolons'}")
    return Table(
        name=name,
        kind="csv",
        header=header,
        chunks=_csv_chunks(reader, name, first_row=header_lines + 1) if reader else iter(()),
        estimated_rows=max(scan.lines - header_lines, 1),
        notes=notes,
    )


def _csv_reader(
    handle: Any,
    separator: str,
    header: list[str],
    header_lines: int,
    categorical: set[int],
    scan: _TextScan,
    chunk_rows: int,
) -> Any:
    return pd.read_csv(
        handle,
        sep=separator,
        header=None,
        names=list(range(len(header))),  # the header's width, whatever the first row has
        skiprows=header_lines,
        dtype={i: "category" if i in categorical else object for i in range(len(header))},
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        encoding=scan.encoding,
        chunksize=chunk_rows,
        engine="c",
    )


def _csv_chunks(reader: Any, name: str, *, first_row: int) -> Iterator[RawChunk]:
    try:
        for frame in reader:
            rows = frame.index.to_numpy(dtype=np.int64) + first_row
            frame.columns = range(frame.shape[1])
            yield RawChunk(frame.reset_index(drop=True), rows)
    except pd.errors.ParserError as error:
        raise reject(
            f"{name} is not a well-formed CSV file: {_parser_message(error)}", name
        ) from None
    except pd.errors.EmptyDataError:
        raise reject(f"{name} is empty: there is no header row and no data", name) from None
    finally:
        reader.close()


def _parser_message(error: Exception) -> str:
    text = str(error).strip()
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return (
            f"line {line} has {saw} cells but the header has {expected} "
            "(a value containing the separator must be in double quotes)"
        )
    return text


def _split_header(chunks: Iterator[RawChunk], name: str) -> tuple[list[str], RawChunk]:
    """The header is the first row that is not blank; rows above it are ignored."""
    for chunk in chunks:
        blank = _blank_rows(chunk.cells)
        if blank.all():
            continue
        at = int(np.argmin(blank))
        header = [str(value) for value in chunk.cells.iloc[at].tolist()]
        rest = RawChunk(chunk.cells.iloc[at + 1 :].reset_index(drop=True), chunk.rows[at + 1 :])
        return header, rest
    raise reject(f"{name} is empty: there is no header row and no data", name)


def _chain_first(first: RawChunk, rest: Iterator[RawChunk]) -> Iterator[RawChunk]:
    yield first
    yield from rest


def _blank_rows(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty; only rows still blank are looked at in later columns."""
    candidates = np.arange(len(cells))
    for position in cells.columns:
        if not len(candidates):
            break
        values = text_array(cells[position])[candidates]
        candidates = candidates[values == ""]
    blank = np.zeros(len(cells), dtype=bool)
    blank[candidates] = True
    return blank


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_table(path: Path | None, data: bytes | None, name: str, chunk_rows: int) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    handle: Any = path if path is not None else io.BytesIO(data or b"")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        what = _zip_kind(path, data)
        raise reject(
            f"{name} is {what}, not a readable XLSX workbook ({error}). {_SAVE_AS}", name
        ) from None
    if not workbook.worksheets:
        raise reject(f"{name} is empty: the workbook has no sheets", name)
    sheet = workbook.worksheets[0]
    notes = []
    if len(workbook.worksheets) > 1:
        notes.append(
            f'read the first sheet, "{sheet.title}", only (the workbook has '
            f"{len(workbook.worksheets)} sheets)"
        )
    chunks = _xlsx_chunks(workbook, sheet, chunk_rows)
    header, first_chunk = _split_header(chunks, name)
    estimated = (sheet.max_row or 0) - 1 if sheet.max_row else None
    return Table(name, "xlsx", header, _chain_first(first_chunk, chunks), estimated, notes)


def _zip_kind(path: Path | None, data: bytes | None) -> str:
    try:
        archive = zipfile.ZipFile(path if path is not None else io.BytesIO(data or b""))
        names = set(archive.namelist())
    except zipfile.BadZipFile:
        return "a damaged file"
    if "content.xml" in names:
        return "an OpenDocument file"
    if "word/document.xml" in names:
        return "a Word document"
    return "a zip archive"


def _xlsx_chunks(workbook: Any, sheet: Any, chunk_rows: int) -> Iterator[RawChunk]:
    try:
        batch: list[tuple[Any, ...]] = []
        first_row = 1
        for offset, values in enumerate(sheet.iter_rows(min_row=1, values_only=True)):
            if not batch:
                first_row = offset + 1
            batch.append(values)
            if len(batch) >= chunk_rows:
                yield _xlsx_chunk(batch, first_row)
                batch = []
        if batch:
            yield _xlsx_chunk(batch, first_row)
    finally:
        workbook.close()


def _xlsx_chunk(batch: list[tuple[Any, ...]], first_row: int) -> RawChunk:
    width = max((len(values) for values in batch), default=0)
    texts = [
        [cell_text(value) for value in values] + [""] * (width - len(values)) for values in batch
    ]
    cells = pd.DataFrame(texts, columns=range(width), dtype=object)
    rows = np.arange(first_row, first_row + len(batch), dtype=np.int64)
    return RawChunk(cells, rows)


def cell_text(value: Any) -> str:
    """A typed cell (XLSX, DataFrame) as the text a person would see, for parsing and messages."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isnan(number):
            return ""
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, datetime | pd.Timestamp):
        if pd.isna(value):
            return ""
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


# --- DataFrames ---------------------------------------------------------------------------


def _frame_table(frame: pd.DataFrame, name: str, chunk_rows: int) -> Table:
    """A DataFrame is read as if it were a sheet whose header is row 1."""
    frame = _expand_ratings_dicts(frame)
    header = [str(column) for column in frame.columns]
    if frame.empty:
        raise reject(f"{name} has a header but no data rows", name)

    def chunks() -> Iterator[RawChunk]:
        for start in range(0, len(frame), chunk_rows):
            part = frame.iloc[start : start + chunk_rows]
            cells = pd.DataFrame(
                {i: _column_text(part.iloc[:, i]) for i in range(part.shape[1])},
                index=range(len(part)),
            )
            rows = np.arange(start + 2, start + 2 + len(part), dtype=np.int64)
            yield RawChunk(cells, rows)

    return Table(name, "frame", header, chunks(), len(frame))


def _expand_ratings_dicts(frame: pd.DataFrame) -> pd.DataFrame:
    """Accept the `ratings` dict column of insights frames as `rating:<attribute>` columns."""
    if "ratings" not in frame.columns:
        return frame
    dicts = [value if isinstance(value, dict) else {} for value in frame["ratings"].tolist()]
    expanded = pd.DataFrame(dicts, index=frame.index)
    expanded.columns = [f"rating:{column}" for column in expanded.columns]
    return pd.concat([frame.drop(columns=["ratings"]), expanded], axis=1)


def _column_text(column: pd.Series) -> np.ndarray:
    """Typed DataFrame values as text; float columns (the usual case) without a Python loop."""
    if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
        floats = column.to_numpy(dtype=float, na_value=np.nan)
        text = np.full(len(floats), "", dtype=object)
        answered = ~np.isnan(floats)
        whole = answered & (np.abs(floats) < 1e15)
        whole[whole] = floats[whole] == np.floor(floats[whole])
        text[whole] = floats[whole].astype(np.int64).astype(str)
        other = answered & ~whole
        text[other] = [repr(float(v)) for v in floats[other]]
        return text
    return np.array([cell_text(v) for v in column.tolist()], dtype=object)


# ============================================================================================
# Headers


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


ROSTER_COLUMNS = (
    ColumnSpec("account", ("account_name", "customer", "company", "name"), required=True),
    ColumnSpec("segment"),
    ColumnSpec("tier"),
    ColumnSpec("annual_revenue", ("revenue", "arr")),
    ColumnSpec("account_manager", ("am", "owner")),
    ColumnSpec("exec_sponsor", ("executive", "sponsor", "executive_sponsor")),
    ColumnSpec("team", ("account_team",)),
    ColumnSpec("channel", ("slack_channel",)),
    ColumnSpec(
        "cadence",
    ),
)

RESPONSE_COLUMNS = (
    ColumnSpec("account", ("account_name", "customer", "company"), required=True),
    ColumnSpec("cycle", ("wave", "period"), required=True),
    ColumnSpec("respondent", ("name", "contact", "respondent_name", "contact_name"), required=True),
    ColumnSpec("title", ("job_title",)),
    ColumnSpec("email", ("e_mail", "email_address")),
    ColumnSpec(
        "role",
    ),
    ColumnSpec("responded_on", ("date", "response_date")),
    ColumnSpec(
        "source",
    ),
    ColumnSpec("satisfaction", ("overall_satisfaction", "osat"), required=True),
    ColumnSpec("recommend", ("likelihood_to_recommend", "ltr", "nps")),
    ColumnSpec("continue", ("likelihood_to_continue", "repurchase", "renew", "continue_score")),
    ColumnSpec("comment", ("comments", "verbatim")),
)

_RATING_HEADER = re.compile(r"^\s*ratings?\s*:\s*(.+?)\s*$", re.IGNORECASE)


def header_key(text: str) -> str:
    """`Overall Satisfaction`, `overall-satisfaction` and ` overall_satisfaction ` are one key."""
    return re.sub(r"[\s_\-]+", "_", str(text).replace("\ufeff", "").strip().casefold()).strip("_")


def attribute_name(text: str) -> str:
    """Display name of a rated attribute: sentence case, short acronyms (SLA, UX) kept.

    One spelling per attribute matters more than the file's capitalisation: benchmarks average
    an attribute across files, and "Product Quality" and "product quality" must be one attribute.
    A header written all in capitals is shouting, not a string of acronyms.
    """
    cleaned = re.sub(r"[\s_\-]+", " ", text.replace('"', "").replace("\\", "")).strip()
    words = cleaned.split(" ")
    shouting = len(words) > 1 and cleaned.replace(" ", "").isupper()
    shaped = [w if w.isupper() and len(w) <= 4 and not shouting else w.lower() for w in words]
    name = " ".join(shaped)
    return name[:1].upper() + name[1:]


@dataclass
class Columns:
    """Where each known column sits in the file, and what was left out."""

    positions: dict[str, int]
    headers: dict[str, str]
    ratings: dict[str, int]
    ignored: list[str]


def match_columns(
    header: list[str],
    specs: Sequence[ColumnSpec],
    *,
    name: str,
    allow_ratings: bool = False,
    optional_when_given: Sequence[str] = (),
) -> Columns:
    """Map header cells to known columns; reject duplicates and missing required columns."""
    lookup = {
        header_key(alias): spec.name for spec in specs for alias in (spec.name, *spec.aliases)
    }
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ratings: dict[str, int] = {}
    ignored: list[str] = []
    problems = ProblemLog(name)
    for position, raw in enumerate(header):
        text = str(raw).replace("\ufeff", "").strip()
        rating = _RATING_HEADER.match(text) if allow_ratings else None
        if rating:
            attribute = attribute_name(rating.group(1))
            if attribute in ratings:
                problems.file(
                    f"columns {ratings[attribute] + 1} and {position + 1} both rate "
                    f'"{attribute}": keep one'
                )
            ratings[attribute] = position
            continue
        canonical = lookup.get(header_key(text))
        if canonical is None:
            if text:
                ignored.append(text)
            continue
        if canonical in positions:
            problems.file(
                f'columns {positions[canonical] + 1} ("{headers[canonical]}") and {position + 1} '
                f'("{text}") both mean {canonical}: keep one'
            )
            continue
        positions[canonical] = position
        headers[canonical] = text
    missing = [
        spec
        for spec in specs
        if spec.required and spec.name not in positions and spec.name not in optional_when_given
    ]
    for spec in missing:
        also = (
            f" (also accepted: {', '.join(a.replace('_', ' ') for a in spec.aliases)})"
            if spec.aliases
            else ""
        )
        extra = " — or pass --cycle LABEL" if spec.name == "cycle" else ""
        problems.file(f"missing required column: {spec.name}{also}{extra}")
    if missing:
        found = ", ".join(f'"{str(h).strip()}"' for h in header if str(h).strip()) or "nothing"
        problems.file(f"the header row (row 1 of the data) has: {found}")
    problems.raise_if_any()
    return Columns(positions, headers, ratings, ignored)


# ============================================================================================
# Vectorised cell parsing


def _text(cells: pd.DataFrame, columns: Columns, name: str) -> pd.Series | None:
    position = columns.positions.get(name)
    if position is None:
        return None
    return cells[position]


# Full-column string work goes through `map` over object arrays: for the one-to-two-microsecond
# operations used here that is three to four times faster than pandas' `.str` accessor, and it
# is the difference between validation costing more or less than the database insert.


def text_array(values: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
    """Cells as an object array of str."""
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = np.asarray(values.cat.categories, dtype=object)
            return categories[values.cat.codes.to_numpy()]
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object)


def mapped(function: Callable[[Any], Any], values: np.ndarray, dtype: Any = object) -> np.ndarray:
    return np.fromiter(map(function, values), dtype=dtype, count=len(values))


def lengths(values: np.ndarray) -> np.ndarray:
    return mapped(len, values, np.int64)


def distinct(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values): work on the few distinct values, then `derived[codes]`."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        categories = np.asarray(values.cat.categories, dtype=object)
        return values.cat.codes.to_numpy(), categories
    codes, uniques = pd.factorize(text_array(values), use_na_sentinel=False)
    return codes, np.asarray(uniques, dtype=object)


def per_code(codes: np.ndarray, values: np.ndarray, function: Callable[[Any], int]) -> np.ndarray:
    """`function(value)` once per distinct integer code, spread back to every row.

    The validator already numbered accounts and cycles; factorising those integers is far
    cheaper than hashing the strings again.
    """
    dense, uniques = pd.factorize(codes)
    first = np.empty(len(uniques), dtype=np.int64)
    first[dense[::-1]] = np.arange(len(dense))[::-1]
    return np.array([function(value) for value in values[first]], dtype=np.int64)[dense]


def string_hashes(values: np.ndarray) -> np.ndarray:
    """Python's own str hash per cell (stable within the process, which is all we need)."""
    return mapped(hash, values, np.int64)


def mix(hashes: np.ndarray, *codes: np.ndarray) -> np.ndarray:
    """Combine a hash column with small integer codes into one 64-bit key (wrapping)."""
    key = hashes.astype(np.int64).view(np.uint64)
    for part in codes:
        key = key * np.uint64(1_000_003) + np.asarray(part).astype(np.uint64)
    return key.view(np.int64)


@dataclass
class Scores:
    values: np.ndarray  # float64, NaN when not answered
    not_number: np.ndarray  # bool
    out_of_range: np.ndarray  # bool
    blank: np.ndarray  # bool


def parse_scores(raw: pd.Series | np.ndarray) -> Scores:
    """0–10 scores, parsed once per distinct cell text (a score column has a dozen)."""
    codes, uniques = distinct(raw)
    scores = _parse_score_texts(uniques)
    return Scores(
        scores.values[codes],
        scores.not_number[codes],
        scores.out_of_range[codes],
        scores.blank[codes],
    )


def _parse_score_texts(text: np.ndarray) -> Scores:
    """A score column has a dozen distinct texts: plain Python per text is cheapest here."""
    cleaned = [str(value).strip() for value in text]
    blank = np.array([value.casefold() in BLANK_TOKENS for value in cleaned], dtype=bool)
    values = np.array(
        [np.nan if empty else _score_number(v) for v, empty in zip(cleaned, blank, strict=True)]
    )
    not_number = np.isnan(values) & ~blank
    answered = ~np.isnan(values)
    out_of_range = np.zeros(len(text), dtype=bool)
    out_of_range[answered] = (values[answered] < SCORE_MIN) | (values[answered] > SCORE_MAX)
    return Scores(values, not_number, out_of_range, blank)


def _score_number(text: str) -> float:
    """`8`, `7.5`, `7,5` (decimal comma); NaN when it is not a number at all."""
    if re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return np.nan
    return number


def check_scores(
    raw: pd.Series, rows: np.ndarray, column: str, problems: ProblemLog, *, required: bool
) -> np.ndarray:
    """Scores of one column as floats (NaN: not answered or invalid); problems recorded."""
    scores = parse_scores(raw)
    cells = text_array(raw)
    problems.cells(
        rows[scores.not_number], column, cells[scores.not_number], "is not a number 0–10"
    )
    problems.cells(rows[scores.out_of_range], column, cells[scores.out_of_range], "is outside 0–10")
    if required:
        problems.missing(rows[scores.blank], column, "is empty (required, 0–10)")
    values = scores.values
    values[scores.not_number | scores.out_of_range] = np.nan
    return values


_EXCEL_EPOCH = np.datetime64("1899-12-30")
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NAMED_MONTH_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b, %Y",
)


@dataclass
class DateOrder:
    """The file-wide reading of `a/b/yyyy` dates, decided once and kept for every later row."""

    month_first: bool | None = None
    ambiguous: int = 0
    example: str | None = None

    def decide(self, first: np.ndarray, second: np.ndarray) -> None:
        if self.month_first is not None or not len(first):
            return
        day_first_proof = bool((first > 12).any())
        month_first_proof = bool((second > 12).any())
        self.month_first = month_first_proof and not day_first_proof

    @property
    def reading(self) -> str:
        return "MM/DD/YYYY (month first)" if self.month_first else "DD/MM/YYYY (day first)"


@dataclass
class _ParsedDates:
    dates: np.ndarray  # datetime64[D], NaT when blank or invalid
    bad: np.ndarray
    wrong_order: np.ndarray
    ambiguous: np.ndarray


def parse_dates(
    raw: pd.Series, rows: np.ndarray, column: str, problems: ProblemLog, order: DateOrder
) -> np.ndarray:
    """Dates as datetime64[D] (NaT when blank or invalid), parsed once per distinct text."""
    codes, uniques = distinct(raw)
    texts = pd.Series(uniques, dtype=object).astype(str)
    parsed = _parse_date_texts(texts, order)
    counts = np.bincount(codes, minlength=len(uniques))
    order.ambiguous += int(counts[parsed.ambiguous].sum())
    if parsed.ambiguous.any() and order.example is None:
        order.example = str(texts[parsed.ambiguous].iloc[0])
    wrong = (parsed.bad & parsed.wrong_order)[codes]
    invalid = (parsed.bad & ~parsed.wrong_order)[codes]
    cells = text_array(raw)
    problems.cells(
        rows[wrong],
        column,
        cells[wrong],
        f"does not fit the file's other dates, read as {order.reading}; write YYYY-MM-DD",
    )
    problems.cells(rows[invalid], column, cells[invalid], "is not a date (write YYYY-MM-DD)")
    return parsed.dates[codes]


def _parse_date_texts(text: pd.Series, order: DateOrder) -> _ParsedDates:
    n = len(text)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").to_numpy(
        dtype="datetime64[D]", copy=True
    )
    wrong_order = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    cleaned = text.str.strip()
    blank = cleaned.str.casefold().isin(BLANK_TOKENS).to_numpy()
    pending = np.isnat(dates) & ~blank
    if pending.any():
        positions = np.flatnonzero(pending)
        rest = cleaned[pending]
        parsed = np.full(len(rest), np.datetime64("NaT"), dtype="datetime64[D]")
        for parse in (_iso_with_time, _excel_serials, _year_first, _named_months):
            todo = np.isnat(parsed)
            if not todo.any():
                break
            parsed[todo] = parse(rest[todo])
        todo = np.isnat(parsed)
        if todo.any():
            dmy, mismatch, unclear = _day_month_year(rest[todo], order)
            parsed[todo] = dmy
            wrong_order[positions[np.flatnonzero(todo)[mismatch]]] = True
            ambiguous[positions[np.flatnonzero(todo)[unclear]]] = True
        dates[positions] = parsed
    bad = np.isnat(dates) & ~blank
    return _ParsedDates(dates, bad, wrong_order, ambiguous)


def _iso_with_time(text: pd.Series) -> np.ndarray:
    """`2026-07-01T09:30:00+02:00` and friends: the date part, in UTC when an offset is given."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    looks = text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d").to_numpy(dtype=bool)
    if looks.any():
        moments = pd.to_datetime(text[looks], format="ISO8601", errors="coerce", utc=True)
        out[looks] = moments.dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    return out


def _excel_serials(text: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    plausible = (numbers >= 20000) & (numbers <= 80000)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    out[plausible] = _EXCEL_EPOCH + np.floor(numbers[plausible]).astype("timedelta64[D]")
    return out


def _from_parts(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"year": year, "month": month, "day": day})
    return pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[D]")


def _year_first(text: pd.Series) -> np.ndarray:
    parts = text.str.extract(_YMD)
    ok = parts[0].notna().to_numpy()
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    if ok.any():
        numbers = parts[ok].astype(int)
        out[ok] = _from_parts(numbers[0].to_numpy(), numbers[1].to_numpy(), numbers[2].to_numpy())
    return out


def _named_months(text: pd.Series) -> np.ndarray:
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    has_letters = text.str.contains(r"[A-Za-z]", regex=True).to_numpy(dtype=bool)
    for fmt in _NAMED_MONTH_FORMATS:
        todo = np.isnat(out) & has_letters
        if not todo.any():
            break
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce").to_numpy(
            dtype="datetime64[D]"
        )
    return out


def _day_month_year(text: pd.Series, order: DateOrder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`a/b/y`, `a.b.y`, `a-b-y` → (dates, contradicts the file's order, readable both ways)."""
    parts = text.str.extract(_DMY)
    ok = parts[0].notna().to_numpy()
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    mismatch = np.zeros(len(text), dtype=bool)
    unclear = np.zeros(len(text), dtype=bool)
    if not ok.any():
        return out, mismatch, unclear
    first = parts.loc[ok, 0].astype(int).to_numpy()
    second = parts.loc[ok, 2].astype(int).to_numpy()
    year = parts.loc[ok, 3].astype(int).to_numpy()
    year = np.where(year < 100, year + 2000, year)
    dotted = (parts.loc[ok, 1] == ".").to_numpy()
    order.decide(first[~dotted], second[~dotted])
    month_first = bool(order.month_first) & ~dotted
    day = np.where(month_first, second, first)
    month = np.where(month_first, first, second)
    out[ok] = _from_parts(year, month, day)
    where = np.flatnonzero(ok)
    mismatch[where] = np.isnat(out[ok]) & (month > 12) & (month <= 31) & (day <= 12)
    unclear[where] = (first <= 12) & (second <= 12) & (first != second) & ~dotted
    return out, mismatch, unclear


_MONEY_SUFFIX = {"k": 1e3, "m": 1e6, "mm": 1e6, "bn": 1e9, "b": 1e9}
_MONEY = re.compile(r"^([0-9]*\.?[0-9]+)\s*(k|m|mm|bn|b)?$")


def money(value: str) -> float | None:
    """`1,200,000`, `$1.2M`, `€ 450k`, `1 200 000` → a number; None when it is not money."""
    text = re.sub(r"[\s$€£¥,\u00a0\u202f']", "", value.strip().casefold())
    text = re.sub(r"^(usd|eur|gbp)|(usd|eur|gbp)$", "", text)
    match = _MONEY.match(text)
    if not match:
        return None
    return float(match.group(1)) * _MONEY_SUFFIX.get(match.group(2) or "", 1.0)


# ============================================================================================
# Roster validation


@dataclass
class RosterRows:
    """Valid roster rows, one per account, and which optional columns the file had."""

    frame: pd.DataFrame
    present: set[str]
    ignored: list[str]


def validate_roster(table: Table, problems: ProblemLog) -> RosterRows:
    """Check every roster row; a roster is small, so all of it is held at once."""
    columns = match_columns(table.header, ROSTER_COLUMNS, name=table.name)
    parts = []
    for chunk in table.chunks:
        keep = ~_blank_rows(chunk.cells)
        parts.append(RawChunk(chunk.cells[keep], chunk.rows[keep]))
    rows = np.concatenate([p.rows for p in parts]) if parts else np.array([], dtype=np.int64)
    if not len(rows):
        raise reject(f"{table.name} has a header but no data rows", table.name)
    cells = pd.concat([p.cells for p in parts], ignore_index=True)
    out: dict[str, Any] = {"row": rows}

    names = mapped(squeeze, text_array(_text(cells, columns, "account")))
    out["name"] = names
    out["name_key"] = mapped(name_key, names)
    empty = names == ""
    problems.missing(rows[empty], "account")
    check_length(names, rows, "account", 200, problems)
    _duplicate_names(object_frame(out, len(rows))[~empty], problems)

    out["segment"] = _roster_segment(cells, columns, rows, problems)
    out["tier"] = _vocabulary(cells, columns, "tier", TIERS, "standard", rows, problems)
    out["cadence"] = _vocabulary(
        cells, columns, "cadence", CADENCES, "quarterly", rows, problems, _CADENCE_ALIASES
    )
    out["annual_revenue"] = _revenue(cells, columns, rows, problems)
    for column in ("account_manager", "exec_sponsor"):
        out[column] = _people_column(cells, columns, column, rows, problems)
    out["team"] = _team(cells, columns, rows, problems)
    out["channel"] = _channel(cells, columns, rows, problems)
    return RosterRows(object_frame(out, len(rows)), set(columns.positions), columns.ignored)


_CADENCE_ALIASES = {"month": "monthly", "quarter": "quarterly"}


def check_length(
    values: np.ndarray, rows: np.ndarray, column: str, limit: int, problems: ProblemLog
) -> None:
    """Longer than the column holds: PostgreSQL would refuse it, so say which cell."""
    long = lengths(values) > limit
    problems.cells(rows[long], column, values[long], f"is longer than {limit} characters")


def _duplicate_names(frame: pd.DataFrame, problems: ProblemLog) -> None:
    repeated = frame[frame["name_key"].duplicated(keep=False)]
    for _, group in repeated.groupby("name_key", sort=False):
        first_row = int(group["row"].iloc[0])
        for row, name in zip(group["row"].iloc[1:], group["name"].iloc[1:], strict=True):
            problems.row(
                int(row),
                f'rows {first_row} and {int(row)} both name the account "{name}" '
                "(names are matched ignoring case and spacing): one row per account",
            )


def _constant(value: Any, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = [value] * n
    return out


def object_frame(columns: dict[str, Any], n: int) -> pd.DataFrame:
    """A DataFrame that keeps text columns as plain object arrays.

    pandas 3 would otherwise turn every object array of strings into its string dtype, which
    costs a full scan per column, makes every later element access slower, and turns None into
    NaN (which PostgreSQL would store as the text "NaN").
    """
    data: dict[str, Any] = {}
    for name, value in columns.items():
        if np.ndim(value) == 0:
            value = np.full(n, value) if isinstance(value, float) else _constant(value, n)
        array = np.asarray(value)
        data[name] = pd.Series(array, dtype=object) if array.dtype == object else array
    return pd.DataFrame(data)


def _roster_segment(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = _text(cells, columns, "segment")
    if raw is None:
        return _constant(DEFAULT_SEGMENT, len(rows))
    values = mapped(squeeze, text_array(raw))
    check_length(values, rows, "segment", 100, problems)
    values[values == ""] = DEFAULT_SEGMENT
    return values


def _vocabulary(
    cells: pd.DataFrame,
    columns: Columns,
    column: str,
    allowed: Sequence[str],
    default: str | None,
    rows: np.ndarray,
    problems: ProblemLog,
    aliases: dict[str, str] | None = None,
) -> np.ndarray:
    """Words from a fixed list, matched like headers (`Decision maker` is decision_maker)."""
    raw = _text(cells, columns, column)
    if raw is None:
        return _constant(default, len(rows))
    table = {value: value for value in allowed} | (aliases or {})
    codes, uniques = distinct(raw)
    keys = [header_key(v) for v in uniques]
    words = np.array([table.get(k, default if k == "" else None) for k in keys], dtype=object)
    bad = np.array([k != "" and k not in table for k in keys], dtype=bool)[codes]
    problems.cells(rows[bad], column, text_array(raw)[bad], f"is not one of {', '.join(allowed)}")
    return words[codes]


def _revenue(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = _text(cells, columns, "annual_revenue")
    if raw is None:
        return _constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    blank = np.isin(mapped(str.casefold, text), list(BLANK_TOKENS))
    values = _constant(None, len(rows))
    values[~blank] = [money(v) for v in text[~blank]]
    bad = ~blank & pd.isna(values)
    problems.cells(
        rows[bad], "annual_revenue", text[bad], "is not an amount (e.g. 1200000 or $1.2M)"
    )
    return values


def _people_column(
    cells: pd.DataFrame, columns: Columns, column: str, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = _text(cells, columns, column)
    if raw is None:
        return _constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    refs = _constant(None, len(rows))
    given = text != ""
    refs[given] = [person_ref(v) for v in text[given]]
    bad = given & pd.isna(refs)
    problems.cells(rows[bad], column, text[bad], "is not a Slack user ID (U…/W…) or an email")
    return refs


def _team(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = _text(cells, columns, "team")
    team = np.empty(len(rows), dtype=object)
    team[:] = [[] for _ in rows]
    if raw is None:
        return team
    for position, (row, cell) in enumerate(zip(rows, text_array(raw), strict=True)):
        refs: list[str] = []
        for part in (p for p in re.split(r"[\s,;]+", cell) if p):
            ref = person_ref(part)
            if ref is None:
                problems.cells(
                    np.array([row]), "team", [part], "is not a Slack user ID (U…/W…) or an email"
                )
            elif ref not in refs:
                refs.append(ref)
        team[position] = refs
    return team


def _channel(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = _text(cells, columns, "channel")
    if raw is None:
        return _constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    refs = _constant(None, len(rows))
    given = text != ""
    refs[given] = [channel_ref(v) for v in text[given]]
    bad = given & pd.isna(refs)
    problems.cells(rows[bad], "channel", text[bad], "is not a channel ID (C…/G…) or #name")
    return refs


# ============================================================================================
# Response validation


RESPONSE_LIMITS = {"account": 200, "respondent": 200, "title": 200, "email": 320, "cycle": 50}
_ROLE_ALIASES = {
    "decisionmaker": "decision_maker",
    "decision_makers": "decision_maker",
    "end_user": "user",
    "enduser": "user",
    "users": "user",
    "influencers": "influencer",
}
_SOURCE_ALIASES = {"surveys": "survey", "interviews": "interview"}


_REPETITIVE_RESPONSE_COLUMNS = frozenset(
    {"account", "cycle", "title", "role", "source", "responded_on"}
    | {"satisfaction", "recommend", "continue"}
)


def repetitive_response_columns(header: list[str]) -> set[int]:
    """Columns of a responses file with few distinct values: read as categoricals."""
    lookup = {
        header_key(alias): spec.name
        for spec in RESPONSE_COLUMNS
        for alias in (spec.name, *spec.aliases)
    }
    return {
        position
        for position, text in enumerate(header)
        if lookup.get(header_key(text)) in _REPETITIVE_RESPONSE_COLUMNS
        or _RATING_HEADER.match(str(text))
    }


class ResponseValidator:
    """Validates response chunks one by one, keeping what must be checked across the file."""

    def __init__(self, table: Table, *, default_cycle: str | None) -> None:
        self.table = table
        self.problems = ProblemLog(table.name)
        self.columns = match_columns(
            table.header,
            RESPONSE_COLUMNS,
            name=table.name,
            allow_ratings=True,
            optional_when_given=("cycle",) if default_cycle else (),
        )
        self.default_cycle = cycle_label(default_cycle) if default_cycle else None
        self.dates = DateOrder()
        self.blank_rows = 0
        self.rows = 0
        self._key_hashes: list[np.ndarray] = []
        self._key_rows: list[np.ndarray] = []
        self._cycle_spelling: dict[str, str] = {}
        self._account_codes: dict[str, int] = {}
        self._cycle_codes: dict[str, int] = {}
        # Emails recur once per cycle: each distinct valid one is checked once per import.
        self._valid_emails: set[str] = set()

    @property
    def attributes(self) -> list[str]:
        return sorted(self.columns.ratings)

    def validate(self, chunk: RawChunk) -> pd.DataFrame:
        """A clean frame for the chunk's non-blank rows; problems go to `self.problems`."""
        keep = ~_blank_rows(chunk.cells)
        self.blank_rows += int((~keep).sum())
        cells = chunk.cells[keep].reset_index(drop=True) if not keep.all() else chunk.cells
        rows = chunk.rows[keep]
        self.rows += len(rows)
        out: dict[str, Any] = {"row": rows}
        if not len(rows):
            return object_frame(out, 0)
        self._accounts(cells, rows, out)
        self._cycles(cells, rows, out)
        self._people(cells, rows, out)
        self._vocabularies(cells, rows, out)
        self._scores(cells, rows, out)
        self._texts(cells, rows, out)
        self._responded_on(cells, rows, out)
        self._duplicates(out)
        return object_frame(out, len(rows))

    def _column(self, cells: pd.DataFrame, name: str) -> np.ndarray | None:
        raw = _text(cells, self.columns, name)
        return None if raw is None else text_array(raw)

    def _accounts(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = _text(cells, self.columns, "account")
        assert raw is not None
        codes, uniques = distinct(raw)
        names = np.array([squeeze(v) for v in uniques], dtype=object)
        keys = np.array([name_key(v) for v in names], dtype=object)
        out["account"] = names[codes]
        out["account_key"] = keys[codes]
        out["account_code"] = np.array([self._code(self._account_codes, k) for k in keys])[codes]
        self.problems.missing(rows[(names == "")[codes]], "account")
        long = (lengths(names) > RESPONSE_LIMITS["account"])[codes]
        if long.any():
            self.problems.cells(
                rows[long], "account", text_array(raw)[long], "is longer than 200 characters"
            )

    @staticmethod
    def _code(table: dict[str, int], key: str) -> int:
        return table.setdefault(key, len(table))

    def _cycles(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = _text(cells, self.columns, "cycle")
        if raw is None:
            out["cycle"] = _constant(self.default_cycle, len(rows))
            out["cycle_code"] = np.zeros(len(rows), dtype=np.int64)
            return
        codes, uniques = distinct(raw)
        labels = np.array([self._one_cycle_spelling(v) for v in uniques], dtype=object)
        empty = labels == ""
        if self.default_cycle:
            labels[empty] = self.default_cycle
        else:
            self.problems.missing(
                rows[empty[codes]], "cycle", "is empty (required, or pass --cycle)"
            )
        long = (lengths(labels) > RESPONSE_LIMITS["cycle"])[codes]
        if long.any():
            self.problems.cells(
                rows[long], "cycle", text_array(raw)[long], "is longer than 50 characters"
            )
        out["cycle"] = labels[codes]
        label_codes = np.array([self._code(self._cycle_codes, str(v).casefold()) for v in labels])
        out["cycle_code"] = label_codes[codes]

    def _one_cycle_spelling(self, text: str) -> str:
        """First spelling seen wins among labels equal but for case (`Pilot` / `pilot`)."""
        label = cycle_label(text)
        return self._cycle_spelling.setdefault(label.casefold(), label) if label else ""

    def _people(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        """Display name as typed (trimmed); identity is the email, or the name when none."""
        raw_names = self._column(cells, "respondent")
        assert raw_names is not None
        names = mapped(str.strip, raw_names)
        self.problems.missing(rows[names == ""], "respondent")
        check_length(names, rows, "respondent", RESPONSE_LIMITS["respondent"], self.problems)
        out["respondent"] = names
        raw_emails = self._column(cells, "email")
        if raw_emails is None:
            emails = _constant(None, len(rows))
            has_email = np.zeros(len(rows), dtype=bool)
        else:
            emails = mapped(str.lower, mapped(str.strip, raw_emails))
            has_email = emails != ""
            valid = self._emails_valid(emails) | ~has_email
            self.problems.cells(
                rows[~valid], "email", raw_emails[~valid], "is not an email address"
            )
            check_length(emails, rows, "email", RESPONSE_LIMITS["email"], self.problems)
            emails[~has_email] = None
        out["email"] = emails
        person_keys = emails.copy()
        person_keys[~has_email] = mapped(name_key, names[~has_email])
        out["person_key"] = person_keys
        out["person_hash"] = string_hashes(person_keys)

    def _emails_valid(self, emails: np.ndarray) -> np.ndarray:
        known = self._valid_emails
        valid = mapped(known.__contains__, emails, bool)
        unknown = ~valid
        if unknown.any():
            if len(known) > 2_000_000:
                known.clear()  # bounded memory for enormous files; correctness is unaffected
            fresh = emails[unknown]
            verdict = {email: is_email(email) for email in set(fresh.tolist())}
            known.update(email for email, ok in verdict.items() if ok)
            valid[unknown] = mapped(verdict.__getitem__, fresh, bool)
        return valid

    def _vocabularies(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        out["role"] = _vocabulary(
            cells, self.columns, "role", ROLES, None, rows, self.problems, _ROLE_ALIASES
        )
        out["source"] = _vocabulary(
            cells, self.columns, "source", SOURCES, "survey", rows, self.problems, _SOURCE_ALIASES
        )

    def _scores(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        for column, required in (("satisfaction", True), ("recommend", False), ("continue", False)):
            raw = _text(cells, self.columns, column)
            if raw is None:
                out[column] = np.nan
                continue
            out[column] = check_scores(raw, rows, column, self.problems, required=required)
        ratings = {}
        for attribute, position in self.columns.ratings.items():
            header = self.table.header[position].strip()
            label = f"rating:{header.split(':', 1)[1].strip()}" if ":" in header else header
            ratings[attribute] = check_scores(
                cells[position], rows, label, self.problems, required=False
            )
            out[f"rating:{attribute}"] = ratings[attribute]
        out["ratings"] = ratings_json(ratings, len(rows))

    def _texts(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        title = _text(cells, self.columns, "title")
        if title is None:
            out["title"] = None
        else:
            codes, uniques = distinct(title)
            titles = np.array([squeeze(v) for v in uniques], dtype=object)
            long = (lengths(titles) > RESPONSE_LIMITS["title"])[codes]
            if long.any():
                self.problems.cells(
                    rows[long], "title", text_array(title)[long], "is longer than 200 characters"
                )
            titles[titles == ""] = None
            out["title"] = titles[codes]
        comment = self._column(cells, "comment")
        if comment is None:
            out["comment"] = None
        else:
            comments = comment.copy()
            comments[(comment == "") | mapped(str.isspace, comment, bool)] = None
            out["comment"] = comments

    def _responded_on(self, cells: pd.DataFrame, rows: np.ndarray, out: dict[str, Any]) -> None:
        raw = _text(cells, self.columns, "responded_on")
        if raw is None:
            out["responded_on"] = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[D]")
            return
        out["responded_on"] = parse_dates(raw, rows, "responded_on", self.problems, self.dates)

    def _duplicates(self, out: dict[str, Any]) -> None:
        """Same (account, cycle, person) twice: named in full within a chunk, across in finish()."""
        hashes = mix(out["person_hash"], out["account_code"], out["cycle_code"])
        self._key_hashes.append(hashes)
        self._key_rows.append(out["row"])
        repeated = pd.Series(hashes).duplicated(keep=False).to_numpy()
        if not repeated.any():
            return
        part = object_frame(
            {
                "row": out["row"][repeated],
                "account": out["account"][repeated],
                "cycle": out["cycle"][repeated],
                "person_key": out["person_key"][repeated],
            },
            int(repeated.sum()),
        )
        for _, group in part.groupby(hashes[repeated], sort=False):
            first = group.iloc[0]
            for row in group["row"].iloc[1:]:
                self.problems.row(
                    int(row),
                    f"rows {int(first['row'])} and {int(row)} are the same response: account "
                    f'"{first["account"]}", cycle "{first["cycle"]}", person '
                    f'"{first["person_key"]}" (one row per person per cycle)',
                )

    def finish(self) -> None:
        """File-wide checks that need every chunk: duplicates across chunks, empty files."""
        if self.rows == 0:
            self.problems.file(f"{self.table.name} has a header but no data rows")
            return
        if len(self._key_hashes) > 1:
            self._cross_chunk_duplicates()
        if self.dates.ambiguous:
            self.table.notes.append(
                f"{self.dates.ambiguous} dates such as {self.dates.example} could be read either "
                f"way and were read {self.dates.reading}; write YYYY-MM-DD to be unambiguous"
            )

    def _cross_chunk_duplicates(self) -> None:
        hashes = np.concatenate(self._key_hashes)
        if not pd.Series(hashes).duplicated().any():
            return
        rows = np.concatenate(self._key_rows)
        chunk_of = np.concatenate([np.full(len(h), i) for i, h in enumerate(self._key_hashes)])
        frame = pd.DataFrame({"hash": hashes, "row": rows, "chunk": chunk_of})
        repeated = frame[frame["hash"].duplicated(keep=False)]
        for _, group in repeated.groupby("hash", sort=False):
            first_row, first_chunk = int(group["row"].iloc[0]), group["chunk"].iloc[0]
            for row, chunk in zip(group["row"].iloc[1:], group["chunk"].iloc[1:], strict=True):
                if chunk != first_chunk:
                    self.problems.row(
                        int(row),
                        f"rows {first_row} and {int(row)} are the same response: same account, "
                        "cycle and person (one row per person per cycle)",
                    )


def ratings_json(ratings: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The `ratings` JSON text of every row, built per distinct combination of scores.

    Scores are few distinct values, so the rows share a few hundred distinct JSON texts at most;
    each is made once with json.dumps (sorted keys, so equal ratings are equal text) and spread
    with numpy, instead of a million json.dumps calls.
    """
    if not ratings or n == 0:
        return np.full(n, "{}", dtype=object)
    names = sorted(ratings)
    combined = np.zeros(n, dtype=np.int64)
    uniques_per_attribute = []
    for name in names:
        codes, uniques = pd.factorize(ratings[name], use_na_sentinel=True)
        uniques_per_attribute.append(np.asarray(uniques, dtype=float))
        combined = combined * (len(uniques) + 1) + (codes + 1)
        combined, _ = pd.factorize(combined)
    combo_codes, first_rows = np.unique(combined, return_index=True)
    texts = np.empty(len(combo_codes), dtype=object)
    for i, row in enumerate(first_rows):
        values = {
            name: float(ratings[name][row]) for name in names if not np.isnan(ratings[name][row])
        }
        texts[i] = json.dumps(values, sort_keys=True)
    return texts[np.searchsorted(combo_codes, combined)]


# ============================================================================================
# Writing


# --- roster -------------------------------------------------------------------------------


ROSTER_FIELDS = (
    "name",
    "segment",
    "tier",
    "annual_revenue",
    "account_manager",
    "exec_sponsor",
    "team",
    "channel",
    "cadence",
)
_ROSTER_FIELD_COLUMN = {"name": "account"}


@dataclass
class RosterResult:
    added: int
    updated: int
    unchanged: int
    segment_changed_ids: list[int]


def write_roster(session: Session, workspace_id: str, roster: RosterRows) -> RosterResult:
    """Insert new accounts, update changed ones in place (matched by name_key), count the rest."""
    from storage.models import Account

    existing = _existing_accounts(session, workspace_id)
    fields = [
        f for f in ROSTER_FIELDS if _ROSTER_FIELD_COLUMN.get(f, f) in roster.present or f == "name"
    ]
    frame = roster.frame
    new_rows, updates, segment_changed = [], [], []
    unchanged = 0
    now = utc_now()
    for record in frame.to_dict("records"):
        current = existing.get(record["name_key"])
        if current is None:
            new_rows.append(_new_account(workspace_id, record, now))
            continue
        changes = {f: record[f] for f in fields if not _same(current[f], record[f])}
        if not changes:
            unchanged += 1
            continue
        if "segment" in changes:
            segment_changed.append(current["id"])
        updates.append({"_id": current["id"], **changes, "updated_at": now})
    if new_rows:
        session.execute(sa.insert(Account.__table__), new_rows)
    for change in updates:
        account_id = change.pop("_id")
        session.execute(
            sa.update(Account.__table__).where(Account.id == account_id).values(**change)
        )
    return RosterResult(len(new_rows), len(updates), unchanged, segment_changed)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is None and new is None
        return abs(float(old) - float(new)) < 1e-9
    return old == new


def _existing_accounts(session: Session, workspace_id: str) -> dict[str, dict[str, Any]]:
    from storage.models import Account

    table = Account.__table__
    result = session.execute(
        sa.select(table.c.id, table.c.name_key, *(table.c[f] for f in ROSTER_FIELDS)).where(
            table.c.workspace_id == workspace_id
        )
    )
    return {row.name_key: dict(row._mapping) for row in result}


def _new_account(workspace_id: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "name_key": record["name_key"],
        **{f: record[f] for f in ROSTER_FIELDS},
        "created_at": now,
        "updated_at": now,
    }


# --- responses ----------------------------------------------------------------------------

RESPONSE_WRITE_COLUMNS = (
    "account_id",
    "cycle_id",
    "respondent_id",
    "title",
    "role",
    "satisfaction",
    "recommend",
    "continue_score",
    "ratings",
    "comment",
    "source",
    "responded_on",
)
# What a re-import compares: everything but the identity (account, cycle, respondent).
COMPARED_COLUMNS = RESPONSE_WRITE_COLUMNS[3:]
PEOPLE_COLUMNS = ("account_id", "person_key", "name", "email")


@dataclass
class UnknownAccount:
    name: str
    rows: list[int]
    count: int = 0


@dataclass
class WriteCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    people_added: int = 0
    people_updated: int = 0


def _person_hashes(account_ids: np.ndarray, person_keys: np.ndarray) -> np.ndarray:
    return mix(string_hashes(person_keys), account_ids)


def _people_frame(rows: list[tuple[Any, ...]], *, before: bool) -> pd.DataFrame:
    """(account_id, person_key, id, name, email) rows as the writer's people table."""
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    return object_frame(
        {
            "account_id": np.asarray(columns[0], dtype=np.int64),
            "person_key": np.asarray(columns[1], dtype=object),
            "respondent_id": np.asarray(columns[2], dtype=np.int64),
            "stored_name": np.asarray(columns[3], dtype=object),
            "stored_email": np.asarray(columns[4], dtype=object),
            "before": np.full(len(rows), before),
        },
        len(rows),
    )


def _empty_people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": pd.Series(dtype=np.int64),
            "account_id": pd.Series(dtype=np.int64),
            "person_key": pd.Series(dtype=object),
            "respondent_id": pd.Series(dtype=np.int64),
            "stored_name": pd.Series(dtype=object),
            "stored_email": pd.Series(dtype=object),
            "before": pd.Series(dtype=bool),
        }
    )


class ResponseWriter:
    """Resolves the accounts, cycles and people of validated chunks and upserts their responses.

    Keeps per-import state (accounts, cycles, the respondents of accounts seen so far) so each
    chunk costs queries in proportion to what is new in it, not to the size of the database.
    """

    def __init__(self, session: Session, workspace_id: str, *, create_accounts: bool) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.create_accounts = create_accounts
        self.counts = WriteCounts()
        self.accounts = self._load_accounts()
        self.cycles = self._load_cycles()
        self.created_accounts: list[str] = []
        self.wrote = False  # anything sent to the database (the caller rolls back on rejection)
        self.unknown: dict[str, UnknownAccount] = {}
        self.touched_cycles: set[int] = set()
        self.changed_cycles: set[int] = set()
        self.fresh_cycles: set[int] = set()
        self._checked_cycles: set[int] = set()
        self.on_fresh_rows: Callable[[pd.DataFrame], None] | None = None
        self.earliest: dict[int, date] = {}
        self._people = _empty_people()
        self._people_index: pd.Index | None = None
        self._people_without_email = False
        self._loaded_accounts: set[int] = set()
        self._people_insert = upsert_sql(
            session, "respondents", PEOPLE_COLUMNS, ("account_id", "person_key"), ()
        )
        key = ("respondent_id", "cycle_id")
        # New rows go in with DO NOTHING: SQLite runs DO UPDATE with a statement journal per
        # row, which makes a million-row insert three times slower; changed rows use DO UPDATE.
        self._insert_sql = upsert_sql(session, "responses", RESPONSE_WRITE_COLUMNS, key, ())
        self._update_sql = upsert_sql(
            session,
            "responses",
            RESPONSE_WRITE_COLUMNS,
            key,
            [c for c in RESPONSE_WRITE_COLUMNS if c not in key],
        )

    # --- accounts and cycles --------------------------------------------------------------

    def _load_accounts(self) -> dict[str, int]:
        from storage.models import Account

        rows = self.session.execute(
            sa.select(Account.name_key, Account.id, Account.segment).where(
                Account.workspace_id == self.workspace_id
            )
        ).all()
        self.segments = {account_id: segment for _, account_id, segment in rows}
        return {key: account_id for key, account_id, _ in rows}

    def _load_cycles(self) -> dict[str, tuple[int, str, date | None]]:
        from storage.models import Cycle

        rows = self.session.execute(
            sa.select(Cycle.id, Cycle.label, Cycle.starts_on).where(
                Cycle.workspace_id == self.workspace_id
            )
        )
        return {label.casefold(): (cycle_id, label, starts) for cycle_id, label, starts in rows}

    def resolve_accounts(self, chunk: pd.DataFrame) -> np.ndarray:
        """account_id per row; -1 where unknown (recorded, or created when that is allowed)."""
        keys = text_array(chunk["account_key"])
        ids = self._account_ids(chunk)
        missing = (ids < 0) & (keys != "")
        if missing.any():
            part = chunk.loc[missing, ["account_key", "account", "row"]]
            if self.create_accounts:
                self._create_accounts(part.drop_duplicates("account_key"))
                ids = self._account_ids(chunk)
            else:
                self._note_unknown(part)
        return ids

    def _account_ids(self, chunk: pd.DataFrame) -> np.ndarray:
        return per_code(
            chunk["account_code"].to_numpy(),
            text_array(chunk["account_key"]),
            lambda key: self.accounts.get(key, -1),
        )

    def _note_unknown(self, part: pd.DataFrame) -> None:
        for key, group in part.groupby("account_key", sort=False):
            first_name = str(group["account"].iloc[0])
            entry = self.unknown.setdefault(str(key), UnknownAccount(first_name, []))
            entry.count += len(group)
            room = max(0, 5 - len(entry.rows))
            entry.rows.extend(int(row) for row in group["row"].iloc[:room])

    def _create_accounts(self, part: pd.DataFrame) -> None:
        from storage.models import Account

        self.wrote = True
        table = Account.__table__
        now = utc_now()
        rows = [
            {
                "workspace_id": self.workspace_id,
                "name": name,
                "name_key": key,
                "segment": DEFAULT_SEGMENT,
                "tier": "standard",
                "cadence": "quarterly",
                "team": [],
                "created_at": now,
                "updated_at": now,
            }
            for key, name in zip(part["account_key"], part["account"], strict=True)
        ]
        statement = dialect_insert(self.session)(table).on_conflict_do_nothing(
            index_elements=["workspace_id", "name_key"]
        )
        self.session.execute(statement, rows)
        created = self.session.execute(
            sa.select(table.c.name_key, table.c.id).where(
                table.c.workspace_id == self.workspace_id,
                table.c.name_key.in_(part["account_key"].tolist()),
            )
        )
        created_ids = {key: account_id for key, account_id in created}
        self.accounts.update(created_ids)
        self.segments.update({account_id: DEFAULT_SEGMENT for account_id in created_ids.values()})
        self.created_accounts.extend(part["account"].tolist())

    def resolve_cycles(self, chunk: pd.DataFrame) -> np.ndarray:
        """cycle_id per row, creating the cycles the workspace has not seen yet."""
        from storage.models import Cycle

        labels = [str(label) for label in chunk["cycle"].unique() if label]
        new = [label for label in labels if label.casefold() not in self.cycles]
        if new:
            statement = dialect_insert(self.session)(Cycle.__table__).on_conflict_do_nothing(
                index_elements=["workspace_id", "label"]
            )
            now = utc_now()
            self.session.execute(
                statement,
                [
                    {
                        "workspace_id": self.workspace_id,
                        "label": label,
                        "starts_on": cycle_start(label),
                        "created_at": now,
                    }
                    for label in new
                ],
            )
            self.cycles = self._load_cycles()
            self.fresh_cycles.update(self.cycles[label.casefold()][0] for label in new)
        ids = {key: cycle_id for key, (cycle_id, _, _) in self.cycles.items()}
        cycle_ids = per_code(
            chunk["cycle_code"].to_numpy(),
            text_array(chunk["cycle"]),
            lambda label: ids.get(str(label).casefold(), -1),
        )
        cycle_ids = cycle_ids.astype(np.int64)
        self._check_freshness(set(cycle_ids.tolist()) - self._checked_cycles)
        return cycle_ids

    def _check_freshness(self, cycle_ids: set[int]) -> None:
        """A cycle without responses before this import will hold exactly what it writes."""
        from storage.models import Response

        for cycle_id in sorted(cycle_ids):
            has_rows = self.session.execute(
                sa.select(Response.id).where(Response.cycle_id == cycle_id).limit(1)
            ).first()
            if has_rows is None:
                self.fresh_cycles.add(cycle_id)
        self._checked_cycles.update(cycle_ids)

    # --- people ---------------------------------------------------------------------------
    #
    # People are found by a 64-bit hash of (account_id, person_key) in a pandas Index: one C-level
    # lookup per chunk instead of a two-column merge, checked against the real keys afterwards.

    def resolve_people(self, chunk: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """respondent_id per row, and whether that person was in the database before."""
        account_ids = chunk["account_id"].to_numpy(dtype=np.int64)
        person_keys = text_array(chunk["person_key"])
        self._load_people(np.unique(account_ids))
        hashes = mix(chunk["person_hash"].to_numpy(dtype=np.int64), account_ids)
        last = ~pd.Series(hashes).duplicated(keep="last").to_numpy()
        people = object_frame(
            {
                "key": hashes[last],
                "account_id": account_ids[last],
                "person_key": person_keys[last],
                "respondent": text_array(chunk["respondent"])[last],
                "email": text_array(chunk["email"])[last],
            },
            int(last.sum()),
        )
        where = self._find_people(people)
        if (where < 0).any() and self._adopt_people_known_by_name(people[where < 0]):
            where = self._find_people(people)
        self._update_people(people[where >= 0], where[where >= 0])
        if (where < 0).any():
            self._insert_people(people[where < 0])
        everyone = {"key": hashes, "account_id": account_ids, "person_key": person_keys}
        found = self._find_people(object_frame(everyone, len(hashes)))
        if (found < 0).any():
            raise RuntimeError("respondents could not be resolved after inserting them")
        return (
            self._people["respondent_id"].to_numpy(dtype=np.int64)[found],
            self._people["before"].to_numpy(dtype=bool)[found],
        )

    def _find_people(self, people: pd.DataFrame) -> np.ndarray:
        """Row positions in self._people (-1 when unknown), verified against the real keys."""
        if self._people_index is None:
            self._people_index = pd.Index(self._people["key"].to_numpy(dtype=np.int64))
        where = self._people_index.get_indexer(people["key"].to_numpy(dtype=np.int64))
        hit = where >= 0
        same = np.ones(len(where), dtype=bool)
        same[hit] = (
            self._people["person_key"].to_numpy(dtype=object)[where[hit]]
            == text_array(people["person_key"])[hit]
        ) & (
            self._people["account_id"].to_numpy(dtype=np.int64)[where[hit]]
            == people["account_id"].to_numpy(dtype=np.int64)[hit]
        )
        if not same.all():
            raise RuntimeError("64-bit hash collision between two people; import again")
        return where

    def _remember_people(self, frame: pd.DataFrame) -> None:
        frame = frame.assign(
            key=_person_hashes(
                frame["account_id"].to_numpy(dtype=np.int64), text_array(frame["person_key"])
            )
        )
        self._people = pd.concat(
            [self._people, frame[list(self._people.columns)]], ignore_index=True
        )
        self._people_index = None
        self._people_without_email = self._people_without_email or bool(
            pd.isna(frame["stored_email"].to_numpy()).any()
        )

    def _load_people(self, account_ids: np.ndarray) -> None:
        from storage.models import Respondent

        todo = sorted(set(account_ids.tolist()) - self._loaded_accounts)
        if not todo:
            return
        table = Respondent.__table__
        columns = (table.c.account_id, table.c.person_key, table.c.id, table.c.name, table.c.email)
        found: list[Any] = []
        for batch in in_batches(todo):
            found.extend(
                self.session.execute(sa.select(*columns).where(table.c.account_id.in_(batch)))
            )
        self._loaded_accounts.update(todo)
        if found:
            self._remember_people(_people_frame([tuple(row) for row in found], before=True))

    def _adopt_people_known_by_name(self, candidates: pd.DataFrame) -> bool:
        """Someone first recorded without an email now has one: same person, new key."""
        if not self._people_without_email:
            return False
        with_email = candidates[pd.notna(candidates["email"].to_numpy())]
        nameless = self._people[pd.isna(self._people["stored_email"].to_numpy())]
        if with_email.empty or nameless.empty:
            return False
        old = pd.DataFrame(
            {
                "account_id": nameless["account_id"].to_numpy(dtype=np.int64),
                "name_key": nameless["person_key"].to_numpy(dtype=object),
                "old_id": nameless["respondent_id"].to_numpy(dtype=np.int64),
            }
        )
        new = with_email[["account_id", "person_key", "respondent", "email"]].assign(
            name_key=mapped(name_key, text_array(with_email["respondent"]))
        )
        matches = new.merge(old, on=["account_id", "name_key"])
        matches = matches.drop_duplicates("old_id").drop_duplicates(["account_id", "person_key"])
        if matches.empty:
            return False
        sql, order = update_sql(self.session, "respondents", ("person_key", "name", "email"))
        values = {
            "row_id": matches["old_id"].astype(np.int64).tolist(),
            "new_person_key": matches["person_key"].tolist(),
            "new_name": matches["respondent"].tolist(),
            "new_email": matches["email"].tolist(),
        }
        executemany(self.session, sql, [values[name] for name in order])
        adopted = self._people["respondent_id"].isin(matches["old_id"]).to_numpy()
        kept = self._people[~adopted]
        moved = self._people[adopted].drop(columns=["person_key", "stored_name", "stored_email"])
        moved = moved.merge(
            matches.rename(
                columns={
                    "old_id": "respondent_id",
                    "respondent": "stored_name",
                    "email": "stored_email",
                }
            )[["respondent_id", "person_key", "stored_name", "stored_email"]],
            on="respondent_id",
        )
        self._people = kept.reset_index(drop=True)
        self._remember_people(moved)
        self.counts.people_updated += len(matches)
        return True

    def _update_people(self, known: pd.DataFrame, where: np.ndarray) -> None:
        """People whose name (or email spelling) changed get it updated everywhere."""
        # Same key means same email (the key is the email when there is one), so only the
        # displayed name can differ.
        stored_names = self._people["stored_name"].to_numpy(dtype=object)[where]
        names = text_array(known["respondent"])
        emails = text_array(known["email"])
        changed = names != stored_names
        if not changed.any():
            return
        ids = self._people["respondent_id"].to_numpy(dtype=np.int64)[where[changed]]
        sql, order = update_sql(self.session, "respondents", ("name", "email"))
        values = {
            "row_id": ids.tolist(),
            "new_name": names[changed].tolist(),
            "new_email": python_values(emails[changed]),
        }
        executemany(self.session, sql, [values[name] for name in order])
        positions = where[changed]
        self._people.loc[positions, "stored_name"] = names[changed]
        self._people.loc[positions, "stored_email"] = emails[changed]
        self.counts.people_updated += int(changed.sum())

    def _insert_people(self, new: pd.DataFrame) -> None:
        """Plain bulk insert, then read back the ids above the previous highest one.

        (Multi-row INSERT … RETURNING would give the ids in one trip, but SQLite journals such
        statements page by page, which made it several times slower.)
        """
        from storage.models import Respondent

        table = Respondent.__table__
        watermark = self.session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
        above = int(watermark.scalar_one())
        # Numbered account by account, so each account's people sit together in every index.
        new = new.iloc[np.argsort(new["account_id"].to_numpy(), kind="stable")]
        sql, order = self._people_insert
        values = {
            "account_id": new["account_id"].astype(np.int64).tolist(),
            "person_key": text_array(new["person_key"]).tolist(),
            "name": text_array(new["respondent"]).tolist(),
            "email": python_values(new["email"]),
        }
        inserted = executemany(self.session, sql, [values[name] for name in order])
        stored = self._new_people_frame(new, *self._ids_above(above, inserted, len(new)))
        mine = stored["account_id"].isin(list(self._loaded_accounts)).to_numpy()
        self._remember_people(stored[mine])
        self.counts.people_added += int(mine.sum())
        missing = self._find_people(new) < 0
        if missing.any():
            # Stored meanwhile by another transaction, below the watermark: load them by account.
            self._loaded_accounts.difference_update(new.loc[missing, "account_id"].tolist())
            self._people = self._people[
                ~self._people["account_id"].isin(new.loc[missing, "account_id"])
            ].reset_index(drop=True)
            self._people_index = None
            self._load_people(new.loc[missing, "account_id"].to_numpy())

    def _ids_above(
        self, above: int, inserted: int, sent: int
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(ids, account_ids, person_keys) of the respondents stored after id `above`, in id order.

        SQLite numbers rows one above the highest, so when every row sent was inserted and the
        highest id is now exactly `above + sent`, those rows are ours, numbered in the order
        they were sent, and their keys need not be read back. Otherwise (PostgreSQL sequences,
        another writer in between) they are read from the table.
        """
        from storage.models import Respondent

        table = Respondent.__table__
        if self.session.get_bind().dialect.name == "sqlite":
            highest = self.session.execute(sa.select(sa.func.max(table.c.id))).scalar()
            if inserted == sent and highest == above + sent:
                return np.arange(above + 1, above + 1 + sent, dtype=np.int64), None, None
        columns = (table.c.id, table.c.account_id, table.c.person_key)
        statement = sa.select(*columns).where(table.c.id > above).order_by(table.c.id)
        found = fetch_rows(self.session, statement)
        ids, accounts, keys = zip(*found, strict=True) if found else ((), (), ())
        return (
            np.asarray(ids, dtype=np.int64),
            np.asarray(accounts, dtype=np.int64),
            np.asarray(keys, dtype=object),
        )

    @staticmethod
    def _new_people_frame(
        new: pd.DataFrame,
        ids: np.ndarray,
        account_ids: np.ndarray | None,
        person_keys: np.ndarray | None,
    ) -> pd.DataFrame:
        """Ids matched to the rows just inserted (id order is insert order).

        Names and emails are the ones just written. Without keys, the ids are known to be
        exactly the inserted rows; with keys, rows that do not line up (another writer's rows
        among them) are matched by key instead.
        """
        frame = object_frame(
            {
                "account_id": new["account_id"].to_numpy(dtype=np.int64),
                "person_key": text_array(new["person_key"]),
                "stored_name": text_array(new["respondent"]),
                "stored_email": text_array(new["email"]),
                "before": np.zeros(len(new), dtype=bool),
            },
            len(new),
        )
        aligned = account_ids is None or (
            len(ids) == len(new)
            and np.array_equal(account_ids, frame["account_id"].to_numpy())
            and bool((person_keys == frame["person_key"].to_numpy()).all())
        )
        if aligned:
            frame.insert(2, "respondent_id", ids)
            return frame
        keyed = object_frame(
            {"account_id": account_ids, "person_key": person_keys, "respondent_id": ids}, len(ids)
        )
        return frame.merge(keyed, on=["account_id", "person_key"])

    # --- responses ------------------------------------------------------------------------

    def write(self, chunk: pd.DataFrame, account_ids: np.ndarray) -> None:
        """Upsert a valid chunk's responses; rows equal to what is stored are not written."""
        self.wrote = True
        chunk = chunk.assign(account_id=account_ids)
        chunk["cycle_id"] = self.resolve_cycles(chunk)
        respondent_ids, before = self.resolve_people(chunk)
        chunk["respondent_id"] = respondent_ids
        chunk = chunk.rename(columns={"continue": "continue_score"})
        self._note_cycles(chunk)
        exists, same = self._compare_with_stored(chunk, before)
        self.counts.added += int((~exists).sum())
        self.counts.updated += int((exists & ~same).sum())
        self.counts.unchanged += int(same.sum())
        self._insert_responses(chunk[~exists])
        self._update_responses(chunk[exists & ~same])
        self.changed_cycles.update(int(c) for c in chunk.loc[~same, "cycle_id"].unique())
        fresh = chunk["cycle_id"].isin(list(self.fresh_cycles)).to_numpy()
        if self.on_fresh_rows is not None and fresh.any():
            self.on_fresh_rows(chunk[fresh])

    def _note_cycles(self, chunk: pd.DataFrame) -> None:
        self.touched_cycles.update(int(c) for c in chunk["cycle_id"].unique())
        days = chunk["responded_on"].to_numpy(dtype="datetime64[D]")
        dated = ~np.isnat(days)
        if not dated.any():
            return
        earliest = pd.Series(days[dated]).groupby(chunk["cycle_id"].to_numpy()[dated]).min()
        for cycle_id, day in earliest.items():
            value = pd.Timestamp(day).date()
            current = self.earliest.get(int(cycle_id))
            self.earliest[int(cycle_id)] = value if current is None else min(current, value)

    def _compare_with_stored(
        self, chunk: pd.DataFrame, before: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(already stored, stored and identical) per row; only people known before can be."""
        exists = np.zeros(len(chunk), dtype=bool)
        same = np.zeros(len(chunk), dtype=bool)
        if not before.any():
            return exists, same
        candidates = chunk.loc[before, ["respondent_id", "cycle_id", *COMPARED_COLUMNS]]
        stored = self._stored_responses(candidates)
        merged = candidates.merge(
            stored,
            on=["respondent_id", "cycle_id"],
            how="left",
            suffixes=("", "_stored"),
            indicator=True,
        )
        found = (merged["_merge"] == "both").to_numpy()
        identical = found.copy()
        for column in COMPARED_COLUMNS:
            identical &= _equal_column(merged[column], merged[f"{column}_stored"], column)
        exists[before] = found
        same[before] = identical
        return exists, same

    def _stored_responses(self, candidates: pd.DataFrame) -> pd.DataFrame:
        from storage.models import Response

        table = Response.__table__
        as_text = ("ratings", "responded_on")
        columns = [
            table.c.respondent_id,
            table.c.cycle_id,
            *(
                sa.cast(table.c[c], sa.Text).label(c) if c in as_text else table.c[c]
                for c in COMPARED_COLUMNS
            ),
        ]
        statement = sa.select(*columns).where(
            table.c.cycle_id == sa.bindparam("cycle"),
            table.c.respondent_id.in_(sa.bindparam("ids", expanding=True)),
        )
        found: list[tuple[Any, ...]] = []
        for cycle_id, group in candidates.groupby("cycle_id"):
            ids = sorted(set(group["respondent_id"].tolist()))
            found.extend(fetch_in(self.session, statement, "ids", ids, cycle=int(cycle_id)))
        names = ["respondent_id", "cycle_id", *COMPARED_COLUMNS]
        values = list(zip(*found, strict=True)) if found else [()] * len(names)
        stored = object_frame(
            {
                name: np.asarray(column, dtype=object)
                for name, column in zip(names, values, strict=True)
            },
            len(found),
        )
        stored = stored.astype({"respondent_id": np.int64, "cycle_id": np.int64})
        stored["responded_on"] = pd.to_datetime(stored["responded_on"], errors="coerce").to_numpy(
            dtype="datetime64[D]"
        )
        return stored

    def _insert_responses(self, rows: pd.DataFrame) -> None:
        """New rows in (account, respondent) order, which is also the order of the indexes.

        Respondents are numbered account by account (see _insert_people), so both the unique
        (respondent_id, cycle_id) index and the (account_id, cycle_id) index are written
        front to back instead of at random pages; that alone saves a fifth of the insert time.
        """
        if rows.empty:
            return
        by_index = np.lexsort((rows["respondent_id"].to_numpy(), rows["account_id"].to_numpy()))
        values = {
            name: python_values(rows[name].to_numpy()[by_index]) for name in RESPONSE_WRITE_COLUMNS
        }
        if self.session.get_bind().dialect.name == "postgresql":
            inserted = copy_insert(
                self.session, "responses", values, conflict=("respondent_id", "cycle_id")
            )
        else:
            sql, order = self._insert_sql
            inserted = executemany(self.session, sql, [values[name] for name in order])
        if 0 <= inserted < len(rows):
            # Another writer stored some of these keys since we looked: the file wins.
            sql, order = self._update_sql
            executemany(self.session, sql, [values[name] for name in order])

    def _update_responses(self, rows: pd.DataFrame) -> None:
        if rows.empty:
            return
        sql, order = self._update_sql
        executemany(self.session, sql, [python_values(rows[name]) for name in order])

    def finish(self) -> None:
        """Cycles whose label names no period start on their earliest response date."""
        from storage.models import Cycle

        by_id = {cycle_id: (label, starts) for cycle_id, label, starts in self.cycles.values()}
        for cycle_id, earliest in self.earliest.items():
            label, starts = by_id.get(cycle_id, ("", None))
            if cycle_start(label) is not None:
                continue
            if starts is None or earliest < starts:
                self.session.execute(
                    sa.update(Cycle.__table__)
                    .where(Cycle.id == cycle_id)
                    .values(starts_on=earliest)
                )

    def cycle_labels(self) -> list[str]:
        """Labels of the cycles this import touched, oldest period first."""
        by_id = {cycle_id: label for cycle_id, label, _ in self.cycles.values()}
        labels = [by_id[c] for c in self.touched_cycles if c in by_id]
        return sorted(labels, key=lambda label: (cycle_start(label) or date.max, label))


def _equal_objects(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    left_na = pd.isna(left)
    right_na = pd.isna(right)
    with np.errstate(invalid="ignore"):
        equal = np.asarray(left == right, dtype=bool)
    return (left_na & right_na) | (~left_na & ~right_na & equal)


def _equal_column(new: pd.Series, stored: pd.Series, column: str) -> np.ndarray:
    if column in ("satisfaction", "recommend", "continue_score"):
        a = new.to_numpy(dtype=float, na_value=np.nan)
        b = stored.to_numpy(dtype=float, na_value=np.nan)
        return (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) < 1e-9)
    if column == "responded_on":
        a = new.to_numpy(dtype="datetime64[D]")
        b = stored.to_numpy(dtype="datetime64[D]")
        return (np.isnat(a) & np.isnat(b)) | (a == b)
    if column == "ratings":
        return _equal_ratings(new.to_numpy(dtype=object), stored.to_numpy(dtype=object))
    return _equal_objects(new.to_numpy(dtype=object), stored.to_numpy(dtype=object))


def _equal_ratings(new: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Equal text is the fast path; another writer may order keys differently, so parse those."""
    same = _equal_objects(new, stored)
    for position in np.flatnonzero(~same):
        if isinstance(stored[position], str) and isinstance(new[position], str):
            try:
                same[position] = json.loads(stored[position]) == json.loads(new[position])
            except ValueError:
                same[position] = False
    return same
