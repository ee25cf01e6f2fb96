"""The data config (config/data.yml) and reading local tables from CSV and Excel through it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csdemand.local import early_help as ehd
from csdemand.local import looked_after as lla
from csdemand.local import referrals as lr
from csdemand.local import sources as local_sources
from csdemand.core import paths
from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table

LA, LA_NUMBER = "352-manchester", 352
SAMPLE = paths.ROOT / "data" / "sample" / "local"
REFERRALS_CSV = SAMPLE / f"referrals_{LA}_synthetic.csv"
REQUESTS_CSV = SAMPLE / f"early_help_requests_{LA}_synthetic.csv"


def _config(tmp_path: Path, body: str, name: str = "data.yml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _referrals_csv(folder: Path, la: str, rows: str) -> Path:
    path = folder / f"referrals_{la}.csv"
    path.write_text("referral_id,child_id,referral_date,source,domestic_abuse,outcome\n" + rows, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the config file


def test_the_shipped_config_points_at_the_sample(monkeypatch):
    monkeypatch.delenv("CSDEMAND_CONFIG", raising=False)
    cfg = local_sources.load_config()
    assert cfg["file"] == str(paths.ROOT / "config" / "data.yml")
    assert cfg["tables"]["referrals"] == {"format": "csv", "path": "data/sample/local/referrals_{la}_synthetic.csv"}
    assert cfg["tables"]["early_help_requests"]["format"] == "csv"
    assert local_sources.resolve_path("referrals", LA, cfg) == REFERRALS_CSV


def test_csdemand_config_overrides_the_config_file(tmp_path, monkeypatch):
    path = _config(tmp_path, "version: 1\ntables: {}\n", "elsewhere.yml")
    monkeypatch.setenv("CSDEMAND_CONFIG", str(path))
    assert local_sources.config_path() == path
    assert local_sources.load_config() == {"version": 1, "tables": {}, "file": str(path)}
    assert not local_sources.is_configured("referrals", LA)


@pytest.mark.parametrize(
    "body, key, fragment",
    [
        ("version: 2\ntables: {}\n", "version", "unsupported or missing version"),
        ("tables: {}\n", "version", "unsupported or missing version"),
        ("version: 1\ntables: {}\nextra: 1\n", "extra", "unknown key"),
        ("version: 1\ntables: [referrals]\n", "tables", "must be a mapping"),
        ("version: 1\ntables:\n  referals:\n    format: csv\n    path: x.csv\n", "tables.referals", "unknown table"),
        ("version: 1\ntables:\n  referrals:\n    format: parquet\n    path: x\n", "tables.referrals.format", "unknown or missing format"),
        ("version: 1\ntables:\n  referrals:\n    path: x.csv\n", "tables.referrals.format", "unknown or missing format"),
        ("version: 1\ntables:\n  referrals:\n    format: csv\n", "tables.referrals.path", "missing"),
        ("version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n", "tables.referrals.query", "missing"),
        ("version: 1\ntables:\n  referrals:\n    format: annex_a\n    path: a.xlsx\n", "tables.referrals.list", "missing"),
        ("version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: a.xlsx\n    sheets: X\n", "tables.referrals.sheets", "not a key of a xlsx source"),
        ("version: 1\ntables:\n  referrals:\n    format: csv\n    path: r_{authority}.csv\n", "tables.referrals.path", "unknown placeholder {authority}"),
        ("version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: my-db\n    query: SELECT 1\n", "tables.referrals.url_env", "not an environment variable name"),
        ("version: 1\ntables:\n  looked_after:\n    format: annex_a\n    path: a.xlsx\n    list: three\n", "tables.looked_after.list", "is Annex A List 8"),
    ],
)
def test_config_errors_name_the_file_and_the_key(tmp_path, body, key, fragment):
    path = _config(tmp_path, body)
    with pytest.raises(local_sources.ConfigError) as err:
        local_sources.load_config(path)
    assert err.value.key == key
    assert str(path) in str(err.value) and key in str(err.value) and fragment in str(err.value)


def test_a_url_key_is_refused_even_beside_url_env(tmp_path):
    path = _config(tmp_path, "version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n    url: sqlite:///x.db\n    query: SELECT 1\n")
    with pytest.raises(local_sources.ConfigError, match="must not be written in the config file") as err:
        local_sources.load_config(path)
    assert err.value.key == "tables.referrals.url"


def test_invalid_yaml_and_a_missing_file_are_config_errors(tmp_path):
    bad = _config(tmp_path, "version: 1\ntables:\n  referrals: [unclosed\n")
    with pytest.raises(local_sources.ConfigError, match="not valid YAML") as err:
        local_sources.load_config(bad)
    assert err.value.row is not None and str(bad) in str(err.value)
    with pytest.raises(local_sources.ConfigError, match="does not exist"):
        local_sources.load_config(tmp_path / "missing.yml")


def test_a_config_dict_is_checked_too():
    with pytest.raises(local_sources.ConfigError, match="unknown or missing format"):
        local_sources.source_label("referrals", LA, {"version": 1, "tables": {"referrals": {"format": "json", "path": "x"}}})


# --------------------------------------------------------------------------- where, and whether


def test_la_is_substituted_and_relative_paths_are_from_the_repo_root(tmp_path, monkeypatch):
    cfg = _config(tmp_path, "version: 1\ntables:\n  referrals:\n    format: csv\n    path: data/sample/local/referrals_{la}_synthetic.csv\n")
    monkeypatch.chdir(tmp_path)  # not relative to the working directory
    assert local_sources.resolve_path("referrals", LA, cfg) == REFERRALS_CSV
    assert local_sources.resolve_path("referrals", "358-trafford", cfg) == SAMPLE / "referrals_358-trafford_synthetic.csv"
    df = local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert len(df) == 67_348


def test_la_number_placeholder(tmp_path):
    cfg = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/{{la_number}}/referrals.csv\n")
    assert local_sources.resolve_path("referrals", LA, cfg, la_number=352) == tmp_path / "352" / "referrals.csv"
    assert local_sources.resolve_path("referrals", LA, cfg) == tmp_path / "352" / "referrals.csv"


def test_is_configured_is_false_where_the_la_has_no_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CSDEMAND_CONFIG", raising=False)
    assert local_sources.is_configured("referrals", LA)
    assert local_sources.is_configured("early_help_requests", LA)
    assert not local_sources.is_configured("referrals", "358-trafford")
    assert not local_sources.is_configured("looked_after", LA)  # no entry
    with pytest.raises(local_sources.ConfigError, match="unknown table"):
        local_sources.is_configured("referals", LA)


def test_a_missing_file_for_the_la_is_an_input_error_naming_it(monkeypatch):
    monkeypatch.delenv("CSDEMAND_CONFIG", raising=False)
    with pytest.raises(InputError, match="no referrals file for this authority") as err:
        local_sources.load("referrals", "358-trafford", 358)
    assert "referrals_358-trafford_synthetic.csv" in str(err.value) and "tables.referrals.path" in str(err.value)


def test_a_table_without_an_entry_cannot_be_loaded(tmp_path):
    cfg = _config(tmp_path, "version: 1\ntables: {}\n")
    with pytest.raises(local_sources.ConfigError, match="no source is configured") as err:
        local_sources.load("looked_after", LA, LA_NUMBER, config=cfg)
    assert err.value.key == "tables.looked_after"


def test_source_labels(tmp_path):
    cfg = _config(
        tmp_path,
        "version: 1\ntables:\n"
        f"  referrals:\n    format: xlsx\n    path: {tmp_path}/r_{{la}}.xlsx\n    sheet: Referrals\n"
        f"  early_help_requests:\n    format: xlsx\n    path: {tmp_path}/eh.xlsx\n"
        f"  looked_after:\n    format: annex_a\n    path: {tmp_path}/annex_{{la}}.xlsx\n    list: 8\n",
    )
    assert local_sources.source_label("referrals", LA, cfg) == f"sheet 'Referrals' of {tmp_path}/r_{LA}.xlsx"
    assert local_sources.source_label("early_help_requests", LA, cfg) == f"first sheet of {tmp_path}/eh.xlsx"
    assert local_sources.source_label("looked_after", LA, cfg) == f"Annex A List 8 of {tmp_path}/annex_{LA}.xlsx"
    assert local_sources.source_label("referrals", LA, {"version": 1, "tables": {"referrals": {"format": "sql", "url_env": "CSDEMAND_DB_URL", "query": "SELECT 1"}}}) == "query on $CSDEMAND_DB_URL"


# --------------------------------------------------------------------------- csv


def test_csv_reads_exactly_as_the_layout_readers(tmp_path, monkeypatch):
    monkeypatch.delenv("CSDEMAND_CONFIG", raising=False)
    raw = local_sources.read_raw("referrals", LA, LA_NUMBER)
    pd.testing.assert_frame_equal(raw, read_text_table(REFERRALS_CSV))
    typed = local_sources.load("referrals", LA, LA_NUMBER)
    pd.testing.assert_frame_equal(typed, lr.read_extract(REFERRALS_CSV))
    assert typed.attrs["source"] == str(REFERRALS_CSV)
    requests = local_sources.load("early_help_requests", LA, LA_NUMBER)
    pd.testing.assert_frame_equal(requests, ehd.load(REQUESTS_CSV))


def test_errors_from_a_configured_csv_name_the_file_row_and_column(tmp_path):
    _referrals_csv(tmp_path, "999-test", "R1,C1,2024-04-01,Police,Y,Assessment\nR2,C2,2024-02-30,Police,N,Assessment\n")
    cfg = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n")
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", "999-test", 999, config=cfg)
    assert (err.value.file, err.value.row, err.value.column) == (str(tmp_path / "referrals_999-test.csv"), 3, "referral_date")


def test_looked_after_csv(tmp_path):
    path = tmp_path / "la_352.csv"
    path.write_text("child_id,started,ceased\nC1,2024-01-10,\nC2,2024-01-15,2024-02-10\n", encoding="utf-8")
    cfg = _config(tmp_path, f"version: 1\ntables:\n  looked_after:\n    format: csv\n    path: {tmp_path}/la_{{la_number}}.csv\n")
    df = local_sources.load("looked_after", LA, LA_NUMBER, config=cfg)
    assert df["ceased"].isna().tolist() == [True, False]
    assert lla.month_end_counts(df).tolist() == [2, 1]


# --------------------------------------------------------------------------- xlsx


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


REFERRAL_ROWS = [
    ["R1", "C1", dt.datetime(2024, 4, 1), "Police", "Y", "Assessment"],
    ["R2", 1002, dt.date(2024, 4, 2), "Schools", "N", "No further action"],
    ["R3", "C3", "2024-04-03", "Health services", "N", "Information and advice"],
]


def test_xlsx_reads_a_named_sheet_with_excel_dates_as_text(tmp_path):
    _xlsx(tmp_path / f"referrals_{LA}.xlsx", {"Notes": [["read me"]], "Referrals": [lr.COLUMNS] + REFERRAL_ROWS})
    cfg = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/referrals_{{la}}.xlsx\n    sheet: Referrals\n")
    raw = local_sources.read_raw("referrals", LA, LA_NUMBER, config=cfg)
    assert raw.columns.tolist() == lr.COLUMNS
    assert raw["referral_date"].tolist() == ["2024-04-01", "2024-04-02", "2024-04-03"]
    assert raw["child_id"].tolist() == ["C1", "1002", "C3"]
    assert all(str(raw[c].dtype) == "str" for c in raw.columns)
    # The same rows as a CSV give the same typed table.
    csv = _referrals_csv(tmp_path, LA, "R1,C1,2024-04-01,Police,Y,Assessment\nR2,1002,2024-04-02,Schools,N,No further action\nR3,C3,2024-04-03,Health services,N,Information and advice\n")
    typed = local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    expected = lr.read_extract(csv)
    typed.attrs, expected.attrs = {}, {}
    pd.testing.assert_frame_equal(typed, expected)


def test_xlsx_defaults_to_the_first_sheet_and_keeps_na_text(tmp_path):
    rows = [["EH1", "NA", dt.datetime(2024, 1, 3), "North", "Housing", "Signposted"]]
    _xlsx(tmp_path / "eh.xlsx", {"Requests": [ehd.COLUMNS] + rows, "Other": [["x"]]})
    cfg = _config(tmp_path, f"version: 1\ntables:\n  early_help_requests:\n    format: xlsx\n    path: {tmp_path}/eh.xlsx\n")
    df = local_sources.load("early_help_requests", LA, LA_NUMBER, config=cfg)
    assert df["family_id"].tolist() == ["NA"]  # a family id "NA" is not a missing value
    assert df["date_received"].tolist() == [pd.Timestamp("2024-01-03")]


def test_xlsx_errors_name_the_sheet_and_the_row(tmp_path):
    bad = REFERRAL_ROWS[:2] + [["R3", "C3", "03/04/2024", "Police", "N", "Assessment"]]
    _xlsx(tmp_path / "r.xlsx", {"Referrals": [lr.COLUMNS] + bad})
    cfg = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/r.xlsx\n    sheet: Referrals\n")
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    e = err.value
    assert (e.file, e.row, e.column, e.value) == (f"sheet 'Referrals' of {tmp_path}/r.xlsx", 4, "referral_date", "03/04/2024")
    missing = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/r.xlsx\n    sheet: Refs\n", "m.yml")
    with pytest.raises(InputError, match="no sheet 'Refs'") as err:
        local_sources.read_raw("referrals", LA, LA_NUMBER, config=missing)
    assert "'Referrals'" in err.value.expected


def test_a_file_that_is_not_a_workbook_is_an_input_error(tmp_path):
    (tmp_path / "r.xlsx").write_text("not a workbook", encoding="utf-8")
    cfg = _config(tmp_path, f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/r.xlsx\n")
    with pytest.raises(InputError, match="cannot be read"):
        local_sources.read_raw("referrals", LA, LA_NUMBER, config=cfg)


# --------------------------------------------------------------------------- values as text


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
        ("  as is ", "  as is "),
        (dt.datetime(2024, 4, 1), "2024-04-01"),
        (pd.Timestamp("2024-04-01"), "2024-04-01"),
        (dt.datetime(2024, 4, 1, 13, 5), "2024-04-01 13:05:00"),
        (dt.date(2024, 4, 1), "2024-04-01"),
        (12, "12"),
        (np.int64(12), "12"),
        (12.0, "12"),
        (1.5, "1.5"),
        (Decimal("7.00"), "7"),
        (True, "Y"),
        (np.False_, "N"),
        (b"abc", "abc"),
    ],
)
def test_cell_text(value, text):
    assert local_sources.cell_text(value) == text


# --------------------------------------------------------------------------- from_frame


def test_from_frame_names_the_source_and_leaves_the_frame_alone():
    raw = pd.DataFrame({c: pd.Series(v, dtype=str) for c, v in zip(lr.COLUMNS, [["R1"], ["C1"], [" 2024-04-01 "], ["Police"], ["Maybe"], ["Assessment"]])})
    before = raw.copy()
    with pytest.raises(InputError) as err:
        lr.from_frame(raw, "query on $CSDEMAND_DB_URL")
    assert (err.value.file, err.value.row, err.value.column) == ("query on $CSDEMAND_DB_URL", 2, "domestic_abuse")
    assert "query on $CSDEMAND_DB_URL" in str(err.value)
    pd.testing.assert_frame_equal(raw, before)


def test_early_help_from_frame_tells_the_layouts_apart():
    monthly = pd.DataFrame({"month": pd.Series(["2024-01", "2024-02"], dtype=str), "requests": pd.Series(["3", "4"], dtype=str)})
    assert ehd.layout(ehd.from_frame(monthly, "sheet 'X' of y.xlsx")) == ehd.MONTHLY
    with pytest.raises(InputError, match="not an early help requests file") as err:
        ehd.from_frame(pd.DataFrame({"period": pd.Series(["2024-01"], dtype=str)}), "query on $DB")
    assert err.value.file == "query on $DB"


def test_not_recorded_is_an_accepted_reason_listed_only_when_present():
    records = pd.DataFrame(
        {c: pd.Series(v, dtype=str) for c, v in zip(ehd.COLUMNS, [["E1", "E2"], ["F1", "F2"], ["2024-01-02", "2024-01-03"], ["North", "North"], ["Housing", ehd.NOT_RECORDED], ["Signposted", "Signposted"]])}
    )
    typed = ehd.from_frame(records, "x")
    assert ehd.monthly_by(typed, "reason").columns.tolist()[-1] == ehd.NOT_RECORDED
    assert ehd.NOT_RECORDED not in ehd.monthly_by(typed.iloc[:1], "reason").columns
    assert ehd.NOT_RECORDED not in ehd.REASONS
