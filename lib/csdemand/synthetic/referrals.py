"""A seeded synthetic referrals extract, so notebooks can be built and tested without real children.

:func:`generate_referrals` makes one row per referral in the layout :func:`local_referrals.read_extract`
returns, calibrated to annual targets (referrals, re-referral % and no-further-action %, e.g. an
LA's DfE published figures). The annual counts are exact by construction: the generator decides
which referrals are re-referrals and picks each child so that :func:`local_referrals.flag_rereferrals`
derives exactly that design. Everything else (dates, sources, domestic abuse, outcomes) is drawn
from plain, documented shares; none of it is real.
"""

from __future__ import annotations

import json
import warnings
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.local import referrals as lr

#: Source shares of referrals, roughly England's in the CIN census (Police largest).
SOURCE_SHARES: dict[str, float] = {
    "Police": 0.30,
    "Schools": 0.20,
    "Health services": 0.14,
    "Local authority services": 0.12,
    "Individual": 0.08,
    "Other": 0.16,
}

#: Chance a Police referral records domestic abuse when the overall share is 20%; other sources
#: are calibrated so the overall share comes out at ``da_share`` (police notifications of DA
#: incidents are a large part of police referrals).
POLICE_DA_AT_20PCT = 0.45

#: Of referrals that are not NFA, the share going to assessment (the rest: information and advice).
ASSESSMENT_SHARE = 0.85

#: Of referrals that are not re-referrals, the chance the child was referred before, more than
#: 12 months ago (when there is such a child); the rest are children new to the extract.
KNOWN_CHILD_SHARE = 0.15

#: Relative daily referral rate by calendar month: low in August (school holidays) and December,
#: high in the autumn and spring terms when schools refer. The weights are per day, so a month's
#: total also follows its number of weekdays.
MONTH_WEIGHT: dict[int, float] = {
    1: 1.00, 2: 0.97, 3: 1.05, 4: 0.92, 5: 1.02, 6: 1.05,
    7: 1.02, 8: 0.72, 9: 1.02, 10: 1.10, 11: 1.10, 12: 0.92,
}  # fmt: skip

#: Relative rate on Saturday and Sunday: front doors take few referrals at weekends.
WEEKEND_WEIGHT = 0.10

#: Relative rate over Christmas and New Year (24 December to 1 January).
CHRISTMAS_WEIGHT = 0.35

#: Child ids are "C" + 6 digits; at most this many distinct children fit.
MAX_CHILDREN = 1_000_000

TARGET_COLUMNS = ["period", "referrals", "rereferral_pct", "nfa_pct"]


