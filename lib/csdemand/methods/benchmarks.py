"""Benchmarks as LAIT and the DfE dashboard define them: statistical neighbours, their average,
rank, quartile band and direction of travel. All functions take and return tidy tables or plain
numbers; none of them plots or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers
from csdemand.core.errors import InputError

ENGLAND = "E92000001"

#: Fewer children than this behind a figure and a percentage change is flagged as unreliable.
SMALL_NUMBERS = 20


def neighbours(sn: pd.DataFrame, la_number: int, model: str) -> list[int]:
    """The 10 statistical neighbours of an LA in a model (``"2025"`` or ``"2021"``), closest first."""
    known = codes.neighbour_models().index.tolist()
    if str(model) not in known:
        raise InputError(
            f"unknown statistical neighbour model {model!r}", column="model", expected="one of " + ", ".join(known)
        )
    rows = sn[(sn["model"].astype(str) == str(model)) & (sn["la_number"] == la_number)]
    if len(rows) != 10:
        raise InputError(
            f"LA {la_number} has {len(rows)} statistical neighbours in the {model} model",
            column="model",
            expected="10 (an LA created after the model was published has none: choose the newer model)",
        )
    return rows.sort_values("sn_rank")["sn_la_number"].astype(int).tolist()


def neighbours_for(sn: pd.DataFrame, la_number: int, model: str) -> tuple[str, list[int]]:
    """The neighbours of an LA in ``model`` or, where that model has none for it (an authority
    abolished before the model was made, such as Cumbria in the 2025 model, or created after it),
    in the newest model that has: ``(model used, neighbours)``; ``(model, [])`` where no model
    has any. An unknown model is still an error. Briefings say which model they used."""
    try:
        return str(model), neighbours(sn, la_number, model)
    except InputError:
        if str(model) not in codes.neighbour_models().index:
            raise
    held = sn[sn["la_number"] == la_number].groupby(sn["model"].astype(str)).size()
    for other in sorted(held.index[held == 10], reverse=True):
        return str(other), neighbours(sn, la_number, other)
    return str(model), []


def la_values(df: pd.DataFrame, measure: str, period: int) -> pd.Series:
    """Every LA's value of a measure in a period, indexed by LA number (withheld values dropped)."""
    rows = df[
        (df["measure"] == measure) & (df["period"] == period) & (df["geographic_level"] == "la") & (df["status"] == "")
    ]
    return rows.set_index(rows["la_number"].astype(int))["value"]


def la_statuses(df: pd.DataFrame, measure: str, period: int) -> pd.Series:
    """Every LA's status for a measure in a period, indexed by LA number: ``""`` for a value,
    else the marker (``c``, ``x``, ``z``...). An LA without a row is absent."""
    rows = df[(df["measure"] == measure) & (df["period"] == period) & (df["geographic_level"] == "la")]
    out = rows.set_index(rows["la_number"].astype(int))["status"].fillna("").astype(str)
    return out[~out.index.duplicated(keep="last")]


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
        n_with_value=len(v),
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
    return QuartileBand(band, float(q1), float(q2), float(q3), len(v))


def area_series(
    df: pd.DataFrame, measure: str, *, la_number: int | None = None, area_code: str | None = None
) -> pd.Series:
    """One area's values of a measure, indexed by period (withheld values as NaN)."""
    rows = df[df["measure"] == measure]
    if la_number is not None:
        rows = rows[(rows["geographic_level"] == "la") & (rows["la_number"] == la_number)]
    else:
        rows = rows[(rows["geographic_level"] != "la") & (rows["area_code"] == area_code)]
    s = rows.set_index("period")["value"].sort_index()
    return s[~s.index.duplicated(keep="last")]


def area_statuses(
    df: pd.DataFrame, measure: str, *, la_number: int | None = None, area_code: str | None = None
) -> pd.Series:
    """One area's status of a measure by period: ``""`` for a value, else its marker (``c``, ``z``...).
    A period with no row is absent (it prints as ``x``, not available)."""
    rows = df[df["measure"] == measure]
    if la_number is not None:
        rows = rows[(rows["geographic_level"] == "la") & (rows["la_number"] == la_number)]
    else:
        rows = rows[(rows["geographic_level"] != "la") & (rows["area_code"] == area_code)]
    s = rows.set_index("period")["status"].fillna("").astype(str).sort_index()
    return s[~s.index.duplicated(keep="last")]


