"""Unit tests for csdemand.methods.funnel on small hand-made inputs (no data files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.methods import funnel

Z95 = 1.959964
Z998 = 3.090232

# --------------------------------------------------------------------------------------------
# scales and z-scores
# --------------------------------------------------------------------------------------------


def test_log_scale_z_scores_by_hand():
    # target 67 per 10,000; 800 of 100,000: y = log 0.008, y0 = log 0.0067, s = 1 / sqrt(100,000 x 0.0067)
    z = funnel.z_scores(np.array([800, 670]), np.array([100_000, 100_000]), 67)
    assert z[0] == pytest.approx(math.log(0.008 / 0.0067) * math.sqrt(670))
    assert z[0] == pytest.approx(4.5902, abs=1e-4)
    assert z[1] == pytest.approx(0.0, abs=1e-12)


def test_log_scale_z_is_equal_and_opposite_for_twice_and_half_the_target():
    z = funnel.z_scores(np.array([1340, 335]), np.array([100_000, 100_000]), 67)
    assert z[0] == pytest.approx(-z[1])


def test_arcsine_scale_z_scores_by_hand_for_percentages():
    # 30 of 100 against 20%: (asin sqrt .3 - asin sqrt .2) x 2 sqrt(100)
    z = funnel.z_scores(np.array([30.0]), np.array([100.0]), 20.0, kind="percent")
    assert z[0] == pytest.approx((math.asin(math.sqrt(0.3)) - math.asin(math.sqrt(0.2))) * 20)
    assert z[0] == pytest.approx(2.3198, abs=1e-4)


def test_zero_count_is_half_a_child_on_the_log_scale_not_minus_infinity():
    y = funnel.observed_y(np.array([0.0, 4.0]), np.array([10_000.0, 10_000.0]), "log")
    assert y[0] == pytest.approx(math.log(0.5 / 10_000)) and np.isfinite(y).all()


def test_missing_or_zero_denominator_gives_nan():
    y = funnel.observed_y(np.array([5.0, 5.0]), np.array([0.0, np.nan]), "log")
    assert np.isnan(y).all()


def test_transform_and_inverse_round_trip_on_every_scale():
    p = np.array([0.001, 0.2, 0.6])
    for scale in ("log", "sqrt", "asin", "logit"):
        assert funnel.inverse(funnel.transform(p, scale), scale) == pytest.approx(p)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        funnel.z_scores(np.array([1.0]), np.array([10.0]), 5.0, kind="ratio")


# --------------------------------------------------------------------------------------------
# estimate_tau2: the one estimator
# --------------------------------------------------------------------------------------------


def test_winsorised_normal_second_moment_is_0_679_at_10_percent():
    assert funnel.winsorised_normal_second_moment(0.10) == pytest.approx(0.6787, abs=1e-4)
    # matches a large simulated sample
    z = np.random.default_rng(0).normal(size=400_000)
    lo, hi = np.quantile(z, [0.1, 0.9])
    assert np.mean(np.clip(z, lo, hi) ** 2) == pytest.approx(funnel.winsorised_normal_second_moment(0.10), abs=0.005)


def test_tau2_zero_when_every_area_sits_on_target():
    od = funnel.estimate_tau2(np.zeros(20), np.full(20, 0.1))
    assert od.tau2 == 0.0 and od.phi == 0.0 and od.n_areas == 20


def test_tau2_by_hand_when_phi_above_one():
    # 10 areas, s = 0.1 each (w = 100); z = +-3 after winsorising (all the same size)
    z = np.array([3.0, -3.0] * 5)
    se = np.full(10, 0.1)
    c = funnel.winsorised_normal_second_moment()
    phi = 9.0 / c
    w = np.full(10, 100.0)
    expected = (10 * phi - 9) / (w.sum() - (w**2).sum() / w.sum())
    od = funnel.estimate_tau2(z, se)
    assert od.phi == pytest.approx(phi)
    assert od.tau2 == pytest.approx(expected)
    # as the 2005 paper prints it (no consistency factor): phi = 9
    assert funnel.estimate_tau2(z, se, consistent=False).tau2 == pytest.approx((90 - 9) / (1000 - 100))


def test_tau2_winsorises_an_extreme_area_at_the_90th_percentile():
    z = np.array([0, 1, -1, 50, 0, -2, 1, 0, -1, 0.0])
    od = funnel.estimate_tau2(z, np.full(10, 0.1), consistent=False)
    lo, hi = np.quantile(z, [0.1, 0.9])
    assert od.phi == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))
    assert od.phi == pytest.approx(4.002)  # 50 is cut to 5.9 (the 90th percentile): 250.8 unwinsorised


def test_tau2_not_estimated_with_fewer_than_10_areas():
    od = funnel.estimate_tau2(np.full(9, 3.0), np.full(9, 0.1))
    assert np.isnan(od.tau2) and od.n_areas == 9 and "fewer than 10" in od.note


def test_tau2_drops_missing_and_non_positive_standard_errors():
    z = np.r_[np.array([3.0, -3.0] * 5), np.nan, 5.0, 5.0]
    se = np.r_[np.full(10, 0.1), 0.1, 0.0, np.nan]
    assert funnel.estimate_tau2(z, se).n_areas == 10


# --------------------------------------------------------------------------------------------
# estimate_overdispersion, limits, classify (the looked-after briefing's calls)
# --------------------------------------------------------------------------------------------


def _spread(n_areas=60, seed=1, sd=0.3):
    rng = np.random.default_rng(seed)
    n = rng.uniform(20_000, 300_000, n_areas)
    counts = np.round(n * 0.0067 * np.exp(rng.normal(0, sd, n_areas)))
    return counts, n


def test_real_spread_gives_large_phi_and_log_scale_tau2_near_the_simulated_variance():
    counts, n = _spread(n_areas=150, sd=0.3)
    od = funnel.estimate_overdispersion(counts, n, 67)
    assert od.phi > 20 and od.scale == "log"
    assert od.tau2 == pytest.approx(0.09, rel=0.35)  # sd 0.3 on the log scale


def test_limits_by_hand_on_the_log_scale():
    lim = funnel.limits(67, np.array([100_000.0]), tau2=0.04).iloc[0]
    sd = math.sqrt(1 / 670 + 0.04)
    assert lim["upper_95"] == pytest.approx(67 * math.exp(Z95 * sd), rel=1e-6)
    assert lim["lower_95"] == pytest.approx(67 * math.exp(-Z95 * sd), rel=1e-6)
    assert lim["lower_99_8"] == pytest.approx(67 * math.exp(-Z998 * sd), rel=1e-6)


def test_limits_are_asymmetric_on_the_rate_scale_and_never_negative():
    lim = funnel.limits(67, np.array([1_000.0, 50_000.0, 500_000.0]), tau2=0.1)
    assert ((lim["upper_95"] - 67) > (67 - lim["lower_95"])).all()
    assert (lim["lower_99_8"] > 0).all()
    assert (lim["lower_99_8"] < lim["lower_95"]).all() and (lim["upper_95"] < lim["upper_99_8"]).all()


def test_limits_narrow_with_population_to_the_tau2_band_not_to_the_target():
    lim = funnel.limits(67, np.array([10_000.0, 1e9]), tau2=0.09)
    assert lim["upper_95"].iloc[0] > lim["upper_95"].iloc[1]
    assert lim["upper_95"].iloc[1] == pytest.approx(67 * math.exp(Z95 * 0.3), rel=1e-4)
    tight = funnel.limits(67, np.array([1e12]), tau2=0.0).iloc[0]
    assert tight["lower_95"] == pytest.approx(67, rel=1e-3) and tight["upper_95"] == pytest.approx(67, rel=1e-3)


def test_percentage_limits_stay_between_0_and_100():
    lim = funnel.limits(30.0, np.array([20.0, 10_000.0]), tau2=0.05, kind="percent")
    assert (lim["lower_99_8"] >= 0).all() and (lim["upper_99_8"] <= 100).all()


def test_limits_with_tau2_nan_are_nan():
    assert funnel.limits(67, np.array([100_000.0]), tau2=np.nan).iloc[0][["lower_95", "upper_95"]].isna().all()


@pytest.mark.parametrize(
    "z, expected",
    [
        (-1.9, "within the 95% limits"),
        (2.0, "above the 95% limit"),
        (3.2, "above the 99.8% limit"),
        (-3.0, "below the 95% limit"),
        (-3.2, "below the 99.8% limit"),
    ],
)
def test_classify_places_a_rate_by_its_log_scale_z(z, expected):
    n = 100_000.0
    rate = 67 * math.exp(z / math.sqrt(n * 0.0067))
    assert funnel.classify(rate, n, 67, 0.0) == expected


def test_classify_flags_a_low_rate_below_the_lower_limit():
    # 27 per 10,000 at 44,000 children with England 67 and a between-area sd of 0.35
    assert funnel.classify(27, 44_038, 67.12, 0.35**2) == "below the 95% limit"
    # the old symmetric rate-scale limits put the lower 99.8% limit near 3 per 10,000; these do not
    assert funnel.limits(67.12, np.array([44_038.0]), 0.35**2).iloc[0]["lower_99_8"] > 20


def test_classify_with_overdispersion_pulls_outliers_inside():
    rate = 67 * math.exp(3.5 / math.sqrt(100_000 * 0.0067))
    assert funnel.classify(rate, 100_000, 67, 0.0) == "above the 99.8% limit"
    assert funnel.classify(rate, 100_000, 67, 0.05) == "within the 95% limits"


def test_classify_without_a_spread_or_a_denominator_is_not_assessed():
    assert funnel.classify(67, 100_000, 67, np.nan) == "not assessed"
    assert funnel.classify(67, 0, 67, 0.01) == "not assessed"


# --------------------------------------------------------------------------------------------
# funnel and funnel_table
# --------------------------------------------------------------------------------------------


def test_funnel_z_are_the_log_z_shrunk_by_tau2():
    counts, n = _spread()
    f = funnel.funnel(counts, n, 67, "rate")
    se = funnel.null_se(0.0067, n, "log")
    assert f.z == pytest.approx(f.z_chance * se / np.sqrt(se**2 + f.od.tau2))


def test_funnel_table_keeps_published_la_rows_and_classifies_by_count_over_population():
    base = {"geographic_level": "la", "period": 2025, "measure": "cla_rate", "status": "", "source": "test"}
    rows = [
        {**base, "la_number": 201, "area_name": "A", "numerator": 670, "denominator": 100_000, "value": 67.0},
        {**base, "la_number": 202, "area_name": "B", "numerator": 800, "denominator": 100_000, "value": 80.0},
        {**base, "la_number": 206, "area_name": "F", "numerator": 550, "denominator": 100_000, "value": 55.0},
        {
            **base,
            "la_number": 203,
            "area_name": "C",
            "numerator": 10,
            "denominator": 1_000,
            "value": np.nan,
            "status": "c",
        },
        {**base, "la_number": 204, "area_name": "D", "numerator": None, "denominator": 50_000, "value": 70.0},
        {
            **base,
            "la_number": 205,
            "area_name": "E",
            "numerator": 700,
            "denominator": 100_000,
            "value": 70.0,
            "period": 2024,
        },
        {
            **base,
            "geographic_level": "national",
            "la_number": None,
            "area_name": "England",
            "numerator": 83_000,
            "denominator": 12_000_000,
            "value": 69.0,
        },
    ]
    df = tidy.conform(pd.DataFrame(rows))
    out = funnel.funnel_table(df, "cla_count", "cla_rate", 2025, 67, 0.0)
    assert out["la_number"].tolist() == [201, 202, 206]
    assert out["count"].tolist() == [670.0, 800.0, 550.0]
    assert out["rate"].tolist() == [67.0, 80.0, 55.0]
    # 550 against 670 expected: log(55/67) x sqrt(670) = -5.1: a low rate is flagged as readily as a high one
    assert out["position"].tolist() == ["within the 95% limits", "above the 99.8% limit", "below the 99.8% limit"]
    assert out["z"].iloc[2] == pytest.approx(math.log(55 / 67) * math.sqrt(670))
