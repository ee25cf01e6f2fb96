"""Is a difference or a change more than the usual variation? The tests behind the summary's flags.

Three tests, each two-sided at 5%, each allowing for more than chance:

- **Against England** (:func:`versus_england`): the authority on the over-dispersed funnel of
  all authorities around England's value (:mod:`csdemand.methods.funnel`: log scale for rates,
  arcsine-square-root for percentages, Spiegelhalter's additive tau2).
- **A change between two years** (:func:`change_test`, the "funnel of changes"): each
  authority's change on the log scale, d_i = log(rate ratio) for rates (Poisson variance
  1/x1 + 1/x2) or log(odds ratio) for percentages (binomial variance 1/x1 + 1/(n1-x1) + 1/x2 +
  1/(n2-x2)), is compared with the change of all authorities pooled (England's change when every
  authority reports), d_0, with z = (d_i - d_0) / sqrt(s_i^2 + tau2), tau2 the spread of
  authorities' changes beyond chance from the same estimator as the funnel
  (:func:`csdemand.methods.funnel.estimate_tau2`). A plain Poisson test of two years flags
  two-thirds of authorities' referral rates every year; this flags 6-13%.
  Stock measures (children looked after, on a plan at 31 March) count many of the same children
  in both years: ``shared`` children reduce the variance (bivariate Poisson, covariance = shared).
- **One authority's own counts** (:func:`count_change_test`, early help requests): no other
  authority to compare with, so the year-to-year noise is measured from the authority's own months:
  a quasi-Poisson GLM (statsmodels, Pearson dispersion) of the monthly counts on year and month.

Each test gives a :class:`Result` whose ``plain`` is the one sentence a page prints about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from csdemand.methods import funnel as fn

ALPHA = 0.05

#: One plain sentence per test, for a page's footnote.
PLAIN: dict[str, str] = {
    "versus_england": (
        "Against England: flagged when the authority's value is further from England's than the usual spread between "
        "authorities of its size would make likely (outside the 95% funnel limits)."
    ),
    "change": (
        "Changes: flagged when the authority's change differs from the change across all authorities by more than "
        "authorities' usual year-to-year changes would make likely (at the 5% level), allowing for its size."
    ),
    "count": (
        "Early help: flagged when the year's total differs from the earlier year's by more than the authority's own "
        "month-to-month variation would make likely (at the 5% level)."
    ),
}


@dataclass(frozen=True)
class Result:
    """One authority's test.

    ``z``: over-dispersed z-score (positive: higher than the reference); ``p``: two-sided p-value;
    ``flag``: ``"higher"``, ``"lower"`` or ``""`` (not significant at 5%, or not tested);
    ``level``: the largest funnel level (0.95 or 0.998) the value lies outside, 0.0 if inside,
    NaN if not tested; ``method``: what was done, in one sentence (for analysts);
    ``estimate`` / ``reference``: the authority's and the reference's figure (value per 10,000 or
    percent against England; ratio now/then, or odds ratio for percentages, for a change; ratio
    of annual counts for :func:`count_change_test`); ``tau2`` and ``n_areas``: the spread used;
    ``plain``: the sentence a page prints (:data:`PLAIN`).
    """

    z: float
    p: float
    flag: str
    level: float
    method: str
    estimate: float = np.nan
    reference: float = np.nan
    tau2: float = np.nan
    n_areas: int = 0
    plain: str = ""

    @property
    def significant(self) -> bool:
        return self.flag != ""

    @property
    def tested(self) -> bool:
        return bool(np.isfinite(self.z))


def not_tested(why: str, **kw) -> Result:
    """A result with no flag, saying why (``why`` ends without a full stop)."""
    return Result(np.nan, np.nan, "", np.nan, f"Not tested: {why}.", **kw)


def result(z: float, method: str, alpha: float = ALPHA, p: float | None = None, **kw) -> Result:
    """A :class:`Result` from a z-score (p from the normal unless given)."""
    if z is None or not np.isfinite(z):
        return not_tested("no z-score", **kw)
    if p is None:
        p = float(2 * stats.norm.sf(abs(z)))
    level = max([lv for lv in fn.LEVELS if p < 1 - lv], default=0.0)
    flag = ("higher" if z > 0 else "lower") if p < alpha else ""
    return Result(float(z), float(p), flag, float(level), method, **kw)


def flags(z: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Vectorised flag of :func:`result`: ``"higher"``, ``"lower"`` or ``""`` for each z."""
    z = np.asarray(z, float)
    q = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore"):
        return np.where(z > q, "higher", np.where(z < -q, "lower", ""))


