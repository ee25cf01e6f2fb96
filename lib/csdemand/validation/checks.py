"""Check a data source and report every problem in it, not just the first.

The readers (:func:`csdemand.local.referrals.read_extract`, :func:`csdemand.local.early_help.load`,
the published-file readers in :mod:`csdemand.published.sources`) stop at the first bad cell with an
:class:`~csdemand.core.errors.InputError`: right for a briefing, slow for an analyst fixing an extract.
This module checks a whole file or table and returns a list of :class:`Problem`, one per bad
cell, row or file, each naming the source, the row as a spreadsheet shows it (header = row 1),
the column, what was found and what was expected. It never raises on bad data.

Tables it knows (:data:`SCHEMAS`; the code lists are the readers' own constants):

=========================  =================================================================
``referrals``              a council's referrals extract, one row per referral
``early_help_requests``    early help requests, one row per request
``early_help_monthly``     early help requests counted by month (``month``, ``requests``,
                           optional ``hub``, ``reason``)
``looked_after``           children looked after, one row per period of care
``tidy``                   the tidy tables in ``data/sample`` (``cla``, ``cin``, ``population``)
=========================  =================================================================

Checks: required columns; dates ``YYYY-MM-DD`` from 2000-01-01 to today; months ``YYYY-MM``;
counts whole numbers 0 or more; known codes; ids present; no repeated id (or month, or month and
breakdown); months without gaps (an error in a monthly table, a warning in a record-level extract
where a month of its span has no records at all); for tidy tables numeric values, known status
markers, known LA numbers and measures, whole-number periods. Files are also checked for being
empty, binary or in the wrong encoding, not CSV, or cut short. A warning (``level="warning"``)
is worth a look but the readers accept it: a month without records, the same child referred
twice on one day. A note (``level="info"``) is not a problem: it says which fields a source does
not record (``Not recorded`` on every row, as Annex A gives domestic abuse, hub, reason and
outcome), which the briefings then leave out.

Validate and render agree: the date bounds and the "no rows" rule are the readers' own
(:data:`csdemand.local.referrals.EARLIEST`, ``NO_ROWS``), and for a configured source that
passes these checks the reader that ``render`` uses is run as well, its first error reported.

What a report quotes: a value is cut to :data:`QUOTE_CHARS` characters. For a configured source
nothing of a file is quoted until its header is recognised as the table's layout (at least half
of the layout's columns): a config path that points at some other readable file (a key, a
password file) gets one line saying the header is not the layout's, and none of its lines is
echoed into a log. ``--file``, a path the analyst types, still quotes an unrecognised header.

Public API: :class:`Problem`, :func:`check_frame`, :func:`check_file`, :func:`validate_all`,
:func:`count`, :func:`detect_table`, :data:`SCHEMAS`; ``python -m csdemand validate`` prints them.

Reports are capped at :data:`LIMIT` problems per source, the last line saying how many more.
"""

from __future__ import annotations

import csv
import io
import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, paths, tidy
from csdemand.core import text as text_io
from csdemand.core.errors import InputError
from csdemand.core.text import TextLines
from csdemand.local import early_help as early_help_data
from csdemand.local import referrals as local_referrals

#: Problems listed per source; the rest are counted in a final "... and N more" line.
LIMIT = 200
#: Earliest date (and month) a local extract may hold: the readers' bound.
EARLIEST = local_referrals.EARLIEST
#: The longest value a problem quotes (the rest is cut, with an ellipsis).
QUOTE_CHARS = 60
#: Fields a source may not hold, marked ``Not recorded`` on every row (reported as a note).
MAYBE_NOT_RECORDED: tuple[str, ...] = ("domestic_abuse", "hub", "reason", "outcome")
NOT_RECORDED = local_referrals.NOT_RECORDED
#: Status letters a tidy table may carry (see :mod:`csdemand.core.tidy`).
STATUSES: tuple[str, ...] = tuple(sorted({tidy.canonical_status(m) for m in tidy.MARKERS}))
#: The published tidy tables validated by :func:`validate_all`.
TIDY_TABLES: tuple[str, ...] = ("cla", "cin", "population")

ERROR = "error"
WARNING = "warning"
INFO = "info"  # a note, not a problem: what the source does not record
MORE = "more"  # the closing "... and N more" line of a capped report


# --------------------------------------------------------------------------- problems


@dataclass
class Problem:
    """One problem in a source. ``row`` counts as a spreadsheet does (header = row 1); ``None``
    for a problem with the whole file or column. ``level`` is ``"error"``, ``"warning"`` (worth a
    look, the readers accept it) or ``"more"`` for the closing line of a capped report, whose
    ``count`` says how many problems it stands for."""

    source: str
    row: int | None
    column: str | None
    value: object
    expected: str
    message: str
    level: str = ERROR
    count: int = 1

    def __str__(self) -> str:
        if self.level == MORE:
            return f"{self.source}: {self.message}"
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + ": " + {WARNING: "warning: ", INFO: "note: "}.get(self.level, "") + self.message
        if self.value is not None:
            text += f"; found {self.value!r}"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


def count(problems: Iterable[Problem]) -> int:
    """How many problems a report holds, counting those a capped report only summarises (notes,
    ``level="info"``, are not problems)."""
    return sum(p.count for p in problems if p.level != INFO)


def _short(value: object) -> object:
    """A value as a problem quotes it: text or bytes longer than :data:`QUOTE_CHARS` cut, with an ellipsis."""
    if isinstance(value, str) and len(value) > QUOTE_CHARS:
        return value[:QUOTE_CHARS] + "\u2026"
    if isinstance(value, (bytes, bytearray)) and len(value) > QUOTE_CHARS:
        return bytes(value[:QUOTE_CHARS]) + b"..."
    return value


class _Report:
    """Collects problems for one source; materialises at most :data:`LIMIT` per check."""

    def __init__(self, source: str, rows: np.ndarray | None = None, quote: bool = True) -> None:
        self.source = source
        self.rows = rows  # spreadsheet row number of each frame position
        self.items: list[Problem] = []
        self.total = 0
        self.quote = quote  # False: quote nothing of the source (not yet known to be the layout)

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: str = "",
        level: str = ERROR,
    ) -> None:
        self.total += 1
        self.items.append(
            Problem(self.source, row, column, _short(value) if self.quote else None, expected, message, level)
        )

    def mask(
        self,
        bad: pd.Series | np.ndarray,
        column: str | None,
        values: pd.Series | None,
        message: str | Callable[[int], str],
        expected: str,
        level: str = ERROR,
    ) -> None:
        """One problem per True in ``bad`` (positions in the frame); ``message`` may be a function
        of the position. Only the first :data:`LIMIT` are built: the rest are counted."""
        bad = np.asarray(bad, dtype=bool)
        n = int(bad.sum())
        if not n:
            return
        self.total += n
        for pos in np.flatnonzero(bad)[:LIMIT]:
            text = message(int(pos)) if callable(message) else message
            value = None if values is None or not self.quote else _short(values.iloc[pos])
            self.items.append(Problem(self.source, int(self.rows[pos]), column, value, expected, text, level))

    def finish(self) -> list[Problem]:
        items = sorted(self.items, key=lambda p: p.row if p.row is not None else 0)[:LIMIT]
        more = self.total - len(items)
        if more > 0:
            items.append(
                Problem(
                    self.source,
                    None,
                    None,
                    None,
                    "",
                    f"... and {more:,} more problem{'s' if more != 1 else ''} (only the first {LIMIT} are listed)",
                    MORE,
                    more,
                )
            )
        return items


