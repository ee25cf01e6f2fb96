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

from csdemand.core import codes, disclosure, numbers, periods
from csdemand.core.errors import InputError
from csdemand.local.sources import extract_meta, read_records  # noqa: F401  (extract_meta used by tests)
from csdemand.methods import benchmarks
from csdemand.published import areas as areas_mod
from csdemand.published import rebase, store

RATE = "referrals_rate"
REREFERRAL = "rereferral_pct"
DA_MEASURES = {
    "da_child_pct": "The child",
    "da_parent_pct": "A parent or carer",
    "da_person_pct": "Another person in the household",
}
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


def published(
    la: str | int, period: str | int = "latest", model: str = "2025", window: int = 13, data: pd.DataFrame | None = None
) -> PublishedReferrals:
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
        referrals_status=""
        if auth.la_number in counts.index
        else (benchmarks.la_statuses(df, "referrals", year).get(auth.la_number, "") or "x"),
        model_requested=str(model),
        base_label=rebase.base_label(pop) if not pop.empty else "the newest population estimates",
        lifecycle_note=areas_mod.lifecycle_caveat(auth, year),
    )


def _year_label(p: int, mb: benchmarks.MeasureBenchmark) -> str:
    """'2024 r' (re-based), '2025 *' (computed here), '2022'."""
    mark = REBASED_MARK if p in mb.rebased_periods else (COMPUTED_MARK if p in mb.computed_periods else "")
    return f"{p} {mark}".strip()


def year_footnotes(mb: benchmarks.MeasureBenchmark, base_label: str) -> list[str]:
    """What the marks beside years mean."""
    notes = []
    if mb.rebased_periods:
        notes.append(
            f"{REBASED_MARK}: re-based on {base_label} (DfE printed this year's rate on the estimates of the time)."
        )
    if [p for p in mb.computed_periods if p not in mb.rebased_periods]:
        notes.append(
            f"{COMPUTED_MARK}: computed here from DfE's count and ONS's population estimate (DfE printed no rate)."
        )
    return notes


def benchmark_table(
    mb: benchmarks.MeasureBenchmark, base_label: str = "the newest population estimates"
) -> pd.DataFrame:
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
                "Neighbours' mean": (
                    f"{numbers.fmt(wide.loc[p, 'neighbours_mean'], max(d, 1))} ({int(n.get(p, 0))} "
                    f"of {len(mb.neighbour_numbers)})"
                ),
                "Neighbours' median": numbers.fmt(wide.loc[p, "neighbours_median"], max(d, 1)),
                "Region": numbers.fmt(wide.loc[p, "region"], d),
                "England": numbers.fmt(wide.loc[p, "england"], d),
                f"Rank among {len(mb.neighbour_numbers) + 1}": st
                if st
                else f"{int(h['rank'])} of {int(h['n_ranked'])}",
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
        num_st = (
            ""
            if not np.isnan(num)
            else (benchmarks.la_statuses(p.data, count, p.da_period).get(p.la.la_number, "") or mb.status or "x")
        )
        rows.append(
            {
                "Domestic abuse concerning": label,
                "Assessments": numbers.fmt(num, 0, status=num_st),
                "% of assessments with a factor": numbers.fmt(mb.value, mb.decimals, status=mb.status),
                "Neighbours' mean": (
                    f"{numbers.fmt(mb.neighbour_average.mean, 1)} "
                    f"({mb.neighbour_average.n_with_value} of {len(mb.neighbour_numbers)})"
                ),
                "England": numbers.fmt(mb.england_value, mb.decimals, status=mb.england_status),
                f"Rank among {len(mb.neighbour_numbers) + 1}": mb.status
                if mb.status
                else (f"{mb.rank} of {mb.n_ranked}" if mb.rank else "x"),
            }
        )
    return pd.DataFrame(rows)


