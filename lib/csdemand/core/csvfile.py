"""A local table's CSV file as the readers and ``validate`` both see it.

:func:`scan` reads a file and reports what is wrong with it as a file (empty, UTF-16, binary, an
Excel workbook or a web page renamed ``.csv``, not UTF-8 or Windows-1252, fields separated by
semicolons, a quote that never closes, a cell over Python's limit, a header over
:data:`~csdemand.core.text.MAX_COLUMNS` columns); :func:`frame` then reports every row with
another number of fields than the header and returns the other rows as strings, with the row
each has in a spreadsheet (blank lines are skipped, as a spreadsheet shows them, and still
counted). Problems go to a :class:`~csdemand.core.problems.Report`: ``validate`` lists them all,
a reader raises the first (:func:`csdemand.core.schema.read_csv`), so the two name the same row.

Memory: a 200 MB file is held once as text while it is scanned (the bytes are dropped once
decoded) and the scan keeps two integers a record; pandas' C parser then reads the file itself.
"""

from __future__ import annotations

import csv
import io
import re
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import text as text_io
from csdemand.core.errors import InputError
from csdemand.core.problems import LIMIT, Report
from csdemand.core.text import TextLines

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (or a zip archive), not a CSV file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) workbook, not a CSV file"),
    (b"%PDF", "a PDF, not a CSV file"),
    (b"\x1f\x8b", "a gzip archive, not a CSV file"),
)
_SAVE_AS = "a CSV file saved as UTF-8 (in Excel: Save As 'CSV UTF-8 (Comma delimited)')"


def _line_of(text: str | bytes, pos: int) -> int:
    nl = "\n" if isinstance(text, str) else b"\n"
    return text.count(nl, 0, pos) + 1


def _decode(raw: bytes, rep: Report) -> str | None:
    """The file's text, or None after reporting why it is not readable text.

    Memory: nothing here copies the text (``strip()`` or ``lstrip()`` of a 200 MB file would).
    """
    if not raw or raw.isspace():
        rep.add("the file is empty", expected="a CSV file with a header row and data rows")
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        rep.add("the file is UTF-16 text, not UTF-8", row=None, value=raw[:2], expected=_SAVE_AS)
        return None
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            rep.add(f"the file is {what}", value=raw[:4], expected=_SAVE_AS)
            return None
    nul = raw.find(b"\x00")
    if nul >= 0:
        sample = raw[:4096]
        utf16 = sample.count(0) >= len(sample) * 0.3 and (
            sample[1::2].count(0) > len(sample) * 0.4 or sample[0::2].count(0) > len(sample) * 0.4
        )
        what = (
            "the file looks like UTF-16 text without a byte-order mark (NUL bytes between letters)"
            if utf16
            else "the file is not text: it holds NUL bytes (a binary file?)"
        )
        rep.add(what, row=_line_of(raw, nul), value=raw[max(0, nul - 4) : nul + 4], expected=_SAVE_AS)
        return None
    try:
        text = raw.decode("utf-8-sig")
        windows = False
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp1252")
            windows = True
        except UnicodeDecodeError:
            rep.add(
                "the file is in an unknown encoding: its bytes are neither UTF-8 nor Windows-1252 text",
                row=_line_of(raw, exc.start),
                value=raw[exc.start : exc.start + 8],
                expected=_SAVE_AS,
            )
            return None
    text = text.rstrip("\x1a")  # a DOS end-of-file marker
    if not text or text.isspace():
        rep.add(
            "the file is empty (it holds only a byte-order mark or white space)",
            expected="a CSV file with a header row and data rows",
        )
        return None
    m = _CONTROL.search(text)
    if m:
        rep.add(
            "the file holds control characters: it is not text in UTF-8 or Windows-1252 (a binary file, or the wrong "
            "encoding)",
            row=_line_of(text, m.start()),
            value=m.group(),
            expected=_SAVE_AS,
        )
        return None
    if windows:
        high = sum(text.count(ch) for ch in set(text) if ord(ch) > 127)
        if high > max(8, len(text) * 0.1):
            rep.add(
                "the file is not UTF-8 and does not read as Windows-1252 text either (too many unusual characters)",
                expected=_SAVE_AS,
            )
            return None
    lead = _NOT_SPACE.search(text)  # text is not all white space (above)
    first = text[lead.start()]
    if first == "<":
        rep.add(
            "the file is HTML or XML (a web page or a download error?), not CSV",
            row=1,
            value=text[lead.start() : lead.start() + 40],
            expected="a CSV file",
        )
        return None
    if first in "{[":
        rep.add("the file is JSON, not CSV", row=1, value=text[lead.start() : lead.start() + 40], expected="a CSV file")
        return None
    return text


