"""Errors that tell an analyst exactly what is wrong with an input, and where."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input: names the file, the row (1-based, header = row 1), the column and what was expected.

    Raised by readers and the importer; the command line prints it without a traceback and exits 2.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.value = value
        self.expected = expected
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        parts = [", ".join(where) + ": " if where else "", self.message]
        if self.value is not None:
            parts.append(f"; found {self.value!r}")
        if self.expected:
            parts.append(f"; expected {self.expected}")
        return "".join(parts)


class RenderError(RuntimeError):
    """A briefing failed to render; names the notebook, the cell and the error."""
