"""Property tests: generated tables thrown at the loaders, the validator and the measures.

Nothing may crash without a clear error: the validator always returns a list of problems, the
readers return a DataFrame or raise InputError, and the measures give a result or an InputError.
Inputs that hit a known bug in a reader are set aside with ``assume`` here and pinned, each by a
minimal example, in the strict xfail tests at the end (they start passing, and so fail, once fixed).
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csdemand.core.errors import InputError
from csdemand.local import early_help as early_help_data
from csdemand.local import referrals as local_referrals
from csdemand.methods import benchmarks, spc, trends
from csdemand.published import sources
from csdemand.validation import checks as validation

# database=None: no .hypothesis folder in the checkout; failures print their example instead.
SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = "2026-06-15"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """One file, rewritten by each example (module scope: hypothesis reuses it safely)."""
    return tmp_path_factory.mktemp("properties") / "input.csv"


# --------------------------------------------------------------------------- strategies

TRICKY = [
    "",
    " ",
    '"',
    "a,b",
    "\r",
    "\n",
    "nan",
    "NA",
    "null",
    "-1",
    "1.5",
    "1,000",
    "1e3",
    "12",
    "0",
    "2020-01-01",
    "2020-02-30",
    "2020-13-01",
    "2099-01-01",
    "1999-12-31",
    "2020-01",
    "2020-13",
    "Police",
    "Y",
    "N",
    "North",
    "Housing",
    "Support offered",
    "Not recorded",
    "c",
    "x",
    "z",
    ":",
]
cells = st.one_of(st.text(max_size=12), st.sampled_from(TRICKY))
KNOWN_HEADERS = [
    local_referrals.COLUMNS,
    early_help_data.COLUMNS,
    early_help_data.MONTHLY_COLUMNS,
    ["month", "hub", "reason", "requests"],
]
HEADER_WORDS = sorted(
    {c for h in KNOWN_HEADERS for c in h} | {"x", "", "measure", "value", "status", "la_number", "period"}
)


def _render(header: list[str], rows: list[list[str]], newline: str = "\n") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


@st.composite
def csv_tables(draw) -> bytes:
    """A CSV with a known or random header (maybe shuffled) and rows of tricky or random cells,
    rows sometimes shorter or longer than the header."""
    header = list(draw(st.one_of(st.sampled_from(KNOWN_HEADERS), st.lists(st.sampled_from(HEADER_WORDS), max_size=7))))
    header = draw(st.permutations(header)) if header and draw(st.booleans()) else header
    width = len(header)
    rows = draw(st.lists(st.lists(cells, min_size=max(0, width - 1), max_size=width + 1), max_size=8))
    return _render(header, rows, draw(st.sampled_from(["\n", "\r\n"])))


any_file = st.one_of(
    csv_tables(),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8")),
    st.text(alphabet=st.characters(codec="cp1252"), max_size=200).map(lambda s: s.encode("cp1252")),
)


def _value(col: str, draw) -> str:
    if col in ("referral_id", "request_id"):
        return f"I{draw(st.integers(0, 30))}"
    if col in ("child_id", "family_id"):
        return f"P{draw(st.integers(0, 5))}"
    if col in ("referral_date", "date_received"):
        return f"20{draw(st.integers(18, 20))}-{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}"
    if col == "month":
        return f"2020-{draw(st.integers(1, 12)):02d}"
    if col == "requests":
        return str(draw(st.integers(0, 2000)))
    pool = {
        "source": local_referrals.SOURCES,
        "domestic_abuse": tuple(local_referrals.DA_CODES),
        "outcome": local_referrals.OUTCOMES + early_help_data.OUTCOMES,
        "hub": early_help_data.HUBS,
        "reason": early_help_data.REASONS,
    }[col]
    return draw(st.sampled_from(pool))


@st.composite
def nearly_valid(draw, header: list[str]) -> bytes:
    """A plausible extract in ``header``'s layout with up to two cells spoilt."""
    n = draw(st.integers(1, 12))
    rows = [[_value(c, draw) for c in header] for _ in range(n)]
    for _ in range(draw(st.integers(0, 2))):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, len(header) - 1))] = draw(cells)
    return _render(header, rows)


