"""The explorer for analysts (``notebooks/explore.ipynb``): any of LAIT's measures for an
authority, over the years, against its statistical neighbours, region and England; every chart
with its table.

Measures are chosen by code (``LAC``), by words matched against each measure's code, label, chart
title, unit and topic (``caseload`` finds ``Work_Force_AvgNumCase_SW``, whose unit is "Case Load"),
or by a topic (``Child Protection``). Figures come from ``store.load("lait")`` (LAIT as published:
a ``-`` where LAIT printed one, never 0) and the dictionary ``store.load("lait_measures")``
(label, unit, polarity, decimals, whether a quartile band applies).

In JupyterLab (``make lab``) :func:`view` returns widgets (authority, measure, neighbour model,
comparators on or off, axis from zero or not) that redraw the charts and tables; anywhere else
(Papermill, ``render``, nbval) it returns the same content as static HTML. ipywidgets is imported
only on the interactive path: rendering never needs it.

Rank is among the authority and its 10 statistical neighbours with a figure, 1 = lowest (as the
other briefings); polarity (is higher better?) is said in words beside it.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers, periods
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks
from csdemand.present.html import Chart, Figure, Html, Provenance, esc, table_html
from csdemand.published import areas as areas_mod
from csdemand.published import store

#: Comparator names a ``comparators`` parameter may use, and the line each draws.
COMPARATORS = {
    "neighbours": "neighbours_mean",
    "region": "region",
    "england": "england",
}
#: At most this many measures are shown for one search (the rest are counted, not drawn).
LIMIT = 12
POLARITY_WORDS = {
    "high_is_good": "higher is better",
    "low_is_good": "lower is better",
    "neither": "neither higher nor lower is better",
}
BETTER = {"high_is_good": "higher", "low_is_good": "lower", "neither": "neither"}
DASH_NOTE = "-: " + numbers.MARKER_MEANINGS["-"] + "."


# --------------------------------------------------------------------------- finding measures


def _norm(text: object) -> str:
    """Lower case letters and digits only: "Case Load" and "caseload" read the same."""
    return re.sub(r"[^a-z0-9]+", "", str(text).lower())


def terms_of(measures: object) -> list[str]:
    """The search terms of a ``measures`` parameter: a list of strings, or one string of terms
    separated by ``;`` (not commas: LAIT codes such as ``CPP_Total_Rateper10,000`` hold them)."""
    if isinstance(measures, str):
        items = measures.split(";")
    elif isinstance(measures, list | tuple):
        items = [str(m) for m in measures]
    else:
        raise InputError(
            f"measures must be a list of codes or words, not {type(measures).__name__}",
            column="measures",
            value=str(measures)[:60],
            expected='e.g. ["LAC", "caseload", "Child Protection"]',
        )
    return [t.strip() for t in items if t.strip()]


@dataclass(frozen=True)
class Found:
    """Measures a search found: ``codes`` in the order found (at most :data:`LIMIT`), ``total``
    how many matched in all, ``unmatched`` the terms that matched nothing."""

    codes: list[str]
    total: int
    unmatched: list[str]


def find_measures(measures: object, catalogue: pd.DataFrame, limit: int = LIMIT) -> Found:
    """The LAIT measures a ``measures`` parameter names, term by term: a code (exact, any case);
    else a topic (every measure of it); else every measure whose code, label, chart title, unit
    or topics hold all the term's words (case and spacing ignored). Duplicates are dropped."""
    found: list[str] = []
    unmatched = []
    text = (
        catalogue["measure"].astype(str)
        + " "
        + catalogue["label"].astype(str)
        + " "
        + catalogue["chart_title"].astype(str)
        + " "
        + catalogue["unit"].astype(str)
        + " "
        + catalogue["topics"].astype(str)
    ).map(_norm)
    codes_lower = catalogue["measure"].astype(str).str.lower()
    topics = catalogue["topics"].astype(str).map(lambda t: {_norm(x) for x in t.split(";")})
    for term in terms_of(measures):
        exact = catalogue.loc[codes_lower == term.lower(), "measure"]
        if len(exact):
            hits = list(exact)
        elif (topic := topics.map(lambda ts, t=term: _norm(t) in ts)).any():
            hits = list(catalogue.loc[topic, "measure"])
        else:
            words = [_norm(w) for w in term.split() if _norm(w)]
            hit = text.map(lambda s, ws=words: all(w in s for w in ws)) if words else text.map(lambda s: False)
            hits = list(catalogue.loc[hit, "measure"])
        if not hits:
            unmatched.append(term)
        found += [h for h in hits if h not in found]
    return Found(found[:limit], len(found), unmatched)


