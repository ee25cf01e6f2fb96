"""Early help requests: a council's record-level extract, or a table already counted by month.

Record level (:func:`read_requests`), one row per request:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
request_id         the council's id of the request (unique in the extract)
family_id          pseudonymous id of the family; the same family keeps the same id
date_received      date the request was received (``YYYY-MM-DD`` in the file)
hub                the early help hub that took it: one of :data:`HUBS` (or :data:`NOT_RECORDED`)
reason             main reason for the request: one of :data:`REASONS` (or :data:`NOT_RECORDED`)
outcome            one of :data:`OUTCOMES` (or :data:`NOT_RECORDED`)
=================  ==========================================================================

``Not recorded`` is what a source that does not hold a field puts in its place (Ofsted's Annex A
List 2 has no hub, reason or outcome): :func:`unrecorded` names such fields, and a briefing leaves
out what needs them rather than showing a zero.

Pre-aggregated (:func:`read_monthly`), one row per month, or per month and ``hub`` and/or
``reason`` when those columns are present:

=================  ==========================================================================
month              calendar month, ``YYYY-MM``
requests           requests received that month (a whole number, 0 to :data:`MAX_MONTHLY_REQUESTS`)
hub, reason        optional breakdowns, codes as above; a month's total is the sum of its rows
=================  ==========================================================================

Either layout must hold at least one row: an extract with a header only (or a query that returns
nothing) is refused with "the extract has no rows".

:func:`load` tells the two apart by the header. The summaries (:func:`monthly_totals`,
:func:`monthly_by`, :func:`outcomes`) accept either layout as the readers return it, so a
briefing can run on whichever a council can supply. Reporting years run 1 April to 31 March and
are named by the year they end in, as for referrals.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table, require_columns
from csdemand.local.referrals import DATE_FORMAT, _raise_at_first, reporting_year

COLUMNS: list[str] = ["request_id", "family_id", "date_received", "hub", "reason", "outcome"]
MONTHLY_COLUMNS: list[str] = ["month", "requests"]
#: Optional breakdown columns of the pre-aggregated layout.
BREAKDOWNS: tuple[str, ...] = ("hub", "reason")

HUBS: tuple[str, ...] = ("North", "Central", "South")
REASONS: tuple[str, ...] = (
    "Mental wellbeing",
    "Housing",
    "Finance and debt",
    "Parenting",
    "Child behaviour",
    "Education",
)
OUTCOMES: tuple[str, ...] = ("Support offered", "Signposted", "Stepped up to social care")
STEPPED_UP = "Stepped up to social care"

#: Known codes of each coded column, in the order summaries list them.
CODES: dict[str, tuple[str, ...]] = {"hub": HUBS, "reason": REASONS, "outcome": OUTCOMES}
#: Placeholder for a field the source does not record (Ofsted's Annex A List 2 has no hub, reason
#: or outcome): accepted by the readers in every coded column, but not one of :data:`CODES`, so a
#: breakdown lists it (after the known codes) only when present.
NOT_RECORDED = "Not recorded"
#: Codes the readers accept in each coded column.
ACCEPTED: dict[str, tuple[str, ...]] = {col: codes + (NOT_RECORDED,) for col, codes in CODES.items()}
#: Fields a source may not record (see :func:`unrecorded`).
OPTIONAL_FIELDS: tuple[str, ...] = ("hub", "reason", "outcome")

#: More requests than this in one month is not a council's count (England has about 12 million
#: children): the readers refuse it as implausible rather than chart it.
MAX_MONTHLY_REQUESTS = 1_000_000_000
#: What an extract with a header and no rows lacks (both layouts).
NO_ROWS_EXPECTED = "at least one request (record level) or one month (a monthly table) below the header"

RECORD = "record"
MONTHLY = "monthly"

OUTCOME_COLUMNS = ["period", "requests", "outcome_recorded", "stepped_up", "stepped_up_pct", "complete"]

_MONTH_RE = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])")  # ASCII digits, years 1900-2099
# A count as a spreadsheet may write it: digits, optionally thousands commas and a decimal part
# (checked to be .0), optionally signed (so a negative count gets its own message).
_COUNT_RE = re.compile(r"[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")


# --------------------------------------------------------------------------- reading


def read_requests(path: str | Path) -> pd.DataFrame:
    """Read and check a record-level early help requests extract CSV; return it typed.

    ``date_received`` becomes datetime64; ids and codes stay strings and any extra columns are
    kept after the required ones. Every problem raises :class:`InputError` naming the file, the
    row as a spreadsheet shows it (header = row 1), the column and the value.
    """
    path = Path(path)
    return _requests_from_table(read_text_table(path), path)


def read_monthly(path: str | Path) -> pd.DataFrame:
    """Read and check a pre-aggregated monthly table of early help requests; return it typed.

    ``month`` becomes a monthly Period (``period[M]``) and ``requests`` int64; ``hub`` and
    ``reason``, when present, are checked against :data:`HUBS` and :data:`REASONS`. Rows are
    kept in file order, extra columns after the known ones.

    Errors (:class:`InputError` with file, row and column): a month not ``YYYY-MM``; a count that
    is text, negative or not whole; the same month (or month and hub/reason) twice; and a gap:
    every month from the first to the last must have at least one row (write 0 for a month
    without requests), the error naming the first missing month. Within a month a hub or reason
    without a row counts as 0.
    """
    path = Path(path)
    return _monthly_from_table(read_text_table(path), path)


def load(path: str | Path) -> pd.DataFrame:
    """Read either layout, told apart by the header: ``date_received`` means record level
    (:func:`read_requests`), ``month`` and ``requests`` a pre-aggregated table (:func:`read_monthly`).
    Any other header raises :class:`InputError` naming the columns each layout needs; a file with
    a header and no rows raises "the extract has no rows"."""
    path = Path(path)
    return from_frame(read_text_table(path), str(path))


def from_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check and type a table already read as text, as :func:`load` does a file: either layout.

    ``df`` holds strings (as :func:`csdemand.published.sources.read_text_table` returns them); ``source``
    names where it came from (a file path, ``query on $CSDEMAND_DB_URL``...) and is what every
    :class:`InputError` names, rows counted as if the header were row 1. ``df`` is left unchanged.
    """
    df = df.copy()
    columns = set(df.columns)
    if ("date_received" in columns or set(MONTHLY_COLUMNS) <= columns) and df.empty:
        _no_rows(source)
    if "date_received" in columns:
        return _requests_from_table(df, source)
    if set(MONTHLY_COLUMNS) <= columns:
        return _monthly_from_table(df, source)
    raise InputError(
        "not an early help requests file: the header has neither 'date_received' nor 'month' and 'requests'",
        file=source,
        row=1,
        value=list(df.columns),
        expected="a record-level header with "
        + ", ".join(COLUMNS)
        + "; or a monthly header with "
        + ", ".join(MONTHLY_COLUMNS)
        + " (optionally hub, reason)",
    )


