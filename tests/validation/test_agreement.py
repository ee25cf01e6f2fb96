"""validate and render agree on the councils' own data: what validate passes, the readers render uses
read; what they refuse, validate reports first, in the same words (one engine: csdemand.core.schema).
Every file of the bad-input corpus goes through each reader and through validate. Also what a report
may quote of a file, and the fields a source does not record (Ofsted's Annex A), reported as notes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csdemand.core import csvfile, schema
from csdemand.core.errors import InputError
from csdemand.core.problems import Report
from csdemand.local import early_help as ehd
from csdemand.local import looked_after as lla
from csdemand.local import referrals as lr
from csdemand.local import sources as local_sources
from csdemand.published.areas import resolve
from csdemand.validation import checks as validation

LA, LA_NUMBER = "352-manchester", 352
D = dt.datetime
BAD = Path(__file__).parents[1] / "fixtures" / "bad"
CORPUS = sorted(p.name for p in BAD.glob("*.csv"))


def _cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _config(tmp_path: Path, tables: str) -> Path:
    path = tmp_path / "data.yml"
    path.write_text("version: 1\ntables:\n" + tables, encoding="utf-8")
    return path


def _local(report: dict[str, list[validation.Problem]], table: str) -> list[validation.Problem]:
    (problems,) = [v for k, v in report.items() if f"({table}, Manchester)" in k]
    return problems


# --------------------------------------------------------------------------- Ofsted's Annex A: nothing invented

LIST3 = [
    ["List 3: Referrals"],
    [
        "Child Unique ID",
        "Gender",
        "Date of Referral",
        "Referral Source",
        "Referral NFA?",
        "Number of Referrals in Last 12 Months",
    ],
    ["C001", "Female", D(2024, 4, 2), "q) 6: Police", "b) No", 1],
    ["C002", "Male", "03/04/2024", "e) 2A: Schools", "a) Yes", 1],
    ["C003", "Male", D(2024, 5, 7), "3B", "No", 1],
    ["C001", "Female", D(2024, 6, 20), "1A", "No", 2],
]
LIST2 = [
    [
        "Child Unique ID",
        "Gender",
        "Assessment Start Date",
        "Assessment Completion Date",
        "Organisation Completing Assessment",
    ],
    ["C101", "Male", D(2024, 1, 15), D(2024, 2, 1), "Children's centre"],
    ["C102", "Female", "20/01/2024", None, "School"],
    ["C103", "Female", "05/02/2024", None, "Health visiting"],
]


@pytest.fixture
def annex(tmp_path) -> Path:
    """An Annex A workbook whose lists 2 and 3 have no domestic abuse, hub, reason or outcome column."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in (("List 2 - Early help", LIST2), ("List 3 - Referrals", LIST3)):
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = tmp_path / "Annex_A_352-manchester.xlsx"
    wb.save(path)
    return path


def _annex_config(tmp_path: Path, annex: Path, lists: tuple[int, ...]) -> Path:
    tables = {3: "referrals", 2: "early_help_requests"}
    return _config(
        tmp_path,
        "".join(
            f"  {tables[n]}:\n    format: annex_a\n    path: {annex.parent}/Annex_A_{{la}}.xlsx\n    list: {n}\n"
            for n in lists
        ),
    )


def test_annex_a_list_3_validates_clean_and_says_domestic_abuse_is_not_recorded(tmp_path, annex, monkeypatch):
    cfg = _annex_config(tmp_path, annex, (3,))
    done = _cli(env={"CSDEMAND_CONFIG": str(cfg)})
    assert done.returncode == 0, done.stdout + done.stderr
    label = f"Annex A List 3 of {annex} (referrals, Manchester)"
    lines = done.stdout.splitlines()
    at = lines.index(f"{label}: no problems")
    assert lines[at + 1] == (
        f"  {label}, column 'domestic_abuse': note: the source does not record domestic abuse ('Not recorded' on "
        "every row): "
        "the briefings leave out what needs it"
    )
    assert lines[-1] == "4 sources checked, no problems"
    # What the briefings receive: the field named as not recorded, the counts unknown, never 0.
    monkeypatch.setenv("CSDEMAND_CONFIG", str(cfg))
    records = local_sources.read_records("config", resolve("352"))
    assert records.not_recorded == {"domestic_abuse"} and len(records.frame) == 4
    year = lr.annual(records.frame)
    assert year["referrals"].tolist() == [4] and year["nfa"].tolist() == [1]
    assert year["domestic_abuse"].isna().all() and year["da_share"].isna().all()


