"""Unit tests for csdemand.methods.trends on synthetic monthly series with known steps, slopes and seasons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.methods import trends

# Multiplicative seasonal pattern by calendar month: August 20% below the trend, October 10% above
PATTERN = {
    1: 0.00,
    2: 0.04,
    3: 0.06,
    4: 0.01,
    5: 0.02,
    6: -0.02,
    7: -0.06,
    8: -0.20,
    9: 0.05,
    10: 0.10,
    11: 0.03,
    12: -0.03,
}


def _s(values, start: str = "2017-01") -> pd.Series:
    """A float series indexed by month from ``start``."""
    return pd.Series(values, index=pd.period_range(start, periods=len(values), freq="M"), dtype=float)


def _seasonal(
    n: int, start: str = "2017-01", base: float = 800.0, slope: float = 0.0, pattern: dict | None = None
) -> pd.Series:
    """Noise-free (base + slope t) x (1 + pattern[calendar month])."""
    index = pd.period_range(start, periods=n, freq="M")
    factor = np.array([(pattern or {}).get(m, 0.0) for m in index.month])
    return pd.Series((base + slope * np.arange(n)) * (1 + factor), index=index)


def _noise(n: int, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sd, n)


def _leaders_series() -> pd.Series:
    """Oct 2019 to Jun 2021 with Dec 2019-Feb 2020 = 660, 672, 684 and Apr-Jun 2021 = 1040, 1052, 1064."""
    s = _s(np.linspace(640, 1064, 21), start="2019-10")
    s[pd.period_range("2019-12", "2020-02", freq="M")] = [660.0, 672.0, 684.0]
    s[pd.period_range("2021-04", "2021-06", freq="M")] = [1040.0, 1052.0, 1064.0]
    return s


# --------------------------------------------------------------------------------------------
# before and after
# --------------------------------------------------------------------------------------------


def test_672_to_1052_reads_57_percent():
    ba = trends.before_after(_leaders_series(), "2020-03-23", end="2021-06")
    assert ba.before_mean == pytest.approx(672)
    assert ba.after_mean == pytest.approx(1052)
    assert ba.change == pytest.approx(380)
    assert ba.pct_change == pytest.approx(380 / 672 * 100)  # 56.547...
    assert round(ba.pct_change) == 57
    assert trends.describe_before_after(ba) == (
        "Requests averaged 1,052 a month in the three months to June 2021, "
        "57% more than the 672 a month in the three months before March 2020."
    )


def test_before_window_is_the_three_full_months_before_the_change_month():
    ba = trends.before_after(_leaders_series(), "2020-03-23", end="2021-06")
    assert ba.change_month == pd.Period("2020-03", "M")
    assert (ba.before_start, ba.before_end) == (pd.Period("2019-12", "M"), pd.Period("2020-02", "M"))
    assert (ba.after_start, ba.after_end) == (pd.Period("2021-04", "M"), pd.Period("2021-06", "M"))


def test_change_may_be_a_month_a_date_string_or_a_period():
    s = _leaders_series()
    a = trends.before_after(s, "2020-03-23")
    b = trends.before_after(s, "2020-03")
    c = trends.before_after(s, pd.Period("2020-03", "M"))
    d = trends.before_after(s, pd.Timestamp("2020-03-01"))
    assert a == b == c == d
    assert a.after_end == pd.Period("2021-06", "M")  # end defaults to the last month of the series


def test_after_window_ends_where_asked_and_months_sets_both_windows():
    s = _s(np.arange(24) * 10.0)  # Jan 2017 = 0, Feb = 10, ...
    ba = trends.before_after(s, "2017-07", end="2018-03", months=6)
    assert (ba.before_start, ba.before_end) == (pd.Period("2017-01", "M"), pd.Period("2017-06", "M"))
    assert ba.before_mean == pytest.approx(25)  # 0..50
    assert (ba.after_start, ba.after_end) == (pd.Period("2017-10", "M"), pd.Period("2018-03", "M"))
    assert ba.after_mean == pytest.approx(115)  # 90..140
    assert ba.pct_change == pytest.approx(360)


def test_before_window_outside_the_series_is_an_input_error():
    with pytest.raises(InputError, match="not all in the series") as e:
        trends.before_after(_leaders_series(), "2019-12")  # needs Sep-Nov 2019; series starts Oct 2019
    assert e.value.column == "change"
    assert "January 2020" in e.value.expected


def test_after_window_starting_before_the_change_month_is_an_input_error():
    with pytest.raises(InputError, match="start before the change month") as e:
        trends.before_after(_leaders_series(), "2020-03", end="2020-04")
    assert e.value.expected == "an end month of May 2020 or later"


def test_fall_reads_fewer_or_less_and_a_tiny_change_reads_about_the_same():
    down = trends.before_after(_s([100, 100, 100, 90, 80, 80, 80]), "2017-04")
    assert down.pct_change == pytest.approx(-20)
    assert trends.describe_before_after(down, "referrals") == (
        "Referrals averaged 80 a month in the three months to July 2017, 20% fewer than the 100 a month in the three "
        "months before April 2017."
    )
    assert "20% less than" in trends.describe_before_after(down, "time in care", countable=False)
    same = trends.before_after(_s([1000, 1000, 1000, 0, 1004, 1004, 1004]), "2017-04")
    assert same.pct_change == pytest.approx(0.4)
    assert trends.describe_before_after(same) == (
        "Requests averaged 1,004 a month in the three months to July 2017, about the same as the 1,000 a month in "
        "the three months before April 2017."
    )
    half = trends.before_after(_s([1000, 1000, 1000, 0, 1005, 1005, 1005]), "2017-04")
    assert "1% more than" in trends.describe_before_after(half)  # 0.5% rounds half up


def test_one_month_windows_read_as_single_months():
    ba = trends.before_after(_s([200, 250, 0, 300]), "2017-03", months=1)
    assert (ba.before_mean, ba.after_mean) == (250, 300)
    assert (
        trends.describe_before_after(ba)
        == "Requests numbered 300 in April 2017, 20% more than the 250 in February 2017."
    )


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def test_gap_in_the_months_is_an_input_error_naming_the_first_missing_month():
    s = _s(np.full(30, 100.0)).drop([pd.Period("2017-05", "M"), pd.Period("2017-06", "M")])
    with pytest.raises(InputError, match="2 month\\(s\\) missing") as e:
        trends.find_step(s)
    assert e.value.value == "2017-05"
    assert "every month" in e.value.expected


def test_series_not_indexed_by_month_is_an_input_error():
    s = pd.Series(np.full(30, 100.0), index=pd.date_range("2017-01-01", periods=30, freq="MS"))
    with pytest.raises(InputError, match="indexed by month") as e:
        trends.seasonal_profile(s)
    assert 'PeriodIndex with freq "M"' in e.value.expected


def test_missing_value_is_an_input_error_naming_the_month():
    s = _s(np.full(30, 100.0))
    s.iloc[4] = np.nan
    with pytest.raises(InputError, match="May 2017 is missing") as e:
        trends.interrupted_time_series(s, "2018-01")
    assert e.value.value == "2017-05"


def test_unreadable_change_month_is_an_input_error():
    with pytest.raises(InputError, match="not a month or a date") as e:
        trends.before_after(_leaders_series(), "lockdown")
    assert e.value.column == "change"


# --------------------------------------------------------------------------------------------
# the same months a year earlier
# --------------------------------------------------------------------------------------------


def test_same_months_last_year_compares_april_to_june_with_april_to_june():
    s = _s(np.arange(100.0, 127.0), start="2019-04")  # April 2019 (100) to June 2021 (126)
    sm = trends.same_months_last_year(s, end="2021-06")
    assert (sm.start, sm.end) == (pd.Period("2021-04", "M"), pd.Period("2021-06", "M"))
    assert (sm.prior_start, sm.prior_end) == (pd.Period("2020-04", "M"), pd.Period("2020-06", "M"))
    assert sm.mean == pytest.approx(125.0) and sm.prior_mean == pytest.approx(113.0)
    assert sm.change == pytest.approx(12.0) and sm.pct_change == pytest.approx(12 / 113 * 100)


def test_same_months_last_year_defaults_to_the_last_month_and_a_season_cancels_out():
    s = _seasonal(36, start="2018-01", pattern=PATTERN)  # flat level, strong season
    sm = trends.same_months_last_year(s)
    assert sm.end == pd.Period("2020-12", "M") and sm.prior_end == pd.Period("2019-12", "M")
    assert sm.pct_change == pytest.approx(0.0, abs=1e-9)
    # the before/after of two different seasons would read a change where there is none
    ba = trends.before_after(s, "2020-10", end="2020-12")
    assert abs(ba.pct_change) > 1


def test_describe_same_months_names_both_windows():
    s = _s(np.arange(100.0, 127.0), start="2019-04")
    text = trends.describe_same_months(trends.same_months_last_year(s, end="2021-06"))
    assert text == (
        "Requests averaged 125 a month in April to June 2021, 11% more than the 113 a month in the same months a "
        "year earlier (April to June 2020)."
    )
    across = trends.describe_same_months(trends.same_months_last_year(s, end="2021-01"), "referrals")
    assert "November 2020 to January 2021" in across and "(November 2019 to January 2020)" in across


def test_same_months_last_year_needs_the_year_earlier_in_the_series():
    s = _s(np.arange(100.0, 120.0), start="2019-04")  # to November 2020
    with pytest.raises(InputError, match="same months a year before"):
        trends.same_months_last_year(s, end="2020-05")
    with pytest.raises(InputError, match="needs at least 15 months"):
        trends.same_months_last_year(s.iloc[:14])
    with pytest.raises(InputError, match="from 1 to 12"):
        trends.same_months_last_year(s, months=13)


# --------------------------------------------------------------------------------------------
# interrupted time series
# --------------------------------------------------------------------------------------------


def _step_series(step: float = 300.0, slope_after: float = 0.0, seed: int = 11) -> pd.Series:
    """Jan 2017 to Dec 2022: 800 + 3 a month, seasonal, noise sd 15; from April 2020 + ``step``
    and the trend steeper by ``slope_after`` a month."""
    s = _seasonal(72, base=800, slope=3, pattern=PATTERN) + _noise(72, 15, seed)
    t_after = np.maximum(0, np.arange(72) - 39)  # April 2020 is month 39
    post = np.arange(72) >= 39
    return s + step * post + slope_after * t_after


def test_known_step_change_of_300_is_estimated_within_30_and_its_ci_contains_300():
    r = trends.interrupted_time_series(_step_series(step=300), "2020-04-06")
    assert r.change_month == pd.Period("2020-04", "M")
    assert abs(r.level_change - 300) <= 30
    assert r.level_ci[0] < 300 < r.level_ci[1]
    assert r.level_p < 0.001
    assert r.slope_ci[0] < 0 < r.slope_ci[1]  # no slope change was built in
    assert r.pre_slope == pytest.approx(3, abs=0.5)
    assert (r.n, r.n_before, r.n_after) == (72, 39, 33)
    assert r.r2 > 0.95
    assert r.summary.loc["level_change", "estimate"] == pytest.approx(r.level_change)
    assert list(r.summary.index) == ["pre_slope", "level_change", "slope_change", "post_slope"]


def test_known_slope_change_is_estimated_and_its_ci_contains_the_truth():
    r = trends.interrupted_time_series(_step_series(step=0, slope_after=6), "2020-04")
    assert r.slope_change == pytest.approx(6, abs=1)
    assert r.slope_ci[0] < 6 < r.slope_ci[1]
    assert r.slope_p < 0.001
    assert r.post_slope == pytest.approx(9, abs=1)  # 3 before + 6
    assert r.post_slope == pytest.approx(r.pre_slope + r.slope_change)
    assert r.level_ci[0] < 0 < r.level_ci[1]


def test_flat_series_has_no_significant_level_change():
    s = _s(500 + _noise(60, 20, 3))
    r = trends.interrupted_time_series(s, "2019-07", seasonal=False)
    assert r.level_ci[0] < 0 < r.level_ci[1]
    assert r.level_p > 0.05
    assert abs(r.level_change) < 40  # under two noise standard deviations
    assert r.durbin_watson == pytest.approx(2, abs=0.6)  # independent noise: little autocorrelation


def test_counterfactual_is_the_pre_change_trend_and_season_continued():
    r = trends.interrupted_time_series(_step_series(step=300), "2020-04")
    before = r.fitted.index < pd.Period("2020-04", "M")
    assert np.allclose(r.fitted[before], r.counterfactual[before])
    months_after = np.arange(r.n_after)
    gap = (r.fitted - r.counterfactual)[~before].to_numpy()
    assert np.allclose(gap, r.level_change + r.slope_change * months_after)
    # the counterfactual keeps the season: August sits well below the following October
    assert r.counterfactual[pd.Period("2021-08", "M")] < r.counterfactual[pd.Period("2021-10", "M")] - 150


def test_its_default_maxlags_is_the_newey_west_rule_of_thumb():
    s = _step_series()
    assert trends.interrupted_time_series(s, "2020-04").maxlags == math.floor(4 * (72 / 100) ** (2 / 9))  # 3
    assert trends.interrupted_time_series(s, "2020-04", maxlags=12).maxlags == 12


def test_its_needs_24_months_when_seasonal_and_3_months_either_side():
    short = _s(500 + _noise(20, 10, 1))
    with pytest.raises(InputError, match="at least 24 months") as e:
        trends.interrupted_time_series(short, "2017-10")
    assert "seasonal=False" in e.value.expected
    assert trends.interrupted_time_series(short, "2017-10", seasonal=False).n == 20
    with pytest.raises(InputError, match="fewer than 3 months on one side"):
        trends.interrupted_time_series(_step_series(), "2022-11")


# --------------------------------------------------------------------------------------------
# the most likely single step
# --------------------------------------------------------------------------------------------


def test_known_step_change_is_found_at_the_right_month_with_the_right_size():
    s = _s(np.r_[np.full(30, 400.0), np.full(30, 550.0)] + _noise(60, 10, 5))
    step = trends.find_step(s)
    assert step.month == pd.Period("2019-07", "M")  # month 30 from Jan 2017
    assert step.size == pytest.approx(150, abs=10)
    assert step.before_mean == pytest.approx(400, abs=5)
    assert step.after_mean == pytest.approx(550, abs=5)
    assert (step.n_before, step.n_after) == (30, 30)
    assert step.explained > 0.9
    assert step.rss.idxmin() == step.month


def test_flat_series_best_split_is_small():
    s = _s(400 + _noise(60, 10, 9))
    step = trends.find_step(s)
    assert abs(step.size) < 15  # a best split always exists; here it is within the noise
    assert step.explained < 0.2


def test_find_step_keeps_min_segment_months_each_side():
    s = _s(np.r_[np.full(2, 900.0), np.full(28, 400.0)])  # the real step is too near the start
    step = trends.find_step(s, min_segment=6)
    assert step.n_before >= 6 and step.n_after >= 6
    assert step.rss.index[0] == pd.Period("2017-07", "M") and step.rss.index[-1] == pd.Period("2019-01", "M")
    with pytest.raises(InputError, match="at least 12 months"):
        trends.find_step(_s(np.full(11, 400.0)))


# --------------------------------------------------------------------------------------------
# seasonal pattern
# --------------------------------------------------------------------------------------------


def test_august_is_the_lowest_month_and_october_among_the_highest():
    s = _seasonal(60, base=800, slope=2, pattern=PATTERN) + _noise(60, 8, 2)
    sp = trends.seasonal_profile(s)
    assert sp.low[0] == "Aug"
    assert "Oct" in sp.high and len(sp.high) == len(sp.low) == 2
    assert list(sp.by_month.index) == list(trends.MONTHS)
    assert sp.by_month.loc["Aug", "pct_of_trend"] == pytest.approx(-20, abs=3)
    assert sp.by_month.loc["Oct", "pct_of_trend"] == pytest.approx(10, abs=3)
    assert sp.by_month["n"].sum() == 60
    assert sp.strength > 0.9


def test_seasonal_components_add_up_to_the_series():
    s = _seasonal(36, base=500, slope=1, pattern=PATTERN) + _noise(36, 5, 4)
    sp = trends.seasonal_profile(s, robust=False)
    assert np.allclose(sp.trend + sp.seasonal + sp.resid, s)
    assert sp.trend.index.equals(s.index)


def test_seasonal_profile_needs_two_full_years():
    with pytest.raises(InputError, match="at least 24 months; the series has 23"):
        trends.seasonal_profile(_seasonal(23, pattern=PATTERN))


# --------------------------------------------------------------------------------------------
# forecast
# --------------------------------------------------------------------------------------------

N_FORECAST = 96  # Jan 2017 to Dec 2024


@pytest.fixture(scope="module")
def clean() -> tuple[pd.Series, pd.Series, trends.Forecast]:
    """A seasonal series with a trend and a little noise, the truth for the next 12 months and
    the forecast (fitted once for the tests that share it)."""
    truth = _seasonal(N_FORECAST + 12, base=600, slope=4, pattern=PATTERN)
    s = truth.iloc[:N_FORECAST] + _noise(N_FORECAST, 5, 7)
    return s, truth.iloc[N_FORECAST:], trends.forecast(s, horizon=12, backtest=12)


def test_forecast_of_a_clean_seasonal_trend_is_within_5_percent_of_the_truth(clean):
    _, truth, f = clean
    assert f.forecast.index.equals(truth.index)
    error = (f.forecast["mean"] - truth).abs() / truth
    assert error.max() < 0.05


def test_forecast_intervals_are_ordered_and_95_wider_than_80(clean):
    _, _, f = clean
    t = f.forecast
    assert list(t.columns) == ["mean", "lower_80", "upper_80", "lower_95", "upper_95"]
    assert (t["lower_95"] <= t["lower_80"]).all() and (t["lower_80"] <= t["mean"]).all()
    assert (t["mean"] <= t["upper_80"]).all() and (t["upper_80"] <= t["upper_95"]).all()
    assert ((t["upper_95"] - t["lower_95"]) > (t["upper_80"] - t["lower_80"])).all()


def test_backtest_has_a_row_per_candidate_with_finite_mape_and_the_chosen_is_the_argmin(clean):
    s, _, f = clean
    b = f.backtest
    assert b["model"].tolist() == list(trends.CANDIDATES)
    assert np.isfinite(b["MAPE"]).all() and np.isfinite(b["MAE"]).all()
    assert (b["note"] == "").all()
    assert f.chosen == b.loc[b["MAPE"].idxmin(), "model"]
    p = f.backtest_predictions
    assert p.index.equals(s.index[-12:])
    assert np.allclose(p["actual"], s.iloc[-12:])
    mape = ((p[f.chosen] - p["actual"]).abs() / p["actual"]).mean() * 100
    assert mape == pytest.approx(b.loc[b["model"] == f.chosen, "MAPE"].iloc[0])
    assert (f.fit_start, f.fit_end, f.n_fit) == (s.index[0], s.index[-1], N_FORECAST)


@pytest.mark.parametrize("model", list(trends.CANDIDATES))
def test_every_candidate_gives_ordered_intervals_when_chosen(model, monkeypatch):
    monkeypatch.setattr(trends, "CANDIDATES", {model: trends.CANDIDATES[model]})
    s = _seasonal(48, base=600, slope=4, pattern=PATTERN) + _noise(48, 10, 8)
    f = trends.forecast(s, horizon=6, backtest=6)
    assert f.chosen == model
    t = f.forecast
    assert (t["lower_95"] < t["lower_80"]).all() and (t["lower_80"] < t["mean"]).all()
    assert (t["mean"] < t["upper_80"]).all() and (t["upper_80"] < t["upper_95"]).all()
    assert t.index[0] == pd.Period("2021-01", "M") and len(t) == 6


def test_exclude_before_fits_from_that_month_only():
    s = _seasonal(N_FORECAST, base=600, slope=4, pattern=PATTERN) + _noise(N_FORECAST, 5, 7)
    s[s.index < pd.Period("2020-06", "M")] -= 250  # an old level the fit should not see
    f = trends.forecast(s, horizon=3, backtest=6, exclude_before="2020-06")
    assert (f.fit_start, f.n_fit) == (pd.Period("2020-06", "M"), 55)
    assert f.forecast.index[0] == pd.Period("2025-01", "M")
    with pytest.raises(InputError, match="exclude_before June 2030 is not in the series"):
        trends.forecast(s, exclude_before="2030-06")


def test_too_short_series_is_an_input_error():
    with pytest.raises(InputError, match="at least 36 months; the series has 35") as e:
        trends.forecast(_seasonal(35, pattern=PATTERN))
    assert e.value.expected == "at least 36 months to fit: 12 to backtest and 24 before them"
    s = _seasonal(60, pattern=PATTERN)
    with pytest.raises(InputError, match="after exclude_before needs at least 36 months; the series has 25"):
        trends.forecast(s, exclude_before="2019-12")  # to Dec 2021
