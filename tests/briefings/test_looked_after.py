"""Golden figures of the looked-after briefing, computed from the shipped data/sample tables."""

from __future__ import annotations

import html as html_mod

import numpy as np
import pandas as pd
import pytest

from csdemand.briefings import looked_after, narrative
from csdemand.briefings import looked_after_sections as sections
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


# --------------------------------------------------------------------------- why numbers move (issue 12, item 6)


@pytest.fixture(scope="module")
def flows_352(manchester):
    return looked_after.flows(manchester)


def test_manchester_2025_shows_497_starting_and_523_ceasing_with_the_neighbours_rates(flows_352):
    f = flows_352
    s, c, n = (f.flows[m] for m in (looked_after.STARTS, looked_after.CEASES, looked_after.NET))
    sr, cr = f.flows[looked_after.START_RATE], f.flows[looked_after.CEASE_RATE]
    assert (s.value, c.value, n.value) == (497, 523, -26)
    assert (sr.value, cr.value) == (38, 40) and not sr.computed
    assert round(sr.neighbours.mean, 1) == 30.2 and round(cr.neighbours.mean, 1) == 32.7
    assert sr.neighbours.n_with_value == 10 and (sr.england, cr.england) == (26, 28)
    t = looked_after.flow_table(f).set_index("")
    assert t.loc["Started to be looked after"].tolist() == ["497", "38", "30.2 (10 of 10)", "26", "32,270"]
    assert t.loc["Ceased to be looked after"].tolist() == ["523", "40", "32.7 (10 of 10)", "28", "34,450"]
    assert t.loc["Net change (started less ceased)"].tolist() == ["-26", "-2", "-2.5 (10 of 10)", "-2", "-2,180"]
    words = " ".join(narrative.lac_flow_sentences(f))
    assert "497 children started to be looked after by Manchester and 523 ceased to be looked after" in words
    assert "38 started (neighbours' mean 30.2, England 26) and 40 ceased (neighbours' mean 32.7, England 28)" in words


def test_the_flows_key_message_and_the_json_record_carry_497_and_523(manchester, flows_352):
    msgs = narrative.lac_key_messages(manchester, flows_352)
    assert msgs[:4] == narrative.lac_key_messages(manchester)[:4]
    assert msgs[4] == (
        "497 children started to be looked after and 523 ceased in the year to 31 March 2025 (38 and 40 per 10,000 "
        "children; statistical neighbours' mean 30.2 and 32.7)."
    )
    figs = {f.measure: f.as_dict() for f in looked_after.flow_figures(flows_352)}
    assert figs["LACnum_Start"]["value"] == 497 and figs["LACceased"]["value"] == 523
    assert round(figs["LACnum_Start"]["comparators"]["neighbours_mean_rate"], 1) == 30.2


def test_last_years_stock_plus_starts_less_ceases_is_4_short_of_manchesters_2025_stock(flows_352):
    r = flows_352.reconciliation.set_index("period").loc[2025]
    assert (r["opening"], r["expected"], r["stock"], r["difference"]) == (1302, 1276, 1280, 4)
    assert round(r["difference_pct"], 1) == 0.3
    said = narrative.lac_reconciliation_sentences(flows_352)
    assert said[0] == (
        "1,302 children looked after at 31 March 2024, plus 497 who started, less 523 who ceased, gives 1,276; 1,280 "
        "were looked after at 31 March 2025, 4 more (0.3% of the number a year before)."
    )
    assert said[1].startswith("The figures never reconcile exactly: DfE counts each child once in each flow")
    assert said[2] == (
        "Across the 151 authorities with all four figures for 2025, the difference was a median +0.4% of the number "
        "a year before (the middle half from +0.2% to +0.8%)."
    )
    t = looked_after.reconciliation_table(flows_352)
    assert t.iloc[-1].tolist() == ["2025", "1,302", "497", "523", "1,276", "1,280", "+4", "+0.3%"]
    assert t["Year to 31 March"].tolist() == [str(y) for y in range(2017, 2026)]


def test_the_sum_is_withheld_where_the_published_number_is_city_of_london_2025():
    # 7 looked after in 2024, 15 started, 18 ceased: the sum (4) would estimate the suppressed 2025 number
    f = looked_after.flows(looked_after.benchmark("201", "2025"))
    row = looked_after.reconciliation_table(f).iloc[-1].tolist()
    assert row == ["2025", "7", "15", "18", "c", "x", "x", "x"]
    assert narrative.lac_reconciliation_sentences(f) == [
        "The flows cannot be checked against the numbers looked after for 2025: the number at 31 March 2025 is not "
        "published."
    ]