# --------------------------------------------------------------------------- one measure


@dataclass
class MeasureView:
    """One LAIT measure for an authority: its definition, the years shown against the
    comparators, and the latest year's value, group of 11, rank and band."""

    measure: str
    label: str
    topic: str
    unit: str
    decimals: int
    polarity: str
    quartile: bool
    year_type: str
    next_update: str
    year: int  # the latest year shown (at or before the explorer's year)
    year_label: str  # LAIT's spelling of it (e.g. "2024-25 (OT)")
    value: float
    status: str  # "" for a value, "-" where LAIT printed one, "x" where the LA has no row
    neighbours: benchmarks.NeighbourAverage
    region: float
    england: float
    rank: int
    n_ranked: int
    band: str
    comparison: pd.DataFrame  # benchmarks.comparison_series over the years shown
    statuses: pd.Series  # year -> the LA's marker
    period_labels: dict[int, str]
    group: pd.DataFrame  # la_number, area_name, value, status: the LA and its neighbours in ``year``


def _definition(catalogue: pd.DataFrame, measure: str) -> pd.Series:
    row = catalogue[catalogue["measure"] == measure]
    if row.empty:
        raise InputError(f"unknown LAIT measure {measure!r}", column="measures", value=measure)
    return row.iloc[0]


def measure_view(
    data: pd.DataFrame,
    catalogue: pd.DataFrame,
    measure: str,
    la: areas_mod.LocalAuthority,
    neighbour_numbers: list[int],
    year: int,
    first: int,
) -> MeasureView:
    """One measure for ``la`` from ``first`` to ``year`` (LAIT's figures, ``-`` kept as a marker):
    the latest year at or before ``year`` in which the authority has a row (else England has a
    value), with its neighbours' mean and median, region, England, rank among the 11 and, where
    the dictionary allows one, the national quartile band."""
    d = _definition(catalogue, measure)
    decimals = int(d["decimals"]) if not numbers.is_missing(d["decimals"]) else 1
    m = data[(data["measure"] == measure) & (data["period"] >= first) & (data["period"] <= year)]
    mine = m[(m["geographic_level"] == "la") & (m["la_number"] == la.la_number)]
    eng = m[(m["area_code"] == benchmarks.ENGLAND) & (m["status"] == "")]
    held = sorted(int(p) for p in mine["period"]) or sorted(int(p) for p in eng["period"])
    latest = held[-1] if held else year
    years = list(range(first, year + 1))
    labels = dict(zip(m["period"].astype(int), m["period_label"].astype(str)))
    statuses = benchmarks.area_statuses(m, measure, la_number=la.la_number)
    values = benchmarks.la_values(m, measure, latest)
    value = float(values.get(la.la_number, np.nan))
    status = "" if la.la_number in values.index else (str(statuses.get(latest, "")) or "x")
    group_numbers = [la.la_number] + list(neighbour_numbers)
    rank, n_ranked = benchmarks.rank_ascending(values.reindex(group_numbers), la.la_number)
    all_st = benchmarks.la_statuses(m, measure, latest)
    names = dict(zip(m["la_number"].dropna().astype(int), m["area_name"].astype(str)))
    group = pd.DataFrame(
        {
            "la_number": group_numbers,
            "area_name": [names.get(n) or areas_mod.name_of(n) for n in group_numbers],
            "value": [float(values.get(n, np.nan)) for n in group_numbers],
            "status": [("" if n in values.index else (str(all_st.get(n, "")) or "x")) for n in group_numbers],
        }
    )
    region = benchmarks.area_series(m, measure, area_code=la.region_code).get(latest, np.nan)
    england = benchmarks.area_series(m, measure, area_code=benchmarks.ENGLAND).get(latest, np.nan)
    band = ""
    if bool(d["quartile"]) and status == "":
        band = benchmarks.quartile_band(values, value).band
    return MeasureView(
        measure=measure,
        label=str(d["label"]),
        topic=str(d["topic"]),
        unit=str(d["unit"]),
        decimals=decimals,
        polarity=str(d["polarity"]) if str(d["polarity"]) in POLARITY_WORDS else "neither",
        quartile=bool(d["quartile"]),
        year_type=str(d["year_type"]),
        next_update=str(d["next_update"]),
        year=latest,
        year_label=labels.get(latest, str(latest)),
        value=value,
        status=status,
        neighbours=benchmarks.neighbour_average(values, neighbour_numbers),
        region=float(region),
        england=float(england),
        rank=rank,
        n_ranked=n_ranked,
        band=band,
        comparison=benchmarks.comparison_series(m, measure, la.la_number, neighbour_numbers, la.region_code, years),
        statuses=statuses,
        period_labels=labels,
        group=group,
    )


