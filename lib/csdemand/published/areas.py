"""Local authorities: resolving what an analyst types (352, E08000003, "manchester") to one LA."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pandas as pd

from csdemand.published import store
from csdemand.core.errors import InputError


@dataclass(frozen=True)
class LocalAuthority:
    """One LA as the newest data name it."""

    la_number: int
    area_code: str
    name: str
    region_code: str
    region_name: str

    @property
    def slug(self) -> str:
        """``352-manchester``: used in report paths."""
        return f"{self.la_number}-{re.sub(r'[^a-z0-9]+', '-', self.name.lower()).strip('-')}"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower().replace("&", " and ")).strip()


def resolve(query: str | int, areas: pd.DataFrame | None = None) -> LocalAuthority:
    """The LA meant by a DfE LA number, a GSS code (current or former) or a name (any case).

    Raises :class:`InputError` with the closest names when nothing matches.
    """
    areas = store.load("areas") if areas is None else areas
    q = str(query).strip()
    hit = pd.DataFrame()
    if re.fullmatch(r"\d{3}", q):
        hit = areas[areas["la_number"] == int(q)]
    elif re.fullmatch(r"[EeWwSsNn]\d{8}", q):
        hit = areas[areas["area_code"].str.upper() == q.upper()]
    else:
        hit = areas[areas["area_name"].map(_norm) == _norm(q)]
    if len(hit) != 1:
        names = areas["area_name"].tolist()
        close = difflib.get_close_matches(q, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"no local authority matches {q!r}{hint}",
            column="la",
            expected="a DfE LA number such as 352, a GSS code such as E08000003, or a name such as Manchester",
        )
    r = hit.iloc[0]
    return LocalAuthority(int(r["la_number"]), str(r["area_code"]), str(r["area_name"]), str(r["region_code"]), str(r["region_name"]))