# --------------------------------------------------------------------------- against England


def versus_england(
    numerator: float,
    denominator: float,
    target: float,
    all_numerators: np.ndarray,
    all_denominators: np.ndarray,
    kind: str,
    scale: str | None = None,
    alpha: float = ALPHA,
) -> Result:
    """One authority against ``target`` (England's value per 10,000 or percent, unrounded) on the
    funnel of all authorities (``all_*`` include it). z > 0: higher than England."""
    f = fn.funnel(all_numerators, all_denominators, target, kind, scale)
    est = (
        float(numerator) / float(denominator) * fn.PER_KIND[kind]
        if _positive(denominator) and np.isfinite(numerator)
        else np.nan
    )
    kw = dict(estimate=est, reference=float(target), tau2=f.od.tau2, n_areas=f.od.n_areas)
    if not np.isfinite(f.od.tau2):
        return not_tested(f.od.note, **kw)
    if not np.isfinite(est):
        return not_tested("no count and population for the authority", **kw)
    p0 = float(target) / fn.PER_KIND[kind]
    y = float(fn.observed_y(np.array([numerator]), np.array([denominator]), f.scale)[0])
    se = float(fn.null_se(p0, denominator, f.scale))
    z = (y - float(fn.transform(p0, f.scale))) / np.sqrt(se**2 + f.od.tau2)
    method = (
        f"Funnel around England ({target:.4g}) on the {fn.SCALE_WORDS[f.scale]} scale: "
        f"{'Poisson' if kind == 'rate' else 'binomial'} variation plus the spread between {f.od.n_areas} authorities "
        f"(additive tau2 = {f.od.tau2:.3g}, z-scores winsorised at 10%)."
    )
    return result(z, method, alpha, plain=PLAIN["versus_england"], **kw)


def _positive(x: float) -> bool:
    try:
        return bool(np.isfinite(x) and x > 0)
    except TypeError:
        return False


# --------------------------------------------------------------------------- funnel of changes


