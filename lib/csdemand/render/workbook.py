"""Accessible workbooks: every table of a briefing in one ``.xlsx`` beside the page (``render --format xlsx``).

Laid out as the Government Analysis Function's guidance on releasing statistics in spreadsheets
asks, by ``gptables`` (the Analysis Function's own implementation of that guidance, so the
layout rules are theirs rather than ours): a cover sheet (title, what the workbook holds, the
sources, notes, and what each sheet holds), a table of contents, a notes sheet, then one table
per sheet with its title in A1, notes above the table, the table marked as an Excel table with
one header row, no merged cells and no blank rows or columns inside it.

The tables are the briefing's own, as data: each table and chart displays its cells as a
second output (:data:`csdemand.present.html.TABLE_MIME`), which this module reads from the
executed notebook; nothing is read back from the HTML. Figures are written as numbers (with the
decimals the page prints); a withheld figure is its marker in square brackets (``[c]``, ``[x]``,
``[z]``...), as the guidance asks, explained above each table that uses it and on the notes
sheet; what the page prints after a figure (``(10 of 10)``, a footnote mark) goes to a note
column beside it, and a range (``16.4% to 22.9%``) to two columns.
"""

from __future__ import annotations

import io
import re
import warnings

import pandas as pd

from csdemand.core import numbers
from csdemand.core.errors import RenderError
from csdemand.present.html import Provenance

#: Marker -> how the workbook writes it. The guidance puts shorthand in square brackets. A dash
#: gets words, because the guidance (and gptables) refuse a cell of symbols only, and because the
#: briefings print it for two things: LAIT's "not published" and "not applicable" (the authority's
#: own row in its neighbour table); in a column of words it means "none" (no signal).
MARKER_CELLS = {m: f"[{m}]" for m in ("c", "x", "z", "u", "k")} | {"-": "[no figure]"}
MARKER_WORDS = {
    **numbers.MARKER_MEANINGS,
    "-": "the briefing prints a dash (-): no figure is given, because it is not published (LAIT does not say "
    "whether it is suppressed, not available or not applicable) or does not apply",
}

#: The headline figures' comparators, in the order and words the sheet uses.
COMPARATORS = {
    "neighbours_mean": "Statistical neighbours' mean",
    "neighbours_median": "Statistical neighbours' median",
    "region": "Region",
    "england": "England",
    "published": "As published by DfE",
    "value_1y_earlier": "A year earlier",
    "value_3y_earlier": "Three years earlier",
    "change_1y": "Change on 1 year",
    "change_3y": "Change on 3 years",
}
FLAGS = {
    "rank": "Rank among the authority and its neighbours (1 = lowest)",
    "band": "National quartile band",
    "vs_england": "Against England",
    "change_1y": "Significant change on 1 year",
    "change_3y": "Significant change on 3 years",
    "change_5y": "Direction over 5 years",
    "funnel": "Funnel plot",
    "spc": "Control chart",
}
_SYMBOLS_ONLY = re.compile(r"[^A-Za-z0-9]*")
_FOOTNOTE = re.compile(r"(?P<mark>[^\s:]{1,3}):\s+(?P<text>.+)", re.S)


def tables_of(nb) -> list[dict]:
    """Every table payload the executed notebook displayed, in page order."""
    from csdemand.present.html import TABLE_MIME

    found = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(TABLE_MIME)
            if isinstance(payload, dict):
                found.extend(t for t in payload.get("tables", []) if isinstance(t, dict))
    return found


def _header(text: str, taken: set[str], fallback: str) -> str:
    """A column heading the guidance accepts: not empty, not symbols only, unique in its table."""
    text = " ".join(str(text).split())
    if _SYMBOLS_ONLY.fullmatch(text):
        text = fallback
    name, k = text, 2
    while name.lower() in taken:
        name, k = f"{text} ({k})", k + 1
    taken.add(name.lower())
    return name


def _note_words(note: str, footnotes: dict[str, str]) -> str:
    """What follows a figure, as words: a footnote mark becomes its footnote's text."""
    tokens = note.split()
    plain = " ".join(t for t in tokens if t not in footnotes)
    explained = "; ".join(footnotes[t] for t in tokens if t in footnotes)
    words = f"{plain} ({explained})" if plain and explained else plain or explained
    return words if not _SYMBOLS_ONLY.fullmatch(words) else "see the notes sheet"


