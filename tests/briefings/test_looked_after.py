"""Golden figures of the looked-after briefing, computed from the shipped data/sample tables."""

from __future__ import annotations

import pytest

from csdemand.briefings import looked_after, narrative
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


def test_direction_of_travel_manchester_on_one_population_base(manchester):
    t = manchester.travel.set_index("span_years")
    assert t.loc[1, "from_value"] == 100 and t.loc[1, "direction"] == "down" and t.loc[1, "change"] == -3
    # Golden figure changed by the one-base rule: DfE printed 2020 as 115 on pre-2021-census
    # estimates (-18 to 2025); re-based on the mid-2024 estimates it is 1,410 / 126,375 = 111.6,
    # printed 112, so the 5-year change is 97 - 112 = -15.
    assert t.loc[5, "from_period"] == 2020 and round(t.loc[5, "from_value"], 1) == 111.6 and t.loc[5, "change"] == -15


def test_authority_can_be_given_by_gss_code_or_name():
    assert looked_after.benchmark("E08000025").la.name == "Birmingham"
    assert looked_after.benchmark("birmingham").la.la_number == 330


def test_birmingham_figures_are_its_own():
    b = looked_after.benchmark("330", "2025")
    assert b.count == 2317 and b.rate == 79
    assert 352 in b.neighbour_numbers


def test_rates_before_2018_are_flagged_computed_and_2018_to_2020_re_based(manchester):
    assert manchester.computed_periods == [2010, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020]
    assert manchester.rebased_periods == [2018, 2019, 2020]


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
    for figure in (
        "1,280",
        "97 per 10,000",
        "above the 67 for England by 30 per 10,000 (45%)",
        "88.9",
        "ranks 9 of 11",
        "band D",
    ):
        assert figure in text


# --------------------------------------------------------------------------- every authority, honest markers


def _text(b) -> str:
    """Everything the briefing's functions put on the page, as one string."""
    tables = [looked_after.neighbour_table(b), looked_after.travel_table(b), looked_after.history_table(b)]
    return " ".join(
        [
            " ".join(narrative.lac_key_messages(b)),
            " ".join(narrative.lac_caveats(b)),
            " ".join(" ".join(t) for t in looked_after.headlines(b)),
        ]
        + [t.to_string() for t in tables]
    )


def test_city_of_london_2025_is_suppressed_for_that_year_not_replaced_by_2024():
    b = looked_after.benchmark("201", "2025")
    assert b.period == 2025 and b.rate_status == "c" and b.count_status == "c"
    tiles = dict((label, value) for label, value, _ in looked_after.headlines(b))
    assert tiles["Looked after, 31 March 2025"] == "c (suppressed: fewer than 6 children)"
    assert tiles["Rank among 11 / national band"] == "not ranked"
    first = narrative.lac_key_messages(b)[0]
    assert "31 March 2025: c (suppressed: fewer than 6 children)" in first
    # The row DfE printed as c stays in the table with its marker.
    nt = looked_after.neighbour_table(b).set_index("Local authority")
    assert (
        nt.loc["City of London (this authority)", "Rate per 10,000"] == "c"
        and nt.loc["City of London (this authority)", "Rank (1 = lowest)"] == "c"
    )
    assert looked_after.history_table(b).iloc[-1].tolist()[1:] == ["c", "63.4 (10 of 10)", "c", "c"]


def test_isles_of_scilly_2025_reads_not_applicable_published_with_cornwall():
    b = looked_after.benchmark("420", "2025")
    assert b.rate_status == "z" and b.marker_note == "published with Cornwall"
    assert (
        dict((label, value) for label, value, _ in looked_after.headlines(b))["Rate per 10,000 children"]
        == "not applicable (published with Cornwall)"
    )
    assert "not applicable (published with Cornwall)" in narrative.lac_key_messages(b)[0]
    assert looked_after.neighbour_table(b).attrs["marker_notes"] == {"z": "Isles of Scilly: published with Cornwall"}


