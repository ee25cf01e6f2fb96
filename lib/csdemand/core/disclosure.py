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
  rows and columns) and the withheld cells of a row or column do not add up to 1 to 5 (two
  withheld months of 3 and 2 beside their total would say "5 between them":
  :func:`recoverable_sums`).
* **Sums across tables** (:func:`protect_sums`, :func:`protect_series_with_total`). The same
  rule where the sums cut across what a page prints: monthly counts in one table and the
  reporting years' totals in another, or months outside a chart's window that a printed year's
  total still constrains (an unprinted month of 1 to 5 must not be derivable either).
  :func:`exposed` lists what a reader could still work out.
* **Percentages with their bases** (:func:`protect_shares`). A percentage ``p`` printed beside its
  base ``n`` gives the count back as ``p * n``: 269 referrals and 0.4% re-referrals leave only 1.
  A share is withheld where its base is, or where any count consistent with the printed share
  and base (:func:`counts_consistent_with`: within half a unit of the last printed place, either
  rounding), or the rest of the base, is 1 to 5. What is built on a withheld share (its interval,
  a difference from another figure) is withheld with it.

Withheld figures print as ``c``; a table that shows one carries :data:`FOOTNOTE_C`.

All functions take and return plain arrays, Series or tidy tables; none of them prints.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from csdemand.core import numbers
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

#: The footnote under any table that shows ``c`` (and the reason a sentence gives for one).
FOOTNOTE_C = "c: suppressed, a count of 1 to 5 or a figure from which one could be worked out"
WITHHELD_WORDS = "suppressed: a count of 1 to 5, or a figure from which one could be worked out"

#: Markers :func:`format_value` shows in place of a figure.
SHOWN_MARKERS = ("c", "x", "z", "u", "k")

Cell = tuple[Hashable, Hashable]


# --------------------------------------------------------------------------------------------
# array helpers
# --------------------------------------------------------------------------------------------


def _numbers(values: object, name: str) -> np.ndarray:
    """Values as a float array (a copy); InputError where something is not a number."""
    try:
        return pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(values, dtype=object))), errors="raise").to_numpy(
            dtype="float64", copy=True
        )
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


def _table_cells(
    table: pd.DataFrame, value_cols: Sequence[Hashable], total_col: Hashable | None, total_row: Hashable | None
) -> list[Hashable]:
    """Check the table's shape; the columns whose cells are protected (value columns, then total)."""
    if not table.index.is_unique:
        raise InputError("table rows must have distinct labels", expected="one row per category")
    if not table.columns.is_unique:
        raise InputError("table columns must have distinct names")
    cols = list(value_cols) + ([total_col] if total_col is not None else [])
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise InputError(
            f"table has no column {missing[0]!r}",
            column=str(missing[0]),
            expected="one of " + ", ".join(map(str, table.columns)),
        )
    if total_col is not None and total_col in value_cols:
        raise InputError("the total column is listed among the value columns", column=str(total_col))
    if total_row is not None and total_row not in table.index:
        raise InputError(f"table has no row {total_row!r}", expected="the label of the totals row")
    return cols


def _lines(
    rows: list[Hashable], cols: list[Hashable], total_col: Hashable | None, total_row: Hashable | None
) -> list[dict[Cell, float]]:
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


def _same_sign_sum(line: dict[Hashable, float], unknown: set[Hashable], values: dict[Hashable, float]) -> float | None:
    """What a sum line gives away about its unknown cells: their total when they are all parts, or
    all the total (a sum of counts, fixed by the visible cells); None when parts and total are both
    unknown (their difference is only a sum of visible cells), or fewer than two are unknown."""
    cells = [c for c in line if c in unknown]
    if len(cells) < 2 or len({line[c] > 0 for c in cells}) != 1:
        return None
    return float(sum(values.get(c, np.nan) for c in cells))


