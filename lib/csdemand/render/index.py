"""Index pages of the reports folder, built from what is on disk.

``<out>/index.html`` lists every authority's briefings; ``<out>/<la>/index.html`` one authority's.
For each authority and briefing the newest period comes first, marked current, and older periods
below it, marked superseded; each row says whether the briefing's figures changed since its
previous run, and the pages give the run's date and the release dates of the data the current
briefings use. The pages are the Jinja template ``templates/index.html.j2`` (autoescape on).

The list comes from the small record (``.json``) beside each report, and a record is trusted
only for what it may hold: its authority must be a known one (:mod:`csdemand.published.areas`)
whose slug names the record's own folder, its period must be a period and name its folder, its
briefing must name the file. The authority's name comes from the areas table, and every link is
built from those checked folder and file names, never from the record's text (titles, source
names and dates from the record are shown as text, escaped); records that fail are left out,
with a log line. Nothing is written outside the output folder.
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
from csdemand.render import output
from csdemand.render.page import css_markup, environment, git_commit

#: A report folder's period: a reporting year or a month.
PERIOD = re.compile(r"(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?")
#: A briefing (notebook) name.
BRIEFING = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: Records larger than this are not records.
MAX_RECORD_BYTES = 1_000_000
LOCK = ".csdemand-index.lock"
#: What a record may say about its figures against the previous run (anything else: nothing).
CHANGE_STATES = ("changed", "unchanged", "first")
#: Sources listed from one record at most (a record is not trusted to be small).
MAX_SOURCES = 20


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


def _text(value: object, limit: int) -> str:
    return str(value if value is not None else "")[:limit]


def _sources(data: dict) -> list[dict]:
    """The record's sources as short texts (publisher, title, published), at most :data:`MAX_SOURCES`."""
    found = data.get("sources")
    if not isinstance(found, list):
        return []
    return [
        {
            "publisher": _text(s.get("publisher"), 80),
            "title": _text(s.get("title"), 200),
            "published": _text(s.get("published"), 20),
        }
        for s in found[:MAX_SOURCES]
        if isinstance(s, dict) and s.get("title")
    ]


def _change(data: dict) -> str:
    changes = data.get("changes")
    state = changes.get("status") if isinstance(changes, dict) else None
    return state if state in CHANGE_STATES else ""


def catalogue(out_dir: Path, say=None) -> list[dict]:
    """Every rendered briefing under ``out_dir`` whose record checks out (see the module), as
    dicts with ``la_slug, authority, period, briefing, title, order, rendered_at, href, change,
    sources, data_published, local_to`` (``change`` one of :data:`CHANGE_STATES` or ``""``; the
    last two the newest release date of its published sources and the last month of its local
    data, ``YYYY-MM`` or ``""``)."""
    say = say or _say_default
    out_dir = Path(out_dir)
    root = out_dir.resolve()
    known = known_authorities()
    found = []
    for rec in sorted(out_dir.glob("*/*/*.json")):
        slug, period, name = rec.parent.parent.name, rec.parent.name, rec.stem
        html = rec.with_suffix(".html")
        if not html.is_file():
            continue  # a record without its report (the previous run's record, a cache): nothing to link
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
                "title": _text(data.get("title") or name, 200),
                "order": order,
                "rendered_at": _text(data.get("rendered_at"), 40),
                "href": f"{slug}/{period}/{name}.html",
                "change": _change(data),
                "sources": _sources(data),
            }
        )
        found[-1]["data_published"] = _newest(found[-1]["sources"], council=False)
        found[-1]["local_to"] = _newest(found[-1]["sources"], council=True)
    return found


def period_label(period: str) -> str:
    """'2025' -> 'year to March 2025'; '2026-10' -> 'October 2026'."""
    from csdemand.present.html import month_name

    return f"year to March {period}" if len(period) == 4 else month_name(period)


