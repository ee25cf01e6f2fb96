"""The data config (config/data.yml) and reading local tables from CSV and Excel through it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csdemand.core import paths
from csdemand.core.errors import InputError
from csdemand.core.text import read_text_table
from csdemand.local import early_help as ehd
from csdemand.local import looked_after as lla
from csdemand.local import referrals as lr
from csdemand.local import sources as local_sources

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
        (
            "version: 1\ntables:\n  referrals:\n    format: parquet\n    path: x\n",
            "tables.referrals.format",
            "unknown or missing format",
        ),
        (
            "version: 1\ntables:\n  referrals:\n    path: x.csv\n",
            "tables.referrals.format",
            "unknown or missing format",
        ),
        ("version: 1\ntables:\n  referrals:\n    format: csv\n", "tables.referrals.path", "missing"),
        ("version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n", "tables.referrals.query", "missing"),
        (
            "version: 1\ntables:\n  referrals:\n    format: annex_a\n    path: a.xlsx\n",
            "tables.referrals.list",
            "missing",
        ),
        (
            "version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: a.xlsx\n    sheets: X\n",
            "tables.referrals.sheets",
            "not a key of a xlsx source",
        ),
        (
            "version: 1\ntables:\n  referrals:\n    format: csv\n    path: r_{authority}.csv\n",
            "tables.referrals.path",
            "unknown placeholder {authority}",
        ),
        (
            "version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: my-db\n    query: SELECT 1\n",
            "tables.referrals.url_env",
            "not an environment variable name",
        ),
        (
            "version: 1\ntables:\n  looked_after:\n    format: annex_a\n    path: a.xlsx\n    list: three\n",
            "tables.looked_after.list",
            "is Annex A List 8",
        ),
    ],
)
def test_config_errors_name_the_file_and_the_key(tmp_path, body, key, fragment):
    path = _config(tmp_path, body)
    with pytest.raises(local_sources.ConfigError) as err:
        local_sources.load_config(path)
    assert err.value.key == key
    assert str(path) in str(err.value) and key in str(err.value) and fragment in str(err.value)


def test_a_url_key_is_refused_even_beside_url_env(tmp_path):
    path = _config(
        tmp_path,
        "version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n    url: sqlite:///x.db\n    query: "
        "SELECT 1\n",
    )
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
        local_sources.source_label(
            "referrals", LA, {"version": 1, "tables": {"referrals": {"format": "json", "path": "x"}}}
        )


# --------------------------------------------------------------------------- where, and whether


def test_la_is_substituted_and_relative_paths_are_from_the_repo_root(tmp_path, monkeypatch):
    cfg = _config(
        tmp_path,
        "version: 1\ntables:\n  referrals:\n    format: csv\n    path: "
        "data/sample/local/referrals_{la}_synthetic.csv\n",
    )
    monkeypatch.chdir(tmp_path)  # not relative to the working directory
    assert local_sources.resolve_path("referrals", LA, cfg) == REFERRALS_CSV
    assert (
        local_sources.resolve_path("referrals", "358-trafford", cfg) == SAMPLE / "referrals_358-trafford_synthetic.csv"
    )
    df = local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert len(df) == 67_348


def test_la_number_placeholder(tmp_path):
    cfg = _config(
        tmp_path,
        f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/{{la_number}}/referrals.csv\n",
    )
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
    assert (
        local_sources.source_label(
            "referrals",
            LA,
            {
                "version": 1,
                "tables": {"referrals": {"format": "sql", "url_env": "CSDEMAND_DB_URL", "query": "SELECT 1"}},
            },
        )
        == "query on $CSDEMAND_DB_URL"
    )


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
    cfg = _config(
        tmp_path, f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n"
    )
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", "999-test", 999, config=cfg)
    assert (err.value.file, err.value.row, err.value.column) == (
        str(tmp_path / "referrals_999-test.csv"),
        3,
        "referral_date",
    )


def test_looked_after_csv(tmp_path):
    path = tmp_path / "la_352.csv"
    path.write_text("child_id,started,ceased\nC1,2024-01-10,\nC2,2024-01-15,2024-02-10\n", encoding="utf-8")
    cfg = _config(
        tmp_path, f"version: 1\ntables:\n  looked_after:\n    format: csv\n    path: {tmp_path}/la_{{la_number}}.csv\n"
    )
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
    cfg = _config(
        tmp_path,
        f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/referrals_{{la}}.xlsx\n    "
        "sheet: Referrals\n",
    )
    raw = local_sources.read_raw("referrals", LA, LA_NUMBER, config=cfg)
    assert raw.columns.tolist() == lr.COLUMNS
    assert raw["referral_date"].tolist() == ["2024-04-01", "2024-04-02", "2024-04-03"]
    assert raw["child_id"].tolist() == ["C1", "1002", "C3"]
    assert all(str(raw[c].dtype) == "str" for c in raw.columns)
    # The same rows as a CSV give the same typed table.
    csv = _referrals_csv(
        tmp_path,
        LA,
        "R1,C1,2024-04-01,Police,Y,Assessment\nR2,1002,2024-04-02,Schools,N,No further "
        "action\nR3,C3,2024-04-03,Health services,N,Information and advice\n",
    )
    typed = local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    expected = lr.read_extract(csv)
    typed.attrs, expected.attrs = {}, {}
    pd.testing.assert_frame_equal(typed, expected)


def test_xlsx_defaults_to_the_first_sheet_and_keeps_na_text(tmp_path):
    rows = [["EH1", "NA", dt.datetime(2024, 1, 3), "North", "Housing", "Signposted"]]
    _xlsx(tmp_path / "eh.xlsx", {"Requests": [ehd.COLUMNS] + rows, "Other": [["x"]]})
    cfg = _config(
        tmp_path, f"version: 1\ntables:\n  early_help_requests:\n    format: xlsx\n    path: {tmp_path}/eh.xlsx\n"
    )
    df = local_sources.load("early_help_requests", LA, LA_NUMBER, config=cfg)
    assert df["family_id"].tolist() == ["NA"]  # a family id "NA" is not a missing value
    assert df["date_received"].tolist() == [pd.Timestamp("2024-01-03")]


def test_xlsx_errors_name_the_sheet_and_the_row(tmp_path):
    bad = REFERRAL_ROWS[:2] + [["R3", "C3", "03/04/2024", "Police", "N", "Assessment"]]
    _xlsx(tmp_path / "r.xlsx", {"Referrals": [lr.COLUMNS] + bad})
    cfg = _config(
        tmp_path,
        f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/r.xlsx\n    sheet: Referrals\n",
    )
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    e = err.value
    assert (e.file, e.row, e.column, e.value) == (
        f"sheet 'Referrals' of {tmp_path}/r.xlsx",
        4,
        "referral_date",
        "03/04/2024",
    )
    missing = _config(
        tmp_path,
        f"version: 1\ntables:\n  referrals:\n    format: xlsx\n    path: {tmp_path}/r.xlsx\n    sheet: Refs\n",
        "m.yml",
    )
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
    raw = pd.DataFrame(
        {
            c: pd.Series(v, dtype=str)
            for c, v in zip(lr.COLUMNS, [["R1"], ["C1"], [" 2024-04-01 "], ["Police"], ["Maybe"], ["Assessment"]])
        }
    )
    before = raw.copy()
    with pytest.raises(InputError) as err:
        lr.from_frame(raw, "query on $CSDEMAND_DB_URL")
    assert (err.value.file, err.value.row, err.value.column) == ("query on $CSDEMAND_DB_URL", 2, "domestic_abuse")
    assert "query on $CSDEMAND_DB_URL" in str(err.value)
    pd.testing.assert_frame_equal(raw, before)


def test_early_help_from_frame_tells_the_layouts_apart():
    monthly = pd.DataFrame(
        {"month": pd.Series(["2024-01", "2024-02"], dtype=str), "requests": pd.Series(["3", "4"], dtype=str)}
    )
    assert ehd.layout(ehd.from_frame(monthly, "sheet 'X' of y.xlsx")) == ehd.MONTHLY
    with pytest.raises(InputError, match="not an early help requests file") as err:
        ehd.from_frame(pd.DataFrame({"period": pd.Series(["2024-01"], dtype=str)}), "query on $DB")
    assert err.value.file == "query on $DB"


def test_not_recorded_is_an_accepted_reason_listed_only_when_present():
    records = pd.DataFrame(
        {
            c: pd.Series(v, dtype=str)
            for c, v in zip(
                ehd.COLUMNS,
                [
                    ["E1", "E2"],
                    ["F1", "F2"],
                    ["2024-01-02", "2024-01-03"],
                    ["North", "North"],
                    ["Housing", ehd.NOT_RECORDED],
                    ["Signposted", "Signposted"],
                ],
            )
        }
    )
    typed = ehd.from_frame(records, "x")
    assert ehd.monthly_by(typed, "reason").columns.tolist()[-1] == ehd.NOT_RECORDED
    assert ehd.NOT_RECORDED not in ehd.monthly_by(typed.iloc[:1], "reason").columns
    assert ehd.NOT_RECORDED not in ehd.REASONS


# -------------------- a config that cannot be used: one line, exit 2

GOOD_CONFIG = (
    "version: 1\n# a comment\ntables:\n  referrals:\n    format: csv\n    path: "
    "data/sample/local/referrals_{la}_synthetic.csv\n"
)


def _within(seconds: float, fn):
    """fn() in a thread, failing the test (not hanging it) if it takes longer than ``seconds``."""
    import threading

    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(result=_outcome(fn)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    kind, value = box["result"]
    if kind == "error":
        raise value
    return value


def _outcome(fn):
    try:
        return "value", fn()
    except BaseException as exc:  # handed back to the test thread
        return "error", exc


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\nversion: 1\ntables: {}\n"


BAD_CONFIGS: dict[str, tuple[bytes, str, int | None]] = {
    # name -> (the file's bytes, words of the message, the line it names)
    "utf16": (GOOD_CONFIG.encode("utf-16"), "the data config is UTF-16 (or UTF-32) text, not UTF-8", None),
    "utf16_without_bom": (
        GOOD_CONFIG.encode("utf-16-le"),
        "the data config is UTF-16 (or UTF-32) text, not UTF-8",
        None,
    ),
    "latin1": (
        GOOD_CONFIG.replace("a comment", "café's extract").encode("latin-1"),
        "the data config is not UTF-8 (byte 0xe9 on line 2: saved as Latin-1 or Windows-1252?)",
        2,
    ),
    "binary": (bytes(range(256)) * 8, "the data config is not text: it holds NUL bytes (a binary file?)", 1),
    # a PNG's signature holds three line ends before its first NUL: line 4
    "binary_image": (
        b"version: 1\n" + b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"x" * 200,
        "the data config is not text: it holds NUL bytes (a binary file?)",
        4,
    ),
    "alias_bomb": (
        _billion_laughs().encode(),
        "YAML anchors and aliases (&name, *name) are not allowed in the data config",
        1,
    ),
    "one_harmless_alias": (b"version: &v 1\ntables: {}\n", "YAML anchors and aliases", 1),
    "duplicate_table": (
        (GOOD_CONFIG + "  referrals:\n    format: csv\n    path: elsewhere/referrals_{la}.csv\n").encode(),
        "the key 'referrals' is given twice in one mapping, on lines 4 and 7 (the second would silently replace the "
        "first)",
        7,
    ),
    "duplicate_path": (
        (GOOD_CONFIG + "    path: /etc/passwd\n").encode(),
        "the key 'path' is given twice in one mapping, on lines 6 and 7",
        7,
    ),
    "duplicate_top_level_key": (
        b"version: 1\ntables: {}\nversion: 2\n",
        "the key 'version' is given twice in one mapping, on lines 1 and 3",
        3,
    ),
    "too_large": (
        ("#" * 99 + "\n").encode() * 700,
        "the data config file is 70,000 bytes: too large for a config (a wrong path?)",
        None,
    ),
    "too_deep": (b"[" * 5000 + b"]" * 5000, "nested too deeply", None),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_an_unusable_config_is_one_config_error_naming_the_file(tmp_path, name):
    data, words, line = BAD_CONFIGS[name]
    path = tmp_path / "data.yml"
    path.write_bytes(data)
    with pytest.raises(local_sources.ConfigError) as err:
        _within(5, lambda: local_sources.load_config(path))
    text = str(err.value)
    assert words in text and text.startswith(f"file {path}") and "\n" not in text
    assert err.value.row == line
    assert err.value.__cause__ is None and (err.value.__context__ is None or err.value.__suppress_context__)


def test_a_config_that_is_a_folder_or_a_pipe_is_refused_without_reading_it(tmp_path):
    import os

    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)  # reading it would block for ever
    for path in (tmp_path, fifo):
        with pytest.raises(local_sources.ConfigError, match="the data config is not a regular file"):
            _within(5, lambda path=path: local_sources.load_config(path))


@pytest.mark.parametrize(
    "name, render",
    [
        ("utf16", True),
        ("alias_bomb", True),
        ("latin1", False),
        ("binary", False),
        ("duplicate_table", False),
        ("too_large", False),
    ],
)
def test_validate_and_render_exit_2_with_one_line_for_an_unusable_config(tmp_path, name, render):
    import os
    import subprocess
    import sys

    path = tmp_path / "data.yml"
    path.write_bytes(BAD_CONFIGS[name][0])
    env = {**os.environ, "CSDEMAND_CONFIG": str(path)}
    commands = [["validate"]] + (
        [["render", "--briefing", "referrals", "--out", str(tmp_path / "out")]] if render else []
    )
    for args in commands:
        done = subprocess.run(
            [sys.executable, "-m", "csdemand", *args], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert (
            done.stderr.count("\n") == 1
            and done.stderr.startswith(f"error: file {path}")
            and "Traceback" not in done.stderr
        )
        assert BAD_CONFIGS[name][1] in done.stderr
    assert not list((tmp_path / "out").rglob("*.html")) if (tmp_path / "out").exists() else True  # nothing rendered


# --------------------------------------------------------------------------- database timeouts in the config


def test_timeouts_are_optional_seconds_on_a_sql_source(tmp_path):
    base = "version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n    query: SELECT 1\n"
    assert "connect_timeout" not in local_sources.load_config(_config(tmp_path, base))["tables"]["referrals"]
    cfg = local_sources.load_config(
        _config(tmp_path, base + "    connect_timeout: 3\n    statement_timeout: 0.5\n", "t.yml")
    )
    assert (
        cfg["tables"]["referrals"]["connect_timeout"] == 3.0 and cfg["tables"]["referrals"]["statement_timeout"] == 0.5
    )
    assert (local_sources.CONNECT_TIMEOUT, local_sources.STATEMENT_TIMEOUT) == (10.0, 120.0)


@pytest.mark.parametrize("value", ["0", "-1", "ten", "true", "1e9", ".nan", "[1]"])
def test_a_timeout_that_is_not_a_sane_number_of_seconds_is_refused(tmp_path, value):
    body = (
        "version: 1\ntables:\n  referrals:\n    format: sql\n    url_env: DB\n    query: SELECT 1\n    "
        f"statement_timeout: {value}\n"
    )
    with pytest.raises(local_sources.ConfigError, match="not a number of seconds") as err:
        local_sources.load_config(_config(tmp_path, body))
    assert err.value.key == "tables.referrals.statement_timeout" and "at most 86,400" in err.value.expected


def test_a_timeout_on_a_file_source_is_not_a_key_of_it(tmp_path):
    body = "version: 1\ntables:\n  referrals:\n    format: csv\n    path: r.csv\n    connect_timeout: 5\n"
    with pytest.raises(local_sources.ConfigError, match="not a key of a csv source") as err:
        local_sources.load_config(_config(tmp_path, body))
    assert err.value.key == "tables.referrals.connect_timeout"


# -------------------- database URLs: parsed before SQLAlchemy, secrets masked

LEAKY = "postgresql+psycopg://analyst:p@ssW0rdLEAK@127.0.0.1/csc"


def test_an_unencoded_at_sign_in_the_password_is_refused_quoting_nothing_of_the_url():
    with pytest.raises(InputError) as err:
        local_sources.parse_database_url(LEAKY, "CSDEMAND_DB_URL")
    text = str(err.value)
    assert "unencoded '@'" in text and "%40" in text and "$CSDEMAND_DB_URL" in text
    for secret in ("ssW0rdLEAK", "p@ss", "analyst", "127.0.0.1"):
        assert secret not in text


@pytest.mark.parametrize(
    "url, user, password",
    [
        ("postgresql+psycopg://analyst:p%40ssW0rdLEAK@127.0.0.1/csc", "analyst", "p@ssW0rdLEAK"),
        ("postgresql+psycopg://analyst:pa:ss#1@db.council.gov.uk:5433/csc?sslmode=require", "analyst", "pa:ss#1"),
        ("postgresql+psycopg://postgres@/csdemand_test?host=/tmp/sock", "postgres", None),
        ("mssql+pyodbc://CSC%5Canalyst:pw@dsn_name", "CSC\\analyst", "pw"),
        ("sqlite:////data/a@b/local.db", None, None),  # an @ in a path is not user information
        ("postgresql+psycopg://analyst:pw@db/csc?application_name=a@b", "analyst", "pw"),
    ],
)
def test_urls_sqlalchemy_splits_as_rfc_3986_does_are_accepted_with_their_secrets(url, user, password):
    db = local_sources.parse_database_url(url, "DB")
    assert (db.url.username, db.url.password) == (user, password)
    for secret in (user, password):
        if secret:
            assert secret in db.secrets
            assert secret not in local_sources.mask_secrets(f"failed for {secret!r} at {secret}.", db.secrets)


@pytest.mark.parametrize(
    "url, words",
    [
        (
            "postgresql+psycopg://analyst:pa/ss@db/csc",
            "must be %-encoded",
        ),  # SQLAlchemy would take pa/ss as the password, RFC 3986 "pa" + a path
        ("postgresql+psycopg://analyst:pa?ss@db/csc", "must be %-encoded"),
        ("ana/lyst:secret@db/csc", "is not a database URL"),
        ("postgresql+psycopg//analyst:secret@db/csc", "is not a database URL"),
        ("postgresql+psycopg://analyst:secret@db:port/csc", "not a usable SQLAlchemy URL"),
    ],
)
def test_other_unusable_urls_are_refused_without_their_secrets(url, words):
    with pytest.raises(InputError, match=words) as err:
        local_sources.parse_database_url(url, "DB")
    text = str(err.value)
    assert "secret" not in text and "pa/ss" not in text and "pa?ss" not in text and "analyst" not in text


def test_masking_takes_whole_words_and_the_longest_secret_first():
    secrets = ("analyst:s3cret", "analyst", "s3cret", "postgres")
    text = 'role "analyst" does not exist; password s3cret, user analyst:s3cret; postgresql at analyst2'
    assert (
        local_sources.mask_secrets(text, secrets)
        == 'role "***" does not exist; password ***, user ***; postgresql at analyst2'
    )
    assert local_sources.mask_secrets("pw=!x! and a!x!b", ("!x!",)) == "pw=*** and a***b"


def test_the_watchdog_gives_up_on_a_call_that_never_returns():
    import time as _time

    start = _time.monotonic()
    with pytest.raises(TimeoutError):
        local_sources._with_deadline(lambda: _time.sleep(30), 0.3)
    assert _time.monotonic() - start < 2
    assert local_sources._with_deadline(lambda: 7, 1) == 7
    with pytest.raises(ZeroDivisionError):
        local_sources._with_deadline(lambda: 1 / 0, 1)


# --------------------------------------------------------------------------- no rows, not recorded, regular files


@pytest.mark.parametrize(
    "table, header",
    [
        ("referrals", ",".join(lr.COLUMNS)),
        ("early_help_requests", ",".join(ehd.COLUMNS)),
        ("early_help_requests", "month,requests"),
        ("early_help_requests", "month,hub,requests"),
        ("looked_after", "child_id,started,ceased"),
    ],
)
def test_a_header_only_extract_has_no_rows_through_the_door(tmp_path, table, header):
    path = tmp_path / f"{table}.csv"
    path.write_text(header + "\n", encoding="utf-8")
    cfg = _config(tmp_path, f"version: 1\ntables:\n  {table}:\n    format: csv\n    path: {path}\n")
    with pytest.raises(InputError) as err:
        local_sources.load(table, LA, LA_NUMBER, config=cfg)
    assert (err.value.file, err.value.message) == (str(path), "the extract has no rows")
    # The early help reader names its two layouts; the others share the referrals reader's words.
    assert err.value.expected == (ehd.NO_ROWS_EXPECTED if table == "early_help_requests" else lr.NO_ROWS_EXPECTED)


def test_the_readers_say_no_rows_too(tmp_path):
    path = _referrals_csv(tmp_path, LA, "")
    with pytest.raises(InputError, match="the extract has no rows"):
        lr.read_extract(path)
    (tmp_path / "la.csv").write_text("child_id,started,ceased\n", encoding="utf-8")
    with pytest.raises(InputError, match="the extract has no rows"):
        lla.read_extract(tmp_path / "la.csv")


@pytest.mark.parametrize(
    "when, words", [("2031-01-06", "date in the future"), ("1990-01-06", "date before 2000-01-01")]
)
def test_the_readers_refuse_dates_the_validator_refuses(tmp_path, when, words):
    path = _referrals_csv(tmp_path, LA, f"R1,C1,2020-01-06,Police,Y,Assessment\nR2,C2,{when},Police,N,Assessment\n")
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column, err.value.message, err.value.value) == (3, "referral_date", words, when)
    (tmp_path / "la.csv").write_text(
        f"child_id,started,ceased\nC1,2020-01-06,{when if when > '2020' else ''}\nC2,"
        f"{when if when < '2020' else '2020-02-01'},\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=words) as err:
        lla.read_extract(tmp_path / "la.csv")
    assert err.value.column == ("ceased" if when > "2020" else "started")


def test_a_source_that_holds_no_domestic_abuse_field_reads_as_not_recorded(tmp_path):
    class LA_:
        slug, la_number = LA, LA_NUMBER

    path = _referrals_csv(
        tmp_path,
        LA,
        "R1,C1,2020-01-06,Police,Not recorded,Assessment\nR2,C1,2020-02-06,Schools,Not recorded,No further action\n",
    )
    records = local_sources.read_records(str(path), LA_())
    assert records.not_recorded == {"domestic_abuse"} and records.label == str(path)
    assert records.frame["domestic_abuse"].isna().all() and records.frame.attrs["domestic_abuse_recorded"] is False
    assert lr.annual(records.frame)[["referrals", "rereferrals"]].values.tolist() == [[2, 1]]
    assert lr.annual(records.frame)["da_share"].isna().all()
    recorded = local_sources.read_records(str(REFERRALS_CSV), LA_())
    assert recorded.not_recorded == frozenset() and recorded.synthetic


def test_a_field_recorded_on_some_rows_only_is_refused(tmp_path):
    path = _referrals_csv(
        tmp_path,
        LA,
        "R1,C1,2020-01-06,Police,Not recorded,Assessment\nR2,C2,2020-02-06,Schools,Not "
        "recorded,Assessment\nR3,C3,2020-02-07,Schools,Y,Assessment\n",
    )
    with pytest.raises(InputError) as err:
        lr.read_extract(path)
    assert (err.value.row, err.value.column, err.value.value) == (4, "domestic_abuse", "Y")
    assert err.value.message == "domestic abuse is 'Not recorded' on some rows and recorded on others"


def test_read_records_refuses_a_path_that_is_not_a_regular_file(tmp_path):
    import os

    class LA_:
        slug, la_number = LA, LA_NUMBER

    fifo = tmp_path / "referrals.csv"
    os.mkfifo(fifo)
    for path, words in (
        (fifo, "is not a regular file"),
        (tmp_path, "is not a regular file"),
        (tmp_path / "none.csv", "does not exist"),
    ):
        with pytest.raises(InputError, match=words):
            _within(5, lambda path=path: local_sources.read_records(str(path), LA_()))


def test_a_configured_path_that_is_a_pipe_is_configured_but_never_read(tmp_path):
    import os

    os.mkfifo(tmp_path / f"referrals_{LA}.csv")
    cfg = _config(
        tmp_path, f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n"
    )
    assert local_sources.is_configured("referrals", LA, cfg)  # reported, not skipped as "no data"
    with pytest.raises(InputError, match="not a regular file"):
        _within(5, lambda: local_sources.load("referrals", LA, LA_NUMBER, config=cfg))
