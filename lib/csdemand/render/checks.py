"""The data checks ``render`` runs before rendering, cached by the content hash of what they checked.

Before any briefing, ``render`` runs the checks of ``python -m csdemand validate`` on the shipped
tables and on each authority's local sources that the chosen briefings read (a few seconds for
Manchester's extracts). A source that passed is remembered in a small file in the cache folder
(:func:`csdemand.render.fingerprint.cache_dir`, ``checks.json``) under a key made of

- the content hash of the file(s) checked (a changed or new file is checked again),
- the hash of the package's code and library versions (a verdict is never trusted across code
  versions: the checks themselves may have changed),
- the data config's entry for the table, the authority, and today's date (the checks bound dates
  by today, so a verdict is kept for the day it was made).

Only clean verdicts are kept: a source with problems is checked, and its problems listed, on
every run. A database source is always checked (its content cannot be hashed). ``render
--recheck`` ignores the cache. The cache is an optimisation: a cache file that cannot be read or
written is ignored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

from csdemand.render import fingerprint

CACHE_FILE = "checks.json"
VERSION = 1


def _today() -> str:
    return dt.date.today().isoformat()


def cache_file() -> Path:
    """The cache of clean verdicts."""
    return fingerprint.cache_dir() / CACHE_FILE


def load() -> set[str]:
    """The keys of today's clean verdicts (empty when there is no usable cache)."""
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("day") != _today():
        return set()
    clean = data.get("clean")
    return {k for k in clean if isinstance(k, str)} if isinstance(clean, list) else set()


def save(keys: set[str]) -> None:
    """Keep ``keys`` as today's clean verdicts (verdicts of earlier days are dropped); errors are ignored."""
    from csdemand.core import atomic

    path = cache_file()
    text = json.dumps({"version": VERSION, "day": _today(), "clean": sorted(keys)}, indent=0)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.clean_stale(path.parent, depth=0)  # what a killed run left
        atomic.write_texts({path: text})


def shipped_key(tables: tuple[str, ...]) -> str:
    """The key of a clean verdict on the shipped tidy tables ``tables`` (``cla.csv``...)."""
    from csdemand.core import paths

    data = paths.data_dir()
    return fingerprint.digest_text(
        "shipped",
        fingerprint.package_digest(),
        _today(),
        [(t, fingerprint.file_digest(data / f"{t}.csv")) for t in tables],
    )


def local_key(table: str, auth, cfg: dict) -> str | None:
    """The key of a clean verdict on one authority's local source, None for one that cannot be
    hashed (a database query: always checked)."""
    digest = fingerprint.local_digest(table, auth, cfg)
    if digest == fingerprint.UNHASHABLE:
        return None
    return fingerprint.digest_text(
        "local", fingerprint.package_digest(), _today(), table, auth.la_number, auth.slug, digest
    )