def test_annex_a_list_2_validates_clean_and_says_hub_reason_and_outcome_are_not_recorded(tmp_path, annex, monkeypatch):
    cfg = _annex_config(tmp_path, annex, (2,))
    done = _cli(env={"CSDEMAND_CONFIG": str(cfg)})
    assert done.returncode == 0, done.stdout + done.stderr
    for field in ("hub", "reason", "outcome"):
        assert (
            f"column '{field}': note: the source does not record {field} ('Not recorded' on every row)" in done.stdout
        )
    monkeypatch.setenv("CSDEMAND_CONFIG", str(cfg))
    records = local_sources.read_records("config", resolve("352"), table="early_help_requests")
    assert records.not_recorded == {"hub", "reason", "outcome"} and len(records.frame) == 3


def test_validate_and_the_reader_agree_on_annex_a_list_2(tmp_path, annex):
    """Whatever the early help reader makes of the placeholder, validate says the same."""
    cfg = _annex_config(tmp_path, annex, (2,))
    problems = _local(validation.validate_all(config=cfg, las=["352"]), "early_help_requests")
    errors = [p for p in problems if p.level == validation.ERROR]
    try:
        local_sources.load("early_help_requests", LA, LA_NUMBER, config=cfg)
    except InputError as exc:
        assert [(p.row, p.column, p.message.split(" (the reader")[0]) for p in errors] == [
            (exc.row, exc.column, exc.message)
        ]
    else:
        assert errors == []
    # Either way the placeholder passes validation's own checks, with a note per field: only the reader can object.
    own = validation.check_frame(
        local_sources.read_raw("early_help_requests", LA, LA_NUMBER, cfg), "early_help_requests", "annex"
    )
    assert [(p.level, p.column) for p in own] == [
        (validation.INFO, "hub"),
        (validation.INFO, "reason"),
        (validation.INFO, "outcome"),
    ]
    assert validation.count(own) == 0


# --------------------------------------------------------------------------- the same rules, the same words

HEADER = ",".join(lr.COLUMNS) + "\n"


@pytest.mark.parametrize(
    "rows, row, column, message",
    [
        (
            "R1,C1,2020-01-06,Police,Y,Assessment\nR2,C2,2031-01-06,Police,N,Assessment\n",
            3,
            "referral_date",
            "date in the future",
        ),
        ("R1,C1,1990-01-06,Police,Y,Assessment\n", 2, "referral_date", "date before 2000-01-01"),
        (
            "R1,C1,2020-01-06,Police,Not recorded,Assessment\nR2,C2,2020-01-07,Police,N,Assessment\n",
            3,
            "domestic_abuse",
            "domestic abuse is 'Not recorded' on some rows and recorded on others",
        ),
        ("", None, None, "the extract has no rows"),
    ],
)
def test_validate_and_the_referrals_reader_refuse_the_same_rows_in_the_same_words(tmp_path, rows, row, column, message):
    path = tmp_path / f"referrals_{LA}.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    cfg = _config(tmp_path, f"  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n")
    with pytest.raises(InputError) as err:
        local_sources.load("referrals", LA, LA_NUMBER, config=cfg)
    assert (err.value.row, err.value.column, err.value.message) == (row, column, message)
    problems = _local(validation.validate_all(config=cfg, las=["352"]), "referrals")
    assert [(p.row, p.column, p.message, p.level) for p in problems] == [(row, column, message, validation.ERROR)]
    assert problems[0].expected == err.value.expected


@pytest.mark.parametrize(
    "started, ceased, column, message",
    [
        ("1990-05-01", "", "started", "date before 2000-01-01"),
        ("2020-05-01", "2031-01-01", "ceased", "date in the future"),
    ],
)
def test_validate_and_the_looked_after_reader_agree_on_date_bounds(started, ceased, column, message):
    raw = pd.DataFrame({"child_id": ["C1"], "started": [started], "ceased": [ceased]}, dtype=str)
    with pytest.raises(InputError) as err:
        lla.from_frame(raw, "lac")
    (p,) = validation.check_frame(raw, "looked_after", "lac")
    assert (err.value.row, err.value.column, err.value.message) == (p.row, p.column, p.message) == (2, column, message)


