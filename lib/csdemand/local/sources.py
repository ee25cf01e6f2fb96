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
           table's columns, which may use the bind parameter ``:la`` (the LA number);
           optional ``connect_timeout`` and ``statement_timeout``, seconds (default 10 and
           120): see :func:`read_sql`
annex_a    ``path`` to the Ofsted Annex A workbook and ``list`` (3 referrals, 2 early help,
           8 looked after), optional ``sheet``: see :mod:`csdemand.local.annex_a`
=========  =================================================================================

The tables and their layouts: ``referrals`` (:mod:`csdemand.local.referrals`),
``early_help_requests`` (:mod:`csdemand.local.early_help`, either layout) and ``looked_after``
(:mod:`csdemand.local.looked_after`). :func:`read_raw` returns a table as text, exactly as a CSV
would give it; :func:`load` checks and types it with the layout's ``from_frame``, so a query or a
workbook is held to the same rules as a CSV and its errors name the source.

The config file itself is held to strict rules, each failure a one-line :class:`ConfigError`
(exit 2 from the command line): UTF-8 only (UTF-16, Latin-1 and binary files are named as
such), at most :data:`MAX_CONFIG_BYTES`, no YAML anchors or aliases (an "alias bomb" expands
a few lines into gigabytes), no key given twice in one mapping (the second would silently win),
and paths must name regular files (not a folder, a device or a pipe).

Secrets: a database URL is read from the environment and never printed. Every message about a
database has the URL's user name and password masked (``***``), including a driver's own
messages that echo them; a URL whose user name or password holds an unencoded ``@``, ``/`` or
``?`` is refused before any driver sees it (see :func:`parse_database_url`).
"""

from __future__ import annotations

import math
import os
import re
import stat
import string
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import pandas as pd

from csdemand.core import paths, schema
from csdemand.core.errors import InputError
from csdemand.core.text import cell_text
from csdemand.local import annex_a
from csdemand.local import early_help as early_help_data
from csdemand.local import looked_after as local_looked_after
from csdemand.local import referrals as local_referrals

VERSION = 1

#: Each local table and the function that checks and types it (``from_frame(df, source)``).
TABLES: dict[str, Any] = {
    local_referrals.LAYOUT.table: local_referrals.from_frame,
    early_help_data.TABLE: early_help_data.from_frame,
    local_looked_after.LAYOUT.table: local_looked_after.from_frame,
}
#: Each local table's reader of a CSV file (``reader(path)``): the file read as ``validate``
#: reads it (:func:`csdemand.core.schema.read_csv`), so the two name the same first problem.
FILE_READERS: dict[str, Any] = {
    local_referrals.LAYOUT.table: local_referrals.read_extract,
    early_help_data.TABLE: early_help_data.load,
    local_looked_after.LAYOUT.table: local_looked_after.read_extract,
}

#: The Annex A list that holds each table (``reference/tables/annex_a.yaml``).
ANNEX_A_LISTS: dict[str, int] = {table: number for number, table in annex_a.LIST_TABLES.items()}

#: Per format: (required keys, optional keys).
FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "csv": (("path",), ()),
    "xlsx": (("path",), ("sheet",)),
    "sql": (("url_env", "query"), ("connect_timeout", "statement_timeout")),
    "annex_a": (("path", "list"), ("sheet",)),
}

#: Placeholders a path may use.
PLACEHOLDERS = ("la", "la_number")

#: The largest data config read: the file is a few lines; anything bigger is a wrong path.
MAX_CONFIG_BYTES = 64 * 1024

#: Default seconds to wait for a database to accept a connection / for a query to finish.
CONNECT_TIMEOUT = 10.0
STATEMENT_TIMEOUT = 120.0
#: The longest either timeout may be set to (a day).
MAX_TIMEOUT = 86_400.0
#: Seconds past connect + statement timeout after which a query a driver has not stopped is abandoned.
WATCHDOG_GRACE = 5.0

#: The fields a source may not hold, whose column then says :data:`NOT_RECORDED` on every row
#: (those declared ``not_recorded`` in ``reference/tables``).
MAYBE_NOT_RECORDED: tuple[str, ...] = schema.maybe_not_recorded()
#: The placeholder (the same words in every layout: :data:`csdemand.core.schema.NOT_RECORDED`).
NOT_RECORDED = schema.NOT_RECORDED


class ConfigError(InputError):
    """A problem in the data config file; ``key`` is the dotted key (``tables.referrals.format``)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None,
        key: str | None = None,
        value: object = None,
        expected: str | None = None,
        row: int | None = None,
    ) -> None:
        self.key = key
        if value is not None and len(repr(value)) > 80:
            # A config pointing at the wrong file must not have its content echoed into a log.
            value = repr(value)[:60] + "\u2026"
        super().__init__(f"{key}: {message}" if key else message, file=file, row=row, value=value, expected=expected)


