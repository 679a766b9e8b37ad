"""What a file from outside may not do, and the one line that says so.

Input files come from customers' tools and from anyone who can run `voc import`. Reading one
must end in a message a person can act on, never a traceback, an hour of parsing, a read of a
file the workbook names, or a value no database can store. The limits are stated in
docs/data-formats.md ("Hostile and oversized files").
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from bot.intake.problems import reject

MAX_SHEET_ROWS = 1_048_576  # the most rows an Excel sheet can have
MAX_BLANK_RUN = 10_000  # blank rows in a row: formatting, not data, and slow to read
# `rating:` columns per file, and attributes per cycle: the key drivers key each answer pattern
# by a 62-bit mask, and the benchmark aggregate takes two result columns per attribute.
MAX_ATTRIBUTES = 60
NUL = "\x00"
SAVE_AS = "save it as CSV (UTF-8) or Excel workbook (.xlsx) and import that"

# What openpyxl and the XML parser raise for a workbook that is damaged or hostile; defusedxml's
# refusals (entities, external references, DTDs) are ValueErrors.
XML_ERRORS = (SyntaxError, ValueError, KeyError, TypeError, OSError, EOFError)


def unreadable_workbook(
    name: str, error: BaseException, path: Path | None, data: bytes | None
) -> str:
    """One line: what is wrong with the workbook, never the parser's own multi-line text."""
    from defusedxml import DefusedXmlException

    causes = [error]
    while (cause := causes[-1].__cause__ or causes[-1].__context__) and len(causes) < 8:
        causes.append(cause)
    if any(isinstance(cause, DefusedXmlException) for cause in causes):
        return (
            f"{name} is refused: its XML declares entities or a document type (DTD), which "
            "spreadsheet programs never write and this import does not expand. Open it in a "
            "spreadsheet and save it again as Excel workbook (.xlsx)"
        )
    if any(isinstance(cause, SyntaxError) for cause in causes):
        return f"{name} is not a readable XLSX workbook: its XML is damaged. {SAVE_AS}"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    what = zip_kind(path, data)
    return f"{name} is {what}, not a readable XLSX workbook ({first_line}). {SAVE_AS}"


def check_dimension(sheet: Any, name: str) -> None:
    """A sheet that says it is bigger than Excel allows is refused before a row is read."""
    try:
        claimed = int(sheet.max_row or 0)
    except (TypeError, ValueError):
        return
    if claimed > MAX_SHEET_ROWS:
        raise reject(too_many_rows(name, f"says it has {claimed:,} rows, more"), name)


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def check_sheet_sizes(path: Path | None, data: bytes | None, name: str) -> None:
    """Count each sheet's rows in its raw XML before openpyxl opens the workbook.

    openpyxl reads a whole sheet to find its size when the sheet does not declare a dimension,
    for every sheet, while opening the workbook: two million empty rows took seconds to minutes
    before a single row could be checked. Decompressing and counting row tags takes a fraction
    of that; a part that cannot be read is left for openpyxl to report.
    """
    try:
        archive = zipfile.ZipFile(path if path is not None else io.BytesIO(data or b""))
        parts = [
            n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")
        ]
        for part in parts:
            rows = 0
            with archive.open(part) as stream:
                while block := stream.read(1 << 20):
                    rows += len(_ROW_TAG.findall(block))
                    if rows > MAX_SHEET_ROWS:
                        raise reject(too_many_rows(name, "has more rows", sheet="a sheet"), name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return


def too_many_rows(name: str, what: str, *, sheet: str = "its first sheet") -> str:
    return (
        f"{name} is refused: {sheet} {what} than the {MAX_SHEET_ROWS:,} a sheet can hold. Split "
        "it, or save it as CSV"
    )


def zip_kind(path: Path | None, data: bytes | None) -> str:
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


def blank_run_message(name: str, start: int) -> str:
    end = start + MAX_BLANK_RUN - 1
    return (
        f"{name} is refused: rows {start:,}–{end:,} of its first sheet are all blank, and a "
        f"sheet may not have {MAX_BLANK_RUN:,} blank rows in a row (empty but formatted rows "
        "are read one by one). Delete the empty rows, or save it as CSV"
    )


def nul_message(name: str, where: str, column: str) -> str:
    return (
        f"{name}: {where}, {column}: contains a NUL character (\\u0000), which cannot be "
        "stored: delete it in the spreadsheet and import again"
    )


def too_many_attributes(count: int) -> str:
    return (
        f"the file has {count:,} rating: columns; a file may rate at most {MAX_ATTRIBUTES} "
        "attributes. Keep the ones the survey asked about"
    )


def cycle_attributes_over_cap(label: str, count: int) -> str:
    return (
        f'cycle "{label}" would rate {count:,} attributes with this file; a cycle may rate at '
        f"most {MAX_ATTRIBUTES}. Use the attribute names earlier files of the cycle used, or "
        "remove its responses first (voc forget --cycle)"
    )