# --------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class Schema:
    """What one kind of table must hold. ``layout`` picks the checks: ``record``, ``monthly`` or ``tidy``."""

    name: str
    label: str
    layout: str
    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()  # must not be empty
    unique: tuple[str, ...] = ()  # must not repeat (present columns of it, for a monthly table)
    date: str | None = None
    month: str | None = None
    counts: tuple[str, ...] = ()
    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    same_day: tuple[str, str] | None = None  # (person, date): a repeat is a warning
    end_date: str | None = None  # a date that may be empty, on or after ``date`` when given
    gap_warning: bool = True  # warn about a month of the span without records
    signature: tuple[str, ...] = ()  # any of these in a header says "this table"
    recorded_throughout: tuple[str, ...] = ()  # "Not recorded" on every row or on none


def _with_not_recorded(codes: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Each code list with the placeholder for a field the source does not hold."""
    return {c: tuple(dict.fromkeys((*allowed, NOT_RECORDED))) for c, allowed in codes.items()}


SCHEMAS: dict[str, Schema] = {
    "referrals": Schema(
        name="referrals",
        label="referrals extract (one row per referral)",
        layout="record",
        columns=tuple(local_referrals.COLUMNS),
        ids=("referral_id", "child_id"),
        unique=("referral_id",),
        date="referral_date",
        codes={
            "source": local_referrals.SOURCES,
            "domestic_abuse": local_referrals.DA_ACCEPTED,
            "outcome": local_referrals.OUTCOMES,
        },
        recorded_throughout=("domestic_abuse",),
        same_day=("child_id", "referral_date"),
        signature=("referral_id", "referral_date"),
    ),
    "early_help_requests": Schema(
        name="early_help_requests",
        label="early help requests extract (one row per request)",
        layout="record",
        columns=tuple(early_help_data.COLUMNS),
        ids=("request_id", "family_id"),
        unique=("request_id",),
        date="date_received",
        # What the reader takes, and "Not recorded" in every coded column: Annex A List 2 has no
        # hub, reason or outcome (the early help reader is to accept it too: the readers are run
        # after these checks, so until it does a List 2 source is refused by both, in its words).
        codes=_with_not_recorded(getattr(early_help_data, "ACCEPTED", early_help_data.CODES)),
        signature=("request_id", "date_received"),
    ),
    "early_help_monthly": Schema(
        name="early_help_monthly",
        label="early help requests counted by month",
        layout="monthly",
        columns=tuple(early_help_data.MONTHLY_COLUMNS),
        optional=tuple(early_help_data.BREAKDOWNS),
        unique=("month",) + tuple(early_help_data.BREAKDOWNS),
        month="month",
        counts=("requests",),
        codes={
            c: _with_not_recorded(getattr(early_help_data, "ACCEPTED", early_help_data.CODES))[c]
            for c in early_help_data.BREAKDOWNS
        },
        signature=("month",),
    ),
    "tidy": Schema(
        name="tidy",
        label="tidy table (data/sample cla, cin, population)",
        layout="tidy",
        columns=tuple(tidy.TIDY_COLUMNS),
        signature=("measure",),
    ),
}

#: Other names accepted for a schema (the tidy tables by file name).
try:  # the looked-after extract (one row per period of care), where the module is present
    from csdemand.local import looked_after as local_looked_after

    SCHEMAS["looked_after"] = Schema(
        name="looked_after",
        label="looked-after extract (one row per period of care)",
        layout="record",
        columns=tuple(local_looked_after.COLUMNS),
        ids=("child_id",),
        date="started",
        end_date="ceased",
        gap_warning=False,  # a month without a child starting care is no sign of missing data
        signature=("started", "ceased"),
    )
except ImportError:  # pragma: no cover
    pass

ALIASES: dict[str, str] = {t: "tidy" for t in TIDY_TABLES} | {
    "early_help": "early_help_requests",
    "requests": "early_help_requests",
}


def schema(table: str) -> Schema:
    """The schema of a table name (or alias); InputError naming the known tables otherwise."""
    name = ALIASES.get(table, table)
    if name not in SCHEMAS:
        raise InputError(
            f"unknown table {table!r}",
            column="table",
            value=table,
            expected="one of " + ", ".join(repr(t) for t in list(SCHEMAS) + list(ALIASES)),
        )
    return SCHEMAS[name]


def detect_table(columns: Iterable[str]) -> str | None:
    """The table a header belongs to (a :data:`SCHEMAS` key), or None when it matches none."""
    header = {str(c).strip() for c in columns}
    for name in ("referrals", "early_help_requests", "early_help_monthly", "looked_after"):
        if name in SCHEMAS and header & set(SCHEMAS[name].signature):
            return name
    if "requests" in header:
        return "early_help_monthly"
    if {"measure", "value"} & header and len(header & set(tidy.TIDY_COLUMNS)) >= 3:
        return "tidy"
    return None


def _pick(s: Schema, columns: Iterable[str]) -> Schema:
    """The early help source may come in either layout: a monthly header gets the monthly checks."""
    if s.name == "early_help_requests" and detect_table(columns) == "early_help_monthly":
        return SCHEMAS["early_help_monthly"]
    return s


def _one_of(allowed: Iterable[str]) -> str:
    return "one of " + ", ".join(repr(a) for a in allowed)


# --------------------------------------------------------------------------- frames


def check_frame(
    df: pd.DataFrame, table: str, source: str, *, today: date | str | None = None, quote: bool = True
) -> list[Problem]:
    """Every problem in a table of strings (as read from a CSV, all cells text).

    ``table`` is a :data:`SCHEMAS` key or alias (``cla``, ``cin``, ``population`` are ``tidy``);
    ``source`` names it in the report; rows are numbered from 2 (the header is row 1). ``today``
    (default: the real today) bounds dates. ``quote=False`` (a configured source): nothing of the
    table is quoted unless its header is the layout's (see the module notes). Never raises on bad data.
    """
    rep = _Report(str(source), quote=quote)
    try:
        s = schema(table)
    except InputError as exc:
        rep.add(exc.message, column="table", value=table, expected=exc.expected or "")
        return rep.finish()
    rep.rows = np.arange(len(df)) + 2
    try:
        _check(df, _pick(s, df.columns), rep, _today(today))
    except Exception as exc:  # never a traceback for bad data: say what broke instead
        rep.add(f"the check stopped unexpectedly ({type(exc).__name__}: {exc})", expected="a table this check can read")
    return rep.finish()


def _today(today: date | str | None) -> pd.Timestamp:
    return pd.Timestamp(date.today() if today is None else today).normalize()


def _as_strings(df: pd.DataFrame, rep: _Report) -> pd.DataFrame:
    """Cells as stripped strings (NaN -> ""), header names stripped, repeated names reported and dropped."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed; every column is replaced below
    out.columns = [str(c).strip() for c in out.columns]
    dup = pd.Index(out.columns).duplicated()
    for name in sorted(set(out.columns[dup])):
        rep.add("the column name appears more than once in the header", row=1, column=name, expected="each column once")
    out = out.loc[:, ~dup]
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_string_dtype(s.dtype) and not s.isna().any()):
            s = s.astype(object).where(s.notna(), "").astype(str)
        out[col] = s.astype(str).str.strip()
    return out


