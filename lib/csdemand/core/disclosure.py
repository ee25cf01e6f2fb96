"""DfE's disclosure rules for published children's social care statistics, applied to every count
and rate before it reaches a briefing.

The rules, as the DfE statistical releases (CLA, CIN, CPP) apply them:

* **Primary suppression.** A count of 1 to 5 is withheld and shown as ``c``. Zero is published.
  A missing count is ``x``.
* **Rates and percentages.** A rate or percentage built on a count of 1 to 5 (its numerator, or
  the count it is a share of) is withheld as ``c`` too: with the denominator published, the rate
  would give the count back.
* **Rounding.** National and regional counts are rounded to the nearest 10, half up (15 -> 20,
  25 -> 30), as published; LA counts are shown exactly. A national or regional count of 1 to 4
  rounds to 0 and is shown as ``k`` (rounds to zero), never as a zero.
* **Secondary suppression** (:func:`protect_table`). In a table printed with its totals, a
  withheld cell that is the only one withheld in its row or column can be worked out as
  total - sum(others). So another cell in that row or column is withheld as well: the smallest
  non-zero cell that is not a total; a total only when no such cell is left; a zero last of all.
  This repeats until no withheld cell can be worked out from what the table shows (see
  :func:`recoverable`, which also catches the rarer cell recoverable only by combining several
  rows and columns).

All functions take and return plain arrays, Series or tidy tables; none of them prints.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from csdemand.core.errors import InputError
from csdemand.core.tidy import MARKERS, canonical_status

#: Smallest and largest counts DfE withholds.
THRESHOLD_LOW = 1
THRESHOLD_HIGH = 5

#: Measure ids ending in these are rates or percentages; every other measure id is a count.
RATE_SUFFIXES: tuple[str, ...] = ("_rate", "_pct")

#: Measure ids that are counts although their name ends like a rate (none yet).
EXTRA_COUNT_MEASURES: frozenset[str] = frozenset()

#: Measure ids that are neither counts nor rates under these rules: ONS population estimates are
#: published by ONS unsuppressed and unrounded.
EXEMPT_MEASURES: frozenset[str] = frozenset({"population_0_17"})

#: The counts each rate or percentage is built on (numerator first, then the count it is a share
#: of). Where any of these is withheld for the same area and year, the rate is withheld too, even
#: when the rate row carries no numerator.
RATE_BASES: dict[str, tuple[str, ...]] = {
    "cla_rate": ("cla_count",),
    "cla_starts_rate": ("cla_starts",),
    "cla_ceased_rate": ("cla_ceased",),
    "referrals_rate": ("referrals",),
    "rereferral_pct": ("rereferrals", "referrals"),
    "nfa_pct": ("nfa", "referrals"),
    "da_child_pct": ("da_child", "assessments_with_factor"),
    "da_parent_pct": ("da_parent", "assessments_with_factor"),
    "da_person_pct": ("da_person", "assessments_with_factor"),
    "cin_at31_rate": ("cin_at31",),
    "cpp_at31_rate": ("cpp_at31",),
    "cpp_subsequent_pct": ("cpp_subsequent", "cpp_starts"),
}

ROUNDED_LEVELS = ("national", "regional")

#: Markers :func:`format_value` shows in place of a figure.
SHOWN_MARKERS = ("c", "x", "z", "u", "k")

Cell = tuple[Hashable, Hashable]


# --------------------------------------------------------------------------------------------
# array helpers
# --------------------------------------------------------------------------------------------


def _numbers(values: object, name: str) -> np.ndarray:
    """Values as a float array (a copy); InputError where something is not a number."""
    try:
        return pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(values, dtype=object))), errors="raise").to_numpy(dtype="float64", copy=True)
    except (TypeError, ValueError) as e:
        raise InputError(f"{name} must be numbers", column=name, expected="counts or rates (NaN where missing)") from e


def _statuses(status: object, n: int) -> np.ndarray:
    """Status markers as an object array of canonical letters ('' for a value)."""
    if status is None:
        return np.full(n, "", dtype=object)
    s = np.atleast_1d(np.asarray(status, dtype=object))
    if s.size == 1 and n != 1:
        s = np.full(n, s[0], dtype=object)
    out = np.empty(len(s), dtype=object)
    for i, m in enumerate(s):
        m = "" if m is None or (isinstance(m, float) and np.isnan(m)) or m is pd.NA else str(m).strip()
        out[i] = canonical_status(m) if m in MARKERS else m
    return out


def _like(template: object, arr: np.ndarray, dtype: str | None = None):
    """``arr`` shaped as ``template`` was: a Series keeps its index, a scalar comes back a scalar."""
    if isinstance(template, pd.Series):
        return pd.Series(arr, index=template.index, name=template.name, dtype=dtype)
    if np.ndim(template) == 0:
        v = arr[0]
        return float(v) if dtype is None else v
    return arr


def _small(v: np.ndarray, low: float = THRESHOLD_LOW, high: float = THRESHOLD_HIGH) -> np.ndarray:
    """True where a count is in the withheld band (NaN is not)."""
    with np.errstate(invalid="ignore"):
        return (v >= low) & (v <= high)


# --------------------------------------------------------------------------------------------
# primary suppression, rates, rounding
# --------------------------------------------------------------------------------------------


def suppress_counts(values, threshold_low: float = THRESHOLD_LOW, threshold_high: float = THRESHOLD_HIGH):
    """Primary suppression of counts: ``(values, status)``.

    Counts from ``threshold_low`` to ``threshold_high`` inclusive (1 to 5) become NaN with status
    ``c``; 0 and larger counts are kept with status ``""``; NaN stays NaN with status ``x``. A
    Series comes back as Series on the same index, anything else as numpy arrays (a scalar as a
    scalar). The input is not changed.
    """
    v = _numbers(values, "values")
    status = np.full(len(v), "", dtype=object)
    status[np.isnan(v)] = "x"
    small = _small(v, threshold_low, threshold_high)
    status[small] = "c"
    v[small] = np.nan
    return _like(values, v), _like(values, status, dtype="object")


def suppress_rate(count, rate, status=None, count_status=None):
    """Withhold rates and percentages built on a withheld count: ``(rate, status)``.

    ``count`` is the count the rate is built on (its numerator, or the count it is a share of);
    where it is 1 to 5, or its ``count_status`` is ``c``, the rate becomes NaN with status ``c``.
    Rates that already carry a marker in ``status`` keep it. Shapes follow ``rate``.
    """
    r = _numbers(rate, "rate")
    n = len(r)
    c = _numbers(count, "count")
    if c.size == 1 and n != 1:
        c = np.full(n, c[0])
    st = _statuses(status, n)
    cst = _statuses(count_status, n)
    hit = (_small(c) | (cst == "c")) & (st == "")
    r[hit] = np.nan
    st[hit] = "c"
    return _like(rate, r), _like(rate, st, dtype="object")


def round_half_up(value, base: int = 10):
    """Round to the nearest ``base``, halves upwards (15 -> 20, 25 -> 30); NaN stays NaN."""
    v = _numbers(value, "value")
    return _like(value, np.floor((v + base / 2) / base) * base)


def round_national(value, level):
    """National and regional counts to the nearest 10, half up (as DfE publishes them); LA counts
    unchanged. ``level`` is a geographic level or one per value."""
    v = _numbers(value, "value")
    lv = np.atleast_1d(np.asarray(level, dtype=object))
    if lv.size == 1:
        lv = np.full(len(v), lv[0], dtype=object)
    rounded = np.isin(lv.astype(str), ROUNDED_LEVELS)
    v[rounded] = np.floor((v[rounded] + 5) / 10) * 10
    return _like(value, v)


# --------------------------------------------------------------------------------------------
# secondary suppression
# --------------------------------------------------------------------------------------------


def _table_cells(table: pd.DataFrame, value_cols: Sequence[Hashable], total_col: Hashable | None, total_row: Hashable | None) -> list[Hashable]:
    """Check the table's shape; the columns whose cells are protected (value columns, then total)."""
    if not table.index.is_unique:
        raise InputError("table rows must have distinct labels", expected="one row per category")
    if not table.columns.is_unique:
        raise InputError("table columns must have distinct names")
    cols = list(value_cols) + ([total_col] if total_col is not None else [])
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise InputError(f"table has no column {missing[0]!r}", column=str(missing[0]), expected="one of " + ", ".join(map(str, table.columns)))
    if total_col is not None and total_col in value_cols:
        raise InputError("the total column is listed among the value columns", column=str(total_col))
    if total_row is not None and total_row not in table.index:
        raise InputError(f"table has no row {total_row!r}", expected="the label of the totals row")
    return cols


