"""One door for a council's own data: where each local table comes from, read into the project's layout.

``config/data.yml`` (or the file ``$CSDEMAND_CONFIG`` names) says, for each local table, what
format it is in and where it lives::

    version: 1
    tables:
      referrals:
        format: csv                     # csv | xlsx | sql | annex_a
        path: data/sample/local/referrals_{la}_synthetic.csv

``{la}`` is the authority's slug (``352-manchester``) and ``{la_number}`` its number; relative
paths are relative to the repository root. Keys by format:

=========  =================================================================================
format     keys
=========  =================================================================================
csv        ``path``: a CSV in the table's layout
xlsx       ``path``, optional ``sheet`` (default the first): a sheet in the table's layout
sql        ``url_env``: the environment variable holding the SQLAlchemy URL (credentials
           never go in the file: a ``url`` key is refused); ``query``: SQL returning the
           table's columns, which may use the bind parameter ``:la`` (the LA number)
annex_a    ``path`` to the Ofsted Annex A workbook and ``list`` (3 referrals, 2 early help,
           8 looked after), optional ``sheet``: see :mod:`csdemand.local.annex_a`
=========  =================================================================================

The tables and their layouts: ``referrals`` (:mod:`csdemand.local.referrals`),
``early_help_requests`` (:mod:`csdemand.local.early_help`, either layout) and ``looked_after``
(:mod:`csdemand.local.looked_after`). :func:`read_raw` returns a table as text, exactly as a CSV
would give it; :func:`load` checks and types it with the layout's ``from_frame``, so a query or a
workbook is held to the same rules as a CSV and its errors name the source.
"""

from __future__ import annotations

import datetime as dt
import os
import string
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from csdemand.local import early_help as early_help_data
from csdemand.local import looked_after as local_looked_after
from csdemand.local import referrals as local_referrals
from csdemand.core import paths
from csdemand.core.errors import InputError
from csdemand.core.text import cell_text, read_text_table  # noqa: F401  (cell_text re-exported)

VERSION = 1

#: Each local table and the function that checks and types it (``from_frame(df, source)``).
TABLES: dict[str, Any] = {
    "referrals": local_referrals.from_frame,
    "early_help_requests": early_help_data.from_frame,
    "looked_after": local_looked_after.from_frame,
}

#: The Annex A list that holds each table.
ANNEX_A_LISTS: dict[str, int] = {"referrals": 3, "early_help_requests": 2, "looked_after": 8}

#: Per format: (required keys, optional keys).
FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "csv": (("path",), ()),
    "xlsx": (("path",), ("sheet",)),
    "sql": (("url_env", "query"), ()),
    "annex_a": (("path", "list"), ("sheet",)),
}

#: Placeholders a path may use.
PLACEHOLDERS = ("la", "la_number")


class ConfigError(InputError):
    """A problem in the data config file; ``key`` is the dotted key (``tables.referrals.format``)."""

    def __init__(self, message: str, *, file: str | Path | None, key: str | None = None, value: object = None, expected: str | None = None, row: int | None = None) -> None:
        self.key = key
        super().__init__(f"{key}: {message}" if key else message, file=file, row=row, value=value, expected=expected)


# --------------------------------------------------------------------------- config


def config_path() -> Path:
    """``$CSDEMAND_CONFIG`` or ``config/data.yml`` at the repository root."""
    env = os.environ.get("CSDEMAND_CONFIG", "").strip()
    return Path(env) if env else paths.ROOT / "config" / "data.yml"


def load_config(path: str | Path | None = None) -> dict:
    """Read and check the data config; return ``{"version": 1, "tables": {...}, "file": <path>}``.

    Each table's entry is a dict with ``format`` and that format's keys. Every problem raises
    :class:`ConfigError` naming the file and the key.
    """
    import yaml

    path = Path(path) if path is not None else config_path()
    if not path.is_file():
        raise ConfigError("the data config file does not exist", file=path, expected="a YAML file like config/data.yml (set $CSDEMAND_CONFIG to use another)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML ({getattr(exc, 'problem', None) or exc})", file=path, row=mark.line + 1 if mark else None) from None
    return _validate(raw, path)


