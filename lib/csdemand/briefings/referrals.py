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
from csdemand.core import numbers
from csdemand.core import periods
from csdemand.published import rebase
from csdemand.published import store
from csdemand.core.errors import InputError
from csdemand.local.sources import extract_meta, read_records  # noqa: F401  (extract_meta used by tests)

RATE = "referrals_rate"
REREFERRAL = "rereferral_pct"
DA_MEASURES = {"da_child_pct": "The child", "da_parent_pct": "A parent or carer", "da_person_pct": "Another person in the household"}
TABLE = "cin"
COMPUTED_MARK = "*"
REBASED_MARK = "r"


@dataclass
class PublishedReferrals:
    """Published referral figures for one LA, year and neighbour model. A withheld figure is NaN
    with its marker beside it (``referrals_status``, ``rate.status``...); ``da`` is empty and
    ``da_period`` None for a year before factors at assessment were published (2018)."""

    la: areas_mod.LocalAuthority
    period: int
    model: str
    referrals: float
    rate: benchmarks.MeasureBenchmark
    rereferral: benchmarks.MeasureBenchmark
    da: dict[str, benchmarks.MeasureBenchmark]
    da_period: int | None
    assessments_with_factor: float
    data: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    referrals_status: str = ""
    model_requested: str = ""
    base_label: str = "the newest population estimates"
    lifecycle_note: str = ""


def years_held(df: pd.DataFrame) -> list[int]:
    """Years for which the children in need tables hold LA referral figures (values or markers)."""
    rows = df[df["measure"].isin(["referrals", RATE]) & (df["geographic_level"] == "la")]
    return sorted(int(p) for p in rows["period"].unique())


def resolve_period(df: pd.DataFrame, la: int | areas_mod.LocalAuthority, period: str | int) -> int:
    """``"latest"`` / a year / a month ``YYYY-MM`` (its reporting year) -> a year the LA existed in
    and the tables cover (:func:`csdemand.published.areas.briefing_year`)."""
    auth = la if isinstance(la, areas_mod.LocalAuthority) else areas_mod.resolve(la)
    return areas_mod.briefing_year(auth, period, years_held(df), "published referrals")


def _existing(mb: benchmarks.MeasureBenchmark, auth: areas_mod.LocalAuthority) -> benchmarks.MeasureBenchmark:
    """The benchmark with the years before the authority existed left out of its history."""
    mb.history = mb.history[[auth.existed_in(int(p)) for p in mb.history["period"]]].reset_index(drop=True)
    return mb


def published(la: str | int, period: str | int = "latest", model: str = "2025", window: int = 13, data: pd.DataFrame | None = None) -> PublishedReferrals:
    """The published referral, re-referral and domestic-abuse figures for an LA and year."""
    df = store.load("cin") if data is None else data
    auth = areas_mod.resolve(la)
    year = resolve_period(df, auth, period)
    used_model, nbrs = benchmarks.neighbours_for(store.load("statistical_neighbours"), auth.la_number, str(model))
    # Factors at assessment are published from 2018, in the same release as referrals: the year
    # itself, withheld or not (never an older year in its place).
    da_years = sorted(int(y) for y in df.loc[df["measure"] == "da_parent_pct", "period"].unique())
    da_year = year if da_years and da_years[0] <= year else None

    def bench(m: str, y: int) -> benchmarks.MeasureBenchmark:
        return _existing(benchmarks.measure_benchmark(df, m, auth.la_number, auth.region_code, nbrs, y, window), auth)

    counts = benchmarks.la_values(df, "referrals", year)
    base = benchmarks.la_values(df, "assessments_with_factor", da_year) if da_year else pd.Series(dtype=float)
    pop = store.load("population") if data is None else pd.DataFrame()
    return PublishedReferrals(
        la=auth,
        period=year,
        model=used_model,
        referrals=float(counts.get(auth.la_number, np.nan)),
        rate=bench(RATE, year),
        rereferral=bench(REREFERRAL, year),
        da={m: bench(m, da_year) for m in DA_MEASURES} if da_year else {},
        da_period=da_year,
        assessments_with_factor=float(base.get(auth.la_number, np.nan)),
        data=df,
        referrals_status="" if auth.la_number in counts.index else (benchmarks.la_statuses(df, "referrals", year).get(auth.la_number, "") or "x"),
        model_requested=str(model),
        base_label=rebase.base_label(pop) if not pop.empty else "the newest population estimates",
        lifecycle_note=areas_mod.lifecycle_caveat(auth, year),
    )


