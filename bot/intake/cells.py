"""Parsing cells, vectorised over a chunk: scores, dates, money, people and channel references.

Each parser takes a column of text cells and the rows they came from, returns typed values and
records every bad cell (row, column, the value as typed) in the `ProblemLog`. Most columns hold
few distinct texts, so parsing works on the distinct values and spreads the result back with
integer codes. People and channel references are recognised by `bot.core.identity`.

Decisions the spec (`docs/data-formats.md`) leaves open:
- Slash dates: `DD/MM/YYYY` unless the file proves month-first (a value such as `07/25/2026`, the
  first chunk of a file with such dates decides, and later rows must agree). Dotted dates are always
  day-first. Ambiguous dates read day-first are counted in a warning. Bare whole numbers between
  20000 and 80000 in a date column are Excel serial dates (1954–2119), in CSV as well as XLSX.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bot.core.identity import channel_ref, person_ref
from bot.intake.headers import Columns, column_cells, header_key
from bot.intake.problems import ProblemLog

SCORE_MIN, SCORE_MAX = 0.0, 10.0
BLANK_TOKENS = frozenset({"", "n/a", "na", "-", "–", "—", "none", "null", "nan"})


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


def blank_rows(cells: pd.DataFrame) -> np.ndarray:
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


def check_length(
    values: np.ndarray, rows: np.ndarray, column: str, limit: int, problems: ProblemLog
) -> None:
    """Longer than the column holds: PostgreSQL would refuse it, so say which cell."""
    long = lengths(values) > limit
    problems.cells(rows[long], column, values[long], f"is longer than {limit} characters")


def constant(value: Any, n: int) -> np.ndarray:
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
            value = np.full(n, value) if isinstance(value, float) else constant(value, n)
        array = np.asarray(value)
        data[name] = pd.Series(array, dtype=object) if array.dtype == object else array
    return pd.DataFrame(data)


def vocabulary(
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
    raw = column_cells(cells, columns, column)
    if raw is None:
        return constant(default, len(rows))
    table = {value: value for value in allowed} | (aliases or {})
    codes, uniques = distinct(raw)
    keys = [header_key(v) for v in uniques]
    words = np.array([table.get(k, default if k == "" else None) for k in keys], dtype=object)
    bad = np.array([k != "" and k not in table for k in keys], dtype=bool)[codes]
    problems.cells(rows[bad], column, text_array(raw)[bad], f"is not one of {', '.join(allowed)}")
    return words[codes]


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


def people_column(
    cells: pd.DataFrame, columns: Columns, column: str, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = column_cells(cells, columns, column)
    if raw is None:
        return constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    refs = constant(None, len(rows))
    given = text != ""
    refs[given] = [person_ref(v) for v in text[given]]
    bad = given & pd.isna(refs)
    problems.cells(rows[bad], column, text[bad], "is not a Slack user ID (U…/W…) or an email")
    return refs


def team_column(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = column_cells(cells, columns, "team")
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


def channel_column(
    cells: pd.DataFrame, columns: Columns, rows: np.ndarray, problems: ProblemLog
) -> np.ndarray:
    raw = column_cells(cells, columns, "channel")
    if raw is None:
        return constant(None, len(rows))
    text = mapped(str.strip, text_array(raw))
    refs = constant(None, len(rows))
    given = text != ""
    refs[given] = [channel_ref(v) for v in text[given]]
    bad = given & pd.isna(refs)
    problems.cells(rows[bad], "channel", text[bad], "is not a channel ID (C…/G…) or #name")
    return refs
