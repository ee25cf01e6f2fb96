"""Unit tests for csdemand.methods.benchmarks on small hand-made tables (no data files)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks

ENGLAND = "E92000001"
NORTH_EAST = "E12000001"
NORTH_WEST = "E12000002"

# --------------------------------------------------------------------------------------------
# neighbours
# --------------------------------------------------------------------------------------------


def _sn_table() -> pd.DataFrame:
    """LA 201 has 10 neighbours in both models (different lists); LA 940 only exists in 2021.

    Rows are deliberately not in sn_rank order.
    """
    rows = []
    ranks_2025 = [3, 1, 10, 2, 7, 4, 9, 5, 8, 6]
    for rank in ranks_2025:
        rows.append(
            {
                "model": "2025",
                "la_number": 201,
                "la_name": "City A",
                "region_name": "North East",
                "sn_rank": rank,
                "sn_la_number": 300 + rank,  # neighbour at rank k is LA 300+k
                "closeness": "Very Close",
                "pre_lgr": False,
            }
        )
    for rank in range(1, 11):
        rows.append(
            {
                "model": "2021",
                "la_number": 201,
                "la_name": "City A",
                "region_name": "North East",
                "sn_rank": rank,
                "sn_la_number": 400 + rank,
                "closeness": "Close",
                "pre_lgr": False,
            }
        )
        rows.append(
            {
                "model": "2021",
                "la_number": 940,
                "la_name": "Old County",
                "region_name": "East Midlands",
                "sn_rank": rank,
                "sn_la_number": 500 + rank,
                "closeness": "Close",
                "pre_lgr": True,
            }
        )
    return pd.DataFrame(rows)


def test_neighbours_returns_ten_la_numbers_in_sn_rank_order():
    assert benchmarks.neighbours(_sn_table(), 201, "2025") == [301, 302, 303, 304, 305, 306, 307, 308, 309, 310]


def test_neighbours_uses_only_the_requested_model():
    assert benchmarks.neighbours(_sn_table(), 201, "2021") == list(range(401, 411))


def test_neighbours_accepts_a_model_column_read_as_integers():
    sn = _sn_table()
    sn["model"] = sn["model"].astype(int)
    assert benchmarks.neighbours(sn, 201, "2025") == list(range(301, 311))


def test_neighbours_unknown_model_raises_input_error():
    with pytest.raises(InputError, match="unknown statistical neighbour model '2019'"):
        benchmarks.neighbours(_sn_table(), 201, "2019")


def test_neighbours_la_missing_from_model_raises_input_error():
    # LA 940 only exists in the 2021 model (pre-reorganisation authority)
    assert len(benchmarks.neighbours(_sn_table(), 940, "2021")) == 10
    with pytest.raises(InputError, match="LA 940 has 0 statistical neighbours in the 2025 model"):
        benchmarks.neighbours(_sn_table(), 940, "2025")


def test_neighbours_unknown_la_raises_input_error():
    with pytest.raises(InputError):
        benchmarks.neighbours(_sn_table(), 999, "2025")


# --------------------------------------------------------------------------------------------
# neighbour_average
# --------------------------------------------------------------------------------------------


def test_neighbour_average_mean_and_median_leave_out_missing_neighbours():
    neighbours = list(range(301, 311))
    values = pd.Series(
        {301: 10.0, 302: 20.0, 303: np.nan, 304: 40.0, 305: 100.0, 306: 50.0, 307: 60.0, 308: 70.0, 999: 5000.0}
    )  # 303 withheld, 309 and 310 absent, 999 is not a neighbour
    avg = benchmarks.neighbour_average(values, neighbours)
    # neighbours with a value: 10, 20, 40, 50, 60, 70, 100
    assert avg.mean == pytest.approx(350 / 7)
    assert avg.median == 50.0
    assert avg.n_with_value == 7
    assert avg.n_neighbours == 10


def test_neighbour_average_median_of_even_count_is_midpoint():
    avg = benchmarks.neighbour_average(pd.Series({1: 1.0, 2: 2.0, 3: 4.0, 4: 100.0}), [1, 2, 3, 4])
    assert avg.median == 3.0
    assert avg.mean == pytest.approx(26.75)


def test_neighbour_average_with_no_values_is_nan_with_zero_count():
    avg = benchmarks.neighbour_average(pd.Series({999: 1.0, 301: np.nan}), [301, 302])
    assert math.isnan(avg.mean)
    assert math.isnan(avg.median)
    assert avg.n_with_value == 0
    assert avg.n_neighbours == 2


# --------------------------------------------------------------------------------------------
# rank_ascending
# --------------------------------------------------------------------------------------------


def test_rank_one_is_the_lowest_value():
    values = pd.Series({201: 50.0, 202: 30.0, 203: 90.0, 204: 70.0})
    assert benchmarks.rank_ascending(values, 202) == (1, 4)
    assert benchmarks.rank_ascending(values, 201) == (2, 4)
    assert benchmarks.rank_ascending(values, 204) == (3, 4)
    assert benchmarks.rank_ascending(values, 203) == (4, 4)


def test_rank_ties_share_the_lowest_rank():
    values = pd.Series({201: 30.0, 202: 50.0, 203: 50.0, 204: 50.0, 205: 80.0})
    assert benchmarks.rank_ascending(values, 202) == (2, 5)
    assert benchmarks.rank_ascending(values, 203) == (2, 5)
    assert benchmarks.rank_ascending(values, 204) == (2, 5)
    assert benchmarks.rank_ascending(values, 205) == (5, 5)


def test_rank_ignores_missing_values_in_count_and_rank():
    values = pd.Series({201: np.nan, 202: 40.0, 203: np.nan, 204: 20.0})
    assert benchmarks.rank_ascending(values, 202) == (2, 2)


def test_rank_is_zero_when_la_has_no_value():
    values = pd.Series({201: np.nan, 202: 40.0, 204: 20.0})
    assert benchmarks.rank_ascending(values, 201) == (0, 2)
    assert benchmarks.rank_ascending(values, 999) == (0, 2)


# --------------------------------------------------------------------------------------------
# quartile_band
# --------------------------------------------------------------------------------------------

FIVE = pd.Series({1: 50.0, 2: 10.0, 3: 40.0, 4: 20.0, 5: 30.0})  # q1 20, median 30, q3 40


def test_quartile_band_reports_linear_interpolated_percentiles():
    # 1, 2, 3, 4: linear interpolation gives 1.75, 2.5, 3.25 (Excel QUARTILE / numpy default)
    q = benchmarks.quartile_band(pd.Series([4.0, 1.0, 3.0, 2.0, np.nan]), 2.0)
    assert (q.q1, q.median, q.q3) == (1.75, 2.5, 3.25)
    assert q.n_las == 4
    assert q.band == "B"


def test_quartile_band_value_equal_to_q1_is_a():
    assert benchmarks.quartile_band(FIVE, 20.0).band == "A"
    assert benchmarks.quartile_band(FIVE, 10.0).band == "A"


def test_quartile_band_just_above_q1_is_b():
    assert benchmarks.quartile_band(FIVE, 20.000001).band == "B"


def test_quartile_band_value_equal_to_median_is_b():
    assert benchmarks.quartile_band(FIVE, 30.0).band == "B"


def test_quartile_band_value_equal_to_q3_is_c():
    assert benchmarks.quartile_band(FIVE, 40.0).band == "C"
    assert benchmarks.quartile_band(FIVE, 30.000001).band == "C"


def test_quartile_band_just_above_q3_is_d():
    assert benchmarks.quartile_band(FIVE, 40.000001).band == "D"
    assert benchmarks.quartile_band(FIVE, 50.0).band == "D"


def test_quartile_band_boundaries_with_interpolated_quartiles():
    values = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert benchmarks.quartile_band(values, 1.75).band == "A"
    assert benchmarks.quartile_band(values, 1.76).band == "B"
    assert benchmarks.quartile_band(values, 2.5).band == "B"
    assert benchmarks.quartile_band(values, 3.25).band == "C"
    assert benchmarks.quartile_band(values, 3.26).band == "D"


def test_quartile_band_nan_value_gives_empty_band():
    q = benchmarks.quartile_band(FIVE, np.nan)
    assert q.band == ""
    assert (q.q1, q.median, q.q3, q.n_las) == (20.0, 30.0, 40.0, 5)


# --------------------------------------------------------------------------------------------
# direction_of_travel
# --------------------------------------------------------------------------------------------


def test_direction_of_travel_reports_from_to_change_and_pct_for_1_3_5_years():
    s = pd.Series({2020: 80.0, 2022: 100.0, 2024: 90.0, 2025: 95.0})
    dot = benchmarks.direction_of_travel(s, 2025).set_index("span_years")
    assert list(dot.index) == [1, 3, 5]
    assert list(dot["from_period"]) == [2024, 2022, 2020]
    assert list(dot["from_value"]) == [90.0, 100.0, 80.0]
    assert list(dot["to_value"]) == [95.0, 95.0, 95.0]
    assert list(dot["change"]) == [5.0, -5.0, 15.0]
    assert dot["pct_change"].tolist() == pytest.approx([5 / 90 * 100, -5.0, 15 / 80 * 100])
    assert list(dot["direction"]) == ["up", "down", "up"]


def test_direction_of_travel_equal_at_published_precision_is_no_change():
    s = pd.Series({2024: 96.8, 2025: 97.2})
    row = benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=0).iloc[0]
    assert row["direction"] == "no change"
    assert row["change"] == 0  # 97 and 97 as printed
    assert row["raw_change"] == pytest.approx(0.4)  # the unrounded difference is kept beside it


def test_direction_of_travel_respects_decimals_argument():
    s = pd.Series({2024: 96.8, 2025: 97.2})
    assert benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=1).iloc[0]["direction"] == "up"
    s = pd.Series({2024: 12.31, 2025: 12.34})
    assert benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=1).iloc[0]["direction"] == "no change"
    s = pd.Series({2024: 12.36, 2025: 12.34})
    assert benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=1).iloc[0]["direction"] == "down"


def test_direction_of_travel_missing_earlier_year_is_not_available():
    s = pd.Series({2022: np.nan, 2024: 90.0, 2025: 95.0})  # 2022 withheld, 2020 absent
    dot = benchmarks.direction_of_travel(s, 2025).set_index("span_years")
    assert dot.loc[1, "direction"] == "up"
    assert dot.loc[3, "direction"] == "not available"
    assert dot.loc[5, "direction"] == "not available"
    assert math.isnan(dot.loc[5, "from_value"])
    assert math.isnan(dot.loc[5, "change"])
    assert math.isnan(dot.loc[5, "pct_change"])
    assert dot.loc[5, "from_period"] == 2020


def test_direction_of_travel_missing_current_year_is_not_available_for_every_span():
    s = pd.Series({2020: 80.0, 2022: 100.0, 2024: 90.0})
    dot = benchmarks.direction_of_travel(s, 2025)
    assert list(dot["direction"]) == ["not available"] * 3
    assert dot["to_value"].isna().all()


def test_direction_of_travel_pct_change_from_zero_is_nan():
    s = pd.Series({2024: 0.0, 2025: 3.0})
    row = benchmarks.direction_of_travel(s, 2025, spans=(1,)).iloc[0]
    assert row["direction"] == "up"
    assert row["change"] == 3.0
    assert math.isnan(row["pct_change"])


def test_direction_of_travel_same_printed_value_with_one_decimal_is_no_change():
    s = pd.Series({2024: 10.05, 2025: 10.1})
    assert f"{s[2024]:.1f}" == f"{s[2025]:.1f}" == "10.1"
    assert benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=1).iloc[0]["direction"] == "no change"


# --------------------------------------------------------------------------------------------
# la_values, area_series and comparison_series on a tiny tidy table
# --------------------------------------------------------------------------------------------

NEIGHBOURS = list(range(301, 311))


def _row(level, period, value, *, la_number=None, area_code=None, status="", measure="cla_rate", region=NORTH_EAST):
    if level == "la":
        area_code = area_code or f"E0800{la_number}"
    return {
        "area_code": area_code,
        "la_number": la_number,
        "area_name": f"area {area_code}",
        "geographic_level": level,
        "region_code": region if level != "national" else None,
        "region_name": None,
        "period": period,
        "measure": measure,
        "value": value,
        "status": status,
        "numerator": None,
        "denominator": None,
        "computed": False,
        "source": "test",
        "release": "2025",
    }


def _tidy_table() -> pd.DataFrame:
    rows = []
    # 2024: the LA 201 = 70; neighbours 301..310 = 10, 20, ..., 100 with 310 suppressed and 309 absent
    rows.append(_row("la", 2024, 70.0, la_number=201))
    for k, la in enumerate(NEIGHBOURS[:8], start=1):
        rows.append(_row("la", 2024, 10.0 * k, la_number=la))
    rows.append(_row("la", 2024, np.nan, la_number=310, status="c"))
    # 2025: the LA is suppressed; neighbours 301..304 have 20, 30, 40, 200; one non-neighbour has 999
    rows.append(_row("la", 2025, np.nan, la_number=201, status="c"))
    for la, v in zip([301, 302, 303, 304], [20.0, 30.0, 40.0, 200.0]):
        rows.append(_row("la", 2025, v, la_number=la))
    rows.append(_row("la", 2025, 999.0, la_number=888))
    # a withheld row that still carries a number must not count as a neighbour value
    rows.append(_row("la", 2025, 5000.0, la_number=305, status="u"))
    # region, another region, England
    rows += [
        _row("regional", 2024, 60.0, area_code=NORTH_EAST),
        _row("regional", 2025, 62.0, area_code=NORTH_EAST),
        _row("regional", 2024, 40.0, area_code=NORTH_WEST, region=NORTH_WEST),
        _row("regional", 2025, 41.0, area_code=NORTH_WEST, region=NORTH_WEST),
        _row("national", 2024, 67.0, area_code=ENGLAND),
        _row("national", 2025, 68.0, area_code=ENGLAND),
    ]
    # a different measure for the same areas must be ignored
    rows.append(_row("la", 2024, 1.0e6, la_number=301, measure="cla_count"))
    rows.append(_row("national", 2024, 1.0e6, area_code=ENGLAND, measure="cla_count"))
    return tidy.conform(pd.DataFrame(rows))


def test_la_values_keeps_only_la_rows_with_a_value_for_the_period_and_measure():
    v = benchmarks.la_values(_tidy_table(), "cla_rate", 2025)
    assert v.to_dict() == {301: 20.0, 302: 30.0, 303: 40.0, 304: 200.0, 888: 999.0}


def test_area_series_for_la_and_for_region_indexed_by_period():
    df = _tidy_table()
    la = benchmarks.area_series(df, "cla_rate", la_number=201)
    assert la.index.tolist() == [2024, 2025]
    assert la[2024] == 70.0
    assert math.isnan(la[2025])
    region = benchmarks.area_series(df, "cla_rate", area_code=NORTH_EAST)
    assert region.to_dict() == {2024: 60.0, 2025: 62.0}


def test_comparison_series_has_one_row_per_period_and_comparator():
    out = benchmarks.comparison_series(_tidy_table(), "cla_rate", 201, NEIGHBOURS, NORTH_EAST, [2024, 2025])
    assert list(out.columns) == ["period", "comparator", "value", "n_with_value"]
    assert len(out) == 10
    comparators = ["la", "neighbours_mean", "neighbours_median", "region", "england"]
    assert out["comparator"].tolist() == comparators * 2
    assert out["period"].tolist() == [2024] * 5 + [2025] * 5


def test_comparison_series_values_for_each_comparator():
    out = benchmarks.comparison_series(_tidy_table(), "cla_rate", 201, NEIGHBOURS, NORTH_EAST, [2024, 2025])
    v = out.set_index(["period", "comparator"])
    # 2024: neighbours with a value are 10..80 (8 of 10)
    assert v.loc[(2024, "la"), "value"] == 70.0
    assert v.loc[(2024, "neighbours_mean"), "value"] == pytest.approx(45.0)
    assert v.loc[(2024, "neighbours_median"), "value"] == pytest.approx(45.0)
    assert v.loc[(2024, "neighbours_mean"), "n_with_value"] == 8
    assert v.loc[(2024, "neighbours_median"), "n_with_value"] == 8
    assert v.loc[(2024, "region"), "value"] == 60.0
    assert v.loc[(2024, "england"), "value"] == 67.0
    # 2025: LA suppressed; neighbours 20, 30, 40, 200 (mean and median differ); 305's 'u' row excluded
    assert math.isnan(v.loc[(2025, "la"), "value"])
    assert v.loc[(2025, "neighbours_mean"), "value"] == pytest.approx(72.5)
    assert v.loc[(2025, "neighbours_median"), "value"] == pytest.approx(35.0)
    assert v.loc[(2025, "neighbours_mean"), "n_with_value"] == 4
    assert v.loc[(2025, "region"), "value"] == 62.0
    assert v.loc[(2025, "england"), "value"] == 68.0
    # n_with_value only applies to the neighbour rows
    assert v.xs("la", level="comparator")["n_with_value"].isna().all()
    assert v.xs("england", level="comparator")["n_with_value"].isna().all()


def test_comparison_series_period_without_data_gives_nan_values():
    out = benchmarks.comparison_series(_tidy_table(), "cla_rate", 201, NEIGHBOURS, NORTH_EAST, [2019])
    assert len(out) == 5
    assert out["value"].isna().all()
    assert out.loc[out["comparator"] == "neighbours_mean", "n_with_value"].item() == 0


# --------------------------------------------------------------------------------------------
# markers, small numbers, changes as printed, neighbour model fallback
# --------------------------------------------------------------------------------------------


def test_la_statuses_gives_each_las_marker_and_empty_for_a_value():
    st = benchmarks.la_statuses(_tidy_table(), "cla_rate", 2025)
    assert st[201] == "c" and st[305] == "u" and st[301] == ""


def test_measure_benchmark_keeps_a_withheld_year_with_its_marker_and_no_rank():
    mb = benchmarks.measure_benchmark(_tidy_table(), "cla_rate", 201, NORTH_EAST, NEIGHBOURS, 2025)
    assert math.isnan(mb.value) and mb.status == "c" and mb.rank == 0 and mb.band.band == ""
    h = mb.history.set_index("period")
    assert h.loc[2025, "status"] == "c" and math.isnan(h.loc[2025, "value"]) and h.loc[2025, "band"] == ""
    assert h.loc[2024, "status"] == "" and h.loc[2024, "value"] == 70.0
    assert mb.travel.iloc[0]["to_status"] == "c" and mb.travel.iloc[0]["direction"] == "not available"


def test_direction_of_travel_changes_are_those_of_the_printed_figures():
    s = pd.Series({2024: 499.2349, 2025: 481.0705})
    row = benchmarks.direction_of_travel(s, 2025, spans=(1,), decimals=1).iloc[0]
    assert row["change"] == -18.1 and round(row["raw_change"], 2) == -18.16
    assert row["pct_change"] == pytest.approx((481.1 - 499.2) / 499.2 * 100)


def test_direction_of_travel_flags_small_numbers_below_20_children():
    s = pd.Series({2024: 76.0, 2025: 90.0})
    few = benchmarks.direction_of_travel(s, 2025, spans=(1,), counts=pd.Series({2024: 7, 2025: 9})).iloc[0]
    many = benchmarks.direction_of_travel(s, 2025, spans=(1,), counts=pd.Series({2024: 20, 2025: 25})).iloc[0]
    assert few["small_numbers"] and not many["small_numbers"]


def test_direction_of_travel_names_the_marker_of_a_withheld_or_absent_year():
    s = pd.Series({2024: np.nan, 2025: 90.0})
    dot = benchmarks.direction_of_travel(s, 2025, spans=(1, 3), statuses=pd.Series({2024: "c", 2025: ""})).set_index(
        "span_years"
    )
    assert dot.loc[1, "from_status"] == "c" and dot.loc[3, "from_status"] == "x" and dot.loc[1, "to_status"] == ""


def test_neighbours_for_falls_back_to_the_model_that_has_the_authority():
    sn = _sn_table()
    assert benchmarks.neighbours_for(sn, 940, "2025") == ("2021", list(range(501, 511)))
    assert benchmarks.neighbours_for(sn, 201, "2025")[0] == "2025"
    assert benchmarks.neighbours_for(sn, 999, "2025") == ("2025", [])
    with pytest.raises(InputError, match="unknown statistical neighbour model"):
        benchmarks.neighbours_for(sn, 201, "1999")
