"""The one-page summary from the shipped data: figures, flags, words, periods, markers, figures as data."""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import pytest

from csdemand.briefings import summary
from csdemand.core import numbers
from csdemand.core.errors import InputError
from csdemand.present import PROVENANCE_MIME
from csdemand.published import store

JARGON = (
    "tau",
    "Poisson",
    "z-score",
    "funnel",
    "SARIMA",
    "quasi",
    "overdispers",
    "winsor",
    "odds ratio",
    "GLM",
    "nan",
    "NaN",
    "None",
)


@functools.cache
def built(la: str, period: str = "latest") -> summary.Summary:
    return summary.build(la, period)


@pytest.fixture(scope="module")
def manchester():
    return built("352")


@pytest.fixture(scope="module")
def kent():
    return built("886")


@pytest.fixture(scope="module")
def richmond():
    return built("318")


@pytest.fixture(scope="module")
def city():
    return built("201")


@pytest.fixture(scope="module")
def scilly():
    return built("420")


def by_key(s: summary.Summary) -> dict[str, summary.Indicator]:
    return {i.key: i for i in s.indicators}


def row_html(s: summary.Summary, key: str) -> str:
    return summary.table(s).markup.split(f'data-indicator="{key}"')[1].split("</tr>")[0]


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'")


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def test_every_headline_indicator_is_present_in_order(manchester):
    assert [i.key for i in manchester.indicators] == [
        "early_help_requests",
        "referrals_rate",
        "rereferral_pct",
        "da_parent_pct",
        "cpp_at31_rate",
        "cla_rate",
    ]
    assert manchester.period == 2025 and all(i.period == 2025 for i in manchester.indicators)


def test_golden_figures_are_the_published_ones(manchester):
    by = by_key(manchester)
    assert (
        by["cla_rate"].value == 97
        and by["cla_rate"].england == 67
        and numbers.fmt(by["cla_rate"].neighbours_mean, 1) == "88.9"
    )
    assert by["rereferral_pct"].value == 18.4 and by["rereferral_pct"].england == 22.6
    assert numbers.fmt(by["da_parent_pct"].value, 1) == "25.5" and numbers.fmt(by["cpp_at31_rate"].value, 1) == "50.1"


def test_changes_equal_the_difference_of_the_figures_as_printed(manchester, kent):
    for s in (manchester, kent):
        for ind in s.indicators:
            for ch in (ind.change1, ind.change3):
                if ch.available:
                    assert ch.shown == pytest.approx(
                        numbers.round_half_up(ind.value, ind.decimals)
                        - numbers.round_half_up(ch.then_value, ind.decimals)
                    ), ind.key
    ref = by_key(manchester)["referrals_rate"]
    # 2024 on the same population base as 2025 (499.2, as LAIT shows it, not 502.8 as printed in 2024)
    assert (
        numbers.fmt(ref.then1, 1) == "499.2"
        and numbers.fmt(ref.value, 1) == "481.1"
        and ref.change1.shown == pytest.approx(-18.1)
    )


def test_manchester_early_help_row_is_the_page_s_year_cut_at_31_march(manchester):
    eh = by_key(manchester)["early_help_requests"]
    assert eh.period == 2025 and eh.value == 14412 and eh.change1.then_value == 13815 and eh.synthetic
    assert "synthetic sample" in eh.label
    earlier = summary.build("352", "2024")
    eh24 = by_key(earlier)["early_help_requests"]
    assert earlier.period == 2024 and eh24.period == 2024 and eh24.value == 13815
    assert earlier.local_source["published"] == "2024-03"


def test_early_help_year_the_extract_does_not_cover_is_a_marker_with_words():
    s = summary.build("352", "2017")  # the extract starts in April 2017: the year to March 2017 is not in it
    eh = by_key(s)["early_help_requests"]
    assert eh.period == 2017 and eh.status == "x" and not eh.has_value
    assert any("does not cover the whole year to March 2017" in f for f in summary.footnotes(s))
    assert '<span class="na"' in row_html(s, "early_help_requests").split("</td>")[2]


def test_authority_without_local_data_has_no_early_help_row():
    s = built("330")
    assert [i.key for i in s.indicators] == [
        "referrals_rate",
        "rereferral_pct",
        "da_parent_pct",
        "cpp_at31_rate",
        "cla_rate",
    ]
    assert s.local_source is None


