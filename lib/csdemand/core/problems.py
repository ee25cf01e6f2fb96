"""Problems found in an input: what the table engine (:mod:`csdemand.core.schema`) and the file
checks (:mod:`csdemand.core.csvfile`) report, what ``validate`` lists and what a reader raises.

A :class:`Problem` names the source, the row as a spreadsheet shows it (header = row 1; ``None``
for the whole file or a whole column), the column, the value found, what was expected and a
message, with a level: an ``error`` (the readers refuse the table), a ``warning`` (worth a look,
the readers accept it) or a note (``info``: not a problem, e.g. a field the source does not
record). A :class:`Report` collects them for one source in one order, so that the first error
``validate`` lists is the one a reader raises (:meth:`Report.first_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError

#: Problems listed per source; the rest are counted in a final "... and N more" line.
LIMIT = 200

ERROR = "error"
WARNING = "warning"
INFO = "info"  # a note, not a problem: what the source does not record
MORE = "more"  # the closing "... and N more" line of a capped report

# Where a problem sorts: file and header problems first, then rows in order, then whole-table
# findings (a month missing from a span, a note): a gap found after a bad month cell is then
# reported after that cell, whose fault it may be.
_BEFORE, _ROWS, _AFTER = 0, 1, 2


@dataclass
class Problem:
    """One problem in a source. ``row`` counts as a spreadsheet does (header = row 1); ``None``
    for a problem with the whole file or column. ``level`` is ``"error"``, ``"warning"`` (worth a
    look, the readers accept it), ``"info"`` (a note) or ``"more"`` for the closing line of a
    capped report, whose ``count`` says how many problems it stands for."""

    source: str
    row: int | None
    column: str | None
    value: object
    expected: str
    message: str
    level: str = ERROR
    count: int = 1

    def __str__(self) -> str:
        if self.level == MORE:
            return f"{self.source}: {self.message}"
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + ": " + {WARNING: "warning: ", INFO: "note: "}.get(self.level, "") + self.message
        if self.value is not None:
            text += f"; found {self.value!r}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text

    def error(self) -> InputError:
        """This problem as the :class:`InputError` a reader raises (the same words, row and column)."""
        return InputError(
            self.message,
            file=self.source,
            row=self.row,
            column=self.column,
            value=self.value,
            expected=self.expected or None,
        )


def count(problems: Iterable[Problem]) -> int:
    """How many problems a report holds, counting those a capped report only summarises (notes,
    ``level="info"``, are not problems)."""
    return sum(p.count for p in problems if p.level != INFO)


def problem_from_error(exc: InputError, source: str | Path) -> Problem:
    """An :class:`InputError` (raised while reading) as a problem of ``source``."""
    return Problem(str(source), exc.row, exc.column, exc.value, exc.expected or "", exc.message)


class Report:
    """Collects the problems of one source.

    ``rows``: the spreadsheet row of each position of the frame being checked (default: position
    + 2, the header being row 1). ``quote``: False quotes no value (a configured path whose header
    is not yet known to be the table's: see :mod:`csdemand.validation.checks`); ``shorten`` is
    applied to every value quoted. Only the first :data:`LIMIT` problems of each check are built,
    the rest counted, so a file with a million bad cells costs no more than one with 200.
    """

    def __init__(
        self,
        source: str | Path,
        rows: np.ndarray | None = None,
        *,
        quote: bool = True,
        shorten: Callable[[object], object] | None = None,
    ) -> None:
        self.source = str(source)
        self.rows = rows
        self.quote = quote
        self.shorten = shorten
        self.items: list[tuple[tuple[int, int, int], Problem]] = []
        self.total = 0

    def _value(self, value: object) -> object:
        if not self.quote:
            return None
        return self.shorten(value) if self.shorten is not None and value is not None else value

    def row_of(self, pos: int) -> int:
        """The spreadsheet row of a position of the frame being checked."""
        return int(self.rows[pos]) if self.rows is not None else pos + 2

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str = "",
        level: str = ERROR,
        after: bool = False,
    ) -> None:
        """One problem. ``row`` None is the whole file or table: listed before the rows, or after
        them with ``after`` (a finding about the whole table, such as a missing month)."""
        self.total += 1
        phase = _ROWS if row is not None else (_AFTER if after else _BEFORE)
        key = (phase, row or 0, len(self.items))
        self.items.append((key, Problem(self.source, row, column, self._value(value), expected, message, level)))

    def mask(
        self,
        bad: pd.Series | np.ndarray,
        column: str | None,
        value: Callable[[int], object] | pd.Series | None,
        message: str | Callable[[int], str],
        expected: str,
        level: str = ERROR,
    ) -> None:
        """One problem per True in ``bad`` (positions in the frame); ``value`` gives the value at a
        position (a Series, or a function of the position) and ``message`` may be a function of it."""
        bad = np.asarray(bad, dtype=bool)
        n = int(bad.sum())
        if not n:
            return
        self.total += n
        for pos in np.flatnonzero(bad)[:LIMIT]:
            pos = int(pos)
            text = message(pos) if callable(message) else message
            if value is None:
                found = None
            elif isinstance(value, pd.Series):
                found = value.iloc[pos]
            else:
                found = value(pos)
            row = self.row_of(pos)
            key = (_ROWS, row, len(self.items))
            self.items.append((key, Problem(self.source, row, column, self._value(found), expected, text, level)))

    def errors(self) -> bool:
        """Whether any error has been found (warnings and notes aside)."""
        return any(p.level == ERROR for _, p in self.items)

    def sorted(self) -> list[Problem]:
        """Every problem built so far, in report order."""
        return [p for _, p in sorted(self.items, key=lambda kp: kp[0])]

    def first_error(self) -> Problem | None:
        """The first error in report order: the one a reader raises."""
        return next((p for p in self.sorted() if p.level == ERROR), None)

    def raise_first(self) -> None:
        """Raise the first error as an :class:`InputError` (nothing if there is none)."""
        first = self.first_error()
        if first is not None:
            raise first.error()

    def finish(self) -> list[Problem]:
        """The report: at most :data:`LIMIT` problems in order, then a line counting the rest."""
        items = self.sorted()[:LIMIT]
        more = self.total - len(items)
        if more > 0:
            items.append(
                Problem(
                    self.source,
                    None,
                    None,
                    None,
                    "",
                    f"... and {more:,} more problem{'s' if more != 1 else ''} (only the first {LIMIT} are listed)",
                    MORE,
                    more,
                )
            )
        return items
