"""Reading the tidy tables back from ``data/sample`` (or ``$CSDEMAND_DATA``).

The one door between the shipped tables and every briefing. On the way through, the published
tables (``cla``, ``cin``) get, in this order:

1. :func:`csdemand.published.rebase.rebase`: every rate per 10,000 on the newest population base,
   so a figure for an area and year has one value in every briefing (re-based rows keep the
   published figure in ``published_value`` and are marked ``rebased``);
2. :func:`csdemand.core.disclosure.apply`: DfE's disclosure rules on every count and rate.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from csdemand.core import disclosure, paths, tidy
from csdemand.core.errors import InputError
from csdemand.published import rebase


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(
        path, dtype={"status": "string", "area_code": "string", "region_code": "string"}, keep_default_na=True
    )


@lru_cache(maxsize=8)
def _prepared(table: str, path: str, mtime: float, pop_path: str, pop_mtime: float) -> pd.DataFrame:
    """A published table re-based and disclosure-controlled (cached per file and population file)."""
    df = tidy.conform(_load(path, mtime))
    if pop_path:
        df = rebase.rebase(df, tidy.conform(_load(pop_path, pop_mtime)))
    # The one door to briefings: DfE's disclosure rules on every count and rate.
    return disclosure.apply(df)


def _file(table: str, data_dir: str | Path | None) -> Path:
    path = Path(data_dir) if data_dir is not None else paths.data_dir()
    file = path / f"{table}.parquet"
    if not file.exists():
        file = path / f"{table}.csv"
    if not file.exists():
        raise InputError(
            f"table {table!r} not found",
            file=file,
            expected="the tables written by `python -m csdemand import-dfe` (shipped in data/sample)",
        )
    return file


def load(table: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """A tidy table (``cla``, ``cin``, ``population``, ``lait``) or a lookup (``areas``,
    ``statistical_neighbours``, ``lait_measures``): ``<table>.csv``, or ``<table>.parquet`` for the
    large ones.

    ``cla`` and ``cin`` come re-based (one population base, see :mod:`csdemand.published.rebase`)
    and disclosure-controlled, with two columns beyond the tidy shape: ``published_value`` and
    ``rebased``. Cached per file and modification time; callers get a copy they may change.
    """
    file = _file(table, data_dir)
    if table in DISCLOSED:
        pop = file.with_name("population.csv")
        pop_args = (str(pop), pop.stat().st_mtime) if pop.exists() else ("", 0.0)
        return _prepared(table, str(file), file.stat().st_mtime, *pop_args).copy()
    df = _load(str(file), file.stat().st_mtime).copy()
    if {"measure", "area_code", "value"} <= set(df.columns):  # a tidy table (not a lookup)
        df = tidy.conform(df)
    return df


#: Tables whose counts and rates reach briefings (population estimates are exempt).
DISCLOSED = ("cla", "cin")
