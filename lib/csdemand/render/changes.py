"""What changed since the last briefing: the "What's new" box, and which briefings need no new render.

Each report's record (``<briefing>.json``) holds its headline figures, the release dates of its
sources, the last month of its local data and the hashes of its inputs and code
(:mod:`csdemand.render.fingerprint`). A new render compares its record with the previous one for
the same authority, briefing and period (the record it replaces, kept beside it as
``<briefing>.previous.json``), or, for a period rendered for the first time, with the newest
record of an earlier period: new data releases, local months added, figures revised (compared as
printed, so a change in the tenth decimal is no change), figures for a new period, rank and
quartile band moves, flags that appeared or cleared, new SPC signals.

``render --only-changed`` skips a briefing whose newest record for the same requested period
has the same input and code hashes: rendering it again would give the same page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

#: Records larger than this are not records (as the index reads them).
MAX_RECORD_BYTES = 1_000_000
#: A report folder's period (as the index checks it).
PERIOD = re.compile(r"(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?")
#: Suffix of the previous record kept beside a report.
PREVIOUS = ".previous.json"

#: Words for the comparators a figure may carry.
COMPARATORS = {
    "england": "England",
    "neighbours_mean": "the neighbours' mean",
    "neighbours_median": "the neighbours' median",
    "region": "the region",
}
#: Words for the flags a figure may carry.
FLAGS = {
    "rank": "rank among neighbours",
    "band": "national quartile band",
    "vs_england": "against England",
    "change_1y": "change over 1 year",
    "change_3y": "change over 3 years",
    "change_5y": "change over 5 years",
    "funnel": "funnel plot",
    "spc": "SPC signal",
}
#: Flag values that mean "no flag" (an SPC point of common-cause variation is no signal).
NO_FLAG = {"", "common_cause", "none"}
SPC_WORDS = {
    "improvement": "special cause (improvement)",
    "concern": "special cause (concern)",
    "neither": "special cause",
}


@dataclass(frozen=True)
class WhatsNew:
    """The "What's new" box: ``status`` is ``first`` (nothing earlier to compare with),
    ``changed`` (figures differ from the previous record) or ``unchanged``; ``headline`` says what
    data arrived since the previous briefing (rendered at ``since``); ``items`` list the figures
    that changed."""

    status: str
    headline: str
    items: tuple[str, ...] = field(default_factory=tuple)
    since: str = ""
    previous_period: str = ""

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "headline": self.headline,
            "items": list(self.items),
            "since": self.since,
            "previous_period": self.previous_period,
        }


# --------------------------------------------------------------------------- words


def day_label(iso: str) -> str:
    """'2026-11-02T06:30:00+00:00' -> '2 November 2026'."""
    try:
        when = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)[:40]
    return f"{when.day} {when:%B %Y}"


def period_words(period: str) -> str:
    """'2025' -> 'the year to March 2025'; '2026-10' -> 'October 2026'."""
    from csdemand.core.periods import month_label

    p = str(period)
    return f"the year to March {p}" if len(p) == 4 else month_label(p)


def months_added(before: str, after: str) -> str:
    """The months after ``before`` up to ``after``, in words: 'October 2026', 'September and
    October 2026', 'August to October 2026', 'December 2025 to February 2026'."""
    from csdemand.core.periods import month, month_label

    first, last = month(before) + 1, month(after)
    n = (last - first).n + 1
    if n <= 1:
        return month_label(last)
    if first.year == last.year:
        joint = " and " if n == 2 else " to "
        return f"{first:%B}{joint}{month_label(last)}"
    return f"{month_label(first)} to {month_label(last)}"


def figure_text(f: dict, key: str = "value") -> str:
    """A figure as printed: decimals from ``reference/measures.csv`` (one where the measure is not
    listed and the value is not whole), the DfE marker where it is withheld, ``%`` for a percentage."""
    from csdemand.core import numbers

    value = f.get(key) if key == "value" else (f.get("comparators") or {}).get(key)
    status = str(f.get("status") or "") if key == "value" else ""
    unit = "%" if str(f.get("unit", "")).strip() in ("%", "percent") else ""
    if status or value is None:
        return numbers.fmt(value, 0, status=status or "x")
    try:
        decimals = numbers.decimals_of(str(f.get("measure")))
    except (KeyError, ValueError, TypeError):
        decimals = 0 if float(value).is_integer() else 1
    try:
        return numbers.fmt(float(value), decimals, unit=unit)
    except (TypeError, ValueError):
        return "x"