def test_a_source_validate_passes_is_read_by_the_reader_or_validate_says_why(tmp_path, monkeypatch):
    """validate runs the reader render uses after its own checks: a reader's objection is a problem."""
    path = tmp_path / f"referrals_{LA}.csv"
    path.write_text(HEADER + "R1,C1,2020-01-06,Police,Y,Assessment\n", encoding="utf-8")
    cfg = _config(tmp_path, f"  referrals:\n    format: csv\n    path: {tmp_path}/referrals_{{la}}.csv\n")
    assert _local(validation.validate_all(config=cfg, las=["352"]), "referrals") == []

    def stricter(df, source, today=None):
        raise InputError(
            "a rule only the reader knows",
            file=source,
            row=2,
            column="source",
            value="Police",
            expected="another source",
        )

    monkeypatch.setitem(local_sources.TABLES, "referrals", stricter)
    (p,) = _local(validation.validate_all(config=cfg, las=["352"]), "referrals")
    assert (p.row, p.column, p.level) == (2, "source", validation.ERROR)
    assert p.message == "a rule only the reader knows (the reader that render uses; only its first problem is reported)"


# --------------------------------------------------------------------------- what a report may quote

SECRET_LINES = (
    "root:$6$SALTSALT$HASHHASHHASHHASH:19000:0:99999:7:::\nanalyst:$6$OTHERSALT$OTHERHASH:19000:0:99999:7:::\n"
)