def generate_referrals(
    targets: pd.DataFrame, seed: int = 2017, start_year: int = 2017, da_share: float = 0.20
) -> pd.DataFrame:
    """A synthetic referrals extract meeting annual targets; deterministic for a given seed.

    ``targets`` has one row per reporting year: ``period`` (int), ``referrals`` (count),
    ``rereferral_pct`` and ``nfa_pct`` (0-100). Rows are generated for every year from
    ``start_year`` (``2017`` = referrals from 1 April 2016) to the last year in ``targets``; the
    years must run without gaps.

    Per year, exactly: ``referrals`` rows; ``round(referrals * rereferral_pct / 100)`` re-referrals
    as :func:`local_referrals.flag_rereferrals` derives them from the whole output; and
    ``round(referrals * nfa_pct / 100)`` "No further action" outcomes. The first year has no
    history before the extract, so its re-referrals must point back within it: a re-referral drawn
    before any child is eligible is carried to the year's next referral that has one (so they
    cluster slightly in the first days). If a year still falls short, a warning says by how much
    and ``df.attrs["synthetic"]["rereferral_shortfall"]`` records it.

    Domestic abuse is ``True`` with overall probability ``da_share`` (higher for Police referrals).
    Returns the columns of :data:`local_referrals.COLUMNS`, typed as ``read_extract`` returns them,
    sorted by date and referral_id; ``df.attrs["synthetic"]`` holds the settings.
    """
    years = _check_targets(targets, start_year, da_share)
    rng = np.random.default_rng(seed)

    t = targets.set_index(targets["period"].astype(int))
    dates = []
    for y in years:
        dates.append(_referral_dates(int(t.loc[y, "referrals"]), y, rng))
    all_dates = np.concatenate(dates) if dates else np.array([], dtype="datetime64[D]")
    sizes = [len(d) for d in dates]

    design = {y: round(int(t.loc[y, "referrals"]) * float(t.loc[y, "rereferral_pct"]) / 100) for y in years}
    child, shortfall = _assign_children(all_dates.astype("int64"), years, sizes, design, rng)
    for y, short in shortfall.items():
        warnings.warn(
            f"synthetic referrals: {y} has {short} fewer re-referrals than its target of {design[y]} (no eligible "
            "child earlier in the extract)",
            stacklevel=2,
        )

    n = len(all_dates)
    if child.max(initial=-1) + 1 > MAX_CHILDREN:
        raise InputError(
            "too many children for 6-digit synthetic ids",
            column="referrals",
            value=int(child.max()) + 1,
            expected=f"at most {MAX_CHILDREN:,} children",
        )
    # Random (not sequential) ids, so an id says nothing about when the child first appeared.
    id_numbers = rng.choice(MAX_CHILDREN, size=int(child.max(initial=-1)) + 1, replace=False)

    source = rng.choice(list(SOURCE_SHARES), size=n, p=list(SOURCE_SHARES.values()))
    police = source == "Police"
    year_of_row = np.repeat(years, sizes)
    domestic_abuse = _domestic_abuse(police, year_of_row, da_share, rng)
    outcome = _outcomes(year_of_row, years, sizes, t, rng)

    df = pd.DataFrame(
        {
            "referral_id": [f"R{i:07d}" for i in range(1, n + 1)],
            "child_id": [f"C{k:06d}" for k in id_numbers[child]],
            "referral_date": pd.to_datetime(all_dates),
            "source": source,
            "domestic_abuse": domestic_abuse,
            "outcome": outcome,
        }
    )
    df["referral_date"] = df["referral_date"].astype("datetime64[us]")  # as read_extract returns it
    df.attrs["synthetic"] = {
        "seed": int(seed),
        "start_year": int(start_year),
        "da_share": float(da_share),
        "periods": [int(y) for y in years],
        "rereferral_shortfall": {int(y): int(s) for y, s in shortfall.items()},
    }
    return df


def write_extract(df: pd.DataFrame, path: str | Path, meta: dict | None = None) -> tuple[Path, Path]:
    """Write a synthetic extract as the CSV a council would hold, and a ``.meta.json`` sidecar.

    The CSV (UTF-8, ``\\n`` line ends, no index) has ISO dates and ``Y``/``N`` domestic abuse, so
    :func:`local_referrals.read_extract` reads it back unchanged. The sidecar says the data are
    synthetic, how they were made (seed from ``df.attrs`` unless ``meta`` gives one) and anything
    in ``meta``; ``synthetic`` is always true. Returns the two paths.
    """
    path = Path(path)
    meta = dict(meta or {})
    settings = df.attrs.get("synthetic", {})
    periods = settings.get("periods", [])
    span = f"reporting years {periods[0]}-{periods[-1]}" if periods else "the years requested"
    area = meta.get("area", "an English local authority")

    out = df.copy()
    out["referral_date"] = pd.to_datetime(out["referral_date"]).dt.strftime(lr.DATE_FORMAT)
    if pd.api.types.is_bool_dtype(out["domestic_abuse"]):
        out["domestic_abuse"] = np.where(out["domestic_abuse"], "Y", "N")
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")

    sidecar = {
        "synthetic": True,
        "generator": "csdemand.synthetic.referrals.generate_referrals",
        "seed": settings.get("seed"),
        "description": (
            "Synthetic referrals extract: not real children. Annual totals calibrated to DfE published "
            f"figures for {area}, {span}."
        ),
        "rows": len(df),
        **{k: v for k, v in settings.items() if k != "seed"},
    }
    return path, write_sidecar(path, sidecar, meta)


def write_sidecar(path: str | Path, sidecar: dict, meta: dict | None = None) -> Path:
    """Write ``sidecar`` updated by ``meta`` as ``<path stem>.meta.json`` beside ``path``; return its path.

    ``synthetic`` is always true, whatever ``meta`` says; numpy numbers and paths are written as
    plain JSON.
    """
    out = dict(sidecar)
    out.update(meta or {})
    out["synthetic"] = True  # whatever meta says: this file must never pass for real data
    meta_path = Path(path).with_suffix(".meta.json")
    meta_path.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=_json_default) + "\n", encoding="utf-8")
    return meta_path


# --------------------------------------------------------------------------- steps


