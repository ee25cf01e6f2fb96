"""Is a difference or a change more than chance? The tests the summary briefing flags with.

- Against England: the authority's value as a z-score on the funnel around England's value,
  with the variance between authorities added (Spiegelhalter's random-effects overdispersion, as
  in :mod:`csdemand.methods.funnel`); significant at 5% when |z| > 1.96. Without the overdispersion term
  almost every authority would differ "significantly" from England.
- A change between two years: rates per 10,000 compare the two counts as Poisson with their
  populations (z-test on the log rate ratio); percentages compare the two proportions (two-sample
  z-test, pooled). Significant at 5% (two-sided).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Test:
    """A two-sided test: z, p-value and whether p < alpha."""

    z: float
    p: float
    significant: bool
    method: str


def _test(z: float, method: str, alpha: float = 0.05) -> Test:
    if np.isnan(z):
        return Test(np.nan, np.nan, False, method)
    p = float(2 * stats.norm.sf(abs(z)))
    return Test(float(z), p, p < alpha, method)


def overdispersed_z(value: float, denominator: float, target: float, variance_unit: float, tau2: float) -> float:
    """z of an observed proportion ``value`` (0-1) against ``target`` with within-area variance
    ``variance_unit / denominator`` plus the between-area ``tau2``."""
    if any(np.isnan(x) for x in (value, denominator, target)) or denominator <= 0:
        return np.nan
    return (value - target) / np.sqrt(variance_unit / denominator + tau2)


def estimate_tau2(values: np.ndarray, denominators: np.ndarray, target: float, variance_unit: float, winsor: float = 0.10) -> float:
    """Spiegelhalter's additive between-area variance from winsorised z-scores (0 if none)."""
    v = np.asarray(values, float)
    n = np.asarray(denominators, float)
    ok = ~np.isnan(v) & ~np.isnan(n) & (n > 0)
    v, n = v[ok], n[ok]
    if len(v) < 3:
        return 0.0
    s2 = variance_unit / n
    z = (v - target) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    phi = float(np.mean(np.clip(z, lo, hi) ** 2))
    i = len(v)
    w = 1 / s2
    if i * phi <= i - 1:
        return 0.0
    return float(max(0.0, (i * phi - (i - 1)) / (w.sum() - (w**2).sum() / w.sum())))


def versus_england(kind: str, value: float, denominator: float, england: float, all_values: np.ndarray, all_denominators: np.ndarray) -> Test:
    """The authority against England. ``kind`` "rate" (values per 10,000) or "percent" (0-100)."""
    scale = 10_000 if kind == "rate" else 100
    theta = england / scale
    unit = theta if kind == "rate" else theta * (1 - theta)
    tau2 = estimate_tau2(np.asarray(all_values, float) / scale, all_denominators, theta, unit)
    return _test(overdispersed_z(value / scale, denominator, theta, unit, tau2), "funnel z against England with overdispersion")


def change_in_rate(count_then: float, count_now: float, pop_then: float, pop_now: float) -> Test:
    """Poisson comparison of two rates: z = log(rate ratio) / sqrt(1/c1 + 1/c2)."""
    if min(count_then, count_now) <= 0 or any(np.isnan(x) for x in (count_then, count_now, pop_then, pop_now)):
        return _test(np.nan, "Poisson rate ratio")
    z = np.log((count_now / pop_now) / (count_then / pop_then)) / np.sqrt(1 / count_then + 1 / count_now)
    return _test(z, "Poisson rate ratio")


def change_in_proportion(x_then: float, n_then: float, x_now: float, n_now: float) -> Test:
    """Two-proportion z-test with the pooled proportion."""
    if any(np.isnan(v) for v in (x_then, n_then, x_now, n_now)) or min(n_then, n_now) <= 0:
        return _test(np.nan, "two-proportion z-test")
    p = (x_then + x_now) / (n_then + n_now)
    se = np.sqrt(p * (1 - p) * (1 / n_then + 1 / n_now))
    z = (x_now / n_now - x_then / n_then) / se if se > 0 else np.nan
    return _test(z, "two-proportion z-test")


def change_in_count(count_then: float, count_now: float) -> Test:
    """Two counts over equal periods (e.g. annual requests): Poisson, z = (c2 - c1) / sqrt(c1 + c2)."""
    if any(np.isnan(v) for v in (count_then, count_now)) or count_then + count_now <= 0:
        return _test(np.nan, "Poisson difference of counts")
    return _test((count_now - count_then) / np.sqrt(count_then + count_now), "Poisson difference of counts")
