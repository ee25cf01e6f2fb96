"""Statistical process control charts as NHS England's "Making Data Count" (MDC) draws them.

Two charts: the XmR chart for a measure that is a number or a rate (centre line = mean, process
limits = mean +/- 2.66 x mean moving range), and the p-chart for a proportion, with Laney's p'
correction by default. With the large denominators of council data (thousands of children), the
plain p-chart's binomial limits are far too narrow: nearly every month falls outside them. Laney
widens them by sigma_z, the spread of the points' z-scores measured by their moving range, so the
limits reflect the variation the process actually shows.

Four special-cause rules are flagged (each point lists the rules it is part of):

- ``outside_limits``: a point above the upper or below the lower process limit;
- ``shift``: 7 or more points in a row all above, or all below, the centre line;
- ``trend``: 7 or more points in a row each strictly higher (or each lower) than the one before;
- ``two_of_three``: in 3 points in a row, all on the same side of the centre line, 2 or 3 lie
  close to a process limit: beyond two-thirds of the way from the centre line to the limit (2
  sigma), but not outside it. Those points are flagged (see :func:`_rules` for the source).

Each point's ``variation`` then says what the signal means, as MDC colours it, from the
measure's polarity (``reference/measures.csv``): ``common_cause`` (grey); for a measure where high
is good (or low is good), a special cause on the good side is ``improvement`` (blue) and on the
other ``concern`` (orange); for a measure where neither is better (``neither``: early help
demand, referrals), ``neither``: "special cause (neither improvement nor concern)" (purple).

A missing value (NaN) is left out of the mean and the moving ranges, and breaks runs. Phases let
the limits be recalculated after a sustained change (a known change date, or a shift the analyst
accepts as the new normal): each phase gets its own centre line and limits from its own points,
and the rules look within a phase only. No function plots or prints.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.core.numbers import fmt

E2 = 2.66  # XmR: 3 / d2 with d2 = 1.128 for moving ranges of 2 points
D2 = 1.128  # mean moving range of two normal points = 1.128 sigma
RUN = 7  # points in a row for a shift or a trend (Making Data Count)
RULES = ("outside_limits", "shift", "trend", "two_of_three")
_RULE_ORDER = {rule: k for k, rule in enumerate(RULES)}

#: Polarities as ``reference/measures.csv`` spells them.
POLARITIES = ("high_is_good", "low_is_good", "neither")
#: What each kind of point means, in the words a chart legend and a table use (MDC's terms).
VARIATION_WORDS: dict[str, str] = {
    "common_cause": "common cause",
    "improvement": "special cause: improvement",
    "concern": "special cause: concern",
    "neither": "special cause (neither improvement nor concern)",
}


@dataclass(frozen=True)
class SpcResult:
    """A control chart and its signals.

    ``table`` has one row per point, in the order given: ``x`` (the period label from the input's
    index), ``value`` (for p-charts the proportion, 0 to 1), ``centre``, ``lower``, ``upper``,
    ``phase`` (1, 2, ...), ``signal`` (bool), ``rules`` (rule names joined by commas, "" if none),
    ``side`` ("high", "low" or "": which side of the centre line the signal is on) and
    ``variation`` (``common_cause``, ``improvement``, ``concern`` or ``neither``: see
    :func:`variation`). An XmR table adds ``moving_range``; a p-chart table adds ``numerator``,
    ``denominator`` and ``sigma_z`` (its phase's factor).

    ``events`` has one row per signal: ``rule``, ``side``, ``phase``, ``first`` and ``last`` (row
    positions in ``table``), ``start`` and ``end`` (their labels) and ``n_points`` (points flagged).

    ``chart`` is "XmR", "p'" (Laney) or "p"; ``sigma_z`` is Laney's factor for the latest phase
    (1.0 for a plain p-chart, None for XmR); ``polarity`` the measure's polarity the variation
    was judged by.
    """

    table: pd.DataFrame
    events: pd.DataFrame
    chart: str
    sigma_z: float | None
    polarity: str = "neither"


def variation(side: str, polarity: str) -> str:
    """What a point means, as Making Data Count colours it: ``common_cause`` for a point with no
    signal (``side`` ""); otherwise ``improvement`` where the signal is on the good side for the
    measure's ``polarity`` (high for ``high_is_good``, low for ``low_is_good``), ``concern`` on
    the other side, and ``neither`` for a measure where neither direction is better."""
    pol = _polarity(polarity)
    if side not in ("high", "low"):
        return "common_cause"
    if pol == "neither":
        return "neither"
    good = "high" if pol == "high_is_good" else "low"
    return "improvement" if side == good else "concern"


def _polarity(polarity: str) -> str:
    pol = str(polarity).strip().lower()
    if pol not in POLARITIES:
        raise InputError(
            "unknown polarity",
            column="polarity",
            value=polarity,
            expected="one of " + ", ".join(POLARITIES) + " (reference/measures.csv)",
        )
    return pol


def xmr(values: pd.Series, phases: list | None = None, polarity: str = "neither") -> SpcResult:
    """XmR chart of a series indexed by period (e.g. a monthly PeriodIndex or 'YYYY-MM' strings).

    Per phase: centre = mean of its values; mR = |x_i - x_(i-1)| between consecutive non-missing
    values; limits = centre +/- 2.66 x mean(mR). Fewer than 2 values in a phase: limits NaN.
    ``phases``: where new phases begin, as row positions (0-based ints) or index labels.
    ``polarity``: ``high_is_good``, ``low_is_good`` or ``neither`` (sets ``variation``).
    """
    polarity = _polarity(polarity)
    v = _as_float(values, "values")
    bounds = _phase_bounds(values.index, phases)
    n = len(v)
    centre, lower, upper, zone_lo, zone_hi, mr = (np.full(n, np.nan) for _ in range(6))
    phase = np.zeros(n, dtype=int)
    for k, (a, b) in enumerate(bounds, start=1):
        phase[a:b] = k
        seg = v[a:b]
        ok = np.flatnonzero(np.isfinite(seg))
        if len(ok) == 0:
            continue
        mean = float(seg[ok].mean())
        centre[a:b] = mean
        if len(ok) < 2:
            continue
        mr[a + ok[1:]] = np.abs(np.diff(seg[ok]))  # a missing month is skipped, not a zero range
        half = E2 * float(np.nanmean(mr[a:b]))
        lower[a:b], upper[a:b] = mean - half, mean + half
        zone_lo[a:b], zone_hi[a:b] = mean - half * 2 / 3, mean + half * 2 / 3
    table = pd.DataFrame(
        {
            "x": list(values.index),
            "value": v,
            "moving_range": mr,
            "centre": centre,
            "lower": lower,
            "upper": upper,
            "phase": phase,
        }
    )
    return _finish(table, zone_lo, zone_hi, bounds, "XmR", None, polarity)


def p_chart(
    numerators: pd.Series,
    denominators: pd.Series,
    laney: bool = True,
    phases: list | None = None,
    polarity: str = "neither",
) -> SpcResult:
    """p-chart (Laney's p' by default) of numerators / denominators, both indexed by period.

    Per phase: p_bar = sum(numerators) / sum(denominators); sigma_p_i = sqrt(p_bar(1 - p_bar)/n_i);
    z_i = (p_i - p_bar) / sigma_p_i; sigma_z = mean moving range of z / 1.128 (1 when ``laney`` is
    False); limits_i = p_bar +/- 3 sigma_p_i sigma_z, kept within 0 and 1. Points with a missing or
    zero denominator are left out. Fewer than 2 points in a phase: limits NaN. ``polarity`` as
    for :func:`xmr`.
    """
    polarity = _polarity(polarity)
    if not numerators.index.equals(denominators.index):
        raise InputError(
            "numerators and denominators have different periods",
            column="denominators",
            expected="the same index as numerators",
        )
    num = _as_float(numerators, "numerators")
    den = _as_float(denominators, "denominators")
    if ((den < 0) | (num < 0) | (num > den)).any():
        raise InputError(
            "a numerator is negative or larger than its denominator",
            column="numerators",
            expected="0 <= numerator <= denominator",
        )
    bounds = _phase_bounds(numerators.index, phases)
    n = len(num)
    ok_all = np.isfinite(num) & np.isfinite(den) & (den > 0)
    p = np.where(ok_all, num / np.where(ok_all, den, 1.0), np.nan)
    centre, lower, upper, zone_lo, zone_hi, sz = (np.full(n, np.nan) for _ in range(6))
    phase = np.zeros(n, dtype=int)
    sigma_z: float = np.nan
    for k, (a, b) in enumerate(bounds, start=1):
        phase[a:b] = k
        ok = np.flatnonzero(ok_all[a:b]) + a
        sigma_z = np.nan
        if len(ok) == 0:
            continue
        pbar = float(num[ok].sum() / den[ok].sum())
        centre[a:b] = pbar
        if len(ok) < 2:
            continue
        sigma_p = np.sqrt(pbar * (1 - pbar) / den[ok])
        # p_bar of 0 or 1 has no spread at all: every z is 0 and the limits sit on the centre line
        z = np.divide(p[ok] - pbar, sigma_p, out=np.zeros(len(ok)), where=sigma_p > 0)
        sigma_z = float(np.mean(np.abs(np.diff(z))) / D2) if laney else 1.0
        sz[a:b] = sigma_z
        half = 3 * sigma_p * sigma_z
        lower[ok], upper[ok] = np.maximum(0.0, pbar - half), np.minimum(1.0, pbar + half)
        # the two-thirds zone is measured on the unclipped distance to each point's own limit
        zone_lo[ok], zone_hi[ok] = pbar - half * 2 / 3, pbar + half * 2 / 3
    table = pd.DataFrame(
        {
            "x": list(numerators.index),
            "numerator": num,
            "denominator": den,
            "value": p,
            "centre": centre,
            "lower": lower,
            "upper": upper,
            "sigma_z": sz,
            "phase": phase,
        }
    )
    return _finish(table, zone_lo, zone_hi, bounds, "p'" if laney else "p", sigma_z, polarity)


def signals(result: SpcResult) -> pd.DataFrame:
    """Only the flagged points of ``result.table``."""
    return result.table[result.table["signal"]]


def describe(result: SpcResult, what: str, unit: str | None = None) -> list[str]:
    """Plain-English sentences about the signals, in date order, for a briefing.

    ``what`` names the measure ("children looked after"); ``unit`` is the plural of one period
    ("months"), taken from a PeriodIndex when not given, else "points". Periods print as given
    (monthly Periods as "April 2023"). Each signal says what it means for the measure's polarity:
    "(improvement)", "(concern)" or "(neither improvement nor concern)".
    """
    t, ev = result.table, result.events
    unit = unit or _unit(t["x"])
    pct = result.chart != "XmR"
    out = []
    for start in t.index[t["phase"].diff().fillna(0) > 0]:
        out.append(f"The limits were recalculated from {_label(t.at[start, 'x'])}.")
    shown_outside = set()
    for e in ev.itertuples():
        if e.rule == "outside_limits":
            if (e.phase, e.side) in shown_outside:
                continue
            shown_outside.add((e.phase, e.side))
            same = ev[(ev["rule"] == "outside_limits") & (ev["side"] == e.side) & (ev["phase"] == e.phase)]
            word = "above the upper" if e.side == "high" else "below the lower"
            out.append(
                f"Outside the limits ({_meaning(e.variation)}): {what} was {word} process limit in "
                f"{_and(_label(x) for x in same['start'])}."
            )
        elif e.rule == "shift":
            word = "above" if e.side == "high" else "below"
            out.append(
                f"Shift ({_meaning(e.variation)}): {e.n_points} {unit} in a row {word} the average "
                f"({_label(e.start)} to {_label(e.end)})."
            )
        elif e.rule == "trend":
            word = "higher" if e.side == "high" else "lower"
            out.append(
                f"Trend ({_meaning(e.variation)}): {e.n_points} {unit} in a row each {word} than the one before "
                f"({_label(e.start)} to {_label(e.end)})."
            )
        else:
            span = e.last - e.first + 1
            count = f"{e.n_points} {unit} in a row" if span == e.n_points else f"{e.n_points} of {span} {unit} in a row"
            word = "upper" if e.side == "high" else "lower"
            out.append(
                f"Two of three ({_meaning(e.variation)}): {count} close to the {word} process limit "
                f"({_label(e.start)} to {_label(e.end)})."
            )
    if len(ev):
        return out
    valid = t[t["value"].notna()]
    if valid.empty or np.isnan(valid["upper"].iloc[-1]):
        return out + [f"Too few values to set process limits for {what}: at least 2 are needed in a phase."]
    last = valid.iloc[-1]
    value, lower, upper = _numbers([last["value"], last["lower"], last["upper"]], pct)
    return out + [
        f"No special-cause variation: the latest value of {what} ({value} in {_label(last['x'])}) is within the "
        f"expected range of {lower} to {upper}."
    ]


# --------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------


def _finish(
    table: pd.DataFrame,
    zone_lo: np.ndarray,
    zone_hi: np.ndarray,
    bounds: list[tuple[int, int]],
    chart: str,
    sigma_z: float | None,
    polarity: str = "neither",
) -> SpcResult:
    """Apply the rules phase by phase and add ``signal``, ``rules`` and ``side`` to the table."""
    v = table["value"].to_numpy(float)
    c, lo, hi = (table[col].to_numpy(float) for col in ("centre", "lower", "upper"))
    events = []
    for k, (a, b) in enumerate(bounds, start=1):
        for e in _rules(v[a:b], c[a:b], lo[a:b], hi[a:b], zone_lo[a:b], zone_hi[a:b]):
            # positions within the phase -> rows of the table (points too, so a later phase's
            # signals mark its own rows)
            events.append(
                {
                    **e,
                    "phase": k,
                    "first": e["first"] + a,
                    "last": e["last"] + a,
                    "points": [i + a for i in e["points"]],
                }
            )
    events.sort(key=lambda e: (e["first"], _RULE_ORDER[e["rule"]]))
    rules: list[list[str]] = [[] for _ in range(len(v))]
    side = [""] * len(v)
    # a point in several rules takes its side from the first rule in RULES order (a spike above
    # the limit that starts a falling trend is "high"); within a rule, from the earliest event
    for e in sorted(events, key=lambda e: (_RULE_ORDER[e["rule"]], e["first"])):
        for i in e.pop("points"):
            if e["rule"] not in rules[i]:
                rules[i].append(e["rule"])
            side[i] = side[i] or e["side"]
    table["signal"] = [bool(r) for r in rules]
    table["rules"] = [",".join(r) for r in rules]
    table["side"] = side
    table["variation"] = [variation(s, polarity) for s in side]
    x = table["x"].tolist()
    ev = pd.DataFrame(events, columns=["rule", "side", "phase", "first", "last", "n_points"])
    ev.insert(5, "start", [x[i] for i in ev["first"]])
    ev.insert(6, "end", [x[i] for i in ev["last"]])
    ev["variation"] = [variation(sd, polarity) for sd in ev["side"]]
    return SpcResult(table=table, events=ev, chart=chart, sigma_z=sigma_z, polarity=polarity)


def _rules(
    v: np.ndarray, c: np.ndarray, lo: np.ndarray, hi: np.ndarray, zlo: np.ndarray, zhi: np.ndarray
) -> list[dict]:
    """Signals within one phase: dicts with rule, side, first, last, n_points and points (positions)."""
    out = []

    def add(rule: str, side: str, points: list[int]) -> None:
        out.append(
            {
                "rule": rule,
                "side": side,
                "first": points[0],
                "last": points[-1],
                "n_points": len(points),
                "points": points,
            }
        )

    for s, mask in (("high", _beyond(v, hi, +1)), ("low", _beyond(v, lo, -1))):
        for i in np.flatnonzero(mask):
            add("outside_limits", s, [int(i)])
    for s, mask in (("high", _beyond(v, c, +1)), ("low", _beyond(v, c, -1))):
        for a, b in _runs(mask):
            if b - a + 1 >= RUN:
                add("shift", s, list(range(a, b + 1)))
    for s, sign in (("high", +1), ("low", -1)):
        steps = _beyond(v[1:], v[:-1], sign)  # step i goes from point i to point i + 1
        for a, b in _runs(steps):
            if b - a + 2 >= RUN:
                add("trend", s, list(range(a, b + 2)))
    # Two of three, as Making Data Count defines it: "two out of three consecutive points close to
    # the process limits" on the same side of the mean (NHS England and NHS Improvement, "Making
    # data count: getting started", 2019, and "Strengthening your decisions", 2019; the rules of
    # MDC's Excel SPC tool, which NHS-R's NHSRplotthedots reproduces: ptd_spc_standard sets
    # close_to_limits = not outside the limits and beyond 2/3 of the way from the mean to a limit,
    # and ptd_two_in_three takes a window of three consecutive points that all lie on the same
    # side of the mean with at least two of them close to a limit). A point outside the limits is
    # already special cause by the first rule and does not count as "close". The points close to
    # the limit in such a window are the ones flagged.
    for s, sign, zone, limit in (("high", +1, zhi, hi), ("low", -1, zlo, lo)):
        close = _beyond(v, zone, sign) & ~_beyond(v, limit, sign)
        same_side = _beyond(v, c, sign)
        flagged = sorted(
            {
                i + j
                for i in range(len(v) - 2)
                if same_side[i : i + 3].all() and close[i : i + 3].sum() >= 2
                for j in range(3)
                if close[i + j]
            }
        )
        # points of overlapping windows (at most 2 apart) make one signal
        group: list[int] = []
        for i in flagged:
            if group and i - group[-1] > 2:
                add("two_of_three", s, group)
                group = []
            group.append(i)
        if group:
            add("two_of_three", s, group)
    return out


def _beyond(v: np.ndarray, ref: np.ndarray, sign: int) -> np.ndarray:
    """v strictly above (sign +1) or below (-1) ref; a value equal to ref up to rounding is not
    beyond it (a constant series sits on its own limits); NaN on either side is never beyond."""
    with np.errstate(invalid="ignore"):
        return (sign * (v - ref) > 0) & ~np.isclose(v, ref, rtol=1e-9, atol=1e-12)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) positions of each run of True."""
    runs, start = [], None
    for i, m in enumerate(np.append(mask, False)):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


# --------------------------------------------------------------------------------------------
# inputs and wording
# --------------------------------------------------------------------------------------------


def _as_float(s: pd.Series, name: str) -> np.ndarray:
    try:
        v = s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} are not all numbers", column=name, expected="numbers (NaN for missing)") from exc
    return np.where(np.isfinite(v), v, np.nan)


