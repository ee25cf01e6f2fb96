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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers
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


def provenance(b: LacBenchmark, parameters: dict):
    """Title, parameters, publications and the headline figures (JSON record) for the report."""
    from csdemand.present.html import Provenance, sources_used

    shown = b.data[(b.data["measure"].isin([COUNT, RATE])) & (b.data["period"] <= b.period)]
    used = sources_used(shown)
    sn = codes.neighbour_models().loc[b.model]
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
        sources=used
        + [
            {
                "id": f"sn_{b.model}",
                "title": sn["label"],
                "publisher": "Department for Education",
                "published": sn["published"],
                "licence": "OGL v3.0",
                "url": "",
            }
        ],
        notes=[
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education; Office for National Statistics."
        ],
        figures=figures(b),
    )


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
