"""Referrals and the domestic-abuse share: every figure of the referrals briefing in one place.

Published side (``data/sample/cin.csv``): referral rate per 10,000 and re-referral % against
statistical neighbours, region and England (LAIT rank and quartile band), and domestic abuse as a
factor at the end of assessment (child, parent, other person: overlapping, never summed).
Local side (a record-level extract, :mod:`csdemand.local.referrals`): monthly referrals and the
domestic-abuse share with SPC, and a reconciliation of the extract's annual totals with DfE's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.published import areas as areas_mod
from csdemand.methods import benchmarks
from csdemand.core import codes
from csdemand.core import disclosure
from csdemand.published import store
from csdemand.core.errors import InputError
from csdemand.local.sources import extract_meta, read_records  # noqa: F401  (extract_meta used by tests)

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
            "Difference (points)": rec["rereferral_difference_pts"].map(lambda v: "not available" if pd.isna(v) else f"{round(v, 1) + 0.0:+.1f}"),
        }
    )


# --------------------------------------------------------------------------- the local extract


@dataclass
class LocalReferrals:
    """The council's own referrals extract, aggregated (no record-level data leaves this object)."""

    path: Path
    synthetic: bool
    month: str  # the last month reported, YYYY-MM
    monthly: pd.DataFrame  # local_referrals.monthly, up to ``month``, last 36 months
    annual: pd.DataFrame  # local_referrals.annual, complete years only up to ``month``
    counts_spc: object  # spc.SpcResult (XmR on monthly referrals)
    da_spc: object  # spc.SpcResult (Laney p' on the monthly domestic-abuse share)
    signals: list[str]


def local(extract: str, la: areas_mod.LocalAuthority, month: str = "latest", months_shown: int = 36) -> LocalReferrals | None:
    """Read and summarise the local referrals (see :func:`read_records`; None without any).
    ``month`` (``YYYY-MM`` or ``latest``): the last month shown."""
    from csdemand.local import referrals as lr
    from csdemand.methods import spc

    got = read_records(extract, la, "referrals")
    if got is None:
        return None
    raw, label, synthetic = got.frame, got.label, got.synthetic
    path = Path(label)
    records = lr.flag_rereferrals(raw)
    full = lr.monthly(records)
    if str(month).strip().lower() in ("latest", ""):
        last = full["month"].iloc[-1]
    else:
        last = str(pd.Period(str(month), freq="M"))
        if last not in set(full["month"]):
            raise InputError(f"month {last} is not in the extract", file=label, column="month", value=month, expected=f"a month from {full['month'].iloc[0]} to {full['month'].iloc[-1]}")
    upto = records[records["referral_date"] < (pd.Period(last, freq="M") + 1).to_timestamp()]
    mon = full[full["month"] <= last].tail(months_shown).reset_index(drop=True)
    # Only aggregates leave here, and small ones are withheld as DfE would (1 to 5 -> c).
    mon = disclosure.protect_counts(mon, ["referrals", "rereferrals", "domestic_abuse", "nfa"], {"referrals": ["da_share", "da_lower", "da_upper", "rereferral_pct"], "domestic_abuse": ["da_share", "da_lower", "da_upper"], "rereferrals": ["rereferral_pct"]})
    ann = lr.annual(upto)
    ann = ann[ann["complete"]]
    idx = pd.PeriodIndex(mon["month"], freq="M")
    counts = spc.xmr(pd.Series(mon["referrals"].to_numpy(dtype=float), index=idx))
    da = spc.p_chart(pd.Series(mon["domestic_abuse"].to_numpy(dtype=float), index=idx), pd.Series(mon["referrals"].to_numpy(dtype=float), index=idx), laney=True)
    # Name the chart in each sentence: "Shift: ..." alone does not say which measure moved.
    signals = [s if s.startswith("No special-cause") else f"Monthly referrals. {s}" for s in spc.describe(counts, "monthly referrals")]
    signals += [s if s.startswith("No special-cause") else f"Domestic-abuse share. {s}" for s in spc.describe(da, "the domestic-abuse share")]
    return LocalReferrals(path, synthetic, last, mon, ann, counts, da, signals)


def latest_month(loc: LocalReferrals | None) -> dict | None:
    """The latest month's figures for the key messages (or None without an extract)."""
    if loc is None:
        return None
    r = loc.monthly.iloc[-1]
    return {
        "month_label": pd.Period(r["month"], freq="M").strftime("%B %Y"),
        "referrals": r["referrals"],
        "da_share": r["da_share"],
        "da_lower": r["da_lower"],
        "da_upper": r["da_upper"],
        "signals": [s for s in loc.signals if not s.startswith("No special-cause")],
    }


