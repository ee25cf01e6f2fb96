"""Benchmarks as LAIT and the DfE dashboard define them: statistical neighbours, their average,
rank, quartile band and direction of travel. All functions take and return tidy tables or plain
numbers; none of them plots or prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdemand.core import codes
from csdemand.core.errors import InputError

ENGLAND = "E92000001"


def neighbours(sn: pd.DataFrame, la_number: int, model: str) -> list[int]:
    """The 10 statistical neighbours of an LA in a model (``"2025"`` or ``"2021"``), closest first."""
    known = codes.neighbour_models().index.tolist()
    if str(model) not in known:
        raise InputError(f"unknown statistical neighbour model {model!r}", column="model", expected="one of " + ", ".join(known))
    rows = sn[(sn["model"].astype(str) == str(model)) & (sn["la_number"] == la_number)]
    if len(rows) != 10:
        raise InputError(
            f"LA {la_number} has {len(rows)} statistical neighbours in the {model} model",
            column="model",
            expected="10 (an LA created after the model was published has none: choose the newer model)",
        )
    return rows.sort_values("sn_rank")["sn_la_number"].astype(int).tolist()


def la_values(df: pd.DataFrame, measure: str, period: int) -> pd.Series:
    """Every LA's value of a measure in a period, indexed by LA number (withheld values dropped)."""
    rows = df[(df["measure"] == measure) & (df["period"] == period) & (df["geographic_level"] == "la") & (df["status"] == "")]
    return rows.set_index(rows["la_number"].astype(int))["value"]


@dataclass(frozen=True)
class NeighbourAverage:
    """Average of the neighbours with a value: LAIT's mean, the dashboard's median, and how many."""

    mean: float
    median: float
    n_with_value: int
    n_neighbours: int


def neighbour_average(values: pd.Series, neighbour_numbers: list[int]) -> NeighbourAverage:
    """Mean (LAIT) and median (DfE dashboard) of the neighbours' values; missing ones left out."""
    v = values.reindex(neighbour_numbers).dropna()
    return NeighbourAverage(
        mean=float(v.mean()) if len(v) else np.nan,
        median=float(v.median()) if len(v) else np.nan,
        n_with_value=int(len(v)),
        n_neighbours=len(neighbour_numbers),
    )


def rank_ascending(values: pd.Series, la_number: int) -> tuple[int, int]:
    """LAIT rank of an LA among the LAs in ``values``: 1 = lowest value, ties share the lowest rank.

    Returns ``(rank, number ranked)``; the rank is 0 where the LA has no value.
    """
    v = values.dropna()
    if la_number not in v.index:
        return 0, len(v)
    return int((v < v[la_number]).sum()) + 1, len(v)


@dataclass(frozen=True)
class QuartileBand:
    """LAIT quartile band: A at or below the 25th percentile of all LAs, B to the median, C to the
    75th percentile, D above. The band orders values (A lowest); polarity only colours it."""

    band: str
    q1: float
    median: float
    q3: float
    n_las: int


def quartile_band(all_values: pd.Series, value: float) -> QuartileBand:
    """Band of ``value`` among ``all_values`` (percentiles by linear interpolation, as Excel's QUARTILE)."""
    v = all_values.dropna().to_numpy(dtype=float)
    if len(v) == 0:  # no authority published a value that year
        return QuartileBand("", np.nan, np.nan, np.nan, 0)
    q1, q2, q3 = np.percentile(v, [25, 50, 75])
    if np.isnan(value):
        band = ""
    elif value <= q1:
        band = "A"
    elif value <= q2:
        band = "B"
    elif value <= q3:
        band = "C"
    else:
        band = "D"
    return QuartileBand(band, float(q1), float(q2), float(q3), int(len(v)))


def area_series(df: pd.DataFrame, measure: str, *, la_number: int | None = None, area_code: str | None = None) -> pd.Series:
    """One area's values of a measure, indexed by period (withheld values as NaN)."""
    rows = df[df["measure"] == measure]
    if la_number is not None:
        rows = rows[(rows["geographic_level"] == "la") & (rows["la_number"] == la_number)]
    else:
        rows = rows[(rows["geographic_level"] != "la") & (rows["area_code"] == area_code)]
    s = rows.set_index("period")["value"].sort_index()
    return s[~s.index.duplicated(keep="last")]