def direction_of_travel(
    series: pd.Series,
    period: int,
    spans: tuple[int, ...] = (1, 3, 5),
    decimals: int = 0,
    statuses: pd.Series | None = None,
    counts: pd.Series | None = None,
    small: float = SMALL_NUMBERS,
) -> pd.DataFrame:
    """Change to ``period`` from 1, 3 and 5 years before: from, to, change, % change and a word.

    Changes are those of the figures as printed (``decimals``, half up: 499.24 and 481.15 print as
    499.2 and 481.2, a change of -18.0), so a page's change always equals the difference of the
    figures beside it; ``raw_change`` keeps the unrounded difference. The word is ``no change``
    when both years print the same, ``not available`` when either is withheld or missing.
    ``statuses`` (period -> marker) fills ``from_status`` / ``to_status`` (``x`` where a year is
    absent); ``counts`` (period -> the number of children a figure rests on) sets
    ``small_numbers`` where either year rests on fewer than ``small`` children, so a percentage
    change there is flagged as unreliable.
    """
    rows = []
    now = series.get(period, np.nan)
    st = statuses if statuses is not None else pd.Series(dtype=object)

    def status(p: int, v: float) -> str:
        if not numbers.is_missing(v):
            return ""
        return str(st.get(p, "") or "x")

    for span in spans:
        then = series.get(period - span, np.nan)
        change = numbers.change_as_printed(now, then, decimals)
        if np.isnan(change):
            word = "not available"
        elif change == 0:
            word = "no change"
        else:
            word = "up" if change > 0 else "down"
        few = False
        if counts is not None:
            c = [counts.get(p, np.nan) for p in (period, period - span)]
            few = any(not numbers.is_missing(x) and x < small for x in c)
        rows.append(
            {
                "span_years": span,
                "from_period": period - span,
                "from_value": then,
                "to_value": now,
                "change": change,
                "raw_change": now - then,
                "pct_change": numbers.pct_change_as_printed(now, then, decimals),
                "direction": word,
                "from_status": status(period - span, then),
                "to_status": status(period, now),
                "small_numbers": few,
            }
        )
    return pd.DataFrame(rows)


def comparison_series(
    df: pd.DataFrame, measure: str, la_number: int, neighbour_numbers: list[int], region_code: str, periods: list[int]
) -> pd.DataFrame:
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
    """One measure for one LA and year against its comparators (LAIT definitions throughout).

    A withheld figure has ``value`` NaN and its marker in ``status`` (``c``, ``z``, ``x`` where
    the LA has no row); ``rank`` is then 0 and ``band`` empty: print the marker, not the rank."""

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
    history: pd.DataFrame  # per year in the window: value, status, neighbours' mean, rank among 11, band
    computed_periods: list[int]
    status: str = ""
    region_status: str = ""
    england_status: str = ""
    count: float = np.nan  # the count the figure rests on (its numerator), where held
    rebased: bool = False  # True where the figure is re-based on the newest population estimates
    published_value: float = np.nan  # the figure as its release printed it (differs where re-based)
    rebased_periods: list[int] = field(default_factory=list)
    decimals: int = 0


def _numerators(df: pd.DataFrame, measure: str, la_number: int) -> pd.Series:
    """The LA's numerator of a measure by period (the count a rate or percentage rests on)."""
    rows = df[(df["measure"] == measure) & (df["geographic_level"] == "la") & (df["la_number"] == la_number)]
    s = rows.set_index("period")["numerator"].sort_index()
    return s[~s.index.duplicated(keep="last")]