# --------------------------------------------------------------------------------------------
# flags
# --------------------------------------------------------------------------------------------


def test_richmond_looked_after_rate_is_significantly_lower_than_england(richmond):
    lac = by_key(richmond)["cla_rate"]
    assert lac.value == 27 and lac.england == 67 and lac.flag_vs_england == "lower" and lac.vs_england.level == 0.95
    assert "Significantly lower" in row_html(richmond, "cla_rate")
    first = summary.key_messages(richmond)[0]
    assert first.startswith(
        "In Richmond upon Thames, the looked-after rate was 27 per 10,000 children at 31 March 2025"
    )
    assert "significantly lower than England (67)" in first


def test_manchester_flags(manchester):
    by = by_key(manchester)
    assert not by["cla_rate"].vs_england.significant and not by["cla_rate"].change1.significant
    assert not by["referrals_rate"].change1.significant
    assert by["early_help_requests"].change1.test.flag == "higher"  # 13,815 to 14,412 with steady months
    assert (
        by["cla_rate"].change1.test.method.startswith("Change as a log rate ratio")
        and "children in both years" in by["cla_rate"].change1.test.method
    )


def test_kent_highest_referral_rate_of_its_11_leads_the_key_messages(kent):
    ref = by_key(kent)["referrals_rate"]
    assert (ref.rank, ref.n_ranked) == (11, 11) and numbers.fmt(ref.neighbours_mean, 1) == "399.6"
    assert not ref.change1.significant  # a 1.8% fall is not flagged
    msgs = summary.key_messages(kent)
    assert msgs[0] == (
        "In Kent, the referral rate was 676.3 per 10,000 children in the year to March 2025: higher than all 10 of its "
        "statistical neighbours (their mean 399.6) and higher than England (519.4), though not significantly; "
        "it fell by 12.2 per 10,000 (2%) on the year."
    )
    assert "11 of 11" in row_html(kent, "referrals_rate")


def test_in_line_with_england_where_the_figures_print_the_same():
    s = built("943")  # Westmorland and Furness: 67 per 10,000, England 67
    lac = by_key(s)["cla_rate"]
    assert lac.value == 67 and lac.against_england == "in line" and lac.flag_vs_england == ""
    assert ">In line<" in row_html(s, "cla_rate")
    texts = [m.text for m in summary.messages(s)]
    assert any("in line with England (67)" in t for t in texts)
    assert not any("below England (67)" in t or "lower than England (67)" in t for t in texts)


# --------------------------------------------------------------------------------------------
# words
# --------------------------------------------------------------------------------------------


def _significantly(text: str) -> int:
    return text.count("significantly") - text.count("not significantly")


@pytest.mark.parametrize("la", ["352", "886", "318", "201", "420", "330", "943"])
def test_significantly_only_where_a_flag_is_set_and_no_jargon(la):
    s = built(la)
    by = by_key(s)
    msgs = summary.messages(s)
    assert 3 <= len(summary.key_messages(s)) <= 5
    for m in msgs:
        flags = [
            f
            for k in m.keys
            for f in (
                by[k].flag_vs_england,
                by[k].change1.test.flag if by[k].change1.available else "",
                by[k].change3.test.flag if by[k].change3.available else "",
            )
            if f
        ]
        assert (_significantly(m.text) > 0) == bool(flags), m.text
        assert not any(j in m.text for j in JARGON), m.text
    html = re.sub(r'src="data:[^"]*"', "", summary.table(s).markup)  # the sparklines' PNG bytes are not text
    assert "nan" not in html.lower().replace("financ", "") and "None" not in html and "not available%" not in html


