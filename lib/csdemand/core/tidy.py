"""The one table shape that passes between layers.

Every figure is a row: which area, which period, which measure, its value, and where it came from.

=================  ==========================================================================
column             meaning
=================  ==========================================================================
area_code          ONS GSS code as published for that period (E92000001 England, E12... region)
la_number          DfE 3-digit LA number (empty for England and regions); stable across GSS changes
area_name          name as published
geographic_level   ``national``, ``regional`` or ``la``
region_code        GSS code of the LA's region (the region itself for regional rows)
period             reporting year ending 31 March (int) for annual measures; ``YYYY-MM`` for monthly
measure            measure id, defined in ``reference/measures.csv``
value              the figure (float); empty where ``status`` says why
status             empty for a value; otherwise the DfE marker: c suppressed, x not available,
                   z not applicable, u low reliability (value withheld), k rounds to zero
numerator          count the value is built on, where it is a rate or share
denominator        population or base count, where it is a rate or share
computed           True where this project computed the value (not printed in the publication)
source             source id (``reference/sources.csv``) or ``computed:...``
release            the publication release (year) the figure is taken from
=================  ==========================================================================
"""

from __future__ import annotations

import pandas as pd

from csdemand.core.errors import InputError

TIDY_COLUMNS: list[str] = [
    "area_code",
    "la_number",
    "area_name",
    "geographic_level",
    "region_code",
    "region_name",
    "period",
    "measure",
    "value",
    "status",
    "numerator",
    "denominator",
    "computed",
    "source",
    "release",
]

#: DfE/EES markers and what they mean; values with these are withheld, never zero.
MARKERS: dict[str, str] = {
    "c": "suppressed (small numbers)",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "k": "rounds to zero",
    "low": "rounds to zero",
    ":": "not available",
    "..": "not available",
}

#: Marker spellings folded onto the canonical status letter.
_CANONICAL = {"c": "c", "x": "x", "z": "z", "u": "u", "k": "k", "low": "k", ":": "x", "..": "x"}

GEOGRAPHIC_LEVELS = ("national", "regional", "la")

#: Optional columns a tidy table may carry after the standard ones: ``period_label`` keeps a
#: period's published spelling where the integer ``period`` alone would lose its meaning (LAIT's
#: ``2024-25 (OT)`` outturn, ``2021/22-23/24`` pooled years).
OPTIONAL_COLUMNS: tuple[str, ...] = ("period_label",)


def canonical_status(marker: str) -> str:
    """The status letter a published marker stands for (``":"`` -> ``x``)."""
    return _CANONICAL[marker]


def empty() -> pd.DataFrame:
    """An empty tidy table with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TIDY_COLUMNS})


def require_columns(df: pd.DataFrame, columns: set[str] | list[str], name: str, expected: str) -> None:
    """:class:`InputError` naming the columns ``df`` (the ``name`` table) lacks of ``columns``,
    the first of them as the column, and ``expected``; nothing when it has them all."""
    missing = sorted(set(columns) - set(df.columns))
    if missing:
        raise InputError(f"the {name} table lacks columns {missing}", column=missing[0], expected=expected)


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Order and type a frame as a tidy table; adds missing optional columns as empty."""
    out = df.copy()
    for col in TIDY_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    out = out[TIDY_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in df.columns]]
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype("float64")
    out["numerator"] = pd.to_numeric(out["numerator"], errors="raise").astype("float64")
    out["denominator"] = pd.to_numeric(out["denominator"], errors="raise").astype("float64")
    out["la_number"] = pd.to_numeric(out["la_number"], errors="raise").astype("Int64")
    out["status"] = out["status"].fillna("").astype("string")
    out["computed"] = out["computed"].fillna(False).astype(bool)
    for col in (
        "area_code",
        "area_name",
        "geographic_level",
        "region_code",
        "region_name",
        "measure",
        "source",
    ) + tuple(c for c in OPTIONAL_COLUMNS if c in out.columns):
        out[col] = out[col].astype("string")
    return out
