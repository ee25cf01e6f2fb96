"""The local tables' declarations, and the one engine that checks a table against them.

Each local table is declared once, as data, in ``csdemand/reference/tables/`` (``referrals.yaml``,
``early_help_requests.yaml``, ``early_help_monthly.yaml``, ``looked_after.yaml``): its columns and
their types, identifiers, unique keys, date bounds, code lists (``codes.csv``, with the ``Not
recorded`` placeholder), count bounds and gap rule. :func:`check` checks a frame of strings
against a declaration and reports EVERY problem to a :class:`~csdemand.core.problems.Report`;
the readers (:mod:`csdemand.local`) raise the first error of that report and ``validate``
(:mod:`csdemand.validation`) lists them all, so the two cannot disagree.

Column types: ``id`` (text on every row), ``date`` (``YYYY-MM-DD``, from ``earliest`` to today;
``blank`` says what an empty cell means when one is allowed, ``not_before`` names a date it may
not precede), ``month`` (``YYYY-MM``, the same bounds), ``count`` (a whole number, 0 or more,
at most ``maximum``; ``1,052`` and ``12.0`` accepted), ``code`` and ``flag`` (one of a code
list; ``not_recorded: allowed`` adds the placeholder, ``throughout`` adds it on every row or
none), ``text`` (kept as given).

Memory and time: cells are compared per distinct value (a column of 3 million dates holds a few
thousand distinct ones), each parsed once and spread back to the rows by its code, so a 200 MB
extract is checked in seconds without a second copy of its text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import csvfile
from csdemand.core.problems import ERROR, INFO, LIMIT, WARNING, Problem, Report

#: How dates are written in a local table (``YYYY-MM-DD``).
DATE_FORMAT = "%Y-%m-%d"
#: A month as a local table writes it: ``YYYY-MM``, ASCII digits only (``re`` alone would also
#: take Arabic-Indic or full-width digits, which ``int`` then reads), years 1900-2099.
MONTH_RE = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])", re.ASCII)
#: A count as a spreadsheet may write it: digits, optionally thousands commas and a decimal part
#: (checked to be .0), optionally signed (so that a negative count gets its own message).
COUNT_RE = re.compile(r"[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?", re.ASCII)

#: What a table without data rows is told (every layout, every format).
NO_ROWS = "the extract has no rows"
NO_ROWS_EXPECTED = "at least one row of data below the header (for a query: rows for this authority)"

TYPES = ("id", "date", "month", "count", "code", "flag", "text")


# --------------------------------------------------------------------------- the declarations


def _open(name: str):
    return resources.files("csdemand").joinpath("reference", "tables", name).open("r", encoding="utf-8")


@cache
def declaration(name: str) -> dict:
    """A YAML file of ``reference/tables`` (without ``.yaml``) as plain data."""
    import yaml

    with _open(f"{name}.yaml") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def _codes_csv() -> pd.DataFrame:
    with _open("codes.csv") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def codes(name: str) -> tuple[str, ...]:
    """A code list of ``codes.csv`` (``referral_sources``, ``early_help_hubs``...), in its order."""
    df = _codes_csv()
    found = tuple(df.loc[df["list"] == name, "code"])
    if not found:
        raise KeyError(f"no code list {name!r} in reference/tables/codes.csv")
    return found


def code(name: str, role: str) -> str:
    """The code of list ``name`` that plays ``role`` (``codes("referral_outcomes")`` ``nfa``: "No further action")."""
    df = _codes_csv()
    hit = df.loc[(df["list"] == name) & (df["role"] == role), "code"]
    if len(hit) != 1:
        raise KeyError(f"no single code with role {role!r} in list {name!r} of reference/tables/codes.csv")
    return str(hit.iloc[0])


#: What a source writes, on every row, in a field it does not hold (Annex A List 3 has no
#: domestic-abuse flag, List 2 no hub, reason or outcome): the same words in every layout.
NOT_RECORDED = code("placeholder", "not_recorded")
#: The earliest date (and month) a local table may hold; none may lie after today.
EARLIEST = pd.Timestamp(str(declaration("common")["earliest"]))


@dataclass(frozen=True)
class Column:
    """One declared column (see the module notes for the types)."""

    name: str
    type: str
    meaning: str = ""
    required: bool = True
    codes: tuple[str, ...] = ()
    code_list: str | None = None
    not_recorded: str | None = None  # None, "allowed" or "throughout"
    blank: str | None = None  # a date that may be empty: what empty means
    not_before: str | None = None
    maximum: int | None = None
    earliest: pd.Timestamp = EARLIEST

    @property
    def accepted(self) -> tuple[str, ...]:
        """The codes a cell may hold: the list, and the placeholder where the field may be unrecorded."""
        return self.codes + ((NOT_RECORDED,) if self.not_recorded and NOT_RECORDED not in self.codes else ())

    @property
    def what(self) -> str:
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class Table:
    """One declared layout of a local table. ``table`` is the table it is a layout of (the key
    in ``config/data.yml``); ``layout`` is ``record`` (a row per case) or ``monthly`` (counts by
    month). ``signature``: any of these columns in a header says the header is this layout."""

    name: str
    table: str
    label: str
    layout: str
    columns: tuple[Column, ...]
    signature: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    same_day: tuple[str, ...] = ()
    gaps: str | None = None  # None, "warning" or "error"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"the {self.name} layout has no column {name!r}")

    def of_type(self, *types: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type in types)

    @property
    def header(self) -> str:
        """The header a table of this layout needs, for messages: ``a, b, c (optionally d, e)``."""
        text = ", ".join(self.required)
        return text + (" (optionally " + ", ".join(self.optional) + ")" if self.optional else "")


def _column(raw: dict, table: str) -> Column:
    kind = raw.get("type")
    if kind not in TYPES:
        raise ValueError(f"reference/tables/{table}.yaml: column {raw.get('name')!r} has unknown type {kind!r}")
    listed = raw.get("codes")
    return Column(
        name=str(raw["name"]),
        type=kind,
        meaning=str(raw.get("meaning", "")),
        required=bool(raw.get("required", True)),
        codes=codes(listed) if listed else (),
        code_list=listed,
        not_recorded=raw.get("not_recorded"),
        blank=raw.get("blank"),
        not_before=raw.get("not_before"),
        maximum=int(raw["maximum"]) if raw.get("maximum") is not None else None,
        earliest=pd.Timestamp(str(raw["earliest"])) if raw.get("earliest") else EARLIEST,
    )


@cache
def tables() -> dict[str, Table]:
    """Every declared layout by name: the record layouts first, then the monthly ones."""
    found = []
    for entry in resources.files("csdemand").joinpath("reference", "tables").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        raw = declaration(entry.name.removesuffix(".yaml"))
        if "columns" not in raw:
            continue  # common.yaml, annex_a.yaml
        found.append(
            Table(
                name=raw["name"],
                table=raw["table"],
                label=raw["label"],
                layout=raw["layout"],
                columns=tuple(_column(c, raw["name"]) for c in raw["columns"]),
                signature=tuple(raw.get("signature", ())),
                unique=tuple(raw.get("unique", ())),
                same_day=tuple(raw.get("same_day", ())),
                gaps=raw.get("gaps"),
            )
        )
    found.sort(key=lambda t: (t.layout != "record", t.name))
    return {t.name: t for t in found}


def table(name: str) -> Table:
    """One declared layout by name (``referrals``, ``early_help_monthly``...)."""
    known = tables()
    if name not in known:
        raise KeyError(f"no declared table {name!r}; known: {', '.join(known)}")
    return known[name]


def layouts(name: str) -> tuple[Table, ...]:
    """The layouts of a local table (the key in ``config/data.yml``): early help requests may come
    one row per request or counted by month."""
    return tuple(t for t in tables().values() if t.table == name)


def maybe_not_recorded() -> tuple[str, ...]:
    """The fields a source may not hold (their column then says :data:`NOT_RECORDED` on every row)."""
    return tuple(dict.fromkeys(c.name for t in tables().values() for c in t.columns if c.not_recorded))


def _article(words: str) -> str:
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def pick(name: str | Table, columns: Iterable[str]) -> Table | Problem:
    """The layout a header is: ``name`` is a layout, or a local table with several layouts, told
    apart by their signature columns (record layouts first). A header that is none of them is a
    problem (``source`` left empty for the caller to fill in)."""
    if isinstance(name, Table):
        return name
    if name in tables() and len(layouts(tables()[name].table)) == 1:
        return tables()[name]
    options = layouts(name) or (table(name),)
    if len(options) == 1:
        return options[0]
    header = [str(c).strip() for c in columns]
    for t in options:
        if set(header) & set(t.signature):
            return t
    marks = [c for t in options for c in t.signature]
    return Problem(
        "",
        1,
        None,
        header,
        "; or ".join(f"{t.label}: {t.header}" for t in options),
        f"not {_article(name.replace('_', ' '))} file: the header has none of " + ", ".join(repr(c) for c in marks),
    )


def looks_like(header: Iterable[str], t: Table) -> bool:
    """Whether a header is recognisably the layout: it holds at least half its required columns."""
    found = {str(h).strip() for h in header} & set(t.required)
    return len(found) * 2 >= len(t.required)


def not_layout(t: Table, header: Iterable[str]) -> str:
    """What is said of a header that is not recognisably the layout (see :func:`looks_like`)."""
    found = len({str(h).strip() for h in header} & set(t.required))
    return f"this is not {_article(t.label)}: its header has {found} of the layout's {len(t.required)} columns"


# --------------------------------------------------------------------------- the engine


def today_of(today: dt.date | str | None = None) -> pd.Timestamp:
    """``today`` (default the real today) as a day: the latest date a table may hold."""
    return pd.Timestamp(dt.date.today() if today is None else today).normalize()


def _one_of(allowed: Iterable[str]) -> str:
    return "one of " + ", ".join(repr(a) for a in allowed)


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as strings (a missing value as ""), without a copy when they already are."""
    # An object column passes the dtype test whatever it holds: a number among its strings (a
    # spreadsheet's 0 beside blanks) must be made text too.
    if (
        pd.api.types.is_string_dtype(s.dtype)
        and not s.isna().any()
        and (s.dtype != object or pd.api.types.infer_dtype(s, skipna=False) == "string")
    ):
        return s
    return s.astype(object).where(s.notna(), "").astype(str)


