"""Charts for briefings: one house theme (seaborn's, with the Okabe-Ito palette, applied to every
chart by :func:`themed`), and for each chart the alt text and the table behind it. Each function
returns a :class:`present.Chart` (or, for the summary's sparklines, a :class:`Sparkline`).

Seaborn draws the statistical charts where it fits: bars of an authority and its neighbours,
grouped bars, the mix of categories by year, the seasonal pattern. Lines over time with gaps,
control limits in phases and intervals (trend, SPC, ITS, forecast) and the funnel's limits stay
matplotlib calls under the same theme: seaborn's line plot would bridge a withheld year and
aggregate repeated x values, which those charts must not do.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import matplotlib

matplotlib.use("Agg")  # rendering to PNG only; no display needed under a scheduler

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.figure import Figure

from csdemand.core import numbers
from csdemand.methods import funnel
from csdemand.present.html import Chart, esc, figure_png, fmt_number

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = {
    "la": "#D55E00",  # vermillion: the authority
    "neighbours": "#0072B2",  # blue
    "region": "#009E73",  # green
    "england": "#000000",
    "other": "#BBBBBB",
    "limit95": "#56B4E9",
    "limit998": "#0072B2",
}

#: The Okabe-Ito palette in the order a chart's series take it (the house colour cycle).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

#: The house font: DejaVu Sans ships with matplotlib, so a chart looks the same on every machine
#: (seaborn's default list starts with Arial, which some servers have and others do not).
HOUSE_FONT = "DejaVu Sans"

#: What the house theme changes from seaborn's "ticks" style and "paper" context: 9 pt labels
#: (about 8 pt when an 8-inch chart prints at A4 width), a light horizontal grid behind the data,
#: no top or right spine, legends without a frame.
HOUSE_RC: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": [HOUSE_FONT, "sans-serif"],
    "axes.labelsize": 9,
    "axes.titlesize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "text.color": "#1a1a1a",
    "axes.labelcolor": "#1a1a1a",
}


@functools.cache
def _house_theme() -> tuple[tuple[str, object], ...]:
    rc: dict[str, object] = {}
    rc.update(sns.axes_style("ticks"))
    rc.update(sns.plotting_context("paper"))
    rc.update(HOUSE_RC)
    rc["axes.prop_cycle"] = cycler(color=sns.color_palette(OKABE_ITO).as_hex())
    return tuple(rc.items())


def house_theme() -> dict[str, object]:
    """The house theme as matplotlib settings (built once): seaborn's ``ticks`` style and
    ``paper`` context with :data:`HOUSE_RC` and the Okabe-Ito colour cycle.
    ``sns.set_theme(rc=house_theme())`` applies it to a whole session (an analyst's own charts)."""
    return dict(_house_theme())


P = ParamSpec("P")
R = TypeVar("R")


def themed(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw (and save) a chart under the house theme, leaving the caller's matplotlib settings as
    they were. Every chart function of this module is wrapped in it (a test checks)."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with plt.rc_context(house_theme()):
            return draw(*args, **kwargs)

    wrapper.house_theme = True  # type: ignore[attr-defined]
    return wrapper


COMPARATOR_LABELS = {
    "la": None,  # replaced by the LA's name
    "neighbours_mean": "Statistical neighbours (mean)",
    "neighbours_median": "Statistical neighbours (median)",
    "region": None,
    "england": "England",
}


def _style(ax) -> None:
    """The house look on one axis (what :func:`house_theme` sets for a whole chart)."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def _bars_across(ax) -> None:
    """Horizontal bars read against vertical grid lines, not horizontal ones."""
    ax.yaxis.grid(False)
    ax.xaxis.grid(True)


# --------------------------------------------------------------------------- sparklines (the summary)


@dataclass
class Sparkline:
    """A small chart for a table cell: PNG bytes (drawn at twice the size shown, so it prints
    sharply), alt text that gives every figure drawn, and its size in CSS pixels."""

    png: bytes
    alt: str
    width: int
    height: int

    def _repr_html_(self) -> str:
        import base64

        b64 = base64.b64encode(self.png).decode("ascii")
        return (
            f'<img class="sparkline" src="data:image/png;base64,{b64}" alt="{esc(self.alt)}" '
            f'width="{self.width}" height="{self.height}">'
        )


#: Sparkline sizes in CSS pixels (96 an inch), drawn at twice that (192 dpi) to print sharply.
SPARK_PX = (80, 24)
STRIP_PX = (72, 24)
SPARK_DPI = 192


def _small_png(fig: Figure) -> bytes:
    """PNG bytes of a figure at exactly its size (no tight box: every sparkline lines up)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SPARK_DPI, metadata={"Software": None}, transparent=True)
    return buf.getvalue()


def _bare(ax) -> None:
    """No spines, ticks, labels or grid: a sparkline is read by its shape and its alt text."""
    ax.set_axis_off()
    ax.margins(x=0.06, y=0.22)


def _sized(px: tuple[int, int]) -> tuple[Figure, object]:
    fig = Figure(figsize=(px[0] / 96, px[1] / 96))
    ax = fig.add_axes((0.02, 0.04, 0.96, 0.92))
    return fig, ax


@themed
def summary_sparkline(
    values: pd.Series,
    *,
    name: str,
    label: str,
    decimals: int = 0,
    unit: str = "",
    statuses: pd.Series | None = None,
    england: pd.Series | None = None,
    first: int | None = None,
    last: int | None = None,
) -> Sparkline | None:
    """A headline indicator over (up to) 10 years for a summary row: the authority's line in its
    colour with the latest year as a dot, England's as a thin dotted line behind it.

    ``values``: year -> value (NaN where withheld: the line breaks there); ``statuses``: year ->
    marker (``c``...); ``england``: year -> England's value. Years run from ``first`` to ``last``
    (default the years in ``values``). The alt text lists every year's figure as printed (a
    marker where withheld), then England's latest. None where no year has a value."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    v.index = v.index.astype(int)
    lo = int(first if first is not None else v.index.min()) if len(v) else 0
    hi = int(last if last is not None else v.index.max()) if len(v) else 0
    years = list(range(lo, hi + 1))
    v = v.reindex(years)
    if v.dropna().empty:
        return None
    st = statuses if statuses is not None else pd.Series(dtype=object)
    st = pd.Series({int(k): s for k, s in st.items()}, dtype=object)
    eng = pd.to_numeric(england, errors="coerce").astype(float) if england is not None else pd.Series(dtype=float)
    eng.index = eng.index.astype(int)
    eng = eng.reindex(years)
    fig, ax = _sized(SPARK_PX)
    if eng.notna().any():
        ax.plot(years, eng.to_numpy(), color=PALETTE["england"], linewidth=0.7, linestyle=":", alpha=0.7)
    ax.plot(years, v.to_numpy(), color=PALETTE["la"], linewidth=1.4, solid_capstyle="round")
    # a year standing alone between withheld ones has no line: a dot shows it
    alone = v.notna() & v.shift(1).isna() & v.shift(-1).isna()
    ax.plot(np.array(years)[alone.to_numpy()], v[alone].to_numpy(), "o", color=PALETTE["la"], markersize=1.6)
    shown = v.dropna()
    ax.plot([shown.index[-1]], [shown.iloc[-1]], "o", color=PALETTE["la"], markersize=2.6)
    _bare(ax)
    ax.set_xlim(lo - 0.4, hi + 0.4)
    held = [y for y in years if not numbers.is_missing(v[y]) or str(st.get(y, "") or "")]
    figures = ", ".join(
        f"{y} {numbers.fmt(v[y], decimals, status=('' if not numbers.is_missing(v[y]) else st.get(y, '')), unit=unit)}"
        for y in held
    )
    alt = f"{label} in {name}, {held[0]} to {held[-1]}: {figures}."
    if not numbers.is_missing(eng.get(hi, np.nan)):
        alt += f" England {numbers.fmt(eng[hi], decimals, unit=unit)} in {hi}."
    return Sparkline(_small_png(fig), alt, *SPARK_PX)


@themed
def summary_strip(
    values: pd.Series,
    la_number: int,
    *,
    name: str,
    label: str,
    decimals: int = 0,
    unit: str = "",
    neighbours_mean: float = np.nan,
) -> Sparkline | None:
    """Where the authority's value sits among its statistical neighbours' in one year: each
    neighbour with a value a small blue dot on a grey strip from the lowest to the highest of the
    group, their mean a blue tick, the authority a larger dot in its colour.

    ``values``: la_number -> value for the authority and its neighbours with a value. None where
    the authority has no value or no neighbour has one."""
    v = pd.to_numeric(values, errors="coerce").astype(float).dropna()
    if la_number not in v.index or len(v) < 2:
        return None
    me = float(v[la_number])
    others = v.drop(index=la_number)
    fig, ax = _sized(STRIP_PX)
    ax.plot([v.min(), v.max()], [0, 0], color="#bbbbbb", linewidth=1.0, solid_capstyle="round", zorder=1)
    ax.scatter(others.to_numpy(), np.zeros(len(others)), s=5, color=PALETTE["neighbours"], linewidths=0, zorder=2)
    if not numbers.is_missing(neighbours_mean):
        ax.plot([neighbours_mean] * 2, [-0.6, 0.6], color=PALETTE["neighbours"], linewidth=0.9, zorder=2)
    ax.scatter([me], [0], s=20, color=PALETTE["la"], edgecolors="white", linewidths=0.5, zorder=3)
    _bare(ax)
    ax.set_ylim(-1, 1)
    rank = int((v < me).sum()) + 1
    alt = (
        f"{label}: {name} {numbers.fmt(me, decimals, unit=unit)}, rank {rank} of {len(v)} among the authority "
        f"and its statistical neighbours with a figure (1 = lowest); the group runs from "
        f"{numbers.fmt(v.min(), decimals, unit=unit)} to {numbers.fmt(v.max(), decimals, unit=unit)}"
    )
    if not numbers.is_missing(neighbours_mean):
        alt += f", the neighbours' mean {numbers.fmt(neighbours_mean, max(1, decimals), unit=unit)}"
    return Sparkline(_small_png(fig), alt + ".", *STRIP_PX)


@themed
def summary_sparklines(
    history: pd.Series,
    group: pd.Series,
    la_number: int,
    *,
    name: str,
    label: str,
    decimals: int = 0,
    unit: str = "",
    statuses: pd.Series | None = None,
    england: pd.Series | None = None,
    neighbours_mean: float = np.nan,
    first: int | None = None,
    last: int | None = None,
) -> tuple[Sparkline | None, Sparkline | None]:
    """A summary row's two small charts: :func:`summary_sparkline` of ``history`` and
    :func:`summary_strip` of ``group`` (either None where there is nothing to draw)."""
    spark = summary_sparkline(
        history,
        name=name,
        label=label,
        decimals=decimals,
        unit=unit,
        statuses=statuses,
        england=england,
        first=first,
        last=last,
    )
    strip = summary_strip(
        group, la_number, name=name, label=label, decimals=decimals, unit=unit, neighbours_mean=neighbours_mean
    )
    return spark, strip


def _runs(years: list[int]) -> list[tuple[int, int]]:
    """[2013, 2014, 2015, 2018] -> [(2013, 2015), (2018, 2018)]: contiguous runs of years."""
    ys = sorted(set(int(y) for y in years))
    runs: list[tuple[int, int]] = []
    for y in ys:
        if runs and y == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], y)
        else:
            runs.append((y, y))
    return runs


@themed
def trend_chart(
    comparison: pd.DataFrame,
    la_name: str,
    region_name: str,
    measure_label: str,
    computed_periods: list[int],
    decimals: int = 0,
    rebased_periods: list[int] | None = None,
    la_statuses: pd.Series | None = None,
    comparators: tuple[str, ...] = ("neighbours_mean", "region", "england"),
    from_zero: bool = True,
    period_labels: dict[int, str] | None = None,
) -> Chart:
    """Lines over time for the LA, its neighbours' mean, its region and England.

    ``comparison`` is :func:`benchmarks.comparison_series` (it ends at the briefing's year).
    Points in ``computed_periods`` (figures this project computed or re-based, not as DfE printed
    them) are drawn hollow, and runs of years computed here are shaded. A year whose figure is
    withheld breaks the line; ``la_statuses`` (period -> marker) puts its marker in the table.
    ``comparators`` draws those lines (any of ``neighbours_mean``, ``region``, ``england``; none
    for the authority alone; the table keeps every column), ``from_zero`` starts the axis at 0
    (else it fits the lines drawn), and ``period_labels`` (period -> label, e.g. LAIT's
    ``2024-25 (OT)``) names the years in the table.
    """

    rebased = sorted(int(p) for p in (rebased_periods or []))
    computed_only = [int(p) for p in computed_periods if int(p) not in rebased]
    labels = {
        "la": la_name,
        "neighbours_mean": "Statistical neighbours (mean)",
        "region": region_name,
        "england": "England",
    }
    colours = {
        "la": PALETTE["la"],
        "neighbours_mean": PALETTE["neighbours"],
        "region": PALETTE["region"],
        "england": PALETTE["england"],
    }
    styles = {"la": "-", "neighbours_mean": "--", "region": "-.", "england": ":"}
    fig, ax = plt.subplots(figsize=(8, 4.2))
    wide = comparison.pivot(index="period", columns="comparator", values="value")
    # From the first year any line has a figure; every year on the axis, so a year without data
    # breaks the line instead of bridging it.
    held = wide.dropna(how="all").index
    start = int(held.min()) if len(held) else int(wide.index.min())
    wide = wide.reindex(range(start, int(wide.index.max()) + 1))
    drawn = [k for k in ("england", "region", "neighbours_mean") if k in comparators] + ["la"]
    for key in drawn:
        s = wide[key] if key in wide else pd.Series(dtype=float)
        if s.dropna().empty:
            continue
        ax.plot(
            s.index,
            s.values,
            styles[key],
            color=colours[key],
            linewidth=2.6 if key == "la" else 1.6,
            label=labels[key],
            marker="o",
            markersize=4 if key == "la" else 0,
        )
        if key == "la":
            hollow = s[s.index.isin(list(computed_periods) + rebased)].dropna()
            if not hollow.empty:
                ax.plot(
                    hollow.index,
                    hollow.values,
                    "o",
                    markerfacecolor="white",
                    markeredgecolor=colours[key],
                    markersize=6,
                    linestyle="none",
                    label="Computed or re-based here (hollow)",
                )
    for a, b in _runs(computed_only):
        ax.axvspan(a - 0.5, b + 0.5, color="#f2f2f2", zorder=0)
    top = ax.get_ylim()[1]
    for a, _ in _runs(computed_only):
        ax.text(a - 0.3, top, "computed here", fontsize=7.5, va="top", color="#555555")
    for a, _ in _runs(rebased):
        ax.text(a - 0.3, top, "re-based", fontsize=7.5, va="top", color="#555555")
    ax.set_ylabel(textwrap.fill(measure_label, 48), fontsize=9)  # a long LAIT label on two lines, not off the chart
    if from_zero:
        ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(loc="lower left" if from_zero else "best", ncols=2)
    fig.tight_layout()

    first_year, last_year = int(wide.index.min()), int(wide.index.max())
    la_s = wide["la"].dropna() if "la" in wide else pd.Series(dtype=float)
    st = la_statuses if la_statuses is not None else pd.Series(dtype=object)

    def mark(p: int) -> str:
        return " (computed here)" if p in computed_only else (" (re-based)" if p in rebased else "")

    if la_s.empty:
        la_words = f"{la_name} has no published figure in these years."
    else:
        first, last = int(la_s.index.min()), int(la_s.index.max())
        la_words = (
            f"{la_name} went from {numbers.fmt(la_s[first], decimals)} in {first}{mark(first)} to "
            f"{numbers.fmt(la_s[last], decimals)} in {last}{mark(last)}."
        )
        if last < last_year:
            la_words += f" Its {last_year} figure is {fmt_number(np.nan, status=str(st.get(last_year, '') or 'x'))}."
    end = wide.loc[last_year]
    said = {
        "neighbours_mean": f"its statistical neighbours' mean was {fmt_number(end.get('neighbours_mean', np.nan), 1)}",
        "region": f"{region_name} {fmt_number(end.get('region', np.nan), decimals)}",
        "england": f"England {fmt_number(end.get('england', np.nan), decimals)}",
    }
    parts = [said[k] for k in ("neighbours_mean", "region", "england") if k in comparators]
    ends = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""
    alt = f"Line chart of {measure_label.lower()} from {first_year} to {last_year}. {la_words}" + (
        f" In {last_year} {ends}." if ends else " No comparator is drawn (the table gives them)."
    )
    table = wide.dropna(how="all").reindex(columns=["la", "neighbours_mean", "neighbours_median", "region", "england"])
    names = period_labels or {}
    cells = pd.DataFrame(
        {
            "Year": [
                f"{names.get(p, p)}{' r' if p in rebased else (' *' if p in computed_only else '')}"
                for p in table.index
            ]
        }
    )
    cells[la_name] = [
        numbers.fmt(v, decimals, status=("" if not numbers.is_missing(v) else str(st.get(p, "") or "x")))
        for p, v in table["la"].items()
    ]
    cells["Neighbours (mean)"] = [numbers.fmt(v, max(1, decimals)) for v in table["neighbours_mean"]]
    cells["Neighbours (median)"] = [numbers.fmt(v, max(1, decimals)) for v in table["neighbours_median"]]
    cells[region_name] = [numbers.fmt(v, decimals) for v in table["region"]]
    cells["England"] = [numbers.fmt(v, decimals) for v in table["england"]]
    notes = []
    if rebased:
        notes.append("r: re-based on the newest population estimates (DfE printed it on the estimates of the time).")
    if computed_only:
        notes.append("*: computed here (DfE printed no rate).")
    cells.attrs["footnotes"] = notes
    return Chart(
        figure_png(fig), alt, f"{measure_label}, {first_year} to {last_year}: {la_name} against comparators", cells
    )


@themed
def neighbour_bars(
    values: pd.DataFrame,
    la_number: int,
    england: float,
    neighbour_mean: float,
    measure_label: str,
    period: int,
    decimals: int = 0,
    lines: bool = True,
) -> Chart:
    """Horizontal bars for the LA and its neighbours in one year, lowest at the top, with England
    and the neighbour mean as reference lines (seaborn's bar plot, the authority in its colour).
    ``values``: la_number, area_name, value and, optionally, status: a withheld figure gets no
    bar, its marker printed where the bar would start. A reference line given as NaN is left out;
    ``lines=False`` leaves both out (the alt text still gives England's figure)."""
    v = values.copy()
    if "status" not in v:
        v["status"] = ""
    v["status"] = [
        ("" if not numbers.is_missing(x) else (str(s) if s and not numbers.is_missing(s) else "x"))
        for x, s in zip(v["value"], v["status"])
    ]
    v = v.sort_values("value", ascending=True, na_position="last").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.34 * len(v) + 1.2))
    v["who"] = np.where(v["la_number"] == la_number, "la", "neighbour")
    v["name"] = v["area_name"].astype(str)
    sns.barplot(
        data=v,
        x="value",
        y="name",
        hue="who",
        order=list(v["name"]),  # lowest at the top
        hue_order=["la", "neighbour"],
        palette={"la": PALETTE["la"], "neighbour": PALETTE["neighbours"]},
        orient="h",
        dodge=False,
        errorbar=None,
        saturation=1,  # the house colours as they are (seaborn greys bars by 25% by default)
        width=0.7,
        legend=False,
        ax=ax,
    )
    ax.set_ylabel("")
    _bars_across(ax)
    for yi, (val, st) in enumerate(zip(v["value"], v["status"])):
        ax.annotate(
            numbers.fmt(val, decimals, status=st),
            (0 if st else val, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    if lines and not numbers.is_missing(england):
        ax.axvline(
            england,
            color=PALETTE["england"],
            linestyle=":",
            linewidth=1.5,
            label=f"England {numbers.fmt(england, decimals)}",
        )
    if lines and not numbers.is_missing(neighbour_mean):
        ax.axvline(
            neighbour_mean,
            color=PALETTE["neighbours"],
            linestyle="--",
            linewidth=1.2,
            label=f"Neighbours' mean {numbers.fmt(neighbour_mean, 1)}",
        )
    ax.set_xlabel(f"{measure_label}, {period}")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(v)), ncols=2)
    fig.tight_layout()
    la_row = v[v["la_number"] == la_number].iloc[0]
    shown = v[v["status"] == ""]
    if la_row["status"]:
        where = f"{la_row['area_name']} is {fmt_number(np.nan, status=la_row['status'])}, so it is not ranked"
    else:
        rank = int((shown["value"] < la_row["value"]).sum()) + 1
        where = (
            f"{la_row['area_name']} is {numbers.fmt(la_row['value'], decimals)}, rank {rank} of {len(shown)} (1 "
            "= lowest)"
        )
    span = (
        f"range {numbers.fmt(shown['value'].min(), decimals)} ({shown.iloc[0]['area_name']}) to "
        f"{numbers.fmt(shown['value'].max(), decimals)} ({shown.iloc[-1]['area_name']})"
        if len(shown)
        else "no authority in the group has a published figure"
    )
    alt = (
        f"Bar chart of {measure_label.lower()} in {period} for {la_row['area_name']} and its {len(v) - 1} "
        "statistical neighbours, "
        f"lowest first. {where}; {span}; England {fmt_number(england, decimals)}."
    )
    ranks = v["value"].rank(method="min")
    table = pd.DataFrame(
        {
            "Rank (1 = lowest)": [numbers.fmt(r, 0, status=s) for r, s in zip(ranks, v["status"])],
            "Local authority": v["area_name"],
            measure_label: [numbers.fmt(x, decimals, status=s) for x, s in zip(v["value"], v["status"])],
        }
    )
    return Chart(
        figure_png(fig),
        alt,
        f"{measure_label} in {period}: {la_row['area_name']} and its statistical neighbours",
        table,
    )


@themed
def funnel_chart(
    points: pd.DataFrame,
    la_number: int,
    neighbour_numbers: list[int],
    target_rate: float,
    tau2: float,
    measure_label: str,
    period: int,
) -> Chart:
    """Funnel plot: every LA's rate against its child population, England's rate as the target,
    95% and 99.8% limits allowing for the spread between authorities (solid; drawn on the log
    scale of :mod:`csdemand.methods.funnel`, so asymmetric: wider above England than below) and
    for chance alone (dotted). ``tau2`` is :func:`funnel.estimate_overdispersion`'s."""
    fig, ax = plt.subplots(figsize=(8, 5.0))
    n = np.geomspace(points["denominator"].min() * 0.8, points["denominator"].max() * 1.1, 200)
    adj = funnel.limits(target_rate, n, tau2)
    poi = funnel.limits(target_rate, n, 0.0)
    for tag, colour, label in (("95", PALETTE["limit95"], "95% limits"), ("99_8", PALETTE["limit998"], "99.8% limits")):
        ax.plot(
            n,
            adj[f"upper_{tag}"],
            color=colour,
            linewidth=1.4,
            label=f"{label}, allowing for the spread between authorities",
        )
        ax.plot(n, adj[f"lower_{tag}"], color=colour, linewidth=1.4)
        ax.plot(
            n,
            poi[f"upper_{tag}"],
            color=colour,
            linewidth=0.8,
            linestyle=":",
            label=f"{label}, chance alone" if tag == "95" else None,
        )
        ax.plot(n, poi[f"lower_{tag}"], color=colour, linewidth=0.8, linestyle=":")
    ax.axhline(target_rate, color=PALETTE["england"], linewidth=1, label=f"England {numbers.fmt(target_rate, 0)}")
    others = points[~points["la_number"].isin(neighbour_numbers + [la_number])]
    nb = points[points["la_number"].isin(neighbour_numbers)]
    me = points[points["la_number"] == la_number]
    ax.scatter(
        others["denominator"], others["rate"], s=14, color=PALETTE["other"], label="Other local authorities", zorder=2
    )
    ax.scatter(
        nb["denominator"], nb["rate"], s=26, color=PALETTE["neighbours"], label="Statistical neighbours", zorder=3
    )
    ax.scatter(
        me["denominator"],
        me["rate"],
        s=60,
        color=PALETTE["la"],
        edgecolor="black",
        label=me["area_name"].iloc[0] if len(me) else "",
        zorder=4,
    )
    for _, r in me.iterrows():
        ax.annotate(
            r["area_name"],
            (r["denominator"], r["rate"]),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: numbers.fmt(x, 0)))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("Children aged 0-17 (ONS mid-year estimate, log scale)", fontsize=9)
    ax.set_ylabel(measure_label, fontsize=9)
    # The upper 99.8% limit of the smallest authorities runs far above every point: keep the points in view.
    top = np.nanmax(
        [points["rate"].max() * 1.15, float(np.nanmin([adj["upper_99_8"].max(), points["rate"].max() * 1.6]))]
    )
    ax.set_ylim(0, top)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    fig.tight_layout()
    pos = me["position"].iloc[0] if len(me) else "not assessed"
    above = int(points["position"].str.startswith("above").sum())
    below = int(points["position"].str.startswith("below").sum())
    outside = int(points["position"].str.contains("99.8").sum())
    alt = (
        f"Funnel plot of {measure_label.lower()} in {period} for {len(points)} local authorities against their child "
        "population. "
        f"England's rate is {numbers.fmt(target_rate, 0)}. "
        + (f"{me['area_name'].iloc[0]} ({numbers.fmt(me['rate'].iloc[0], 0)}) is {pos}. " if len(me) else "")
        + f"Allowing for the spread between authorities, {above} lie above the 95% limits and {below} below; "
        + (f"{outside} outside the 99.8% limits." if outside else "none outside the 99.8% limits.")
    )
    table = points.assign(
        group=np.where(
            points["la_number"] == la_number,
            "This authority",
            np.where(points["la_number"].isin(neighbour_numbers), "Neighbour", ""),
        ),
    ).sort_values("rate", ascending=False)[["area_name", "group", "denominator", "count", "rate", "position"]]
    table.columns = ["Local authority", "", "Children 0-17", "Looked after", "Rate per 10,000", "Position"]
    for c in ("Children 0-17", "Looked after", "Rate per 10,000"):
        table[c] = table[c].map(lambda x: numbers.fmt(x, 0))
    return Chart(figure_png(fig), alt, f"{measure_label} in {period}: funnel plot of all local authorities", table)


#: Making Data Count's colour for each kind of point: grey common cause, blue improvement, orange
#: concern, purple special cause that is neither (the MDC SPC tool's scheme; the blue is the
#: Okabe-Ito blue, darker than MDC's sky blue, so small points stand out on white).
MDC_COLOURS: dict[str, str] = {
    "common_cause": "#7B7D7D",
    "improvement": "#0072B2",
    "concern": "#E46C0A",
    "neither": "#490092",
}
#: Legend text size for the early help and SPC charts: about 8 pt when the 8-inch figure prints
#: at A4 width, no smaller than the tick labels.
LEGEND_FONTSIZE = 9


def _withheld(t: pd.DataFrame, withheld) -> np.ndarray:
    """Rows whose value is withheld for disclosure: ``withheld`` (bools, by position) or a
    ``status`` column reading ``c``."""
    mask = np.zeros(len(t), dtype=bool)
    if withheld is not None:
        mask |= np.asarray(withheld, dtype=bool)
    if "status" in t.columns:
        mask |= (t["status"].astype(str).str.strip() == "c").to_numpy()
    return mask


@themed
def spc_chart(
    table: pd.DataFrame,
    label: str,
    title: str,
    percent: bool = False,
    interval: pd.DataFrame | None = None,
    polarity: str | None = None,
    withheld=None,
) -> Chart:
    """A Making Data Count control chart: the series, the mean and process limits of each phase
    (broken where the limits were recalculated), and each point coloured by what it means for
    the measure (:data:`MDC_COLOURS`): common cause, special cause improvement or concern, or
    special cause that is neither (for a measure where neither direction is better).

    ``table`` is ``SpcResult.table``; its ``variation`` column is used, else the variation is
    judged from ``side`` and ``polarity`` (default ``neither``). For a share, ``percent`` scales to
    %, and ``interval`` (columns lower, upper; same order) draws the 95% Wilson interval of each
    month as a thin bar. A value withheld for disclosure (``withheld``: bools by position, or a
    ``status`` column of ``c``) is neither plotted nor printed: its table cell reads ``c``.
    """
    from csdemand.methods import spc

    scale = 100 if percent else 1
    t = table.reset_index(drop=True)
    hidden = _withheld(t, withheld)
    values = t["value"].astype(float).where(~hidden)
    kinds = (
        t["variation"]
        if "variation" in t.columns
        else t["side"].map(lambda s_: spc.variation(s_, polarity or "neither"))
    )
    phases = t["phase"] if "phase" in t.columns else pd.Series(1, index=t.index)
    x = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(8, 4.4))
    if interval is not None:
        keep = ~hidden
        ax.vlines(
            x[keep],
            interval["lower"].to_numpy()[keep] * scale,
            interval["upper"].to_numpy()[keep] * scale,
            color="#cccccc",
            linewidth=1.2,
            label="95% interval (Wilson)",
        )
    ax.plot(x, values * scale, color="#9a9a9a", linewidth=1.1, label=label)
    first_phase = True
    for _k, seg in t.groupby(phases, sort=True):
        idx = seg.index.to_numpy()
        ax.plot(idx, seg["centre"] * scale, color="#000000", linewidth=1.1, label="Mean" if first_phase else None)
        ax.plot(
            idx,
            seg["upper"] * scale,
            color="#555555",
            linewidth=1,
            linestyle="--",
            label="Process limits" if first_phase else None,
        )
        ax.plot(idx, seg["lower"] * scale, color="#555555", linewidth=1, linestyle="--")
        if not first_phase:
            ax.axvline(idx[0] - 0.5, color="#000000", linewidth=0.8, linestyle=":")
            ax.text(
                idx[0] - 0.3,
                1.0,
                "limits recalculated",
                transform=ax.get_xaxis_transform(),
                fontsize=8,
                va="top",
                color="#333333",
            )
        first_phase = False
    for kind in ("common_cause", "improvement", "concern", "neither"):
        pts = ((kinds == kind).to_numpy()) & values.notna().to_numpy()
        if pts.any():
            words = spc.VARIATION_WORDS[kind]
            ax.scatter(
                x[pts],
                values[pts] * scale,
                color=MDC_COLOURS[kind],
                s=18 if kind == "common_cause" else 30,
                zorder=3,
                label=words[:1].upper() + words[1:],
            )
    step = max(1, len(t) // 8)
    ticks = x[::step]
    ax.set_xticks(ticks, [_month_label(v).replace(" ", "\n") for v in t["x"].iloc[::step]], rotation=0, fontsize=9)
    ax.set_ylabel(label + (" (%)" if percent else ""), fontsize=9)
    _style(ax)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=2)
    fig.tight_layout()

    fmt = (lambda v: numbers.fmt(v * 100, 1, unit="%")) if percent else (lambda v: numbers.fmt(v))
    shown = ~hidden
    special = shown & (kinds != "common_cause").to_numpy()
    counts = pd.Series(kinds[special]).value_counts()
    kinds_text = "; ".join(
        f"{spc.VARIATION_WORDS[k]}: {int(counts[k])}" for k in ("improvement", "concern", "neither") if k in counts
    )
    restarts = [t.at[i, "x"] for i in t.index[phases.diff().fillna(0).to_numpy() > 0]]
    last = t.iloc[-1]
    latest = (
        "c (withheld: 1 to 5)"
        if hidden[-1]
        else f"{fmt(last['value'])}, {spc.VARIATION_WORDS.get(str(kinds.iloc[-1]), '')}"
    )
    alt = (
        f"Control chart of {label.lower()} by month from {_month_label(t['x'].iloc[0])} to {_month_label(last['x'])}. "
        + (f"Limits recalculated from {', '.join(_month_label(r) for r in restarts)}. " if restarts else "")
        + (
            f"Latest month {latest}; mean {fmt(last['centre'])}, process limits {fmt(last['lower'])} to "
            f"{fmt(last['upper'])}. "
        )
        + f"{int(special.sum())} of {int(shown.sum())} months show special-cause variation"
        + (f" ({kinds_text})." if kinds_text else ".")
    )
    data = pd.DataFrame(
        {
            "Month": t["x"].map(_month_label),
            label: [("c" if h else fmt(v)) for h, v in zip(hidden, t["value"])],
            "Mean": t["centre"].map(fmt),
            "Lower limit": t["lower"].map(fmt),
            "Upper limit": t["upper"].map(fmt),
            "Variation": ["c" if h else spc.VARIATION_WORDS.get(str(k), str(k)) for h, k in zip(hidden, kinds)],
            "Rules": ["" if h else _rule_words(r) for h, r in zip(hidden, t["rules"])],
        }
    )
    return Chart(figure_png(fig), alt, title, data)


