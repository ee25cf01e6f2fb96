"""Domain code lists kept as versioned CSV files in ``csdemand/reference`` (not in code).

measures.csv          measure id, label, unit, decimals, polarity (is high good?), definition
regions.csv           GSS region codes, names and the DfE letters the SFR-era files use
sources.csv           every publication the importer reads: title, release, month published
neighbour_models.csv  the statistical neighbour models and when DfE published them
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files("csdemand").joinpath("reference", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def _measures() -> pd.DataFrame:
    df = _read("measures.csv").copy()
    df["decimals"] = df["decimals"].astype(int)
    return df.set_index("measure")


def measures() -> pd.DataFrame:
    """Measure definitions indexed by measure id; ``decimals`` as int."""
    return _measures().copy()


def measure(measure_id: str) -> pd.Series:
    """One measure's definition; KeyError names the known measures."""
    m = _measures()  # read once: a page's record looks measures up hundreds of times
    if measure_id not in m.index:
        raise KeyError(f"unknown measure {measure_id!r}; known: {', '.join(m.index)}")
    return m.loc[measure_id].copy()


def regions() -> pd.DataFrame:
    """Region GSS codes and names (with the Inner/Outer London split)."""
    return _read("regions.csv").copy()


def region_letter_to_code() -> dict[str, str]:
    """DfE region letters used by the SFR files (A North East ... K South West) to GSS codes."""
    r = regions()
    return dict(zip(r.loc[r["dfe_letter"] != "", "dfe_letter"], r.loc[r["dfe_letter"] != "", "region_code"]))


def sources() -> pd.DataFrame:
    """Publications, indexed by source id."""
    return _read("sources.csv").copy().set_index("source")


def neighbour_models() -> pd.DataFrame:
    """Statistical neighbour models, indexed by model id (``"2025"``, ``"2021"``)."""
    return _read("neighbour_models.csv").copy().set_index("model")


def neighbour_source(model: str) -> dict[str, str]:
    """A statistical neighbour model as a source of a briefing's provenance record."""
    sn = neighbour_models().loc[str(model)]
    return {
        "id": f"sn_{model}",
        "title": sn["label"],
        "publisher": "Department for Education",
        "published": sn["published"],
        "licence": "OGL v3.0",
        "url": "",
    }
