"""Ofsted Annex A lists 2, 3 and 8 read into the project's layouts, from small hand-made workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import annex_a
from csdemand.local import early_help as ehd
from csdemand.local import looked_after as lla
from csdemand.local import referrals as lr
from csdemand.local import sources as local_sources

D = dt.datetime


LIST3_HEADER = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Date of Referral",
    "Referral Source",
    "Referral NFA?",
    "Number of Referrals in Last 12 Months",
    "Allocated Team",
    "Allocated Worker",
]
LIST3_ROWS = [
    ["C001", "b) Female", "a) WBRI", D(2015, 3, 1), 9, D(2024, 4, 2), "q) 6: Police", "b) No", 1, "Team A", "W1"],
    ["C002", "a) Male", "WBRI", "01/02/2012", 12, "03/04/2024", "e) 2A: Schools", "a) Yes", 1, "Team A", "W2"],
    [1003, "Male", "AIND", None, 5, 45387, "3B", "Y", 2, "Team B", "W3"],  # numeric id, Excel serial date
    [
        "C004",
        "Female",
        "BAFR",
        None,
        15,
        "2024-04-10",
        "INDIVIDUAL – family member, relative or carer",
        "N",
        1,
        "Team B",
        "W4",
    ],
    [None] * 11,  # an empty row inside the list: skipped
    [
        "C001",
        "b) Female",
        "a) WBRI",
        D(2015, 3, 1),
        9,
        D(2024, 5, 20),
        "LA SERVICES – early help",
        "No",
        2,
        "Team A",
        "W1",
    ],
    ["C005", "Male", "WBRI", None, 2, D(2024, 6, 1), "HEALTH SERVICES – school nurse", "", 1, "Team C", "W5"],
]

LIST2_HEADER = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Assessment Start Date",
    "Assessment Completion Date",
    "Organisation Completing Assessment",
]
LIST2_ROWS = [
    ["C101", "Male", "WBRI", None, 4, D(2024, 1, 15), D(2024, 2, 1), "Children's centre"],
    ["C102", "Female", "WBRI", None, 7, "20/01/2024", None, "School"],
    ["C103", "Female", "WBRI", None, 7, "05/02/2024", None, "Health visiting"],
]

LIST8_HEADER = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
    "Date Started to be Looked After",
    "Child's Legal Status",
    "Placement Type",
    "Date Ceased to be Looked After",
]
LIST8_ROWS = [
    ["C201", "Male", "WBRI", None, 10, D(2023, 11, 10), "C2: FCO", "U4: Foster placement - long term", None],
    ["C202", "Female", "WBRI", None, 3, "31/12/2023", "V2: Single period under S20", "U6", "31/01/2024"],
    ["C203", "Female", "WBRI", None, 16, "15/01/2024", "C1: ICO", "K2", "14/03/2024"],
    ["C204", "Male", "WBRI", None, 1, D(2024, 2, 29), "C1: ICO", "U6", None],
]


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def annex(tmp_path) -> Path:
    """A small Annex A: a cover sheet, lists 2, 3 (under two title rows) and 8, and a List 10 to ignore."""
    return _workbook(
        tmp_path / "Annex_A.xlsx",
        {
            "Cover": [["Annex A: data for inspection"]],
            "List 2 - Early help": [LIST2_HEADER] + LIST2_ROWS,
            # Title and a blank line above the header, as councils' templates often have.
            "list 3 REFERRALS": [["List 3: Referrals in the last 6 months"], [], LIST3_HEADER] + LIST3_ROWS,
            "List 8 - Children in care": [LIST8_HEADER] + LIST8_ROWS,
            "List 10 - Adoption": [["Child Unique ID"], ["X"]],
        },
    )


# --------------------------------------------------------------------------- List 3: referrals


def test_list_3_maps_to_the_referrals_layout(annex):
    df = annex_a.read_list(annex, 3)
    assert df.columns.tolist() == lr.COLUMNS
    # Ids are the sheet rows: the header is on row 3, the empty row 8 is skipped.
    assert df["referral_id"].tolist() == ["A3-4", "A3-5", "A3-6", "A3-7", "A3-9", "A3-10"]
    assert df["child_id"].tolist() == ["C001", "C002", "1003", "C004", "C001", "C005"]
    assert df["referral_date"].tolist() == [
        "2024-04-02",
        "2024-04-03",
        "2024-04-05",
        "2024-04-10",
        "2024-05-20",
        "2024-06-01",
    ]
    assert df["source"].tolist() == [
        "Police",
        "Schools",
        "Health services",
        "Individual",
        "Local authority services",
        "Health services",
    ]
    assert df["outcome"].tolist() == [
        "Assessment",
        "No further action",
        "No further action",
        "Assessment",
        "Assessment",
        "Assessment",
    ]
    assert set(df["domestic_abuse"]) == {"Not recorded"} and lr.NOT_RECORDED == ehd.NOT_RECORDED == "Not recorded"
    assert df.attrs["domestic_abuse_recorded"] is False and df.attrs["annex_a_sheet"] == "list 3 REFERRALS"
    assert any("domestic abuse" in n and "unknown, not zero" in n for n in df.attrs["notes"])
    typed = lr.from_frame(df, "annex")  # valid in the layout: the checks pass
    assert typed["referral_date"].dtype.kind == "M"
    assert str(typed["domestic_abuse"].dtype) == "boolean" and typed["domestic_abuse"].isna().all()
    assert typed.attrs["domestic_abuse_recorded"] is False


def test_list_3_without_domestic_abuse_gives_unknown_shares_never_zero(annex):
    typed = lr.from_frame(annex_a.read_list(annex, 3), "annex")
    months = lr.monthly(typed)
    assert months["referrals"].tolist() == [4, 1, 1]  # April, May, June 2024
    assert months[["domestic_abuse", "da_share", "da_lower", "da_upper"]].isna().all().all()
    year = lr.annual(typed)
    assert year["referrals"].tolist() == [6] and year["nfa"].tolist() == [2]
    assert year[["domestic_abuse", "da_share"]].isna().all().all()


def test_list_3_uses_a_domestic_abuse_column_when_the_council_adds_one(tmp_path):
    header = [" child unique ID ", "DATE OF REFERRAL", "Referral  Source", "Referral NFA?", "Domestic abuse (Y/N)"]
    path = _workbook(
        tmp_path / "a.xlsx",
        {"List 3": [header, ["C1", D(2024, 4, 1), "6", "N", "Y"], ["C2", D(2024, 4, 2), "1A", "N", "n"]]},
    )
    df = annex_a.read_list(path, 3)
    assert df["domestic_abuse"].tolist() == ["Y", "N"] and df.attrs["domestic_abuse_recorded"] is True
    assert df["source"].tolist() == ["Police", "Individual"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a) 1A: Individual", "Individual"),
        ("1C", "Individual"),
        ("e) 2A: Schools", "Schools"),
        ("2B", "Other"),
        ("SCHOOLS", "Schools"),
        ("HEALTH SERVICES – school nurse", "Health services"),
        ("3F", "Health services"),
        ("GP", "Health services"),
        ("m) 4: Housing", "Other"),
        ("p1) 5D: LA services", "Local authority services"),
        ("LA SERVICES – social care", "Local authority services"),
        ("q) 6: Police", "Police"),
        ("6", "Police"),
        ("Police", "Police"),
        ("r) 7: Other legal agency", "Other"),
        ("8", "Other"),
        ("t) 9: Anonymous", "Other"),
        ("10", "Other"),
        ("u) 10: Unknown", "Other"),
        ("Voluntary sector", "Other"),
        ("", None),
    ],
)
def test_referral_source_maps_cin_codes_and_labels(text, expected):
    assert annex_a.referral_source(text) == expected
    assert expected is None or expected in lr.SOURCES


def test_a_bad_date_names_the_sheet_row_column_and_cell(tmp_path):
    rows = [LIST3_HEADER, LIST3_ROWS[0], LIST3_ROWS[1][:5] + ["31/02/2024"] + LIST3_ROWS[1][6:]]
    path = _workbook(tmp_path / "bad.xlsx", {"List 3 Referrals": rows})
    with pytest.raises(InputError) as err:
        annex_a.read_list(path, 3)
    e = err.value
    assert isinstance(e, annex_a.AnnexAError)
    assert (e.sheet, e.row, e.column, e.cell, e.value) == (
        "List 3 Referrals",
        3,
        "Date of Referral",
        "F3",
        "31/02/2024",
    )
    assert (
        "bad.xlsx" in str(e)
        and "sheet 'List 3 Referrals'" in str(e)
        and "row 3" in str(e)
        and "'Date of Referral'" in str(e)
    )


def test_an_empty_date_and_a_bad_nfa_are_errors_at_their_cells(tmp_path):
    empty = _workbook(tmp_path / "e.xlsx", {"List 3": [LIST3_HEADER, LIST3_ROWS[0][:5] + [None] + LIST3_ROWS[0][6:]]})
    with pytest.raises(annex_a.AnnexAError, match="empty date") as err:
        annex_a.read_list(empty, 3)
    assert (err.value.row, err.value.cell) == (2, "F2")
    nfa = _workbook(
        tmp_path / "n.xlsx", {"List 3": [LIST3_HEADER, LIST3_ROWS[0][:7] + ["Pending"] + LIST3_ROWS[0][8:]]}
    )
    with pytest.raises(annex_a.AnnexAError, match="not yes or no") as err:
        annex_a.read_list(nfa, 3)
    assert (err.value.column, err.value.value) == ("Referral NFA?", "Pending")


def test_a_missing_column_is_named_with_the_header_row(tmp_path):
    path = _workbook(
        tmp_path / "m.xlsx",
        {"List 3": [["Child Unique ID", "Date of Referral", "Referral Source"], ["C1", D(2024, 4, 1), "6"]]},
    )
    with pytest.raises(annex_a.AnnexAError, match="no 'Referral NFA\\?' column") as err:
        annex_a.read_list(path, 3)
    assert err.value.row == 1 and "Referral NFA?" in err.value.expected


def test_sheets_are_found_by_list_number_or_named(annex, tmp_path):
    assert annex_a.read_list(annex, 8).attrs["annex_a_sheet"] == "List 8 - Children in care"
    assert annex_a.read_list(annex, 3, sheet="LIST 3 referrals").attrs["annex_a_sheet"] == "list 3 REFERRALS"
    with pytest.raises(annex_a.AnnexAError, match="no sheet 'Referrals'") as err:
        annex_a.read_list(annex, 3, sheet="Referrals")
    assert "'List 2 - Early help'" in err.value.expected
    only_10 = _workbook(tmp_path / "ten.xlsx", {"List 10": [["Child Unique ID"]], "List 1": [["Child Unique ID"]]})
    with pytest.raises(annex_a.AnnexAError, match="no sheet for Annex A List 3"):
        annex_a.read_list(only_10, 3)
    two = _workbook(tmp_path / "two.xlsx", {"List 3 (old)": [["Child Unique ID"]], "List_3": [["Child Unique ID"]]})
    with pytest.raises(annex_a.AnnexAError, match="more than one sheet"):
        annex_a.read_list(two, 3)


@pytest.mark.parametrize(
    "cell, iso",
    [
        (D(2024, 4, 1, 0, 0), "2024-04-01"),
        (dt.date(2024, 4, 1), "2024-04-01"),
        (45383, "2024-04-01"),
        ("01/04/2024", "2024-04-01"),
        ("1/4/2024", "2024-04-01"),
        ("2024-04-01", "2024-04-01"),
        ("2024-04-01 00:00:00", "2024-04-01"),
        ("01-04-2024", "2024-04-01"),
        ("1 Apr 2024", "2024-04-01"),
        ("29/02/2023", None),
        ("04/31/2024", None),
        ("soon", None),
        (7, None),
    ],
)
def test_parse_date_accepts_excel_dates_and_day_first_text(cell, iso):
    got = annex_a.parse_date(cell)
    assert (got.isoformat() if got else None) == iso


# --------------------------------------------------------------------------- List 2: early help


def test_list_2_maps_to_the_early_help_record_layout(annex):
    df = annex_a.read_list(annex, 2)
    assert df.columns.tolist() == ehd.COLUMNS + ["organisation"]
    assert df["request_id"].tolist() == ["A2-2", "A2-3", "A2-4"]
    assert df["family_id"].tolist() == ["C101", "C102", "C103"]
    assert df["date_received"].tolist() == ["2024-01-15", "2024-01-20", "2024-02-05"]
    # No hub, reason or outcome in List 2: the placeholder on every row, never "Central" or "Support offered".
    assert set(df["hub"]) == set(df["reason"]) == set(df["outcome"]) == {ehd.NOT_RECORDED}
    assert (df.attrs["hub_recorded"], df.attrs["reason_recorded"], df.attrs["outcome_recorded"]) == (
        False,
        False,
        False,
    )
    assert local_sources.not_recorded_fields(df) == {"hub", "reason", "outcome"}
    assert any("step-ups to social care are unknown, not zero" in n for n in df.attrs["notes"])


def test_list_2_reads_through_the_early_help_layout(annex):
    df = annex_a.read_list(annex, 2)
    typed = ehd.from_frame(df, "annex")
    assert ehd.monthly_totals(typed).tolist() == [2, 1]
    by_reason = ehd.monthly_by(typed, "reason")
    assert by_reason.columns.tolist() == list(ehd.REASONS) + [ehd.NOT_RECORDED]


def test_list_2_takes_hub_and_reason_columns_when_present(tmp_path):
    header = ["Child Unique ID", "Early Help Assessment Start Date", "Locality", "Main reason"]
    rows = [["C1", "02/01/2024", "north", "Housing"], ["C2", "03/01/2024", "South", ""]]
    df = annex_a.read_list(_workbook(tmp_path / "a.xlsx", {"List 2": [header] + rows}), 2)
    assert df["hub"].tolist() == ["North", "South"] and df["reason"].tolist() == ["Housing", ehd.NOT_RECORDED]
    assert "organisation" not in df.columns
    bad = _workbook(tmp_path / "b.xlsx", {"List 2": [header, ["C1", "02/01/2024", "Wythenshawe", "Housing"]]})
    with pytest.raises(annex_a.AnnexAError, match="unknown hub") as err:
        annex_a.read_list(bad, 2)
    assert (err.value.column, err.value.cell, err.value.value) == ("Locality", "C2", "Wythenshawe")


# --------------------------------------------------------------------------- List 8: children in care


def test_list_8_maps_to_the_looked_after_layout_and_counts_month_ends(annex):
    df = annex_a.read_list(annex, 8)
    assert df.columns.tolist() == ["child_id", "started", "ceased", "legal_status", "placement_type"]
    assert df["started"].tolist() == ["2023-11-10", "2023-12-31", "2024-01-15", "2024-02-29"]
    assert df["ceased"].tolist() == ["", "2024-01-31", "2024-03-14", ""]
    typed = lla.from_frame(df, "annex")
    counts = lla.month_end_counts(typed)
    # 30 Nov: C201. 31 Dec: C201, C202 (started that day). 31 Jan: C202 ceased that day, so not
    # counted; C201, C203. 29 Feb: C201, C203, C204 (started that day). 31 Mar: C203 has ceased.
    assert counts.to_dict() == {
        pd.Period(m, "M"): n
        for m, n in [("2023-11", 1), ("2023-12", 2), ("2024-01", 2), ("2024-02", 3), ("2024-03", 2)]
    }
    assert counts.name == "looked_after" and counts.index.name == "month"
    assert lla.month_end_counts(typed, start="2024-03", end="2024-05").tolist() == [2, 2, 2]


def test_month_end_counts_counts_a_child_once(annex):
    typed = lla.from_frame(annex_a.read_list(annex, 8), "annex")
    twice = pd.concat([typed, typed.iloc[[0]]], ignore_index=True)
    assert lla.month_end_counts(twice).equals(lla.month_end_counts(typed))


def test_list_8_ceased_before_started_is_an_error(tmp_path):
    rows = [LIST8_HEADER, ["C1", "M", "WBRI", None, 1, "10/01/2024", "C1", "U6", "09/01/2024"]]
    with pytest.raises(annex_a.AnnexAError, match="ceased before") as err:
        annex_a.read_list(_workbook(tmp_path / "c.xlsx", {"List 8": rows}), 8)
    assert err.value.cell == "I2"


# --------------------------------------------------------------------------- through the config


def _annex_config(annex: Path, tmp_path: Path) -> Path:
    cfg = tmp_path / "data.yml"
    cfg.write_text(
        "version: 1\ntables:\n"
        f"  referrals:\n    format: annex_a\n    path: {annex}\n    list: 3\n"
        f"  early_help_requests:\n    format: annex_a\n    path: {annex}\n    list: 2\n"
        f"  looked_after:\n    format: annex_a\n    path: {annex}\n    list: 8\n",
        encoding="utf-8",
    )
    return cfg


def test_annex_a_through_local_sources(annex, tmp_path):
    cfg = _annex_config(annex, tmp_path)
    ref = local_sources.load("referrals", "352-manchester", 352, config=cfg)
    assert ref["referral_date"].dtype.kind == "M" and len(ref) == 6
    assert ref.attrs["domestic_abuse_recorded"] is False and ref.attrs["source"] == f"Annex A List 3 of {annex}"
    assert lr.annual(ref)["referrals"].sum() == 6
    la = local_sources.load("looked_after", "352-manchester", 352, config=cfg)
    assert la["ceased"].isna().sum() == 2
    assert local_sources.is_configured("looked_after", "352-manchester", config=cfg)


def test_annex_a_list_2_through_local_sources(annex, tmp_path):
    cfg = _annex_config(annex, tmp_path)
    eh = local_sources.load("early_help_requests", "352-manchester", 352, config=cfg)
    assert ehd.layout(eh) == ehd.RECORD and len(eh) == 3
    assert (eh.attrs["hub_recorded"], eh.attrs["reason_recorded"], eh.attrs["outcome_recorded"]) == (
        False,
        False,
        False,
    )
    assert set(eh["hub"]) == set(eh["outcome"]) == {ehd.NOT_RECORDED}


def test_annex_a_list_must_match_the_table(annex, tmp_path):
    cfg = tmp_path / "data.yml"
    cfg.write_text(
        f"version: 1\ntables:\n  referrals:\n    format: annex_a\n    path: {annex}\n    list: 2\n", encoding="utf-8"
    )
    with pytest.raises(local_sources.ConfigError, match="the referrals table is Annex A List 3") as err:
        local_sources.load_config(cfg)
    assert err.value.key == "tables.referrals.list"