def test_rates_before_2018_are_computed_from_the_counts_and_marked(flows_352):
    h = flows_352.history.set_index("period")
    # 412 started in 2016 over ONS mid-2015's 118,877 children aged 0-17 (LAIT's rates begin in 2018)
    assert h.loc[2016, "computed"] and not h.loc[2018, "computed"]
    assert round(h.loc[2016, looked_after.START_RATE], 1) == 34.7
    table = looked_after.flow_chart(flows_352).data
    assert table["Year"].tolist()[:3] == ["2016 *", "2017 *", "2018"]
    assert table.attrs["footnotes"][0].startswith("*: rates computed here")


def test_manchester_placements_and_unaccompanied_children_2025(flows_352):
    by = {c.measure: c for c in flows_352.placements}
    foster = by["LAC_Foster_Placements"]
    assert (foster.value, round(foster.neighbours.mean, 1), foster.england) == (63, 68.0, 67)
    assert by["LAC_Other_Res_Settings"].status == "-"  # LAIT prints '-'
    t = looked_after.placement_table(flows_352).set_index("Placement at 31 March")
    assert t.loc["Foster care"].tolist() == ["63%", "67%", "68.0% (10 of 10)", "67%"]
    assert t.loc["Other residential settings", "Manchester 2025"] == "-"
    assert t.attrs["footnotes"][0].startswith("-: not published")
    u = flows_352.uasc
    assert (u[looked_after.UASC_COUNT].value, u[looked_after.UASC_SHARE].value) == (167, 13)
    assert u[looked_after.UASC_STARTING].value == 31
    words = " ".join(narrative.lac_placement_sentences(flows_352))
    assert "63% lived with foster carers (neighbours' mean 68.0%, England 67%)" in words
    assert "167 of the children looked after at 31 March 2025 were unaccompanied asylum-seeking children" in words
    chart = looked_after.placement_chart(flows_352)
    assert "Other residential settings: Manchester not published" in chart.alt


def test_manchester_weekly_unit_cost_against_neighbours_and_england(flows_352):
    c = flows_352.unit_cost
    assert c.value == 1905 and c.england == 2100
    assert round(c.neighbours.mean, 1) == 1916.7 and c.neighbours.n_with_value == 9
    assert flows_352.total_spend.value == 127_214_200
    words = narrative.lac_unit_cost_sentences(flows_352)
    assert words[0] == (
        "Looking after a child cost Manchester £1,905 a week on average in 2024-25 (the outturn), below its "
        "statistical neighbours' mean of £1,917 (9 of 10 with a figure) and below England's £2,100."
    )
    assert words[-1] == "Total spend on children looked after in 2024-25 was £127.2 million."


def test_workforce_beside_the_demand_and_referrals_per_social_worker(flows_352):
    w = {c.measure: c.value for c in flows_352.workforce}
    assert w == {
        "Work_Force_AvgNumCase_SW": 14.7,
        "Work_Force_Agecy_Rate": 5.9,
        "Work_Force_Vac_Rate": 11.7,
        "Work_Force_TO_Rate": 13.2,
        "Work_Force_NoSW": 476.1,
    }
    r = flows_352.referrals_per_sw
    # 6,342 referrals in the year to March 2025 / 449.6 FTE at 30 September 2024; England 632,830 / 34,328.2
    assert r.value == pytest.approx(6342 / 449.6) and round(r.england, 1) == 18.4
    assert round(r.neighbours.mean, 1) == 19.1
    words = " ".join(narrative.lac_workforce_sentences(flows_352))
    assert "held 14.7 cases each on average (neighbours' mean 15.4, England 15.2)" in words
    assert "6,342 referrals in the year to 31 March 2025 divided by the 449.6 full-time-equivalent" in words
    t = looked_after.workforce_table(flows_352).set_index("")
    assert t.loc["Referrals per social worker", "Manchester"] == "14.1"


def test_flows_start_with_laits_first_year():
    f = looked_after.flows(looked_after.benchmark("352", "2014"))
    assert f.refused.startswith("LAIT's figures of children starting and ceasing to be looked after")
    assert narrative.lac_flow_sentences(f) == [f.refused]


# --------------------------------------------------------------------------- where numbers are heading (issue 13)


@pytest.fixture(scope="module")
def outlook_352(manchester):
    return looked_after.outlook(manchester)


