"""Index pages of the reports folder, built from what is on disk.

``<out>/index.html`` lists every briefing; ``<out>/<la>/index.html`` lists one authority's
periods, newest first. The list comes from the small record (``.json``) beside each report, and
a record is trusted only for what it may hold: its authority must be a known one
(:mod:`csdemand.published.areas`) whose slug names the record's own folder, its period must be
a period and name its folder, its briefing must name the file. The authority's name comes from
the areas table, and every link is built from those checked folder and file names, never from
the record's text; records that fail are left out, with a log line. Nothing is written outside
the output folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import sys
from pathlib import Path

from csdemand import __version__
from csdemand.present.html import esc
from csdemand.render import output
from csdemand.render.page import git_commit, stylesheet

#: A report folder's period: a reporting year or a month.
PERIOD = re.compile(r"(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?")
#: A briefing (notebook) name.
BRIEFING = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: Records larger than this are not records.
MAX_RECORD_BYTES = 1_000_000
LOCK = ".csdemand-index.lock"


@functools.cache
def _known(data_dir: str) -> dict[str, str]:
    from csdemand.published import store
    from csdemand.published.areas import LocalAuthority

    areas = store.load("areas", data_dir)
    return {
        LocalAuthority(
            int(r.la_number), str(r.area_code), str(r.area_name), str(r.region_code), str(r.region_name)
        ).slug: str(r.area_name)
        for r in areas.itertuples()
    }


def known_authorities() -> dict[str, str]:
    """Every authority in the shipped data: slug (``352-manchester``) -> name."""
    from csdemand.core import paths

    return _known(str(paths.data_dir()))


def _say_default(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def catalogue(out_dir: Path, say=None) -> list[dict]:
    """Every rendered briefing under ``out_dir`` whose record checks out (see the module), as
    dicts with ``la_slug, authority, period, briefing, title, order, rendered_at, href``."""
    say = say or _say_default
    out_dir = Path(out_dir)
    root = out_dir.resolve()
    known = known_authorities()
    found = []
    for rec in sorted(out_dir.glob("*/*/*.json")):
        slug, period, name = rec.parent.parent.name, rec.parent.name, rec.stem
        html = rec.with_suffix(".html")
        if not html.is_file():
            continue  # a record without its report: nothing to link
        why = ""
        data: object = None
        if slug not in known:
            why = f"its folder {slug!r} is not a known authority's"
        elif not PERIOD.fullmatch(period):
            why = f"its folder {period!r} is not a period"
        elif not BRIEFING.fullmatch(name):
            why = f"{name!r} is not a briefing name"
        elif rec.parent.resolve().parent.parent != root or html.is_symlink() or rec.is_symlink():
            why = "it or its folder is a link leading elsewhere"
        else:
            try:
                if rec.stat().st_size > MAX_RECORD_BYTES:
                    raise ValueError("too large")
                data = json.loads(rec.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                why = f"it cannot be read ({exc})"
        if not why:
            if not isinstance(data, dict):
                why = "it is not a record"
            elif data.get("la_slug") != slug:
                why = f"its la_slug {str(data.get('la_slug'))[:80]!r} is not its folder's {slug!r}"
            elif str(data.get("period")) != period:
                why = f"its period {str(data.get('period'))[:20]!r} is not its folder's {period!r}"
            elif data.get("briefing") != name:
                why = f"its briefing {str(data.get('briefing'))[:40]!r} is not its file's {name!r}"
        if why:
            say(f"ignored  {rec}: {why}")
            continue
        try:
            order = int(data.get("order", 99))
        except (TypeError, ValueError):
            order = 99
        found.append(
            {
                "la_slug": slug,
                "authority": known[slug],
                "period": period,
                "briefing": name,
                "title": str(data.get("title") or name)[:200],
                "order": order,
                "rendered_at": str(data.get("rendered_at") or "")[:40],
                "href": f"{slug}/{period}/{name}.html",
            }
        )
    return found


def _index_page(title: str, subtitle: str, rows_html: str, back: bool = False) -> str:
    nav = "<p><a href='../index.html'>All authorities</a></p>" if back else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{stylesheet()}</style></head>
<body><header class="banner" role="banner"><div class="banner-inner">
<span class="service">Children's services</span> <span class="kind">Briefings</span></div></header>
<main id="main"><div class="title-block"><h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p>{nav}</div>
{rows_html}
</main>
<footer class="provenance" role="contentinfo"><p class="build">Produced by csdemand {esc(__version__)},
commit {esc(git_commit())}, index built
{esc(dt.datetime.now().astimezone().strftime("%d %B %Y %H:%M %Z"))}.</p></footer>
</body></html>
"""


