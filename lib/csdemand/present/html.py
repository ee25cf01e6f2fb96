"""What a briefing shows, as HTML fragments the notebook displays and the report keeps.

Every chart carries alt text and a "view as table" alternative; every table escapes text that
came from data files; provenance travels as a machine-readable output the renderer reads, and so
does every table (:data:`TABLE_MIME`: its cells as data, numbers and markers apart), for the
workbook beside the page.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import dataclass, field

import pandas as pd

PROVENANCE_MIME = "application/vnd.csdemand.provenance+json"
#: A second output in the display bundle of every table and chart: ``{"tables": [payload, ...]}``,
#: each payload :func:`table_data`. Browsers, nbconvert and JupyterLab ignore it (the page shows the
#: ``text/html``); ``render --format xlsx`` reads it from the executed notebook.
TABLE_MIME = "application/vnd.csdemand.table+json"

#: Cells that read as figures (right-aligned in tables): 1,280  -3.0%  +18  88.9 (10 of 10)  9 of 11
#: and the markers DfE prints in place of a figure (c, x, z, u, k).
_NUMERIC = re.compile(
    r"[+-]?[\d,]+(\.\d+)?%?( pts)?( \(\d+ of \d+\))?( of \d+)?|[cxzuk]( \(\d+ of \d+\))?|not available"
)
_MARKER_CELL = re.compile(r"([cxzuk])( \(\d+ of \d+\))?")

# A table's payload rides inside its markup (``<script type=TABLE_MIME>``, a data block no browser
# runs) so that it survives the briefings' joining of fragments (``Html(a.markup + b.markup)``); the
# display bundle of :class:`Html` and :class:`Chart` moves it out of the HTML into TABLE_MIME.
# Its JSON holds no ``<`` (escaped), so the pattern cannot end early.
_CARRIER = re.compile(r'<script type="application/vnd\.csdemand\.table\+json">([^<]*)</script>')
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
#: A printed figure: number, optional %, and what may follow it.
_FIGURE = re.compile(rf"(?P<num>{_NUMBER})(?P<pct>%)?(?:\s*(?P<rest>.*))?", re.S)
_RANGE = re.compile(rf"to\s+(?P<num>{_NUMBER})%?")
#: What may follow a figure and still leave it a figure: a footnote mark (``2010 *``, ``112 r``),
#: words in brackets (``88.9 (10 of 10)``, ``4 (somewhat close)``), ``of 11``, ``in 2020 r``.
_ANNOTATION = re.compile(r"[*r]|\(.*\)|of [\d,]+|in \d{4}(?: [*r])?")


def esc(text: object) -> str:
    """HTML-escape any text that may have come from a data file."""
    return html.escape(str(text), quote=True)


def fmt_number(
    value: object,
    decimals: int = 0,
    *,
    status: str | None = "",
    unit: str = "",
    sign: bool = False,
    noun: str = "children",
    note: str = "",
) -> str:
    """A figure for a sentence or a tile (:mod:`csdemand.core.numbers`: half up, never nan):
    ``1,280``, ``88.9``, ``20.5%``; a withheld or missing one in words ("c (suppressed: fewer
    than 6 children)", "not applicable (published with Cornwall)", "not available")."""
    from csdemand.core import numbers

    st = "" if numbers.is_missing(status) else str(status).strip().lower()
    if st or numbers.is_missing(value):
        return numbers.marker_words(st or "x", noun=noun, note=note)
    return numbers.fmt(value, decimals, unit=unit, sign=sign)


def marker_footnote(cells: list[str], notes: dict[str, str] | None = None) -> str:
    """'c: suppressed ...; z: not applicable (...)' for the markers among ``cells`` ('' if none)."""
    from csdemand.core import numbers

    found = []
    for cell in cells:
        m = _MARKER_CELL.fullmatch(str(cell).strip())
        if m and m.group(1) not in found:
            found.append(m.group(1))
    parts = []
    for mark in sorted(found, key="cxzuk".index):
        extra = (notes or {}).get(mark, "")
        parts.append(f"{mark}: {numbers.MARKER_MEANINGS[mark]}" + (f" ({extra})" if extra else ""))
    return "; ".join(parts)