def direction_of_travel(series: pd.Series, period: int, spans: tuple[int, ...] = (1, 3, 5), decimals: int = 0) -> pd.DataFrame:
    """Change to ``period`` from 1, 3 and 5 years before: from, to, change, % change and a word.

    The word compares values at the precision they are published (``decimals``), so a rate that
    prints the same both years reads "no change".
    """
    rows = []
    now = series.get(period, np.nan)
    for span in spans:
        then = series.get(period - span, np.nan)
        change = now - then
        if np.isnan(change):
            word = "not available"
        elif f"{now:.{decimals}f}" == f"{then:.{decimals}f}":  # as printed, not numpy's round-half-even
            word = "no change"
        else:
            word = "up" if change > 0 else "down"
        rows.append(
            {
                "span_years": span,
                "from_period": period - span,
                "from_value": then,
                "to_value": now,
                "change": change,
                "pct_change": change / then * 100 if then else np.nan,
                "direction": word,
            }
        )
    return pd.DataFrame(rows)


def comparison_series(df: pd.DataFrame, measure: str, la_number: int, neighbour_numbers: list[int], region_code: str, periods: list[int]) -> pd.DataFrame:
    """Long table, one row per period and comparator: the LA, its neighbours' mean and median
    (with how many had a value), its region and England. Columns: period, comparator, value,
    n_with_value."""
    rows = []
    la = area_series(df, measure, la_number=la_number)
    region = area_series(df, measure, area_code=region_code)
    england = area_series(df, measure, area_code=ENGLAND)
    for p in periods:
        avg = neighbour_average(la_values(df, measure, p), neighbour_numbers)
        rows += [
            {"period": p, "comparator": "la", "value": la.get(p, np.nan), "n_with_value": np.nan},
            {"period": p, "comparator": "neighbours_mean", "value": avg.mean, "n_with_value": avg.n_with_value},
            {"period": p, "comparator": "neighbours_median", "value": avg.median, "n_with_value": avg.n_with_value},
            {"period": p, "comparator": "region", "value": region.get(p, np.nan), "n_with_value": np.nan},
            {"period": p, "comparator": "england", "value": england.get(p, np.nan), "n_with_value": np.nan},
        ]
    return pd.DataFrame(rows)


@dataclass
class MeasureBenchmark:
    """One measure for one LA and year against its comparators (LAIT definitions throughout)."""

    measure: str
    la_number: int
    period: int
    value: float
    computed: bool
    neighbour_numbers: list[int]
    neighbour_average: NeighbourAverage
    region_value: float
    england_value: float
    rank: int
    n_ranked: int
    band: QuartileBand
    travel: pd.DataFrame
    comparison: pd.DataFrame
    history: pd.DataFrame  # per year in the window: value, neighbours' mean, rank among 11, band
    computed_periods: list[int]


def measure_benchmark(df: pd.DataFrame, measure: str, la_number: int, region_code: str, neighbour_numbers: list[int], period: int, window: int = 10) -> MeasureBenchmark:
    """Value, neighbours' mean and median, region, England, rank among the LA and its neighbours,
    national quartile band, direction of travel and a year-by-year history for ``window`` years."""
    decimals = int(codes.measure(measure)["decimals"])
    values = la_values(df, measure, period)
    group = [la_number] + neighbour_numbers
    years = sorted(int(p) for p in df.loc[(df["measure"] == measure) & (df["period"] <= period), "period"].unique())
    series = area_series(df, measure, la_number=la_number)
    history = []
    for p in [y for y in years if y > period - window]:
        v = la_values(df, measure, p)
        if la_number not in v.index:
            continue
        rank, n = rank_ascending(v.reindex(group), la_number)
        avg = neighbour_average(v, neighbour_numbers)
        history.append({"period": p, "value": v[la_number], "neighbours_mean": avg.mean, "neighbours_with_value": avg.n_with_value, "rank": rank, "n_ranked": n, "band": quartile_band(v, v[la_number]).band})
    rows = df[(df["measure"] == measure) & (df["la_number"] == la_number) & (df["status"] == "")]
    rank, n_ranked = rank_ascending(values.reindex(group), la_number)
    la_value = values.get(la_number, np.nan)
    return MeasureBenchmark(
        measure=measure,
        la_number=la_number,
        period=period,
        value=la_value,
        computed=bool(rows.loc[rows["period"] == period, "computed"].any()),
        neighbour_numbers=neighbour_numbers,
        neighbour_average=neighbour_average(values, neighbour_numbers),
        region_value=float(area_series(df, measure, area_code=region_code).get(period, np.nan)),
        england_value=float(area_series(df, measure, area_code=ENGLAND).get(period, np.nan)),
        rank=rank,
        n_ranked=n_ranked,
        band=quartile_band(values, la_value),
        travel=direction_of_travel(series, period, decimals=decimals),
        comparison=comparison_series(df, measure, la_number, neighbour_numbers, region_code, years),
        history=pd.DataFrame(history),
        computed_periods=sorted(int(p) for p in rows.loc[rows["computed"], "period"]),
    )
