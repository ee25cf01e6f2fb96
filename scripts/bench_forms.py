"""Seconds per PDF, per workbook and per pack, and each briefing's PDF page count.

    .venv/bin/python scripts/bench_forms.py [--la 352] [--period 2025] [--out /tmp/bench-forms] [--repeat 3]

Renders the authority's briefings once (HTML only) into ``--out``, then, with one browser as
``render --format pdf`` uses, prints each page ``--repeat`` times and writes its workbook, and
assembles the pack of every briefing. Prints a table and the medians; the browser's start is
timed apart (a run pays it once).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import nbformat

from csdemand.render import batch, pack, pdf, workbook
from csdemand.render.page import provenance_of


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--la", default="352")
    ap.add_argument("--period", default="2025")
    ap.add_argument("--out", default="/tmp/bench-forms")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    out = Path(args.out)
    outcome = batch.render_many([args.la], args.period, None, out, log=lambda line: None)
    if outcome.failed:
        print("\n".join(outcome.failed), file=sys.stderr)
        return 1
    pages = sorted(outcome.rendered, key=lambda p: json.loads(p.with_suffix(".json").read_text())["order"])
    rows, pdf_times, xlsx_times = [], [], []
    with pdf.Printer() as printer:
        t = time.perf_counter()
        printer.print_html("<p>warm-up</p>")
        start = time.perf_counter() - t
        for page in pages:
            record = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
            markup = page.read_text(encoding="utf-8")
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                data = pdf.briefing_pdf(markup, record, printer)
                times.append(time.perf_counter() - t)
            page.with_suffix(".pdf").write_bytes(data)
            nb = nbformat.read(page.with_suffix(".ipynb"), as_version=4)
            t = time.perf_counter()
            book = workbook.briefing_workbook(nb, record, provenance_of(nb))
            xlsx = time.perf_counter() - t
            pdf_times += times
            xlsx_times.append(xlsx)
            rows.append((page.stem, page.parent.name, pdf.page_count(data), statistics.median(times), xlsx, len(book)))
        t = time.perf_counter()
        path = pack.build(args.la, [r[0] for r in rows], "latest", out, say=lambda line: None, printer=printer)
        pack_seconds = time.perf_counter() - t
    print(f"| briefing | period | PDF pages | s per PDF (median of {args.repeat}) | s per workbook | workbook bytes |")
    print("|---|---|---|---|---|---|")
    for name, period, n, s, x, size in rows:
        print(f"| {name} | {period} | {n} | {s:.2f} | {x:.2f} | {size:,} |")
    print(
        f"\nbrowser start and first page: {start:.2f} s; PDF median {statistics.median(pdf_times):.2f} s; "
        f"workbook median {statistics.median(xlsx_times):.2f} s; pack of {len(rows)} "
        f"({pdf.page_count(path.read_bytes())} pages) {pack_seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