def log_change(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, kind: str, shared: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each area's change from period 1 to 2 on the log scale, and its standard error.

    rate: d = log((x2/n2) / (x1/n1)), s^2 = 1/x1 + 1/x2 (Poisson counts, populations as exposure).
    percent: d = log odds ratio, s^2 = 1/x1 + 1/(n1-x1) + 1/x2 + 1/(n2-x2) (binomial).
    0.5 is added to every cell of an area where a cell is zero; NaN where a denominator is <= 0.

    ``shared`` (rates of stock measures only): children counted in both stocks. Counts at two dates
    of children in a service with Poisson arrivals are bivariate Poisson with covariance = shared,
    so s^2 = 1/x1 + 1/x2 - 2 shared / (x1 x2), floored at a tenth of the independent value. A safe
    (low) estimate is max(0, x2 - children starting in between): :func:`shared_from_starts`.
    """
    x1, n1, x2, n2 = (np.asarray(a, float) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "rate":
            zero = (x1 == 0) | (x2 == 0)
            a, b = x1 + 0.5 * zero, x2 + 0.5 * zero
            d = np.log(b / n2) - np.log(a / n1)
            v = 1 / a + 1 / b
            if shared is not None:
                sh = np.clip(np.nan_to_num(np.asarray(shared, float), nan=0.0), 0.0, np.minimum(a, b))
                v = np.maximum(v - 2 * sh / (a * b), 0.1 * v)
            s = np.sqrt(v)
        elif kind == "percent":
            zero = (x1 == 0) | (x2 == 0) | (x1 == n1) | (x2 == n2)
            a, c = x1 + 0.5 * zero, x2 + 0.5 * zero
            b, e = n1 - x1 + 0.5 * zero, n2 - x2 + 0.5 * zero
            d = np.log(c / e) - np.log(a / b)
            s = np.sqrt(1 / a + 1 / b + 1 / c + 1 / e)
        else:
            raise ValueError(f"unknown kind {kind!r}: expected 'rate' or 'percent'")
        bad = ~((n1 > 0) & (n2 > 0) & np.isfinite(x1) & np.isfinite(x2) & (x1 >= 0) & (x2 >= 0))
    d = np.where(bad, np.nan, d)
    s = np.where(bad, np.nan, s)
    return d, s


def shared_from_starts(count_now: np.ndarray, starts_between: np.ndarray) -> np.ndarray:
    """A low estimate of the children counted in both of two stocks: max(0, stock at the later
    date - children who started in between); 0 where the starts are not known."""
    now = np.asarray(count_now, float)
    starts = np.asarray(starts_between, float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(now) & np.isfinite(starts), np.maximum(0.0, now - starts), 0.0)


@dataclass(frozen=True)
class ChangeFunnel:
    """Every area's change against the reference change.

    ``d``: each area's change (log rate ratio or log odds ratio), ``s``: its chance standard
    error, ``d0``: the reference change, ``od``: the spread of changes, ``z``: over-dispersed z."""

    kind: str
    d0: float
    od: fn.Overdispersion
    d: np.ndarray = field(repr=False)
    s: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)


def change_funnel(
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    kind: str,
    reference: tuple[float, float, float, float] | None = None,
    shared: np.ndarray | None = None,
    winsor: float = fn.WINSOR,
) -> ChangeFunnel:
    """Funnel of changes for all areas. ``reference`` = (x1, n1, x2, n2) of the reference (e.g.
    England's); default: the pooled totals of the areas with figures in both periods."""
    d, s = log_change(x1, n1, x2, n2, kind, shared)
    ok = np.isfinite(d) & np.isfinite(s)
    if reference is None:
        reference = tuple(float(np.asarray(a, float)[ok].sum()) for a in (x1, n1, x2, n2))  # type: ignore[assignment]
    d0 = float(log_change(*(np.array([v], float) for v in reference), kind)[0][0])  # type: ignore[misc]
    od = fn.estimate_tau2((d - d0) / s, s, winsor, scale="log" if kind == "rate" else "logit")
    z = (d - d0) / np.sqrt(s**2 + od.tau2) if np.isfinite(od.tau2) else np.full_like(d, np.nan)
    return ChangeFunnel(kind, d0, od, d, s, z)


def change_test(
    x1: np.ndarray,
    n1: np.ndarray,
    x2: np.ndarray,
    n2: np.ndarray,
    i: int,
    kind: str,
    reference: tuple[float, float, float, float] | None = None,
    shared: np.ndarray | None = None,
    alpha: float = ALPHA,
) -> Result:
    """Is area ``i`` (a position in the arrays) changing differently from all areas?

    The arrays hold every authority's numerator and denominator at the earlier (1) and later (2)
    period (see :func:`change_funnel`). ``estimate``/``reference`` of the result: the ratio
    now/then (rates) or odds ratio (percentages) of the authority and of the reference."""
    cf = change_funnel(x1, n1, x2, n2, kind, reference, shared)
    est, ref = float(np.exp(cf.d[i])), float(np.exp(cf.d0))
    kw = dict(estimate=est, reference=ref, tau2=cf.od.tau2, n_areas=cf.od.n_areas)
    if not np.isfinite(cf.od.tau2):
        return not_tested(cf.od.note, **kw)
    if not np.isfinite(cf.z[i]):
        return not_tested("no figures for both years", **kw)
    what = "rate ratio" if kind == "rate" else "odds ratio"
    whose = "the reference" if reference is not None else "all authorities with figures in both years"
    method = (
        f"Change as a log {what} ({est:.3f}) against {whose} ({ref:.3f}): "
        f"{'Poisson' if kind == 'rate' else 'binomial'} "
        f"variation{' (children in both years allowed for)' if shared is not None else ''} "
        f"plus the spread of changes between {cf.od.n_areas} authorities (additive tau2 = {cf.od.tau2:.3g}, "
        "winsorised at 10%)."
    )
    return result(float(cf.z[i]), method, alpha, plain=PLAIN["change"], **kw)


# --------------------------------------------------------------------------- one authority's own counts


def count_change_test(
    monthly_then: Sequence[float],
    monthly_now: Sequence[float],
    alpha: float = ALPHA,
    tau2_fallback: float | None = None,
) -> Result:
    """A single authority's annual count against an earlier year (e.g. early help requests).

    Quasi-Poisson (statsmodels GLM, Poisson family, Pearson X^2 scale): the monthly counts of both
    years on a year term, plus month-of-year terms when both are 12 months (so the usual seasonal
    pattern is not counted as noise). The change is log(C2/C1) with variance phi (1/C1 + 1/C2),
    phi = X^2 / residual df floored at 1; p from t with the residual df. Needs at least 6 months
    in each year. With annual totals only, ``tau2_fallback`` (e.g. the spread of authorities'
    one-year changes in referrals) gives variance 1/C1 + 1/C2 + tau2; without it the change is not
    tested (a plain Poisson test of two large totals flags almost any change)."""
    a = np.asarray(monthly_then, float)
    b = np.asarray(monthly_now, float)
    c1, c2 = float(np.nansum(a)), float(np.nansum(b))
    est = c2 / c1 if c1 > 0 else np.nan
    enough = len(a) >= 6 and len(b) >= 6 and np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and c1 > 0 and c2 > 0
    if enough:
        import statsmodels.api as sm

        y = np.concatenate([a, b])
        cols = [np.ones_like(y), np.r_[np.zeros(len(a)), np.ones(len(b))]]
        seasonal = len(a) == 12 and len(b) == 12
        if seasonal:
            m = np.r_[np.arange(12), np.arange(12)]
            cols += [(m == k).astype(float) for k in range(1, 12)]
        fit = sm.GLM(y, np.column_stack(cols), family=sm.families.Poisson()).fit(scale="X2")
        phi = max(1.0, float(fit.scale))
        beta = float(fit.params[1])  # log(C2/C1) when both years have the same months
        se = float(fit.bse[1] * np.sqrt(phi / fit.scale))  # sqrt(phi (1/C1 + 1/C2))
        df = float(fit.df_resid)
        p = float(2 * stats.t.sf(abs(beta / se), df))
        method = (
            f"Quasi-Poisson on the monthly counts (dispersion {phi:.2f} from the authority's own months"
            f"{', allowing for the month of year' if seasonal else ''}; t with {df:.0f} df)."
        )
        return result(beta / se, method, alpha, p=p, estimate=float(np.exp(beta)), plain=PLAIN["count"])
    if tau2_fallback is not None and c1 > 0 and c2 > 0:
        z = np.log(c2 / c1) / np.sqrt(1 / c1 + 1 / c2 + tau2_fallback)
        return result(
            z,
            f"Annual totals only: Poisson variation plus a between-year variance of {tau2_fallback:.3g}.",
            alpha,
            estimate=est,
            plain=PLAIN["count"],
        )
    return not_tested("no monthly figures to measure the authority's own variation", estimate=est)