def looks_like(header: Iterable[str], s: Schema) -> bool:
    """Whether a header is recognisably the schema's layout: it holds at least half its columns."""
    found = {str(h).strip() for h in header} & set(s.columns)
    return len(found) * 2 >= len(s.columns)


def _check(df: pd.DataFrame, s: Schema, rep: _Report, today: pd.Timestamp) -> None:
    if not rep.quote:
        if not looks_like(df.columns, s):
            found = len({str(c).strip() for c in df.columns} & set(s.columns))
            rep.add(
                f"this is not a {s.label}: its header has {found} of the layout's {len(s.columns)} columns "
                "(nothing of it is quoted here: is the path in the config right?)",
                row=1,
                expected="a header with " + ", ".join(s.columns),
            )
            return
        rep.quote = True  # the layout's header: its cells may be quoted
    df = _as_strings(df, rep)
    missing = [c for c in s.columns if c not in df.columns]
    for c in missing:
        rep.add(
            f"missing column {c!r}: the {s.label} needs it",
            row=1,
            column=c,
            expected="a header with "
            + ", ".join(s.columns)
            + (" (optionally " + ", ".join(s.optional) + ")" if s.optional else ""),
        )
    if len(df) == 0:
        what = local_referrals.NO_ROWS if s.layout != "tidy" else "the table has no rows"
        rep.add(
            what,
            row=None,
            expected=local_referrals.NO_ROWS_EXPECTED
            if s.layout != "tidy"
            else "at least one row of data below the header",
        )
        return
    if s.layout == "record":
        _check_records(df, s, rep, today)
    elif s.layout == "monthly":
        _check_monthly(df, s, rep, today)
    else:
        _check_tidy(df, s, rep, today)
    for col in s.recorded_throughout:
        if col in df.columns:
            missing_here = (df[col] == NOT_RECORDED).to_numpy()
            if missing_here.any() and not missing_here.all():
                what = col.replace("_", " ")
                rep.mask(
                    missing_here != missing_here[0],
                    col,
                    df[col],
                    f"{what} is {NOT_RECORDED!r} on some rows and recorded on others",
                    f"{what} recorded on every row, or {NOT_RECORDED!r} on every row (a source that does not hold it)",
                )
    for col in MAYBE_NOT_RECORDED:
        if col in df.columns and col in s.codes and bool((df[col] == NOT_RECORDED).all()):
            rep.add(
                f"the source does not record {col.replace('_', ' ')} ({NOT_RECORDED!r} on every row): the briefings "
                "leave out what needs it",
                column=col,
                level=INFO,
            )


def _check_ids(df: pd.DataFrame, s: Schema, rep: _Report) -> None:
    for col in s.ids:
        if col in df.columns:
            rep.mask(df[col] == "", col, df[col], "empty id", "an id on every row")


def _check_codes(df: pd.DataFrame, s: Schema, rep: _Report) -> None:
    for col, allowed in s.codes.items():
        if col not in df.columns:
            continue
        values = df[col]
        empty = values == ""
        what = col.replace("_", " ")
        rep.mask(empty, col, values, f"missing {what} code", _one_of(allowed))
        rep.mask(~values.isin(allowed) & ~empty, col, values, f"unknown {what} code", _one_of(allowed))