def test_a_configured_path_to_some_other_file_is_named_but_none_of_its_lines_quoted(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(SECRET_LINES, encoding="utf-8")
    cfg = _config(tmp_path, f"  referrals:\n    format: csv\n    path: {secret}\n")
    problems = _local(validation.validate_all(config=cfg, las=["352"]), "referrals")
    assert [(p.row, p.column, p.value) for p in problems] == [(1, None, None)]
    assert problems[0].message.startswith(
        "this is not a referrals extract (one row per referral): its header has 0 of the layout's 6 columns"
    )
    done = _cli(env={"CSDEMAND_CONFIG": str(cfg)})
    assert done.returncode == 1
    for word in ("SALT", "HASH", "root:", "analyst:", "19000"):
        assert word not in done.stdout + done.stderr


def test_a_configured_file_that_is_not_text_quotes_none_of_its_bytes(tmp_path):
    secret = tmp_path / "key.csv"
    secret.write_bytes(b"-----BEGIN KEY-----\n\x00\x01SECRETBYTES\x02\n")
    problems = validation.check_file(secret, "referrals", quote=False)
    assert [p.value for p in problems] == [None] and "NUL bytes" in problems[0].message
    assert "SECRETBYTES" not in str(problems[0])


def test_a_file_with_the_layouts_header_is_quoted_but_values_are_cut_at_60_characters(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "R1,C1,2020-01-06," + "X" * 100_000 + ",Y,Assessment\n", encoding="utf-8")
    (p,) = validation.check_file(path, "referrals", quote=False)
    assert (p.row, p.column, p.message) == (2, "source", "unknown source code")
    assert p.value == "X" * 60 + "\u2026" and len(str(p)) < 400


def test_a_2_mb_cell_is_named_at_its_row_as_the_reader_refuses_it(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        HEADER + "R1,C1,2020-01-06,Police,Y,Assessment\nR2,C2,2020-01-07," + "X" * 2_000_000 + ",Y,Assessment\n",
        encoding="utf-8",
    )
    (p,) = validation.check_file(path, "referrals")
    assert p.row == 3 and p.message == "a cell on this row is longer than 131,072 characters"
    with pytest.raises(InputError):
        lr.read_extract(path)


def test_validate_file_refuses_a_pipe_and_a_device_at_once(tmp_path):
    fifo = tmp_path / "extract.csv"
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    done = _cli("--file", str(fifo), "/dev/zero", timeout=60)
    # A path that is not a regular file is a bad argument: one line, exit 2, nothing read.
    assert done.returncode == 2
    assert f"{fifo}: this is a named pipe (FIFO), not a file" in done.stdout + done.stderr


def test_validate_and_the_early_help_reader_refuse_an_implausible_monthly_count_in_the_same_words(tmp_path):
    path = tmp_path / "monthly.csv"
    path.write_text("month,requests\n2024-04,612\n2024-05,5000000000\n2024-06,640\n", encoding="utf-8")
    problems = [p for p in validation.check_file(path) if p.level == "error"]
    assert [(p.row, p.column, p.message) for p in problems] == [
        (3, "requests", "implausibly large count for one month")
    ]
    with pytest.raises(InputError) as e:
        ehd.load(path)
    assert e.value.row == 3 and e.value.column == "requests" and "implausibly large count for one month" in str(e.value)


def test_validate_file_names_the_column_a_damaged_published_file_lacks(tmp_path):
    src = Path(__file__).parents[1] / "fixtures" / "published" / "cla_number_and_rate_per_10k_children_2018_to_2022.csv"
    df = pd.read_csv(src, dtype=str, keep_default_na=False).drop(columns=["rate_per_10000"])
    path = tmp_path / src.name
    df.to_csv(path, index=False)
    problems = validation.check_file(path)
    assert [(p.row, p.column) for p in problems] == [(1, "rate_per_10000")]
    assert (
        "looks like the EES children looked after file (2022 layout) but lacks column 'rate_per_10000'"
        in problems[0].message
    )


# --------------------------------------------------------------------------- the corpus, through both

#: Each local table's readers: of a CSV file (what render reads a csv source with), and of a table
#: already read as text (a query, a workbook, Annex A).
FILE_READERS = {"referrals": lr.read_extract, "early_help_requests": ehd.load, "looked_after": lla.read_extract}
FRAME_READERS = {"referrals": lr.from_frame, "early_help_requests": ehd.from_frame, "looked_after": lla.from_frame}


def _first_error(problems: list[validation.Problem]) -> tuple | None:
    first = next((p for p in problems if p.level == validation.ERROR), None)
    return None if first is None else (first.row, first.column, first.message)


def _verdict(read, *args) -> tuple | None:
    try:
        read(*args)
    except InputError as exc:
        return (exc.row, exc.column, exc.message)
    return None


@pytest.mark.parametrize("table", sorted(FILE_READERS))
@pytest.mark.parametrize("name", CORPUS)
def test_every_corpus_file_gets_the_same_first_problem_from_the_reader_and_from_validate(name, table):
    """The reader raises the first error validate lists for the file as that table (row, column,
    words), or both pass; and validate --file, judging the table by the header, says the same when
    it takes the file for this table."""
    path = BAD / name
    verdict = _verdict(FILE_READERS[table], path)
    assert verdict == _first_error(validation.check_file(path, table))
    file = csvfile.scan(path, Report(path))  # None: a problem of the file itself, whatever the table
    detected = validation.detect_table(file.header) if file is not None else None
    if file is None or (detected in schema.tables() and schema.table(detected).table == table):
        assert verdict == _first_error(validation.check_file(path))


def _as_text(name: str) -> pd.DataFrame | None:
    try:
        return schema.read_text(BAD / name)
    except InputError:
        return None  # the file's own problem: compared in the test above


TEXT_CORPUS = [name for name in CORPUS if _as_text(name) is not None]


@pytest.mark.parametrize("table", sorted(FRAME_READERS))
@pytest.mark.parametrize("name", TEXT_CORPUS)
def test_every_corpus_table_read_as_text_gets_the_same_first_problem_from_the_reader_and_from_validate(name, table):
    """The same, for a table that arrives as text (from a query or a workbook): from_frame and
    check_frame, on every corpus file that reads as a table."""
    df = _as_text(name)
    assert _verdict(FRAME_READERS[table], df, "src") == _first_error(validation.check_frame(df, table, "src"))


def test_the_text_route_covers_most_of_the_corpus():
    assert len(TEXT_CORPUS) == 20 and {"blank_line.csv", "header_only.csv", "not_early_help.csv"} <= set(TEXT_CORPUS)


def test_the_corpus_holds_the_cases_that_once_disagreed():
    """An early help request dated 2099 passed the reader and failed validate; after a blank line
    the reader counted rows one short. Both now give the same verdict."""
    assert _verdict(ehd.load, BAD / "early_help_future.csv") == (3, "date_received", "date in the future")
    assert _verdict(lr.read_extract, BAD / "blank_line.csv") == (5, "source", "unknown source code")
    assert _verdict(lla.read_extract, BAD / "ceased_in_future.csv") == (2, "ceased", "date in the future")
