"""csdemand.local.referrals on small hand-made extracts: the re-referral rule at its edges, reporting
years, monthly and annual summaries, and reader errors that name the row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import referrals as lr

HEADER = "referral_id,child_id,referral_date,source,domestic_abuse,outcome\n"


def _frame(rows: list[tuple[str, str, str]], **extra) -> pd.DataFrame:
    """A typed referrals table from (referral_id, child_id, date) with defaults for the rest."""
    df = pd.DataFrame(rows, columns=["referral_id", "child_id", "referral_date"])
    df["referral_date"] = pd.to_datetime(df["referral_date"])
    df["source"] = extra.get("source", "Police")
    df["domestic_abuse"] = extra.get("domestic_abuse", False)
    df["outcome"] = extra.get("outcome", "Assessment")
    return df


def _flags(rows: list[tuple[str, str, str]]) -> dict[str, bool]:
    f = lr.flag_rereferrals(_frame(rows))
    return dict(zip(f["referral_id"], f["rereferral"]))


def _write(tmp_path: Path, body: str, header: str = HEADER, bom: bool = False) -> Path:
    path = tmp_path / "extract.csv"
    path.write_text(("\ufeff" if bom else "") + header + body, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- flag_rereferrals


def test_365_days_after_the_previous_referral_is_a_rereferral():
    # 2023-04-01 -> 2024-03-31 spans 29 Feb 2024: 366 calendar days minus one = 365
    f = lr.flag_rereferrals(_frame([("R1", "A", "2023-04-01"), ("R2", "A", "2024-03-31")]))
    assert f["days_since_previous"].tolist()[1] == 365
    assert f["rereferral"].tolist() == [False, True]


def test_366_days_after_the_previous_referral_is_not_a_rereferral():
    f = lr.flag_rereferrals(_frame([("R1", "A", "2023-04-01"), ("R2", "A", "2024-04-01")]))
    assert f["days_since_previous"].tolist()[1] == 366
    assert f["rereferral"].tolist() == [False, False]


def test_leap_year_same_date_next_year_is_366_days_and_not_a_rereferral():
    # 12 calendar months across 29 Feb 2024 are 366 days: outside the 365-day rule
    assert _flags([("R1", "A", "2023-03-01"), ("R2", "A", "2024-03-01")]) == {"R1": False, "R2": False}
    # ... while 29 Feb itself is 365 days after 1 March 2023
    assert _flags([("R1", "B", "2023-03-01"), ("R2", "B", "2024-02-29")]) == {"R1": False, "R2": True}


def test_leap_day_referral_then_28_february_next_year_is_365_days_and_a_rereferral():
    f = lr.flag_rereferrals(
        _frame(
            [("R1", "A", "2024-02-29"), ("R2", "A", "2025-02-28"), ("R3", "B", "2024-02-29"), ("R4", "B", "2025-03-01")]
        )
    )
    assert f.set_index("referral_id")["days_since_previous"].to_dict() == pytest.approx(
        {"R1": np.nan, "R2": 365, "R3": np.nan, "R4": 366}, nan_ok=True
    )
    assert f["rereferral"].tolist() == [False, True, False, False]


def test_second_same_day_referral_of_a_child_is_a_rereferral_at_zero_days():
    # rows given out of order: referral_id decides which of the two came first
    f = lr.flag_rereferrals(_frame([("R2", "A", "2024-06-03"), ("R1", "A", "2024-06-03")]))
    by_id = f.set_index("referral_id")
    assert not by_id.loc["R1", "rereferral"] and np.isnan(by_id.loc["R1", "days_since_previous"])
    assert by_id.loc["R2", "rereferral"] and by_id.loc["R2", "days_since_previous"] == 0


def test_first_referral_of_each_child_is_not_a_rereferral():
    f = lr.flag_rereferrals(_frame([("R1", "A", "2024-01-10"), ("R2", "B", "2024-01-11"), ("R3", "C", "2024-01-11")]))
    assert not f["rereferral"].any()
    assert f["days_since_previous"].isna().all()


def test_the_most_recent_previous_referral_is_what_counts():
    # day 0, day 300, day 600: day 600 is 600 days after the first but 300 after the second
    day0 = pd.Timestamp("2020-01-01")
    dates = [str((day0 + pd.Timedelta(days=k)).date()) for k in (0, 300, 600)]
    f = lr.flag_rereferrals(_frame([("R1", "A", dates[0]), ("R2", "A", dates[1]), ("R3", "A", dates[2])]))
    assert f["days_since_previous"].tolist()[1:] == [300, 300]
    assert f["rereferral"].tolist() == [False, True, True]


def test_flags_are_per_child_and_keep_the_input_row_order_and_index():
    df = _frame(
        [("R3", "A", "2024-05-01"), ("R1", "B", "2024-01-01"), ("R2", "A", "2024-01-01"), ("R4", "B", "2025-06-01")]
    )
    df.index = [10, 11, 12, 13]
    f = lr.flag_rereferrals(df)
    assert f.index.tolist() == [10, 11, 12, 13]
    assert f["referral_id"].tolist() == ["R3", "R1", "R2", "R4"]
    assert f["rereferral"].tolist() == [True, False, False, False]  # B's gap is 517 days


def test_vectorised_flags_match_a_plain_loop_on_random_data():
    rng = np.random.default_rng(7)
    n = 3000
    df = _frame(
        [
            (f"R{i:05d}", f"C{c}", str((pd.Timestamp("2019-04-01") + pd.Timedelta(days=int(d))).date()))
            for i, c, d in zip(range(n), rng.integers(0, 400, n), rng.integers(0, 1500, n))
        ]
    )
    f = lr.flag_rereferrals(df)
    expected = {}
    last: dict[str, pd.Timestamp] = {}
    for r in df.sort_values(["child_id", "referral_date", "referral_id"]).itertuples():
        prev = last.get(r.child_id)
        expected[r.referral_id] = prev is not None and (r.referral_date - prev).days <= 365
        last[r.child_id] = r.referral_date
    assert f.set_index("referral_id")["rereferral"].to_dict() == expected


def test_flags_100k_referrals():
    rng = np.random.default_rng(1)
    n = 100_000
    df = _frame(
        list(
            zip([f"R{i:07d}" for i in range(n)], [f"C{c:06d}" for c in rng.integers(0, 40_000, n)], ["2020-01-01"] * n)
        )
    )
    df["referral_date"] = pd.Timestamp("2018-04-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")
    f = lr.flag_rereferrals(df)
    assert len(f) == n and f["rereferral"].dtype == bool and 0 < f["rereferral"].mean() < 1


# --------------------------------------------------------------------------- reporting_year


def test_reporting_year_ends_on_31_march():
    years = lr.reporting_year(
        pd.Series(pd.to_datetime(["2023-04-01", "2024-03-31", "2024-04-01", "2024-12-31", "2025-01-01"]))
    )
    assert years.tolist() == [2024, 2024, 2025, 2025, 2025]
    assert years.dtype == "int64"


def test_reporting_year_accepts_a_list_of_strings():
    assert lr.reporting_year(["2024-03-31", "2024-04-01"]).tolist() == [2024, 2025]


# --------------------------------------------------------------------------- monthly


def test_monthly_fills_months_without_referrals_with_zero():
    df = _frame([("R1", "A", "2024-01-15"), ("R2", "B", "2024-04-02")])
    m = lr.monthly(df)
    assert m["month"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert m["referrals"].tolist() == [1, 0, 0, 1]
    assert m["rereferrals"].tolist() == [0, 0, 0, 0]
    assert m["da_share"].isna().tolist() == [False, True, True, False]


def test_monthly_wilson_interval_for_20_of_100_matches_statsmodels():
    rows = [(f"R{i:03d}", f"C{i:03d}", "2024-05-01") for i in range(100)]
    m = lr.monthly(_frame(rows, domestic_abuse=[True] * 20 + [False] * 80))
    assert len(m) == 1
    row = m.iloc[0]
    assert row["da_share"] == pytest.approx(0.20)
    assert row["da_lower"] == pytest.approx(0.1333669, abs=1e-6)
    assert row["da_upper"] == pytest.approx(0.2888292, abs=1e-6)


def test_monthly_counts_rereferrals_domestic_abuse_and_nfa():
    df = _frame(
        [("R1", "A", "2024-05-01"), ("R2", "A", "2024-05-20"), ("R3", "B", "2024-05-21"), ("R4", "C", "2024-06-01")],
        domestic_abuse=["Y", "N", "Y", "N"],  # codes as in the file are accepted too
        outcome=["No further action", "Assessment", "No further action", "Information and advice"],
    )
    m = lr.monthly(df).set_index("month")
    assert m.loc["2024-05", ["referrals", "rereferrals", "domestic_abuse", "nfa"]].tolist() == [3, 1, 2, 2]
    assert m.loc["2024-05", "rereferral_pct"] == pytest.approx(100 / 3)
    assert m.loc["2024-06", ["referrals", "rereferrals", "domestic_abuse", "nfa"]].tolist() == [1, 0, 0, 0]


# --------------------------------------------------------------------------- annual and by_source


def test_annual_counts_percentages_and_complete_years():
    df = _frame(
        [
            ("R1", "A", "2022-04-04"),
            ("R2", "A", "2023-03-31"),
            ("R3", "B", "2023-04-03"),
            ("R4", "A", "2023-05-02"),
            ("R5", "C", "2023-06-01"),
        ],
        domestic_abuse=[True, False, False, True, False],
        outcome=["Assessment", "No further action", "Assessment", "Assessment", "No further action"],
    )
    a = lr.annual(df).set_index("period")
    assert a.index.tolist() == [2023, 2024]
    assert a.loc[2023, ["referrals", "rereferrals", "domestic_abuse", "nfa"]].tolist() == [2, 1, 1, 1]
    assert a.loc[2023, "rereferral_pct"] == 50 and a.loc[2023, "da_share"] == 0.5 and a.loc[2023, "nfa_pct"] == 50
    assert a.loc[2024, ["referrals", "rereferrals"]].tolist() == [3, 1]  # A on 2023-05-02: 32 days after 2023-03-31
    # the extract runs April 2022 to June 2023: 2023 is whole, 2024 only partly covered
    assert a["complete"].tolist() == [True, False]


def test_annual_fills_a_year_without_referrals():
    a = lr.annual(_frame([("R1", "A", "2020-05-01"), ("R2", "B", "2022-05-01")]))
    assert a["period"].tolist() == [2021, 2022, 2023]
    assert a["referrals"].tolist() == [1, 0, 1]
    assert np.isnan(a.loc[1, "rereferral_pct"])


def test_by_source_counts_and_shares_per_year():
    df = _frame(
        [
            ("R1", "A", "2024-05-01"),
            ("R2", "B", "2024-06-01"),
            ("R3", "C", "2024-07-01"),
            ("R4", "D", "2024-08-01"),
            ("R5", "E", "2025-05-01"),
        ],
        source=["Police", "Police", "Schools", "Other", "Schools"],
    )
    s = lr.by_source(df).set_index(["period", "source"])
    assert len(s) == 2 * len(lr.SOURCES)  # every source each year, zeros included
    assert s.loc[(2025, "Police"), "referrals"] == 2 and s.loc[(2025, "Police"), "share"] == 0.5
    assert s.loc[(2025, "Individual"), "referrals"] == 0
    assert s.loc[(2026, "Schools"), "share"] == 1.0
    assert s.groupby(level="period")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


# --------------------------------------------------------------------------- read_extract


def test_read_extract_types_the_columns_and_strips_a_bom(tmp_path):
    path = _write(
        tmp_path,
        "R1,C000001,2024-04-01,Police,Y,Assessment\nR2,C000002,2024-04-02,Schools,N,No further action\n",
        bom=True,
    )
    df = lr.read_extract(path)
    assert df.columns.tolist() == lr.COLUMNS
    assert df["referral_date"].dtype.kind == "M"
    assert df["referral_date"].tolist() == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-02")]
    assert df["domestic_abuse"].dtype == bool and df["domestic_abuse"].tolist() == [True, False]


def test_read_extract_bad_date_names_the_row_and_column(tmp_path):
    path = _write(tmp_path, "R1,C1,2024-04-01,Police,Y,Assessment\nR2,C2,2024-02-30,Police,N,Assessment\n")
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    e = err.value
    assert (e.row, e.column, e.value, e.expected) == (3, "referral_date", "2024-02-30", "a date YYYY-MM-DD")
    assert "row 3" in str(e) and "'referral_date'" in str(e) and "extract.csv" in str(e)


def test_read_extract_day_first_date_is_rejected(tmp_path):
    path = _write(tmp_path, "R1,C1,01/04/2024,Police,Y,Assessment\n")
    with pytest.raises(InputError, match="row 2, column 'referral_date'"):
        lr.read_extract(path)


def test_read_extract_unknown_source_names_the_row_and_column(tmp_path):
    path = _write(
        tmp_path,
        "R1,C1,2024-04-01,Police,Y,Assessment\nR2,C2,2024-04-01,Police,N,Assessment\nR3,C3,2024-04-01,Neighbour,N,"
        "Assessment\n",
    )
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column, err.value.value) == (4, "source", "Neighbour")
    assert "'Police'" in err.value.expected


def test_read_extract_unknown_domestic_abuse_code_names_the_row_and_column(tmp_path):
    path = _write(tmp_path, "R1,C1,2024-04-01,Police,Yes,Assessment\n")
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column, err.value.value) == (2, "domestic_abuse", "Yes")


def test_read_extract_unknown_outcome_names_the_row_and_column(tmp_path):
    path = _write(tmp_path, "R1,C1,2024-04-01,Police,N,Strategy discussion\n")
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column) == (2, "outcome")


def test_read_extract_missing_column_names_row_1_and_the_column(tmp_path):
    path = _write(
        tmp_path, "R1,C1,2024-04-01,Police,Assessment\n", header="referral_id,child_id,referral_date,source,outcome\n"
    )
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column) == (1, "domestic_abuse")
    assert "row 1" in str(err.value)


def test_read_extract_duplicate_referral_id_names_both_rows(tmp_path):
    path = _write(
        tmp_path,
        "R1,C1,2024-04-01,Police,N,Assessment\nR2,C2,2024-04-01,Police,N,Assessment\nR1,C3,2024-04-02,Police,N,"
        "Assessment\n",
    )
    with pytest.raises(InputError, match="repeats the one on row 2") as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column, err.value.value) == (4, "referral_id", "R1")


def test_read_extract_empty_child_id_is_an_error(tmp_path):
    path = _write(tmp_path, "R1,,2024-04-01,Police,N,Assessment\n")
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column) == (2, "child_id")