def _key_codes(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows whose ``columns`` hold equal strings.

    Integers, not the joined strings: joining two columns of 3 million rows makes 3 million new
    strings (about 300 MB) where these codes take 24 MB.
    """
    codes, _ = pd.factorize(df[columns[0]].astype(str))
    codes = codes.astype(np.int64)
    for col in columns[1:]:
        more, uniques = pd.factorize(df[col].astype(str))
        codes, _ = pd.factorize(codes * (len(uniques) + 1) + more)  # stays below rows x uniques
        codes = codes.astype(np.int64)
    return codes


def _check_repeats(
    df: pd.DataFrame,
    rep: _Report,
    columns: list[str],
    among: np.ndarray,
    message: Callable[[int, int], str],
    expected: str,
    level: str = ERROR,
    column: str | None = None,
) -> None:
    """Flag rows (within ``among``) whose key repeats an earlier row's; the message gets (pos, first row)."""
    if not columns:
        return
    codes = _key_codes(df, columns)
    where = np.flatnonzero(among)
    repeat = pd.Series(codes[where]).duplicated(keep="first").to_numpy()
    if not repeat.any():
        return
    dup = np.zeros(len(df), dtype=bool)
    dup[where[repeat]] = True
    firsts = where[~repeat]
    first_row = pd.Series(rep.rows[firsts], index=codes[firsts])
    first_of = first_row.reindex(codes[dup]).to_numpy()
    lookup = dict(zip(np.flatnonzero(dup), first_of))
    col = column or columns[0]
    rep.mask(dup, col, df[col], lambda pos: message(pos, int(lookup[pos])), expected, level)


def _check_dates(df: pd.DataFrame, col: str, rep: _Report, today: pd.Timestamp) -> pd.Series:
    """Parse a date column, reporting empty, unparseable, future and pre-2000 dates; valid dates
    returned (NaT elsewhere)."""
    values = df[col]
    expected = "a date YYYY-MM-DD"
    dates = pd.to_datetime(values, format=local_referrals.DATE_FORMAT, errors="coerce")
    empty = (values == "").to_numpy()
    bad = dates.isna().to_numpy()
    rep.mask(empty, col, values, "missing date", expected)
    rep.mask(bad & ~empty, col, values, "not a date", expected)
    future = (dates > today).to_numpy()
    early = (dates < EARLIEST).to_numpy()
    rep.mask(future, col, values, "date in the future", f"a date no later than today ({today:%Y-%m-%d})")
    rep.mask(early, col, values, f"date before {EARLIEST:%Y-%m-%d}", f"a date from {EARLIEST:%Y-%m-%d} to today")
    return dates.where(~(future | early))


def _check_records(df: pd.DataFrame, s: Schema, rep: _Report, today: pd.Timestamp) -> None:
    _check_ids(df, s, rep)
    dates = _check_dates(df, s.date, rep, today) if s.date in df.columns else None
    _check_codes(df, s, rep)

    key = [c for c in s.unique if c in df.columns]
    if key:
        among = (df[key[0]] != "").to_numpy()
        _check_repeats(
            df,
            rep,
            key,
            among,
            lambda pos, first: f"{key[0]} repeats the one on row {first}",
            "each record once (ids unique)",
        )

    if s.same_day and dates is not None and s.same_day[0] in df.columns:
        person, day = s.same_day
        among = ((df[person] != "") & dates.notna()).to_numpy()
        _check_repeats(
            df,
            rep,
            [person, day],
            among,
            lambda pos, first: (
                f"{person} {df[person].iloc[pos]} has another record on the same day (row {first}): both count, and "
                "the later one counts as a re-referral"
            ),
            "one record per person per day, unless there really were two",
            WARNING,
            column=person,
        )

    if s.end_date and s.end_date in df.columns:
        values = df[s.end_date]
        given = (values != "").to_numpy()
        ends = pd.to_datetime(values, format=local_referrals.DATE_FORMAT, errors="coerce")
        rep.mask(given & ends.isna().to_numpy(), s.end_date, values, "not a date", "a date YYYY-MM-DD, or empty")
        rep.mask(
            (ends > today).to_numpy(),
            s.end_date,
            values,
            "date in the future",
            f"a date no later than today ({today:%Y-%m-%d})",
        )
        if dates is not None:
            rep.mask(
                (ends < dates).to_numpy(),
                s.end_date,
                values,
                f"{s.end_date} is before {s.date}",
                f"a date on or after {s.date!r}",
            )

    if s.gap_warning and dates is not None and dates.notna().any():
        months = dates.dropna().dt.to_period("M")
        span = pd.period_range(months.min(), months.max(), freq="M")
        for m in span.difference(pd.PeriodIndex(months.unique())):
            rep.add(
                f"no records at all in {m} (the extract runs {span[0]} to {span[-1]}): is a month missing?",
                column=s.date,
                value=str(m),
                expected="records in every month from the first to the last",
                level=WARNING,
            )


#: Counts and months as the readers accept them, but ASCII digits only (``re`` alone also takes
#: Arabic-Indic or full-width digits, which ``float`` then reads).
_COUNT_RE = re.compile(early_help_data._COUNT_RE.pattern, re.ASCII)
_MONTH_RE = re.compile(early_help_data._MONTH_RE.pattern, re.ASCII)
#: The largest monthly count the readers accept (the early help reader's bound: more than a
#: billion requests in a month is a data error, not demand), so validate and render agree.
MAX_COUNT = early_help_data.MAX_MONTHLY_REQUESTS


def _check_counts(df: pd.DataFrame, col: str, rep: _Report) -> None:
    values = df[col]
    expected = "a whole number, 0 or more"
    empty = (values == "").to_numpy()
    shaped = values.str.fullmatch(_COUNT_RE).fillna(False).to_numpy(dtype=bool)
    rep.mask(empty, col, values, "missing count", expected + " (0 if none)")
    rep.mask(~shaped & ~empty, col, values, "text in a count", expected)
    numbers = pd.to_numeric(values.where(shaped, "").str.replace(",", "", regex=False), errors="coerce").astype(
        "float64"
    )
    rep.mask((numbers < 0).to_numpy(), col, values, "negative count", expected)
    rep.mask(((numbers % 1) != 0).to_numpy() & numbers.notna().to_numpy(), col, values, "not a whole number", expected)
    rep.mask(
        (numbers > MAX_COUNT).to_numpy(),
        col,
        values,
        "implausibly large count for one month",
        f"a monthly count of at most {MAX_COUNT:,}",
    )


def _check_monthly(df: pd.DataFrame, s: Schema, rep: _Report, today: pd.Timestamp) -> None:
    months = None
    if s.month in df.columns:
        values = df[s.month]
        expected = "a month YYYY-MM, such as 2020-01"
        empty = (values == "").to_numpy()
        ok = values.str.fullmatch(_MONTH_RE).fillna(False).to_numpy(dtype=bool)
        rep.mask(empty, s.month, values, "missing month", expected)
        rep.mask(~ok & ~empty, s.month, values, "not a month", expected)
        # Months as integers (year x 12 + month - 1): no Period for year 0 or 9999 to trip over.
        shaped = values.where(ok, "0000-01")
        number = (
            shaped.str.slice(0, 4).astype("int64").to_numpy() * 12
            + shaped.str.slice(5, 7).astype("int64").to_numpy()
            - 1
        )
        now, first = today.to_period("M"), EARLIEST.to_period("M")
        future = ok & (number > now.year * 12 + now.month - 1)
        early = ok & (number < first.year * 12 + first.month - 1)
        rep.mask(future, s.month, values, "month in the future", f"a month no later than this one ({now})")
        rep.mask(early, s.month, values, f"month before {first}", f"a month from {first} to {now}")
        keep = ok & ~future & ~early
        months = pd.PeriodIndex(values[keep].to_numpy(), freq="M") if keep.any() else pd.PeriodIndex([], freq="M")
    for col in s.counts:
        if col in df.columns:
            _check_counts(df, col, rep)
    _check_codes(df, s, rep)

    key = [c for c in s.unique if c in df.columns]
    if s.month in key:
        among = (df[s.month] != "").to_numpy()
        what = key[0] if len(key) == 1 else ", ".join(key[:-1]) + " and " + key[-1]
        _check_repeats(
            df,
            rep,
            key,
            among,
            lambda pos, first: f"{what} repeat{'s' if len(key) == 1 else ''} the one on row {first}",
            "each month once" if len(key) == 1 else f"each {what} once",
        )
    if months is not None and len(months):
        span = pd.period_range(months.min(), months.max(), freq="M")
        for m in span.difference(pd.PeriodIndex(months.unique())):
            rep.add(
                f"month {m} is missing: months must run without gaps from {span[0]} to {span[-1]}",
                column=s.month,
                value=str(m),
                expected="a row for every month (0 requests if none)",
            )


# --------------------------------------------------------------------------- tidy tables


def _known_la_numbers() -> set[int] | None:
    """LA numbers in ``areas.csv`` (None when it cannot be read)."""
    try:
        from csdemand.published import store

        return set(pd.to_numeric(store.load("areas")["la_number"], errors="coerce").dropna().astype(int))
    except Exception:
        return None


def _known_measures() -> set[str] | None:
    try:
        return set(codes.measures().index)
    except Exception:
        return None


def _check_number(df: pd.DataFrame, col: str, rep: _Report, expected: str) -> pd.Series:
    values = df[col]
    numbers = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
    bad = (numbers.isna() | ~np.isfinite(numbers.astype(float))).to_numpy() & (values != "").to_numpy()
    rep.mask(bad, col, values, "not a number", expected)
    return numbers.where(~bad)


def _check_tidy(df: pd.DataFrame, s: Schema, rep: _Report, today: pd.Timestamp) -> None:
    numbers = {}
    for col in ("value", "numerator", "denominator"):
        if col in df.columns:
            numbers[col] = _check_number(df, col, rep, "a number, or empty")

    if "status" in df.columns:
        status = df["status"]
        rep.mask(
            ~status.isin(("",) + STATUSES),
            "status",
            status,
            "unknown status marker",
            "empty, or one of " + ", ".join(repr(x) for x in STATUSES) + " (see csdemand.core.tidy)",
        )
        if "value" in df.columns:
            has_value = (df["value"] != "").to_numpy()
            withheld = (status != "").to_numpy()
            rep.mask(
                has_value & withheld,
                "value",
                df["value"],
                lambda pos: f"a value withheld as {status.iloc[pos]!r} still has a figure",
                "an empty value where the status marks it withheld",
            )
            rep.mask(
                ~has_value & ~withheld,
                "value",
                df["value"],
                "an empty value without a status marker",
                "a figure, or a status saying why there is none",
            )

    level = df["geographic_level"] if "geographic_level" in df.columns else None
    if level is not None:
        rep.mask(
            ~level.isin(tidy.GEOGRAPHIC_LEVELS),
            "geographic_level",
            level,
            "unknown geographic level",
            _one_of(tidy.GEOGRAPHIC_LEVELS),
        )

    if "la_number" in df.columns:
        la = df["la_number"]
        la_num = pd.to_numeric(la, errors="coerce")
        shaped = la.str.fullmatch(r"\d{3}").fillna(False).to_numpy(dtype=bool)
        empty = (la == "").to_numpy()
        rep.mask(
            ~shaped & ~empty,
            "la_number",
            la,
            "not an LA number",
            "a three-digit DfE LA number such as 352, or empty for England and regions",
        )
        if level is not None:
            rep.mask(
                empty & (level == "la").to_numpy(),
                "la_number",
                la,
                "an LA row without an LA number",
                "a three-digit DfE LA number",
            )
        known = _known_la_numbers()
        if known is None:
            rep.add(
                "cannot check LA numbers: areas.csv could not be read",
                column="la_number",
                expected=f"areas.csv in {paths.data_dir()}",
                level=WARNING,
            )
        else:
            unknown = shaped & ~la_num.isin(list(known)).to_numpy()
            rep.mask(
                unknown,
                "la_number",
                la,
                "unknown local authority (not in areas.csv)",
                "an LA number listed in areas.csv, such as 352 for Manchester",
            )

    for col in ("period", "release"):
        if col in df.columns:
            values = df[col]
            ok = values.str.fullmatch(r"\d{4}").fillna(False).to_numpy(dtype=bool)
            rep.mask(~ok, col, values, "not a whole number (a year)", "a year such as 2025")
            if col == "period":
                rep.mask(
                    ok & (pd.to_numeric(values, errors="coerce") > today.year).to_numpy(),
                    col,
                    values,
                    "period in the future",
                    f"a year no later than {today.year}",
                )

    if "measure" in df.columns:
        measure = df["measure"]
        rep.mask(measure == "", "measure", measure, "missing measure", "a measure id from reference/measures.csv")
        known = _known_measures()
        if known is not None:
            rep.mask(
                ~measure.isin(list(known)) & (measure != ""),
                "measure",
                measure,
                "unknown measure",
                "a measure id from reference/measures.csv",
            )

    if "area_code" in df.columns:
        rep.mask(
            df["area_code"] == "",
            "area_code",
            df["area_code"],
            "missing area code",
            "an ONS GSS code such as E08000003",
        )

    if "computed" in df.columns:
        comp = df["computed"].str.lower()
        rep.mask(~comp.isin(("true", "false")), "computed", df["computed"], "not True or False", "True or False")

    key_cols = [c for c in ("period", "measure") if c in df.columns]
    if len(key_cols) == 2 and "area_code" in df.columns:
        area = df["area_code"]
        if "la_number" in df.columns and level is not None:
            area = df["la_number"].where(level == "la", area)  # LA numbers survive GSS code changes
        keyed = df.assign(_area=area)
        _check_repeats(
            keyed,
            rep,
            ["_area", "period", "measure"],
            np.ones(len(df), dtype=bool),
            lambda pos, first: f"the same area, period and measure as row {first}",
            "one figure per area, period and measure",
            column="measure",
        )


# --------------------------------------------------------------------------- files

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (or a zip archive), not a CSV file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) workbook, not a CSV file"),
    (b"%PDF", "a PDF, not a CSV file"),
    (b"\x1f\x8b", "a gzip archive, not a CSV file"),
)
_SAVE_AS = "a CSV file saved as UTF-8 (in Excel: Save As 'CSV UTF-8 (Comma delimited)')"


