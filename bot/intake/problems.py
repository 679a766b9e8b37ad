"""Why a file is refused, in lines a person can act on.

Every layer of an import (reading, header matching, cell checks, unknown accounts) reports into
one `ProblemLog`, so a rejected file gets one message naming every problem, sorted by row, rather
than one problem per attempt. Nothing here knows file formats or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_PROBLEMS = 50


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
