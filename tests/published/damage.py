"""Damaging published files the way a hostile tester (or a hurried edit) does, keeping every other
byte as published: BOM, line endings, quoting."""

from __future__ import annotations

import csv
import io
from pathlib import Path

BOM = b"\xef\xbb\xbf"


def drop_column(path: Path, column: str) -> int:
    """Remove ``column`` (named as in the header, surrounding spaces ignored) from every row of a
    CSV in place; return the number of data rows. The BOM and the line ending are kept."""
    raw = path.read_bytes()
    bom = raw.startswith(BOM)
    text = raw[len(BOM) :].decode("utf-8") if bom else raw.decode("utf-8")
    ending = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    i = [h.strip() for h in rows[0]].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator=ending).writerows(r[:i] + r[i + 1 :] for r in rows)
    path.write_bytes((BOM if bom else b"") + out.getvalue().encode("utf-8"))
    return len(rows) - 1
