"""A seeded synthetic early help requests extract, so the early help briefing can be built and
tested without real families.

:func:`generate_requests` makes one row per request in the layout
:func:`early_help_data.read_requests` returns. Monthly counts come from a plain model
(:func:`expected_monthly`: level x season x pandemic step x growth) with Poisson noise; two
windows are then set to the totals the council reported, exactly (:data:`CALIBRATION`):

* December 2019 to February 2020, the three months before the March 2020 lockdown: 2,016
  requests, 672 a month;
* April to June 2021: 3,156 requests, 1,052 a month (56.5% up, "57%" in the briefing).

Everything else (days, hubs, reasons, outcomes, families) is drawn from plain, documented shares;
none of it is real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.local import early_help as eh
from csdemand.synthetic.referrals import CHRISTMAS_WEIGHT, WEEKEND_WEIGHT, day_weights, write_sidecar

#: Reported totals the generated extract reproduces exactly: (first month, last month) -> requests.
CALIBRATION: dict[tuple[str, str], int] = {
    ("2019-12", "2020-02"): 2016,
    ("2021-04", "2021-06"): 3156,
}

DESCRIPTION = (
    "Synthetic early help requests: not real families. Calibrated to what Manchester reported: "
    "about 672 requests a month in the three months before the March 2020 lockdown and about "
    "1,052 a month in the three months to June 2021."
)

#: Relative daily rate by calendar month. Most requests come through schools, so school holidays
#: are low (August lowest, late July, the Easter dip in April; Christmas is handled day by day by
#: :data:`synthetic.CHRISTMAS_WEIGHT`) and the autumn and spring terms high. Weights are per day,
#: so a month's total also follows its number of weekdays.
MONTH_WEIGHT: dict[int, float] = {
    1: 1.08, 2: 1.08, 3: 1.05, 4: 0.90, 5: 1.02, 6: 1.05,
    7: 0.95, 8: 0.66, 9: 1.04, 10: 1.08, 11: 1.10, 12: 1.02,
}  # fmt: skip

#: Level relative to before the pandemic, March 2020 to March 2021: the first lockdown (schools
#: closed from 23 March 2020) cuts April-May sharply; requests recover over the summer and climb
#: through the autumn term; the January-February 2021 lockdown dips them again; from April 2021
#: the new level (calibrated: about +56%) holds, growing gently from July 2021.
PANDEMIC_STEP: dict[str, float] = {
    "2020-03": 0.88, "2020-04": 0.52, "2020-05": 0.62, "2020-06": 0.85,
    "2020-07": 1.00, "2020-08": 1.08, "2020-09": 1.18, "2020-10": 1.26,
    "2020-11": 1.30, "2020-12": 1.34, "2021-01": 1.18, "2021-02": 1.25,
    "2021-03": 1.45,
}  # fmt: skip

#: Growth a year after June 2021, compounding monthly.
GROWTH = 0.04

#: Months the season is normalised over (fixed, so the level means the same whatever the span).
SEASON_REFERENCE = ("2017-04", "2026-03")

HUB_SHARES: dict[str, float] = {"North": 0.35, "Central": 0.30, "South": 0.35}

#: Reason shares before the pandemic and after the drift (mental wellbeing and finance and debt
#: growing); shares move linearly from :data:`REASON_DRIFT` start to end.
REASON_SHARES_BEFORE: dict[str, float] = {
    "Mental wellbeing": 0.16, "Housing": 0.12, "Finance and debt": 0.10,
    "Parenting": 0.26, "Child behaviour": 0.22, "Education": 0.14,
}  # fmt: skip
REASON_SHARES_AFTER: dict[str, float] = {
    "Mental wellbeing": 0.24, "Housing": 0.12, "Finance and debt": 0.17,
    "Parenting": 0.20, "Child behaviour": 0.16, "Education": 0.11,
}  # fmt: skip
REASON_DRIFT = ("2020-03", "2026-03")

OUTCOME_SHARES: dict[str, float] = {"Support offered": 0.60, "Signposted": 0.32, "Stepped up to social care": 0.08}

#: Chance a request is from a family that made one before (within about the last 6 months of
#: requests, never the same day); the rest are families new to the extract.
REPEAT_SHARE = 0.18
REPEAT_WINDOW = 4000

#: Family ids are "F" + 6 digits and request ids "EH" + 7 digits.
MAX_FAMILIES = 1_000_000
MAX_REQUESTS = 10_000_000

# The dtype read_requests gives date_received (datetime64[us] in pandas 3, [ns] before).
_READ_DTYPE = pd.to_datetime(pd.Series(["2020-01-01"]), format=eh.DATE_FORMAT).dtype


def expected_monthly(start: str = "2017-04", end: str = "2026-10") -> pd.Series:
    """Expected requests per month (float, monthly PeriodIndex): level x season x step x growth.

    The pre-pandemic level and the new level from April 2021 are solved so that the expected
    totals of the :data:`CALIBRATION` windows are the reported ones; the season is the sum of
    the month's day weights (so weekdays and Christmas count) over its average.
    """
    first, last = _month(start, "start"), _month(end, "end")
    if first > last:
        raise InputError(
            "start is after end", column="start", value=f"{first} to {last}", expected="start no later than end"
        )
    ref = pd.period_range(*SEASON_REFERENCE, freq="M")
    windows = [pd.period_range(a, b, freq="M") for a, b in CALIBRATION]
    months = pd.period_range(
        min(first, ref[0], *(w[0] for w in windows)), max(last, ref[-1], *(w[-1] for w in windows)), freq="M"
    )

    season = _season(months)
    season = season / season[ref].mean()
    step = pd.Series([PANDEMIC_STEP.get(str(m), 1.0) for m in months], index=months)
    after = months >= pd.Period("2021-04", "M")
    since = np.maximum(0, (months.year * 12 + months.month) - (2021 * 12 + 6))  # months after June 2021
    growth = pd.Series((1 + GROWTH) ** (since / 12), index=months)

    before, new = windows
    level = CALIBRATION[("2019-12", "2020-02")] / (season[before] * step[before]).sum()
    shape = season * step.where(~after, 1.0) * growth
    shift = CALIBRATION[("2021-04", "2021-06")] / (level * shape[new]).sum()
    expected = level * season * step.where(~after, shift) * growth
    expected.attrs = {"level": float(level), "level_shift": float(shift)}
    out = expected[first:last].rename("expected")
    out.index.name = "month"
    out.attrs = expected.attrs
    return out


def generate_requests(
    seed: int = 2020, start: str = "2017-04", end: str = "2026-10", scale: float = 1.0
) -> pd.DataFrame:
    """A synthetic early help requests extract, one row per request; deterministic for a seed.

    Monthly counts are Poisson around :func:`expected_monthly` times ``scale``, except that each
    :data:`CALIBRATION` window lying wholly inside ``start``-``end`` gets exactly its reported
    total (times ``scale``, rounded half up), spread over its three months in proportion to their
    expected values (largest remainder). A ``scale`` of 0.01 makes a small authority's extract
    (about 7 requests a month, some months of 1 to 5) for testing disclosure control. Each request
    then gets a day in its month (weekdays far likelier), a hub, a reason (shares drifting after
    2020), an outcome and a family (some families ask more than once).

    Returns the columns of :data:`early_help_data.COLUMNS`, typed as ``read_requests`` returns
    them, sorted by date and request_id; ``df.attrs["synthetic"]`` holds the settings.
    """
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale <= 100:
        raise InputError(
            "scale must be a number above 0 and at most 100",
            column="scale",
            value=scale,
            expected="e.g. 1 (Manchester) or 0.01 (a small authority)",
        )
    rng = np.random.default_rng(seed)
    expected = expected_monthly(start, end) * scale
    months = expected.index
    counts = pd.Series(rng.poisson(expected.to_numpy()), index=months)
    calibrated = {}
    for (a, b), total in CALIBRATION.items():
        window = pd.period_range(a, b, freq="M")
        if window[0] >= months[0] and window[-1] <= months[-1]:
            total = int(np.floor(total * scale + 0.5))
            counts[window] = apportion(total, expected[window].to_numpy())
            calibrated[f"{a} to {b}"] = total
    n = int(counts.sum())
    if n >= MAX_REQUESTS:
        raise InputError(
            "too many requests for 7-digit synthetic ids", value=n, expected=f"fewer than {MAX_REQUESTS:,}"
        )

    dates = _dates(counts, rng)
    month_of_row = np.repeat(np.arange(len(months)), counts.to_numpy())
    hub = rng.choice(list(HUB_SHARES), size=n, p=list(HUB_SHARES.values()))
    reason = _reasons(months, month_of_row, rng)
    outcome = rng.choice(list(OUTCOME_SHARES), size=n, p=list(OUTCOME_SHARES.values()))
    family = _families(dates, rng)
    n_families = int(family.max(initial=-1)) + 1
    if n_families > MAX_FAMILIES:
        raise InputError(
            "too many families for 6-digit synthetic ids",
            value=n_families,
            expected=f"at most {MAX_FAMILIES:,} families",
        )
    # Random (not sequential) ids, so an id says nothing about when the family first asked.
    id_numbers = rng.choice(MAX_FAMILIES, size=n_families, replace=False)

    df = pd.DataFrame(
        {
            "request_id": [f"EH{i:07d}" for i in range(1, n + 1)],
            "family_id": [f"F{k:06d}" for k in id_numbers[family]],
            "date_received": pd.to_datetime(dates).astype(_READ_DTYPE),
            "hub": hub.astype(object),
            "reason": reason,
            "outcome": outcome.astype(object),
        }
    )
    df.attrs["synthetic"] = {
        "seed": int(seed),
        "start": str(months[0]),
        "end": str(months[-1]),
        "calibrated": calibrated,
        "level_before": round(expected.attrs["level"], 1),
        "level_shift": round(expected.attrs["level_shift"], 4),
        "growth": GROWTH,
        "scale": float(scale),
    }
    return df


def write_requests(df: pd.DataFrame, path: str | Path, meta: dict | None = None) -> tuple[Path, Path]:
    """Write a synthetic extract as the CSV a council would hold, and a ``.meta.json`` sidecar.

    The CSV (UTF-8, ``\\n`` line ends, no index) has ISO dates, so
    :func:`early_help_data.read_requests` reads it back unchanged. The sidecar says the data are
    synthetic (always true, whatever ``meta`` says), how they were made and anything in ``meta``.
    Returns the two paths.
    """
    path = Path(path)
    settings = df.attrs.get("synthetic", {})
    out = df.copy()
    out["date_received"] = pd.to_datetime(out["date_received"]).dt.strftime(eh.DATE_FORMAT)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    sidecar = {
        "synthetic": True,
        "generator": "csdemand.synthetic.early_help.generate_requests",
        "seed": settings.get("seed"),
        "description": DESCRIPTION,
        "rows": len(df),
        **{k: v for k, v in settings.items() if k != "seed"},
    }
    return path, write_sidecar(path, sidecar, meta)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split into whole numbers in proportion to ``weights``, summing exactly
    (largest remainder; ties go to the earlier entry)."""
    w = np.asarray(weights, dtype=float)
    if total < 0 or w.size == 0 or (w < 0).any() or w.sum() <= 0:
        raise InputError(
            "cannot apportion",
            value=(total, w.tolist()),
            expected="a total of 0 or more and non-negative weights, not all 0",
        )
    exact = total * w / w.sum()
    out = np.floor(exact).astype("int64")
    rest = int(total - out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


# --------------------------------------------------------------------------- steps


def _month(value: str, name: str) -> pd.Period:
    if not isinstance(value, str) or not eh._MONTH_RE.fullmatch(value.strip()):
        raise InputError("not a month", column=name, value=value, expected="a month YYYY-MM, such as 2017-04")
    return pd.Period(value.strip(), freq="M")


def _days(months: pd.PeriodIndex) -> pd.DatetimeIndex:
    return pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")


def _weights(days: pd.DatetimeIndex) -> np.ndarray:
    return day_weights(days, MONTH_WEIGHT, WEEKEND_WEIGHT, CHRISTMAS_WEIGHT)


def _season(months: pd.PeriodIndex) -> pd.Series:
    """Sum of the day weights in each month."""
    days = _days(months)
    return pd.Series(_weights(days), index=days).groupby(days.to_period("M")).sum().reindex(months)


def _dates(counts: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Sorted dates (datetime64[D]): each month's count spread over its days by the day weights."""
    days = _days(counts.index)
    w = _weights(days)
    month = days.to_period("M")
    per_day = np.zeros(len(days), dtype="int64")
    for m, k in counts.items():
        idx = np.flatnonzero(month == m)
        per_day[idx] = rng.multinomial(int(k), w[idx] / w[idx].sum())
    return np.repeat(days.to_numpy().astype("datetime64[D]"), per_day)


def _reasons(months: pd.PeriodIndex, month_of_row: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reasons with shares moving linearly from before to after over :data:`REASON_DRIFT`."""
    a, b = (pd.Period(m, freq="M") for m in REASON_DRIFT)
    t = np.clip(np.array([(m - a).n for m in months], dtype=float) / (b - a).n, 0.0, 1.0)
    before = np.array(list(REASON_SHARES_BEFORE.values()))
    after = np.array([REASON_SHARES_AFTER[r] for r in REASON_SHARES_BEFORE])
    p = (1 - t)[:, None] * before + t[:, None] * after  # month x reason
    cum = np.cumsum(p, axis=1)[month_of_row]
    pick = (rng.random(len(month_of_row))[:, None] > cum[:, :-1]).sum(axis=1)
    return np.array(list(REASON_SHARES_BEFORE), dtype=object)[pick]


def _families(dates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Family number of each request (``dates`` sorted): a share :data:`REPEAT_SHARE` repeat a
    family from one of the previous :data:`REPEAT_WINDOW` requests before that day (unless that
    family already asked that day); the rest are new families, numbered in order of appearance."""
    n = len(dates)
    first_of_day = np.searchsorted(dates, dates, side="left")
    lo = np.maximum(0, first_of_day - REPEAT_WINDOW)
    repeat = (rng.random(n) < REPEAT_SHARE) & (first_of_day > 0)
    earlier = lo + (rng.random(n) * (first_of_day - lo)).astype("int64")
    family: list[int] = []
    last_day: list[int] = []  # per family, the day of its latest request
    for day, j in zip(dates.astype("int64").tolist(), np.where(repeat, earlier, -1).tolist()):
        # j is an earlier row, so its family is known; a family asking twice in a day would be a
        # duplicate record, so that draw makes a new family instead.
        f = family[j] if j >= 0 and last_day[family[j]] != day else len(last_day)
        if f == len(last_day):
            last_day.append(day)
        last_day[f] = day
        family.append(f)
    return np.array(family, dtype="int64")
