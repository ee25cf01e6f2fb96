"""Where looked-after numbers and their cost are heading: projections of the children looked after
at 31 March, 1 to 3 years ahead, for every authority, judged by a public backtest.

Units and definitions used throughout:

* **Reporting year** ``t`` = the year ending 31 March ``t``. The *stock* is the number of children
  looked after at 31 March ``t`` (LAIT ``LACnum``); *starts* and *ceases* are the children who
  started or ceased to be looked after during year ``t`` (``LACnum_Start``, ``LACceased``);
  *population* is the ONS mid-year estimate of children aged 0-17 for mid-``(t-1)``, the denominator
  DfE uses for year ``t``. The *starting rate* is starts per 10,000 children; the *ceasing share*
  is ceases / (opening stock + starts): the share of the children looked after at some point in
  the year who left care by its end.
* **Weekly unit cost** (``LACFinance``, GBP a week, outturn for the financial year ending in March
  ``t``) and **total spend** (``TotalLACFinance``, GBP, same year).
* A **projection from origin** ``o`` uses only data for years up to ``o`` and projects years
  ``o + 1`` to ``o + 3`` (horizon 1 to 3 years).
* **Errors**: absolute percentage error ``|actual - forecast| / actual`` (the tables give its
  median, MdAPE) and the log ratio ``log(actual / forecast)`` (what intervals are built from).

Methods (:data:`METHODS`): ``naive`` (last value), ``linear`` (OLS line through the last 5 years),
``damped`` (damped-trend exponential smoothing of the log stock, with smoothing parameters
estimated jointly over every authority's history: see :func:`fit_damped`), ``stock_flow``
(next stock = stock + starts - ceases, with the starting rate, the ceasing share and the gap
between published stocks and flows each carried at their last-3-year level) and
``national_trend`` (the last value carried by the median growth of all authorities' stocks in the
latest year, damped).

Intervals are calibrated from the backtest, not from a model: the 10th/90th (80%) and
2.5th/97.5th (95%) percentiles of ``log(actual / forecast)`` for the same method and horizon,
pooled over authorities, using only forecasts whose outcome year was already published at the
origin (:func:`error_quantiles`). A method is shown as a forecast only if its 1-year projection
beat the naive one for more than half of the authorities in the backtest (:func:`judge`).

Every function is pure: it takes frames or arrays and returns new ones; nothing plots, prints or
reads files. :func:`histories` turns the tidy LAIT and population tables into the one frame the
rest use; :func:`backtest` is cached per process on a fingerprint of that frame, so a briefing for
one authority does not recompute it. A briefing's calls::

    hist = projection.histories(store.load("lait"), store.load("population"))
    bt = projection.backtest(hist)                      # ~1 s of CPU, once per process
    p = projection.project(hist, 352, bt)               # p.frame is empty, p.sentence says why, if nothing is shown
    rate = projection.projected_rate(hist, 352, p.frame)  # per 10,000 children (neighbours likewise)
    cost = projection.project_cost(hist, 352, p.frame, bt)  # cost.sentence, cost.note (placement mix)
    what_if = projection.scenario(hist, 352, bt, start_change=-0.10)
    past = projection.hindcast(hist, 352, bt, 2022)     # projected from 2022 beside what happened
    like = projection.accuracy_like(bt, hist, 352, bt.judgement.default or "naive")
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from csdemand.core import tidy
from csdemand.core.errors import InputError
from csdemand.core.numbers import fmt

# --------------------------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------------------------

#: LAIT measure codes and the column each becomes in :func:`histories`.
MEASURES: dict[str, str] = {
    "LACnum": "stock",
    "LACnum_Start": "starts",
    "LACceased": "ceases",
    "LACFinance": "unit_cost",
    "TotalLACFinance": "total_spend",
}
POPULATION_MEASURE = "population_0_17"
COLUMNS = ("stock", "starts", "ceases", "population", "unit_cost", "total_spend")

METHODS: tuple[str, ...] = ("naive", "linear", "damped", "stock_flow", "national_trend")
METHOD_LABELS: dict[str, str] = {
    "naive": "Last value (naive)",
    "linear": "Linear trend (last 5 years)",
    "damped": "Damped-trend exponential smoothing",
    "stock_flow": "Stock-flow (starts and ceases)",
    "national_trend": "National trend (median growth, damped)",
}
UNIT_COST_METHODS: tuple[str, ...] = ("naive", "loglinear", "median_growth")
UNIT_COST_LABELS: dict[str, str] = {
    "naive": "Last outturn",
    "loglinear": "Log-linear trend (last 5 outturns)",
    "median_growth": "Last outturn grown by its median growth (last 3 years)",
}

HORIZONS: tuple[int, ...] = (1, 2, 3)
#: Origins the backtest tables report (2023 and 2024 only at the horizons the data allow).
FIRST_ORIGIN = 2019
#: Forecasts from this origin are made too, but only to calibrate later intervals (their outcome
#: years, 2019-2021, were published by the time of the 2019-2021 origins).
FIRST_CALIBRATION_ORIGIN = 2018
MIN_BACKTEST_YEARS = 3  # an authority enters the backtest at an origin with this many years to it
MIN_PROJECTION_YEARS = 5  # ...and gets a projection of its own with this many
MIN_CALIBRATION_ERRORS = 50  # fewer past errors than this at a horizon: no interval
LEVELS: tuple[float, ...] = (0.80, 0.95)
LINEAR_YEARS = 5
FLOW_YEARS = 3  # stock-flow rates carried at their mean over this many latest years
POPULATION_YEARS = 3  # child population projected by its mean growth over this many years
TREND_DAMPING = 0.8  # phi for the damped carries (national trend, stock-flow "damped" option)
DAMPED_BOUNDS = ((0.05, 1.0), (0.0, 1.0), (0.8, 0.98))  # alpha, beta, phi (statsmodels' ETS bounds for phi)
COST_WEEKS = 52
UNIT_COST_PHRASES: dict[str, str] = {
    "naive": "held at that level",
    "loglinear": "projected on its log-linear trend over the last 5 years",
    "median_growth": "grown by its median annual growth over the last 3 years",
}
UNIT_COST_HORIZONS: tuple[int, ...] = (1, 2, 3, 4)  # 4: an authority whose latest outturn lags a year
UNIT_COST_LOGLINEAR_YEARS = 5
UNIT_COST_GROWTH_YEARS = 3

#: Why an authority's series starts late or stops: local government reorganisations in the data.
REORGANISED: dict[int, str] = {
    835: "replaced by Dorset and by Bournemouth, Christchurch and Poole from 2020",
    836: "replaced by Bournemouth, Christchurch and Poole from 2020",
    837: "replaced by Bournemouth, Christchurch and Poole from 2020",
    838: "created in 2020 from Dorset County",
    839: "created in 2020 from Bournemouth, Poole and part of Dorset",
    928: "replaced by North and West Northamptonshire from 2022",
    940: "created in 2022 from Northamptonshire",
    941: "created in 2022 from Northamptonshire",
    909: "replaced by Cumberland and by Westmorland and Furness from 2024",
    942: "created in 2024 from Cumbria",
    943: "created in 2024 from Cumbria",
}

PLACEMENT_MIX_NOTE = (
    "The weekly unit cost is an average over every kind of placement: a place in a residential "
    "children's home costs many times a foster placement, so a change in the mix of placements "
    "moves the cost even when the number of children does not, and this projection cannot see it."
)


# --------------------------------------------------------------------------------------------
# the history frame
# --------------------------------------------------------------------------------------------


def histories(lait: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """One row per authority and reporting year: ``la_number``, ``area_name``, ``period`` and the
    columns of :data:`COLUMNS` (NaN where LAIT prints ``-`` or has no row).

    ``lait`` is the tidy LAIT table (``store.load("lait")``), ``population`` the tidy population
    table (``store.load("population")``, measure ``population_0_17``, period = mid-year); year ``t``
    gets the estimate for mid-``(t-1)``. Only local authorities (``geographic_level == "la"``)
    are kept; every authority gets every year from the first to the last year of the stock.
    """
    need = {"la_number", "area_name", "geographic_level", "period", "measure", "value", "status"}
    for name, frame in (("lait", lait), ("population", population)):
        tidy.require_columns(frame, need, name, "a tidy table (csdemand.core.tidy)")
    rows = lait[(lait["geographic_level"] == "la") & lait["measure"].isin(list(MEASURES))]
    if not (rows["measure"] == "LACnum").any():
        raise InputError(
            "the LAIT table holds no LACnum rows for local authorities",
            column="measure",
            value="LACnum",
            expected="LAIT's children looked after at 31 March",
        )
    value = rows["value"].astype(float).where(rows["status"].fillna("").astype(str).str.strip() == "")
    long = pd.DataFrame(
        {
            "la_number": rows["la_number"].astype(int).to_numpy(),
            "period": rows["period"].astype(int).to_numpy(),
            "column": rows["measure"].map(MEASURES).astype(str).to_numpy(),
            "value": value.to_numpy(dtype=float),
        }
    )
    wide = long.pivot_table(
        index=["la_number", "period"], columns="column", values="value", aggfunc="first", dropna=False
    )
    pop = population[(population["geographic_level"] == "la") & (population["measure"] == POPULATION_MEASURE)]
    pop_value = pop["value"].astype(float).where(pop["status"].fillna("").astype(str).str.strip() == "")
    pop_series = pd.Series(
        pop_value.to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays(
            [pop["la_number"].astype(int).to_numpy(), pop["period"].astype(int).to_numpy() + 1],
            names=["la_number", "period"],
        ),
    )
    pop_series = pop_series[~pop_series.index.duplicated(keep="last")]
    stock_years = long.loc[long["column"] == "stock", "period"]
    years = np.arange(int(stock_years.min()), int(stock_years.max()) + 1)
    las = np.sort(long["la_number"].unique())
    full = pd.MultiIndex.from_product([las, years], names=["la_number", "period"])
    out = wide.reindex(full)
    out["population"] = pop_series.reindex(full).to_numpy()
    for c in COLUMNS:
        if c not in out:
            out[c] = np.nan
    names = (
        rows.assign(_la=rows["la_number"].astype(int))
        .sort_values("period")
        .groupby("_la")["area_name"]
        .last()
        .astype(str)
    )
    out = out.reset_index()
    out.insert(1, "area_name", out["la_number"].map(names))
    return out[["la_number", "area_name", "period", *COLUMNS]].astype({c: float for c in COLUMNS})


def authority(hist: pd.DataFrame, la_number: int) -> pd.DataFrame:
    """One authority's rows of :func:`histories`, indexed by period."""
    rows = hist[hist["la_number"] == int(la_number)]
    if rows.empty:
        raise InputError(
            f"no looked-after history for LA {la_number}",
            column="la_number",
            value=la_number,
            expected="a DfE LA number in LAIT",
        )
    return rows.set_index("period").sort_index()


