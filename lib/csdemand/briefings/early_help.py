"""Early help demand: every figure of the early help briefing, computed in one place.

There is no national publication of early help: the briefing reads the council's own extract
(record level, or a pre-aggregated monthly table: :mod:`csdemand.local.early_help`). Only monthly
aggregates leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.published import areas as areas_mod
from csdemand.local import early_help as ehd
from csdemand.core import disclosure
from csdemand.core import paths
from csdemand.methods import spc
from csdemand.methods import trends
from csdemand.core.errors import InputError

EXTRACT_STEM = "early_help_requests"
ITS_MONTHS_AFTER = 15  # months after the change month that the interrupted time series uses


@dataclass
class EarlyHelp:
    """Monthly early help requests up to the reporting month, and what the methods make of them."""

    la: areas_mod.LocalAuthority
    path: Path
    synthetic: bool
    month: pd.Period
    change: pd.Period
    series: pd.Series  # requests per month, full months up to ``month``
    xmr: spc.SpcResult
    before_after: trends.BeforeAfter
    its: trends.ItsResult | None
    step: trends.StepResult
    seasonal: trends.Seasonal
    forecast: trends.Forecast
    by_hub: pd.DataFrame
    by_reason: pd.DataFrame
    outcomes: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def resolve_month(series: pd.Series, period: str) -> pd.Period:
    """``latest`` (the last full month), ``YYYY-MM``, or a reporting year ``YYYY`` (its March)."""
    text = str(period).strip().lower()
    last = series.index.max()
    if text in ("latest", "", "none"):
        return last
    try:
        month = pd.Period(f"{text}-03" if len(text) == 4 else text, freq="M")
    except ValueError:
        raise InputError("not a month", column="period", value=period, expected="a month such as 2021-06, a year, or 'latest'") from None
    if month < series.index.min() or month > last:
        raise InputError(f"month {month} is not in the extract", column="period", value=period, expected=f"a month from {series.index.min()} to {last}")
    return month


def analyse(extract: str, la: str, period: str = "latest", change_date: str = "2020-03-23", horizon: int = 12, recalculate_at: str = "") -> EarlyHelp:
    """Read the extract and compute every figure for the briefing.

    ``recalculate_at``: comma-separated months where the analyst asks for new control limits
    (a sustained shift they accept as the new normal); empty keeps one set of limits.
    """
    from csdemand.local.sources import read_records

    auth = areas_mod.resolve(la)
    if extract.strip().lower() not in ("config", "sample", "") and not Path(extract).exists():
        raise InputError("no early help extract", file=extract, expected="a requests extract or monthly table (see README), or 'config' for the source in config/data.yml")
    got = read_records(extract, auth, "early_help_requests")
    if got is None:
        raise InputError(f"no early help data configured for {auth.name}", file="config/data.yml", column="tables.early_help_requests", expected="a source for this authority (see README, 'Your own data')")
    df, label, synthetic = got.frame, got.label, got.synthetic
    path = Path(label)
    full = ehd.full_months(ehd.monthly_totals(df)).astype(float)
    month = resolve_month(full, period)
    series = full[full.index <= month]
    # Only aggregates reach the briefing; a month of 1 to 5 requests would be withheld (c).
    series = disclosure.protect_counts(series.to_frame("n"), ["n"])["n"]
    change = pd.Period(pd.Timestamp(change_date), freq="M")
    phases = [pd.Period(m.strip(), freq="M") for m in recalculate_at.split(",") if m.strip()]
    notes = []
    its = None
    try:
        # Up to 15 months after the change: later growth is not the change's doing, and the
        # estimate should not move as months are added years later.
        its = trends.interrupted_time_series(series[series.index <= change + ITS_MONTHS_AFTER], change_date)
    except InputError as exc:
        notes.append(f"Interrupted time series not estimated: {exc.message}")
    hub = ehd.monthly_by(df, "hub") if "hub" in df.columns else pd.DataFrame()
    reason = ehd.monthly_by(df, "reason") if "reason" in df.columns else pd.DataFrame()
    # Forecast from the new level: the months before the first lockdown recovery are a different regime.
    exclude = (change + 15) if (series.index.max() - (change + 15)).n >= 36 else None
    return EarlyHelp(
        la=auth,
        path=path,
        synthetic=synthetic,
        month=month,
        change=change,
        series=series,
        xmr=spc.xmr(series, phases=phases or None),
        before_after=trends.before_after(series, change_date, end=month),
        its=its,
        step=trends.find_step(series),
        seasonal=trends.seasonal_profile(series),
        forecast=trends.forecast(series, horizon=horizon, exclude_before=exclude),
        by_hub=hub[hub.index <= month] if not hub.empty else hub,
        by_reason=reason[reason.index <= month] if not reason.empty else reason,
        outcomes=disclosure.protect_counts(
            ehd.outcomes(df[df["date_received"] < (month + 1).to_timestamp()]) if ehd.layout(df) == "record" else ehd.outcomes(df),
            ["stepped_up"], {"stepped_up": ["stepped_up_pct"]},
        ),
        notes=notes,
    )


def _fmt(v: float, d: int = 0) -> str:
    return "not available" if v is None or pd.isna(v) else f"{v:,.{d}f}"


def _label(p: pd.Period) -> str:
    return p.strftime("%B %Y")


# --------------------------------------------------------------------------- what the briefing shows


def headlines(e: EarlyHelp) -> list[tuple[str, str, str]]:
    """Headline tiles."""
    ba = e.before_after
    last3 = e.series.iloc[-3:].mean()
    fc = e.forecast.forecast
    return [
        (f"Requests in {e.month.strftime('%b %Y')}", _fmt(e.series.iloc[-1]), "local extract" + (" (synthetic)" if e.synthetic else "")),
        ("Average a month, latest 3 months", _fmt(last3), f"{_label(e.series.index[-3])} to {_label(e.month)}"),
        (f"Before {e.change.strftime('%B %Y')}", _fmt(ba.before_mean), f"a month, {ba.before_start.strftime('%b %Y')} to {ba.before_end.strftime('%b %Y')}"),
        ("Change", f"{ba.pct_change:+.0f}%", f"{ba.change:+,.0f} a month"),
        (f"Forecast, next {len(fc)} months", _fmt(fc["mean"].sum()), f"about {_fmt(fc['mean'].mean())} a month; monthly 95% intervals in the forecast table"),
    ]


def key_messages(e: EarlyHelp) -> list[str]:
    """Three to five key messages, generated from the numbers."""
    ba = e.before_after
    msgs = [trends.describe_before_after(ba, "requests").replace(f"before {_label(ba.change_month)}", f"before {_label(ba.change_month)} ({_change_name(e.change)})")]
    if e.its is not None:
        its = e.its
        lo, hi = its.level_ci
        slo, shi = its.slope_ci
        level_sig = lo > 0 or hi < 0
        slope_sig = slo > 0 or shi < 0
        msgs.append(
            f"Allowing for the trend and the seasons (interrupted time series), the level {'rose' if its.level_change > 0 else 'fell'} by "
            f"{abs(its.level_change):,.0f} a month at {_label(e.change)} (95% interval {lo:+,.0f} to {hi:+,.0f}"
            f"{'' if level_sig else ', not distinguishable from no change'}) and the trend then {'rose' if its.slope_change > 0 else 'fell'} by "
            f"{abs(its.slope_change):,.1f} requests a month each month relative to before (95% interval {slo:+,.1f} to {shi:+,.1f}"
            f"{'' if slope_sig else ', not distinguishable from no change'})."
        )
    high, low = [_full_month(m) for m in e.seasonal.high], [_full_month(m) for m in e.seasonal.low]
    holidays = " (school holidays)" if "August" in low else ""
    msgs.append(f"Requests run highest in {' and '.join(high)} and lowest in {' and '.join(low)}{holidays}.")
    fc = e.forecast
    first, last = fc.forecast.iloc[0], fc.forecast.iloc[-1]
    msgs.append(
        f"If the pattern holds, about {_fmt(fc.forecast['mean'].sum())} requests are expected in the next {len(fc.forecast)} months, "
        f"{_fmt(fc.forecast['mean'].mean())} a month on average; the 95% interval widens from {_fmt(first['lower_95'])}-{_fmt(first['upper_95'])} "
        f"in {_label(fc.forecast.index[0])} to {_fmt(last['lower_95'])}-{_fmt(last['upper_95'])} in {_label(fc.forecast.index[-1])} "
        f"({fc.chosen}, chosen by a 12-month backtest)."
    )
    if not e.outcomes.empty:
        o = e.outcomes[e.outcomes["complete"]].iloc[-1] if e.outcomes["complete"].any() else e.outcomes.iloc[-1]
        msgs.append(f"In the year to March {int(o['period'])}, {_fmt(o['stepped_up'])} requests ({o['stepped_up_pct']:.1f}%) were stepped up to children's social care.")
    return msgs


def _full_month(abbrev: str) -> str:
    return pd.Timestamp(f"2001-{trends.MONTHS.index(abbrev) + 1:02d}-01").strftime("%B") if abbrev in trends.MONTHS else abbrev


def _change_name(change: pd.Period) -> str:
    return "the first national lockdown" if change == pd.Period("2020-03", freq="M") else "the change date"


def before_after_table(e: EarlyHelp) -> pd.DataFrame:
    """The before/after comparison with each month shown."""
    ba = e.before_after
    rows = [(m, e.series[m], "before") for m in pd.period_range(ba.before_start, ba.before_end, freq="M")]
    rows += [(m, e.series[m], "latest") for m in pd.period_range(ba.after_start, ba.after_end, freq="M")]
    t = pd.DataFrame(rows, columns=["month", "requests", "window"])
    out = pd.DataFrame({"Window": t["window"].map({"before": f"Before {_label(ba.change_month)}", "latest": "Latest three months"}), "Month": t["month"].map(_label), "Requests": t["requests"].map(_fmt)})
    summary = pd.DataFrame(
        {
            "Window": ["Average before", "Average latest", "Change"],
            "Month": ["", "", ""],
            "Requests": [_fmt(ba.before_mean, 1), _fmt(ba.after_mean, 1), f"{ba.change:+,.1f} ({ba.pct_change:+.1f}%)"],
        }
    )
    return pd.concat([out, summary], ignore_index=True)


def its_table(e: EarlyHelp) -> pd.DataFrame:
    """Segmented regression estimates with 95% intervals (Newey-West errors)."""
    if e.its is None:
        return pd.DataFrame({"Note": e.notes})
    s = e.its.summary.reset_index()
    first = s.columns[0]
    return pd.DataFrame(
        {
            "Term": s[first].map({"pre_slope": "Trend before (requests a month, per month)", "level_change": "Level change at the date (requests a month)", "slope_change": "Change in trend (per month)", "post_slope": "Trend after (per month)"}).fillna(s[first]),
            "Estimate": s["estimate"].map(lambda v: f"{v:+,.1f}"),
            "95% interval": [f"{a:+,.1f} to {b:+,.1f}" for a, b in zip(s["lower_95"], s["upper_95"])],
            "p-value": s["p_value"].map(lambda v: "not available" if pd.isna(v) else ("<0.001" if v < 0.001 else f"{v:.3f}")),
        }
    )


def seasonal_table(e: EarlyHelp) -> pd.DataFrame:
    """Average seasonal effect by calendar month (STL)."""
    b = e.seasonal.by_month.reset_index()
    return pd.DataFrame({"Month": b.iloc[:, 0], "Effect (requests a month)": b["effect"].map(lambda v: f"{v:+,.0f}"), "% of trend": b["pct_of_trend"].map(lambda v: f"{v:+.1f}%")})


def backtest_table(e: EarlyHelp) -> pd.DataFrame:
    """Backtest error of each candidate model over the last 12 months."""
    b = e.forecast.backtest
    return pd.DataFrame(
        {
            "Model": b["model"] + np.where(b["model"] == e.forecast.chosen, " (chosen)", ""),
            "Mean absolute error": b["MAE"].map(lambda v: _fmt(v, 1)),
            "Mean absolute % error": b["MAPE"].map(lambda v: "not available" if pd.isna(v) else f"{v:.1f}%"),
            "Note": b.get("note", pd.Series([""] * len(b))).fillna(""),
        }
    )


def forecast_table(e: EarlyHelp) -> pd.DataFrame:
    """Forecast by month with 80% and 95% intervals."""
    f = e.forecast.forecast
    return pd.DataFrame(
        {
            "Month": [_label(m) for m in f.index],
            "Forecast": f["mean"].map(_fmt),
            "80% interval": [f"{_fmt(a)} to {_fmt(b)}" for a, b in zip(f["lower_80"], f["upper_80"])],
            "95% interval": [f"{_fmt(a)} to {_fmt(b)}" for a, b in zip(f["lower_95"], f["upper_95"])],
        }
    )


def outcomes_table(e: EarlyHelp) -> pd.DataFrame:
    """Requests and step-ups to social care by reporting year."""
    o = e.outcomes
    if o.empty:
        return pd.DataFrame({"Note": ["Outcomes are not in a monthly table: give a record-level extract to see step-ups."]})
    return pd.DataFrame(
        {
            "Year to 31 March": [f"{int(p)}{'' if c else ' (part year)'}" for p, c in zip(o["period"], o["complete"])],
            "Requests": o["requests"].map(_fmt),
            "Stepped up to social care": o["stepped_up"].map(_fmt),
            "%": o["stepped_up_pct"].map(lambda v: f"{v:.1f}%"),
        }
    )


def caveats(e: EarlyHelp) -> list[str]:
    """Caveats for the early help briefing."""
    out = [
        "Early help has no national publication: these figures are the council's own and cannot be benchmarked against other authorities.",
        "Months are calendar months of the date a request was received; the month in progress is left out.",
        "The before/after comparison is the average of the three full months before the change date against the latest three months. "
        "The latest three months and the three months before the change fall in different seasons, so part of the difference can be seasonal. "
        "The interrupted time series (segmented regression with calendar-month terms and Newey-West standard errors for autocorrelation, fitted "
        f"from the start of the data to {ITS_MONTHS_AFTER} months after the change) estimates the change allowing for the trend and the seasons.",
        "Control limits follow NHS England's Making Data Count (XmR: mean plus or minus 2.66 times the average moving range). "
        "Limits are recalculated at a shift only when the analyst asks (the recalculate_at parameter).",
        f"The forecast assumes the recent pattern continues. It is fitted from {e.forecast.fit_start.strftime('%B %Y')} "
        f"({e.forecast.n_fit} months) and the model was chosen by its error forecasting the last 12 known months.",
    ]
    if e.synthetic:
        out.insert(0, "The extract in this briefing is SYNTHETIC: generated by the project to resemble what the council reported (about 672 requests a month before the March 2020 lockdown, 1,052 a month in April to June 2021). It describes no real family.")
    return out + e.notes


def signals(e: EarlyHelp) -> list[str]:
    """The control chart's signals in words."""
    return spc.describe(e.xmr, "the number of requests")


def provenance(e: EarlyHelp, parameters: dict):
    """Title, parameters and the source for the report header and footer."""
    from csdemand.present.html import Provenance

    return Provenance(
        title=f"Early help demand: {e.la.name}, {_label(e.month)}",
        subtitle="Requests for early help each month: trend, shifts, seasonality and a forecast",
        parameters={**parameters, "resolved period": str(e.month)},
        sources=[{"id": "local", "title": f"Early help requests extract {e.path.name}" + (" (SYNTHETIC: not real families)" if e.synthetic else ""),
                  "publisher": "Council", "published": str(e.series.index.max()), "licence": "", "url": ""}],
        notes=["Early help has no national publication; the figures are local."],
    )