_NOT_SPACE = re.compile(r"\S")  # \s is str.isspace's white space, as str.strip() uses


@dataclass
class _Scan:
    """One streaming pass over a CSV text: the header, and for every further record its number of
    fields and where it starts, without holding the records themselves.

    ``starts[k]`` is the offset of record ``k`` (the header is record 0); the last entry is where
    the scan stopped (the end of the text, or the record a CSV error stopped it on). ``samples``:
    the text of the first :data:`LIMIT` records of the wrong length, for the messages.
    ``truncated_at``: the spreadsheet row of a quoted field that never closes, as in the old
    whole-list parse.
    """

    header: list[str]
    lengths: np.ndarray
    blank_one: np.ndarray  # positions of blank records: no field, or one field of white space
    starts: np.ndarray
    samples: dict[int, str]
    truncated_at: int | None = None


def _parse(text: str, rep: Report) -> _Scan | None:
    """Scan every record of the CSV text (see :class:`_Scan`); None when there is no header to
    check against (no record at all, a CSV error on row 1, or a header wider than
    :data:`~csdemand.core.text.MAX_COLUMNS`, reported here).

    An unclosed quote swallows the rest of the file into one field: it is reported at the row
    where it opens, and that record should be left out. A cell longer than the csv module's limit
    stops the scan at its row, reported as a long cell or, if a quote opens there and never
    closes, as that quote.
    """
    lines = TextLines(text)
    reader = csv.reader(lines, strict=False)
    starts = array("q", [0])
    lengths = array("q")
    blank_one = array("q")
    samples: dict[int, str] = {}
    header: list[str] | None = None
    try:
        header = next(reader, None)
        if header is None:
            return None
        starts.append(lines.pos)
        wide = text_io.header_too_wide(header, rep.source)
        if wide is not None:
            rep.add(wide.message, row=1, value=f"{len(header):,} columns", expected=wide.expected or "")
            return None
        n = len(header)
        for rec in reader:
            k = len(rec)
            if k != n:
                if k == 0 or (k == 1 and n > 1 and not rec[0].strip()):
                    blank_one.append(len(lengths))  # a blank line, as a spreadsheet shows it
                elif len(samples) < LIMIT:
                    samples[len(lengths)] = ",".join(rec)[:60]
            lengths.append(k)
            starts.append(lines.pos)
    except csv.Error as exc:
        row = 1 if header is None else len(lengths) + 2
        err = text_io.csv_error(exc, text, starts[-1], row, rep.source)
        rep.add(err.message, row=err.row, value=err.value, expected=err.expected or "")
        if header is None:
            return None
        return _Scan(
            header,
            np.frombuffer(lengths, dtype=np.int64),
            np.frombuffer(blank_one, dtype=np.int64),
            np.frombuffer(starts, dtype=np.int64),
            samples,
        )
    scan = _Scan(
        header,
        np.frombuffer(lengths, dtype=np.int64),
        np.frombuffer(blank_one, dtype=np.int64),
        np.frombuffer(starts, dtype=np.int64),
        samples,
    )
    if text.count('"') % 2:
        last = len(lengths)  # records after the header: the last record's row is last + 1
        begin = int(scan.starts[last])
        if text.count('"', begin) % 2:
            rep.add(
                "a quoted field opens on this row and never closes: the file is truncated, or a quote is missing",
                row=last + 1,  # the record's index, 1-based: its spreadsheet row
                value=text[begin : begin + 40],
                expected='a closing " for every opening one',
            )
            scan.truncated_at = last + 1
    return scan