def _validate(raw: object, file: str | Path) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a mapping with 'version' and 'tables'", file=file, value=type(raw).__name__, expected="version: 1 and tables: ...")
    unknown = sorted(set(map(str, raw)) - {"version", "tables"})
    if unknown:
        raise ConfigError("unknown key", file=file, key=unknown[0], expected="only 'version' and 'tables' at the top level")
    if raw.get("version") != VERSION:
        raise ConfigError("unsupported or missing version", file=file, key="version", value=raw.get("version"), expected=f"version: {VERSION}")
    tables = raw.get("tables")
    if tables is None:
        tables = {}
    if not isinstance(tables, dict):
        raise ConfigError("must be a mapping of table name to source", file=file, key="tables", value=tables, expected="table names " + ", ".join(TABLES))
    out: dict[str, dict] = {}
    for name, entry in tables.items():
        key = f"tables.{name}"
        if name not in TABLES:
            raise ConfigError("unknown table", file=file, key=key, value=name, expected="one of " + ", ".join(TABLES))
        if not isinstance(entry, dict):
            raise ConfigError("must be a mapping with 'format' and its keys", file=file, key=key, value=entry)
        if "url" in entry:
            raise ConfigError(
                "a database URL must not be written in the config file: it holds the password, and this file is "
                "committed and shared. Put the SQLAlchemy URL in an environment variable and name that variable with url_env",
                file=file,
                key=f"{key}.url",
                expected="url_env: CSDEMAND_DB_URL (or another variable name)",
            )
        fmt = entry.get("format")
        if fmt not in FORMATS:
            raise ConfigError("unknown or missing format", file=file, key=f"{key}.format", value=fmt, expected="one of " + ", ".join(FORMATS))
        required, optional = FORMATS[fmt]
        for k in required:
            if entry.get(k) in (None, ""):
                raise ConfigError(f"missing (a {fmt} source needs {', '.join(required)})", file=file, key=f"{key}.{k}")
        extra = sorted(set(map(str, entry)) - {"format", *required, *optional})
        if extra:
            raise ConfigError(f"not a key of a {fmt} source", file=file, key=f"{key}.{extra[0]}", expected="keys " + ", ".join(("format",) + required + optional))
        clean: dict[str, Any] = {"format": fmt}
        for k in required + optional:
            if k in entry and entry[k] is not None:
                clean[k] = entry[k] if k == "list" else str(entry[k])
        if "path" in clean:
            _check_placeholders(clean["path"], file, f"{key}.path")
        if fmt == "sql" and not clean["url_env"].replace("_", "").isalnum():
            raise ConfigError("not an environment variable name", file=file, key=f"{key}.url_env", value=clean["url_env"], expected="a name such as CSDEMAND_DB_URL")
        if fmt == "annex_a":
            want = ANNEX_A_LISTS[name]
            try:
                number = int(str(clean["list"]).strip())
            except ValueError:
                number = None
            if number != want:
                raise ConfigError(f"the {name} table is Annex A List {want}", file=file, key=f"{key}.list", value=clean["list"], expected=f"list: {want}")
            clean["list"] = number
        out[str(name)] = clean
    return {"version": VERSION, "tables": out, "file": str(file)}