# --------------------------------------------------------------------------- config


def config_path() -> Path:
    """``$CSDEMAND_CONFIG`` or ``config/data.yml`` at the repository root."""
    env = os.environ.get("CSDEMAND_CONFIG", "").strip()
    return Path(env) if env else paths.ROOT / "config" / "data.yml"


def load_config(path: str | Path | None = None) -> dict:
    """Read and check the data config; return ``{"version": 1, "tables": {...}, "file": <path>}``.

    Each table's entry is a dict with ``format`` and that format's keys. Every problem raises
    :class:`ConfigError` naming the file and the key (or the line), in one line: a file that is
    missing, not a regular file, over :data:`MAX_CONFIG_BYTES`, not UTF-8, not YAML, with YAML
    anchors or aliases or a key given twice, or whose entries break the rules of its format.
    """
    path = Path(path) if path is not None else config_path()
    return _validate(_parse_yaml(_config_text(path), path), path)


def _config_text(path: Path) -> str:
    """The config file's text: a regular file of at most :data:`MAX_CONFIG_BYTES`, in UTF-8."""
    expected_file = "a YAML file like config/data.yml (set $CSDEMAND_CONFIG to use another)"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError("the data config file does not exist", file=path, expected=expected_file) from None
    except OSError as exc:
        raise ConfigError(
            f"the data config file cannot be read ({exc.strerror or type(exc).__name__})",
            file=path,
            expected=expected_file,
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            "the data config is not a regular file (a folder, a device or a pipe)", file=path, expected=expected_file
        )
    if st.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"the data config file is {st.st_size:,} bytes: too large for a config (a wrong path?)",
            file=path,
            expected=f"a YAML file of a few lines, at most {MAX_CONFIG_BYTES // 1024} KiB",
        )
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)  # bounded even if the file grows while read
    except OSError as exc:
        raise ConfigError(
            f"the data config file cannot be read ({exc.strerror or type(exc).__name__})",
            file=path,
            expected=expected_file,
        ) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            "the data config file is too large for a config (a wrong path?)",
            file=path,
            expected=f"a YAML file of a few lines, at most {MAX_CONFIG_BYTES // 1024} KiB",
        )
    utf8 = "a YAML file saved as UTF-8 (in a text editor: Save As, encoding UTF-8)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in raw and raw.count(0) * 3 >= len(raw)):
        raise ConfigError("the data config is UTF-16 (or UTF-32) text, not UTF-8", file=path, expected=utf8)
    if b"\x00" in raw:
        nul = raw.index(b"\x00")
        raise ConfigError(
            "the data config is not text: it holds NUL bytes (a binary file?)",
            file=path,
            row=raw.count(b"\n", 0, nul) + 1,
            expected=utf8,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"the data config is not UTF-8 (byte {raw[exc.start]:#04x} on line {line}: saved as Latin-1 or "
            "Windows-1252?)",
            file=path,
            row=line,
            expected=utf8,
        ) from None


def _parse_yaml(text: str, path: Path) -> object:
    """YAML with safe types only, no anchors or aliases, no key twice in a mapping; ConfigError otherwise."""
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if getattr(exc, "csdemand_refusal", False):  # our own rule, not a YAML syntax error
            message = _one_line(problem)
        else:
            message = f"not valid YAML ({_one_line(problem)}{', ' + _one_line(context) if context else ''})"
        raise ConfigError(
            message, file=path, row=mark.line + 1 if mark else None, expected="a YAML mapping like config/data.yml"
        ) from None
    except (RecursionError, MemoryError):
        raise ConfigError(
            "not a usable config: the YAML is nested too deeply or too large",
            file=path,
            expected="a YAML mapping like config/data.yml",
        ) from None


