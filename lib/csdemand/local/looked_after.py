"""A council's own list of children looked after, one row per period of care, and month-end counts.

The layout is declared once, in ``csdemand/reference/tables/looked_after.yaml`` (the README's
section "Your own data" prints it): ``child_id``, ``started`` (``YYYY-MM-DD``) and ``ceased``
(empty while the child is still looked after, else on or after ``started``), and optionally
``legal_status`` and ``placement_type`` (Annex A List 8 brings them); other columns are kept
after these. :func:`from_frame` checks a table against it with the engine ``validate`` uses
(:mod:`csdemand.core.schema`) and raises the first problem it reports.

The usual source is Ofsted's Annex A List 8 (:mod:`csdemand.local.annex_a`), which lists the
children in care during the period it covers, not every child ever looked after: month-end
counts are complete only for month ends inside that period (see :func:`month_end_counts`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import schema

#: The declared layout (``reference/tables/looked_after.yaml``).
LAYOUT = schema.table("looked_after")
COLUMNS: list[str] = list(LAYOUT.required)


def read_extract(path: str | Path, today: dt.date | str | None = None) -> pd.DataFrame:
    """Read and check a looked-after extract CSV as ``validate`` reads it; return it typed (see :func:`from_frame`)."""
    checked = schema.read_csv(path, LAYOUT, today=today)
    checked.raise_first()
    return _typed(checked)


def from_frame(df: pd.DataFrame, source: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Check and type a looked-after table read as text: ``started`` and ``ceased`` become
    datetime64 (``ceased`` NaT while still looked after).

    The first problem raises :class:`~csdemand.core.errors.InputError` naming ``source``, the row
    (header = row 1), the column and the value: a missing column, no data rows, an empty
    ``child_id``, a ``started`` that is not a date, a ``ceased`` that is neither empty nor a date,
    or one before ``started``, and dates outside the declared bounds (from 2000-01-01, none after
    ``today``, default the real today).
    """
    checked = schema.check(df, LAYOUT, source=source, today=today)
    checked.raise_first()
    return _typed(checked)


def _typed(checked: schema.Checked) -> pd.DataFrame:
    df = checked.frame
    out = df.copy(deep=False)
    for name in LAYOUT.of_type("date"):
        if name in checked.values:
            out[name] = checked.dates(name)
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
