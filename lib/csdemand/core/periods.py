"""Periods, one rule each: the reporting year, months and their labels.

* A **reporting year** ``t`` is the year ending 31 March ``t`` (1 April ``t-1`` to 31 March ``t``),
  as DfE's children's social care statistics count it: April 2024 and March 2025 are both 2025.
* A **month** is a ``pandas.Period`` with monthly frequency, written ``YYYY-MM``.
* Labels: ``"March 2025"`` (:func:`month_label`), ``"Mar 2025"`` (:func:`month_label` short),
  ``"year to 31 March 2025"`` (:func:`year_label`).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from csdemand.core.errors import InputError

#: The month a reporting year starts (April).
YEAR_START_MONTH = 4

_YEAR = re.compile(r"(19|20)\d{2}")
_MONTH = re.compile(r"((19|20)\d{2})-(0[1-9]|1[0-2])")


def reporting_year(when: object) -> int:
    """The reporting year (ending 31 March) holding a date, month or ``YYYY-MM`` text."""
    if isinstance(when, (pd.Period, dt.date, pd.Timestamp)):
        y, m = when.year, when.month
    else:
        p = pd.Period(str(when), freq="M")
        y, m = p.year, p.month
    return y + 1 if m >= YEAR_START_MONTH else y


def reporting_years(months: pd.Series | pd.PeriodIndex) -> pd.Series:
    """Vectorised :func:`reporting_year` for monthly Periods or datetimes."""
    s = pd.Series(months)
    if isinstance(s.dtype, pd.PeriodDtype):
        year, month = s.dt.year, s.dt.month
    else:
        d = pd.to_datetime(s)
        year, month = d.dt.year, d.dt.month
    return (year + (month >= YEAR_START_MONTH).astype(int)).astype(int)


def year_start(year: int) -> pd.Period:
    """First month of a reporting year (April of the year before)."""
    return pd.Period(f"{int(year) - 1}-{YEAR_START_MONTH:02d}", freq="M")


def year_end(year: int) -> pd.Period:
    """Last month of a reporting year (March)."""
    return pd.Period(f"{int(year)}-03", freq="M")


def year_end_date(year: int) -> dt.date:
    """31 March of a reporting year: the last day a briefing for that year may show."""
    return dt.date(int(year), 3, 31)


def month(value: object) -> pd.Period:
    """A month from ``YYYY-MM`` text, a date or a Period."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    return pd.Period(value if isinstance(value, (dt.date, pd.Timestamp)) else str(value).strip(), freq="M")


def month_label(value: object, short: bool = False) -> str:
    """``"March 2025"`` (or ``"Mar 2025"`` with ``short``); text that is not a month is returned as is."""
    try:
        p = month(value)
    except (ValueError, TypeError):
        return str(value)
    return p.strftime("%b %Y" if short else "%B %Y")


def year_label(year: int) -> str:
    """``"year to 31 March 2025"``."""
    return f"year to 31 March {int(year)}"


def span_label(years: int) -> str:
    """``"1 year"``, ``"3 years"``."""
    return f"{int(years)} year{'s' if int(years) != 1 else ''}"


def parse_period(text: object) -> tuple[str, int | pd.Period | None]:
    """What ``--period`` or a notebook's ``period`` parameter asks for.

    Returns ``("latest", None)``, ``("year", 2025)`` or ``("month", Period('2021-06'))``; anything
    else raises :class:`InputError` (exit 2 on the command line).
    """
    s = str(text).strip().lower()
    if s in ("latest", "", "none"):
        return "latest", None
    if _YEAR.fullmatch(s):
        return "year", int(s)
    if _MONTH.fullmatch(s):
        return "month", pd.Period(s, freq="M")
    raise InputError(
        "not a period",
        column="period",
        value=text,
        expected="a year such as 2025, a month such as 2021-06, or 'latest'",
    )


def annual_period(text: object, available: list[int]) -> int:
    """The reporting year an annual briefing reports for ``text``: ``latest`` is the newest of
    ``available``; a month means the reporting year that holds it. A year outside ``available``
    raises :class:`InputError` naming the years there are."""
    kind, value = parse_period(text)
    years = sorted(int(y) for y in available)
    if not years:
        raise InputError("no years with data", column="period", value=text)
    if kind == "latest":
        return years[-1]
    year = reporting_year(value) if kind == "month" else int(value)
    if year not in years:
        raise InputError(
            f"no data for {year}",
            column="period",
            value=text,
            expected=f"a reporting year from {years[0]} to {years[-1]}",
        )
    return year


def update_words(due: str, today: dt.date | None = None) -> str:
    """A publication's next update as a reader wants it: ``2026-11-01`` -> "1 November 2026", with
    " (past due: newer figures may be out)" once the date has gone; words ("TBC") as they are."""
    try:
        when = dt.date.fromisoformat(str(due).strip())
    except ValueError:
        return str(due).strip()
    words = f"{when.day} {when:%B %Y}"
    return words + (" (past due: newer figures may be out)" if when < (today or dt.date.today()) else "")