def _line_of(text: str | bytes, pos: int) -> int:
    nl = "\n" if isinstance(text, str) else b"\n"
    return text.count(nl, 0, pos) + 1


def _decode(raw: bytes, rep: _Report) -> str | None:
    """The file's text, or None after reporting why it is not readable text.

    Memory: nothing here copies the text (``strip()`` or ``lstrip()`` of a 200 MB file would).
    """
    if not raw or raw.isspace():
        rep.add("the file is empty", expected="a CSV file with a header row and data rows")
        return None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        rep.add("the file is UTF-16 text, not UTF-8", row=None, value=raw[:2], expected=_SAVE_AS)
        return None
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            rep.add(f"the file is {what}", value=raw[:4], expected=_SAVE_AS)
            return None
    nul = raw.find(b"\x00")
    if nul >= 0:
        sample = raw[:4096]
        utf16 = sample.count(0) >= len(sample) * 0.3 and (
            sample[1::2].count(0) > len(sample) * 0.4 or sample[0::2].count(0) > len(sample) * 0.4
        )
        what = (
            "the file looks like UTF-16 text without a byte-order mark (NUL bytes between letters)"
            if utf16
            else "the file is not text: it holds NUL bytes (a binary file?)"
        )
        rep.add(what, row=_line_of(raw, nul), value=raw[max(0, nul - 4) : nul + 4], expected=_SAVE_AS)
        return None
    try:
        text = raw.decode("utf-8-sig")
        windows = False
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp1252")
            windows = True
        except UnicodeDecodeError:
            rep.add(
                "the file is in an unknown encoding: its bytes are neither UTF-8 nor Windows-1252 text",
                row=_line_of(raw, exc.start),
                value=raw[exc.start : exc.start + 8],
                expected=_SAVE_AS,
            )
            return None
    text = text.rstrip("\x1a")  # a DOS end-of-file marker
    if not text or text.isspace():
        rep.add(
            "the file is empty (it holds only a byte-order mark or white space)",
            expected="a CSV file with a header row and data rows",
        )
        return None
    m = _CONTROL.search(text)
    if m:
        rep.add(
            "the file holds control characters: it is not text in UTF-8 or Windows-1252 (a binary file, or the wrong "
            "encoding)",
            row=_line_of(text, m.start()),
            value=m.group(),
            expected=_SAVE_AS,
        )
        return None
    if windows:
        high = sum(text.count(ch) for ch in set(text) if ord(ch) > 127)
        if high > max(8, len(text) * 0.1):
            rep.add(
                "the file is not UTF-8 and does not read as Windows-1252 text either (too many unusual characters)",
                expected=_SAVE_AS,
            )
            return None
    lead = _NOT_SPACE.search(text)  # text is not all white space (above)
    first = text[lead.start()]
    if first == "<":
        rep.add(
            "the file is HTML or XML (a web page or a download error?), not CSV",
            row=1,
            value=text[lead.start() : lead.start() + 40],
            expected="a CSV file",
        )
        return None
    if first in "{[":
        rep.add("the file is JSON, not CSV", row=1, value=text[lead.start() : lead.start() + 40], expected="a CSV file")
        return None
    return text