# White space at either end of a cell, as str.strip() and Arrow's trim see it (Unicode White_Space).
_SPACE_AT_ENDS = r"^[\s\p{Z}\x{0b}\x{85}]|[\s\p{Z}\x{0b}\x{85}]$"


def _stripped(s: pd.Series) -> pd.Series:
    """A column of distinct values (ids) stripped; the column itself when no cell needs it (a
    stripped copy of 3 million ids is 60 MB or more held for nothing)."""
    held = getattr(s.array, "_pa_array", None)
    if held is not None:
        import pyarrow.compute as pc

        if not pc.any(pc.match_substring_regex(held, _SPACE_AT_ENDS)).as_py():
            return s
    return s.str.strip()


class _Values:
    """A column as its distinct stripped values (``uniques``) and each row's index into them
    (``codes``): checks run on the few distinct values and are spread back to the rows."""

    def __init__(self, s: pd.Series) -> None:
        codes, uniques = pd.factorize(s)
        uniques = pd.Index(uniques)
        stripped = uniques.str.strip()
        self.changed = not bool((stripped == uniques).all())
        if self.changed:  # "North " and "North" are one value once stripped
            more, stripped = pd.factorize(stripped)
            codes = more[codes]
            uniques = pd.Index(stripped)
        self.codes = np.asarray(codes, dtype=np.intp)
        self.uniques = uniques
        self._source = s

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        """A per-distinct-value array spread to the rows."""
        return np.asarray(per_unique)[self.codes]

    def at(self, pos: int) -> str:
        return str(self.uniques[self.codes[pos]])

    def series(self) -> pd.Series:
        """The stripped column (the original one when nothing needed stripping)."""
        if not self.changed:
            return self._source
        return pd.Series(self.uniques.take(self.codes), index=self._source.index, name=self._source.name)


