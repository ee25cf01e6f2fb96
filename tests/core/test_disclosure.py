"""DfE's disclosure rules (csdemand.core.disclosure) on small hand-made tables, plus property tests of
secondary suppression on random tables with their totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csdemand.core import disclosure, tidy

# --------------------------------------------------------------------------------------------
# primary suppression
# --------------------------------------------------------------------------------------------


def test_count_of_1_to_5_is_suppressed_as_c():
    values, status = disclosure.suppress_counts(np.array([1, 2, 3, 4, 5]))
    assert np.isnan(values).all()
    assert list(status) == ["c"] * 5


def test_zero_is_not_suppressed():
    values, status = disclosure.suppress_counts(np.array([0.0]))
    assert values[0] == 0 and status[0] == ""


def test_6_is_shown():
    values, status = disclosure.suppress_counts(np.array([6, 120]))
    assert list(values) == [6, 120] and list(status) == ["", ""]


def test_missing_count_is_marked_x():
    values, status = disclosure.suppress_counts(np.array([np.nan]))
    assert np.isnan(values[0]) and status[0] == "x"


def test_series_keeps_its_index_and_is_not_changed():
    s = pd.Series([0, 3, 9], index=["a", "b", "c"])
    values, status = disclosure.suppress_counts(s)
    assert list(values.index) == ["a", "b", "c"] and list(status) == ["", "c", ""]
    assert list(s) == [0, 3, 9]


# --------------------------------------------------------------------------------------------
# rates
# --------------------------------------------------------------------------------------------


def test_rate_is_suppressed_when_count_is_1_to_5():
    rate, status = disclosure.suppress_rate(
        np.array([0, 1, 5, 6]), np.array([0.0, 2.1, 10.4, 12.5]), np.array(["", "", "", ""])
    )
    assert list(status) == ["", "c", "c", ""]
    assert rate[0] == 0.0 and np.isnan(rate[1]) and np.isnan(rate[2]) and rate[3] == 12.5


def test_rate_on_a_count_already_suppressed_is_suppressed():
    rate, status = disclosure.suppress_rate(
        np.array([np.nan]), np.array([4.2]), np.array([""]), count_status=np.array(["c"])
    )
    assert np.isnan(rate[0]) and status[0] == "c"


def test_rate_with_a_marker_keeps_it():
    _, status = disclosure.suppress_rate(np.array([3]), np.array([np.nan]), np.array(["z"]))
    assert status[0] == "z"


# --------------------------------------------------------------------------------------------
# rounding
# --------------------------------------------------------------------------------------------


def test_national_counts_round_to_nearest_10_half_up():
    assert disclosure.round_national(15, "national") == 20
    assert disclosure.round_national(25, "national") == 30
    assert disclosure.round_national(64460, "national") == 64460
    assert disclosure.round_national(81774, "national") == 81770
    assert disclosure.round_national(81775, "regional") == 81780
    assert list(disclosure.round_national(np.array([14.0, 15.0, 16.0]), "regional")) == [10, 20, 20]


def test_la_counts_are_not_rounded():
    assert disclosure.round_national(81774, "la") == 81774
    levels = np.array(["la", "national", "regional"])
    assert list(disclosure.round_national(np.array([15, 15, 15]), levels)) == [15, 20, 20]


# --------------------------------------------------------------------------------------------
# secondary suppression
# --------------------------------------------------------------------------------------------


def _with_totals(cells: pd.DataFrame, total_col: str | None = "Total", total_row: str | None = "Total") -> pd.DataFrame:
    t = cells.copy()
    if total_col is not None:
        t[total_col] = t.sum(axis=1)
    if total_row is not None:
        t.loc[total_row] = t.sum(axis=0)
    return t


def test_single_suppressed_cell_in_a_row_forces_a_second():
    # one row of counts with its total; the 3 alone could be read off as 40 - 12 - 25
    table = pd.DataFrame({"a": [3], "b": [25], "c": [12], "Total": [40]}, index=["Police"])
    protected, status = disclosure.protect_table(table, ["a", "b", "c"], total_col="Total")
    assert status.loc["Police"].tolist() == ["c", "", "c", ""]  # 12: the next smallest non-total
    assert protected.loc["Police", "b"] == 25 and protected.loc["Police", "Total"] == 40
    assert disclosure.recoverable(table, status, total_col="Total") == []


def test_total_is_suppressed_only_when_no_cell_can_be():
    table = pd.DataFrame({"a": [3], "b": [0], "Total": [3]}, index=["Schools"])
    _, status = disclosure.protect_table(table, ["a", "b"], total_col="Total")
    assert status.loc["Schools"].tolist() == ["c", "", "c"]


def test_suppressed_value_cannot_be_recovered_from_the_totals_on_the_same_page():
    cells = pd.DataFrame(
        {
            "2022": [412, 3, 88, 120, 17],
            "2023": [398, 0, 96, 131, 4],
            "2024": [441, 7, 101, 127, 22],
        },
        index=["Police", "Anonymous", "Schools", "Health", "Housing"],
    )
    table = _with_totals(cells)
    protected, status = disclosure.protect_table(table, ["2022", "2023", "2024"], total_col="Total", total_row="Total")

    assert status.loc["Anonymous", "2022"] == "c" and status.loc["Housing", "2023"] == "c"
    assert status.loc["Anonymous", "2023"] == ""  # zero is published
    assert disclosure.recoverable(table, status, total_col="Total", total_row="Total") == []
    # no row or column of the printed table has exactly one withheld cell
    assert ((status == "c").sum(axis=1) != 1).all()
    assert ((status == "c").sum(axis=0) != 1).all()
    # and what is shown is what came in
    shown = status == ""
    for col in status.columns:
        assert (protected.loc[shown[col], col] == table.loc[shown[col], col]).all()
        assert protected.loc[~shown[col], col].isna().all()


def test_recoverable_finds_a_cell_alone_in_its_column():
    table = _with_totals(pd.DataFrame({"a": [3, 10, 20], "b": [8, 9, 30]}, index=["x", "y", "z"]))
    status = pd.DataFrame("", index=table.index, columns=["a", "b", "Total"])
    status.loc["x", "a"] = "c"
    assert disclosure.recoverable(table, status, total_col="Total", total_row="Total") == [("x", "a")]


def test_recoverable_finds_a_cell_joining_two_hidden_blocks():
    # every row and column with a withheld cell has two or more, yet (r2, c3) is fixed:
    # rows r1+r2 minus columns c1+c2 leave it alone
    cells = pd.DataFrame(np.full((4, 4), 10), index=["r1", "r2", "r3", "r4"], columns=["c1", "c2", "c3", "c4"])
    table = _with_totals(cells)
    status = pd.DataFrame("", index=table.index, columns=["c1", "c2", "c3", "c4", "Total"])
    for r, c in [
        ("r1", "c1"),
        ("r1", "c2"),
        ("r2", "c1"),
        ("r2", "c2"),
        ("r3", "c3"),
        ("r3", "c4"),
        ("r4", "c3"),
        ("r4", "c4"),
        ("r2", "c3"),
    ]:
        status.loc[r, c] = "c"
    assert disclosure.recoverable(table, status, total_col="Total", total_row="Total") == [("r2", "c3")]


def test_table_without_totals_needs_no_secondary_suppression():
    table = pd.DataFrame({"a": [3, 10], "b": [8, 9]}, index=["x", "y"])
    _, status = disclosure.protect_table(table, ["a", "b"])
    assert (status == "c").sum().sum() == 1


# --------------------------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------------------------


@st.composite
def tables(draw, totals: tuple[bool, bool] | None = (True, True)):
    n_rows = draw(st.integers(2, 6))
    n_cols = draw(st.integers(2, 6))
    values = draw(
        st.lists(st.lists(st.integers(0, 40), min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows)
    )
    cols = [f"y{j}" for j in range(n_cols)]
    cells = pd.DataFrame(values, index=[f"s{i}" for i in range(n_rows)], columns=cols)
    if totals is None:
        totals = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    total_col = "Total" if totals[0] else None
    total_row = "Total" if totals[1] else None
    return _with_totals(cells, total_col, total_row), cols, total_col, total_row


def _check_protected(table, cols, total_col, total_row):
    protected, status = disclosure.protect_table(table, cols, total_col=total_col, total_row=total_row)
    shown_cols = cols + ([total_col] if total_col else [])
    assert list(status.columns) == shown_cols
    assert disclosure.recoverable(table, status, total_col=total_col, total_row=total_row) == []
    for c in shown_cols:
        small = table[c].between(1, 5)
        assert (status.loc[small, c] == "c").all()
        shown = status[c] == ""
        assert (protected.loc[shown, c] == table.loc[shown, c]).all()
        assert protected.loc[~shown, c].isna().all()
    return status


@settings(max_examples=200, deadline=None)
@given(tables())
def test_no_suppressed_cell_is_recoverable_after_protect_table(case):
    table, cols, total_col, total_row = case
    status = _check_protected(table, cols, total_col, total_row)
    assert ((status == "c").sum(axis=1) != 1).all()
    assert ((status == "c").sum(axis=0) != 1).all()


@settings(max_examples=200, deadline=None)
@given(tables(totals=None))
def test_protect_table_holds_with_only_a_total_row_or_column(case):
    _check_protected(*case)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 1000).map(float), st.just(np.nan)), min_size=1, max_size=30))
def test_suppress_counts_property(values):
    v = np.array(values)
    out, status = disclosure.suppress_counts(v)
    for x, y, s in zip(v, out, status):
        if np.isnan(x):
            assert np.isnan(y) and s == "x"
        elif 1 <= x <= 5:
            assert np.isnan(y) and s == "c"
        else:
            assert y == x and s == ""


# --------------------------------------------------------------------------------------------
# apply
# --------------------------------------------------------------------------------------------


def _row(
    level,
    measure,
    value,
    status="",
    numerator=np.nan,
    denominator=np.nan,
    la_number=None,
    area_code="E06000001",
    period=2024,
):
    return {
        "area_code": {"national": "E92000001", "regional": "E12000001"}.get(level, area_code),
        "la_number": la_number if level == "la" else pd.NA,
        "area_name": "Somewhere",
        "geographic_level": level,
        "region_code": "E12000001",
        "region_name": "North East",
        "period": period,
        "measure": measure,
        "value": value,
        "status": status,
        "numerator": numerator,
        "denominator": denominator,
        "computed": False,
        "source": "test",
        "release": 2024,
    }


def _tidy(rows) -> pd.DataFrame:
    return tidy.conform(pd.DataFrame(rows))


def _sample() -> pd.DataFrame:
    return _tidy(
        [
            _row("la", "cla_count", 3, la_number=805),
            _row("la", "cla_count", 0, la_number=806, area_code="E06000002"),
            _row("la", "cla_count", 81774, la_number=807, area_code="E06000003"),
            _row("la", "cla_rate", 1.5, numerator=3, denominator=20000, la_number=805),
            _row("la", "cla_rate", 0.0, numerator=0, denominator=20000, la_number=806, area_code="E06000002"),
            _row("la", "rereferral_pct", 20.0, la_number=807, area_code="E06000003", numerator=40, denominator=200),
            _row("la", "cla_starts", np.nan, status="c", la_number=805),
            _row("la", "cla_starts_rate", 1.0, la_number=805),
            _row("la", "nfa_pct", np.nan, status="x", numerator=2, la_number=805),
            _row("la", "rereferrals", np.nan, status="z", la_number=805),
            _row("national", "cla_count", 81774),
            _row("regional", "referrals", 15),
            _row("regional", "cla_ceased", 3),
            _row("national", "population_0_17", 12345677),
        ]
    )


def test_apply_suppresses_la_counts_of_1_to_5_and_shows_zero():
    out = disclosure.apply(_sample())
    assert out.loc[0, "status"] == "c" and np.isnan(out.loc[0, "value"])
    assert out.loc[1, "status"] == "" and out.loc[1, "value"] == 0
    assert out.loc[2, "status"] == "" and out.loc[2, "value"] == 81774  # LA counts are not rounded


def test_apply_suppresses_rates_on_small_numerators_and_on_suppressed_counts():
    out = disclosure.apply(_sample())
    assert out.loc[3, "status"] == "c" and np.isnan(out.loc[3, "value"]) and np.isnan(out.loc[3, "numerator"])
    assert out.loc[4, "status"] == "" and out.loc[4, "value"] == 0
    assert out.loc[5, "status"] == "" and out.loc[5, "value"] == 20
    assert out.loc[7, "status"] == "c"  # cla_starts was published as c, so its rate goes too


def test_apply_rounds_national_and_regional_counts():
    out = disclosure.apply(_sample())
    assert out.loc[10, "value"] == 81770 and out.loc[11, "value"] == 20
    assert out.loc[12, "status"] == "k" and np.isnan(out.loc[12, "value"])  # 3 rounds to zero
    assert out.loc[13, "value"] == 12345677  # population estimates are not DfE counts


def test_apply_keeps_existing_markers():
    out = disclosure.apply(_sample())
    assert out.loc[6, "status"] == "c"
    assert out.loc[8, "status"] == "x"
    assert out.loc[9, "status"] == "z"


def test_apply_does_not_mutate_input():
    df = _sample()
    before = df.copy(deep=True)
    disclosure.apply(df)
    pd.testing.assert_frame_equal(df, before)


def test_apply_returns_a_tidy_table():
    out = disclosure.apply(_sample())
    assert list(out.columns) == tidy.TIDY_COLUMNS
    pd.testing.assert_frame_equal(tidy.conform(out), out)


# --------------------------------------------------------------------------------------------
# format_value
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, status, decimals, shown",
    [
        (np.nan, "c", 0, "c"),
        (3.0, "c", 0, "c"),
        (np.nan, "x", 0, "x"),
        (np.nan, "z", 1, "z"),
        (12.0, "u", 1, "u"),
        (np.nan, "", 0, "x"),
        (81770.0, "", 0, "81,770"),
        (1234.25, "", 1, "1,234.3"),
        (0.0, "", 0, "0"),
    ],
)
def test_format_value_shows_markers_or_the_number(value, status, decimals, shown):
    assert disclosure.format_value(value, status, decimals) == shown


# --------------------------------------------------------------------------------------------
# sums across tables: months and their years, a series and its total
# --------------------------------------------------------------------------------------------

MONTHS_2025 = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(4, 13)] + [(2025, m) for m in range(1, 4)]]


def test_a_month_of_3_beside_its_11_printed_months_and_the_annual_total_forces_a_second_month():
    # May = 3: without a second withheld month it is the year's total minus the other eleven
    parts = pd.Series([8, 3, 7, 9, 6, 10, 7, 8, 6, 9, 7, 8], index=MONTHS_2025)
    values, status, total, total_status = disclosure.protect_series_with_total(parts)
    assert status[status == "c"].index.tolist() == [
        "2024-05",
        "2024-08",
    ]  # 3, and the smallest other non-zero (6, the first)
    assert total == 88 and total_status == ""
    assert values["2024-04"] == 8 and np.isnan(values["2024-05"]) and np.isnan(values["2024-08"])
    # the reader's arithmetic: 88 - the printed months = 9, shared by two withheld months
    assert total - values.sum() == 9


def test_two_withheld_months_adding_to_5_force_a_third():
    # 3 and 2 withheld beside the total would still show "these two months had 5 between them"
    parts = pd.Series([8, 3, 7, 9, 6, 10, 7, 8, 6, 9, 7, 2], index=MONTHS_2025)
    _, status, _, total_status = disclosure.protect_series_with_total(parts)
    assert status[status == "c"].index.tolist() == ["2024-05", "2024-08", "2025-03"]
    assert total_status == ""


def test_total_is_withheld_when_every_other_part_is_zero():
    parts = pd.Series([0, 4, 0], index=["a", "b", "c"])
    _values, status, total, total_status = disclosure.protect_series_with_total(parts)
    assert status.tolist() == ["", "c", ""] and total_status == "c" and np.isnan(total)


def test_a_month_not_shown_is_protected_when_the_year_total_and_the_other_months_give_it_away():
    # the chart shows 11 months of the year; the 12th (3 referrals) is outside its window
    values = pd.Series([3, 8, 7, 9, 6, 10, 7, 8, 6, 9, 7, 8, 88], index=MONTHS_2025 + [2025], dtype=float)
    shown = MONTHS_2025[1:] + [2025]
    status = disclosure.protect_sums(values, {2025: MONTHS_2025}, shown=shown)
    assert status.index.tolist() == shown
    assert status[status == "c"].index.tolist() == ["2024-08"]  # the smallest printed month: 88 - the rest is now 9
    assert disclosure.exposed(values, {2025: MONTHS_2025}, status) == []


def test_a_large_month_not_shown_needs_nothing_withheld():
    values = pd.Series([40, 8, 7, 9, 6, 10, 7, 8, 6, 9, 7, 8, 125], index=MONTHS_2025 + [2025], dtype=float)
    status = disclosure.protect_sums(values, {2025: MONTHS_2025}, shown=MONTHS_2025[1:] + [2025])
    assert (status == "").all()


def test_exposed_names_a_withheld_month_that_the_total_gives_back():
    values = pd.Series([8, 3, 7, 9, 6, 10, 7, 8, 6, 9, 7, 8, 88], index=MONTHS_2025 + [2025], dtype=float)
    status = pd.Series("", index=values.index, dtype=object)
    status["2024-05"] = "c"
    assert disclosure.exposed(values, {2025: MONTHS_2025}, status) == [("2024-05",)]


def test_sums_must_name_labels_that_have_values():
    from csdemand.core.errors import InputError

    with pytest.raises(InputError, match="no value for '2024-13'"):
        disclosure.protect_sums(pd.Series([1.0, 2.0], index=["2024-12", 2025]), {2025: ["2024-12", "2024-13"]})


def test_protect_table_withholds_a_third_cell_when_two_withheld_add_up_to_5():
    table = pd.DataFrame({"a": [3], "b": [2], "c": [20], "Total": [25]}, index=["Police"])
    protected, status = disclosure.protect_table(table, ["a", "b", "c"], total_col="Total")
    assert status.loc["Police"].tolist() == ["c", "c", "c", ""]
    assert protected.loc["Police", "Total"] == 25
    assert disclosure.recoverable_sums(table, status, total_col="Total") == []


def test_recoverable_sums_finds_two_withheld_cells_that_add_up_to_5():
    table = pd.DataFrame({"a": [3], "b": [2], "c": [20], "Total": [25]}, index=["Police"])
    status = pd.DataFrame({"a": ["c"], "b": ["c"], "c": [""], "Total": [""]}, index=["Police"])
    assert disclosure.recoverable(table, status, total_col="Total") == []  # neither alone...
    assert disclosure.recoverable_sums(table, status, total_col="Total") == [
        (("Police", "a"), ("Police", "b"))
    ]  # ...but together 5


@st.composite
def month_windows(draw):
    """Up to four reporting years of monthly counts (small ones common), the years' totals, and a
    window of printed months that may start or end inside a year."""
    n_years = draw(st.integers(1, 4))
    months = [str(pd.Period("2021-04", freq="M") + i) for i in range(12 * n_years)]
    # about one month in eight is 1 to 5, so most years have none, one or two
    counts = draw(st.lists(st.integers(0, 40), min_size=len(months), max_size=len(months)))
    years = [2022 + k for k in range(n_years)]
    sums = {y: months[12 * k : 12 * k + 12] for k, y in enumerate(years)}
    values = pd.Series(
        counts + [sum(counts[12 * k : 12 * k + 12]) for k in range(n_years)],
        index=pd.Index(months + years, dtype=object),
        dtype=float,
    )
    # windows of whole years (as the briefing's 36 months) or starting and ending anywhere
    start = draw(st.one_of(st.sampled_from(range(0, len(months), 12)), st.integers(0, len(months) - 1)))
    end = draw(st.one_of(st.just(len(months)), st.integers(start + 1, len(months))))
    printed_years = draw(st.lists(st.sampled_from(years), unique=True, min_size=1))
    return values, {y: sums[y] for y in printed_years}, months[start:end] + printed_years


@settings(max_examples=150, deadline=None)
@given(month_windows())
def test_no_month_of_1_to_5_can_be_worked_out_from_printed_months_and_years(case):
    values, sums, shown = case
    status = disclosure.protect_sums(values, sums, shown=shown)
    assert disclosure.exposed(values, sums, status) == []
    for label in shown:
        if 1 <= values[label] <= 5:
            assert status[label] == "c"
    # independently of the module: per printed year, what the printed months leave is never 1 to 5,
    # and never a single withheld or unprinted month of 1 to 5
    for year, months in sums.items():
        if status[year] != "":
            continue
        unknown = [m for m in months if m not in status.index or status[m] == "c"]
        rest = values[year] - sum(values[m] for m in months if m not in unknown)
        assert not 1 <= rest <= 5
        if len(unknown) == 1:
            assert unknown[0] not in status.index or status[unknown[0]] != "c"
            assert not 1 <= values[unknown[0]] <= 5


# --------------------------------------------------------------------------------------------
# percentages with their bases
# --------------------------------------------------------------------------------------------


def test_269_referrals_and_0_4_percent_rereferrals_leave_only_1_so_the_percentage_is_withheld():
    assert list(disclosure.counts_consistent_with(0.4, 269)) == [1]
    shares, status = disclosure.protect_shares([1], [269])
    assert status[0] == "c" and np.isnan(shares[0])


def test_a_share_is_printed_when_no_count_it_leaves_possible_is_1_to_5():
    shares, status = disclosure.protect_shares([8, 50], [269, 269])
    assert status.tolist() == ["", ""]
    assert round(shares[0], 4) == round(8 / 269 * 100, 4)
    assert list(disclosure.counts_consistent_with(3.0, 269)) == [8]  # 3.0% of 269 is 8 and only 8


def test_a_share_whose_rest_of_the_base_is_1_to_5_is_withheld():
    # 98.5% of 269 leaves 4 referrals that were not re-referrals
    _, status = disclosure.protect_shares([265], [269])
    assert status[0] == "c"
    shares, status = disclosure.protect_shares([265], [269], complement=False)
    assert status[0] == "" and round(shares[0], 1) == 98.5


def test_zero_percent_of_a_large_base_is_withheld_because_it_could_be_1_to_9():
    assert list(disclosure.counts_consistent_with(0.0, 20000)) == list(range(0, 11))
    _, status = disclosure.protect_shares([0, 0], [20000, 269])
    assert status.tolist() == ["c", ""]  # 0.0% of 269 can only be 0


def test_a_share_of_a_withheld_or_small_base_is_withheld_and_of_no_base_is_not_applicable():
    _, status = disclosure.protect_shares([20, 1, 0, 0], [40, 3, 0, np.nan], base_status=["c", "", "", ""])
    assert status.tolist() == ["c", "c", "z", "x"]


def test_counts_consistent_with_keeps_both_ends_of_the_rounding_interval():
    # 2% (no decimals) of 200 is 1.5% to 2.5%: 3 to 5, whichever way halves are rounded
    assert list(disclosure.counts_consistent_with(2, 200, decimals=0)) == [3, 4, 5]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3000), st.data(), st.sampled_from([0, 1, 2]))
def test_a_printed_share_never_leaves_a_count_of_1_to_5_possible(base, data, decimals):
    from csdemand.core import numbers

    k = data.draw(st.integers(0, base))
    shares, status = disclosure.protect_shares([k], [base], decimals=decimals)
    if 1 <= base <= 5 or 1 <= k <= 5 or 1 <= base - k <= 5:
        assert status[0] == "c"
    if status[0] == "":
        printed = numbers.round_half_up(shares[0], decimals)
        could_be = list(disclosure.counts_consistent_with(printed, base, decimals))
        assert k in could_be
        assert not any(1 <= c <= 5 or 1 <= base - c <= 5 for c in could_be)
