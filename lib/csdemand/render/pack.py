"""A committee paper: several briefings of one authority in one PDF (``python -m csdemand pack``).

``reports/<la>/<period>/pack.pdf`` holds a cover (authority, period, date, "Children's services
briefing pack"), a contents page listing each briefing with the pack page it starts on, then each
briefing's pages, numbered through the pack at the top right ("Briefing pack page 3 of 14";
each briefing keeps its own "Page n of N" footer). Bookmarks lead to each part.

Which pages: the reports already in the folder. For each briefing, the page of the period asked
for (``latest``: the newest period it has been rendered for; a year: that year, or for a monthly
briefing the newest month of that reporting year). A briefing with no page for the period is
rendered first (HTML and PDF), as ``render`` would, naming it; one whose PDF is missing or older
than its page is printed again from the page (seconds; the page itself is not re-run). If a
briefing cannot be rendered, no pack is written. The pack is written atomically: a failed run
leaves the last pack as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from csdemand.core import paths, periods
from csdemand.core.errors import InputError, RenderError
from csdemand.present.html import esc

TITLE = "Children's services briefing pack"
PERIOD = re.compile(r"(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?")  # a period folder's name


@dataclass
class Part:
    """One briefing in the pack: its page, record and PDF."""

    name: str
    page: Path
    record: dict
    pdf: bytes
    pages: int = 0
    start: int = 0


def _period_folders(folder: Path, name: str) -> list[str]:
    """The period folders under an authority's folder that hold ``<name>.html``, newest first."""
    found = {p.parent.name for p in folder.glob(f"*/{name}.html") if PERIOD.fullmatch(p.parent.name)}
    return sorted(found, reverse=True)


def locate(out_dir: Path, la_slug: str, name: str, period_kind: str, period: str) -> Path | None:
    """The rendered page of briefing ``name`` for ``period`` (see the module's docstring), or None."""
    kind, value = periods.parse_period(period)
    folders = _period_folders(Path(out_dir) / la_slug, name)
    monthly = period_kind == "month"
    for folder in folders:
        is_month = "-" in folder
        if monthly != is_month:
            continue
        if kind == "latest":
            match = True
        elif kind == "year":
            match = folder == str(value) if not monthly else periods.reporting_year(folder) == int(value)
        else:  # a month
            match = folder == str(value) if monthly else folder == str(periods.reporting_year(value))
        if match:
            return Path(out_dir) / la_slug / folder / f"{name}.html"
    return None


def _record(page: Path) -> dict:
    try:
        return json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"title": page.stem, "period": page.parent.name}


def period_words(period: str) -> str:
    """``2025`` -> "Year to 31 March 2025"; ``2026-10`` -> "October 2026"."""
    if "-" in period:
        return periods.month_label(period)
    label = periods.year_label(int(period))
    return label[:1].upper() + label[1:]