@dataclass
class Checked:
    """What :func:`check` found: the ``report`` (every problem), the ``frame`` as checked (the
    declared columns stripped, extra columns after them as given) and each declared column's
    parsed values, for the readers to type the table without parsing it again."""

    table: Table
    report: Report
    frame: pd.DataFrame | None = None
    values: dict[str, _Values] = field(default_factory=dict)
    parsed: dict[str, np.ndarray] = field(default_factory=dict)  # per distinct value: dates, months, counts

    @property
    def problems(self) -> list[Problem]:
        return self.report.finish()

    def raise_first(self) -> None:
        """Raise the first error as an :class:`InputError` (what a reader does)."""
        self.report.raise_first()

    def dates(self, name: str) -> pd.Series:
        """A date column as datetime64 (NaT where empty)."""
        v = self.values[name]
        return pd.Series(self.parsed[name].take(v.codes), index=self.frame.index, name=name)

    def months(self, name: str) -> pd.Series:
        """A month column as monthly periods."""
        v = self.values[name]
        months = pd.PeriodIndex.from_ordinals(self.parsed[name].astype("int64"), freq="M")
        return pd.Series(months.take(v.codes), index=self.frame.index, name=name)

    def counts(self, name: str) -> pd.Series:
        """A count column as int64."""
        v = self.values[name]
        numbers = np.nan_to_num(self.parsed[name]).astype("int64")
        return pd.Series(numbers[v.codes], index=self.frame.index, name=name)


