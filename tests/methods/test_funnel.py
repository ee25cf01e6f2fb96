"""Unit tests for csdemand.methods.funnel on small hand-made inputs (no data files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.methods import funnel
from csdemand.core import tidy

Z95 = 1.959964
Z998 = 3.090232

# --------------------------------------------------------------------------------------------
# z_scores
# --------------------------------------------------------------------------------------------


def test_z_scores_by_hand():
    # target 67 per 10,000 = 0.0067; 800 of 100,000 = 0.008
    z = funnel.z_scores(np.array([800, 670, 536]), np.array([100_000, 100_000, 80_000]), 67)
    se_100k = math.sqrt(0.0067 / 100_000)
    assert z[0] == pytest.approx((0.008 - 0.0067) / se_100k)
    assert z[0] == pytest.approx(5.0223, abs=1e-4)
    assert z[1] == pytest.approx(0.0, abs=1e-12)  # exactly at target
    assert z[2] == pytest.approx((0.0067 - 0.0067) / math.sqrt(0.0067 / 80_000), abs=1e-12)


def test_z_scores_negative_below_target_and_larger_for_bigger_populations():
    z = funnel.z_scores(np.array([50, 500]), np.array([10_000, 100_000]), 67)  # both 50 per 10,000
    assert (z < 0).all()
    # same rate, 10 times the population: z grows by sqrt(10)
    assert z[1] / z[0] == pytest.approx(math.sqrt(10))


# --------------------------------------------------------------------------------------------
# estimate_overdispersion
# --------------------------------------------------------------------------------------------

# With every denominator 10,000 and target 100 per 10,000 (theta 0.01), the Poisson SE is 0.001,
# so a count of 100 + 10 z has z-score exactly z.
N10 = np.full(10, 10_000.0)


def _counts_for(z):
    return 100.0 + 10.0 * np.asarray(z, float)


def test_overdispersion_zero_when_counts_exactly_at_target():
    od = funnel.estimate_overdispersion(np.full(10, 100.0), N10, 100)
    assert od.phi == pytest.approx(0.0, abs=1e-20)
    assert od.tau2 == 0.0
    assert od.n_areas == 10


def test_overdispersion_tau2_zero_when_phi_at_or_below_i_minus_1_over_i():
    # z = -1,-1,0,...,0,1,1: winsorising leaves them unchanged, phi = 4/10 < 9/10
    od = funnel.estimate_overdispersion(_counts_for([-1, -1, 0, 0, 0, 0, 0, 0, 1, 1]), N10, 100)
    assert od.phi == pytest.approx(0.4)
    assert od.tau2 == 0.0


def test_overdispersion_tau2_by_hand_when_phi_above_threshold():
    # z = +-1.5 (x2), +-1 (x2), 0 (x2): phi = (4*2.25 + 4*1) / 10 = 1.3
    # w = n / theta = 1e6 each: sum w - sum w^2 / sum w = 1e7 - 1e6 = 9e6
    # tau2 = (10*1.3 - 9) / 9e6
    od = funnel.estimate_overdispersion(_counts_for([-1.5, -1.5, -1, -1, 0, 0, 1, 1, 1.5, 1.5]), N10, 100)
    assert od.phi == pytest.approx(1.3)
    assert od.tau2 == pytest.approx(4 / 9e6)


def test_overdispersion_winsorises_z_at_10th_and_90th_percentiles():
    # sorted z: -2,-1,-1,0,0,0,0,1,1,50. Linear 10th percentile = -1.1, 90th = 1 + 0.1*49 = 5.9
    # winsorised: -1.1,-1,-1,0,0,0,0,1,1,5.9 -> phi = (1.21 + 4 + 34.81) / 10 = 4.002
    # (without winsorising phi would be 250.8)
    od = funnel.estimate_overdispersion(_counts_for([0, 1, -1, 50, 0, -2, 1, 0, -1, 0]), N10, 100)
    assert od.phi == pytest.approx(4.002)
    assert od.tau2 == pytest.approx((40.02 - 9) / 9e6)


def test_overdispersion_drops_missing_and_zero_denominators():
    counts = np.concatenate([_counts_for([-1.5, -1.5, -1, -1, 0, 0, 1, 1, 1.5, 1.5]), [np.nan, 5.0]])
    dens = np.concatenate([N10, [10_000.0, 0.0]])
    od = funnel.estimate_overdispersion(counts, dens, 100)
    assert od.n_areas == 10
    assert od.phi == pytest.approx(1.3)


def _populations(rng, k=150):
    return rng.integers(20_000, 300_001, size=k).astype(float)


def test_overdispersion_of_seeded_poisson_sample_gives_phi_near_one():
    rng = np.random.default_rng(1)
    n = _populations(rng)
    theta = 0.0067
    counts = rng.poisson(theta * n)
    od = funnel.estimate_overdispersion(counts, n, 67)
    assert od.n_areas == 150
    assert 0.6 <= od.phi <= 1.6


def test_overdispersion_with_real_between_area_spread_gives_large_phi_and_positive_tau2():
    rng = np.random.default_rng(1)
    n = _populations(rng)
    theta = 0.0067
    true_rates = theta * np.exp(rng.normal(0.0, 0.3, size=n.size))  # ~30% spread between areas
    counts = rng.poisson(true_rates * n)
    od = funnel.estimate_overdispersion(counts, n, 67)
    assert od.phi > 10
    assert od.tau2 > 0
    # tau2 is the between-area variance of the proportion: same order as (0.3 * theta)^2
    assert 0.1 * (0.3 * theta) ** 2 < od.tau2 < 3 * (0.3 * theta) ** 2


# --------------------------------------------------------------------------------------------
# limits
# --------------------------------------------------------------------------------------------


def test_limits_by_hand_for_poisson_at_100k():
    lim = funnel.limits(67, np.array([100_000.0])).iloc[0]
    se = math.sqrt(0.0067 / 100_000)
    assert lim["upper_95"] == pytest.approx((0.0067 + Z95 * se) * 10_000, rel=1e-7)
    assert lim["lower_95"] == pytest.approx((0.0067 - Z95 * se) * 10_000, rel=1e-7)
    assert lim["upper_99_8"] == pytest.approx((0.0067 + Z998 * se) * 10_000, rel=1e-7)
    assert lim["lower_99_8"] == pytest.approx((0.0067 - Z998 * se) * 10_000, rel=1e-7)
    assert lim["upper_95"] == pytest.approx(72.073, abs=1e-3)


def test_limits_columns_and_one_row_per_denominator():
    lim = funnel.limits(67, np.array([10_000.0, 50_000.0, 200_000.0]))
    assert list(lim.columns) == ["denominator", "lower_95", "upper_95", "lower_99_8", "upper_99_8"]
    assert lim["denominator"].tolist() == [10_000.0, 50_000.0, 200_000.0]


def test_limits_are_symmetric_about_target_and_nested():
    lim = funnel.limits(67, np.array([20_000.0, 100_000.0, 300_000.0]))
    assert ((lim["upper_95"] + lim["lower_95"]) / 2).tolist() == pytest.approx([67.0] * 3)
    assert (lim["upper_99_8"] > lim["upper_95"]).all()
    assert (lim["lower_99_8"] < lim["lower_95"]).all()


def test_limits_narrow_as_population_grows():
    lim = funnel.limits(67, np.array([10_000.0, 50_000.0, 100_000.0, 500_000.0, 1_000_000.0]))
    width = lim["upper_95"] - lim["lower_95"]
    assert (np.diff(width) < 0).all()
    # Poisson width shrinks as 1 / sqrt(n): 100 times the population, one tenth the width
    assert width.iloc[4] / width.iloc[0] == pytest.approx(0.1)


def test_limits_with_tau2_are_wider_than_poisson_and_do_not_shrink_to_zero():
    n = np.array([20_000.0, 100_000.0, 300_000.0, 1e12])
    tau2 = 2e-6
    poisson = funnel.limits(67, n)
    overdispersed = funnel.limits(67, n, tau2=tau2)
    assert (overdispersed["upper_95"] > poisson["upper_95"]).all()
    assert (overdispersed["lower_95"] < poisson["lower_95"]).all()
    se = math.sqrt(0.0067 / 100_000 + tau2)
    assert overdispersed["upper_95"].iloc[1] == pytest.approx((0.0067 + Z95 * se) * 10_000, rel=1e-7)
    # for a huge population only the between-area variance is left
    half_width = overdispersed["upper_95"].iloc[3] - 67
    assert half_width == pytest.approx(Z95 * math.sqrt(tau2) * 10_000, rel=1e-5)


def test_limits_lower_limit_floored_at_zero():
    # target 5 per 10,000 with 1,000 children: 0.0005 - 1.96 * sqrt(0.0005/1000) < 0
    lim = funnel.limits(5, np.array([1_000.0, 1_000_000.0])).iloc[0]
    assert lim["lower_95"] == 0.0
    assert lim["lower_99_8"] == 0.0
    assert lim["upper_95"] == pytest.approx((0.0005 + Z95 * math.sqrt(0.0005 / 1000)) * 10_000, rel=1e-7)
    big = funnel.limits(5, np.array([1_000_000.0])).iloc[0]
    assert big["lower_95"] > 0


def test_limits_custom_level_tag():
    lim = funnel.limits(67, np.array([100_000.0]), levels=(0.9,))
    assert list(lim.columns) == ["denominator", "lower_90", "upper_90"]


# --------------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------------

N = 100_000.0
SE_RATE = math.sqrt(0.0067 / N) * 10_000  # standard error in per-10,000 units


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (0.0, "within the 95% limits"),
        (1.9, "within the 95% limits"),
        (-1.9, "within the 95% limits"),
        (2.0, "above the 95% limit"),
        (3.0, "above the 95% limit"),
        (3.2, "above the 99.8% limit"),
        (-2.0, "below the 95% limit"),
        (-3.0, "below the 95% limit"),
        (-3.2, "below the 99.8% limit"),
    ],
)
def test_classify_places_rate_by_poisson_limits(z, expected):
    assert funnel.classify(67 + z * SE_RATE, N, 67, 0.0) == expected


def test_classify_with_overdispersion_pulls_outliers_inside():
    rate = 67 + 3.2 * SE_RATE  # beyond the Poisson 99.8% limit
    assert funnel.classify(rate, N, 67, 0.0) == "above the 99.8% limit"
    assert funnel.classify(rate, N, 67, 2e-6) == "within the 95% limits"


# --------------------------------------------------------------------------------------------
# funnel_table
# --------------------------------------------------------------------------------------------


def test_funnel_table_keeps_published_la_rows_and_classifies_by_count_over_population():
    base = {"geographic_level": "la", "period": 2025, "measure": "cla_rate", "status": "", "source": "test"}
    rows = [
        {**base, "la_number": 201, "area_name": "A", "numerator": 670, "denominator": 100_000, "value": 67.0},
        {**base, "la_number": 202, "area_name": "B", "numerator": 800, "denominator": 100_000, "value": 80.0},
        {**base, "la_number": 203, "area_name": "C", "numerator": 10, "denominator": 1_000, "value": np.nan, "status": "c"},
        {**base, "la_number": 204, "area_name": "D", "numerator": None, "denominator": 50_000, "value": 70.0},
        {**base, "la_number": 205, "area_name": "E", "numerator": 700, "denominator": 100_000, "value": 70.0, "period": 2024},
        {**base, "geographic_level": "national", "la_number": None, "area_name": "England",
         "numerator": 83_000, "denominator": 12_000_000, "value": 69.0},
    ]
    df = tidy.conform(pd.DataFrame(rows))
    out = funnel.funnel_table(df, "cla_count", "cla_rate", 2025, 67, 0.0)
    assert out["la_number"].tolist() == [201, 202]
    assert out["count"].tolist() == [670.0, 800.0]
    assert out["rate"].tolist() == [67.0, 80.0]
    assert out["position"].tolist() == ["within the 95% limits", "above the 99.8% limit"]
