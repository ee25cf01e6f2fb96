"""The scorecard: children's social care on one page (two printed A4 landscape sheets at most),
topic by topic, every measure LAIT publishes for children in need, referrals and child
protection, children looked after and care leavers, the social work workforce and finance that
has figures for 2023 or later and is neither a duplicate nor a breakdown of another.

Which measures, and why each other one is left out, is the versioned code list
``reference/scorecard_measures.csv`` (one row per measure of those five LAIT topics: ``include``,
``reason``: ``shown``, ``count`` (a count or total whose rate, share or average is shown, or one
that scales with the authority's size), ``breakdown`` (one part of a split that another measure
shown gives whole, or a sub-group of it), ``duplicate``, ``not social care``; ``short_label``
for the page; ``count`` and ``base``, the LAIT measures holding the counts a rate or share rests
on, for the flags; ``publication`` for ``python -m csdemand releases``).

Each row: the latest value (the page's year, or the latest year published before it), a 10-year
sparkline with the neighbours' mean and the years beyond chance from the neighbours marked, the
neighbours' mean, England, rank among the 11 and LAIT's quartile band (coloured where the measure
has a polarity), the change on the year, and a flag where that change or the gap to the
neighbours is beyond chance (:func:`csdemand.methods.benchmarks.benchmark`). Figures are LAIT's
as published; every number passes through :mod:`csdemand.core.numbers` at LAIT's decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers, paths, periods
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks as bm
from csdemand.methods import significance
from csdemand.present.html import Figure, Html, Provenance, esc
from csdemand.present.sparklines import Sparkline, sparklines
from csdemand.published import areas as areas_mod
from csdemand.published import store

#: The page's sections, in order (LAIT's topics: LAIT files referrals under child protection).
SECTIONS: dict[str, str] = {
    "children_in_need": "Children in need",
    "child_protection": "Referrals, assessments and child protection",
    "looked_after": "Children looked after and care leavers",
    "workforce": "Social work workforce",
    "finance": "Finance",
}
REASONS: dict[str, str] = {
    "shown": "on the scorecard",
    "count": "a count or total whose rate, share or average is shown, or one that scales with the authority's size",
    "breakdown": "one part of a split another measure shown gives whole, or a sub-group of it",
    "duplicate": "says again what another measure shown says",
    "not social care": "not a children's social care service",
    "no recent data": "no figure for 2023 or later",
}
#: A measure is shown only with a figure for this year or later (for some authority).
RECENT = 2023
WINDOW = 10  #: years in a sparkline
POPULATION = "population_0_17"


# --------------------------------------------------------------------------- the code list


def code_list() -> pd.DataFrame:
    """``reference/scorecard_measures.csv``: every measure of the five topics, shown or not and why."""
    with resources.files("csdemand").joinpath("reference", "scorecard_measures.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def shown_measures() -> pd.DataFrame:
    """The rows of :func:`code_list` the scorecard shows, in page order."""
    cl = code_list()
    cl = cl[cl["include"] == "yes"].copy()
    cl["_order"] = cl["section"].map(list(SECTIONS).index)
    return cl.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------- data, read once per process


def _stamp() -> tuple:
    """Modification times of the tables read (a render kernel is reused across authorities, so
    the panels are built once per process and rebuilt only when a file changes)."""
    d = paths.data_dir()
    return tuple(
        (f.name, f.stat().st_mtime) if f.exists() else (f.name, 0.0)
        for f in (d / "lait.parquet", d / "lait_measures.csv", d / "population.csv", d / "statistical_neighbours.csv")
    )


@lru_cache(maxsize=2)
def _data(stamp: tuple) -> dict:
    lait = store.load("lait")
    measures = store.load("lait_measures")
    groups = {m: g for m, g in lait.groupby("measure", sort=False)}
    base = bm.population_base(store.load("population"))
    panels: dict[str, bm.Panel] = {}
    for _, spec in shown_measures().iterrows():
        code = spec["measure"]
        if code not in groups:
            raise InputError(
                f"the scorecard's measure {code!r} is not in the LAIT table",
                file=paths.data_dir() / "lait.parquet",
                column="measure",
                value=code,
                expected="a LAIT code of reference/scorecard_measures.csv (re-import with make import)",
            )
        info = bm.measure_info(code, measures, kind=spec["kind"], count=spec["count"], base=spec["base"])
        b = base if spec["base"] == POPULATION else (bm.wide(groups[spec["base"]]) if spec["base"] else None)
        c = bm.wide(groups[spec["count"]]) if spec["count"] else None
        panels[code] = bm.panel(groups[code], info, b, c)
    years: dict[int, set[int]] = {}
    shown = lait[lait["measure"].isin(list(panels)) & (lait["geographic_level"] == "la") & (lait["status"] == "")]
    for la, ps in shown.groupby(shown["la_number"].astype(int))["period"]:
        years[int(la)] = {int(p) for p in ps.unique()}
    return {"panels": panels, "years": years, "measures": measures}


@lru_cache(maxsize=4)
def _neighbour_map(stamp: tuple, model: str) -> dict[int, list[int]]:
    return bm.neighbour_map(store.load("statistical_neighbours"), model)


# --------------------------------------------------------------------------- building the page


@dataclass
class Row:
    """One measure on the page."""

    key: str
    section: str
    label: str
    bench: bm.Benchmark
    spark: Sparkline | None = None
    publication: str = ""

    @property
    def info(self) -> bm.MeasureInfo:
        return self.bench.info

    @property
    def change(self) -> float:
        t = self.bench.travel
        row = t[t["span_years"] == 1]
        return float(row["change"].iloc[0]) if len(row) else np.nan

    @property
    def neighbour_flag(self) -> str:
        return self.bench.vs_neighbours.flag if self.bench.has_value else ""

    @property
    def change_flag(self) -> str:
        return self.bench.change.flag if self.bench.has_value and not numbers.is_missing(self.change) else ""


@dataclass
class Scorecard:
    la: areas_mod.LocalAuthority
    period: int
    model: str
    rows: list[Row]
    neighbour_numbers: list[int] = field(default_factory=list)
    requested_model: str = ""

    def section_rows(self, section: str) -> list[Row]:
        return [r for r in self.rows if r.section == section]


def available_years(la_number: int) -> list[int]:
    """Years in which LAIT has a figure of a scorecard measure for the LA (a year of ``-`` only,
    such as Cumbria's 2024 and 2025 after it was abolished, is not one)."""
    return sorted(_data(_stamp())["years"].get(int(la_number), set()))


def build(la: str, period: str = "latest", model: str = "2025") -> Scorecard:
    """The scorecard for an LA (number, GSS code or name) and reporting year (``latest``: the
    newest year LAIT has for it), against the statistical neighbours of ``model`` (or of the
    newest model that has the authority, for one abolished before it was made)."""
    auth = areas_mod.resolve(la)
    stamp = _stamp()
    data = _data(stamp)
    years = available_years(auth.la_number)
    if not years:
        raise InputError(f"LAIT has no scorecard figures for {auth.name}", column="la", value=la)
    year = periods.annual_period(period, years)
    used, nbrs = bm.neighbours_for(store.load("statistical_neighbours"), auth.la_number, str(model))
    nmap = _neighbour_map(stamp, used)
    rows = []
    for _, spec in shown_measures().iterrows():
        b = bm.benchmark(
            data["panels"][spec["measure"]],
            auth.la_number,
            year,
            nbrs,
            auth.region_code,
            window=WINDOW,
            neighbours=nmap,
        )
        rows.append(Row(spec["measure"], spec["section"], spec["short_label"], b, publication=spec["publication"]))
    _draw(rows, year)
    return Scorecard(auth, year, used, rows, nbrs, requested_model=str(model))


def mean_fmt(info: bm.MeasureInfo, value: float) -> str:
    """A neighbours' mean as LAIT gives it: one place more than a whole-number figure (88.9 beside
    97), pounds in whole pounds."""
    return info.fmt(value, decimals=info.decimals if info.kind == "cost" else max(1, info.decimals))


def _draw(rows: list[Row], year: int) -> None:
    """Every row's sparkline, in one drawing (:func:`csdemand.present.sparklines.sparklines`)."""
    years = list(range(year - WINDOW + 1, year + 1))
    lines, ref, marks = {}, {}, {}
    for r in rows:
        h = r.bench.history.set_index("period")
        lines[r.key] = h["value"].reindex(years)
        ref[r.key] = h["neighbours_mean"].reindex(years)
        marks[r.key] = (h["vs_neighbours"] != "").reindex(years).fillna(False)
    drawn = sparklines(
        pd.DataFrame(lines).T,
        reference=pd.DataFrame(ref).T,
        marks=pd.DataFrame(marks).T,
        labels={r.key: _lower(r.label) for r in rows},
        formatter={r.key: (lambda v, i=r.info: i.fmt(v)) for r in rows},
        reference_formatter={r.key: (lambda v, i=r.info: mean_fmt(i, v)) for r in rows},
        years=years,
    )
    for r in rows:
        r.spark = drawn[r.key]


# --------------------------------------------------------------------------- words


def _lower(label: str) -> str:
    return label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label


def verdict(row: Row, direction: str) -> str:
    """``better`` or ``worse`` for ``higher``/``lower`` (or ``rose``/``fell``) of a measure with
    a polarity; ``""`` otherwise."""
    if not row.info.has_polarity or direction not in ("higher", "lower", "rose", "fell"):
        return ""
    up = direction in ("higher", "rose")
    return "better" if up == (row.info.polarity == "high_is_good") else "worse"


def _listing(labels: list[str], most: int = 4) -> str:
    labels = [_lower(x) for x in labels]
    if len(labels) > most:
        labels = labels[:most] + [f"{len(labels) - most} more"]
    # labels with commas of their own keep the items apart with semicolons (not "10,000"'s comma)
    sep = "; " if any(re.search(r",(?!\d{3})", x) for x in labels) else ", "
    return labels[0] if len(labels) == 1 else sep.join(labels[:-1]) + " and " + labels[-1]


#: How a sentence names a section's group, where two sections show measures of the same label
#: (the education measures are shown for children in need and for children looked after).
GROUP_WORDS: dict[str, str] = {
    "children_in_need": "children in need",
    "child_protection": "children on a protection plan",
    "looked_after": "children looked after",
    "workforce": "the workforce",
    "finance": "spending",
}


def said(r: Row, rows: list[Row]) -> str:
    """A measure's label as a sentence names it: with its group ("persistent absentees among
    children looked after") where another measure on the page has the same label."""
    if sum(x.label == r.label for x in rows) > 1:
        return f"{r.label} among {GROUP_WORDS.get(r.section, r.section.replace('_', ' '))}"
    return r.label


def key_messages(s: Scorecard) -> list[str]:
    """Three to five sentences: where the authority is beyond chance from its neighbours (better,
    worse, or different for measures with no better or worse), what changed beyond the usual on
    the year, and how many measures sit in the best and worst quarter of authorities."""
    name = s.la.name
    out = []
    shown = [r for r in s.rows if r.bench.has_value]
    graded = [r for r in shown if r.info.has_polarity and r.bench.band.band]
    best = [r for r in graded if r.bench.band.band == "A"]
    worst = [r for r in graded if r.bench.band.band == "D"]
    out.append(
        f"{name} has figures for {len(shown)} of the {len(s.rows)} measures. Of the {len(graded)} where higher or "
        f"lower is better, {len(best)} are in the best quarter of authorities and {len(worst)} in the worst."
    )
    groups = {"better": [], "worse": [], "": []}
    for r in shown:
        if r.neighbour_flag:
            groups[verdict(r, r.neighbour_flag)].append(r)
    if any(groups.values()):
        parts = []
        if groups["better"]:
            parts.append(f"better on {_listing([said(r, s.rows) for r in groups['better']])}")
        if groups["worse"]:
            parts.append(f"worse on {_listing([said(r, s.rows) for r in groups['worse']])}")
        for side in ("higher", "lower"):  # no better or worse: grouped by side, so each side is said once
            words = [said(r, s.rows) for r in groups[""] if r.neighbour_flag == side]
            if words:
                parts.append(f"{side} on {_listing(words)}")
        out.append(f"Beyond chance from its statistical neighbours: {'; '.join(parts)}.")
    else:
        out.append("No measure is further from the statistical neighbours' mean than chance would explain.")
    moved = [r for r in shown if r.change_flag]
    if moved:
        parts = []
        for d in ("rose", "fell"):
            words = []
            for r in moved:
                if (r.change > 0) == (d == "rose"):
                    v = verdict(r, d)
                    words.append(said(r, s.rows) + (f", {v}" if v else ""))
            if words:
                parts.append(f"{d}: {_listing(words, 4)}")
        out.append(f"Changed more on the year than across all authorities ({'; '.join(parts)}).")
    else:
        out.append("No change on the year is beyond the usual variation between authorities.")
    withheld = [r for r in s.rows if not r.bench.has_value]
    if withheld:
        out.append(
            f"{len(withheld)} measure{'s are' if len(withheld) != 1 else ' is'} not published for {name} "
            f"({_listing([said(r, s.rows) for r in withheld], 3)})."
        )
    return out


# --------------------------------------------------------------------------- the table


_ARROWS = {"up": "\u25b2", "down": "\u25bc", "no change": "\u25b6"}


def _year_cell(r: Row) -> str:
    b = r.bench
    label = b.period_label.split(" (")[0].strip()
    if "sept" in r.info.year_type.lower():
        label = f"Sep {label}"
    note = b.period_label[len(b.period_label.split(" (")[0]) :].strip(" ()")
    title = f"{r.info.year_type}{': ' + note if note else ''}"
    later = " (latest)" if b.period != b.requested_period else ""
    return f'<span title="{esc(title)}">{esc(label)}</span>' + (
        f'<span class="na">{esc(later)}</span>' if later else ""
    )


def _marker(status: str) -> str:
    st = numbers.fmt(np.nan, status=status or "x")
    return f'<span class="na" title="{esc(numbers.MARKER_MEANINGS.get(st, ""))}">{esc(st)}</span>'


def change_cell(r: Row) -> str:
    t = r.bench.travel
    row = t[t["span_years"] == 1].iloc[0]
    if not r.bench.has_value:
        return _marker(r.bench.status)
    if numbers.is_missing(row["change"]):
        return _marker(row["from_status"] or "x")
    word = row["direction"]
    d = {"up": "rose", "down": "fell"}.get(word, "")
    v = verdict(r, d)
    cls = {"better": "good", "worse": "bad"}.get(v, "neutral")
    figure = "no change" if word == "no change" else r.info.fmt(row["change"], sign=True)
    if r.info.kind == "percent" and word != "no change":
        figure = figure.removesuffix("%") + " pts"
    star = '<span class="sig" title="beyond the usual change across authorities">*</span>' if r.change_flag else ""
    label = f"{word}{', ' + v if v else ''}{', beyond the usual' if r.change_flag else ''}"
    return f'<span class="move {cls}" aria-label="{esc(label)}">{_ARROWS.get(word, "")} {esc(figure)}{star}</span>'


def _rank_class(r: Row) -> str:
    k = r.bench.rank
    if not r.info.has_polarity or not k.rank or k.n < 4:
        return ""
    if k.rank <= k.n / 4:
        return " good"
    if k.rank > 3 * k.n / 4:
        return " bad"
    return ""


def flag_cell(r: Row) -> str:
    """The flags: gap to the neighbours and the change on the year, where beyond chance."""
    parts = []
    if r.neighbour_flag:
        v = verdict(r, r.neighbour_flag)
        cls = {"better": "good", "worse": "bad"}.get(v, "neutral")
        word = "above" if r.neighbour_flag == "higher" else "below"
        parts.append(f'<span class="flag {cls}">{word} neighbours{" (" + v + ")" if v else ""}</span>')
    if r.change_flag:
        d = "rose" if r.change > 0 else "fell"
        v = verdict(r, d)
        cls = {"better": "good", "worse": "bad"}.get(v, "neutral")
        parts.append(f'<span class="flag {cls}">{d} beyond the usual{" (" + v + ")" if v else ""}</span>')
    return "; ".join(parts)


HEAD = [
    "Measure",
    "Year",
    "Value",
    f"{WINDOW} years",
    "Change on the year",
    "Neighbours' mean",
    "England",
    "Rank of 11",
    "Band",
    "Beyond chance",
]


def table(s: Scorecard) -> Html:
    """The scorecard as one table, a body per section (text escaped; colours also in words)."""
    bodies = []
    for key, title in SECTIONS.items():
        rows = s.section_rows(key)
        if not rows:
            continue
        out = [f'<tr class="section"><th scope="colgroup" colspan="{len(HEAD)}">{esc(title)}</th></tr>']
        for r in rows:
            b = r.bench
            value = esc(r.info.fmt(b.value)) if b.has_value else _marker(b.status)
            nb = b.neighbours
            nb_cell = (
                esc(mean_fmt(r.info, nb.mean))
                + (f' <span class="na">({nb.n_with_value})</span>' if nb.n_with_value < nb.n_neighbours else "")
                if nb.n_with_value
                else _marker("x")
            )
            eng = esc(r.info.fmt(b.england_value)) if b.england_status == "" else _marker(b.england_status)
            rank = f'<span class="rank{_rank_class(r)}">{esc(str(b.rank))}</span>' if b.rank.rank else _marker("x")
            colour = b.band.colour or "plain"
            band = (
                f'<span class="band {colour}" title="{esc(b.band.convention)}">{esc(b.band.band)}</span>'
                if b.band.band
                else '<span class="na">\u2013</span>'
            )
            spark = r.spark.img() if r.spark is not None else ""
            cells = [
                f'<th scope="row" title="{esc(r.info.label)} ({esc(r.key)})">{esc(r.label)}</th>',
                f"<td>{_year_cell(r)}</td>",
                f'<td class="num value">{value}</td>',
                f'<td class="spark">{spark}</td>',
                f'<td class="num">{change_cell(r)}</td>',
                f'<td class="num">{nb_cell}</td>',
                f'<td class="num">{eng}</td>',
                f'<td class="num">{rank}</td>',
                f'<td class="band">{band}</td>',
                f'<td class="flags">{flag_cell(r)}</td>',
            ]
            out.append(f'<tr data-measure="{esc(r.key)}">' + "".join(cells) + "</tr>")
        bodies.append(f'<tbody data-section="{esc(key)}">' + "".join(out) + "</tbody>")
    thead = "".join(f'<th scope="col">{esc(h)}</th>' for h in HEAD)
    caption = f"Children's social care scorecard for {s.la.name}, {s.period} (LAIT's figures)"
    return Html(
        f'<table class="data scorecard"><caption>{esc(caption)}</caption><thead><tr>{thead}</tr></thead>'
        + "".join(bodies)
        + "</table>"
    )


def footnotes(s: Scorecard) -> list[str]:
    """What the symbols, colours, ranks, bands and flags mean, and the markers used."""
    out = [
        "Each row shows the year asked for or, where a measure is published later, the latest year published "
        "(\u201clatest\u201d); hover for the year type. Workforce figures are at 30 September.",
        f"{WINDOW} years: the authority (vermillion, last year dotted) and its neighbours' mean (blue), each line on "
        "its own scale; dark dots mark years beyond chance from the neighbours.",
        "Rank of 11: among the authority and its 10 statistical neighbours with a figure, 1 = best where higher or "
        "lower is better (LAIT's convention), 1 = lowest where neither is. Band: LAIT's quartile of all authorities, "
        "A = best quarter where higher or lower is better (green; D red), A = lowest quarter where neither is (no "
        "colour); \u2013 where LAIT gives no band.",
        "\u25b2 up, \u25bc down, \u25b6 no change, as printed; blue and orange mark moves that are better or worse. "
        "* and \u201crose/fell beyond the usual\u201d: "
        + significance.PLAIN["change"]
        + " "
        + bm.PLAIN_NEIGHBOURS
        + " "
        + bm.PLAIN_SPREAD,
        f"Neighbours' mean: the mean of the statistical neighbours with a figure (DfE {s.model} model"
        + (
            f"; the {s.requested_model} model has none for {s.la.name}"
            if s.requested_model and s.requested_model != s.model
            else ""
        )
        + "), as in LAIT; (n) where fewer than 10 had one.",
    ]
    used = sorted(
        {r.bench.status for r in s.rows if r.bench.status}
        | {r.bench.england_status for r in s.rows if r.bench.england_status}
    )
    if used:
        out.append("; ".join(f"{m}: {numbers.MARKER_MEANINGS[m]}" for m in used if m in numbers.MARKER_MEANINGS) + ".")
    return out


# --------------------------------------------------------------------------- updates, figures, provenance


def next_update(info: bm.MeasureInfo) -> str:
    """The dictionary's next update: an ISO date, or its words ("TBC", "Discontinued")."""
    return info.next_update or "not stated"


def update_notes(s: Scorecard, today: dt.date | None = None) -> list[str]:
    """When each publication behind the page is next due, from LAIT's dictionary, soonest first;
    a date already past is marked (newer figures are probably out: refresh LAIT's files)."""
    today = today or dt.date.today()
    due: dict[tuple[str, str], int] = {}
    for r in s.rows:
        key = (next_update(r.info), r.publication)
        due[key] = due.get(key, 0) + 1
    parts = []
    for (d, pub), n in sorted(due.items(), key=lambda kv: (_iso(kv[0][0]) or dt.date.max, kv[0][1])):
        past = " (past due)" if (_iso(d) or dt.date.max) < today else ""
        parts.append(f"{_date_words(d)}{past}: {pub} ({n} measure{'s' if n != 1 else ''})")
    return ["Next data (LAIT's dictionary): " + "; ".join(parts) + "."]


def _date_words(d: str) -> str:
    try:
        return dt.date.fromisoformat(d).strftime("%d %B %Y").lstrip("0")
    except ValueError:
        return d


def figures(s: Scorecard) -> list[Figure]:
    """Every row as data for the JSON record: value, comparators, and as flags the judgements
    shown (neighbours, change, England, rank, band) and the measure's next update."""
    out = []
    for r in s.rows:
        b = r.bench
        out.append(
            Figure(
                measure=r.key,
                label=r.label,
                area_code=s.la.area_code,
                la_number=s.la.la_number,
                period=str(b.period),
                value=b.value if b.has_value else None,
                status=b.status,
                unit=r.info.unit,
                comparators={
                    "neighbours_mean": b.neighbours.mean,
                    "neighbours_median": b.neighbours.median,
                    "region": b.region_value,
                    "england": b.england_value,
                    "change_1y": r.change,
                },
                flags={
                    "vs_neighbours": r.neighbour_flag,
                    "change_1y": r.change_flag,
                    "vs_england": b.vs_england.flag if b.has_value else "",
                    "rank": str(b.rank),
                    "rank_convention": b.rank.convention,
                    "national_rank": str(b.national_rank),
                    "band": b.band.band,
                    "period_label": b.period_label,
                    "next_update": next_update(r.info),
                },
            )
        )
    return out


def provenance(s: Scorecard, parameters: dict) -> Provenance:
    """Title, parameters, sources (LAIT, the neighbour model, the population estimates behind
    the flags of rates), notes (next updates) and every row as :class:`Figure`."""
    src = codes.sources()
    sources = []
    for sid in ("lait", "ons_pop_2024"):
        if sid in src.index:
            r = src.loc[sid]
            sources.append(
                {
                    "id": sid,
                    "title": r["title"],
                    "publisher": r["publisher"],
                    "published": r["published"],
                    "licence": r["licence"],
                    "url": r["url"],
                }
            )
    sources.append(codes.neighbour_source(s.model))
    return Provenance(
        title=f"Scorecard: {s.la.name}, {s.period}",
        subtitle="Children's social care on one page: every LAIT measure of five topics against neighbours and England",
        parameters={**parameters, "resolved period": s.period},
        sources=sources,
        notes=update_notes(s)
        + [
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education; Office for National Statistics."
        ],
        figures=figures(s),
    )


def style() -> Html:
    """The scorecard's own rules (``templates/scorecard.css``: A4 landscape, two sheets at most),
    as a ``<style>`` the page carries (the house stylesheet prints other briefings portrait)."""
    css = resources.files("csdemand").joinpath("templates", "scorecard.css").read_text(encoding="utf-8")
    return Html(f"<style>{css}</style>")


# --------------------------------------------------------------------------- releases


def measures_in_use() -> pd.DataFrame:
    """The LAIT measures the briefings use, with the briefings that use each: the scorecard's
    measures; the LAIT codes of the EES figures the summary, looked-after and referrals briefings
    show (the pairs of :mod:`csdemand.published.reconcile`: the same publication, the same
    dates); and the looked-after projection's measures."""
    from csdemand.methods import projection
    from csdemand.published import reconcile

    users: dict[str, set[str]] = {}
    for code in shown_measures()["measure"]:
        users.setdefault(code, set()).add("scorecard")
    summary_measures = set(
        pd.read_csv(resources.files("csdemand").joinpath("reference", "summary_indicators.csv"))["measure"].dropna()
    )
    for pair in reconcile.PAIRS:
        who = {"looked_after"} if pair.measure.startswith("cla") else {"referrals"}
        if pair.measure in summary_measures:
            who.add("summary")
        users.setdefault(pair.lait, set()).update(who)
    for code in projection.MEASURES:
        users.setdefault(code, set()).add("looked_after")
    return pd.DataFrame(
        {"measure": list(users), "briefings": [", ".join(sorted(v)) for v in users.values()]}
    ).sort_values("measure", ignore_index=True)


def releases(today: dt.date | None = None) -> pd.DataFrame:
    """Updates due for the measures the briefings use, one row per date and publication, soonest
    first (undated ones, "TBC" or "Discontinued", last): ``due`` (ISO date or words),
    ``publication``, ``measures`` (codes), ``n``, ``briefings``, ``past_due`` (the date has passed:
    newer figures are probably out, and LAIT's files here should be refreshed)."""
    today = today or dt.date.today()
    cl = code_list().set_index("measure")
    use = measures_in_use()
    info = store.load("lait_measures").drop_duplicates("measure").set_index("measure")
    rows = []
    for _, u in use.iterrows():
        code = u["measure"]
        if code not in info.index:
            continue
        due = str(info.loc[code, "next_update"]) or "not stated"
        pub = cl.loc[code, "publication"] if code in cl.index else ""
        rows.append({"due": due, "publication": pub, "measure": code, "briefings": u["briefings"]})
    df = pd.DataFrame(rows)
    out = []
    for (due, pub), g in df.groupby(["due", "publication"], sort=False):
        date = _iso(due)
        past = date is not None and date < today
        out.append(
            {
                "due": due,
                "publication": pub,
                "n": len(g),
                "measures": ", ".join(sorted(g["measure"])),
                "briefings": ", ".join(sorted({b for x in g["briefings"] for b in x.split(", ")})),
                "past_due": past,
                "_date": date or dt.date.max,
            }
        )
    res = pd.DataFrame(out).sort_values(["_date", "publication"], kind="stable").drop(columns="_date")
    return res.reset_index(drop=True)


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        return None


def releases_text(table: pd.DataFrame, today: dt.date) -> str:
    """:func:`releases` as the command prints it: one block per date and publication."""
    lines = [f"Updates due for the measures the briefings use (LAIT's dictionary; today {today.isoformat()}):", ""]
    for _, r in table.iterrows():
        mark = "  PAST DUE" if r["past_due"] else ""
        lines.append(
            f"{r['due']}{mark}  {r['publication']}  ({r['n']} measure{'s' if r['n'] != 1 else ''}; {r['briefings']})"
        )
        lines.append(f"    {r['measures']}")
    return "\n".join(lines)