@dataclass(frozen=True)
class Run:
    """An authority's unbroken run of published stocks ending at an origin, as arrays by year
    (``periods[-1]`` is the origin). Flows, population and costs may hold NaN."""

    la_number: int
    periods: np.ndarray
    stock: np.ndarray
    starts: np.ndarray
    ceases: np.ndarray
    population: np.ndarray

    @property
    def origin(self) -> int:
        return int(self.periods[-1])

    def __len__(self) -> int:
        return len(self.periods)


def _tail_run(stock: np.ndarray) -> int:
    """How many values at the end of ``stock`` are published (not NaN) with no gap."""
    n = 0
    while n < len(stock) and not np.isnan(stock[len(stock) - 1 - n]):
        n += 1
    return n


def run_to(history: pd.DataFrame, origin: int) -> Run:
    """The years up to ``origin`` with a published stock and no gap before ``origin`` (empty if
    the stock for ``origin`` itself is not published). ``history`` is :func:`authority`'s frame."""
    h = history.loc[history.index <= origin]
    la = int(history["la_number"].iloc[0]) if "la_number" in history and len(history) else -1
    n = _tail_run(h["stock"].to_numpy(dtype=float)) if len(h) and int(h.index[-1]) == origin else 0
    tail = h.iloc[len(h) - n :]
    return Run(
        la_number=la,
        periods=tail.index.to_numpy(dtype=int),
        stock=tail["stock"].to_numpy(dtype=float),
        starts=tail["starts"].to_numpy(dtype=float),
        ceases=tail["ceases"].to_numpy(dtype=float),
        population=tail["population"].to_numpy(dtype=float),
    )


@dataclass(frozen=True)
class _Panel:
    """:func:`histories` as arrays (authorities in rows, years in columns), for the backtest's speed."""

    years: np.ndarray
    las: np.ndarray
    names: list[str]
    data: dict[str, np.ndarray]

    def run(self, i: int, origin: int) -> Run:
        j = int(np.searchsorted(self.years, origin))
        if j >= len(self.years) or self.years[j] != origin:
            return Run(int(self.las[i]), *(np.array([]) for _ in range(5)))
        n = _tail_run(self.data["stock"][i, : j + 1])
        sl = slice(j + 1 - n, j + 1)
        return Run(
            la_number=int(self.las[i]),
            periods=self.years[sl],
            stock=self.data["stock"][i, sl],
            starts=self.data["starts"][i, sl],
            ceases=self.data["ceases"][i, sl],
            population=self.data["population"][i, sl],
        )

    def value(self, column: str, i: int, year: int) -> float:
        j = int(np.searchsorted(self.years, year))
        return float(self.data[column][i, j]) if j < len(self.years) and self.years[j] == year else math.nan


def _panel(hist: pd.DataFrame) -> _Panel:
    years = np.sort(hist["period"].unique()).astype(int)
    las = np.sort(hist["la_number"].unique()).astype(int)
    full = pd.MultiIndex.from_product([las, years], names=["la_number", "period"])
    h = hist.set_index(["la_number", "period"]).reindex(full)
    data = {c: h[c].to_numpy(dtype=float).reshape(len(las), len(years)) for c in COLUMNS}
    names = hist.groupby("la_number")["area_name"].last().reindex(las).astype(str).tolist()
    return _Panel(years=years, las=las, names=names, data=data)


# --------------------------------------------------------------------------------------------
# pooled quantities: what every authority's data say at an origin
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """Quantities estimated over all authorities with data up to ``origin``:
    ``damped`` = (alpha, beta, phi) of the damped-trend smoothing of the log stock;
    ``median_growth`` = median over authorities of log(stock[origin] / stock[origin - 1])."""

    origin: int
    damped: tuple[float, float, float]
    median_growth: float


def _damped_errors(y: np.ndarray, alpha: float, beta: float, phi: float) -> np.ndarray:
    """One-step errors of additive damped-trend smoothing over the columns of ``y`` (series in
    rows, NaN before each series starts). Level starts at the first value, trend at 0."""
    level = np.where(np.isnan(y[:, 0]), np.nan, y[:, 0])
    trend = np.zeros(len(y))
    errors = np.full(y.shape, np.nan)
    for j in range(1, y.shape[1]):
        x = y[:, j]
        started = ~np.isnan(level)
        forecast = level + phi * trend
        e = np.where(started, x - forecast, np.nan)
        errors[:, j] = e
        new_level = np.where(started, forecast + alpha * e, x)
        trend = np.where(started, phi * trend + alpha * beta * e, 0.0)
        level = new_level
    return errors


def damped_state(y: np.ndarray, alpha: float, beta: float, phi: float) -> tuple[float, float]:
    """Final (level, trend) of additive damped-trend smoothing of one series ``y`` (no NaN),
    started at level ``y[0]`` and trend 0: statsmodels' ``ExponentialSmoothing(trend="add",
    damped_trend=True)`` with ``initialization_method="known"`` gives the same forecasts."""
    level, trend = float(y[0]), 0.0
    for x in y[1:]:
        forecast = level + phi * trend
        e = float(x) - forecast
        level = forecast + alpha * e
        trend = phi * trend + alpha * beta * e
    return level, trend


def fit_damped(runs: Iterable[Run]) -> tuple[float, float, float]:
    """Smoothing parameters (alpha, beta, phi) of the damped-trend model of the log stock that
    minimise the squared one-step errors summed over every run: one set for all authorities.

    Why pooled: with 3 to 10 annual points an authority's own estimates swing between the bounds
    (statsmodels fits on such series returned alpha near 0 or 1 and trends of +/-5% a year) and
    took ~0.1 s each; pooled over ~150 authorities the estimate is stable, and one fit per origin
    keeps the backtest to seconds. Runs with a zero stock are left out (no log).
    """
    series = [np.log(r.stock) for r in runs if len(r) >= 2 and np.all(r.stock > 0)]
    if not series:
        raise InputError(
            "no authority has two or more positive stocks to fit the damped trend",
            column="stock",
            expected="a history of at least two years",
        )
    width = max(len(s) for s in series)
    y = np.full((len(series), width), np.nan)
    for i, s in enumerate(series):
        y[i, width - len(s) :] = s

    def loss(p: np.ndarray) -> float:
        e = _damped_errors(y, *p)
        return float(np.nansum(e**2))

    result = minimize(loss, x0=np.array([0.9, 0.1, 0.9]), bounds=DAMPED_BOUNDS, method="L-BFGS-B")
    a, b, phi = (float(v) for v in result.x)
    return (round(a, 6), round(b, 6), round(phi, 6))


def median_growth(hist: pd.DataFrame, year: int) -> float:
    """Median over authorities of log(stock[year] / stock[year - 1]) (both published, positive)."""
    w = hist[hist["period"].isin([year - 1, year])].pivot_table(index="la_number", columns="period", values="stock")
    if year - 1 not in w or year not in w:
        return math.nan
    ok = (w[year - 1] > 0) & (w[year] > 0)
    return float(np.median(np.log(w.loc[ok, year] / w.loc[ok, year - 1]))) if ok.any() else math.nan


def pooled(hist: pd.DataFrame, origin: int, runs: Iterable[Run] | None = None) -> Pooled:
    """:class:`Pooled` at ``origin`` from every authority's data up to it (``runs``: every
    authority's :func:`run_to` at ``origin``, if already made). The damped trend is fitted to the
    runs of :data:`MIN_BACKTEST_YEARS` or more years; the median growth is over every authority with
    positive stocks in ``origin - 1`` and ``origin``."""
    if runs is None:
        runs = [run_to(authority(hist, la), origin) for la in hist["la_number"].unique()]
    runs = list(runs)
    growth = [math.log(r.stock[-1] / r.stock[-2]) for r in runs if len(r) >= 2 and r.stock[-1] > 0 and r.stock[-2] > 0]
    return Pooled(
        origin=origin,
        damped=fit_damped(r for r in runs if len(r) >= MIN_BACKTEST_YEARS),
        median_growth=float(np.median(growth)) if growth else math.nan,
    )