def monthly_charts(loc: LocalReferrals | None):
    """The two control charts (counts XmR, domestic-abuse share p') and the signals in words."""
    from csdemand.present import charts
    from csdemand.present.html import Html, bullet_list

    if loc is None:
        return Html('<p class="footnote">No local referrals extract is configured for this authority, so the monthly '
                    "figures are not shown: they need the council's own records (see config/data.yml). The published "
                    "figures below do not.</p>")
    label = " (synthetic extract)" if loc.synthetic else ""
    counts = charts.spc_chart(loc.counts_spc.table, "Referrals", f"Referrals per month, XmR control chart{label}")
    share = charts.spc_chart(
        loc.da_spc.table, "Domestic abuse share", f"Share of referrals with domestic abuse recorded, Laney p' chart with 95% Wilson intervals{label}",
        percent=True, interval=loc.monthly[["da_lower", "da_upper"]].rename(columns={"da_lower": "lower", "da_upper": "upper"}),
    )
    words = bullet_list(loc.signals, "What the control charts show", level=3)
    return Html(counts._repr_html_() + share._repr_html_() + words.markup)


def reconciliation_section(loc: LocalReferrals | None, p: PublishedReferrals):
    """Reconciliation table, or a note when there is no extract."""
    from csdemand.present.html import Html, show_table

    if loc is None or loc.annual.empty:
        return Html('<p class="footnote">No local extract with a complete reporting year was supplied, so there is nothing to reconcile.</p>')
    rec = reconciliation(loc.annual, p)
    return show_table(reconciliation_table(rec), "Local extract against DfE's published referrals, complete reporting years")


def headlines(p: PublishedReferrals, loc: LocalReferrals | None) -> list[tuple[str, str, str]]:
    """Headline tiles for the referrals briefing."""
    r, rr, da = p.rate, p.rereferral, p.da["da_parent_pct"]
    tiles = [
        (f"Referrals, year to March {p.period}", _fmt(p.referrals, 0), p.la.name),
        ("Per 10,000 children", _fmt(r.value), f"England {_fmt(r.england_value)}{'; computed here' if r.computed else ''}"),
        ("Re-referrals within 12 months", f"{_fmt(rr.value)}%", f"England {_fmt(rr.england_value)}%; lower is better"),
        (f"Domestic abuse (parent), {p.da_period}", f"{_fmt(da.value)}%", f"of assessments with a factor; England {_fmt(da.england_value)}%"),
    ]
    if loc is not None:
        last = loc.monthly.iloc[-1]
        tiles.append((f"Referrals in {pd.Period(loc.month, freq='M').strftime('%b %Y')}", _fmt(last["referrals"], 0), "local extract" + (" (synthetic)" if loc.synthetic else "")))
    return tiles


def provenance(p: PublishedReferrals, loc: LocalReferrals | None, parameters: dict):
    """Title, parameters and publications for the report header and footer."""
    from csdemand.present.html import Provenance, sources_used

    shown = p.data[p.data["measure"].isin([RATE, REREFERRAL, "referrals", *DA_MEASURES]) & (p.data["period"] <= p.period)]
    sn = codes.neighbour_models().loc[p.model]
    sources = sources_used(shown) + [
        {"id": "ons_pop_2024", **{k: v for k, v in codes.sources().loc["ons_pop_2024"].items() if k in ("title", "publisher", "published", "licence", "url")}},
        {"id": f"sn_{p.model}", "title": sn["label"], "publisher": "Department for Education", "published": sn["published"], "licence": "OGL v3.0", "url": ""},
    ]
    if loc is not None:
        sources.append({"id": "local", "title": f"Local referrals: {loc.path.name if loc.path.suffix else loc.path}" + (" (SYNTHETIC: not real children)" if loc.synthetic else ""), "publisher": "Council", "published": loc.month, "licence": "", "url": ""})
    return Provenance(
        title=f"Referrals and domestic abuse: {p.la.name}, {p.period}",
        subtitle="Referrals to children's social care, re-referrals and domestic abuse as a factor, against statistical neighbours, the region and England",
        parameters={**parameters, "resolved period": p.period, **({"local extract up to": loc.month} if loc is not None else {})},
        sources=sources,
        notes=["Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education; Office for National Statistics."],
    )


def da_chart_table(p: PublishedReferrals) -> pd.DataFrame:
    """Numbers behind the domestic-abuse bar chart: LA, neighbours' mean and England per kind."""
    return pd.DataFrame(
        {
            "Domestic abuse concerning": list(DA_MEASURES.values()),
            p.la.name: [p.da[m].value for m in DA_MEASURES],
            "Neighbours' mean": [p.da[m].neighbour_average.mean for m in DA_MEASURES],
            "England": [p.da[m].england_value for m in DA_MEASURES],
        }
    )
