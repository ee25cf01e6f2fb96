"""Reading the tidy tables back from ``data/sample`` (or ``$CSDEMAND_DATA``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from csdemand.core import disclosure
from csdemand.core import paths
from csdemand.core import tidy
from csdemand.core.errors import InputError


@lru_cache(maxsize=16)
def _load(path: str, mtime: float) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"status": "string", "area_code": "string", "region_code": "string"}, keep_default_na=True)


def load(table: str, data_dir: str | Path | None = None) -> pd.DataFrame:
    """A tidy table (``cla``, ``cin``, ``population``, ``lait``) or a lookup (``areas``,
    ``statistical_neighbours``, ``lait_measures``): ``<table>.csv``, or ``<table>.parquet`` for the
    large ones. Cached per file and modification time; callers get a copy they may change.
    """
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
    df = _load(str(file), file.stat().st_mtime).copy()
    if {"measure", "area_code", "value"} <= set(df.columns):  # a tidy table (not a lookup)
        df = tidy.conform(df)
        if table in DISCLOSED:
            # The one door to briefings: DfE's disclosure rules on every count and rate.
            df = disclosure.apply(df)
    return df


#: Tables whose counts and rates reach briefings (population estimates are exempt).
DISCLOSED = ("cla", "cin")
