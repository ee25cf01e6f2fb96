"""Golden figures of the looked-after briefing, computed from the shipped data/sample tables."""

from __future__ import annotations

import pytest

from csdemand.briefings import looked_after
from csdemand.briefings import narrative
from csdemand.core.errors import InputError


@pytest.fixture(scope="module")
def manchester():
    return looked_after.benchmark("352")


def test_manchester_2025_golden_figures(manchester):
    b = manchester
    assert b.period == 2025
    assert b.count == 1280 and b.rate == 97 and not b.rate_computed
    assert b.england_rate == 67
    assert round(b.neighbour_average.mean, 1) == 88.9
    assert b.neighbour_average.n_with_value == 10
    assert b.region_rate == 90  # North West 2025


def test_manchester_ranks_9_of_11_and_is_in_band_d(manchester):
    assert (manchester.rank, manchester.n_ranked) == (9, 11)
    assert manchester.band.band == "D"


def test_2021_model_gives_published_mean_90_3():
    assert round(looked_after.benchmark("Manchester", "2025", "2021").neighbour_average.mean, 1) == 90.3


def test_direction_of_travel_manchester(manchester):
    t = manchester.travel.set_index("span_years")
    assert t.loc[1, "from_value"] == 100 and t.loc[1, "direction"] == "down"
    assert t.loc[5, "from_period"] == 2020 and t.loc[5, "change"] == -18


def test_authority_can_be_given_by_gss_code_or_name():
    assert looked_after.benchmark("E08000025").la.name == "Birmingham"
    assert looked_after.benchmark("birmingham").la.la_number == 330


def test_birmingham_figures_are_its_own():
    b = looked_after.benchmark("330", "2025")
    assert b.count == 2317 and b.rate == 79
    assert 352 in b.neighbour_numbers


def test_rates_before_2018_are_flagged_computed(manchester):
    assert manchester.computed_periods == [2010, 2013, 2014, 2015, 2016, 2017]


def test_history_covers_the_window(manchester):
    assert manchester.history["period"].tolist() == list(range(2016, 2026))
    assert looked_after.benchmark("352", window=3).history["period"].tolist() == [2023, 2024, 2025]


def test_unknown_authority_is_a_clear_error():
    with pytest.raises(InputError, match="no local authority matches 'Atlantis'"):
        looked_after.benchmark("Atlantis")


def test_year_out_of_range_is_a_clear_error():
    with pytest.raises(InputError, match="no looked-after data for 1999"):
        looked_after.benchmark("352", "1999")


def test_key_messages_quote_the_computed_figures(manchester):
    text = " ".join(narrative.lac_key_messages(manchester))
    for figure in ("1,280", "97 per 10,000", "67 for England", "88.9", "ranks 9 of 11", "band D"):
        assert figure in text
