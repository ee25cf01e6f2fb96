"""Unit tests for csdemand.methods.spc on small hand-made series (no data files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.methods import spc


def _s(values, start: str | None = None) -> pd.Series:
    """A float series, indexed by month from ``start`` when given (else 0, 1, 2, ...)."""
    index = pd.period_range(start, periods=len(values), freq="M") if start else None
    return pd.Series(values, index=index, dtype=float)


def _flagged(result: spc.SpcResult, rule: str) -> list[int]:
    """Row positions carrying a rule."""
    t = result.table
    return [i for i, r in enumerate(t["rules"]) if rule in r.split(",")]


# Noise that alternates around 10 never runs 7 on one side, never rises 7 times and stays well
# inside its limits, so anything flagged comes from the part a test adds.
NOISE = [12.0, 8.0] * 7  # mean 10, every moving range 4


# --------------------------------------------------------------------------------------------
# XmR limits
# --------------------------------------------------------------------------------------------


def test_xmr_limits_by_hand():
    r = spc.xmr(_s([10, 12, 11, 13, 12]))
    mean = (10 + 12 + 11 + 13 + 12) / 5  # 11.6
    mean_mr = (2 + 1 + 2 + 1) / 4  # 1.5
    t = r.table
    assert r.chart == "XmR" and r.sigma_z is None
    assert t["centre"].tolist() == pytest.approx([11.6] * 5)
    assert t["lower"].iloc[0] == pytest.approx(mean - 2.66 * mean_mr)  # 7.61
    assert t["upper"].iloc[0] == pytest.approx(11.6 + 3.99)  # 15.59
    assert t["moving_range"].iloc[1:].tolist() == [2, 1, 2, 1]
    assert math.isnan(t["moving_range"].iloc[0])
    assert not t["signal"].any()
    assert t["rules"].tolist() == [""] * 5 and t["side"].tolist() == [""] * 5


def test_xmr_keeps_period_labels_and_order():
    r = spc.xmr(_s([10, 12, 11], start="2023-04"))
    assert r.table["x"].tolist() == list(pd.period_range("2023-04", periods=3, freq="M"))
    assert r.table["value"].tolist() == [10, 12, 11]


def test_xmr_missing_value_is_left_out_of_mean_and_moving_ranges():
    r = spc.xmr(_s([10, np.nan, 14, 12]))
    t = r.table
    assert t["centre"].iloc[0] == pytest.approx(12.0)
    # ranges between consecutive values present: |14-10| = 4, |12-14| = 2
    assert t["moving_range"].iloc[2] == 4 and t["moving_range"].iloc[3] == 2
    assert math.isnan(t["moving_range"].iloc[1])
    assert t["upper"].iloc[0] == pytest.approx(12 + 2.66 * 3)


def test_noisy_flat_series_raises_no_signal():
    rng = np.random.default_rng(20240401)
    r = spc.xmr(_s(100 + rng.normal(0, 3, 36)))
    assert not r.table["signal"].any()
    assert r.events.empty


@pytest.mark.parametrize("level", [5.0, 0.1, 1234.567])
def test_constant_series_has_limits_on_the_mean_and_no_signal(level):
    r = spc.xmr(_s([level] * 12))
    t = r.table
    assert t["lower"].tolist() == pytest.approx([level] * 12)
    assert t["upper"].tolist() == pytest.approx([level] * 12)
    assert not t["signal"].any()  # a point on its own limit is not outside it, nor a shift


@pytest.mark.parametrize("values", [[], [3.0], [np.nan, 4.0], [np.nan, np.nan]])
def test_short_series_have_nan_limits_and_no_signal(values):
    r = spc.xmr(_s(values))
    assert len(r.table) == len(values)
    assert r.table["upper"].isna().all() and r.table["lower"].isna().all()
    assert not r.table["signal"].any()
    assert r.events.empty


def test_non_numeric_values_are_an_input_error():
    with pytest.raises(InputError):
        spc.xmr(pd.Series(["10", "twelve"]))


# --------------------------------------------------------------------------------------------
# rule 1: outside the limits
# --------------------------------------------------------------------------------------------


def test_single_spike_is_outside_limits_only_at_that_point():
    values = [9.0, 11.0] * 9 + [9.0]
    values[10] = 20.0
    r = spc.xmr(_s(values))
    t = r.table
    # mean 200/19; 18 mRs: 16 of 2, then |11-20| = 9 and |20-11| = 9 -> mean 50/18
    assert t["centre"].iloc[0] == pytest.approx(200 / 19)
    assert t["upper"].iloc[0] == pytest.approx(200 / 19 + 2.66 * 50 / 18)  # 17.92 < 20
    assert t.index[t["signal"]].tolist() == [10]
    assert t.at[10, "rules"] == "outside_limits"
    assert t.at[10, "side"] == "high"
    assert r.events[["rule", "side", "first", "last", "n_points"]].values.tolist() == [
        ["outside_limits", "high", 10, 10, 1]
    ]


def test_single_dip_is_outside_limits_low():
    values = [29.0, 31.0] * 9 + [29.0]
    values[10] = 20.0
    t = spc.xmr(_s(values)).table
    assert t.index[t["signal"]].tolist() == [10]
    assert t.at[10, "side"] == "low"


# --------------------------------------------------------------------------------------------
# rule 2: shift
# --------------------------------------------------------------------------------------------


def test_seven_points_above_the_mean_after_a_step_are_a_shift():
    r = spc.xmr(_s(NOISE + [11.0] * 7))
    t = r.table
    assert t["centre"].iloc[0] == pytest.approx((140 + 77) / 21)  # 10.33, below 11
    assert _flagged(r, "shift") == list(range(14, 21))
    assert (t.loc[14:, "side"] == "high").all()
    assert not t.loc[:13, "signal"].any()
    assert r.events[["rule", "side", "n_points"]].values.tolist() == [["shift", "high", 7]]


def test_six_points_above_the_mean_are_not_a_shift():
    r = spc.xmr(_s(NOISE + [11.0] * 6))
    assert not r.table["signal"].any()


def test_seven_points_below_the_mean_are_a_shift_low():
    r = spc.xmr(_s([8.0, 12.0] * 7 + [9.0] * 7))  # noise ends above the mean (9.67)
    assert _flagged(r, "shift") == list(range(14, 21))
    assert set(r.table.loc[14:, "side"]) == {"low"}


def test_a_point_on_the_centre_line_breaks_a_shift():
    # centre = (60 + 3*11 + 10.5 + 3*11) / 13 = 10.5 exactly: the middle point sits on it
    values = [12.0, 8.0] * 3 + [11.0] * 3 + [10.5] + [11.0] * 3
    r = spc.xmr(_s(values))
    assert r.table["centre"].iloc[0] == 10.5
    assert _flagged(r, "shift") == []
    # the same point a little higher (centre 10.58) completes a run of 7 above
    values[9] = 11.5
    assert _flagged(spc.xmr(_s(values)), "shift") == list(range(6, 13))


def test_a_missing_value_breaks_a_shift():
    r = spc.xmr(_s(NOISE + [11.0] * 3 + [np.nan] + [11.0] * 4))
    assert _flagged(r, "shift") == []
    assert not r.table["signal"].any()


# --------------------------------------------------------------------------------------------
# rule 3: trend
# --------------------------------------------------------------------------------------------

NOISE10 = [8.0, 12.0] * 5  # ends on 12, so the next lower point starts a fresh rise


def test_seven_strictly_rising_points_are_a_trend():
    r = spc.xmr(_s(NOISE10 + [9, 9.5, 10, 10.5, 11, 11.5, 12]))
    assert _flagged(r, "trend") == list(range(10, 17))
    assert set(r.table.loc[10:, "side"]) == {"high"}
    assert r.table.loc[10:, "rules"].tolist() == ["trend"] * 7  # and nothing else fires
    assert not r.table.loc[:9, "signal"].any()


def test_six_rising_points_are_not_a_trend():
    r = spc.xmr(_s(NOISE10 + [9.5, 10, 10.5, 11, 11.5, 12]))
    assert not r.table["signal"].any()


def test_a_tie_breaks_a_trend():
    r = spc.xmr(_s(NOISE10 + [9, 9.5, 10, 10, 10.5, 11, 11.5, 12]))
    assert _flagged(r, "trend") == []


def test_seven_strictly_falling_points_are_a_trend_low():
    r = spc.xmr(_s([12.0, 8.0] * 5 + [11, 10.5, 10, 9.5, 9, 8.5, 8]))
    assert _flagged(r, "trend") == list(range(10, 17))
    assert set(r.table.loc[10:, "side"]) == {"low"}


# --------------------------------------------------------------------------------------------
# rule 4: two out of three beyond two-thirds of the way to a limit
# --------------------------------------------------------------------------------------------


def test_two_of_three_near_the_upper_limit():
    values = [9.0, 11.0] * 6 + [16.0, 11.0, 16.0] + [9.0, 11.0] * 3
    r = spc.xmr(_s(values))
    t = r.table
    mean = 223 / 21
    mean_mr = (11 * 2 + 5 + 5 + 5 + 7 + 5 * 2) / 20  # 2.7
    zone = mean + 2 / 3 * 2.66 * mean_mr  # 15.41
    assert t["upper"].iloc[0] == pytest.approx(mean + 2.66 * mean_mr)  # 17.80, so 16 is inside
    assert zone < 16 < t["upper"].iloc[0]
    assert t.index[t["signal"]].tolist() == [12, 14]
    assert t.loc[[12, 14], "rules"].tolist() == ["two_of_three"] * 2
    assert t.loc[[12, 14], "side"].tolist() == ["high", "high"]
    assert r.events[["rule", "side", "first", "last", "n_points"]].values.tolist() == [
        ["two_of_three", "high", 12, 14, 2]
    ]


def test_one_of_three_near_the_limit_is_not_a_signal():
    values = [9.0, 11.0] * 6 + [16.0, 11.0, 9.0] + [9.0, 11.0] * 3
    t = spc.xmr(_s(values)).table
    assert not t["signal"].any()


def test_two_of_three_needs_all_three_points_on_the_same_side_of_the_mean():
    # Making Data Count's window: the middle point (9, below the mean of 10.3) breaks it, although
    # both 16s are close to the upper limit (zone 15.2 < 16 < upper 17.5)
    values = [9.0, 11.0] * 6 + [16.0, 9.0, 16.0] + [9.0, 11.0] * 3
    r = spc.xmr(_s(values))
    t = r.table
    assert t["centre"].iloc[0] < 11 and t["centre"].iloc[0] > 9
    zone = t["centre"].iloc[0] + 2 / 3 * (t["upper"].iloc[0] - t["centre"].iloc[0])
    assert zone < 16 < t["upper"].iloc[0]
    assert _flagged(r, "two_of_three") == []
    assert not t["signal"].any()


def test_a_point_outside_the_limits_does_not_count_as_close_to_the_limit():
    # 22 is outside the upper limit (rule 1); the 16 beside it is the only point close to the
    # limit in any window of three, so it is not a two-of-three signal
    values = [9.0, 11.0] * 6 + [22.0, 16.0, 11.0] + [9.0, 11.0] * 3
    r = spc.xmr(_s(values))
    t = r.table
    assert t.at[12, "value"] > t.at[12, "upper"]
    zone = t["centre"].iloc[0] + 2 / 3 * (t["upper"].iloc[0] - t["centre"].iloc[0])
    assert zone < 16 < t.at[13, "upper"]
    assert t.index[t["signal"]].tolist() == [12]
    assert t.at[12, "rules"] == "outside_limits"
    assert _flagged(r, "two_of_three") == []


def test_three_of_three_close_to_the_lower_limit_flags_all_three():
    values = [29.0, 31.0] * 6 + [24.0, 24.5, 24.0] + [29.0, 31.0] * 3
    r = spc.xmr(_s(values))
    t = r.table
    assert (t.loc[12:14, "value"] > t.loc[12:14, "lower"]).all()
    assert _flagged(r, "two_of_three") == [12, 13, 14]
    assert set(t.loc[12:14, "side"]) == {"low"}


def test_two_of_three_needs_the_same_side():
    # high then low beyond their zones, one point apart: not two on one side
    values = [9.0, 11.0] * 6 + [16.0, 10.0, 4.0] + [9.0, 11.0] * 3
    r = spc.xmr(_s(values))
    assert _flagged(r, "two_of_three") == []


# --------------------------------------------------------------------------------------------
# what a signal means: Making Data Count's colours from the measure's polarity
# --------------------------------------------------------------------------------------------

SPIKE = [9.0, 11.0] * 5 + [20.0] + [11.0, 9.0] * 4  # one point above the upper limit, row 10
DIP = [29.0, 31.0] * 5 + [20.0] + [31.0, 29.0] * 4  # one point below the lower limit, row 10


@pytest.mark.parametrize(
    "polarity, values, expected",
    [
        ("high_is_good", SPIKE, "improvement"),
        ("high_is_good", DIP, "concern"),
        ("low_is_good", SPIKE, "concern"),
        ("low_is_good", DIP, "improvement"),
        ("neither", SPIKE, "neither"),
        ("neither", DIP, "neither"),
    ],
)
def test_special_cause_is_improvement_concern_or_neither_by_polarity(polarity, values, expected):
    r = spc.xmr(_s(values), polarity=polarity)
    t = r.table
    assert t.index[t["signal"]].tolist() == [10]
    assert t.at[10, "variation"] == expected
    assert set(t.drop(index=10)["variation"]) == {"common_cause"}
    assert r.polarity == polarity and r.events["variation"].tolist() == [expected]


def test_variation_words_name_making_data_counts_categories():
    assert spc.VARIATION_WORDS["neither"] == "special cause (neither improvement nor concern)"
    assert spc.variation("", "high_is_good") == "common_cause"
    assert spc.variation("low", "low_is_good") == "improvement" and spc.variation("high", "low_is_good") == "concern"


def test_default_polarity_is_neither_and_an_unknown_polarity_is_an_input_error():
    assert spc.xmr(_s(SPIKE)).table.at[10, "variation"] == "neither"
    with pytest.raises(InputError, match="unknown polarity"):
        spc.xmr(_s(SPIKE), polarity="up")


def test_p_chart_variation_follows_polarity():
    num = _s([50.0, 52, 48, 51, 49, 50, 90, 50, 51, 49], start="2024-01")
    den = _s([500.0] * 10, start="2024-01")
    r = spc.p_chart(num, den, laney=False, polarity="low_is_good")
    assert r.table.at[6, "variation"] == "concern"


def test_describe_says_what_a_signal_means_for_the_polarity():
    text = spc.describe(spc.xmr(_s(SPIKE, start="2023-01"), polarity="high_is_good"), "requests")
    assert text == ["Outside the limits (improvement): requests was above the upper process limit in November 2023."]


# --------------------------------------------------------------------------------------------
# phases
# --------------------------------------------------------------------------------------------

BEFORE = [10.0, 12, 11, 13, 12, 10, 11, 13, 11, 12]  # mean 11.5
AFTER = [v + 10 for v in BEFORE]  # mean 21.5


def test_step_change_without_phases_is_a_shift():
    r = spc.xmr(_s(BEFORE + AFTER))
    assert r.table["centre"].iloc[0] == pytest.approx(16.5)
    assert _flagged(r, "shift") == list(range(20))


def test_phases_recalculate_limits_at_the_step():
    r = spc.xmr(_s(BEFORE + AFTER), phases=[10])
    t = r.table
    assert t["phase"].tolist() == [1] * 10 + [2] * 10
    assert t.loc[:9, "centre"].tolist() == pytest.approx([11.5] * 10)
    assert t.loc[10:, "centre"].tolist() == pytest.approx([21.5] * 10)
    # each phase's own moving ranges: the jump between phases is not one of them
    mean_mr = (2 + 1 + 2 + 1 + 2 + 1 + 2 + 2 + 1) / 9
    assert math.isnan(t.at[10, "moving_range"])
    assert t.at[10, "upper"] == pytest.approx(21.5 + 2.66 * mean_mr)
    assert not t["signal"].any()


def test_a_signal_in_a_later_phase_marks_its_own_row():
    # the spike is row 30, the 11th point of phase 2 (rows 20-39); it must not mark row 10
    values = [9.0, 11.0] * 10 + [29.0, 31.0] * 5 + [45.0] + [31.0, 29.0] * 4 + [31.0]
    r = spc.xmr(_s(values, start="2020-01"), phases=[20])
    t = r.table
    assert t.index[t["signal"]].tolist() == [30]
    assert t.at[30, "rules"] == "outside_limits" and t.at[30, "phase"] == 2
    assert r.events[["rule", "phase", "first", "last", "start"]].values.tolist() == [
        ["outside_limits", 2, 30, 30, pd.Period("2022-07", "M")]
    ]


def test_phase_start_may_be_a_period_label():
    s = _s(BEFORE + AFTER, start="2022-01")
    by_label = spc.xmr(s, phases=[pd.Period("2022-11", freq="M")])
    by_position = spc.xmr(s, phases=[10])
    pd.testing.assert_frame_equal(by_label.table, by_position.table)


def test_phase_outside_the_series_is_an_input_error():
    with pytest.raises(InputError):
        spc.xmr(_s(BEFORE), phases=[10])


def test_rules_do_not_run_across_phases():
    # 7 points above the mean in a row, but a new phase starts after the fourth of them
    values = [12.0, 8.0] * 4 + [11.0] * 7
    assert _flagged(spc.xmr(_s(values)), "shift") == list(range(8, 15))
    split = spc.xmr(_s(values), phases=[12])
    assert split.table.loc[12:, "centre"].tolist() == pytest.approx([11.0] * 3)
    assert not split.table["signal"].any()


# --------------------------------------------------------------------------------------------
# p-charts
# --------------------------------------------------------------------------------------------


def test_laney_p_by_hand():
    num = _s([10, 20, 15, 30])
    den = _s([100, 200, 100, 200])
    r = spc.p_chart(num, den)
    pbar = 75 / 600  # 0.125
    s100, s200 = math.sqrt(pbar * (1 - pbar) / 100), math.sqrt(pbar * (1 - pbar) / 200)
    z = [(0.10 - pbar) / s100, (0.10 - pbar) / s200, (0.15 - pbar) / s100, (0.15 - pbar) / s200]
    sigma_z = (abs(z[1] - z[0]) + abs(z[2] - z[1]) + abs(z[3] - z[2])) / 3 / 1.128
    assert sigma_z == pytest.approx(0.72435, abs=1e-5)
    assert r.chart == "p'"
    assert r.sigma_z == pytest.approx(sigma_z)
    t = r.table
    assert t["value"].tolist() == pytest.approx([0.10, 0.10, 0.15, 0.15])
    assert t["centre"].tolist() == pytest.approx([pbar] * 4)
    assert t["upper"].tolist() == pytest.approx([pbar + 3 * s * sigma_z for s in (s100, s200, s100, s200)])
    assert t["lower"].tolist() == pytest.approx([pbar - 3 * s * sigma_z for s in (s100, s200, s100, s200)])
    assert t["sigma_z"].tolist() == pytest.approx([sigma_z] * 4)


def test_plain_p_chart_by_hand():
    r = spc.p_chart(_s([10, 20, 15, 30]), _s([100, 200, 100, 200]), laney=False)
    assert r.chart == "p" and r.sigma_z == 1.0
    assert r.table["upper"].iloc[0] == pytest.approx(0.125 + 3 * math.sqrt(0.125 * 0.875 / 100))


# Twelve months of 100,000 children each, rates wandering 9.6% to 10.4%: ordinary variation for
# a large council, but 4 to 13 binomial standard errors from the mean.
BIG_NUM = [10000, 10400, 9700, 10300, 9600, 10200, 9900, 10100, 9800, 10000, 10300, 9700]
BIG_DEN = [100_000] * 12


def test_plain_p_chart_flags_large_denominators_but_laney_does_not():
    plain = spc.p_chart(_s(BIG_NUM), _s(BIG_DEN), laney=False)
    laney = spc.p_chart(_s(BIG_NUM), _s(BIG_DEN))
    se = math.sqrt(0.1 * 0.9 / 100_000)
    assert plain.table["upper"].iloc[0] == pytest.approx(0.1 + 3 * se)  # 0.10285
    assert _flagged(plain, "outside_limits") == [1, 2, 3, 4, 10, 11]
    assert laney.sigma_z > 4
    assert laney.table["upper"].iloc[0] == pytest.approx(0.1 + 3 * se * laney.sigma_z)
    assert not laney.table["signal"].any()


def test_laney_sigma_z_near_one_for_binomial_data():
    rng = np.random.default_rng(7)
    den = rng.integers(2_000, 8_000, 300)
    num = rng.binomial(den, 0.2)
    r = spc.p_chart(_s(num), _s(den))
    assert r.sigma_z == pytest.approx(1.0, abs=0.1)


def test_p_chart_spike_flagged_against_its_own_limit():
    den = [1000.0] * 29
    num = [90.0, 120.0] * 14 + [90.0]
    num[14] = 300.0  # 30% against a mean of 11.2% and an upper limit of 22.0%
    r = spc.p_chart(_s(num), _s(den))
    assert r.table["upper"].iloc[0] == pytest.approx(0.2200, abs=1e-4)
    assert r.table.index[r.table["signal"]].tolist() == [14]
    assert r.table.at[14, "rules"] == "outside_limits" and r.table.at[14, "side"] == "high"


def test_p_chart_zero_denominator_is_left_out():
    r = spc.p_chart(_s([10, 0, 15, 30]), _s([100, 0, 100, 200]))
    t = r.table
    assert math.isnan(t.at[1, "value"]) and math.isnan(t.at[1, "upper"])
    assert t["centre"].iloc[0] == pytest.approx(55 / 400)


def test_p_chart_short_and_zero_series_do_not_crash():
    one = spc.p_chart(_s([5]), _s([50]))
    assert one.table["upper"].isna().all() and not one.table["signal"].any()
    zeros = spc.p_chart(_s([0] * 8), _s([100] * 8))
    assert zeros.table["upper"].tolist() == [0.0] * 8
    assert not zeros.table["signal"].any()


def test_p_chart_rejects_numerator_above_denominator_and_mismatched_periods():
    with pytest.raises(InputError):
        spc.p_chart(_s([10, 120]), _s([100, 100]))
    with pytest.raises(InputError):
        spc.p_chart(_s([10, 12], start="2023-01"), _s([100, 100], start="2023-02"))


def test_p_chart_phases_have_their_own_p_bar_and_sigma_z():
    num = [10, 20, 15, 30, 40, 80, 60, 120]
    den = [100, 200, 100, 200] * 2
    r = spc.p_chart(_s(num), _s(den), phases=[4])
    t = r.table
    assert t.loc[:3, "centre"].tolist() == pytest.approx([75 / 600] * 4)
    assert t.loc[4:, "centre"].tolist() == pytest.approx([300 / 600] * 4)
    assert r.sigma_z == pytest.approx(t.at[7, "sigma_z"])
    assert t.at[0, "sigma_z"] == pytest.approx(0.72435, abs=1e-5)


# --------------------------------------------------------------------------------------------
# signals and describe
# --------------------------------------------------------------------------------------------


def test_signals_returns_only_flagged_rows():
    r = spc.xmr(_s(NOISE + [11.0] * 7))
    assert spc.signals(r).index.tolist() == list(range(14, 21))


def test_describe_shift_names_the_rule_count_and_periods():
    r = spc.xmr(_s(NOISE + [11.0] * 8, start="2022-04"))  # the 11s are rows 14-21
    assert spc.describe(r, "referrals") == [
        "Shift (neither improvement nor concern): 8 months in a row above the average (June 2023 to January 2024)."
    ]


def test_describe_no_signal_gives_latest_value_and_range():
    r = spc.xmr(_s([10, 12, 11, 13, 12], start="2024-01"))
    assert spc.describe(r, "referrals") == [
        "No special-cause variation: the latest value of referrals (12.0 in May 2024) is within the expected range "
        "of 7.6 to 15.6."
    ]


def test_describe_outside_limits_trend_and_percentages():
    values = [9.0, 11.0] * 9 + [9.0]
    values[10] = 20.0
    text = spc.describe(spc.xmr(_s(values, start="2023-01")), "contacts")
    assert text == [
        "Outside the limits (neither improvement nor concern): contacts was above the upper process limit in "
        "November 2023."
    ]
    trend = spc.describe(
        spc.xmr(_s([12.0, 8.0] * 5 + [11, 10.5, 10, 9.5, 9, 8.5, 8], start="2023-01"), polarity="low_is_good"),
        "contacts",
    )
    assert trend == [
        "Trend (improvement): 7 months in a row each lower than the one before (November 2023 to May 2024)."
    ]
    laney = spc.describe(spc.p_chart(_s(BIG_NUM, start="2023-01"), _s(BIG_DEN, start="2023-01")), "re-referrals")
    assert laney[0].startswith(
        "No special-cause variation: the latest value of re-referrals (9.7% in December 2023) is within the expected "
        "range of 8.8% to 11.2%."
    )


def test_describe_two_of_three_and_recalculation():
    values = [9.0, 11.0] * 6 + [16.0, 11.0, 16.0] + [9.0, 11.0] * 3
    assert spc.describe(spc.xmr(_s(values), polarity="low_is_good"), "x") == [
        "Two of three (concern): 2 of 3 points in a row close to the upper process limit (12 to 14)."
    ]
    text = spc.describe(spc.xmr(_s(BEFORE + AFTER, start="2022-01"), phases=[10]), "x")
    assert text[0] == "The limits were recalculated from November 2022."
    assert text[1].startswith("No special-cause variation")


def test_describe_short_series():
    assert spc.describe(spc.xmr(_s([3.0])), "x") == [
        "Too few values to set process limits for x: at least 2 are needed in a phase."
    ]
