"""A corpus of bad inputs (tests/fixtures/bad, written by tests/fixtures/make_bad.py).

For each file: the validator names the file, the row and column where they apply, and what was
expected, both from Python and from ``python -m csdemand validate --file``, with no traceback; and
the readers a file can be pointed at raise InputError, never another exception.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import early_help as early_help_data
from csdemand.local import referrals as local_referrals
from csdemand.published import importer, sources
from csdemand.validation import checks as validation

BAD = Path(__file__).parents[1] / "fixtures" / "bad"

# file -> (row, column, words in the message, words in what was expected)
CASES: dict[str, tuple[int | None, str | None, str, str]] = {
    "empty.csv": (None, None, "the file is empty", "a CSV file"),
    "utf16.csv": (None, None, "UTF-16", "UTF-8"),
    "binary.csv": (1, None, "NUL bytes", "UTF-8"),
    "bad_bytes.csv": (2, None, "neither UTF-8 nor Windows-1252", "UTF-8"),
    "excel.csv": (None, None, "Excel workbook", "CSV"),
    "not_csv.csv": (1, None, "HTML", "a CSV file"),
    "semicolons.csv": (1, None, "separated by semicolons", "comma-separated"),
    "missing_column.csv": (
        1,
        "outcome",
        "missing column 'outcome'",
        "referral_id, child_id, referral_date, source, domestic_abuse, outcome",
    ),
    "text_in_count.csv": (3, "requests", "text in a count", "a whole number, 0 or more"),
    "negative_count.csv": (4, "requests", "negative count", "a whole number, 0 or more"),
    "duplicated_months.csv": (4, "month", "month repeats the one on row 3", "each month once"),
    "month_gap.csv": (None, "month", "month 2020-02 is missing", "a row for every month"),
    "future_dates.csv": (4, "referral_date", "date in the future", "a date no later than today"),
    "unknown_authority.csv": (3, "la_number", "unknown local authority", "areas.csv"),
    "truncated.csv": (7, None, "the last row is cut short", "6 fields"),
    "truncated_quote.csv": (4, None, "never closes", 'a closing "'),
    "extra_field.csv": (3, None, "the row has 7 fields; the header has 6", "6 fields"),
    "duplicate_id.csv": (4, "referral_id", "referral_id repeats the one on row 3", "each record once"),
    "unknown_code.csv": (3, "source", "unknown source code", "'Police'"),
    "early_help_bad.csv": (3, "hub", "unknown hub code", "'North'"),
    "before_2000.csv": (2, "referral_date", "date before 2000-01-01", "a date from 2000-01-01 to today"),
    "domestic_abuse_mixed.csv": (
        3,
        "domestic_abuse",
        "domestic abuse is 'Not recorded' on some rows and recorded on others",
        "'Not recorded' on every row",
    ),
    "header_only.csv": (None, None, "the extract has no rows", "at least one row of data below the header"),
    "ceased_in_future.csv": (2, "ceased", "date in the future", "a date no later than today"),
    "ceased_before_started.csv": (3, "ceased", "ceased is before started", "a date on or after 'started'"),
    "huge_count.csv": (3, "requests", "implausibly large count for one month", "at most 1,000,000,000"),
    "early_help_future.csv": (3, "date_received", "date in the future", "a date no later than today"),
    "blank_line.csv": (5, "source", "unknown source code", "'Police'"),
    "month_hub_repeat.csv": (4, "month", "month and hub repeat the one on row 2", "each month and hub once"),
    "not_early_help.csv": (1, None, "cannot tell which table this is from its header", "month, requests"),
}


def test_every_corpus_file_has_a_case():
    assert sorted(p.name for p in BAD.glob("*.csv")) == sorted(CASES)


def _matching(problems: list[validation.Problem], name: str) -> validation.Problem:
    row, column, message, expected = CASES[name]
    hits = [
        p for p in problems if p.row == row and p.column == column and message in p.message and expected in p.expected
    ]
    assert hits, f"no problem at row {row}, column {column!r} saying {message!r}; got:\n" + "\n".join(
        map(str, problems)
    )
    return hits[0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_file_names_file_row_column_and_expectation(name):
    path = BAD / name
    problems = validation.check_file(path)
    p = _matching(problems, name)
    text = str(p)
    assert text.startswith(str(path))
    if p.row is not None:
        assert f"row {p.row}" in text
    if p.column is not None:
        assert f"column {p.column!r}" in text
    assert "; expected " in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_command_line_reports_it_without_a_traceback(name):
    path = BAD / name
    done = subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", "--file", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stderr == ""
    expected_line = str(_matching(validation.check_file(path), name))
    assert expected_line in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("1 source checked, ")


def test_several_files_at_once_give_one_summary():
    paths = [str(BAD / n) for n in ("empty.csv", "duplicate_id.csv", "negative_count.csv")]
    done = subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", "--file", *paths], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1] == "3 sources checked, 3 problems in 3 sources"


# --------------------------------------------------------------------------- a huge file

HUGE_ROWS = 300_000
BAD_ROW = HUGE_ROWS - 7  # data row index (0-based) of the one bad row


def _huge(tmp_path: Path) -> Path:
    days = pd.date_range("2015-01-01", "2024-12-31", freq="D").strftime("%Y-%m-%d").tolist()
    src = local_referrals.SOURCES
    out = local_referrals.OUTCOMES
    lines = [",".join(local_referrals.COLUMNS)]
    lines += [
        f"R{i:07d},C{i:07d},{days[i % len(days)]},{src[i % len(src)]},{'YN'[i % 2]},{out[i % len(out)]}"
        for i in range(HUGE_ROWS)
    ]
    lines[BAD_ROW + 1] = f"R{BAD_ROW:07d},C{BAD_ROW:07d},2024-13-01,Police,Y,Assessment"
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_huge_file_reports_the_bad_row_quickly(tmp_path):
    path = _huge(tmp_path)
    start = time.perf_counter()
    problems = validation.check_file(path)
    elapsed = time.perf_counter() - start
    row = BAD_ROW + 2  # header = row 1
    assert [(p.row, p.column, p.message, p.value) for p in problems] == [
        (row, "referral_date", "not a date", "2024-13-01")
    ]
    assert elapsed < 20, f"{elapsed:.1f}s to check {HUGE_ROWS:,} rows"

    done = subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", "--file", str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{path}, row {row:,}".replace(",", "") in done.stdout.replace(",", "")
    assert f"row {row}, column 'referral_date': not a date; found '2024-13-01'" in done.stdout


# --------------------------------------------------------------------------- the readers

GENERIC = (
    "empty.csv",
    "utf16.csv",
    "binary.csv",
    "bad_bytes.csv",
    "excel.csv",
    "not_csv.csv",
    "semicolons.csv",
    "truncated_quote.csv",
)
REFERRAL_FILES = ("missing_column.csv", "truncated.csv", "extra_field.csv", "duplicate_id.csv", "unknown_code.csv")
EARLY_HELP_FILES = (
    "text_in_count.csv",
    "negative_count.csv",
    "duplicated_months.csv",
    "month_gap.csv",
    "early_help_bad.csv",
)


def _import_folder(path: Path, tmp_path: Path):
    folder = tmp_path / "published"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    return importer.build_tables(folder)


READERS = {
    "read_extract": lambda p, tmp: local_referrals.read_extract(p),
    "early_help.load": lambda p, tmp: early_help_data.load(p),
    "read_ees_cla": lambda p, tmp: sources.read_ees_cla(p),
    "read_ons_population": lambda p, tmp: sources.read_ons_population(p),
    "read_sfr_cla": lambda p, tmp: sources.read_sfr_cla(p),
    "read_neighbours_2025": lambda p, tmp: sources.read_neighbours_2025(p),
    "importer": _import_folder,
}


def _reader_cases():
    for name in GENERIC:
        for reader in READERS:
            yield pytest.param(name, reader, id=f"{name}-{reader}")
    for name in REFERRAL_FILES:
        yield pytest.param(name, "read_extract", id=f"{name}-read_extract")
    for name in EARLY_HELP_FILES:
        yield pytest.param(name, "early_help.load", id=f"{name}-early_help.load")
    yield pytest.param("unknown_authority.csv", "importer", id="unknown_authority.csv-importer")


@pytest.mark.parametrize("name, reader", list(_reader_cases()))
def test_readers_raise_input_error(name, reader, tmp_path):
    with pytest.raises(InputError) as err:
        READERS[reader](BAD / name, tmp_path)
    assert str(err.value)  # describe() never fails


def test_a_future_date_is_refused_by_the_reader_as_by_the_validator_in_the_same_words():
    with pytest.raises(InputError) as err:
        local_referrals.read_extract(BAD / "future_dates.csv")
    e = err.value
    (p,) = [p for p in validation.check_file(BAD / "future_dates.csv") if p.message == "date in the future"]
    assert (
        (e.row, e.column, e.message, e.value)
        == (p.row, p.column, p.message, p.value)
        == (4, "referral_date", "date in the future", "2099-01-14")
    )
    assert e.expected == p.expected


def test_a_truncated_published_file_is_named_as_truncated(tmp_path):
    """The published readers pad a short last row with empty cells (read as 'x', not available);
    the validator says the row is cut short."""
    src = Path(__file__).parents[1] / "fixtures" / "published" / "cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    lines = src.read_bytes().splitlines(keepends=True)
    last = lines[-1].rstrip(b"\r\n")
    cut = tmp_path / "cla.csv"
    cut.write_bytes(b"".join(lines[:-1]) + last[: last.rfind(b",")])
    (p,) = validation.check_file(cut)
    assert p.row == len(lines) and "the last row is cut short" in p.message
    clean = tmp_path / "whole.csv"
    shutil.copy(src, clean)
    assert validation.check_file(clean) == []  # a published file: its reader runs, and passes
