"""One figure, one value: every rate per 10,000 on the newest release's population base.

DfE prints a rate with the population estimates of its day, and later releases re-base earlier
years on revised estimates (the 2024 release printed Manchester's 2024 referral rate as 502.8; on
the ONS estimates carried with the 2025 release it is 499.2, as LAIT shows it). The tables hold,
for each year, the figure from the newest release that printed it, so two years of one series can
sit on two population bases, and two briefings that each recompute "the same base" differently show
two values for one figure. The rule, applied once where the tables are read (:mod:`store`), so every
briefing sees one value:

* A rate per 10,000 children (``reference/measures.csv`` unit ``per 10000 aged 0-17``) for an area
  and reporting year ``t`` is the count it is built on divided by the **newest** ONS estimate of
  children aged 0-17 for mid-(``t``-1) held in ``population.csv``, times 10,000.
* Where the published figure already equals that at the precision it is printed to, it is kept as
  published (nothing changes: 2025's rates are on the newest base). National and regional counts
  are rounded to the nearest 10 by DfE, so there the published figure is kept whenever a count
  within 5 of the one held reproduces it.
* Otherwise the row is **re-based**: ``value`` becomes the recomputed rate, ``computed`` is True,
  ``source`` reads ``computed: <release's source> / <population source> (re-based)``, and two
  columns keep the trail: ``published_value`` (the figure as its release printed it) and
  ``rebased`` (True). ``release`` stays the release of the count. ``newest_base`` says which rate
  rows are on the newest estimates.
* Every rate row with a count and a newest estimate gets that estimate as its ``denominator``, so
  tests of change and funnel plots compare years on one base.
* Where the newest series has no estimate (before mid-2012; Bournemouth, Poole and the old Dorset,
  which ONS no longer estimates) the published figure stays, on the base it was printed on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers

#: The count each rate per 10,000 is built on (used where a rate row carries no numerator).
RATE_COUNTS: dict[str, str] = {
    "cla_rate": "cla_count",
    "cla_starts_rate": "cla_starts",
    "cla_ceased_rate": "cla_ceased",
    "referrals_rate": "referrals",
    "cin_at31_rate": "cin_at31",
    "cpp_at31_rate": "cpp_at31",
}

#: Half the rounding step of national and regional counts (DfE rounds them to the nearest 10).
ROUNDED_COUNT_SLACK = 5.0

POPULATION_MEASURE = "population_0_17"


def rate_measures() -> list[str]:
    """Measures that are rates per 10,000 children aged 0-17 (from ``reference/measures.csv``)."""
    m = codes.measures()
    return sorted(m.index[m["unit"].str.startswith("per 10000")])


def _key(df: pd.DataFrame) -> pd.Series:
    """LA number for LAs (stable across GSS code changes), GSS code for England and regions."""
    return df["la_number"].astype("string").where(df["geographic_level"] == "la", df["area_code"].astype("string"))


def newest_base(population: pd.DataFrame) -> pd.DataFrame:
    """For each area and reporting year ``t``: the newest release's estimate for mid-(``t``-1).

    Columns: ``_key``, ``period`` (the reporting year it is the base of), ``pop``, ``pop_source``,
    ``pop_release``, ``pop_mid_year``. Only the newest release's series is used: an older series
    (e.g. the mid-2009 figure printed in the 2010 SFR) is a different base and is not mixed in.
    """
    pop = population[(population["measure"] == POPULATION_MEASURE) & (population["status"].fillna("") == "")].dropna(
        subset=["value"]
    )
    if pop.empty:
        return pd.DataFrame(columns=["_key", "period", "pop", "pop_source", "pop_release", "pop_mid_year"])
    newest = pop["release"].max()
    pop = pop[pop["release"] == newest]
    return pd.DataFrame(
        {
            "_key": _key(pop).to_numpy(),
            "period": (pop["period"].astype(int) + 1).to_numpy(),
            "pop": pop["value"].to_numpy(dtype=float),
            "pop_source": pop["source"].astype(str).to_numpy(),
            "pop_release": pop["release"].to_numpy(),
            "pop_mid_year": pop["period"].astype(int).to_numpy(),
        }
    ).drop_duplicates(["_key", "period"], keep="last")


def _printed(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Each value rounded half up to its measure's decimals (NaN stays NaN)."""
    return np.array([numbers.round_half_up(v, int(d)) for v, d in zip(values, decimals)], dtype=float)


