"""Reading text files: regular files only, bounded width, size and cell length, lines as StringIO.

Hostile paths and files go through ``python -m csdemand validate --file`` (and the readers) in a
child process with a timeout: a regression that blocks on a FIFO or reads /dev/zero for ever
then fails here instead of hanging the test run.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csdemand.core import text
from csdemand.core.errors import InputError
from csdemand.validation import checks

SAMPLE = Path(__file__).parents[2] / "data" / "sample" / "local" / "referrals_352-manchester_synthetic.csv"
REFERRALS_HEADER = "referral_id,child_id,referral_date,source,domestic_abuse,outcome"


def _validate(*paths: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "validate", "--file", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _sample_rows(n: int) -> list[str]:
    """The header and the first ``n`` data rows of the shipped synthetic referrals extract."""
    return SAMPLE.read_text(encoding="utf-8").splitlines()[: n + 1]


# --------------------------------------------------------------------------- regular files only


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "referrals.csv"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path):
    path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    yield path
    sock.close()


@pytest.mark.parametrize(
    "which, words",
    [
        ("fifo", "a named pipe (FIFO)"),
        ("/dev/zero", "a character device (such as /dev/zero)"),
        ("folder", "a folder"),
        ("unix_socket", "a socket"),
    ],
)
def test_validate_file_refuses_what_is_not_a_regular_file_in_one_line_with_exit_2(which, words, request, tmp_path):
    path = {"/dev/zero": Path("/dev/zero"), "folder": tmp_path}.get(which) or request.getfixturevalue(which)
    done = _validate(path, timeout=60)  # a FIFO would block, /dev/zero fill the memory: the timeout fails them
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: file {path}: this is {words}, not a file; expected the path of a CSV file\n"


def test_validate_file_checks_nothing_when_one_of_several_paths_is_a_fifo(fifo):
    done = _validate(SAMPLE, fifo, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr == f"error: file {fifo}: this is a named pipe (FIFO), not a file; expected the path of a CSV file\n"
    )


@pytest.mark.parametrize(
    "reader",
    [
        "csdemand.core.text.read_text_table",
        "csdemand.local.referrals.read_extract",
        "csdemand.validation.checks.check_file",
    ],
)
def test_readers_refuse_a_fifo_without_waiting_for_a_writer(fifo, reader):
    module, name = reader.rsplit(".", 1)
    code = f"import {module} as m\nprint(m.{name}({str(fifo)!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    message = f"file {fifo}: this is a named pipe (FIFO), not a file; expected the path of a CSV file"
    if name == "check_file":  # the validator reports, never raises
        assert done.returncode == 0 and "this is a named pipe (FIFO), not a file" in done.stdout
    else:
        assert done.returncode == 1 and done.stderr.strip().endswith(f"InputError: {message}")


def test_regular_file_names_what_a_path_is():
    with pytest.raises(InputError, match=r"this is a character device \(such as /dev/zero\), not a file"):
        text.regular_file("/dev/null")
    with pytest.raises(InputError, match="no such file"):
        text.regular_file("/no/such/file.csv")
    assert text.regular_file(SAMPLE).st_size == SAMPLE.stat().st_size


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("\n".join(_sample_rows(40)) + "\n")  # 2,277 bytes
    with pytest.raises(InputError) as err:
        text.read_bytes(path, limit=2_000)
    assert (
        err.value.message
        == "the file is 2,277 bytes, more than the 2,000 bytes this tool reads (is it the right file?)"
    )
    monkeypatch.setattr(text, "MAX_FILE_BYTES", 2_000)
    with pytest.raises(InputError, match="more than the 2,000 bytes"):
        text.read_text_table(path)
    (problem,) = checks.check_file(path)
    assert (
        problem.message == "the file is 2,277 bytes, more than the 2,000 bytes this tool reads (is it the right file?)"
    )


def test_sizes_read_as_people_say_them():
    assert [text._size(n) for n in (999, 1_500_000, 300_000_000, 12_345_678)] == [
        "999 bytes",
        "1.5 MB",
        "300 MB",
        "12 MB",
    ]


# --------------------------------------------------------------------------- wide files, long cells, unclosed quotes


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    """The sample's header and 200 rows, each followed by 100,000 empty fields (once: 173 s to check)."""
    path = tmp_path / "wide.csv"
    path.write_text("".join(row + "," * 100_000 + "\n" for row in _sample_rows(200)), encoding="utf-8")
    return path


