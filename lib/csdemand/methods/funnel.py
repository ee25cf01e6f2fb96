"""Funnel plot limits for rates per 10,000 against the child population (Spiegelhalter 2005).

The target is England's rate. Under pure Poisson variation an LA with ``n`` children has a rate
whose standard error is ``sqrt(theta / n)`` (theta as a proportion); limits are the target plus or
minus z standard errors (normal approximation, good for the hundreds of children looked after in
almost every LA). Real LA rates vary far more than Poisson chance allows (different need,
policy and practice), so an additive random-effects variance ``tau2`` is estimated from
winsorised z-scores and added: those are the limits a reader should judge by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

PER = 10_000


@dataclass(frozen=True)
class Overdispersion:
    """phi: mean squared winsorised z-score (1 = Poisson); tau2: between-LA variance (proportion^2)."""

    phi: float
    tau2: float
    n_areas: int


def z_scores(counts: np.ndarray, denominators: np.ndarray, target_rate: float) -> np.ndarray:
    """z = (observed proportion - target) / Poisson standard error; target_rate per 10,000."""
    theta = target_rate / PER
    y = np.asarray(counts, float) / np.asarray(denominators, float)
    return (y - theta) / np.sqrt(theta / np.asarray(denominators, float))


def estimate_overdispersion(counts: np.ndarray, denominators: np.ndarray, target_rate: float, winsor: float = 0.10) -> Overdispersion:
    """Spiegelhalter's additive random-effects estimate from z-scores winsorised at 10% each tail."""
    counts = np.asarray(counts, float)
    denominators = np.asarray(denominators, float)
    ok = ~np.isnan(counts) & ~np.isnan(denominators) & (denominators > 0)
    counts, denominators = counts[ok], denominators[ok]
    z = z_scores(counts, denominators, target_rate)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    i = len(zw)
    phi = float(np.mean(zw**2))
    theta = target_rate / PER
    w = denominators / theta  # 1 / s_i^2
    tau2 = 0.0
    if i * phi > i - 1:
        tau2 = max(0.0, (i * phi - (i - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return Overdispersion(phi=phi, tau2=float(tau2), n_areas=i)


def limits(target_rate: float, denominators: np.ndarray, tau2: float = 0.0, levels: tuple[float, ...] = (0.95, 0.998)) -> pd.DataFrame:
    """Lower and upper limits (per 10,000) at each denominator, for each two-sided level."""
    n = np.asarray(denominators, float)
    theta = target_rate / PER
    se = np.sqrt(theta / n + tau2)
    out = {"denominator": n}
    for level in levels:
        z = stats.norm.ppf(0.5 + level / 2)
        tag = _tag(level)
        out[f"lower_{tag}"] = np.maximum(0.0, (theta - z * se) * PER)
        out[f"upper_{tag}"] = (theta + z * se) * PER
    return pd.DataFrame(out)


def _tag(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def classify(rate: float, denominator: float, target_rate: float, tau2: float) -> str:
    """Where a point sits: 'within 95% limits', 'above 95%' / 'above 99.8%', or 'below ...'."""
    lim = limits(target_rate, np.array([denominator]), tau2).iloc[0]
    if rate > lim["upper_99_8"]:
        return "above the 99.8% limit"
    if rate < lim["lower_99_8"]:
        return "below the 99.8% limit"
    if rate > lim["upper_95"]:
        return "above the 95% limit"
    if rate < lim["lower_95"]:
        return "below the 95% limit"
    return "within the 95% limits"


def funnel_table(df: pd.DataFrame, count_measure: str, rate_measure: str, period: int, target_rate: float, tau2: float) -> pd.DataFrame:
    """All LAs in a period: number, name, count, denominator, rate and where each sits."""
    rows = df[(df["measure"] == rate_measure) & (df["period"] == period) & (df["geographic_level"] == "la") & (df["status"] == "")]
    rows = rows.dropna(subset=["numerator", "denominator"])
    out = pd.DataFrame(
        {
            "la_number": rows["la_number"].astype(int).to_numpy(),
            "area_name": rows["area_name"].to_numpy(),
            "count": rows["numerator"].to_numpy(),
            "denominator": rows["denominator"].to_numpy(),
            "rate": rows["value"].to_numpy(),
        }
    )
    out["position"] = [classify(r, n, target_rate, tau2) for r, n in zip(out["count"] / out["denominator"] * PER, out["denominator"])]
    return out