def _check_placeholders(template: str, file: str | Path, key: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ConfigError(f"bad braces in the path ({exc})", file=file, key=key, value=template, expected="{la} or {la_number} only") from None
    bad = [f for f in fields if f not in PLACEHOLDERS]
    if bad:
        raise ConfigError(f"unknown placeholder {{{bad[0]}}}", file=file, key=key, value=template, expected="{la} (the slug, e.g. 352-manchester) or {la_number}")


def _config(config: dict | str | Path | None) -> dict:
    if config is None or isinstance(config, (str, Path)):
        return load_config(config)
    # A dict from load_config carries the file it came from; a hand-made one is checked as well.
    return _validate({k: v for k, v in config.items() if k != "file"}, config.get("file", "<config dict>"))


def _entry(table: str, cfg: dict) -> dict:
    if table not in TABLES:
        raise ConfigError("unknown table", file=cfg["file"], key=f"tables.{table}", expected="one of " + ", ".join(TABLES))
    entry = cfg["tables"].get(table)
    if entry is None:
        raise ConfigError("no source is configured for this table", file=cfg["file"], key=f"tables.{table}", expected="an entry with format and its keys")
    return entry


def resolve_path(table: str, la_slug: str, config: dict | str | Path | None = None, la_number: int | None = None) -> Path:
    """The file a csv, xlsx or annex_a source reads for an LA: ``{la}`` filled in, relative to the repo root."""
    cfg = _config(config)
    entry = _entry(table, cfg)
    if "path" not in entry:
        raise ConfigError(f"a {entry['format']} source has no path", file=cfg["file"], key=f"tables.{table}.format", value=entry["format"])
    number = "" if la_number is None else str(la_number)
    if la_number is None and "{la_number}" in entry["path"]:
        number = la_slug.split("-", 1)[0]
    path = Path(entry["path"].format(la=la_slug, la_number=number)).expanduser()
    return path if path.is_absolute() else paths.ROOT / path


# --------------------------------------------------------------------------- what and where


def source_label(table: str, la_slug: str, config: dict | str | Path | None = None) -> str:
    """Where a table comes from, for messages and provenance: a file path, ``sheet 'X' of <path>``,
    ``Annex A List 3 of <path>`` or ``query on $CSDEMAND_DB_URL`` (never the URL itself)."""
    cfg = _config(config)
    entry = _entry(table, cfg)
    fmt = entry["format"]
    if fmt == "sql":
        return f"query on ${entry['url_env']}"
    path = resolve_path(table, la_slug, cfg)
    if fmt == "xlsx":
        return f"sheet {entry['sheet']!r} of {path}" if "sheet" in entry else f"first sheet of {path}"
    if fmt == "annex_a":
        return f"sheet {entry['sheet']!r} of {path}" if "sheet" in entry else f"Annex A List {entry['list']} of {path}"
    return str(path)


def is_configured(table: str, la_slug: str, config: dict | str | Path | None = None) -> bool:
    """Whether there is local data to read for this table and LA.

    False when the table has no entry, when a file source's path does not exist for this LA (a
    briefing then says there is no local extract for the authority), or when a sql source's
    environment variable is unset. True does not promise the data are valid: :func:`load` checks.
    """
    cfg = _config(config)
    if table not in TABLES:
        raise ConfigError("unknown table", file=cfg["file"], key=f"tables.{table}", expected="one of " + ", ".join(TABLES))
    entry = cfg["tables"].get(table)
    if entry is None:
        return False
    if entry["format"] == "sql":
        return bool(os.environ.get(entry["url_env"], "").strip())
    return resolve_path(table, la_slug, cfg).is_file()


# --------------------------------------------------------------------------- reading


def read_raw(table: str, la_slug: str, la_number: int, config: dict | str | Path | None = None) -> pd.DataFrame:
    """The table for an LA as text, in the project's layout for it: every cell a string (empty
    for a missing value, dates ``YYYY-MM-DD``), header names stripped, as a CSV reads.

    Not yet checked: :func:`load` does that. Annex A sources also fill ``df.attrs`` (see
    :mod:`csdemand.local.annex_a`).
    """
    cfg = _config(config)
    entry = _entry(table, cfg)
    fmt = entry["format"]
    if fmt == "sql":
        return _read_sql(entry, la_number, cfg["file"], table)
    path = resolve_path(table, la_slug, cfg, la_number)
    if not path.is_file():
        raise InputError(
            f"no {table} file for this authority",
            file=path,
            expected=f"the file that {cfg['file']} names at tables.{table}.path, with {{la}} = {la_slug}",
        )
    if fmt == "csv":
        return read_text_table(path)
    if fmt == "xlsx":
        return _read_xlsx(path, entry.get("sheet"))
    from csdemand.local import annex_a

    return annex_a.read_list(path, entry["list"], sheet=entry.get("sheet"))


def load(table: str, la_slug: str, la_number: int, config: dict | str | Path | None = None) -> pd.DataFrame:
    """The table for an LA, checked and typed by its layout's ``from_frame`` (see :data:`TABLES`).

    Errors are :class:`InputError` naming the source (:func:`source_label`), the row (header =
    row 1) and the column. ``df.attrs`` carries ``source`` (the label) and anything the reader
    recorded (Annex A: what the list does not hold).
    """
    cfg = _config(config)
    raw = read_raw(table, la_slug, la_number, cfg)
    label = source_label(table, la_slug, cfg)
    out = TABLES[table](raw, label)
    out.attrs.update(raw.attrs)
    out.attrs["source"] = label
    return out


# --------------------------------------------------------------------------- formats


def _text_frame(rows: list, columns: list) -> pd.DataFrame:
    """Rows of values (a sequence per row) as a frame of strings, named by ``columns`` (stripped)."""
    data = {}
    for i in range(len(columns)):
        values = [r[i] for r in rows]
        # Most database text columns are already str: skip the per-cell conversion for them.
        if not all(type(v) is str for v in values):
            values = [cell_text(v) for v in values]
        data[i] = pd.Series(values, dtype=str)
    df = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    df.columns = [cell_text(c).strip() for c in columns]
    return df


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        df = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object, engine="openpyxl", keep_default_na=False, na_values=[])
    except ValueError as exc:
        if sheet is not None and "not found" in str(exc):
            import openpyxl

            names = openpyxl.load_workbook(path, read_only=True).sheetnames
            raise InputError(f"the workbook has no sheet {sheet!r}", file=path, value=sheet, expected="one of " + ", ".join(repr(n) for n in names)) from None
        raise InputError(f"the workbook cannot be read ({exc})", file=path, expected="an .xlsx workbook") from None
    except Exception as exc:  # zipfile.BadZipFile, openpyxl's InvalidFileException
        raise InputError(f"the workbook cannot be read ({type(exc).__name__}: {exc})", file=path, expected="an .xlsx workbook") from None
    return _text_frame(df.to_numpy().tolist(), list(df.columns))


