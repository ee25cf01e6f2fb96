"""The tests behind the summary's flags, on hand-made and simulated inputs (no data files)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from csdemand.methods import funnel
from csdemand.methods import significance as sig

Z95 = 1.959964


def _authorities(rng, n_las=150, rate=0.005, tau=0.1):
    pop = rng.integers(20_000, 300_000, n_las).astype(float)
    return pop, rate * np.exp(rng.normal(0, tau, n_las))


# --------------------------------------------------------------------------------------------
# results and flags
# --------------------------------------------------------------------------------------------


def test_result_flags_higher_or_lower_only_beyond_1_96():
    assert sig.result(1.95, "m").flag == "" and sig.result(1.97, "m").flag == "higher"
    assert sig.result(-2.5, "m").flag == "lower" and sig.result(-2.5, "m").level == 0.95
    assert sig.result(3.2, "m").level == 0.998 and sig.result(0.5, "m").level == 0.0


def test_vectorised_flags_agree_with_result():
    z = np.array([-3.2, -1.0, 0.0, 1.97, np.nan])
    assert sig.flags(z).tolist() == [sig.result(v, "m").flag for v in z]


def test_not_tested_result_has_no_flag_and_says_why():
    r = sig.not_tested("no figures for both years")
    assert not r.significant and not r.tested and r.method == "Not tested: no figures for both years."


def test_every_plain_sentence_is_one_sentence_without_model_names():
    for key in ("versus_england", "change", "count"):
        text = sig.PLAIN[key]
        assert text.endswith(".") and text.count(". ") == 0
        assert not any(word in text for word in ("tau", "Poisson", "GLM", "arcsine", "winsor", "Spiegelhalter"))


# --------------------------------------------------------------------------------------------
# log_change
# --------------------------------------------------------------------------------------------


def test_log_change_of_a_rate_by_hand():
    d, s = sig.log_change(np.array([100.0]), np.array([10_000.0]), np.array([150.0]), np.array([12_000.0]), "rate")
    assert d[0] == pytest.approx(math.log((150 / 12_000) / (100 / 10_000)))
    assert s[0] == pytest.approx(math.sqrt(1 / 100 + 1 / 150))


def test_log_change_of_a_percentage_is_the_log_odds_ratio():
    d, s = sig.log_change(np.array([200.0]), np.array([1000.0]), np.array([260.0]), np.array([1000.0]), "percent")
    assert d[0] == pytest.approx(math.log((260 / 740) / (200 / 800)))
    assert s[0] == pytest.approx(math.sqrt(1 / 200 + 1 / 800 + 1 / 260 + 1 / 740))


def test_log_change_adds_a_half_to_every_cell_when_one_is_zero():
    d, s = sig.log_change(np.array([0.0]), np.array([1e4]), np.array([4.0]), np.array([1e4]), "rate")
    assert d[0] == pytest.approx(math.log(4.5 / 0.5)) and s[0] == pytest.approx(math.sqrt(1 / 0.5 + 1 / 4.5))


def test_log_change_is_nan_without_a_denominator():
    d, s = sig.log_change(
        np.array([5.0, 5.0]), np.array([0.0, 100.0]), np.array([6.0, np.nan]), np.array([100.0, 100.0]), "rate"
    )
    assert np.isnan(d).all() and np.isnan(s).all()


def test_shared_children_reduce_the_variance_of_a_stock_by_their_covariance():
    _, s0 = sig.log_change(np.array([500.0]), np.array([1e5]), np.array([520.0]), np.array([1e5]), "rate")
    _, s1 = sig.log_change(
        np.array([500.0]), np.array([1e5]), np.array([520.0]), np.array([1e5]), "rate", shared=np.array([330.0])
    )
    assert s1[0] ** 2 == pytest.approx(1 / 500 + 1 / 520 - 2 * 330 / (500 * 520))
    assert s1[0] < s0[0]
    # never below a tenth of the independent variance, however many are shared
    _, s2 = sig.log_change(
        np.array([500.0]), np.array([1e5]), np.array([500.0]), np.array([1e5]), "rate", shared=np.array([500.0])
    )
    assert s2[0] ** 2 == pytest.approx(0.1 * (2 / 500))


def test_shared_from_starts_is_the_later_stock_less_the_starts_never_negative():
    assert sig.shared_from_starts(np.array([1280.0, 100.0, 50.0]), np.array([480.0, 150.0, np.nan])).tolist() == [
        800.0,
        0.0,
        0.0,
    ]


# --------------------------------------------------------------------------------------------
# funnel of changes
# --------------------------------------------------------------------------------------------


def test_a_doubling_is_flagged_higher_and_a_halving_lower():
    rng = np.random.default_rng(7)
    pop, true = _authorities(rng)
    x1 = rng.poisson(true * pop).astype(float)
    x2 = rng.poisson(true * pop * np.exp(rng.normal(0, 0.08, len(pop)))).astype(float)
    x2[0] = x1[0] * 2.0
    r = sig.change_test(x1, pop, x2, pop, 0, "rate")
    assert r.flag == "higher" and r.level == 0.998 and r.estimate == pytest.approx(2.0)
    x2[0] = x1[0] / 2.0
    assert sig.change_test(x1, pop, x2, pop, 0, "rate").flag == "lower"


def test_the_reference_change_is_the_pooled_change_of_areas_with_both_years():
    x1, n1 = np.array([100.0, 300.0, np.nan]), np.array([1e4, 2e4, 1e4])
    x2, n2 = np.array([120.0, 330.0, 50.0]), np.array([1e4, 2e4, 1e4])
    cf = sig.change_funnel(x1, n1, x2, n2, "rate")
    assert math.exp(cf.d0) == pytest.approx((450 / 3e4) / (400 / 3e4))
    given = sig.change_funnel(x1, n1, x2, n2, "rate", reference=(100.0, 1e4, 100.0, 1e4))
    assert given.d0 == pytest.approx(0.0)


def test_swapping_the_two_years_flips_every_z():
    rng = np.random.default_rng(5)
    n = rng.integers(500, 20_000, 150).astype(float)
    p = 1 / (1 + np.exp(-rng.normal(-1.2, 0.3, 150)))
    x = rng.binomial(n.astype(int), p).astype(float)
    x2 = rng.binomial(n.astype(int), np.clip(p * np.exp(rng.normal(0, 0.1, 150)), 0, 1)).astype(float)
    a, b = sig.change_funnel(x, n, x2, n, "percent"), sig.change_funnel(x2, n, x, n, "percent")
    assert a.od.tau2 == pytest.approx(b.od.tau2) and np.allclose(a.z, -b.z)


def test_changes_of_a_large_count_in_line_with_the_usual_spread_are_not_flagged():
    # every authority's rate moves by a random 10% (sd): a plain Poisson test flags most large ones
    rng = np.random.default_rng(3)
    pop, true = _authorities(rng, rate=0.055)
    x1 = rng.poisson(true * pop).astype(float)
    x2 = rng.poisson(true * pop * np.exp(rng.normal(0, 0.1, 150))).astype(float)
    plain = np.abs(np.log(x2 / x1) / np.sqrt(1 / x1 + 1 / x2)) > Z95
    cf = sig.change_funnel(x1, pop, x2, pop, "rate")
    assert plain.mean() > 0.5
    assert (sig.flags(cf.z) != "").mean() < 0.1


def test_change_test_with_fewer_than_10_areas_is_not_tested():
    r = sig.change_test(np.full(9, 100.0), np.full(9, 1e4), np.full(9, 130.0), np.full(9, 1e4), 0, "rate")
    assert not r.significant and r.method.startswith("Not tested: fewer than 10 areas")


# --------------------------------------------------------------------------------------------
# against England
# --------------------------------------------------------------------------------------------


def test_an_authority_k_times_and_1_over_k_times_england_has_equal_and_opposite_z():
    rng = np.random.default_rng(4)
    n = np.full(150, 50_000.0)
    x = np.round(250 * np.exp(rng.normal(0, 0.3, 150)))
    hi = sig.versus_england(50 * 2.5 / 1e4 * 50_000, 50_000, 50.0, x, n, "rate")
    lo = sig.versus_england(50 / 2.5 / 1e4 * 50_000, 50_000, 50.0, x, n, "rate")
    assert hi.z == pytest.approx(-lo.z) and hi.flag == "higher" and lo.flag == "lower"


def test_versus_england_matches_the_funnel_of_all_authorities():
    rng = np.random.default_rng(9)
    pop, true = _authorities(rng, rate=0.0067, tau=0.3)
    x = rng.poisson(true * pop).astype(float)
    f = funnel.funnel(x, pop, 67.0, "rate")
    r = sig.versus_england(x[3], pop[3], 67.0, x, pop, "rate")
    assert r.z == pytest.approx(f.z[3]) and r.tau2 == pytest.approx(f.od.tau2) and r.n_areas == 150


def test_versus_england_without_the_authority_s_count_is_not_tested():
    x, n = np.full(20, 300.0), np.full(20, 50_000.0)
    assert sig.versus_england(np.nan, 50_000, 60.0, x, n, "rate").method.startswith("Not tested")
    assert sig.versus_england(50, 10_000, 60.0, x[:9], n[:9], "rate").method.startswith("Not tested: fewer than 10")


# --------------------------------------------------------------------------------------------
# one authority's own counts
# --------------------------------------------------------------------------------------------

SEASON = np.array([0.9, 1.05, 1.0, 0.95, 0.65, 1.0, 1.1, 1.1, 0.85, 1.1, 1.05, 1.1])


def test_count_change_allows_for_the_month_of_year_and_flags_a_15_percent_rise():
    rng = np.random.default_rng(2)
    a = rng.poisson(1000 * SEASON).astype(float)
    b = rng.poisson(1000 * SEASON).astype(float)
    same = sig.count_change_test(a, b)
    assert same.flag == "" and "month of year" in same.method
    assert sig.count_change_test(a, rng.poisson(1150 * SEASON).astype(float)).flag == "higher"


def test_count_change_flags_a_15_percent_rise_less_often_when_the_months_are_noisy():
    clean = noisy = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        a = rng.poisson(1000 * SEASON).astype(float)
        clean += sig.count_change_test(a, rng.poisson(1150 * SEASON).astype(float)).flag == "higher"
        noisy += (
            sig.count_change_test(a, rng.poisson(1150 * SEASON * rng.lognormal(0, 0.25, 12)).astype(float)).flag
            == "higher"
        )
    assert clean == 40 and noisy < 25  # month-to-month noise of 25% widens the test (19 of 40 here)


def test_count_change_standard_error_is_sqrt_phi_times_1_over_c1_plus_1_over_c2():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    a, c = rng.poisson(1000 * SEASON).astype(float), rng.poisson(1150 * SEASON).astype(float)
    y = np.r_[a, c]
    months = np.r_[np.arange(12), np.arange(12)]
    X = np.column_stack(
        [np.ones(24), np.r_[np.zeros(12), np.ones(12)]] + [(months == k).astype(float) for k in range(1, 12)]
    )
    fit = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2")
    assert fit.bse[1] == pytest.approx(math.sqrt(fit.scale * (1 / a.sum() + 1 / c.sum())), rel=1e-6)
    r = sig.count_change_test(a, c)
    assert r.estimate == pytest.approx(c.sum() / a.sum())


def test_count_change_from_annual_totals_alone_is_not_tested_unless_a_spread_is_given():
    assert sig.count_change_test([12_000.0], [13_000.0]).method.startswith("Not tested")
    r = sig.count_change_test([12_000.0], [13_000.0], tau2_fallback=0.01)
    assert r.z == pytest.approx(math.log(13 / 12) / math.sqrt(1 / 12_000 + 1 / 13_000 + 0.01)) and r.flag == ""
