"""Funnel plots on a variance-stabilising scale with Spiegelhalter's additive overdispersion.

Spiegelhalter (2005), "Handling over-dispersion of performance indicators", Qual Saf Health Care
14:347-51. Every authority is compared with a target (England's value) allowing for its size
(Poisson or binomial chance) and for the real spread between authorities (need, thresholds and
practice differ far more than chance: children looked after vary ~50 times more).

Units and definitions
---------------------
- ``kind="rate"``: a value per 10,000 (children looked after, referrals, CP plans); numerator a
  count, denominator the children aged 0-17. ``kind="percent"``: a value 0-100 (re-referrals,
  domestic abuse); numerator and denominator counts. Internally a proportion p = x / n.
- Scales (``scale=``), chosen so that the spread is the same at low and high values and a low
  value can be flagged as readily as a high one:

  * ``"log"`` (rates, default): y = log p, within-area variance 1 / (n p0) (one over the
    expected count). The spread between authorities is multiplicative: on this scale 3-5% of
    authorities sit below England's 95% limit and 4-6% above (2018-2025), on the square-root
    scale 1-3% below and 7-11% above.
  * ``"sqrt"`` (rates): y = sqrt(p), variance 1 / (4 n).
  * ``"asin"`` (percentages, default): y = arcsin(sqrt(p)), variance 1 / (4 n).
  * ``"logit"`` (percentages): y = log(p / (1 - p)), variance 1 / (n p0 (1 - p0)).

- z without overdispersion: z_i = (y_i - y0) / s_i. With it: z_D = (y_i - y0) / sqrt(s_i^2 + tau2),
  tau2 the between-area variance on the same scale, from :func:`estimate_tau2` (the ONE estimator,
  also used by :mod:`csdemand.methods.significance` for tests of change).
- Limits: y0 +/- z_(1-a/2) sqrt(s(n)^2 + tau2), transformed back, so on the rate scale they are
  asymmetric (wider above) and the lower limit never falls below 0.

Library: scipy.stats.norm for quantiles and p-values. The overdispersed funnel itself is not in
statsmodels or scipy, so it is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Kind = Literal["rate", "percent"]
Scale = Literal["sqrt", "log", "asin", "logit"]

PER = 10_000  #: rates are per 10,000 children
PER_KIND: dict[str, float] = {"rate": 10_000.0, "percent": 100.0}
DEFAULT_SCALE: dict[str, str] = {"rate": "log", "percent": "asin"}
SCALE_WORDS: dict[str, str] = {"sqrt": "square-root", "log": "log", "asin": "arcsine-square-root", "logit": "logit"}
LEVELS: tuple[float, float] = (0.95, 0.998)
WINSOR = 0.10  #: z-scores are winsorised at the 10th and 90th percentiles
MIN_AREAS = 10  #: fewer areas than this: the spread is not estimated and nothing is flagged


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's additive random-effects estimate.

    ``phi``: mean squared winsorised z-score over its value under pure chance (1 = no more
    variation than chance); ``tau2``: between-area variance on the ``scale`` (0 when phi <= 1;
    NaN when fewer than :data:`MIN_AREAS` areas); ``n_areas``: areas used; ``note``: the edge
    rule that applied, if any.
    """

    phi: float
    tau2: float
    n_areas: int
    note: str = ""
    scale: str = "log"


# --------------------------------------------------------------------------- scales


def _scale(kind: str, scale: str | None) -> str:
    if kind not in PER_KIND:
        raise ValueError(f"unknown kind {kind!r}: expected 'rate' or 'percent'")
    return scale or DEFAULT_SCALE[kind]


def transform(p: np.ndarray | float, scale: str) -> np.ndarray:
    """Proportion (0-1) to the transformed scale (log and logit of 0 are -inf: see :func:`observed_y`)."""
    p = np.asarray(p, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "sqrt":
            return np.sqrt(p)
        if scale == "log":
            return np.log(p)
        if scale == "asin":
            return np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))
        if scale == "logit":
            return np.log(p) - np.log1p(-p)
    raise ValueError(f"unknown scale {scale!r}")


def inverse(y: np.ndarray | float, scale: str) -> np.ndarray:
    """Transformed scale back to a proportion, clipped to the scale's range (never below 0)."""
    y = np.asarray(y, float)
    if scale == "sqrt":
        return np.clip(y, 0.0, None) ** 2
    if scale == "log":
        return np.exp(y)
    if scale == "asin":
        return np.sin(np.clip(y, 0.0, np.pi / 2)) ** 2
    if scale == "logit":
        return 1.0 / (1.0 + np.exp(-y))
    raise ValueError(f"unknown scale {scale!r}")


