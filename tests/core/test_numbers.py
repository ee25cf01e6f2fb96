"""The one number formatter: half up, decimals from measures.csv, markers never nan, changes as printed."""

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.core import numbers


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (20.45, 1, "20.5"),
        (12.5, 0, "13"),
        (0.5, 0, "1"),
        (-0.5, 0, "-1"),
        (2.675, 2, "2.68"),
        (1280, 0, "1,280"),
        (-0.04, 1, "0.0"),
        (1234567.891, 1, "1,234,567.9"),
    ],
)
def test_fmt_rounds_half_up_from_the_decimal_spelling(value, decimals, text):
    assert numbers.fmt(value, decimals) == text


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, float("inf")])
def test_a_missing_value_prints_as_x_never_nan_or_none(missing):
    assert numbers.fmt(missing, 1, unit="%") == "x"


@pytest.mark.parametrize("status", ["c", "z", "x", "u", "k"])
def test_a_marker_prints_as_its_letter_without_the_unit(status):
    assert numbers.fmt(3.0, 1, status=status, unit="%") == status


def test_an_unknown_status_prints_as_not_available():
    assert numbers.fmt(3.0, status="?") == "x"


def test_unit_and_sign_follow_a_number_only():
    assert numbers.fmt(20.45, 1, unit="%") == "20.5%"
    assert numbers.fmt(3.25, 1, sign=True) == "+3.3"
    assert numbers.fmt(-3.25, 1, sign=True) == "-3.3"
    assert numbers.fmt(0.0, 1, sign=True) == "0.0"


def test_fmt_measure_takes_decimals_from_measures_csv():
    assert numbers.fmt_measure(96.5, "cla_rate") == "97"
    assert numbers.fmt_measure(502.75, "referrals_rate") == "502.8"
    assert numbers.fmt_measure(18.65, "rereferral_pct", unit="%") == "18.7%"


def test_change_is_the_difference_of_the_figures_as_printed():
    # 499.24 and 481.15 print as 499.2 and 481.2: the change beside them is -18.0, not -18.09 -> -18.1
    assert numbers.change_as_printed(481.15, 499.24, 1) == pytest.approx(-18.0)
    assert numbers.fmt(numbers.change_as_printed(481.15, 499.24, 1), 1, sign=True) == "-18.0"
    assert math.isnan(numbers.change_as_printed(np.nan, 3.0, 1))


def test_percent_change_uses_the_printed_figures():
    assert numbers.pct_change_as_printed(105.4, 100.0, 0) == pytest.approx(5.0)
    assert math.isnan(numbers.pct_change_as_printed(5, 0.2, 0))


def test_marker_words_say_why():
    assert numbers.marker_words("c") == "c (suppressed: fewer than 6 children)"
    assert numbers.marker_words("z", note="published with Cornwall") == "not applicable (published with Cornwall)"
    assert numbers.marker_words("x") == "not available"
    assert numbers.fmt_words(np.nan, 1, unit="%") == "not available"
    assert numbers.fmt_words(20.45, 1, unit="%") == "20.5%"


def test_fmt_measure_takes_decimals_from_the_caller_for_a_measure_outside_measures_csv():
    # LAIT's ReReferral is printed to 1 place (its dictionary's dps), half up
    assert numbers.fmt_measure(18.45, "ReReferral", decimals=1, unit="%") == "18.5%"
    assert numbers.fmt_measure(None, "ReReferral", decimals=1, status="-") == "-"
    with pytest.raises(KeyError):
        numbers.fmt_measure(18.45, "ReReferral")