def check(
    df: pd.DataFrame,
    layout: str | Table,
    *,
    source: str | Path = "",
    today: dt.date | str | None = None,
    report: Report | None = None,
) -> Checked:
    """Check a table of strings (as a CSV, a workbook or a query gives it) against a declared
    layout; every problem goes to ``report`` (default: a new one for ``source``, rows numbered
    from 2). ``layout`` may be a local table with several layouts (see :func:`pick`). ``df`` is
    not changed. Never raises on bad data."""
    rep = report if report is not None else Report(source)
    found = pick(layout, df.columns)
    if isinstance(found, Problem):
        rep.add(found.message, row=1, value=found.value, expected=found.expected)
        return Checked(table(layouts(str(layout))[0].name), rep)
    t = found
    today_ts = today_of(today)

    # The header: names stripped, a name given twice reported (the first is checked).
    names = [str(c).strip() for c in df.columns]
    dup = pd.Index(names).duplicated()
    for name in sorted(set(pd.Index(names)[dup])):
        rep.add("the column name appears more than once in the header", row=1, column=name, expected="each column once")
    frame = df.loc[:, ~dup] if dup.any() else df.copy(deep=False)  # copy-on-write: nothing of df is changed
    frame.columns = [n for n, d in zip(names, dup) if not d]

    present = [c.name for c in t.columns if c.name in frame.columns]
    missing = [c for c in t.required if c not in present]
    if not looks_like(frame.columns, t):  # not even half the layout: say so once
        rep.add(not_layout(t, frame.columns), row=1, expected="a header with " + t.header)
        return Checked(t, rep, frame)
    for c in missing:
        rep.add(f"missing column {c!r}: the {t.label} needs it", row=1, column=c, expected="a header with " + t.header)
    if len(frame) == 0:
        rep.add(NO_ROWS, expected=NO_ROWS_EXPECTED)
        return Checked(t, rep, frame)

    out = Checked(t, rep, frame)
    for name in present:
        col = t.column(name)
        if col.type == "text":
            continue
        s = _as_text(frame[name])
        if col.type == "id":
            s = _stripped(s)
            frame[name] = s
            rep.mask((s == "").to_numpy(), name, s, "empty id", "an id on every row")
            continue
        v = _Values(s)
        out.values[name] = v
        frame[name] = v.series()
        _CHECKS[col.type](out, col, v, today_ts)

    _check_not_before(out)
    _check_recorded_throughout(out)
    _check_unique(out)
    _check_same_day(out)
    _check_gaps(out, today_ts)
    for name in present:
        col = t.column(name)
        v = out.values.get(name)
        if col.not_recorded and v is not None and list(v.uniques) == [NOT_RECORDED]:
            rep.add(
                f"the source does not record {col.what} ({NOT_RECORDED!r} on every row): the briefings leave out "
                "what needs it",
                column=name,
                level=INFO,
                after=True,
            )
    return out


