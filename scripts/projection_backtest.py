"""Backtest of the looked-after projections: timings, sensitivity checks, and docs/projection_backtest.md.

Runs the backtest of csdemand.methods.projection over the shipped LAIT data (cold, several times),
times what a briefing for one authority and for every authority costs once it is cached, checks
the interval calibration scheme (past errors only against leave-one-origin-out), tries the variants
the method choices were made against, measures the ceiling any common-trend method could reach
(knowing next year's national change in advance), checks the independence assumption behind the
cost interval, lists the data oddities, and writes the whole as markdown.

Usage: python scripts/projection_backtest.py [--write docs/projection_backtest.md] [--repeat 3]
       python scripts/projection_backtest.py --readme README.md    # only the README's backtest block
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import paths
from csdemand.core.atomic import write_texts
from csdemand.core.numbers import fmt
from csdemand.methods import projection as P
from csdemand.published import store


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def timings(
    lait: pd.DataFrame, population: pd.DataFrame, repeat: int
) -> tuple[dict[str, tuple[float, float]], pd.DataFrame, P.Backtest]:
    t: dict[str, tuple[float, float]] = {}
    w, c, hist = timed(lambda: P.histories(lait, population), repeat)
    t["histories (tidy LAIT and population to one frame)"] = (w, c)

    def cold():
        P._CACHE.clear()
        return P.backtest(hist)

    w, c, bt = timed(cold, repeat)
    t["backtest, cold (stock: 5 methods, origins 2018-2024; unit cost: 3 methods)"] = (w, c)
    w, c, _ = timed(lambda: P.backtest(hist), repeat)
    t["backtest, cached (a later call in the same process)"] = (w, c)
    bt.pool(hist)  # the 2025 pooled estimates, as the first briefing would make them

    def one(la: int = 352):
        p = P.project(hist, la, bt, method="national_trend")
        P.project_cost(hist, la, p.frame, bt, method="national_trend")
        P.scenario(hist, la, bt, start_change=-0.1)
        P.accuracy_like(bt, hist, la, "national_trend")

    w, c, _ = timed(one, repeat)
    t["one authority after the backtest (projection, cost, scenario, accuracy)"] = (w, c)
    eligible = [int(la) for la in hist["la_number"].unique() if not P.eligibility(P.authority(hist, la), bt.last_year)]
    w, c, _ = timed(lambda: [one(la) for la in eligible], 1)
    t[f"all {len(eligible)} authorities with a projection, after the backtest"] = (w, c)
    cmd = [sys.executable, "-m", "csdemand", "backtest"]
    w0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    t["`python -m csdemand backtest`, end to end (new process, imports and data included)"] = (
        time.perf_counter() - w0,
        math.nan,
    )
    return t, hist, bt


def _national_ar1(hist: pd.DataFrame):
    """National trend with its persistence estimated from past years only: next year's median
    growth = w x this year's, w the least-squares slope (through 0) over the pairs known at the origin."""
    growth = {y: P.median_growth(hist, y) for y in range(int(hist["period"].min()) + 1, int(hist["period"].max()) + 1)}

    def weight(origin: int) -> float:
        x = np.array([growth[t] for t in growth if t + 1 in growth and t + 1 <= origin])
        y = np.array([growth[t + 1] for t in growth if t + 1 in growth and t + 1 <= origin])
        return float(np.clip((x * y).sum() / (x * x).sum(), 0, 1)) if len(x) else 1.0

    def f(r, h, pool=None):
        w = weight(r.origin)
        return float(r.stock[-1]) * np.exp(np.cumsum([growth[r.origin] * w**i for i in range(1, h + 1)]))

    return f


VARIANT_LABELS = {
    "half_national_trend": "half the national trend",
    "national_trend_ar1": "the national trend with its persistence estimated from past years",
}