_RULE_WORDS = {
    "outside_limits": "outside the limits",
    "shift": "run of 7 on one side",
    "trend": "7 rising or falling",
    "two_of_three": "2 of 3 close to a limit",
}


def _rule_words(rules: str) -> str:
    """'outside_limits,shift' -> 'outside the limits; run of 7 on one side' ('-' for none)."""
    words = [_RULE_WORDS.get(r.strip(), r.strip()) for r in str(rules).split(",") if r.strip()]
    return "; ".join(words) if words else "-"


def _month_label(v) -> str:
    """'2024-03' -> 'Mar 2024'; anything else as text."""
    try:
        return pd.Period(str(v), freq="M").strftime("%b %Y")
    except (ValueError, TypeError):
        return str(v)


@themed
def grouped_bars(
    table: pd.DataFrame,
    category: str,
    series: list[str],
    label: str,
    title: str,
    decimals: int = 1,
    status: pd.DataFrame | None = None,
) -> Chart:
    """Grouped horizontal bars: one group per ``category`` value, one bar per column in ``series``
    (the first is the authority, drawn in its colour).

    ``status`` (optional, same rows, a column per series) holds DfE markers: a withheld (``c``) or
    missing value draws no bar and reads as its marker (``x`` where missing without one) in the
    bar label, the alt text and the table, never ``nan``. Numbers print half up. Drawn with
    seaborn's bar plot from the long form of ``table``."""
    from csdemand.core.numbers import fmt

    def shown(col: str) -> list[str]:
        st = status[col] if status is not None and col in status else pd.Series("", index=table.index)
        return [fmt(v, decimals, status=s) for v, s in zip(table[col], st.reindex(table.index).fillna(""))]

    text = {col: shown(col) for col in series}
    colours = [PALETTE["la"], PALETTE["neighbours"], PALETTE["england"], PALETTE["region"]]
    # One row per category and series (seaborn's long form); a withheld value draws no bar.
    long = []
    for col in series:
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float, copy=True)
        if status is not None and col in status:
            values[(status[col].reindex(table.index).fillna("") != "").to_numpy()] = np.nan
        long.append(pd.DataFrame({"group": table[category].astype(str).to_numpy(), "series": col, "value": values}))
    bars = pd.concat(long, ignore_index=True)
    groups = list(table[category].astype(str))
    fig, ax = plt.subplots(figsize=(8, 0.9 * len(table) + 1.2))
    sns.barplot(
        data=bars,
        x="value",
        y="group",
        hue="series",
        order=groups,
        hue_order=list(series),
        palette={col: colours[i % len(colours)] for i, col in enumerate(series)},
        orient="h",
        errorbar=None,
        saturation=1,  # the house colours as they are (seaborn greys bars by 25% by default)
        width=0.8,
        ax=ax,
    )
    h = 0.8 / len(series)
    for i, col in enumerate(series):
        # seaborn dodges the series within a group, first series at the top of it
        for k, (v, t) in enumerate(zip(bars.loc[bars["series"] == col, "value"], text[col])):
            ax.annotate(
                t,
                (0 if np.isnan(v) else v, k - 0.4 + (i + 0.5) * h),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
    ax.set_ylabel("")
    ax.set_xlabel(label)
    _bars_across(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=len(series), title=None)
    fig.tight_layout()
    parts = "; ".join(
        f"{r[category]}: " + ", ".join(f"{c} {text[c][k]}" for c in series) for k, (_, r) in enumerate(table.iterrows())
    )
    alt = f"Bar chart of {label.lower()}. {parts}."
    data = table[[category] + series].copy()
    for c in series:
        data[c] = text[c]
    return Chart(figure_png(fig), alt, title, data)


def _month_axis(ax, index: pd.PeriodIndex, every: int = 12) -> None:
    """Tick every ``every`` months starting in April (reporting years), labelled 'Apr 2020'."""
    pos = [i for i, m in enumerate(index) if m.month == 4][:: max(1, every // 12)]
    ax.set_xticks(pos, [index[i].strftime("%b\n%Y") for i in pos], fontsize=8)


@themed
def its_chart(series: pd.Series, its, change: pd.Period, what: str, shown: pd.Series | None = None):
    """Monthly counts with the segmented-regression fit and the counterfactual (the pre-change
    trend and seasons continued) after the change month. ``its``: trends.ItsResult or None.
    ``shown``: the counts as the page may show them (NaN where withheld for disclosure; default
    ``series``): a withheld month is neither plotted nor printed."""
    from csdemand.present.html import Html

    if its is None:
        return Html(
            '<p class="footnote">Too few months either side of the change date to estimate the change in level and '
            "trend.</p>"
        )
    series = series[series.index <= its.fitted.index.max()]
    visible = (series if shown is None else shown.reindex(series.index)).astype(float)
    fitted, counterfactual = its.fitted, its.counterfactual
    x = np.arange(len(series))
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(x, visible.to_numpy(), color="#777777", linewidth=1, marker="o", markersize=2.5, label=f"{what} (actual)")
    ax.plot(
        x,
        fitted.reindex(series.index).to_numpy(),
        color=PALETTE["la"],
        linewidth=2,
        label="Fitted: trend, seasons and the change",
    )
    cf = counterfactual.reindex(series.index)
    ax.plot(
        x,
        cf.to_numpy(),
        color=PALETTE["neighbours"],
        linewidth=1.6,
        linestyle="--",
        label="Had the earlier trend continued",
    )
    ci = list(series.index).index(change) if change in series.index else None
    if ci is not None:
        ax.axvline(ci - 0.5, color="#000000", linewidth=1, linestyle=":")
        ax.text(ci, ax.get_ylim()[1], f" {change.strftime('%b %Y')}", fontsize=9, va="top")
    _month_axis(ax, series.index)
    ax.set_ylabel(f"{what} a month", fontsize=9)
    ax.set_ylim(bottom=0)
    _style(ax)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    fig.tight_layout()
    last = series.index[-1]
    actual = "c (withheld)" if pd.isna(visible.iloc[-1]) else numbers.fmt(visible.iloc[-1])
    alt = (
        f"Line chart of {what.lower()} a month from {series.index[0].strftime('%B %Y')} to {last.strftime('%B %Y')}, "
        "with the fitted "
        f"trend, seasons and change, and the earlier trend continued after {change.strftime('%B %Y')}. In "
        f"{last.strftime('%B %Y')} the actual was "
        f"{actual}, the fit {numbers.fmt(fitted.reindex(series.index).iloc[-1])} and the earlier trend continued "
        f"{numbers.fmt(cf.iloc[-1])}."
    )
    data = pd.DataFrame(
        {
            "Month": [m.strftime("%b %Y") for m in series.index],
            "Actual": visible.map(lambda v: "c" if pd.isna(v) else numbers.fmt(v)).to_numpy(),
            "Fitted": fitted.reindex(series.index).map(numbers.fmt).to_numpy(),
            "Earlier trend continued": cf.map(lambda v: "" if pd.isna(v) else numbers.fmt(v)).to_numpy(),
        }
    )
    return Chart(
        figure_png(fig), alt, f"{what} a month: the change in level and trend at {change.strftime('%B %Y')}", data
    )


@themed
def forecast_chart(
    series: pd.Series, fc: pd.DataFrame, what: str, history: int = 48, shown: pd.Series | None = None
) -> Chart:
    """The last ``history`` months and the forecast with 80% and 95% intervals for each month.

    The alt text gives the 12-month total without an interval: summing monthly bounds would
    overstate the total's uncertainty (the months' errors are not all at their extremes at once).
    ``shown`` as for :func:`its_chart`."""
    hist = (series if shown is None else shown.reindex(series.index)).astype(float).iloc[-history:]
    idx = hist.index.append(fc.index)
    x = np.arange(len(idx))
    xf = x[len(hist) :]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.plot(
        x[: len(hist)],
        hist.to_numpy(),
        color="#555555",
        linewidth=1.4,
        marker="o",
        markersize=2.5,
        label=f"{what} (actual)",
    )
    ax.fill_between(
        xf, fc["lower_95"], fc["upper_95"], color=PALETTE["limit95"], alpha=0.25, label="95% interval, each month"
    )
    ax.fill_between(
        xf, fc["lower_80"], fc["upper_80"], color=PALETTE["limit95"], alpha=0.5, label="80% interval, each month"
    )
    ax.plot(xf, fc["mean"], color=PALETTE["neighbours"], linewidth=2, label="Forecast")
    _month_axis(ax, idx)
    ax.set_ylabel(f"{what} a month", fontsize=9)
    ax.set_ylim(bottom=0)
    _style(ax)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)
    fig.tight_layout()
    first, last = fc.iloc[0], fc.iloc[-1]
    alt = (
        f"Line chart of {what.lower()} a month for the last {len(hist)} months and a {len(fc)}-month forecast from "
        f"{fc.index[0].strftime('%B %Y')} to {fc.index[-1].strftime('%B %Y')}: "
        f"about {numbers.fmt(fc['mean'].sum())} in total, "
        f"{numbers.fmt(fc['mean'].mean())} a month on average. Each month's 95% interval widens from "
        f"{numbers.fmt(first['lower_95'])}-{numbers.fmt(first['upper_95'])} "
        f"in {fc.index[0].strftime('%B %Y')} to {numbers.fmt(last['lower_95'])}-{numbers.fmt(last['upper_95'])} in "
        f"{fc.index[-1].strftime('%B %Y')}."
    )
    data = pd.DataFrame(
        {
            "Month": [m.strftime("%b %Y") for m in fc.index],
            "Forecast": fc["mean"].map(numbers.fmt).to_numpy(),
            "95% lower": fc["lower_95"].map(numbers.fmt).to_numpy(),
            "95% upper": fc["upper_95"].map(numbers.fmt).to_numpy(),
        }
    )
    return Chart(
        figure_png(fig), alt, f"{what}: forecast for the next {len(fc)} months, with each month's intervals", data
    )


@themed
def seasonal_chart(by_month: pd.DataFrame, what: str) -> Chart:
    """Bars of the average seasonal effect by calendar month (% of the trend level), months below
    the trend in the authority's colour and above it in blue (seaborn's bar plot)."""
    b = by_month.reset_index()
    months = b.iloc[:, 0].tolist()
    pct = b["pct_of_trend"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    bars = pd.DataFrame({"month": [str(m) for m in months], "pct": pct, "side": np.where(pct < 0, "below", "above")})
    sns.barplot(
        data=bars,
        x="month",
        y="pct",
        hue="side",
        order=list(bars["month"]),
        hue_order=["below", "above"],
        palette={"below": PALETTE["la"], "above": PALETTE["neighbours"]},
        dodge=False,
        errorbar=None,
        saturation=1,  # the house colours as they are (seaborn greys bars by 25% by default)
        legend=False,
        ax=ax,
    )
    ax.axhline(0, color="#000000", linewidth=0.8)
    ax.set_xlabel("")
    ax.set_ylabel("% above or below trend")
    fig.tight_layout()
    order = np.argsort(pct)
    alt = (
        f"Bar chart of the seasonal pattern in {what.lower()}: "
        f"highest {months[order[-1]]} ({numbers.fmt(pct[order[-1]], sign=True)}% "
        "of trend), "
        f"lowest {months[order[0]]} ({numbers.fmt(pct[order[0]], sign=True)}%)."
    )
    data = pd.DataFrame({"Month": months, "% of trend": [numbers.fmt(v, 1, unit="%", sign=True) for v in pct]})
    return Chart(figure_png(fig), alt, f"{what}: how far each calendar month runs above or below the trend", data)


#: Colours for the categories of a mix (Okabe-Ito), and the hatched grey of a withheld share.
MIX_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WITHHELD_COLOUR = "#d9d9d9"


@themed
def mix_chart(shares: pd.DataFrame, what: str, by: str, table: pd.DataFrame | None = None) -> Chart:
    """Share of each category by year (stacked bars, %).

    ``shares``: one row per year (the label as the index, e.g. "2025" or "2026 (part)"), one column
    per category, in % of the year's total; NaN where a share is withheld for disclosure. The
    withheld shares of a year are drawn together as one hatched grey segment ("withheld (c)"),
    their sum being what the shown shares leave to 100%. ``table``: the "view as table" (default
    the shares, ``c`` where withheld). Stacked with seaborn's histogram of the shares as weights.
    """
    share = shares.astype(float)
    labels = [str(i) for i in share.index]
    cats = [str(c) for c in share.columns]
    withheld = share.isna().any(axis=1).to_numpy()
    rest = np.where(withheld, np.clip(100 - share.fillna(0.0).sum(axis=1).to_numpy(), 0, None), 0.0)
    # Long form, one row per year and category (a withheld share counts 0; what the shown ones
    # leave to 100% is its own hatched segment on top), stacked with seaborn's histogram.
    parts_long = [
        pd.DataFrame({"year": labels, "category": c, "pct": share.iloc[:, k].fillna(0.0).to_numpy()})
        for k, c in enumerate(cats)
    ]
    levels = cats + (["Withheld (c)"] if rest.any() else [])
    if rest.any():
        parts_long.append(pd.DataFrame({"year": labels, "category": "Withheld (c)", "pct": rest}))
    long = pd.concat(parts_long, ignore_index=True)
    long["year"] = pd.Categorical(long["year"], categories=labels, ordered=True)
    colours = {c: MIX_COLOURS[i % len(MIX_COLOURS)] for i, c in enumerate(cats)} | {"Withheld (c)": WITHHELD_COLOUR}
    fig, ax = plt.subplots(figsize=(8, 3.8))
    sns.histplot(
        data=long,
        x="year",
        hue="category",
        weights="pct",
        multiple="stack",
        discrete=True,
        shrink=0.7,
        hue_order=levels[::-1],  # seaborn stacks the last level at the bottom: the first category goes there
        palette=colours,
        edgecolor="white",
        linewidth=0.5,
        alpha=1,
        legend=False,
        ax=ax,
    )
    bars = dict(zip(levels, ax.containers))  # containers come bottom first
    if rest.any():
        for patch in bars["Withheld (c)"].patches:
            patch.set_hatch("///")
            patch.set_edgecolor("#999999")
            patch.set_linewidth(0)
    ax.set_ylabel(f"% of {what.lower()}")
    ax.set_xlabel("Year to 31 March")
    ax.legend(
        handles=[bars[c] for c in levels],
        labels=levels,
        fontsize=LEGEND_FONTSIZE,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        ncols=min(4, len(levels)),
    )
    fig.tight_layout()
    first, last = labels[0], labels[-1]
    parts = ", ".join(
        f"{c} {'c' if pd.isna(share.iloc[-1, k]) else numbers.fmt(share.iloc[-1, k], 0, unit='%')}"
        for k, c in enumerate(cats)
    )
    alt = f"Stacked bar chart of {what.lower()} by {by} each reporting year from {first} to {last}. In {last}: {parts}."
    if table is None:
        table = share.apply(
            lambda col: col.map(lambda v: "c" if pd.isna(v) else numbers.fmt(v, 1, unit="%"))
        ).reset_index(names="Year")
    return Chart(figure_png(fig), alt, f"{what} by {by}, share of each year's total", table)


# --------------------------------------------------------------------------------------------
# looked-after flows and projections (issues 12 and 13)
# --------------------------------------------------------------------------------------------

#: The colour of a projection or range (the 95% band lighter than the 80% band).
FAN_COLOUR = "#0072B2"


def _published_line(ax, hist: pd.Series, la_name: str) -> None:
    """The authority's published numbers by year, as the outlook charts draw them."""
    ax.plot(
        hist.index,
        hist.to_numpy(),
        "-",
        color=PALETTE["la"],
        linewidth=2.4,
        marker="o",
        markersize=3.5,
        label=f"{la_name}, published",
    )


def _range_words(lo: float, hi: float, decimals: int = 0) -> str:
    """'1,181 to 1,410', or 'no interval' where either bound is missing (too few past errors)."""
    if numbers.is_missing(lo) or numbers.is_missing(hi):
        return "no interval"
    return f"{numbers.fmt(lo, decimals)} to {numbers.fmt(hi, decimals)}"


@themed
def fan_chart(
    history: pd.Series,
    band: pd.DataFrame,
    la_name: str,
    *,
    forecast: bool,
    method_label: str = "",
    actual: pd.Series | None = None,
    rates: pd.DataFrame | None = None,
) -> Chart:
    """Children looked after at 31 March: the published history, then the projection (or, where no
    method beat the naive one, the range around the latest figure) with its 80% and 95% intervals
    as a fan; ``actual``: published figures after the origin (drawn as hollow points).

    ``band``: ``period``, ``forecast``, ``lo80``, ``hi80``, ``lo95``, ``hi95`` (NaN bounds: no
    interval that year, no band drawn). ``rates`` (optional): ``period``, ``projected``, ``la``,
    ``la_lo80``, ``la_hi80``, ``neighbours`` (rates per 10,000), drawn in a second panel with the
    statistical neighbours' mean on the same basis."""
    hist = history.dropna().astype(float)
    origin, last = int(hist.index.max()), float(hist.iloc[-1])
    years = band["period"].to_numpy(dtype=int)
    xs = np.r_[origin, years]
    what = "Projection" + (f" ({method_label.lower()})" if method_label else "") if forecast else "Range"
    panels = 2 if rates is not None and not rates.empty else 1
    fig, axes = plt.subplots(1, panels, figsize=(8, 3.8), gridspec_kw={"width_ratios": [3, 2]} if panels == 2 else None)
    ax = axes[0] if panels == 2 else axes
    ax.set_title("Number at 31 March", fontsize=10)
    _published_line(ax, hist, la_name)
    for tag, alpha in (("95", 0.18), ("80", 0.38)):
        lo = np.r_[last, band[f"lo{tag}"].to_numpy(dtype=float)]
        hi = np.r_[last, band[f"hi{tag}"].to_numpy(dtype=float)]
        ax.fill_between(
            xs,
            lo,
            hi,
            color=FAN_COLOUR,
            alpha=alpha,
            linewidth=0,
            label=f"{tag}% {'interval' if forecast else 'range'}",
        )
    centre = np.r_[last, band["forecast"].to_numpy(dtype=float)]
    ax.plot(
        xs,
        centre,
        "--" if forecast else ":",
        color=FAN_COLOUR,
        linewidth=1.8,
        label=what if forecast else "Latest figure carried forward",
    )
    if actual is not None and not actual.dropna().empty:
        a = actual.dropna()
        ax.plot(
            a.index,
            a.to_numpy(),
            "o",
            markerfacecolor="white",
            markeredgecolor=PALETTE["la"],
            markersize=6,
            linestyle="none",
            label="What happened",
        )
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Children looked after at 31 March", fontsize=9)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: numbers.fmt(v, 0)))
    _style(ax)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE - 1, loc="lower left", ncols=2)
    if panels == 2:
        rx = axes[1]
        rx.set_title("Rate per 10,000 children", fontsize=10)
        r = rates.sort_values("period")
        past, fut = r[~r["projected"]], r[r["projected"]]
        joint = r[r["period"] >= origin]
        rx.plot(past["period"], past["la"], "-", color=PALETTE["la"], linewidth=2, label=la_name)
        rx.plot(joint["period"], joint["la"], "--" if forecast else ":", color=PALETTE["la"], linewidth=1.6)
        if len(fut):
            lo = np.r_[float(past["la"].iloc[-1]), fut["la_lo80"].to_numpy(dtype=float)] if len(past) else None
            hi = np.r_[float(past["la"].iloc[-1]), fut["la_hi80"].to_numpy(dtype=float)] if len(past) else None
            if lo is not None:
                rx.fill_between(
                    np.r_[origin, fut["period"].to_numpy()], lo, hi, color=PALETTE["la"], alpha=0.15, linewidth=0
                )
        rx.plot(
            past["period"],
            past["neighbours"],
            "-",
            color=PALETTE["neighbours"],
            linewidth=1.6,
            label="Neighbours' mean",
        )
        rx.plot(
            joint["period"], joint["neighbours"], "--" if forecast else ":", color=PALETTE["neighbours"], linewidth=1.4
        )
        rx.set_ylim(bottom=0)
        rx.set_ylabel("Per 10,000 children aged 0-17", fontsize=9)
        rx.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
        _style(rx)
        rx.legend(frameon=False, fontsize=LEGEND_FONTSIZE - 1, loc="lower left")
    fig.tight_layout()

    first = band.iloc[0]
    end = band.iloc[-1]
    kind = "projection" if forecast else "range (not a forecast)"
    alt = (
        f"Fan chart of the number of children {la_name} looked after at 31 March, {int(hist.index.min())} to "
        f"{origin}, and a {kind} for {int(years[0])} to {int(years[-1])}. {la_name} looked after "
        f"{numbers.fmt(last, 0)} children in {origin}. "
        + (f"The projection is {numbers.fmt(first['forecast'], 0)} in {int(years[0])}; the" if forecast else "The")
        + f" 80% {'interval' if forecast else 'range'} is {_range_words(first['lo80'], first['hi80'])} in "
        f"{int(years[0])} and {_range_words(end['lo80'], end['hi80'])} in {int(years[-1])}; the 95% one "
        f"{_range_words(first['lo95'], first['hi95'])} and {_range_words(end['lo95'], end['hi95'])}."
    )
    if actual is not None and not actual.dropna().empty:
        a = actual.dropna()
        alt += " What happened: " + ", ".join(f"{numbers.fmt(v, 0)} in {int(y)}" for y, v in a.items()) + "."
    if panels == 2:
        fr = rates[rates["projected"]]
        if len(fr):
            alt += (
                f" Second panel: the rate per 10,000 children, {numbers.fmt(fr['la'].iloc[-1], 0)} in "
                f"{int(fr['period'].iloc[-1])} on this basis, against "
                f"{numbers.fmt(fr['neighbours'].iloc[-1], 1)} for the statistical neighbours' mean on the same basis."
            )
    rows = []
    rate_by = rates.set_index("period") if panels == 2 else pd.DataFrame()
    for y, v in hist.items():
        rows.append({"Year": str(int(y)), "Children": numbers.fmt(v, 0), "80%": "", "95%": "", "period": int(y)})
    label = "projected" if forecast else "range"
    act = actual.dropna() if actual is not None else pd.Series(dtype=float)
    for _, r in band.iterrows():
        y = int(r["period"])
        rows.append(
            {
                "Year": f"{y} ({label})",
                "Children": numbers.fmt(r["forecast"], 0) if forecast else f"centre {numbers.fmt(r['forecast'], 0)}",
                "80%": _range_words(r["lo80"], r["hi80"]),
                "95%": _range_words(r["lo95"], r["hi95"]),
                "period": y,
                **({"What happened": numbers.fmt(act[y], 0)} if y in act.index else {}),
            }
        )
    table = pd.DataFrame(rows)
    if "What happened" in table:
        table["What happened"] = table["What happened"].fillna("")
    if panels == 2:
        table[f"{la_name} per 10,000"] = [
            numbers.fmt(rate_by["la"].get(p, np.nan), 0) if p in rate_by.index else "" for p in table["period"]
        ]
        table["Neighbours' mean per 10,000"] = [
            numbers.fmt(rate_by["neighbours"].get(p, np.nan), 1) if p in rate_by.index else "" for p in table["period"]
        ]
    table = table.drop(columns="period").rename(
        columns={
            "80%": f"80% {'interval' if forecast else 'range'}",
            "95%": f"95% {'interval' if forecast else 'range'}",
        }
    )
    caption = f"Children looked after at 31 March: {la_name}, published to {origin} and " + (
        f"projected to {int(years[-1])}" if forecast else f"the range to plan within to {int(years[-1])}"
    )
    return Chart(figure_png(fig), alt, caption, table)


@themed
def flow_chart(history: pd.DataFrame, la_name: str) -> Chart:
    """Children starting (left) and ceasing (right) to be looked after per 10,000 children by
    year: the authority, its statistical neighbours' mean and England. ``history``: ``period``,
    ``LACnum_Start``, ``LACceased`` (counts), ``LAC_Start_Rate``, ``LAC_Cease_Rate`` (with
    ``_status``, ``_neighbours`` and ``_england`` columns) and ``computed`` (rates computed here,
    drawn hollow). A year without a figure breaks the line."""
    h = history.sort_values("period")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
    spec = (("LAC_Start_Rate", "Starting"), ("LAC_Cease_Rate", "Ceasing"))
    for ax, (code, title) in zip(axes, spec):
        ax.plot(h["period"], h[f"{code}_england"], ":", color=PALETTE["england"], linewidth=1.5, label="England")
        ax.plot(
            h["period"],
            h[f"{code}_neighbours"],
            "--",
            color=PALETTE["neighbours"],
            linewidth=1.5,
            label="Neighbours' mean",
        )
        ax.plot(
            h["period"], h[code], "-", color=PALETTE["la"], linewidth=2.4, marker="o", markersize=3.5, label=la_name
        )
        hollow = h[h["computed"].astype(bool)]
        if len(hollow):
            ax.plot(
                hollow["period"],
                hollow[code],
                "o",
                markerfacecolor="white",
                markeredgecolor=PALETTE["la"],
                markersize=6,
                linestyle="none",
                label="Computed here (hollow)",
            )
        ax.set_title(f"{title} to be looked after", fontsize=10)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=5))
        ax.set_ylim(bottom=0)
        _style(ax)
    axes[0].set_ylabel("Per 10,000 children aged 0-17", fontsize=9)
    axes[0].legend(frameon=False, fontsize=LEGEND_FONTSIZE - 1, loc="lower left")
    fig.tight_layout()
    last = h.iloc[-1]
    y = int(last["period"])

    def said(code: str, what: str) -> str:
        st = last[f"{code}_status"]
        if st == "-" or numbers.is_missing(last[code]):
            return f"{what}: not published (neighbours' mean {numbers.fmt(last[f'{code}_neighbours'], 1)}, England " + (
                f"{numbers.fmt(last[f'{code}_england'], 0)})"
            )
        return (
            f"{what} {fmt_number(last[code], 0, status=st)} per 10,000 children "
            f"(neighbours' mean {numbers.fmt(last[f'{code}_neighbours'], 1)}, England "
            f"{numbers.fmt(last[f'{code}_england'], 0)})"
        )

    alt = (
        f"Two line charts of children starting and ceasing to be looked after per 10,000 children, "
        f"{int(h['period'].iloc[0])} to {y}, for {la_name}, its statistical neighbours' mean and England. In {y}: "
        f"{said('LAC_Start_Rate', 'starting')}; {said('LAC_Cease_Rate', 'ceasing')}."
    )
    table = pd.DataFrame(
        {
            "Year": [f"{int(p)}{' *' if c else ''}" for p, c in zip(h["period"], h["computed"])],
            "Started": [numbers.fmt(v, 0, status=s) for v, s in zip(h["LACnum_Start"], h["LACnum_Start_status"])],
            "Started per 10,000": [
                numbers.fmt(v, 0, status=s) for v, s in zip(h["LAC_Start_Rate"], h["LAC_Start_Rate_status"])
            ],
            "Neighbours' mean (started)": h["LAC_Start_Rate_neighbours"].map(lambda v: numbers.fmt(v, 1)),
            "England (started)": h["LAC_Start_Rate_england"].map(lambda v: numbers.fmt(v, 0)),
            "Ceased": [numbers.fmt(v, 0, status=s) for v, s in zip(h["LACceased"], h["LACceased_status"])],
            "Ceased per 10,000": [
                numbers.fmt(v, 0, status=s) for v, s in zip(h["LAC_Cease_Rate"], h["LAC_Cease_Rate_status"])
            ],
            "Neighbours' mean (ceased)": h["LAC_Cease_Rate_neighbours"].map(lambda v: numbers.fmt(v, 1)),
            "England (ceased)": h["LAC_Cease_Rate_england"].map(lambda v: numbers.fmt(v, 0)),
        }
    )
    if h["computed"].astype(bool).any():
        table.attrs["footnotes"] = [
            "*: rates computed here from LAIT's counts and ONS's population estimate for the previous mid-year "
            "(LAIT's rates begin in 2018)."
        ]
    return Chart(
        figure_png(fig),
        alt,
        f"Children starting and ceasing to be looked after per 10,000 children: {la_name} against comparators",
        table,
    )