def _number(text: str) -> int | float:
    text = text.replace(",", "")
    return float(text) if "." in text else int(text)


def cell_data(value: object) -> dict:
    """One table cell as data: ``text`` as printed, and where it is a figure its ``value`` (a
    number: ``1,280`` -> 1280, ``-3.0%`` -> -3.0 with ``unit`` ``%``; ``decimals`` as printed), or
    where it is withheld its ``marker`` (``c``, ``x``, ``z``, ``u``, ``k``, ``-``) and no value.
    What follows a figure is kept apart: ``note`` (``(10 of 10)``, ``*``, ``of 11``) or, for a
    range ``16.4% to 22.9%``, ``upper``. Anything else is text only (``Mar 2025``, ``<0.001``)."""
    from csdemand.core import numbers

    if pd.api.types.is_number(value) and not isinstance(value, bool):  # a table given numbers
        if numbers.is_missing(value):
            return {"text": "x", "marker": "x"}
        value = value.item() if hasattr(value, "item") else value  # numpy -> Python, for JSON
        return {"text": str(value), "value": value}
    text = "" if value is None else str(value).strip()
    if text in numbers.MARKER_MEANINGS:
        return {"text": text, "marker": text}
    marked = _MARKER_CELL.fullmatch(text)
    if marked:
        return {"text": text, "marker": marked.group(1), "note": marked.group(2).strip()}
    m = _FIGURE.fullmatch(text)
    if not m:
        return {"text": text}
    cell: dict = {"text": text, "value": _number(m["num"])}
    if "." in m["num"]:
        cell["decimals"] = len(m["num"].split(".")[1])
    if m["pct"]:
        cell["unit"] = "%"
    rest = (m["rest"] or "").strip()
    if not rest:
        return cell
    if rest == "pts":
        cell["unit"] = "percentage points"
        return cell
    upper = _RANGE.fullmatch(rest)
    if upper:
        cell["upper"] = _number(upper["num"])
        return cell
    if _ANNOTATION.fullmatch(rest):
        cell["note"] = rest
        return cell
    return {"text": text}  # "1 year", "3 years": words, not a figure


def table_data(df: pd.DataFrame, caption: str | None = None, *, index: bool = False, kind: str = "table") -> dict:
    """A table as data (the :data:`TABLE_MIME` payload): ``caption``, ``columns``, ``rows`` of
    :func:`cell_data`, the table's ``footnotes`` and ``marker_notes`` (from ``df.attrs``), and
    ``kind`` (``table``, or ``chart`` for the figures behind a chart). It holds what the table
    prints and nothing more (the same rounding, the same markers)."""
    columns = ([str(df.index.name or "")] if index else []) + [str(c) for c in df.columns]
    rows = [([cell_data(idx)] if index else []) + [cell_data(v) for v in row.tolist()] for idx, row in df.iterrows()]
    return {
        "kind": kind,
        "caption": caption or "",
        "columns": columns,
        "rows": rows,
        "footnotes": [str(n) for n in df.attrs.get("footnotes", [])],
        "marker_notes": {str(k): str(v) for k, v in (df.attrs.get("marker_notes") or {}).items()},
    }