def variants(hist: pd.DataFrame) -> pd.DataFrame:
    """The 1-year backtest of variants the choices were made against, on the same forecasts."""
    extra = {
        "national_trend_ar1": _national_ar1(hist),
        "linear_3": lambda r, h, pool=None: P.linear(r, h, years=3),
        "stock_flow_last_year": lambda r, h, pool=None: P.stock_flow(r, h, years=1),
        "stock_flow_damped_rates": lambda r, h, pool=None: P.stock_flow(
            r, h, starts_carry="damped", ceases_carry="damped"
        ),
        "stock_flow_flat_population": lambda r, h, pool=None: P.stock_flow(r, h, population_years=0),
        "national_trend_undamped": lambda r, h, pool=None: P.national_trend(r, h, pool, phi=1.0),
        "half_national_trend": lambda r, h, pool=None: P.national_trend(r, h, growth=pool.median_growth / 2),
    }
    P.FORECASTERS.update(extra)
    try:
        e = P.backtest_forecasts(hist, ["naive", *extra])
    finally:
        for k in extra:
            P.FORECASTERS.pop(k)
    # the ceiling of any common-trend method: next year's median growth over authorities, known in advance
    growth = {y: P.median_growth(hist, y) for y in range(2017, int(hist["period"].max()) + 1)}
    naive = e[e["method"] == "naive"].copy()
    oracle = naive.assign(method="oracle_national_change")
    oracle["forecast"] = [
        f * math.exp(sum(growth[o + i] for i in range(1, h + 1)))
        for f, o, h in zip(oracle["forecast"], oracle["origin"], oracle["horizon"])
    ]
    e = P._errors(pd.concat([e, oracle], ignore_index=True))
    e["in80"] = np.nan
    e["in95"] = np.nan
    return P.summary_table(e)


def cost_check(bt: P.Backtest, method: str) -> pd.DataFrame:
    """Out-of-sample coverage of the cost interval of children x unit cost, by horizon: calibrated
    (as for the stock) only on pairs whose outcome year was published at the origin, either from
    the joint errors (what the projection uses) or from the two error samples combined as
    independent; and the correlation of the two errors."""
    f = bt.forecasts[bt.forecasts["method"] == method]
    u = bt.unit_cost_forecasts[bt.unit_cost_forecasts["method"] == bt.unit_cost_method]
    rows = []
    for h in P.HORIZONS:
        fh, uh = f[f["horizon"] == h], u[u["horizon"] == h]
        pairs = fh[["la_number", "origin", "period", "log_ratio"]].merge(
            uh[["la_number", "period", "log_ratio"]], on=["la_number", "period"], suffixes=("_c", "_u")
        )
        pairs["s"] = pairs["log_ratio_c"] + pairs["log_ratio_u"]
        res = {"joint80": [], "joint95": [], "indep80": [], "indep95": []}
        for o, g in pairs[pairs["origin"] >= P.FIRST_ORIGIN].groupby("origin"):
            past = pairs[pairs["period"] <= o]["s"].to_numpy()
            a, b = fh[fh["period"] <= o]["log_ratio"].to_numpy(), uh[uh["period"] <= o]["log_ratio"].to_numpy()
            if (
                len(past) < P.MIN_CALIBRATION_ERRORS
                or len(a) < P.MIN_CALIBRATION_ERRORS
                or len(b) < P.MIN_CALIBRATION_ERRORS
            ):
                continue
            qj, qi = P._percentiles(past), P.combine_log_errors(a, b)
            for tag in ("80", "95"):
                res[f"joint{tag}"] += list((g["s"] >= qj[f"lo{tag}"]) & (g["s"] <= qj[f"hi{tag}"]))
                res[f"indep{tag}"] += list((g["s"] >= qi[f"lo{tag}"]) & (g["s"] <= qi[f"hi{tag}"]))
        rows.append(
            {
                "horizon": h,
                "pairs": len(pairs),
                "correlation": float(np.corrcoef(pairs["log_ratio_c"], pairs["log_ratio_u"])[0, 1]),
                "evaluated": len(res["joint80"]),
                "80%: joint errors": np.mean(res["joint80"]) * 100 if res["joint80"] else math.nan,
                "80%: as independent": np.mean(res["indep80"]) * 100 if res["indep80"] else math.nan,
                "95%: joint errors": np.mean(res["joint95"]) * 100 if res["joint95"] else math.nan,
                "95%: as independent": np.mean(res["indep95"]) * 100 if res["indep95"] else math.nan,
            }
        )
    return pd.DataFrame(rows)


