"""Early help requests: a council's record-level extract, or a table already counted by month.

Both layouts are declared once, in ``csdemand/reference/tables/early_help_requests.yaml`` (one
row per request: ``request_id``, ``family_id``, ``date_received``, ``hub``, ``reason``,
``outcome``) and ``early_help_monthly.yaml`` (one row per month, or per month and ``hub`` and/or
``reason``: ``month``, ``requests``); the README's section "Your own data" prints them. The
readers check a table against its layout with the engine ``validate`` uses
(:mod:`csdemand.core.schema`) and raise the first problem it reports, so the two cannot disagree.

``Not recorded`` is what a source that does not hold a field puts in its place (Ofsted's Annex A
List 2 has no hub, reason or outcome): :func:`unrecorded` names such fields, and a briefing leaves
out what needs them rather than showing a zero.

Either layout must hold at least one row: an extract with a header only (or a query that returns
nothing) is refused with "the extract has no rows". In a monthly table every month from the first
to the last needs a row (0 requests if none), and a month's total is the sum of its rows.

:func:`load` tells the two apart by the header. The summaries (:func:`monthly_totals`,
:func:`monthly_by`, :func:`outcomes`) accept either layout as the readers return it, so a
briefing can run on whichever a council can supply. Reporting years run 1 April to 31 March and
are named by the year they end in, as for referrals.
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import schema
from csdemand.core.errors import InputError
from csdemand.local.referrals import reporting_year

#: The declared layouts (``reference/tables/``): one row per request, or counts by month.
RECORD_LAYOUT = schema.table("early_help_requests")
MONTHLY_LAYOUT = schema.table("early_help_monthly")
#: The local table both are layouts of (the key in ``config/data.yml``).
TABLE = RECORD_LAYOUT.table

COLUMNS: list[str] = list(RECORD_LAYOUT.required)
MONTHLY_COLUMNS: list[str] = list(MONTHLY_LAYOUT.required)
#: Optional breakdown columns of the pre-aggregated layout.
BREAKDOWNS: tuple[str, ...] = MONTHLY_LAYOUT.optional

HUBS: tuple[str, ...] = RECORD_LAYOUT.column("hub").codes
REASONS: tuple[str, ...] = RECORD_LAYOUT.column("reason").codes
OUTCOMES: tuple[str, ...] = RECORD_LAYOUT.column("outcome").codes
STEPPED_UP = schema.code("early_help_outcomes", "stepped_up")

#: Known codes of each coded column, in the order summaries list them.
CODES: dict[str, tuple[str, ...]] = {c: RECORD_LAYOUT.column(c).codes for c in RECORD_LAYOUT.of_type("code")}
#: Placeholder for a field the source does not record (Ofsted's Annex A List 2 has no hub, reason
#: or outcome): accepted by the readers in every coded column, but not one of :data:`CODES`, so a
#: breakdown lists it (after the known codes) only when present.
NOT_RECORDED = schema.NOT_RECORDED
#: Codes the readers accept in each coded column.
ACCEPTED: dict[str, tuple[str, ...]] = {c: RECORD_LAYOUT.column(c).accepted for c in CODES}
#: Fields a source may not record (see :func:`unrecorded`).
OPTIONAL_FIELDS: tuple[str, ...] = tuple(c.name for c in RECORD_LAYOUT.columns if c.not_recorded)

#: More requests than this in one month is not a council's count (England has about 12 million
#: children): the readers refuse it as implausible rather than chart it.
MAX_MONTHLY_REQUESTS: int = MONTHLY_LAYOUT.column("requests").maximum
#: What an extract with a header and no rows lacks (both layouts).
NO_ROWS_EXPECTED = schema.NO_ROWS_EXPECTED

RECORD = "record"
MONTHLY = "monthly"

DATE_FORMAT = schema.DATE_FORMAT

OUTCOME_COLUMNS = ["period", "requests", "outcome_recorded", "stepped_up", "stepped_up_pct", "complete"]

#: Months and counts as the readers accept them (kept here for the modules that use them).
_MONTH_RE = schema.MONTH_RE
_COUNT_RE = schema.COUNT_RE


# --------------------------------------------------------------------------- reading


def read_requests(path: str | Path, today: dt.date | str | None = None) -> pd.DataFrame:
    """Read and check a record-level early help requests extract CSV; return it typed.

    ``date_received`` becomes datetime64; ids and codes stay strings and any extra columns are
    kept after the required ones. The first problem, of the file or of a cell (the same as
    ``validate`` lists first), raises :class:`InputError` naming the file, the row as a
    spreadsheet shows it (header = row 1), the column and the value.
    """
    checked = schema.read_csv(path, RECORD_LAYOUT, today=today)
    checked.raise_first()
    return _typed(checked)


def read_monthly(path: str | Path, today: dt.date | str | None = None) -> pd.DataFrame:
    """Read and check a pre-aggregated monthly table of early help requests; return it typed.

    ``month`` becomes a monthly Period (``period[M]``) and ``requests`` int64; ``hub`` and
    ``reason``, when present, are checked against :data:`HUBS` and :data:`REASONS`. Rows are
    kept in file order, extra columns after the known ones.

    Errors (:class:`InputError` with file, row and column): a month not ``YYYY-MM`` or outside
    2000-01 to this month; a count that is text, negative, not whole or over
    :data:`MAX_MONTHLY_REQUESTS`; the same month (or month and hub/reason) twice; and a gap:
    every month from the first to the last must have at least one row (write 0 for a month
    without requests), the error naming the first missing month. Within a month a hub or reason
    without a row counts as 0.
    """
    checked = schema.read_csv(path, MONTHLY_LAYOUT, today=today)
    checked.raise_first()
    return _typed(checked)


def load(path: str | Path, today: dt.date | str | None = None) -> pd.DataFrame:
    """Read either layout, told apart by the header (a record-level header names ``request_id``
    or ``date_received``, a monthly one ``month`` or ``requests``); any other header raises
    :class:`InputError` naming the columns each layout needs; a file with a header and no rows
    raises "the extract has no rows"."""
    checked = schema.read_csv(path, TABLE, today=today)
    checked.raise_first()
    return _typed(checked)


def from_frame(df: pd.DataFrame, source: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Check and type a table already read as text, as :func:`load` does a file: either layout.

    ``df`` holds strings (as a CSV, a workbook or a query gives them); ``source`` names where it
    came from (a file path, ``query on $CSDEMAND_DB_URL``...) and is what every
    :class:`InputError` names, rows counted as if the header were row 1. ``df`` is left unchanged.
    """
    checked = schema.check(df, TABLE, source=source, today=today)
    checked.raise_first()
    return _typed(checked)


def _typed(checked: schema.Checked) -> pd.DataFrame:
    """The checked table typed: dates (record level) or months and counts (monthly), the
    declared columns first and extra columns after them."""
    df = checked.frame
    out = df.copy(deep=False)
    if checked.table.layout == "monthly":
        out["month"] = checked.months("month")
        out["requests"] = checked.counts("requests")
        known = MONTHLY_COLUMNS + [c for c in BREAKDOWNS if c in df.columns]
    else:
        out["date_received"] = checked.dates("date_received")
        known = COLUMNS
    return out[known + [c for c in df.columns if c not in known]]


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