def _fmt(v: float, d: int = 1) -> str:
    return "not available" if v is None or pd.isna(v) else f"{v:,.{d}f}"


def _year_label(p: int, mb: benchmarks.MeasureBenchmark) -> str:
    """'2024 r' (re-based), '2025 *' (computed here), '2022'."""
    mark = REBASED_MARK if p in mb.rebased_periods else (COMPUTED_MARK if p in mb.computed_periods else "")
    return f"{p} {mark}".strip()


def year_footnotes(mb: benchmarks.MeasureBenchmark, base_label: str) -> list[str]:
    """What the marks beside years mean."""
    notes = []
    if mb.rebased_periods:
        notes.append(f"{REBASED_MARK}: re-based on {base_label} (DfE printed this year's rate on the estimates of the time).")
    if [p for p in mb.computed_periods if p not in mb.rebased_periods]:
        notes.append(f"{COMPUTED_MARK}: computed here from DfE's count and ONS's population estimate (DfE printed no rate).")
    return notes


def benchmark_table(mb: benchmarks.MeasureBenchmark, base_label: str = "the newest population estimates") -> pd.DataFrame:
    """Year by year: the LA, neighbours' mean (and how many), region, England, rank and band. A year
    whose figure DfE withheld stays in the table with its marker."""
    wide = mb.comparison.pivot(index="period", columns="comparator", values="value")
    n = mb.comparison[mb.comparison["comparator"] == "neighbours_mean"].set_index("period")["n_with_value"]
    hist = mb.history.set_index("period")
    d = mb.decimals
    rows = []
    for p in sorted(hist.index):
        h = hist.loc[p]
        st = h["status"]
        rows.append(
            {
                "Year": _year_label(int(p), mb),
                "This authority": numbers.fmt(h["value"], d, status=st),
                "Neighbours' mean": f"{numbers.fmt(wide.loc[p, 'neighbours_mean'], max(d, 1))} ({int(n.get(p, 0))} of {len(mb.neighbour_numbers)})",
                "Neighbours' median": numbers.fmt(wide.loc[p, "neighbours_median"], max(d, 1)),
                "Region": numbers.fmt(wide.loc[p, "region"], d),
                "England": numbers.fmt(wide.loc[p, "england"], d),
                f"Rank among {len(mb.neighbour_numbers) + 1}": st if st else f"{int(h['rank'])} of {int(h['n_ranked'])}",
                "Band": st if st else (h["band"] or "x"),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["footnotes"] = year_footnotes(mb, base_label)
    return out


def rate_table(p: PublishedReferrals) -> pd.DataFrame:
    """:func:`benchmark_table` of the referral rate, with the marks explained and, where the
    year's rate is re-based, what DfE printed."""
    out = benchmark_table(p.rate, p.base_label)
    note = benchmarks.printed_note(p.data, RATE, p.la.la_number, p.la.name, p.period, p.base_label)
    out.attrs["footnotes"] = out.attrs.get("footnotes", []) + ([note] if note else [])
    return out


def rereferral_table(p: PublishedReferrals) -> pd.DataFrame:
    """:func:`benchmark_table` of the re-referral percentage."""
    return benchmark_table(p.rereferral, p.base_label)


def da_table(p: PublishedReferrals) -> pd.DataFrame:
    """Domestic abuse at the end of assessment: % of assessments with any factor, by whom it
    concerned. A withheld share stays in the table with its marker."""
    rows = []
    for m, label in DA_MEASURES.items():
        mb = p.da.get(m)
        if mb is None:
            continue
        count = m.removesuffix("_pct")
        num = benchmarks.la_values(p.data, count, p.da_period).get(p.la.la_number, np.nan)
        num_st = "" if not np.isnan(num) else (benchmarks.la_statuses(p.data, count, p.da_period).get(p.la.la_number, "") or mb.status or "x")
        rows.append(
            {
                "Domestic abuse concerning": label,
                "Assessments": numbers.fmt(num, 0, status=num_st),
                "% of assessments with a factor": numbers.fmt(mb.value, mb.decimals, status=mb.status),
                "Neighbours' mean": f"{numbers.fmt(mb.neighbour_average.mean, 1)} ({mb.neighbour_average.n_with_value} of {len(mb.neighbour_numbers)})",
                "England": numbers.fmt(mb.england_value, mb.decimals, status=mb.england_status),
                f"Rank among {len(mb.neighbour_numbers) + 1}": mb.status if mb.status else (f"{mb.rank} of {mb.n_ranked}" if mb.rank else "x"),
            }
        )
    return pd.DataFrame(rows)


def da_section(p: PublishedReferrals):
    """The domestic-abuse chart (where the authority's shares are published) and table, or a
    sentence saying why they are not shown."""
    from csdemand.present import charts
    from csdemand.present.html import Html, esc, show_table

    if not p.da:
        return Html(f'<p class="footnote">Factors at the end of assessment are published from 2018, so there are none for {p.period}.</p>')
    table = show_table(da_table(p), f"Domestic abuse at the end of assessment, {p.da_period}: % of assessments with any factor recorded")
    chart_data = da_chart_table(p)
    if chart_data.drop(columns="Domestic abuse concerning").isna().any().any():
        missing = [DA_MEASURES[m].lower() for m in DA_MEASURES if p.da[m].status or np.isnan(p.da[m].value)]
        what = f"{p.la.name}'s {p.da_period} share for {', '.join(missing)} is withheld" if missing else f"a comparator's {p.da_period} share is not available"
        why = f'<p class="footnote">Not charted: {esc(what)} (see the table).</p>'
        return Html(why + table.markup)
    chart = charts.grouped_bars(chart_data, "Domestic abuse concerning", [p.la.name, "Neighbours' mean", "England"], f"% of assessments with a factor, {p.da_period}", f"Domestic abuse at the end of assessment, {p.da_period}")
    return Html(chart._repr_html_() + table.markup)


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


def local(extract: str, la: areas_mod.LocalAuthority, month: str = "latest", months_shown: int = 36, year: int | None = None) -> LocalReferrals | None:
    """Read and summarise the local referrals (see :func:`read_records`; None without any).
    ``month`` (``YYYY-MM`` or ``latest``): the last month shown. ``year``: the briefing's reporting
    year; nothing after its March is shown (``latest`` means March of that year, or the extract's
    last month if earlier), and a later ``month`` is refused."""
    from csdemand.local import referrals as lr
    from csdemand.methods import spc

    got = read_records(extract, la, "referrals")
    if got is None:
        return None
    raw, label, synthetic = got.frame, got.label, got.synthetic
    path = Path(label)
    records = lr.flag_rereferrals(raw)
    full = lr.monthly(records)
    if year is not None:  # periods hold: a briefing for a year shows nothing after that year
        cut = str(periods.year_end(year))
        if str(month).strip().lower() not in ("latest", "") and str(pd.Period(str(month), freq="M")) > cut:
            raise InputError(f"month {month} is after the briefing's year (to 31 March {year})", column="month", value=month, expected=f"a month up to {cut}, or 'latest'")
        full = full[full["month"] <= cut].reset_index(drop=True)
        if full.empty:
            return None
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
    """Headline tiles for the referrals briefing; a withheld figure reads as its marker in words."""
    from csdemand.present.html import fmt_number

    r, rr = p.rate, p.rereferral
    if r.status:
        rate_note = f"{p.period}: not published for {p.la.name}"
    elif r.rebased:
        rate_note = f"England {numbers.fmt(r.england_value, r.decimals)}; re-based, DfE printed {numbers.fmt(r.published_value, r.decimals)}"
    else:
        rate_note = f"England {numbers.fmt(r.england_value, r.decimals)}{'; computed here' if r.computed else ''}"
    tiles = [
        (f"Referrals, year to March {p.period}", fmt_number(p.referrals, status=p.referrals_status, noun="referrals"), p.la.name),
        ("Per 10,000 children", fmt_number(r.value, r.decimals, status=r.status, noun="referrals"), rate_note),
        ("Re-referrals within 12 months", fmt_number(rr.value, rr.decimals, status=rr.status, unit="%", noun="referrals"), f"England {numbers.fmt(rr.england_value, rr.decimals, unit='%')}; lower is better"),
    ]
    if p.da:
        da = p.da["da_parent_pct"]
        tiles.append((f"Domestic abuse (parent), {p.da_period}", fmt_number(da.value, da.decimals, status=da.status, unit="%", noun="assessments"),
                      f"of assessments with a factor; England {numbers.fmt(da.england_value, da.decimals, unit='%')}"))
    if loc is not None:
        last = loc.monthly.iloc[-1]
        tiles.append((f"Referrals in {periods.month_label(loc.month, short=True)}", fmt_number(last["referrals"], noun="referrals"), "local extract" + (" (synthetic)" if loc.synthetic else "")))
    return tiles


def figures(p: PublishedReferrals) -> list:
    """The headline figures as data (:class:`csdemand.present.Figure`) for the JSON record."""
    from csdemand.present.html import Figure

    common = dict(area_code=p.la.area_code, la_number=p.la.la_number)

    def fig(mb: benchmarks.MeasureBenchmark, unit: str) -> Figure:
        t = mb.travel.set_index("span_years")
        return Figure(
            mb.measure, period=str(mb.period), value=mb.value, status=mb.status, label=codes.measure(mb.measure)["label"], unit=unit,
            comparators={"neighbours_mean": mb.neighbour_average.mean, "neighbours_median": mb.neighbour_average.median, "region": mb.region_value,
                         "england": mb.england_value, "published": mb.published_value},
            flags={"rank": f"{mb.rank} of {mb.n_ranked}" if mb.rank and not mb.status else "", "band": mb.band.band, "rebased": "yes" if mb.rebased else "",
                   "change_1y": t.loc[1, "direction"] if 1 in t.index else ""},
            **common,
        )

    out = [
        Figure("referrals", period=str(p.period), value=p.referrals, status=p.referrals_status, label=codes.measure("referrals")["label"], unit="referrals", **common),
        fig(p.rate, "per 10,000"),
        fig(p.rereferral, "percent"),
    ]
    if p.da:
        out.append(fig(p.da["da_parent_pct"], "percent"))
    return out


def provenance(p: PublishedReferrals, loc: LocalReferrals | None, parameters: dict):
    """Title, parameters, publications and the headline figures for the report header, footer
    and JSON record."""
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
        parameters={**parameters, "resolved period": p.period, **({"local extract up to": loc.month} if loc is not None else {}),
                    **({"statistical neighbour model used": p.model} if p.model != p.model_requested else {})},
        sources=sources,
        notes=["Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education; Office for National Statistics."],
        figures=figures(p),
    )


def da_chart_table(p: PublishedReferrals) -> pd.DataFrame:
    """Numbers behind the domestic-abuse bar chart: LA, neighbours' mean and England per kind
    (NaN where withheld: :func:`da_section` then leaves the chart out and says why)."""
    return pd.DataFrame(
        {
            "Domestic abuse concerning": list(DA_MEASURES.values()),
            p.la.name: [p.da[m].value for m in DA_MEASURES],
            "Neighbours' mean": [p.da[m].neighbour_average.mean for m in DA_MEASURES],
            "England": [p.da[m].england_value for m in DA_MEASURES],
        }
    )


def trend_chart(p: PublishedReferrals, which: str = "rate"):
    """The referral rate (``which="rate"``) or re-referral share (``"rereferral"``) over time
    against the comparators, up to the briefing's year, re-based and computed years marked."""
    from csdemand.present import charts

    mb = p.rate if which == "rate" else p.rereferral
    label = "Referrals per 10,000 children" if which == "rate" else "Re-referrals (% of referrals)"
    statuses = benchmarks.area_statuses(p.data, mb.measure, la_number=p.la.la_number)
    return charts.trend_chart(mb.comparison, p.la.name, p.la.region_name, label, mb.computed_periods, decimals=mb.decimals,
                              rebased_periods=mb.rebased_periods, la_statuses=statuses)