# --------------------------------------------------------------------------------------------
# the methods: each takes a Run and returns the stock at origin + 1 ... origin + horizon
# --------------------------------------------------------------------------------------------


def naive(run: Run, horizon: int = 3, pool: Pooled | None = None) -> np.ndarray:
    """The last value, every year ahead."""
    return np.repeat(float(run.stock[-1]), horizon)


def linear(run: Run, horizon: int = 3, pool: Pooled | None = None, years: int = LINEAR_YEARS) -> np.ndarray:
    """The OLS line through the last ``years`` stocks (fewer if the run is shorter), extended;
    never below zero children."""
    y = run.stock[-years:]
    if len(y) < 2:
        return naive(run, horizon)
    t = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    return np.maximum(intercept + slope * (t[-1] + np.arange(1, horizon + 1)), 0.0)


def damped(
    run: Run, horizon: int = 3, pool: Pooled | None = None, params: tuple[float, float, float] | None = None
) -> np.ndarray:
    """Damped-trend exponential smoothing of the log stock with the pooled parameters
    (``pool.damped``, or ``params``): exp(level + (phi + ... + phi^h) trend). NaN where the
    run holds a zero (no log)."""
    a, b, phi = params if params is not None else pool.damped  # type: ignore[union-attr]
    if np.any(run.stock <= 0):
        return np.full(horizon, np.nan)
    level, trend = damped_state(np.log(run.stock), a, b, phi)
    steps = np.cumsum(phi ** np.arange(1, horizon + 1))
    return np.exp(level + steps * trend)


def _carry(values: np.ndarray, horizon: int, years: int, how: str) -> np.ndarray:
    """A rate carried ``horizon`` years: its mean over the last ``years`` published values
    (``how="level"``), or that level plus the OLS slope of the last 5 values, damped by
    :data:`TREND_DAMPING` (``how="damped"``). NaN if no value is published."""
    v = values[~np.isnan(values)]
    if not len(v):
        return np.full(horizon, np.nan)
    level = float(np.mean(v[-years:]))
    if how == "level":
        return np.repeat(level, horizon)
    if how != "damped":
        raise InputError("unknown carry", column="how", value=how, expected="'level' or 'damped'")
    last = v[-LINEAR_YEARS:]
    slope = float(np.polyfit(np.arange(len(last)), last, 1)[0]) if len(last) >= 3 else 0.0
    steps = np.cumsum(TREND_DAMPING ** np.arange(1, horizon + 1))
    return level + slope * steps


@dataclass(frozen=True)
class FlowRates:
    """What the stock-flow model carries, as measured over the run: starting rate per 10,000
    children, ceasing share of (opening stock + starts), and the gap between published stocks
    and flows as a share of the opening stock, each by year (NaN where not computable)."""

    starting_rate: np.ndarray
    ceasing_share: np.ndarray
    gap_share: np.ndarray


