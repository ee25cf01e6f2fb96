"""Reading text files as published or exported: encodings, BOMs, CRLF, row lengths, headers.

Every cell is read as a string so that suppression markers and codes survive; problems are
raised as :class:`~csdemand.core.errors.InputError` naming file, row and column. Rows are
numbered as a spreadsheet shows them: the header is row 1.

Hostile files are refused before they cost time or memory: only regular files are opened (a
folder, FIFO, socket or device is named and refused), of at most :data:`MAX_FILE_BYTES`, with
at most :data:`MAX_COLUMNS` columns; a cell longer than :data:`MAX_FIELD_CHARS` is reported on
the row where it starts (or, if a quote opens there and never closes, as that quote).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import re
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError

#: Widest header read: a header of more columns is refused before any row is parsed (a sheet saved
#: with stray cells far to the right gives thousands of empty columns; 100,000 took minutes).
MAX_COLUMNS = 1_000
#: Largest file read, in bytes. Validating a file takes about 6 times its size in memory at the
#: peak (scripts/bench_memory.py: a 200 MB referrals extract, 1.25 GB), so 300 MB stays under 2 GB.
#: The largest English authority's referrals for ten years make under 10 MB.
MAX_FILE_BYTES = 300 * 1_000_000
#: Longest cell, in characters: the csv module's own limit, named in the message when a cell is longer.
MAX_FIELD_CHARS = csv.field_size_limit()

_FILE_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device (such as /dev/zero)"),
    (stat.S_ISBLK, "a block device"),
)


# --------------------------------------------------------------------------- regular files only


def _not_regular(path: str | Path, mode: int) -> InputError:
    what = next((words for test, words in _FILE_TYPES if test(mode)), "not a regular file")
    return InputError(f"this is {what}, not a file", file=path, expected="the path of a CSV file")


def regular_file(path: str | Path) -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular file (symbolic links followed).

    A folder, named pipe, socket or device is refused with :class:`InputError` before anything
    opens it: opening a FIFO blocks until a writer comes, and ``/dev/zero`` never ends.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("no such file", file=path, expected="the path of a CSV file") from None
    except OSError as exc:
        raise InputError(
            f"the file cannot be read ({exc.strerror or exc})", file=path, expected="a readable CSV file"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)
    return st


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for reading in binary if it is a regular file; :class:`InputError` otherwise.

    Checked before opening (:func:`regular_file`), opened non-blocking and checked again once
    open (``fstat``), so a path swapped for a FIFO between the check and the open cannot hang.
    """
    regular_file(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(
            f"the file cannot be read ({exc.strerror or exc})", file=path, expected="a readable CSV file"
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _not_regular(path, mode)
    return open(fd, "rb")


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`) of at most ``limit`` bytes
    (default :data:`MAX_FILE_BYTES`)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise _too_large(path, size, limit)
        try:
            # st_size 0 may still hide content (files under /proc): read up to the limit then.
            raw = fh.read(size) if size else fh.read(limit + 1)
        except OSError as exc:
            raise InputError(
                f"the file cannot be read ({exc.strerror or exc})", file=path, expected="a readable CSV file"
            ) from None
    if len(raw) > limit:
        raise _too_large(path, len(raw), limit)
    return raw


def _too_large(path: str | Path, size: int, limit: int) -> InputError:
    return InputError(
        f"the file is {_size(size)}, more than the {_size(limit)} this tool reads (is it the right file?)",
        file=path,
        expected=f"a CSV file of at most {_size(limit)}",
    )


def _size(n: int) -> str:
    """Bytes as people say them: '2,048 bytes', '300 MB', '1.5 MB' (1 MB = 1,000,000 bytes)."""
    if n < 1_000_000:
        return f"{n:,} bytes"
    mb = n / 1_000_000
    return f"{mb:,.0f} MB" if mb >= 10 or mb.is_integer() else f"{mb:.1f} MB"


# --------------------------------------------------------------------------- text


def read_text_table(path: str | Path) -> pd.DataFrame:
    """Read a published CSV as strings: strips a UTF-8 BOM, accepts CRLF, falls back to Windows-1252.

    Header names keep their published spelling except for surrounding white space
    (SFR files end ``CLA_NetGain `` with a space). Duplicate names (``SNP`` x10) are kept in
    order by suffixing ``.1``, ``.2`` ... as pandas does. Only regular files of at most
    :data:`MAX_FILE_BYTES` with at most :data:`MAX_COLUMNS` columns are read.

    Memory: the row-length check streams over the text one record at a time, and pandas' C
    parser then reads the file itself, so neither its bytes nor its text (nor an ``io.StringIO``,
    which stores 4 bytes a character) are held beside the parsed cells.
    """
    path = Path(path)
    before = regular_file(path)
    raw = read_bytes(path)
    encoding = text_encoding(raw, path)
    text = raw.decode(encoding)
    del raw
    if not text or text.isspace():  # not text.strip(): that copies a large file
        raise InputError("the file is empty", file=path, expected="a CSV file with a header row")
    _check_row_lengths(text, path)
    del text
    try:
        # From the file itself: neither its bytes nor its text are held beside the frame.
        with open_regular(path) as fh:
            df = pd.read_csv(
                fh,
                encoding=encoding,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=False,
                quoting=csv.QUOTE_MINIMAL,
                index_col=False,  # rows ending in an extra comma must not shift every column
            )
        after = regular_file(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise InputError(
                "the file changed while it was being read: read it again once nothing is writing to it",
                file=path,
                expected="a file that is not being written to",
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


_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def text_encoding(raw: bytes, path: Path) -> str:
    """``"utf-8-sig"`` or ``"cp1252"`` (the SFR-era files), whichever decodes ``raw``; else InputError.

    Decides as :func:`decode_text` does without building the decoded text.
    """
    if b"\x00" in raw[:4096]:
        raise InputError(
            "the file is not text (it holds NUL bytes: UTF-16, a spreadsheet or a binary file?)",
            file=path,
            expected="a CSV file in UTF-8 or Windows-1252",
        )
    if raw.isascii() or _is_utf8(raw):
        return "utf-8-sig"
    # Windows-1252 decodes every byte but these five.
    bad = _CP1252_UNDEFINED.search(raw)
    if bad is None:
        return "cp1252"
    raise InputError(
        f"the file is not text in UTF-8 or Windows-1252 (byte {raw[bad.start()]:#04x} at position {bad.start()})",
        file=path,
        expected="a CSV file in UTF-8 or Windows-1252",
    )


def _is_utf8(raw: bytes, chunk: int = 1 << 24) -> bool:
    """Whether ``raw`` is valid UTF-8, decoded 16 MB at a time (the text is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), chunk):
            decoder.decode(view[start : start + chunk], final=start + chunk >= len(raw))
    except UnicodeDecodeError:
        return False
    return True


def decode_text(raw: bytes, path: Path) -> str:
    """UTF-8 (a BOM stripped), else Windows-1252 as the SFR-era files use; InputError otherwise."""
    return raw.decode(text_encoding(raw, path))


class TextLines:
    """The lines of a text, each with its line ending, as ``io.StringIO(text, newline="")`` gives
    them (ends: ``\\n``, ``\\r\\n`` or ``\\r``), without the copy StringIO makes (4 bytes a character).

    ``pos`` is the offset in the text just after the last line handed out: read before a
    ``csv.reader`` asks for a record, it is where that record starts.
    """

    _LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._lines = self._LINE.finditer(text)

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        m = next(self._lines)
        self.pos = m.end()
        return m.group()


def header_too_wide(header: list[str], path: str | Path) -> InputError | None:
    """An InputError when a header has more than :data:`MAX_COLUMNS` columns, else None."""
    if len(header) <= MAX_COLUMNS:
        return None
    named = sum(1 for h in header if h.strip())
    return InputError(
        f"the header has {len(header):,} columns ({named:,} of them named), more than the limit of {MAX_COLUMNS:,}",
        file=path,
        row=1,
        expected=(
            f"at most {MAX_COLUMNS:,} columns (delete the empty columns to the right of the table, or save only "
            "the table)"
        ),
    )


def csv_error(exc: csv.Error, text: str, start: int, row: int, path: str | Path) -> InputError:
    """What a ``csv.Error`` raised on the record that starts at offset ``start`` (spreadsheet row
    ``row``) means: a quote that opens there and never closes (an odd number of quotes from there
    to the end), a cell longer than :data:`MAX_FIELD_CHARS`, or another CSV error."""
    value = text[start : start + 40]
    if "field larger than field limit" in str(exc):
        if text.count('"', start) % 2:
            return InputError(
                "a quoted field opens on this row and never closes: the file is truncated, or a quote is missing",
                file=path,
                row=row,
                value=value,
                expected='a closing " for every opening one',
            )
        return InputError(
            f"a cell on this row is longer than {MAX_FIELD_CHARS:,} characters",
            file=path,
            row=row,
            value=value,
            expected=f"cells of at most {MAX_FIELD_CHARS:,} characters",
        )
    return InputError(
        f"the file cannot be read as CSV from this row on ({exc})",
        file=path,
        row=row,
        value=value,
        expected="well-formed CSV",
    )


def _check_row_lengths(text: str, path: Path) -> None:
    """A truncated file (a row with fewer fields than the header) is an error, not blank cells;
    so are a header wider than :data:`MAX_COLUMNS` and a cell longer than :data:`MAX_FIELD_CHARS`.
    Streams over the records: nothing but the current one is held."""
    lines = TextLines(text)
    reader = csv.reader(lines)
    row, start = 1, 0
    try:
        header = next(reader, [])
        wide = header_too_wide(header, path)
        if wide is not None:
            raise wide
        row, start = 2, lines.pos
        for row_fields in reader:
            if row_fields and len(row_fields) < len(header) and any(cell.strip() for cell in row_fields):
                raise InputError(
                    f"row has {len(row_fields)} fields but the header has {len(header)} (a truncated or damaged file?)",
                    file=path,
                    row=row,
                    column=header[len(row_fields)].strip(),
                    expected="the same number of fields on every row",
                )
            if len(row_fields) > len(header) and any(cell.strip() for cell in row_fields[len(header) :]):
                raise InputError(
                    f"row has {len(row_fields)} fields but the header has {len(header)} (a stray comma or a shifted "
                    "row?)",
                    file=path,
                    row=row,
                    value=row_fields[len(header)],
                    expected="the same number of fields on every row",
                )
            row, start = row + 1, lines.pos
    except csv.Error as exc:
        raise csv_error(exc, text, start, row, path) from None


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
