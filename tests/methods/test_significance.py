"""Significance tests behind the summary's flags, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from csdemand.methods import significance as sig


def test_change_in_rate_by_hand():
    t = sig.change_in_rate(100, 150, 10_000, 10_000)
    assert t.z == pytest.approx(math.log(1.5) / math.sqrt(1 / 100 + 1 / 150))
    assert t.significant and t.p < 0.05


def test_small_change_in_rate_is_not_significant():
    assert not sig.change_in_rate(1300, 1280, 130_000, 131_831).significant


def test_change_in_proportion_matches_pooled_two_sample_z():
    t = sig.change_in_proportion(200, 1000, 260, 1000)
    p = 460 / 2000
    assert t.z == pytest.approx((0.26 - 0.20) / math.sqrt(p * (1 - p) * (2 / 1000)))
    assert t.significant


def test_change_in_count_is_poisson_difference():
    t = sig.change_in_count(13815, 14412)
    assert t.z == pytest.approx(597 / math.sqrt(13815 + 14412)) and t.significant


def test_no_between_area_variance_when_areas_sit_on_target():
    values = np.full(50, 0.0067)
    assert sig.estimate_tau2(values, np.full(50, 100_000.0), 0.0067, 0.0067) == 0.0


def test_overdispersion_stops_most_authorities_differing_from_england():
    rng = np.random.default_rng(3)
    n = rng.uniform(20_000, 300_000, 150)
    rates = rng.normal(70, 25, 150).clip(10)  # real spread between authorities, per 10,000
    plain = [abs(sig.overdispersed_z(r / 1e4, d, 0.0067, 0.0067, 0.0)) > 1.96 for r, d in zip(rates, n)]
    adjusted = [sig.versus_england("rate", r, d, 67, rates, n).significant for r, d in zip(rates, n)]
    assert np.mean(plain) > 0.6 and np.mean(adjusted) < 0.15


def test_missing_inputs_give_no_flag():
    assert not sig.change_in_rate(np.nan, 5, 1, 1).significant
    assert not sig.change_in_proportion(1, 0, 1, 1).significant