def flow_rates(run: Run) -> FlowRates:
    """The starting rate, ceasing share and stock-flow gap for each year of ``run``.

    The published flows do not reconcile exactly with the stocks: across authority-years the stock at
    31 March is a median 0.6% above opening stock + starts - ceases (DfE counts children, once in each
    flow however many times they started or ceased), so the gap is carried as a third rate.
    """
    opening = np.r_[np.nan, run.stock[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = run.starts / run.population * 10_000
        at_risk = opening + run.starts
        share = np.where(at_risk > 0, run.ceases / at_risk, np.nan)
        gap = np.where(opening > 0, (run.stock - (opening + run.starts - run.ceases)) / opening, np.nan)
    return FlowRates(starting_rate=rate, ceasing_share=share, gap_share=gap)


def population_path(population: np.ndarray, horizon: int, years: int = POPULATION_YEARS) -> np.ndarray:
    """Child population for the next ``horizon`` reporting years: the latest estimate grown by its
    mean annual growth over the last ``years`` years (carried flat if fewer are published, or if
    ``years`` is 0)."""
    v = population[~np.isnan(population)]
    if not len(v):
        return np.full(horizon, np.nan)
    growth = (v[-1] / v[-1 - years]) ** (1 / years) if years > 0 and len(v) > years and v[-1 - years] > 0 else 1.0
    return v[-1] * growth ** np.arange(1, horizon + 1)


def stock_flow_path(
    run: Run,
    horizon: int = 3,
    *,
    start_change: float = 0.0,
    cease_change: float = 0.0,
    from_year: int | None = None,
    starts_carry: str = "level",
    ceases_carry: str = "level",
    years: int = FLOW_YEARS,
    population_years: int = POPULATION_YEARS,
) -> pd.DataFrame:
    """The stock-flow projection year by year: ``period``, ``population``, ``starting_rate``,
    ``starts``, ``ceasing_share``, ``ceases``, ``stock``.

    Each year: starts = starting rate x projected child population / 10,000; ceases = ceasing
    share x (opening stock + starts); stock = opening stock + starts - ceases + gap share x opening
    stock. The rates are carried at their mean over the last ``years`` years (``"level"``) or with a
    damped trend (``"damped"``); the child population by its growth over ``population_years``
    (0: carried flat). Scenarios: ``start_change`` = -0.10 cuts the starting rate by 10%,
    ``cease_change`` = +0.05 raises the ceasing share by 5% (relative), both from ``from_year``
    (default: the first projected year) on.
    """
    return pd.DataFrame(
        _stock_flow_arrays(
            run,
            horizon,
            start_change=start_change,
            cease_change=cease_change,
            from_year=from_year,
            starts_carry=starts_carry,
            ceases_carry=ceases_carry,
            years=years,
            population_years=population_years,
        )
    )


def _stock_flow_arrays(
    run: Run,
    horizon: int,
    *,
    start_change: float = 0.0,
    cease_change: float = 0.0,
    from_year: int | None = None,
    starts_carry: str = "level",
    ceases_carry: str = "level",
    years: int = FLOW_YEARS,
    population_years: int = POPULATION_YEARS,
) -> dict[str, np.ndarray]:
    rates = flow_rates(run)
    start_rate = _carry(rates.starting_rate, horizon, years, starts_carry)
    share = _carry(rates.ceasing_share, horizon, years, ceases_carry)
    gap = _carry(rates.gap_share, horizon, years, "level")
    gap = np.where(np.isnan(gap), 0.0, gap)
    pop = population_path(run.population, horizon, population_years)
    periods = run.origin + np.arange(1, horizon + 1)
    first = run.origin + 1 if from_year is None else int(from_year)
    on = periods >= first
    start_rate = start_rate * np.where(on, 1 + start_change, 1.0)
    share = np.clip(share * np.where(on, 1 + cease_change, 1.0), 0.0, 1.0)
    stock = np.empty(horizon)
    starts = start_rate * pop / 10_000
    ceases = np.empty(horizon)
    s = float(run.stock[-1])
    for i in range(horizon):
        ceases[i] = share[i] * (s + starts[i])
        s = max(s + starts[i] - ceases[i] + gap[i] * s, 0.0)
        stock[i] = s
    return {
        "period": periods,
        "population": pop,
        "starting_rate": start_rate,
        "starts": starts,
        "ceasing_share": share,
        "ceases": ceases,
        "stock": stock,
    }


def stock_flow(run: Run, horizon: int = 3, pool: Pooled | None = None, **options) -> np.ndarray:
    """The stock from :func:`stock_flow_path` (NaN where a rate or the population is missing)."""
    return _stock_flow_arrays(run, horizon, **options)["stock"]


def national_trend(
    run: Run, horizon: int = 3, pool: Pooled | None = None, growth: float | None = None, phi: float = TREND_DAMPING
) -> np.ndarray:
    """The last value grown by the median growth of every authority's stock in the origin year
    (``pool.median_growth``, or ``growth``, a log ratio), damped: year h adds growth x phi^(h-1)."""
    g = growth if growth is not None else pool.median_growth  # type: ignore[union-attr]
    steps = np.cumsum(g * phi ** np.arange(horizon))
    return float(run.stock[-1]) * np.exp(steps)


#: Methods that need no :class:`Pooled` estimates (every other one is given them).
UNPOOLED = {"naive", "linear", "stock_flow"}

FORECASTERS: dict[str, Callable[..., np.ndarray]] = {
    "naive": naive,
    "linear": linear,
    "damped": damped,
    "stock_flow": stock_flow,
    "national_trend": national_trend,
}


def forecast(run: Run, method: str, horizon: int = 3, pool: Pooled | None = None) -> np.ndarray:
    """Stock at origin + 1 ... origin + ``horizon`` by ``method`` (one of :data:`METHODS`),
    never below zero; ``pool`` is needed by ``damped`` and ``national_trend``."""
    if method not in FORECASTERS:
        raise InputError(
            "unknown projection method", column="method", value=method, expected="one of " + ", ".join(METHODS)
        )
    if method not in UNPOOLED and pool is None:
        raise InputError(
            f"the {method} method needs the pooled estimates", column="pool", expected="projection.pooled(hist, origin)"
        )
    return np.maximum(FORECASTERS[method](run, horizon, pool), 0.0)


# --------------------------------------------------------------------------------------------
# the backtest
# --------------------------------------------------------------------------------------------


def fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a frame's contents (the cache key of :func:`backtest`)."""
    h = hashlib.sha1(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    h.update(",".join(map(str, frame.columns)).encode())
    return h.hexdigest()[:16]


def _errors(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame["forecast"].to_numpy(dtype=float)
    a = frame["actual"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["abs_error"] = np.abs(a - f)
        frame["ape"] = np.abs(a - f) / a
        # a forecast of zero children has no ratio: floor it at one child
        frame["log_ratio"] = np.log(a / np.maximum(f, 1.0))
    return frame


def backtest_forecasts(
    hist: pd.DataFrame,
    methods: Iterable[str] = METHODS,
    first_origin: int = FIRST_CALIBRATION_ORIGIN,
    horizons: Iterable[int] = HORIZONS,
) -> pd.DataFrame:
    """Every forecast the backtest makes: for each origin from ``first_origin`` to the year before
    the last, each authority with at least :data:`MIN_BACKTEST_YEARS` unbroken years of stock to
    it, each method and each horizon whose outcome is published (and not zero).

    Columns: ``la_number``, ``area_name``, ``method``, ``origin``, ``horizon``, ``period`` (the
    outcome year), ``forecast``, ``actual``, ``abs_error``, ``ape``, ``log_ratio``. An authority
    and origin where any method cannot forecast (no flows, a zero stock) is left out for every
    method, so all methods are judged on the same forecasts.
    """
    methods = list(methods)
    horizons = sorted(horizons)
    panel = _panel(hist)
    last = int(panel.years.max())
    rows: list[tuple] = []
    for origin in range(first_origin, last):
        every = [panel.run(i, origin) for i in range(len(panel.las))]
        runs = {i: r for i, r in enumerate(every) if len(r) >= MIN_BACKTEST_YEARS}
        if not runs:
            continue
        pool = pooled(hist, origin, every) if set(methods) - UNPOOLED else None
        hmax = min(max(horizons), last - origin)
        for i, r in runs.items():
            outcomes = [(h, panel.value("stock", i, origin + h)) for h in horizons if h <= hmax]
            outcomes = [(h, a) for h, a in outcomes if not np.isnan(a) and a > 0]
            if not outcomes:
                continue
            preds = {m: forecast(r, m, hmax, pool) for m in methods}
            if any(np.isnan(p[h - 1]) for p in preds.values() for h, _ in outcomes):
                continue
            for m, p in preds.items():
                for h, a in outcomes:
                    rows.append(
                        (int(panel.las[i]), panel.names[i], m, origin, h, origin + h, float(p[h - 1]), float(a))
                    )
    out = pd.DataFrame(
        rows, columns=["la_number", "area_name", "method", "origin", "horizon", "period", "forecast", "actual"]
    )
    return _errors(out)


def error_quantiles(
    errors: pd.DataFrame, as_of: int, levels: Iterable[float] = LEVELS, min_errors: int = MIN_CALIBRATION_ERRORS
) -> pd.DataFrame:
    """Interval multipliers known at ``as_of``: for each method and horizon, the lower and upper
    percentiles of ``log_ratio`` over the backtest forecasts whose outcome year is ``as_of`` or
    earlier (all authorities and origins pooled). Columns ``method``, ``horizon``, ``n`` and, per
    level, ``lo80``/``hi80`` (log ratios: an interval is forecast x exp(lo) to forecast x exp(hi)).
    A method and horizon with fewer than ``min_errors`` such errors gets NaN bounds.

    Why "outcome year <= as_of": it is exactly what was known when the origin's figures were
    published, so the backtest's coverage is out of sample in time (leave-one-origin-out would
    let a later year's shock, e.g. the 2024-25 fall, widen the intervals of 2019's forecasts).
    """
    past = errors[errors["period"] <= as_of]
    out = []
    for (m, h), g in past.groupby(["method", "horizon"], sort=True):
        v = g["log_ratio"].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        row: dict = {"method": m, "horizon": int(h), "n": len(v)}
        for level in levels:
            tag = f"{round(level * 100)}"
            tail = (1 - level) / 2
            ok = len(v) >= min_errors
            row[f"lo{tag}"] = float(np.quantile(v, tail)) if ok else math.nan
            row[f"hi{tag}"] = float(np.quantile(v, 1 - tail)) if ok else math.nan
        out.append(row)
    cols = ["method", "horizon", "n"] + [f"{p}{round(level * 100)}" for level in levels for p in ("lo", "hi")]
    frame = pd.DataFrame(out, columns=cols)
    return frame.astype({c: float for c in cols[3:]} | {"horizon": int, "n": int})


def with_intervals(errors: pd.DataFrame, levels: Iterable[float] = LEVELS, scheme: str = "past") -> pd.DataFrame:
    """``errors`` with each forecast's out-of-sample interval (``lo80``, ``hi80``, ``lo95``,
    ``hi95`` in children) and whether the actual fell inside (``in80``, ``in95``; NaN where no
    interval could be calibrated).

    ``scheme="past"`` (the default): :func:`error_quantiles` as of the forecast's origin (only
    outcomes published by then). ``scheme="leave_one_origin_out"``: the errors of every other
    origin, later ones included (a sensitivity check; it uses what was not known at the time).
    """
    if scheme not in ("past", "leave_one_origin_out"):
        raise InputError(
            "unknown calibration scheme", column="scheme", value=scheme, expected="'past' or 'leave_one_origin_out'"
        )
    levels = list(levels)
    parts = []
    for origin, g in errors.groupby("origin", sort=True):
        if scheme == "past":
            q = error_quantiles(errors, int(origin), levels)
        else:
            q = error_quantiles(errors[errors["origin"] != origin], int(errors["period"].max()), levels)
        g = g.merge(q.drop(columns="n"), on=["method", "horizon"], how="left")
        parts.append(g)
    out = pd.concat(parts, ignore_index=True) if parts else errors.copy()
    for level in levels:
        tag = f"{round(level * 100)}"
        lo = out[f"lo{tag}"].to_numpy(dtype=float)
        hi = out[f"hi{tag}"].to_numpy(dtype=float)
        out[f"lo{tag}"] = out["forecast"].to_numpy(dtype=float) * np.exp(lo)
        out[f"hi{tag}"] = out["forecast"].to_numpy(dtype=float) * np.exp(hi)
        inside = (out["actual"] >= out[f"lo{tag}"]) & (out["actual"] <= out[f"hi{tag}"])
        out[f"in{tag}"] = inside.astype(float).where(out[f"lo{tag}"].notna())
    return out


def summary_table(evaluated: pd.DataFrame, first_origin: int = FIRST_ORIGIN, baseline: str = "naive") -> pd.DataFrame:
    """Error and coverage by method and horizon over the forecasts from ``first_origin`` on.

    Columns: ``method``, ``horizon``, ``forecasts``, ``authorities``, ``mdape`` (median absolute
    percentage error, %), ``beats_naive_las`` (% of authorities whose mean absolute error over
    their forecasts at this horizon is lower than the naive projection's; ties do not count),
    ``beats_naive_forecasts`` (% of single forecasts with a lower absolute error), ``with_interval``
    (forecasts with a calibrated interval), ``coverage80`` and ``coverage95`` (% of those whose
    outcome fell inside).
    """
    e = evaluated[evaluated["origin"] >= first_origin]
    base = e[e["method"] == baseline].set_index(["la_number", "origin", "horizon"])["abs_error"].rename("base_error")
    e = e.join(base, on=["la_number", "origin", "horizon"])
    per_la = e.groupby(["method", "horizon", "la_number"])[["abs_error", "base_error"]].mean()
    per_la["wins"] = per_la["abs_error"] < per_la["base_error"]
    rows = []
    for (m, h), g in e.groupby(["method", "horizon"], sort=False):
        wins_la = per_la.loc[(m, h), "wins"]
        with_int = g["in80"].notna() if "in80" in g else pd.Series(False, index=g.index)
        rows.append(
            {
                "method": m,
                "horizon": int(h),
                "forecasts": len(g),
                "authorities": int(g["la_number"].nunique()),
                "mdape": float(g["ape"].median() * 100),
                "beats_naive_las": math.nan if m == baseline else float(wins_la.mean() * 100),
                "beats_naive_forecasts": math.nan
                if m == baseline
                else float((g["abs_error"] < g["base_error"]).mean() * 100),
                "with_interval": int(with_int.sum()),
                "coverage80": float(g.loc[with_int, "in80"].mean() * 100) if with_int.any() else math.nan,
                "coverage95": float(g.loc[with_int, "in95"].mean() * 100) if with_int.any() else math.nan,
            }
        )
    order = {m: i for i, m in enumerate(dict.fromkeys((*METHODS, *UNIT_COST_METHODS)))}
    out = pd.DataFrame(rows)
    return out.sort_values(["method", "horizon"], key=lambda s: s.map(order) if s.name == "method" else s).reset_index(
        drop=True
    )


@dataclass(frozen=True)
class Judgement:
    """Which method, if any, is shown as a forecast, and why, in a sentence.

    ``default`` = the method with the lowest 1-year MdAPE among those whose 1-year projection beat
    the naive one for more than half of the authorities; None if none did (then no forecast is
    shown). ``beats_naive`` maps each method to that test's result."""

    default: str | None
    beats_naive: dict[str, bool]
    sentence: str


def judge(table: pd.DataFrame, baseline: str = "naive", horizon: int = 1) -> Judgement:
    """The :class:`Judgement` from a :func:`summary_table`."""
    t = table[table["horizon"] == horizon].set_index("method")
    if baseline not in t.index:
        raise InputError(
            "the backtest table has no naive projection to judge against",
            column="method",
            value=list(t.index),
            expected=f"a row for {baseline!r}",
        )
    beats = {m: bool(m != baseline and t.loc[m, "beats_naive_las"] > 50) for m in t.index}
    winners = [m for m, ok in beats.items() if ok]
    base = t.loc[baseline]
    if not winners:
        others = t.drop(index=baseline)
        best = others["beats_naive_las"].idxmax() if len(others) else None
        best_part = (
            f" The closest, {METHOD_LABELS.get(best, best).lower()}, did better for "
            f"{fmt(others.loc[best, 'beats_naive_las'], 0)}% of them."
            if best is not None
            else ""
        )
        sentence = (
            f"No method projected the number of children looked after a year ahead better than assuming it stays "
            f"where it is (wrong by a median {fmt(base['mdape'], 1)}% in the backtest) for more than half of the "
            f"{fmt(base['authorities'])} authorities tested, so no forecast is shown.{best_part}"
        )
        return Judgement(default=None, beats_naive=beats, sentence=sentence)
    best = min(winners, key=lambda m: t.loc[m, "mdape"])
    row = t.loc[best]
    sentence = (
        f"{METHOD_LABELS.get(best, best)} is used: in the backtest its 1-year projection was wrong by a median "
        f"{fmt(row['mdape'], 1)}% (assuming no change: {fmt(base['mdape'], 1)}%) and beat that naive projection for "
        f"{fmt(row['beats_naive_las'], 0)}% of {fmt(row['authorities'])} authorities; its 80% interval held "
        f"{fmt(row['coverage80'], 0)}% of outcomes."
    )
    return Judgement(default=best, beats_naive=beats, sentence=sentence)


# --------------------------------------------------------------------------------------------
# unit cost
# --------------------------------------------------------------------------------------------


def unit_cost_forecast(values: np.ndarray, method: str, horizon: int) -> np.ndarray:
    """Weekly unit cost (GBP) for the next ``horizon`` years after the last of ``values`` (the
    outturns by year, oldest first, no gaps): ``naive`` (last), ``loglinear`` (OLS line through the
    logs of the last 5), ``median_growth`` (last x (1 + median annual growth of the last 3 years)^h)."""
    v = np.asarray(values, dtype=float)
    if method == "naive":
        return np.repeat(v[-1], horizon)
    if np.any(v <= 0):
        return np.full(horizon, np.nan)
    if method == "loglinear":
        y = np.log(v[-UNIT_COST_LOGLINEAR_YEARS:])
        if len(y) < 3:
            return np.repeat(v[-1], horizon)
        slope, intercept = np.polyfit(np.arange(len(y)), y, 1)
        return np.exp(intercept + slope * (len(y) - 1 + np.arange(1, horizon + 1)))
    if method == "median_growth":
        g = v[-UNIT_COST_GROWTH_YEARS - 1 :]
        growth = float(np.median(g[1:] / g[:-1] - 1)) if len(g) >= 2 else 0.0
        return v[-1] * (1 + growth) ** np.arange(1, horizon + 1)
    raise InputError(
        "unknown unit cost method", column="method", value=method, expected="one of " + ", ".join(UNIT_COST_METHODS)
    )


def _unit_cost_run(values: pd.Series, origin: int) -> np.ndarray:
    """The unbroken run of published outturns ending at ``origin`` (empty if ``origin`` has none)."""
    v = values.loc[values.index <= origin]
    if not len(v) or int(v.index[-1]) != origin:
        return np.array([])
    a = v.to_numpy(dtype=float)
    return a[len(a) - _tail_run(a) :]


def unit_cost_backtest(
    hist: pd.DataFrame, methods: Iterable[str] = UNIT_COST_METHODS, horizons: Iterable[int] = UNIT_COST_HORIZONS
) -> pd.DataFrame:
    """Every unit-cost forecast of the backtest (columns as :func:`backtest_forecasts`): origins
    from the third published outturn year on, authorities with 3 unbroken outturns to the origin."""
    methods = list(methods)
    horizons = sorted(horizons)
    panel = _panel(hist)
    uc = panel.data["unit_cost"]
    published = panel.years[~np.all(np.isnan(uc), axis=0)]
    rows: list[tuple] = []
    if not len(published):
        return _errors(
            pd.DataFrame(
                rows, columns=["la_number", "area_name", "method", "origin", "horizon", "period", "forecast", "actual"]
            )
        )
    first, last = int(published.min()) + MIN_BACKTEST_YEARS - 1, int(published.max())
    for i in range(len(panel.las)):
        for origin in range(first, last):
            j = int(np.searchsorted(panel.years, origin))
            v = uc[i, : j + 1]
            v = v[len(v) - _tail_run(v) :]
            if len(v) < MIN_BACKTEST_YEARS:
                continue
            hmax = min(max(horizons), last - origin)
            preds = {m: unit_cost_forecast(v, m, hmax) for m in methods}
            for h in horizons:
                a = panel.value("unit_cost", i, origin + h) if h <= hmax else math.nan
                if np.isnan(a) or a <= 0 or any(np.isnan(p[h - 1]) for p in preds.values()):
                    continue
                for m, p in preds.items():
                    rows.append(
                        (int(panel.las[i]), panel.names[i], m, origin, h, origin + h, float(p[h - 1]), float(a))
                    )
    out = pd.DataFrame(
        rows, columns=["la_number", "area_name", "method", "origin", "horizon", "period", "forecast", "actual"]
    )
    return _errors(out)


# --------------------------------------------------------------------------------------------
# the whole backtest, cached
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backtest:
    """The backtest of the stock and of the unit cost, with the tables and the judgement.

    ``forecasts``: every stock forecast with its out-of-sample interval (:func:`with_intervals`);
    ``table``: :func:`summary_table`; ``judgement``: :func:`judge`; the same three for the unit
    cost (``unit_cost_forecasts``, ``unit_cost_table``, ``unit_cost_method`` = the lowest 1-year
    MdAPE); ``last_year``: the latest reporting year in the data (the live projection's origin)."""

    forecasts: pd.DataFrame
    table: pd.DataFrame
    judgement: Judgement
    unit_cost_forecasts: pd.DataFrame
    unit_cost_table: pd.DataFrame
    unit_cost_method: str
    last_year: int
    key: str = ""
    _quantiles: dict = field(default_factory=dict, compare=False, repr=False)
    _pools: dict = field(default_factory=dict, compare=False, repr=False)

    def pool(self, hist: pd.DataFrame, origin: int | None = None) -> Pooled:
        """:func:`pooled` at ``origin`` (default: the last year), computed once per backtest."""
        y = self.last_year if origin is None else int(origin)
        if y not in self._pools:
            self._pools[y] = pooled(hist, y)
        return self._pools[y]

    def quantiles(self, as_of: int | None = None) -> pd.DataFrame:
        """:func:`error_quantiles` of the stock forecasts as of ``as_of`` (default: the last year)."""
        y = self.last_year if as_of is None else int(as_of)
        if ("stock", y) not in self._quantiles:
            self._quantiles[("stock", y)] = error_quantiles(self.forecasts, y)
        return self._quantiles[("stock", y)]

    def cost_quantiles(
        self, method: str, horizon: int, unit_cost_horizon: int, as_of: int | None = None
    ) -> dict[str, float] | None:
        """Percentiles (``lo80`` ... ``hi95``, log ratios) of the error of children x unit cost:
        :func:`cost_log_errors` for ``method`` at ``horizon`` and the unit-cost method at
        ``unit_cost_horizon``, outcomes up to ``as_of`` (default: the last year). The joint errors
        where there are at least :data:`MIN_CALIBRATION_ERRORS` pairs, else the two samples combined
        as independent (:func:`combine_log_errors`); None with too few of either. The same for every
        authority, so computed once."""
        y = self.last_year if as_of is None else int(as_of)
        key = ("combined", method, int(horizon), int(unit_cost_horizon), y)
        if key not in self._quantiles:
            f = self.forecasts[
                (self.forecasts["method"] == method)
                & (self.forecasts["horizon"] == horizon)
                & (self.forecasts["period"] <= y)
            ]
            u = self.unit_cost_forecasts
            u = u[(u["method"] == self.unit_cost_method) & (u["horizon"] == unit_cost_horizon) & (u["period"] <= y)]
            joint = cost_log_errors(f, u)
            if len(joint) >= MIN_CALIBRATION_ERRORS:
                self._quantiles[key] = _percentiles(joint.to_numpy())
            elif len(f) >= MIN_CALIBRATION_ERRORS and len(u) >= MIN_CALIBRATION_ERRORS:
                self._quantiles[key] = combine_log_errors(f["log_ratio"].to_numpy(), u["log_ratio"].to_numpy())
            else:
                self._quantiles[key] = None
        return self._quantiles[key]

    def unit_cost_quantiles(self, as_of: int | None = None) -> pd.DataFrame:
        """:func:`error_quantiles` of the unit-cost forecasts as of ``as_of``."""
        y = self.last_year if as_of is None else int(as_of)
        if ("cost", y) not in self._quantiles:
            self._quantiles[("cost", y)] = error_quantiles(self.unit_cost_forecasts, y)
        return self._quantiles[("cost", y)]


_CACHE: dict[str, Backtest] = {}


def backtest(hist: pd.DataFrame, methods: Iterable[str] = METHODS) -> Backtest:
    """Run (or fetch from this process's cache) the whole backtest of :func:`histories`' frame.

    Cached on :func:`fingerprint` of ``hist`` and the methods: the first call in a process takes
    a few seconds, later calls for any authority are free.
    """
    methods = tuple(methods)
    key = fingerprint(hist) + "|" + ",".join(methods)
    if key in _CACHE:
        return _CACHE[key]
    forecasts = with_intervals(backtest_forecasts(hist, methods))
    table = summary_table(forecasts)
    uc = with_intervals(unit_cost_backtest(hist))
    uc_table = summary_table(uc, first_origin=0)
    uc_h1 = uc_table[uc_table["horizon"] == 1]
    uc_method = str(uc_h1.loc[uc_h1["mdape"].idxmin(), "method"]) if len(uc_h1) else "naive"
    result = Backtest(
        forecasts=forecasts,
        table=table,
        judgement=judge(table),
        unit_cost_forecasts=uc,
        unit_cost_table=uc_table,
        unit_cost_method=uc_method,
        last_year=int(hist["period"].max()),
        key=key,
    )
    _CACHE[key] = result
    return result


# --------------------------------------------------------------------------------------------
# one authority's projection
# --------------------------------------------------------------------------------------------


def eligibility(history: pd.DataFrame, last_year: int, min_years: int = MIN_PROJECTION_YEARS) -> str:
    """Why an authority gets no projection from ``last_year``, as a sentence; "" if it gets one.

    Refused: no published stock for ``last_year`` (suppressed, not published, or the authority no
    longer exists), fewer than ``min_years`` unbroken years to it, or a zero stock in them."""
    name = str(history["area_name"].iloc[-1]) if len(history) else "This authority"
    la = int(history["la_number"].iloc[0]) if len(history) else -1
    why = REORGANISED.get(la, "")
    published = history["stock"].dropna()
    if last_year not in published.index:
        if published.empty:
            return f"{name} has no published number of children looked after, so there is no projection."
        last = int(published.index.max())
        tail = (
            f" ({why})"
            if why and "replaced" in why
            else " (LAIT prints '-': suppressed, not available or not applicable)"
        )
        return (
            f"{name}'s number of children looked after is not published for {last_year}{tail}; the last published "
            f"year is {last}, so there is no projection."
        )
    r = run_to(history, last_year)
    if len(r) < min_years:
        since = f", {why}" if why else ""
        return (
            f"{name} has {len(r)} year{'s' if len(r) != 1 else ''} of data ({r.periods[0]}-{last_year}{since}), "
            "fewer than the "
            f"{min_years} a projection needs, so there is no projection."
        )
    if np.any(r.stock[-min_years:] <= 0):
        return f"{name} had no children looked after in some of the last {min_years} years, so there is no projection."
    return ""


@dataclass(frozen=True)
class Projection:
    """One authority's projection. ``frame``: ``period``, ``horizon``, ``forecast``, ``lo80``,
    ``hi80``, ``lo95``, ``hi95`` (children at 31 March) for the method used, or empty;
    ``shown``: whether a briefing may show it as a forecast (the method beat naive in the
    backtest); ``refused``: why the authority gets none ("" if it does); ``sentence``: what a
    briefing says about it."""

    la_number: int
    area_name: str
    origin: int
    method: str | None
    frame: pd.DataFrame
    shown: bool
    refused: str
    sentence: str


def interval_frame(origin: int, point: np.ndarray, quantiles: pd.DataFrame, method: str) -> pd.DataFrame:
    """Point forecasts for origin + 1 ... with the intervals of ``quantiles`` (from
    :func:`error_quantiles`) for ``method``: forecast x exp(lower or upper log-ratio percentile)."""
    q = quantiles[quantiles["method"] == method].set_index("horizon")
    horizons = np.arange(1, len(point) + 1)
    out = pd.DataFrame({"period": origin + horizons, "horizon": horizons, "forecast": point})
    for tag in ("80", "95"):
        lo = q[f"lo{tag}"].reindex(horizons).to_numpy(dtype=float) if f"lo{tag}" in q else np.full(len(point), np.nan)
        hi = q[f"hi{tag}"].reindex(horizons).to_numpy(dtype=float) if f"hi{tag}" in q else np.full(len(point), np.nan)
        out[f"lo{tag}"] = point * np.exp(lo)
        out[f"hi{tag}"] = point * np.exp(hi)
    return out


def project_method(
    hist: pd.DataFrame, la_number: int, method: str, bt: Backtest, origin: int | None = None, horizon: int = 3
) -> pd.DataFrame:
    """``method``'s projection of one authority from ``origin`` (default: the last year) with the
    intervals known then (:meth:`Backtest.quantiles` as of ``origin``); no eligibility check."""
    origin = bt.last_year if origin is None else int(origin)
    h = authority(hist, la_number)
    r = run_to(h, origin)
    if not len(r):
        raise InputError(
            f"LA {la_number} has no published stock for {origin}",
            column="origin",
            value=origin,
            expected="a year with a published stock",
        )
    pool = bt.pool(hist, origin) if method not in UNPOOLED else None
    point = forecast(r, method, horizon, pool)
    return interval_frame(origin, point, bt.quantiles(origin), method)


def project(hist: pd.DataFrame, la_number: int, bt: Backtest, method: str | None = None) -> Projection:
    """One authority's projection from the last year, by the default method (or ``method``).

    No frame, and a sentence saying why, where the authority has fewer than five years of data or
    no published latest figure, or where no method beat the naive projection in the backtest.
    A ``method`` that did not beat naive is projected but marked ``shown=False``."""
    h = authority(hist, la_number)
    name = str(h["area_name"].iloc[-1])
    empty = pd.DataFrame(columns=["period", "horizon", "forecast", "lo80", "hi80", "lo95", "hi95"])
    refused = eligibility(h, bt.last_year)
    if refused:
        return Projection(int(la_number), name, bt.last_year, None, empty, False, refused, refused)
    use = method or bt.judgement.default
    if use is None:
        return Projection(int(la_number), name, bt.last_year, None, empty, False, "", bt.judgement.sentence)
    frame = project_method(hist, la_number, use, bt)
    shown = bool(bt.judgement.beats_naive.get(use, False))
    if shown:
        one = frame.iloc[0]
        sentence = (
            f"{METHOD_LABELS.get(use, use)} projects {fmt(one['forecast'])} children looked after in {name} at 31 "
            "March "
            f"{int(one['period'])} (80% interval {fmt(one['lo80'])} to {fmt(one['hi80'])}), against "
            f"{fmt(h.loc[bt.last_year, 'stock'])} at 31 March {bt.last_year}."
        )
    else:
        sentence = (
            f"{METHOD_LABELS.get(use, use)} did not beat the naive projection in the backtest, so it is not "
            "shown as a forecast."
        )
    return Projection(int(la_number), name, bt.last_year, use, frame, shown, "", sentence)


# --------------------------------------------------------------------------------------------
# cost
# --------------------------------------------------------------------------------------------


def _fy(year: int) -> str:
    """The financial year ending in March ``year``: 2025 -> ``2024-25``."""
    return f"{year - 1}-{str(year)[2:]}"


def _percentiles(values: np.ndarray, levels: Iterable[float] = LEVELS) -> dict[str, float]:
    """``lo80``/``hi80``/... : the central intervals of ``values`` (finite ones) at each level."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    out = {}
    for level in levels:
        tag = f"{round(level * 100)}"
        tail = (1 - level) / 2
        out[f"lo{tag}"] = float(np.quantile(v, tail)) if len(v) else math.nan
        out[f"hi{tag}"] = float(np.quantile(v, 1 - tail)) if len(v) else math.nan
    return out


def cost_log_errors(children: pd.DataFrame, unit_cost: pd.DataFrame) -> pd.Series:
    """log(actual / forecast) of children x unit cost: the children error and the unit-cost error
    of the same authority and outcome year added (``children`` and ``unit_cost``: backtest
    forecasts of one method and horizon each). Joint errors keep the two errors' dependence:
    they are negatively correlated (about -0.3 to -0.4), as the unit cost is close to spend
    divided by the number of children."""
    pairs = children[["la_number", "period", "log_ratio"]].merge(
        unit_cost[["la_number", "period", "log_ratio"]], on=["la_number", "period"], suffixes=("_children", "_unit")
    )
    return (pairs["log_ratio_children"] + pairs["log_ratio_unit"]).rename("log_ratio")


def combine_log_errors(a: np.ndarray, b: np.ndarray, levels: Iterable[float] = LEVELS) -> dict[str, float]:
    """Percentiles of the sum of two independent log-ratio errors, from every pair of the two
    empirical samples (the exact distribution of the sum of one draw from each): the relative
    error of children x unit cost when the two errors are independent."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    return _percentiles((a[:, None] + b[None, :]).ravel(), levels)


@dataclass(frozen=True)
class CostProjection:
    """Projected cost of looking after children: ``frame`` has ``period``, ``children``,
    ``unit_cost`` (GBP a week) with ``unit_cost_lo80`` ... ``unit_cost_hi95``, ``cost`` (GBP a year
    = children x unit cost x 52) with ``cost_lo80`` ... ``cost_hi95``. ``unit_cost_year`` is the
    latest outturn used, ``latest_spend`` the published total spend of ``spend_year``;
    ``note`` says what the unit cost misses; ``sentence`` what a briefing says."""

    la_number: int
    unit_cost_method: str
    unit_cost_year: int | None
    latest_unit_cost: float
    latest_spend: float
    spend_year: int | None
    frame: pd.DataFrame
    sentence: str
    note: str = PLACEMENT_MIX_NOTE


def project_cost(
    hist: pd.DataFrame, la_number: int, children: pd.DataFrame, bt: Backtest, method: str | None = None
) -> CostProjection:
    """Cost of the projected children (``children``: a frame with ``period``, ``horizon``,
    ``forecast`` from :func:`project_method` or :attr:`Projection.frame`, for ``method``).

    The weekly unit cost is projected from its latest published outturn by the unit-cost method
    with the lowest 1-year backtest error (``bt.unit_cost_method``), with its own backtest
    intervals; a year whose outturn is not yet published counts as one more year ahead. The two
    relative uncertainties are combined through their joint backtest errors (children error +
    unit-cost error of the same authority and year, :meth:`Backtest.cost_quantiles`), not by
    multiplying the bounds (both at their extremes together) nor as independent errors (they are
    negatively correlated, so that would overstate the interval).
    """
    h = authority(hist, la_number)
    name = str(h["area_name"].iloc[-1])
    uc = h["unit_cost"]
    published = uc.dropna()
    spend = h["total_spend"].dropna()
    spend_year = int(spend.index.max()) if len(spend) else None
    latest_spend = float(spend.iloc[-1]) if len(spend) else math.nan
    cols = ["period", "children", "unit_cost", "cost"] + [
        f"{p}_{b}{t}" for p in ("unit_cost", "cost") for t in ("80", "95") for b in ("lo", "hi")
    ]
    if published.empty or children.empty:
        why = (
            f"{name} has no published weekly unit cost"
            if published.empty
            else "There is no projection of children to cost"
        )
        return CostProjection(
            int(la_number),
            bt.unit_cost_method,
            None,
            math.nan,
            latest_spend,
            spend_year,
            pd.DataFrame(columns=cols),
            f"{why}, so there is no cost projection.",
        )
    uc_year = int(published.index.max())
    v = _unit_cost_run(uc, uc_year)
    um = bt.unit_cost_method
    periods = children["period"].to_numpy(dtype=int)
    lag = periods - uc_year  # unit-cost horizon of each projected year
    unit = unit_cost_forecast(v, um, int(lag.max()))[lag - 1]
    method_used = method or bt.judgement.default or "naive"
    uq = bt.unit_cost_quantiles().set_index(["method", "horizon"])
    frame = pd.DataFrame({"period": periods, "children": children["forecast"].to_numpy(dtype=float), "unit_cost": unit})
    frame["cost"] = frame["children"] * frame["unit_cost"] * COST_WEEKS
    bounds: dict[str, list[float]] = {
        f"{p}_{b}{t}": [] for p in ("unit_cost", "cost") for t in ("80", "95") for b in ("lo", "hi")
    }
    for i, (hz, lu) in enumerate(zip(children["horizon"].to_numpy(dtype=int), lag)):
        has_unit = (um, lu) in uq.index
        q = bt.cost_quantiles(method_used, hz, lu)
        for tag in ("80", "95"):
            for b in ("lo", "hi"):
                bounds[f"unit_cost_{b}{tag}"].append(
                    unit[i] * math.exp(uq.loc[(um, lu), f"{b}{tag}"]) if has_unit else math.nan
                )
                bounds[f"cost_{b}{tag}"].append(
                    frame["cost"].iloc[i] * math.exp(q[f"{b}{tag}"]) if q is not None else math.nan
                )
    frame = frame.assign(**bounds)
    first = frame.iloc[0]
    spend_part = (
        f"; total spend on children looked after in {_fy(spend_year)} was GBP {fmt(latest_spend / 1e6, 1)} million"
        if spend_year
        else "; total spend is not published"
    )
    sentence = (
        f"At GBP {fmt(first['unit_cost'])} a week each (the {_fy(uc_year)} outturn of GBP {fmt(v[-1])}, "
        f"{UNIT_COST_PHRASES[um]}), "
        f"{fmt(first['children'])} children would cost GBP {fmt(first['cost'] / 1e6, 1)} million in "
        f"{_fy(int(first['period']))}{spend_part}."
    )
    return CostProjection(int(la_number), um, uc_year, float(v[-1]), latest_spend, spend_year, frame[cols], sentence)


# --------------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A stock-flow scenario beside its baseline. ``frame``: ``period``, ``baseline``,
    ``scenario``, ``difference`` (children at 31 March), ``baseline_starts``, ``scenario_starts``,
    ``baseline_ceases``, ``scenario_ceases``, the scenario's 80% interval (``lo80``, ``hi80``: the
    stock-flow method's backtest interval around the scenario), and ``baseline_cost``,
    ``scenario_cost`` (GBP, at the projected unit cost). ``shown`` repeats whether the stock-flow
    method beat naive in the backtest (a scenario is a what-if either way)."""

    la_number: int
    start_change: float
    cease_change: float
    from_year: int
    frame: pd.DataFrame
    shown: bool
    sentence: str


def scenario(
    hist: pd.DataFrame,
    la_number: int,
    bt: Backtest,
    *,
    start_change: float = 0.0,
    cease_change: float = 0.0,
    from_year: int | None = None,
    horizon: int = 3,
) -> Scenario:
    """The stock-flow projection with the starting rate changed by ``start_change`` (-0.10 = 10%
    fewer children starting) and the ceasing share by ``cease_change`` (relative) from
    ``from_year`` (default: next year), beside the unchanged stock-flow projection, with costs."""
    h = authority(hist, la_number)
    name = str(h["area_name"].iloc[-1])
    refused = eligibility(h, bt.last_year)
    if refused:
        raise InputError(
            refused,
            column="la_number",
            value=la_number,
            expected=f"an authority with {MIN_PROJECTION_YEARS} or more years of data to {bt.last_year}",
        )
    r = run_to(h, bt.last_year)
    first = bt.last_year + 1 if from_year is None else int(from_year)
    if first <= bt.last_year:
        raise InputError(
            "a scenario starts after the last published year",
            column="from_year",
            value=from_year,
            expected=f"{bt.last_year + 1} or later",
        )
    base = stock_flow_path(r, horizon)
    alt = stock_flow_path(r, horizon, start_change=start_change, cease_change=cease_change, from_year=first)
    frame = pd.DataFrame(
        {
            "period": base["period"],
            "baseline": base["stock"],
            "scenario": alt["stock"],
            "difference": alt["stock"] - base["stock"],
            "baseline_starts": base["starts"],
            "scenario_starts": alt["starts"],
            "baseline_ceases": base["ceases"],
            "scenario_ceases": alt["ceases"],
        }
    )
    ints = interval_frame(bt.last_year, alt["stock"].to_numpy(), bt.quantiles(), "stock_flow")
    frame["lo80"], frame["hi80"] = ints["lo80"].to_numpy(), ints["hi80"].to_numpy()
    children = pd.DataFrame({"period": base["period"], "horizon": np.arange(1, horizon + 1), "forecast": base["stock"]})
    cost = project_cost(hist, la_number, children, bt, method="stock_flow")
    if len(cost.frame):
        frame["baseline_cost"] = cost.frame["cost"].to_numpy()
        frame["scenario_cost"] = frame["scenario"] * cost.frame["unit_cost"].to_numpy() * COST_WEEKS
    else:
        frame["baseline_cost"] = np.nan
        frame["scenario_cost"] = np.nan
    changes = []
    if start_change:
        changes.append(
            f"{fmt(abs(start_change) * 100, 0)}% {'fewer' if start_change < 0 else 'more'} children starting to be "
            "looked after"
        )
    if cease_change:
        changes.append(
            f"a ceasing share {fmt(abs(cease_change) * 100, 0)}% {'lower' if cease_change < 0 else 'higher'}"
        )
    last = frame.iloc[-1]
    what = " and ".join(changes) if changes else "no change"
    diff = last["scenario_cost"] - last["baseline_cost"]
    cost_part = (
        f", GBP {fmt(abs(diff) / 1e6, 1)} million {'less' if diff < 0 else 'more'} that year at the projected unit cost"
        if not np.isnan(diff)
        else ""
    )
    sentence = (
        f"With {what} from {_fy(first)}, {name} would look after {fmt(last['scenario'])} children at 31 March "
        f"{int(last['period'])} against {fmt(last['baseline'])} if rates stay as they are "
        f"({fmt(last['difference'], 0, sign=True)}){cost_part}."
    )
    return Scenario(
        int(la_number),
        float(start_change),
        float(cease_change),
        first,
        frame,
        bool(bt.judgement.beats_naive.get("stock_flow", False)),
        sentence,
    )


# --------------------------------------------------------------------------------------------
# a past projection beside what happened; accuracy for authorities like this one
# --------------------------------------------------------------------------------------------


def hindcast(
    hist: pd.DataFrame, la_number: int, bt: Backtest, origin: int, methods: Iterable[str] = METHODS, horizon: int = 3
) -> pd.DataFrame:
    """What each method would have projected for one authority from ``origin``, with the 80% and
    95% intervals known then, beside what happened: ``period``, ``actual``, then per method
    ``<method>``, ``<method>_lo80``, ``<method>_hi80``, ``<method>_lo95``, ``<method>_hi95``.
    (Manchester from 2022: actual 1,336, 1,302 and 1,280 in 2023-2025.)"""
    h = authority(hist, la_number)
    horizon = min(horizon, bt.last_year - int(origin)) if int(origin) < bt.last_year else horizon
    out = pd.DataFrame({"period": int(origin) + np.arange(1, horizon + 1)})
    out["actual"] = h["stock"].reindex(out["period"]).to_numpy()
    for m in methods:
        f = project_method(hist, la_number, m, bt, origin=origin, horizon=horizon)
        out[m] = f["forecast"].to_numpy()
        for c in ("lo80", "hi80", "lo95", "hi95"):
            out[f"{m}_{c}"] = f[c].to_numpy()
    return out


def projected_rate(hist: pd.DataFrame, la_number: int, frame: pd.DataFrame) -> pd.DataFrame:
    """A projection frame (``period``, ``forecast`` and any ``lo80`` ... ``hi95``) as rates per
    10,000 children: each divided by the authority's child population for that year (mid-(t-1)),
    projected by :func:`population_path` from the latest estimate. Columns keep their names."""
    h = authority(hist, la_number)
    pop = h["population"]
    latest = int(pop.dropna().index.max()) if pop.notna().any() else None
    out = frame.copy()
    if latest is None or out.empty:
        for c in out.columns.drop(["period", "horizon"], errors="ignore"):
            out[c] = np.nan
        return out
    ahead = max(int(out["period"].max()) - latest, 0)
    path = population_path(pop.loc[:latest].to_numpy(dtype=float), ahead) if ahead else np.array([])
    lookup = {
        **{int(y): float(v) for y, v in pop.dropna().items()},
        **{latest + i + 1: float(v) for i, v in enumerate(path)},
    }
    denominator = out["period"].map(lambda y: lookup.get(int(y), np.nan)).to_numpy(dtype=float)
    for c in out.columns.drop(["period", "horizon"], errors="ignore"):
        out[c] = out[c].to_numpy(dtype=float) / denominator * 10_000
    return out


def size_band(stock: float) -> str:
    """The size band an authority's latest stock falls in (for "authorities like this one")."""
    for top, label in ((100, "fewer than 100"), (300, "100 to 299"), (600, "300 to 599"), (1000, "600 to 999")):
        if stock < top:
            return label
    return "1,000 or more"


def accuracy_like(bt: Backtest, hist: pd.DataFrame, la_number: int, method: str, horizon: int = 1) -> dict:
    """How accurate ``method`` was at ``horizon`` for this authority and for authorities of its
    size: ``own_mape`` (its mean APE over its backtest forecasts, %), ``own_forecasts``, ``band``,
    ``band_mdape`` (%), ``band_authorities``, ``band_coverage80`` (%), and a ``sentence``."""
    h = authority(hist, la_number)
    latest = h["stock"].dropna()
    band = size_band(float(latest.iloc[-1])) if len(latest) else ""
    key = ("bands", method, int(horizon))
    if key not in bt._quantiles:
        e = bt.forecasts[
            (bt.forecasts["method"] == method)
            & (bt.forecasts["horizon"] == horizon)
            & (bt.forecasts["origin"] >= FIRST_ORIGIN)
        ]
        # each authority is banded by its latest published stock, as this one is
        last_stock = hist.dropna(subset=["stock"]).sort_values("period").groupby("la_number")["stock"].last()
        bt._quantiles[key] = e.assign(band=e["la_number"].map(last_stock).map(size_band))
    e = bt._quantiles[key]
    own = e[e["la_number"] == int(la_number)]
    same = e[e["band"] == band]
    res = {
        "own_mape": float(own["ape"].mean() * 100) if len(own) else math.nan,
        "own_forecasts": len(own),
        "band": band,
        "band_mdape": float(same["ape"].median() * 100) if len(same) else math.nan,
        "band_authorities": int(same["la_number"].nunique()),
        "band_coverage80": float(same["in80"].mean() * 100) if len(same) and same["in80"].notna().any() else math.nan,
    }
    res["sentence"] = (
        f"For the {res['band_authorities']} authorities looking after {band} children, the "
        f"{METHOD_LABELS.get(method, method).lower()} "
        f"projection a year ahead was wrong by a median {fmt(res['band_mdape'], 1)}% in the backtest"
        + (
            f"; for {h['area_name'].iloc[-1]!s} by {fmt(res['own_mape'], 1)}% on average over {res['own_forecasts']} "
            "years."
            if len(own)
            else "."
        )
    )
    return res


# --------------------------------------------------------------------------------------------
# tables as markdown
# --------------------------------------------------------------------------------------------


def markdown_table(table: pd.DataFrame, labels: dict[str, str] | None = None) -> str:
    """A :func:`summary_table` as a markdown table (percentages to 1 decimal place)."""
    labels = labels or METHOD_LABELS
    head = (
        "| method | horizon (years) | forecasts | authorities | median abs. % error | beats naive: % of authorities "
        "| beats naive: % of forecasts | with interval | 80% interval coverage | 95% interval coverage |"
    )
    lines = [head, "|" + "---|" * 10]
    for _, r in table.iterrows():
        pct = lambda v: "-" if pd.isna(v) else fmt(v, 1) + "%"  # noqa: E731
        lines.append(
            f"| {labels.get(r['method'], r['method'])} | {int(r['horizon'])} | {fmt(r['forecasts'])} | "
            f"{fmt(r['authorities'])} | "
            f"{pct(r['mdape'])} | {pct(r['beats_naive_las'])} | {pct(r['beats_naive_forecasts'])} | "
            f"{fmt(r['with_interval'])} | "
            f"{pct(r['coverage80'])} | {pct(r['coverage95'])} |"
        )
    return "\n".join(lines)


def markdown_frame(frame: pd.DataFrame, decimals: dict[str, int] | None = None) -> str:
    """Any small frame as a markdown table, numbers through :func:`csdemand.core.numbers.fmt`."""
    decimals = decimals or {}
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    for _, r in frame.iterrows():
        cells = []
        for c in frame.columns:
            v = r[c]
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                cells.append(fmt(v, decimals.get(c, 0)) if c != "period" else str(int(v)))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the README's backtest section
# --------------------------------------------------------------------------------------------

#: The README's generated block lies between these two lines.
README_START = "<!-- projection-backtest: generated by scripts/projection_backtest.py --readme; do not edit -->"
README_END = "<!-- projection-backtest: end -->"


def readme_markdown(bt: Backtest) -> str:
    """The backtest as the README shows it: the table of error and coverage by method and horizon,
    the judgement, and the unit cost's method, between :data:`README_START` and :data:`README_END`."""
    uc = bt.unit_cost_table
    uc1 = uc[uc["horizon"] == 1].set_index("method")
    used = bt.unit_cost_method
    naive_uc = uc1["mdape"].get("naive", math.nan)
    lines = [
        README_START,
        markdown_table(bt.table),
        "",
        f"**Judgement** (`projection.judge`): {bt.judgement.sentence}",
        "",
        f"Weekly unit cost (for the cost line): {UNIT_COST_LABELS.get(used, used).lower()}, wrong by a median "
        f"{fmt(uc1['mdape'].get(used, math.nan), 1)}% a year ahead in its own backtest "
        f"({fmt(uc1['forecasts'].get(used, math.nan))} forecasts; the last outturn held flat: {fmt(naive_uc, 1)}%).",
        README_END,
    ]
    return "\n".join(lines)


def replace_readme_block(text: str, block: str) -> str:
    """``text`` with its generated block (from :data:`README_START` to :data:`README_END`) replaced
    by ``block``; an error naming the markers if they are missing."""
    i, j = text.find(README_START), text.find(README_END)
    if i < 0 or j < i:
        raise InputError(
            "the README has no generated backtest block",
            column="README.md",
            expected=f"the lines {README_START!r} and {README_END!r}",
        )
    return text[:i] + block + text[j + len(README_END) :]


def readme_block(text: str) -> str:
    """The generated block as it stands in ``text`` ('' if the markers are missing)."""
    i, j = text.find(README_START), text.find(README_END)
    return text[i : j + len(README_END)] if 0 <= i < j else ""