def _published_values(df: pd.DataFrame, measure: str, la_number: int) -> dict[int, tuple[float, str]]:
    """One LA's published values of a measure by year, with their DfE markers: ``{year: (value, status)}``."""
    rows = df[
        (df["measure"] == measure) & (df["geographic_level"] == "la") & (df["la_number"] == la_number)
    ].sort_values("period", kind="mergesort")
    status = (
        rows["status"].astype("object").where(rows["status"].notna(), "")
        if "status" in rows
        else pd.Series("", index=rows.index)
    )
    out: dict[int, tuple[float, str]] = {}
    for y, v, st in zip(rows["period"], rows["value"], status):
        out[int(y)] = (float(v) if pd.notna(v) else np.nan, str(st).strip())  # the newest row for a year wins
    return out


def _marker(value: float, *statuses: str) -> str:
    """The marker of a figure built from others: ``c`` if any of them is withheld, else the first
    other marker, else ``x`` where the figure is missing, else ``""``."""
    statuses = tuple("" if numbers.is_missing(s) else str(s).strip() for s in statuses)
    if "c" in statuses:
        return "c"
    other = next((s for s in statuses if s), "")
    if other:
        return other
    return "x" if value is None or pd.isna(value) else ""


def da_section(p: PublishedReferrals):
    """The domestic-abuse chart (where the authority's shares are published) and table, or a
    sentence saying why they are not shown."""
    from csdemand.present import charts
    from csdemand.present.html import Html, esc, show_table

    if not p.da:
        return Html(
            '<p class="footnote">Factors at the end of assessment are published from 2018, so there are none for '
            f"{p.period}.</p>"
        )
    table = show_table(
        da_table(p),
        f"Domestic abuse at the end of assessment, {p.da_period}: % of assessments with any factor recorded",
    )
    chart_data = da_chart_table(p)
    if chart_data.drop(columns="Domestic abuse concerning").isna().any().any():
        missing = [DA_MEASURES[m].lower() for m in DA_MEASURES if p.da[m].status or np.isnan(p.da[m].value)]
        what = (
            f"{p.la.name}'s {p.da_period} share for {', '.join(missing)} is withheld"
            if missing
            else f"a comparator's {p.da_period} share is not available"
        )
        why = f'<p class="footnote">Not charted: {esc(what)} (see the table).</p>'
        return Html(why + table.markup)
    chart = charts.grouped_bars(
        chart_data,
        "Domestic abuse concerning",
        [p.la.name, "Neighbours' mean", "England"],
        f"% of assessments with a factor, {p.da_period}",
        f"Domestic abuse at the end of assessment, {p.da_period}",
    )
    return Html(chart._repr_html_() + table.markup)


def reconciliation(local_annual: pd.DataFrame, p: PublishedReferrals) -> pd.DataFrame:
    """The local extract's annual totals against DfE's published figures for the same years.

    ``local_annual`` is :attr:`LocalReferrals.annual` (or :func:`local_referrals.annual`; without
    the ``*_status`` columns every local figure counts as shown). Differences are local minus
    published, in referrals and as % of the published figure; re-referral % in percentage points,
    as the difference of the two figures as printed (1 decimal). Each figure has a ``*_status``
    column: ``c`` where it, or a figure it is worked out from, is withheld (a difference beside a
    printed figure gives the other one back), ``x`` where missing.
    """
    pub_n = _published_values(p.data, "referrals", p.la.la_number)
    pub_r = _published_values(p.data, REREFERRAL, p.la.la_number)
    rows = []
    for _, r in local_annual.iterrows():
        y = int(r["period"])
        ln, ls = float(r["referrals"]), r.get("referrals_status", "")
        lp, lps = float(r["rereferral_pct"]), r.get("rereferral_status", "")
        pn, pns = pub_n.get(y, (np.nan, "x"))
        pr, prs = pub_r.get(y, (np.nan, "x"))
        diff = ln - pn
        diff_pct = diff / pn * 100 if pn else np.nan
        pts = numbers.change_as_printed(lp, pr, 1)
        rows.append(
            {
                "period": y,
                "complete": bool(r["complete"]),
                "local_referrals": ln,
                "local_status": _marker(ln, ls),
                "published_referrals": pn,
                "published_status": _marker(pn, pns),
                "difference": diff,
                "difference_status": _marker(diff, ls, pns),
                "difference_pct": diff_pct,
                "difference_pct_status": _marker(diff_pct, ls, pns),
                "local_rereferral_pct": lp,
                "local_rereferral_status": _marker(lp, lps),
                "published_rereferral_pct": pr,
                "published_rereferral_status": _marker(pr, prs),
                "rereferral_difference_pts": pts,
                "rereferral_difference_status": _marker(pts, lps, prs),
            }
        )
    return pd.DataFrame(rows)


