"""A council's own referrals extract, one row per referral, and the figures DfE publishes from it.

The layout is declared once, in ``csdemand/reference/tables/referrals.yaml`` (columns, types,
code lists, date bounds; the README's section "Your own data" prints it): :func:`from_frame`
checks a table against it with the engine ``validate`` uses (:mod:`csdemand.core.schema`) and
raises the first problem that engine reports, so the two cannot disagree. In short:
``referral_id`` (unique), ``child_id``, ``referral_date`` (``YYYY-MM-DD``, 2000-01-01 to today),
``source`` (:data:`SOURCES`), ``domestic_abuse`` (``Y``/``N``, or :data:`NOT_RECORDED` on every row
when the source holds no such field, as Ofsted's Annex A List 3) and ``outcome``
(:data:`OUTCOMES`); an extract must have at least one row.

Definitions follow the DfE Children in need census: a *re-referral* is a referral within 12 months
of a previous referral of the same child (see :func:`flag_rereferrals` for the exact rule), and a
*reporting year* runs 1 April to 31 March and is named by the year it ends in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import schema
from csdemand.core.errors import InputError

#: The declared layout (``reference/tables/referrals.yaml``).
LAYOUT = schema.table("referrals")
COLUMNS: list[str] = list(LAYOUT.required)

SOURCES: tuple[str, ...] = LAYOUT.column("source").codes
OUTCOMES: tuple[str, ...] = LAYOUT.column("outcome").codes
NFA = schema.code("referral_outcomes", "nfa")
#: Domestic abuse codes and what they mean.
DA_CODES: dict[str, bool] = {schema.code("yes_no", "true"): True, schema.code("yes_no", "false"): False}
#: What a source writes in a field it does not hold (Annex A List 3 has no domestic-abuse flag):
#: one placeholder for every layout (:data:`csdemand.core.schema.NOT_RECORDED`).
NOT_RECORDED = schema.NOT_RECORDED
#: Codes the reader accepts in ``domestic_abuse``: ``Y``/``N`` on every row, or :data:`NOT_RECORDED` on every row.
DA_ACCEPTED: tuple[str, ...] = LAYOUT.column("domestic_abuse").accepted

#: Earliest date a local extract may hold (none may lie after today).
EARLIEST = schema.EARLIEST
#: What a reader says about an extract without data rows (the validator says the same).
NO_ROWS = schema.NO_ROWS
NO_ROWS_EXPECTED = schema.NO_ROWS_EXPECTED

#: Longest gap, in days, at which a referral still counts as a re-referral ("within 12 months").
REREFERRAL_DAYS = 365

DATE_FORMAT = schema.DATE_FORMAT


# --------------------------------------------------------------------------- reading


def read_extract(path: str | Path, today: dt.date | str | None = None) -> pd.DataFrame:
    """Read and check a referrals extract CSV; return it typed (see :func:`from_frame`).

    The file is read and checked as ``validate`` reads it (:func:`csdemand.core.schema.read_csv`):
    the first problem, of the file or of a cell, raises :class:`InputError` naming the file, the
    row as a spreadsheet shows it (header = row 1), the column and the value.
    """
    checked = schema.read_csv(path, LAYOUT, today=today)
    checked.raise_first()
    return _typed(checked)


def from_frame(df: pd.DataFrame, source: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Check and type a referrals table already read as text, as :func:`read_extract` does a file.

    ``df`` holds strings in the declared layout (as a CSV, a workbook or a query gives them);
    ``source`` names where it came from (a file path, ``query on $CSDEMAND_DB_URL``...) and is
    what every :class:`InputError` names, with the row counted as if the header were row 1.
    ``today`` (default the real today) is the latest date allowed. ``df`` itself is left unchanged.

    ``referral_date`` becomes datetime64 and ``domestic_abuse`` bool; where every row says
    :data:`NOT_RECORDED` it becomes the nullable ``boolean`` dtype, all missing, and
    ``attrs["domestic_abuse_recorded"]`` is False: the counts built from it are then missing
    (NaN), never 0. Ids and codes stay (stripped) strings; extra columns are kept after these.
    """
    checked = schema.check(df, LAYOUT, source=source, today=today)
    checked.raise_first()
    return _typed(checked)