def test_no_method_beat_naive_so_manchester_gets_the_range_not_a_forecast(outlook_352):
    o = outlook_352
    assert not o.forecast and o.method is None and o.shown
    assert o.frame["forecast"].tolist() == [1280, 1280, 1280]
    assert [round(v) for v in o.frame["lo80"]] == [1181, 1148, 1117]
    assert [round(v) for v in o.frame["hi80"]] == [1410, 1487, 1553]
    said = narrative.lac_outlook_sentences(o)
    assert said[0] == o.judgement.sentence and "so no forecast is shown" in said[0]
    assert "wrong by a median 4.4% in the backtest" in said[0]
    assert said[1].startswith("What can be planned within instead is a range, not a forecast")
    assert (
        "will lie between 1,181 and 1,410 in 8 years out of 10, and between 1,113 and 1,517 in 19 out of 20" in said[1]
    )
    assert not any("projects" in s for s in said)
    assert narrative.lac_outlook_key_message(o).startswith(
        'No projection method beat "it stays where it is" for most authorities, so none is shown: plan within 1,181 '
        "to 1,410 children looked after at 31 March 2026"
    )


def test_accuracy_for_authorities_like_manchester_and_the_neighbours_rate(outlook_352):
    said = " ".join(narrative.lac_outlook_sentences(outlook_352))
    assert (
        'For the 16 authorities looking after 1,000 or more children, assuming "it stays where it is" was wrong by '
        "a median 4.3% a year ahead in the backtest; its 80% range held 90% of outcomes there. For Manchester it was "
        "wrong by 3.4% on average over 6 years."
    ) in said
    r = outlook_352.rates.set_index("period")
    assert outlook_352.neighbours_projected == 10
    # published years as the benchmark prints them (97; neighbours' mean 88.9), then projected
    assert r.loc[2025, "la"] == 97 and round(r.loc[2025, "neighbours"], 1) == 88.9
    assert round(r.loc[2026, "neighbours"], 1) == 87.9
    assert "against 87.9 for the mean of the 10 statistical neighbours on the same basis" in said


def test_the_cost_line_is_children_times_unit_cost_times_52_against_latest_spend(outlook_352):
    c = outlook_352.cost.frame.iloc[0]
    assert c["cost"] == pytest.approx(1280 * c["unit_cost"] * 52)
    said = narrative.lac_cost_sentences(outlook_352)
    assert said[0] == (
        "At today's 1,280 children and a weekly unit cost projected at £2,210 for 2025-26 (the 2024-25 outturn was "
        "£1,905, projected on its log-linear trend over the last 5 years), looking after children would cost about "
        "£147.1 million in 2025-26 (80% interval £134.8 million to £181.1 million), against £127.2 million spent in "
        "2024-25."
    )
    assert said[1].startswith("The weekly unit cost is an average over every kind of placement")
    t = looked_after.cost_table(outlook_352)
    assert t.iloc[0].tolist() == [
        "2025-26",
        "1,280",
        "£2,210",
        "£2,009 to £2,702",
        "£147.1 million",
        "£134.8 million to £181.1 million",
    ]


def test_manchesters_projection_from_2022_beside_what_happened(outlook_352):
    assert outlook_352.hindcast_origin == 2022
    t = looked_after.hindcast_table(outlook_352)
    assert t["What happened"].tolist() == ["1,336", "1,302", "1,280"]
    assert t["Last value (naive)"].tolist() == [
        "1,384 (1,293 to 1,547)",
        "1,384 (1,268 to 1,611)",
        "1,384 (1,250 to 1,713)",
    ]
    said = narrative.lac_hindcast_sentences(outlook_352)[0]
    assert "What happened in 2023 to 2025: 1,336, 1,302, 1,280, inside its 80% range in all 3 years." in said


def test_the_fan_chart_shows_the_history_the_range_and_the_neighbours_rate(outlook_352):
    chart = looked_after.outlook_chart(outlook_352)
    assert "a range (not a forecast) for 2026 to 2028" in chart.alt
    assert "The 80% range is 1,181 to 1,410 in 2026 and 1,117 to 1,553 in 2028" in chart.alt
    rows = chart.data.set_index("Year")
    assert rows.loc["2026 (range)"].tolist() == ["centre 1,280", "1,181 to 1,410", "1,113 to 1,517", "96", "87.9"]
    assert rows.loc["2025", "Children"] == "1,280" and rows.loc["2025", "Neighbours' mean per 10,000"] == "88.9"


def test_a_past_years_briefing_shows_the_range_known_then_beside_what_happened():
    o = looked_after.outlook(looked_after.benchmark("352", "2022"))
    assert o.period == 2022 and o.cost is None and o.actual.tolist() == [1336, 1302, 1280]
    said = " ".join(narrative.lac_outlook_sentences(o))
    assert "(as it would have been known in 2022)" in said and "would lie between 1,293 and 1,547" in said
    assert "What happened: 1,336 in 2023, 1,302 in 2024, 1,280 in 2025; inside the 80% range in all 3 years." in said
    assert "Costs and scenarios are projected from the latest published year (2025)" in said


