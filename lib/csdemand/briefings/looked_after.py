"""Children looked after: every figure of the LAC benchmark briefing, computed in one place.

Measures (``reference/measures.csv``): ``cla_count`` (children looked after at 31 March) and
``cla_rate`` (per 10,000 children aged 0-17). Rates are on one population base, the newest ONS
estimates (:mod:`csdemand.published.rebase`): DfE's published rates where they match it, re-based
where DfE printed them on older estimates (2018-2020), computed here for 2013-2017 and, with the
SFR's mid-2009 population, for 2010; none for 2011-2012.

Every year an authority existed renders (:mod:`csdemand.published.areas`): a withheld figure (City
of London's ``c`` in 2025, the Isles of Scilly's ``z``: published with Cornwall) stays on the page
as its marker, in words in sentences, never as a silent fallback to an older year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers, tidy
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks, funnel
from csdemand.published import areas as areas_mod
from csdemand.published import rebase, store

COUNT = "cla_count"
RATE = "cla_rate"
TABLE = "cla"


@dataclass
class LacBenchmark:
    """The figures a LAC briefing quotes, for one LA, year and neighbour model.

    ``count`` and ``rate`` are NaN where withheld, with the marker in ``count_status`` /
    ``rate_status`` (``c``, ``z``, ``x``) and its words in ``marker_note``."""

    la: areas_mod.LocalAuthority
    period: int
    model: str
    window: int
    count: float
    rate: float
    rate_computed: bool
    england_rate: float
    england_count: float
    region_rate: float
    neighbour_numbers: list[int]
    neighbour_average: benchmarks.NeighbourAverage
    rank: int
    n_ranked: int
    band: benchmarks.QuartileBand
    travel: pd.DataFrame
    comparison: pd.DataFrame  # benchmarks.comparison_series over every year with data
    computed_periods: list[int]
    neighbour_table: pd.DataFrame
    history: pd.DataFrame  # per year in the window: rate, status, rank among 11, band
    funnel_points: pd.DataFrame
    overdispersion: funnel.Overdispersion
    target_rate: float
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    count_status: str = ""
    rate_status: str = ""
    rate_rebased: bool = False
    rate_published: float = np.nan  # the rate as DfE printed it (differs where re-based)
    rebased_periods: list[int] = field(default_factory=list)
    model_requested: str = ""
    marker_note: str = ""  # e.g. "published with Cornwall"
    lifecycle_note: str = ""  # the predecessor caveat in an authority's first years
    base_label: str = "the newest population estimates"
    benchmark: benchmarks.MeasureBenchmark | None = field(repr=False, default=None)
    older_base_periods: list[int] = field(default_factory=list)  # rates left on the estimates DfE printed them with

    @property
    def withheld(self) -> bool:
        """True where the year's rate is not published for this authority (c, z, x)."""
        return bool(self.rate_status) or numbers.is_missing(self.rate)


def years_held(df: pd.DataFrame) -> list[int]:
    """Years for which the looked-after tables hold LA figures (counts or rates, values or markers)."""
    rows = df[df["measure"].isin([COUNT, RATE]) & (df["geographic_level"] == "la")]
    return sorted(int(p) for p in rows["period"].unique())


def resolve_period(df: pd.DataFrame, la: int | areas_mod.LocalAuthority, period: str | int) -> int:
    """``"latest"``, a year such as ``"2025"`` or a month (its year to March) -> a year the LA existed
    in and the tables cover (:func:`csdemand.published.areas.briefing_year`)."""
    auth = la if isinstance(la, areas_mod.LocalAuthority) else areas_mod.resolve(la)
    return areas_mod.briefing_year(auth, period, years_held(df), "looked-after data")


def benchmark(
    la: str | int,
    period: str | int = "latest",
    model: str = "2025",
    window: int = 10,
    data: pd.DataFrame | None = None,
    neighbours_table: pd.DataFrame | None = None,
) -> LacBenchmark:
    """All the looked-after figures for an LA (number, GSS code or name) and year."""
    df = store.load("cla") if data is None else data
    sn = store.load("statistical_neighbours") if neighbours_table is None else neighbours_table
    auth = areas_mod.resolve(la)
    year = resolve_period(df, auth, period)
    if window < 1:
        raise InputError("the comparison window must be at least 1 year", column="window", value=window)
    used_model, nbrs = benchmarks.neighbours_for(sn, auth.la_number, str(model))

    rates = benchmarks.la_values(df, RATE, year)
    counts = benchmarks.la_values(df, COUNT, year)
    count_st = benchmarks.la_statuses(df, COUNT, year)
    rate_st = benchmarks.la_statuses(df, RATE, year)
    mb = benchmarks.measure_benchmark(df, RATE, auth.la_number, auth.region_code, nbrs, year, window)
    england = df[
        (df["area_code"] == benchmarks.ENGLAND) & (df["period"] == year) & (df["geographic_level"] == "national")
    ].set_index("measure")

    group = [auth.la_number] + nbrs
    nt = pd.DataFrame({"la_number": group, "area_name": [areas_mod.name_of(n) for n in group]})
    nt["count"] = nt["la_number"].map(counts)
    nt["value"] = nt["la_number"].map(rates)
    nt["count_status"] = [("" if n in counts.index else (count_st.get(n, "") or "x")) for n in group]
    nt["status"] = [("" if n in rates.index else (rate_st.get(n, "") or "x")) for n in group]
    nt["sn_rank"] = [0] + list(range(1, len(nbrs) + 1))
    closeness = sn[(sn["model"].astype(str) == used_model) & (sn["la_number"] == auth.la_number)].set_index(
        "sn_la_number"
    )["closeness"]
    nt["closeness"] = nt["la_number"].map(closeness).fillna("")
    # Years before the authority existed are not its history (DfE prints them as z).
    history = (
        mb.history[[auth.existed_in(int(p)) for p in mb.history["period"]]]
        .rename(columns={"value": "rate"})
        .reset_index(drop=True)
    )

    target, od, points = _funnel(df, year)
    pop = store.load("population") if data is None else pd.DataFrame()
    status = mb.status
    return LacBenchmark(
        la=auth,
        period=year,
        model=used_model,
        window=window,
        count=counts.get(auth.la_number, np.nan),
        rate=mb.value,
        rate_computed=mb.computed,
        england_rate=mb.england_value,
        england_count=float(england.loc[COUNT, "value"]) if COUNT in england.index else np.nan,
        region_rate=mb.region_value,
        neighbour_numbers=nbrs,
        neighbour_average=mb.neighbour_average,
        rank=mb.rank,
        n_ranked=mb.n_ranked,
        band=mb.band,
        travel=mb.travel,
        comparison=mb.comparison,
        computed_periods=mb.computed_periods,
        neighbour_table=nt,
        history=history,
        funnel_points=points,
        overdispersion=od,
        target_rate=target,
        data=df,
        count_status="" if auth.la_number in counts.index else (count_st.get(auth.la_number, "") or "x"),
        rate_status=status,
        rate_rebased=mb.rebased,
        rate_published=mb.published_value,
        rebased_periods=mb.rebased_periods,
        model_requested=str(model),
        marker_note=auth.note_for(status, TABLE, year),
        lifecycle_note=areas_mod.lifecycle_caveat(auth, year),
        base_label=rebase.base_label(pop) if not pop.empty else "the newest population estimates",
        benchmark=mb,
        older_base_periods=_older_base(df, auth.la_number, year),
    )


def _older_base(df: pd.DataFrame, la_number: int, year: int) -> list[int]:
    """Years to ``year`` whose published rate could not be re-based: ONS's newest series has no
    estimate for the area (Bournemouth, Poole and the old Dorset), so DfE's figure stands."""
    if "newest_base" not in df.columns:
        return []
    rows = df[
        (df["measure"] == RATE)
        & (df["la_number"] == la_number)
        & (df["geographic_level"] == "la")
        & (df["period"] <= year)
    ]
    rows = rows[(rows["status"] == "") & ~rows["computed"] & ~rows["newest_base"].fillna(False).astype(bool)]
    return sorted(int(p) for p in rows["period"])