def monthly_series(min_size: int = 1) -> st.SearchStrategy[pd.Series]:
    """Non-negative monthly counts, 1 to 60 months, starting in any month 1995-2030."""
    return st.builds(
        lambda values, year, month: pd.Series(
            np.asarray(values, dtype=float), index=pd.period_range(f"{year}-{month:02d}", periods=len(values), freq="M")
        ),
        st.lists(st.integers(0, 10**9), min_size=min_size, max_size=60),
        st.integers(1995, 2030),
        st.integers(1, 12),
    )


# --------------------------------------------------------------------------- known reader bugs, set aside


def _undecodable(data: bytes) -> bool:
    """Bytes that sources.read_text_table fails to decode with a UnicodeDecodeError (see the xfail below)."""
    if not data.strip() or b"\x00" in data[:4096]:
        return False
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return True
    return False


def _pandas_finds_no_columns(data: bytes) -> bool:
    """Text on which pandas raises EmptyDataError, which read_text_table does not catch."""
    if not data.strip() or b"\x00" in data[:4096] or _undecodable(data):
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    try:
        pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return True
    except Exception:
        return False
    return False


def _known_bug(data: bytes) -> bool:
    return _undecodable(data) or _pandas_finds_no_columns(data) or b"0000-" in data


# --------------------------------------------------------------------------- the validator


@SETTINGS
@given(data=any_file)
def test_check_file_always_returns_problems_never_raises(scratch, data):
    scratch.write_bytes(data)
    problems = validation.check_file(scratch, today=TODAY)
    assert isinstance(problems, list) and all(isinstance(p, validation.Problem) for p in problems)
    assert len(problems) <= validation.LIMIT + 1
    assert not any("stopped unexpectedly" in p.message for p in problems), problems
    for p in problems:
        assert str(p).startswith(str(scratch))  # every line names the file
    if data.strip() == b"":
        assert [p.message for p in problems] == ["the file is empty"]


@SETTINGS
@given(
    table=st.sampled_from(["referrals", "early_help_requests", "early_help_monthly", "cla", "looked_after"]),
    columns=st.lists(
        st.sampled_from(HEADER_WORDS + ["area_code", "geographic_level", "computed", "release"]), max_size=8
    ),
    rows=st.integers(0, 6),
    data=st.data(),
)
def test_check_frame_never_raises(table, columns, rows, data):
    frame = pd.DataFrame(
        {
            i: data.draw(st.lists(st.one_of(cells, st.none(), st.floats()), min_size=rows, max_size=rows))
            for i in range(len(columns))
        }
    )
    frame.columns = columns if columns else frame.columns
    problems = validation.check_frame(frame, table, "generated", today=TODAY)
    assert isinstance(problems, list)
    assert not any("stopped unexpectedly" in p.message for p in problems), problems


@SETTINGS
@given(
    data=st.sampled_from(
        [local_referrals.COLUMNS, early_help_data.COLUMNS, ["month", "requests"], ["month", "hub", "requests"]]
    ).flatmap(nearly_valid)
)
def test_validator_finds_an_error_whenever_a_reader_rejects(scratch, data):
    """The validator is at least as strict as the readers: a file it passes (warnings aside) reads."""
    scratch.write_bytes(data)
    errors = [p for p in validation.check_file(scratch, today=TODAY) if p.level == validation.ERROR]
    reader = local_referrals.read_extract if data.startswith(b"referral_id") else early_help_data.load
    try:
        reader(scratch)
    except InputError as exc:
        assert errors, f"the reader rejects the file ({exc}) but the validator finds nothing"


# --------------------------------------------------------------------------- the readers


@SETTINGS
@given(data=any_file)
def test_readers_return_a_frame_or_raise_input_error(scratch, data):
    scratch.write_bytes(data)
    for reader in (local_referrals.read_extract, early_help_data.load):
        try:
            out = reader(scratch)
        except InputError as exc:
            assert exc.describe()
        else:
            assert isinstance(out, pd.DataFrame)


@SETTINGS
@given(raw=st.one_of(st.text(max_size=20), st.sampled_from(TRICKY + ["1,234.5", " 7 ", "LOW", "..", "u", "k"])))
def test_parse_cell_gives_a_number_or_input_error(raw):
    try:
        value, status = sources.parse_cell(raw, file=Path("published.csv"), row=2, column="number")
    except InputError as exc:
        assert (exc.row, exc.column) == (2, "number") and exc.expected
    else:
        assert isinstance(value, float) and isinstance(status, str)
        assert status == "" or (math.isnan(value) and status in validation.STATUSES)