def null_se(p0: float, denominators: np.ndarray | float, scale: str) -> np.ndarray:
    """Within-area standard error on the transformed scale of an area of size n at the target
    proportion p0 (Poisson for rates, binomial for percentages); NaN where n <= 0 or missing."""
    n = np.asarray(denominators, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(n > 0, n, np.nan)
        if scale in ("sqrt", "asin"):
            return 1.0 / (2.0 * np.sqrt(n))
        if scale == "log":
            return 1.0 / np.sqrt(n * p0)
        if scale == "logit":
            return 1.0 / np.sqrt(n * p0 * (1 - p0))
    raise ValueError(f"unknown scale {scale!r}")


def observed_y(numerators: np.ndarray, denominators: np.ndarray, scale: str) -> np.ndarray:
    """Each area's observed proportion x / n on the transformed scale. On the log and logit
    scales a zero count is taken as 0.5 (and x = n as n - 0.5 on the logit scale), so an area with
    no children is far below, not infinitely below; NaN where n <= 0 or missing."""
    x = np.asarray(numerators, float)
    n = np.asarray(denominators, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale in ("log", "logit"):
            x = np.where(x == 0, 0.5, x)
            if scale == "logit":
                x = np.where(x == n, n - 0.5, x)
        return transform(np.where(n > 0, x / n, np.nan), scale)


# --------------------------------------------------------------------------- the one estimator


def winsorised_normal_second_moment(winsor: float = WINSOR) -> float:
    """E[W^2] for W a standard normal winsorised at ``winsor`` in each tail (0.679 at 10%): what
    the mean of winsorised squared z-scores estimates when there is no overdispersion."""
    q = stats.norm.ppf(1 - winsor)
    # E[Z^2; |Z| < q] + 2 q^2 P(Z > q), with E[Z^2; |Z| < q] = (2 Phi(q) - 1) - 2 q phi(q)
    return float((2 * stats.norm.cdf(q) - 1) - 2 * q * stats.norm.pdf(q) + 2 * q**2 * winsor)


def estimate_tau2(
    z: np.ndarray,
    se: np.ndarray,
    winsor: float = WINSOR,
    min_areas: int = MIN_AREAS,
    consistent: bool = True,
    scale: str = "log",
) -> Overdispersion:
    """Spiegelhalter's additive between-area variance (DerSimonian-Laird form) from z-scores.

    ``z``: (y_i - target) / s_i on the transformed scale; ``se``: the s_i. z is winsorised at
    ``winsor`` in each tail, phi = mean(z_w^2) / c and, with w_i = 1 / s_i^2 and I areas,

        tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w).

    c = E[winsorised N(0,1)^2] (0.679 at 10%) when ``consistent`` (default), else 1 as the 2005
    paper prints it. Without c, winsorising alone shrinks phi by a third and tau2 by 40-50% on
    DfE's data, and ~12% of authorities are flagged at 5% even when the random-effects model holds
    exactly; with c, 5-6% (simulation, tests/methods/test_calibration.py).

    Edge rules: areas with non-finite z or se, or se <= 0, are dropped; fewer than ``min_areas``
    left: tau2 = NaN (too few areas to know the spread: do not flag); phi <= 1: tau2 = 0.
    """
    z = np.asarray(z, float)
    se = np.asarray(se, float)
    ok = np.isfinite(z) & np.isfinite(se) & (se > 0)
    z, se = z[ok], se[ok]
    i = len(z)
    if i < max(min_areas, 2):
        return Overdispersion(np.nan, np.nan, i, f"fewer than {min_areas} areas: spread not estimated", scale)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    c = winsorised_normal_second_moment(winsor) if consistent else 1.0
    phi = float(np.mean(np.clip(z, lo, hi) ** 2)) / c
    if phi <= 1.0:
        return Overdispersion(phi, 0.0, i, "no more variation than chance: tau2 = 0", scale)
    w = 1.0 / se**2
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (i * phi - (i - 1)) / denom) if denom > 0 else 0.0
    return Overdispersion(phi, float(tau2), i, "", scale)


# --------------------------------------------------------------------------- all areas around a target


@dataclass(frozen=True)
class Funnel:
    """All areas around one target (``target`` per 10,000 or percent): each area's z with the
    overdispersion (``z``, NaN where not computable) and without it (``z_chance``), in input order."""

    target: float
    kind: str
    scale: str
    od: Overdispersion
    z: np.ndarray = field(repr=False)
    z_chance: np.ndarray = field(repr=False)


def funnel(
    numerators: np.ndarray,
    denominators: np.ndarray,
    target: float,
    kind: str = "rate",
    scale: str | None = None,
    winsor: float = WINSOR,
    consistent: bool = True,
) -> Funnel:
    """Over-dispersed funnel of every area around ``target``; tau2 from every area with a
    numerator and a positive denominator."""
    sc = _scale(kind, scale)
    p0 = float(target) / PER_KIND[kind]
    y0 = float(transform(p0, sc))
    y = observed_y(numerators, denominators, sc)
    se = null_se(p0, denominators, sc)
    z0 = (y - y0) / se
    od = estimate_tau2(z0, se, winsor, consistent=consistent, scale=sc)
    z = (y - y0) / np.sqrt(se**2 + od.tau2) if np.isfinite(od.tau2) else np.full_like(y, np.nan)
    return Funnel(float(target), kind, sc, od, z, z0)


def z_scores(
    counts: np.ndarray, denominators: np.ndarray, target_rate: float, kind: str = "rate", scale: str | None = None
) -> np.ndarray:
    """z without overdispersion, (y - y0) / s(n), on the transformed scale; target per 10,000 (or %)."""
    sc = _scale(kind, scale)
    p0 = float(target_rate) / PER_KIND[kind]
    return (observed_y(counts, denominators, sc) - float(transform(p0, sc))) / null_se(p0, denominators, sc)


def estimate_overdispersion(
    counts: np.ndarray,
    denominators: np.ndarray,
    target_rate: float,
    winsor: float = WINSOR,
    kind: str = "rate",
    scale: str | None = None,
) -> Overdispersion:
    """tau2 of all areas around ``target_rate`` (per 10,000, or percent) on the kind's default
    scale (log for rates). Pass the result's ``tau2`` to :func:`limits`, :func:`classify` and
    :func:`funnel_table` with the same ``kind``."""
    return funnel(counts, denominators, target_rate, kind, scale, winsor).od


def limits(
    target_rate: float,
    denominators: np.ndarray,
    tau2: float = 0.0,
    levels: Sequence[float] = LEVELS,
    kind: str = "rate",
    scale: str | None = None,
) -> pd.DataFrame:
    """Lower and upper limits (per 10,000, or percent) at each denominator for each two-sided
    level: columns ``denominator``, ``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``.
    ``tau2`` is on the scale of :func:`estimate_overdispersion` (NaN gives NaN limits)."""
    sc = _scale(kind, scale)
    n = np.asarray(denominators, float)
    p0 = float(target_rate) / PER_KIND[kind]
    y0 = float(transform(p0, sc))
    sd = np.sqrt(null_se(p0, n, sc) ** 2 + (tau2 if np.isfinite(tau2) else np.nan))
    out: dict[str, np.ndarray] = {"denominator": n}
    for level in levels:
        q = stats.norm.ppf(0.5 + level / 2)
        tag = _tag(level)
        out[f"lower_{tag}"] = inverse(y0 - q * sd, sc) * PER_KIND[kind]
        out[f"upper_{tag}"] = inverse(y0 + q * sd, sc) * PER_KIND[kind]
    return pd.DataFrame(out)


def _tag(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def position(z: float) -> str:
    """Where an overdispersed z sits: 'within the 95% limits', 'above the 95% limit', 'above the
    99.8% limit', 'below ...'; 'not assessed' where z is NaN (too few areas, no figures)."""
    if z is None or not np.isfinite(z):
        return "not assessed"
    for level in sorted(LEVELS, reverse=True):
        q = stats.norm.ppf(0.5 + level / 2)
        if abs(z) > q:
            return f"{'above' if z > 0 else 'below'} the {level * 100:g}% limit"
    return "within the 95% limits"


def classify(
    rate: float, denominator: float, target_rate: float, tau2: float, kind: str = "rate", scale: str | None = None
) -> str:
    """Where a point (``rate`` per 10,000 or percent, ``denominator``) sits against the limits of
    :func:`limits` (see :func:`position`). A rate of 0 is taken as half a child (as the z-scores)."""
    sc = _scale(kind, scale)
    if not np.isfinite(tau2) or not denominator or not np.isfinite(denominator) or denominator <= 0:
        return "not assessed"
    p0 = float(target_rate) / PER_KIND[kind]
    y = float(observed_y(np.array([rate / PER_KIND[kind] * denominator]), np.array([denominator]), sc)[0])
    se = float(null_se(p0, denominator, sc))
    return position((y - float(transform(p0, sc))) / np.sqrt(se**2 + tau2))


def funnel_table(
    df: pd.DataFrame,
    count_measure: str,
    rate_measure: str,
    period: int,
    target_rate: float,
    tau2: float,
    kind: str = "rate",
) -> pd.DataFrame:
    """All LAs with a published rate in a period: ``la_number``, ``area_name``, ``count``,
    ``denominator``, ``rate`` (as published), ``z`` (overdispersed, from count / denominator) and
    ``position`` (:func:`position`)."""
    rows = df[
        (df["measure"] == rate_measure)
        & (df["period"] == period)
        & (df["geographic_level"] == "la")
        & (df["status"] == "")
    ]
    rows = rows.dropna(subset=["numerator", "denominator"])
    out = pd.DataFrame(
        {
            "la_number": rows["la_number"].astype(int).to_numpy(),
            "area_name": rows["area_name"].to_numpy(),
            "count": rows["numerator"].to_numpy(float),
            "denominator": rows["denominator"].to_numpy(float),
            "rate": rows["value"].to_numpy(float),
        }
    )
    sc = DEFAULT_SCALE[kind]
    p0 = float(target_rate) / PER_KIND[kind]
    y = observed_y(out["count"].to_numpy(), out["denominator"].to_numpy(), sc)
    se = null_se(p0, out["denominator"].to_numpy(), sc)
    out["z"] = (y - float(transform(p0, sc))) / np.sqrt(se**2 + (tau2 if np.isfinite(tau2) else np.nan))
    out["position"] = [position(z) for z in out["z"]]
    return out