@pytest.mark.parametrize("la", ["352", "886", "318", "330", "943"])
def test_no_key_message_contradicts_the_table(la):
    s = built(la)
    by = by_key(s)
    for m in summary.messages(s):
        if len(m.keys) != 1:
            continue
        ind = by[m.keys[0]]
        row = text_of(row_html(s, ind.key))
        # every figure in the sentence is in the row, or is a year, the group size, or a % change of printed figures
        allowed = set(re.findall(r"\d[\d,]*(?:\.\d+)?", row)) | {
            str(ind.period),
            str(ind.period - 1),
            str(ind.period - 3),
            "3",
            "10",
            "11",
            "31",
        }
        for ch in (ind.change1, ind.change3):
            if ch.available:
                allowed |= {
                    numbers.fmt(abs(ch.shown), ind.decimals),
                    numbers.fmt(abs(ch.pct), 0),
                    numbers.fmt(abs(ch.reference), 0),
                    numbers.fmt(abs(ch.reference), 1),
                }
        for figure in re.findall(r"\d[\d,]*(?:\.\d+)?", m.text.replace("10,000", "")):
            assert figure in allowed, (figure, m.text, row)
        # words agree with the row: direction of the 1-year change and the side of England
        d = summary.direction(ind.change1)
        if d in ("rose", "fell"):
            assert f" {d} " in m.text and {"rose": "\u25b2", "fell": "\u25bc"}[d] in row.split(str(ind.period), 1)[1]
        if ind.against_england in ("higher", "lower"):
            assert f"{ind.against_england} than England" in m.text and ind.against_england.capitalize() in row.replace(
                "Significantly l", "L"
            ).replace("Significantly h", "H")


def test_a_change_on_small_numbers_gives_no_percentage():
    cpp = by_key(built("857"))["cpp_at31_rate"]  # Rutland: about 6 children on a plan in 2022, 28 in 2025
    assert cpp.change3.small and not cpp.change1.small
    words = summary.change_words(cpp, cpp.change3, "over 3 years")
    assert "(small numbers: fewer than 20 in a year)" in words and "%)" not in words


def test_better_and_worse_in_colour_and_words(manchester):
    row = row_html(manchester, "rereferral_pct")
    assert 'class="move good"' in row and ">better<" in row  # re-referrals fell: better, in blue and in words
    lac = row_html(manchester, "cla_rate")
    assert "move neutral" in lac and "better" not in lac and "worse" not in lac
    msg = next(m.text for m in summary.messages(manchester) if m.keys == ("rereferral_pct",))
    assert msg.endswith("on the year (better).")


def test_size_of_a_change_in_words():
    ind = summary.Indicator(
        key="referrals_rate",
        label="Referrals",
        noun="referral rate",
        kind="rate",
        timing="flow",
        period=2025,
        value=481.07,
        status="",
        decimals=1,
        polarity="neither",
        unit="",
        change1=summary.Change(
            1,
            2024,
            499.2,
            "",
            -18.1,
            numbers.pct_change_as_printed(481.07, 499.2, 1),
            summary.significance.not_tested("x"),
        ),
        change3=summary.Change(3, 2022, np.nan, "x", np.nan, np.nan, summary.significance.not_tested("x")),
        neighbours=None,
        rank=0,
        n_ranked=0,
        england=519.4,
        vs_england=summary.significance.not_tested("x"),
        source="",
    )
    assert summary.change_words(ind, ind.change1) == "it fell by 18.1 per 10,000 (4%) on the year"
    flagged = summary.Change(1, 2024, 499.2, "", -18.1, -3.6, summary.significance.result(-2.5, "m"), reference=1.0)
    assert (
        summary.change_words(ind, flagged)
        == "it fell significantly by 18.1 per 10,000 (4%) on the year, against +1% across all authorities"
    )
    slower = summary.Change(1, 2024, 499.2, "", -18.1, -3.6, summary.significance.result(2.5, "m"), reference=-12.0)
    assert (
        summary.change_words(ind, slower)
        == "it fell by 18.1 per 10,000 (4%) on the year, significantly less far than all authorities (-12%)"
    )
    assert summary.change_words(ind, ind.change3) == "there is no 2022 figure to compare"


# --------------------------------------------------------------------------------------------
# markers and periods
# --------------------------------------------------------------------------------------------


def test_city_of_london_2025_reads_its_suppressed_figures_for_2025_not_2024(city):
    assert city.period == 2025
    by = by_key(city)
    assert by["cla_rate"].period == 2025 and by["cla_rate"].status == "c" and by["cla_rate"].change1.test.flag == ""
    row = row_html(city, "cla_rate")
    assert ">c<" in row and "not tested" in row
    msgs = " ".join(summary.key_messages(city))
    assert "looked-after rate are c (suppressed: fewer than 6 children)" in msgs
    assert any(f.startswith("c: suppressed") for f in summary.footnotes(city))
    assert numbers.fmt(by["referrals_rate"].value, 1) == "673.0"