# --------------------------------------------------------------------------- the measures


@SETTINGS
@given(series=monthly_series(), phases=st.lists(st.integers(-2, 62), max_size=2))
def test_xmr_never_crashes_and_limits_are_finite_or_missing(series, phases):
    try:
        result = spc.xmr(series, phases=phases or None)
    except InputError:
        return
    table = result.table
    assert len(table) == len(series)
    for col in ("centre", "lower", "upper"):
        values = table[col].to_numpy(dtype=float)
        assert not np.isinf(values).any(), col
    ok = table["upper"].notna()
    assert (table.loc[ok, "lower"] <= table.loc[ok, "centre"]).all() and (
        table.loc[ok, "centre"] <= table.loc[ok, "upper"]
    ).all()
    assert set(table["side"]) <= {"high", "low", ""}
    assert all(isinstance(line, str) for line in spc.describe(result, "requests"))


@SETTINGS
@given(
    series=monthly_series(),
    change=st.integers(-3, 64),
    end=st.one_of(st.none(), st.integers(-3, 64)),
    months=st.integers(-1, 7),
)
def test_before_after_gives_a_result_or_input_error(series, change, end, months):
    start = series.index[0]
    try:
        ba = trends.before_after(series, start + change, None if end is None else start + end, months)
    except InputError as exc:
        assert exc.describe()
        return
    assert ba.before_end < ba.change_month <= ba.after_start <= ba.after_end
    assert math.isfinite(ba.before_mean) and math.isfinite(ba.after_mean)
    assert math.isnan(ba.pct_change) == (ba.before_mean == 0)
    assert isinstance(trends.describe_before_after(ba), str)


values_by_la = st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)), min_size=1, max_size=40).filter(
    lambda v: not all(np.isnan(v))
)


@SETTINGS
@given(values=values_by_la, value=st.one_of(st.floats(-2e6, 2e6), st.just(np.nan)), la=st.integers(0, 45))
def test_quartile_band_and_rank(values, value, la):
    s = pd.Series(values, index=range(len(values)), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        band = benchmarks.quartile_band(s, value)
    assert band.band in ("A", "B", "C", "D", "")
    assert (band.band == "") == bool(np.isnan(value))
    assert band.n_las == int(s.notna().sum())
    rank, n = benchmarks.rank_ascending(s, la)
    assert n == int(s.notna().sum())
    assert (rank == 0) == (la not in s.dropna().index)
    assert 0 <= rank <= n


# --------------------------------------------------------------------------- known bugs these properties found

MONTHLY_HEADER = "month,requests\n"


def _write(scratch: Path, data: bytes) -> Path:
    scratch.write_bytes(data)
    return scratch


def test_fixed_bug_undecodable_bytes_escape_as_unicode_error(scratch):
    with pytest.raises(InputError):
        local_referrals.read_extract(_write(scratch, b"referral_id\n\x81\n"))


def test_fixed_bug_a_file_of_only_a_bom_escapes_as_empty_data_error(scratch):
    with pytest.raises(InputError):
        early_help_data.load(_write(scratch, b"\xef\xbb\xbf\n"))


def test_fixed_bug_month_of_year_zero_escapes_as_value_error(scratch):
    with pytest.raises(InputError):
        early_help_data.load(_write(scratch, (MONTHLY_HEADER + "0000-01,1\n").encode()))


def test_fixed_bug_a_huge_count_is_read_as_garbage(scratch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = early_help_data.load(_write(scratch, (MONTHLY_HEADER + "2020-01,99999999999999999999999\n").encode()))
        except InputError:
            return
    assert df["requests"].iloc[0] > 0


def test_fixed_bug_parse_cell_reads_nan_as_a_number():
    for text in ("NaN", "inf", "1_000", "1,2,3", "\u0661\u0662"):
        with pytest.raises(InputError):
            sources.parse_cell(text, file=Path("published.csv"), row=2, column="number")
    assert sources.parse_cell("1,302", file=Path("p.csv"), row=2, column="n") == (1302.0, "")


def test_fixed_bug_quartile_band_of_no_values():
    band = benchmarks.quartile_band(pd.Series([np.nan, np.nan]), 5.0)
    assert band.band == ""
