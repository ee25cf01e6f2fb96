"""The summary's sparklines (issue 14 item 4): each headline indicator's last 10 years under its
value, and its place among its statistical neighbours under their mean, from the shipped data."""

from __future__ import annotations

import functools
import html
import re

import numpy as np
import pandas as pd
import pytest

from csdemand.briefings import summary
from csdemand.core import numbers


@functools.cache
def built(la: str) -> summary.Summary:
    return summary.build(la)


def _row(s: summary.Summary, key: str) -> str:
    return summary.table(s).markup.split(f'data-indicator="{key}"')[1].split("</tr>")[0]


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def _alts(markup: str) -> list[str]:
    return [html.unescape(a) for a in re.findall(r'<img class="sparkline"[^>]* alt="([^"]*)"', markup)]


def test_manchester_rows_carry_ten_years_ending_with_the_value_shown():
    s = built("352")
    for ind in s.indicators:
        value_cell = _cells(_row(s, ind.key))[1]
        (alt,) = _alts(value_cell)
        shown = numbers.fmt(ind.value, ind.decimals, unit="%" if ind.kind == "percent" else "")
        assert alt.startswith(f"{ind.label} in Manchester, ") and f"2025 {shown}." in alt, alt
    referrals = _alts(_cells(_row(s, "referrals_rate"))[1])[0]
    assert referrals == (
        "Referrals per 10,000 children in Manchester, 2016 to 2025: 2016 956.3, 2017 1,001.3, 2018 1,073.6, "
        "2019 898.5, 2020 587.8, 2021 589.3, 2022 620.9, 2023 564.0, 2024 499.2, 2025 481.1. "
        "England 519.4 in 2025."
    )
    lac = _alts(_cells(_row(s, "cla_rate"))[1])[0]
    assert lac.endswith("2021 108, 2022 109, 2023 104, 2024 100, 2025 97. England 67 in 2025.")


def test_early_help_sparkline_is_the_yearly_totals_of_the_years_the_extract_covers():
    s = built("352")
    alt = _alts(_row(s, "early_help_requests"))[0]
    # the extract starts in April 2017: 2018 is its first full reporting year; 2025 less 597 and 1,666 as the row says
    assert alt == (
        "Early help requests (local data, synthetic sample) in Manchester, 2018 to 2025: 2018 8,226, 2019 8,156, "
        "2020 8,041, 2021 8,937, 2022 12,746, 2023 13,332, 2024 13,815, 2025 14,412."
    )
    assert len(_alts(_row(s, "early_help_requests"))) == 1  # no neighbours to place it among


def test_strip_rank_agrees_with_the_rank_column():
    s = built("352")
    for ind in s.indicators:
        if ind.neighbours is None:
            continue
        cells = _cells(_row(s, ind.key))
        (alt,) = _alts(cells[4])  # under the neighbours' mean
        assert f"rank {ind.rank} of {ind.n_ranked} among" in alt and cells[5] == f"{ind.rank} of {ind.n_ranked}"
        mean = numbers.fmt(ind.neighbours_mean, max(1, ind.decimals), unit="%" if ind.kind == "percent" else "")
        assert alt.endswith(f"the neighbours' mean {mean}.")
    assert "Manchester 481.1, rank 1 of 11" in _alts(_row(s, "referrals_rate"))[1]
    assert "Manchester 97, rank 9 of 11" in _alts(_row(s, "cla_rate"))[1]


def test_city_of_london_withheld_figure_is_its_marker_in_the_sparkline_and_has_no_strip():
    s = built("201")
    row = _row(s, "cla_rate")
    alts = _alts(row)
    assert len(alts) == 1  # a suppressed value has no place among the neighbours
    assert alts[0].endswith("2023 91, 2024 76, 2025 c. England 67 in 2025.")
    cpp = _alts(_row(s, "cpp_at31_rate"))[0]
    assert "2022 c" in cpp and "2023 0.0" in cpp and "nan" not in cpp.lower()


def test_every_row_of_every_edge_authority_has_alt_text_on_each_sparkline():
    for la in ("201", "420", "886", "330", "943"):
        markup = summary.table(built(la)).markup
        imgs = re.findall(r"<img [^>]*>", markup)
        assert imgs and all('class="sparkline"' in i and re.search(r'alt="[^"]{40,}"', i) for i in imgs), la


def test_published_trend_takes_the_ten_years_to_the_rows_year_with_markers():
    p = summary.Panel(
        key="k",
        measure="m",
        kind="rate",
        timing="stock",
        la=pd.DataFrame(
            {
                "value": [10.0, np.nan, 12.0, 99.0],
                "status": ["", "c", "", ""],
                "numerator": np.nan,
                "denominator": np.nan,
                "computed": False,
                "source": "",
                "area_name": "A",
            },
            index=pd.MultiIndex.from_tuples(
                [(1, 2014), (1, 2020), (1, 2024), (2, 2024)], names=["la_number", "period"]
            ),
        ),
        england=pd.DataFrame(
            {"value": [50.0, np.nan], "status": ["", "x"], "numerator": np.nan, "denominator": np.nan, "source": ""},
            index=pd.Index([2023, 2024], name="period"),
        ),
        population=pd.Series(dtype=float),
        starts=None,
    )
    t = summary.published_trend(p, 1, 2024, pd.Series({1: 12.0, 2: 99.0}))
    assert (t.first, t.last) == (2015, 2024)
    assert t.values.index.tolist() == list(range(2015, 2025))
    assert t.values[2024] == 12.0 and np.isnan(t.values[2020]) and t.statuses[2020] == "c"
    assert 2014 not in t.values.index  # 11 years back is outside the sparkline
    assert t.england[2023] == 50.0 and np.isnan(t.england[2024])


def test_local_trend_withholds_a_year_of_1_to_5_and_skips_part_years():
    months = pd.period_range("2021-07", "2024-03", freq="M")
    counts = pd.Series(100.0, index=months)
    counts[(months >= pd.Period("2022-04", "M")) & (months <= pd.Period("2023-03", "M"))] = 0.0
    counts[pd.Period("2022-06", "M")] = 4.0
    t = summary.local_trend(counts, 2024)
    assert np.isnan(t.values[2022]) and t.statuses[2022] == ""  # April 2021 to March 2022 only partly held
    assert np.isnan(t.values[2023]) and t.statuses[2023] == "c"  # a year of 4 requests
    assert t.values[2024] == 1200.0 and t.group.empty


@pytest.mark.parametrize("la", ["352", "201"])
def test_footnote_says_how_to_read_the_sparklines(la):
    notes = summary.footnotes(built(la))
    assert any(n.startswith("Under each value, its last 10 years") for n in notes)