def _table(rows: list[dict], prefix: str = "", show_la: bool = True) -> str:
    head = (
        "<th scope='col'>Authority</th>" if show_la else ""
    ) + "<th scope='col'>Period</th><th scope='col'>Briefing</th><th scope='col'>Rendered</th>"
    body = "".join(
        "<tr>"
        + (f"<td><a href='{esc(r['la_slug'])}/index.html'>{esc(r['authority'])}</a></td>" if show_la else "")
        + (
            f"<td>{esc(r['period'])}</td><td><a "
            f"href='{esc(prefix + r['href'])}'>{esc(r['title'])}</a></td><td>{esc(_when(r['rendered_at']))}</td></tr>"
        )
        for r in rows
    )
    return f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@contextlib.contextmanager
def _locked(out_dir: Path):
    """One index rebuild at a time per folder: two runs finishing together each list what the
    other wrote, because the later one reads the folder after the earlier one's reports."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    try:
        fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise output.output_error(out_dir, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_indexes(out_dir: Path, say=None) -> list[Path]:
    """``index.html`` listing every briefing (authority, period, title, rendered at), and one
    ``<la>/index.html`` per authority linking its periods, newest first; built from the records
    on disk (see :func:`catalogue`). :class:`~csdemand.render.output.OutputError` if the folder
    cannot be written."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    with _locked(out_dir):
        cat = catalogue(out_dir, say)
        if not cat:
            return []
        files: dict[Path, str] = {}
        by_la: dict[str, list[dict]] = {}
        for r in cat:
            by_la.setdefault(r["la_slug"], []).append(r)
        ordered = sorted(cat, key=lambda r: (_period_key(r["period"]), -r["order"]), reverse=True)
        ordered = sorted(ordered, key=lambda r: r["authority"])
        files[out_dir / "index.html"] = _index_page(
            "Briefings",
            f"{len(cat)} briefing{'s' if len(cat) != 1 else ''} for {len(by_la)} "
            f"authorit{'ies' if len(by_la) != 1 else 'y'}. Newest period first within each authority.",
            _table(ordered),
        )
        for slug, rows in by_la.items():
            rows = sorted(rows, key=lambda r: (_period_key(r["period"]), -r["order"]), reverse=True)
            periods = sorted({r["period"] for r in rows}, key=_period_key, reverse=True)
            sections = "".join(
                f"<h2>{esc(p)}</h2>" + _table([r for r in rows if r["period"] == p], prefix="../", show_la=False)
                for p in periods
            )
            files[out_dir / slug / "index.html"] = _index_page(
                f"Briefings: {rows[0]['authority']}",
                "Every period rendered for this authority, newest first.",
                sections,
                back=True,
            )
        output.write(out_dir, files)
    return list(files)


def is_stale(out_dir: Path) -> bool:
    """True when a report's record is newer than ``index.html`` (or there is no index): a run
    was stopped before it rebuilt the index."""
    index = Path(out_dir) / "index.html"
    try:
        built = index.stat().st_mtime
    except OSError:
        built = None
    for rec in Path(out_dir).glob("*/*/*.json"):
        try:
            if built is None or rec.stat().st_mtime > built:
                return True
        except OSError:
            continue
    return False


def _when(iso: str) -> str:
    """'2026-11-23T16:05:34+00:00' -> '23 Nov 2026 16:05'."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")
    except ValueError:
        return iso


def _period_key(period: str) -> str:
    """Sort key putting 2025 after 2024-12 and 2025-03 after 2025 (years read as their March)."""
    p = str(period)
    return f"{p}-03.5" if len(p) == 4 else p