def reconciliation_table(rec: pd.DataFrame) -> pd.DataFrame:
    """Display form of :func:`reconciliation`: withheld figures read ``c``, missing ones ``x``."""

    def col(values: str, status: str, decimals: int, **kw) -> list[str]:
        st = rec[status] if status in rec else pd.Series("", index=rec.index)
        return [numbers.fmt(v, decimals, status=s, **kw) for v, s in zip(rec[values], st)]

    return pd.DataFrame(
        {
            "Year": [f"{y}{'' if c else ' (part year)'}" for y, c in zip(rec["period"], rec["complete"])],
            "Local extract": col("local_referrals", "local_status", 0),
            "Published (DfE)": col("published_referrals", "published_status", 0),
            "Difference": col("difference", "difference_status", 0, sign=True),
            "Difference %": col("difference_pct", "difference_pct_status", 1, sign=True, unit="%"),
            "Re-referrals % local": col("local_rereferral_pct", "local_rereferral_status", 1),
            "Re-referrals % published": col("published_rereferral_pct", "published_rereferral_status", 1),
            "Difference (points)": col("rereferral_difference_pts", "rereferral_difference_status", 1, sign=True),
        }
    )


def markers_footnote(shown: pd.DataFrame | list) -> str:
    """The footnote for the markers a table (or a list of printed figures) shows, one sentence
    each, in the order c, x, z (empty when it shows none)."""
    values = shown.to_numpy(dtype=object) if isinstance(shown, pd.DataFrame) else np.asarray(shown, dtype=object)
    cells = set(values.ravel().tolist())
    notes = [disclosure.FOOTNOTE_C] if "c" in cells else []
    notes += [f"{m}: {numbers.MARKER_MEANINGS[m]}" for m in ("x", "z") if m in cells]
    return ". ".join(notes) + "." if notes else ""


# --------------------------------------------------------------------------- the local extract

#: Said where the source holds no domestic-abuse flag (Annex A List 3), instead of a share of 0%.
DA_NOT_RECORDED = (
    "{source} does not record domestic abuse at referral; the published figures at the end of "
    "assessment are shown instead."
)


@dataclass
class LocalReferrals:
    """The council's own referrals extract, aggregated and protected: no record-level data, and no
    count of 1 to 5 nor a figure from which one could be worked out, leaves this object unmarked.

    ``monthly`` (the months shown, oldest first): ``month`` (``YYYY-MM``), ``referrals`` and
    ``referrals_status``; ``domestic_abuse``, ``da_share`` (0-1), ``da_pct`` (0-100, the figure
    printed), ``da_lower``/``da_upper`` (95% Wilson interval, 0-1) and ``da_status``. ``annual``
    (complete reporting years up to ``month``): ``period``, ``referrals``, ``referrals_status``,
    ``rereferrals``, ``rereferral_pct`` (0-100), ``rereferral_status``, ``complete``. A withheld
    figure is NaN with status ``c``; see :func:`protect_local`.
    """

    path: Path
    synthetic: bool
    month: str  # the last month reported, YYYY-MM
    monthly: pd.DataFrame
    annual: pd.DataFrame
    counts_spc: object  # spc.SpcResult (XmR on the monthly referrals shown)
    da_spc: object | None  # spc.SpcResult (Laney p' on the domestic-abuse shares shown); None when not recorded
    signals: list[str]
    da_recorded: bool = True
    source_name: str = "The local source"


def _year_months(year: int) -> list[str]:
    """The months of a reporting year: April of ``year - 1`` to March of ``year``, as ``YYYY-MM``."""
    return [str(pd.Period(f"{year - 1}-04", freq="M") + i) for i in range(12)]