def _flag_value(key: str, value: object) -> str:
    v = str(value or "").strip()
    if v.lower() in NO_FLAG:
        return ""
    return SPC_WORDS.get(v, v.replace("_", " ")) if key == "spc" else v


# --------------------------------------------------------------------------- comparing two records


def _published(record: dict) -> dict[str, dict]:
    return {
        str(s.get("id") or s.get("title")): s
        for s in record.get("sources") or []
        if isinstance(s, dict) and s.get("publisher") != "Council"
    }


def _data_headline(current: dict, previous: dict, since: str) -> str:
    """What arrived since the previous briefing: releases, local months (see :func:`compare`)."""
    if not isinstance(previous.get("sources"), list):
        data = f"Compared with the briefing of {since} (its record does not list the data it used)"
    elif not _published(current) and not _published(previous):
        # A briefing of the council's own data alone (early help): "published" would mislead.
        local = _local_words(current, previous)
        return f"Since the briefing of {since}: {local}" if local else f"No new data since the briefing of {since}"
    else:
        now, before = _published(current), _published(previous)
        new = [
            s
            for key, s in now.items()
            if key not in before or str(s.get("published", "")) > str(before[key].get("published", ""))
        ]
        old_inputs, new_inputs = previous.get("inputs") or {}, current.get("inputs") or {}
        if new:
            from csdemand.present.html import month_name

            data = f"New published data since the briefing of {since}: " + "; ".join(
                f"{s.get('title')} ({month_name(str(s.get('published', '')))})" for s in new
            )
        elif old_inputs.get("published") and old_inputs.get("published") != new_inputs.get("published"):
            data = (
                f"No new release since the briefing of {since}, but the published tables were corrected or re-imported"
            )
        else:
            data = f"No new published data since the briefing of {since}"
    local = _local_words(current, previous)
    if not local:
        return data
    return data + ("; " if ":" in data else ": ") + local


def _local_words(current: dict, previous: dict) -> str:
    now, before = str(current.get("local_to") or ""), str(previous.get("local_to") or "")
    old_local = (previous.get("inputs") or {}).get("local") or {}
    new_local = (current.get("inputs") or {}).get("local") or {}
    if now and before and now > before:
        try:
            return f"local figures for {months_added(before, now)} added"
        except ValueError:
            return f"local figures to {now} added"
    if now and not before and "local_to" in previous:
        return "local figures added"
    if before and not now:
        return "local figures no longer included"
    if old_local and new_local and old_local != new_local and any(v != "none" for v in new_local.values()):
        return "local data revised"
    return ""