def measure_benchmark(
    df: pd.DataFrame,
    measure: str,
    la_number: int,
    region_code: str,
    neighbour_numbers: list[int],
    period: int,
    window: int = 10,
) -> MeasureBenchmark:
    """Value (or marker), neighbours' mean and median, region, England, rank among the LA and its
    neighbours, national quartile band, direction of travel (changes as printed) and a
    year-by-year history for ``window`` years. Years where the LA's figure is withheld stay in the
    history with their marker."""
    decimals = int(codes.measure(measure)["decimals"])
    df = df[df["measure"] == measure]  # one measure: every lookup below filters a small frame
    values = la_values(df, measure, period)
    group = [la_number] + neighbour_numbers
    years = sorted(int(p) for p in df.loc[(df["measure"] == measure) & (df["period"] <= period), "period"].unique())
    series = area_series(df, measure, la_number=la_number)
    statuses = area_statuses(df, measure, la_number=la_number)
    counts = _numerators(df, measure, la_number)
    history = []
    for p in [y for y in years if y > period - window]:
        if p not in statuses.index:
            continue
        v = la_values(df, measure, p)
        rank, n = rank_ascending(v.reindex(group), la_number)
        avg = neighbour_average(v, neighbour_numbers)
        mine = v.get(la_number, np.nan)
        history.append(
            {
                "period": p,
                "value": mine,
                "status": "" if la_number in v.index else (statuses.get(p, "") or "x"),
                "neighbours_mean": avg.mean,
                "neighbours_with_value": avg.n_with_value,
                "rank": rank,
                "n_ranked": n,
                "band": quartile_band(v, mine).band if la_number in v.index else "",
            }
        )
    mine = df[(df["measure"] == measure) & (df["la_number"] == la_number) & (df["geographic_level"] == "la")]
    rows = mine[mine["status"] == ""]
    now = mine[mine["period"] == period]
    rank, n_ranked = rank_ascending(values.reindex(group), la_number)
    la_value = values.get(la_number, np.nan)
    has = "rebased" in df.columns
    region_st = area_statuses(df, measure, area_code=region_code)
    england_st = area_statuses(df, measure, area_code=ENGLAND)
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
        travel=direction_of_travel(series, period, decimals=decimals, statuses=statuses, counts=counts),
        comparison=comparison_series(df, measure, la_number, neighbour_numbers, region_code, years),
        history=pd.DataFrame(
            history,
            columns=[
                "period",
                "value",
                "status",
                "neighbours_mean",
                "neighbours_with_value",
                "rank",
                "n_ranked",
                "band",
            ],
        ),
        computed_periods=sorted(int(p) for p in rows.loc[rows["computed"], "period"] if p <= period),
        status="" if la_number in values.index else (str(statuses.get(period, "")) or "x"),
        region_status=""
        if not np.isnan(area_series(df, measure, area_code=region_code).get(period, np.nan))
        else (str(region_st.get(period, "")) or "x"),
        england_status=""
        if not np.isnan(area_series(df, measure, area_code=ENGLAND).get(period, np.nan))
        else (str(england_st.get(period, "")) or "x"),
        count=float(counts.get(period, np.nan)),
        rebased=bool(has and now["rebased"].fillna(False).astype(bool).any()),
        published_value=float(now["published_value"].iloc[0]) if has and len(now) else np.nan,
        rebased_periods=sorted(
            int(p) for p in mine.loc[mine["rebased"].fillna(False).astype(bool), "period"] if p <= period
        )
        if has
        else [],
        decimals=decimals,
    )


def printed_note(df: pd.DataFrame, measure: str, la_number: int, la_name: str, period: int, base_label: str) -> str:
    """Where the year's figure for the LA or England is re-based (``rebased`` column), what DfE's
    release printed: "2024: re-based on the mid-2024 population estimates; DfE's 2024 release
    printed 502.8 for Manchester and 518.3 for England." ('' where neither is re-based)."""
    if "rebased" not in df.columns:
        return ""
    rows = df[(df["measure"] == measure) & (df["period"] == period)]
    la = rows[(rows["geographic_level"] == "la") & (rows["la_number"] == la_number)]
    eng = rows[(rows["geographic_level"] == "national") & (rows["area_code"] == ENGLAND)]
    decimals = int(codes.measure(measure)["decimals"])
    parts, releases = [], set()
    for name, r in ((la_name, la), ("England", eng)):
        if len(r) and bool(r["rebased"].iloc[0]):
            parts.append(f"{numbers.fmt(r['published_value'].iloc[0], decimals)} for {name}")
            releases.add(str(r["release"].iloc[0]))
    if not parts:
        return ""
    rel = " and ".join(sorted(releases))
    return f"{period}: re-based on {base_label}; DfE's {rel} release printed " + " and ".join(parts) + "."