def _no_rows(source: str | Path) -> None:
    raise InputError(
        "the extract has no rows",
        file=source,
        row=2,
        expected=NO_ROWS_EXPECTED,
    )


def _requests_from_table(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    require_columns(df, COLUMNS, path, "early help requests extract")
    if df.empty:
        _no_rows(path)
    for col in COLUMNS:
        df[col] = df[col].str.strip()

    for col in ("request_id", "family_id"):
        _raise_at_first(df[col] == "", path, df[col], "empty id", "an id on every row")

    dates = pd.to_datetime(df["date_received"], format=DATE_FORMAT, errors="coerce")
    # An empty cell and an impossible date (2024-02-30) both come back as NaT.
    _raise_at_first(dates.isna(), path, df["date_received"], "not a date", "a date YYYY-MM-DD")

    for col, allowed in ACCEPTED.items():
        _raise_at_first(~df[col].isin(allowed), path, df[col], f"unknown {col} code", _one_of(allowed))

    _raise_on_repeat(df, ["request_id"], path, "each request once")

    out = df.copy()
    out["date_received"] = dates
    return out[COLUMNS + [c for c in df.columns if c not in COLUMNS]]


def _monthly_from_table(df: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    missing = [c for c in MONTHLY_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)} in the monthly early help table",
            file=path,
            row=1,
            column=missing[0],
            expected="a header with " + ", ".join(MONTHLY_COLUMNS) + " (optionally hub, reason)",
        )
    if df.empty:
        _no_rows(path)
    breakdowns = [c for c in BREAKDOWNS if c in df.columns]
    for col in MONTHLY_COLUMNS + breakdowns:
        df[col] = df[col].str.strip()

    _raise_at_first(
        ~df["month"].str.fullmatch(_MONTH_RE), path, df["month"], "not a month", "a month YYYY-MM, such as 2020-01"
    )
    counts = _parse_counts(df["requests"], path)
    for col in breakdowns:
        _raise_at_first(~df[col].isin(ACCEPTED[col]), path, df[col], f"unknown {col} code", _one_of(ACCEPTED[col]))
    _raise_on_repeat(
        df,
        ["month"] + breakdowns,
        path,
        "each month once" if not breakdowns else "each month and " + " and ".join(breakdowns) + " once",
    )

    months = pd.PeriodIndex(df["month"], freq="M")
    if len(months):
        present = set(months)
        for m in pd.period_range(months.min(), months.max(), freq="M"):
            if m not in present:
                raise InputError(
                    f"month {m} is missing: months must run without gaps from {months.min()} to {months.max()}",
                    file=path,
                    column="month",
                    value=str(m),
                    expected="a row for every month (0 requests if none)",
                )

    out = df.copy()
    out["month"] = pd.Series(months, index=df.index)
    out["requests"] = counts
    known = MONTHLY_COLUMNS + breakdowns
    return out[known + [c for c in df.columns if c not in known]]


