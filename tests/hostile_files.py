"""Input files built to break an importer, made by hand so each attack is exactly what it says.

The XLSX files are zips written with `zipfile`: the smallest workbook openpyxl opens (content
types, relationships, a workbook, one sheet), with the attack in the sheet's XML. Shared by
tests/test_security_files.py and benchmarks/hostile_files.py, which counts and times them.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}">'
    f'<Relationship Id="rId1" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
ROSTER_HEADER = ("account", "segment")


def row(number: int, *values: str, raw: bool = False) -> str:
    """One `<row>` of inline strings; `raw` puts the values in unescaped (entity references)."""
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v if raw else escape(v)}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def write_xlsx(path: Path, rows: str, *, doctype: str = "", dimension: str | None = None) -> Path:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f'<worksheet xmlns="{_MAIN}">{dim}<sheetData>{rows}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def billion_laughs(directory: Path) -> Path:
    """Ten levels of ten: `&lol9;` would expand to a thousand million `lol`s."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    doctype = f"<!DOCTYPE lolz [{''.join(levels)}]>"
    body = row(1, *ROSTER_HEADER) + row(2, "&lol9;", "Enterprise", raw=True)
    return write_xlsx(directory / "laughs.xlsx", body, doctype=doctype)


def external_entity(directory: Path, secret: Path) -> Path:
    """`&xxe;` names a file on the importing machine: its content must never be read."""
    doctype = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.resolve().as_uri()}">]>'
    body = row(1, *ROSTER_HEADER) + row(2, "&xxe;", "Enterprise", raw=True)
    return write_xlsx(directory / "xxe.xlsx", body, doctype=doctype)


def damaged_nul(directory: Path) -> Path:
    """A NUL written as `&#0;`: not allowed in XML at all, so no parser can read the sheet."""
    body = row(1, *ROSTER_HEADER) + row(2, "Ac&#0;me", "Enterprise", raw=True)
    return write_xlsx(directory / "nul.xlsx", body)


def empty_rows(directory: Path, count: int = 2_000_000, *, dimension: bool = True) -> Path:
    """One account, then `count` empty rows; with `dimension` the sheet says how big it is."""
    body = row(1, *ROSTER_HEADER) + row(2, "Acme", "Enterprise")
    body += "".join(f'<row r="{n}"/>' for n in range(3, count + 3))
    name = "empty.xlsx" if dimension else "empty-undeclared.xlsx"
    return write_xlsx(directory / name, body, dimension=f"A1:B{count + 2}" if dimension else None)


def random_latin1(directory: Path, size: int = 1 << 20) -> Path:
    """1 MB of random bytes without a NUL: not UTF-8, so it is read as Latin-1 text."""
    rng = random.Random(18)
    data = bytes(rng.randrange(1, 256) for _ in range(size))
    path = directory / "random.csv"
    path.write_bytes(data)
    return path


def wide_responses(directory: Path, attributes: int = 9_993, *, name: str = "wide.csv") -> Path:
    """One response rating `attributes` attributes, each its own `rating:` column."""
    header = ["account", "cycle", "respondent", "email", "satisfaction"]
    header += [f"rating:attribute {i}" for i in range(attributes)]
    values = ["Acme", "2026-Q3", "Ann Lee", "ann@acme.example", "8"] + ["7"] * attributes
    path = directory / name
    path.write_text(",".join(header) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    return path


def nul_in_csv(directory: Path) -> Path:
    """A roster whose third line holds a NUL inside a value."""
    path = directory / "nul.csv"
    path.write_bytes(b"account,segment\nAcme,Enterprise\nBeta,Mid\x00market\n")
    return path


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "billion laughs": billion_laughs,
    "external entity": lambda d: external_entity(d, d / "secret.txt"),
    "damaged XML (NUL)": damaged_nul,
    "2,000,000 empty rows": empty_rows,
    "2,000,000 empty rows, undeclared": lambda d: empty_rows(d, dimension=False),
    "1 MB random Latin-1": random_latin1,
    "9,993 rating: columns": wide_responses,
    "NUL in a CSV": nul_in_csv,
}
"""Each attack by name: its builder takes a directory and returns the file's path."""


def kind_of(path: Path) -> str:
    """Which `voc import` each file is aimed at."""
    return "responses" if path.name.startswith("wide") else "accounts"