def protect_local(
    months: pd.DataFrame, shown: list[str], annual: pd.DataFrame, da_recorded: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disclosure control of everything the briefing shows from a local extract: ``(monthly, annual)``.

    ``months`` is :func:`local_referrals.monthly` up to the last month reported (every month, shown
    or not); ``shown`` the months the charts show; ``annual`` the complete years the
    reconciliation shows (:func:`local_referrals.annual`). The page prints each shown month's
    referrals and each year's total, and a year's total is the sum of its 12 months, so:

    * counts of 1 to 5 are withheld (``c``), and further months or totals are withheld until no
      withheld count, no unshown month of 1 to 5 and no sum of 1 to 5 over several months can be
      worked out from a year's total and its printed months (:func:`disclosure.protect_sums`);
    * the monthly domestic-abuse share (with its Wilson interval) and the annual re-referral %
      are withheld where their base is, or where the share and its printed base give a count of
      1 to 5 back, or could (:func:`disclosure.protect_shares`, at the 1 decimal printed). The
      rest of the base counts too: 99.6% of 269 leaves 1.
    """
    m = months.set_index("month")
    a = annual.set_index("period")
    years = [int(y) for y in a.index]
    labels = pd.Index(list(m.index) + years, dtype="object")
    values = pd.Series(
        np.append(m["referrals"].to_numpy(dtype=float), a["referrals"].to_numpy(dtype=float)), index=labels
    )
    status = disclosure.protect_sums(values, {y: _year_months(y) for y in years}, shown=list(shown) + years)

    mon = m.loc[list(shown)].reset_index()
    mon["referrals_status"] = status.loc[list(shown)].to_numpy()
    base = mon["referrals"].to_numpy(dtype=float)
    mon["referrals"] = mon["referrals"].astype(float).where(mon["referrals_status"] == "")
    if da_recorded:
        pct, da_status = disclosure.protect_shares(
            mon["domestic_abuse"].to_numpy(dtype=float),
            base,
            decimals=1,
            scale=100,
            base_status=mon["referrals_status"].to_numpy(),
        )
    else:  # the source holds no flag: nothing to show, not a share of 0%
        pct, da_status = np.full(len(mon), np.nan), np.full(len(mon), "z", dtype=object)
    shown_da = np.asarray(da_status) == ""
    mon["da_status"] = da_status
    mon["da_pct"] = pct
    for c in ("domestic_abuse", "da_share", "da_lower", "da_upper"):
        mon[c] = mon[c].astype(float).where(shown_da)
    mon = mon[
        [
            "month",
            "referrals",
            "referrals_status",
            "domestic_abuse",
            "da_share",
            "da_pct",
            "da_lower",
            "da_upper",
            "da_status",
        ]
    ]

    ann = a.reset_index()
    ann["referrals_status"] = status.loc[years].to_numpy() if years else np.array([], dtype=object)
    pct, rr_status = disclosure.protect_shares(
        ann["rereferrals"].to_numpy(dtype=float),
        ann["referrals"].to_numpy(dtype=float),
        decimals=1,
        scale=100,
        base_status=ann["referrals_status"].to_numpy(),
    )
    ann["rereferral_pct"] = pct
    ann["rereferral_status"] = rr_status
    ann["rereferrals"] = ann["rereferrals"].astype(float).where(np.asarray(rr_status) == "")
    ann["referrals"] = ann["referrals"].astype(float).where(ann["referrals_status"] == "")
    ann = ann[
        ["period", "referrals", "referrals_status", "rereferrals", "rereferral_pct", "rereferral_status", "complete"]
    ]
    return mon, ann


def _source_name(label: str) -> str:
    """How a sentence names the local source: Annex A, or the source in general."""
    return "Annex A" if "annex" in label.lower() else "The local source"


def local(
    extract: str, la: areas_mod.LocalAuthority, month: str = "latest", months_shown: int = 36, year: int | None = None
) -> LocalReferrals | None:
    """Read, summarise and protect the local referrals (see :func:`read_records`; None without
    any). ``month`` (``YYYY-MM`` or ``latest``): the last month shown; ``months_shown`` months
    up to it are charted. ``year``: the briefing's reporting year; nothing after its March is
    shown (``latest`` means March of that year, or the extract's last month if earlier), and a
    later ``month`` is refused. Control charts are drawn from the protected figures only: a
    withheld month is a gap, left out of the mean and the limits, which would otherwise give it back."""
    from csdemand.local import referrals as lr
    from csdemand.methods import spc

    got = read_records(extract, la, "referrals")
    if got is None:
        return None
    raw, label, synthetic = got.frame, got.label, got.synthetic
    da_recorded = "domestic_abuse" not in got.not_recorded
    path = Path(label)
    records = lr.flag_rereferrals(raw)
    full = lr.monthly(records)
    if year is not None:  # periods hold: a briefing for a year shows nothing after that year
        cut = str(periods.year_end(year))
        if str(month).strip().lower() not in ("latest", "") and str(pd.Period(str(month), freq="M")) > cut:
            raise InputError(
                f"month {month} is after the briefing's year (to 31 March {year})",
                column="month",
                value=month,
                expected=f"a month up to {cut}, or 'latest'",
            )
        full = full[full["month"] <= cut].reset_index(drop=True)
        if full.empty:
            return None
    if str(month).strip().lower() in ("latest", ""):
        last = full["month"].iloc[-1]
    else:
        last = str(pd.Period(str(month), freq="M"))
        if last not in set(full["month"]):
            raise InputError(
                f"month {last} is not in the extract",
                file=label,
                column="month",
                value=month,
                expected=f"a month from {full['month'].iloc[0]} to {full['month'].iloc[-1]}",
            )
    upto = records[records["referral_date"] < (pd.Period(last, freq="M") + 1).to_timestamp()]
    months = full[full["month"] <= last].reset_index(drop=True)
    shown = months["month"].tail(months_shown).tolist()
    ann = lr.annual(upto)
    ann = ann[ann["complete"]].reset_index(drop=True)
    # Only aggregates leave here, protected as DfE would protect them, and against subtraction.
    mon, ann = protect_local(months, shown, ann, da_recorded)
    idx = pd.PeriodIndex(mon["month"], freq="M")
    counts = spc.xmr(pd.Series(mon["referrals"].to_numpy(dtype=float), index=idx))
    # Name the chart in each sentence: "Shift: ..." alone does not say which measure moved.
    signals = [
        s if s.startswith("No special-cause") else f"Monthly referrals. {s}"
        for s in spc.describe(counts, "monthly referrals")
    ]
    da = None
    if da_recorded:
        den = mon["referrals"].where(mon["da_status"] == "")
        da = spc.p_chart(
            pd.Series(mon["domestic_abuse"].to_numpy(dtype=float), index=idx),
            pd.Series(den.to_numpy(dtype=float), index=idx),
            laney=True,
        )
        signals += [
            s if s.startswith("No special-cause") else f"Domestic-abuse share. {s}"
            for s in spc.describe(da, "the domestic-abuse share")
        ]
    return LocalReferrals(path, synthetic, last, mon, ann, counts, da, signals, da_recorded, _source_name(label))


def _pct(v: float) -> str:
    return numbers.fmt(v, 1, unit="%")


def latest_month(loc: LocalReferrals | None) -> dict | None:
    """The latest month's figures for the key messages (or None without an extract), protected.

    ``sentences``: the key-message sentences, a withheld figure as ``c`` with the reason, and why
    no domestic-abuse share is given where the source does not record it; ``referrals`` /
    ``referrals_status``, ``da_pct`` / ``da_status`` (and ``da_share``, ``da_lower``,
    ``da_upper``, 0-1): the figures, NaN where withheld; ``signals``: the charts' signals.
    """
    if loc is None:
        return None
    r = loc.monthly.iloc[-1]
    label = pd.Period(r["month"], freq="M").strftime("%B %Y")
    why = disclosure.WITHHELD_WORDS
    if r["referrals_status"]:
        text = (
            f"In the local extract, the number of referrals received in {label} is "
            f"{numbers.fmt(np.nan, status=r['referrals_status'])} ({why})"
        )
        text += ", and so is the share with domestic abuse recorded." if loc.da_recorded else "."
    else:
        text = (
            f"In the local extract, {numbers.plural(r['referrals'], 'referral')} "
            f"{'was' if r['referrals'] == 1 else 'were'} received in {label}"
        )
        if loc.da_recorded and r["da_status"] == "":
            text += (
                f"; domestic abuse was recorded in {_pct(r['da_pct'])} of them (95% interval "
                f"{_pct(r['da_lower'] * 100)} to {_pct(r['da_upper'] * 100)})."
            )
        elif loc.da_recorded and r["da_status"] == "c":
            text += f"; the share with domestic abuse recorded is c ({why})."
        else:
            text += "."
    sentences = [text]
    if not loc.da_recorded:
        sentences.append(DA_NOT_RECORDED.format(source=loc.source_name))
    return {
        "month_label": label,
        "referrals": r["referrals"],
        "referrals_status": r["referrals_status"],
        "da_recorded": loc.da_recorded,
        "da_pct": r["da_pct"],
        "da_share": r["da_share"],
        "da_lower": r["da_lower"],
        "da_upper": r["da_upper"],
        "da_status": r["da_status"],
        "sentences": sentences,
        # a signal, not the absence of one, nor "too few values" for a chart whose months are withheld
        "signals": [s for s in loc.signals if not s.startswith("No special-cause") and "Too few values" not in s],
    }


def local_headline(loc: LocalReferrals) -> tuple[str, str, str]:
    """The headline tile for the latest month of the local extract (``c`` with the reason when withheld)."""
    r = loc.monthly.iloc[-1]
    note = "local extract" + (" (synthetic)" if loc.synthetic else "")
    if r["referrals_status"] == "c":
        note += f"; {disclosure.FOOTNOTE_C}"
    return (
        f"Referrals in {pd.Period(loc.month, freq='M').strftime('%b %Y')}",
        numbers.fmt(r["referrals"], 0, status=r["referrals_status"]),
        note,
    )


def _spc_data(
    table: pd.DataFrame,
    label: str,
    shown: pd.Series,
    status: pd.Series,
    percent: bool,
    interval: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The "view as table" of a control chart, protected: each month's figure as printed
    (``shown``, in the chart's unit) or its marker (``c`` withheld); mean and limits from the
    months shown, ``x`` where a month has none (it is left out of the chart)."""
    from csdemand.present.charts import _month_label, _rule_words

    scale, d, unit = (100, 1, "%") if percent else (1, 0, "")
    t = table.reset_index(drop=True)
    st = status.reset_index(drop=True)
    data = {
        "Month": t["x"].map(_month_label).tolist(),
        label: [numbers.fmt(v, d, status=s, unit=unit) for v, s in zip(shown.reset_index(drop=True), st)],
    }
    if interval is not None:
        lo, hi = interval["lower"].reset_index(drop=True), interval["upper"].reset_index(drop=True)
        data["95% interval (Wilson)"] = [
            f"{_pct(a * 100)} to {_pct(b * 100)}" if s == "" else numbers.fmt(np.nan, status=s)
            for a, b, s in zip(lo, hi, st)
        ]
    for name, c in (("Mean", "centre"), ("Lower limit", "lower"), ("Upper limit", "upper")):
        data[name] = [numbers.fmt(v * scale, d, unit=unit) for v in t[c]]
    data["Signal"] = [_rule_words(r) if s == "" else "-" for r, s in zip(t["rules"], st)]
    return pd.DataFrame(data)


def _spc_alt(what: str, data: pd.DataFrame, label: str, n_signals: int) -> str:
    """Alt text of a protected control chart: the latest month as printed, the mean and limits of the months shown."""
    last = data.iloc[-1]
    withheld = int((data[label] == "c").sum())
    return (
        f"Control chart of {what} by month from {data['Month'].iloc[0]} to {last['Month']}. Latest {last[label]}; "
        f"mean {last['Mean']}, "
        f"process limits {last['Lower limit']} to {last['Upper limit']}. {n_signals} "
        f"month{'s' if n_signals != 1 else ''} show special-cause variation."
        + (
            f" {withheld} month{'s are' if withheld != 1 else ' is'} withheld as c (a count of 1 to 5, or a figure "
            "from which one could be worked out) and left out of the chart, its mean and its limits."
            if withheld
            else ""
        )
    )


def _footnote_html(shown: pd.DataFrame, chart: bool = False) -> str:
    """The markers footnote under a table or chart, as HTML (empty when it shows no marker)."""
    from csdemand.present.html import esc

    text = markers_footnote(shown)
    if chart and (shown == "c").to_numpy().any():
        text += " Months marked c are gaps in the chart and are left out of its mean and limits."
    return f'<p class="footnote">{esc(text)}</p>' if text else ""


def monthly_charts(loc: LocalReferrals | None):
    """The two control charts (counts XmR, domestic-abuse share p') and the signals in words.

    Withheld months are gaps in the charts and ``c`` in their tables and alt text; where the
    source does not record domestic abuse the share chart is left out and a sentence says why."""
    from csdemand.present import charts
    from csdemand.present.html import Html, bullet_list, esc

    if loc is None:
        return Html(
            '<p class="footnote">No local referrals extract is configured for this authority, so the monthly '
            "figures are not shown: they need the council's own records (see config/data.yml). The published "
            "figures below do not.</p>"
        )
    label = " (synthetic extract)" if loc.synthetic else ""
    mon = loc.monthly
    counts = charts.spc_chart(loc.counts_spc.table, "Referrals", f"Referrals per month, XmR control chart{label}")
    # The chart draws the protected series (gaps); its table and alt text are rebuilt with markers.
    counts.data = _spc_data(loc.counts_spc.table, "Referrals", mon["referrals"], mon["referrals_status"], percent=False)
    counts.alt = _spc_alt("referrals", counts.data, "Referrals", int(loc.counts_spc.table["signal"].sum()))
    parts = [counts._repr_html_(), _footnote_html(counts.data[["Referrals"]], chart=True)]
    if loc.da_recorded:
        interval = mon[["da_lower", "da_upper"]].rename(columns={"da_lower": "lower", "da_upper": "upper"})
        share = charts.spc_chart(
            loc.da_spc.table,
            "Domestic abuse share",
            f"Share of referrals with domestic abuse recorded, Laney p' chart with 95% Wilson intervals{label}",
            percent=True,
            interval=interval,
        )
        share.data = _spc_data(
            loc.da_spc.table, "Domestic abuse share", mon["da_pct"], mon["da_status"], percent=True, interval=interval
        )
        share.alt = _spc_alt(
            "the share of referrals with domestic abuse recorded",
            share.data,
            "Domestic abuse share",
            int(loc.da_spc.table["signal"].sum()),
        )
        parts += [share._repr_html_(), _footnote_html(share.data.drop(columns=["Month", "Signal"]), chart=True)]
    else:
        parts.append(f'<p class="note">{esc(DA_NOT_RECORDED.format(source=loc.source_name))}</p>')
    words = bullet_list(loc.signals, "What the control charts show", level=3)
    return Html("".join(parts) + words.markup)


def reconciliation_section(loc: LocalReferrals | None, p: PublishedReferrals):
    """Reconciliation table (withheld figures ``c``, with a footnote), or a note when there is no extract."""
    from csdemand.present.html import Html, show_table

    if loc is None or loc.annual.empty:
        return Html(
            '<p class="footnote">No local extract with a complete reporting year was supplied, so there is nothing '
            "to reconcile.</p>"
        )
    table = reconciliation_table(reconciliation(loc.annual, p))
    return Html(
        show_table(table, "Local extract against DfE's published referrals, complete reporting years").markup
        + _footnote_html(table.drop(columns=["Year"]))
    )


def headlines(p: PublishedReferrals, loc: LocalReferrals | None) -> list[tuple[str, str, str]]:
    """Headline tiles for the referrals briefing; a withheld figure reads as its marker in words."""
    from csdemand.present.html import fmt_number

    r, rr = p.rate, p.rereferral
    if r.status:
        rate_note = f"{p.period}: not published for {p.la.name}"
    elif r.rebased:
        rate_note = (
            f"England {numbers.fmt(r.england_value, r.decimals)}; re-based, DfE printed "
            f"{numbers.fmt(r.published_value, r.decimals)}"
        )
    else:
        rate_note = f"England {numbers.fmt(r.england_value, r.decimals)}{'; computed here' if r.computed else ''}"
    tiles = [
        (
            f"Referrals, year to March {p.period}",
            fmt_number(p.referrals, status=p.referrals_status, noun="referrals"),
            p.la.name,
        ),
        ("Per 10,000 children", fmt_number(r.value, r.decimals, status=r.status, noun="referrals"), rate_note),
        (
            "Re-referrals within 12 months",
            fmt_number(rr.value, rr.decimals, status=rr.status, unit="%", noun="referrals"),
            f"England {numbers.fmt(rr.england_value, rr.decimals, unit='%')}; lower is better",
        ),
    ]
    if p.da:
        da = p.da["da_parent_pct"]
        tiles.append(
            (
                f"Domestic abuse (parent), {p.da_period}",
                fmt_number(da.value, da.decimals, status=da.status, unit="%", noun="assessments"),
                f"of assessments with a factor; England {numbers.fmt(da.england_value, da.decimals, unit='%')}",
            )
        )
    if loc is not None:
        tiles.append(local_headline(loc))  # protected: c with the reason when the month is withheld
    return tiles


def figures(p: PublishedReferrals) -> list:
    """The headline figures as data (:class:`csdemand.present.Figure`) for the JSON record."""
    from csdemand.present.html import Figure

    common = dict(area_code=p.la.area_code, la_number=p.la.la_number)

    def fig(mb: benchmarks.MeasureBenchmark, unit: str) -> Figure:
        t = mb.travel.set_index("span_years")
        return Figure(
            mb.measure,
            period=str(mb.period),
            value=mb.value,
            status=mb.status,
            label=codes.measure(mb.measure)["label"],
            unit=unit,
            comparators={
                "neighbours_mean": mb.neighbour_average.mean,
                "neighbours_median": mb.neighbour_average.median,
                "region": mb.region_value,
                "england": mb.england_value,
                "published": mb.published_value,
            },
            flags={
                "rank": f"{mb.rank} of {mb.n_ranked}" if mb.rank and not mb.status else "",
                "band": mb.band.band,
                "rebased": "yes" if mb.rebased else "",
                "change_1y": t.loc[1, "direction"] if 1 in t.index else "",
            },
            **common,
        )

    out = [
        Figure(
            "referrals",
            period=str(p.period),
            value=p.referrals,
            status=p.referrals_status,
            label=codes.measure("referrals")["label"],
            unit="referrals",
            **common,
        ),
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

    shown = p.data[
        p.data["measure"].isin([RATE, REREFERRAL, "referrals", *DA_MEASURES]) & (p.data["period"] <= p.period)
    ]
    sources = sources_used(shown) + [
        {
            "id": "ons_pop_2024",
            **{
                k: v
                for k, v in codes.sources().loc["ons_pop_2024"].items()
                if k in ("title", "publisher", "published", "licence", "url")
            },
        },
        codes.neighbour_source(p.model),
    ]
    if loc is not None:
        sources.append(
            {
                "id": "local",
                "title": f"Local referrals: {loc.path.name if loc.path.suffix else loc.path}"
                + (" (SYNTHETIC: not real children)" if loc.synthetic else ""),
                "publisher": "Council",
                "published": loc.month,
                "licence": "",
                "url": "",
            }
        )
    return Provenance(
        title=f"Referrals and domestic abuse: {p.la.name}, {p.period}",
        subtitle=(
            "Referrals to children's social care, re-referrals and domestic abuse as a factor, against "
            "statistical neighbours, the region and England"
        ),
        parameters={
            **parameters,
            "resolved period": p.period,
            **({"local extract up to": loc.month} if loc is not None else {}),
            **({"statistical neighbour model used": p.model} if p.model != p.model_requested else {}),
        },
        sources=sources,
        notes=[
            "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department "
            "for Education; Office for National Statistics."
        ],
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
    return charts.trend_chart(
        mb.comparison,
        p.la.name,
        p.la.region_name,
        label,
        mb.computed_periods,
        decimals=mb.decimals,
        rebased_periods=mb.rebased_periods,
        la_statuses=statuses,
    )