def _carrier(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="{TABLE_MIME}">{text}</script>'


def split_tables(markup: str) -> tuple[str, list[dict]]:
    """``markup`` without its table payloads, and the payloads (in page order)."""
    payloads = [json.loads(m) for m in _CARRIER.findall(markup)]
    return _CARRIER.sub("", markup), payloads


_BLOCKS = "p|li|ul|ol|h[1-6]|table|tr|caption|figure|figcaption|details|summary|div|section|br"
#: An image (group 1: its alt text), a tag that ends a line (group 2), or any other tag.
_TAG = re.compile(rf'<img\b[^>]*?\balt="([^"]*)"[^>]*>|<(/?(?:{_BLOCKS}))\b[^>]*>|<[^>]*>')
#: An inlined image's data: dropped first, so the tag pattern does not scan 100 kB of base64.
_DATA_URI = re.compile(r'\ssrc="data:[^"]*"')


def plain_text(markup: str) -> str:
    """What a reader of ``markup`` sees, as text: tags dropped (a block ends a line; an image
    is its alt text in brackets), entities decoded, blank runs closed up. It is the
    ``text/plain`` of every fragment: a terminal, a text diff or a search of the executed
    notebook reads the words, not the markup again or a chart's PNG bytes as a Python repr
    (which made up half of what a kernel sent)."""

    def tag(m: re.Match) -> str:
        return f" [{m.group(1)}] " if m.group(1) is not None else ("\n" if m.group(2) else " ")

    text = html.unescape(_TAG.sub(tag, _DATA_URI.sub("", markup)))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _bundle(markup: str) -> dict:
    clean, tables = split_tables(markup)
    bundle: dict = {"text/html": clean, "text/plain": plain_text(clean)}
    if tables:
        bundle[TABLE_MIME] = {"tables": tables}
    return bundle


def table_html(
    df: pd.DataFrame, caption: str | None = None, *, index: bool = False, classes: str = "data", kind: str = "table"
) -> str:
    """A plain accessible table: caption, header cells with scope, text escaped, figures
    right-aligned, and a footnote row saying what each marker shown (``c``, ``x``, ``z``...)
    means; ``df.attrs["marker_notes"]`` (e.g. ``{"z": "published with Cornwall"}``) adds words
    to a marker's meaning, ``df.attrs["footnotes"]`` further lines (e.g. what ``r`` marks).

    The markup carries the table as data (:func:`table_data`, ``kind``) for the workbook: the
    display of :class:`Html` and :class:`Chart` moves it out of the page into :data:`TABLE_MIME`."""
    head = "".join(
        f'<th scope="col">{esc(c)}</th>' for c in ([df.index.name or ""] if index else []) + list(df.columns)
    )
    body = []
    cells_seen: list[str] = []
    for idx, row in df.iterrows():
        values = row.tolist()
        cells_seen.extend(str(v) for v in values)
        cells = (f'<th scope="row">{esc(idx)}</th>' if index else "") + "".join(
            f'<td class="num">{esc(v)}</td>' if _NUMERIC.fullmatch(str(v)) else f"<td>{esc(v)}</td>" for v in values
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    notes = [marker_footnote(cells_seen, df.attrs.get("marker_notes"))] + list(df.attrs.get("footnotes", []))
    notes = [n for n in notes if n]
    width = len(df.columns) + (1 if index else 0)
    foot = (
        f'<tfoot><tr><td class="footnote" colspan="{width}">{"<br>".join(esc(n) for n in notes)}</td></tr></tfoot>'
        if notes
        else ""
    )
    return (
        f'<table class="{classes}">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>{foot}</table>'
        + _carrier(table_data(df, caption, index=index, kind=kind))
    )


@dataclass
class Html:
    """Raw HTML that the notebook displays as-is (already escaped by whoever built it).

    ``markup`` and ``_repr_html_`` keep the tables' payloads (for joining fragments); displayed,
    the HTML goes without them and they follow as :data:`TABLE_MIME`."""

    markup: str

    def _repr_html_(self) -> str:
        return self.markup

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return _bundle(self.markup)


def show_table(df: pd.DataFrame, caption: str | None = None) -> Html:
    """A table for display in a briefing (see :func:`table_html`); displayed, it also gives the
    table as data (:data:`TABLE_MIME`)."""
    return Html(table_html(df, caption))


@dataclass
class Chart:
    """A rendered chart: PNG bytes, alt text, a caption and the data behind it.

    Displays as a figure with the image inlined (no file, no other host), its alt text, and a
    collapsible "View as table" with the same figures; the figures also as data (:data:`TABLE_MIME`,
    ``kind`` ``chart``).
    """

    png: bytes
    alt: str
    caption: str
    data: pd.DataFrame = field(default_factory=pd.DataFrame)

    def _repr_html_(self) -> str:
        b64 = base64.b64encode(self.png).decode("ascii")
        table = ""
        if not self.data.empty:
            table = (
                '<details class="as-table"><summary>View as '
                f"table</summary>{table_html(self.data, self.caption, kind='chart')}</details>"
            )
        return (
            f'<figure class="chart"><img src="data:image/png;base64,{b64}" alt="{esc(self.alt)}">'
            f"<figcaption>{esc(self.caption)}</figcaption>{table}</figure>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return _bundle(self._repr_html_())


def figure_png(fig, dpi: int = 110) -> bytes:
    """PNG bytes of a matplotlib figure, closing it (figures are rendered once, never kept open)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def key_messages(messages: list[str]) -> Html:
    """The key messages box that opens a briefing."""
    items = "".join(f"<li>{esc(m)}</li>" for m in messages)
    return Html(
        f'<section class="key-messages" aria-labelledby="km"><h2 id="km">Key messages</h2><ul>{items}</ul></section>'
    )


def headline_figures(figures: list[tuple[str, str, str]]) -> Html:
    """A row of headline tiles: (label, big figure, small note). A figure given as a number is
    formatted by :func:`fmt_number` (never nan)."""
    figures = [(label, value if isinstance(value, str) else fmt_number(value), note) for label, value, note in figures]

    def size(value: str) -> str:
        # a marker in words ("not applicable (published with Cornwall)") is read, not glanced at
        return " words" if len(value) > 12 and sum(c.isalpha() for c in value) > 6 else ""

    tiles = "".join(
        f'<div class="tile"><div class="tile-label">{esc(label)}</div>'
        f'<div class="tile-value{size(value)}">{esc(value)}</div>'
        f'<div class="tile-note">{esc(note)}</div></div>'
        for label, value, note in figures
    )
    return Html(f'<div class="tiles">{tiles}</div>')


def bullet_list(items: list[str], heading: str | None = None, level: int = 2, css: str = "") -> Html:
    """A plain list (caveats, sources, footnotes) with an optional heading."""
    h = f"<h{level}>{esc(heading)}</h{level}>" if heading else ""
    cls = f' class="{esc(css)}"' if css else ""
    return Html(h + f"<ul{cls}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def _json_number(value: object) -> float | None:
    """A number for a JSON record: NaN, None and pd.NA become null."""
    try:
        return None if value is None or pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Figure:
    """One headline figure of a briefing, as data: what a scheduler, a dashboard or the next run
    reads from the briefing's JSON record (``figures``).

    ``value`` in the measure's unit (a rate per 10,000, a percentage 0-100, a count); ``status``
    the DfE marker where the value is withheld (``c``, ``x``, ``z``...), else empty;
    ``comparators`` e.g. ``neighbours_mean``, ``neighbours_median``, ``region``, ``england``;
    ``flags`` the judgements shown beside it, e.g. ``{"vs_england": "lower", "change_1y": "",
    "rank": "3 of 11", "band": "C"}`` (an empty string: no flag).
    """

    measure: str
    area_code: str
    period: str
    value: float | None
    status: str = ""
    label: str = ""
    unit: str = ""
    la_number: int | None = None
    comparators: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "measure": self.measure,
            "label": self.label,
            "area_code": self.area_code,
            "la_number": None if self.la_number is None or pd.isna(self.la_number) else int(self.la_number),
            "period": str(self.period),
            "value": _json_number(self.value),
            "status": self.status or "",
            "unit": self.unit,
            "comparators": {k: _json_number(v) for k, v in self.comparators.items()},
            "flags": {k: ("" if v is None else v) for k, v in self.flags.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> Figure:
        """The figure :meth:`as_dict` wrote (a record read back); keys it does not know are ignored."""
        return cls(
            measure=str(d.get("measure", "")),
            area_code=str(d.get("area_code", "")),
            period=str(d.get("period", "")),
            value=_json_number(d.get("value")),
            status=str(d.get("status") or ""),
            label=str(d.get("label") or ""),
            unit=str(d.get("unit") or ""),
            la_number=_int_or_none(d.get("la_number")),
            comparators=dict(d.get("comparators") or {}),
            flags=dict(d.get("flags") or {}),
        )


def _int_or_none(value: object) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


#: The tag on a provenance output: nbconvert's TagRemovePreprocessor leaves it out of the page
#: (the renderer makes the header and footer from it instead).
PROVENANCE_TAG = "csdemand-provenance"


@dataclass
class Provenance:
    """The record a briefing displays for the renderer: the title, subtitle, parameters, sources
    and notes of the page's header and footer, and the typed facts the renderer files the report
    by and copies into the JSON record beside the page.

    ``la_number``: the DfE number of the authority the briefing is about (the renderer checks it is
    the one it asked for); ``authority``: its name; ``period``: the period the briefing resolved
    and reports (a reporting year ``"2025"`` or a month ``"2026-10"``; it names the report's
    folder); ``figures``: the headline figures as :class:`Figure`. The typed fields default to
    empty so a briefing that does not give them still renders (the renderer then falls back to
    the ``"resolved period"`` parameter).
    """

    title: str
    subtitle: str
    parameters: dict
    sources: list[dict]
    notes: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    la_number: int | None = None
    authority: str = ""
    period: str = ""

    def payload(self) -> dict:
        """The record as JSON-ready data (what the notebook output carries)."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "parameters": self.parameters,
            "sources": self.sources,
            "notes": self.notes,
            "figures": [f.as_dict() if isinstance(f, Figure) else dict(f) for f in self.figures],
            "la_number": _int_or_none(self.la_number),
            "authority": self.authority,
            "period": str(self.period or ""),
        }

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {PROVENANCE_MIME: self.payload(), "text/plain": f"Provenance: {self.title}"}

    def _ipython_display_(self) -> None:
        # Displayed with a tag in the output's metadata, so that the page leaves it out by tag.
        from IPython.display import publish_display_data

        publish_display_data(self._repr_mimebundle_(), metadata={"tags": [PROVENANCE_TAG]})

    @classmethod
    def from_payload(cls, d: dict) -> Provenance:
        """The record a notebook displayed, read back from its output; missing fields are empty."""
        return cls(
            title=str(d.get("title") or ""),
            subtitle=str(d.get("subtitle") or ""),
            parameters=dict(d.get("parameters") or {}),
            sources=[dict(s) for s in d.get("sources") or [] if isinstance(s, dict)],
            notes=[str(n) for n in d.get("notes") or []],
            figures=[Figure.from_dict(f) for f in d.get("figures") or [] if isinstance(f, dict)],
            la_number=_int_or_none(d.get("la_number")),
            authority=str(d.get("authority") or ""),
            period=str(d.get("period") or ""),
        )


def sources_used(df: pd.DataFrame) -> list[dict]:
    """The publications behind the rows of a tidy table, with release and month published."""
    from csdemand.core import codes

    ids: set[str] = set()
    for s in df["source"].dropna().unique():
        ids.update(part.strip() for part in str(s).replace("computed:", "").split("/") if part.strip())
    ids = {i.split(" (")[0] for i in ids}
    cat = codes.sources()
    out = []
    for i in sorted(ids, key=lambda k: (cat.loc[k, "release"] if k in cat.index else "", k), reverse=True):
        if i in cat.index:
            r = cat.loc[i]
            out.append(
                {
                    "id": i,
                    "title": r["title"],
                    "publisher": r["publisher"],
                    "published": r["published"],
                    "licence": r["licence"],
                    "url": r["url"],
                }
            )
    return out


def month_name(yyyy_mm: str) -> str:
    """'2025-11' -> 'November 2025'; anything else unchanged."""
    import datetime as dt

    try:
        return dt.datetime.strptime(str(yyyy_mm), "%Y-%m").strftime("%B %Y")
    except ValueError:
        return str(yyyy_mm)