_LOADER = None


def _strict_loader():
    """PyYAML's SafeLoader refusing anchors and aliases, and a key repeated in one mapping."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml
    from yaml.composer import ComposerError
    from yaml.constructor import ConstructorError

    class StrictLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                # Aliases let a few lines stand for gigabytes (an "alias bomb"); a config needs none.
                refusal = ComposerError(
                    None,
                    None,
                    "YAML anchors and aliases (&name, *name) are not allowed in the data config: write each value out",
                    event.start_mark,
                )
                refusal.csdemand_refusal = True
                raise refusal
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)
                seen: dict[object, int] = {}
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue  # SafeLoader reports an unhashable key itself
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        refusal = ConstructorError(
                            None,
                            None,
                            f"the key {key!r} is given twice in one mapping, on lines {seen[key]} and {line} (the "
                            "second would silently replace the first)",
                            key_node.start_mark,
                        )
                        refusal.csdemand_refusal = True
                        raise refusal
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

    _LOADER = StrictLoader
    return _LOADER


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _validate(raw: object, file: str | Path) -> dict:
    if not isinstance(raw, dict):
        raise ConfigError(
            "the config must be a mapping with 'version' and 'tables'",
            file=file,
            value=type(raw).__name__,
            expected="version: 1 and tables: ...",
        )
    unknown = sorted(set(map(str, raw)) - {"version", "tables"})
    if unknown:
        raise ConfigError(
            "unknown key", file=file, key=unknown[0], expected="only 'version' and 'tables' at the top level"
        )
    if raw.get("version") != VERSION:
        raise ConfigError(
            "unsupported or missing version",
            file=file,
            key="version",
            value=raw.get("version"),
            expected=f"version: {VERSION}",
        )
    tables = raw.get("tables")
    if tables is None:
        tables = {}
    if not isinstance(tables, dict):
        raise ConfigError(
            "must be a mapping of table name to source",
            file=file,
            key="tables",
            value=tables,
            expected="table names " + ", ".join(TABLES),
        )
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
                "committed and shared. Put the SQLAlchemy URL in an environment variable and name that variable with "
                "url_env",
                file=file,
                key=f"{key}.url",
                expected="url_env: CSDEMAND_DB_URL (or another variable name)",
            )
        fmt = entry.get("format")
        if fmt not in FORMATS:
            raise ConfigError(
                "unknown or missing format",
                file=file,
                key=f"{key}.format",
                value=fmt,
                expected="one of " + ", ".join(FORMATS),
            )
        required, optional = FORMATS[fmt]
        for k in required:
            if entry.get(k) in (None, ""):
                raise ConfigError(f"missing (a {fmt} source needs {', '.join(required)})", file=file, key=f"{key}.{k}")
        extra = sorted(set(map(str, entry)) - {"format", *required, *optional})
        if extra:
            raise ConfigError(
                f"not a key of a {fmt} source",
                file=file,
                key=f"{key}.{extra[0]}",
                expected="keys " + ", ".join(("format",) + required + optional),
            )
        clean: dict[str, Any] = {"format": fmt}
        for k in required + optional:
            if k in entry and entry[k] is not None:
                if k in ("connect_timeout", "statement_timeout"):
                    clean[k] = _seconds(entry[k], file, f"{key}.{k}")
                else:
                    clean[k] = entry[k] if k == "list" else str(entry[k])
        if "path" in clean:
            _check_placeholders(clean["path"], file, f"{key}.path")
        if fmt == "sql" and not clean["url_env"].replace("_", "").isalnum():
            raise ConfigError(
                "not an environment variable name",
                file=file,
                key=f"{key}.url_env",
                value=clean["url_env"],
                expected="a name such as CSDEMAND_DB_URL",
            )
        if fmt == "annex_a":
            want = ANNEX_A_LISTS[name]
            try:
                number = int(str(clean["list"]).strip())
            except ValueError:
                number = None
            if number != want:
                raise ConfigError(
                    f"the {name} table is Annex A List {want}",
                    file=file,
                    key=f"{key}.list",
                    value=clean["list"],
                    expected=f"list: {want}",
                )
            clean["list"] = number
        out[str(name)] = clean
    return {"version": VERSION, "tables": out, "file": str(file)}


def _seconds(value: object, file: str | Path, key: str) -> float:
    """A timeout in seconds: a number above 0 and at most :data:`MAX_TIMEOUT`."""
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    )
    if not ok:
        raise ConfigError(
            "not a number of seconds",
            file=file,
            key=key,
            value=value if isinstance(value, (int, float, str)) else type(value).__name__,
            expected=f"a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f}, such as 10",
        )
    return float(value)


def _check_placeholders(template: str, file: str | Path, key: str) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ConfigError(
            f"bad braces in the path ({exc})", file=file, key=key, value=template, expected="{la} or {la_number} only"
        ) from None
    bad = [f for f in fields if f not in PLACEHOLDERS]
    if bad:
        raise ConfigError(
            f"unknown placeholder {{{bad[0]}}}",
            file=file,
            key=key,
            value=template,
            expected="{la} (the slug, e.g. 352-manchester) or {la_number}",
        )


def _config(config: dict | str | Path | None) -> dict:
    if config is None or isinstance(config, (str, Path)):
        return load_config(config)
    # A dict from load_config carries the file it came from; a hand-made one is checked as well.
    return _validate({k: v for k, v in config.items() if k != "file"}, config.get("file", "<config dict>"))


def _entry(table: str, cfg: dict) -> dict:
    if table not in TABLES:
        raise ConfigError(
            "unknown table", file=cfg["file"], key=f"tables.{table}", expected="one of " + ", ".join(TABLES)
        )
    entry = cfg["tables"].get(table)
    if entry is None:
        raise ConfigError(
            "no source is configured for this table",
            file=cfg["file"],
            key=f"tables.{table}",
            expected="an entry with format and its keys",
        )
    return entry


def resolve_path(
    table: str, la_slug: str, config: dict | str | Path | None = None, la_number: int | None = None
) -> Path:
    """The file a csv, xlsx or annex_a source reads for an LA: ``{la}`` filled in, relative to the repo root."""
    cfg = _config(config)
    entry = _entry(table, cfg)
    if "path" not in entry:
        raise ConfigError(
            f"a {entry['format']} source has no path",
            file=cfg["file"],
            key=f"tables.{table}.format",
            value=entry["format"],
        )
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

    False when the table has no entry, when nothing exists at a file source's path for this LA (a
    briefing then says there is no local extract for the authority), or when a sql source's
    environment variable is unset. True does not promise the data are valid: :func:`load` checks.
    """
    cfg = _config(config)
    if table not in TABLES:
        raise ConfigError(
            "unknown table", file=cfg["file"], key=f"tables.{table}", expected="one of " + ", ".join(TABLES)
        )
    entry = cfg["tables"].get(table)
    if entry is None:
        return False
    if entry["format"] == "sql":
        return bool(os.environ.get(entry["url_env"], "").strip())
    # Anything at the path counts: a folder or a pipe there is an error to report, not "no data".
    return os.path.lexists(resolve_path(table, la_slug, cfg))


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
    path = _source_file(table, la_slug, la_number, cfg)
    if fmt == "csv":
        return schema.read_text(path)
    if fmt == "xlsx":
        return _read_xlsx(path, entry.get("sheet"))
    return annex_a.read_list(path, entry["list"], sheet=entry.get("sheet"))


