"""A council's own list of children looked after, one row per period of care, and month-end counts.

=================  ==========================================================================
column             meaning
=================  ==========================================================================
child_id           pseudonymous id of the child
started            date the period of care started (``YYYY-MM-DD`` in the file)
ceased             date it ended, empty while the child is still looked after
=================  ==========================================================================

Extra columns (Annex A List 8 brings ``legal_status`` and ``placement_type``) are kept after
these. The usual source is Ofsted's Annex A List 8 (:mod:`csdemand.local.annex_a`), which lists the
children in care during the period it covers, not every child ever looked after: month-end
counts are complete only for month ends inside that period (see :func:`month_end_counts`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table, require_columns
from csdemand.local.referrals import DATE_FORMAT, NO_ROWS, NO_ROWS_EXPECTED, _raise_at_first, check_date_range

COLUMNS: list[str] = ["child_id", "started", "ceased"]


def read_extract(path: str | Path) -> pd.DataFrame:
    """Read and check a looked-after extract CSV; return it typed (see :func:`from_frame`)."""
    path = Path(path)
    return from_frame(read_text_table(path), str(path))


def from_frame(df: pd.DataFrame, source: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Check and type a looked-after table read as text: ``started`` and ``ceased`` become
    datetime64 (``ceased`` NaT while still looked after).

    Every problem raises :class:`InputError` naming ``source``, the row (header = row 1), the
    column and the value: a missing column, no data rows, an empty ``child_id``, a ``started``
    that is not a date, a ``ceased`` that is neither empty nor a date, or one before ``started``,
    and dates outside the validator's bounds (``started`` from 2000-01-01, neither after ``today``,
    default the real today).
    """
    df = df.copy()
    require_columns(df, COLUMNS, source, "looked-after extract")
    if len(df) == 0:
        raise InputError(NO_ROWS, file=source, expected=NO_ROWS_EXPECTED)
    for col in COLUMNS:
        df[col] = df[col].str.strip()
    _raise_at_first(df["child_id"] == "", source, df["child_id"], "empty id", "an id on every row")
    started = pd.to_datetime(df["started"], format=DATE_FORMAT, errors="coerce")
    _raise_at_first(started.isna(), source, df["started"], "not a date", "a date YYYY-MM-DD")
    check_date_range(started, df["started"], source, today)
    ceased = pd.to_datetime(df["ceased"], format=DATE_FORMAT, errors="coerce")
    _raise_at_first(
        ceased.isna() & (df["ceased"] != ""),
        source,
        df["ceased"],
        "not a date",
        "a date YYYY-MM-DD, or empty while the child is looked after",
    )
    _raise_at_first(
        ceased < started,
        source,
        df["ceased"],
        "ceased before the period of care started",
        "a date on or after 'started'",
    )
    check_date_range(ceased, df["ceased"], source, today)  # on or after started, so never before 2000
    out = df.copy()
    out["started"] = started
    out["ceased"] = ceased
    return out[COLUMNS + [c for c in df.columns if c not in COLUMNS]]


def month_end_counts(
    df: pd.DataFrame, start: str | pd.Period | None = None, end: str | pd.Period | None = None
) -> pd.Series:
    """Children looked after at the end of each month, from ``start`` to ``end`` (months).

    A child counts at a month end when their period of care started on or before that day and
    had not ceased by it: one that ceases on the last day of the month is not counted, as DfE's
    "at 31 March" counts do not count a child who left care on 31 March. Each child counts once
    however many rows they have. The default span runs from the month of the first start to the
    month of the latest date in the table.

    A list that holds only recent periods of care (Annex A List 8) undercounts month ends before
    the period it covers. Returns int64 named ``looked_after``, indexed by a monthly PeriodIndex
    named ``month``.
    """
    started = pd.to_datetime(df["started"])
    ceased = pd.to_datetime(df["ceased"])
    if started.empty and start is None:
        return pd.Series([], index=pd.PeriodIndex([], freq="M", name="month"), dtype="int64", name="looked_after")
    first = pd.Period(start, freq="M") if start is not None else started.min().to_period("M")
    if end is not None:
        last = pd.Period(end, freq="M")
    else:
        last = max(started.max(), ceased.max() if ceased.notna().any() else started.max()).to_period("M")
    months = pd.period_range(first, last, freq="M", name="month")
    ids = df["child_id"].to_numpy()
    s = started.to_numpy()
    c = ceased.to_numpy()
    open_ = np.isnat(c)
    counts = []
    for m in months:
        day = np.datetime64(m.end_time.normalize().to_datetime64())
        there = (s <= day) & (open_ | (c > day))
        counts.append(len(pd.unique(ids[there])))
    return pd.Series(counts, index=months, dtype="int64", name="looked_after")