def oddities(hist: pd.DataFrame, lait: pd.DataFrame) -> list[str]:
    """Facts about the data the projection had to handle, computed here."""
    out = []
    rates = lait[
        (lait["geographic_level"] == "la")
        & lait["measure"].isin(["LAC_Start_Rate", "LAC_Cease_Rate"])
        & lait["value"].notna()
    ]
    out.append(
        f"LAIT's starting and ceasing rates (`LAC_Start_Rate`, `LAC_Cease_Rate`) begin in {int(rates['period'].min())}, the counts in "
        f"{int(hist.loc[hist['starts'].notna(), 'period'].min())}; the stock-flow model computes the starting rate from the counts and "
        "the ONS population (mid-(t-1)) for every year, so 2016-2017 are not lost."
    )
    opening = hist.groupby("la_number")["stock"].shift()
    gap = (hist["stock"] - (opening + hist["starts"] - hist["ceases"])) / opening
    gap = gap[np.isfinite(gap)]
    out.append(
        f"Published stocks and flows do not reconcile: over {len(gap):,} authority-years the stock at 31 March is a median "
        f"{fmt(gap.median() * 100, 1)}% of the opening stock above opening stock + starts - ceases (interquartile range "
        f"{fmt(gap.quantile(0.25) * 100, 1)}% to {fmt(gap.quantile(0.75) * 100, 1)}%; largest {fmt(gap.abs().max() * 100, 0)}%, "
        "City of London 2024, 1 child on 9). DfE counts children once in each flow however many times they started or ceased, and "
        "ceases include transfers to another authority. The stock-flow model carries this gap as a third rate; without it the model "
        "drifts down."
    )
    m = hist.set_index(["la_number", "period"])
    out.append(
        f"City of London: 2025 stock is '-' (EES: c), 2017 ceases '-'; stocks of {int(m.loc[(201, 2024), 'stock'])} to "
        f"{int(m.loc[(201, slice(None)), 'stock'].max())}. It takes part in the backtest to 2024 but gets no projection from 2025."
    )
    out.append(
        "Isles of Scilly: 0 children looked after in every year 2016-2019 and '-' since (published with Cornwall); no projection, and "
        "no backtest forecast (no outcome after 2019; a zero has no percentage error)."
    )
    lagged = [
        int(la)
        for la in hist["la_number"].unique()
        if math.isnan(m.loc[(la, 2025), "unit_cost"]) and not math.isnan(m.loc[(la, 2025), "stock"])
    ]
    names = ", ".join(sorted(str(hist.loc[hist["la_number"] == la, "area_name"].iloc[-1]) for la in lagged))
    out.append(
        f"Weekly unit cost 2024-25 is '-' for {names} (and total spend too): their cost projection starts from 2023-24's outturn, "
        "2025-26 counting as two years ahead."
    )
    out.append(
        "LAIT prints '-' for the years an authority did not exist (Cumberland and Westmorland and Furness 2016-2023, North and West "
        "Northamptonshire 2016-2021, Cumbria and Northamptonshire after their abolition, old Dorset, Poole and Bournemouth from 2020), "
        "so a '-' cannot tell suppression from absence; the reasons given for no projection name the reorganisation where it is known."
    )
    out.append(
        "Old Dorset, Poole and Bournemouth (835-837) have stocks for 2016-2019 but no ONS population (x for mid-2012 to mid-2018): "
        "they have no outcome after 2019 either, so they are in no backtest forecast."
    )
    spend = (m["total_spend"] / (m["stock"] * m["unit_cost"] * 52)).xs(2025, level="period").dropna()
    out.append(
        f"`LACFinance` looks like total spend / (children at 31 March x 52): in 2024-25 the ratio of `TotalLACFinance` to children x unit "
        f"cost x 52 has median {fmt(spend.median(), 3)} over {len(spend)} authorities (Manchester: GBP 127.2 million against 1,280 x "
        f"1,905 x 52 = GBP {fmt(1280 * 1905 * 52 / 1e6, 1)} million), so children x unit cost x 52 reproduces the spend closely."
    )
    out.append(
        "The backtest uses today's ONS population estimates for past years (later vintages than were published at each origin), so the "
        "stock-flow model's backtest is very slightly favoured; the other methods use no population."
    )
    return out