def _source_file(table: str, la_slug: str, la_number: int, cfg: dict) -> Path:
    """The file a csv, xlsx or annex_a source reads for an LA; InputError unless it is a regular file."""
    path = resolve_path(table, la_slug, cfg, la_number)
    expected = f"the file that {cfg['file']} names at tables.{table}.path, with {{la}} = {la_slug}"
    if not os.path.lexists(path):
        raise InputError(f"no {table} file for this authority", file=path, expected=expected)
    if not path.is_file():
        # Never read a pipe (it blocks), a device (/dev/zero never ends) or a folder.
        raise InputError(
            f"the {table} source is not a regular file (a folder, a device, a pipe or a broken link)",
            file=path,
            expected=expected,
        )
    return path


def load(table: str, la_slug: str, la_number: int, config: dict | str | Path | None = None) -> pd.DataFrame:
    """The table for an LA, checked and typed by its layout's ``from_frame`` (see :data:`TABLES`).

    Errors are :class:`InputError` naming the source (:func:`source_label`), the row (header =
    row 1) and the column; a table without data rows is "the extract has no rows" whatever its
    format. ``df.attrs`` carries ``source`` (the label) and anything the reader recorded
    (Annex A: what the list does not hold, as ``<field>_recorded`` False).
    """
    cfg = _config(config)
    if _entry(table, cfg)["format"] == "csv":  # read as validate reads a CSV: the same rows, the same first problem
        path = _source_file(table, la_slug, la_number, cfg)
        return _finish(FILE_READERS[table](path), {}, source_label(table, la_slug, cfg))
    raw = read_raw(table, la_slug, la_number, cfg)
    return check_raw(table, raw, source_label(table, la_slug, cfg))