def _num_format(cells: list[dict]) -> str:
    decimals = max((int(c.get("decimals", 0)) for c in cells), default=0)
    thousands = any("," in c.get("text", "") for c in cells)
    whole = "#,##0" if thousands else "0"
    return whole + ("." + "0" * decimals if decimals else "")


class Sheet:
    """One table of a briefing laid out for a worksheet: ``frame`` (numbers as numbers, markers
    as ``[c]``), the markers it uses, its footnotes, and a number format for each figure column."""

    def __init__(self, payload: dict) -> None:
        self.title = " ".join(str(payload.get("caption") or "").split())
        self.kind = payload.get("kind", "table")
        self.footnotes = [str(n) for n in payload.get("footnotes", [])]
        self.marker_notes = dict(payload.get("marker_notes") or {})
        marks = {}
        for line in self.footnotes:
            m = _FOOTNOTE.fullmatch(line.strip())
            if m and len(m["mark"]) <= 2:
                marks[m["mark"]] = m["text"].strip().rstrip(".")
        rows = [list(r) for r in payload.get("rows", [])]
        columns = list(payload.get("columns", []))
        self.markers: list[str] = []
        self.formats: dict[str, str] = {}
        data: dict[str, list] = {}
        taken: set[str] = set()
        for j, heading in enumerate(columns):
            cells = [r[j] if j < len(r) else {"text": ""} for r in rows]
            figures = [c for c in cells if "value" in c]
            others = [c for c in cells if "marker" in c and c["marker"] != "-"]
            # "-" is LAIT's "not published" among figures; elsewhere (a signal column) it means none.
            numeric = bool(figures or others)
            units = {c.get("unit", "") for c in figures}
            name = str(heading)
            if units == {"%"} and "%" not in name:
                name += " (%)"
            elif units == {"percentage points"} and "point" not in name:
                name += " (percentage points)"
            ranged = any("upper" in c for c in figures)
            if ranged:
                low, high = _header(f"{name}: lower", taken, "Lower"), _header(f"{name}: upper", taken, "Upper")
                data[low] = [self._cell(c, numeric) for c in cells]
                data[high] = [c["upper"] if "upper" in c else self._cell(c, numeric) for c in cells]
                self.formats[low] = self.formats[high] = _num_format(figures)
                continue
            main = _header(name, taken, "Note" if not numeric else f"Column {j + 1}")
            data[main] = [self._cell(c, numeric) for c in cells]
            if figures:
                self.formats[main] = _num_format(figures)
            if any(c.get("note") for c in cells):
                note = _header(f"{name}: note", taken, "Note")
                data[note] = [_note_words(c["note"], marks) if c.get("note") else None for c in cells]
        self.frame = pd.DataFrame(data)

    def _cell(self, cell: dict, numeric: bool):
        if "value" in cell:
            return cell["value"]
        mark = cell.get("marker")
        if mark and (numeric or mark != "-"):
            if mark not in self.markers:
                self.markers.append(mark)
            return MARKER_CELLS.get(mark, f"[{mark}]")
        text = str(cell.get("text", "")).strip()
        if not text:
            return None
        return "none" if _SYMBOLS_ONLY.fullmatch(text) else text


def marker_legend(marks: list[str], extra: dict[str, str] | None = None) -> list[str]:
    """``[c] = suppressed ...`` for each marker used, in the order c x z u k -."""
    out = []
    for m in sorted(marks, key=lambda m: "cxzuk-".find(m) if m in "cxzuk-" else 9):
        words = MARKER_WORDS.get(m, "see the notes sheet")
        more = (extra or {}).get(m)
        out.append(f"{MARKER_CELLS.get(m, f'[{m}]')} = {words}" + (f" ({more})" if more else ""))
    return out


def _round(value, decimals: int):
    if value is None or numbers.is_missing(value):
        return None
    r = numbers.round_half_up(float(value), decimals)
    return int(r) if decimals == 0 else r