@pytest.mark.parametrize(
    ("la", "year"),
    [
        ("201", "2025"),
        ("420", "2025"),
        ("942", "2025"),
        ("909", "2019"),
        ("837", "2019"),
        ("352", "2011"),
        ("420", "2014"),
    ],
)
def test_no_nan_none_bare_percent_or_rank_0_on_the_edges(la, year):
    import re

    text = _text(looked_after.benchmark(la, year))
    assert not re.search(
        r"\bnan\b|\bNone\b|not available%|(?<![\d.,(])0 of 1\d\b(?! with data)|not available over", text, re.IGNORECASE
    )


def test_cumberland_2014_is_refused_before_it_existed():
    with pytest.raises(InputError, match="Cumberland was created in 2023: its first year is 2024"):
        looked_after.benchmark("942", "2014")


def test_westmorland_and_furness_at_67_is_in_line_with_england_not_below():
    b = looked_after.benchmark("943", "2025")
    assert (
        b.rate == 67 and b.england_rate == 67 and round(b.target_rate, 2) == 67.12
    )  # England unrounded: 81,770 / 12,183,016
    text = " ".join(narrative.lac_key_messages(b))
    assert (
        "in line with the 67 for England" in text
        and "below the 67 for England" not in text
        and "below England (67)" not in text
    )
    assert narrative._compare(67, 67.12, 0) == "in line with" and narrative._compare(66.4, 67.12, 0) == "below"


def test_cumberlands_first_years_carry_the_cumbria_caveat_and_no_change_from_before_it_existed():
    b = looked_after.benchmark("942", "2025")
    msgs = narrative.lac_key_messages(b)
    assert any("Cumbria" in m and "not comparable" in m for m in msgs)
    assert "No change in the rate over 5 years can be shown: Cumberland's first year is 2024." in " ".join(msgs)
    assert looked_after.travel_table(b).set_index("Over").loc["5 years", "From"] == "2020: before Cumberland existed"


def test_an_abolished_authority_uses_the_neighbour_model_that_has_it_and_says_so():
    b = looked_after.benchmark("909", "2019")
    assert b.model == "2021" and b.model_requested == "2025" and len(b.neighbour_numbers) == 10
    assert any("no statistical neighbours in DfE's 2025 model" in c for c in narrative.lac_caveats(b))


def test_a_small_authoritys_percentage_change_carries_the_small_numbers_warning():
    b = looked_after.benchmark("201", "2024")  # 7 children in 2024, 9 in 2023
    row = b.travel.set_index("span_years").loc[1]
    assert row["small_numbers"] and row["change"] == numbers_change(b, 2024, 2023)
    assert looked_after.travel_table(b).set_index("Over").loc["1 year", "Change %"].endswith("!")
    assert "fewer than 20 children" in " ".join(narrative.lac_key_messages(b))


def numbers_change(b, now, then):
    from csdemand.core import numbers

    s = b.history.set_index("period")["rate"]
    return numbers.round_half_up(s[now]) - numbers.round_half_up(s[then])


def test_changes_equal_the_difference_of_the_figures_as_printed(manchester):
    t = looked_after.travel_table(manchester).set_index("Over")
    for over in ("1 year", "3 years", "5 years"):
        frm = int(t.loc[over, "From"].split(" in ")[0])
        assert int(t.loc[over, "Change"]) == int(t.loc[over, f"To ({manchester.period})"]) - frm


def test_figures_record_the_marker_and_comparators_for_the_json_record():
    b = looked_after.benchmark("201", "2025")
    rate = next(f for f in looked_after.figures(b) if f.measure == "cla_rate").as_dict()
    assert (
        rate["value"] is None
        and rate["status"] == "c"
        and rate["comparators"]["england"] == 67.0
        and rate["flags"]["rank"] == ""
    )


def test_an_authority_the_newest_estimates_do_not_cover_keeps_dfes_rates_and_says_so():
    b = looked_after.benchmark("835", "2019")
    assert b.older_base_periods == [2018, 2019] and b.rate == 54 and not b.rate_rebased
    assert any("ONS's newest estimates do not cover Dorset (county council)" in c for c in narrative.lac_caveats(b))
