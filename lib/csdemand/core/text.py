"""Reading text files as published or exported: encodings, BOMs, CRLF, row lengths, headers.

Every cell is read as a string so that suppression markers and codes survive; problems are
raised as :class:`~csdemand.core.errors.InputError` naming file, row and column. Rows are
numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError


def read_text_table(path: str | Path) -> pd.DataFrame:
    """Read a published CSV as strings: strips a UTF-8 BOM, accepts CRLF, falls back to Windows-1252.

    Header names keep their published spelling except for surrounding white space
    (SFR files end ``CLA_NetGain `` with a space). Duplicate names (``SNP`` x10) are kept in
    order by suffixing ``.1``, ``.2`` ... as pandas does.
    """
    path = Path(path)
    raw = path.read_bytes()
    text = decode_text(raw, path)
    if not text.strip():
        raise InputError("the file is empty", file=path, expected="a CSV file with a header row")
    _check_row_lengths(text, path)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=False,
            quoting=csv.QUOTE_MINIMAL,
            index_col=False,  # rows ending in an extra comma must not shift every column
        )
    except pd.errors.EmptyDataError:
        raise InputError("the file has no header row", file=path, expected="a CSV file with a header row") from None
    except pd.errors.ParserError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError(
            f"the file cannot be read as CSV ({exc})",
            file=path,
            row=int(line.group(1)) if line else None,
            expected="the same number of fields on every row",
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def decode_text(raw: bytes, path: Path) -> str:
    """UTF-8 (a BOM stripped), else Windows-1252 as the SFR-era files use; InputError otherwise."""
    if b"\x00" in raw[:4096]:
        raise InputError("the file is not text (it holds NUL bytes: UTF-16, a spreadsheet or a binary file?)", file=path, expected="a CSV file in UTF-8 or Windows-1252")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # The SFR-era files and their metadata were produced on Windows.
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(f"the file is not text in UTF-8 or Windows-1252 (byte {raw[exc.start]:#04x} at position {exc.start})", file=path, expected="a CSV file in UTF-8 or Windows-1252") from None


def _check_row_lengths(text: str, path: Path) -> None:
    """A truncated file (a row with fewer fields than the header) is an error, not blank cells."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for i, row in enumerate(reader, start=2):
            if row and len(row) < len(header) and any(cell.strip() for cell in row):
                raise InputError(
                    f"row has {len(row)} fields but the header has {len(header)} (a truncated or damaged file?)",
                    file=path,
                    row=i,
                    column=header[len(row)].strip(),
                    expected="the same number of fields on every row",
                )
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                raise InputError(
                    f"row has {len(row)} fields but the header has {len(header)} (a stray comma or a shifted row?)",
                    file=path,
                    row=i,
                    value=row[len(header)],
                    expected="the same number of fields on every row",
                )
    except csv.Error as exc:
        raise InputError(f"the file cannot be read as CSV ({exc})", file=path, row=reader.line_num or None, expected="well-formed CSV") from None



def require_columns(df: pd.DataFrame, columns: list[str], file: Path, kind: str) -> None:
    """Stop with a clear message if any expected column is missing."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)} for a {kind} file",
            file=file,
            row=1,
            column=missing[0],
            expected="the published header: " + ", ".join(columns),
        )


def cell_text(value: object) -> str:
    """A spreadsheet or database value as the text a CSV would hold.

    Missing (None, NaN, NaT) -> ``""``; a date -> ``YYYY-MM-DD`` (a datetime at midnight too;
    with a time of day, ``YYYY-MM-DD HH:MM:SS``, which the layouts reject as not a date); a
    whole number (``12`` or ``12.0``) -> ``"12"``; a boolean -> ``"Y"``/``"N"``, the layouts'
    flag codes; anything else ``str(value)``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "Y" if value else "N"
    if np.ndim(value) == 0 and not isinstance(value, (bytes, bytearray)):
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):
            pass
    if isinstance(value, dt.datetime):  # pandas Timestamp included; before date, its base class
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)