def _funnel(df: pd.DataFrame, year: int) -> tuple[float, funnel.Overdispersion, pd.DataFrame]:
    """England's unrounded rate (the funnel's target), the overdispersion and every LA's point."""
    eng = df[
        (df["measure"] == RATE)
        & (df["period"] == year)
        & (df["area_code"] == benchmarks.ENGLAND)
        & (df["geographic_level"] == "national")
    ]
    if eng.empty or eng.iloc[0]["status"] != "":
        return (
            np.nan,
            funnel.Overdispersion(np.nan, 0.0, 0),
            pd.DataFrame(columns=["la_number", "area_name", "count", "denominator", "rate", "position"]),
        )
    e = eng.iloc[0]
    target = (
        float(e["numerator"] / e["denominator"] * 10_000)
        if pd.notna(e["denominator"]) and pd.notna(e["numerator"])
        else float(e["value"])
    )
    pts = df[
        (df["measure"] == RATE) & (df["period"] == year) & (df["geographic_level"] == "la") & (df["status"] == "")
    ].dropna(subset=["numerator", "denominator"])
    od = funnel.estimate_overdispersion(pts["numerator"].to_numpy(), pts["denominator"].to_numpy(), target)
    return target, od, funnel.funnel_table(df, COUNT, RATE, year, target, od.tau2)


BAND_WORDS = {
    "A": "in the lowest quarter of authorities (band A)",
    "B": "in the second quarter, below the median (band B)",
    "C": "in the third quarter, above the median (band C)",
    "D": "in the highest quarter of authorities (band D)",
}

#: Marks beside a year in the tables.
COMPUTED_MARK = "*"
REBASED_MARK = "r"
SMALL_MARK = "!"


def _marker_notes(b: LacBenchmark) -> dict[str, str]:
    return {"z": f"{b.la.name}: {b.marker_note}"} if b.marker_note else {}


def _year_label(p: int, b: LacBenchmark) -> str:
    """'2019 r' (re-based), '2015 *' (computed here), '2025'."""
    mark = REBASED_MARK if p in b.rebased_periods else (COMPUTED_MARK if p in b.computed_periods else "")
    return f"{p} {mark}".strip()


def year_footnotes(b: LacBenchmark) -> list[str]:
    """What the marks beside years mean, for the years shown."""
    notes = []
    if b.rebased_periods:
        notes.append(
            f"{REBASED_MARK}: re-based on {b.base_label} (DfE printed this year's rates on the estimates of the time)."
        )
    if [p for p in b.computed_periods if p not in b.rebased_periods]:
        notes.append(
            f"{COMPUTED_MARK}: rate computed here from DfE's count and ONS's population estimate (DfE printed no rate)."
        )
    return notes


# --------------------------------------------------------------------------- display tables


def neighbour_table(b: LacBenchmark) -> pd.DataFrame:
    """The LA and its neighbours in the year: count, rate, rank (1 = lowest) and closeness. An
    authority whose figure is withheld stays in the table with its marker."""
    t = b.neighbour_table.copy()
    t["rank"] = t["value"].rank(method="min")
    t = t.sort_values(["value", "sn_rank"], na_position="last")
    out = pd.DataFrame(
        {
            "Rank (1 = lowest)": [numbers.fmt(r, 0, status=s) for r, s in zip(t["rank"], t["status"])],
            "Local authority": t["area_name"] + np.where(t["la_number"] == b.la.la_number, " (this authority)", ""),
            "Neighbour (closeness)": [
                ("-" if r == 0 else f"{r} ({c.lower()})" if c else str(r)) for r, c in zip(t["sn_rank"], t["closeness"])
            ],
            "Looked after": [numbers.fmt_measure(v, COUNT, status=s) for v, s in zip(t["count"], t["count_status"])],
            "Rate per 10,000": [numbers.fmt_measure(v, RATE, status=s) for v, s in zip(t["value"], t["status"])],
        }
    )
    out.attrs["marker_notes"] = _marker_notes(b)
    return out


