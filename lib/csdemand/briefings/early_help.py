"""Early help demand: every figure of the early help briefing, computed in one place.

There is no national publication of early help: the briefing reads the council's own extract
(record level, or a pre-aggregated monthly table: :mod:`csdemand.local.early_help`). Only monthly
and annual aggregates leave this module, and every one of them passes disclosure control first:

* **A month of 1 to 5 requests** is shown as ``c`` and never plotted, and no figure on the page
  depends on its true count: the control chart leaves it out (as a missing month: its mean,
  limits and signals come from the other months), and the methods that need every month (the
  change in level and trend, the seasonal pattern, the forecast) count it as 3 (:data:`IMPUTED`,
  the middle of the withheld range). However precisely those figures are printed, none can be
  worked back to the true count, and a small authority still gets them. An average over months
  that include a withheld month (the latest three, the three before the change date, the same
  months a year earlier) is withheld too: it would be an estimate, not the council's count.
* **A year's total** (the step-ups table, the total behind the hub and reason mix) is withheld
  when any of its months is: with the other months shown, it would give the withheld one away.
* **The hub and reason mix** is protected as a table of counts with its totals
  (:func:`csdemand.core.disclosure.protect_table`: primary suppression of 1 to 5, then secondary
  suppression until no withheld count can be worked out from the rest); a share is shown only
  where its count is, and a year with a withheld month is withheld whole (its shares, printed to
  0.1%, would pin down its total).
* **Step-ups**: a count of 1 to 5 is withheld, and so is a percentage whose part or base is.

Fields the source does not record (Annex A List 2 has no hub, reason or outcome) leave the
sections that need them out, with a sentence saying why: never a zero, never "100% Central".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import disclosure
from csdemand.core.errors import InputError
from csdemand.core.numbers import change_as_printed, fmt, marker_words, pct_change_as_printed
from csdemand.core.periods import reporting_years
from csdemand.local import early_help as ehd
from csdemand.methods import spc, trends
from csdemand.published import areas as areas_mod

EXTRACT_STEM = "early_help_requests"
MEASURE = "early_help_requests"  # reference/measures.csv: polarity "neither"
ITS_MONTHS_AFTER = 15  # months after the change month that the interrupted time series uses
FORECAST_FROM = 15  # months after the change month the forecast is fitted from (with 36 months of the new regime)
DEFAULT_CHANGE = "2020-03-23"  # the first national lockdown: schools closed to most pupils
WINDOW = 3  # months in each comparison window
IMPUTED = 3.0  # a withheld month (1 to 5 requests) is analysed as 3, the middle of the range
C_FOOTNOTE = (
    "c: withheld to protect confidentiality (a count of 1 to 5, or a figure from which one could be worked out)."
)

#: The sections a briefing may leave out, for the notes that say why.
SECTIONS = ("step", "same_months", "its", "seasonal", "forecast", "hub", "reason", "outcomes")


@dataclass(frozen=True)
class Mix:
    """Requests by a category (hub or reason) per reporting year, after disclosure control.

    ``counts``: years (labels such as "2025" or "2026 (part)") x categories, NaN where withheld;
    ``status``: the same shape plus ``Total``, "" or "c"; ``totals``: each year's total (NaN where
    withheld); ``shares``: % of the year's total, NaN where the count is withheld."""

    by: str
    counts: pd.DataFrame
    totals: pd.Series
    status: pd.DataFrame
    shares: pd.DataFrame


@dataclass
class EarlyHelp:
    """Monthly early help requests up to the reporting month, and what the methods make of them.

    ``series`` is the monthly count as every method sees it (a withheld month counted as
    :data:`IMPUTED`); ``withheld`` marks those months; :meth:`shown` is what a page may print.
    Optional results are None when the data cannot support them, with the reason in ``notes``.
    """

    la: areas_mod.LocalAuthority
    path: Path
    label: str
    synthetic: bool
    layout: str
    month: pd.Period
    change: pd.Period | None
    series: pd.Series
    withheld: pd.Series
    polarity: str
    xmr: spc.SpcResult
    before_after: trends.BeforeAfter | None
    same_months: trends.SameMonths | None
    its: trends.ItsResult | None
    seasonal: trends.Seasonal | None
    forecast: trends.Forecast | None
    by_hub: Mix | None
    by_reason: Mix | None
    outcomes: pd.DataFrame | None
    not_recorded: frozenset = frozenset()
    notes: dict[str, str] = field(default_factory=dict)
    source_notes: list[str] = field(default_factory=list)
    recalculated_at: list[pd.Period] = field(default_factory=list)

    def shown(self) -> pd.Series:
        """The monthly counts as a page may show them: NaN where withheld."""
        return self.series.where(~self.withheld)

    def window_withheld(self, start: pd.Period, end: pd.Period) -> bool:
        """True when any month from ``start`` to ``end`` is withheld."""
        return bool(self.withheld[(self.withheld.index >= start) & (self.withheld.index <= end)].any())


# --------------------------------------------------------------------------- reading and analysis


def resolve_month(series: pd.Series, period: str) -> pd.Period:
    """``latest`` (the last full month), ``YYYY-MM``, or a reporting year ``YYYY`` (its March)."""
    text = str(period).strip().lower()
    last = series.index.max()
    if text in ("latest", "", "none"):
        return last
    try:
        month = pd.Period(f"{text}-03" if len(text) == 4 else text, freq="M")
    except ValueError:
        raise InputError(
            "not a month", column="period", value=period, expected="a month such as 2021-06, a year, or 'latest'"
        ) from None
    if month < series.index.min() or month > last:
        raise InputError(
            f"month {month} is not in the extract",
            column="period",
            value=period,
            expected=f"a month from {series.index.min()} to {last}",
        )
    return month