def _lines(rows: list[Hashable], cols: list[Hashable], total_col: Hashable | None, total_row: Hashable | None) -> list[dict[Cell, float]]:
    """The sums the table shows, as equations over its cells: each row's cells add to its total
    (when there is a total column) and each column's cells add to its total (when there is a total
    row); the totals themselves form a row and a column. Coefficient +1 for a cell, -1 for the total.
    """
    lines = []
    if total_col is not None:
        for r in rows:
            line = {(r, c): 1.0 for c in cols if c != total_col}
            line[(r, total_col)] = -1.0
            lines.append(line)
    if total_row is not None:
        for c in cols:
            line = {(r, c): 1.0 for r in rows if r != total_row}
            line[(total_row, c)] = -1.0
            lines.append(line)
    return lines


def _determined(unknown: list[Cell], lines: list[dict[Cell, float]]) -> list[Cell]:
    """Unknown cells whose value the visible cells and the sums fix exactly.

    The unknowns are fixed up to the null space of the sums restricted to them; a cell the null
    space does not move is fixed. (For a table with both totals this is exactly the withheld cells
    that lie on no cycle of withheld cells, alternating between rows and columns.)
    """
    if not unknown or not lines:
        return []
    pos = {cell: j for j, cell in enumerate(unknown)}
    a = np.zeros((len(lines), len(unknown)))
    for i, line in enumerate(lines):
        for cell, coef in line.items():
            if cell in pos:
                a[i, pos[cell]] = coef
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    moves = np.abs(null).max(axis=0) if len(null) else np.zeros(len(unknown))
    return [cell for cell, m in zip(unknown, moves) if m < 1e-9]


