"""Change over time in a monthly count (requests, referrals, assessments): the before/after
comparison leaders quote, the same months a year earlier (which seasons cannot mislead),
interrupted time series, the single most likely step, the seasonal
pattern and a forecast chosen by backtest.

Every function takes a monthly count series: a float ``pd.Series`` indexed by a ``PeriodIndex``
with freq "M", one value for every month from the first to the last (no gaps, no missing values).
A month is given as a Period or anything ``pd.Period(x, freq="M")`` reads: "2020-03" or a date
"2020-03-23" (its month, March 2020). Counts are per calendar month throughout. No function plots
or prints; statsmodels is fitted on plain arrays or on a DatetimeIndex with freq "MS" and the
results are indexed by month again.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX

from csdemand.core.errors import InputError
from csdemand.core.numbers import pct_change_as_printed

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EXTREMES = 2  # seasonal_profile names this many highest and lowest months
SEED = 2017  # simulated ETS intervals: the same data always gives the same intervals
_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


# --------------------------------------------------------------------------------------------
# before and after
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeforeAfter:
    """Mean monthly count in the ``months`` full months before the change month, against the
    ``months`` months ending at ``after_end``. ``change`` = after_mean - before_mean (a month);
    ``pct_change`` = change / before_mean x 100 (NaN when before_mean is 0)."""

    change_month: pd.Period
    months: int
    before_start: pd.Period
    before_end: pd.Period
    before_mean: float
    after_start: pd.Period
    after_end: pd.Period
    after_mean: float
    change: float
    pct_change: float


def before_after(
    series: pd.Series, change: str | pd.Period, end: str | pd.Period | None = None, months: int = 3
) -> BeforeAfter:
    """Mean of the ``months`` full months before the month of ``change`` against the mean of the
    ``months`` months to ``end`` (default: the last month of the series).

    The change month itself is in neither window: a change on 23 March 2020 compares December 2019
    to February 2020 with, for end June 2021, April to June 2021.
    """
    if not isinstance(months, (int, np.integer)) or isinstance(months, bool) or months < 1:
        raise InputError(
            "months must be a whole number of at least 1", column="months", value=months, expected="an int >= 1"
        )
    v, index = _monthly(series, 2 * months, "before_after")
    c = _month(change, "change")
    e = index[-1] if end is None else _month(end, "end")
    b0, b1 = c - months, c - 1
    a0 = e - (months - 1)
    if b0 < index[0] or c > index[-1]:
        raise InputError(
            f"the {months} months before {_label(c)} are not all in the series ({_label(index[0])} to "
            f"{_label(index[-1])})",
            column="change",
            value=str(c),
            expected=f"a change month from {_label(index[0] + months)} to {_label(index[-1])}",
        )
    if e > index[-1] or e < index[0]:
        raise InputError(
            f"end month {_label(e)} is not in the series ({_label(index[0])} to {_label(index[-1])})",
            column="end",
            value=str(e),
            expected="a month in the series",
        )
    if a0 < c:
        raise InputError(
            f"the {months} months to {_label(e)} start before the change month {_label(c)}",
            column="end",
            value=str(e),
            expected=f"an end month of {_label(c + months - 1)} or later",
        )
    pos = {p: k for k, p in enumerate(index)}
    before = float(v[pos[b0] : pos[b1] + 1].mean())
    after = float(v[pos[a0] : pos[e] + 1].mean())
    diff = after - before
    return BeforeAfter(
        change_month=c,
        months=int(months),
        before_start=b0,
        before_end=b1,
        before_mean=before,
        after_start=a0,
        after_end=e,
        after_mean=after,
        change=diff,
        pct_change=diff / before * 100 if before else np.nan,
    )


def describe_before_after(ba: BeforeAfter, what: str = "requests", countable: bool = True) -> str:
    """One sentence for a briefing, e.g. "Requests averaged 1,052 a month in the three months to
    June 2021, 57% more than the 672 a month in the three months before March 2020."

    The percentage is that of the two means as printed (so the sentence agrees with itself), rounded
    half up to a whole number; within 0.5% it reads "about the same".
    A fall reads "fewer" for a count (``countable``), "less" otherwise. Monthly means print as
    whole numbers (one decimal when both are under 100, where a whole number would move the percentage).
    """
    what_cap = what[:1].upper() + what[1:]
    decimals = 0 if max(abs(ba.before_mean), abs(ba.after_mean)) >= 100 else 1
    after, before = (_round_half_up(x, decimals) for x in (ba.after_mean, ba.before_mean))
    if ba.months == 1:
        head = f"{what_cap} numbered {after} in {_label(ba.after_end)}"
        tail = f"the {before} in {_label(ba.before_end)}"
        none = f"none in {_label(ba.before_end)}"
    else:
        span = f"the {_number_word(ba.months)} months"
        head = f"{what_cap} averaged {after} a month in {span} to {_label(ba.after_end)}"
        tail = f"the {before} a month in {span} before {_label(ba.change_month)}"
        none = f"none in {span} before {_label(ba.change_month)}"
    pct = pct_change_as_printed(ba.after_mean, ba.before_mean, decimals)
    if np.isnan(pct):
        return f"{head}, compared with {none}."
    whole = _round_half_up(abs(pct), 0)
    if whole == "0":  # under 0.5% either way
        return f"{head}, about the same as {tail}."
    word = "more" if pct > 0 else ("fewer" if countable else "less")
    return f"{head}, {whole}% {word} than {tail}."


# --------------------------------------------------------------------------------------------
# the same months a year earlier
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SameMonths:
    """Mean monthly count in the ``months`` months ending at ``end`` against the same calendar
    months a year earlier (12 months before each). ``change`` = mean - prior_mean (a month);
    ``pct_change`` = change / prior_mean x 100 (NaN when prior_mean is 0). Both windows hold the
    same calendar months, so the season is the same on both sides."""

    months: int
    start: pd.Period
    end: pd.Period
    mean: float
    prior_start: pd.Period
    prior_end: pd.Period
    prior_mean: float
    change: float
    pct_change: float


def same_months_last_year(series: pd.Series, end: str | pd.Period | None = None, months: int = 3) -> SameMonths:
    """Mean of the ``months`` months to ``end`` (default: the last month of the series) against
    the mean of the same months a year earlier: for end June 2021, April to June 2021 against
    April to June 2020. Both windows must lie in the series."""
    if not isinstance(months, (int, np.integer)) or isinstance(months, bool) or not 1 <= months <= 12:
        raise InputError(
            "months must be a whole number from 1 to 12", column="months", value=months, expected="an int from 1 to 12"
        )
    v, index = _monthly(
        series,
        12 + months,
        "same_months_last_year",
        f"at least {12 + months} months: the latest {months} and the same months a year earlier",
    )
    e = index[-1] if end is None else _month(end, "end")
    if e > index[-1] or e < index[0]:
        raise InputError(
            f"end month {_label(e)} is not in the series ({_label(index[0])} to {_label(index[-1])})",
            column="end",
            value=str(e),
            expected="a month in the series",
        )
    a0 = e - (months - 1)
    p0, p1 = a0 - 12, e - 12
    if p0 < index[0]:
        raise InputError(
            f"the same months a year before {_label(a0)} to {_label(e)} are not all in the series "
            f"({_label(index[0])} to {_label(index[-1])})",
            column="end",
            value=str(e),
            expected=f"an end month of {_label(index[0] + 11 + months)} or later",
        )
    pos = {p: k for k, p in enumerate(index)}
    now = float(v[pos[a0] : pos[e] + 1].mean())
    then = float(v[pos[p0] : pos[p1] + 1].mean())
    diff = now - then
    return SameMonths(
        months=int(months),
        start=a0,
        end=e,
        mean=now,
        prior_start=p0,
        prior_end=p1,
        prior_mean=then,
        change=diff,
        pct_change=diff / then * 100 if then else np.nan,
    )


def describe_same_months(sm: SameMonths, what: str = "requests", countable: bool = True) -> str:
    """One sentence, e.g. "Requests averaged 1,052 a month in April to June 2021, 129% more than
    the 460 a month in the same months a year earlier (April to June 2020)."

    Rounding and wording as :func:`describe_before_after`."""
    what_cap = what[:1].upper() + what[1:]
    decimals = 0 if max(abs(sm.mean), abs(sm.prior_mean)) >= 100 else 1
    now, then = (_round_half_up(x, decimals) for x in (sm.mean, sm.prior_mean))
    span, prior = month_span(sm.start, sm.end), month_span(sm.prior_start, sm.prior_end)
    head = f"{what_cap} averaged {now} a month in {span}" if sm.months > 1 else f"{what_cap} numbered {now} in {span}"
    tail = (
        f"the {then} a month" if sm.months > 1 else f"the {then}"
    ) + f" in the same {'months' if sm.months > 1 else 'month'} a year earlier ({prior})"
    pct = pct_change_as_printed(sm.mean, sm.prior_mean, decimals)
    if np.isnan(pct):
        return (
            f"{head}, compared with none in the same {'months' if sm.months > 1 else 'month'} a year earlier ({prior})."
        )
    whole = _round_half_up(abs(pct), 0)
    if whole == "0":
        return f"{head}, about the same as {tail}."
    word = "more" if pct > 0 else ("fewer" if countable else "less")
    return f"{head}, {whole}% {word} than {tail}."


def month_span(start: pd.Period, end: pd.Period) -> str:
    """'April to June 2021', 'December 2019 to February 2020', 'June 2021' (one month)."""
    if start == end:
        return _label(end)
    if start.year == end.year:
        return f"{start.strftime('%B')} to {_label(end)}"
    return f"{_label(start)} to {_label(end)}"


# --------------------------------------------------------------------------------------------
# interrupted time series
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItsResult:
    """Segmented regression of a monthly count on time, with a change of level and of slope at
    ``change_month``: y = b0 + b1 t + b2 post + b3 (t - t0) post [+ month-of-year effects] + e,
    t = 0, 1, 2, ... months from the first month, post = 1 from the change month on.

    ``level_change`` (b2) is the jump at the change month, in counts a month; ``slope_change``
    (b3) is the change in the monthly trend, in counts a month per month; ``pre_slope`` (b1) and
    ``post_slope`` (b1 + b3) are the trends before and after. CIs are 95%, as (lower, upper), from
    HAC (Newey-West) standard errors with ``maxlags`` lags and t-distribution critical values.

    ``fitted`` is the model's value for each month; ``counterfactual`` is the pre-change trend and
    season carried on (b0 + b1 t + month effect), equal to ``fitted`` before the change.
    ``summary`` has one row per effect: estimate, lower_95, upper_95, p_value, meaning.
    ``durbin_watson`` of the residuals: about 2 when they are not autocorrelated, towards 0 when
    neighbouring months move together. ``ols`` is the statsmodels results object.
    """

    change_month: pd.Period
    seasonal: bool
    level_change: float
    level_ci: tuple[float, float]
    level_p: float
    slope_change: float
    slope_ci: tuple[float, float]
    slope_p: float
    pre_slope: float
    pre_slope_ci: tuple[float, float]
    pre_slope_p: float
    post_slope: float
    post_slope_ci: tuple[float, float]
    fitted: pd.Series
    counterfactual: pd.Series
    n: int
    n_before: int
    n_after: int
    r2: float
    durbin_watson: float
    maxlags: int
    summary: pd.DataFrame
    ols: object


ITS_MIN_SEGMENT = 3  # months each side of the change: a slope and some spread around it


def interrupted_time_series(
    series: pd.Series, change: str | pd.Period, seasonal: bool = True, maxlags: int | None = None
) -> ItsResult:
    """Interrupted time series by segmented OLS regression (see ``ItsResult`` for the model).

    Monthly counts are autocorrelated, which makes plain OLS standard errors too small, so the
    covariance is HAC (Newey-West, Bartlett kernel, small-sample corrected). ``maxlags`` defaults
    to the Newey-West rule of thumb floor(4 (n/100)^(2/9)): 3 lags for 5 years of months.
    ``seasonal`` adds a dummy for each calendar month but January; it needs at least 24 months.
    Both sides of the change need at least 3 months.
    """
    v, index = _monthly(series, 2 * ITS_MIN_SEGMENT, "interrupted_time_series")
    c = _month(change, "change")
    n = len(v)
    if not index[0] + ITS_MIN_SEGMENT <= c <= index[-1] - (ITS_MIN_SEGMENT - 1):
        raise InputError(
            f"change month {_label(c)} leaves fewer than {ITS_MIN_SEGMENT} months on one side ({_label(index[0])} to "
            f"{_label(index[-1])})",
            column="change",
            value=str(c),
            expected=(
                f"a change month from {_label(index[0] + ITS_MIN_SEGMENT)} to "
                f"{_label(index[-1] - (ITS_MIN_SEGMENT - 1))}"
            ),
        )
    if seasonal and n < 24:
        raise InputError(
            f"a seasonal interrupted time series needs at least 24 months; the series has {n}",
            column="series",
            value=n,
            expected="24 months or more, or seasonal=False",
        )
    t0 = int(c.ordinal - index[0].ordinal)
    t = np.arange(n, dtype=float)
    post = (t >= t0).astype(float)
    X = pd.DataFrame({"const": 1.0, "time": t, "post": post, "time_after": (t - t0) * post})
    if seasonal:
        month = np.asarray(index.month)
        for m in range(2, 13):  # January is the reference month
            X[MONTHS[m - 1]] = (month == m).astype(float)
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise InputError(
            "the regression cannot separate the trend, the change and the season with these months",
            column="series",
            value=n,
            expected="more months either side of the change",
        )
    lags = math.floor(4 * (n / 100) ** (2 / 9)) if maxlags is None else int(maxlags)
    if lags < 0:
        raise InputError(
            "maxlags must not be negative", column="maxlags", value=maxlags, expected="an int >= 0 or None"
        )
    res = sm.OLS(v, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
    ci = res.conf_int(alpha=0.05)
    params, pvalues = res.params, res.pvalues

    def one(name: str) -> tuple[float, tuple[float, float], float]:
        return float(params[name]), (float(ci.loc[name, 0]), float(ci.loc[name, 1])), float(pvalues[name])

    level, level_ci, level_p = one("post")
    slope, slope_ci, slope_p = one("time_after")
    pre, pre_ci, pre_p = one("time")
    combo = np.zeros(X.shape[1])
    combo[[X.columns.get_loc("time"), X.columns.get_loc("time_after")]] = 1.0
    tt = res.t_test(combo)
    post_slope = float(np.squeeze(tt.effect))
    post_ci_arr = np.squeeze(tt.conf_int(alpha=0.05))
    post_ci = (float(post_ci_arr[0]), float(post_ci_arr[1]))
    post_p = float(np.squeeze(tt.pvalue))
    counter_X = X.copy()
    counter_X[["post", "time_after"]] = 0.0
    summary = pd.DataFrame(
        [
            ("pre_slope", pre, *pre_ci, pre_p, "monthly trend before the change (a month, per month)"),
            ("level_change", level, *level_ci, level_p, "jump at the change month (a month)"),
            ("slope_change", slope, *slope_ci, slope_p, "change in the monthly trend (a month, per month)"),
            ("post_slope", post_slope, *post_ci, post_p, "monthly trend after the change (a month, per month)"),
        ],
        columns=["effect", "estimate", "lower_95", "upper_95", "p_value", "meaning"],
    ).set_index("effect")
    return ItsResult(
        change_month=c,
        seasonal=bool(seasonal),
        level_change=level,
        level_ci=level_ci,
        level_p=level_p,
        slope_change=slope,
        slope_ci=slope_ci,
        slope_p=slope_p,
        pre_slope=pre,
        pre_slope_ci=pre_ci,
        pre_slope_p=pre_p,
        post_slope=post_slope,
        post_slope_ci=post_ci,
        fitted=pd.Series(np.asarray(res.fittedvalues), index=index, name="fitted"),
        counterfactual=pd.Series(counter_X.to_numpy() @ params.to_numpy(), index=index, name="counterfactual"),
        n=n,
        n_before=t0,
        n_after=n - t0,
        r2=float(res.rsquared),
        durbin_watson=float(durbin_watson(res.resid)),
        maxlags=lags,
        summary=summary,
        ols=res,
    )


# --------------------------------------------------------------------------------------------
# the most likely single step
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """The single split of a series into two constant levels that fits best (least squares).

    ``month`` is the first month at the new level; ``before_mean`` and ``after_mean`` are the
    means either side; ``size`` = after_mean - before_mean (a month) and ``pct_change`` = size /
    before_mean x 100. ``rss`` is the residual sum of squares of the two-mean model at each
    candidate month; ``explained`` = 1 - min(rss) / (sum of squares about the overall mean), the
    share of the variation the step accounts for (0 to 1).
    """

    month: pd.Period
    before_mean: float
    after_mean: float
    size: float
    pct_change: float
    n_before: int
    n_after: int
    explained: float
    rss: pd.Series


def find_step(series: pd.Series, min_segment: int = 6) -> StepResult:
    """The month where a single step change most likely happened: the split that minimises the
    residual sum of squares of a two-mean model, each side at least ``min_segment`` months.

    ``find_step`` always returns a split, even for a series with no step (its best split is then
    small against the month-to-month noise). Whether a step is real is for the SPC rules (e.g. a
    shift in ``spc.xmr`` with phases) to decide. A trend or a strong season also produces a
    "best split", since the model has only two flat levels.
    """
    if not isinstance(min_segment, (int, np.integer)) or isinstance(min_segment, bool) or min_segment < 1:
        raise InputError(
            "min_segment must be a whole number of at least 1",
            column="min_segment",
            value=min_segment,
            expected="an int >= 1",
        )
    v, index = _monthly(series, 2 * min_segment, "find_step")
    n = len(v)
    x = v - v.mean()  # centred: the sums of squares below lose no precision on large counts
    cs, cs2 = np.concatenate(([0.0], np.cumsum(x))), np.concatenate(([0.0], np.cumsum(x * x)))
    k = np.arange(min_segment, n - min_segment + 1)  # split before position k
    left = cs2[k] - cs[k] ** 2 / k
    right = (cs2[n] - cs2[k]) - (cs[n] - cs[k]) ** 2 / (n - k)
    rss = left + right
    best = int(k[int(np.argmin(rss))])  # ties: the earliest month
    before, after = float(v[:best].mean()), float(v[best:].mean())
    total = float(cs2[n] - cs[n] ** 2 / n)
    return StepResult(
        month=index[best],
        before_mean=before,
        after_mean=after,
        size=after - before,
        pct_change=(after - before) / before * 100 if before else np.nan,
        n_before=best,
        n_after=n - best,
        explained=float(1 - rss.min() / total) if total > 0 else 0.0,
        rss=pd.Series(rss, index=index[k], name="rss"),
    )


# --------------------------------------------------------------------------------------------
# seasonal pattern
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seasonal:
    """STL decomposition: series = ``trend`` + ``seasonal`` + ``resid`` (counts a month).

    ``by_month`` has one row per calendar month (Jan to Dec; for a period other than 12, one per
    position in the cycle from the first month, 1 to period): ``effect``, the mean seasonal
    component (a month), ``pct_of_trend``, its mean as % of the trend level that month, and
    ``n``, the months averaged. ``high`` and ``low`` name the months that run highest and lowest
    by ``pct_of_trend`` (most extreme first). ``strength`` = max(0, 1 - var(resid) /
    var(seasonal + resid)): 0 no seasonality, near 1 strong.
    """

    trend: pd.Series
    seasonal: pd.Series
    resid: pd.Series
    by_month: pd.DataFrame
    high: list[str]
    low: list[str]
    strength: float


def seasonal_profile(series: pd.Series, period: int = 12, robust: bool = True) -> Seasonal:
    """Seasonal pattern of a monthly count by STL (statsmodels), needing at least two full cycles.

    ``robust`` down-weights unusual months (a lockdown, a data-system change) so they do not bend
    the trend and season; the weights' effect shows in ``resid``. Months are ranked by their
    effect as % of trend, which compares years fairly when the level has grown.
    """
    if not isinstance(period, (int, np.integer)) or isinstance(period, bool) or period < 2:
        raise InputError(
            "period must be a whole number of at least 2",
            column="period",
            value=period,
            expected="an int >= 2 (12 for months)",
        )
    v, index = _monthly(series, 2 * period, "seasonal_profile")
    fit = STL(v, period=int(period), robust=robust).fit()
    trend, seas, resid = (np.asarray(a, dtype=float) for a in (fit.trend, fit.seasonal, fit.resid))
    if period == 12:
        labels = [MONTHS[m - 1] for m in index.month]
        order = list(MONTHS)
    else:
        labels = [str(k % period + 1) for k in range(len(v))]
        order = [str(k) for k in range(1, period + 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(trend != 0, seas / trend * 100, np.nan)
    frame = pd.DataFrame({"month": labels, "effect": seas, "pct_of_trend": pct})
    by_month = (
        frame.groupby("month", sort=False)
        .agg(effect=("effect", "mean"), pct_of_trend=("pct_of_trend", "mean"), n=("effect", "size"))
        .reindex(order)
    )
    ranked = by_month["pct_of_trend"].sort_values(kind="stable")
    spread = np.var(seas + resid)
    return Seasonal(
        trend=pd.Series(trend, index=index, name="trend"),
        seasonal=pd.Series(seas, index=index, name="seasonal"),
        resid=pd.Series(resid, index=index, name="resid"),
        by_month=by_month,
        high=ranked.index[::-1][:EXTREMES].tolist(),
        low=ranked.index[:EXTREMES].tolist(),
        strength=float(max(0.0, 1 - np.var(resid) / spread)) if spread > 0 else 0.0,
    )


# --------------------------------------------------------------------------------------------
# forecast
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forecast:
    """A forecast of the next ``horizon`` months by the candidate with the lowest backtest MAPE.

    ``backtest``: one row per candidate: model, MAE (mean absolute error, a month), MAPE (mean
    absolute % error over the held-back months with a count above 0), note (why a candidate was
    left out, else ""). ``backtest_predictions``: indexed by the held-back months, the
    ``actual`` count and each candidate's forecast. ``forecast``: indexed by month, columns
    mean, lower_80, upper_80, lower_95, upper_95 (prediction intervals for a month's count, not
    for the mean; a count below 0 is shown as 0). ``fit_start`` to ``fit_end``: the months the
    models were fitted on (``n_fit`` of them).
    """

    chosen: str
    backtest: pd.DataFrame
    backtest_predictions: pd.DataFrame
    forecast: pd.DataFrame
    fit_start: pd.Period
    fit_end: pd.Period
    n_fit: int


def _ets(seasonal: str) -> Callable[[pd.Series], object]:
    def fit(y: pd.Series) -> object:
        error = "mul" if seasonal == "mul" else "add"
        # initial level, trend and season by Hyndman et al.'s heuristic from the first two years,
        # not estimated: 4 parameters to optimise instead of 18, about 20 times faster, and as
        # accurate on trial council-like series
        model = ETSModel(
            y,
            error=error,
            trend="add",
            damped_trend=True,
            seasonal=seasonal,
            seasonal_periods=12,
            initialization_method="heuristic",
        )
        return model.fit(disp=False)

    return fit


def _sarima(order: tuple[int, int, int]) -> Callable[[pd.Series], object]:
    def fit(y: pd.Series) -> object:
        return SARIMAX(y, order=order, seasonal_order=(0, 1, 1, 12)).fit(disp=False)

    return fit


# name -> (fit function, needs strictly positive values)
CANDIDATES: dict[str, tuple[Callable[[pd.Series], object], bool]] = {
    "ETS(A,Ad,A)": (_ets("add"), False),  # damped additive trend, additive season
    "ETS(M,Ad,M)": (_ets("mul"), True),  # damped additive trend, season in proportion to level
    "SARIMA(1,1,1)(0,1,1)12": (_sarima((1, 1, 1)), False),
    "SARIMA(0,1,1)(0,1,1)12": (_sarima((0, 1, 1)), False),  # the "airline" model
}
FORECAST_MIN_FIT = 24  # months the backtest fit needs: two full seasonal cycles


def forecast(
    series: pd.Series, horizon: int = 12, backtest: int = 12, exclude_before: str | pd.Period | None = None
) -> Forecast:
    """Forecast the next ``horizon`` months with 80% and 95% prediction intervals.

    Candidates (``CANDIDATES``): two exponential smoothing (ETS) models with a damped trend, one
    with an additive season and one with a season in proportion to the level (left out when a
    month is 0), and two seasonal ARIMA models. Each is fitted on all but the last ``backtest``
    months and forecasts them; the one with the lowest MAPE (then MAE) is refitted on all the
    months and forecasts ahead.

    ``exclude_before`` (a month, e.g. "2020-06") starts the fit there, leaving out the months
    before a structural break (the spring 2020 lockdown, a change of front door) that would
    otherwise distort the level and the seasonal pattern; the price is a shorter history, and
    the fit needs ``backtest`` + 24 months from that month on.
    """
    for name, value, least in (("horizon", horizon, 1), ("backtest", backtest, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
            raise InputError(
                f"{name} must be a whole number of at least {least}",
                column=name,
                value=value,
                expected=f"an int >= {least}",
            )
    _monthly(series, 1, "forecast")
    if exclude_before is not None:
        start = _month(exclude_before, "exclude_before")
        if not series.index[0] <= start <= series.index[-1]:
            raise InputError(
                f"exclude_before {_label(start)} is not in the series ({_label(series.index[0])} to "
                f"{_label(series.index[-1])})",
                column="exclude_before",
                value=str(start),
                expected="a month in the series",
            )
        series = series[series.index >= start]
    need = backtest + FORECAST_MIN_FIT
    v, index = _monthly(
        series,
        need,
        "forecast" + (" after exclude_before" if exclude_before is not None else ""),
        f"at least {need} months to fit: {backtest} to backtest and {FORECAST_MIN_FIT} before them",
    )
    y = pd.Series(v, index=pd.DatetimeIndex(index.to_timestamp(how="start"), freq="MS"))
    train, held = y.iloc[:-backtest], v[-backtest:]
    rows, preds = [], {"actual": held}
    for name, (fit, positive) in CANDIDATES.items():
        note, mean = "", np.full(backtest, np.nan)
        if positive and (v <= 0).any():
            note = "left out: needs every month above 0"
        else:
            try:
                with _quiet():
                    mean = np.asarray(fit(train).forecast(backtest), dtype=float)
            except (
                ValueError,
                np.linalg.LinAlgError,
            ) as exc:  # a candidate that cannot be fitted is skipped, not fatal
                note = f"left out: {exc}"
        err = np.abs(mean - held)
        ok = held != 0
        mae = float(err.mean())
        mape = float((err[ok] / np.abs(held[ok])).mean() * 100) if ok.any() else np.nan
        if note == "" and not np.isfinite(mae):
            note = "left out: the forecast was not finite"
        rows.append({"model": name, "MAE": mae, "MAPE": mape, "note": note})
        preds[name] = mean
    table = pd.DataFrame(rows)
    usable = table[table["note"] == ""]
    if usable.empty:
        raise InputError(
            "no candidate model could be fitted to the series",
            column="series",
            expected="a monthly count with a regular pattern",
        )
    # lowest MAPE, then lowest MAE; NaN MAPE (every held-back month 0) ranks last
    chosen = str(usable.sort_values(["MAPE", "MAE"], na_position="last", kind="stable").iloc[0]["model"])
    with _quiet():
        frame = _intervals(CANDIDATES[chosen][0](y), horizon)
    frame.index = pd.period_range(index[-1] + 1, periods=horizon, freq="M")
    if (v >= 0).all():
        frame = frame.clip(lower=0.0)  # a count cannot fall below 0; clipping keeps the order
    return Forecast(
        chosen=chosen,
        backtest=table,
        backtest_predictions=pd.DataFrame(preds, index=index[-backtest:]),
        forecast=frame,
        fit_start=index[0],
        fit_end=index[-1],
        n_fit=len(v),
    )


def _intervals(res: object, horizon: int) -> pd.DataFrame:
    """Mean and 80% / 95% prediction intervals from a fitted ETS or SARIMAX model."""
    if isinstance(res.model, ETSModel):
        n = res.model.nobs
        # multiplicative ETS has no closed-form intervals: statsmodels simulates, seeded here
        pred = res.get_prediction(start=n, end=n + horizon - 1, rng=np.random.default_rng(SEED))
        lo, hi = ("pi_lower", "pi_upper")
    else:
        pred = res.get_forecast(horizon)
        lo, hi = ("mean_ci_lower", "mean_ci_upper")  # SARIMAX's are prediction intervals despite the name
    f80, f95 = pred.summary_frame(alpha=0.20), pred.summary_frame(alpha=0.05)
    return pd.DataFrame(
        {
            "mean": f80["mean"].to_numpy(float),
            "lower_80": f80[lo].to_numpy(float),
            "upper_80": f80[hi].to_numpy(float),
            "lower_95": f95[lo].to_numpy(float),
            "upper_95": f95[hi].to_numpy(float),
        }
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence statsmodels' fitting chatter (convergence, start parameters, frequency, overflow
    in a bad candidate): a poor fit shows in the backtest, which is where it is judged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # statsmodels' ModelWarnings are UserWarnings
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


# --------------------------------------------------------------------------------------------
# inputs and wording
# --------------------------------------------------------------------------------------------


def _monthly(series: pd.Series, need: int, what: str, expected: str | None = None) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Values (float) and index of a gap-free monthly series with at least ``need`` months."""
    if not isinstance(series, pd.Series):
        raise InputError(
            f"{what} needs a pandas Series",
            column="series",
            value=type(series).__name__,
            expected="a pd.Series indexed by month",
        )
    index = series.index
    if not isinstance(index, pd.PeriodIndex) or index.freqstr != "M":
        raise InputError(
            f"{what} needs a series indexed by month",
            column="series",
            value=type(index).__name__,
            expected='a PeriodIndex with freq "M" (for dates: series.index.to_period("M"))',
        )
    if index.has_duplicates:
        raise InputError(
            "a month appears more than once",
            column="series",
            value=str(index[index.duplicated()][0]),
            expected="one value a month",
        )
    if len(index) > 1 and not index.is_monotonic_increasing:
        raise InputError(
            "the months are not in order", column="series", expected="months in increasing order (series.sort_index())"
        )
    if len(index) and len(index) != index[-1].ordinal - index[0].ordinal + 1:
        missing = pd.period_range(index[0], index[-1], freq="M").difference(index)
        raise InputError(
            f"{len(missing)} month(s) missing between {_label(index[0])} and {_label(index[-1])}, first "
            f"{_label(missing[0])}",
            column="series",
            value=str(missing[0]),
            expected="every month from the first to the last (a month with none: 0)",
        )
    try:
        v = series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "the series values are not all numbers", column="series", expected="a count for every month"
        ) from exc
    bad = ~np.isfinite(v)
    if bad.any():
        raise InputError(
            f"the value for {_label(index[int(np.argmax(bad))])} is missing",
            column="series",
            value=str(index[int(np.argmax(bad))]),
            expected="a count for every month (a month with none: 0)",
        )
    if len(v) < need:
        raise InputError(
            f"{what} needs at least {need} months; the series has {len(v)}",
            column="series",
            value=len(v),
            expected=expected or f"at least {need} months",
        )
    return v, index


def _month(x: object, name: str) -> pd.Period:
    """A month from a Period, a date or a string ("2020-03", "2020-03-23")."""
    try:
        p = x.asfreq("M") if isinstance(x, pd.Period) else pd.Period(x, freq="M")
    except (TypeError, ValueError) as exc:  # pandas' DateParseError is a ValueError
        raise InputError(
            f"{name} is not a month or a date",
            column=name,
            value=x,
            expected='a month or a date, e.g. "2020-03" or "2020-03-23"',
        ) from exc
    if p is pd.NaT or pd.isna(p):
        raise InputError(
            f"{name} is not a month or a date", column=name, value=x, expected='a month or a date, e.g. "2020-03"'
        )
    return p


def _label(p: pd.Period) -> str:
    return p.strftime("%B %Y")


def _number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else f"{n:,}"


def _round_half_up(x: float, decimals: int) -> str:
    """As a reader rounds (2.5 -> 3), with thousands separators; not Python's round-half-even."""
    scale = 10**decimals
    r = math.floor(abs(x) * scale + 0.5) / scale
    return ("-" if x < 0 and r else "") + f"{r:,.{decimals}f}"
