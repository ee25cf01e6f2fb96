"""Referrals and the domestic-abuse share: every figure of the referrals briefing in one place.

Published side (``data/sample/cin.csv``): referral rate per 10,000 and re-referral % against
statistical neighbours, region and England (LAIT rank and quartile band), and domestic abuse as a
factor at the end of assessment (child, parent, other person: overlapping, never summed).
Local side (a record-level extract, :mod:`csdemand.local_referrals`): monthly referrals and the
domestic-abuse share with SPC, and a reconciliation of the extract's annual totals with DfE's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import areas as areas_mod
from . import benchmarks, codes, store
from .errors import InputError

RATE = "referrals_rate"
REREFERRAL = "rereferral_pct"
DA_MEASURES = {"da_child_pct": "The child", "da_parent_pct": "A parent or carer", "da_person_pct": "Another person in the household"}


@dataclass
class PublishedReferrals:
    """Published referral figures for one LA, year and neighbour model."""

    la: areas_mod.LocalAuthority
    period: int
    model: str
    referrals: float
    rate: benchmarks.MeasureBenchmark
    rereferral: benchmarks.MeasureBenchmark
    da: dict[str, benchmarks.MeasureBenchmark]
    da_period: int
    assessments_with_factor: float
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def resolve_period(df: pd.DataFrame, la_number: int, period: str | int) -> int:
    """``"latest"`` / a year / a month ``YYYY-MM`` (its reporting year) -> a year with referral data."""
    years = sorted(int(y) for y in benchmarks.area_series(df, "referrals", la_number=la_number).dropna().index)
    if not years:
        raise InputError(f"no published referrals for LA {la_number}", column="la")
    text = str(period).strip().lower()
    if text in ("latest", "", "none"):
        return years[-1]
    try:
        if len(text) == 7 and text[4] == "-":  # a month: the reporting year ending 31 March that holds it
            y, m = int(text[:4]), int(text[5:])
            year = y + 1 if m >= 4 else y
        else:
            year = int(text)
    except ValueError:
        raise InputError("not a year or month", column="period", value=period, expected="a year such as 2025, a month such as 2025-03, or 'latest'") from None
    if year not in years:
        raise InputError(f"no published referrals for {year}", column="period", value=period, expected=f"a year from {years[0]} to {years[-1]}")
    return year


def published(la: str | int, period: str | int = "latest", model: str = "2025", window: int = 13, data: pd.DataFrame | None = None) -> PublishedReferrals:
    """The published referral, re-referral and domestic-abuse figures for an LA and year."""
    df = store.load("cin") if data is None else data
    auth = areas_mod.resolve(la)
    year = resolve_period(df, auth.la_number, period)
    nbrs = benchmarks.neighbours(store.load("statistical_neighbours"), auth.la_number, str(model))
    # Factors at assessment start in 2018 and may lag referrals by a release: use the newest year held.
    da_years = sorted(int(y) for y in benchmarks.area_series(df, "da_parent_pct", la_number=auth.la_number).dropna().index if y <= year)
    da_year = da_years[-1] if da_years else year
    base = benchmarks.la_values(df, "assessments_with_factor", da_year)
    return PublishedReferrals(
        la=auth,
        period=year,
        model=str(model),
        referrals=float(benchmarks.la_values(df, "referrals", year).get(auth.la_number, np.nan)),
        rate=benchmarks.measure_benchmark(df, RATE, auth.la_number, auth.region_code, nbrs, year, window),
        rereferral=benchmarks.measure_benchmark(df, REREFERRAL, auth.la_number, auth.region_code, nbrs, year, window),
        da={m: benchmarks.measure_benchmark(df, m, auth.la_number, auth.region_code, nbrs, da_year, window) for m in DA_MEASURES},
        da_period=da_year,
        assessments_with_factor=float(base.get(auth.la_number, np.nan)),
        data=df,
    )


def _fmt(v: float, d: int = 1) -> str:
    return "not available" if v is None or pd.isna(v) else f"{v:,.{d}f}"


def benchmark_table(mb: benchmarks.MeasureBenchmark) -> pd.DataFrame:
    """Year by year: the LA, neighbours' mean (and how many), region, England, rank and band."""
    wide = mb.comparison.pivot(index="period", columns="comparator", values="value")
    n = mb.comparison[mb.comparison["comparator"] == "neighbours_mean"].set_index("period")["n_with_value"]
    hist = mb.history.set_index("period") if not mb.history.empty else pd.DataFrame(columns=["rank", "n_ranked", "band"])
    d = int(codes.measure(mb.measure)["decimals"])
    rows = []
    for p in sorted(hist.index):
        rows.append(
            {
                "Year": f"{p}{' *' if p in mb.computed_periods else ''}",
                "This authority": _fmt(wide.loc[p, "la"], d),
                "Neighbours' mean": f"{_fmt(wide.loc[p, 'neighbours_mean'], d)} ({int(n.get(p, 0))} of 10)",
                "Neighbours' median": _fmt(wide.loc[p, "neighbours_median"], d),
                "Region": _fmt(wide.loc[p, "region"], d),
                "England": _fmt(wide.loc[p, "england"], d),
                "Rank among 11": f"{int(hist.loc[p, 'rank'])} of {int(hist.loc[p, 'n_ranked'])}",
                "Band": hist.loc[p, "band"],
            }
        )
    return pd.DataFrame(rows)