def check_raw(table: str, raw: pd.DataFrame, label: str) -> pd.DataFrame:
    """What :func:`load` does after reading: the layout's checks on a table read as text, the same
    "no rows" rule for every table, and the fields not recorded marked in ``attrs``."""
    try:
        out = TABLES[table](raw, label)
    except InputError:
        raise
    except Exception:
        if len(raw) == 0:  # a reader that stumbles on an empty table: say what is wrong
            raise InputError(schema.NO_ROWS, file=label, expected=schema.NO_ROWS_EXPECTED) from None
        raise
    return _finish(out, raw.attrs, label)


def _finish(out: pd.DataFrame, attrs: dict, label: str) -> pd.DataFrame:
    """A table a reader returned, with what the source recorded in ``attrs``: the attributes of
    the table as read (Annex A's), the fields not recorded, the source's label."""
    if len(out) == 0:
        raise InputError(schema.NO_ROWS, file=label, expected=schema.NO_ROWS_EXPECTED)
    out.attrs.update(attrs)
    for field in not_recorded_fields(out):
        out.attrs[f"{field}_recorded"] = False
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
        df = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            dtype=object,
            engine="openpyxl",
            keep_default_na=False,
            na_values=[],
        )
    except ValueError as exc:
        if sheet is not None and "not found" in str(exc):
            import openpyxl

            names = openpyxl.load_workbook(path, read_only=True).sheetnames
            raise InputError(
                f"the workbook has no sheet {sheet!r}",
                file=path,
                value=sheet,
                expected="one of " + ", ".join(repr(n) for n in names),
            ) from None
        raise InputError(f"the workbook cannot be read ({exc})", file=path, expected="an .xlsx workbook") from None
    except Exception as exc:  # zipfile.BadZipFile, openpyxl's InvalidFileException
        raise InputError(
            f"the workbook cannot be read ({type(exc).__name__}: {exc})", file=path, expected="an .xlsx workbook"
        ) from None
    return _text_frame(df.to_numpy().tolist(), list(df.columns))


def _read_sql(entry: dict, la_number: int, config_file: str, table: str) -> pd.DataFrame:
    var = entry["url_env"]
    url = os.environ.get(var, "").strip()
    if not url:
        raise InputError(
            f"the environment variable {var} is not set: it must hold the SQLAlchemy URL of the database "
            f"that tables.{table} in {config_file} queries",
            file=config_file,
            expected=f"export {var}='postgresql+psycopg://user:password@host/dbname' (or another SQLAlchemy URL)",
        )
    return read_sql(
        url,
        entry["query"],
        {"la": int(la_number)},
        label=f"query on ${var}",
        where=f"tables.{table} in {config_file}",
        connect_timeout=entry.get("connect_timeout", CONNECT_TIMEOUT),
        statement_timeout=entry.get("statement_timeout", STATEMENT_TIMEOUT),
    )


# --------------------------------------------------------------------------- databases


class DatabaseURL(NamedTuple):
    """A database URL checked by :func:`parse_database_url`: ``secrets`` are the strings no
    message may show (the user name and password, raw and %-decoded, and the user-info part)."""

    url: Any  # sqlalchemy.engine.URL
    secrets: tuple[str, ...]