def rebase(df: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Rates per 10,000 on the newest population base (see the module docstring); returns a copy
    with three more columns, ``published_value`` (float: the figure as DfE printed it, NaN where this
    project computed it), ``rebased`` (bool) and ``newest_base`` (bool: a rate on the newest
    estimates; False where ONS's newest series has no estimate for the area and year)."""
    out = df.copy()
    printed = ~out["computed"].astype(bool)
    out["published_value"] = out["value"].where(printed)
    out["rebased"] = False
    out["newest_base"] = False  # True for a rate on the newest estimates (re-based or already on them)
    rates = rate_measures()
    is_rate = out["measure"].isin(rates).to_numpy()
    base = newest_base(population)
    if not is_rate.any() or base.empty:
        return out

    r = out.loc[is_rate].assign(_key=_key(out.loc[is_rate]))
    # The count behind each rate: the row's own numerator, else the count measure's row.
    counts = out[out["measure"].isin(set(RATE_COUNTS.values())) & (out["status"] == "")]
    counts = pd.DataFrame(
        {
            "_count_measure": counts["measure"].to_numpy(),
            "_key": _key(counts).to_numpy(),
            "period": counts["period"].to_numpy(),
            "_count": counts["value"].to_numpy(dtype=float),
        }
    ).drop_duplicates(["_count_measure", "_key", "period"], keep="last")
    wanted = pd.DataFrame(
        {
            "_count_measure": r["measure"].map(RATE_COUNTS).to_numpy(),
            "_key": r["_key"].to_numpy(),
            "period": r["period"].to_numpy(),
        }
    )
    from_count = wanted.merge(counts, on=["_count_measure", "_key", "period"], how="left")["_count"].to_numpy(
        dtype=float
    )
    num = r["numerator"].to_numpy(dtype=float)
    num = np.where(np.isnan(num), from_count, num)

    merged = pd.DataFrame({"_key": r["_key"].to_numpy(), "period": r["period"].to_numpy()}).merge(
        base, on=["_key", "period"], how="left"
    )
    pop = merged["pop"].to_numpy(dtype=float)
    ok = (r["status"] == "").to_numpy() & ~np.isnan(num) & ~np.isnan(pop) & (pop > 0)
    new = np.where(ok, num / np.where(ok, pop, 1.0) * 10_000, np.nan)

    decimals = r["measure"].map(codes.measures()["decimals"]).to_numpy()
    value = r["value"].to_numpy(dtype=float)
    slack = np.where(r["geographic_level"].to_numpy() == "la", 0.0, ROUNDED_COUNT_SLACK)
    lo = _printed(np.where(ok, (num - slack) / np.where(ok, pop, 1.0) * 10_000, np.nan), decimals)
    hi = _printed(np.where(ok, (num + slack) / np.where(ok, pop, 1.0) * 10_000, np.nan), decimals)
    shown = _printed(value, decimals)
    same = (shown >= lo) & (shown <= hi)
    change = ok & ~np.isnan(value) & ~same & ~r["computed"].to_numpy(dtype=bool)

    idx = r.index
    # Every rate with a count and a newest estimate sits on that estimate: one base for all years.
    out.loc[idx[ok], "denominator"] = pop[ok]
    out.loc[idx[ok], "newest_base"] = True
    out.loc[idx[ok], "numerator"] = num[ok]
    # A rate this project computed from the same series is already on the newest base.
    recomputed = ok & r["computed"].to_numpy(dtype=bool)
    out.loc[idx[recomputed], "value"] = new[recomputed]
    if change.any():
        hit = idx[change]
        pop_src = merged["pop_source"].to_numpy()
        out.loc[hit, "value"] = new[change]
        out.loc[hit, "computed"] = True
        out.loc[hit, "rebased"] = True
        out.loc[hit, "source"] = [
            f"computed: {s} / {p} (re-based)" for s, p in zip(r.loc[change, "source"].astype(str), pop_src[change])
        ]
    return out


def base_label(population: pd.DataFrame) -> str:
    """Words for the newest base: ``"the mid-2024 population estimates"`` (ONS's series released
    with that mid-year, back-revised to mid-2012)."""
    base = newest_base(population)
    if base.empty:
        return "the newest population estimates"
    return f"the mid-{int(base['pop_mid_year'].max())} population estimates"