def _read_sql(entry: dict, la_number: int, config_file: str, table: str) -> pd.DataFrame:
    from sqlalchemy import create_engine, exc, text

    var = entry["url_env"]
    label = f"query on ${var}"
    url = os.environ.get(var, "").strip()
    if not url:
        raise InputError(
            f"the environment variable {var} is not set: it must hold the SQLAlchemy URL of the database "
            f"that tables.{table} in {config_file} queries",
            file=config_file,
            expected=f"export {var}='postgresql+psycopg://user:password@host/dbname' (or another SQLAlchemy URL)",
        )
    statement = text(entry["query"])
    params = {"la": int(la_number)} if "la" in statement.compile().params else {}
    try:
        engine = create_engine(url)
    except (exc.ArgumentError, ImportError) as e:
        # Never echo the URL: it holds the password.
        raise InputError(f"${var} is not a usable SQLAlchemy URL ({type(e).__name__}: {_first_line(e)})", expected="a URL such as postgresql+psycopg://user:password@host/dbname") from None
    try:
        with engine.connect() as conn:
            result = conn.execute(statement, params)
            columns = list(result.keys())
            rows = result.fetchall()
    except exc.SQLAlchemyError as e:
        raise InputError(f"the query failed: {_first_line(getattr(e, 'orig', None) or e)}", file=label, expected=f"a query in {config_file} at tables.{table}.query that runs on the database") from None
    finally:
        engine.dispose()
    return _text_frame(rows, columns)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# --------------------------------------------------------------------------- the one door


def extract_meta(path: str | Path) -> dict:
    """The sidecar ``<extract>.meta.json`` (says whether an extract is synthetic), or ``{}``."""
    import json

    meta = Path(path).with_suffix(".meta.json")
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


class LocalRecords(NamedTuple):
    """A local table as a briefing receives it.

    ``frame``: the validated records; ``label``: where they came from; ``synthetic``: whether the
    source says it is synthetic (its ``.meta.json``); ``not_recorded``: the fields the source does
    not hold (e.g. Annex A has no ``domestic_abuse``, ``hub``, ``reason`` or early help
    ``outcome``): their columns carry placeholders, and a briefing leaves out what needs them.
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    not_recorded: frozenset[str] = frozenset()


def not_recorded_fields(df: pd.DataFrame) -> frozenset[str]:
    """The fields a reader marked as not held by its source (``df.attrs``: ``<field>_recorded`` False)."""
    return frozenset(k[: -len("_recorded")] for k, v in df.attrs.items() if k.endswith("_recorded") and v is False)


def read_records(extract: str, la, table: str = "referrals") -> LocalRecords | None:
    """A local table through the one door, for the LA ``la`` (anything with ``slug`` and
    ``la_number``): ``"config"`` (or ``"sample"``) reads the source named in ``config/data.yml``
    for this LA (None when it has none); anything else is a file path."""
    if extract.strip().lower() in ("config", "sample", ""):
        if not is_configured(table, la.slug):
            return None
        df = load(table, la.slug, la.la_number)
        label = source_label(table, la.slug)
        cfg = load_config()
        fmt = cfg["tables"][table]["format"]
        path = resolve_path(table, la.slug, cfg) if fmt != "sql" else None
    else:
        path = Path(extract)
        if table == "referrals":
            df = local_referrals.read_extract(path)
        else:
            df = early_help_data.load(path)
        label = str(path)
    synthetic = bool(path is not None and extract_meta(path).get("synthetic", False))
    return LocalRecords(df, label, synthetic, not_recorded_fields(df))
