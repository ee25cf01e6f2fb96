"""Check data sources and report every problem in them, not just the first: ``validate``.

The local tables (referrals, early help requests in either layout, children looked after) are
declared once, in ``csdemand/reference/tables/``, and checked by one engine
(:mod:`csdemand.core.schema`), whose CSV reading is :mod:`csdemand.core.csvfile`. The readers
(:mod:`csdemand.local`) raise the first problem that engine reports; this module lists them all,
so the two name the same first problem in the same words. What stays here is the orchestration:
every configured source for every authority (:func:`validate_all`), a file an analyst names
(:func:`check_file`: its table judged by its header, published DfE and ONS files handed to their
readers), the shipped tidy tables (``cla``, ``cin``, ``population``: numbers, status markers,
known LA numbers and measures, whole-number years), and what a report may quote.

Each :class:`Problem` names the source, the row as a spreadsheet shows it (header = row 1), the
column, what was found and what was expected. A warning (``level="warning"``) is worth a look but
the readers accept it: a month without records, the same child referred twice on one day. A note
(``level="info"``) is not a problem: it says which fields a source does not record (``Not
recorded`` on every row, as Annex A gives domestic abuse, hub, reason and outcome), which the
briefings then leave out. For a source that passes, the reader that ``render`` uses is run as
well, its first error reported: what validate passes renders.

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

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, csvfile, paths, tidy
from csdemand.core import schema as declared
from csdemand.core.errors import InputError
from csdemand.core.problems import ERROR, INFO, LIMIT, MORE, WARNING, Problem, Report, count

__all__ = [
    "ERROR",
    "INFO",
    "LIMIT",
    "MORE",
    "SCHEMAS",
    "WARNING",
    "Problem",
    "check_file",
    "check_frame",
    "count",
    "detect_table",
    "validate_all",
]

#: Earliest date (and month) a local extract may hold: the declarations' bound.
EARLIEST = declared.EARLIEST
#: The longest value a problem quotes (the rest is cut, with an ellipsis).
QUOTE_CHARS = 60
#: Fields a source may not hold, marked ``Not recorded`` on every row (reported as a note).
MAYBE_NOT_RECORDED: tuple[str, ...] = declared.maybe_not_recorded()
NOT_RECORDED = declared.NOT_RECORDED
#: Status letters a tidy table may carry (see :mod:`csdemand.core.tidy`).
STATUSES: tuple[str, ...] = tuple(sorted({tidy.canonical_status(m) for m in tidy.MARKERS}))
#: The published tidy tables validated by :func:`validate_all`.
TIDY_TABLES: tuple[str, ...] = ("cla", "cin", "population")


def _short(value: object) -> object:
    """A value as a problem quotes it: text or bytes longer than :data:`QUOTE_CHARS` cut, with an ellipsis."""
    if isinstance(value, str) and len(value) > QUOTE_CHARS:
        return value[:QUOTE_CHARS] + "\u2026"
    if isinstance(value, (bytes, bytearray)) and len(value) > QUOTE_CHARS:
        return bytes(value[:QUOTE_CHARS]) + b"..."
    return value


def _report(source: str | Path, quote: bool = True) -> Report:
    return Report(source, quote=quote, shorten=_short)


# --------------------------------------------------------------------------- tables

#: The tidy tables' shape: the columns of :data:`csdemand.core.tidy.TIDY_COLUMNS` (checked here,
#: with the published data's own rules, not by the local tables' engine).
TIDY = declared.Table(
    name="tidy",
    table="tidy",
    label="tidy table (data/sample cla, cin, population)",
    layout="tidy",
    columns=tuple(declared.Column(c, "text") for c in tidy.TIDY_COLUMNS),
    signature=("measure",),
)

#: Every table validate knows: the declared local layouts, and the tidy tables.
SCHEMAS: dict[str, declared.Table] = {**declared.tables(), "tidy": TIDY}

#: Other names accepted for a table (the tidy tables by file name).
ALIASES: dict[str, str] = {t: "tidy" for t in TIDY_TABLES} | {
    "early_help": "early_help_requests",
    "requests": "early_help_requests",
}


def schema(table: str) -> declared.Table:
    """The table of a name (or alias); InputError naming the known tables otherwise."""
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
    """The table a header belongs to (a :data:`SCHEMAS` key), or None when it matches none: the
    first declared layout whose signature columns the header holds, else the tidy shape."""
    header = {str(c).strip() for c in columns}
    for name, t in declared.tables().items():
        if header & set(t.signature):
            return name
    if {"measure", "value"} & header and len(header & set(tidy.TIDY_COLUMNS)) >= 3:
        return "tidy"
    return None


def looks_like(header: Iterable[str], s: declared.Table) -> bool:
    """Whether a header is recognisably the table's layout: it holds at least half its columns."""
    return declared.looks_like(header, s)


def _layout(s: declared.Table, columns: Iterable[str]) -> declared.Table | Problem:
    """The layout to check a local table's header against: a table with several layouts (early
    help requests) is told apart by the header, as the readers tell it."""
    return declared.pick(s.table if len(declared.layouts(s.table)) > 1 and s.name == s.table else s, columns)


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
    rep = _report(source, quote)
    try:
        s = schema(table)
    except InputError as exc:
        rep.add(exc.message, column="table", value=table, expected=exc.expected or "")
        return rep.finish()
    try:
        if s.layout == "tidy":
            _check_tidy_table(df, s, rep, declared.today_of(today))
        else:
            layout = _layout(s, df.columns)
            if _recognised(layout, df.columns, rep):
                declared.check(df, layout, report=rep, today=today)
    except Exception as exc:  # never a traceback for bad data: say what broke instead
        rep.add(f"the check stopped unexpectedly ({type(exc).__name__}: {exc})", expected="a table this check can read")
    return rep.finish()