def cover_html(authority: str, la_number: int, period: str, when: dt.date) -> str:
    """The cover page: what the pack is, for whom, for which period and when it was made."""
    made = f"{when.day} {when:%B %Y}"
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{esc(TITLE)}: {esc(authority)}</title>
<style>
@page {{ size: A4; margin: 30mm 22mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; }}
.service {{ color: #1d70b8; font-weight: 700; font-size: 13pt; border-bottom: 3px solid #1d70b8; padding-bottom: 4pt; }}
h1 {{ font-size: 28pt; margin: 60mm 0 10pt; }}
.authority {{ font-size: 20pt; margin: 0 0 6pt; }}
.period, .date {{ font-size: 14pt; margin: 4pt 0; }}
</style></head>
<body>
<p class="service">Children's services</p>
<h1>{esc(TITLE)}</h1>
<p class="authority">{esc(authority)} (DfE LA {la_number})</p>
<p class="period">{esc(period_words(period))}</p>
<p class="date">Prepared {esc(made)}</p>
</body></html>
"""


def contents_html(authority: str, parts: list[Part]) -> str:
    """The contents page: each briefing's title, period and the pack page it starts on."""
    rows = "".join(
        f"<tr><td>{esc(p.record.get('title', p.name))}</td><td>{esc(period_words(p.page.parent.name))}</td>"
        f'<td class="num">{p.start}</td></tr>'
        for p in parts
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Contents: {esc(TITLE)}, {esc(authority)}</title>
<style>
@page {{ size: A4; margin: 25mm 20mm; }}
body {{ font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; font-size: 11pt; }}
h1 {{ font-size: 20pt; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 6pt 4pt; border-bottom: 1px solid #b1b4b6; }}
th.num, td.num {{ text-align: right; }}
</style></head>
<body>
<h1>Contents</h1>
<table><thead><tr><th scope="col">Briefing</th><th scope="col">Period</th><th scope="col" class="num">Page</th></tr>
</thead><tbody>{rows}</tbody></table>
</body></html>
"""


def numbers_html(total: int, first: int = 2) -> str:
    """An overlay of ``total`` A4 pages, each saying "Briefing pack page n of N" at the top right
    (none on page 1, the cover); transparent elsewhere."""
    pages = "".join(
        f'<div class="p">{"" if n < first else f"<span>Briefing pack page {n} of {total}</span>"}</div>'
        for n in range(1, total + 1)
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>page numbers</title>
<style>
@page {{ size: A4; margin: 0; }}
html, body {{ margin: 0; padding: 0; background: transparent; }}
.p {{ position: relative; width: 210mm; height: 296mm; break-after: page; overflow: hidden; }}
.p:last-child {{ break-after: auto; }}
.p span {{ position: absolute; top: 6mm; right: 14mm; font: 7pt Arial, Helvetica, sans-serif; color: #505a5f; }}
</style></head><body>{pages}</body></html>
"""


def _reader(pdf: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def assemble(cover: bytes, contents: bytes, parts: list[Part], overlay: bytes | None, title: str) -> bytes:
    """Cover, contents and each briefing in one PDF, the overlay's page numbers stamped on each
    page, a bookmark to each part, the title and language (en-GB) set."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    writer.append(_reader(cover), import_outline=False)
    writer.append(_reader(contents), import_outline=False)
    for part in parts:
        writer.append(_reader(part.pdf), import_outline=False)
    if overlay is not None:
        stamps = _reader(overlay).pages
        if len(stamps) != len(writer.pages):
            raise RenderError(f"the page numbers came out as {len(stamps)} pages for a pack of {len(writer.pages)}")
        for page, stamp in zip(writer.pages, stamps):
            page.merge_page(stamp)
    writer.add_outline_item(title="Cover", page_number=0)
    writer.add_outline_item(title="Contents", page_number=1)
    for part in parts:
        writer.add_outline_item(title=str(part.record.get("title", part.name)), page_number=part.start - 1)
    writer.add_metadata({"/Title": title, "/Subject": TITLE, "/Creator": "csdemand"})
    writer._root_object[NameObject("/Lang")] = TextStringObject("en-GB")  # pypdf has no setter for it
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build(
    la: str,
    briefings: list[str],
    period: str = "latest",
    out_dir: Path | None = None,
    say=print,
    today: dt.date | None = None,
    printer=None,
) -> Path:
    """Write ``<out>/<la>/<period>/pack.pdf`` of ``briefings`` (in the order given) and return its path.

    :class:`InputError` (exit 2) for an unknown authority, briefing or period; :class:`RenderError`
    (exit 1) when a briefing that has no page cannot be rendered."""
    from csdemand.published import areas
    from csdemand.render import batch, output, pdf

    out_dir = Path(out_dir or paths.reports_dir())
    period = str(period).strip().lower()
    periods.parse_period(period)  # bad text: InputError before any work
    auth = areas.resolve(la)
    areas.check_period(auth, period)
    if not briefings:
        raise InputError("name at least one briefing", column="--briefings", expected="e.g. summary looked_after")
    duplicates = sorted({b for b in briefings if briefings.count(b) > 1})
    if duplicates:
        raise InputError("a briefing named twice", column="--briefings", value=", ".join(duplicates))
    known = {b.name: b for b in batch.choose(briefings)}  # unknown names: InputError
    chosen = [known[name] for name in briefings]
    batch.check_period(period, chosen, say=say)
    output.check_writable(out_dir)

    pages = {b.name: locate(out_dir, auth.slug, b.name, b.period_kind, period) for b in chosen}
    missing = [name for name, page in pages.items() if page is None]
    if missing:
        say(f"rendering {', '.join(missing)} for {auth.name} first: no page for {period} in {out_dir}")
        from csdemand.render import formats

        formats.use(tuple(dict.fromkeys(formats.requested() + ("pdf",))))
        outcome = batch.render_many([str(auth.la_number)], period, missing, out_dir, log=say)
        if outcome.failed:
            failed = "; ".join(outcome.failed)
            raise RenderError(f"no pack written: {len(outcome.failed)} briefing(s) could not be rendered ({failed})")
        for path in outcome.rendered:
            if path.stem in pages:
                pages[path.stem] = Path(path)
        still = [name for name, page in pages.items() if page is None]
        if still:
            raise RenderError(f"no pack written: {', '.join(still)} rendered nothing for {auth.name}, {period}")

    own = printer is None
    printer = printer or pdf.Printer()
    try:
        parts = []
        for b in chosen:
            page = pages[b.name]
            record = _record(page)
            target = page.with_suffix(".pdf")
            if target.exists() and target.stat().st_mtime >= page.stat().st_mtime:
                data = target.read_bytes()
            else:
                say(f"printing {target}: {'older than its page' if target.exists() else 'no PDF beside the page'}")
                data = pdf.briefing_pdf(page.read_text(encoding="utf-8"), record, printer)
                output.write(out_dir, {target: data})
            parts.append(Part(b.name, page, record, data, pdf.page_count(data)))

        folder = next((p.page.parent.name for p in parts if "-" not in p.page.parent.name), parts[0].page.parent.name)
        when = today or dt.date.today()
        cover = printer.print_html(cover_html(auth.name, auth.la_number, folder, when))
        contents_pages = 1
        for _ in range(3):  # the contents' length can move every start; settle it
            start = 2 + contents_pages
            for part in parts:
                part.start, start = start, start + part.pages
            contents = printer.print_html(contents_html(auth.name, parts))
            if pdf.page_count(contents) == contents_pages:
                break
            contents_pages = pdf.page_count(contents)
        total = 1 + contents_pages + sum(p.pages for p in parts)
        overlay = printer.print_html(numbers_html(total))
        title = f"{TITLE}: {auth.name}, {period_words(folder)}"
        data = assemble(cover, contents, parts, overlay, title)
    finally:
        if own:
            printer.close()
    target = out_dir / auth.slug / folder / "pack.pdf"
    output.write(out_dir, {target: data})
    say(
        f"wrote    {target}  ({total} pages: cover, contents, "
        + ", ".join(f"{p.name} from page {p.start} ({p.pages})" for p in parts)
        + ")"
    )
    return target