def _check_date(out: Checked, col: Column, v: _Values, today: pd.Timestamp) -> None:
    rep, name, u = out.report, col.name, v.uniques
    dates = pd.DatetimeIndex(pd.to_datetime(u, format=DATE_FORMAT, errors="coerce"))
    empty = np.asarray(u == "")
    bad = np.asarray(dates.isna()) & ~empty
    expected = "a date YYYY-MM-DD" + (f", or {col.blank}" if col.blank else "")
    if not col.blank:
        rep.mask(v.rows(empty), name, v.at, "missing date", expected)
    rep.mask(v.rows(bad), name, v.at, "not a date", expected)
    future = np.asarray(dates > today)
    early = np.asarray(dates < col.earliest)
    rep.mask(v.rows(future), name, v.at, "date in the future", f"a date no later than today ({today:%Y-%m-%d})")
    if col.not_before is None:  # else: before the date it follows, said once (_check_not_before)
        rep.mask(
            v.rows(early),
            name,
            v.at,
            f"date before {col.earliest:%Y-%m-%d}",
            f"a date from {col.earliest:%Y-%m-%d} to today",
        )
    out.parsed[name] = np.asarray(dates.where(~(future | early)).to_numpy())


def _check_month(out: Checked, col: Column, v: _Values, today: pd.Timestamp) -> None:
    rep, name, u = out.report, col.name, v.uniques
    expected = "a month YYYY-MM, such as 2020-01"
    empty = np.asarray(u == "")
    ok = np.asarray(u.str.fullmatch(MONTH_RE), dtype=bool)
    rep.mask(v.rows(empty), name, v.at, "missing month", expected)
    rep.mask(v.rows(~ok & ~empty), name, v.at, "not a month", expected)
    # Months as integers (year x 12 + month - 1): no Period for year 0 or 9999 to trip over.
    shaped = pd.Index(np.where(ok, np.asarray(u, dtype=object), "2000-01"), dtype=object).astype(str)
    number = (
        shaped.str.slice(0, 4).astype("int64").to_numpy() * 12 + shaped.str.slice(5, 7).astype("int64").to_numpy() - 1
    )
    now, first = today.to_period("M"), col.earliest.to_period("M")
    future = ok & (number > now.year * 12 + now.month - 1)
    early = ok & (number < first.year * 12 + first.month - 1)
    rep.mask(v.rows(future), name, v.at, "month in the future", f"a month no later than this one ({now})")
    rep.mask(v.rows(early), name, v.at, f"month before {first}", f"a month from {first} to {now}")
    keep = ok & ~future & ~early
    # Period ordinals of the good months (months since 1970-01), -1 elsewhere.
    out.parsed[name] = np.where(keep, number - (1970 * 12), -1)


def _check_count(out: Checked, col: Column, v: _Values, today: pd.Timestamp) -> None:
    rep, name, u = out.report, col.name, v.uniques
    expected = "a whole number, 0 or more"
    empty = np.asarray(u == "")
    shaped = np.asarray(u.str.fullmatch(COUNT_RE), dtype=bool)
    rep.mask(v.rows(empty), name, v.at, "missing count", expected + " (0 if none)")
    rep.mask(v.rows(~shaped & ~empty), name, v.at, "text in a count", expected)
    numbers = pd.to_numeric(
        pd.Series(np.where(shaped, np.asarray(u, dtype=object), ""), dtype=object).str.replace(",", "", regex=False),
        errors="coerce",
    ).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        negative = numbers < 0
        fraction = np.isfinite(numbers) & (numbers % 1 != 0)
        large = numbers > col.maximum if col.maximum is not None else np.zeros(len(numbers), dtype=bool)
    rep.mask(v.rows(negative), name, v.at, "negative count", expected)
    rep.mask(v.rows(fraction), name, v.at, "not a whole number", expected)
    if col.maximum is not None:
        monthly = out.table.layout == "monthly"
        rep.mask(
            v.rows(large),
            name,
            v.at,
            "implausibly large count" + (" for one month" if monthly else ""),
            f"a {'monthly ' if monthly else ''}count of at most {col.maximum:,}",
        )
    out.parsed[name] = np.where(shaped & ~negative & ~fraction & ~large, numbers, np.nan)


