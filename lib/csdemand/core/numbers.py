"""The one number formatter: every figure a page, a chart or a sentence shows passes through here.

Rules (as DfE prints its statistics):

* **Half up.** 12.5 -> 13, 20.45 -> 20.5, -0.5 -> -1 (away from zero), never Python's half-even
  ``round`` nor a float's binary spelling (``f"{20.45:.1f}"`` gives ``20.4``). Values are rounded
  from their shortest decimal spelling (``repr``), so 20.45 is 20.45, not 20.4499999...
* **Decimals from the measure.** ``reference/measures.csv`` says how many places each measure is
  printed to; :func:`fmt_measure` looks it up.
* **Markers, never nan.** A withheld or missing figure prints as its DfE marker (``c``, ``x``,
  ``z``, ``u``, ``k``) in a table cell, or as words in a sentence (:func:`marker_words`); NaN,
  None and ``pd.NA`` with no marker print as ``x`` (not available). A unit such as ``%`` is added
  only to a number, so a page never shows ``c%`` or a bare ``%``.
* **Changes as printed.** A change shown beside two figures is the difference of the figures as
  printed (:func:`change_as_printed`), so 499.2 and 481.1 sit beside -18.1, never -18.2.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd

#: What each marker means, in the words a table's footnote uses.
MARKER_MEANINGS: dict[str, str] = {
    "c": "suppressed to protect confidentiality (a count of 1 to 5, or a figure built on one)",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "k": "rounds to zero, but is not zero",
    "-": "not published: suppressed, not available or not applicable (LAIT does not say which)",
}

#: The words a sentence uses for a marker (see :func:`marker_words`).
MARKER_PHRASES: dict[str, str] = {
    "c": "c (suppressed: fewer than 6 {noun})",
    "x": "not available",
    "z": "not applicable",
    "u": "u (low reliability)",
    "k": "fewer than 5 (rounds to zero)",
    "-": "not published (suppressed, not available or not applicable)",
}


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and ``pd.NA``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def round_half_up(value: float, decimals: int = 0) -> float:
    """``value`` rounded to ``decimals`` places, half away from zero (NaN stays NaN)."""
    if is_missing(value):
        return math.nan
    d = _decimal(value).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    return float(d)


def _decimal(value: float) -> Decimal:
    try:
        return Decimal(repr(float(value)))
    except (InvalidOperation, ValueError, OverflowError):  # inf
        raise ValueError(f"not a finite number: {value!r}") from None


def fmt(value: object, decimals: int = 0, *, status: str | None = "", unit: str = "", sign: bool = False) -> str:
    """A figure as a table cell shows it: ``1,280``, ``88.9``, ``20.5%``, ``+3.2``; a marker letter
    (``c``, ``x``, ``z``, ``u``, ``k``) where ``status`` withholds the value; ``x`` where it is
    missing. ``unit`` (e.g. ``"%"``) follows a number only; ``sign`` prefixes ``+`` to a positive
    number (a change)."""
    st = str(status).strip().lower() if not is_missing(status) else ""
    if st:
        return st if st in MARKER_MEANINGS else "x"
    if is_missing(value) or (isinstance(value, float) and math.isinf(value)):
        return "x"
    d = _decimal(value).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # never "-0.0"
    text = f"{d:,.{int(decimals)}f}"
    if sign and d > 0:
        text = "+" + text
    return text + unit


def marker_words(status: str, noun: str = "children", note: str = "") -> str:
    """A marker as a sentence says it: ``c (suppressed: fewer than 6 children)``, ``not applicable
    (published with Cornwall)``. ``note`` (e.g. from an area's note) is added in brackets where the
    phrase has none."""
    st = str(status).strip().lower()
    text = MARKER_PHRASES.get(st, "not available").format(noun=noun)
    if note:
        text = f"{text[:-1]}; {note})" if text.endswith(")") else f"{text} ({note})"
    return text


def fmt_words(
    value: object, decimals: int = 0, *, status: str | None = "", unit: str = "", noun: str = "children", note: str = ""
) -> str:
    """A figure as a sentence shows it: the number (with ``unit``), or the marker in words."""
    st = str(status).strip().lower() if not is_missing(status) else ""
    if st or is_missing(value):
        return marker_words(st or "x", noun=noun, note=note)
    return fmt(value, decimals, unit=unit)


def decimals_of(measure: str) -> int:
    """How many decimal places ``reference/measures.csv`` prints ``measure`` to."""
    from csdemand.core import codes

    return int(codes.measure(measure)["decimals"])


def fmt_measure(
    value: object,
    measure: str,
    *,
    status: str | None = "",
    unit: str = "",
    sign: bool = False,
    decimals: int | None = None,
) -> str:
    """:func:`fmt` with the decimals ``reference/measures.csv`` gives ``measure``, or ``decimals``
    where the caller knows them from elsewhere (LAIT's dictionary for a LAIT code)."""
    return fmt(value, decimals_of(measure) if decimals is None else decimals, status=status, unit=unit, sign=sign)


def change_as_printed(now: float, then: float, decimals: int = 0) -> float:
    """The change between two figures as they are printed: round each half up, then subtract
    (NaN where either is missing). 499.24 and 481.15 print as 499.2 and 481.2: the change is -18.0."""
    if is_missing(now) or is_missing(then):
        return math.nan
    return round_half_up(round_half_up(now, decimals) - round_half_up(then, decimals), decimals)


def pct_change_as_printed(now: float, then: float, decimals: int = 0) -> float:
    """Percentage change between two figures as printed (NaN where the earlier one prints as 0)."""
    if is_missing(now) or is_missing(then):
        return math.nan
    a, b = round_half_up(now, decimals), round_half_up(then, decimals)
    return math.nan if b == 0 else (a - b) / b * 100


def plural(n: float, word: str, plural_word: str | None = None) -> str:
    """``1 child``, ``2 children`` (with the number formatted)."""
    many = plural_word or word + "s"
    return f"{fmt(n)} {word if not is_missing(n) and round_half_up(n) == 1 else many}"