def headline_frame(figures: list[dict]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The briefing's headline figures (its JSON record's ``figures``) as a table: one row a
    figure, rounded as the page prints it (``reference/measures.csv`` decimals; neighbours'
    averages to at least 1 decimal), a withheld value as its marker, ``[x]`` where a comparator
    has no value and ``[z]`` where it does not apply to that figure. Returns the frame, the
    number format of each figure column and the markers used."""
    used: list[str] = []

    def mark(m: str) -> str:
        used.append(m)
        return MARKER_CELLS[m]

    keys = [k for k in COMPARATORS if any(k in (f.get("comparators") or {}) for f in figures)]
    flags = [k for k in FLAGS if any((f.get("flags") or {}).get(k) for f in figures)]
    formats: dict[str, str] = {}
    decimals_seen = [0]
    rows = []
    for f in figures:
        try:
            decimals = numbers.decimals_of(str(f.get("measure")))
        except KeyError:
            decimals = 1  # a figure with no line in measures.csv (an average of months)
        status = str(f.get("status") or "")
        value = _round(f.get("value"), decimals)
        if status or value is None:
            value = mark(status if status in MARKER_CELLS else "x")
        else:
            decimals_seen.append(decimals)
        row = {
            "Figure": str(f.get("label") or f.get("measure")),
            "Period": int(period) if (period := str(f.get("period", ""))).isdigit() else period,
            "Value": value,
            "Unit": {"%": "percent", "": "none"}.get(str(f.get("unit") or ""), str(f.get("unit"))),
        }
        comps = f.get("comparators") or {}
        for k in keys:
            d = max(1, decimals) if k.startswith("neighbours") else decimals
            v = _round(comps.get(k), d) if k in comps else None
            row[COMPARATORS[k]] = v if v is not None else mark("x" if k in comps else "z")
            formats[COMPARATORS[k]] = "#,##0" + ("." + "0" * d if d else "")
        given = f.get("flags") or {}
        for k in flags:
            v = str(given.get(k) or "")
            rank = re.fullmatch(r"(\d+) of (\d+)", v)
            if k == "rank":
                row[FLAGS[k]] = int(rank[1]) if rank else mark("z")
                row["Ranked among"] = int(rank[2]) if rank else mark("z")
            else:
                row[FLAGS[k]] = v.replace("_", " ") if v else ("none" if k in given else mark("z"))
        rows.append(row)
    d = max(decimals_seen)
    formats["Value"] = "#,##0" + ("." + "0" * d if d else "")
    return pd.DataFrame(rows), formats, list(dict.fromkeys(used))


def _sources(provenance: dict) -> list[str]:
    from csdemand.present.html import month_name

    out = []
    for s in provenance.get("sources", []):
        when = s.get("published", "")
        verb = "data to" if s.get("publisher") == "Council" else "published"
        out.append(f"{s.get('publisher', '')}: {s.get('title', '')} ({verb} {month_name(when)})".strip())
    return out


def briefing_workbook(nb, record: dict, provenance: Provenance | dict | None = None) -> bytes:
    """The ``.xlsx`` bytes of one briefing: cover, contents, notes, its headline figures (from
    ``record``), and every table the executed notebook ``nb`` displayed, one a sheet.
    ``provenance``: the briefing's record (typed, or as its payload). :class:`RenderError` (one
    line) when gptables refuses a table."""
    if isinstance(provenance, Provenance):
        provenance = provenance.payload()
    try:
        return _workbook(nb, record, provenance)
    except Exception as exc:  # gptables' refusals are several lines of guidance: say the first
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [repr(exc)]
        raise RenderError(f"writing the workbook failed: {' '.join(lines[:2])}") from None


def _workbook(nb, record: dict, provenance: dict | None) -> bytes:
    import gptables as gpt

    from csdemand import __version__

    provenance = provenance or {}
    title = str(record.get("title", "Briefing"))
    authority = str(record.get("authority", ""))
    period = str(record.get("period", ""))
    sources = _sources(provenance)  # on the cover: the same for every table
    notes: dict[str, str] = {}  # note text -> reference (gptables numbers them in order of use)
    used_markers: list[str] = []
    sheets: dict[str, gpt.GPTable] = {}
    what: list[str] = []

    def note_refs(lines: list[str]) -> str:
        refs = ""
        for line in lines:
            ref = notes.setdefault(line.strip(), f"note{len(notes) + 1}")
            refs += f"$${ref}$$"
        return " " + refs if refs else ""

    figures = record.get("figures") or []
    if figures:
        frame, formats, marks = headline_frame(figures)
        used_markers += marks
        sheets["Headlines"] = gpt.GPTable(
            table=frame,
            table_name="headline_figures",
            title=f"Headline figures: {title}",
            subtitles=[
                "One row for each figure the briefing leads with, rounded to the decimal places its measure is "
                "published to (reference/measures.csv; 1 for a figure with no published measure). "
                "Sources: see the cover sheet."
            ],
            instructions=_instructions(marks),
            legend=marker_legend(marks),
            index_columns={2: 0},
            additional_formatting=_formats(formats, frame),
        )
        what.append("Headlines: the briefing's headline figures with their comparators and flags")
    for k, payload in enumerate(tables_of(nb), start=1):
        sheet = Sheet(payload)
        if sheet.frame.empty or sheet.frame.dropna(how="all").empty:
            continue
        number = len(sheets) + (0 if figures else 1)
        label = f"Table_{number}"
        kind = " (the figures behind the chart)" if sheet.kind == "chart" else ""
        table_title = (sheet.title or f"Table {k}") + kind
        used_markers += sheet.markers
        sheets[label] = gpt.GPTable(
            table=sheet.frame,
            table_name=f"table_{number}",
            title=table_title + note_refs(sheet.footnotes),
            subtitles=[f"{authority}, {_period_words(period)}. Sources: see the cover sheet."],
            instructions=_instructions(sheet.markers),
            legend=marker_legend(sheet.markers, sheet.marker_notes),
            index_columns={2: 0},
            additional_formatting=_formats(sheet.formats, sheet.frame),
        )
        what.append(f"{label}: {table_title}")
    if not sheets:
        # A briefing with no table still gets a workbook that says so (the guidance wants a table a sheet).
        empty = pd.DataFrame({"Note": ["This briefing shows no tables."]})
        sheets["Table_1"] = gpt.GPTable(table=empty, table_name="table_1", title=f"Tables: {title}", index_columns={})
        what.append("Table_1: says the briefing shows no tables")
    marker_rows = marker_legend(list(dict.fromkeys(list(MARKER_CELLS) + used_markers)))
    notes_table = pd.DataFrame(
        {
            "Note reference": list(notes.values()) + [f"marker_{i}" for i in range(len(marker_rows))],
            "Note text": list(notes) + [f"Shorthand: {r}" for r in marker_rows],
        }
    )
    cover = gpt.Cover(
        title=f"{title}: tables",
        intro=[
            f"Every table of the briefing '{title}' for {authority}, {_period_words(period)}, as data, one table "
            "a sheet.",
            "Figures are numbers, rounded as the briefing prints them. A figure that is withheld or missing shows "
            "a shorthand in square brackets, such as [c]; the notes sheet says what each means.",
            f"Made by csdemand {__version__} on {str(record.get('rendered_at', ''))[:10]}.",
        ],
        about=(
            (["Sources: " + "; ".join(sources)] if sources else [])
            + [str(n) for n in provenance.get("notes", [])]
            + ["What each sheet holds: Contents (a list of the tables, with links), Notes (notes and shorthand)"]
            + what
        ),
        contact=None,
    )
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # gptables warns on every blank cell (a table's empty "note" cells are meant) and on notes
        # no table refers to (the shorthand rows): both are as intended here.
        warnings.simplefilter("ignore")
        wb = gpt.produce_workbook(
            filename=buffer,
            sheets=sheets,
            cover=cover,
            notes_table=notes_table,
            contentsheet_label="Contents",
            workbook_options={"in_memory": True},
        )
        wb.set_properties({"title": f"{title}: tables", "subject": authority, "comments": "csdemand"})
        wb.close()
    return buffer.getvalue()


def _period_words(period: str) -> str:
    """``2025`` -> "year to 31 March 2025"; ``2026-10`` -> "October 2026"."""
    from csdemand.core import periods

    if re.fullmatch(r"\d{4}", period):
        return periods.year_label(int(period))
    return periods.month_label(period)


def _instructions(marks: list[str]) -> str:
    base = "This worksheet contains one table. Some cells refer to notes, which are on the notes sheet."
    return base + (" Shorthand in square brackets, such as [c], is explained above the table." if marks else "")


def _formats(formats: dict[str, str], frame: pd.DataFrame) -> list[dict]:
    by_format: dict[str, list[str]] = {}
    for column, fmt in formats.items():
        if column in frame.columns:
            by_format.setdefault(fmt, []).append(column)
    return [{"column": {"columns": cols, "format": {"num_format": fmt}}} for fmt, cols in by_format.items()]