_NOT_SPACE = re.compile(r"\S")  # \s is str.isspace's white space, as str.strip() uses


@dataclass
class _Scan:
    """One streaming pass over a CSV text: the header, and for every further record its number of
    fields and where it starts, without holding the records themselves.

    ``starts[k]`` is the offset of record ``k`` (the header is record 0); the last entry is where
    the scan stopped (the end of the text, or the record a CSV error stopped it on). ``samples``:
    the text of the first :data:`LIMIT` records of the wrong length, for the messages.
    ``truncated_at``: the spreadsheet row of a quoted field that never closes, as in the old
    whole-list parse.
    """

    header: list[str]
    lengths: np.ndarray
    blank_one: np.ndarray  # positions of blank records: no field, or one field of white space
    starts: np.ndarray
    samples: dict[int, str]
    truncated_at: int | None = None


def _parse(text: str, rep: _Report) -> _Scan | None:
    """Scan every record of the CSV text (see :class:`_Scan`); None when there is no header to
    check against (no record at all, a CSV error on row 1, or a header wider than
    :data:`~csdemand.core.text.MAX_COLUMNS`, reported here).

    An unclosed quote swallows the rest of the file into one field: it is reported at the row
    where it opens, and that record should be left out. A cell longer than the csv module's limit
    stops the scan at its row, reported as a long cell or, if a quote opens there and never
    closes, as that quote.
    """
    lines = TextLines(text)
    reader = csv.reader(lines, strict=False)
    starts = array("q", [0])
    lengths = array("q")
    blank_one = array("q")
    samples: dict[int, str] = {}
    header: list[str] | None = None
    try:
        header = next(reader, None)
        if header is None:
            return None
        starts.append(lines.pos)
        wide = text_io.header_too_wide(header, rep.source)
        if wide is not None:
            rep.add(wide.message, row=1, value=f"{len(header):,} columns", expected=wide.expected or "")
            return None
        n = len(header)
        for rec in reader:
            k = len(rec)
            if k != n:
                if k == 0 or (k == 1 and n > 1 and not rec[0].strip()):
                    blank_one.append(len(lengths))  # a blank line, as a spreadsheet shows it
                elif len(samples) < LIMIT:
                    samples[len(lengths)] = ",".join(rec)[:60]
            lengths.append(k)
            starts.append(lines.pos)
    except csv.Error as exc:
        row = 1 if header is None else len(lengths) + 2
        err = text_io.csv_error(exc, text, starts[-1], row, rep.source)
        rep.add(err.message, row=err.row, value=err.value, expected=err.expected or "")
        if header is None:
            return None
        return _Scan(
            header,
            np.frombuffer(lengths, dtype=np.int64),
            np.frombuffer(blank_one, dtype=np.int64),
            np.frombuffer(starts, dtype=np.int64),
            samples,
        )
    scan = _Scan(
        header,
        np.frombuffer(lengths, dtype=np.int64),
        np.frombuffer(blank_one, dtype=np.int64),
        np.frombuffer(starts, dtype=np.int64),
        samples,
    )
    if text.count('"') % 2:
        last = len(lengths)  # records after the header: the last record's row is last + 1
        begin = int(scan.starts[last])
        if text.count('"', begin) % 2:
            rep.add(
                "a quoted field opens on this row and never closes: the file is truncated, or a quote is missing",
                row=last + 1,  # the record's index, 1-based: its spreadsheet row
                value=text[begin : begin + 40],
                expected='a closing " for every opening one',
            )
            scan.truncated_at = last + 1
    return scan


def _shape(scan: _Scan, rep: _Report) -> tuple[np.ndarray, np.ndarray]:
    """Which data records to keep (a mask) and their spreadsheet row numbers.

    Records with another number of fields than the header are reported (the last one, if short,
    as a truncated file) and left out, as are blank lines and the record of an unclosed quote
    (``truncated_at``).
    """
    n = len(scan.header)
    body = len(scan.lengths) if scan.truncated_at is None else max(0, scan.truncated_at - 2)
    lengths = scan.lengths[:body]
    blank = lengths == 0
    if n > 1:
        blank[scan.blank_one[scan.blank_one < body]] = True
    wrong = (lengths != n) & ~blank
    rownums = np.arange(body) + 2
    if wrong.any():
        last = body - 1
        while last >= 0 and blank[last]:
            last -= 1
        idx = np.flatnonzero(wrong)
        for i in idx[:LIMIT]:
            k = int(lengths[i])
            if i == last and k < n and scan.truncated_at is None:
                message = f"the last row is cut short: it has {k} of the header's {n} fields (a truncated file?)"
            else:
                message = f"the row has {k} field{'s' if k != 1 else ''}; the header has {n}"
            rep.add(
                message,
                row=int(rownums[i]),
                value=scan.samples.get(int(i), ""),
                expected=f"{n} fields, as in the header",
            )
        rep.total += max(0, len(idx) - LIMIT)
    keep = ~wrong & ~blank
    return keep, rownums[keep]


def _kept_text(text: str, scan: _Scan, keep: np.ndarray) -> str:
    """The header and the kept data records, every left-out record cut away."""
    starts = scan.starts
    records = np.flatnonzero(keep) + 1  # body record j is record j + 1 (the header is record 0)
    breaks = np.flatnonzero(np.diff(records) != 1)
    firsts = np.r_[records[0], records[breaks + 1]]
    lasts = np.r_[records[breaks], records[-1]]
    return "".join([text[: starts[1]]] + [text[starts[a] : starts[b + 1]] for a, b in zip(firsts, lasts)])