def test_header_of_100000_columns_is_refused_naming_the_limit(wide):
    with pytest.raises(InputError) as err:
        text.read_text_table(wide)
    e = err.value
    assert e.message == "the header has 100,006 columns (6 of them named), more than the limit of 1,000"
    assert e.row == 1 and e.expected.startswith("at most 1,000 columns")
    done = _validate(wide, timeout=120)
    assert done.returncode == 1
    assert (
        f"{wide}, row 1: the header has 100,006 columns (6 of them named), more than the limit of 1,000; found "
        "'100,006 columns'" in done.stdout
    )
    assert done.stdout.strip().splitlines()[-1] == "1 source checked, 1 problem in 1 source"


def test_a_header_of_1000_columns_is_read(tmp_path):
    path = tmp_path / "wide_ok.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000)) + "\n" + ",".join("1" * 1_000) + "\n")
    assert text.read_text_table(path).shape == (1, 1_000)


@pytest.fixture
def long_cell(tmp_path: Path) -> Path:
    """Row 4 (the third referral) has a 2,000,000-character outcome and no quote anywhere."""
    rows = _sample_rows(5)
    cells = rows[3].split(",")
    cells[-1] = "x" * 2_000_000
    rows[3] = ",".join(cells)
    path = tmp_path / "long_cell.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_2mb_cell_is_reported_as_a_long_cell_on_its_own_row(long_cell):
    with pytest.raises(InputError) as err:
        text.read_text_table(long_cell)
    e = err.value
    assert (e.row, e.message) == (4, "a cell on this row is longer than 131,072 characters")
    assert e.value == "R0000003,C286520,2017-04-01,Police,Y,xxx"
    (p,) = checks.check_file(long_cell)
    assert (p.row, p.message, p.value) == (
        4,
        "a cell on this row is longer than 131,072 characters",
        "R0000003,C286520,2017-04-01,Police,Y,xxx",
    )
    done = _validate(long_cell)
    assert (
        done.returncode == 1
        and f"{long_cell}, row 4: a cell on this row is longer than 131,072 characters" in done.stdout
    )


@pytest.mark.parametrize("rows", [40, 3_000])  # a short tail, and one longer than the csv module's cell limit
def test_an_unclosed_quote_is_reported_on_the_row_where_it_opens(tmp_path, rows):
    lines = _sample_rows(rows)
    cells = lines[5].split(",")
    cells[3] = '"' + cells[3]  # row 6: the source opens a quote that never closes
    lines[5] = ",".join(cells)
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = checks.check_file(path)
    assert [(p.row, p.message, p.value) for p in problems] == [
        (
            6,
            "a quoted field opens on this row and never closes: the file is truncated, or a quote is missing",
            'R0000005,C737736,2017-04-01,"Other,N,Ass',
        )
    ]


# --------------------------------------------------------------------------- text as published


@pytest.mark.parametrize(
    "raw, encoding",
    [
        (b"a,b\n1,2\n", "utf-8-sig"),
        ("a,b\n1,\u00e9\n".encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbfa\n", "utf-8-sig"),
        ("a\n\u2013\n".encode("cp1252"), "cp1252"),
    ],
)
def test_text_encoding_is_utf8_else_windows_1252(raw, encoding):
    assert text.text_encoding(raw, Path("f.csv")) == encoding
    assert text.decode_text(raw, Path("f.csv")) == raw.decode(encoding)


def test_bytes_neither_utf8_nor_windows_1252_are_named_with_their_position():
    with pytest.raises(InputError, match=r"not text in UTF-8 or Windows-1252 \(byte 0x81 at position 4\)"):
        text.text_encoding(b"a,b\n\x81\xe9\n", Path("f.csv"))


TRICKY_TEXTS = [
    "",
    "a",
    "a\n",
    "a\r\nb",
    "a\rb\r",
    "\n\n",
    'a,"b\rc"\r\n',
    "\r\n\r",
    "x\u2028y\x85z\n",
    "a\x0bb\x0cc\n",
]


@pytest.mark.parametrize("value", TRICKY_TEXTS)
def test_text_lines_split_as_stringio_does(value):
    assert list(text.TextLines(value)) == io.StringIO(value, newline="").readlines()


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list('ab,"\r\n \u2028\x85')), max_size=40))
def test_text_lines_split_any_text_as_stringio_does(value):
    lines = text.TextLines(value)
    got = []
    for line in lines:
        got.append(line)
        assert value[: lines.pos].endswith(line)
    assert got == io.StringIO(value, newline="").readlines()


def test_read_text_table_keeps_bom_crlf_and_repeated_names(tmp_path):
    path = tmp_path / "sn.csv"
    path.write_bytes(b"\xef\xbb\xbfLA num,SNP,SNP\r\n352,Very close,Close\r\n")
    df = text.read_text_table(path)
    assert list(df.columns) == ["LA num", "SNP", "SNP.1"] and df.iloc[0].tolist() == ["352", "Very close", "Close"]