def change_month(change_date: str | None) -> pd.Period | None:
    """The month of the change date (``2020-03-23`` -> March 2020); None for "" or "none"."""
    text = "" if change_date is None else str(change_date).strip()
    if text.lower() in ("", "none"):
        return None
    try:
        return pd.Period(pd.Timestamp(text), freq="M")
    except (ValueError, TypeError):
        raise InputError(
            "not a date", column="change_date", value=change_date, expected="a date such as 2020-03-23, or '' for none"
        ) from None


def protect_months(counts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``(analysed, withheld)``: a month of 1 to 5 requests is withheld and analysed as
    :data:`IMPUTED` (3); every other month as counted. ``counts`` is indexed by month."""
    _, status = disclosure.suppress_counts(counts.astype(float))
    withheld = (status == "c").astype(bool).rename("withheld")
    analysed = counts.astype(float).where(~withheld, IMPUTED).rename("requests")
    return analysed, withheld


def analyse(
    extract: str,
    la: str,
    period: str = "latest",
    change_date: str = DEFAULT_CHANGE,
    horizon: int = 12,
    recalculate_at: str = "",
) -> EarlyHelp:
    """Read the extract and compute every figure for the briefing.

    ``change_date``: the known change the step analysis tests (default the first national
    lockdown); the control limits are recalculated from its month. When it lies outside the
    extract, or is "", the comparison with the months before it and the change in level are left
    out, with a sentence saying why. ``recalculate_at``: comma-separated further months where
    the analyst asks for new control limits (a sustained shift they accept as the new normal).
    ``horizon``: months to forecast (0 for no forecast).
    """
    from csdemand.local.sources import read_records

    auth = areas_mod.resolve(la)
    if extract.strip().lower() not in ("config", "sample", "") and not Path(extract).exists():
        raise InputError(
            "no early help extract",
            file=extract,
            expected="a requests extract or monthly table (see README), or 'config' for the source in config/data.yml",
        )
    got = read_records(extract, auth, "early_help_requests")
    if got is None:
        raise InputError(
            f"no early help data configured for {auth.name}",
            file="config/data.yml",
            column="tables.early_help_requests",
            expected="a source for this authority (see README, 'Your own data')",
        )
    df, label, synthetic = got.frame, got.label, got.synthetic
    if df.empty:
        raise InputError("the extract has no rows", file=label, expected="at least one request or month")
    layout = ehd.layout(df)
    not_recorded = ehd.unrecorded(df, getattr(got, "not_recorded", frozenset()))
    full = ehd.full_months(ehd.monthly_totals(df))
    if full.empty:
        raise InputError(
            "the extract has no full month: its only month is the one in progress",
            file=label,
            expected="requests in at least one month before this one",
        )
    month = resolve_month(full, period)
    counts = full[full.index <= month]
    series, withheld = protect_months(counts)
    polarity = _polarity()
    notes: dict[str, str] = {}

    change = change_month(change_date)
    first, last = series.index[0], series.index[-1]
    in_extract = change is not None and first < change <= last
    if change is None:
        notes["step"] = (
            "No change date was given, so the comparison with the months before a change and the change in level are "
            "left out."
        )
    elif not in_extract:
        notes["step"] = (
            f"The change date ({_label(change)}) is outside the months of the extract ({_label(first)} to "
            f"{_label(last)}), so the "
            "comparison with the months before it and the change in level at that date are left out."
        )

    # Limits are recalculated at the change date by default (a known change of process), and
    # wherever the analyst asks; months after the reporting month are ignored.
    restarts = [change] if in_extract else []
    for m in recalculate_at.split(","):
        if m.strip():
            try:
                p = pd.Period(m.strip(), freq="M")
            except ValueError:
                raise InputError(
                    "not a month", column="recalculate_at", value=m, expected="months such as 2021-04, comma-separated"
                ) from None
            if p < first:
                raise InputError(
                    f"month {p} is before the extract starts",
                    column="recalculate_at",
                    value=m,
                    expected=f"a month from {first} to {last}",
                )
            if first < p <= last and p not in restarts:
                restarts.append(p)
    restarts.sort()
    # A withheld month is left out of the control chart (its mean, limits and runs), as a missing
    # month is: nothing there depends on it, and no signal is claimed for it.
    xmr = spc.xmr(series.where(~withheld), phases=restarts or None, polarity=polarity)

    before_after = None
    if in_extract:
        try:
            before_after = trends.before_after(series, change, end=month, months=WINDOW)
        except InputError as exc:
            notes["step"] = f"The comparison with the months before {_label(change)} is left out: {exc.message}."
    same_months = None
    try:
        same_months = trends.same_months_last_year(series, end=month, months=WINDOW)
    except InputError as exc:
        notes["same_months"] = f"The comparison with the same months a year earlier is left out: {exc.message}."

    its = None
    if in_extract:
        try:
            # Up to 15 months after the change: later growth is not the change's doing, and the
            # estimate should not move as months are added years later.
            its = trends.interrupted_time_series(series[series.index <= change + ITS_MONTHS_AFTER], change)
        except InputError as exc:
            notes["its"] = f"The change in level and trend at {_label(change)} is not estimated: {exc.message}."
    seasonal = None
    try:
        seasonal = trends.seasonal_profile(series)
    except InputError as exc:
        notes["seasonal"] = f"The seasonal pattern is left out: {exc.message} (two full years are needed)."
    forecast = None
    # Forecast from the new level once 36 months of it exist: the months before the recovery
    # from the first lockdown are a different regime.
    exclude = (change + FORECAST_FROM) if in_extract and (last - (change + FORECAST_FROM)).n >= 36 else None
    if horizon == 0:
        notes["forecast"] = "No forecast was asked for (a horizon of 0 months)."
    else:
        try:
            forecast = trends.forecast(series, horizon=horizon, exclude_before=exclude)
        except InputError as exc:
            notes["forecast"] = f"The forecast is left out: {exc.message}."

    by_hub = by_reason = outcomes = None
    for col in ("hub", "reason"):
        if col in not_recorded:
            notes[col] = (
                f"{_not_recorded_words(label, layout, df, col)}, so the mix by {_field_words(col)} is left out."
            )
            continue
        table = ehd.monthly_by(df, col)
        mix = protect_mix(table[table.index <= month], withheld, col)
        by_hub, by_reason = (mix, by_reason) if col == "hub" else (by_hub, mix)
    if "outcome" in not_recorded:
        notes["outcomes"] = (
            f"{_not_recorded_words(label, layout, df, 'outcome')}, so step-ups to children's social care are left out."
        )
    else:
        cut = df[df["date_received"] < (month + 1).to_timestamp()]
        outcomes = protect_outcomes(ehd.outcomes(cut), withheld)

    return EarlyHelp(
        la=auth,
        path=Path(label),
        label=label,
        synthetic=synthetic,
        layout=layout,
        month=month,
        change=change if in_extract else None,
        series=series,
        withheld=withheld,
        polarity=polarity,
        xmr=xmr,
        before_after=before_after,
        same_months=same_months,
        its=its,
        seasonal=seasonal,
        forecast=forecast,
        by_hub=by_hub,
        by_reason=by_reason,
        outcomes=outcomes,
        not_recorded=not_recorded,
        notes=notes,
        recalculated_at=restarts,
        # what the reader says about the source (Annex A: assessments by child, not requests by
        # family), without its notes on placeholders: the sections left out say that themselves
        source_notes=[str(n) for n in df.attrs.get("notes", []) if "every assessment" not in str(n)],
    )


def _polarity() -> str:
    from csdemand.core import codes

    return str(codes.measure(MEASURE)["polarity"])


def _not_recorded_words(label: str, layout: str, df: pd.DataFrame, col: str) -> str:
    """Why a field is missing, in a clause: "The monthly table has no hub column"."""
    if layout == ehd.MONTHLY:
        if col == "outcome":
            return "A table counted by month holds no outcomes"
        return f"The monthly table has no {col} column"
    annex = (
        "annex" in label.lower()
        or "list 2" in label.lower()
        or any("Annex A" in str(n) for n in df.attrs.get("notes", []))
    )
    source = "The source (Ofsted's Annex A List 2)" if annex else "The source"
    what = {
        "hub": "which hub took each request",
        "reason": "the main reason for each request",
        "outcome": "what happened to each request",
    }[col]
    return f"{source} does not record {what}"


def _field_words(col: str) -> str:
    return {"hub": "hub", "reason": "main reason", "outcome": "outcome"}[col]


# --------------------------------------------------------------------------- disclosure control


def _year_labels(months: pd.PeriodIndex) -> pd.Series:
    """Reporting year (ending 31 March) of each month."""
    return pd.Series(reporting_years(pd.Series(months)).to_numpy(), index=months)


def withheld_years(withheld: pd.Series) -> set[int]:
    """Reporting years with a withheld month: their totals would give the month away."""
    years = _year_labels(withheld.index)
    return set(int(y) for y in years[withheld.to_numpy()].unique())


def protect_mix(monthly: pd.DataFrame, withheld: pd.Series, by: str) -> Mix:
    """Requests by ``by`` per reporting year (months x categories, as ``monthly_by`` gives them),
    protected as a table printed with its totals: counts of 1 to 5 withheld, then secondary
    suppression (:func:`disclosure.protect_table`); a year with a withheld month (see
    :func:`withheld_years`) withheld whole, total and shares; shares only where the count is shown."""
    years = _year_labels(monthly.index)
    annual = monthly.groupby(years.to_numpy()).sum()
    n_months = years.value_counts()
    cats = [c for c in annual.columns if annual[c].sum() > 0] or list(annual.columns)
    annual = annual[cats].astype(float)
    annual["Total"] = annual.sum(axis=1)
    protected, status = disclosure.protect_table(annual, cats, total_col="Total")
    hidden = withheld_years(withheld)
    for y in annual.index:
        if int(y) in hidden:
            # The shares would give the total away (only one total near the shown months' sum
            # fits every share as printed), and with it the withheld month: withhold the year.
            status.loc[y, :] = "c"
    totals = annual["Total"].where(status["Total"] == "")
    shares = annual[cats].div(annual["Total"].where(annual["Total"] > 0), axis=0) * 100
    shares = shares.where(status[cats] == "")
    counts = protected[cats].where(status[cats] == "")
    labels = [f"{y}" if n_months.get(y, 0) == 12 else f"{y} (part)" for y in annual.index]
    for frame in (counts, status, shares):
        frame.index = labels
    totals.index = labels
    return Mix(by=by, counts=counts, totals=totals, status=status, shares=shares)


def protect_outcomes(o: pd.DataFrame, withheld: pd.Series) -> pd.DataFrame:
    """Step-ups by reporting year with disclosure control: ``requests_status``,
    ``stepped_up_status`` and ``pct_status`` ("" or "c"). A year's requests are withheld where one
    of its months is (or the total is 1 to 5); step-ups of 1 to 5 are withheld; the percentage is
    withheld where its part (step-ups) or its base (requests, or requests with an outcome) is."""
    out = o.copy()
    hidden = withheld_years(withheld)
    _, req_st = disclosure.suppress_counts(out["requests"].astype(float))
    _, rec_st = disclosure.suppress_counts(out["outcome_recorded"].astype(float))
    _, up_st = disclosure.suppress_counts(out["stepped_up"].astype(float))
    out["requests_status"] = np.where((req_st == "c") | out["period"].isin(hidden).to_numpy(), "c", "")
    out["stepped_up_status"] = np.where(up_st == "c", "c", "")
    base_hidden = (out["requests_status"] == "c") | (rec_st == "c")
    out["pct_status"] = np.where((out["stepped_up_status"] == "c") | base_hidden, "c", "")
    out["requests"] = out["requests"].astype(float).where(out["requests_status"] == "")
    out["stepped_up"] = out["stepped_up"].astype(float).where(out["stepped_up_status"] == "")
    out["stepped_up_pct"] = out["stepped_up_pct"].where(out["pct_status"] == "")
    return out


# --------------------------------------------------------------------------- wording helpers


def _label(p: pd.Period) -> str:
    return p.strftime("%B %Y")


def _span(a: pd.Period, b: pd.Period) -> str:
    return trends.month_span(a, b)


def change_name(change: pd.Period | None) -> str:
    """ "the first national lockdown (March 2020)", or "the change date (May 2022)"."""
    if change is None:
        return "the change date"
    return f"{change_event(change)} ({_label(change)})"


def change_event(change: pd.Period | None) -> str:
    """ "the first national lockdown" for March 2020, else "the change date"."""
    return "the first national lockdown" if change == pd.Period("2020-03", freq="M") else "the change date"


def _n(v: float, status: str = "", decimals: int = 0) -> str:
    return fmt(v, decimals, status=status)


def _words(v: float, status: str = "", decimals: int = 0) -> str:
    """A figure in a sentence: the number, or the marker in words."""
    if status or pd.isna(v):
        return marker_words(status or "x", noun="requests")
    return fmt(v, decimals)


def mean_decimals(*values: float) -> int:
    """Places a monthly average is printed to: 0 from 100 up, else 1 (13 against 7 would read
    86% more; 13.0 against 6.7 reads the 94% the figures hold). As the key messages print them."""
    finite = [abs(v) for v in values if v is not None and np.isfinite(v)]
    return 0 if finite and max(finite) >= 100 else 1


def _mean_status(e: EarlyHelp, start: pd.Period, end: pd.Period) -> str:
    return "c" if e.window_withheld(start, end) else ""


# --------------------------------------------------------------------------- what the briefing shows


def latest_three(e: EarlyHelp) -> tuple[float, str, pd.Period, pd.Period]:
    """(mean, status, first month, last month) of the latest three months (or fewer if the
    extract is shorter)."""
    window = e.series.iloc[-WINDOW:]
    a, b = window.index[0], window.index[-1]
    status = _mean_status(e, a, b)
    return (np.nan if status else float(window.mean())), status, a, b


def headlines(e: EarlyHelp) -> list[tuple[str, str, str]]:
    """Headline tiles: plain words, no model names."""
    last_status = "c" if bool(e.withheld.iloc[-1]) else ""
    mean3, st3, a3, b3 = latest_three(e)
    ba = e.before_after
    d = mean_decimals(mean3, *((ba.before_mean, ba.after_mean) if ba is not None else ()))
    tiles = [
        (
            f"Requests in {e.month.strftime('%b %Y')}",
            _n(e.series.iloc[-1], last_status),
            "local extract" + (" (synthetic)" if e.synthetic else ""),
        ),
        (f"Average a month, latest {len(e.series.iloc[-WINDOW:])} months", _n(mean3, st3, d), f"{_span(a3, b3)}"),
    ]
    if ba is not None:
        st_before = _mean_status(e, ba.before_start, ba.before_end)
        st_after = _mean_status(e, ba.after_start, ba.after_end)
        st_change = "c" if (st_before or st_after) else ""
        tiles += [
            (
                f"Before {e.change.strftime('%B %Y')}",
                _n(ba.before_mean, st_before, d),
                f"a month, {_span(ba.before_start, ba.before_end)}",
            ),
            (
                "Change",
                st_change or fmt(pct_change_as_printed(ba.after_mean, ba.before_mean, d), 0, unit="%", sign=True),
                f"{_span(ba.after_start, ba.after_end)} against {_span(ba.before_start, ba.before_end)}",
            ),
        ]
    sm = e.same_months
    if sm is not None:
        st = "c" if (e.window_withheld(sm.start, sm.end) or e.window_withheld(sm.prior_start, sm.prior_end)) else ""
        ds = mean_decimals(sm.mean, sm.prior_mean)
        tiles.append(
            (
                "Against the same months a year earlier",
                st or fmt(pct_change_as_printed(sm.mean, sm.prior_mean, ds), 0, unit="%", sign=True),
                f"{_span(sm.start, sm.end)} against {_span(sm.prior_start, sm.prior_end)}",
            )
        )
    if e.forecast is not None:
        fc = e.forecast.forecast
        tiles.append(
            (
                f"Forecast, next {len(fc)} months",
                fmt(fc["mean"].sum()),
                f"about {fmt(fc['mean'].mean())} a month; each month's range in the forecast table",
            )
        )
    return tiles


def key_messages(e: EarlyHelp) -> list[str]:
    """Key messages generated from the numbers, in plain words (model names are in the methods)."""
    msgs = []
    ba = e.before_after
    if ba is not None:
        before, after = _span(ba.before_start, ba.before_end), _span(ba.after_start, ba.after_end)
        if e.window_withheld(ba.before_start, ba.before_end) or e.window_withheld(ba.after_start, ba.after_end):
            msgs.append(
                f"The comparison of {after} with {before}, before {change_name(e.change)}, is withheld: one of those "
                "months had 1 to 5 requests."
            )
        else:
            text = trends.describe_before_after(ba, "requests").rstrip(".")
            same_season = [m.month for m in pd.period_range(ba.before_start, ba.before_end, freq="M")] == [
                m.month for m in pd.period_range(ba.after_start, ba.after_end, freq="M")
            ]
            season = "" if same_season else ": different times of year, so part of the difference can be seasonal"
            msgs.append(f"{text} ({change_event(e.change)}; {after} against {before}{season}).")
    sm = e.same_months
    if sm is not None:
        if e.window_withheld(sm.start, sm.end) or e.window_withheld(sm.prior_start, sm.prior_end):
            msgs.append(
                f"The comparison of {_span(sm.start, sm.end)} with the same months a year earlier is withheld: one "
                "of those months had 1 to 5 requests."
            )
        else:
            text = trends.describe_same_months(sm, "requests")
            if e.change is not None and sm.prior_start <= e.change + 2 and sm.prior_end >= e.change:
                text += f" Those earlier months were the first after {change_name(e.change)}."
            msgs.append(text)
    msgs.append(spc_message(e))
    if e.its is not None:
        its = e.its
        lo, hi = its.level_ci
        slo, shi = its.slope_ci
        level_sig = lo > 0 or hi < 0
        slope_sig = slo > 0 or shi < 0
        msgs.append(
            "Allowing for the trend before and for the time of year, the level "
            f"{'rose' if its.level_change > 0 else 'fell'} by "
            f"{fmt(abs(its.level_change))} a month at {_label(e.change)} (95% interval {fmt(lo, sign=True)} to "
            f"{fmt(hi, sign=True)}"
            f"{'' if level_sig else ', not distinguishable from no change'}) and the trend then "
            f"{'rose' if its.slope_change > 0 else 'fell'} by "
            f"{fmt(abs(its.slope_change), 1)} requests a month each month relative to before (95% interval "
            f"{fmt(slo, 1, sign=True)} to {fmt(shi, 1, sign=True)}"
            f"{'' if slope_sig else ', not distinguishable from no change'})."
        )
    if e.seasonal is not None:
        high, low = [_full_month(m) for m in e.seasonal.high], [_full_month(m) for m in e.seasonal.low]
        holidays = " (school holidays)" if "August" in low else ""
        msgs.append(f"Requests run highest in {' and '.join(high)} and lowest in {' and '.join(low)}{holidays}.")
    if e.forecast is not None:
        fc = e.forecast.forecast
        first, last = fc.iloc[0], fc.iloc[-1]
        msgs.append(
            f"If the pattern holds, about {fmt(fc['mean'].sum())} requests are expected in the next {len(fc)} months, "
            f"{fmt(fc['mean'].mean())} a month on average; each month's 95% range widens from "
            f"{fmt(first['lower_95'])}-{fmt(first['upper_95'])} "
            f"in {_label(fc.index[0])} to {fmt(last['lower_95'])}-{fmt(last['upper_95'])} in {_label(fc.index[-1])}."
        )
    if e.outcomes is not None and not e.outcomes.empty:
        o = e.outcomes[e.outcomes["complete"]].iloc[-1] if e.outcomes["complete"].any() else e.outcomes.iloc[-1]
        year = f"the year to March {int(o['period'])}" + ("" if o["complete"] else " (so far)")
        if o["stepped_up_status"] or o["pct_status"]:
            msgs.append(
                f"In {year}, the number of requests stepped up to children's social care is withheld: "
                f"{marker_words('c', 'requests')}."
            )
        else:
            base = "" if o["outcome_recorded"] == o["requests"] else " of those with an outcome recorded"
            msgs.append(
                f"In {year}, {fmt(o['stepped_up'])} requests ({fmt(o['stepped_up_pct'], 1)}%{base}) were stepped up "
                "to children's social care."
            )
    return msgs


def spc_message(e: EarlyHelp) -> str:
    """What the control chart says about the latest month, in plain words."""
    t = e.xmr.table
    phase = t["phase"].iloc[-1]
    current = t[t["phase"] == phase]
    since = current["x"].iloc[0]
    shown = ~e.withheld.reindex(current["x"]).to_numpy()
    special = int(((current["variation"] != "common_cause").to_numpy() & shown).sum())
    last = t.iloc[-1]
    reset = (
        f"With control limits set afresh from {_label(since)}"
        + (f" ({change_event(e.change)})" if e.change is not None and since == e.change else "")
        if phase > 1
        else "On the control chart"
    )
    latest = _label(last["x"])
    if bool(e.withheld.iloc[-1]):
        state = "withheld (1 to 5 requests)"
    elif last["variation"] == "common_cause":
        state = "within the expected range (common-cause variation)"
    else:
        word = "above" if last["side"] == "high" else "below"
        state = f"a signal {word} the usual range: {spc.VARIATION_WORDS[last['variation']]}"
    count = (
        f"{special} of the {int(shown.sum())} months{' since then' if phase > 1 else ''} "
        f"show{'s' if shown.sum() == 1 else ''} special-cause variation"
    )
    meaning = (
        " (neither more nor fewer requests is in itself good or bad)" if e.polarity == "neither" and special else ""
    )
    return f"{reset}, {count}{meaning}; the latest month, {latest}, is {state}."


def _full_month(abbrev: str) -> str:
    return (
        pd.Timestamp(f"2001-{trends.MONTHS.index(abbrev) + 1:02d}-01").strftime("%B")
        if abbrev in trends.MONTHS
        else abbrev
    )


def figures(e: EarlyHelp) -> list:
    """The headline figures as data for the JSON record beside the page."""
    from csdemand.present.html import Figure

    area, period = e.la.area_code, str(e.month)
    last_st = "c" if bool(e.withheld.iloc[-1]) else ""
    mean3, st3, _, _ = latest_three(e)
    last = e.xmr.table.iloc[-1]
    out = [
        Figure(
            "early_help_requests",
            area,
            period,
            None if last_st else float(e.series.iloc[-1]),
            last_st,
            "Requests in the month",
            "requests",
            e.la.la_number,
            flags={"spc": "" if last_st else str(last["variation"])},
        ),
        Figure(
            "early_help_requests_3m_mean",
            area,
            period,
            None if st3 else mean3,
            st3,
            "Average a month, latest 3 months",
            "requests a month",
            e.la.la_number,
        ),
    ]
    ba = e.before_after
    if ba is not None:
        st = (
            "c"
            if (e.window_withheld(ba.before_start, ba.before_end) or e.window_withheld(ba.after_start, ba.after_end))
            else ""
        )
        out.append(
            Figure(
                "early_help_change_since_baseline_pct",
                area,
                period,
                None if st else ba.pct_change,
                st,
                f"Change against {_span(ba.before_start, ba.before_end)}",
                "%",
                e.la.la_number,
                comparators={"baseline_mean": None if st else ba.before_mean},
            )
        )
    sm = e.same_months
    if sm is not None:
        st = "c" if (e.window_withheld(sm.start, sm.end) or e.window_withheld(sm.prior_start, sm.prior_end)) else ""
        out.append(
            Figure(
                "early_help_change_same_months_pct",
                area,
                period,
                None if st else sm.pct_change,
                st,
                f"Change against {_span(sm.prior_start, sm.prior_end)}",
                "%",
                e.la.la_number,
                comparators={"same_months_last_year_mean": None if st else sm.prior_mean},
            )
        )
    return out


# --------------------------------------------------------------------------- tables


def _with_footnote(table_html: str, cells: list[str]) -> str:
    note = f'<p class="footnote">{C_FOOTNOTE}</p>' if any(str(c) == "c" for c in cells) else ""
    return table_html + note


def _note(text: str):
    from csdemand.present.html import Html, esc

    return Html(f'<p class="footnote">{esc(text)}</p>' if text else "")


def _show(df: pd.DataFrame, caption: str):
    from csdemand.present.html import Html, table_html

    return Html(_with_footnote(table_html(df, caption), df.astype(str).to_numpy().ravel().tolist()))


def _join(*parts):
    from csdemand.present.html import Html

    return Html("".join(p._repr_html_() for p in parts))


def _chart(chart):
    """A chart with the ``c`` footnote when its "view as table" withholds a cell."""
    from csdemand.present.html import Html

    cells = chart.data.astype(str).to_numpy().ravel().tolist() if hasattr(chart, "data") else []
    return Html(_with_footnote(chart._repr_html_(), cells))


def before_after_table(e: EarlyHelp) -> pd.DataFrame:
    """The before/after comparison with each month shown (``c`` where withheld)."""
    ba = e.before_after
    shown = e.shown()
    rows = [(m, "before") for m in pd.period_range(ba.before_start, ba.before_end, freq="M")]
    rows += [(m, "latest") for m in pd.period_range(ba.after_start, ba.after_end, freq="M")]
    out = pd.DataFrame(
        {
            "Window": [
                f"Before {_label(ba.change_month)}" if w == "before" else "Latest three months" for _, w in rows
            ],
            "Month": [_label(m) for m, _ in rows],
            "Requests": [_n(shown[m], "c" if bool(e.withheld[m]) else "") for m, _ in rows],
        }
    )
    st_b = _mean_status(e, ba.before_start, ba.before_end)
    st_a = _mean_status(e, ba.after_start, ba.after_end)
    change = (
        "c"
        if (st_b or st_a)
        else (
            f"{fmt(change_as_printed(ba.after_mean, ba.before_mean, 1), 1, sign=True)} "
            f"({fmt(pct_change_as_printed(ba.after_mean, ba.before_mean, 1), 1, unit='%', sign=True)})"
        )
    )
    summary = pd.DataFrame(
        {
            "Window": ["Average before", "Average latest", "Change"],
            "Month": [_span(ba.before_start, ba.before_end), _span(ba.after_start, ba.after_end), ""],
            "Requests": [_n(ba.before_mean, st_b, 1), _n(ba.after_mean, st_a, 1), change],
        }
    )
    return pd.concat([out, summary], ignore_index=True)


def same_months_table(e: EarlyHelp) -> pd.DataFrame:
    """The latest three months against the same months a year earlier."""
    sm = e.same_months
    shown = e.shown()
    now = pd.period_range(sm.start, sm.end, freq="M")
    out = pd.DataFrame(
        {
            "Month": [m.strftime("%B") for m in now],
            str(sm.end.year) if sm.start.year == sm.end.year else "Latest": [
                _n(shown[m], "c" if bool(e.withheld[m]) else "") for m in now
            ],
            "A year earlier": [_n(shown[m - 12], "c" if bool(e.withheld[m - 12]) else "") for m in now],
        }
    )
    st_now = _mean_status(e, sm.start, sm.end)
    st_then = _mean_status(e, sm.prior_start, sm.prior_end)
    change = (
        "c"
        if (st_now or st_then)
        else (
            f"{fmt(change_as_printed(sm.mean, sm.prior_mean, 1), 1, sign=True)} "
            f"({fmt(pct_change_as_printed(sm.mean, sm.prior_mean, 1), 1, unit='%', sign=True)})"
        )
    )
    summary = pd.DataFrame(
        {
            "Month": ["Average a month", "Change"],
            out.columns[1]: [_n(sm.mean, st_now, 1), change],
            "A year earlier": [_n(sm.prior_mean, st_then, 1), ""],
        }
    )
    return pd.concat([out, summary], ignore_index=True)


def comparison_section(e: EarlyHelp):
    """The before/after table (the comparison leaders quote) and, beside it, the same months a
    year earlier; or the sentences saying why either is left out."""
    parts = []
    if e.before_after is not None:
        ba = e.before_after
        parts.append(
            _show(
                before_after_table(e),
                f"Requests a month: {_span(ba.before_start, ba.before_end)} (before {change_name(e.change)}) and "
                f"{_span(ba.after_start, ba.after_end)}",
            )
        )
    else:
        parts.append(_note(e.notes.get("step", "The comparison with the months before the change date is left out.")))
    if e.same_months is not None:
        sm = e.same_months
        parts.append(
            _show(
                same_months_table(e),
                f"Requests a month: {_span(sm.start, sm.end)} against the same months a year earlier "
                f"({_span(sm.prior_start, sm.prior_end)})",
            )
        )
    else:
        parts.append(
            _note(e.notes.get("same_months", "The comparison with the same months a year earlier is left out."))
        )
    return _join(*parts)


def its_table(e: EarlyHelp) -> pd.DataFrame:
    """Estimates of the change in level and trend at the change date, with 95% intervals."""
    s = e.its.summary.reset_index()
    first = s.columns[0]
    return pd.DataFrame(
        {
            "Term": s[first]
            .map(
                {
                    "pre_slope": "Trend before (requests a month, per month)",
                    "level_change": "Level change at the date (requests a month)",
                    "slope_change": "Change in trend (per month)",
                    "post_slope": "Trend after (per month)",
                }
            )
            .fillna(s[first]),
            "Estimate": s["estimate"].map(lambda v: fmt(v, 1, sign=True)),
            "95% interval": [
                f"{fmt(a, 1, sign=True)} to {fmt(b, 1, sign=True)}" for a, b in zip(s["lower_95"], s["upper_95"])
            ],
            "p-value": s["p_value"].map(lambda v: "x" if pd.isna(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")),
        }
    )


def its_section(e: EarlyHelp):
    """The change in level and trend at the change date: chart and table, or why it is left out."""
    from csdemand.present import charts

    if e.its is None:
        if "its" in e.notes:
            return _note(e.notes["its"])
        return (
            _note("") if "step" in e.notes else _note("The change in level and trend is not estimated.")
        )  # the step note is above
    chart = _chart(charts.its_chart(e.series, e.its, e.change, "Requests", shown=e.shown()))
    return _join(
        chart,
        _show(
            its_table(e),
            f"Change in level and trend at {_label(e.change)}, allowing for the trend before and the time of year "
            "(95% intervals)",
        ),
    )


def control_chart(e: EarlyHelp):
    """The XmR chart, coloured as Making Data Count colours it, and its signals in words."""
    from csdemand.present import charts
    from csdemand.present.html import bullet_list

    restarts = ", ".join(_label(p) for p in e.recalculated_at)
    title = "Early help requests per month, control chart" + (
        f" (limits recalculated from {restarts})" if restarts else ""
    )
    chart = _chart(
        charts.spc_chart(e.xmr.table, "Requests", title, polarity=e.polarity, withheld=e.withheld.to_numpy())
    )
    return _join(chart, bullet_list(signals(e), "What the control chart shows", level=3))


def signals(e: EarlyHelp) -> list[str]:
    """The control chart's signals in words, with why the limits were recalculated."""
    out = []
    for p in e.recalculated_at:
        why = (
            f" ({change_event(e.change)}): a known change, so the months from it on get their own limits"
            if e.change is not None and p == e.change
            else ", as the analyst asked"
        )
        out.append(f"The limits are recalculated from {_label(p)}{why}.")
    out += [
        s for s in spc.describe(e.xmr, "the number of requests") if not s.startswith("The limits were recalculated")
    ]
    if e.withheld.any():
        n = int(e.withheld.sum())
        out.append(
            f"{n} month{'s' if n != 1 else ''} with 1 to 5 requests {'are' if n != 1 else 'is'} not shown (c) and "
            "left out of the chart's mean, limits and signals."
        )
    return out


def seasonal_table(e: EarlyHelp) -> pd.DataFrame:
    """Average seasonal effect by calendar month."""
    b = e.seasonal.by_month.reset_index()
    return pd.DataFrame(
        {
            "Month": b.iloc[:, 0],
            "Effect (requests a month)": b["effect"].map(lambda v: fmt(v, sign=True)),
            "% of trend": b["pct_of_trend"].map(lambda v: fmt(v, 1, unit="%", sign=True)),
        }
    )


def seasonal_section(e: EarlyHelp):
    from csdemand.present import charts

    if e.seasonal is None:
        return _note(e.notes["seasonal"])
    return _chart(charts.seasonal_chart(e.seasonal.by_month, "Early help requests"))


def backtest_table(e: EarlyHelp) -> pd.DataFrame:
    """Backtest error of each candidate model over the last 12 months (methods: names the models)."""
    b = e.forecast.backtest
    return pd.DataFrame(
        {
            "Model": b["model"] + np.where(b["model"] == e.forecast.chosen, " (chosen)", ""),
            "Mean absolute error": b["MAE"].map(lambda v: fmt(v, 1)),
            "Mean absolute % error": b["MAPE"].map(lambda v: fmt(v, 1, unit="%")),
            "Note": b.get("note", pd.Series([""] * len(b))).fillna(""),
        }
    )


def forecast_table(e: EarlyHelp) -> pd.DataFrame:
    """Forecast by month with 80% and 95% intervals (for each month, not to be summed)."""
    f = e.forecast.forecast
    return pd.DataFrame(
        {
            "Month": [_label(m) for m in f.index],
            "Forecast": f["mean"].map(fmt),
            "80% interval": [f"{fmt(a)} to {fmt(b)}" for a, b in zip(f["lower_80"], f["upper_80"])],
            "95% interval": [f"{fmt(a)} to {fmt(b)}" for a, b in zip(f["lower_95"], f["upper_95"])],
        }
    )


def forecast_section(e: EarlyHelp):
    """Forecast chart and table; the backtest is in the methods section."""
    from csdemand.present import charts

    if e.forecast is None:
        return _note(e.notes["forecast"])
    chart = _chart(charts.forecast_chart(e.series, e.forecast.forecast, "Requests", shown=e.shown()))
    total = _note(
        "The intervals are for each month. No interval is given for the 12-month total: adding the months' bounds "
        "would overstate its uncertainty."
    )
    return _join(chart, _show(forecast_table(e), "Forecast by month with 80% and 95% intervals"), total)


def mix_table(m: Mix) -> pd.DataFrame:
    """Shares by year with the year's total, ``c`` where withheld."""
    out = pd.DataFrame({"Year to 31 March": list(m.shares.index)})
    for c in m.shares.columns:
        out[str(c)] = [fmt(v, 1, status=s_, unit="%") for v, s_ in zip(m.shares[c], m.status[c])]
    out["Requests (total)"] = [fmt(v, status=s_) for v, s_ in zip(m.totals, m.status["Total"])]
    return out


def mix_section(e: EarlyHelp, by: str):
    """The mix by ``hub`` or ``reason``: chart with its table, or why it is left out."""
    from csdemand.present import charts
    from csdemand.present.html import Html

    m = e.by_hub if by == "hub" else e.by_reason
    if m is None:
        return _note(e.notes.get(by, f"The mix by {_field_words(by)} is not available."))
    table = mix_table(m)
    chart = charts.mix_chart(m.shares, "Early help requests", _field_words(by), table=table)
    html = chart._repr_html_()
    return Html(_with_footnote(html, table.astype(str).to_numpy().ravel().tolist()))


def outcomes_table(e: EarlyHelp) -> pd.DataFrame:
    """Requests and step-ups to social care by reporting year (``c`` where withheld)."""
    o = e.outcomes
    return pd.DataFrame(
        {
            "Year to 31 March": [f"{int(p)}{'' if c else ' (part year)'}" for p, c in zip(o["period"], o["complete"])],
            "Requests": [fmt(v, status=s_) for v, s_ in zip(o["requests"], o["requests_status"])],
            "Stepped up to social care": [fmt(v, status=s_) for v, s_ in zip(o["stepped_up"], o["stepped_up_status"])],
            "% of requests with an outcome": [
                fmt(v, 1, status=s_, unit="%") for v, s_ in zip(o["stepped_up_pct"], o["pct_status"])
            ],
        }
    )


def outcomes_section(e: EarlyHelp):
    if e.outcomes is None:
        return _note(e.notes.get("outcomes", "Step-ups to children's social care are not available."))
    if e.outcomes.empty:
        return _note(
            "A monthly table has no outcomes: give a record-level extract to see step-ups to children's social care."
        )
    return _show(outcomes_table(e), "Requests stepped up to children's social care by year")


def caveats(e: EarlyHelp) -> list[str]:
    """Methods and caveats: the one place the models are named."""
    out = [
        "Early help has no national publication: these figures are the council's own and cannot be benchmarked "
        "against other authorities.",
        "Months are calendar months of the date a request was received; the month in progress is left out.",
        "The before-and-after comparison is the one leaders quote: the average of the three full months before the "
        "change date against the latest three months. "
        "Those fall at different times of year, so part of the difference can be seasonal; the comparison with the "
        "same months a year earlier has the same season on both sides.",
        "Control chart: an XmR chart as NHS England's Making Data Count draws it (mean plus or minus 2.66 times the "
        "average moving range). Signals: a month outside the limits; "
        "7 months in a row on one side of the mean; 7 months each rising or each falling; two of three months in a "
        "row, all on one side of the mean, close to a limit "
        "(beyond two thirds of the way to it). Colours follow Making Data Count: grey common cause; purple special "
        "cause that is neither an improvement nor a concern, "
        "since neither more nor fewer requests is in itself good or bad (blue improvement and orange concern are for "
        "measures where one direction is better). "
        "The limits are recalculated from the change date by default, so the step in 2020 does not make every later "
        "month a signal; the recalculate_at parameter adds others.",
    ]
    if e.its is not None:
        out.append(
            "The change in level and trend at the change date is an interrupted time series: a segmented regression "
            "with calendar-month terms and Newey-West "
            f"standard errors (for autocorrelation), fitted from the start of the data to {ITS_MONTHS_AFTER} months "
            "after the change so that later growth is not credited to it."
        )
    if e.seasonal is not None:
        out.append(
            "The seasonal pattern is from an STL decomposition (robust), each month's effect as a share of the trend."
        )
    if e.forecast is not None:
        fc = e.forecast
        out.append(
            f"The forecast comes from {fc.chosen}, the candidate (two ETS and two SARIMA models) with the smallest "
            "error forecasting the last 12 known months; "
            f"it is fitted from {_label(fc.fit_start)} ({fc.n_fit} months) and assumes the recent pattern continues. "
            "Intervals are for each month."
        )
    if e.withheld.any():
        out.append(
            f"Disclosure control: {int(e.withheld.sum())} month(s) had 1 to 5 requests. They are shown as c and not "
            "plotted; the control chart leaves them out, and the "
            f"change in level, seasonal pattern and forecast count each as {IMPUTED:.0f} (the middle of the withheld "
            "range), so no figure on this page can be worked back "
            "to the true count. Averages and yearly totals that include such a month are withheld."
        )
    out.append(
        "Hub and reason mixes: counts of 1 to 5 and any share or total from which one could be worked out are "
        "withheld (c)."
    )
    if e.synthetic:
        out.insert(
            0,
            "The extract in this briefing is SYNTHETIC: generated by the project to resemble what the council "
            "reported (about 672 requests a month before the March 2020 lockdown, 1,052 a month in April to June "
            "2021). It describes no real family.",
        )
    return out + e.source_notes + [n for k, n in e.notes.items()]


def methods_section(e: EarlyHelp):
    """Methods and caveats, with the forecast backtest table."""
    from csdemand.present.html import bullet_list

    parts = [bullet_list(caveats(e))]
    if e.forecast is not None:
        parts.append(
            _show(backtest_table(e), "Forecast backtest: each model's error forecasting the last 12 known months")
        )
    return _join(*parts)


def provenance(e: EarlyHelp, parameters: dict):
    """Title, parameters, the source and the headline figures for the header, footer and record."""
    from csdemand.present.html import Provenance

    return Provenance(
        title=f"Early help demand: {e.la.name}, {_label(e.month)}",
        subtitle="Requests for early help each month: trend, shifts, seasonality and a forecast",
        parameters={**parameters, "resolved period": str(e.month)},
        sources=[
            {
                "id": "local",
                "title": f"Early help requests extract {e.path.name}"
                + (" (SYNTHETIC: not real families)" if e.synthetic else ""),
                "publisher": "Council",
                "published": str(e.series.index.max()),
                "licence": "",
                "url": "",
            }
        ],
        notes=["Early help has no national publication; the figures are local."],
        figures=figures(e),
    )