# --------------------------------------------------------------------------- the explorer


@dataclass
class Exploration:
    """What the explorer shows: the authority, year, neighbours, the measures found and how they
    are drawn (``comparators``: the lines beside the authority's; ``from_zero``: the axis)."""

    la: areas_mod.LocalAuthority
    period: int
    first: int
    model: str
    requested_model: str
    neighbour_numbers: list[int]
    query: list[str]
    found: Found
    views: list[MeasureView]
    comparators: tuple[str, ...]
    from_zero: bool
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    catalogue: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def comparator_lines(comparators: object) -> tuple[str, ...]:
    """``["neighbours", "england"]`` -> the trend chart's lines; ``True`` all, ``False`` or
    ``[]`` none. An unknown name is an :class:`InputError` naming the ones there are."""
    if comparators is True:
        return tuple(COMPARATORS.values())
    if comparators is False or comparators is None:
        return ()
    names = [comparators] if isinstance(comparators, str) else list(comparators)
    out = []
    for name in names:
        key = str(name).strip().lower()
        if key not in COMPARATORS:
            raise InputError(
                f"unknown comparator {name!r}", column="comparators", value=str(name), expected=", ".join(COMPARATORS)
            )
        out.append(COMPARATORS[key])
    return tuple(out)


def build(
    la: str | int = "352",
    period: str = "latest",
    model: str = "2025",
    measures: object = ("LAC",),
    years: int = 10,
    comparators: object = True,
    axis_from_zero: bool = True,
    data: pd.DataFrame | None = None,
    catalogue: pd.DataFrame | None = None,
) -> Exploration:
    """The explorer's content for an authority (number, GSS code or name), a year (``latest``:
    the newest year LAIT holds for the authority), a statistical neighbour model, the measures a
    search finds (:func:`find_measures`), ``years`` of history to that year, the comparator lines
    and the axis. ``data`` / ``catalogue`` default to the shipped LAIT tables (the widgets pass
    them on, so a redraw does not read them again)."""
    auth = areas_mod.resolve(la)
    data = store.load("lait") if data is None else data
    catalogue = store.load("lait_measures") if catalogue is None else catalogue
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise InputError("years must be a whole number of years, 1 or more", column="years", value=str(years))
    found = find_measures(measures, catalogue)
    if not found.codes:
        raise InputError(
            "no LAIT measure matches " + ", ".join(repr(t) for t in terms_of(measures)),
            column="measures",
            value="; ".join(terms_of(measures))[:60],
            expected="a LAIT code (e.g. LAC), words from a measure's label or unit (e.g. caseload), or a topic",
        )
    # "latest" is the newest year the authority has a row of any measure found (else of any measure)
    mine = data[(data["geographic_level"] == "la") & (data["la_number"] == auth.la_number) & (data["period"] > 0)]
    chosen = mine[mine["measure"].isin(found.codes)]
    held = sorted(int(p) for p in (chosen if len(chosen) else mine)["period"].unique())
    year = areas_mod.briefing_year(auth, period, held, "LAIT figures")
    used_model, nbrs = benchmarks.neighbours_for(store.load("statistical_neighbours"), auth.la_number, str(model))
    first = year - years + 1
    views = [measure_view(data, catalogue, code, auth, nbrs, year, first) for code in found.codes]
    return Exploration(
        la=auth,
        period=year,
        first=first,
        model=used_model,
        requested_model=str(model),
        neighbour_numbers=nbrs,
        query=terms_of(measures),
        found=found,
        views=views,
        comparators=comparator_lines(comparators),
        from_zero=bool(axis_from_zero),
        data=data,
        catalogue=catalogue,
    )