def _parse_counts(values: pd.Series, path: str | Path) -> np.ndarray:
    """Whole numbers of requests, 0 or more (``1,052`` and ``12.0`` accepted); InputError at the first bad cell."""
    expected = "a whole number of requests, 0 or more"
    ok = values.str.fullmatch(_COUNT_RE)
    _raise_at_first(~ok, path, values, "not a number", expected)
    numbers = values.str.replace(",", "", regex=False).astype(float)
    _raise_at_first(numbers < 0, path, values, "negative count", expected)
    _raise_at_first(numbers % 1 != 0, path, values, "not a whole number", expected)
    _raise_at_first(
        numbers > MAX_MONTHLY_REQUESTS,
        path,
        values,
        "implausibly large count for one month",
        f"a monthly count of at most {MAX_MONTHLY_REQUESTS:,}",
    )
    return numbers.to_numpy().astype("int64")


def _raise_on_repeat(df: pd.DataFrame, key: list[str], path: str | Path, expected: str) -> None:
    """Raise at the first row whose ``key`` repeats an earlier row's, naming that earlier row."""
    dup = df.duplicated(key)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        same = (df[key] == df[key].iloc[i]).all(axis=1)
        first = int(np.flatnonzero(same.to_numpy())[0])
        what = " and ".join(key)
        value = df[key[0]].iloc[i] if len(key) == 1 else tuple(df[key].iloc[i])
        raise InputError(
            f"{what} repeats the one on row {first + 2}",
            file=path,
            row=i + 2,
            column=key[0],
            value=value,
            expected=expected,
        )


def _one_of(allowed: tuple[str, ...]) -> str:
    return "one of " + ", ".join(repr(a) for a in allowed)


# --------------------------------------------------------------------------- summaries


def layout(df: pd.DataFrame) -> str:
    """:data:`RECORD` or :data:`MONTHLY`, judged by the columns as :func:`load` judges a header."""
    if "date_received" in df.columns:
        return RECORD
    if set(MONTHLY_COLUMNS) <= set(df.columns):
        return MONTHLY
    raise InputError(
        "not an early help requests table: it has neither 'date_received' nor 'month' and 'requests'",
        value=list(df.columns),
        expected="the columns read_requests or read_monthly returns",
    )


def monthly_totals(df: pd.DataFrame) -> pd.Series:
    """Requests per calendar month from the first month to the last, gaps filled with 0.

    Works from either layout. Returns int64 named ``requests``, indexed by a monthly
    :class:`pandas.PeriodIndex` named ``month``.
    """
    if layout(df) == RECORD:
        months = _months(df["date_received"])
        counts = months.value_counts()
    else:
        months = _as_months(df["month"])
        counts = pd.Series(df["requests"].to_numpy(dtype="int64"), index=months).groupby(level=0).sum()
    out = counts.reindex(_span(months), fill_value=0).astype("int64")
    out.index.name = "month"
    return out.rename("requests")