@pytest.mark.parametrize(
    ("la", "reason"),
    [
        ("201", "City of London's number of children looked after is not published for 2025"),
        ("420", "Isles of Scilly's number of children looked after is not published for 2025"),
        ("942", "Cumberland has 2 years of data (2024-2025, created in 2024 from Cumbria), fewer than the 5"),
        ("943", "Westmorland and Furness has 2 years of data"),
        ("940", "North Northamptonshire has 4 years of data"),
        ("941", "West Northamptonshire has 4 years of data"),
    ],
)
def test_authorities_with_fewer_than_five_years_get_the_section_refused_with_a_sentence(la, reason):
    o = looked_after.outlook(looked_after.benchmark(la, "2025"), scenario_starts=-0.1)
    assert o.refused.startswith(reason) and not o.shown and o.scenario is None
    html = sections.outlook_section(o)._repr_html_()
    assert html.startswith("<p>") and html.count("<p>") == 1 and "<img" not in html
    assert html_mod.unescape(html.removeprefix("<p>").removesuffix("</p>")) == o.refused
    assert narrative.lac_outlook_key_message(o) == ""
    assert looked_after.outlook_figures(o) == []


def test_a_briefing_before_laits_fifth_year_has_no_projection():
    o = looked_after.outlook(looked_after.benchmark("352", "2019"))
    assert o.refused == (
        "Projections use LAIT's series of children looked after, which begins in 2016; a projection needs 5 years, "
        "so the first briefing with one is 2020."
    )


def test_a_scenario_of_ten_percent_fewer_starts_redraws_the_projection_and_its_cost(manchester):
    o = looked_after.outlook(manchester, scenario_starts=-0.10)
    assert [round(v) for v in o.scenario.frame["scenario"]] == [1235, 1208, 1192]
    said = narrative.lac_scenario_sentences(o)
    assert said[0] == (
        "With 10% fewer children starting from 2025-26, Manchester would look after 1,192 children at 31 March 2028, "
        "against 1,273 if rates stay as they are (-81), £12.6 million less that year at the projected unit cost."
    )
    assert 'beat "it stays where it is" for 36% of authorities' in said[1]
    chart = looked_after.scenario_chart(o)
    assert chart.data["Difference"].tolist() == ["-36", "-62", "-81"]
    html = sections.scenario_section(o)._repr_html_()
    assert "Scenario: 10% fewer children starting" in html
    assert sections.scenario_section(looked_after.outlook(manchester))._repr_html_() == ""
    both = looked_after.outlook(manchester, scenario_starts=-0.1, scenario_ceases=0.05)
    assert looked_after.scenario_words(both) == "10% fewer children starting and a ceasing share 5% higher"


@pytest.mark.parametrize("value", [-10, -1.0, 1.5, "a lot", float("nan")])
def test_a_scenario_change_outside_minus_one_to_one_is_a_clear_error(manchester, value):
    with pytest.raises(InputError, match=r"-0\.10 for 10% fewer"):
        looked_after.outlook(manchester, scenario_starts=value)