def travel_table(b: LacBenchmark) -> pd.DataFrame:
    """Direction of travel of the rate over 1, 3 and 5 years; changes are those of the printed
    figures; a percentage change on fewer than 20 children is marked ``!``."""
    t = b.travel
    rows = []
    for _, r in t.iterrows():
        p = int(r["from_period"])
        before = not b.la.existed_in(p)
        rows.append(
            {
                "Over": f"{int(r['span_years'])} year{'s' if r['span_years'] > 1 else ''}",
                "From": f"{p}: before {b.la.name} existed"
                if before
                else f"{numbers.fmt_measure(r['from_value'], RATE, status=r['from_status'])} in {_year_label(p, b)}",
                f"To ({b.period})": numbers.fmt_measure(r["to_value"], RATE, status=r["to_status"]),
                "Change": numbers.fmt(r["change"], 0, sign=True),
                "Change %": numbers.fmt(r["pct_change"], 1, sign=True, unit="%")
                + (f" {SMALL_MARK}" if r["small_numbers"] and not np.isnan(r["pct_change"]) else ""),
                "Direction": "not applicable" if before else r["direction"],
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["marker_notes"] = _marker_notes(b)
    notes = year_footnotes(b)
    if any(c.endswith(SMALL_MARK) for c in out.get("Change %", [])):
        notes.append(
            f"{SMALL_MARK}: fewer than {benchmarks.SMALL_NUMBERS} children in one of the years: a percentage change "
            "on so few children is not a reliable guide."
        )
    out.attrs["footnotes"] = notes
    return out


def history_table(b: LacBenchmark) -> pd.DataFrame:
    """Year by year within the window: rate, neighbours' mean, rank among the group and national band.
    A year whose rate is withheld shows the marker in every column that depends on it."""
    h = b.history
    n_group = len(b.neighbour_numbers) + 1
    out = pd.DataFrame(
        {
            "Year": [_year_label(int(p), b) for p in h["period"]],
            "Rate per 10,000": [numbers.fmt_measure(v, RATE, status=s) for v, s in zip(h["rate"], h["status"])],
            "Neighbours' mean": [
                f"{numbers.fmt(m, 1)} ({int(n)} of {len(b.neighbour_numbers)})"
                for m, n in zip(h["neighbours_mean"], h["neighbours_with_value"])
            ],
            f"Rank among {n_group} (1 = lowest)": [
                s if s else f"{int(r)} of {int(n)}" for r, n, s in zip(h["rank"], h["n_ranked"], h["status"])
            ],
            "National quartile band": [s if s else (bd or "x") for bd, s in zip(h["band"], h["status"])],
        }
    )
    out.attrs["marker_notes"] = _marker_notes(b)
    note = benchmarks.printed_note(b.data, RATE, b.la.la_number, b.la.name, b.period, b.base_label)
    out.attrs["footnotes"] = year_footnotes(b) + ([note] if note else [])
    return out


def provenance(b: LacBenchmark, parameters: dict, f: LacFlows | None = None, o: LacOutlook | None = None):
    """Title, parameters, publications and the headline figures (JSON record) for the report; with
    the flows ``f`` and the outlook ``o``, LAIT among the sources and their figures in the record."""
    from csdemand.present.html import Provenance, sources_used

    shown = b.data[(b.data["measure"].isin([COUNT, RATE])) & (b.data["period"] <= b.period)]
    used = sources_used(shown)
    if f is not None or o is not None:
        known = {s["id"] for s in used}
        used += [s for s in sources_used(pd.DataFrame({"source": ["lait", "ons_pop_2024"]})) if s["id"] not in known]
    return Provenance(
        title=f"Children looked after: {b.la.name}, {b.period}",
        subtitle=(
            "Numbers and rates per 10,000 children at 31 March, against statistical neighbours, "
            f"{'London' if b.la.region_name == 'London' else 'the ' + b.la.region_name} and England"
        ),
        parameters={
            **parameters,
            "resolved period": b.period,
            **({"statistical neighbour model used": b.model} if b.model != b.model_requested else {}),
        },
        sources=used + [codes.neighbour_source(b.model)],
        notes=[
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education; Office for National Statistics."
        ],
        figures=figures(b) + (flow_figures(f) if f is not None else []) + (outlook_figures(o) if o is not None else []),
    )


def flow_figures(f: LacFlows) -> list:
    """Children starting and ceasing in the year, with their rates and comparators, as data."""
    from csdemand.present.html import Figure

    if f.refused:
        return []
    common = dict(area_code=f.la.area_code, period=str(f.period), la_number=f.la.la_number)
    out = []
    for count, rate, label in (
        (STARTS, START_RATE, "Children who started to be looked after in the year"),
        (CEASES, CEASE_RATE, "Children who ceased to be looked after in the year"),
    ):
        c, r = f.flows[count], f.flows[rate]
        out.append(
            Figure(
                count,
                value=c.value,
                status=c.status,
                label=label,
                unit="children",
                comparators={
                    "rate_per_10000": r.value,
                    "neighbours_mean_rate": r.neighbours.mean,
                    "england_rate": r.england,
                    "england": c.england,
                },
                **common,
            )
        )
    return out


def outlook_figures(o: LacOutlook) -> list:
    """The first projected year: the forecast (or the centre of the range) with its intervals, and
    whether it is a forecast or a range; the cost of that year where projected."""
    from csdemand.present.html import Figure

    if o.refused or o.frame.empty:
        return []
    first = o.frame.iloc[0]
    y = int(first["period"])
    cost = o.cost.frame.iloc[0] if o.cost is not None and not o.cost.frame.empty else None
    return [
        Figure(
            "cla_count_projected",
            value=float(first["forecast"]),
            label=f"Children looked after at 31 March {y}: " + ("projection" if o.forecast else "centre of the range"),
            unit="children",
            area_code=o.la.area_code,
            period=str(y),
            la_number=o.la.la_number,
            comparators={
                "lo80": first["lo80"],
                "hi80": first["hi80"],
                "lo95": first["lo95"],
                "hi95": first["hi95"],
                "cost": cost["cost"] if cost is not None else None,
                "cost_lo80": cost["cost_lo80"] if cost is not None else None,
                "cost_hi80": cost["cost_hi80"] if cost is not None else None,
            },
            flags={
                "kind": "forecast" if o.forecast else "range",
                "method": o.method or "naive",
                "origin": str(o.period),
            },
        )
    ]


def figures(b: LacBenchmark) -> list:
    """The headline figures as data (:class:`csdemand.present.Figure`) for the JSON record."""
    from csdemand.present.html import Figure

    avg = b.neighbour_average
    t = b.travel.set_index("span_years")
    rank = "" if b.withheld or not b.rank else f"{b.rank} of {b.n_ranked}"
    common = dict(area_code=b.la.area_code, period=str(b.period), la_number=b.la.la_number)
    return [
        Figure(
            COUNT,
            value=b.count,
            status=b.count_status,
            label=codes.measure(COUNT)["label"],
            unit="children",
            comparators={"england": b.england_count},
            **common,
        ),
        Figure(
            RATE,
            value=b.rate,
            status=b.rate_status,
            label=codes.measure(RATE)["label"],
            unit="per 10,000",
            comparators={
                "neighbours_mean": avg.mean,
                "neighbours_median": avg.median,
                "region": b.region_rate,
                "england": b.england_rate,
                "published": b.rate_published,
            },
            flags={
                "rank": rank,
                "band": b.band.band,
                "funnel": _position(b),
                "rebased": "yes" if b.rate_rebased else "",
                "change_1y": t.loc[1, "direction"] if 1 in t.index else "",
                "change_5y": t.loc[5, "direction"] if 5 in t.index else "",
            },
            **common,
        ),
    ]


def _position(b: LacBenchmark) -> str:
    """Where the authority sits on the funnel ("" where it is not on it)."""
    pts = b.funnel_points.set_index("la_number")["position"] if not b.funnel_points.empty else pd.Series(dtype=str)
    return str(pts.get(b.la.la_number, ""))


def headlines(b: LacBenchmark) -> list[tuple[str, str, str]]:
    """Headline tiles: (label, figure, note). A withheld figure reads as its marker in words."""
    from csdemand.present.html import fmt_number

    avg = b.neighbour_average
    note = b.marker_note
    if b.withheld:
        rate_note = f"{b.period}: not published for {b.la.name}"
    elif b.rate_rebased:
        rate_note = f"re-based on {b.base_label}; DfE printed {numbers.fmt_measure(b.rate_published, RATE)}"
    else:
        rate_note = "computed here" if b.rate_computed else "DfE published"
    rank = (
        ("not ranked", f"its {b.period} rate is {fmt_number(np.nan, status=b.rate_status or 'x', note=note)}")
        if b.withheld or not b.rank
        else (f"{b.rank} of {b.n_ranked} / {b.band.band}", "1 = lowest rate; band A = lowest quarter")
    )
    return [
        (f"Looked after, 31 March {b.period}", fmt_number(b.count, status=b.count_status, note=note), b.la.name),
        ("Rate per 10,000 children", fmt_number(b.rate, status=b.rate_status, note=note), rate_note),
        (
            "Statistical neighbours' mean",
            fmt_number(avg.mean, 1),
            f"median {numbers.fmt(avg.median, 1)}; {avg.n_with_value} of {avg.n_neighbours} with data"
            if avg.n_with_value
            else "no neighbour has a figure",
        ),
        (
            "England",
            fmt_number(b.england_rate, numbers.decimals_of(RATE)),
            f"{b.la.region_name} {fmt_number(b.region_rate, numbers.decimals_of(RATE))}",
        ),
        (f"Rank among {len(b.neighbour_numbers) + 1} / national band", *rank),
    ]


def trend_chart(b: LacBenchmark):
    """The rate over time against the comparators (:func:`csdemand.present.charts.trend_chart`),
    up to the briefing's year, with computed and re-based years marked and withheld years' markers."""
    from csdemand.present import charts

    statuses = benchmarks.area_statuses(b.data, RATE, la_number=b.la.la_number)
    return charts.trend_chart(
        b.comparison,
        b.la.name,
        b.la.region_name,
        "Rate per 10,000 children",
        b.computed_periods,
        decimals=numbers.decimals_of(RATE),
        rebased_periods=b.rebased_periods,
        la_statuses=statuses,
    )


def neighbour_chart(b: LacBenchmark):
    """Bars for the authority and its neighbours in the year (withheld figures as markers)."""
    from csdemand.present import charts

    return charts.neighbour_bars(
        b.neighbour_table,
        b.la.la_number,
        b.england_rate,
        b.neighbour_average.mean,
        "Rate per 10,000 children",
        b.period,
        decimals=numbers.decimals_of(RATE),
    )


def funnel_section(b: LacBenchmark):
    """The funnel plot of every authority's rate in the year, or a sentence where no authority has
    a rate (2011-2012: no population estimate is held)."""
    from csdemand.present import charts
    from csdemand.present.html import Html

    if b.funnel_points.empty or numbers.is_missing(b.target_rate):
        return Html(
            f'<p class="footnote">No funnel plot for {b.period}: no authority has a rate per 10,000 for that year in '
            "the data.</p>"
        )
    return charts.funnel_chart(
        b.funnel_points,
        b.la.la_number,
        b.neighbour_numbers,
        b.target_rate,
        b.overdispersion.tau2,
        "Rate per 10,000 children",
        b.period,
    )


# =========================================================================== why numbers move (issue 12, item 6)
#
# The flow behind the stock, the placement mix, the unit cost and the workforce, all from LAIT's
# tidy table (``store.load("lait")``; LAIT prints ``-`` for suppressed, not available and not
# applicable alike, kept here as the status ``-``). Reporting year ``t`` (to 31 March ``t``) for
# flows, placements and costs (the outturn of the financial year ending in March ``t``); the
# workforce census is at 30 September ``t``.

#: LAIT codes of the flows: the stock at 31 March, children starting and ceasing in the year and
#: their rates per 10,000 children (LAIT's rates begin in 2018; earlier ones are computed here).
STOCK, STARTS, CEASES = "LACnum", "LACnum_Start", "LACceased"
START_RATE, CEASE_RATE = "LAC_Start_Rate", "LAC_Cease_Rate"
#: Derived here for every authority and England (so the neighbours' mean is a mean of their own).
NET, NET_RATE = "net_change", "net_change_rate"
REFERRALS_PER_SW = "referrals_per_social_worker"
#: Placements at 31 March, % of the children looked after (DfE's categories as LAIT holds them).
PLACEMENTS: tuple[tuple[str, str], ...] = (
    ("LAC_Foster_Placements", "Foster care"),
    ("LAC_SecHome_And_ChildHome", "Secure units and children's homes"),
    ("LAC_Ind_SInd_Liv_Arr", "Independent and semi-independent living, supported accommodation"),
    ("LAC_Parents_OR_Others", "Placed with parents or others with parental responsibility"),
    ("LAC_Other_Res_Settings", "Other residential settings"),
    ("LAC_Other_Place_Inc_Unreg", "Other placements"),
)
UASC_COUNT, UASC_SHARE, UASC_STARTING = "Unacc_Asylmn_Seek_Childn", "Unacc_Asylmn_Seek_Childn%", "UASC_%_Starting"
UNIT_COST, TOTAL_SPEND = "LACFinance", "TotalLACFinance"
REFERRALS, SOCIAL_WORKERS = "CPP_Total_NumRef", "Work_Force_NoSW"
WORKFORCE: tuple[tuple[str, str, str], ...] = (
    ("Work_Force_AvgNumCase_SW", "Average caseload (cases per social worker)", ""),
    ("Work_Force_Agecy_Rate", "Agency social workers", "%"),
    ("Work_Force_Vac_Rate", "Vacancy rate", "%"),
    ("Work_Force_TO_Rate", "Turnover rate", "%"),
    (SOCIAL_WORKERS, "Social workers (full-time equivalent)", ""),
)
#: Decimals as DfE prints each figure for an authority and England (LAIT's dictionary says 1 for
#: most, but the looked-after counts, rates and shares are published as whole numbers).
DECIMALS: dict[str, int] = {
    STOCK: 0,
    STARTS: 0,
    CEASES: 0,
    START_RATE: 0,
    CEASE_RATE: 0,
    NET: 0,
    NET_RATE: 0,
    UASC_COUNT: 0,
    UASC_SHARE: 0,
    UASC_STARTING: 0,
    UNIT_COST: 0,
    TOTAL_SPEND: 0,
    REFERRALS: 0,
    REFERRALS_PER_SW: 1,
    **{code: 0 for code, _ in PLACEMENTS},
    **{code: 1 for code, _, _ in WORKFORCE},
}
COUNT_MEASURES = (STOCK, STARTS, CEASES, UASC_COUNT, REFERRALS)
LAIT_MEASURES = tuple(
    dict.fromkeys(
        (
            STOCK,
            STARTS,
            CEASES,
            START_RATE,
            CEASE_RATE,
            UASC_COUNT,
            UASC_SHARE,
            UASC_STARTING,
            UNIT_COST,
            TOTAL_SPEND,
            REFERRALS,
            *(c for c, _ in PLACEMENTS),
            *(c for c, _, _ in WORKFORCE),
        )
    )
)
#: LAIT's flows begin in 2016: the first year with an opening stock is 2017.
FIRST_FLOW_YEAR = 2016
NOT_PUBLISHED = "-"


@dataclass(frozen=True)
class Compared:
    """One figure for an authority and year beside its comparators: ``value`` (NaN where withheld,
    the marker in ``status``: ``-`` where LAIT prints no value, ``c`` where a count is 1 to 5),
    the statistical neighbours' mean (with how many had a value) and England. ``computed``: the
    authority's figure is computed here (a rate LAIT does not hold for the year)."""

    measure: str
    period: int
    value: float
    status: str
    neighbours: benchmarks.NeighbourAverage
    england: float
    england_status: str
    decimals: int
    computed: bool = False

    @property
    def has_value(self) -> bool:
        return not self.status and not numbers.is_missing(self.value)


class LaitFigures:
    """LAIT's figures of :data:`LAIT_MEASURES` for every authority and England, with the measures
    derived here (:data:`NET`, :data:`NET_RATE`, :data:`REFERRALS_PER_SW`, rates for the years
    LAIT holds none), looked up by measure and year."""

    def __init__(self, lait: pd.DataFrame, population: pd.DataFrame | None = None):
        tidy.require_columns(
            lait,
            {"la_number", "geographic_level", "area_code", "period", "measure", "value", "status"},
            "LAIT",
            "a tidy table (csdemand.core.tidy), as store.load('lait') gives",
        )
        rows = lait[lait["measure"].isin(LAIT_MEASURES)]
        rows = rows[(rows["geographic_level"] == "la") | (rows["area_code"] == benchmarks.ENGLAND)]
        status = rows["status"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        value = rows["value"].astype(float).to_numpy()
        value = np.where(status == "", value, np.nan)
        # Primary suppression again on loading, as for DfE's own tables: an LA count of 1 to 5 is c.
        la_level = (rows["geographic_level"] == "la").to_numpy()
        small = la_level & rows["measure"].isin(COUNT_MEASURES).to_numpy() & (value >= 1) & (value <= 5)
        status = np.where(small, "c", status)
        value = np.where(small, np.nan, value)
        key = np.where(la_level, rows["la_number"].fillna(-1).astype(int).to_numpy(), 0)  # 0 = England
        long = pd.DataFrame(
            {
                "key": key,
                "period": rows["period"].astype(int).to_numpy(),
                "measure": rows["measure"].astype(str).to_numpy(),
                "value": value.astype(float),
                "status": status,
            }
        ).drop_duplicates(["key", "period", "measure"], keep="last")
        self.values = long.pivot(index=["key", "period"], columns="measure", values="value")
        self.statuses = long.pivot(index=["key", "period"], columns="measure", values="status")
        for m in LAIT_MEASURES:
            if m not in self.values:
                self.values[m] = np.nan
                self.statuses[m] = np.nan
        self.computed: set[tuple[int, int, str]] = set()
        self._derive(population)

    def _derive(self, population: pd.DataFrame | None) -> None:
        v = self.values
        # Rates LAIT does not hold (2016-2017): count / ONS 0-17 for mid-(t-1) x 10,000, marked computed.
        if population is not None and len(population):
            pop = population[population["measure"] == "population_0_17"]
            pop = pop[(pop["geographic_level"] == "la") | (pop["area_code"] == benchmarks.ENGLAND)]
            pop = pop[pop["status"].fillna("") == ""]
            pkey = np.where(
                pop["geographic_level"].to_numpy() == "la", pop["la_number"].fillna(-1).astype(int).to_numpy(), 0
            )
            p = pd.Series(
                pop["value"].astype(float).to_numpy(),
                index=pd.MultiIndex.from_arrays([pkey, pop["period"].astype(int).to_numpy() + 1]),
            )
            p = p[~p.index.duplicated(keep="last")].reindex(v.index)
            for count, rate in ((STARTS, START_RATE), (CEASES, CEASE_RATE)):
                fill = v[rate].isna() & v[count].notna() & p.notna().to_numpy() & self.statuses[rate].isna()
                v.loc[fill, rate] = (v.loc[fill, count] / p[fill] * 10_000).to_numpy()
                self.computed.update((int(k), int(y), rate) for k, y in v.index[fill])
        v[NET] = v[STARTS] - v[CEASES]
        v[NET_RATE] = v[START_RATE].map(numbers.round_half_up) - v[CEASE_RATE].map(numbers.round_half_up)
        # Referrals in the year to 31 March t per FTE social worker at 30 September t-1 (mid-year).
        fte_before = v[SOCIAL_WORKERS].groupby(level=0).shift(1)
        v[REFERRALS_PER_SW] = v[REFERRALS] / fte_before.where(fte_before > 0)
        for m in (NET, NET_RATE, REFERRALS_PER_SW):
            self.statuses[m] = ""

    def la_values(self, measure: str, period: int) -> pd.Series:
        """Every authority's published value (NaN dropped), indexed by LA number."""
        try:
            s = self.values[measure].xs(int(period), level="period")
        except KeyError:
            return pd.Series(dtype=float)
        return s[s.index > 0].dropna()

    def value(self, measure: str, key: int, period: int) -> tuple[float, str]:
        """(value, status) of one authority (``key`` = LA number; 0 = England) in a year: the
        status is ``""`` with a value, else the marker (``-`` where LAIT has no row or prints ``-``)."""
        idx = (int(key), int(period))
        if idx not in self.values.index:
            return math.nan, NOT_PUBLISHED
        v = self.values.at[idx, measure]
        st = self.statuses.at[idx, measure]
        st = "" if numbers.is_missing(st) else str(st)
        if numbers.is_missing(v):
            return math.nan, st or NOT_PUBLISHED
        return float(v), ""

    def series(self, measure: str, key: int) -> pd.Series:
        """One authority's (or England's, ``key`` 0) values by year (NaN where not published)."""
        try:
            return self.values[measure].xs(int(key), level="key").sort_index()
        except KeyError:
            return pd.Series(dtype=float)

    def compare(self, measure: str, la_number: int, neighbour_numbers: list[int], period: int) -> Compared:
        """:class:`Compared` for one measure, authority and year."""
        value, status = self.value(measure, la_number, period)
        eng, eng_status = self.value(measure, 0, period)
        return Compared(
            measure=measure,
            period=int(period),
            value=value,
            status=status,
            neighbours=benchmarks.neighbour_average(self.la_values(measure, period), neighbour_numbers),
            england=eng,
            england_status=eng_status,
            decimals=DECIMALS.get(measure, 1),
            computed=(int(la_number), int(period), measure) in self.computed,
        )


@dataclass
class LacFlows:
    """Why the number looked after moves, for one authority and year (:func:`flows`).

    ``refused``: why the section cannot be shown ("" when it can). ``flows``: starts, ceases and net
    change, counts and rates per 10,000, by measure code; ``history``: the authority's flows year by
    year with its neighbours' mean and England's rates; ``reconciliation``: last year's stock plus
    starts minus ceases against this year's stock, year by year; ``gap_all``: this year's
    difference (% of the opening stock) for every authority with the figures."""

    la: areas_mod.LocalAuthority
    period: int
    model: str
    neighbour_numbers: list[int]
    refused: str
    flows: dict[str, Compared] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    gap_all: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    placements: list[Compared] = field(default_factory=list)
    placement_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    uasc: dict[str, Compared] = field(default_factory=dict)
    unit_cost: Compared | None = None
    unit_cost_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    total_spend: Compared | None = None
    workforce: list[Compared] = field(default_factory=list)
    referrals_per_sw: Compared | None = None
    referral_inputs: dict = field(default_factory=dict)  # referrals in the year, FTE social workers a September before
    computed_years: list[int] = field(default_factory=list)  # years whose rates are computed here


def _figures(lait: pd.DataFrame | None, population: pd.DataFrame | None) -> LaitFigures:
    return LaitFigures(
        store.load("lait") if lait is None else lait, store.load("population") if population is None else population
    )


def flows(
    b: LacBenchmark, lait: pd.DataFrame | None = None, population: pd.DataFrame | None = None, years: int = 10
) -> LacFlows:
    """Every figure of "Why numbers move" for the benchmark's authority, year and neighbours."""
    la, year, nbrs = b.la, b.period, b.neighbour_numbers
    base = LacFlows(la, year, b.model, nbrs, refused="")
    if year < FIRST_FLOW_YEAR:
        base.refused = (
            f"LAIT's figures of children starting and ceasing to be looked after, placements, costs and the "
            f"workforce begin in {FIRST_FLOW_YEAR}, so this section starts with the {FIRST_FLOW_YEAR} briefing."
        )
        return base
    f = _figures(lait, population)
    if f.series(STOCK, la.la_number).dropna().empty and f.series(STARTS, la.la_number).dropna().empty:
        base.refused = (
            f"LAIT publishes no figures of children starting or ceasing to be looked after for {la.name}, so this "
            "section cannot be shown."
        )
        return base
    cmp = {m: f.compare(m, la.la_number, nbrs, year) for m in (STARTS, CEASES, NET, START_RATE, CEASE_RATE, NET_RATE)}
    first = max(FIRST_FLOW_YEAR, year - years + 1)
    hist_rows = []
    for y in range(first, year + 1):
        row: dict = {"period": y}
        for m in (STOCK, STARTS, CEASES, START_RATE, CEASE_RATE):
            v, st = f.value(m, la.la_number, y)
            row[m], row[f"{m}_status"] = v, st
        for m in (START_RATE, CEASE_RATE):
            row[f"{m}_neighbours"] = benchmarks.neighbour_average(f.la_values(m, y), nbrs).mean
            row[f"{m}_england"] = f.value(m, 0, y)[0]
        row["computed"] = any((la.la_number, y, m) in f.computed for m in (START_RATE, CEASE_RATE))
        hist_rows.append(row)
    history = pd.DataFrame(hist_rows)
    # Existence: the years before an authority was created (or after it was abolished) are not its history.
    history = history[[la.existed_in(int(p)) for p in history["period"]]].reset_index(drop=True)
    return LacFlows(
        la=la,
        period=year,
        model=b.model,
        neighbour_numbers=nbrs,
        refused="",
        flows=cmp,
        history=history,
        reconciliation=reconcile(f, la.la_number, first, year),
        gap_all=_gaps_all(f, year),
        placements=[f.compare(code, la.la_number, nbrs, year) for code, _ in PLACEMENTS],
        placement_history=_placement_history(f, la.la_number, first, year),
        uasc={m: f.compare(m, la.la_number, nbrs, year) for m in (UASC_COUNT, UASC_SHARE, UASC_STARTING)},
        unit_cost=f.compare(UNIT_COST, la.la_number, nbrs, year),
        unit_cost_history=_unit_cost_history(f, la.la_number, nbrs, max(first, year - 4), year),
        total_spend=f.compare(TOTAL_SPEND, la.la_number, nbrs, year),
        workforce=[f.compare(code, la.la_number, nbrs, year) for code, _, _ in WORKFORCE],
        referrals_per_sw=f.compare(REFERRALS_PER_SW, la.la_number, nbrs, year),
        referral_inputs={
            "referrals": f.value(REFERRALS, la.la_number, year),
            "social_workers": f.value(SOCIAL_WORKERS, la.la_number, year - 1),
        },
        computed_years=sorted(int(p) for p in history.loc[history["computed"], "period"]) if len(history) else [],
    )


def reconcile(f: LaitFigures, la_number: int, first: int, last: int) -> pd.DataFrame:
    """Last year's stock + starts - ceases against this year's stock, for each year from ``first``
    (from its second year: the first has no opening stock) to ``last``: ``period``, ``opening``,
    ``starts``, ``ceases``, ``expected``, ``stock``, ``difference`` (stock - expected, children)
    and ``difference_pct`` (% of the opening stock). NaN where a figure is not published."""
    rows = []
    for y in range(max(first, FIRST_FLOW_YEAR + 1), last + 1):
        opening = f.value(STOCK, la_number, y - 1)[0]
        starts, ceases, stock = (f.value(m, la_number, y)[0] for m in (STARTS, CEASES, STOCK))
        expected = opening + starts - ceases
        diff = stock - expected
        rows.append(
            {
                "period": y,
                "opening": opening,
                "starts": starts,
                "ceases": ceases,
                "expected": expected,
                "stock": stock,
                "difference": diff,
                "difference_pct": diff / opening * 100 if opening and not numbers.is_missing(opening) else math.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["period", "opening", "starts", "ceases", "expected", "stock", "difference", "difference_pct"],
    )


def _gaps_all(f: LaitFigures, year: int) -> pd.Series:
    """Every authority's difference between its stock and last year's stock + starts - ceases in
    ``year``, as % of the opening stock (authorities with all four figures)."""
    opening = f.la_values(STOCK, year - 1)
    parts = pd.concat(
        {"opening": opening, **{m: f.la_values(m, year) for m in (STARTS, CEASES, STOCK)}}, axis=1
    ).dropna()
    parts = parts[parts["opening"] > 0]
    return (parts[STOCK] - (parts["opening"] + parts[STARTS] - parts[CEASES])) / parts["opening"] * 100


def _placement_history(f: LaitFigures, la_number: int, first: int, last: int) -> pd.DataFrame:
    """The authority's placement shares (%) by year: one row per year, one column per placement code,
    with ``<code>_status``; only years in which any share is published."""
    rows = []
    for y in range(first, last + 1):
        row: dict = {"period": y}
        for code, _ in PLACEMENTS:
            row[code], row[f"{code}_status"] = f.value(code, la_number, y)
        if any(not numbers.is_missing(row[c]) for c, _ in PLACEMENTS):
            rows.append(row)
    return pd.DataFrame(rows)


def _unit_cost_history(f: LaitFigures, la_number: int, nbrs: list[int], first: int, last: int) -> pd.DataFrame:
    """Weekly unit cost by outturn year: the authority (with its marker), its neighbours' mean and England."""
    rows = []
    for y in range(first, last + 1):
        c = f.compare(UNIT_COST, la_number, nbrs, y)
        rows.append(
            {
                "period": y,
                "value": c.value,
                "status": c.status,
                "neighbours_mean": c.neighbours.mean,
                "neighbours_with_value": c.neighbours.n_with_value,
                "england": c.england,
            }
        )
    return pd.DataFrame(rows)


# =========================================================================== where numbers are heading (issue 13)

#: Scenario changes are relative (-0.10 = 10% fewer); a change of -100% or less, or above +100%,
#: is refused (probably a percentage typed as a whole number).
SCENARIO_LIMITS = (-1.0, 1.0)


@dataclass
class LacOutlook:
    """Where the number looked after is heading, for one authority (:func:`outlook`).

    ``forecast``: True where a method beat the naive projection in the backtest and ``frame`` is its
    forecast; False where none did and ``frame`` is the calibrated range around the latest figure
    (the naive projection with the intervals of past year-to-year errors): a range to plan within,
    not a forecast. ``frame``: ``period``, ``horizon``, ``forecast``, ``lo80``, ``hi80``, ``lo95``,
    ``hi95`` (children at 31 March). ``rates``: per year, the authority's rate per 10,000
    (published years, then projected: ``la``, ``la_lo80``, ``la_hi80``) and its neighbours' mean
    on the same basis (``neighbours``); ``actual``: published figures after the origin (a past
    year's briefing). ``refused``: why there is no section ("" if there is one)."""

    la: areas_mod.LocalAuthority
    period: int
    last_year: int
    refused: str
    judgement: object = None  # projection.Judgement
    method: str | None = None
    forecast: bool = False
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    actual: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    neighbours_projected: int = 0
    cost: object = None  # projection.CostProjection
    cost_note: str = ""
    accuracy: dict = field(default_factory=dict)
    hindcast: pd.DataFrame = field(default_factory=pd.DataFrame)
    hindcast_origin: int | None = None
    hindcast_note: str = ""
    scenario: object = None  # projection.Scenario
    scenario_note: str = ""
    start_change: float = 0.0
    cease_change: float = 0.0
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # the backtest table
    unit_cost_table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    unit_cost_method: str = ""
    naive_mdape: float = math.nan  # the naive projection's 1-year median error in the backtest, %

    @property
    def shown(self) -> bool:
        return not self.refused and not self.frame.empty


def check_scenario(value: float, name: str) -> float:
    """A scenario parameter as a relative change, or a clear error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"the scenario parameter {name} must be a number",
            column=name,
            value=value,
            expected="a fraction above -1 and at most 1: -0.10 for 10% fewer, 0.05 for 5% more",
        ) from None
    lo, hi = SCENARIO_LIMITS
    if not (lo < v <= hi) or math.isnan(v):
        raise InputError(
            f"the scenario parameter {name} is a relative change",
            column=name,
            value=value,
            expected="a fraction above -1 and at most 1: -0.10 for 10% fewer, 0.05 for 5% more",
        )
    return v


def _histories(lait: pd.DataFrame | None, population: pd.DataFrame | None):
    from csdemand.methods import projection

    return projection.histories(
        store.load("lait") if lait is None else lait, store.load("population") if population is None else population
    )


def _rate_history(hist: pd.DataFrame, la_numbers: list[int], last: int) -> pd.Series:
    """Mean over ``la_numbers`` of each one's stock / child population x 10,000, by year to ``last``."""
    rows = hist[hist["la_number"].isin(la_numbers) & (hist["period"] <= last)]
    rate = rows["stock"] / rows["population"] * 10_000
    return rate.groupby(rows["period"]).mean()


def outlook(
    b: LacBenchmark,
    scenario_starts: float = 0.0,
    scenario_ceases: float = 0.0,
    lait: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    hist: pd.DataFrame | None = None,
) -> LacOutlook:
    """The projection (or the range to plan within), its cost, the neighbours' projected rate, how
    accurate the method has been for authorities like this one, the projection from three years
    before beside what happened, and a scenario where ``scenario_starts`` / ``scenario_ceases``
    (relative changes in the starting rate and the ceasing share from next year) are set.

    From the briefing's year (its origin): the latest year gives the live projection; an earlier
    year gives the range as it was known then, beside what happened (no cost or scenario).
    ``hist``: :func:`csdemand.methods.projection.histories`' frame, if already made (else built from
    ``lait`` and ``population``, by default the shipped tables)."""
    from csdemand.methods import projection

    starts = check_scenario(scenario_starts, "scenario_starts")
    ceases = check_scenario(scenario_ceases, "scenario_ceases")
    la, origin = b.la, b.period
    hist = _histories(lait, population) if hist is None else hist
    bt = projection.backtest(hist)
    t = bt.table
    naive1 = t[(t["method"] == "naive") & (t["horizon"] == 1)]
    out = LacOutlook(
        la=la,
        period=origin,
        last_year=bt.last_year,
        refused="",
        judgement=bt.judgement,
        start_change=starts,
        cease_change=ceases,
        table=t,
        unit_cost_table=bt.unit_cost_table,
        unit_cost_method=bt.unit_cost_method,
        naive_mdape=float(naive1["mdape"].iloc[0]) if len(naive1) else math.nan,
    )
    first_year = int(hist["period"].min())
    if origin > bt.last_year:
        out.refused = f"LAIT's figures end in {bt.last_year}, so there is no projection from {origin}."
        return out
    if origin - first_year + 1 < projection.MIN_PROJECTION_YEARS:
        out.refused = (
            f"Projections use LAIT's series of children looked after, which begins in {first_year}; a projection "
            f"needs {projection.MIN_PROJECTION_YEARS} years, so the first briefing with one is "
            f"{first_year + projection.MIN_PROJECTION_YEARS - 1}."
        )
        return out
    if la.la_number not in set(hist["la_number"]):
        out.refused = f"LAIT holds no figures of children looked after for {la.name}, so there is no projection."
        return out
    h = projection.authority(hist, la.la_number)
    why = projection.eligibility(h, origin)
    if why:
        out.refused = why
        return out
    method = bt.judgement.default
    use = method or "naive"
    out.method, out.forecast = method, method is not None
    out.frame = projection.project_method(hist, la.la_number, use, bt, origin=origin)
    out.history = h["stock"].loc[:origin].dropna()
    out.actual = h["stock"].loc[origin + 1 :].dropna()
    out.rates, out.neighbours_projected = _outlook_rates(hist, bt, la.la_number, b.neighbour_numbers, use, origin)
    # One figure, one value: published years show the rates the benchmark shows (DfE's, on one
    # population base, and the mean of the neighbours' printed rates), not recomputed ones.
    wide = b.comparison.pivot(index="period", columns="comparator", values="value")
    past = ~out.rates["projected"]
    for col, comp in (("la", "la"), ("neighbours", "neighbours_mean")):
        if comp in wide:
            shown = out.rates.loc[past, "period"].map(wide[comp])
            out.rates.loc[past, col] = shown.where(shown.notna(), out.rates.loc[past, col])
    out.accuracy = projection.accuracy_like(bt, hist, la.la_number, use)
    # The projection from three years before, beside what happened (Manchester: 2022 -> 2023-2025).
    back = origin - 3 if origin == bt.last_year else None
    if back is not None and len(projection.run_to(h, back)) >= projection.MIN_BACKTEST_YEARS:
        out.hindcast = projection.hindcast(hist, la.la_number, bt, back)
        out.hindcast_origin = back
    elif back is not None:
        out.hindcast_note = (
            f"{la.name} has too short a history to {back} for a projection from {back} to set beside what happened."
        )
    if origin == bt.last_year:
        out.cost = projection.project_cost(hist, la.la_number, out.frame, bt, method=use)
        if starts or ceases:
            out.scenario = projection.scenario(hist, la.la_number, bt, start_change=starts, cease_change=ceases)
    else:
        out.cost_note = (
            f"Costs and scenarios are projected from the latest published year ({bt.last_year}): see the "
            f"{bt.last_year} briefing."
        )
        if starts or ceases:
            out.scenario_note = (
                f"The scenario parameters apply to the projection from {bt.last_year}, the latest published year; "
                f"this briefing is for {origin}, so no scenario is drawn."
            )
    return out


def _outlook_rates(
    hist: pd.DataFrame, bt, la_number: int, nbrs: list[int], method: str, origin: int
) -> tuple[pd.DataFrame, int]:
    """The authority's rate per 10,000 (published to ``origin``, then projected with its 80%
    interval) and its neighbours' mean on the same basis (each neighbour with a projection of its
    own by ``method``), by year; and how many neighbours were projected."""
    from csdemand.methods import projection

    own = projection.projected_rate(hist, la_number, projection.project_method(hist, la_number, method, bt, origin))
    past = _rate_history(hist, [la_number], origin)
    nb_past = _rate_history(hist, nbrs, origin)
    projected = []
    for n in nbrs:
        if n not in set(hist["la_number"]) or projection.eligibility(projection.authority(hist, n), origin):
            continue
        f = projection.project_method(hist, n, method, bt, origin)
        projected.append(projection.projected_rate(hist, n, f).set_index("period")["forecast"])
    nb_future = pd.concat(projected, axis=1).mean(axis=1) if projected else pd.Series(dtype=float)
    years = list(past.index) + list(own["period"])
    out = pd.DataFrame({"period": years})
    out["projected"] = out["period"] > origin
    out["la"] = [past.get(y, np.nan) for y in past.index] + own["forecast"].tolist()
    out["la_lo80"] = [np.nan] * len(past) + own["lo80"].tolist()
    out["la_hi80"] = [np.nan] * len(past) + own["hi80"].tolist()
    out["neighbours"] = [nb_past.get(y, np.nan) for y in past.index] + [nb_future.get(y, np.nan) for y in own["period"]]
    return out, len(projected)


# --------------------------------------------------------------------------- display: why numbers move


def _nb_cell(c: Compared, decimals: int = 1, unit: str = "") -> str:
    """The neighbours' mean with how many had a figure: '30.2 (10 of 10)'; 'x' where none had."""
    nb = c.neighbours
    if not nb.n_with_value:
        return "x"
    return f"{numbers.fmt(nb.mean, decimals, unit=unit)} ({nb.n_with_value} of {nb.n_neighbours})"


def _lait_footnotes(cells: list[str]) -> list[str]:
    """The footnote for LAIT's '-' where a table shows one."""
    return [f"-: {numbers.MARKER_MEANINGS['-']}."] if any(str(c).strip() == NOT_PUBLISHED for c in cells) else []


def flow_table(f: LacFlows) -> pd.DataFrame:
    """Children starting and ceasing to be looked after in the year and the net change: counts and
    rates per 10,000 children for the authority, its neighbours' mean and England."""
    name, rows = f.la.name, []
    for count, rate, label in (
        (STARTS, START_RATE, "Started to be looked after"),
        (CEASES, CEASE_RATE, "Ceased to be looked after"),
        (NET, NET_RATE, "Net change (started less ceased)"),
    ):
        c, r = f.flows[count], f.flows[rate]
        sign = count == NET
        rows.append(
            {
                "": label,
                f"{name}: children": numbers.fmt(c.value, 0, status=c.status, sign=sign),
                f"{name}: per 10,000": numbers.fmt(r.value, 0, status=r.status, sign=sign)
                + (" *" if r.computed else ""),
                "Neighbours' mean per 10,000": _nb_cell(r) if not sign else _signed_nb(r),
                "England per 10,000": numbers.fmt(r.england, 0, status=r.england_status, sign=sign),
                "England: children": numbers.fmt(c.england, 0, status=c.england_status, sign=sign),
            }
        )
    out = pd.DataFrame(rows)
    notes = _lait_footnotes(out.to_numpy().ravel().tolist())
    if any(f.flows[m].computed for m in (START_RATE, CEASE_RATE)):
        notes.append("*: computed here from LAIT's count and ONS's estimate for the previous mid-year.")
    notes.append(
        "The net change per 10,000 is the starting rate less the ceasing rate as printed; England's counts are "
        "rounded to the nearest 10 by DfE."
    )
    out.attrs["footnotes"] = notes
    return out


def _signed_nb(c: Compared) -> str:
    nb = c.neighbours
    if not nb.n_with_value:
        return "x"
    return f"{numbers.fmt(nb.mean, 1, sign=True)} ({nb.n_with_value} of {nb.n_neighbours})"


def reconciliation_table(f: LacFlows) -> pd.DataFrame:
    """Year by year: the number looked after a year before, plus those who started, less those who
    ceased, against the number published at 31 March, and the difference."""
    r = f.reconciliation
    r = r[r[["opening", "starts", "ceases", "stock"]].notna().any(axis=1)]
    out = pd.DataFrame(
        {
            "Year to 31 March": r["period"].astype(int).astype(str),
            "Looked after a year before": r["opening"].map(lambda v: numbers.fmt(v, 0)),
            "+ started": r["starts"].map(lambda v: numbers.fmt(v, 0)),
            "- ceased": r["ceases"].map(lambda v: numbers.fmt(v, 0)),
            # Where the published number is withheld, last year's number plus starts less ceases would
            # estimate it: the expected number is withheld with it (and a 1 to 5 is c in any case).
            "= expected": [
                "x"
                if numbers.is_missing(v)
                else ("c" if numbers.is_missing(s) or 1 <= numbers.round_half_up(v, 0) <= 5 else numbers.fmt(v, 0))
                for v, s in zip(r["expected"], r["stock"])
            ],
            "Published at 31 March": r["stock"].map(lambda v: numbers.fmt(v, 0)),
            "Difference": r["difference"].map(lambda v: numbers.fmt(v, 0, sign=True)),
            "Difference, % of a year before": r["difference_pct"].map(lambda v: numbers.fmt(v, 1, sign=True, unit="%")),
        }
    )
    notes = []
    if (out["= expected"] == "c").any():
        notes.append(
            "The expected number is withheld (c) where the published number is withheld or the sum is 1 to 5: it "
            "would estimate a suppressed count."
        )
    out.attrs["footnotes"] = notes
    return out


def placement_table(f: LacFlows) -> pd.DataFrame:
    """Where the children looked after at 31 March lived: % in each kind of placement for the
    authority (this year and the first year shown), its neighbours' mean and England."""
    ph = f.placement_history
    first = int(ph["period"].iloc[0]) if len(ph) and int(ph["period"].iloc[0]) < f.period else None
    rows = []
    for c, (code, label) in zip(f.placements, PLACEMENTS):
        row = {
            "Placement at 31 March": label,
            f"{f.la.name} {f.period}": numbers.fmt(c.value, 0, status=c.status, unit="%"),
        }
        if first is not None:
            then = ph.set_index("period").loc[first]
            row[f"{f.la.name} {first}"] = numbers.fmt(then[code], 0, status=then[f"{code}_status"], unit="%")
        row["Neighbours' mean"] = _nb_cell(c, unit="%")
        row["England"] = numbers.fmt(c.england, 0, status=c.england_status, unit="%")
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["footnotes"] = _lait_footnotes(out.to_numpy().ravel().tolist()) + [
        "Shares of the children looked after at 31 March, as DfE publishes them (whole numbers, so they need not "
        "add to 100%); placements not listed (for example placed for adoption) make up the rest."
    ]
    return out


def placement_chart(f: LacFlows):
    """Bars: % of children looked after in each placement, the authority against its neighbours'
    mean and England (:func:`csdemand.present.charts.placement_mix_chart`)."""
    from csdemand.present import charts

    shares = pd.DataFrame(
        {
            "placement": [label for _, label in PLACEMENTS],
            "la": [c.value for c in f.placements],
            "neighbours": [c.neighbours.mean for c in f.placements],
            "england": [c.england for c in f.placements],
        }
    )
    status = pd.DataFrame(
        {
            "la": [c.status for c in f.placements],
            "neighbours": ["" if c.neighbours.n_with_value else "x" for c in f.placements],
            "england": [c.england_status for c in f.placements],
        }
    )
    chart = charts.placement_mix_chart(shares, f.la.name, f.period, status)
    chart.data.attrs["footnotes"] = _lait_footnotes(chart.data.to_numpy().ravel().tolist())
    return chart


def uasc_table(f: LacFlows) -> pd.DataFrame:
    """Unaccompanied asylum-seeking children: how many were looked after, their share of the
    children looked after and of those who started to be looked after in the year."""
    rows = []
    for code, label, unit, d in (
        (UASC_COUNT, "Unaccompanied asylum-seeking children looked after at 31 March", "", 0),
        (UASC_SHARE, "... as a share of all children looked after", "%", 0),
        (UASC_STARTING, "Share of the children who started to be looked after in the year", "%", 0),
    ):
        c = f.uasc[code]
        rows.append(
            {
                "": label,
                f.la.name: numbers.fmt(c.value, d, status=c.status, unit=unit),
                "Neighbours' mean": _nb_cell(c, 1, unit),
                "England": numbers.fmt(c.england, d, status=c.england_status, unit=unit),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["footnotes"] = _lait_footnotes(out.to_numpy().ravel().tolist())
    return out


def _fy(year: int) -> str:
    """The financial year ending in March ``year``: 2025 -> '2024-25'."""
    return f"{year - 1}-{str(year)[2:]}"


def _money(value: float, status: str = "", millions: bool = False) -> str:
    """'£1,905' or '£127.2 million'; the marker where withheld or missing."""
    if status or numbers.is_missing(value):
        return numbers.fmt(value, 0, status=status or "x")
    return f"£{numbers.fmt(value / 1e6, 1)} million" if millions else f"£{numbers.fmt(value, 0)}"


def unit_cost_table(f: LacFlows) -> pd.DataFrame:
    """Weekly unit cost of a looked-after child by outturn year: the authority, its neighbours'
    mean and England; total spend in the latest year below."""
    h = f.unit_cost_history
    out = pd.DataFrame(
        {
            "Financial year (outturn)": h["period"].map(lambda y: _fy(int(y))),
            f"{f.la.name}, a week": [_money(v, s) for v, s in zip(h["value"], h["status"])],
            "Neighbours' mean, a week": [
                f"£{numbers.fmt(m, 0)} ({int(n)} of {len(f.neighbour_numbers)})" if n else "x"
                for m, n in zip(h["neighbours_mean"], h["neighbours_with_value"])
            ],
            "England, a week": h["england"].map(lambda v: _money(v)),
        }
    )
    notes = _lait_footnotes(out.to_numpy().ravel().tolist())
    ts = f.total_spend
    if ts is not None:
        notes.append(
            f"Total spend on children looked after in {_fy(f.period)}: {f.la.name} "
            f"{_money(ts.value, ts.status, millions=True)}; England {_money(ts.england, ts.england_status, True)}."
        )
    out.attrs["footnotes"] = notes
    return out


def workforce_table(f: LacFlows) -> pd.DataFrame:
    """The children and family social work workforce beside the demand: caseload, agency,
    vacancy and turnover rates, social workers (FTE) and referrals per social worker."""
    rows = []
    for c, (_code, label, unit) in zip(f.workforce, WORKFORCE):
        rows.append(
            {
                "": label,
                "When": f"30 September {f.period}",
                f.la.name: numbers.fmt(c.value, c.decimals, status=c.status, unit=unit),
                "Neighbours' mean": _nb_cell(c, 1, unit),
                "England": numbers.fmt(c.england, c.decimals, status=c.england_status, unit=unit),
            }
        )
    r = f.referrals_per_sw
    rows.append(
        {
            "": "Referrals per social worker",
            "When": f"referrals in the year to 31 March {f.period} / social workers at 30 September {f.period - 1}",
            f.la.name: numbers.fmt(r.value, 1, status=r.status),
            "Neighbours' mean": _nb_cell(r, 1),
            "England": numbers.fmt(r.england, 1, status=r.england_status),
        }
    )
    out = pd.DataFrame(rows)
    out.attrs["footnotes"] = _lait_footnotes(out.to_numpy().ravel().tolist()) + [
        "Referrals per social worker are computed here: referrals to children's social care in the year "
        "(LAIT CPP_Total_NumRef) divided by the full-time equivalent children and family social workers at 30 "
        "September in the middle of that year (Work_Force_NoSW); a missing figure leaves it x.",
    ]
    return out


def flow_chart(f: LacFlows):
    """Starting and ceasing rates per 10,000 by year against the neighbours' mean and England."""
    from csdemand.present import charts

    return charts.flow_chart(f.history, f.la.name)


# --------------------------------------------------------------------------- display: where numbers are heading


def outlook_chart(o: LacOutlook):
    """The fan chart: history, the projection (or the range) with its 80% and 95% intervals, and
    the rate per 10,000 beside the neighbours' mean on the same basis."""
    from csdemand.methods import projection
    from csdemand.present import charts

    return charts.fan_chart(
        o.history,
        o.frame,
        o.la.name,
        forecast=o.forecast,
        method_label=projection.METHOD_LABELS.get(o.method or "", ""),
        actual=o.actual,
        rates=o.rates,
    )


def cost_table(o: LacOutlook) -> pd.DataFrame:
    """The cost line: children (projected, or today's number), the weekly unit cost projected with
    its 80% interval, and the cost of a year (children x unit cost x 52) with its 80% interval."""
    c = o.cost
    fr = c.frame
    out = pd.DataFrame(
        {
            "Financial year": fr["period"].map(lambda y: _fy(int(y))),
            "Children": fr["children"].map(lambda v: numbers.fmt(v, 0)),
            "Weekly unit cost": fr["unit_cost"].map(lambda v: _money(v)),
            "Unit cost, 80% interval": [
                f"£{numbers.fmt(lo, 0)} to £{numbers.fmt(hi, 0)}" if not numbers.is_missing(lo) else "no interval"
                for lo, hi in zip(fr["unit_cost_lo80"], fr["unit_cost_hi80"])
            ],
            "Cost of the year": fr["cost"].map(lambda v: _money(v, millions=True)),
            "Cost, 80% interval": [
                f"£{numbers.fmt(lo / 1e6, 1)} million to £{numbers.fmt(hi / 1e6, 1)} million"
                if not numbers.is_missing(lo)
                else "no interval"
                for lo, hi in zip(fr["cost_lo80"], fr["cost_hi80"])
            ],
        }
    )
    notes = []
    if c.spend_year:
        notes.append(
            f"Total spend on children looked after in {_fy(c.spend_year)}: {_money(c.latest_spend, millions=True)}."
        )
    out.attrs["footnotes"] = notes
    return out


def hindcast_table(o: LacOutlook) -> pd.DataFrame:
    """What each method would have projected from three years before, with the 80% interval known
    then, beside what happened."""
    from csdemand.methods import projection

    h = o.hindcast
    out = pd.DataFrame(
        {
            "31 March": h["period"].astype(int).astype(str),
            "What happened": h["actual"].map(lambda v: numbers.fmt(v, 0)),
        }
    )
    for m in projection.METHODS:
        if m not in h:
            continue
        out[projection.METHOD_LABELS[m]] = [
            f"{numbers.fmt(v, 0)} ({charts_range(lo, hi)})" for v, lo, hi in zip(h[m], h[f"{m}_lo80"], h[f"{m}_hi80"])
        ]
    out.attrs["footnotes"] = [
        f"Each projection as it would have been made from the figures published for {o.hindcast_origin}, with the "
        "80% interval calibrated on the errors known then."
    ]
    return out


def charts_range(lo: float, hi: float) -> str:
    """'1,293 to 1,547' or 'no interval'."""
    if numbers.is_missing(lo) or numbers.is_missing(hi):
        return "no interval"
    return f"{numbers.fmt(lo, 0)} to {numbers.fmt(hi, 0)}"


def scenario_words(o: LacOutlook) -> str:
    """'10% fewer children starting' / 'a ceasing share 5% higher' / both."""
    parts = []
    if o.start_change:
        parts.append(
            f"{numbers.fmt(abs(o.start_change) * 100, 0)}% "
            f"{'fewer' if o.start_change < 0 else 'more'} children starting"
        )
    if o.cease_change:
        parts.append(
            f"a ceasing share {numbers.fmt(abs(o.cease_change) * 100, 0)}% "
            f"{'lower' if o.cease_change < 0 else 'higher'}"
        )
    return " and ".join(parts) or "no change"


def scenario_chart(o: LacOutlook):
    """The scenario beside the stock-flow baseline, with costs in the table."""
    from csdemand.present import charts

    return charts.scenario_chart(o.scenario.frame, o.history, o.la.name, scenario_words(o))


def backtest_table(o: LacOutlook, horizons: tuple[int, ...] = (1, 2, 3)) -> pd.DataFrame:
    """The backtest over every authority (:func:`csdemand.methods.projection.summary_table`):
    median error, how often each method beat the naive projection, and the intervals' coverage."""
    from csdemand.methods import projection

    t = o.table[o.table["horizon"].isin(horizons)]

    def pct(v: float) -> str:
        return "x" if numbers.is_missing(v) else numbers.fmt(v, 1, unit="%")

    out = pd.DataFrame(
        {
            "Method": t["method"].map(lambda m: projection.METHOD_LABELS.get(m, m)),
            "Years ahead": t["horizon"].astype(int).astype(str),
            "Forecasts": t["forecasts"].map(lambda v: numbers.fmt(v, 0)),
            "Median error": t["mdape"].map(pct),
            "Beat naive: % of authorities": [
                "(yardstick)" if m == "naive" else pct(v) for m, v in zip(t["method"], t["beats_naive_las"])
            ],
            "80% interval held": t["coverage80"].map(pct),
            "95% interval held": t["coverage95"].map(pct),
        }
    )
    out.attrs["footnotes"] = [
        "The naive projection (the last value carried forward) is the yardstick. Median error: the median absolute "
        "percentage error of the projections of every authority from 2019 to 2024. Beat naive: the share of "
        "authorities whose mean error was lower than the naive projection's."
    ]
    return out