def _check_targets(targets: pd.DataFrame, start_year: int, da_share: float) -> list[int]:
    """The years to generate; InputError for anything the generator cannot honour."""
    missing = [c for c in TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise InputError(
            f"the targets have no column {missing[0]!r}",
            column=missing[0],
            expected="columns " + ", ".join(TARGET_COLUMNS),
        )
    if not 0 <= da_share <= 1:
        raise InputError(
            "domestic abuse share out of range", column="da_share", value=da_share, expected="a proportion from 0 to 1"
        )
    t = targets[targets["period"].astype(int) >= start_year]
    years = sorted(int(p) for p in t["period"])
    if not years:
        raise InputError(
            f"no target years from {start_year}",
            column="period",
            expected=f"at least one reporting year >= {start_year}",
        )
    if len(set(years)) != len(years) or years != list(range(years[0], years[-1] + 1)):
        raise InputError(
            "target years repeat or have gaps",
            column="period",
            value=years,
            expected="each reporting year once, consecutive",
        )
    for col in ("referrals", "rereferral_pct", "nfa_pct"):
        v = t[col].astype(float)
        hi = np.inf if col == "referrals" else 100
        if v.isna().any() or (v < 0).any() or (v > hi).any():
            raise InputError(
                "target out of range",
                column=col,
                value=v.tolist(),
                expected="0 or more" if col == "referrals" else "a percentage from 0 to 100",
            )
    if (t["referrals"].astype(float) % 1 != 0).any():
        raise InputError(
            "referral target not a whole number",
            column="referrals",
            value=t["referrals"].tolist(),
            expected="whole numbers",
        )
    return years


def day_weights(
    days: pd.DatetimeIndex,
    month_weight: dict[int, float] | None = None,
    weekend_weight: float = WEEKEND_WEIGHT,
    christmas_weight: float = CHRISTMAS_WEIGHT,
) -> np.ndarray:
    """Relative chance of an event on each day: month seasonality x weekday x Christmas.

    Defaults are the referrals' (:data:`MONTH_WEIGHT`, :data:`WEEKEND_WEIGHT`,
    :data:`CHRISTMAS_WEIGHT`); other generators pass their own.
    """
    w = days.month.map(MONTH_WEIGHT if month_weight is None else month_weight).to_numpy(dtype=float)
    w = w * np.where(days.day_of_week >= 5, weekend_weight, 1.0)
    christmas = ((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day == 1))
    return w * np.where(christmas, christmas_weight, 1.0)


def _day_weights(days: pd.DatetimeIndex) -> np.ndarray:
    """Relative chance of a referral on each day: month seasonality x weekday x Christmas."""
    return day_weights(days)


def _referral_dates(n: int, year: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted referral dates (datetime64[D]) in reporting year ``year``.

    Given at least 12 referrals, one goes to each month first so that no month is empty; the rest
    fall by the day weights.
    """
    days = pd.date_range(f"{year - 1}-04-01", f"{year}-03-31", freq="D")
    w = _day_weights(days)
    counts = np.zeros(len(days), dtype="int64")
    rest = n
    if n >= 12:
        month = days.month.to_numpy()
        for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3):
            idx = np.flatnonzero(month == m)
            counts[rng.choice(idx, p=w[idx] / w[idx].sum())] += 1
        rest = n - 12
    counts += rng.multinomial(rest, w / w.sum())
    return np.repeat(days.to_numpy().astype("datetime64[D]"), counts)


class _Pool:
    """A set of child numbers with O(1) add, remove and pick-by-position (swap-remove)."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.where: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def add(self, c: int) -> None:
        self.where[c] = len(self.items)
        self.items.append(c)

    def remove(self, c: int) -> None:
        i = self.where.pop(c)
        last = self.items.pop()
        if last != c:
            self.items[i] = last
            self.where[last] = i

    def take(self, u: float) -> int:
        """Remove and return the child at fraction ``u`` (0 <= u < 1) of the pool."""
        c = self.items[int(u * len(self.items))]
        self.remove(c)
        return c


def _assign_children(
    day: np.ndarray, years: list[int], sizes: list[int], design: dict[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, dict[int, int]]:
    """Child number of each referral (``day``: sorted day numbers) so the re-referral flag is as designed.

    Walks referrals in date order keeping two pools: *recent* children, last referred 1-365 days
    ago (taking one makes a re-referral), and *lapsed* children, last referred more than 365 days
    ago (taking one does not). A child referred today joins neither until tomorrow, so no child is
    referred twice on a day and a re-referral is never at 0 days. Returns the child numbers and
    any per-year shortfall of re-referrals.
    """
    child = np.empty(len(day), dtype="int64")
    last: dict[int, int] = {}
    recent, lapsed = _Pool(), _Pool()
    expiry: deque[tuple[int, int]] = deque()  # (day referred, child) in date order
    today: list[int] = []
    current = None
    next_child = 0
    shortfall: dict[int, int] = {}
    start = 0
    for year, n in zip(years, sizes):
        chosen = np.zeros(n, dtype=bool)
        chosen[rng.choice(n, size=min(design[year], n), replace=False)] = True  # exact count, no replacement
        u_pick = rng.random(n)
        u_known = rng.random(n)
        owed = 0  # re-referrals drawn when no child was eligible, still to place this year
        for j in range(n):
            i = start + j
            d = int(day[i])
            if d != current:
                for c in today:
                    recent.add(c)
                today.clear()
                # A child whose latest referral is now over 365 days ago moves to lapsed; older
                # entries for children referred again since are stale and skipped.
                while expiry and expiry[0][0] < d - lr.REREFERRAL_DAYS:
                    d0, c = expiry.popleft()
                    if last[c] == d0:
                        recent.remove(c)
                        lapsed.add(c)
                current = d
            rerefer = chosen[j] or owed > 0
            if rerefer and len(recent):
                c = recent.take(u_pick[j])
                if not chosen[j]:
                    owed -= 1
            else:
                if chosen[j]:
                    owed += 1
                if len(lapsed) and u_known[j] < KNOWN_CHILD_SHARE:
                    c = lapsed.take(u_pick[j])
                else:
                    c = next_child
                    next_child += 1
            child[i] = c
            last[c] = d
            expiry.append((d, c))
            today.append(c)
        if owed:
            shortfall[year] = owed
        start += n
    return child, shortfall


def _domestic_abuse(
    police: np.ndarray, year_of_row: np.ndarray, da_share: float, rng: np.random.Generator
) -> np.ndarray:
    """Domestic abuse flags: Police referrals at a higher rate, others calibrated per year so the
    expected share of each year's referrals is ``da_share`` whatever the realised Police share."""
    p_police = min(1.0, POLICE_DA_AT_20PCT * da_share / 0.20)
    p = np.empty(len(police))
    for y in np.unique(year_of_row):
        rows = year_of_row == y
        n, n_police = rows.sum(), (police & rows).sum()
        pp = min(p_police, da_share * n / n_police) if n_police else 0.0
        po = (da_share * n - pp * n_police) / (n - n_police) if n > n_police else 0.0
        p[rows] = np.where(police[rows], pp, min(max(po, 0.0), 1.0))
    return rng.random(len(police)) < p


def _outcomes(
    year_of_row: np.ndarray, years: list[int], sizes: list[int], t: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Outcomes: exactly the target number of NFA per year, the rest assessment or advice."""
    out = np.where(rng.random(len(year_of_row)) < ASSESSMENT_SHARE, "Assessment", "Information and advice").astype(
        object
    )
    start = 0
    for y, n in zip(years, sizes):
        k = round(n * float(t.loc[y, "nfa_pct"]) / 100)
        out[start + rng.choice(n, size=k, replace=False)] = lr.NFA
        start += n
    return out


def _json_default(v: object) -> object:
    """numpy numbers and paths in ``meta`` written as plain JSON."""
    if isinstance(v, np.generic):
        return v.item()
    return str(v)


def targets_from_published(cin: pd.DataFrame, la_number: int, start_year: int) -> pd.DataFrame:
    """Annual targets (referrals, re-referral %, NFA %) from an LA's DfE published figures."""
    rows = cin[
        (cin["la_number"] == la_number)
        & (cin["period"] >= start_year)
        & cin["measure"].isin(["referrals", "rereferral_pct", "nfa_pct"])
        & (cin["status"] == "")
    ]
    wide = rows.pivot_table(index="period", columns="measure", values="value").dropna()
    if wide.empty:
        raise InputError(f"no published referral figures for LA {la_number} from {start_year}", column="la")
    wide["referrals"] = wide["referrals"].round().astype(int)
    return wide.reset_index()[["period", "referrals", "rereferral_pct", "nfa_pct"]]
