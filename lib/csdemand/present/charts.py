"""Charts for briefings: one house style, a colour-blind-safe palette (Okabe-Ito), and for each
chart the alt text and the table behind it. Each function returns a :class:`present.Chart`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # rendering to PNG only; no display needed under a scheduler

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from csdemand.methods import funnel  # noqa: E402
from csdemand.present.html import Chart, figure_png, fmt_number  # noqa: E402

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

COMPARATOR_LABELS = {
    "la": None,  # replaced by the LA's name
    "neighbours_mean": "Statistical neighbours (mean)",
    "neighbours_median": "Statistical neighbours (median)",
    "region": None,
    "england": "England",
}


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


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


def trend_chart(
    comparison: pd.DataFrame,
    la_name: str,
    region_name: str,
    measure_label: str,
    computed_periods: list[int],
    decimals: int = 0,
    rebased_periods: list[int] | None = None,
    la_statuses: pd.Series | None = None,
) -> Chart:
    """Lines over time for the LA, its neighbours' mean, its region and England.

    ``comparison`` is :func:`benchmarks.comparison_series` (it ends at the briefing's year).
    Points in ``computed_periods`` (figures this project computed or re-based, not as DfE printed
    them) are drawn hollow, and runs of years computed here are shaded. A year whose figure is
    withheld breaks the line; ``la_statuses`` (period -> marker) puts its marker in the table.
    """
    from csdemand.core import numbers

    rebased = sorted(int(p) for p in (rebased_periods or []))
    computed_only = [int(p) for p in computed_periods if int(p) not in rebased]
    labels = {"la": la_name, "neighbours_mean": "Statistical neighbours (mean)", "region": region_name, "england": "England"}
    colours = {"la": PALETTE["la"], "neighbours_mean": PALETTE["neighbours"], "region": PALETTE["region"], "england": PALETTE["england"]}
    styles = {"la": "-", "neighbours_mean": "--", "region": "-.", "england": ":"}
    fig, ax = plt.subplots(figsize=(8, 4.2))
    wide = comparison.pivot(index="period", columns="comparator", values="value")
    # From the first year any line has a figure; every year on the axis, so a year without data
    # breaks the line instead of bridging it.
    held = wide.dropna(how="all").index
    start = int(held.min()) if len(held) else int(wide.index.min())
    wide = wide.reindex(range(start, int(wide.index.max()) + 1))
    for key in ("england", "region", "neighbours_mean", "la"):
        s = wide[key] if key in wide else pd.Series(dtype=float)
        if s.dropna().empty:
            continue
        ax.plot(s.index, s.values, styles[key], color=colours[key], linewidth=2.6 if key == "la" else 1.6, label=labels[key], marker="o", markersize=4 if key == "la" else 0)
        if key == "la":
            hollow = s[s.index.isin(list(computed_periods) + rebased)].dropna()
            if not hollow.empty:
                ax.plot(hollow.index, hollow.values, "o", markerfacecolor="white", markeredgecolor=colours[key], markersize=6, linestyle="none",
                        label="Computed or re-based here (hollow)")
    for a, b in _runs(computed_only):
        ax.axvspan(a - 0.5, b + 0.5, color="#f2f2f2", zorder=0)
    top = ax.get_ylim()[1]
    for a, b in _runs(computed_only):
        ax.text(a - 0.3, top, "computed here", fontsize=7.5, va="top", color="#555555")
    for a, b in _runs(rebased):
        ax.text(a - 0.3, top, "re-based", fontsize=7.5, va="top", color="#555555")
    ax.set_ylabel(measure_label, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    _style(ax)
    ax.legend(frameon=False, fontsize=8, loc="lower left", ncols=2)
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
        la_words = f"{la_name} went from {numbers.fmt(la_s[first], decimals)} in {first}{mark(first)} to {numbers.fmt(la_s[last], decimals)} in {last}{mark(last)}."
        if last < last_year:
            la_words += f" Its {last_year} figure is {fmt_number(np.nan, status=str(st.get(last_year, '') or 'x'))}."
    end = wide.loc[last_year]
    alt = (
        f"Line chart of {measure_label.lower()} from {first_year} to {last_year}. {la_words} In {last_year} its statistical neighbours' mean was "
        f"{fmt_number(end.get('neighbours_mean', np.nan), 1)}, {region_name} {fmt_number(end.get('region', np.nan), decimals)} and England "
        f"{fmt_number(end.get('england', np.nan), decimals)}."
    )
    table = wide.dropna(how="all").reindex(columns=["la", "neighbours_mean", "neighbours_median", "region", "england"])
    cells = pd.DataFrame({"Year": [f"{p}{' r' if p in rebased else (' *' if p in computed_only else '')}" for p in table.index]})
    cells[la_name] = [numbers.fmt(v, decimals, status=("" if not numbers.is_missing(v) else str(st.get(p, "") or "x"))) for p, v in table["la"].items()]
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
    return Chart(figure_png(fig), alt, f"{measure_label}, {first_year} to {last_year}: {la_name} against comparators", cells)


def neighbour_bars(values: pd.DataFrame, la_number: int, england: float, neighbour_mean: float, measure_label: str, period: int, decimals: int = 0) -> Chart:
    """Horizontal bars for the LA and its neighbours in one year, lowest at the top, with England
    and the neighbour mean as reference lines. ``values``: la_number, area_name, value and,
    optionally, status: a withheld figure gets no bar, its marker printed where the bar would start."""
    from csdemand.core import numbers

    v = values.copy()
    if "status" not in v:
        v["status"] = ""
    v["status"] = [("" if not numbers.is_missing(x) else (str(s) if s and not numbers.is_missing(s) else "x")) for x, s in zip(v["value"], v["status"])]
    v = v.sort_values("value", ascending=True, na_position="last").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.34 * len(v) + 1.2))
    colours = [PALETTE["la"] if n == la_number else PALETTE["neighbours"] for n in v["la_number"]]
    y = np.arange(len(v))[::-1]
    ax.barh(y, v["value"].fillna(0), color=colours, height=0.7)
    ax.set_yticks(y, v["area_name"], fontsize=9)
    for yi, val, st in zip(y, v["value"], v["status"]):
        ax.text((0 if st else val) + 0.5, yi, numbers.fmt(val, decimals, status=st), va="center", fontsize=8)
    if not numbers.is_missing(england):
        ax.axvline(england, color=PALETTE["england"], linestyle=":", linewidth=1.5, label=f"England {numbers.fmt(england, decimals)}")
    if not numbers.is_missing(neighbour_mean):
        ax.axvline(neighbour_mean, color=PALETTE["neighbours"], linestyle="--", linewidth=1.2, label=f"Neighbours' mean {numbers.fmt(neighbour_mean, 1)}")
    ax.set_xlabel(f"{measure_label}, {period}", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(v)), ncols=2)
    fig.tight_layout()
    la_row = v[v["la_number"] == la_number].iloc[0]
    shown = v[v["status"] == ""]
    if la_row["status"]:
        where = f"{la_row['area_name']} is {fmt_number(np.nan, status=la_row['status'])}, so it is not ranked"
    else:
        rank = int((shown["value"] < la_row["value"]).sum()) + 1
        where = f"{la_row['area_name']} is {numbers.fmt(la_row['value'], decimals)}, rank {rank} of {len(shown)} (1 = lowest)"
    span = (
        f"range {numbers.fmt(shown['value'].min(), decimals)} ({shown.iloc[0]['area_name']}) to {numbers.fmt(shown['value'].max(), decimals)} ({shown.iloc[-1]['area_name']})"
        if len(shown) else "no authority in the group has a published figure"
    )
    alt = (
        f"Bar chart of {measure_label.lower()} in {period} for {la_row['area_name']} and its {len(v) - 1} statistical neighbours, "
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
    return Chart(figure_png(fig), alt, f"{measure_label} in {period}: {la_row['area_name']} and its statistical neighbours", table)


def funnel_chart(points: pd.DataFrame, la_number: int, neighbour_numbers: list[int], target_rate: float, tau2: float, measure_label: str, period: int) -> Chart:
    """Funnel plot: every LA's rate against its child population, England's rate as the target,
    95% and 99.8% limits with the overdispersion allowance (solid) and pure Poisson (dotted)."""
    fig, ax = plt.subplots(figsize=(8, 5.0))
    n = np.geomspace(points["denominator"].min() * 0.8, points["denominator"].max() * 1.1, 200)
    adj = funnel.limits(target_rate, n, tau2)
    poi = funnel.limits(target_rate, n, 0.0)
    for tag, colour, label in (("95", PALETTE["limit95"], "95% limits"), ("99_8", PALETTE["limit998"], "99.8% limits")):
        ax.plot(n, adj[f"upper_{tag}"], color=colour, linewidth=1.4, label=f"{label} (allowing for overdispersion)")
        ax.plot(n, adj[f"lower_{tag}"], color=colour, linewidth=1.4)
        ax.plot(n, poi[f"upper_{tag}"], color=colour, linewidth=0.8, linestyle=":")
        ax.plot(n, poi[f"lower_{tag}"], color=colour, linewidth=0.8, linestyle=":")
    ax.axhline(target_rate, color=PALETTE["england"], linewidth=1, label=f"England {target_rate:.0f}")
    others = points[~points["la_number"].isin(neighbour_numbers + [la_number])]
    nb = points[points["la_number"].isin(neighbour_numbers)]
    me = points[points["la_number"] == la_number]
    ax.scatter(others["denominator"], others["rate"], s=14, color=PALETTE["other"], label="Other local authorities", zorder=2)
    ax.scatter(nb["denominator"], nb["rate"], s=26, color=PALETTE["neighbours"], label="Statistical neighbours", zorder=3)
    ax.scatter(me["denominator"], me["rate"], s=60, color=PALETTE["la"], edgecolor="black", label=me["area_name"].iloc[0] if len(me) else "", zorder=4)
    for _, r in me.iterrows():
        ax.annotate(r["area_name"], (r["denominator"], r["rate"]), xytext=(6, 6), textcoords="offset points", fontsize=9, fontweight="bold")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("Children aged 0-17 (ONS mid-year estimate, log scale)", fontsize=9)
    ax.set_ylabel(measure_label, fontsize=9)
    ax.set_ylim(0, max(points["rate"].max(), adj["upper_99_8"].max()) * 1.05)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    fig.tight_layout()
    pos = me["position"].iloc[0] if len(me) else "not available"
    outside = points[points["position"].str.contains("99.8")]
    alt = (
        f"Funnel plot of {measure_label.lower()} in {period} for {len(points)} local authorities against their child population. "
        f"England's rate is {target_rate:.0f}. "
        + (f"{me['area_name'].iloc[0]} ({me['rate'].iloc[0]:.0f}) is {pos}. " if len(me) else "")
        + f"{len(outside)} authorities lie outside the 99.8% limits after allowing for overdispersion."
    )
    table = points.assign(
        group=np.where(points["la_number"] == la_number, "This authority", np.where(points["la_number"].isin(neighbour_numbers), "Neighbour", "")),
    ).sort_values("rate", ascending=False)[["area_name", "group", "denominator", "count", "rate", "position"]]
    table.columns = ["Local authority", "", "Children 0-17", "Looked after", "Rate per 10,000", "Position"]
    for c in ("Children 0-17", "Looked after"):
        table[c] = table[c].map(lambda x: fmt_number(x))
    return Chart(figure_png(fig), alt, f"{measure_label} in {period}: funnel plot of all local authorities", table)


def spc_chart(table: pd.DataFrame, label: str, title: str, percent: bool = False, interval: pd.DataFrame | None = None) -> Chart:
    """A Making Data Count style control chart: the series, centre line, process limits, and
    special-cause points coloured (orange high, blue low; grey common cause).

    ``table`` is ``SpcResult.table`` (x, value, centre, lower, upper, signal, rules, side). For a
    share, ``percent`` scales to %, and ``interval`` (columns lower, upper; same order) draws the
    95% Wilson interval of each month as a thin bar.
    """
    scale = 100 if percent else 1
    t = table.reset_index(drop=True)
    x = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(8, 3.9))
    if interval is not None:
        ax.vlines(x, interval["lower"].to_numpy() * scale, interval["upper"].to_numpy() * scale, color="#cccccc", linewidth=1.2, label="95% interval (Wilson)")
    ax.plot(x, t["value"] * scale, color="#555555", linewidth=1.2, marker="o", markersize=3, label=label)
    ax.plot(x, t["centre"] * scale, color="#000000", linewidth=1, label="Mean")
    ax.plot(x, t["upper"] * scale, color="#777777", linewidth=1, linestyle="--", label="Process limits")
    ax.plot(x, t["lower"] * scale, color="#777777", linewidth=1, linestyle="--")
    hi = t[t["signal"] & (t["side"] == "high")]
    lo = t[t["signal"] & (t["side"] == "low")]
    ax.scatter(hi.index, hi["value"] * scale, color="#E69F00", s=28, zorder=3, label="Special cause (high)")
    ax.scatter(lo.index, lo["value"] * scale, color="#0072B2", s=28, zorder=3, label="Special cause (low)")
    step = max(1, len(t) // 8)
    ticks = x[::step]
    ax.set_xticks(ticks, [_month_label(v).replace(" ", "\n") for v in t["x"].iloc[::step]], rotation=0, fontsize=8)
    ax.set_ylabel(label + (" (%)" if percent else ""), fontsize=9)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3)
    fig.tight_layout()
    n_sig = int(t["signal"].sum())
    last = t.iloc[-1]
    fmt = (lambda v: f"{v * 100:.1f}%") if percent else (lambda v: f"{v:,.0f}")
    alt = (
        f"Control chart of {label.lower()} by month from {_month_label(t['x'].iloc[0])} to {_month_label(last['x'])}. "
        f"Latest {fmt(last['value'])}; mean {fmt(last['centre'])}, process limits {fmt(last['lower'])} to {fmt(last['upper'])}. "
        f"{n_sig} month{'s' if n_sig != 1 else ''} show special-cause variation."
    )
    data = pd.DataFrame(
        {
            "Month": t["x"].map(_month_label),
            label: t["value"].map(fmt),
            "Mean": t["centre"].map(fmt),
            "Lower limit": t["lower"].map(fmt),
            "Upper limit": t["upper"].map(fmt),
            "Signal": t["rules"].map(_rule_words),
        }
    )
    return Chart(figure_png(fig), alt, title, data)


_RULE_WORDS = {"outside_limits": "outside the limits", "shift": "run of 7 on one side", "trend": "7 rising or falling", "two_of_three": "2 of 3 near a limit"}


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


def grouped_bars(table: pd.DataFrame, category: str, series: list[str], label: str, title: str, decimals: int = 1) -> Chart:
    """Grouped horizontal bars: one group per ``category`` value, one bar per column in ``series``
    (the first is the authority, drawn in its colour)."""
    colours = [PALETTE["la"], PALETTE["neighbours"], PALETTE["england"], PALETTE["region"]]
    fig, ax = plt.subplots(figsize=(8, 0.9 * len(table) + 1.2))
    h = 0.8 / len(series)
    y = np.arange(len(table))[::-1]
    for i, col in enumerate(series):
        ax.barh(y + (len(series) / 2 - i - 0.5) * h, table[col], height=h, color=colours[i % len(colours)], label=col)
        for yi, v in zip(y + (len(series) / 2 - i - 0.5) * h, table[col]):
            ax.text(v + 0.3, yi, f"{v:.{decimals}f}", va="center", fontsize=7.5)
    ax.set_yticks(y, table[category], fontsize=9)
    ax.set_xlabel(label, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=len(series))
    fig.tight_layout()
    parts = "; ".join(f"{r[category]}: " + ", ".join(f"{c} {r[c]:.{decimals}f}" for c in series) for _, r in table.iterrows())
    alt = f"Bar chart of {label.lower()}. {parts}."
    data = table[[category] + series].copy()
    for c in series:
        data[c] = data[c].map(lambda v: f"{v:.{decimals}f}")
    return Chart(figure_png(fig), alt, title, data)


def _month_axis(ax, index: pd.PeriodIndex, every: int = 12) -> None:
    """Tick every ``every`` months starting in April (reporting years), labelled 'Apr 2020'."""
    pos = [i for i, m in enumerate(index) if m.month == 4][:: max(1, every // 12)]
    ax.set_xticks(pos, [index[i].strftime("%b\n%Y") for i in pos], fontsize=8)


def its_chart(series: pd.Series, its, change: pd.Period, what: str):
    """Monthly counts with the segmented-regression fit and the counterfactual (the pre-change
    trend and seasons continued) after the change month. ``its``: trends.ItsResult or None."""
    from csdemand.present.html import Html

    if its is None:
        return Html('<p class="footnote">Too few months either side of the change date for an interrupted time series.</p>')
    series = series[series.index <= its.fitted.index.max()]
    fitted, counterfactual = its.fitted, its.counterfactual
    x = np.arange(len(series))
    fig, ax = plt.subplots(figsize=(8, 3.9))
    ax.plot(x, series.to_numpy(), color="#777777", linewidth=1, marker="o", markersize=2.5, label=f"{what} (actual)")
    ax.plot(x, fitted.reindex(series.index).to_numpy(), color=PALETTE["la"], linewidth=2, label="Fitted (segmented regression)")
    cf = counterfactual.reindex(series.index)
    ax.plot(x, cf.to_numpy(), color=PALETTE["neighbours"], linewidth=1.6, linestyle="--", label="Had the earlier trend continued")
    ci = list(series.index).index(change) if change in series.index else None
    if ci is not None:
        ax.axvline(ci - 0.5, color="#000000", linewidth=1, linestyle=":")
        ax.text(ci, ax.get_ylim()[1], f" {change.strftime('%b %Y')}", fontsize=8, va="top")
    _month_axis(ax, series.index)
    ax.set_ylabel(f"{what} a month", fontsize=9)
    ax.set_ylim(bottom=0)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    fig.tight_layout()
    last = series.index[-1]
    alt = (
        f"Line chart of {what.lower()} a month from {series.index[0].strftime('%B %Y')} to {last.strftime('%B %Y')}, with a fitted "
        f"segmented regression and the counterfactual after {change.strftime('%B %Y')}. In {last.strftime('%B %Y')} the actual was "
        f"{series.iloc[-1]:,.0f}, the fit {fitted.reindex(series.index).iloc[-1]:,.0f} and the counterfactual {cf.iloc[-1]:,.0f}."
    )
    data = pd.DataFrame({"Month": [m.strftime("%b %Y") for m in series.index], "Actual": series.map(lambda v: f"{v:,.0f}").to_numpy(),
                         "Fitted": fitted.reindex(series.index).map(lambda v: f"{v:,.0f}").to_numpy(),
                         "Counterfactual": cf.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}").to_numpy()})
    return Chart(figure_png(fig), alt, f"{what} a month: interrupted time series around {change.strftime('%B %Y')}", data)


def forecast_chart(series: pd.Series, fc: pd.DataFrame, what: str, model: str, history: int = 48) -> Chart:
    """The last ``history`` months and the forecast with 80% and 95% intervals."""
    hist = series.iloc[-history:]
    idx = hist.index.append(fc.index)
    x = np.arange(len(idx))
    xf = x[len(hist):]
    fig, ax = plt.subplots(figsize=(8, 3.9))
    ax.plot(x[: len(hist)], hist.to_numpy(), color="#555555", linewidth=1.4, marker="o", markersize=2.5, label=f"{what} (actual)")
    ax.fill_between(xf, fc["lower_95"], fc["upper_95"], color=PALETTE["limit95"], alpha=0.25, label="95% interval")
    ax.fill_between(xf, fc["lower_80"], fc["upper_80"], color=PALETTE["limit95"], alpha=0.5, label="80% interval")
    ax.plot(xf, fc["mean"], color=PALETTE["neighbours"], linewidth=2, label=f"Forecast ({model})")
    _month_axis(ax, idx)
    ax.set_ylabel(f"{what} a month", fontsize=9)
    ax.set_ylim(bottom=0)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=4)
    fig.tight_layout()
    alt = (
        f"Line chart of {what.lower()} a month for the last {len(hist)} months and a {len(fc)}-month forecast from "
        f"{fc.index[0].strftime('%B %Y')} to {fc.index[-1].strftime('%B %Y')}: {fc['mean'].sum():,.0f} in total "
        f"(95% interval {fc['lower_95'].sum():,.0f} to {fc['upper_95'].sum():,.0f})."
    )
    data = pd.DataFrame({"Month": [m.strftime("%b %Y") for m in fc.index], "Forecast": fc["mean"].map(lambda v: f"{v:,.0f}").to_numpy(),
                         "95% lower": fc["lower_95"].map(lambda v: f"{v:,.0f}").to_numpy(), "95% upper": fc["upper_95"].map(lambda v: f"{v:,.0f}").to_numpy()})
    return Chart(figure_png(fig), alt, f"{what}: forecast for the next {len(fc)} months", data)


def seasonal_chart(by_month: pd.DataFrame, what: str) -> Chart:
    """Bars of the average seasonal effect by calendar month (% of the trend level)."""
    b = by_month.reset_index()
    months = b.iloc[:, 0].tolist()
    pct = b["pct_of_trend"].to_numpy()
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(months, pct, color=[PALETTE["la"] if v < 0 else PALETTE["neighbours"] for v in pct])
    ax.axhline(0, color="#000000", linewidth=0.8)
    ax.set_ylabel("% above or below trend", fontsize=9)
    _style(ax)
    fig.tight_layout()
    order = np.argsort(pct)
    alt = (f"Bar chart of the seasonal pattern in {what.lower()}: highest {months[order[-1]]} ({pct[order[-1]]:+.0f}% of trend), "
           f"lowest {months[order[0]]} ({pct[order[0]]:+.0f}%).")
    data = pd.DataFrame({"Month": months, "% of trend": [f"{v:+.1f}%" for v in pct]})
    return Chart(figure_png(fig), alt, f"{what}: seasonal pattern by calendar month (STL decomposition)", data)


def mix_chart(monthly_by: pd.DataFrame, what: str, by: str) -> Chart:
    """Share of each category by reporting year (stacked bars, %), from a months x categories table."""
    t = monthly_by.copy()
    years = [m.year + 1 if m.month >= 4 else m.year for m in t.index]
    annual = t.groupby(years).sum()
    months_in = pd.Series(years).value_counts()
    annual.index = [f"{y}" if months_in[y] == 12 else f"{y} (part)" for y in annual.index]
    share = annual.div(annual.sum(axis=1), axis=0) * 100
    colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bottom = np.zeros(len(share))
    for i, col in enumerate(share.columns):
        ax.bar(share.index.astype(str), share[col], bottom=bottom, color=colours[i % len(colours)], label=col, width=0.7)
        bottom += share[col].to_numpy()
    ax.set_ylabel(f"% of {what.lower()}", fontsize=9)
    ax.set_xlabel("Year to 31 March", fontsize=9)
    _style(ax)
    ax.legend(frameon=False, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=min(6, len(share.columns)))
    fig.tight_layout()
    first, last = share.index[0], share.index[-1]
    alt = (f"Stacked bar chart of {what.lower()} by {by} each reporting year from {first} to {last}. In {last}: "
           + ", ".join(f"{c} {share.loc[last, c]:.0f}%" for c in share.columns) + ".")
    data = share.round(1).astype(str).add("%").reset_index().rename(columns={"index": "Year"})
    return Chart(figure_png(fig), alt, f"{what} by {by}, share of each year's total", data)
