"""The one-page summary: every headline indicator for an authority and year in one table, with
change over 1 and 3 years, the neighbours' mean and England, and a flag only where a difference
or change is statistically significant (:mod:`csdemand.methods.significance`).

Indicators are listed, with the table and measure each comes from, in
``reference/summary_indicators.csv``; polarity (is high good?) comes from ``measures.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdemand.published import areas as areas_mod
from csdemand.methods import benchmarks
from csdemand.core import codes
from csdemand.methods import significance
from csdemand.published import store
from csdemand.core.errors import InputError
from csdemand.present.html import Html, esc


@dataclass
class Indicator:
    """One row of the summary."""

    key: str
    label: str
    kind: str  # rate, percent or count
    period: int
    value: float
    decimals: int
    polarity: str
    then1: float
    then3: float
    change1: significance.Test
    change3: significance.Test
    neighbours_mean: float
    neighbours_n: int
    england: float
    vs_england: significance.Test
    source: str


def indicators_list() -> pd.DataFrame:
    """The summary's indicators, in display order."""
    from importlib import resources

    with resources.files("csdemand").joinpath("reference", "summary_indicators.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _row(df: pd.DataFrame, measure: str, period: int, la_number: int | None = None, area_code: str | None = None) -> pd.Series | None:
    rows = df[(df["measure"] == measure) & (df["period"] == period) & (df["status"] == "")]
    rows = rows[rows["la_number"] == la_number] if la_number is not None else rows[(rows["area_code"] == area_code) & (rows["geographic_level"] != "la")]
    return rows.iloc[0] if len(rows) else None


def published_indicator(spec: pd.Series, df: pd.DataFrame, la: areas_mod.LocalAuthority, period: int, neighbour_numbers: list[int]) -> Indicator | None:
    """An indicator from a published tidy table (cla or cin), or None when the LA has no value."""
    measure, kind = spec["measure"], spec["kind"]
    years = sorted(int(y) for y in benchmarks.area_series(df, measure, la_number=la.la_number).dropna().index if y <= period)
    if not years:
        return None
    year = years[-1]  # factors at assessment can lag a year behind referrals
    now = _row(df, measure, year, la.la_number)
    eng = _row(df, measure, year, area_code=benchmarks.ENGLAND)
    defn = codes.measure(measure)
    values = benchmarks.la_values(df, measure, year)
    rows_all = df[(df["measure"] == measure) & (df["period"] == year) & (df["geographic_level"] == "la") & (df["status"] == "")]

    def change(span: int) -> tuple[float, significance.Test]:
        then = _row(df, measure, year - span, la.la_number)
        if then is None:
            return np.nan, significance.Test(np.nan, np.nan, False, "")
        if kind == "rate":
            test = significance.change_in_rate(then["numerator"], now["numerator"], then["denominator"], now["denominator"])
            # A rate computed on the current ONS base is compared with the earlier year on the same
            # base (the numbers the test uses), not with the rate printed on an older base.
            shown = then["numerator"] / then["denominator"] * 10_000 if bool(now["computed"]) and not bool(then["computed"]) and then["denominator"] > 0 else then["value"]
            return shown, test
        return then["value"], significance.change_in_proportion(then["numerator"], then["denominator"], now["numerator"], now["denominator"])

    then1, c1 = change(1)
    then3, c3 = change(3)
    avg = benchmarks.neighbour_average(values, neighbour_numbers)
    vs = (
        significance.versus_england(kind, now["value"], now["denominator"], eng["value"], rows_all["value"].to_numpy(), rows_all["denominator"].to_numpy())
        if eng is not None
        else significance.Test(np.nan, np.nan, False, "")
    )
    return Indicator(
        key=spec["key"], label=spec["label"], kind=kind, period=year, value=float(now["value"]), decimals=int(defn["decimals"]),
        polarity=defn["polarity"], then1=then1, then3=then3, change1=c1, change3=c3, neighbours_mean=avg.mean, neighbours_n=avg.n_with_value,
        england=float(eng["value"]) if eng is not None else np.nan, vs_england=vs, source=str(now["source"]),
    )


def early_help_indicator(la: areas_mod.LocalAuthority, period: int) -> Indicator | None:
    """Early help requests in the reporting year, from the local extract (None without one)."""
    from csdemand.local import early_help as early_help_data
    from csdemand.local.sources import read_records

    got = read_records("config", la, "early_help_requests")
    if got is None:
        return None
    annual = early_help_data.outcomes(got.frame).set_index("period")
    complete = annual[annual["complete"]]
    years = [int(y) for y in complete.index if y <= period]
    if not years:
        return None
    year = years[-1]
    get = lambda y: float(complete["requests"].get(y, np.nan))  # noqa: E731
    return Indicator(
        key="early_help_requests", label="Early help requests (local data)", kind="count", period=year, value=get(year), decimals=0,
        polarity="neither", then1=get(year - 1), then3=get(year - 3), change1=significance.change_in_count(get(year - 1), get(year)),
        change3=significance.change_in_count(get(year - 3), get(year)), neighbours_mean=np.nan, neighbours_n=0, england=np.nan,
        vs_england=significance.Test(np.nan, np.nan, False, ""), source="local",
    )


@dataclass
class Summary:
    la: areas_mod.LocalAuthority
    period: int
    model: str
    indicators: list[Indicator]


def build(la: str, period: str = "latest", model: str = "2025") -> Summary:
    """Every headline indicator for an LA and reporting year (``latest``: the newest LAC year)."""
    auth = areas_mod.resolve(la)
    cla, cin = store.load("cla"), store.load("cin")
    nbrs = benchmarks.neighbours(store.load("statistical_neighbours"), auth.la_number, model)
    text = str(period).strip().lower()
    if text in ("latest", "", "none"):
        year = int(benchmarks.area_series(cla, "cla_rate", la_number=auth.la_number).dropna().index.max())
    else:
        try:
            year = (int(text[:4]) + (1 if int(text[5:]) >= 4 else 0)) if len(text) == 7 else int(text)
        except ValueError:
            raise InputError("not a year", column="period", value=period, expected="a reporting year such as 2025, or 'latest'") from None
    years = sorted(int(y) for y in benchmarks.area_series(cla, "cla_rate", la_number=auth.la_number).dropna().index)
    if year not in years:
        raise InputError(f"no data for {year}", column="period", value=period, expected=f"a reporting year from {years[0]} to {years[-1]}")
    tables = {"cla": cla, "cin": cin}
    out = []
    for _, spec in indicators_list().iterrows():
        ind = early_help_indicator(auth, year) if spec["table"] == "local" else published_indicator(spec, tables[spec["table"]], auth, year, nbrs)
        if ind is not None:
            out.append(ind)
    return Summary(auth, year, model, out)


# --------------------------------------------------------------------------- presentation


def _fmt(v: float, d: int) -> str:
    return "-" if v is None or pd.isna(v) else f"{v:,.{d}f}"


def _arrow(ind: Indicator, then: float, test: significance.Test) -> str:
    """Arrow, change and a star where significant; coloured by whether the move is good or bad."""
    if pd.isna(then):
        return '<span class="na">not available</span>'
    diff = ind.value - then
    if round(diff, ind.decimals) == 0:
        symbol, word = "\u25b6", "no change"
    else:
        symbol, word = ("\u25b2", "up") if diff > 0 else ("\u25bc", "down")
    good = {"low_is_good": diff < 0, "high_is_good": diff > 0}.get(ind.polarity)
    cls = "neutral" if good is None or word == "no change" else ("good" if good else "bad")
    judgement = "" if cls == "neutral" else (" (better)" if cls == "good" else " (worse)")
    star = '<span class="sig" title="statistically significant">*</span>' if test.significant else ""
    unit = " pts" if ind.kind == "percent" else ""
    return f'<span class="move {cls}" aria-label="{esc(word + judgement)}">{symbol} {diff:+,.{ind.decimals}f}{unit}{star}<span class="visually-hidden">{esc(judgement)}</span></span>'


def table(s: Summary) -> Html:
    """The summary table as HTML (text escaped; arrows with text alternatives)."""
    head = ["Indicator", "Year", "Value", "Change on 1 year", "Change on 3 years", "Neighbours' mean", "England", "Against England"]
    rows = []
    for ind in s.indicators:
        unit = "%" if ind.kind == "percent" else ""
        if pd.isna(ind.england):
            vs = "-"
        else:
            word = "higher" if ind.value > ind.england else "lower"
            vs = f"significantly {word}<span class='sig'>*</span>" if ind.vs_england.significant else "not significantly different"
        cells = [
            f'<th scope="row">{esc(ind.label)}</th>',
            f"<td>{ind.period}</td>",
            f'<td class="num value">{esc(_fmt(ind.value, ind.decimals))}{unit}</td>',
            f'<td class="num">{_arrow(ind, ind.then1, ind.change1)}</td>',
            f'<td class="num">{_arrow(ind, ind.then3, ind.change3)}</td>',
            f'<td class="num">{esc(_fmt(ind.neighbours_mean, max(1, ind.decimals)))}{unit if not pd.isna(ind.neighbours_mean) else ""}</td>',
            f'<td class="num">{esc(_fmt(ind.england, ind.decimals))}{unit if not pd.isna(ind.england) else ""}</td>',
            f"<td>{vs}</td>",
        ]
        rows.append(f'<tr data-indicator="{esc(ind.key)}">' + "".join(cells) + "</tr>")
    thead = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    caption = f"Headline indicators for {s.la.name}, year to 31 March {s.period} (or the latest year published)"
    return Html(f'<table class="data summary"><caption>{esc(caption)}</caption><thead><tr>{thead}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def footnotes(s: Summary) -> list[str]:
    return [
        "\u25b2 up, \u25bc down, \u25b6 no change; blue marks a move in the better direction and orange a move in the worse direction for "
        "measures with a clear polarity (fewer re-referrals are better); grey where higher or lower is not in itself "
        "better or worse (looked-after, child protection and referral rates, domestic abuse, early help demand).",
        "* statistically significant at the 5% level (two-sided). Changes: rates per 10,000 by a Poisson test on the rate ratio; "
        "percentages by a two-proportion z-test; early help counts by a Poisson test on the difference of two annual counts. Against "
        "England: the authority's z-score on the funnel around England's value, with Spiegelhalter's overdispersion allowance for the "
        "variation between authorities (without it almost every authority would differ significantly). The tests of change treat the two "
        "years as independent counts; children looked after and on a plan at 31 March are largely the same children from one year to "
        "the next, so a flagged change in those rates deserves a look rather than a conclusion.",
        f"Neighbours' mean: the mean of the authority's 10 statistical neighbours with a value (DfE {s.model} model), as in LAIT. "
        "Rates are per 10,000 children aged 0-17. Where DfE printed no rate for the latest year (it is computed here with the current ONS "
        "estimate), the earlier years in its change columns are recomputed on the same population base, so a change reflects children, "
        "not a revised population estimate.",
    ]


def key_messages(s: Summary) -> list[str]:
    """Three to five messages: each significant difference from England, then significant changes."""
    msgs = []
    by_key = {i.key: i for i in s.indicators}
    lac = by_key.get("cla_rate")
    if lac is not None:
        msgs.append(
            f"{_fmt(lac.value, 0)} children per 10,000 were looked after in {s.la.name} at 31 March {lac.period}, "
            f"{'significantly ' if lac.vs_england.significant else ''}{'above' if lac.value > lac.england else 'below'} England ({_fmt(lac.england, 0)})."
        )
    for ind in s.indicators:
        if ind.key == "cla_rate":
            continue
        unit = "%" if ind.kind == "percent" else ""
        if ind.change1.significant:
            direction = "rose" if ind.value > ind.then1 else "fell"
            msgs.append(f"{ind.label} {direction} significantly in the year to March {ind.period}, from {_fmt(ind.then1, ind.decimals)}{unit} to {_fmt(ind.value, ind.decimals)}{unit}.")
        elif ind.vs_england.significant:
            where = "above" if ind.value > ind.england else "below"
            msgs.append(f"{ind.label} ({_fmt(ind.value, ind.decimals)}{unit} in {ind.period}) is significantly {where} England ({_fmt(ind.england, ind.decimals)}{unit}).")
    if len(msgs) < 3:
        msgs.append("Other indicators show no statistically significant difference from England or change on the year.")
    return msgs[:5]


def provenance(s: Summary, parameters: dict):
    from csdemand.present.html import Provenance, sources_used

    rows = pd.concat([store.load("cla"), store.load("cin")])
    shown = rows[rows["measure"].isin([i.key for i in s.indicators]) & (rows["period"] <= s.period)]
    sn = codes.neighbour_models().loc[s.model]
    sources = sources_used(shown) + [{"id": f"sn_{s.model}", "title": sn["label"], "publisher": "Department for Education", "published": sn["published"], "licence": "OGL v3.0", "url": ""}]
    return Provenance(
        title=f"Summary: {s.la.name}, {s.period}",
        subtitle="Every headline indicator on one page: latest value, change, statistical neighbours and England",
        parameters={**parameters, "resolved period": s.period},
        sources=sources,
        notes=["Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education; Office for National Statistics."],
    )