def _exposures(
    values: dict[Hashable, float], lines: list[dict[Hashable, float]], unknown: list[Hashable], withheld: set[Hashable]
) -> list[tuple[Hashable, ...]]:
    """What a reader can work out, in the order found: a withheld cell fixed by the sums (as a
    1-tuple); a cell not shown at all whose fixed value is 1 to 5; the unknown cells of one sum
    line whose fixed total is 1 to 5 (a count of 1 to 5 over several cells)."""
    out: list[tuple[Hashable, ...]] = []
    for cell in _determined(unknown, lines):
        if cell in withheld or bool(_small(np.array([values.get(cell, np.nan)]))[0]):
            out.append((cell,))
    unknown_set = set(unknown)
    for line in lines:
        total = _same_sign_sum(line, unknown_set, values)
        if total is not None and THRESHOLD_LOW <= total <= THRESHOLD_HIGH:
            out.append(tuple(c for c in line if c in unknown_set))
    return out


def _secondary(
    values: dict[Hashable, float],
    lines: list[dict[Hashable, float]],
    shown: list[Hashable],
    withheld: set[Hashable],
    totals: set[Hashable],
) -> set[Hashable]:
    """Secondary suppression over any set of sum lines; returns the withheld shown cells.

    ``values`` holds every cell the lines name (shown or not); ``shown`` lists the cells the page
    prints, in the order ties are broken; ``withheld`` those of them already withheld; cells not
    in ``shown`` are unknown to the reader from the start. A shown cell whose value is NaN (``x``:
    missing) protects nothing and is never chosen. One cell is withheld at a time, until
    :func:`_exposures` finds nothing: for a fixed cell, a visible cell of a line where it is the
    only unknown (else any visible cell that unfixes it); for a line whose unknown cells add up to
    1 to 5, a visible cell of that line. Preference: the smallest non-zero part, then a total,
    then a zero. Each step withholds one more cell, so this ends.
    """
    withheld = set(withheld)
    shown_set = set(shown)
    order = {c: i for i, c in enumerate(shown)}
    cells = list(dict.fromkeys([c for line in lines for c in line] + list(shown)))
    hidden = [c for c in cells if c not in shown_set]

    def preference(cell: Hashable) -> tuple:
        v = values[cell]
        return (v == 0, cell in totals, v, order[cell])

    while True:
        unknown = hidden + [c for c in shown if c in withheld]
        found = _exposures(values, lines, unknown, withheld)
        if not found:
            return withheld
        visible = [c for c in shown if c not in withheld and not np.isnan(values.get(c, np.nan))]
        if not visible:  # everything is withheld already
            return withheld
        group = found[0]
        if len(group) == 1:
            cell = group[0]
            alone = [line for line in lines if cell in line and sum(u in line for u in unknown) == 1]
            candidates = [v for v in visible if any(v in line for line in alone)]
            if not candidates:
                candidates = [v for v in visible if cell not in _determined(unknown + [v], lines)] or visible
        else:
            candidates = [
                v for v in visible if any(v in line and all(g in line for g in group) for line in lines)
            ] or visible
        withheld.add(min(candidates, key=preference))


def _table_values(table: pd.DataFrame, cols: list[Hashable]) -> pd.DataFrame:
    return pd.DataFrame({c: _numbers(table[c].to_numpy(), str(c)) for c in cols}, index=table.index)


def recoverable(
    table: pd.DataFrame, status: pd.DataFrame, total_col: Hashable | None = None, total_row: Hashable | None = None
) -> list[Cell]:
    """Withheld (``c``) cells that could be worked out exactly from the visible cells and the
    totals printed in the same table, as ``(row label, column)`` in table order.

    A cell that is the only one withheld in its row or column is always recoverable (total minus
    the others); so is one recoverable only by adding and subtracting several rows and columns.
    Cells marked ``x`` are treated as known to the reader (cautious: they protect nothing).
    ``status`` has the table's rows and the protected columns (value columns and total column).
    See :func:`recoverable_sums` for withheld cells whose sum gives a count of 1 to 5 away.
    """
    cols = list(status.columns)
    value_cols = [c for c in cols if c != total_col]
    _table_cells(table, value_cols, total_col, total_row)
    if not status.index.equals(table.index):
        raise InputError("status and table have different rows")
    lines = _lines(list(status.index), cols, total_col, total_row)
    return _determined(_status_cells(status, cols), lines)