def _shape(scan: _Scan, rep: Report) -> tuple[np.ndarray, np.ndarray]:
    """Which data records to keep (a mask) and their spreadsheet row numbers.

    Records with another number of fields than the header are reported (the last one, if short,
    as a truncated file) and left out, as are blank lines and the record of an unclosed quote
    (``truncated_at``).
    """
    n = len(scan.header)
    body = len(scan.lengths) if scan.truncated_at is None else max(0, scan.truncated_at - 2)
    lengths = scan.lengths[:body]
    blank = lengths == 0
    if n > 1:
        blank[scan.blank_one[scan.blank_one < body]] = True
    wrong = (lengths != n) & ~blank
    rownums = np.arange(body) + 2
    if wrong.any():
        last = body - 1
        while last >= 0 and blank[last]:
            last -= 1
        idx = np.flatnonzero(wrong)
        for i in idx[:LIMIT]:
            k = int(lengths[i])
            if i == last and k < n and scan.truncated_at is None:
                message = f"the last row is cut short: it has {k} of the header's {n} fields (a truncated file?)"
            else:
                message = f"the row has {k} field{'s' if k != 1 else ''}; the header has {n}"
            rep.add(
                message,
                row=int(rownums[i]),
                value=scan.samples.get(int(i), ""),
                expected=f"{n} fields, as in the header",
            )
        rep.total += max(0, len(idx) - LIMIT)
    keep = ~wrong & ~blank
    return keep, rownums[keep]


def _kept_text(text: str, scan: _Scan, keep: np.ndarray) -> str:
    """The header and the kept data records, every left-out record cut away."""
    starts = scan.starts
    records = np.flatnonzero(keep) + 1  # body record j is record j + 1 (the header is record 0)
    breaks = np.flatnonzero(np.diff(records) != 1)
    firsts = np.r_[records[0], records[breaks + 1]]
    lasts = np.r_[records[breaks], records[-1]]
    return "".join([text[: starts[1]]] + [text[starts[a] : starts[b + 1]] for a, b in zip(firsts, lasts)])


def _frame(source: bytes | Path, encoding: str, rows: int, n: int) -> pd.DataFrame | None:
    """pandas' C parser's frame of strings (columns 0..n-1) from CSV bytes or a file, or None
    unless it found exactly ``rows`` records of ``n`` fields, as the csv module did.

    The C parser is fast and shares one ``str`` among equal cells (dates, codes); it differs
    from the csv module on a few odd files (a line of white space in a one-column file, a
    carriage return closing a quoted field), which then take the csv module's records instead.
    """
    try:
        if isinstance(source, Path):
            with text_io.open_regular(source) as fh:
                df = pd.read_csv(
                    fh, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False, index_col=False
                )
        else:
            df = pd.read_csv(
                io.BytesIO(source),
                encoding=encoding,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                index_col=False,
            )
    except (ValueError, InputError):  # pandas' ParserError and EmptyDataError among them
        return None
    if df.shape != (rows, n):
        return None
    df.columns = range(n)
    return df


def _frame_by_csv(text: str, n: int) -> pd.DataFrame:
    """Every record after the header, as the csv module reads them (all of them of ``n`` fields)."""
    body = list(csv.reader(TextLines(text), strict=False))[1:]
    return pd.DataFrame(body, columns=range(n), dtype=str)