def _check_code(out: Checked, col: Column, v: _Values, today: pd.Timestamp) -> None:
    rep, name, u = out.report, col.name, v.uniques
    allowed = col.accepted
    empty = np.asarray(u == "")
    unknown = ~np.asarray(u.isin(allowed)) & ~empty
    rep.mask(v.rows(empty), name, v.at, f"missing {col.what} code", _one_of(allowed))
    rep.mask(v.rows(unknown), name, v.at, f"unknown {col.what} code", _one_of(allowed))


_CHECKS: dict[str, Callable[[Checked, Column, _Values, pd.Timestamp], None]] = {
    "date": _check_date,
    "month": _check_month,
    "count": _check_count,
    "code": _check_code,
    "flag": _check_code,
}


def _check_not_before(out: Checked) -> None:
    for col in out.table.columns:
        if col.not_before is None or col.name not in out.values or col.not_before not in out.values:
            continue
        rep, later, earlier = out.report, out.values[col.name], out.values[col.not_before]
        ends = out.parsed[col.name][later.codes]
        starts = out.parsed[col.not_before][earlier.codes]
        with np.errstate(invalid="ignore"):
            before = ends < starts  # NaT compares False: a bad date is reported as such
        rep.mask(
            before,
            col.name,
            later.at,
            f"{col.name} is before {col.not_before}",
            f"a date on or after {col.not_before!r}",
        )


def _check_recorded_throughout(out: Checked) -> None:
    """A field is recorded on every row or on none: a share over the rows that happen to hold
    it would be a share of an unknown subset."""
    for col in out.table.columns:
        if col.not_recorded != "throughout" or col.name not in out.values:
            continue
        v = out.values[col.name]
        missing = v.rows(np.asarray(v.uniques == NOT_RECORDED))
        if missing.any() and not missing.all():
            # The first row that disagrees with row 2 (the first data row) is the one reported.
            out.report.mask(
                missing != missing[0],
                col.name,
                v.at,
                f"{col.what} is {NOT_RECORDED!r} on some rows and recorded on others",
                f"{col.what} recorded on every row, or {NOT_RECORDED!r} on every row (a source that does not hold it)",
            )


def _arrow(frame: pd.DataFrame, name: str, values: dict[str, _Values] | None):
    """A key column as an Arrow array: the codes of a factorized column, else the strings
    themselves (without a copy when pandas already holds them in Arrow)."""
    import pyarrow as pa

    if values is not None and name in values:
        return pa.array(values[name].codes)
    s = frame[name]
    held = getattr(s.array, "_pa_array", None)
    if held is not None and (pa.types.is_string(held.type) or pa.types.is_large_string(held.type)):
        return held
    return pa.array(_as_text(s).astype(object).to_numpy(), type=pa.large_string())