def recoverable_sums(
    table: pd.DataFrame, status: pd.DataFrame, total_col: Hashable | None = None, total_row: Hashable | None = None
) -> list[tuple[Cell, ...]]:
    """Groups of withheld cells in one row or column whose sum the table gives away (its total
    minus the visible cells) and is 1 to 5: e.g. a 2 and a 3 withheld beside a printed total
    show that the two add up to 5. Empty after :func:`protect_table`."""
    cols = list(status.columns)
    _table_cells(table, [c for c in cols if c != total_col], total_col, total_row)
    values = _table_values(table, cols)
    lines = _lines(list(status.index), cols, total_col, total_row)
    unknown = _status_cells(status, cols)
    vals = {(r, c): values.at[r, c] for r in status.index for c in cols}
    return [g for g in _exposures(vals, lines, unknown, set(unknown)) if len(g) > 1]


def protect_table(
    table: pd.DataFrame,
    value_cols: list[Hashable],
    total_col: Hashable | None = None,
    total_row: Hashable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Primary and secondary suppression of a small table printed with its totals.

    ``value_cols`` are the count columns; ``total_col`` names the column of row totals and
    ``total_row`` labels the row of column totals (either may be absent). Returns ``(protected,
    status)``: ``protected`` is a copy of the table with the protected columns as floats, NaN
    where withheld; ``status`` has the table's rows and the protected columns, ``""``, ``c``
    (withheld) or ``x`` (missing in the input).

    Rule: every cell (totals included) from 1 to 5 is withheld. Then, while any withheld cell can
    be worked out from the table (:func:`recoverable`), or the withheld cells of a row or column
    add up to 1 to 5 (:func:`recoverable_sums`), one more cell is withheld: where the cell is the
    only one withheld in a row or column, the smallest non-zero non-total visible cell of that
    row or column; failing that a total; a zero last. A cell recoverable only through several
    rows and columns gets the smallest visible cell that stops it being recoverable. Each step
    withholds one more cell, so this ends; what it ends on is a table in which no withheld cell
    is recoverable (and so no row or column has exactly one) and no row or column gives away a
    sum of 1 to 5.
    """
    cols = _table_cells(table, value_cols, total_col, total_row)
    rows = list(table.index)
    values = _table_values(table, cols)
    status = pd.DataFrame({c: pd.Series("", index=table.index, dtype="object") for c in cols})
    for c in cols:
        _, st = suppress_counts(values[c])
        status[c] = st
    lines = _lines(rows, cols, total_col, total_row)
    shown = [(r, c) for r in rows for c in cols]
    vals = {cell: values.at[cell] for cell in shown}
    totals = {cell for cell in shown if cell[0] == total_row or cell[1] == total_col}
    withheld = _secondary(vals, lines, shown, set(_status_cells(status, cols)), totals)
    for cell in withheld:
        status.at[cell] = "c"

    protected = table.copy()
    for c in cols:
        protected[c] = values[c].where(status[c] == "").astype("float64")
    return protected, status


def _sum_lines(sums: Mapping[Hashable, Sequence[Hashable]], labels: pd.Index) -> list[dict[Hashable, float]]:
    lines = []
    for total, parts in sums.items():
        missing = [c for c in [total, *parts] if c not in labels]
        if missing:
            raise InputError(
                f"no value for {missing[0]!r}",
                column=str(missing[0]),
                expected="a value for every total and part the sums name",
            )
        if total in parts:
            raise InputError(f"{total!r} is listed among its own parts", column=str(total))
        line = {p: 1.0 for p in parts}
        line[total] = -1.0
        lines.append(line)
    return lines


def protect_sums(
    values: pd.Series,
    sums: Mapping[Hashable, Sequence[Hashable]],
    shown: Sequence[Hashable] | None = None,
    status: pd.Series | None = None,
) -> pd.Series:
    """Primary and secondary suppression of counts that a page shows beside sums of them, when the
    sums cut across one table (months and the years that contain them, a mix and its total).

    ``values``: every count, by label (months, years, categories...), shown or not; ``sums``: for
    each total's label, the labels of the parts it is the sum of (each total equals the sum of its
    parts exactly); ``shown``: the labels the page prints (default all), in the order ties are
    broken; ``status``: markers already set for shown labels (``c`` withheld, ``x`` missing).

    Returns the status of each shown label: ``""`` (print it), ``c`` (withhold) or ``x``. After
    it: every shown count of 1 to 5 is ``c``; no ``c`` cell, and no unprinted count of 1 to 5, can
    be worked out from the printed cells and the sums (:func:`exposed`); and no sum line's unknown
    cells add up to 1 to 5. Counts that are never printed (months outside the window a chart
    shows) are unknowns the reader cannot see but that a printed total still constrains.
    """
    values = pd.Series(_numbers(values.to_numpy(), "values"), index=values.index)
    if not values.index.is_unique:
        raise InputError("values must have distinct labels", expected="one value per month, year or category")
    shown = list(values.index) if shown is None else list(shown)
    missing = [c for c in shown if c not in values.index]
    if missing:
        raise InputError(f"no value for shown label {missing[0]!r}", column=str(missing[0]))
    lines = _sum_lines(sums, values.index)
    out = pd.Series("", index=pd.Index(shown, dtype="object"), dtype="object")
    if status is not None:
        st = _statuses(status.reindex(shown).to_numpy(dtype=object), len(shown))
        out[:] = st
    v = values.reindex(shown).to_numpy()
    out[(np.isnan(v)) & (out == "").to_numpy()] = "x"
    out[_small(v) & (out == "").to_numpy()] = "c"
    vals = values.to_dict()
    totals = {t for t in sums}
    withheld = _secondary(vals, lines, shown, {c for c in shown if out[c] == "c"}, totals)
    for c in withheld:
        out[c] = "c"
    return out


def exposed(
    values: pd.Series, sums: Mapping[Hashable, Sequence[Hashable]], status: pd.Series
) -> list[tuple[Hashable, ...]]:
    """What a reader can work out from a page that prints the labels in ``status`` (``""`` printed,
    ``c`` withheld, ``x`` missing and known) beside ``sums`` (as in :func:`protect_sums`): each
    withheld cell fixed by the printed cells and the sums, each unprinted count of 1 to 5 so fixed
    (1-tuples), and each group of unknown cells of one sum whose total is fixed at 1 to 5.
    Empty after :func:`protect_sums`. Uses the true ``values`` of the unknown cells."""
    values = pd.Series(_numbers(values.to_numpy(), "values"), index=values.index)
    lines = _sum_lines(sums, values.index)
    st = {k: s for k, s in zip(status.index, _statuses(status.to_numpy(dtype=object), len(status)))}
    cells = list(dict.fromkeys([c for line in lines for c in line] + list(st)))
    unknown = [c for c in cells if c not in st or st[c] == "c"]
    withheld = {c for c, s in st.items() if s == "c"}
    return _exposures(values.to_dict(), lines, unknown, withheld)


def protect_series_with_total(parts: pd.Series, total: float | None = None) -> tuple[pd.Series, pd.Series, float, str]:
    """A series of counts printed with its total (months and their year, a mix and its total):
    ``(parts, parts_status, total, total_status)``, withheld values NaN with status ``c``.

    ``total`` defaults to the sum of ``parts``. Counts of 1 to 5 are withheld; then, so that none
    can be worked out as the total minus the others (nor a sum of 1 to 5 over several of them),
    the smallest other non-zero part is withheld as well, the total only when no part is left.
    """
    parts_f = pd.Series(_numbers(parts.to_numpy(), "parts"), index=parts.index)
    tot = float(np.nansum(parts_f.to_numpy())) if total is None else float(_numbers([total], "total")[0])
    # Positions as labels: the parts' own labels may be anything, and the total needs one of its own.
    n = len(parts_f)
    values = pd.Series(np.append(parts_f.to_numpy(), tot), index=range(n + 1))
    status = protect_sums(values, {n: list(range(n))})
    part_status = pd.Series(status.iloc[:-1].to_numpy(), index=parts.index, dtype="object")
    total_status = str(status.iloc[-1])
    return parts_f.where(part_status == ""), part_status, (tot if total_status == "" else np.nan), total_status


# --------------------------------------------------------------------------------------------
# percentages with their bases
# --------------------------------------------------------------------------------------------


def counts_consistent_with(printed: float, base: int, decimals: int = 1, scale: float = 100) -> range:
    """The counts ``k`` (0 to ``base``) that a reader cannot rule out from a share printed as
    ``printed`` (already rounded to ``decimals`` places, in units of ``1/scale``: a percentage for
    100) of a printed ``base``: those with ``k / base * scale`` within half a unit of the last
    printed place of ``printed``, ends included, whatever the rounding rule. Exact (fractions)."""
    if base is None or pd.isna(base) or pd.isna(printed) or base <= 0:
        return range(0)
    n = int(base)
    p = Fraction(Decimal(repr(float(printed))))
    half = Fraction(1, 2 * 10 ** int(decimals))
    sc = Fraction(Decimal(repr(float(scale))))
    lo = (p - half) * n / sc
    hi = (p + half) * n / sc
    return range(max(0, math.ceil(lo)), min(n, math.floor(hi)) + 1)


def protect_shares(numerators, bases, decimals: int = 1, scale: float = 100, base_status=None, complement: bool = True):
    """Percentages (or shares) printed beside their bases: ``(shares, status)``.

    A share ``p`` of a printed base ``n`` gives the count back as ``p * n`` (269 referrals and
    0.4% re-referrals: only 1 fits). So the share is withheld (``c``) where its base is withheld
    (``base_status`` ``c``, or a base of 1 to 5), where its numerator is 1 to 5, and where any
    count the reader cannot rule out from the printed share and base is 1 to 5
    (:func:`counts_consistent_with`): a printed 0.0% of 20,000 could be 1 to 9. With
    ``complement`` (the default) the same holds for the rest of the base, ``n - k`` (99.6% of
    269 leaves 1). ``shares`` are ``numerators / bases * scale`` where printed; NaN where
    withheld, with status ``z`` where the base is 0 (no share), ``x`` where it or the numerator
    is missing, and the base's own marker where it has one. Intervals and anything else
    built on a withheld share must be withheld with it. Shapes follow ``numerators``.
    """
    num = _numbers(numerators, "numerators")
    den = _numbers(bases, "bases")
    if den.size == 1 and num.size != 1:
        den = np.full(num.size, den[0])
    if den.size != num.size:
        raise InputError("numerators and bases differ in length", column="bases", expected=f"{num.size} bases")
    bst = _statuses(base_status, num.size)
    n = num.size
    share = np.full(n, np.nan)
    status = np.full(n, "", dtype=object)
    for i in range(n):
        k, b = num[i], den[i]
        if bst[i] == "c" or _small(np.array([b]))[0]:
            status[i] = "c"
            continue
        if bst[i] or np.isnan(b):
            status[i] = bst[i] or "x"
            continue
        if b <= 0:  # no base, no share
            status[i] = "z"
            continue
        if np.isnan(k):
            status[i] = "x"
            continue
        value = k / b * scale
        printed = numbers.round_half_up(value, decimals)
        could_be = counts_consistent_with(printed, int(b), decimals, scale)
        small = any(THRESHOLD_LOW <= c <= THRESHOLD_HIGH for c in could_be)
        if complement:
            small = small or any(THRESHOLD_LOW <= int(b) - c <= THRESHOLD_HIGH for c in could_be)
        if small or THRESHOLD_LOW <= k <= THRESHOLD_HIGH:
            status[i] = "c"
            continue
        share[i] = value
    return _like(numerators, share), _like(numerators, status, dtype="object")


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
    num = (
        pd.to_numeric(out["numerator"], errors="coerce").to_numpy(dtype="float64", copy=True)
        if "numerator" in cols
        else np.full(len(out), np.nan)
    )
    den = (
        pd.to_numeric(out["denominator"], errors="coerce").to_numpy(dtype="float64", copy=True)
        if "denominator" in cols
        else np.full(len(out), np.nan)
    )

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
    out["status"] = pd.Series(status, index=out.index).astype(
        tidy_df["status"].dtype if "status" in tidy_df else "object"
    )
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
    from csdemand.core import numbers

    st = _statuses(status, 1)[0]
    return numbers.fmt(value, decimals, status=st if st in SHOWN_MARKERS else ("x" if st else ""))


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