@dataclass
class File:
    """A scanned CSV file: its header (names stripped) and what :func:`frame` needs to read its rows."""

    path: Path
    header: list[str]
    scan: _Scan
    text: str
    encoding: str | None  # the encoding pandas can read the file in (None: only the text will do)
    stat: object  # os.stat_result when read, to tell if the file changes while it is checked


_SEPARATORS = ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"))


def scan(path: str | Path, rep: Report) -> File | None:
    """Read and scan a CSV file; None after reporting why its rows cannot be checked (the file
    is not a readable CSV, or its header is blank or a single field of ``;``/tab/``|``-separated
    names). Only regular files are opened, of at most :data:`~csdemand.core.text.MAX_FILE_BYTES`."""
    path = Path(path)
    try:
        as_read = text_io.regular_file(path)  # size and time, to tell if it changes while checked
        raw = text_io.read_bytes(path)
    except InputError as exc:
        rep.add(exc.message, value=exc.value, expected=exc.expected or "")
        return None
    text = _decode(raw, rep)
    if text is None:
        return None
    # The encoding pandas can read the file itself in (None: only the text will do).
    encoding = None if raw.endswith(b"\x1a") else text_io.text_encoding(raw, path)
    del raw  # the text is what is read from here on
    parsed = _parse(text, rep)
    if parsed is None or parsed.truncated_at == 1:
        return None
    header = [h.strip() for h in parsed.header]
    if not any(header):
        rep.add(
            "the first row is blank: the header must be on row 1",
            row=1,
            value=",".join(parsed.header),
            expected="a header row naming the columns on row 1",
        )
        return None
    if len(header) == 1:
        for sep, what in _SEPARATORS:
            if sep in header[0]:
                rep.add(
                    f"the fields are separated by {what}, not commas",
                    row=1,
                    value=header[0][:60],
                    expected="a comma-separated (CSV) file",
                )
                return None
    return File(path, header, parsed, text, encoding, as_read)


def report_row_lengths(file: File, rep: Report) -> None:
    """Report the rows of another length than the header (as :func:`frame` does), reading nothing more."""
    _shape(file.scan, rep)


def frame(file: File, rep: Report) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The rows of a scanned file with as many fields as the header, as strings named by the
    header, and the spreadsheet row of each; rows of another length are reported. None (after
    saying so) if the file changed while it was checked. The file's text is released here."""
    scan_, text, path, encoding = file.scan, file.text, file.path, file.encoding
    file.text = ""  # memory: neither the text nor the file's bytes are held beside the frame
    keep, rownums = _shape(scan_, rep)
    n, rows = len(file.header), int(keep.sum())
    # Every record kept: pandas reads the file itself. Else it reads the kept records' bytes.
    whole = (
        rows > 0
        and encoding is not None
        and rows == len(scan_.lengths)
        and scan_.truncated_at is None
        and int(scan_.starts[-1]) == len(text)
    )
    kept = _kept_text(text, scan_, keep).encode("utf-8") if rows and not whole else None
    del text, scan_
    file.scan = None
    if rows == 0:
        df = pd.DataFrame({i: pd.Series(dtype=str) for i in range(n)})
    elif whole:
        df = _frame(path, encoding, rows, n)
        try:
            after = text_io.regular_file(path)
            same = (after.st_size, after.st_mtime_ns) == (file.stat.st_size, file.stat.st_mtime_ns)
        except InputError:
            same = False
        if not same:
            rep.add(
                "the file changed while it was being checked: check it again once nothing is writing to it",
                expected="a file that is not being written to",
            )
            return None
        if df is None:  # pandas and the csv module disagree on this file: the csv module's records, as checked
            df = _frame_by_csv(text_io.read_bytes(path).decode(encoding), n)
    else:
        df = _frame(kept, "utf-8", rows, n)
        if df is None:
            df = _frame_by_csv(kept.decode("utf-8"), n)
        del kept
    df.columns = file.header
    return df, rownums