# --------------------------------------------------------------------------- what the page shows


def _fig(v: MeasureView, value: float, status: str = "", decimals: int | None = None) -> str:
    return numbers.fmt(value, v.decimals if decimals is None else decimals, status=status)


def overview_table(x: Exploration) -> pd.DataFrame:
    """One row per measure: its latest year, value, neighbours' mean, region, England, rank among
    the 11, quartile band and which way is better (the footnote says how many neighbours had a
    figure where not all did)."""
    rows = []
    short = []
    for v in x.views:
        nb = v.neighbours
        if nb.n_with_value < nb.n_neighbours:
            short.append(f"{v.measure}: {nb.n_with_value} of {nb.n_neighbours} neighbours with a figure")
        rows.append(
            {
                "Measure": f"{v.label} ({v.measure})",
                "Year": v.year_label,
                x.la.name: _fig(v, v.value, v.status),
                "Neighbours' mean": _fig(v, nb.mean, decimals=max(1, v.decimals)) if nb.n_with_value else "x",
                x.la.region_name: _fig(v, v.region),
                "England": _fig(v, v.england),
                "Rank of 11": f"{v.rank} of {v.n_ranked}" if v.rank else (v.status or "x"),
                "Band": v.band or ("none" if not v.quartile else "x"),
                "Better": BETTER[v.polarity],
            }
        )
    table = pd.DataFrame(rows)
    notes = [
        "Rank among the authority and its statistical neighbours with a figure, 1 = lowest. Band: national quartile "
        "band that year, A lowest quarter, D highest (LAIT; none where LAIT gives no band). Better: whether a "
        "higher or lower figure is better (LAIT's polarity)."
    ] + short
    if (table == "-").any().any():
        notes.append(DASH_NOTE)
    table.attrs["footnotes"] = notes
    return table


def overview(x: Exploration) -> Html:
    """The overview table, with a line on the search (how many matched, terms that found nothing)."""
    said = f"{len(x.views)} measure{'s' if len(x.views) != 1 else ''} for " + "; ".join(repr(t) for t in x.query)
    if x.found.total > len(x.views):
        said += f" (the first {len(x.views)} of {x.found.total} that match: name more words or codes to narrow it)"
    if x.found.unmatched:
        said += ". Nothing matches " + ", ".join(repr(t) for t in x.found.unmatched)
    caption = f"{x.la.name}: the latest year of each measure, to {x.period}"
    return Html(f'<p class="footnote">{esc(said)}.</p>' + table_html(overview_table(x), caption))


def summary_words(x: Exploration, v: MeasureView) -> str:
    """The measure in one sentence: value, neighbours, region, England, rank, band, polarity."""
    name = x.la.name
    if v.status:
        head = f"{name}: {numbers.fmt_words(np.nan, status=v.status)} in {v.year_label}"
    else:
        head = f"{name}: {_fig(v, v.value)} in {v.year_label}"
    nb = v.neighbours
    parts = []
    if nb.n_with_value:
        parts.append(
            f"statistical neighbours' mean {_fig(v, nb.mean, decimals=max(1, v.decimals))} "
            f"({nb.n_with_value} of {nb.n_neighbours} with a figure)"
        )
    if not numbers.is_missing(v.region):
        parts.append(f"{x.la.region_name} {_fig(v, v.region)}")
    if not numbers.is_missing(v.england):
        parts.append(f"England {_fig(v, v.england)}")
    text = head + (" against " + ", ".join(parts) if parts else "")
    if v.rank:
        text += f"; rank {v.rank} of {v.n_ranked} (1 = lowest)"
    if v.band:
        text += f", quartile band {v.band}"
    text += f". Unit: {v.unit}; {POLARITY_WORDS[v.polarity]}"
    if v.next_update and v.next_update != "nan":
        return text + f"; next update {periods.update_words(v.next_update)}."
    return text + "."