def _typed(checked: schema.Checked) -> pd.DataFrame:
    """The checked table with dates and flags typed, the declared columns first."""
    df = checked.frame
    out = df.copy(deep=False)  # copy-on-write: columns are replaced, never changed in place
    out["referral_date"] = checked.dates("referral_date")
    flags = checked.values["domestic_abuse"]  # the distinct codes and each row's
    recorded = list(flags.uniques) != [NOT_RECORDED]
    if recorded:
        meaning = np.array([DA_CODES.get(str(u), False) for u in flags.uniques], dtype=bool)
        out["domestic_abuse"] = pd.Series(flags.rows(meaning), index=df.index)
    else:
        out["domestic_abuse"] = pd.array([pd.NA] * len(df), dtype="boolean")
        out.attrs["domestic_abuse_recorded"] = False
    return out[COLUMNS + [c for c in df.columns if c not in COLUMNS]]


# --------------------------------------------------------------------------- definitions


def flag_rereferrals(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``days_since_previous`` (float days) and ``rereferral`` (bool) to a referrals table.

    DfE: a re-referral is a referral within 12 months of a previous referral of the same child.
    Here that is 0 <= days since the child's *most recent* earlier referral <= 365, so 365 days is
    a re-referral and 366 is not (a calendar year spanning 29 February is 366 days: the same date
    next year is then not a re-referral).

    Referrals of a child on the same day are ordered by ``referral_id``; the later one is a
    re-referral at 0 days. DfE counts every referral, so a same-day duplicate inflates both counts:
    validation should flag it rather than this function silently dropping it.

    A child's first referral in the extract has ``days_since_previous`` NaN and is not a
    re-referral. Referrals before the extract began are unknown, so re-referrals are under-counted
    for the first 12 months of an extract.

    Rows keep their order and index.
    """
    _require(df, ["referral_id", "child_id", "referral_date"])
    out = df.copy()
    # Work on positions so any index (even a duplicated one) survives the sort and scatter back.
    keys = pd.DataFrame(
        {
            "child_id": df["child_id"].to_numpy(),
            "date": pd.to_datetime(df["referral_date"]).dt.normalize().to_numpy(),
            "referral_id": df["referral_id"].astype(str).to_numpy(),
        }
    )
    s = keys.sort_values(["child_id", "date", "referral_id"], kind="mergesort")
    same_child = s["child_id"].eq(s["child_id"].shift())
    gap = (s["date"] - s["date"].shift()).dt.days.astype("float64").where(same_child)
    days = gap.sort_index().to_numpy()
    out["days_since_previous"] = days
    out["rereferral"] = (days >= 0) & (days <= REREFERRAL_DAYS)  # NaN compares False: first referrals
    return out


def reporting_year(dates: pd.Series | pd.DatetimeIndex | list) -> pd.Series:
    """DfE reporting year (ending 31 March) of each date: 2024-03-31 -> 2024, 2024-04-01 -> 2025."""
    from csdemand.core import periods

    return periods.reporting_years(pd.Series(pd.to_datetime(dates))).astype("int64")


# --------------------------------------------------------------------------- summaries


def monthly(df: pd.DataFrame) -> pd.DataFrame:
    """One row per calendar month from the first referral's month to the last, gaps filled with 0.

    Columns: ``month`` (``YYYY-MM``), ``referrals``, ``rereferrals``, ``domestic_abuse``, ``nfa``
    (no further action), ``da_share`` (proportion 0-1 of referrals with domestic abuse) with its
    95% Wilson interval ``da_lower``/``da_upper``, and ``rereferral_pct`` (0-100). Shares are NaN in
    a month with no referrals; the domestic-abuse count, share and interval are NaN throughout when
    the source does not record domestic abuse (see :func:`from_frame`). Re-referrals are flagged
    first if the table has no ``rereferral``.
    """
    t, da_recorded = _counting_frame(df)
    columns = [
        "month",
        "referrals",
        "rereferrals",
        "domestic_abuse",
        "nfa",
        "da_share",
        "da_lower",
        "da_upper",
        "rereferral_pct",
    ]
    if t.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c == "month" else "float64") for c in columns})
    t["month"] = t["referral_date"].dt.to_period("M")
    counts = _counts(t, "month")
    months = pd.period_range(t["month"].min(), t["month"].max(), freq="M")
    counts = counts.reindex(months, fill_value=0)

    out = counts.reset_index(names="month")
    out["month"] = out["month"].astype(str)
    n = out["referrals"].to_numpy()
    has = n > 0
    out["da_share"] = np.where(has, out["domestic_abuse"] / np.where(has, n, 1), np.nan)
    lower = np.full(len(out), np.nan)
    upper = np.full(len(out), np.nan)
    # Wilson rather than the normal approximation: monthly counts are small and shares can be 0.
    from statsmodels.stats.proportion import proportion_confint  # here: importing it costs ~1 s of CPU

    lower[has], upper[has] = proportion_confint(
        out["domestic_abuse"].to_numpy()[has], n[has], alpha=0.05, method="wilson"
    )
    out["da_lower"] = lower
    out["da_upper"] = upper
    out["rereferral_pct"] = np.where(has, out["rereferrals"] / np.where(has, n, 1) * 100, np.nan)
    if not da_recorded:
        out[["domestic_abuse", "da_share", "da_lower", "da_upper"]] = np.nan  # not recorded: unknown, never 0
    return out[columns]


def annual(df: pd.DataFrame) -> pd.DataFrame:
    """One row per reporting year from the first to the last in the extract, as DfE publishes.

    Columns: ``period`` (reporting year), ``referrals``, ``rereferrals``, ``rereferral_pct``
    (0-100), ``domestic_abuse``, ``da_share`` (0-1; both NaN when the source does not record domestic
    abuse), ``nfa``, ``nfa_pct`` (0-100) and ``complete``:
    True when all 12 months of the year lie inside the extract, taken as the first referral's
    month to the last referral's month (a quiet 1 April should not make a year look partial).
    Compare only complete years with published figures, and remember that the first 12 months of
    an extract under-count re-referrals (see :func:`flag_rereferrals`).
    """
    t, da_recorded = _counting_frame(df)
    columns = [
        "period",
        "referrals",
        "rereferrals",
        "rereferral_pct",
        "domestic_abuse",
        "da_share",
        "nfa",
        "nfa_pct",
        "complete",
    ]
    if t.empty:
        return pd.DataFrame({c: pd.Series(dtype="bool" if c == "complete" else "float64") for c in columns})
    t["period"] = reporting_year(t["referral_date"]).to_numpy()
    counts = _counts(t, "period")
    years = range(int(t["period"].min()), int(t["period"].max()) + 1)
    counts = counts.reindex(years, fill_value=0)

    out = counts.reset_index(names="period")
    n = out["referrals"].where(out["referrals"] > 0)  # NaN shares in an empty year, not 0
    out["rereferral_pct"] = out["rereferrals"] / n * 100
    out["da_share"] = out["domestic_abuse"] / n
    out["nfa_pct"] = out["nfa"] / n * 100
    first_month = t["referral_date"].min().to_period("M")
    last_month = t["referral_date"].max().to_period("M")
    out["complete"] = [
        bool(first_month <= pd.Period(f"{y - 1}-04", "M") and last_month >= pd.Period(f"{y}-03", "M"))
        for y in out["period"]
    ]
    out["period"] = out["period"].astype("int64")
    if not da_recorded:
        out[["domestic_abuse", "da_share"]] = np.nan  # not recorded: unknown, never 0
    return out[columns]


def by_source(df: pd.DataFrame) -> pd.DataFrame:
    """Referrals per reporting year and source: ``period``, ``source``, ``referrals`` and ``share``
    (0-1 of the year's referrals). Every source in :data:`SOURCES` appears each year, 0 if none."""
    _require(df, ["referral_date", "source"])
    t = pd.DataFrame({"period": reporting_year(df["referral_date"]).to_numpy(), "source": df["source"].to_numpy()})
    if t.empty:
        return pd.DataFrame(
            {
                "period": pd.Series(dtype="int64"),
                "source": pd.Series(dtype="str"),
                "referrals": pd.Series(dtype="int64"),
                "share": pd.Series(dtype="float64"),
            }
        )
    years = range(int(t["period"].min()), int(t["period"].max()) + 1)
    # Unknown sources (a hand-made frame) are kept after the known ones rather than dropped.
    sources = list(SOURCES) + sorted(set(t["source"]) - set(SOURCES))
    grid = pd.MultiIndex.from_product([years, sources], names=["period", "source"])
    counts = t.groupby(["period", "source"]).size().reindex(grid, fill_value=0).rename("referrals").reset_index()
    totals = counts.groupby("period")["referrals"].transform("sum")
    counts["share"] = counts["referrals"] / totals.where(totals > 0)
    counts["period"] = counts["period"].astype("int64")
    counts["referrals"] = counts["referrals"].astype("int64")
    return counts


# --------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the referrals table has no column {missing[0]!r}",
            column=missing[0],
            expected="columns " + ", ".join(columns),
        )


def _as_bool(values: pd.Series) -> np.ndarray | None:
    """Domestic abuse flags as a bool array, whether typed (read_extract) or still ``Y``/``N`` codes;
    None when the source does not record them (all missing, or :data:`NOT_RECORDED` throughout)."""
    if (
        isinstance(values.dtype, pd.BooleanDtype)
        or values.dtype == object
        or pd.api.types.is_string_dtype(values.dtype)
    ):
        unknown = values.isna().to_numpy() | (values.astype(object) == NOT_RECORDED).to_numpy()
        if len(values) and unknown.all():
            return None
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise InputError(
                "domestic abuse is recorded on some rows only",
                column="domestic_abuse",
                value=values.iloc[i],
                expected="a flag on every row, or on none",
            )
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool).to_numpy()
    mapped = values.map(DA_CODES)
    if mapped.isna().any():
        i = int(np.flatnonzero(mapped.isna().to_numpy())[0])
        raise InputError(
            "unknown domestic abuse code",
            column="domestic_abuse",
            value=values.iloc[i],
            expected="'Y' or 'N', or True/False",
        )
    return mapped.astype(bool).to_numpy()


def _counting_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Date, re-referral, domestic-abuse and NFA columns ready to count (flags re-referrals if
    needed), and whether domestic abuse is recorded (when not, its column is all False here and
    the callers blank the counts)."""
    _require(df, ["referral_date", "domestic_abuse", "outcome"])
    if "rereferral" not in df.columns:
        df = flag_rereferrals(df)
    da = _as_bool(df["domestic_abuse"])
    return pd.DataFrame(
        {
            "referral_date": pd.to_datetime(df["referral_date"]).to_numpy(),
            "rereferral": df["rereferral"].astype(bool).to_numpy(),
            "domestic_abuse": da if da is not None else np.zeros(len(df), dtype=bool),
            "nfa": (df["outcome"] == NFA).to_numpy(),
        }
    ), da is not None


def _counts(t: pd.DataFrame, by: str) -> pd.DataFrame:
    """referrals, rereferrals, domestic_abuse and nfa counted by ``by`` (int64)."""
    g = t.groupby(by)
    return pd.DataFrame(
        {
            "referrals": g.size(),
            "rereferrals": g["rereferral"].sum(),
            "domestic_abuse": g["domestic_abuse"].sum(),
            "nfa": g["nfa"].sum(),
        }
    ).astype("int64")