def _phase_bounds(index: pd.Index, phases: list | None) -> list[tuple[int, int]]:
    """(start, stop) row positions of each phase; a phase start is a position (int) or a label."""
    n = len(index)
    starts = set()
    for p in phases or []:
        if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
            pos = int(p)
        elif p in index:
            pos = index.get_loc(p)
            if not isinstance(pos, (int, np.integer)):
                raise InputError(f"phase start {p!r} appears more than once in the index", column="phases")
        else:
            raise InputError(
                f"phase start {p!r} is not in the index",
                column="phases",
                expected="a row position or a period in the index",
            )
        if not 0 <= pos < n:
            raise InputError(
                f"phase start {p} is outside the series", column="phases", expected=f"a row position from 0 to {n - 1}"
            )
        starts.add(int(pos))
    edges = sorted(starts | {0}) + [n]
    return [(a, b) for a, b in itertools.pairwise(edges)] if n else []


def _meaning(kind: str) -> str:
    """'improvement', 'concern' or 'neither improvement nor concern' for a signal's variation."""
    return {"neither": "neither improvement nor concern"}.get(kind, kind)


def _label(x: object) -> str:
    if isinstance(x, pd.Period) and x.freqstr.startswith("M"):
        return x.strftime("%B %Y")
    if isinstance(x, pd.Timestamp):
        return f"{x.day} {x:%B %Y}"
    return str(x)


def _unit(x: pd.Series) -> str:
    first = x.iloc[0] if len(x) else None
    if isinstance(first, pd.Period):
        return {"M": "months", "Q": "quarters", "Y": "years", "A": "years", "W": "weeks", "D": "days"}.get(
            first.freqstr[0], "points"
        )
    return "points"


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _numbers(values: list[float], pct: bool) -> list[str]:
    """Numbers printed together at one precision, set by the largest (percentages for p-charts)."""
    scaled = [v * 100 if pct else v for v in values]
    biggest = max(abs(v) for v in scaled)
    decimals = 0 if biggest >= 100 else 1 if biggest >= 1 else 2
    return [fmt(v, decimals, unit="%" if pct else "") for v in scaled]  # half up, never "-0.0"