def report_repeats(
    frame: pd.DataFrame,
    rep: Report,
    columns: list[str],
    among: np.ndarray,
    message: Callable[[int, int], str],
    expected: str,
    level: str = ERROR,
    column: str | None = None,
    value: Callable[[int], object] | None = None,
    values: dict[str, _Values] | None = None,
) -> None:
    """Report rows (within ``among``) whose ``columns`` repeat an earlier row's; ``message`` gets
    the row's position and the spreadsheet row of the first of its kind.

    By a stable sort of the key and a comparison of neighbours, not by hashing: hashing 3 million
    distinct ids (pandas' or Arrow's factorize) holds about 300 MB more than the sort does.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    among = np.asarray(among, dtype=bool)
    if among.sum() < 2:
        return
    keys = {f"k{i}": _arrow(frame, name, values) for i, name in enumerate(columns)}
    table = pa.table({"out": pa.array(~among), **keys})  # rows outside ``among`` sort last
    order = pc.sort_indices(table, sort_keys=[("out", "ascending")] + [(k, "ascending") for k in keys])
    order = order.to_numpy()[: int(among.sum())]  # stable: equal keys keep their row order
    same = np.ones(len(order) - 1, dtype=bool)
    for k in keys:
        ranked = table[k].take(pa.array(order))
        same &= pc.equal(ranked.slice(1), ranked.slice(0, len(order) - 1)).to_numpy(zero_copy_only=False)
        del ranked
    if not same.any():
        return
    # In sorted order a repeat is a row equal to the one before it; the first of its run is its first.
    starts = np.r_[True, ~same]
    first_of_run = order[starts][np.cumsum(starts) - 1]
    repeat = ~starts
    dup = np.zeros(len(frame), dtype=bool)
    dup[order[repeat]] = True
    first_of = np.full(len(frame), -1, dtype=np.int64)
    first_of[order[repeat]] = first_of_run[repeat]
    col = column or columns[0]
    rep.mask(
        dup,
        col,
        value or (lambda pos: frame[col].iloc[pos]),
        lambda pos: message(pos, rep.row_of(int(first_of[pos]))),
        expected,
        level,
    )


def _repeats(
    out: Checked, columns: list[str], among: np.ndarray, message, expected, level=ERROR, column=None, value=None
):
    report_repeats(out.frame, out.report, columns, among, message, expected, level, column, value, out.values)


def _check_unique(out: Checked) -> None:
    t, frame = out.table, out.frame
    key = [c for c in t.unique if c in frame.columns]
    if not key:
        return
    among = (frame[key[0]] != "").to_numpy()
    what = key[0] if len(key) == 1 else ", ".join(key[:-1]) + " and " + key[-1]
    verb = "repeats" if len(key) == 1 else "repeat"
    if t.layout == "monthly":
        expected = f"each {what} once"
    else:
        expected = "each record once (ids unique)"
    value = None
    if len(key) > 1:
        value = lambda pos: tuple(str(frame[c].iloc[pos]) for c in key)  # noqa: E731
    _repeats(out, key, among, lambda pos, first: f"{what} {verb} the one on row {first}", expected, value=value)


def _check_same_day(out: Checked) -> None:
    t, frame = out.table, out.frame
    if not t.same_day or any(c not in frame.columns for c in t.same_day):
        return
    person, day = t.same_day
    if day not in out.parsed:
        return
    dates_ok = ~np.isnat(out.parsed[day][out.values[day].codes])
    among = ((frame[person] != "").to_numpy()) & dates_ok
    _repeats(
        out,
        [person, day],
        among,
        lambda pos, first: (
            f"{person} {frame[person].iloc[pos]} has another record on the same day (row {first}): both count, and "
            "the later one counts as a re-referral"
        ),
        "one record per person per day, unless there really were two",
        WARNING,
        column=person,
    )


def _check_gaps(out: Checked, today: pd.Timestamp) -> None:
    """Every month from the first to the last: a warning for a record layout where a month has
    no record at all, an error for a monthly table without a row for a month."""
    t = out.table
    if t.gaps is None:
        return
    name = next((n for n in t.of_type("date", "month") if n in out.parsed), None)
    if name is None:
        return
    values = out.parsed[name]
    if t.column(name).type == "date":
        good = values[~np.isnat(values)]
        ordinals = np.unique(pd.DatetimeIndex(good).to_period("M").asi8) if len(good) else np.array([], dtype=np.int64)
    else:
        ordinals = np.unique(values[values >= 0])
    if len(ordinals) == 0:
        return
    span = np.arange(ordinals[0], ordinals[-1] + 1)
    lacking = np.setdiff1d(span, ordinals)
    first, last = pd.Period(ordinal=int(span[0]), freq="M"), pd.Period(ordinal=int(span[-1]), freq="M")
    for ordinal in lacking[:LIMIT]:
        m = pd.Period(ordinal=int(ordinal), freq="M")
        if t.gaps == "error":
            out.report.add(
                f"month {m} is missing: months must run without gaps from {first} to {last}",
                column=name,
                value=str(m),
                expected="a row for every month (0 requests if none)",
                after=True,
            )
        else:
            out.report.add(
                f"no records at all in {m} (the extract runs {first} to {last}): is a month missing?",
                column=name,
                value=str(m),
                expected="records in every month from the first to the last",
                level=WARNING,
                after=True,
            )
    out.report.total += max(0, len(lacking) - LIMIT)


# --------------------------------------------------------------------------- files


def read_csv(
    path: str | Path, layout: str | Table, *, today: dt.date | str | None = None, report: Report | None = None
) -> Checked:
    """Read a CSV file and check it as ``validate`` does: the file's own problems (encoding,
    shape, rows of the wrong length), then the layout's (:func:`check`), all in one report whose
    rows are the file's rows as a spreadsheet shows them. A reader calls
    :meth:`Checked.raise_first` on the result; ``validate`` lists ``result.problems``."""
    rep = report if report is not None else Report(path)
    file = csvfile.scan(path, rep)
    if file is None:
        return Checked(_first_layout(layout), rep)
    found = pick(layout, file.header)
    if isinstance(found, Problem):
        rep.add(found.message, row=1, value=found.value, expected=found.expected)
        return Checked(_first_layout(layout), rep)
    got = csvfile.frame(file, rep)
    if got is None:
        return Checked(found, rep)
    df, rep.rows = got
    return check(df, found, today=today, report=rep)


def read_text(path: str | Path) -> pd.DataFrame:
    """A CSV file's rows as strings named by its (stripped) header, read as :func:`read_csv` reads
    it but not checked against a layout; the first problem of the file itself raises
    :class:`~csdemand.core.errors.InputError`. Blank lines are skipped."""
    rep = Report(path)
    file = csvfile.scan(path, rep)
    got = csvfile.frame(file, rep) if file is not None else None
    rep.raise_first()
    return got[0]


def _first_layout(layout: str | Table) -> Table:
    if isinstance(layout, Table):
        return layout
    return (layouts(layout) or (table(layout),))[0]


# --------------------------------------------------------------------------- documents


def _describe_type(col: Column, unique: bool = False) -> str:
    if col.type == "id":
        return "text, on every row" + (", each once" if unique else "")
    if col.type == "date":
        text = f"date `YYYY-MM-DD`, {col.earliest:%Y-%m-%d} to today"
        if col.not_before:
            text += f", not before `{col.not_before}`"
        return text + (f"; empty {col.blank.removeprefix('empty ')}" if col.blank else "")
    if col.type == "month":
        return f"month `YYYY-MM`, {col.earliest:%Y-%m} to this month"
    if col.type == "count":
        return "whole number, 0 or more" + (f", at most {col.maximum:,}" if col.maximum is not None else "")
    if col.type in ("code", "flag"):
        text = " or ".join(", ".join(f"`{c}`" for c in col.codes).rsplit(", ", 1))
        if col.not_recorded == "throughout":
            text += f"; or `{NOT_RECORDED}` on every row"
        elif col.not_recorded:
            text += f", or `{NOT_RECORDED}`"
        return text
    return "text"


def markdown(layout: str | Table) -> str:
    """A layout's columns and rules as the README prints them (generated here, checked by a test)."""
    t = layout if isinstance(layout, Table) else table(layout)
    title = f"`{t.name}`: {t.label}" + (f" (a layout of `{t.table}`)" if t.table != t.name else "")
    lines = [title, "", "| column | required | values | what it holds |", "|---|---|---|---|"]
    for c in t.columns:
        unique = t.unique == (c.name,)
        lines.append(f"| `{c.name}` | {'yes' if c.required else 'no'} | {_describe_type(c, unique)} | {c.meaning} |")
    rules = []
    if len(t.unique) > 1:
        rules.append("each combination of " + " and ".join(f"`{c}`" for c in t.unique) + " (those present) once")
    if t.gaps == "error":
        rules.append("a row for every month from the first to the last")
    warnings = []
    if t.same_day:
        warnings.append("the same " + " on the same ".join(f"`{c}`" for c in t.same_day) + " twice")
    if t.gaps == "warning":
        warnings.append("a month between the first and the last without any row")
    if rules:
        lines += ["", "Rules: " + "; ".join(rules) + "."]
    if warnings:
        lines += ["", "Warnings (accepted, worth a look): " + "; ".join(warnings) + "."]
    return "\n".join(lines)


def readme_tables() -> str:
    """Every layout's table, as the README's section "Your own data" prints them (generated from
    the declarations; ``tests/core/test_schema.py`` checks the README holds exactly this)."""
    ordered = sorted(tables().values(), key=lambda t: (t.table, t.layout != "record"))
    return "\n\n".join(markdown(t) for t in ordered)
