"""Children looked after: every figure of the LAC benchmark briefing, computed in one place.

Measures (``reference/measures.csv``): ``cla_count`` (children looked after at 31 March) and
``cla_rate`` (per 10,000 children aged 0-17; DfE-published from 2018, computed here with ONS
estimates for 2013-2017 and with the SFR's mid-2009 population for 2010; none for 2011-2012).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csdemand.published import areas as areas_mod
from csdemand.methods import benchmarks
from csdemand.core import codes
from csdemand.methods import funnel
from csdemand.published import store
from csdemand.core.errors import InputError

COUNT = "cla_count"
RATE = "cla_rate"


@dataclass
class LacBenchmark:
    """The figures a LAC briefing quotes, for one LA, year and neighbour model."""

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
    history: pd.DataFrame  # per year in the window: rate, rank among 11, band
    funnel_points: pd.DataFrame
    overdispersion: funnel.Overdispersion
    target_rate: float
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def latest_period(df: pd.DataFrame, la_number: int) -> int:
    """The newest year in which the LA has a looked-after rate."""
    s = benchmarks.area_series(df, RATE, la_number=la_number).dropna()
    if s.empty:
        raise InputError(f"no looked-after rate for LA {la_number} in the data", column="la")
    return int(s.index.max())


def resolve_period(df: pd.DataFrame, la_number: int, period: str | int) -> int:
    """``"latest"`` or a year such as ``"2025"`` -> a year present in the data."""
    if str(period).strip().lower() in ("latest", "", "none"):
        return latest_period(df, la_number)
    text = str(period).strip()
    try:
        # a month (e.g. from a batch with --period 2025-06) means the reporting year that holds it
        year = (int(text[:4]) + (1 if int(text[5:]) >= 4 else 0)) if len(text) == 7 and text[4] == "-" else int(text)
    except ValueError:
        raise InputError("not a year", column="period", value=period, expected="a reporting year such as 2025, or 'latest'") from None
    years = sorted(int(y) for y in benchmarks.area_series(df, RATE, la_number=la_number).dropna().index)
    if year not in years:
        raise InputError(f"no looked-after data for {year}", column="period", value=period, expected=f"a year from {years[0]} to {years[-1]}")
    return year


def benchmark(la: str | int, period: str | int = "latest", model: str = "2025", window: int = 10, data: pd.DataFrame | None = None, neighbours_table: pd.DataFrame | None = None) -> LacBenchmark:
    """All the looked-after figures for an LA (number, GSS code or name) and year."""
    df = store.load("cla") if data is None else data
    sn = store.load("statistical_neighbours") if neighbours_table is None else neighbours_table
    auth = areas_mod.resolve(la)
    year = resolve_period(df, auth.la_number, period)
    if window < 1:
        raise InputError("the comparison window must be at least 1 year", column="window", value=window)
    nbrs = benchmarks.neighbours(sn, auth.la_number, str(model))

    rates = benchmarks.la_values(df, RATE, year)
    counts = benchmarks.la_values(df, COUNT, year)
    mb = benchmarks.measure_benchmark(df, RATE, auth.la_number, auth.region_code, nbrs, year, window)
    england = df[(df["area_code"] == benchmarks.ENGLAND) & (df["period"] == year)].set_index("measure")

    names = store.load("areas").set_index("la_number")["area_name"]
    group = [auth.la_number] + nbrs
    nt = pd.DataFrame({"la_number": group, "area_name": [names.get(n, str(n)) for n in group]})
    nt["count"] = nt["la_number"].map(counts)
    nt["value"] = nt["la_number"].map(rates)
    nt["sn_rank"] = [0] + list(range(1, 11))
    closeness = sn[(sn["model"].astype(str) == str(model)) & (sn["la_number"] == auth.la_number)].set_index("sn_la_number")["closeness"]
    nt["closeness"] = nt["la_number"].map(closeness).fillna("")
    history = mb.history.rename(columns={"value": "rate"})

    eng_rate_row = df[(df["measure"] == RATE) & (df["period"] == year) & (df["area_code"] == benchmarks.ENGLAND)].iloc[0]
    # Target for the funnel: England's unrounded rate, from its count and population.
    target = float(eng_rate_row["numerator"] / eng_rate_row["denominator"] * 10_000) if pd.notna(eng_rate_row["denominator"]) else float(eng_rate_row["value"])
    pts = df[(df["measure"] == RATE) & (df["period"] == year) & (df["geographic_level"] == "la") & (df["status"] == "")].dropna(subset=["numerator", "denominator"])
    od = funnel.estimate_overdispersion(pts["numerator"].to_numpy(), pts["denominator"].to_numpy(), target)
    points = funnel.funnel_table(df, COUNT, RATE, year, target, od.tau2)

    return LacBenchmark(
        la=auth,
        period=year,
        model=str(model),
        window=window,
        count=counts.get(auth.la_number, np.nan),
        rate=mb.value,
        rate_computed=mb.computed,
        england_rate=mb.england_value,
        england_count=float(england.loc[COUNT, "value"]),
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
    )


BAND_WORDS = {
    "A": "in the lowest quarter of authorities (band A)",
    "B": "in the second quarter, below the median (band B)",
    "C": "in the third quarter, above the median (band C)",
    "D": "in the highest quarter of authorities (band D)",
}


# --------------------------------------------------------------------------- display tables


def neighbour_table(b: LacBenchmark) -> pd.DataFrame:
    """The LA and its 10 neighbours in the year: count, rate, rank (1 = lowest) and closeness."""
    t = b.neighbour_table.copy()
    t["rank"] = t["value"].rank(method="min").astype("Int64")
    t = t.sort_values(["value", "sn_rank"], na_position="last")
    return pd.DataFrame(
        {
            "Rank (1 = lowest)": t["rank"].astype(str).replace("<NA>", "-"),
            "Local authority": t["area_name"] + np.where(t["la_number"] == b.la.la_number, " (this authority)", ""),
            "Neighbour (closeness)": [("-" if r == 0 else f"{r} ({c.lower()})") for r, c in zip(t["sn_rank"], t["closeness"])],
            "Looked after": t["count"].map(lambda v: _fmt(v)),
            "Rate per 10,000": t["value"].map(lambda v: _fmt(v)),
        }
    )


def travel_table(b: LacBenchmark) -> pd.DataFrame:
    """Direction of travel of the rate over 1, 3 and 5 years."""
    t = b.travel
    return pd.DataFrame(
        {
            "Over": [f"{s} year{'s' if s > 1 else ''}" for s in t["span_years"]],
            "From": [f"{_fmt(v)} in {p}" for v, p in zip(t["from_value"], t["from_period"])],
            f"To ({b.period})": t["to_value"].map(_fmt),
            "Change": t["change"].map(lambda v: "not available" if pd.isna(v) else f"{v:+,.0f}"),
            "Change %": t["pct_change"].map(lambda v: "not available" if pd.isna(v) else f"{v:+.1f}%"),
            "Direction": t["direction"],
        }
    )


def history_table(b: LacBenchmark) -> pd.DataFrame:
    """Year by year within the window: rate, neighbours' mean, rank among 11 and national band."""
    h = b.history
    return pd.DataFrame(
        {
            "Year": h["period"].astype(str) + np.where(h["period"].isin(b.computed_periods), " *", ""),
            "Rate per 10,000": h["rate"].map(_fmt),
            "Neighbours' mean": [f"{m:.1f} ({n} of 10)" for m, n in zip(h["neighbours_mean"], h["neighbours_with_value"])],
            "Rank among 11 (1 = lowest)": [f"{r} of {n}" for r, n in zip(h["rank"], h["n_ranked"])],
            "National quartile band": h["band"],
        }
    )