def trend(x: Exploration, v: MeasureView) -> Chart | Html:
    """The measure over the years shown: the authority against the chosen comparators (the axis
    from zero or fitted), with its table (LAIT's year labels, ``-`` where LAIT printed one)."""
    from csdemand.present import charts

    held = v.comparison.dropna(subset=["value"])
    if held.empty:
        return Html(f'<p class="footnote">{esc(v.label)}: no figures from {x.first} to {x.period}.</p>')
    chart = charts.trend_chart(
        v.comparison[v.comparison["period"] >= int(held["period"].min())],
        x.la.name,
        x.la.region_name,
        v.label,
        [],
        decimals=v.decimals,
        la_statuses=v.statuses,
        comparators=x.comparators,
        from_zero=x.from_zero,
        period_labels=v.period_labels,
    )
    if (chart.data == "-").any().any():
        chart.data.attrs["footnotes"] = [*chart.data.attrs.get("footnotes", []), DASH_NOTE]
    return chart


def bars(x: Exploration, v: MeasureView) -> Chart | Html:
    """The authority and its neighbours in the measure's latest year, lowest first, with
    England and the neighbours' mean as lines when comparators are on; bars always start at 0
    (a bar's length is its value), whatever the trend's axis."""
    from csdemand.present import charts

    if v.group["value"].dropna().empty:
        return Html(f'<p class="footnote">{esc(v.label)}: no authority in the group has a figure for {v.year}.</p>')
    chart = charts.neighbour_bars(
        v.group,
        x.la.la_number,
        v.england,
        v.neighbours.mean,
        v.label,
        v.year,
        v.decimals,
        lines=bool(x.comparators),
    )
    if (chart.data == "-").any().any():
        chart.data.attrs["footnotes"] = [DASH_NOTE]
    return chart


def section(x: Exploration, v: MeasureView) -> Html:
    """One measure: a heading, its sentence, the trend and the group of 11, each chart with its
    table ("View as table")."""
    parts = [
        f'<section class="explore-measure" data-measure="{esc(v.measure)}">',
        f"<h3>{esc(v.label)} <small>({esc(v.measure)}, {esc(v.topic)})</small></h3>",
        f"<p>{esc(summary_words(x, v))}</p>",
        trend(x, v)._repr_html_(),
        bars(x, v)._repr_html_(),
        "</section>",
    ]
    return Html("".join(parts))


def sections(x: Exploration) -> Html:
    """Every measure's :func:`section`, in the order found."""
    return Html("".join(section(x, v).markup for v in x.views))


# --------------------------------------------------------------------------- widgets (JupyterLab)


#: The programs a Jupyter server runs as (JupyterLab, Notebook, jupyter server).
_SERVERS = {"jupyter-lab", "jupyter-notebook", "jupyter-server", "jupyterlab", "jupyter_server", "notebook"}


def widget_frontend(environ: dict | None = None, parent_cmdline: list[str] | None = None) -> bool:
    """True when the notebook runs in a kernel a Jupyter server started for a notebook (the
    server sets ``JPY_SESSION_NAME`` and is the kernel's parent) and ipywidgets is installed
    (``make lab``); False under Papermill, ``render`` and nbval, which show no widgets. Checked
    without importing ipywidgets."""
    env = os.environ if environ is None else environ
    if not env.get("JPY_SESSION_NAME") or importlib.util.find_spec("ipywidgets") is None:
        return False
    if parent_cmdline is None:
        import psutil

        try:
            parent_cmdline = psutil.Process(os.getppid()).cmdline()
        except psutil.Error:
            return False
    return any(Path(arg).name in _SERVERS for arg in parent_cmdline[:3])