def _recognised(layout: declared.Table | Problem, header: Iterable[str], rep: Report) -> bool:
    """Whether to go on checking: the header is one of the table's layouts, and (for a source
    whose values may not be quoted yet) recognisably so; otherwise said, quoting nothing."""
    if isinstance(layout, Problem):
        rep.add(layout.message, row=1, value=layout.value, expected=layout.expected)
        return False
    if not rep.quote:
        if not looks_like(header, layout):
            rep.add(
                declared.not_layout(layout, header)
                + " (nothing of it is quoted here: is the path in the config right?)",
                row=1,
                expected="a header with " + layout.header,
            )
            return False
        rep.quote = True  # the layout's header: its cells may be quoted
    return True


def _as_strings(df: pd.DataFrame, rep: Report) -> pd.DataFrame:
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


def _check_tidy_table(df: pd.DataFrame, s: declared.Table, rep: Report, today: pd.Timestamp) -> None:
    df = _as_strings(df, rep)
    for c in s.required:
        if c not in df.columns:
            rep.add(
                f"missing column {c!r}: the {s.label} needs it", row=1, column=c, expected="a header with " + s.header
            )
    if len(df) == 0:
        rep.add("the table has no rows", expected="at least one row of data below the header")
        return
    _check_tidy(df, s, rep, today)


def _one_of(allowed: Iterable[str]) -> str:
    return "one of " + ", ".join(repr(a) for a in allowed)


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


def _check_number(df: pd.DataFrame, col: str, rep: Report, expected: str) -> pd.Series:
    values = df[col]
    numbers = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
    bad = (numbers.isna() | ~np.isfinite(numbers.astype(float))).to_numpy() & (values != "").to_numpy()
    rep.mask(bad, col, values, "not a number", expected)
    return numbers.where(~bad)


def _check_tidy(df: pd.DataFrame, s: declared.Table, rep: Report, today: pd.Timestamp) -> None:
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
        declared.report_repeats(
            keyed,
            rep,
            ["_area", "period", "measure"],
            np.ones(len(df), dtype=bool),
            lambda pos, first: f"the same area, period and measure as row {first}",
            "one figure per area, period and measure",
            column="measure",
        )


# --------------------------------------------------------------------------- files


def check_file(
    path: str | Path, table: str | None = None, *, today: date | str | None = None, quote: bool = True
) -> list[Problem]:
    """Every problem in a CSV file; ``table`` (a :data:`SCHEMAS` key or alias) is judged by the
    header when None. Also reports files that are empty, binary, in the wrong encoding, not CSV,
    or cut short (:mod:`csdemand.core.csvfile`), and runs the matching reader on a published
    DfE/ONS file. ``quote=False`` (a configured source, with ``table``): nothing of the file is
    quoted unless its header is the layout's. Never raises.

    Only regular files are opened (a folder, FIFO, socket or device is reported, not read), of at
    most :data:`~csdemand.core.text.MAX_FILE_BYTES`; headers of more than
    :data:`~csdemand.core.text.MAX_COLUMNS` columns are reported before any row is read.
    """
    path = Path(path)
    rep = _report(str(path), quote)
    try:
        _check_file(path, table, rep, today)
    except Exception as exc:  # never a traceback for bad data
        rep.add(
            f"the check stopped unexpectedly ({type(exc).__name__}: {exc})", expected="a CSV file this check can read"
        )
    return rep.finish()


def _check_file(path: Path, table: str | None, rep: Report, today: date | str | None) -> None:
    s = None
    if table is not None:
        try:
            s = schema(table)
        except InputError as exc:
            rep.add(exc.message, column="table", value=table, expected=exc.expected or "")
            return
    file = csvfile.scan(path, rep)
    if file is None:
        return
    header = file.header
    if s is None:
        name = detect_table(header)
        if name is None:
            if len(header) == 1:
                rep.add(
                    "not a CSV file: the header row has a single field and no commas",
                    row=1,
                    value=header[0][:60],
                    expected="a comma-separated header row",
                )
                return
            before = rep.total
            csvfile.report_row_lengths(file, rep)  # a published file cut short: say so, not the reader's stumble
            if _check_published(path, rep, run=rep.total == before):
                return
            rep.add(
                "cannot tell which table this is from its header",
                row=1,
                value=",".join(header)[:120],
                expected="; or ".join(f"{sc.label}: {', '.join(sc.required)}" for sc in SCHEMAS.values()),
            )
            return
        s = SCHEMAS[name]
    if s.layout == "tidy":
        if not rep.quote and not looks_like(header, s):
            _recognised(s, header, rep)
            return
        rep.quote = True
        got = csvfile.frame(file, rep)
        if got is not None:
            df, rep.rows = got
            _check_tidy_table(df, s, rep, declared.today_of(today))
        return
    layout = _layout(s, header)
    if not _recognised(layout, header, rep):
        return
    rep.quote = True
    got = csvfile.frame(file, rep)
    del file
    if got is None:
        return
    df, rep.rows = got
    frame = declared.check(df, layout, report=rep, today=today).frame
    del df  # memory: only the table as checked is kept for the reader, not the check's working arrays
    if not rep.errors():
        _check_local_reader(path, layout, frame, rep)


def _check_local_reader(path: Path, layout: declared.Table, frame: pd.DataFrame, rep: Report) -> None:
    """Run the reader ``render`` uses on a file these checks passed (on the table as read, not
    reading the file again); its first error, if any, is a problem: validate never passes what
    render would refuse."""
    local = _local_sources_module()
    if local is None or not hasattr(local, "check_raw"):
        return
    try:
        local.check_raw(layout.table, frame, str(path))
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


def _check_published(path: Path, rep: Report, run: bool = True) -> bool:
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
