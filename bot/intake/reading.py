"""Opening an input file: from bytes to chunks of text cells with their spreadsheet row numbers.

CSV (UTF-8 with or without BOM, else Windows-1252/Latin-1; comma, semicolon or tab separated),
XLSX (openpyxl, first sheet) or a DataFrame, always handed on as chunks of *text* cells. Text,
because every message must quote the value the person typed; what the cells mean is decided
later (`headers`, `cells`, `roster`, `responses`). The kind of file is decided by its content,
not its name. A file that cannot be read at all raises `ImportRejected` here.

Files come from outside, so reading them is bounded: workbooks are parsed with defusedxml
(openpyxl uses it when installed: no entity expansion, no external entities, no DTDs), a sheet
may not claim more rows than Excel allows nor hold a long run of blank rows, and a NUL
character, which no database column can hold, refuses the file with the row it is on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from bot.core.ahead import read_ahead
from bot.intake.cells import blank_rows
from bot.intake.hostile import (
    MAX_BLANK_RUN,
    MAX_SHEET_ROWS,
    NUL,
    SAVE_AS,
    XML_ERRORS,
    blank_run_message,
    check_dimension,
    check_sheet_sizes,
    nul_message,
    too_many_rows,
    unreadable_workbook,
)
from bot.intake.problems import reject

CHUNK_ROWS = 100_000

Source = str | Path | bytes | bytearray | memoryview | pd.DataFrame | IO[bytes]


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
    # Survey-tool question columns that mean no field (bot.intake.exports): listed, not dropped.
    unmapped_questions: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Stop reading: a file read ahead on a thread (`bot.core.ahead`) stops and is closed now,
        not whenever a failed import's traceback lets go of it."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


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
        return _without_nul(_frame_table(source, filename or "data frame", chunk_rows))
    name, path, data = _source_bytes(source, filename)
    head = _head_bytes(path, data)
    kind = _sniff_kind(head, name)
    if kind == "xlsx":
        return _without_nul(_xlsx_table(path, data, name, chunk_rows))
    return _csv_table(path, data, name, chunk_rows, repetitive)


def _without_nul(table: Table) -> Table:
    """Refuse a NUL in any cell, naming its row: PostgreSQL cannot store one, and SQLite would
    keep a value that ends early wherever it is printed. (CSV is refused while scanning bytes.)"""
    for position, cell in enumerate(table.header):
        if NUL in cell:
            raise reject(nul_message(table.name, "the header row", f"column {position + 1}"))
    table.chunks = _nul_checked(table.chunks, table.header, table.name)
    return table


def _nul_checked(chunks: Iterator[RawChunk], header: list[str], name: str) -> Iterator[RawChunk]:
    for chunk in chunks:
        for column in chunk.cells.columns:
            values = chunk.cells[column]
            hits = values.astype(str).str.contains(NUL, regex=False).to_numpy()
            if hits.any():
                row = int(chunk.rows[int(np.argmax(hits))])
                label = header[column] if column < len(header) else f"column {column + 1}"
                raise reject(nul_message(name, f"row {row}", label.strip()), name)
        yield chunk


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


def _sniff_kind(head: bytes, name: str) -> str:
    """Decide by content, not by name: a renamed file still reads, a misnamed one is caught."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise reject(
            f"{name} is an Excel 97-2003 workbook (.xls), not CSV or XLSX: {SAVE_AS}", name
        )
    for magic, what in _NOT_TABULAR.items():
        if head.startswith(magic):
            raise reject(f"{name} is {what}, not a CSV or XLSX file: {SAVE_AS}", name)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reject(f"{name} is UTF-16 text, an encoding this import cannot read: {SAVE_AS}", name)
    if head.count(b"\x00") > max(1, len(head) // 100):  # a stray NUL in text: named by line
        raise reject(f"{name} contains binary data: it is not a CSV or XLSX file. {SAVE_AS}", name)
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


# Every byte but the C0 controls that are not tab, line feed or carriage return: what is left
# after deleting these from a block is the controls, which text files do not contain.
_TEXT_BYTES = bytes([9, 10, 13, *range(32, 256)])


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
    controls = 0
    for block in _byte_blocks(path, data):
        controls += len(block.translate(None, _TEXT_BYTES))
        if b"\x00" in block:
            line = lines + block[: block.index(b"\x00")].count(b"\n") + 1
            raise reject(
                f"{name} contains binary data (a NUL byte on line {line:,}): it is not a CSV "
                f"file, or a value holds a NUL character, which cannot be stored. {SAVE_AS}",
                name,
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
    if controls > max(16, size // 100):
        raise reject(
            f"{name} is not text: {controls:,} of its {size:,} bytes are control characters, "
            f"which no CSV holds. {SAVE_AS}",
            name,
        )
    if failure is None:
        return _TextScan("utf-8-sig", lines, size)
    offset, line = failure
    if saw_multibyte:
        raise reject(
            f"{name} could not be read: it is UTF-8 text but byte {offset} (line {line}) is not "
            f"valid UTF-8, so the file mixes two encodings. Open it in a spreadsheet and "
            f"{SAVE_AS.replace('save it', 'save it again')}",
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
    path: Path | None, data: bytes | None, encoding: str, separator: str, name: str
) -> tuple[list[str], int]:
    """The header cells (first row that is not blank) and how many lines it ends after."""
    reader = csv.reader(io.StringIO(_head_text(path, data, encoding)), delimiter=separator)
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                return cells, reader.line_num
    except csv.Error as error:
        why = (
            "a carriage return inside a value that is not in double quotes"
            if "new-line character" in str(error)
            else str(error)
        )
        raise reject(
            f"{name} is not a well-formed CSV file: line {reader.line_num:,} has {why}. {SAVE_AS}",
            name,
        ) from None
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
    header, header_lines = _csv_header(path, data, scan.encoding, separator, name)
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
        chunks=read_ahead(_csv_chunks(reader, name, first_row=header_lines + 1))
        if reader
        else iter(()),
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
    except (pd.errors.ParserError, csv.Error) as error:
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
        blank = blank_rows(chunk.cells)
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


# --- XLSX ---------------------------------------------------------------------------------


def _xlsx_table(path: Path | None, data: bytes | None, name: str, chunk_rows: int) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    check_sheet_sizes(path, data, name)
    handle: Any = path if path is not None else io.BytesIO(data or b"")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, *XML_ERRORS) as error:
        raise reject(unreadable_workbook(name, error, path, data), name) from None
    if not workbook.worksheets:
        raise reject(f"{name} is empty: the workbook has no sheets", name)
    sheet = workbook.worksheets[0]
    check_dimension(sheet, name)
    notes = []
    if len(workbook.worksheets) > 1:
        notes.append(
            f'read the first sheet, "{sheet.title}", only (the workbook has '
            f"{len(workbook.worksheets)} sheets)"
        )
    chunks = _xlsx_chunks(workbook, sheet, chunk_rows, name)
    header, first_chunk = _split_header(chunks, name)
    estimated = (sheet.max_row or 0) - 1 if sheet.max_row else None
    return Table(name, "xlsx", header, _chain_first(first_chunk, chunks), estimated, notes)


def _xlsx_chunks(workbook: Any, sheet: Any, chunk_rows: int, name: str) -> Iterator[RawChunk]:
    try:
        batch: list[tuple[Any, ...]] = []
        first_row = 1
        blank_run = 0
        for offset, values in enumerate(_sheet_rows(sheet, name)):
            blank_run = blank_run + 1 if all(v is None or v == "" for v in values) else 0
            if blank_run >= MAX_BLANK_RUN:
                raise reject(blank_run_message(name, offset + 2 - blank_run), name)
            if offset >= MAX_SHEET_ROWS:
                raise reject(too_many_rows(name, "has more rows"), name)
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


def _sheet_rows(sheet: Any, name: str) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as openpyxl streams them; a damaged or hostile part is one message."""
    rows = sheet.iter_rows(min_row=1, values_only=True)
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except XML_ERRORS as error:
            raise reject(unreadable_workbook(name, error, None, None), name) from None
        yield values


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