def da_table(p: PublishedReferrals) -> pd.DataFrame:
    """Domestic abuse at the end of assessment: % of assessments with any factor, by whom it concerned."""
    rows = []
    for m, label in DA_MEASURES.items():
        mb = p.da[m]
        num = p.data[(p.data["measure"] == m) & (p.data["period"] == p.da_period) & (p.data["la_number"] == p.la.la_number)]["numerator"]
        rows.append(
            {
                "Domestic abuse concerning": label,
                "Assessments": _fmt(num.iloc[0] if len(num) else np.nan, 0),
                "% of assessments with a factor": _fmt(mb.value),
                "Neighbours' mean": f"{_fmt(mb.neighbour_average.mean)} ({mb.neighbour_average.n_with_value} of 10)",
                "England": _fmt(mb.england_value),
                "Rank among 11": f"{mb.rank} of {mb.n_ranked}",
            }
        )
    return pd.DataFrame(rows)


def reconciliation(local_annual: pd.DataFrame, p: PublishedReferrals) -> pd.DataFrame:
    """The local extract's annual totals against DfE's published figures for the same years.

    ``local_annual`` is :func:`local_referrals.annual`. Differences are local minus published,
    in referrals and as % of the published figure; re-referral % in percentage points.
    """
    df = p.data
    pub_n = benchmarks.area_series(df, "referrals", la_number=p.la.la_number)
    pub_r = benchmarks.area_series(df, REREFERRAL, la_number=p.la.la_number)
    rows = []
    for _, r in local_annual.iterrows():
        y = int(r["period"])
        pn, pr = pub_n.get(y, np.nan), pub_r.get(y, np.nan)
        rows.append(
            {
                "period": y,
                "complete": bool(r["complete"]),
                "local_referrals": int(r["referrals"]),
                "published_referrals": pn,
                "difference": r["referrals"] - pn,
                "difference_pct": (r["referrals"] - pn) / pn * 100 if pn else np.nan,
                "local_rereferral_pct": r["rereferral_pct"],
                "published_rereferral_pct": pr,
                "rereferral_difference_pts": r["rereferral_pct"] - pr,
            }
        )
    return pd.DataFrame(rows)


def reconciliation_table(rec: pd.DataFrame) -> pd.DataFrame:
    """Display form of :func:`reconciliation`."""
    return pd.DataFrame(
        {
            "Year": [f"{y}{'' if c else ' (part year)'}" for y, c in zip(rec["period"], rec["complete"])],
            "Local extract": rec["local_referrals"].map(lambda v: _fmt(v, 0)),
            "Published (DfE)": rec["published_referrals"].map(lambda v: _fmt(v, 0)),
            "Difference": rec["difference"].map(lambda v: "not available" if pd.isna(v) else f"{v:+,.0f}"),
            "Difference %": rec["difference_pct"].map(lambda v: "not available" if pd.isna(v) else f"{v:+.1f}%"),
            "Re-referrals % local": rec["local_rereferral_pct"].map(_fmt),
            "Re-referrals % published": rec["published_rereferral_pct"].map(_fmt),
            "Difference (points)": rec["rereferral_difference_pts"].map(lambda v: "not available" if pd.isna(v) else f"{v:+.1f}"),
        }
    )


def extract_meta(path: str | Path) -> dict:
    """The sidecar ``<extract>.meta.json`` (says whether an extract is synthetic), or ``{}``."""
    import json

    meta = Path(path).with_suffix(".meta.json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
