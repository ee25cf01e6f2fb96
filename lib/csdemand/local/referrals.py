"""A council's own referrals extract, one row per referral, and the figures DfE publishes from it.

=================  ==========================================================================
column             meaning
=================  ==========================================================================
referral_id        the council's id of the referral (unique in the extract)
child_id           pseudonymous id of the child; the same child keeps the same id
referral_date      date the referral was received (``YYYY-MM-DD`` in the file)
source             who referred: one of :data:`SOURCES` (the CIN census source groups)
domestic_abuse     ``Y``/``N``: domestic abuse recorded as a reason for, or factor in, the referral;
                   ``Not recorded`` (:data:`NOT_RECORDED`) on every row when the source holds no
                   such field (Ofsted's Annex A List 3)
outcome            one of :data:`OUTCOMES`
=================  ==========================================================================

Dates run from :data:`EARLIEST` to today (the validator uses the same bounds), and an extract
must have at least one row.

Definitions follow the DfE Children in need census: a *re-referral* is a referral within 12 months
of a previous referral of the same child (see :func:`flag_rereferrals` for the exact rule), and a
*reporting year* runs 1 April to 31 March and is named by the year it ends in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table, require_columns

COLUMNS: list[str] = ["referral_id", "child_id", "referral_date", "source", "domestic_abuse", "outcome"]

SOURCES: tuple[str, ...] = ("Police", "Schools", "Health services", "Local authority services", "Individual", "Other")
OUTCOMES: tuple[str, ...] = ("No further action", "Assessment", "Information and advice")
NFA = "No further action"
DA_CODES: dict[str, bool] = {"Y": True, "N": False}
#: What a source writes in a field it does not hold (Annex A List 3 has no domestic-abuse flag).
#: The same words as :data:`csdemand.local.early_help.NOT_RECORDED`: one placeholder for every layout.
NOT_RECORDED = "Not recorded"
#: Codes the reader accepts in ``domestic_abuse``: ``Y``/``N`` on every row, or :data:`NOT_RECORDED` on every row.
DA_ACCEPTED: tuple[str, ...] = (*DA_CODES, NOT_RECORDED)

#: Earliest date a local extract may hold (none may lie after today).
EARLIEST = pd.Timestamp("2000-01-01")
#: What a reader says about an extract without data rows (the validator says the same).
NO_ROWS = "the extract has no rows"
NO_ROWS_EXPECTED = "at least one row of data below the header (for a query: rows for this authority)"

#: Longest gap, in days, at which a referral still counts as a re-referral ("within 12 months").
REREFERRAL_DAYS = 365

DATE_FORMAT = "%Y-%m-%d"


# --------------------------------------------------------------------------- reading


def read_extract(path: str | Path) -> pd.DataFrame:
    """Read and check a referrals extract CSV; return it typed.

    ``referral_date`` becomes datetime64 and ``domestic_abuse`` bool; ids stay strings and any
    extra columns are kept after the required ones. Every problem raises :class:`InputError`
    naming the file, the row as a spreadsheet shows it (header = row 1), the column and the value.
    """
    path = Path(path)
    # Shared with the published-file readers: strips a BOM, reads every cell as text.
    return from_frame(read_text_table(path), str(path))


def from_frame(df: pd.DataFrame, source: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Check and type a referrals table already read as text, as :func:`read_extract` does a file.

    ``df`` holds strings in the layout above (as :func:`csdemand.core.text.read_text_table` returns
    them); ``source`` names where it came from (a file path, ``query on $CSDEMAND_DB_URL``...) and
    is what every :class:`InputError` names, with the row counted as if the header were row 1.
    ``today`` (default the real today) is the latest date allowed. ``df`` itself is left unchanged.

    ``domestic_abuse`` becomes bool; where every row says :data:`NOT_RECORDED` it becomes the
    nullable ``boolean`` dtype, all missing, and ``attrs["domestic_abuse_recorded"]`` is False:
    the counts built from it are then missing (NaN), never 0.
    """
    # Shallow: under pandas' copy-on-write the caller's frame is never changed, and a deep copy
    # of a large extract's text columns (twice, with ``out`` below) cost ~300 MB for 3 million rows.
    df = df.copy(deep=False)

    require_columns(df, COLUMNS, source, "referrals extract")
    if len(df) == 0:
        raise InputError(NO_ROWS, file=source, expected=NO_ROWS_EXPECTED)
    for col in COLUMNS:
        df[col] = df[col].str.strip()

    for col in ("referral_id", "child_id"):
        _raise_at_first(df[col] == "", source, df[col], "empty id", "an id on every row")

    dates = pd.to_datetime(df["referral_date"], format=DATE_FORMAT, errors="coerce")
    # An empty cell and an impossible date (2024-02-30) both come back as NaT.
    _raise_at_first(dates.isna(), source, df["referral_date"], "not a date", "a date YYYY-MM-DD")
    check_date_range(dates, df["referral_date"], source, today)

    for col, allowed in (("source", SOURCES), ("outcome", OUTCOMES), ("domestic_abuse", DA_ACCEPTED)):
        _raise_at_first(
            ~df[col].isin(allowed),
            source,
            df[col],
            f"unknown {col.replace('_', ' ')} code",
            "one of " + ", ".join(repr(a) for a in allowed),
        )
    recorded = check_recorded_throughout(df["domestic_abuse"], source)

    dup = df["referral_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        value = df["referral_id"].iloc[i]
        first = int(np.flatnonzero((df["referral_id"] == value).to_numpy())[0])
        raise InputError(
            f"referral_id repeats the one on row {first + 2}",
            file=source,
            row=i + 2,
            column="referral_id",
            value=value,
            expected="each referral once",
        )

    out = df.copy(deep=False)
    out["referral_date"] = dates
    if recorded:
        out["domestic_abuse"] = df["domestic_abuse"].map(DA_CODES).astype(bool)
    else:
        out["domestic_abuse"] = pd.array([pd.NA] * len(df), dtype="boolean")
    out = out[COLUMNS + [c for c in df.columns if c not in COLUMNS]]
    if not recorded:
        out.attrs["domestic_abuse_recorded"] = False
    return out


def check_date_range(
    dates: pd.Series, values: pd.Series, source: str | Path, today: dt.date | str | None = None
) -> None:
    """Raise at the first date after ``today`` (default the real today) or before :data:`EARLIEST`,
    with the words the validator uses for the same date (NaT is left alone)."""
    today_ts = pd.Timestamp(dt.date.today() if today is None else today).normalize()
    _raise_at_first(
        dates > today_ts, source, values, "date in the future", f"a date no later than today ({today_ts:%Y-%m-%d})"
    )
    _raise_at_first(
        dates < EARLIEST,
        source,
        values,
        f"date before {EARLIEST:%Y-%m-%d}",
        f"a date from {EARLIEST:%Y-%m-%d} to today",
    )


def check_recorded_throughout(values: pd.Series, source: str | Path) -> bool:
    """True when no row says :data:`NOT_RECORDED`, False when every row does; InputError at the first
    row that differs from row 2 otherwise (a share over the rows that happen to hold the field
    would be a share of an unknown subset)."""
    missing = (values == NOT_RECORDED).to_numpy()
    if not missing.any():
        return True
    if missing.all():
        return False
    what = str(values.name).replace("_", " ")
    # The first row that disagrees with row 2 (the first data row) is the one reported.
    _raise_at_first(
        pd.Series(missing != missing[0], index=values.index),
        source,
        values,
        f"{what} is {NOT_RECORDED!r} on some rows and recorded on others",
        f"{what} recorded on every row, or {NOT_RECORDED!r} on every row (a source that does not hold it)",
    )
    return True  # not reached


def _raise_at_first(bad: pd.Series, path: str | Path, column: pd.Series, message: str, expected: str) -> None:
    """Raise for the first bad row of a column (rows counted with the header as row 1)."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            message, file=path, row=i + 2, column=str(column.name), value=column.iloc[i], expected=expected
        )


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
