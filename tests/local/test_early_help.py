"""csdemand.local.early_help on small hand-made files: both layouts (record level and counted by
month), the summaries that must agree between them, and reader errors that name the row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import early_help as eh

HEADER = "request_id,family_id,date_received,hub,reason,outcome\n"

# Two requests in January 2024, none in February, three in March (one of them stepped up).
RECORDS = (
    "EH1,F000001,2024-01-03,North,Housing,Support offered\n"
    "EH2,F000002,2024-01-15,South,Parenting,Signposted\n"
    "EH3,F000001,2024-03-04,North,Housing,Stepped up to social care\n"
    "EH4,F000003,2024-03-05,Central,Education,Support offered\n"
    "EH5,F000004,2024-03-28,North,Finance and debt,Support offered\n"
)
# The same requests counted by month, per hub (a hub without requests in a month has no row).
MONTHLY_BY_HUB = (
    "month,hub,requests\n2024-01,North,1\n2024-01,South,1\n2024-02,North,0\n2024-03,North,2\n2024-03,Central,1\n"
)


def _write(tmp_path: Path, body: str, header: str = HEADER, name: str = "extract.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + header + body, encoding="utf-8")
    return path


def _monthly(tmp_path: Path, body: str, header: str = "month,requests\n") -> Path:
    return _write(tmp_path, body, header=header, name="monthly.csv")


# --------------------------------------------------------------------------- read_requests


def test_read_requests_types_the_columns_and_strips_a_bom(tmp_path):
    df = eh.read_requests(_write(tmp_path, RECORDS, bom=True))
    assert df.columns.tolist() == eh.COLUMNS
    assert df["date_received"].dtype.kind == "M"
    assert df["date_received"].iloc[0] == pd.Timestamp("2024-01-03")
    assert df["request_id"].tolist() == ["EH1", "EH2", "EH3", "EH4", "EH5"]


def test_read_requests_bad_date_names_the_row_and_column(tmp_path):
    path = _write(tmp_path, "EH1,F1,2024-01-03,North,Housing,Signposted\nEH2,F2,03/01/2024,North,Housing,Signposted\n")
    with pytest.raises(InputError) as err:
        eh.read_requests(path)
    e = err.value
    assert (e.row, e.column, e.value, e.expected) == (3, "date_received", "03/01/2024", "a date YYYY-MM-DD")
    assert "row 3" in str(e) and "extract.csv" in str(e)


@pytest.mark.parametrize(
    "line, column, value",
    [
        ("EH1,F1,2024-01-03,East,Housing,Signposted", "hub", "East"),
        ("EH1,F1,2024-01-03,North,Debt,Signposted", "reason", "Debt"),
        ("EH1,F1,2024-01-03,North,Housing,Closed", "outcome", "Closed"),
    ],
)
def test_read_requests_unknown_code_names_the_row_column_and_codes_expected(tmp_path, line, column, value):
    path = _write(tmp_path, "EH0,F0,2024-01-02,South,Parenting,Signposted\n" + line + "\n")
    with pytest.raises(InputError) as err:
        eh.read_requests(path)
    assert (err.value.row, err.value.column, err.value.value) == (3, column, value)
    assert err.value.expected.startswith("one of '")


def test_read_requests_missing_column_names_row_1_and_the_column(tmp_path):
    path = _write(
        tmp_path, "EH1,F1,2024-01-03,North,Signposted\n", header="request_id,family_id,date_received,hub,outcome\n"
    )
    with pytest.raises(InputError) as err:
        eh.read_requests(path)
    assert (err.value.row, err.value.column) == (1, "reason")


def test_read_requests_duplicate_request_id_names_both_rows(tmp_path):
    path = _write(tmp_path, RECORDS + "EH2,F000009,2024-03-29,South,Housing,Signposted\n")
    with pytest.raises(InputError, match="repeats the one on row 3") as err:
        eh.read_requests(path)
    assert (err.value.row, err.value.column, err.value.value) == (7, "request_id", "EH2")


def test_read_requests_empty_family_id_is_an_error(tmp_path):
    with pytest.raises(InputError) as err:
        eh.read_requests(_write(tmp_path, "EH1,,2024-01-03,North,Housing,Signposted\n"))
    assert (err.value.row, err.value.column) == (2, "family_id")


# --------------------------------------------------------------------------- read_monthly


def test_read_monthly_types_month_and_count(tmp_path):
    df = eh.read_monthly(_monthly(tmp_path, '2024-01,2\n2024-02,0\n2024-03,"1,052"\n'))
    assert df.columns.tolist() == ["month", "requests"]
    assert df["month"].tolist() == [pd.Period("2024-01", "M"), pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]
    assert df["requests"].dtype == "int64" and df["requests"].tolist() == [2, 0, 1052]


@pytest.mark.parametrize(
    "cell, message",
    # The words validate uses for the same cells (one engine): text, an empty cell, a sign, a fraction.
    [("about 40", "text in a count"), ("-3", "negative count"), ("2.5", "not a whole number"), ("", "missing count")],
)
def test_read_monthly_bad_count_names_the_row_and_column(tmp_path, cell, message):
    path = _monthly(tmp_path, f"2024-01,2\n2024-02,{cell}\n2024-03,4\n")
    with pytest.raises(InputError, match=message) as err:
        eh.read_monthly(path)
    assert (err.value.row, err.value.column, err.value.value) == (3, "requests", cell)
    assert "row 3, column 'requests'" in str(err.value)


@pytest.mark.parametrize("month", ["2024-1", "Jan 2024", "2024-13", "2024-01-01"])
def test_read_monthly_bad_month_names_the_row_and_column(tmp_path, month):
    with pytest.raises(InputError, match="not a month") as err:
        eh.read_monthly(_monthly(tmp_path, f"2023-12,5\n{month},2\n"))
    assert (err.value.row, err.value.column, err.value.value) == (3, "month", month)


def test_read_monthly_duplicated_month_names_both_rows(tmp_path):
    with pytest.raises(InputError, match="repeats the one on row 2") as err:
        eh.read_monthly(_monthly(tmp_path, "2024-01,2\n2024-02,0\n2024-01,3\n"))
    assert (err.value.row, err.value.column, err.value.value) == (4, "month", "2024-01")


def test_read_monthly_duplicated_month_and_hub_is_an_error_but_a_month_per_hub_is_not(tmp_path):
    assert len(eh.read_monthly(_monthly(tmp_path, MONTHLY_BY_HUB, header=""))) == 5
    path = _monthly(tmp_path, MONTHLY_BY_HUB.replace("2024-03,Central", "2024-03,North"), header="")
    with pytest.raises(InputError, match="month and hub repeat the one on row 5") as err:
        eh.read_monthly(path)
    assert (err.value.row, err.value.column, err.value.value) == (6, "month", ("2024-03", "North"))


def test_read_monthly_gap_names_the_first_missing_month(tmp_path):
    with pytest.raises(InputError, match="month 2024-02 is missing") as err:
        eh.read_monthly(_monthly(tmp_path, "2024-03,4\n2024-01,2\n2024-05,1\n"))
    assert (err.value.column, err.value.value) == ("month", "2024-02")


def test_read_monthly_unknown_hub_names_the_row_and_column(tmp_path):
    with pytest.raises(InputError) as err:
        eh.read_monthly(_monthly(tmp_path, "2024-01,North,1\n2024-01,Nrth,1\n", header="month,hub,requests\n"))
    assert (err.value.row, err.value.column, err.value.value) == (3, "hub", "Nrth")


# --------------------------------------------------------------------------- load


def test_load_tells_the_layouts_apart_by_the_header(tmp_path):
    records = eh.load(_write(tmp_path, RECORDS))
    monthly = eh.load(_monthly(tmp_path, MONTHLY_BY_HUB, header=""))
    assert eh.layout(records) == eh.RECORD and "date_received" in records.columns
    assert eh.layout(monthly) == eh.MONTHLY and monthly.columns.tolist() == ["month", "requests", "hub"]


def test_load_wrong_header_names_the_columns_expected(tmp_path):
    path = _write(tmp_path, "2024-01,5\n", header="period,count\n", name="other.csv")
    with pytest.raises(InputError, match="not an early help requests file") as err:
        eh.load(path)
    e = err.value
    assert e.row == 1 and e.value == ["period", "count"]
    assert "date_received" in e.expected and "month, requests" in e.expected
    assert "other.csv" in str(e)


def test_load_validates_as_the_layout_reader_does(tmp_path):
    with pytest.raises(InputError) as err:
        eh.load(_monthly(tmp_path, "2024-01,2\n2024-02,-1\n"))
    assert (err.value.row, err.value.column) == (3, "requests")


# --------------------------------------------------------------------------- summaries


def test_monthly_totals_agree_between_a_record_file_and_its_monthly_twin(tmp_path):
    from_records = eh.monthly_totals(eh.load(_write(tmp_path, RECORDS)))
    from_monthly = eh.monthly_totals(eh.load(_monthly(tmp_path, MONTHLY_BY_HUB, header="")))
    pd.testing.assert_series_equal(from_records, from_monthly)
    assert from_records.tolist() == [2, 0, 3]


def test_monthly_totals_fill_a_month_without_requests_with_zero(tmp_path):
    s = eh.monthly_totals(eh.read_requests(_write(tmp_path, RECORDS)))
    assert isinstance(s.index, pd.PeriodIndex) and s.index.freqstr == "M"
    assert s.index.name == "month" and s.name == "requests" and s.dtype == "int64"
    assert s[pd.Period("2024-02", "M")] == 0


def test_monthly_by_hub_from_either_layout(tmp_path):
    from_records = eh.monthly_by(eh.load(_write(tmp_path, RECORDS)), "hub")
    from_monthly = eh.monthly_by(eh.load(_monthly(tmp_path, MONTHLY_BY_HUB, header="")), "hub")
    pd.testing.assert_frame_equal(from_records, from_monthly)
    assert from_records.columns.tolist() == ["North", "Central", "South"]
    assert from_records.loc[pd.Period("2024-03", "M")].tolist() == [2, 1, 0]
    assert from_records.loc[pd.Period("2024-02", "M")].tolist() == [0, 0, 0]


def test_monthly_by_reason_lists_every_reason(tmp_path):
    by = eh.monthly_by(eh.read_requests(_write(tmp_path, RECORDS)), "reason")
    assert by.columns.tolist() == list(eh.REASONS)
    assert by.sum().to_dict()["Housing"] == 2 and by.sum().to_dict()["Mental wellbeing"] == 0


def test_monthly_by_a_breakdown_the_monthly_table_lacks_is_an_error(tmp_path):
    df = eh.load(_monthly(tmp_path, MONTHLY_BY_HUB, header=""))
    with pytest.raises(InputError, match="breakdown by reason is not available") as err:
        eh.monthly_by(df, "reason")
    assert err.value.column == "reason"


def test_outcomes_per_reporting_year(tmp_path):
    body = RECORDS + (
        "EH6,F000005,2024-04-02,South,Housing,Stepped up to social "
        "care\nEH7,F000006,2024-04-03,South,Housing,Signposted\n"
    )
    out = eh.outcomes(eh.read_requests(_write(tmp_path, body)))
    assert out.columns.tolist() == eh.OUTCOME_COLUMNS
    assert out["period"].tolist() == [2024, 2025]
    assert out["requests"].tolist() == [5, 2]
    assert out["stepped_up"].tolist() == [1, 1]
    assert out["stepped_up_pct"].tolist() == pytest.approx([20.0, 50.0])
    assert out["complete"].tolist() == [False, False]


def test_outcomes_of_a_monthly_table_are_an_empty_frame(tmp_path):
    out = eh.outcomes(eh.load(_monthly(tmp_path, "2024-01,2\n")))
    assert out.empty and out.columns.tolist() == eh.OUTCOME_COLUMNS


def test_full_months_drops_the_current_month():
    s = pd.Series([5, 6, 7], index=pd.period_range("2024-01", "2024-03", freq="M"))
    assert full_index(eh.full_months(s, today="2024-03-15")) == ["2024-01", "2024-02"]
    assert full_index(eh.full_months(s, today="2024-02-01")) == ["2024-01"]
    assert full_index(eh.full_months(s, today="2024-04-01")) == ["2024-01", "2024-02", "2024-03"]


def test_full_months_defaults_to_today_and_cuts_a_breakdown_too(tmp_path):
    now = pd.Timestamp.today().to_period("M")
    s = pd.Series(1, index=pd.period_range(now - 2, now, freq="M"))
    assert eh.full_months(s).index.tolist() == [now - 2, now - 1]
    by = eh.monthly_by(eh.read_requests(_write(tmp_path, RECORDS)), "hub")
    assert full_index(eh.full_months(by, today=pd.Timestamp("2024-03-31"))) == ["2024-01", "2024-02"]


def full_index(obj) -> list[str]:
    return [str(p) for p in obj.index]


# -------------------- fields not recorded, empty and implausible extracts


def test_not_recorded_is_accepted_for_hub_reason_and_outcome(tmp_path):
    body = (
        "EH1,F000001,2024-01-03,Not recorded,Not recorded,Not recorded\nEH2,F000002,2024-01-15,Not recorded,Not "
        "recorded,Not recorded\n"
    )
    df = eh.read_requests(_write(tmp_path, body))
    assert df[["hub", "reason", "outcome"]].iloc[0].tolist() == ["Not recorded"] * 3
    assert eh.unrecorded(df) == frozenset({"hub", "reason", "outcome"})
    monthly = eh.load(_monthly(tmp_path, "2024-01,5\n2024-02,7\n"))
    assert eh.unrecorded(monthly) == frozenset({"hub", "reason", "outcome"})
    by_hub = eh.load(_write(tmp_path, "2024-01,Not recorded,5\n", header="month,hub,requests\n", name="by_hub.csv"))
    assert eh.unrecorded(by_hub) == frozenset({"hub", "reason", "outcome"})


def test_unrecorded_reads_the_readers_attrs_and_a_partly_recorded_field_counts_as_recorded(tmp_path):
    body = RECORDS.replace("EH2,F000002,2024-01-15,South", "EH2,F000002,2024-01-15,Not recorded")
    df = eh.read_requests(_write(tmp_path, body))
    assert eh.unrecorded(df) == frozenset()
    df.attrs["outcome_recorded"] = False
    assert eh.unrecorded(df) == frozenset({"outcome"})
    assert eh.unrecorded(df, frozenset({"reason"})) == frozenset({"outcome", "reason"})


def test_step_up_percentage_is_of_requests_with_an_outcome_recorded(tmp_path):
    body = RECORDS.replace(
        "EH5,F000004,2024-03-28,North,Finance and debt,Support offered",
        "EH5,F000004,2024-03-28,North,Finance and debt,Not recorded",
    )
    out = eh.outcomes(eh.read_requests(_write(tmp_path, body)))
    assert out[["requests", "outcome_recorded", "stepped_up"]].values.tolist() == [[5, 4, 1]]
    assert out["stepped_up_pct"].tolist() == pytest.approx([25.0])


@pytest.mark.parametrize("header", [HEADER, "month,requests\n", "month,hub,reason,requests\n"])
def test_a_header_only_extract_has_no_rows(tmp_path, header):
    path = _write(tmp_path, "", header=header)
    with pytest.raises(InputError, match="the extract has no rows") as err:
        eh.load(path)
    # No row to point at (as for referrals, and as validate says it): the file, and no row.
    assert (err.value.file, err.value.row, err.value.column) == (str(path), None, None)


def test_a_query_returning_no_rows_has_no_rows():
    empty = pd.DataFrame({c: pd.Series(dtype=str) for c in eh.COLUMNS})
    with pytest.raises(InputError, match="the extract has no rows") as err:
        eh.from_frame(empty, "query on $CSDEMAND_DB_URL")
    assert err.value.file == "query on $CSDEMAND_DB_URL"


def test_a_monthly_count_over_the_plausible_limit_is_refused(tmp_path):
    path = _monthly(tmp_path, "2024-01,12\n2024-02,5000000000\n")
    with pytest.raises(InputError, match="implausibly large count for one month") as err:
        eh.load(path)
    assert (err.value.row, err.value.column, err.value.value) == (3, "requests", "5000000000")
    assert (
        eh.load(_monthly(tmp_path, f"2024-01,{eh.MAX_MONTHLY_REQUESTS}\n"))["requests"].iloc[0]
        == eh.MAX_MONTHLY_REQUESTS
    )