def _fmt(v: float, decimals: int = 0) -> str:
    return "not available" if pd.isna(v) else f"{v:,.{decimals}f}"


def provenance(b: LacBenchmark, parameters: dict):
    """Title, parameters and publications for the report header and footer."""
    from csdemand.present.html import Provenance, sources_used

    shown = b.data[(b.data["measure"].isin([COUNT, RATE])) & (b.data["period"] <= b.period)]
    used = sources_used(shown)
    sn = codes.neighbour_models().loc[b.model]
    return Provenance(
        title=f"Children looked after: {b.la.name}, {b.period}",
        subtitle=f"Numbers and rates per 10,000 children at 31 March, against statistical neighbours, {'London' if b.la.region_name == 'London' else 'the ' + b.la.region_name} and England",
        parameters=parameters,
        sources=used + [{"id": f"sn_{b.model}", "title": sn["label"], "publisher": "Department for Education", "published": sn["published"], "licence": "OGL v3.0", "url": ""}],
        notes=["Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education; Office for National Statistics."],
    )


def headlines(b: LacBenchmark) -> list[tuple[str, str, str]]:
    """Headline tiles: (label, figure, note)."""
    avg = b.neighbour_average
    return [
        (f"Looked after, 31 March {b.period}", _fmt(b.count), b.la.name),
        ("Rate per 10,000 children", _fmt(b.rate), "computed here" if b.rate_computed else "DfE published"),
        ("Statistical neighbours' mean", f"{avg.mean:.1f}", f"median {avg.median:.1f}; {avg.n_with_value} of {avg.n_neighbours} with data"),
        ("England", _fmt(b.england_rate), f"{b.la.region_name} {_fmt(b.region_rate)}"),
        ("Rank among 11 / national band", f"{b.rank} of {b.n_ranked} / {b.band.band}", "1 = lowest rate; band A = lowest quarter"),
    ]