def _figures(record: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for f in record.get("figures") or []:
        if isinstance(f, dict) and f.get("measure") and str(f["measure"]) not in found:
            found[str(f["measure"])] = f
    return found


def _label(f: dict) -> str:
    return str(f.get("label") or f.get("measure"))[:120]


def figure_changes(current: dict, previous: dict) -> list[str]:
    """The figures that changed between two records, one sentence each."""
    items: list[str] = []
    now, before = _figures(current), _figures(previous)
    for measure, f in now.items():
        label = _label(f)
        p = before.get(measure)
        if p is None:
            items.append(f"New figure: {label}, {period_words(f.get('period', ''))}: {figure_text(f)}")
            continue
        same_period = str(f.get("period")) == str(p.get("period"))
        new_text, old_text = figure_text(f), figure_text(p)
        if same_period and new_text != old_text:
            items.append(f"Revised: {label}, {period_words(f.get('period', ''))}: {new_text} (was {old_text})")
        elif not same_period:
            items.append(
                f"{label}: {new_text} for {period_words(f.get('period', ''))} "
                f"({old_text} for {period_words(p.get('period', ''))})"
            )
        if same_period:
            for key, words in COMPARATORS.items():
                if key in (f.get("comparators") or {}) and key in (p.get("comparators") or {}):
                    a, b = figure_text(f, key), figure_text(p, key)
                    if a != b:
                        items.append(f"Revised: {label}: {words} {a} (was {b})")
        flags, old_flags = f.get("flags") or {}, p.get("flags") or {}
        for key in list(flags) + [k for k in old_flags if k not in flags]:
            if key == "rebased":
                continue
            a, b = _flag_value(key, flags.get(key)), _flag_value(key, old_flags.get(key))
            if a == b:
                continue
            words = FLAGS.get(key, key.replace("_", " "))
            if key == "spc" and a:
                items.append(f"New SPC signal: {label}: {a}" + (f" (was {b})" if b else ""))
            elif a and b:
                items.append(f"{label}: {words} moved from {b} to {a}")
            elif a:
                items.append(f"{label}: {words} now flagged {a}")
            else:
                items.append(f"{label}: {words} no longer flagged (was {b})")
    for measure, p in before.items():
        if measure not in now:
            items.append(f"No longer shown: {_label(p)}")
    return items


def compare(current: dict, previous: dict | None) -> WhatsNew:
    """The "What's new" box for ``current`` (a record about to be written) against ``previous``
    (the previous record for this authority and briefing, or None)."""
    if not previous:
        return WhatsNew(
            "first", "The first briefing rendered here for this authority and period: nothing earlier to compare with."
        )
    since_iso = str(previous.get("rendered_at") or "")
    since = day_label(since_iso) if since_iso else "an earlier date"
    headline = _data_headline(current, previous, since)
    prev_period, period = str(previous.get("period") or ""), str(current.get("period") or "")
    if prev_period and prev_period != period:
        headline = (
            f"A new period, {period_words(period)}: the previous briefing, of {since}, was for "
            f"{period_words(prev_period)}. " + headline
        )
    items = figure_changes(current, previous)
    if previous.get("code_hash") and current.get("code_hash") and previous["code_hash"] != current["code_hash"]:
        items.append(
            f"The briefing's code changed since then (commit {str(previous.get('commit') or 'unknown')[:40]} to "
            f"{str(current.get('commit') or 'unknown')[:40]})"
        )
    changed = any(not i.startswith("The briefing's code changed") for i in items)
    return WhatsNew(
        "changed" if changed else "unchanged", headline + ".", tuple(items), since_iso[:40], prev_period[:10]
    )


# --------------------------------------------------------------------------- records on disk


def read_record(path: Path) -> dict | None:
    """A record as JSON, or None when it is missing, too large, a link or not a JSON object."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _period_key(period: str) -> str:
    p = str(period)
    return f"{p}-03.5" if len(p) == 4 else p


def _records(out_dir: Path, slug: str, briefing: str) -> list[tuple[Path, dict]]:
    """This authority's records of ``briefing`` that are where they say they are."""
    found = []
    for path in sorted(Path(out_dir).glob(f"{slug}/*/{briefing}.json")):
        period = path.parent.name
        if not PERIOD.fullmatch(period) or not path.with_suffix(".html").is_file():
            continue
        data = read_record(path)
        if (
            data is not None
            and data.get("la_slug") == slug
            and str(data.get("period")) == period
            and data.get("briefing") == briefing
        ):
            found.append((path, data))
    return found


def previous_record(out_dir: Path, slug: str, briefing: str, period: str) -> dict | None:
    """The record a new render of ``briefing`` for ``period`` is compared with: the one it
    replaces, else the newest for an earlier period, else None."""
    found = _records(out_dir, slug, briefing)
    same = [d for p, d in found if p.parent.name == period]
    if same:
        return same[0]
    earlier = [d for p, d in found if _period_key(p.parent.name) < _period_key(period)]
    return max(earlier, key=lambda d: _period_key(str(d["period"]))) if earlier else None


def unchanged(
    out_dir: Path, slug: str, briefing: str, requested: str, inputs_hash: str | None, code_hash: str
) -> tuple[Path, dict] | None:
    """The report (and its record) of ``briefing`` last rendered for the requested period
    ``requested`` (``latest``, a year or a month) if its inputs and code hashed as they do now;
    None when there is none, or when an input cannot be hashed."""
    if inputs_hash is None:
        return None
    found = [(p, d) for p, d in _records(out_dir, slug, briefing) if d.get("requested_period") == requested]
    if not found:
        return None
    path, data = max(found, key=lambda pd: str(pd[1].get("rendered_at") or ""))
    if data.get("inputs_hash") == inputs_hash and data.get("code_hash") == code_hash:
        return path.with_suffix(".html"), data
    return None