_URL_EXPECTED = (
    "a SQLAlchemy URL such as postgresql+psycopg://user:password@host/dbname, with any @ : / ? in the "
    "user name or password %-encoded (@ as %40, : as %3A, / as %2F, ? as %3F)"
)


def parse_database_url(url: str, var: str) -> DatabaseURL:
    """Split a database URL ourselves before SQLAlchemy does, so that no part of a password can
    end up where a driver echoes it (a host name in "failed to resolve host ..."), and return it
    as SQLAlchemy's URL with the secrets to mask.

    The user information is what precedes the one ``@`` of the authority (the text after ``://``
    up to the first ``/`` or ``?``), as RFC 3986 reads a URL. A URL whose authority holds more
    than one ``@`` (a password with an unencoded ``@``) is refused, and so is one that SQLAlchemy
    would split otherwise (an unencoded ``/`` or ``?`` in the password): the message says to
    %-encode it and quotes nothing of the URL. ``var`` names the environment variable in messages.
    """
    from sqlalchemy.engine import make_url

    scheme, sep, rest = url.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)?", scheme):
        raise InputError(
            f"${var} is not a database URL: it must begin with a dialect and ://, such as postgresql+psycopg://",
            expected=_URL_EXPECTED,
        )
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    user = password = None
    secrets: list[str] = []
    if "@" in authority:
        userinfo = authority[: authority.rindex("@")]
        # Every piece a driver could echo: the whole, user and password raw and decoded, and the
        # fragments an unencoded @ or : would make of them.
        secrets += [userinfo, *re.split(r"[:@]", userinfo)]
        user, colon, password = userinfo.partition(":")
        password = password if colon else None
        secrets += [unquote(x) for x in (user, password or "")]
        if authority.count("@") > 1:
            raise InputError(
                f"the user name or password in ${var} holds an unencoded '@', which makes the URL ambiguous "
                "(the rest of the password would be read as the host name): write each @ in it as %40",
                expected=_URL_EXPECTED,
            )
    try:
        parsed = make_url(url)
    except Exception as exc:  # ArgumentError, ValueError (a port that is not a number)
        raise InputError(
            f"${var} is not a usable SQLAlchemy URL ({type(exc).__name__}: {mask_secrets(_first_line(exc), secrets)})",
            expected=_URL_EXPECTED,
        ) from None
    ours = (unquote(user) if user else None, unquote(password) if password is not None else None)
    theirs = (parsed.username or None, parsed.password if parsed.password is not None else None)
    try:
        parsed.get_dialect()  # an unknown dialect fails here, in our words
    except Exception as exc:  # NoSuchModuleError, ImportError
        raise InputError(
            f"the URL cannot be used ({type(exc).__name__}: {mask_secrets(_first_line(exc), secrets)})",
            expected=_URL_EXPECTED,
        ) from None
    if ours != theirs or "@" in (parsed.host or ""):
        raise InputError(
            f"the user name or password in ${var} holds a character that must be %-encoded (a / or ? in a password): "
            "SQLAlchemy would read part of it as the host or the database name",
            expected=_URL_EXPECTED,
        )
    return DatabaseURL(parsed, tuple(x for x in dict.fromkeys(secrets) if x))


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first; a secret is masked where it
    stands as a word of its own or inside punctuation, not inside a longer word such as a user
    ``postgres`` in ``postgresql``)."""
    for secret in sorted({x for x in secrets if x}, key=len, reverse=True):
        pattern = re.escape(secret)
        if secret[0].isalnum():
            pattern = r"(?<![A-Za-z0-9])" + pattern
        if secret[-1].isalnum():
            pattern += r"(?![A-Za-z0-9])"
        text = re.sub(pattern, "***", text)
    return text


def read_sql(
    url: str,
    query: str,
    params: dict | None = None,
    *,
    label: str = "query",
    where: str = "the data config",
    connect_timeout: float = CONNECT_TIMEOUT,
    statement_timeout: float = STATEMENT_TIMEOUT,
) -> pd.DataFrame:
    """Run ``query`` (bind parameters from ``params`` that it uses) on the database at ``url`` and
    return the rows as text (:func:`_text_frame`).

    Bounded in time: the driver is told to give up connecting after ``connect_timeout`` seconds
    and the server to cancel the statement after ``statement_timeout`` (PostgreSQL through
    libpq's ``connect_timeout`` and ``options=-c statement_timeout``; SQLite's lock wait and a
    progress handler); for any driver, a watchdog abandons the query ``WATCHDOG_GRACE`` seconds
    after both have passed. SQLite files are opened read-only and must exist (never created).
    One connection, no pool. Every failure is an :class:`InputError` whose message names
    ``label`` and ``where`` and never shows the URL's user name or password.
    """
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.pool import NullPool

    var = label.removeprefix("query on $")
    try:
        db = parse_database_url(url, var)
    except InputError as exc:
        raise InputError(exc.message, file=label, expected=exc.expected) from None
    secrets = db.secrets
    sa_url = db.url
    backend, driver = sa_url.get_backend_name(), sa_url.get_driver_name()
    connect_args: dict[str, Any] = {}
    on_connect = None
    if backend == "sqlite":
        sa_url = _sqlite_read_only(sa_url, var)
        connect_args["timeout"] = statement_timeout  # how long to wait for a lock held by a writer

        def on_connect(dbapi_conn, _record):
            deadline = time.monotonic() + statement_timeout
            # SQLite has no statement timeout: a progress handler that returns 1 interrupts it.
            dbapi_conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
    elif backend == "postgresql" and driver in ("psycopg", "psycopg2", "psycopg2cffi"):
        connect_args["connect_timeout"] = max(2, math.ceil(connect_timeout))  # libpq's unit; its minimum is 2
        options = sa_url.query.get("options", "")
        options = " ".join(options) if isinstance(options, tuple) else options
        connect_args["options"] = (
            options + " " if options else ""
        ) + f"-c statement_timeout={int(statement_timeout * 1000)}"

    statement = text(query)
    used = set(statement.compile().params)
    bound = {k: v for k, v in (params or {}).items() if k in used}
    expected_query = f"a query at {where}.query that runs on the database"
    phase = ["connect"]

    def run() -> tuple[list, list]:
        engine = create_engine(sa_url, poolclass=NullPool, connect_args=connect_args)
        if on_connect is not None:
            event.listen(engine, "connect", on_connect)
        try:
            with engine.connect() as conn:
                phase[0] = "query"
                result = conn.execute(statement, bound)
                columns = list(result.keys())
                rows = result.fetchall()
                return rows, columns
        finally:
            engine.dispose()

    limit = connect_timeout + statement_timeout + WATCHDOG_GRACE
    try:
        rows, columns = _with_deadline(run, limit)
    except TimeoutError:
        if phase[0] == "connect":
            message = (
                f"the database did not answer within {_secs(connect_timeout)} (connect_timeout): is the server "
                "up, and the host and port right?"
            )
        else:
            message = (
                f"the query did not finish within {_secs(statement_timeout)} (statement_timeout), and the "
                "driver did not stop it: it was abandoned"
            )
        raise InputError(
            message, file=label, expected=f"a database that answers ({where}: connect_timeout, statement_timeout)"
        ) from None
    except InputError as exc:
        raise InputError(
            mask_secrets(exc.message, secrets), file=label, row=exc.row, column=exc.column, expected=exc.expected
        ) from None
    except Exception as exc:
        raise _database_error(
            exc, phase[0], label, where, expected_query, secrets, connect_timeout, statement_timeout
        ) from None
    return _text_frame(rows, columns)


def _secs(seconds: float) -> str:
    return f"{seconds:g} s"


def _database_error(
    exc: BaseException,
    phase: str,
    label: str,
    where: str,
    expected_query: str,
    secrets,
    connect_timeout: float,
    statement_timeout: float,
) -> InputError:
    """A driver's failure as an InputError with the secrets masked; timeouts said as such."""
    from sqlalchemy import exc as sa_exc

    orig = getattr(exc, "orig", None) or exc
    detail = mask_secrets(_first_line(orig), secrets)
    low = str(orig).lower()
    kind = type(orig).__name__
    if phase == "connect":
        if "timeout" in low or "timed out" in low:
            return InputError(
                f"the database did not answer within {_secs(connect_timeout)} (connect_timeout): {detail}",
                file=label,
                expected=f"a database server that answers ({where}: connect_timeout)",
            )
        if isinstance(exc, (sa_exc.ArgumentError, ImportError, sa_exc.NoSuchModuleError)):
            return InputError(
                f"the URL cannot be used ({type(exc).__name__}: {detail})", file=label, expected=_URL_EXPECTED
            )
        return InputError(
            f"cannot connect to the database: {detail}",
            file=label,
            expected="a reachable database and a user it accepts (the URL in the environment variable)",
        )
    if (
        kind == "QueryCanceled"
        or "statement timeout" in low
        or (kind == "OperationalError" and low.strip() == "interrupted")
    ):
        return InputError(
            f"the query did not finish within {_secs(statement_timeout)} (statement_timeout): is a table locked by "
            "another session, or the query slow?",
            file=label,
            expected=f"a query that finishes in time, or a longer statement_timeout at {where}",
        )
    return InputError(f"the query failed: {detail}", file=label, expected=expected_query)