def _status_cells(status: pd.DataFrame, cols: list[Hashable], marker: str = "c") -> list[Cell]:
    return [(r, c) for r in status.index for c in cols if status.at[r, c] == marker]


def recoverable(table: pd.DataFrame, status: pd.DataFrame, total_col: Hashable | None = None, total_row: Hashable | None = None) -> list[Cell]:
    """Withheld (``c``) cells that could be worked out exactly from the visible cells and the
    totals printed in the same table, as ``(row label, column)`` in table order.

    A cell that is the only one withheld in its row or column is always recoverable (total minus
    the others); so is one recoverable only by adding and subtracting several rows and columns.
    Cells marked ``x`` are treated as known to the reader (cautious: they protect nothing).
    ``status`` has the table's rows and the protected columns (value columns and total column).
    """
    cols = list(status.columns)
    value_cols = [c for c in cols if c != total_col]
    _table_cells(table, value_cols, total_col, total_row)
    if not status.index.equals(table.index):
        raise InputError("status and table have different rows")
    lines = _lines(list(status.index), cols, total_col, total_row)
    return _determined(_status_cells(status, cols), lines)


def protect_table(table: pd.DataFrame, value_cols: list[Hashable], total_col: Hashable | None = None, total_row: Hashable | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary and secondary suppression of a small table printed with its totals.

    ``value_cols`` are the count columns; ``total_col`` names the column of row totals and
    ``total_row`` labels the row of column totals (either may be absent). Returns ``(protected,
    status)``: ``protected`` is a copy of the table with the protected columns as floats, NaN
    where withheld; ``status`` has the table's rows and the protected columns, ``""``, ``c``
    (withheld) or ``x`` (missing in the input).

    Rule: every cell (totals included) from 1 to 5 is withheld. Then, while any withheld cell can
    be worked out from the table (:func:`recoverable`), one more cell is withheld: where the cell
    is the only one withheld in a row or column, the smallest non-zero non-total visible cell of
    that row or column; failing that a total; a zero last. A cell recoverable only through
    several rows and columns gets the smallest visible cell that stops it being recoverable. Each
    step withholds one more cell, so this ends; what it ends on is a table in which no withheld
    cell is recoverable (and so no row or column has exactly one).
    """
    cols = _table_cells(table, value_cols, total_col, total_row)
    rows = list(table.index)
    values = pd.DataFrame({c: _numbers(table[c].to_numpy(), str(c)) for c in cols}, index=table.index)
    status = pd.DataFrame({c: pd.Series("", index=table.index, dtype="object") for c in cols})
    for c in cols:
        _, st = suppress_counts(values[c])
        status[c] = st
    lines = _lines(rows, cols, total_col, total_row)
    row_pos = {r: i for i, r in enumerate(rows)}
    col_pos = {c: j for j, c in enumerate(cols)}

    def preference(cell: Cell) -> tuple:
        v = values.at[cell]
        return (v == 0, cell[0] == total_row or cell[1] == total_col, v, row_pos[cell[0]], col_pos[cell[1]])

    while True:
        unknown = _status_cells(status, cols)
        found = _determined(unknown, lines)
        if not found:
            break
        cell = found[0]
        visible = [(r, c) for r in rows for c in cols if status.at[r, c] == ""]
        alone = [line for line in lines if cell in line and sum(u in line for u in unknown) == 1]
        candidates = [v for v in visible if any(v in line for line in alone)]
        if not candidates:
            candidates = [v for v in visible if cell not in _determined(unknown + [v], lines)] or visible
        if not candidates:  # everything is withheld already
            break
        status.at[min(candidates, key=preference)] = "c"

    protected = table.copy()
    for c in cols:
        protected[c] = values[c].where(status[c] == "").astype("float64")
    return protected, status


# --------------------------------------------------------------------------------------------
# the tidy table
# --------------------------------------------------------------------------------------------


def is_count(measure: str) -> bool:
    """True for a count measure: not a rate or percentage, not exempt (see module constants)."""
    if measure in EXTRA_COUNT_MEASURES:
        return True
    return measure not in EXEMPT_MEASURES and not str(measure).endswith(RATE_SUFFIXES)


def is_rate(measure: str) -> bool:
    """True for a rate or percentage measure (``..._rate``, ``..._pct``)."""
    return measure not in EXEMPT_MEASURES and not is_count(measure)


def _area_key(df: pd.DataFrame) -> pd.Series:
    """Area and year of each row: LA number for LAs, GSS code otherwise."""
    la = df["geographic_level"].astype(str) == "la"
    area = df["area_code"].astype(str).where(~la, "la" + df["la_number"].astype(str))
    return df["geographic_level"].astype(str) + "|" + area + "|" + df["period"].astype(str)


def apply(tidy_df: pd.DataFrame) -> pd.DataFrame:
    """The disclosure rules every count and rate passes before a briefing; returns a copy.

    * LA counts (geographic_level ``la``) with status ``""``: 1 to 5 become NaN, status ``c``;
      NaN becomes status ``x``.
    * National and regional counts with status ``""``: rounded to the nearest 10, half up; one
      that rounds to 0 from above is withheld as ``k``.
    * Rates and percentages with status ``""``: withheld (``c``) where the numerator or
      denominator is 1 to 5, or where a count they are built on (:data:`RATE_BASES`) is withheld
      as ``c`` for the same area and year.
    * Rows that already carry a marker keep it; a ``c`` row never keeps a value.
    * A numerator or denominator of 1 to 5 is blanked wherever it appears.
    """
    out = tidy_df.copy(deep=True)
    if out.empty:
        return out
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype("float64")
    status = out["status"].astype("object").where(out["status"].notna(), "").to_numpy(dtype=object)
    status = _statuses(status, len(out))
    value = out["value"].to_numpy(dtype="float64", copy=True)
    level = out["geographic_level"].astype(str).to_numpy()
    measures = out["measure"].astype(str)
    count = measures.map(is_count).to_numpy(dtype=bool)
    rate = measures.map(is_rate).to_numpy(dtype=bool)
    fresh = status == ""

    la = count & fresh & (level == "la")
    if la.any():
        v, st = suppress_counts(value[la])
        value[la] = v
        status[la] = st

    nat = count & fresh & np.isin(level, ROUNDED_LEVELS)
    if nat.any():
        original = value[nat]
        v = round_national(original, "national")
        v_status = status[nat]
        to_zero = (v == 0) & (original > 0)
        v[to_zero] = np.nan
        v_status[to_zero] = "k"
        value[nat] = v
        status[nat] = v_status

    cols = out.columns
    num = pd.to_numeric(out["numerator"], errors="coerce").to_numpy(dtype="float64", copy=True) if "numerator" in cols else np.full(len(out), np.nan)
    den = pd.to_numeric(out["denominator"], errors="coerce").to_numpy(dtype="float64", copy=True) if "denominator" in cols else np.full(len(out), np.nan)

    rt = rate & (status == "")
    if rt.any():
        key = _area_key(out)
        withheld = set(zip(measures[count & (status == "c")], key[count & (status == "c")]))
        base_withheld = np.array(
            [any((b, k) in withheld for b in RATE_BASES.get(m, ())) for m, k in zip(measures, key)], dtype=bool
        )
        hit = rt & (_small(num) | _small(den) | base_withheld)
        value[hit] = np.nan
        status[hit] = "c"

    value[status == "c"] = np.nan
    out["value"] = value
    out["status"] = pd.Series(status, index=out.index).astype(tidy_df["status"].dtype if "status" in tidy_df else "object")
    if "numerator" in cols:
        num[_small(num)] = np.nan
        out["numerator"] = num
    if "denominator" in cols:
        den[_small(den)] = np.nan
        out["denominator"] = den
    return out


# --------------------------------------------------------------------------------------------
# what a briefing shows
# --------------------------------------------------------------------------------------------


def format_value(value: float, status: str | None = "", decimals: int = 0) -> str:
    """The text a briefing shows for a figure: the marker (``c``, ``x``, ``z``, ``u``, ``k``) where
    the figure is withheld, ``x`` where it is missing, else the number with thousands separators
    at ``decimals`` places, rounded half up (12.25 -> 12.3) as DfE prints."""
    st = _statuses(status, 1)[0]
    if st in SHOWN_MARKERS:
        return st
    if st:
        return "x"
    if value is None or value is pd.NA or pd.isna(value):
        return "x"
    d = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)
    return f"{d:,.{int(decimals)}f}"


def format_table(protected: pd.DataFrame, status: pd.DataFrame, decimals: int = 0) -> pd.DataFrame:
    """A protected table (:func:`protect_table`) as the strings a briefing shows."""
    out = protected.copy()
    for c in status.columns:
        out[c] = [format_value(v, s, decimals) for v, s in zip(protected[c], status[c])]
    return out


def protect_counts(df: pd.DataFrame, counts: list[str], shares: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Aggregates from a council's own records on their way to a briefing: counts of 1 to 5 in the
    ``counts`` columns become NaN, and every column in ``shares[count]`` (a share, rate or interval
    built on that count) becomes NaN where its count was withheld. Returns a copy."""
    out = df.copy()
    for col in counts:
        values, status = suppress_counts(out[col].astype(float))
        out[col] = values
        for dep in (shares or {}).get(col, []):
            out.loc[status == "c", dep] = np.nan
    return out