def monthly_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Requests per month (rows) and category of ``column`` (columns), gaps filled with 0.

    ``column`` is ``hub`` or ``reason`` (or, record level only, ``outcome`` or any other
    column). Known codes all appear, in the order of :data:`CODES`, then any others. A monthly
    table without that column raises :class:`InputError`: the breakdown is not available.
    """
    kind = layout(df)
    if column not in df.columns:
        what = "this monthly table" if kind == MONTHLY else "this table"
        raise InputError(
            f"the breakdown by {column} is not available: {what} has no {column!r} column",
            column=column,
            expected="a record-level extract, or a monthly table with a " + repr(column) + " column",
        )
    if kind == RECORD:
        months = _months(df["date_received"])
        counts = pd.Series(1, index=pd.MultiIndex.from_arrays([months, df[column].to_numpy()]))
    else:
        months = _as_months(df["month"])
        counts = pd.Series(
            df["requests"].to_numpy(dtype="int64"), index=pd.MultiIndex.from_arrays([months, df[column].to_numpy()])
        )
    table = counts.groupby(level=[0, 1]).sum().unstack(fill_value=0)
    known = CODES.get(column, ())
    order = list(known) + sorted((c for c in table.columns if c not in known), key=str)
    table = table.reindex(index=_span(months), columns=order, fill_value=0).fillna(0).astype("int64")
    table.index.name = "month"
    table.columns.name = column
    return table


def outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """Requests and step-ups to social care per reporting year (ending 31 March).

    Columns: ``period`` (reporting year), ``requests``, ``outcome_recorded`` (requests whose
    outcome is recorded, not :data:`NOT_RECORDED`), ``stepped_up`` (outcome "Stepped up to social
    care"), ``stepped_up_pct`` (stepped_up / outcome_recorded x 100, 0-100; NaN in a year without
    a recorded outcome) and ``complete``:
    True when all 12 months of the year lie inside the extract (first request's month to last
    request's month). Years without requests are filled with 0. Record level only: a monthly
    table has no outcomes, and gives an empty frame with these columns.
    """
    if layout(df) == MONTHLY or df.empty:
        return _empty_outcomes()
    dates = pd.to_datetime(df["date_received"])
    t = pd.DataFrame(
        {
            "period": reporting_year(dates).to_numpy(),
            "recorded": (df["outcome"] != NOT_RECORDED).to_numpy(),
            "stepped_up": (df["outcome"] == STEPPED_UP).to_numpy(),
        }
    )
    g = t.groupby("period")
    years = range(int(t["period"].min()), int(t["period"].max()) + 1)
    out = (
        pd.DataFrame(
            {"requests": g.size(), "outcome_recorded": g["recorded"].sum(), "stepped_up": g["stepped_up"].sum()}
        )
        .reindex(years, fill_value=0)
        .astype("int64")
    )
    out = out.reset_index(names="period")
    out["stepped_up_pct"] = out["stepped_up"] / out["outcome_recorded"].where(out["outcome_recorded"] > 0) * 100
    first, last = dates.min().to_period("M"), dates.max().to_period("M")
    out["complete"] = [
        bool(first <= pd.Period(f"{y - 1}-04", "M") and last >= pd.Period(f"{y}-03", "M")) for y in out["period"]
    ]
    out["period"] = out["period"].astype("int64")
    return out[OUTCOME_COLUMNS]


def unrecorded(df: pd.DataFrame, not_recorded: frozenset[str] | set[str] = frozenset()) -> frozenset[str]:
    """The fields of :data:`OPTIONAL_FIELDS` this table does not record: those a reader marked
    (``df.attrs["<field>_recorded"]`` False, or listed in ``not_recorded``, as
    :class:`csdemand.local.sources.LocalRecords` carries them), those every row of which is
    :data:`NOT_RECORDED`, and, for a monthly table, the breakdowns it has no column for (a
    monthly table never has outcomes)."""
    out = {f for f in OPTIONAL_FIELDS if f in set(not_recorded) or df.attrs.get(f"{f}_recorded") is False}
    for f in OPTIONAL_FIELDS:
        if f not in df.columns or (len(df) and (df[f].astype(str) == NOT_RECORDED).all()):
            out.add(f)
    return frozenset(out)


def full_months(
    series: pd.Series | pd.DataFrame, today: str | date | pd.Timestamp | None = None
) -> pd.Series | pd.DataFrame:
    """Drop the month of ``today`` (default: the real today) and any later: full months only.

    ``series`` is indexed by month (a monthly PeriodIndex as :func:`monthly_totals` and
    :func:`monthly_by` return, or dates); a DataFrame is cut the same way.
    """
    current = pd.Timestamp(date.today() if today is None else today).to_period("M")
    months = _as_months(series.index)
    return series[np.asarray(months < current)]


# --------------------------------------------------------------------------- helpers


def _months(dates: pd.Series) -> pd.PeriodIndex:
    return pd.PeriodIndex(pd.to_datetime(dates).dt.to_period("M"))


def _as_months(values) -> pd.PeriodIndex:
    """Months as a monthly PeriodIndex, from periods, dates or ``YYYY-MM`` strings."""
    if isinstance(values, pd.PeriodIndex) or isinstance(getattr(values, "dtype", None), pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.PeriodIndex(pd.DatetimeIndex(values).to_period("M"))
    return pd.PeriodIndex(pd.Index(values).astype(str), freq="M")


def _span(months: pd.PeriodIndex) -> pd.PeriodIndex:
    """Every month from the first to the last (empty if there are none)."""
    if len(months) == 0:
        return pd.PeriodIndex([], freq="M", name="month")
    return pd.period_range(months.min(), months.max(), freq="M", name="month")


def _empty_outcomes() -> pd.DataFrame:
    dtypes = {
        "period": "int64",
        "requests": "int64",
        "outcome_recorded": "int64",
        "stepped_up": "int64",
        "stepped_up_pct": "float64",
        "complete": "bool",
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in OUTCOME_COLUMNS})
