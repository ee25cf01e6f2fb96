"""The one-page summary: every headline indicator for an authority and reporting year in one
table (value, change over 1 and 3 years, statistical neighbours, England), key messages in plain
words, and a flag only where a calibrated test finds a difference or change beyond the usual
variation between authorities (:mod:`csdemand.methods.significance`).

Indicators, with the table and measure each comes from, whether it is a stock (counted at 31
March) or a flow (counted over the year), and the plain noun a sentence uses, are listed in
``reference/summary_indicators.csv``; decimals and polarity (is high good?) come from
``reference/measures.csv``. Every number on the page passes through :mod:`csdemand.core.numbers`.

Periods: the page reports one reporting year (ending 31 March). Each row shows that year; where
DfE has not yet published a measure for it, the row shows the latest year published and says so.
A figure DfE withheld (``c``, ``x``, ``z``) is shown as its marker for that year, never replaced
by an older one. The local (early help) row uses the same year, cut at 31 March.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers, periods
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks, significance
from csdemand.methods import funnel as fn
from csdemand.present.html import Figure, Html, Provenance, esc, sources_used
from csdemand.published import areas as areas_mod
from csdemand.published import store

ENGLAND = benchmarks.ENGLAND
SPANS = (1, 3)
#: A value this far from the neighbours' mean (as a share of it) is a "clear distance" when the
#: authority is also the highest or lowest of its group, or at twice this distance on its own.
CLEAR_DISTANCE = 0.25
#: Below this many children (the count behind a rate or percentage) a percentage change is not
#: given in words: 6 to 28 children is +365%.
SMALL = 20
#: Years a row's sparkline covers, to the row's year.
SPARK_YEARS = 10


# --------------------------------------------------------------------------- indicators


def indicators_list() -> pd.DataFrame:
    """The summary's indicators, in display order (``reference/summary_indicators.csv``)."""
    from importlib import resources

    with resources.files("csdemand").joinpath("reference", "summary_indicators.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Change:
    """A change from an earlier year to the page's year.

    ``then_value``: the earlier figure as the page compares it (a rate on the same population
    base as the later one); ``then_status``: its marker (``""`` when there is a value);
    ``shown``: the change as printed (difference of the two printed figures); ``pct``: the
    percentage change of the printed figures; ``test``: the calibrated test; ``reference``: the
    change across all authorities with figures in both years (% for rates, percentage points for
    percentages; NaN for a local count)."""

    span: int
    then_period: int
    then_value: float
    then_status: str
    shown: float
    pct: float
    test: significance.Result
    reference: float = np.nan
    small: bool = False  # a count below SMALL in either year: no percentage change in words

    @property
    def available(self) -> bool:
        return not numbers.is_missing(self.shown)

    @property
    def significant(self) -> bool:
        """Flagged by the test, with both figures shown."""
        return self.available and self.test.significant


@dataclass(frozen=True)
class Trend:
    """What a row's sparklines draw: ``values`` (year -> value, NaN where withheld) and
    ``statuses`` (year -> marker) over the :data:`SPARK_YEARS` years to the row's year,
    ``england`` (year -> England's value), and ``group`` (LA number -> value in the row's year,
    for the authority and its statistical neighbours with a value; empty for local data)."""

    first: int
    last: int
    values: pd.Series
    statuses: pd.Series
    england: pd.Series
    group: pd.Series


@dataclass
class Indicator:
    """One row of the summary: the figure for one measure, area and year, with its comparisons."""

    key: str
    label: str
    noun: str
    kind: str  # rate (per 10,000), percent (0-100) or count
    timing: str  # stock (at 31 March) or flow (in the year)
    period: int
    value: float
    status: str  # DfE marker where the value is withheld, else ""
    decimals: int
    polarity: str
    unit: str
    change1: Change
    change3: Change
    neighbours: benchmarks.NeighbourAverage | None
    rank: int  # among the authority and its neighbours with a value, 1 = lowest; 0 if none
    n_ranked: int
    england: float
    vs_england: significance.Result
    source: str
    note: str = ""  # e.g. why the row shows an earlier year
    synthetic: bool = False
    trend: Trend | None = None  # the row's last 10 years and its group of 11, for the sparklines

    @property
    def has_value(self) -> bool:
        return self.status == "" and not numbers.is_missing(self.value)

    @property
    def then1(self) -> float:
        return self.change1.then_value

    @property
    def then3(self) -> float:
        return self.change3.then_value

    @property
    def neighbours_mean(self) -> float:
        return self.neighbours.mean if self.neighbours is not None else np.nan

    @property
    def against_england(self) -> str:
        """``higher``, ``lower``, ``in line`` (equal as printed) or ``""`` (no comparison)."""
        if not self.has_value or numbers.is_missing(self.england):
            return ""
        a, b = numbers.round_half_up(self.value, self.decimals), numbers.round_half_up(self.england, self.decimals)
        return "in line" if a == b else ("higher" if a > b else "lower")

    @property
    def flag_vs_england(self) -> str:
        """The calibrated flag as the page shows it (none where the figures print the same)."""
        return self.vs_england.flag if self.against_england in ("higher", "lower") else ""


@dataclass
class Summary:
    la: areas_mod.LocalAuthority
    period: int
    model: str
    indicators: list[Indicator]
    neighbour_numbers: list[int] = field(default_factory=list)
    local_source: dict | None = None
    rows_used: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    requested_model: str = ""  # the model asked for, where it had no neighbours for this authority


# --------------------------------------------------------------------------- one published measure, every LA


@dataclass
class Panel:
    """One published measure for every LA and year, as the tests need it.

    ``la``: LA rows indexed by (la_number, period) with value, status, numerator, denominator,
    computed, source; ``england``: England's rows indexed by period; ``population``: children
    aged 0-17 for a reporting year (mid-year before it) from the newest population series,
    indexed by (la_number, reporting year); ``starts``: for a stock measure, children starting
    in each year, indexed by (la_number, period)."""

    key: str
    measure: str
    kind: str
    timing: str
    la: pd.DataFrame
    england: pd.DataFrame
    population: pd.Series
    starts: pd.Series | None


@lru_cache(maxsize=4)
def _population_cached(mtime: float) -> pd.Series:
    pop = store.load("population")
    pop = pop[(pop["measure"] == "population_0_17") & (pop["geographic_level"] == "la") & (pop["status"] == "")]
    pop = pop.sort_values("release").drop_duplicates(["la_number", "period"], keep="last")
    return pd.Series(
        pop["value"].to_numpy(float),
        index=pd.MultiIndex.from_arrays(
            [pop["la_number"].astype(int).to_numpy(), pop["period"].astype(int).to_numpy() + 1]
        ),
    )


def same_base_population() -> pd.Series:
    """Children aged 0-17 for each LA and reporting year t (the mid-(t-1) estimate of the newest
    series), so that a change between years reflects children, not a revised estimate."""
    from csdemand.core import paths

    f = paths.data_dir() / "population.csv"
    return _population_cached(f.stat().st_mtime if f.exists() else 0.0)


def panel(spec: pd.Series, df: pd.DataFrame) -> Panel:
    """The :class:`Panel` of a published indicator (a row of :func:`indicators_list`)."""
    m = df[df["measure"] == spec["measure"]]
    la = m[m["geographic_level"] == "la"].copy()
    la["la_number"] = la["la_number"].astype(int)
    la["status"] = la["status"].fillna("").astype(str)
    la = la.drop_duplicates(["la_number", "period"]).set_index(["la_number", "period"])[
        ["value", "status", "numerator", "denominator", "computed", "source", "area_name"]
    ]
    eng = m[m["area_code"] == ENGLAND].copy()
    eng["status"] = eng["status"].fillna("").astype(str)
    eng = eng.drop_duplicates("period").set_index("period")[["value", "status", "numerator", "denominator", "source"]]
    starts = None
    if spec.get("starts"):
        s = df[(df["measure"] == spec["starts"]) & (df["geographic_level"] == "la") & (df["status"].fillna("") == "")]
        starts = pd.Series(
            s["value"].to_numpy(float),
            index=pd.MultiIndex.from_arrays(
                [s["la_number"].astype(int).to_numpy(), s["period"].astype(int).to_numpy()]
            ),
        )
    return Panel(spec["key"], spec["measure"], spec["kind"], spec["timing"], la, eng, same_base_population(), starts)


def la_year(p: Panel, year: int) -> pd.DataFrame:
    """Every LA's row of the panel in one year, indexed by LA number (empty if none)."""
    try:
        return p.la.xs(year, level="period")
    except KeyError:
        return p.la.iloc[0:0].droplevel("period")


def testable(p: Panel, year: int) -> pd.DataFrame:
    """LAs with a published value, a count and a positive denominator in ``year``."""
    rows = la_year(p, year)
    ok = (rows["status"] == "") & rows["value"].notna() & rows["numerator"].notna() & (rows["denominator"] > 0)
    return rows[ok]


def england_target(p: Panel, year: int) -> float:
    """England's unrounded value (count / denominator x 10,000 or x 100), the funnel's target;
    England's printed value where the count is not held; NaN if England has no value."""
    if year not in p.england.index or p.england.loc[year, "status"] != "":
        return np.nan
    e = p.england.loc[year]
    if pd.notna(e["numerator"]) and pd.notna(e["denominator"]) and e["denominator"] > 0:
        return float(e["numerator"] / e["denominator"] * fn.PER_KIND[p.kind])
    return float(e["value"])


def pair(p: Panel, y1: int, y2: int) -> pd.DataFrame:
    """LAs with a published value and counts in both years: ``x1, n1, x2, n2`` (rates on the
    same-base population) and ``shared`` (children in both stocks, for a stock measure), by LA."""
    a, b = testable(p, y1), testable(p, y2)
    m = (
        a[["numerator", "denominator"]]
        .set_axis(["x1", "n1"], axis=1)
        .join(b[["numerator", "denominator"]].set_axis(["x2", "n2"], axis=1), how="inner")
    )
    if p.kind == "rate":
        for col, y in (("n1", y1), ("n2", y2)):
            base = p.population.reindex(pd.MultiIndex.from_arrays([m.index.to_numpy(), np.full(len(m), y)])).to_numpy()
            m[col] = np.where(np.isfinite(base) & (base > 0), base, m[col].to_numpy(float))
    m["shared"] = np.nan
    if p.starts is not None and p.timing == "stock":
        years = range(y1 + 1, y2 + 1)
        got = pd.DataFrame(
            {
                y: p.starts.reindex(pd.MultiIndex.from_arrays([m.index.to_numpy(), np.full(len(m), y)])).to_numpy()
                for y in years
            },
            index=m.index,
        )
        m["shared"] = significance.shared_from_starts(
            m["x2"].to_numpy(), got.sum(axis=1, min_count=len(years)).to_numpy()
        )
    return m


def _shared(p: Panel, m: pd.DataFrame) -> np.ndarray | None:
    return m["shared"].to_numpy(float) if p.starts is not None and p.timing == "stock" else None


def versus_england_all(p: Panel, year: int) -> pd.Series:
    """Every testable LA's over-dispersed z against England in ``year``, by LA number."""
    rows = testable(p, year)
    f = fn.funnel(
        rows["numerator"].to_numpy(float), rows["denominator"].to_numpy(float), england_target(p, year), p.kind
    )
    return pd.Series(f.z, index=rows.index)


def change_all(p: Panel, y1: int, y2: int) -> pd.Series:
    """Every LA's over-dispersed z for the change from ``y1`` to ``y2`` (funnel of changes)."""
    m = pair(p, y1, y2)
    cf = significance.change_funnel(m["x1"], m["n1"], m["x2"], m["n2"], p.kind, shared=_shared(p, m))
    return pd.Series(cf.z, index=m.index)


def _reference_change(p: Panel, m: pd.DataFrame) -> float:
    """The change across all LAs in ``m``: % for a rate, percentage points for a percentage."""
    if m.empty:
        return np.nan
    x1, n1, x2, n2 = (float(m[c].sum()) for c in ("x1", "n1", "x2", "n2"))
    if p.kind == "rate":
        return ((x2 / n2) / (x1 / n1) - 1) * 100
    return (x2 / n2 - x1 / n1) * 100


# --------------------------------------------------------------------------- building the page


def _published_year(p: Panel, year: int) -> int | None:
    """The page's year, or the latest earlier year England has a value for (a measure DfE
    publishes a year behind); None when there is none."""
    eng = p.england[(p.england["status"] == "") & p.england["value"].notna()]
    years = [int(y) for y in eng.index if int(y) <= year]
    return max(years) if years else None


def _row(p: Panel, la_number: int, year: int) -> tuple[float, str, pd.Series | None]:
    """(value, marker, row) of an LA in a year: marker ``x`` where there is no row or no value."""
    key = (la_number, year)
    if key not in p.la.index:
        return np.nan, "x", None
    r = p.la.loc[key]
    st = str(r["status"] or "")
    if st or pd.isna(r["value"]):
        return np.nan, st or "x", r
    return float(r["value"]), "", r


def _then_value(p: Panel, now_row: pd.Series | None, then_row: pd.Series | None) -> float:
    """The earlier figure as compared: a rate DfE printed on an older population base is taken on
    the base of the later (computed) figure, so a change reflects children, not a new estimate."""
    if then_row is None:
        return np.nan
    recomputed = (
        p.kind == "rate" and now_row is not None and bool(now_row["computed"]) and not bool(then_row["computed"])
    )
    if (
        recomputed
        and pd.notna(then_row["numerator"])
        and pd.notna(then_row["denominator"])
        and then_row["denominator"] > 0
    ):
        return float(then_row["numerator"] / then_row["denominator"] * fn.PER)
    return float(then_row["value"])


def published_change(
    p: Panel, la_number: int, year: int, span: int, value: float, now_row: pd.Series | None, decimals: int
) -> Change:
    """The change in a published measure over ``span`` years to ``year``, with its test."""
    y1 = year - span
    _then_raw, then_status, then_row = _row(p, la_number, y1)
    then_value = _then_value(p, now_row, then_row) if then_status == "" else np.nan
    shown = numbers.change_as_printed(value, then_value, decimals)
    pct = numbers.pct_change_as_printed(value, then_value, decimals)
    m = pair(p, y1, year)
    if la_number in m.index and not numbers.is_missing(value):
        i = int(m.index.get_loc(la_number))
        test = significance.change_test(m["x1"], m["n1"], m["x2"], m["n2"], i, p.kind, shared=_shared(p, m))
    else:
        test = significance.not_tested(f"no published count for both {y1} and {year}")
    counts = [r["numerator"] for r in (now_row, then_row) if r is not None]
    small = any(pd.notna(c) and c < SMALL for c in counts)
    return Change(span, y1, then_value, then_status, shown, pct, test, _reference_change(p, m), small)


def published_indicator(
    spec: pd.Series, p: Panel, la: areas_mod.LocalAuthority, year: int, neighbour_numbers: list[int]
) -> Indicator:
    """A published indicator's row for an LA and the page's year (markers where withheld)."""
    defn = codes.measure(spec["measure"])
    decimals = int(defn["decimals"])
    use = _published_year(p, year)
    note = ""
    if use is None:
        use = year
        note = f"{spec['label']}: not published for {year}."
    elif use != year:
        note = f"{spec['label']}: DfE has not yet published {year}; the row shows {use}, the latest year published."
    value, status, row = _row(p, la.la_number, use)
    changes = [published_change(p, la.la_number, use, s, value, row, decimals) for s in SPANS]
    year_rows = la_year(p, use)
    values = year_rows.loc[(year_rows["status"] == "") & year_rows["value"].notna(), "value"].astype(float)
    avg = benchmarks.neighbour_average(values, neighbour_numbers)
    group = values.reindex([la.la_number] + list(neighbour_numbers)).dropna()
    rank, n_ranked = benchmarks.rank_ascending(group, la.la_number)
    target = england_target(p, use)
    eng_value = (
        float(p.england.loc[use, "value"]) if use in p.england.index and p.england.loc[use, "status"] == "" else np.nan
    )
    rows = testable(p, use)
    if la.la_number in rows.index and np.isfinite(target):
        r = rows.loc[la.la_number]
        vs = significance.versus_england(
            r["numerator"],
            r["denominator"],
            target,
            rows["numerator"].to_numpy(float),
            rows["denominator"].to_numpy(float),
            p.kind,
        )
    else:
        vs = significance.not_tested(
            "no published count for the authority" if np.isfinite(target) else "no England figure"
        )
    return Indicator(
        key=spec["key"],
        label=spec["label"],
        noun=spec["noun"],
        kind=p.kind,
        timing=p.timing,
        period=use,
        value=value,
        status=status,
        decimals=decimals,
        polarity=str(defn["polarity"]),
        unit=str(defn["unit"]),
        change1=changes[0],
        change3=changes[1],
        neighbours=avg,
        rank=rank,
        n_ranked=n_ranked,
        england=eng_value,
        vs_england=vs,
        source=str(row["source"]) if row is not None else "",
        note=note,
        trend=published_trend(p, la.la_number, use, group),
    )


def _year_months(monthly: pd.Series, year: int) -> pd.Series | None:
    """The 12 monthly counts of a reporting year, or None unless the extract covers all 12."""
    months = pd.period_range(periods.year_start(year), periods.year_end(year), freq="M")
    if len(monthly) == 0 or monthly.index.min() > months[0] or monthly.index.max() < months[-1]:
        return None
    return monthly.reindex(months)


def early_help_indicator(la: areas_mod.LocalAuthority, year: int) -> tuple[Indicator, dict] | None:
    """Early help requests in the page's reporting year from the council's own extract, with the
    source record for the page (None where the authority has no extract). Months after 31 March
    of the year are not read; a year the extract does not cover in full is shown as ``x``."""
    from csdemand.core import disclosure
    from csdemand.local import early_help as early_help_data
    from csdemand.local.sources import read_records

    got = read_records("config", la, "early_help_requests")
    if got is None:
        return None
    monthly = early_help_data.monthly_totals(got.frame)
    monthly = monthly[monthly.index <= periods.year_end(year)]

    def total(y: int) -> tuple[float, str, pd.Series | None]:
        months = _year_months(monthly, y)
        if months is None:
            return np.nan, "x", None
        v, st = disclosure.suppress_counts(np.array([float(months.sum())]))
        return float(v[0]), str(st[0]), months

    value, status, now = total(year)
    changes = []
    for span in SPANS:
        then_value, then_status, then = total(year - span)
        shown = numbers.change_as_printed(value, then_value, 0)
        pct = numbers.pct_change_as_printed(value, then_value, 0)
        if now is not None and then is not None and status == "" and then_status == "":
            test = significance.count_change_test(then.to_numpy(float), now.to_numpy(float))
        else:
            test = significance.not_tested(f"the extract does not cover both {year - span} and {year} in full")
        changes.append(Change(span, year - span, then_value, then_status, shown, pct, test))
    label = "Early help requests (local data" + (", synthetic sample)" if got.synthetic else ")")
    note = ""
    if now is None:
        first, last = (monthly.index.min(), monthly.index.max()) if len(monthly) else (None, None)
        note = f"Early help: the local extract does not cover the whole year to March {year}" + (
            f" (it runs from {periods.month_label(first)} to {periods.month_label(last)})."
            if first is not None
            else "."
        )
    ind = Indicator(
        key="early_help_requests",
        label=label,
        noun="early help requests",
        kind="count",
        timing="flow",
        period=year,
        value=value,
        status=status,
        decimals=0,
        polarity="neither",
        unit="requests",
        change1=changes[0],
        change3=changes[1],
        neighbours=None,
        rank=0,
        n_ranked=0,
        england=np.nan,
        vs_england=significance.not_tested("local data: no England figure"),
        source="local",
        note=note,
        synthetic=got.synthetic,
        trend=local_trend(monthly, year),
    )
    name = got.label
    if "/" in name and " " not in name:
        name = Path(name).name
    last = monthly.index.max() if len(monthly) else periods.year_end(year)
    source = {
        "id": "local_early_help",
        "title": f"Early help requests (local extract {name}"
        + ("; synthetic sample: not real families)" if got.synthetic else ")"),
        "publisher": "Council",
        "published": str(min(last, periods.year_end(year))),
        "licence": "",
        "url": "",
    }
    return ind, source


# --------------------------------------------------------------------------- the sparklines' data


def published_trend(p: Panel, la_number: int, year: int, group: pd.Series) -> Trend:
    """The :data:`SPARK_YEARS` years to ``year`` of a published indicator for its sparkline (the
    figures as published, as the row's value is) and its group in ``year``."""
    years = list(range(year - SPARK_YEARS + 1, year + 1))
    try:
        mine = p.la.xs(la_number, level="la_number")
    except KeyError:
        mine = p.la.iloc[0:0].droplevel("la_number")
    mine = mine[~mine.index.duplicated(keep="last")].reindex(years)
    status = mine["status"].fillna("").astype(str)
    values = mine["value"].astype(float).where(status == "")
    eng = p.england[~p.england.index.duplicated(keep="last")].reindex(years)
    england = eng["value"].astype(float).where(eng["status"].fillna("").astype(str) == "")
    return Trend(year - SPARK_YEARS + 1, year, values, status, england, group.astype(float))


def local_trend(monthly: pd.Series, year: int) -> Trend:
    """The yearly totals of a local monthly count over the :data:`SPARK_YEARS` years to ``year``:
    only years the extract covers in full (12 months), a total of 1 to 5 withheld as ``c``."""
    from csdemand.core import disclosure

    years = list(range(year - SPARK_YEARS + 1, year + 1))
    totals, marks = {}, {}
    for y in years:
        months = _year_months(monthly, y)
        if months is None:
            continue
        v, st = disclosure.suppress_counts(np.array([float(months.sum())]))
        totals[y], marks[y] = float(v[0]), str(st[0])
    values = pd.Series(totals, dtype=float).reindex(years)
    statuses = pd.Series(marks, dtype=object).reindex(years).fillna("")
    return Trend(year - SPARK_YEARS + 1, year, values, statuses, pd.Series(np.nan, index=years), pd.Series(dtype=float))


def available_years(la_number: int, tables: dict[str, pd.DataFrame]) -> list[int]:
    """Reporting years in which the LA has a row (a value or a marker) of any summary measure."""
    specs = indicators_list()
    years: set[int] = set()
    for _, spec in specs[specs["table"] != "local"].iterrows():
        df = tables[spec["table"]]
        rows = df[(df["measure"] == spec["measure"]) & (df["la_number"] == la_number)]
        years.update(int(y) for y in rows["period"].unique())
    return sorted(years)


def build(la: str, period: str = "latest", model: str = "2025") -> Summary:
    """Every headline indicator for an LA (number, GSS code or name) and reporting year
    (``latest``: the newest year in which the LA has any summary figure, withheld or not)."""
    auth = areas_mod.resolve(la)
    tables = {"cla": store.load("cla"), "cin": store.load("cin")}
    # An authority abolished before the chosen model was made (Cumbria, Northamptonshire, the old
    # Dorset councils in the 2025 model) takes the newest model that has it; the page says so.
    used_model, nbrs = benchmarks.neighbours_for(store.load("statistical_neighbours"), auth.la_number, str(model))
    years = available_years(auth.la_number, tables)
    if not years:
        raise InputError(f"no summary figures for {auth.name} in the data", column="la", value=la)
    year = periods.annual_period(period, years)
    out: list[Indicator] = []
    local_source = None
    used = []
    for _, spec in indicators_list().iterrows():
        if spec["table"] == "local":
            got = early_help_indicator(auth, year)
            if got is not None:
                out.append(got[0])
                local_source = got[1]
            continue
        p = panel(spec, tables[spec["table"]])
        ind = published_indicator(spec, p, auth, year, nbrs)
        out.append(ind)
        df = tables[spec["table"]]
        shown_years = [ind.period] + [ind.period - s for s in SPANS]
        used.append(
            df[
                (df["measure"] == spec["measure"])
                & df["period"].isin(shown_years)
                & ((df["la_number"].isin([auth.la_number] + nbrs)) | (df["area_code"] == ENGLAND))
            ]
        )
    rows_used = pd.concat(used) if used else pd.DataFrame()
    return Summary(auth, year, used_model, out, nbrs, local_source, rows_used, requested_model=str(model))


# --------------------------------------------------------------------------- words


def _unit_suffix(ind: Indicator) -> str:
    return "%" if ind.kind == "percent" else ""


def _figure(ind: Indicator, value: float, decimals: int | None = None) -> str:
    """A figure of this indicator for a table cell: ``97``, ``18.4%``, ``14,412``."""
    return numbers.fmt(value, ind.decimals if decimals is None else decimals, unit=_unit_suffix(ind))


def _figure_words(ind: Indicator, value: float) -> str:
    """A figure in a sentence: ``676.3 per 10,000 children``, ``18.4%``, ``14,412``."""
    text = _figure(ind, value)
    return f"{text} per 10,000 children" if ind.kind == "rate" else text


def _when(ind: Indicator, year: int | None = None) -> str:
    y = ind.period if year is None else year
    return f"at 31 March {y}" if ind.timing == "stock" else f"in the year to March {y}"


def _size(ind: Indicator, ch: Change) -> str:
    """The size of a change in words: ``12.2 per 10,000 (2%)``, ``1.2 percentage points``, ``597 (4%)``."""
    size = numbers.fmt(abs(ch.shown), ind.decimals)
    if ind.kind == "percent":
        return f"{size} percentage point{'' if size == '1' else 's'}"
    pct = numbers.fmt(abs(ch.pct), 0)
    pct_words = "less than 1%" if pct == "0" else f"{pct}%"
    if ch.small:
        pct_words = f"small numbers: fewer than {SMALL} in a year"
    return f"{size} per 10,000 ({pct_words})" if ind.kind == "rate" else f"{size} ({pct_words})"


def _reference_words(ind: Indicator, ch: Change) -> str:
    if numbers.is_missing(ch.reference):
        return ""
    if ind.kind == "percent":
        return f"{numbers.fmt(ch.reference, 1, sign=True)} percentage points across all authorities"
    return f"{numbers.fmt(ch.reference, 0, sign=True)}% across all authorities"


def direction(ch: Change) -> str:
    """``rose``, ``fell`` or ``unchanged`` (as printed); ``""`` where there is no change to show."""
    if not ch.available:
        return ""
    return "unchanged" if ch.shown == 0 else ("rose" if ch.shown > 0 else "fell")


def judgement(ind: Indicator, ch: Change) -> str:
    """``better`` or ``worse`` for a move of a measure with a polarity (measures.csv), else ``""``."""
    d = direction(ch)
    if d in ("", "unchanged") or ind.polarity not in ("low_is_good", "high_is_good"):
        return ""
    return "better" if (d == "fell") == (ind.polarity == "low_is_good") else "worse"


def change_words(ind: Indicator, ch: Change, over: str = "on the year", subject: str = "it") -> str:
    """A change in words, with "significantly" only where the test flags it: "it fell by 12.2 per
    10,000 (2%) on the year", "it rose significantly by 30.7 per 10,000 (10%) on the year, against
    -1% across all authorities", "it fell by 0.3 percentage points on the year (better)"."""
    d = direction(ch)
    if not d:
        if ch.then_status and ch.then_status != "x":
            return (
                f"the {ch.then_period} figure is {numbers.marker_words(ch.then_status)}, so there is no change to show"
            )
        return f"there is no {ch.then_period} figure to compare"
    flag, ref = ch.test.flag, _reference_words(ind, ch)
    when = f" {over}" if over else ""
    verdict = f" ({judgement(ind, ch)})" if judgement(ind, ch) else ""
    if d == "unchanged":
        return f"{subject} was unchanged{when}" + (
            (f", against {ref}: a significant difference" if ref else ": a significant difference") if flag else ""
        )
    size = _size(ind, ch)
    if not flag:
        return f"{subject} {d} by {size}{when}{verdict}"
    if (flag == "higher") == (d == "rose"):
        return f"{subject} {d} significantly by {size}{when}{verdict}" + (f", against {ref}" if ref else "")
    # flagged against the direction of the move: the authority moved less than all authorities did
    return (
        f"{subject} {d} by {size}{when}{verdict}, significantly {'less' if d == 'rose' else 'less far'} than all "
        f"authorities ({ref.removesuffix(' across all authorities')})"
    )


def neighbour_words(ind: Indicator) -> tuple[str, float]:
    """Where the authority stands among its statistical neighbours, and how notable that is (0:
    not worth a sentence; 1: highest or lowest; 3+: a clear distance)."""
    nb = ind.neighbours
    if nb is None or not ind.has_value or nb.n_with_value < 3 or numbers.is_missing(nb.mean) or nb.mean == 0:
        return "", 0.0
    dist = (ind.value - nb.mean) / nb.mean
    mean = f"their mean {_figure(ind, nb.mean, max(1, ind.decimals))}"
    some = f"all {nb.n_with_value}" + (
        " of its statistical neighbours"
        if nb.n_with_value == nb.n_neighbours
        else " of its statistical neighbours with figures"
    )
    top, bottom = ind.rank == ind.n_ranked and ind.n_ranked > 1, ind.rank == 1 and ind.n_ranked > 1
    if (top or bottom) and numbers.round_half_up(ind.value, ind.decimals) != numbers.round_half_up(
        nb.mean, ind.decimals
    ):
        text = f"{'higher' if top else 'lower'} than {some} ({mean})"
        return text, (3.0 + min(abs(dist), 2.0) / 10 if abs(dist) >= CLEAR_DISTANCE else 1.0)
    if abs(dist) >= 2 * CLEAR_DISTANCE:
        pct = numbers.fmt(abs(dist) * 100, 0)
        return (
            f"{pct}% {'above' if dist > 0 else 'below'} its statistical neighbours' mean "
            f"({_figure(ind, nb.mean, max(1, ind.decimals))})",
            3.0 + min(abs(dist), 2.0) / 10,
        )
    return "", 0.0


def england_words(ind: Indicator) -> str:
    """``significantly higher than England (67)``, ``lower than England (22.6%), though not
    significantly``, ``in line with England (67)``; ``""`` where there is no comparison."""
    where = ind.against_england
    eng = _figure(ind, ind.england)
    if where == "in line":
        return f"in line with England ({eng})"
    if where in ("higher", "lower"):
        if ind.flag_vs_england:
            return f"significantly {where} than England ({eng})"
        return f"{where} than England ({eng}), though not significantly"
    return ""


@dataclass(frozen=True)
class Message:
    """A key message: the indicators it is about, its text and how much it matters."""

    keys: tuple[str, ...]
    text: str
    score: float


def message(s: Summary, ind: Indicator) -> Message:
    """One plain sentence about an indicator with a value, and its importance: a clear distance
    from England (flagged) or from the neighbours ranks first (3+), then a flagged change (2+; over
    3 years 1.5+), then top or bottom of the group of 11 (1), then the rest (0)."""
    name = s.la.name
    if ind.key == "early_help_requests":
        sample = " (synthetic sample)" if ind.synthetic else ""
        head = (
            f"{name} received {_figure(ind, ind.value)} early help requests{sample} in the year to March {ind.period}"
        )
        subject = "the number"
    else:
        head = f"In {name}, the {ind.noun} was {_figure_words(ind, ind.value)} {_when(ind)}"
        subject = "it"
    score = 0.0
    facts = []
    nb_text, nb_score = neighbour_words(ind)
    if nb_text:
        facts.append(nb_text)
        score = max(score, nb_score)
    eng_text = england_words(ind)
    if eng_text:
        facts.append(eng_text)
        if ind.flag_vs_england:
            score = max(
                score, 3.0 + (0.5 if ind.vs_england.level >= 0.998 else 0.0) + min(abs(ind.vs_england.z), 10) / 100
            )
    for ch, weight in ((ind.change1, 2.0), (ind.change3, 1.5)):
        if ch.test.significant and ch.available:
            score = max(score, weight + (0.5 if ch.test.level >= 0.998 else 0.0) + min(abs(ch.test.z), 10) / 100)
    text = head + (": " + " and ".join(facts) if facts else "")
    text += "; " + change_words(ind, ind.change1, subject=subject)
    if ind.change3.test.significant and ind.change3.available:
        text += "; " + change_words(ind, ind.change3, "", subject="over 3 years " + subject)
    return Message((ind.key,), text + ".", score)


def withheld_message(s: Summary, inds: list[Indicator]) -> Message:
    """One sentence for every indicator whose figure for the year is withheld or missing."""
    parts = []
    for st in dict.fromkeys(i.status for i in inds):
        same = [i for i in inds if i.status == st]
        nouns = [i.noun for i in same]
        listed = nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " and " + nouns[-1]
        noun = "requests" if all(i.kind == "count" for i in same) else "children"
        parts.append(f"the {listed} {'is' if len(same) == 1 else 'are'} {numbers.marker_words(st, noun)}")
    text = f"For {s.la.name} in {s.period}, " + "; ".join(parts) + "."
    return Message(tuple(i.key for i in inds), text, 0.5)


def messages(s: Summary) -> list[Message]:
    """Every indicator's message (indicators without a value in one message), most important
    first; ties keep the table's order."""
    msgs = [message(s, ind) for ind in s.indicators if ind.has_value]
    withheld = [ind for ind in s.indicators if not ind.has_value]
    if withheld:
        msgs.append(withheld_message(s, withheld))
    order = sorted(range(len(msgs)), key=lambda i: (-msgs[i].score, i))
    return [msgs[i] for i in order]


def key_messages(s: Summary) -> list[str]:
    """Three to five messages: every notable one (a flag, a clear distance, top or bottom of the
    11, a withheld figure), most important first, filled up to three with the others."""
    ranked = messages(s)
    notable = [m for m in ranked if m.score >= 0.5][:5]
    rest = [m for m in ranked if m not in notable]
    return [m.text for m in notable + rest[: max(0, 3 - len(notable))]]


# --------------------------------------------------------------------------- the table


#: Neighbours, rank and England for a local figure: no comparison (said in words to screen readers).
_NO_COMPARISON = '<span class="na" aria-label="no comparison for local data">\u2013</span>'
_ARROWS = {"rose": "\u25b2", "fell": "\u25bc", "unchanged": "\u25b6"}


def _marker_cell(status: str, title: str = "") -> str:
    st = numbers.fmt(np.nan, status=status or "x")
    t = f' title="{esc(title or numbers.MARKER_MEANINGS.get(st, ""))}"'
    return f'<span class="na"{t}>{esc(st)}</span>'


def change_cell(ind: Indicator, ch: Change) -> str:
    """Arrow, change as printed, a star where the test flags it, and "better"/"worse" in words
    and colour for a measure with a polarity."""
    d = direction(ch)
    if not d:
        if not ind.has_value:
            return _marker_cell(ind.status or "x")
        return _marker_cell(ch.then_status or "x", f"no {ch.then_period} figure to compare")
    verdict = judgement(ind, ch)
    cls = {"better": "good", "worse": "bad"}.get(verdict, "neutral")
    star = '<span class="sig" title="significant at the 5% level">*</span>' if ch.test.significant else ""
    if d == "unchanged":
        figure = "no change"
    else:
        figure = numbers.fmt(ch.shown, ind.decimals, sign=True) + (" pts" if ind.kind == "percent" else "")
    words = f' <span class="judgement">{verdict}</span>' if verdict else ""
    label = f"{d}{', ' + verdict if verdict else ''}{', significant' if ch.test.significant else ''}"
    return f'<span class="move {cls}" aria-label="{esc(label)}">{_ARROWS[d]} {esc(figure)}{star}{words}</span>'


def england_cell(ind: Indicator) -> str:
    """Against England in words: "Significantly higher", "Lower, not significant", "In line"."""
    if ind.key == "early_help_requests":
        return '<span class="na">local data</span>'
    where = ind.against_england
    if not where:
        return '<span class="na">not tested</span>'
    if where == "in line":
        return "In line"
    if ind.flag_vs_england:
        good = {"low_is_good": where == "lower", "high_is_good": where == "higher"}.get(ind.polarity)
        cls = "" if good is None else (" good" if good else " bad")
        verdict = "" if good is None else (" (better)" if good else " (worse)")
        return f'<span class="flag{cls}">Significantly {where}{verdict}</span>'
    return f"{where.capitalize()}, not significant"


def rank_cell(ind: Indicator) -> str:
    if not ind.rank:
        return _marker_cell("x", "no rank without a value")
    return f"{ind.rank} of {ind.n_ranked}"


def sparklines(s: Summary, ind: Indicator) -> tuple[str, str]:
    """The row's two small charts as markup (:func:`csdemand.present.charts.summary_sparklines`):
    its last 10 years, shown under the value, and where its value sits among its statistical
    neighbours', shown under their mean; ``""`` where there is nothing to draw. They go under
    figures, not in columns of their own, so the table keeps its width on screen and on A4."""
    from csdemand.present import charts

    if ind.trend is None:
        return "", ""
    t = ind.trend
    spark, strip = charts.summary_sparklines(
        t.values,
        t.group,
        s.la.la_number,
        name=s.la.name,
        label=ind.label,
        decimals=ind.decimals,
        unit=_unit_suffix(ind),
        statuses=t.statuses,
        england=t.england,
        neighbours_mean=ind.neighbours_mean,
        first=t.first,
        last=t.last,
    )
    return (
        "<br>" + spark._repr_html_() if spark is not None else "",
        "<br>" + strip._repr_html_() if strip is not None else "",
    )


def table(s: Summary) -> Html:
    """The summary table as HTML (text escaped; arrows with words and text alternatives; each
    value with a sparkline of its last 10 years under it, each neighbours' mean with a strip
    placing the value among the 11)."""
    head = [
        "Indicator",
        "Year",
        "Value",
        "Change on 1 year",
        "Change on 3 years",
        "Neighbours' mean",
        "Rank of 11",
        "England",
        "Against England",
    ]
    rows = []
    for ind in s.indicators:
        spark, strip = sparklines(s, ind)
        value = esc(_figure(ind, ind.value)) if ind.has_value else _marker_cell(ind.status)
        nb = ind.neighbours
        if nb is None:
            nb_cell = _NO_COMPARISON
        else:
            nb_cell = (
                esc(_figure(ind, nb.mean, max(1, ind.decimals)))
                if nb.n_with_value
                else _marker_cell("x", "no neighbour has a value")
            )
        eng = (
            _NO_COMPARISON
            if ind.key == "early_help_requests"
            else (esc(_figure(ind, ind.england)) if not numbers.is_missing(ind.england) else _marker_cell("x"))
        )
        year = f"{ind.period}" + ("" if ind.period == s.period else ' <span class="na">(latest)</span>')
        cells = [
            f'<th scope="row">{esc(ind.label)}</th>',
            f"<td>{year}</td>",
            f'<td class="num value">{value}{spark}</td>',
            f'<td class="num">{change_cell(ind, ind.change1)}</td>',
            f'<td class="num">{change_cell(ind, ind.change3)}</td>',
            f'<td class="num">{nb_cell}{strip}</td>',
            f'<td class="num">{rank_cell(ind) if nb is not None else _NO_COMPARISON}</td>',
            f'<td class="num">{eng}</td>',
            f"<td>{england_cell(ind)}</td>",
        ]
        rows.append(f'<tr data-indicator="{esc(ind.key)}">' + "".join(cells) + "</tr>")
    thead = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    caption = f"Headline indicators for {s.la.name}, {periods.year_label(s.period)}"
    return Html(
        '<table class="data '
        f'summary"><caption>{esc(caption)}</caption><thead><tr>{thead}</tr></thead><tbody>{"".join(rows)}</tbody>'
        f"{lac_outlook_row(s, len(head))}</table>"
    )


def lac_outlook_row(s: Summary, width: int) -> str:
    """Where the number looked after is heading, as one footer row of the table (issue 13): the
    range to plan within (or a forecast, were a method to beat the naive one) for next 31 March,
    with its cost; '' if it cannot be worked out. In the footer, so the indicator rows stay as they are."""
    from csdemand.briefings import looked_after_sections

    try:
        label, text = looked_after_sections.outlook_brief(s.la, s.period)
    except InputError:
        return ""
    return (
        f'<tfoot><tr data-outlook="cla_count"><th scope="row">{esc(label)}</th>'
        f'<td colspan="{width - 1}">{esc(text)}. Source: DfE LAIT; method and backtest in the looked-after '
        "briefing.</td></tr></tfoot>"
    )


def footnotes(s: Summary) -> list[str]:
    """The table's footnotes: symbols and colours, the tests in one plain sentence each, markers,
    neighbours and the rows that show another year or local data."""
    has_local = any(i.key == "early_help_requests" for i in s.indicators)
    out = [
        '\u25b2 up, \u25bc down, \u25b6 no change, as printed. Blue and "better", orange and "worse" mark moves of '
        "measures "
        "where lower or higher is better (fewer re-referrals are better); for the other measures neither direction "
        "is in itself "
        "better or worse.",
        '* and "significantly": '
        + significance.PLAIN["change"]
        + " "
        + significance.PLAIN["versus_england"]
        + (" " + significance.PLAIN["count"] if has_local else ""),
        f"Neighbours' mean: the mean of the authority's 10 statistical neighbours with a value (DfE {s.model} model"
        + (
            f"; the {s.requested_model} model has none for {s.la.name}"
            if s.requested_model and s.requested_model != s.model
            else ""
        )
        + "), as in LAIT; "
        "rank among the authority and its neighbours, 1 = lowest. Rates are per 10,000 children aged 0-17; an "
        "earlier year's rate is "
        "compared on the same population estimate as the later one.",
        "Under each value, its last 10 years (the authority orange, England dotted, the latest year a dot); under "
        "the neighbours' mean, the value among the 11 (the authority orange, each neighbour a blue dot, their mean "
        "a blue tick).",
    ]
    used = sorted(
        {i.status for i in s.indicators if i.status}
        | {c.then_status for i in s.indicators for c in (i.change1, i.change3) if c.then_status}
    )
    if used:
        out.append("; ".join(f"{m}: {numbers.MARKER_MEANINGS[m]}" for m in used if m in numbers.MARKER_MEANINGS) + ".")
    out += [i.note for i in s.indicators if i.note]
    if any(i.synthetic for i in s.indicators):
        out.append(
            "Early help figures come from a synthetic sample (not real families), standing in for the council's own "
            "extract."
        )
    return out


# --------------------------------------------------------------------------- figures as data, provenance


def figures(s: Summary) -> list[Figure]:
    """Every headline indicator as data for the briefing's JSON record."""
    out = []
    for ind in s.indicators:
        nb = ind.neighbours
        out.append(
            Figure(
                measure=ind.key,
                label=ind.label,
                area_code=s.la.area_code,
                la_number=s.la.la_number,
                period=str(ind.period),
                value=ind.value if ind.has_value else None,
                status=ind.status,
                unit=ind.unit,
                comparators={
                    "neighbours_mean": nb.mean if nb is not None else None,
                    "neighbours_median": nb.median if nb is not None else None,
                    "england": ind.england,
                    "value_1y_earlier": ind.change1.then_value,
                    "value_3y_earlier": ind.change3.then_value,
                    "change_1y": ind.change1.shown,
                    "change_3y": ind.change3.shown,
                },
                flags={
                    "vs_england": ind.flag_vs_england,
                    "change_1y": ind.change1.test.flag,
                    "change_3y": ind.change3.test.flag,
                    "rank": f"{ind.rank} of {ind.n_ranked}" if ind.rank else "",
                },
            )
        )
    return out


def condense_sources(sources: list[dict]) -> list[dict]:
    """One entry per publication: the tables of one release ("Characteristics of children in
    need, reporting year 2025: referrals and re-referrals (c1)", "...: factors identified at the
    end of assessment (c3)") become "Characteristics of children in need, reporting year 2025
    (tables c1, c3)", so the sources fit a line or two of the one-page summary. Ids are joined
    with "+", the latest publication month is kept."""
    import re

    groups: dict[tuple[str, str], list[dict]] = {}
    for src in sources:
        title = str(src.get("title", ""))
        if src.get("publisher") == "Council":  # the council's own extract: its title says what it is
            groups[("Council", title)] = [src]
            continue
        short = re.sub(r"\s*\([^()]*\)\s*$", "", title.split(":")[0]).strip()
        groups.setdefault((str(src.get("publisher", "")), short), []).append(src)
    out = []
    for (publisher, short), members in groups.items():
        tables = [m.group(1) for src in members if (m := re.search(r"\((\w{1,3})\)\s*$", str(src.get("title", ""))))]
        title = short + (f" (table{'s' if len(tables) > 1 else ''} {', '.join(tables)})" if tables else "")
        first = members[0]
        if publisher == "Council":
            out.append(first)
            continue
        out.append(
            {
                **first,
                "id": "+".join(str(m.get("id", "")) for m in members),
                "title": title,
                "published": max(str(m.get("published", "")) for m in members),
            }
        )
    return out


def provenance(s: Summary, parameters: dict) -> Provenance:
    """Title, parameters, the sources of the figures shown (the releases of the rows used, the
    neighbour model, the local extract) and the headline figures as data."""
    sources = sources_used(s.rows_used) if not s.rows_used.empty else []
    sources.append(codes.neighbour_source(s.model))
    if s.local_source is not None:
        sources.append(s.local_source)
    return Provenance(
        title=f"Summary: {s.la.name}, {s.period}",
        subtitle="Every headline indicator on one page: latest value, change, statistical neighbours and England",
        parameters={**parameters, "resolved period": s.period},
        sources=condense_sources(sources),
        notes=[
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education; Office for National Statistics."
        ],
        figures=figures(s),
    )


# --------------------------------------------------------------------------- how often the flags fire


def flag_rates(period: int = 2025) -> pd.DataFrame:
    """For each published headline indicator, over every LA in the shipped data: how many were
    tested and the share flagged for the change over 1 year and over 3 years to ``period``, and
    how many sit above and below England's 95% limits in ``period``, by the summary's own tests."""
    tables = {"cla": store.load("cla"), "cin": store.load("cin")}
    rows = []
    for _, spec in indicators_list().iterrows():
        if spec["table"] == "local":
            continue
        p = panel(spec, tables[spec["table"]])
        row = {"indicator": spec["key"], "label": spec["label"]}
        for span in SPANS:
            z = change_all(p, period - span, period).dropna()
            row[f"n_change_{span}y"] = len(z)
            row[f"flagged_change_{span}y"] = (
                float((significance.flags(z.to_numpy()) != "").mean() * 100) if len(z) else np.nan
            )
        z = versus_england_all(p, period).dropna()
        f = significance.flags(z.to_numpy())
        row["n_england"] = len(z)
        row["above_england"] = int((f == "higher").sum())
        row["below_england"] = int((f == "lower").sum())
        row["flagged_england"] = float((f != "").mean() * 100) if len(z) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def flag_rates_markdown(rates: pd.DataFrame, period: int = 2025) -> str:
    """:func:`flag_rates` as the README's table."""
    lines = [
        f"| indicator | change {period - 1} to {period} | change {period - 3} to {period} | against England "
        f"{period}: above / below (of n) |",
        "|---|---|---|---|",
    ]
    for _, r in rates.iterrows():
        lines.append(
            f"| {r['label']} | {numbers.fmt(r['flagged_change_1y'], 0)}% of {r['n_change_1y']} | "
            f"{numbers.fmt(r['flagged_change_3y'], 0)}% of {r['n_change_3y']} "
            f"| {numbers.fmt(r['flagged_england'], 0)}%: {r['above_england']} / {r['below_england']} (of "
            f"{r['n_england']}) |"
        )
    return "\n".join(lines)