def _frame(source: bytes | Path, encoding: str, rows: int, n: int) -> pd.DataFrame | None:
    """pandas' C parser's frame of strings (columns 0..n-1) from CSV bytes or a file, or None
    unless it found exactly ``rows`` records of ``n`` fields, as the csv module did.

    The C parser is fast and shares one ``str`` among equal cells (dates, codes); it differs
    from the csv module on a few odd files (a line of white space in a one-column file, a
    carriage return closing a quoted field), which then take the csv module's records instead.
    """
    try:
        if isinstance(source, Path):
            with text_io.open_regular(source) as fh:
                df = pd.read_csv(
                    fh, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False, index_col=False
                )
        else:
            df = pd.read_csv(
                io.BytesIO(source),
                encoding=encoding,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                index_col=False,
            )
    except (ValueError, InputError):  # pandas' ParserError and EmptyDataError among them
        return None
    if df.shape != (rows, n):
        return None
    df.columns = range(n)
    return df


def _frame_by_csv(text: str, n: int) -> pd.DataFrame:
    """Every record after the header, as the csv module reads them (all of them of ``n`` fields)."""
    body = list(csv.reader(TextLines(text), strict=False))[1:]
    return pd.DataFrame(body, columns=range(n), dtype=str)


def check_file(
    path: str | Path, table: str | None = None, *, today: date | str | None = None, quote: bool = True
) -> list[Problem]:
    """Every problem in a CSV file; ``table`` (a :data:`SCHEMAS` key or alias) is judged by the
    header when None. Also reports files that are empty, binary, in the wrong encoding, not CSV,
    or cut short, and runs the matching reader on a published DfE/ONS file. ``quote=False`` (a
    configured source, with ``table``): nothing of the file is quoted unless its header is the
    layout's. Never raises.

    Only regular files are opened (a folder, FIFO, socket or device is reported, not read), of at
    most :data:`~csdemand.core.text.MAX_FILE_BYTES`; headers of more than
    :data:`~csdemand.core.text.MAX_COLUMNS` columns are reported before any row is read.
    """
    path = Path(path)
    rep = _Report(str(path), quote=quote)
    try:
        _check_file(path, table, rep, _today(today))
    except Exception as exc:  # never a traceback for bad data
        rep.add(
            f"the check stopped unexpectedly ({type(exc).__name__}: {exc})", expected="a CSV file this check can read"
        )
    return rep.finish()


def _check_file(path: Path, table: str | None, rep: _Report, today: pd.Timestamp) -> None:
    s = None
    if table is not None:
        try:
            s = schema(table)
        except InputError as exc:
            rep.add(exc.message, column="table", value=table, expected=exc.expected or "")
            return
    try:
        as_read = text_io.regular_file(path)  # size and time, to tell if it changes while checked
        raw = text_io.read_bytes(path)
    except InputError as exc:
        rep.add(exc.message, value=exc.value, expected=exc.expected or "")
        return
    text = _decode(raw, rep)
    if text is None:
        return
    # The encoding pandas can read the file itself in (None: only the text will do).
    encoding = None if raw.endswith(b"\x1a") else text_io.text_encoding(raw, path)
    del raw  # the text is what is read from here on
    scan = _parse(text, rep)
    if scan is None or scan.truncated_at == 1:
        return
    header = [h.strip() for h in scan.header]
    if not any(header):
        rep.add(
            "the first row is blank: the header must be on row 1",
            row=1,
            value=",".join(scan.header),
            expected="a header row naming the columns on row 1",
        )
        return
    if s is None:
        name = detect_table(header)
        if name is None:
            if len(header) == 1:
                for sep, what in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
                    if sep in header[0]:
                        rep.add(
                            f"the fields are separated by {what}, not commas",
                            row=1,
                            value=header[0][:60],
                            expected="a comma-separated (CSV) file",
                        )
                        return
                rep.add(
                    "not a CSV file: the header row has a single field and no commas",
                    row=1,
                    value=header[0][:60],
                    expected="a comma-separated header row",
                )
                return
            before = rep.total
            _shape(scan, rep)  # a published file cut short: say so, not the reader's stumble
            if _check_published(path, rep, run=rep.total == before):
                return
            rep.add(
                "cannot tell which table this is from its header",
                row=1,
                value=",".join(header)[:120],
                expected="; or ".join(f"{sc.label}: {', '.join(sc.columns)}" for sc in SCHEMAS.values()),
            )
            return
        s = SCHEMAS[name]
    s = _pick(s, header)
    if not rep.quote and not looks_like(header, s):
        _check(pd.DataFrame(columns=header), s, rep, today)  # says it is not the layout, quoting nothing
        return
    rep.quote = True
    keep, rownums = _shape(scan, rep)
    n, rows = len(header), int(keep.sum())
    # Every record kept: pandas reads the file itself. Else it reads the kept records' bytes.
    whole = (
        rows > 0
        and encoding is not None
        and rows == len(scan.lengths)
        and scan.truncated_at is None
        and int(scan.starts[-1]) == len(text)
    )
    kept = _kept_text(text, scan, keep).encode("utf-8") if rows and not whole else None
    del text, scan  # memory: neither the text nor the file's bytes are held beside the frame
    if rows == 0:
        df = pd.DataFrame({i: pd.Series(dtype=str) for i in range(n)})
    elif whole:
        df = _frame(path, encoding, rows, n)
        try:
            after = text_io.regular_file(path)
            same = (after.st_size, after.st_mtime_ns) == (as_read.st_size, as_read.st_mtime_ns)
        except InputError:
            same = False
        if not same:
            rep.add(
                "the file changed while it was being checked: check it again once nothing is writing to it",
                expected="a file that is not being written to",
            )
            return
        if df is None:  # pandas and the csv module disagree on this file: the csv module's records, as checked
            df = _frame_by_csv(text_io.read_bytes(path).decode(encoding), n)
    else:
        df = _frame(kept, "utf-8", rows, n)
        if df is None:
            df = _frame_by_csv(kept.decode("utf-8"), n)
        del kept
    df.columns = header
    rep.rows = rownums
    _check(df, s, rep, today)
    if s.layout != "tidy" and not any(p.level in (ERROR, MORE) for p in rep.items):
        _check_local_reader(path, s, rep)


#: The local table whose reader checks a file of each record or monthly schema.
_READER_TABLE = {
    "referrals": "referrals",
    "early_help_requests": "early_help_requests",
    "early_help_monthly": "early_help_requests",
    "looked_after": "looked_after",
}


def _check_local_reader(path: Path, s: Schema, rep: _Report) -> None:
    """Run the reader ``render`` uses on a file these checks passed; its first error, if any, is a
    problem (validate never passes what render would refuse)."""
    table = _READER_TABLE.get(s.name)
    local = _local_sources_module()
    if table is None or local is None or not hasattr(local, "check_raw"):
        return
    from csdemand.core.text import read_text_table

    try:
        local.check_raw(table, read_text_table(path), str(path))
    except InputError as exc:
        rep.add(
            f"{exc.message} (the reader that render uses; only its first problem is reported)",
            row=exc.row,
            column=exc.column,
            value=exc.value,
            expected=exc.expected or "",
        )
    except Exception as exc:
        rep.add(f"the reader failed ({type(exc).__name__}: {_short(str(exc))})", expected="a file the reader can read")