def render(hist, bt, t, var, loo, indep, odd) -> str:
    sf = P.authority(hist, 352)
    first, last = P.FIRST_ORIGIN, bt.last_year - 1
    h = P.hindcast(hist, 352, bt, 2022)
    hind = pd.DataFrame({"year (31 March)": h["period"].astype(str), "what happened": h["actual"]})
    for m in P.METHODS:
        hind[P.METHOD_LABELS[m]] = [
            f"{fmt(f)} ({fmt(lo)}-{fmt(hi)})" for f, lo, hi in zip(h[m], h[f"{m}_lo80"], h[f"{m}_hi80"])
        ]
    now = pd.DataFrame({"year (31 March)": [str(y) for y in range(bt.last_year + 1, bt.last_year + 4)]})
    for m in P.METHODS:
        f = P.project_method(hist, 352, m, bt)
        now[P.METHOD_LABELS[m]] = [
            f"{fmt(a)} ({fmt(lo)}-{fmt(hi)})" for a, lo, hi in zip(f["forecast"], f["lo80"], f["hi80"])
        ]
    cost = P.project_cost(hist, 352, P.project_method(hist, 352, "naive", bt), bt, method="naive")
    sc = P.scenario(hist, 352, bt, start_change=-0.10)
    refused = []
    for la in sorted(hist["la_number"].unique()):
        why = P.eligibility(P.authority(hist, la), bt.last_year)
        if why:
            refused.append(f"- {la}: {why}")
    eligible = hist["la_number"].nunique() - len(refused)

    def vrow(m, label):
        r = var[(var["method"] == m) & (var["horizon"] == 1)].iloc[0]
        return (
            f"| {label} | {fmt(r['mdape'], 1)}% | "
            + ("-" if pd.isna(r["beats_naive_las"]) else f"{fmt(r['beats_naive_las'], 1)}%")
            + " | "
            + ("-" if pd.isna(r["beats_naive_forecasts"]) else f"{fmt(r['beats_naive_forecasts'], 1)}%")
            + " |"
        )

    tab0 = bt.table.set_index(["method", "horizon"])
    naive1 = tab0.loc[("naive", 1)]
    oracle1 = var.set_index(["method", "horizon"]).loc[("oracle_national_change", 1)]
    others = bt.table[(bt.table["horizon"] == 1) & (bt.table["method"] != "naive")].set_index("method")
    best = others["beats_naive_las"].idxmax()
    b1, b3 = tab0.loc[(best, 1)], tab0.loc[(best, 3)]
    closest = (
        f"The {P.METHOD_LABELS[best].lower()} comes closest: a median error of {fmt(b1['mdape'], 1)}% (naive: {fmt(naive1['mdape'], 1)}%), "
        f"better than naive in {fmt(b1['beats_naive_forecasts'], 1)}% of single forecasts, but for {fmt(b1['beats_naive_las'], 1)}% of "
        f"authorities over their forecasts; 3 years ahead it is better for {fmt(b3['beats_naive_las'], 1)}% of authorities."
    )
    v1 = var[(var["horizon"] == 1) & (var["method"] != "oracle_national_change")].set_index("method")
    over = v1[v1["beats_naive_las"] > 50]
    n_la = int(naive1["authorities"])
    se = 100 * math.sqrt(0.25 / n_la)
    crossing = (
        "Variants that beat naive for more than half of the authorities at 1 year: "
        + "; ".join(
            f"{VARIANT_LABELS.get(k, k)} ({fmt(r['beats_naive_las'], 1)}%, {fmt(r['beats_naive_las'] * n_la / 100)} of {n_la})"
            for k, r in over.iterrows()
        )
        + f". They were tried after the five methods had been fixed and judged, among {len(v1) + 4} variants in all, and their margins over "
        f"50% are within sampling noise (one standard error of a share of {n_la} authorities is {fmt(se, 1)} points); so none is adopted here. "
        "Adopting one (registering it in `projection.FORECASTERS` and `projection.METHODS`) would make it the default by the rule, "
        "with its 80% interval calibrated the same way; that is a decision for the lead, and the next LAIT release (its dictionary gives "
        "November 2026 as the next update of these measures) would be the first fair test of it."
        if len(over)
        else "No variant beat naive for more than half of the authorities at 1 year."
    )
    inside = []
    for m in P.METHODS:
        n_in = int(((h[f"{m}_lo80"] <= h["actual"]) & (h["actual"] <= h[f"{m}_hi80"])).sum())
        inside.append(f"{P.METHOD_LABELS[m].lower()} {n_in} of 3")
    hind_sentence = (
        "Every method projected a rise or no change from 2022"
        if all((h[m].iloc[0] >= sf.loc[2022, "stock"] - 0.5) for m in P.METHODS)
        else "From 2022"
    ) + f"; the number fell each year. Outcomes inside the 80% interval known in 2022: {', '.join(inside)}."
    uc = bt.unit_cost_table.set_index(["method", "horizon"])
    um = bt.unit_cost_method
    uc_cov = (
        f"{fmt(min(uc.loc[(um, 2), 'coverage80'], uc.loc[(um, 3), 'coverage80']), 0)}-{fmt(max(uc.loc[(um, 2), 'coverage80'], uc.loc[(um, 3), 'coverage80']), 0)}% "
        f"for the {P.UNIT_COST_LABELS[um].lower()}, {fmt(min(uc.loc[('naive', 2), 'coverage80'], uc.loc[('naive', 3), 'coverage80']), 0)}-"
        f"{fmt(max(uc.loc[('naive', 2), 'coverage80'], uc.loc[('naive', 3), 'coverage80']), 0)}% for the last outturn"
    )
    loo1 = loo.set_index(["method", "horizon"])
    tab = bt.table.set_index(["method", "horizon"])
    lines_loo = [
        "| method | horizon | 80%: past errors only | 80%: leave one origin out | 95%: past errors only | 95%: leave one origin out |",
        "|---|---|---|---|---|---|",
    ]
    for (m, hz), r in tab.iterrows():
        lines_loo.append(
            f"| {P.METHOD_LABELS[m]} | {hz} | {fmt(r['coverage80'], 1)}% ({fmt(r['with_interval'])}) | {fmt(loo1.loc[(m, hz), 'coverage80'], 1)}% ({fmt(loo1.loc[(m, hz), 'with_interval'])}) | "
            f"{fmt(r['coverage95'], 1)}% | {fmt(loo1.loc[(m, hz), 'coverage95'], 1)}% |"
        )
    q = bt.quantiles()
    qrows = [
        "| method | horizon | errors | 80%: from | 80%: to | 95%: from | 95%: to |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in q.iterrows():
        pc = lambda v: fmt((math.exp(v) - 1) * 100, 1, sign=True) + "%"  # noqa: E731
        qrows.append(
            f"| {P.METHOD_LABELS[r['method']]} | {int(r['horizon'])} | {fmt(r['n'])} | {pc(r['lo80'])} | {pc(r['hi80'])} | {pc(r['lo95'])} | {pc(r['hi95'])} |"
        )
    trows = ["| step | wall (median) | CPU |", "|---|---|---|"]
    for k, (w, c) in t.items():
        trows.append(f"| {k} | {fmt(w, 2)} s | " + ("-" if math.isnan(c) else f"{fmt(c, 2)} s") + " |")
    pools = "; ".join(
        f"{o}: alpha {fmt(bt.pool(hist, o).damped[0], 2)}, beta {fmt(bt.pool(hist, o).damped[1], 2)}, phi {fmt(bt.pool(hist, o).damped[2], 2)}, median growth {fmt(bt.pool(hist, o).median_growth * 100, 1, sign=True)}%"
        for o in range(P.FIRST_CALIBRATION_ORIGIN, bt.last_year + 1)
    )

    return f"""# Looked-after projections: the backtest (issue 13)

Generated by `python scripts/projection_backtest.py --write docs/projection_backtest.md` on {date.today().isoformat()}
from the shipped LAIT data (`data/sample/lait.parquet`) and ONS population; `python -m csdemand backtest` prints the
same tables; the README (Methods, "Looked-after projections") holds the main table, and `tests/methods/test_projection.py` recomputes it and checks that the README holds it.
Code: `lib/csdemand/methods/projection.py`.

## What is projected, and how

The number of children looked after at 31 March (`LACnum`), 1 to 3 years ahead, for every authority with at least
{P.MIN_PROJECTION_YEARS} unbroken years of published figures to {bt.last_year}. Five methods:

| method | what it does |
|---|---|
| Last value (naive) | the latest figure, every year ahead |
| Linear trend (last 5 years) | OLS line through the last 5 figures (fewer where the run is shorter), extended; never below 0 |
| Damped-trend exponential smoothing | additive damped trend on the log of the stock (so a trend is a growth rate); alpha, beta and phi estimated once per origin over every authority's history (summed one-step squared errors, scipy L-BFGS-B; phi in statsmodels' ETS bounds 0.8-0.98); the recursion is statsmodels' `ExponentialSmoothing(trend="add", damped_trend=True)` with known initial state (a test checks the forecasts are equal) |
| Stock-flow (starts and ceases) | each year: starts = starting rate per 10,000 x projected child population; ceases = ceasing share x (opening stock + starts); stock = opening + starts - ceases + gap x opening. Starting rate, ceasing share and the stock-flow gap (see data oddities) carried at their mean over the last 3 years; child population grown by its mean growth over the last 3 years (the variants table shows the flat alternative makes no difference) |
| National trend (median growth, damped) | the latest figure grown by the median, over all authorities, of the latest year's change in the stock (log ratio), damped by 0.8 a year |

Why pooled estimates: an authority has 3 to 10 annual figures. Fitted one at a time, statsmodels' damped-trend models
swung between the bounds (alpha near 0 or 1, trends of several per cent a year); in an exploratory run they were wrong by a
median 5.4% at 1 year (the naive projection 4.4%) and beat naive for 22-26% of authorities, and the ~1,000 fits took
~15 minutes on this shared machine. Estimated over all authorities at once, the parameters are stable
({pools}): a random walk's alpha of 1 and a small, heavily damped trend.

## The backtest

Origins {first} to {last}: at each origin every authority with at least {P.MIN_BACKTEST_YEARS} unbroken years of stock to it,
every method, every horizon whose outcome is published (origin 2023 for 1-2 years, 2024 for 1 year). Forecasts from 2018
are made too, only to calibrate the intervals of later origins. An authority and origin where any method cannot forecast
(no flows or population) is left out for all, so every method is judged on the same {fmt(tab.loc[("naive", 1), "forecasts"])}
1-year forecasts. "Beats naive: % of authorities" = the share of authorities whose mean absolute error over their forecasts
at that horizon is lower than the naive projection's (ties do not count); "% of forecasts" = the same, forecast by forecast.

### Children looked after at 31 March

{P.markdown_table(bt.table)}

**Judgement** ({P.__name__}.judge): {bt.judgement.sentence}

So, by the rule of issue 13 (a method is shown only if its 1-year projection beats the naive one for more than half of
the authorities), **{"the default method is " + P.METHOD_LABELS[bt.judgement.default].lower() if bt.judgement.default else "there is no default method and no forecast is shown"}**. {closest}

How far any method could get: the variants below include an *oracle* that knows the next year's national median change
in advance and applies it to every authority. Even it beats the naive projection for only {fmt(oracle1["beats_naive_las"], 0)}% of
authorities at 1 year (its median error {fmt(oracle1["mdape"], 1)}% against {fmt(naive1["mdape"], 1)}%): most of an authority's change in a
year is its own and not foreseeable from the published series.

### Intervals

80% interval = forecast x exp(10th to 90th percentile of log(actual / forecast)); 95% = 2.5th to 97.5th; the percentiles
are of the backtest errors of the same method and horizon, pooled over authorities. For a forecast from origin o only
forecasts whose outcome year is o or earlier are used (what had been published by then), so the coverage above is out of
sample in time; a method and horizon with fewer than {P.MIN_CALIBRATION_ERRORS} such errors gets no interval (hence fewer
forecasts with an interval at 2 and 3 years: the first are from origins 2020 and 2021). Leave-one-origin-out would use
later shocks (the 2024-25 fall) to widen the intervals of earlier origins; it is shown as a check. For the live projection
from {bt.last_year}, all {fmt(q.loc[q["horizon"] == 1, "n"].iloc[0])} 1-year errors of origins 2018-2024 are used:

{chr(10).join(qrows)}

Coverage by calibration scheme (forecasts with an interval in brackets):

{chr(10).join(lines_loo)}

### Variants tried (1 year ahead, same forecasts)

| variant | median abs. % error | beats naive: % of authorities | beats naive: % of forecasts |
|---|---|---|---|
{vrow("naive", "Last value (naive)")}
{vrow("linear_3", "Linear trend through the last 3 years")}
{vrow("stock_flow_last_year", "Stock-flow, rates at their last year only")}
{vrow("stock_flow_damped_rates", "Stock-flow, rates carried with a damped trend")}
{vrow("stock_flow_flat_population", "Stock-flow, child population carried flat")}
{vrow("national_trend_undamped", "National trend, undamped (same at 1 year)")}
{vrow("half_national_trend", "Half the national trend")}
{vrow("national_trend_ar1", "National trend with its persistence estimated from past years (AR(1) through 0 on the median changes known at the origin)")}
{vrow("oracle_national_change", "Oracle: next year's national median change, known in advance")}

In exploration (not shipped): per-authority statsmodels damped trend on the stock, MdAPE 5.4%, beats naive for 26% of
authorities; on the log stock 5.4%, 22%; last value plus 10% of the last change 4.5%, 48.7%; the rate per 10,000 carried
with the authority's own child population trend 4.5%, 40.1%.

{crossing}

## Weekly unit cost and cost

Cost of a year = projected children at 31 March x weekly unit cost (`LACFinance`, outturn) x 52. The unit cost is
projected by the method with the lowest 1-year error in its own backtest (origins 2019-2024, from the third outturn year;
horizon 4 serves authorities whose latest outturn is a year behind):

{P.markdown_table(bt.unit_cost_table, P.UNIT_COST_LABELS)}

Used: **{P.UNIT_COST_LABELS[bt.unit_cost_method].lower()}**. Unit costs have risen faster than their own past (2022-23 to
2024-25), so intervals calibrated on earlier years held too few outcomes at 2-3 years ({uc_cov}): the cost intervals
are if anything too narrow.

The cost interval combines the two relative uncertainties through their joint errors: for each authority and outcome
year of the backtest, the children error and the unit-cost error (log ratios) are added, and the cost interval is the
10th-90th (2.5th-97.5th) percentile of those sums, so the dependence between the two is kept; where fewer than
{P.MIN_CALIBRATION_ERRORS} pairs exist the two samples are combined as independent (every pair of one children error
and one unit-cost error). Multiplying the bounds would assume both at their extremes together. The two errors are
negatively correlated (the unit cost is close to spend / children / 52: when fewer children are looked after than
projected, each costs more), so treating them as independent overstates the interval. Out of sample, calibrated only
on outcomes published by each origin (naive children, {P.UNIT_COST_LABELS[bt.unit_cost_method].lower()}):

{P.markdown_frame(indep, {"correlation": 2, "80%: joint errors": 1, "80%: as independent": 1, "95%: joint errors": 1, "95%: as independent": 1})}

{P.PLACEMENT_MIX_NOTE}

Manchester, at today's number of children (no forecast of numbers is shown). {cost.sentence}

{P.markdown_frame(cost.frame[["period", "children", "unit_cost", "unit_cost_lo80", "unit_cost_hi80", "cost", "cost_lo80", "cost_hi80"]])}

## Scenarios

`projection.scenario(hist, la, bt, start_change=-0.10, cease_change=0.0, from_year=None)` redraws the stock-flow
projection with the starting rate and the ceasing share changed (relative changes, from the given year on) and costs
both. Manchester, 10% fewer children starting from 2025-26: {sc.sentence}

{P.markdown_frame(sc.frame[["period", "baseline", "scenario", "difference", "baseline_starts", "scenario_starts", "baseline_cost", "scenario_cost"]])}

## Manchester

Projected from 2022 beside what happened (80% intervals as known in 2022), `projection.hindcast(hist, 352, bt, 2022)`:

{P.markdown_frame(hind)}

{hind_sentence}

From {bt.last_year} (not shown in a briefing: no method beat naive), with 80% intervals:

{P.markdown_frame(now)}

## Who gets a projection

{eligible} of the {hist["la_number"].nunique()} authorities in LAIT; the others, with the reason each briefing would give:

{chr(10).join(refused)}

## Data oddities

{chr(10).join("- " + o for o in odd)}

## Timings

Measured by this script ({platform.python_implementation()} {platform.python_version()}, {platform.machine()}, a 2-core
machine shared with other work: wall times vary, CPU times less), median of the repeats:

{chr(10).join(trows)}

The backtest is cached per process on a fingerprint of the history frame (`projection.backtest`), so a render process
pays it once for every authority it renders; the pooled estimates for the live origin are cached on the backtest too.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", default=None, help="write the markdown here (e.g. docs/projection_backtest.md)")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (default 3)")
    ap.add_argument("--readme", default=None, help="replace the generated backtest block of this file (README.md)")
    args = ap.parse_args(argv)
    if args.readme:
        readme = Path(args.readme) if Path(args.readme).is_absolute() else paths.ROOT / args.readme
        bt = P.backtest(P.histories(store.load("lait"), store.load("population")))
        write_texts({readme: P.replace_readme_block(readme.read_text(encoding="utf-8"), P.readme_markdown(bt))})
        print(f"wrote the backtest block of {readme}")
        return 0
    lait, population = store.load("lait"), store.load("population")
    t, hist, bt = timings(lait, population, args.repeat)
    for k, (w, c) in t.items():
        print(f"{w:7.2f} s wall {c:7.2f} s CPU  {k}")
    var = variants(hist)
    base = bt.forecasts[
        [
            "la_number",
            "area_name",
            "method",
            "origin",
            "horizon",
            "period",
            "forecast",
            "actual",
            "abs_error",
            "ape",
            "log_ratio",
        ]
    ]
    loo = P.summary_table(P.with_intervals(base, scheme="leave_one_origin_out"))
    indep = cost_check(bt, "naive")
    odd = oddities(hist, lait)
    text = render(hist, bt, t, var, loo, indep, odd)
    if args.write:
        out = Path(args.write)
        if not out.is_absolute():
            out = paths.ROOT / out
        write_texts({out: text})
        print(f"wrote {out}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