@themed
def scenario_chart(frame: pd.DataFrame, history: pd.Series, la_name: str, what: str) -> Chart:
    """A stock-flow scenario beside its baseline: the last five published years, then the
    baseline (rates as they are) and the scenario with its 80% interval. ``frame``: ``period``,
    ``baseline``, ``scenario``, ``lo80``, ``hi80``, ``baseline_cost``, ``scenario_cost``;
    ``what``: the change in words ("10% fewer children starting")."""
    hist = history.dropna().astype(float).iloc[-5:]
    origin, last = int(hist.index.max()), float(hist.iloc[-1])
    xs = np.r_[origin, frame["period"].to_numpy(dtype=int)]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    _published_line(ax, hist, la_name)
    ax.fill_between(
        xs,
        np.r_[last, frame["lo80"].to_numpy(dtype=float)],
        np.r_[last, frame["hi80"].to_numpy(dtype=float)],
        color=PALETTE["region"],
        alpha=0.18,
        linewidth=0,
        label="Scenario, 80% interval",
    )
    ax.plot(
        xs,
        np.r_[last, frame["baseline"].to_numpy(dtype=float)],
        "--",
        color=PALETTE["neighbours"],
        linewidth=1.8,
        label="Rates as they are (stock-flow)",
    )
    ax.plot(
        xs,
        np.r_[last, frame["scenario"].to_numpy(dtype=float)],
        "-",
        color=PALETTE["region"],
        linewidth=2,
        label=f"Scenario: {what}",
    )
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Children looked after at 31 March", fontsize=9)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: numbers.fmt(v, 0)))
    _style(ax)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE - 1, loc="lower left", ncols=2)
    fig.tight_layout()
    end = frame.iloc[-1]
    alt = (
        f"Line chart of children looked after at 31 March by {la_name}: published to {origin} "
        f"({numbers.fmt(last, 0)}), then two stock-flow projections to {int(end['period'])}: rates as they are, "
        f"{numbers.fmt(end['baseline'], 0)}, and {what}, {numbers.fmt(end['scenario'], 0)} "
        f"(80% interval {_range_words(end['lo80'], end['hi80'])})."
    )

    def money(v: float) -> str:
        return "x" if numbers.is_missing(v) else f"£{numbers.fmt(v / 1e6, 1)}m"

    table = pd.DataFrame(
        {
            "Year": frame["period"].astype(int).astype(str),
            "Rates as they are": frame["baseline"].map(lambda v: numbers.fmt(v, 0)),
            "Scenario": frame["scenario"].map(lambda v: numbers.fmt(v, 0)),
            "Difference": [
                numbers.fmt(numbers.change_as_printed(s, b, 0), 0, sign=True)
                for s, b in zip(frame["scenario"], frame["baseline"])
            ],
            "Scenario, 80% interval": [_range_words(lo, hi) for lo, hi in zip(frame["lo80"], frame["hi80"])],
            "Cost, rates as they are": frame["baseline_cost"].map(money),
            "Cost, scenario": frame["scenario_cost"].map(money),
        }
    )
    return Chart(figure_png(fig), alt, f"Children looked after at 31 March: {what}, beside rates as they are", table)


