"""One rule for reporting years and month labels."""

import datetime as dt

import pandas as pd
import pytest

from csdemand.core import periods
from csdemand.core.errors import InputError


@pytest.mark.parametrize(
    ("when", "year"),
    [
        ("2024-03", 2024),
        ("2024-04", 2025),
        ("2025-03", 2025),
        (dt.date(2020, 3, 31), 2020),
        (dt.date(2020, 4, 1), 2021),
        (pd.Period("2021-06", "M"), 2022),
    ],
)
def test_reporting_year_ends_on_31_march(when, year):
    assert periods.reporting_year(when) == year


def test_reporting_years_vectorised_matches_the_scalar_rule():
    months = pd.Series(pd.period_range("2019-01", "2021-12", freq="M"))
    assert periods.reporting_years(months).tolist() == [periods.reporting_year(m) for m in months]


def test_year_bounds_and_labels():
    assert periods.year_start(2025) == pd.Period("2024-04", "M")
    assert periods.year_end(2025) == pd.Period("2025-03", "M")
    assert periods.month_label("2025-03") == "March 2025"
    assert periods.month_label("2025-03", short=True) == "Mar 2025"
    assert periods.year_label(2025) == "year to 31 March 2025"
    assert periods.span_label(1) == "1 year" and periods.span_label(3) == "3 years"


def test_parse_period_accepts_latest_a_year_or_a_month_and_refuses_the_rest():
    assert periods.parse_period("latest") == ("latest", None)
    assert periods.parse_period("2025") == ("year", 2025)
    assert periods.parse_period("2021-06") == ("month", pd.Period("2021-06", "M"))
    for bad in ("2025-13", "25", "next year", "2025/26"):
        with pytest.raises(InputError):
            periods.parse_period(bad)


def test_annual_period_maps_a_month_to_its_year_and_refuses_years_without_data():
    assert periods.annual_period("latest", [2023, 2025, 2024]) == 2025
    assert periods.annual_period("2024-06", [2024, 2025]) == 2025
    with pytest.raises(InputError, match="no data for 2099"):
        periods.annual_period("2099", [2024, 2025])


def test_an_update_date_reads_as_words_and_is_marked_once_past():
    assert periods.update_words("2026-11-01", today=dt.date(2026, 10, 31)) == "1 November 2026"
    assert periods.update_words("2026-11-01", today=dt.date(2026, 11, 1)) == "1 November 2026"
    assert periods.update_words("2026-11-01", today=dt.date(2026, 12, 1)) == (
        "1 November 2026 (past due: newer figures may be out)"
    )
    assert periods.update_words("TBC") == "TBC"
