"""Are the flags calibrated? The funnel and the tests of change over the real DfE figures shipped
in data/sample, and on simulations where the truth is known.

The README's table "How often the flags fire" is recomputed here from the shipped data and must
match; no headline indicator may flag more than 20% of authorities.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csdemand.briefings import summary
from csdemand.core import paths
from csdemand.methods import funnel
from csdemand.methods import significance as sig
from csdemand.published import store

Z95 = 1.959964


@pytest.fixture(scope="module")
def panels() -> dict[str, summary.Panel]:
    tables = {"cla": store.load("cla"), "cin": store.load("cin")}
    specs = summary.indicators_list()
    return {s["key"]: summary.panel(s, tables[s["table"]]) for _, s in specs[specs["table"] != "local"].iterrows()}


@pytest.fixture(scope="module")
def rates_2025() -> pd.DataFrame:
    return summary.flag_rates(2025)


# --------------------------------------------------------------------------------------------
# the cases the review found
# --------------------------------------------------------------------------------------------


def test_richmond_upon_thames_2025_looked_after_rate_is_flagged_below_england(panels):
    cla = store.load("cla")
    pts = cla[
        (cla["measure"] == "cla_rate")
        & (cla["period"] == 2025)
        & (cla["geographic_level"] == "la")
        & (cla["status"] == "")
    ].dropna(subset=["numerator", "denominator"])
    target = summary.england_target(panels["cla_rate"], 2025)
    assert target == pytest.approx(81770 / 12183016 * 1e4)  # England 67, unrounded 67.12
    od = funnel.estimate_overdispersion(pts["numerator"], pts["denominator"], target)
    table = funnel.funnel_table(cla, "cla_count", "cla_rate", 2025, target, od.tau2).set_index("la_number")
    assert table.loc[318, "rate"] == 27 and table.loc[318, "position"] == "below the 95% limit"
    lim = funnel.limits(target, np.array([table.loc[318, "denominator"]]), od.tau2).iloc[0]
    assert 30 < lim["lower_95"] < 36 and 20 < lim["lower_99_8"] < 25  # was about 3 per 10,000 on the rate scale
    assert summary.versus_england_all(panels["cla_rate"], 2025).loc[318] < -Z95


def test_the_2025_looked_after_funnel_has_authorities_below_as_well_as_above(panels):
    z = summary.versus_england_all(panels["cla_rate"], 2025)
    assert (z > Z95).sum() == 6 and (z < -Z95).sum() == 5  # the symmetric rate-scale funnel had 18 above, 0 below


def test_kent_fall_in_referrals_2024_to_2025_is_not_flagged(panels):
    m = summary.pair(panels["referrals_rate"], 2024, 2025)
    i = int(m.index.get_loc(886))
    r = sig.change_test(m["x1"], m["n1"], m["x2"], m["n2"], i, "rate")
    assert r.estimate == pytest.approx(0.982, abs=0.002)  # a 1.8% fall
    assert r.flag == "" and r.p > 0.5
    plain_z = math.log(r.estimate) / math.sqrt(1 / m.loc[886, "x1"] + 1 / m.loc[886, "x2"])
    assert abs(plain_z) > Z95  # what the plain Poisson test starred


def test_manchester_early_help_lockdown_year_swings_are_noise_to_the_quasi_poisson_test():
    from csdemand.local import early_help

    monthly = early_help.monthly_totals(
        early_help.load(paths.ROOT / "data" / "sample" / "local" / "early_help_requests_352-manchester_synthetic.csv")
    )
    a = monthly[pd.period_range("2019-04", "2020-03", freq="M")].to_numpy(float)
    b = monthly[pd.period_range("2020-04", "2021-03", freq="M")].to_numpy(float)
    plain_p = 2 * stats.norm.sf(abs(b.sum() - a.sum()) / math.sqrt(a.sum() + b.sum()))
    r = sig.count_change_test(a, b)
    assert plain_p < 1e-6 and r.flag == "" and r.p > 0.1


# --------------------------------------------------------------------------------------------
# how often the flags fire: the README's table
# --------------------------------------------------------------------------------------------


def test_no_headline_indicator_flags_more_than_20_percent_of_authorities(rates_2025):
    assert len(rates_2025) == 5
    for _, r in rates_2025.iterrows():
        assert r["n_change_1y"] >= 140 and r["n_change_3y"] >= 140 and r["n_england"] >= 150, r["indicator"]
        assert r["flagged_change_1y"] <= 20 and r["flagged_change_3y"] <= 20 and r["flagged_england"] <= 20, r[
            "indicator"
        ]


def test_both_sides_of_the_funnel_are_populated_for_every_indicator(rates_2025):
    for _, r in rates_2025.iterrows():
        assert r["above_england"] > 0 and r["below_england"] > 0, r["indicator"]


def test_flag_rates_pin_the_measured_shares(rates_2025):
    by = rates_2025.set_index("indicator")
    assert round(by.loc["referrals_rate", "flagged_change_1y"]) == 9  # the plain Poisson test: 66%
    assert round(by.loc["rereferral_pct", "flagged_change_1y"]) == 13  # two-proportion z-test: 48%
    assert round(by.loc["cla_rate", "flagged_change_3y"]) == 6  # was 28%
    assert (by.loc["rereferral_pct", "above_england"], by.loc["rereferral_pct", "below_england"]) == (2, 11)


def test_readme_table_is_the_one_the_shipped_data_give(rates_2025):
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How often the flags fire", 1)[1]
    assert summary.flag_rates_markdown(rates_2025, 2025) in section
    shares = [int(s) for s in re.findall(r"(\d+)% of \d+", section.split("\n\n|", 1)[1].split("\n\n")[0])]
    assert shares and max(shares) <= 20


@pytest.mark.parametrize("key", ["cla_rate", "referrals_rate", "cpp_at31_rate", "rereferral_pct", "da_parent_pct"])
def test_share_flagged_for_a_one_year_change_stays_under_20_percent_every_year(panels, key):
    shares = []
    for y in range(2019, 2026):
        z = summary.change_all(panels[key], y - 1, y).dropna()
        shares.append((sig.flags(z.to_numpy()) != "").mean() * 100)
    assert max(shares) <= 20 and np.mean(shares) <= 12, shares


@pytest.mark.parametrize("key", ["cla_rate", "referrals_rate", "cpp_at31_rate"])
def test_rates_fall_outside_england_s_95_limits_on_both_sides_at_a_few_percent_each(panels, key):
    above = below = total = 0
    for y in range(2018, 2026):
        z = summary.versus_england_all(panels[key], y).dropna()
        a, b = int((z > Z95).sum()), int((z < -Z95).sum())
        assert (a + b) / len(z) <= 0.15, y
        above, below, total = above + a, below + b, total + len(z)
    assert 0.02 < above / total < 0.08 and 0.02 < below / total < 0.08


def test_stock_correction_keeps_looked_after_changes_from_flagging_small_authorities_less(panels):
    p = panels["cla_rate"]
    m = summary.pair(p, 2024, 2025)
    with_shared = sig.change_funnel(m["x1"], m["n1"], m["x2"], m["n2"], "rate", shared=m["shared"].to_numpy())
    independent = sig.change_funnel(m["x1"], m["n1"], m["x2"], m["n2"], "rate")
    assert (m["shared"] > 0).mean() > 0.9  # most children looked after at 31 March 2025 were a year earlier
    assert with_shared.od.phi > independent.od.phi and with_shared.od.tau2 > 0


# --------------------------------------------------------------------------------------------
# simulations: the estimator when the truth is known
# --------------------------------------------------------------------------------------------


def test_consistency_corrected_tau2_flags_about_5_percent_when_the_random_effects_model_holds():
    rng = np.random.default_rng(11)
    s = np.sqrt(1 / rng.integers(200, 20_000, 150))
    tau2 = 0.01
    flagged, est, flagged_as_printed = [], [], []
    for _ in range(100):
        d = rng.normal(0, np.sqrt(s**2 + tau2))
        od = funnel.estimate_tau2(d / s, s)
        raw = funnel.estimate_tau2(d / s, s, consistent=False)
        est.append(od.tau2)
        flagged.append(np.mean(np.abs(d / np.sqrt(s**2 + od.tau2)) > Z95))
        flagged_as_printed.append(np.mean(np.abs(d / np.sqrt(s**2 + raw.tau2)) > Z95))
    assert 0.8 < np.mean(est) / tau2 < 1.1
    assert 0.04 < np.mean(flagged) < 0.075
    assert np.mean(flagged_as_printed) > 0.09  # the paper's formula without the correction over-flags


def test_under_pure_chance_tau2_is_negligible_and_5_percent_are_flagged():
    zeros, flagged = 0, []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        pop = rng.integers(20_000, 300_000, 150).astype(float)
        f = funnel.funnel(rng.poisson(0.0067 * pop).astype(float), pop, 67.0, "rate")
        zeros += f.od.tau2 == 0.0
        flagged.append(np.mean(np.abs(f.z) > Z95))
    assert zeros >= 12 and 0.03 < np.mean(flagged) < 0.07