def with_status(rows: list[dict]) -> list[dict]:
    """The rows ordered for an index (authority by name, briefings in their order, newest period
    first), each with ``status``: ``current`` for the newest period of its authority and
    briefing, ``superseded`` for the others (with ``superseded_by``, the current period's label)."""
    rows = sorted(rows, key=lambda r: _period_key(r["period"]), reverse=True)
    rows = sorted(rows, key=lambda r: (r["authority"], r["la_slug"], r["order"], r["briefing"]))
    out, newest = [], {}
    for r in rows:
        key = (r["la_slug"], r["briefing"])
        first = key not in newest
        newest.setdefault(key, r["period"])
        out.append(
            {
                **r,
                "status": "current" if first else "superseded",
                "superseded_by": "" if first else period_label(newest[key]),
                "period_label": period_label(r["period"]),
                "rendered": _when(r["rendered_at"]),
            }
        )
    return out


def releases(rows: list[dict], most: int = 3) -> list[dict]:
    """The newest release of each publisher among the current briefings' sources: ``publisher``,
    ``published`` (``YYYY-MM``; for the council, the last month of its data) and up to ``most``
    ``titles`` released then (``more``: how many others), newest publisher first, the council last."""
    newest: dict[str, dict] = {}
    for r in rows:
        if r["status"] != "current":
            continue
        for s in r["sources"]:
            pub, when = s["publisher"], s["published"]
            if not when:
                continue
            entry = newest.get(pub)
            if entry is None or when > entry["published"]:
                newest[pub] = entry = {"publisher": pub, "published": when, "titles": []}
            if when == entry["published"] and s["title"] not in entry["titles"]:
                entry["titles"].append(s["title"])
    found = sorted(newest.values(), key=lambda e: (e["publisher"] == "Council", _neg(e["published"])))
    return [{**e, "titles": sorted(e["titles"])[:most], "more": max(0, len(e["titles"]) - most)} for e in found]


def _neg(text: str) -> tuple:
    return tuple(-ord(c) for c in text)


def _newest(sources: list[dict], council: bool) -> str:
    dates = [s["published"] for s in sources if s["published"] and (s["publisher"] == "Council") == council]
    return max(dates) if dates else ""


def _index_page(
    title: str, subtitle: str, caption: str, rows: list[dict], authority: str = "", prefix: str = ""
) -> str:
    now = dt.datetime.now().astimezone()
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            title=title,
            kind="Briefings",
            subtitle=subtitle,
            caption=caption,
            rows=rows,
            releases=releases(rows),
            authority=authority,
            prefix=prefix,
            run_date=now.strftime("%d %B %Y").lstrip("0"),
            built=now.strftime("%d %B %Y %H:%M %Z").strip(),
            version=__version__,
            commit=git_commit(),
            css=css_markup(),
        )
    )


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
    """``index.html`` listing every authority's briefings, and one ``<la>/index.html`` per
    authority: for each briefing the newest period first (current), then the older ones
    (superseded), whether the figures changed since the previous run, the run's date and the
    data release dates; built from the records on disk (see :func:`catalogue`).
    :class:`~csdemand.render.output.OutputError` if the folder cannot be written."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    with _locked(out_dir):
        cat = catalogue(out_dir, say)
        if not cat:
            return []
        rows = with_status(cat)
        files: dict[Path, str] = {}
        by_la: dict[str, list[dict]] = {}
        for r in rows:
            by_la.setdefault(r["la_slug"], []).append(r)
        current = sum(r["status"] == "current" for r in rows)
        files[out_dir / "index.html"] = _index_page(
            "Briefings",
            f"{len(rows)} briefing{'s' if len(rows) != 1 else ''} for {len(by_la)} "
            f"authorit{'ies' if len(by_la) != 1 else 'y'}: {current} current, {len(rows) - current} superseded. "
            "For each authority and briefing the newest period comes first.",
            "Every briefing rendered: the current period of each, then the periods it supersedes",
            rows,
        )
        for slug, la_rows in by_la.items():
            files[out_dir / slug / "index.html"] = _index_page(
                f"Briefings: {la_rows[0]['authority']}",
                "Every period rendered for this authority: for each briefing the current period first.",
                f"Briefings for {la_rows[0]['authority']}",
                la_rows,
                authority=la_rows[0]["authority"],
                prefix="../",
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