def controls(x: Exploration):
    """ipywidgets that redraw the explorer: authority, measure (a search box narrowing the list),
    neighbour model, comparators on or off, axis from zero or not. Returns the widget box; the
    charts and tables are drawn into its output area on every change."""
    import ipywidgets as w

    las = x.data[(x.data["geographic_level"] == "la")][["la_number", "area_name"]].dropna().drop_duplicates("la_number")
    la_options = sorted((f"{r.area_name} ({int(r.la_number)})", int(r.la_number)) for r in las.itertuples())
    cat = x.catalogue.sort_values(["topic", "label"])
    all_measures = [(f"{r.label} ({r.measure})", r.measure) for r in cat.itertuples()]
    first_measure = x.views[0].measure if x.views else all_measures[0][1]
    authority = w.Dropdown(options=la_options, value=x.la.la_number, description="Authority")
    search = w.Text(value="", placeholder="code, words or topic", description="Search")
    measure = w.Dropdown(options=all_measures, value=first_measure, description="Measure")
    model = w.ToggleButtons(options=["2025", "2021"], value=x.requested_model, description="Neighbours")
    comparators = w.Checkbox(value=bool(x.comparators), description="Comparators (neighbours, region, England)")
    zero = w.Checkbox(value=x.from_zero, description="Axis from zero")
    out = w.Output()
    state = {"last": x}

    def show(*objects) -> None:
        # The output area's state is set directly (not captured with ``with out:``), so it is the
        # same whether or not a front end echoes messages back: one assignment, no flicker.
        out.outputs = ()
        for obj in objects:
            out.append_display_data(obj)

    def redraw(*_):
        try:
            y = build(
                authority.value,
                str(x.period),
                model.value,
                [measure.value],
                x.period - x.first + 1,
                comparators.value,
                zero.value,
                data=x.data,
                catalogue=x.catalogue,
            )
        except InputError as exc:
            show(Html(f'<p class="footnote">{esc(exc)}</p>'))
            return
        state["last"] = y
        show(overview(y), sections(y))

    def narrow(change):
        if not change["new"].strip():
            measure.options = all_measures
            return
        codes_found = find_measures([change["new"]], x.catalogue, limit=len(x.catalogue)).codes
        options = [o for o in all_measures if o[1] in codes_found]
        if options:
            measure.options = options

    search.observe(narrow, names="value")
    for widget in (authority, measure, model, comparators, zero):
        widget.observe(redraw, names="value")
    redraw()
    box = w.VBox([w.HBox([authority, model]), w.HBox([search, measure]), w.HBox([comparators, zero]), out])
    box.explorer_state = state  # the exploration drawn last (for analysts and tests)
    return box


def view(x: Exploration, interactive: bool = True):
    """The explorer's content: the widgets of :func:`controls` where a Jupyter front end can
    show them and ``interactive`` is true, else every measure's charts and tables as HTML."""
    if interactive and widget_frontend():
        return controls(x)
    return sections(x)


# --------------------------------------------------------------------------- provenance


def figures(x: Exploration) -> list[Figure]:
    """Each measure's latest figure as data for the JSON record."""
    return [
        Figure(
            measure=v.measure,
            label=v.label,
            area_code=x.la.area_code,
            la_number=x.la.la_number,
            period=str(v.year),
            value=None if v.status else v.value,
            status=v.status,
            unit=v.unit,
            comparators={
                "neighbours_mean": v.neighbours.mean,
                "neighbours_median": v.neighbours.median,
                "region": v.region,
                "england": v.england,
            },
            flags={"rank": f"{v.rank} of {v.n_ranked}" if v.rank else "", "band": v.band},
        )
        for v in x.views
    ]


def provenance(x: Exploration, parameters: dict) -> Provenance:
    """Title, parameters, sources (LAIT and the neighbour model) and each measure's figure."""
    cat = codes.sources()
    lait = cat.loc["lait"]
    return Provenance(
        title=f"Explorer: {x.la.name}, {x.period}",
        subtitle=f"LAIT measures against statistical neighbours, region and England, {x.first} to {x.period}",
        parameters={
            **parameters,
            "resolved period": x.period,
            **({"statistical neighbour model used": x.model} if x.model != x.requested_model else {}),
        },
        sources=[
            {
                "id": "lait",
                "title": lait["title"],
                "publisher": lait["publisher"],
                "published": lait["published"],
                "licence": lait["licence"],
                "url": lait["url"],
            },
            codes.neighbour_source(x.model),
        ],
        notes=[
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education, Local Authority Interactive Tool (LAIT)."
        ],
        figures=figures(x),
    )