def _with_deadline(fn, seconds: float):
    """``fn()`` in a daemon thread; TimeoutError if it has not returned after ``seconds`` (it is
    then left to finish or hang on its own: a thread stuck in a driver cannot be stopped)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    worker = threading.Thread(target=target, name="csdemand-sql", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    return box["value"]


def _sqlite_read_only(sa_url, var: str):
    """An SQLite URL opened read-only (``file:...?mode=ro``, a URI): a missing file is refused, not created."""
    database = sa_url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or sa_url.query.get("uri"):
        return sa_url  # in memory, or a URI the analyst wrote themselves
    path = Path(database).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    if not path.exists():
        raise InputError(
            f"the SQLite database that ${var} names does not exist (it is opened read-only, never created)",
            file=path,
            expected="the path of an existing SQLite database file",
        )
    if not path.is_file():
        raise InputError(
            f"the SQLite database that ${var} names is not a regular file",
            file=path,
            expected="the path of an SQLite database file",
        )
    return sa_url.set(
        database="file:" + quote(str(path.resolve())), query={**sa_url.query, "mode": "ro", "uri": "true"}
    )


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
    """The fields the source does not hold: those a reader marked so (``df.attrs``:
    ``<field>_recorded`` False) and those of :data:`MAYBE_NOT_RECORDED` whose column says
    :data:`NOT_RECORDED` (or is missing, for a typed flag) on every row of a non-empty table."""
    marked = {k[: -len("_recorded")] for k, v in df.attrs.items() if k.endswith("_recorded") and v is False}
    if len(df):
        for field in MAYBE_NOT_RECORDED:
            if field in df.columns:
                values = df[field]
                if bool((values.isna() | (values.astype(object) == NOT_RECORDED)).all()):
                    marked.add(field)
    return frozenset(marked)


def read_records(extract: str, la, table: str = "referrals") -> LocalRecords | None:
    """A local table through the one door, for the LA ``la`` (anything with ``slug`` and
    ``la_number``): ``"config"`` (or ``"sample"``) reads the source named in ``config/data.yml``
    for this LA (None when it has none); anything else is the path of a CSV in the table's
    layout, held to the same rules (:func:`check_raw`). ``not_recorded`` names the fields the
    source does not hold (:func:`not_recorded_fields`)."""
    if table not in TABLES:
        raise InputError(f"unknown local table {table!r}", value=table, expected="one of " + ", ".join(TABLES))
    if extract.strip().lower() in ("config", "sample", ""):
        cfg = load_config()
        if not is_configured(table, la.slug, cfg):
            return None
        df = load(table, la.slug, la.la_number, cfg)
        label = source_label(table, la.slug, cfg)
        fmt = cfg["tables"][table]["format"]
        path = resolve_path(table, la.slug, cfg) if fmt != "sql" else None
    else:
        path = Path(extract)
        if not path.is_file():
            what = (
                "does not exist"
                if not os.path.lexists(path)
                else "is not a regular file (a folder, a device, a pipe or a broken link)"
            )
            raise InputError(f"the {table} extract {what}", file=path, expected=f"a CSV file in the {table} layout")
        df = _finish(FILE_READERS[table](path), {}, str(path))
        label = str(path)
    synthetic = bool(path is not None and extract_meta(path).get("synthetic", False))
    return LocalRecords(df, label, synthetic, not_recorded_fields(df))