def _growing(las: list[int]) -> pd.DataFrame:
    """A projection history where every authority grows 6% a year (starts 40% of the opening stock,
    ceases reconcile): the national trend is exact, the naive projection is not."""
    rows = []
    for la in las:
        stock = 50 * (1 + la % 7) * 1.06 ** np.arange(10)
        for i, year in enumerate(range(2016, 2026)):
            opening = stock[i - 1] if i else stock[0]
            starts = 0.4 * opening
            rows.append(
                {
                    "la_number": la,
                    "area_name": f"Area {la}",
                    "period": year,
                    "stock": stock[i],
                    "starts": starts,
                    "ceases": opening + starts - stock[i] if i else starts,
                    "population": 100_000.0,
                    "unit_cost": 1000 * 1.05**i,
                    "total_spend": np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_where_a_method_beats_naive_the_same_code_shows_its_forecast(manchester):
    from csdemand.methods import projection

    others = [n for n in range(800, 880) if areas_known(n) and n not in manchester.neighbour_numbers][:30]
    las = [352, *manchester.neighbour_numbers, *others]
    o = looked_after.outlook(manchester, hist=_growing(las))
    assert o.forecast and o.method == "national_trend" and o.shown
    last = 150 * 1.06**9  # Manchester: 50 x (1 + 352 % 7) in 2016, +6% a year
    assert o.frame["forecast"].tolist() == pytest.approx([last * 1.06, last * 1.06**1.8, last * 1.06**2.44])
    said = narrative.lac_outlook_sentences(o)
    assert said[0].startswith(
        f"{projection.METHOD_LABELS['national_trend']} projects 269 children looked after by Manchester at 31 "
        "March 2026"
    )
    assert "range, not a forecast" not in " ".join(said)
    assert narrative.lac_outlook_key_message(o).startswith("Projected: 269 children looked after at 31 March 2026")
    chart = looked_after.outlook_chart(o)
    assert "projected to 2028" in chart.caption and chart.data["Year"].iloc[-1] == "2028 (projected)"
    fig = looked_after.outlook_figures(o)[0].as_dict()
    assert fig["flags"]["kind"] == "forecast" and fig["flags"]["method"] == "national_trend"


def areas_known(la_number: int) -> bool:
    from csdemand.published import areas

    try:
        areas.resolve(str(la_number))
    except InputError:
        return False
    return True


def test_the_backtest_table_of_the_methods_section(outlook_352):
    t = looked_after.backtest_table(outlook_352)
    one = t[t["Years ahead"] == "1"].set_index("Method")
    assert one.loc["Last value (naive)"].tolist() == ["1", "889", "4.4%", "(yardstick)", "77.8%", "92.1%"]
    assert one.loc["National trend (median growth, damped)", "Beat naive: % of authorities"] == "48.0%"
    methods = " ".join(narrative.lac_methods(looked_after.flows(looked_after.benchmark("352")), outlook_352))
    assert "No method did, so no forecast is shown" in methods
    assert "the 80% range held 77.8% of outcomes a year ahead" in methods


# --------------------------------------------------------------------------- the summary's row; edges; the page


def test_the_summary_has_one_footer_row_with_the_range_and_its_cost():
    from csdemand.briefings import summary

    markup = summary.table(summary.build("352")).markup
    body, foot = markup.split("</tbody>")
    assert body.count("<tr data-indicator=") == 6 and foot.count("<tr") == 1
    assert (
        '<th scope="row">Looked after at 31 March 2026</th><td colspan="8">1,181 to 1,410: a range, not a forecast'
        in foot
    )
    assert "cost about £147.1 million in 2025-26 at the projected unit cost" in foot
    assert sections.outlook_brief("201", 2025) == (
        "Looked after at 31 March 2026",
        "no projection: its latest number is not published",
    )
    assert sections.outlook_brief("942", 2025)[1] == "no projection: fewer than 5 years of figures"


@pytest.mark.parametrize(
    ("la", "year"),
    [
        ("352", "2025"),
        ("201", "2025"),
        ("420", "2025"),
        ("942", "2025"),
        ("909", "2019"),
        ("837", "2019"),
        ("352", "2016"),
        ("352", "2011"),
        ("838", "2021"),
    ],
)
def test_the_new_sections_print_no_nan_none_bare_percent_or_rank_0_on_the_edges(la, year):
    import importlib.util

    from csdemand.core import paths

    spec = importlib.util.spec_from_file_location("sweep", paths.ROOT / "scripts" / "sweep.py")
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    b = looked_after.benchmark(la, year)
    f, o = looked_after.flows(b), looked_after.outlook(b, scenario_starts=-0.1)
    parts = [
        sections.flow_section(f),
        sections.placement_section(f),
        sections.unit_cost_section(f),
        sections.workforce_section(f),
        sections.outlook_section(o),
        sections.hindcast_section(o),
        sections.scenario_section(o),
        sections.methods_section(f, o),
    ]
    html = "".join(p._repr_html_() for p in parts) + "".join(f"<p>{m}</p>" for m in narrative.lac_key_messages(b, f, o))
    assert sweep.scan_html(html) == []


@pytest.mark.notebook
def test_the_rendered_briefing_shows_the_scenario_when_its_parameter_is_set(tmp_path):
    from csdemand.render import batch, execution
    from csdemand.render.page import body_html, for_report

    briefing = next(b for b in batch.discover() if b.name == "looked_after")
    nb = execution.execute(briefing, {"la": "352", "period": "2025", "scenario_starts": -0.1})
    html = body_html(for_report(nb))
    assert "Scenario: 10% fewer children starting" in html
    assert "Manchester would look after 1,192 children at 31 March 2028, against 1,273" in html
    assert "Why numbers move" in html and "Where numbers are heading" in html
    assert "497 children started to be looked after by Manchester and 523 ceased" in html
