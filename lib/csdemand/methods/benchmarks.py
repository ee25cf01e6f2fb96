"""Benchmarks as LAIT and the DfE dashboard define them: statistical neighbours, their average,
rank, quartile band and direction of travel. All functions take and return tidy tables or plain
numbers; none of them plots or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers
from csdemand.core.errors import InputError
from csdemand.methods import funnel as fn
from csdemand.methods import significance

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


# =========================================================================== any measure
#
# The functions above serve the project's own measures (reference/measures.csv). Those below
# benchmark any measure, a LAIT code or a project id, for any authority and year, in LAIT's
# conventions where the measure has a polarity and the project's where it has none:
#
# * rank: 1 = best where the measure has a polarity (LAIT: descending for "high is good",
#   ascending for "low is good"), 1 = lowest where it has none (the project's convention for
#   looked-after rates; LAIT shows no rank there); ties share the best rank ("min");
# * quartile band: A is the best quarter where the measure has a polarity (LAIT: for "high is
#   good" A is above the 75th percentile), the lowest quarter where it has none (coloured neither
#   way); none where the dictionary says no band applies (``No_Quartile`` = N);
# * flags: with counts behind the figure (a rate per 10,000 with its children, a percentage with
#   its base), the calibrated tests of the headline indicators (:mod:`csdemand.methods.
#   significance`): the funnel against England, the funnel of changes; without counts (a
#   caseload, a unit cost, a score) the same comparisons against the usual spread between
#   authorities (robust: interquartile range / 1.349), so a flag always means "further than
#   authorities usually are", never "different at all".
# * against the statistical neighbours, each year (:func:`versus_neighbours`): the authority's
#   value against its neighbours' mean, allowing for its own chance variation (with counts), the
#   spread between authorities (tau2 of the funnel, or the robust spread) and the uncertainty of
#   a mean of k neighbours: z = (y_i - y_nb) / sqrt(s_i^2 + tau2 (1 + 1/k)), flagged beyond +/-1.96.

#: What a measure counts: ``rate`` per 10,000 children, ``percent`` 0-100, ``count``, ``cost``
#: (pounds), ``other`` (a score, a caseload, an average).
KINDS = ("rate", "percent", "count", "cost", "other")
POLARITIES = ("high_is_good", "low_is_good", "neither")
Z95 = 1.959963984540054


@dataclass(frozen=True)
class MeasureInfo:
    """What a page needs to know about a measure: words, unit, kind, polarity, decimals, whether a
    quartile band applies, its year type and updates (LAIT's dictionary), and where the counts
    behind it are (``count``: the measure holding its numerator; ``base``: its denominator,
    ``population_0_17`` for a rate per 10,000)."""

    measure: str
    label: str
    unit: str
    kind: str
    polarity: str
    decimals: int
    quartile: bool = True
    source: str = "project"  # "lait" or "project"
    topic: str = ""
    year_type: str = ""
    last_update: str = ""
    next_update: str = ""
    count: str = ""
    base: str = ""

    @property
    def has_polarity(self) -> bool:
        return self.polarity in ("high_is_good", "low_is_good")

    @property
    def suffix(self) -> str:
        return "%" if self.kind == "percent" else ""

    def fmt(self, value: object, status: str | None = "", *, sign: bool = False, decimals: int | None = None) -> str:
        """A figure of this measure as a cell shows it (:func:`csdemand.core.numbers.fmt`, half
        up, at the dictionary's decimals): ``97``, ``18.4%``, ``£1,905``; a marker where withheld."""
        d = self.decimals if decimals is None else decimals
        text = numbers.fmt_measure(value, self.measure, status=status, unit=self.suffix, sign=sign, decimals=d)
        if self.kind == "cost" and text[-1:].isdigit():
            return (
                text.replace("+", "+£", 1)
                if text.startswith("+")
                else ("-£" + text[1:] if text[0] == "-" else "£" + text)
            )
        return text


def kind_of(unit: str) -> str:
    """The kind of a measure from its unit's words (LAIT's ``y_axis_name`` or measures.csv's unit)."""
    u = str(unit).strip().lower()
    if "per 10,000" in u or "per 10000" in u:
        return "rate"
    if "%" in u or u == "percent" or u.endswith(" rate"):
        return "percent"
    if "cost" in u or u == "spend":
        return "cost"
    if u.startswith("number") or u in ("children", "referrals", "assessments", "plans", "requests", "social workers"):
        return "count"
    return "other"


def measure_info(measure: str, lait_measures: pd.DataFrame | None = None, **overrides) -> MeasureInfo:
    """A measure's :class:`MeasureInfo`: a LAIT code from LAIT's dictionary (``lait_measures``,
    as ``store.load("lait_measures")``), else a project id from ``reference/measures.csv``;
    ``overrides`` (e.g. ``kind``, ``count``, ``base`` from a briefing's code list) win.
    :class:`InputError` names an unknown measure."""
    if lait_measures is not None and measure in set(lait_measures["measure"]):
        r = lait_measures.set_index("measure").loc[measure]
        info = dict(
            measure=measure,
            label=str(r["label"]),
            unit=str(r["unit"]),
            kind=kind_of(r["unit"]),
            polarity=str(r["polarity"]) if str(r["polarity"]) in POLARITIES else "neither",
            decimals=int(r["decimals"]),
            quartile=bool(r["quartile"]),
            source="lait",
            topic=str(r["topic"]),
            year_type=str(r["year_type"]),
            last_update=str(r["last_update"]),
            next_update=str(r["next_update"]),
        )
    else:
        known = codes.measures()
        if measure not in known.index:
            raise InputError(
                f"unknown measure {measure!r}",
                column="measure",
                value=measure,
                expected="a LAIT code (lait_measures) or a project measure (reference/measures.csv)",
            )
        r = known.loc[measure]
        kind = kind_of(r["unit"])
        info = dict(
            measure=measure,
            label=str(r["label"]),
            unit=str(r["unit"]),
            kind=kind,
            polarity=str(r["polarity"]),
            decimals=int(r["decimals"]),
            base="population_0_17" if kind == "rate" else "",
        )
    info.update({k: v for k, v in overrides.items() if v not in (None, "")})
    if info["kind"] not in KINDS:
        raise InputError(f"unknown kind {info['kind']!r}", column="kind", value=info["kind"], expected=", ".join(KINDS))
    return MeasureInfo(**info)


# --------------------------------------------------------------------------- one measure, every area and year


@dataclass
class Panel:
    """One measure for every area and year, wide: LAs by period (values NaN where withheld or
    absent; ``status`` the marker, ``x`` where there is no row), England and regions by area code
    and period, and where held the counts behind each LA figure (``numerators``,
    ``denominators``). ``labels`` gives each period's label as the source spells it
    (``2024-25 (OT)``). Per-year spreads are cached in ``_cache``."""

    info: MeasureInfo
    values: pd.DataFrame
    status: pd.DataFrame
    area_values: pd.DataFrame
    area_status: pd.DataFrame
    numerators: pd.DataFrame | None = None
    denominators: pd.DataFrame | None = None
    labels: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def periods(self) -> list[int]:
        return sorted(int(p) for p in set(self.values.columns) | set(self.area_values.columns))

    @property
    def has_counts(self) -> bool:
        return self.numerators is not None and self.denominators is not None and self.info.kind in ("rate", "percent")


def wide(rows: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """LA rows of one measure as LA number by period (the last row wins for a duplicate)."""
    la = rows[rows["geographic_level"] == "la"]
    if la.empty:
        return pd.DataFrame(dtype=float)
    return _unstack(la.assign(la_number=la["la_number"].astype(int)), "la_number", column)


def _unstack(rows: pd.DataFrame, index: str, column: str) -> pd.DataFrame:
    """``rows[column]`` as ``index`` by period (the last row wins for a duplicate)."""
    rows = rows.drop_duplicates([index, "period"], keep="last")
    out = rows.set_index([index, rows["period"].astype(int)])[column].unstack("period")
    out.columns = out.columns.astype(int)
    return out.sort_index()


def population_base(population: pd.DataFrame) -> pd.DataFrame:
    """Children aged 0-17 by LA and reporting year t (the newest release's mid-(t-1) estimate):
    the denominator of every rate per 10,000."""
    pop = population[
        (population["measure"] == "population_0_17")
        & (population["geographic_level"] == "la")
        & (population["status"].fillna("") == "")
    ]
    if pop.empty:
        return pd.DataFrame(dtype=float)
    pop = pop[pop["release"] == pop["release"].max()]
    return wide(pop.assign(period=pop["period"].astype(int) + 1))


def carried_decimals(values: np.ndarray, cap: int) -> int:
    """The decimal places the published figures carry, at most ``cap`` (LAIT's dictionary): LAIT
    stores DfE's figures as DfE printed them, so looked-after rates, integers in DfE's tables,
    print as 97 although the dictionary says 1 place (no precision the source lacks is shown)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    for d in range(int(cap)):
        if np.all(np.abs(v * 10**d - np.round(v * 10**d)) < 1e-6 * np.maximum(1.0, np.abs(v * 10**d))):
            return d
    return int(cap)


def panel(
    rows: pd.DataFrame,
    info: MeasureInfo,
    base: pd.DataFrame | None = None,
    count: pd.DataFrame | None = None,
) -> Panel:
    """The :class:`Panel` of one measure from its tidy rows (every level). Counts behind the LA
    figures: the rows' own ``numerator`` and ``denominator`` where they hold them (the project's
    tables); else ``count`` and ``base`` (LA by period, e.g. LAIT's ``LACnum`` and
    :func:`population_base`), the count worked back from the value and the base where only the
    base is given (a percentage of referrals: value / 100 x referrals, rounded). A LAIT measure
    prints to its dictionary's decimals, or fewer where its figures carry fewer
    (:func:`carried_decimals`)."""
    rows = rows[rows["measure"] == info.measure]
    st = rows["status"].fillna("").astype(str)
    if info.source == "lait":
        info = replace(info, decimals=carried_decimals(rows["value"].to_numpy(float), info.decimals))
    values = wide(rows.assign(value=rows["value"].where(st == "")))
    status = wide(rows.assign(status=st), "status").reindex(index=values.index, columns=values.columns)
    status = status.fillna("x").astype(str)
    other = rows[rows["geographic_level"] != "la"]
    other_st = other["status"].fillna("").astype(str)
    if other.empty:
        area_values = pd.DataFrame(dtype=float)
        area_status = pd.DataFrame(dtype=str)
    else:
        area_values = _unstack(other.assign(value=other["value"].where(other_st == "")), "area_code", "value")
        area_status = _unstack(other.assign(status=other_st), "area_code", "status")
        area_status = area_status.reindex(index=area_values.index, columns=area_values.columns).fillna("x")
    labels = {}
    if "period_label" in rows.columns:
        lab = rows.dropna(subset=["period_label"]).drop_duplicates("period", keep="last")
        labels = {int(p): str(t) for p, t in zip(lab["period"], lab["period_label"])}
    num = den = None
    if info.kind in ("rate", "percent"):
        held = rows[(rows["geographic_level"] == "la") & rows["numerator"].notna() & rows["denominator"].notna()]
        if len(held):
            num = wide(held, "numerator").reindex(index=values.index, columns=values.columns)
            den = wide(held, "denominator").reindex(index=values.index, columns=values.columns)
        elif base is not None and not base.empty:
            den = base.reindex(index=values.index, columns=values.columns)
            if count is not None and not count.empty:
                num = count.reindex(index=values.index, columns=values.columns)
            else:
                num = (values * den / fn.PER_KIND[info.kind]).round()
            num = num.where(values.notna())
    return Panel(info, values, status, area_values, area_status, num, den, labels)


# --------------------------------------------------------------------------- rank and band


@dataclass(frozen=True)
class Rank:
    """A rank among ``n`` authorities with a value (0 where the authority has none), and the
    convention it follows (``1 = best (highest)``, ``1 = best (lowest)`` or ``1 = lowest``)."""

    rank: int
    n: int
    convention: str

    def __str__(self) -> str:
        return f"{self.rank} of {self.n}" if self.rank else ""


def rank_convention(polarity: str) -> str:
    return {"high_is_good": "1 = best (highest)", "low_is_good": "1 = best (lowest)"}.get(polarity, "1 = lowest")


def rank_by_polarity(values: pd.Series, la_number: int, polarity: str) -> Rank:
    """Rank of an LA among ``values`` (indexed by LA number; missing left out): 1 = best where the
    measure has a polarity (LAIT), 1 = lowest where it has none (the project); ties share the
    best rank."""
    v = values.dropna()
    if la_number not in v.index:
        return Rank(0, len(v), rank_convention(polarity))
    mine = v[la_number]
    better = (v > mine).sum() if polarity == "high_is_good" else (v < mine).sum()
    return Rank(int(better) + 1, len(v), rank_convention(polarity))


@dataclass(frozen=True)
class Band:
    """A quartile band with its cut points, how many authorities they rest on, the convention
    (``A = best quarter`` or ``A = lowest quarter``) and how a page colours it: ``good`` for the
    best quarter and ``bad`` for the worst where the measure has a polarity (LAIT's green and
    red), else none."""

    band: str
    q1: float
    median: float
    q3: float
    n: int
    convention: str
    colour: str = ""


def band_by_polarity(all_values: pd.Series, value: float, polarity: str, allowed: bool = True) -> Band:
    """LAIT's quartile band of ``value`` among every authority's ``all_values`` (percentiles by
    linear interpolation, as R's and Excel's default): for "low is good" (and no polarity) A is at
    or below the 25th percentile; for "high is good" the letters run the other way, A above the
    75th. No band (``""``) where ``allowed`` is False (the dictionary's ``No_Quartile``)."""
    convention = "A = best quarter" if polarity in ("high_is_good", "low_is_good") else "A = lowest quarter"
    q = quartile_band(all_values, value)
    if not allowed:
        return Band("", q.q1, q.median, q.q3, q.n_las, "no band for this measure")
    letter = q.band
    if letter and polarity == "high_is_good":
        letter = {"A": "D", "B": "C", "C": "B", "D": "A"}[letter]
    colour = ""
    if polarity in ("high_is_good", "low_is_good"):
        colour = {"A": "good", "D": "bad"}.get(letter, "")
    return Band(letter, q.q1, q.median, q.q3, q.n_las, convention, colour)


# --------------------------------------------------------------------------- flags


def _log_scale(values: np.ndarray) -> bool:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return len(v) > 0 and bool((v > 0).all())


def _robust_var(y: np.ndarray) -> float:
    """(interquartile range / 1.349)^2: the spread between authorities, untouched by a few outliers."""
    y = np.asarray(y, float)
    y = y[np.isfinite(y)]
    if len(y) < fn.MIN_AREAS:
        return np.nan
    q1, q3 = np.percentile(y, [25, 75])
    return float(((q3 - q1) / 1.349) ** 2)


@dataclass(frozen=True)
class YearSpread:
    """The spread between authorities in one year, on the scale the flags use: ``counts``
    (funnel scale with tau2 of :func:`csdemand.methods.funnel.funnel` around England) or robust
    (log of the values where all are positive, else the values; variance from the IQR)."""

    counts: bool
    scale: str
    tau2: float
    target: float  # England's value (or all authorities' median without counts)
    n: int


def year_spread(p: Panel, year: int) -> YearSpread:
    """The spread of :class:`YearSpread` for a panel's year (cached on the panel)."""
    key = ("spread", year)
    if key in p._cache:
        return p._cache[key]
    vals = p.values[year] if year in p.values.columns else pd.Series(dtype=float)
    eng = _area_value(p, ENGLAND, year)
    out: YearSpread
    if p.has_counts and year in p.numerators.columns:
        x = p.numerators[year].to_numpy(float)
        n = p.denominators[year].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
        target = (
            eng if np.isfinite(eng) else (x[ok].sum() / n[ok].sum() * fn.PER_KIND[p.info.kind] if ok.any() else np.nan)
        )
        if ok.sum() >= fn.MIN_AREAS and np.isfinite(target) and target > 0:
            f = fn.funnel(x[ok], n[ok], target, p.info.kind)
            out = YearSpread(True, f.scale, f.od.tau2, target, int(ok.sum()))
            p._cache[key] = out
            return out
    v = vals.to_numpy(float)
    log = _log_scale(v)
    y = np.log(v) if log else v
    target = eng if np.isfinite(eng) else (float(np.nanmedian(v)) if np.isfinite(v).any() else np.nan)
    out = YearSpread(False, "log" if log else "identity", _robust_var(y), target, int(np.isfinite(v).sum()))
    p._cache[key] = out
    return out


def _area_value(p: Panel, area_code: str, year: int) -> float:
    try:
        return float(p.area_values.loc[area_code, year])
    except KeyError:
        return np.nan


def _area_status(p: Panel, area_code: str, year: int) -> str:
    try:
        return str(p.area_status.loc[area_code, year])
    except KeyError:
        return "x"


def _y(sp: YearSpread, value: float) -> float:
    if not np.isfinite(value):
        return np.nan
    if sp.scale == "log":
        return float(np.log(value)) if value > 0 else np.nan
    return float(value)


def neighbour_map(sn: pd.DataFrame, model: str) -> dict[int, list[int]]:
    """Every authority's 10 statistical neighbours in a model, closest first (authorities the
    model lacks are left out)."""
    rows = sn[sn["model"].astype(str) == str(model)].sort_values(["la_number", "sn_rank"])
    return {int(la): g["sn_la_number"].astype(int).tolist() for la, g in rows.groupby("la_number") if len(g) == 10}


@dataclass(frozen=True)
class NeighbourSpread:
    """Every authority against its own neighbours' mean in one year: ``d`` (the distance on the
    flag's scale) and ``s`` (its chance error; 0 without counts) by LA number, and ``tau2``, the
    usual spread of those distances beyond chance (NaN with fewer than 10 authorities)."""

    counts: bool
    scale: str
    d: pd.Series
    s: pd.Series
    tau2: float
    n: int


def neighbour_spread(p: Panel, year: int, neighbours: dict[int, list[int]]) -> NeighbourSpread:
    """How far authorities usually are from their statistical neighbours' mean in ``year``.

    Each authority's distance d_i = y_i - y(m_i), m_i the mean of its neighbours with a value (as
    LAIT shows it, needing 3 or more). With counts, y is the funnel's scale (log for rates,
    arcsine-square-root for percentages), s_i the chance error of the authority's count at m_i,
    and tau2 Spiegelhalter's additive spread of d_i / s_i (:func:`csdemand.methods.funnel.
    estimate_tau2`, the one estimator of the funnel and the tests of change). Without counts, y
    is the log of the value (the value where some are 0 or negative), s_i = 0 and tau2 the
    robust variance of the d_i (interquartile range / 1.349, squared). The spread is that of
    authorities around their own neighbours, not around England: neighbours are chosen to be
    alike, and the national spread would hide every real difference (cached on the panel)."""
    key = ("neighbours", year, id(neighbours))
    if key in p._cache:
        return p._cache[key]
    col = p.values[year] if year in p.values.columns else pd.Series(dtype=float)
    # every authority's neighbours' mean at once: an (authorities x 10) matrix of their values
    las = np.array(list(neighbours), dtype=int)
    width = max((len(v) for v in neighbours.values()), default=0)
    ids = np.array([list(neighbours[la]) + [-1] * (width - len(neighbours[la])) for la in las], dtype=int)
    mine = col.reindex(las).to_numpy(float)
    nb = col.reindex(ids.ravel()).to_numpy(float).reshape(ids.shape) if width else np.empty((len(las), 0))
    held = np.isfinite(nb).sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(nb, axis=1) / np.where(held > 0, held, 1)
    keep = np.isfinite(mine) & (held >= 3)
    m = pd.Series(mean[keep], index=las[keep], dtype=float)
    counts = bool(p.has_counts and year in p.numerators.columns)
    if counts:
        x = p.numerators[year].reindex(m.index).to_numpy(float)
        n = p.denominators[year].reindex(m.index).to_numpy(float)
        p0 = m.to_numpy(float) / fn.PER_KIND[p.info.kind]
        scale = fn.DEFAULT_SCALE[p.info.kind]
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0) & (p0 > 0)
        counts = ok.sum() >= fn.MIN_AREAS
    if counts:
        with np.errstate(invalid="ignore", divide="ignore"):
            y = fn.observed_y(x, n, scale)
            y0 = fn.transform(p0, scale)
            se = fn.null_se(p0, n, scale)
        d = pd.Series(np.where(ok, y - y0, np.nan), index=m.index).dropna()
        se_s = pd.Series(np.where(ok, se, np.nan), index=m.index).dropna()
        od = fn.estimate_tau2((d / se_s).to_numpy(), se_s.to_numpy(), scale=scale)
        out = NeighbourSpread(True, scale, d, se_s, od.tau2, od.n_areas)
    else:
        v = col.reindex(m.index).to_numpy(float)
        log = _log_scale(np.r_[v, m.to_numpy(float)])
        with np.errstate(invalid="ignore", divide="ignore"):
            d = pd.Series(np.log(v) - np.log(m.to_numpy(float)) if log else v - m.to_numpy(float), index=m.index)
        d = d[np.isfinite(d)]
        out = NeighbourSpread(False, "log" if log else "identity", d, d * 0.0, _robust_var(d.to_numpy()), len(d))
    p._cache[key] = out
    return out


PLAIN_NEIGHBOURS = (
    "Against the neighbours: flagged when the authority is further from its statistical neighbours' mean than chance "
    "and the usual distance of authorities from their own neighbours would make likely (at the 5% level)."
)
PLAIN_SPREAD = (
    "Without counts behind the figure (a caseload, a unit cost, a score), a flag means further than authorities "
    "usually are (beyond 1.96 times their usual spread, from the interquartile range)."
)


def versus_neighbours(
    p: Panel, la_number: int, year: int, neighbour_numbers: list[int], neighbours: dict[int, list[int]] | None = None
) -> significance.Result:
    """Is the authority's value in ``year`` beyond chance from its statistical neighbours' mean?

    z = d / sqrt(s^2 + tau2) with d, s and tau2 of :func:`neighbour_spread` (``neighbours``: every
    authority's neighbours, :func:`neighbour_map`, for the usual spread; ``neighbour_numbers``:
    this authority's, which may come from another model where this one lacks it). Two-sided at
    5%; not tested with fewer than 3 neighbours with a figure, or without a neighbour model."""
    if year not in p.values.columns or la_number not in p.values.index:
        return significance.not_tested(f"no figure for {year}")
    mine = float(p.values.at[la_number, year])
    nb = p.values[year].reindex(neighbour_numbers).dropna()
    avg = float(nb.mean()) if len(nb) else np.nan
    kw = dict(estimate=mine, reference=avg)
    if not np.isfinite(mine):
        return significance.not_tested(f"no figure for {year}", **kw)
    if len(nb) < 3:
        return significance.not_tested("fewer than 3 neighbours with a figure", **kw)
    if not neighbours:
        return significance.not_tested("no neighbour model to measure the usual spread", **kw)
    sp = neighbour_spread(p, year, neighbours)
    if not np.isfinite(sp.tau2):
        return significance.not_tested("fewer than 10 authorities with neighbours' figures", **kw)
    if sp.counts:
        x = p.numerators.at[la_number, year] if la_number in p.numerators.index else np.nan
        n = p.denominators.at[la_number, year] if la_number in p.denominators.index else np.nan
        p0 = avg / fn.PER_KIND[p.info.kind]
        if not (np.isfinite(x) and np.isfinite(n) and n > 0 and p0 > 0):
            return significance.not_tested("no count behind the figure", **kw)
        d = float(fn.observed_y(np.array([x]), np.array([n]), sp.scale)[0]) - float(fn.transform(p0, sp.scale))
        s2 = float(fn.null_se(p0, n, sp.scale)) ** 2
        method = (
            f"Against the mean of {len(nb)} neighbours on the {fn.SCALE_WORDS[sp.scale]} scale: chance variation plus "
            f"the usual distance of {sp.n} authorities from their own neighbours (additive tau2 = {sp.tau2:.3g})."
        )
        plain = PLAIN_NEIGHBOURS
    else:
        log = sp.scale == "log"
        if log and not (mine > 0 and avg > 0):
            return significance.not_tested("a value of 0 on a log scale", **kw)
        d = float(np.log(mine) - np.log(avg)) if log else mine - avg
        s2 = 0.0
        method = (
            f"Against the mean of {len(nb)} neighbours{' on the log scale' if log else ''}: the usual distance of "
            f"{sp.n} authorities from their own neighbours (interquartile range / 1.349); no counts."
        )
        plain = PLAIN_SPREAD
    if s2 + sp.tau2 <= 0:
        return significance.not_tested("no spread between authorities", **kw)
    z = d / np.sqrt(s2 + sp.tau2)
    return significance.result(z, method, tau2=sp.tau2, n_areas=sp.n, plain=plain, **kw)


def versus_england_any(p: Panel, la_number: int, year: int) -> significance.Result:
    """The authority against England in ``year``: the funnel test of the headline indicators where
    the panel holds counts (:func:`csdemand.methods.significance.versus_england`), else the
    distance in units of the spread between authorities."""
    if year not in p.values.columns or la_number not in p.values.index:
        return significance.not_tested(f"no figure for {year}")
    mine = float(p.values.at[la_number, year])
    eng = _area_value(p, ENGLAND, year)
    if not (np.isfinite(mine) and np.isfinite(eng)):
        return significance.not_tested("no figure for the authority or England", estimate=mine, reference=eng)
    sp = year_spread(p, year)
    if sp.counts:
        x = p.numerators[year].to_numpy(float)
        n = p.denominators[year].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
        xi = p.numerators.at[la_number, year]
        ni = p.denominators.at[la_number, year]
        if np.isfinite(xi) and np.isfinite(ni) and ni > 0:
            return significance.versus_england(xi, ni, eng, x[ok], n[ok], p.info.kind)
    if not np.isfinite(sp.tau2) or sp.tau2 <= 0:
        return significance.not_tested("too few authorities to know the spread", estimate=mine, reference=eng)
    z = (_y(sp, mine) - _y(sp, eng)) / np.sqrt(sp.tau2)
    return significance.result(
        z,
        f"Distance from England in units of the spread between {sp.n} authorities (no counts).",
        tau2=sp.tau2,
        n_areas=sp.n,
        plain=PLAIN_SPREAD,
        estimate=mine,
        reference=eng,
    )


def change_any(p: Panel, la_number: int, year: int, span: int = 1) -> significance.Result:
    """The authority's change over ``span`` years to ``year`` against every authority's: the
    funnel of changes where the panel holds counts (:func:`csdemand.methods.significance.
    change_test`; a rate's denominator is the population of each year on one base), else the
    change on the log scale (or of the values) against all authorities' changes, in units of
    their spread (median and interquartile range / 1.349)."""
    y1 = year - span
    cols = p.values.columns
    if year not in cols or y1 not in cols or la_number not in p.values.index:
        return significance.not_tested(f"no figures for both {y1} and {year}")
    a, b = p.values[y1], p.values[year]
    if not (np.isfinite(a.get(la_number, np.nan)) and np.isfinite(b.get(la_number, np.nan))):
        return significance.not_tested(f"no figures for both {y1} and {year}")
    if p.has_counts and y1 in p.numerators.columns and year in p.numerators.columns:
        m = pd.DataFrame(
            {"x1": p.numerators[y1], "n1": p.denominators[y1], "x2": p.numerators[year], "n2": p.denominators[year]}
        ).dropna()
        m = m[(m["n1"] > 0) & (m["n2"] > 0)]
        if la_number in m.index and len(m) >= fn.MIN_AREAS:
            i = int(m.index.get_loc(la_number))
            return significance.change_test(m["x1"], m["n1"], m["x2"], m["n2"], i, p.info.kind)
    both = pd.DataFrame({"a": a, "b": b}).dropna()
    log = _log_scale(both.to_numpy().ravel())
    d = (np.log(both["b"]) - np.log(both["a"])) if log else (both["b"] - both["a"])
    spread = _robust_var(d.to_numpy())
    if not np.isfinite(spread) or spread <= 0:
        return significance.not_tested("too few authorities with figures in both years")
    z = (d[la_number] - float(d.median())) / np.sqrt(spread)
    return significance.result(
        z,
        f"Change against the median change of {len(d)} authorities, in units of their spread (no counts).",
        tau2=spread,
        n_areas=len(d),
        plain=PLAIN_SPREAD,
        estimate=float(d[la_number]),
        reference=float(d.median()),
    )


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Benchmark:
    """One measure for one authority and year against its comparators.

    ``period`` is the year shown: the one asked for, or the latest before it that England or any
    authority has a figure for (a measure published a year behind); ``value`` is NaN with its
    marker in ``status`` where withheld (``c``, ``-`` for LAIT's "not published", ``x`` for no
    row). ``rank`` is among the authority and its neighbours with a value, ``national_rank``
    among every authority; both and ``band`` follow :func:`rank_by_polarity` and
    :func:`band_by_polarity`. ``history`` has a row per year in the window: value, status, label,
    neighbours' mean and how many, England, and ``vs_neighbours`` (``higher``, ``lower`` or
    ``""``)."""

    info: MeasureInfo
    la_number: int
    requested_period: int
    period: int
    period_label: str
    value: float
    status: str
    neighbour_numbers: list[int]
    neighbours: NeighbourAverage
    region_value: float
    region_status: str
    england_value: float
    england_status: str
    rank: Rank
    national_rank: Rank
    band: Band
    travel: pd.DataFrame
    vs_england: significance.Result
    change: significance.Result
    vs_neighbours: significance.Result
    history: pd.DataFrame

    @property
    def has_value(self) -> bool:
        return self.status == "" and not numbers.is_missing(self.value)

    def judgement(self, span: int = 1) -> str:
        """``better`` or ``worse`` for the change over ``span`` years (as printed) of a measure
        with a polarity; ``""`` for no change, no polarity or no figures."""
        row = self.travel[self.travel["span_years"] == span]
        if row.empty or not self.info.has_polarity:
            return ""
        ch = row["change"].iloc[0]
        if numbers.is_missing(ch) or ch == 0:
            return ""
        return "better" if (ch < 0) == (self.info.polarity == "low_is_good") else "worse"


def latest_period(p: Panel, period: int) -> int:
    """``period`` if England or any authority has a figure for it, else the latest earlier year
    that has one (``period`` itself when none has)."""
    held = set()
    if ENGLAND in p.area_values.index:
        e = p.area_values.loc[ENGLAND]
        held |= {int(y) for y in e.index[e.notna()]}
    held |= {int(y) for y in p.values.columns[p.values.notna().any(axis=0)]}
    earlier = [y for y in held if y <= period]
    return max(earlier) if earlier else period


def benchmark(
    p: Panel,
    la_number: int,
    period: int,
    neighbour_numbers: list[int],
    region_code: str,
    window: int = 10,
    spans: tuple[int, ...] = (1, 3),
    neighbours: dict[int, list[int]] | None = None,
) -> Benchmark:
    """Any measure for an authority and year: value and status, the neighbours' mean and median
    (and how many had a value), region, England, rank among the 11 and nationally, quartile band,
    direction of travel over ``spans`` years (changes as printed), the calibrated flags (against
    England, the latest change, against the neighbours) and a year-by-year history of
    ``window`` years with the years beyond chance from the neighbours marked (``neighbours``:
    every authority's neighbours in the model, :func:`neighbour_map`, for the usual spread)."""
    info = p.info
    year = latest_period(p, int(period))
    cols = p.values.columns
    col = p.values[year] if year in cols else pd.Series(dtype=float)
    mine = float(col.get(la_number, np.nan))
    status = ""
    if not np.isfinite(mine):
        held = year in cols and la_number in p.status.index
        status = (str(p.status.at[la_number, year]) if held else "x") or "x"
    group = [la_number] + [n for n in neighbour_numbers if n != la_number]
    series = p.values.loc[la_number] if la_number in p.values.index else pd.Series(dtype=float)
    statuses = p.status.loc[la_number] if la_number in p.status.index else pd.Series(dtype=str)
    history = []
    for y in [c for c in p.periods if year - window < c <= year]:
        v = p.values[y] if y in cols else pd.Series(dtype=float)
        avg = neighbour_average(v, neighbour_numbers)
        here = float(v.get(la_number, np.nan))
        st = "" if np.isfinite(here) else (str(statuses.get(y, "x")) or "x")
        history.append(
            {
                "period": y,
                "label": p.labels.get(y, str(y)),
                "value": here,
                "status": st,
                "neighbours_mean": avg.mean,
                "neighbours_with_value": avg.n_with_value,
                "england": _area_value(p, ENGLAND, y),
                "vs_neighbours": versus_neighbours(p, la_number, y, neighbour_numbers, neighbours).flag,
            }
        )
    return Benchmark(
        info=info,
        la_number=la_number,
        requested_period=int(period),
        period=year,
        period_label=p.labels.get(year, str(year)),
        value=mine,
        status=status,
        neighbour_numbers=list(neighbour_numbers),
        neighbours=neighbour_average(col, neighbour_numbers),
        region_value=_area_value(p, region_code, year),
        region_status=""
        if np.isfinite(_area_value(p, region_code, year))
        else (_area_status(p, region_code, year) or "x"),
        england_value=_area_value(p, ENGLAND, year),
        england_status="" if np.isfinite(_area_value(p, ENGLAND, year)) else (_area_status(p, ENGLAND, year) or "x"),
        rank=rank_by_polarity(col.reindex(group), la_number, info.polarity),
        national_rank=rank_by_polarity(col, la_number, info.polarity),
        band=band_by_polarity(col, mine, info.polarity, info.quartile),
        travel=direction_of_travel(series, year, spans, info.decimals, statuses=statuses),
        vs_england=versus_england_any(p, la_number, year),
        change=change_any(p, la_number, year, 1),
        vs_neighbours=versus_neighbours(p, la_number, year, neighbour_numbers, neighbours),
        history=pd.DataFrame(
            history,
            columns=[
                "period",
                "label",
                "value",
                "status",
                "neighbours_mean",
                "neighbours_with_value",
                "england",
                "vs_neighbours",
            ],
        ),
    )


def flag_shares(p: Panel, year: int, neighbours: dict[int, list[int]]) -> dict[str, float]:
    """How often each flag fires over every authority with a figure in ``year`` (the calibration
    check): the shares flagged against their neighbours (``neighbours``: :func:`neighbour_map`),
    against England and for the change on the year, and how many were tested."""
    col = p.values[year] if year in p.values.columns else pd.Series(dtype=float)
    las = [int(x) for x in col.index[col.notna()]]
    tested: dict[str, list[bool]] = {"neighbours": [], "england": [], "change": []}
    for la in las:
        results = {
            "neighbours": versus_neighbours(p, la, year, neighbours.get(la, []), neighbours),
            "england": versus_england_any(p, la, year),
            "change": change_any(p, la, year),
        }
        for k, r in results.items():
            if r.tested:
                tested[k].append(r.significant)
    out: dict[str, float] = {k: (float(np.mean(v)) if v else np.nan) for k, v in tested.items()}
    out.update({f"n_{k}": len(v) for k, v in tested.items()})
    return out