def test_isles_of_scilly_2025_renders_with_not_applicable_for_looked_after(scilly):
    lac = by_key(scilly)["cla_rate"]
    assert scilly.period == 2025 and lac.status == "z" and ">z<" in row_html(scilly, "cla_rate")
    assert "the looked-after rate is not applicable" in " ".join(summary.key_messages(scilly))


def test_a_measure_not_yet_published_for_the_year_shows_the_latest_year_labelled():
    cin = store.load("cin")
    cin = cin[~((cin["measure"] == "da_parent_pct") & (cin["period"] == 2025))]
    spec = summary.indicators_list().set_index("key").loc["da_parent_pct"].copy()
    spec["key"] = "da_parent_pct"
    ind = summary.published_indicator(spec, summary.panel(spec, cin), summary.areas_mod.resolve("352"), 2025, [])
    assert ind.period == 2024 and "has not yet published 2025; the row shows 2024" in ind.note


def test_a_year_before_an_authority_existed_is_refused():
    with pytest.raises(InputError, match="2014"):
        summary.build("942", "2014")  # Cumberland: first year 2024


# --------------------------------------------------------------------------------------------
# figures as data, sources
# --------------------------------------------------------------------------------------------


def test_provenance_carries_every_headline_figure_as_data(richmond, manchester):
    prov = summary.provenance(richmond, {"authority": "Richmond upon Thames"})
    figs = [f.as_dict() for f in prov.figures]
    assert [f["measure"] for f in figs] == [i.key for i in richmond.indicators]
    lac = next(f for f in figs if f["measure"] == "cla_rate")
    assert (
        lac["value"] == 27
        and lac["period"] == "2025"
        and lac["area_code"] == richmond.la.area_code
        and lac["la_number"] == 318
    )
    assert (
        lac["comparators"]["england"] == 67
        and round(lac["comparators"]["neighbours_mean"], 1) == 43.7
        and lac["comparators"]["neighbours_median"] is not None
    )
    assert lac["flags"] == {"vs_england": "lower", "change_1y": "", "change_3y": "", "rank": "1 of 11"}
    payload = prov._repr_mimebundle_()[PROVENANCE_MIME]
    json.dumps(payload, allow_nan=False)  # no NaN reaches the JSON record
    eh = next(
        f
        for f in (x.as_dict() for x in summary.provenance(manchester, {}).figures)
        if f["measure"] == "early_help_requests"
    )
    assert eh["value"] == 14412 and eh["flags"]["change_1y"] == "higher" and eh["comparators"]["england"] is None


def test_withheld_figure_is_a_marker_in_the_json_record(city):
    lac = next(f.as_dict() for f in summary.provenance(city, {}).figures if f.measure == "cla_rate")
    assert lac["value"] is None and lac["status"] == "c"


def test_sources_are_condensed_and_include_the_local_extract(manchester):
    sources = summary.provenance(manchester, {}).sources
    titles = [s["title"] for s in sources]
    assert "Characteristics of children in need, reporting year 2025 (tables d5, c3, c1)" in titles
    assert len(sources) <= 7
    local = [s for s in sources if s["publisher"] == "Council"]
    assert len(local) == 1 and "synthetic sample" in local[0]["title"] and local[0]["published"] == "2025-03"


def test_footnotes_say_each_test_in_one_plain_sentence(manchester):
    notes = summary.footnotes(manchester)
    assert any(summary.significance.PLAIN["change"] in n and summary.significance.PLAIN["count"] in n for n in notes)
    assert any("synthetic sample" in n for n in notes)


def test_an_authority_abolished_before_the_2025_model_takes_the_2021_model_and_the_footnote_says_so():
    s = summary.build("909", "2019", "2025")  # Cumbria: abolished in 2023, not in the May 2025 model
    assert (s.model, s.requested_model, s.period) == ("2021", "2025", 2019)
    assert len(s.neighbour_numbers) == 10
    assert "DfE 2021 model; the 2025 model has none for Cumbria" in summary.footnotes(s)[2]
