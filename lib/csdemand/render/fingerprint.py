"""Content hashes of what a briefing reads and of the code that makes it.

Two things use them: the cache of data checks (:mod:`csdemand.render.checks`: a file is checked
again when its content hash changes) and ``render --only-changed`` with the "What's new" box
(:mod:`csdemand.render.changes`: a briefing whose inputs and code hash as they did at its last
render is not rendered again).

- **Code**: every source file of the package (Python, code lists, templates) and the versions of
  Python and of the libraries whose output reaches a page, and the briefing's notebook.
- **Published data**: every file at the top of the data folder (``data/sample`` or
  ``$CSDEMAND_DATA``): the tidy tables the importer wrote.
- **Local data**: for each local table the briefing reads, the data config's entry and the
  content of the file it names for the authority (with its ``.meta.json``); ``none`` where the
  authority has no source. A database query cannot be hashed: such a briefing always counts as
  changed.

Hashes are BLAKE2b of the bytes, memoised by path, size and modification time within a process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from pathlib import Path

#: Libraries whose versions are part of the code hash (a new pandas or matplotlib may print or draw otherwise).
LIBRARIES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "nbconvert",
    "nbclient",
    "nbformat",
    "papermill",
    "ipykernel",
    "jinja2",
)
#: Package files that are code (anything else in the package folder is ignored).
CODE_SUFFIXES = (".py", ".csv", ".j2", ".css", ".json", ".yml", ".yaml")
#: Stands for an input that cannot be hashed (a database query).
UNHASHABLE = "unhashable"

_memo: dict[tuple[str, int, int], str] = {}


def digest_text(*parts: object) -> str:
    """A short hash of texts (JSON for anything that is not text)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        text = part if isinstance(part, str) else json.dumps(part, sort_keys=True, default=str)
        h.update(text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def file_digest(path: str | Path) -> str:
    """The content hash of a file, ``missing`` where there is none (memoised by size and mtime)."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return "missing"
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    found = _memo.get(key)
    if found is None:
        h = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        found = _memo[key] = h.hexdigest()
    return found


@functools.cache
def package_digest() -> str:
    """The hash of the package's code and the versions it runs on (fixed for a process)."""
    from importlib import metadata

    import csdemand

    root = Path(csdemand.__file__).parent
    files = sorted(
        p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
    )
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = ""
    return digest_text(
        sys.version, versions, [(p.relative_to(root).as_posix(), file_digest(p)) for p in files], csdemand.__version__
    )


def code_digest(notebook: str | Path) -> str:
    """The hash of a briefing's code: the package (:func:`package_digest`) and its notebook."""
    return digest_text(package_digest(), file_digest(notebook))


def published_digest(data_dir: str | Path | None = None) -> str:
    """The hash of the published tables: every file at the top of the data folder."""
    from csdemand.core import paths

    folder = Path(data_dir or paths.data_dir())
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return "missing"
    return digest_text([(p.name, file_digest(p)) for p in files])


def local_digest(table: str, auth, cfg: dict) -> str:
    """The hash of one local source of an authority (see the module): ``none`` where it has no
    source, :data:`UNHASHABLE` for a database query."""
    from csdemand.local import sources as local_sources

    if table not in cfg.get("tables", {}) or not local_sources.is_configured(table, auth.slug, cfg):
        return "none"
    entry = cfg["tables"][table]
    if entry.get("format") == "sql" or "path" not in entry:
        return UNHASHABLE
    path = local_sources.resolve_path(table, auth.slug, cfg, auth.la_number)
    return digest_text(table, entry, file_digest(path), file_digest(Path(path).with_suffix(".meta.json")))


def this_month() -> str:
    """The current month, ``YYYY-MM``: a briefing of local data shows full months only, so a new
    month may change it though no file did."""
    import datetime as dt

    return f"{dt.date.today():%Y-%m}"


def inputs_of(briefing, auth, period: str, cfg: dict) -> dict:
    """What a briefing reads for an authority and a requested period, as hashes: ``parameters``,
    ``published``, ``local`` (table -> hash) and, where it reads local data, ``month``."""
    local = {t: local_digest(t, auth, cfg) for t in sorted(briefing.local_tables()) if t in cfg.get("tables", {})}
    found = {
        "parameters": {"la": str(auth.la_number), "period": str(period)},
        "published": published_digest(),
        "local": local,
    }
    if any(v != "none" for v in local.values()):
        found["month"] = this_month()
    return found


def inputs_digest(inputs: dict) -> str | None:
    """One hash of :func:`inputs_of`, or None when an input cannot be hashed."""
    if UNHASHABLE in inputs.get("local", {}).values():
        return None
    return digest_text(inputs)


def cache_dir() -> Path:
    """Where render keeps its cache: ``$CSDEMAND_CACHE``, else ``$XDG_CACHE_HOME/csdemand``, else
    ``~/.cache/csdemand``."""
    if os.environ.get("CSDEMAND_CACHE"):
        return Path(os.environ["CSDEMAND_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csdemand"