def _check_published(path: Path, rep: _Report, run: bool = True) -> bool:
    """Run the reader of a published DfE/ONS file (if ``run``), if the header is one; True when it was one."""
    from csdemand.published import sources

    try:
        kind = sources.recognise(path)
    except InputError as exc:  # it resembles a published layout but lacks columns: say which
        rep.add(exc.message, row=exc.row, column=exc.column, value=exc.value, expected=exc.expected or "")
        return True
    except Exception:
        return False
    if kind is None:
        return False
    if not run:
        return True
    try:
        kind.reader(path)
    except InputError as exc:
        rep.add(
            f"{exc.message} (published file, {kind.name}: only the first problem is reported)",
            row=exc.row,
            column=exc.column,
            value=exc.value,
            expected=exc.expected or "",
        )
    except Exception as exc:
        rep.add(
            f"the {kind.name} reader failed ({type(exc).__name__}: {exc})", expected=f"a {kind.name} file as published"
        )
    return True


def problem_from_error(exc: InputError, source: str) -> Problem:
    """An :class:`InputError` (raised by a reader) as a problem of ``source`` (its value cut short)."""
    return Problem(source, exc.row, exc.column, _short(exc.value), exc.expected or "", exc.message)


# --------------------------------------------------------------------------- everything configured


def validate_all(
    config: object = None, las: Iterable[str | int] | None = None, *, today: date | str | None = None
) -> dict[str, list[Problem]]:
    """Problems in every configured local source and in the published tidy tables, by source.

    Local sources come from :mod:`csdemand.local.sources` when it is there (every table of the
    configuration, for each LA in ``las``, default Manchester 352); without it, from the CSV files
    under ``data/sample/local``. The tidy tables are ``cla``, ``cin`` and ``population`` in the
    data folder. A source with no problems maps to an empty list (or to notes only, ``level="info"``).
    A data config that cannot be used raises its ConfigError (an InputError: exit 2).
    """
    out: dict[str, list[Problem]] = {}
    local = _local_sources_module()
    if local is not None:
        out.update(_validate_configured(local, config, las, today))
    else:
        out.update(_validate_sample_local(las, today))
    data = paths.data_dir()
    for name in TIDY_TABLES:
        file = data / f"{name}.csv"
        label = _display(file)
        out[label] = [replace(p, source=label) for p in check_file(file, name, today=today)]
    return out


def _display(where: object) -> str:
    """A path (or a label holding one) relative to the working folder when it lies inside it."""
    text = str(where)
    cwd = str(Path.cwd())
    return text.replace(cwd.rstrip("/") + "/", "") if cwd != "/" else text


def _resolve_las(las: Iterable[str | int] | None):
    from csdemand.published.areas import LocalAuthority, resolve

    if las is None:
        las = ["352"]
    return [la if isinstance(la, LocalAuthority) else resolve(la) for la in las]


def _local_sources_module():
    try:
        from csdemand.local import sources as local_sources  # configured local data sources (config/data.yml)
    except ImportError:
        return None
    needed = ("load_config", "source_label", "is_configured", "read_raw")
    return local_sources if all(hasattr(local_sources, n) for n in needed) else None


def _validate_sample_local(las, today) -> dict[str, list[Problem]]:
    folder = paths.data_dir() / "local"
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if las is not None:
        slugs = [la.slug for la in _resolve_las(las)]
        files = [f for f in files if any(slug in f.name for slug in slugs)]
    return {_display(f): [replace(p, source=_display(f)) for p in check_file(f, today=today)] for f in files}


def _validate_configured(local, config, las, today) -> dict[str, list[Problem]]:
    """Every table of the configuration, for every LA: a CSV source gets the full file checks,
    other formats (xlsx, sql, Annex A) are read as text and checked as a table; a source that
    passes is then read by the reader ``render`` uses, so that what passes here renders.

    A broken config raises its :class:`~csdemand.local.sources.ConfigError` (the command line
    prints it in one line and exits 2): there is nothing to validate without one.
    """
    out: dict[str, list[Problem]] = {}
    cfg = local.load_config(config) if config is None or isinstance(config, (str, Path)) else config
    tables = list(cfg["tables"])
    for la in _resolve_las(las):
        for table in tables:
            try:
                label = str(local.source_label(table, la.slug, cfg))
            except Exception:
                label = f"{table} for {la.name}"
            label = f"{_display(label)} ({table}, {la.name})"
            raw = None
            try:
                entry = cfg["tables"][table]
                if not local.is_configured(table, la.slug, cfg):
                    why = (
                        f"${entry['url_env']} is not set" if entry.get("format") == "sql" else "the file does not exist"
                    )
                    out[label] = [
                        Problem(
                            label,
                            None,
                            None,
                            None,
                            f"the source that tables.{table} in {_display(cfg.get('file', 'the data config'))} names",
                            f"nothing to check for {la.name}: {why}",
                            WARNING,
                        )
                    ]
                    continue
                if entry.get("format") == "csv" and hasattr(local, "resolve_path"):
                    path = local.resolve_path(table, la.slug, cfg, la.la_number)
                    known = ALIASES.get(table, table) in SCHEMAS
                    problems = check_file(path, table if known else None, today=today, quote=not known)
                    problems = [replace(p, source=label) if p.source == str(path) else p for p in problems]
                    if known:  # check_file ran the reader on it
                        out[label] = problems
                        continue
                else:
                    raw = local.read_raw(table, la.slug, la.la_number, cfg)
                    problems = (
                        check_frame(raw, table, label, today=today, quote=False)
                        if ALIASES.get(table, table) in SCHEMAS
                        else []
                    )
            except InputError as exc:
                out[label] = [problem_from_error(exc, label)]
                continue
            except Exception as exc:
                out[label] = [
                    Problem(
                        label,
                        None,
                        None,
                        None,
                        "a readable source",
                        f"the source cannot be read ({type(exc).__name__}: {_short(str(exc))})",
                    )
                ]
                continue
            if not any(p.level in (ERROR, MORE) for p in problems):
                problems += _check_with_reader(local, table, la, cfg, label, raw)
            out[label] = problems
    return out


def _check_with_reader(local, table: str, la, cfg, label: str, raw: pd.DataFrame | None = None) -> list[Problem]:
    """The first error of the reader ``render`` uses (on ``raw`` when the table is already read),
    or nothing: what validation passes must read."""
    try:
        if raw is not None and hasattr(local, "check_raw"):
            local.check_raw(table, raw, str(local.source_label(table, la.slug, cfg)))
        else:
            local.load(table, la.slug, la.la_number, cfg)
    except InputError as exc:
        p = problem_from_error(exc, label)
        p.message += " (the reader that render uses; only its first problem is reported)"
        return [p]
    except Exception as exc:
        return [
            Problem(
                label,
                None,
                None,
                None,
                "a readable source",
                f"the reader failed ({type(exc).__name__}: {_short(str(exc))})",
            )
        ]
    return []
