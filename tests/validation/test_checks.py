"""csdemand.validation: every problem in a table, each naming source, row, column and what was
expected; the capped report; validate_all over the configuration and the shipped tables."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from csdemand.core import paths
from csdemand.local import early_help as early_help_data
from csdemand.local import referrals as local_referrals
from csdemand.validation import checks as validation
from csdemand.validation.checks import Problem

TODAY = "2026-06-15"
SAMPLE_LOCAL = paths.ROOT / "data" / "sample" / "local"
EARLY_HELP = SAMPLE_LOCAL / "early_help_requests_352-manchester_synthetic.csv"
REFERRALS = SAMPLE_LOCAL / "referrals_352-manchester_synthetic.csv"


def referrals(rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=local_referrals.COLUMNS, dtype=str)


GOOD = [
    ["R1", "C1", "2020-01-06", "Police", "Y", "Assessment"],
    ["R2", "C2", "2020-01-20", "Schools", "N", "No further action"],
    ["R3", "C3", "2020-02-03", "Health services", "N", "Information and advice"],
]


def by_row(problems: list[Problem]) -> dict[tuple[int | None, str | None], Problem]:
    return {(p.row, p.column): p for p in problems}


# --------------------------------------------------------------------------- problems


def test_problem_reads_as_one_line():
    p = Problem("extract.csv", 12, "referral_date", "2024-13-01", "a date YYYY-MM-DD", "not a date")
    assert (
        str(p)
        == "extract.csv, row 12, column 'referral_date': not a date; found '2024-13-01'; expected a date YYYY-MM-DD"
    )
    whole_file = Problem("extract.csv", None, None, None, "a CSV file", "the file is empty")
    assert str(whole_file) == "extract.csv: the file is empty; expected a CSV file"
    warn = Problem("x.csv", None, "referral_date", "2020-02", "records every month", "no records", validation.WARNING)
    assert str(warn).startswith("x.csv, column 'referral_date': warning: no records")


def test_a_clean_referrals_table_has_no_problems():
    assert validation.check_frame(referrals(GOOD), "referrals", "good", today=TODAY) == []


def test_every_problem_is_reported_not_just_the_first():
    rows = [r[:] for r in GOOD] + [
        ["R4", "", "2020-02-30", "Police", "Y", "Assessment"],  # row 5: empty child id, impossible date
        ["R2", "C5", "2020-02-10", "Neighbour", "maybe", "Assessment"],  # row 6: repeated id, two bad codes
        ["R6", "C6", "2031-01-01", "Police", "N", ""],  # row 7: future date, missing outcome
    ]
    problems = validation.check_frame(referrals(rows), "referrals", "extract.csv", today=TODAY)
    found = by_row(problems)
    assert found[(5, "child_id")].message == "empty id"
    assert found[(5, "referral_date")].message == "not a date" and found[(5, "referral_date")].value == "2020-02-30"
    assert found[(6, "referral_id")].message == "referral_id repeats the one on row 3"
    assert found[(6, "source")].message == "unknown source code" and "'Police'" in found[(6, "source")].expected
    assert found[(6, "domestic_abuse")].message == "unknown domestic abuse code"
    assert found[(7, "referral_date")].message == "date in the future"
    assert found[(7, "outcome")].message == "missing outcome code"
    assert len(problems) == 7
    assert [p.row for p in problems] == sorted(p.row for p in problems)  # in row order
    assert all(p.source == "extract.csv" for p in problems)


def test_dates_before_2000_and_missing_columns():
    df = referrals(GOOD).drop(columns=["outcome"])
    df.loc[0, "referral_date"] = "1999-12-31"
    found = by_row(validation.check_frame(df, "referrals", "x", today=TODAY))
    assert found[(1, "outcome")].message.startswith("missing column 'outcome'")
    assert found[(2, "referral_date")].message == "date before 2000-01-01"


def test_a_month_without_records_is_a_warning_and_same_day_referrals_too():
    rows = GOOD + [
        ["R4", "C9", "2020-05-01", "Police", "N", "Assessment"],
        ["R5", "C9", "2020-05-01", "Schools", "N", "Assessment"],
    ]
    problems = validation.check_frame(referrals(rows), "referrals", "x", today=TODAY)
    assert all(p.level == validation.WARNING for p in problems)
    gaps = [p.value for p in problems if p.column == "referral_date"]
    assert gaps == ["2020-03", "2020-04"]
    same_day = [p for p in problems if p.column == "child_id"]
    assert len(same_day) == 1 and same_day[0].row == 6 and "row 5" in same_day[0].message


def test_monthly_table_checks():
    df = pd.DataFrame(
        {
            "month": ["2020-01", "2020-01", "2020-02", "2020-04", "2020-13", "2099-01"],
            "hub": ["North", "North", "South", "West", "North", "North"],
            "requests": ["12", "1,052", "-3", "twelve", "4.5", "0"],
        }
    )
    found = by_row(validation.check_frame(df, "early_help_monthly", "m.csv", today=TODAY))
    assert found[(3, "month")].message == "month and hub repeat the one on row 2"
    assert found[(4, "requests")].message == "negative count"
    assert found[(5, "requests")].message == "text in a count"
    assert found[(5, "hub")].message == "unknown hub code"
    assert found[(6, "month")].message == "not a month"
    assert found[(6, "requests")].message == "not a whole number"
    assert found[(7, "month")].message == "month in the future"
    assert found[(None, "month")].message.startswith("month 2020-03 is missing")


def test_early_help_requests_table_may_be_given_counted_by_month():
    df = pd.DataFrame({"month": ["2020-01", "2020-02"], "requests": ["3", "x"]})
    problems = validation.check_frame(df, "early_help_requests", "eh", today=TODAY)
    assert [(p.row, p.column, p.message) for p in problems] == [(3, "requests", "text in a count")]


def test_tidy_table_checks():
    df = pd.read_csv(paths.ROOT / "data" / "sample" / "population.csv", dtype=str, keep_default_na=False).head(6).copy()
    df.loc[0, "status"] = "q"
    df.loc[1, "status"] = "c"  # but the value is still there
    df.loc[2, "period"] = "2020.5"
    df.loc[3, "measure"] = "population_0_18"
    df.loc[4, "la_number"] = "999"
    df.loc[5, "value"] = "lots"
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)  # row 8 repeats row 2
    found = by_row(validation.check_frame(df, "population", "population.csv", today=TODAY))
    assert found[(2, "status")].message == "unknown status marker"
    assert found[(3, "value")].message == "a value withheld as 'c' still has a figure"
    assert found[(4, "period")].message == "not a whole number (a year)"
    assert found[(5, "measure")].message == "unknown measure"
    assert found[(6, "la_number")].message == "unknown local authority (not in areas.csv)"
    assert found[(7, "value")].message == "not a number"
    assert found[(8, "measure")].message == "the same area, period and measure as row 2"


def test_report_is_capped_with_a_count_of_the_rest():
    rows = [[f"R{i}", f"C{i}", "2020-01-06", "Nobody", "Y", "Assessment"] for i in range(500)]
    problems = validation.check_frame(referrals(rows), "referrals", "x", today=TODAY)
    assert len(problems) == validation.LIMIT + 1
    last = problems[-1]
    assert last.level == validation.MORE and last.count == 500 - validation.LIMIT
    assert str(last) == "x: ... and 300 more problems (only the first 200 are listed)"
    assert validation.count(problems) == 500
    assert problems[0].row == 2 and problems[validation.LIMIT - 1].row == validation.LIMIT + 1


def test_check_frame_never_raises_on_odd_frames():
    odd = [
        pd.DataFrame(),
        pd.DataFrame({"referral_id": [1, 2, None], "referral_date": [np.nan, 3.5, "x"]}),
        pd.DataFrame([[1, 2], [3, 4]], columns=["month", "month"]),
        pd.DataFrame({"measure": [None], "value": [object()], "period": [True]}),
    ]
    for df in odd:
        for table in ("referrals", "early_help_requests", "early_help_monthly", "cla", "nonsense"):
            assert isinstance(validation.check_frame(df, table, "odd", today=TODAY), list)


def test_unknown_table_is_a_problem_not_an_exception():
    (p,) = validation.check_frame(referrals(GOOD), "nonsense", "x")
    assert p.message == "unknown table 'nonsense'" and "'referrals'" in p.expected


def test_detect_table_by_header():
    assert validation.detect_table(local_referrals.COLUMNS) == "referrals"
    assert validation.detect_table(early_help_data.COLUMNS) == "early_help_requests"
    assert validation.detect_table(["month", "hub", "requests"]) == "early_help_monthly"
    assert validation.detect_table(["area_code", "la_number", "period", "measure", "value"]) == "tidy"
    assert validation.detect_table(["a", "b"]) is None


# --------------------------------------------------------------------------- shipped data and configuration


def test_shipped_extracts_and_tables_are_clean():
    for path in (REFERRALS, EARLY_HELP):
        assert validation.check_file(path) == []
    for name in validation.TIDY_TABLES:
        assert validation.check_file(paths.ROOT / "data" / "sample" / f"{name}.csv", name) == []


def test_validating_the_shipped_early_help_extract_takes_seconds():
    start = time.perf_counter()
    assert validation.check_file(EARLY_HELP) == []
    assert time.perf_counter() - start < 10


def test_validate_all_without_local_sources_reads_the_sample_folder(monkeypatch):
    monkeypatch.setattr(validation, "_local_sources_module", lambda: None)
    report = validation.validate_all()
    assert any(k.endswith(REFERRALS.name) for k in report)
    assert any(k.endswith("cla.csv") for k in report)
    assert all(problems == [] for problems in report.values())


def test_validate_all_uses_the_data_config(tmp_path):
    pytest.importorskip("yaml")
    if validation._local_sources_module() is None:
        pytest.skip("csdemand.local.sources is not there")
    bad = tmp_path / "referrals_352-manchester.csv"
    bad.write_text(
        ",".join(local_referrals.COLUMNS)
        + "\nR1,C1,2020-01-06,Police,Y,Assessment\nR1,C2,2020-13-01,Police,Y,Assessment\n",
        encoding="utf-8",
    )
    config = tmp_path / "data.yml"
    config.write_text(
        f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n",
        encoding="utf-8",
    )
    report = validation.validate_all(config=config, las=["Manchester"])
    (label,) = [k for k in report if "referrals" in k]
    assert "Manchester" in label
    messages = {(p.row, p.column): p.message for p in report[label]}
    assert messages[(3, "referral_date")] == "not a date"
    assert messages[(3, "referral_id")] == "referral_id repeats the one on row 2"
    assert all(p.source == label for p in report[label])


def test_validate_all_raises_a_broken_config_and_the_cli_exits_2_in_one_line(tmp_path):
    import os

    from csdemand.local.sources import ConfigError

    config = tmp_path / "data.yml"
    config.write_text("version: 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unsupported or missing version") as err:
        validation.validate_all(config=config)
    assert err.value.key == "version"
    done = _cli(env={**os.environ, "CSDEMAND_CONFIG": str(config)})
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr == f"error: file {config}: version: unsupported or missing version; found 7; expected version: 1\n"
    )


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_clean_file_exits_0_with_a_summary():
    done = _cli("--file", str(REFERRALS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "1 source checked, no problems"


def test_cli_groups_problems_by_source_and_counts_them(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("month,requests\n2020-01,-1\n2020-02,x\n", encoding="utf-8")
    done = _cli("--file", str(one), str(REFERRALS))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert lines[0] == f"{one}: 2 problems"
    assert (
        lines[1].strip()
        == f"{one}, row 2, column 'requests': negative count; found '-1'; expected a whole number, 0 or more"
    )
    assert lines[-1] == "2 sources checked, 2 problems in 1 source"
    assert "Traceback" not in done.stderr


def test_cli_default_checks_the_configuration(tmp_path):
    import os

    config = tmp_path / "data.yml"
    config.write_text(
        "version: 1\ntables:\n  referrals:\n    format: csv\n    path: "
        "data/sample/local/referrals_{la}_synthetic.csv\n",
        encoding="utf-8",
    )
    done = _cli(env={**os.environ, "CSDEMAND_CONFIG": str(config)})
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(referrals, Manchester): no problems" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "4 sources checked, no problems"


def test_cli_unknown_la_is_a_usage_error():
    done = _cli("--la", "Atlantis")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no local authority matches 'Atlantis'" in done.stderr


def test_looked_after_periods_of_care():
    if "looked_after" not in validation.SCHEMAS:
        pytest.skip("csdemand.local.looked_after is not there")
    df = pd.DataFrame(
        {
            "child_id": ["A", "B", "", "D"],
            "started": ["2020-01-01", "2020-03-01", "2020-04-01", "2020-05-01"],
            "ceased": ["", "2020-02-01", "2020-04-05", "soon"],
        }
    )
    found = by_row(validation.check_frame(df, "looked_after", "lac", today=TODAY))
    assert found[(3, "ceased")].message == "ceased is before started"
    assert found[(4, "child_id")].message == "empty id"
    assert found[(5, "ceased")].message == "not a date"
    assert len(found) == 3  # no month-gap warnings for starts