@themed
def placement_mix_chart(shares: pd.DataFrame, la_name: str, period: int, statuses: pd.DataFrame | None = None) -> Chart:
    """Where children looked after live: the % in each placement for the authority, its
    statistical neighbours' mean and England, as grouped horizontal bars, largest placement first.

    ``shares``: ``placement`` (the label) and the columns ``la``, ``neighbours``, ``england`` (%);
    ``statuses`` (same rows, same three columns): a marker where a share is not published (LAIT's
    ``-``, ``c``...): no bar, the marker printed where the bar would start. The authority and
    England print as DfE publishes them (whole numbers), the neighbours' mean to 1 decimal place."""
    import textwrap

    series = (
        ("la", la_name, PALETTE["la"], 0),
        ("neighbours", "Neighbours' mean", PALETTE["neighbours"], 1),
        ("england", "England", PALETTE["england"], 0),
    )
    st = (
        statuses
        if statuses is not None
        else pd.DataFrame("", index=shares.index, columns=["la", "neighbours", "england"])
    )

    def cell(key: str, i, decimals: int) -> str:
        s = str(st.at[i, key]) if key in st and not numbers.is_missing(st.at[i, key]) else ""
        return numbers.fmt(shares.at[i, key], decimals, status=s)

    fig, ax = plt.subplots(figsize=(8, 0.62 * len(shares) + 1.3))
    y = np.arange(len(shares))[::-1]
    h = 0.26
    for k, (key, label, colour, d) in enumerate(series):
        pos = y + (1 - k) * h
        vals = pd.to_numeric(shares[key], errors="coerce").to_numpy(dtype=float)
        ax.barh(pos, np.nan_to_num(vals, nan=0.0), height=h, color=colour, label=label)
        for p, v, i in zip(pos, vals, shares.index):
            ax.text((0 if np.isnan(v) else v) + 0.6, p, cell(key, i, d), va="center", fontsize=7.5)
    ax.set_yticks(y, [textwrap.fill(str(t), 28) for t in shares["placement"]], fontsize=8.5)
    ax.set_xlabel(f"% of children looked after at 31 March {period}", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=9)
    ax.legend(frameon=False, fontsize=LEGEND_FONTSIZE - 1, loc="lower right")
    fig.tight_layout()

    def said(key: str, i, decimals: int) -> str:
        text = cell(key, i, decimals)
        return "not published" if text == "-" else (text if text in ("c", "x", "z") else text + "%")

    parts = "; ".join(
        f"{r['placement']}: {la_name} {said('la', i, 0)}, neighbours' mean {said('neighbours', i, 1)}, "
        f"England {said('england', i, 0)}"
        for i, r in shares.iterrows()
    )
    alt = f"Bar chart of where children looked after at 31 March {period} lived, as a share of them. {parts}."
    table = pd.DataFrame(
        {
            "Placement": shares["placement"],
            f"{la_name} (%)": [cell("la", i, 0) for i in shares.index],
            "Neighbours' mean (%)": [cell("neighbours", i, 1) for i in shares.index],
            "England (%)": [cell("england", i, 0) for i in shares.index],
        }
    )
    return Chart(
        figure_png(fig),
        alt,
        f"Where children looked after at 31 March {period} lived: {la_name} against comparators",
        table,
    )
