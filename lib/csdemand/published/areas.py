"""Local authorities: resolving what an analyst types (352, E08000003, "manchester") to one LA,
and each LA's lifetime, so notebooks, ``render`` and ``--la all`` agree on which years exist.

Lifetimes come from the code list ``reference/area_changes.csv`` (created and abolished dates,
predecessors and successors, and words for markers such as the Isles of Scilly's ``z``: "published
with Cornwall") together with the data (``areas.csv``: every LA number and the years it appears).
An authority not in the code list has existed throughout the data.

Reporting years end on 31 March (:mod:`csdemand.core.periods`): Cumberland, created on 1 April
2023, has 2024 as its first year; Cumbria, abolished on 31 March 2023, has 2023 as its last.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from csdemand.core import periods
from csdemand.core.errors import InputError
from csdemand.published import store


@dataclass(frozen=True)
class LocalAuthority:
    """One LA as the newest data name it, with its lifetime (years ending 31 March)."""

    la_number: int
    area_code: str
    name: str
    region_code: str
    region_name: str
    first_year: int | None = None  # first reporting year it existed; None: before the data begin
    last_year: int | None = None  # last reporting year; None: it still exists
    created: str = ""  # ISO date it came into being, where it was created within the data
    abolished: str = ""  # ISO date of its last day, where it was abolished
    predecessors: tuple[int, ...] = ()
    successors: tuple[int, ...] = ()
    marker_note: str = ""  # words for its `z` markers, e.g. "published with Cornwall"
    marker_note_table: str = ""  # the table the note applies to ("cla")
    marker_note_from: int | None = None  # the first year it applies to
    note: str = ""  # the boundary change in a sentence

    @property
    def slug(self) -> str:
        """``352-manchester``: used in report paths."""
        return f"{self.la_number}-{re.sub(r'[^a-z0-9]+', '-', self.name.lower()).strip('-')}"

    def existed_in(self, year: int) -> bool:
        """True if the authority existed in reporting year ``year``."""
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )

    def note_for(self, status: str, table: str, year: int) -> str:
        """Words explaining a marker for this authority (``"published with Cornwall"`` for the
        Isles of Scilly's looked-after ``z`` from 2021), or ``""``."""
        if (
            self.marker_note
            and str(status).strip().lower() == "z"
            and (not self.marker_note_table or self.marker_note_table == table)
            and (self.marker_note_from is None or int(year) >= self.marker_note_from)
        ):
            return self.marker_note
        return ""


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower().replace("&", " and ")).strip()


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(t) for t in str(text).split() if t.strip())


@cache
def changes() -> pd.DataFrame:
    """The code list of boundary changes and marker notes, indexed by LA number."""
    with resources.files("csdemand").joinpath("reference", "area_changes.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df["la_number"] = df["la_number"].astype(int)
    return df.set_index("la_number")


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if str(text).strip() else None


def _authority(row: pd.Series) -> LocalAuthority:
    """A LocalAuthority from an ``areas.csv`` row and the code list."""
    n = int(row["la_number"])
    base = dict(
        la_number=n,
        area_code=str(row["area_code"]),
        name=str(row["area_name"]),
        region_code=str(row["region_code"]),
        region_name=str(row["region_name"]),
    )
    ch = changes()
    if n not in ch.index:
        return LocalAuthority(**base)
    c = ch.loc[n]
    created, abolished = _date(c["created"]), _date(c["abolished"])
    return LocalAuthority(
        **{**base, "name": c["name"] or base["name"]},
        first_year=periods.reporting_year(created) if created else None,
        last_year=periods.reporting_year(abolished) if abolished else None,
        created=c["created"],
        abolished=c["abolished"],
        predecessors=_numbers(c["predecessors"]),
        successors=_numbers(c["successors"]),
        marker_note=c["marker_note"],
        marker_note_table=c["marker_note_table"],
        marker_note_from=int(c["marker_note_from"]) if c["marker_note_from"] else None,
        note=c["note"],
    )


def resolve(query: str | int | LocalAuthority, areas: pd.DataFrame | None = None) -> LocalAuthority:
    """The LA meant by a DfE LA number, a GSS code (current or former) or a name (any case); an
    LA already resolved is returned as it is (so a run resolves the authority once and passes
    the object on).

    A name two LAs have shared (Dorset: the county council to 2019, Dorset Council from 2020)
    means the one that exists now; the other is reached by its number (835) or its name in
    ``reference/area_changes.csv`` ("Dorset (county council)"). Raises :class:`InputError` with
    the closest names when nothing matches.
    """
    if isinstance(query, LocalAuthority):
        return query
    areas = store.load("areas") if areas is None else areas
    q = str(query).strip()
    hit = pd.DataFrame()
    if re.fullmatch(r"\d{3}", q):
        hit = areas[areas["la_number"] == int(q)]
    elif re.fullmatch(r"[EeWwSsNn]\d{8}", q):
        hit = areas[areas["area_code"].str.upper() == q.upper()]
    else:
        listed = changes()["name"].map(_norm)
        by_list = set(listed.index[listed == _norm(q)])
        hit = areas[(areas["area_name"].map(_norm) == _norm(q)) | areas["la_number"].isin(by_list)]
        if len(hit) > 1:
            # One name, two authorities over time: the newest (an exact code-list name wins).
            exact = hit[hit["la_number"].isin(by_list)]
            hit = exact if len(exact) == 1 else hit[hit["last_period"] == hit["last_period"].max()].tail(1)
    if len(hit) != 1:
        names = areas["area_name"].tolist()
        close = difflib.get_close_matches(q, names, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"no local authority matches {q!r}{hint}",
            column="la",
            expected="a DfE LA number such as 352, a GSS code such as E08000003, or a name such as Manchester",
        )
    return _authority(hit.iloc[0])


def name_of(la_number: int, areas: pd.DataFrame | None = None) -> str:
    """The authority's name (the code list's where it gives one), or its number as text."""
    areas = store.load("areas") if areas is None else areas
    row = areas[areas["la_number"] == int(la_number)]
    return _authority(row.iloc[0]).name if len(row) else str(la_number)


def _and(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def check_year(auth: LocalAuthority, year: int) -> None:
    """Raise :class:`InputError` (exit 2 on the command line) for a reporting year in which the
    authority did not exist: "Cumberland was created in 2023: its first year is 2024"."""
    year = int(year)
    span = (f"a reporting year from {auth.first_year}" if auth.first_year else "a reporting year") + (
        f" to {auth.last_year}"
        if auth.last_year and auth.first_year
        else f" up to {auth.last_year}"
        if auth.last_year
        else ""
    )
    if auth.first_year is not None and year < auth.first_year:
        created = _date(auth.created)
        raise InputError(
            f"{auth.name} was created in {created.year}: its first year is {auth.first_year}",
            column="period",
            value=str(year),
            expected=span,
        )
    if auth.last_year is not None and year > auth.last_year:
        ended = _date(auth.abolished) + dt.timedelta(days=1)
        by = _and([name_of(n) for n in auth.successors])
        raise InputError(
            f"{auth.name} was {'replaced by ' + by if by else 'abolished'} in {ended.year}: its last year is "
            f"{auth.last_year}",
            column="period",
            value=str(year),
            expected=span,
        )


def requested_year(text: object) -> int | None:
    """The reporting year a ``--period`` or ``period`` parameter names (a month: the year to March
    that holds it), or None for ``latest``. Bad text raises :class:`InputError`."""
    kind, value = periods.parse_period(text)
    if kind == "latest":
        return None
    return periods.reporting_year(value) if kind == "month" else int(value)


def check_period(auth: LocalAuthority, period: object) -> None:
    """:func:`check_year` for a ``--period`` text (``latest`` always passes)."""
    year = requested_year(period)
    if year is not None:
        check_year(auth, year)


def briefing_year(auth: LocalAuthority, period: object, years: list[int], what: str) -> int:
    """The reporting year an annual briefing reports: ``latest`` is the newest of ``years`` in
    which the authority existed; a year (or a month: its year to March) must be one the authority
    existed in (:func:`check_year`) and one of ``years`` (the years the publication covers)."""
    held = sorted({int(y) for y in years if auth.existed_in(int(y))})
    year = requested_year(period)
    if year is None:
        if not held:
            raise InputError(f"no {what} for {auth.name} in the data", column="la", value=auth.la_number)
        return held[-1]
    check_year(auth, year)
    if year not in held:
        raise InputError(
            f"no {what} for {year}",
            column="period",
            value=period,
            expected=f"a year from {held[0]} to {held[-1]}" if held else "a year with data",
        )
    return year


def every_authority(areas: pd.DataFrame | None = None) -> list[LocalAuthority]:
    """Every LA in the data, past and present, by LA number."""
    areas = store.load("areas") if areas is None else areas
    return [_authority(r) for _, r in areas.sort_values("la_number").iterrows()]


def newest_year(areas: pd.DataFrame | None = None) -> int:
    """The newest reporting year in the data."""
    areas = store.load("areas") if areas is None else areas
    return int(areas["last_period"].max())


def existing_in(year: int, areas: pd.DataFrame | None = None) -> list[LocalAuthority]:
    """Every LA that existed in reporting year ``year`` (``--la all``), including those whose
    figures are published with another's (the Isles of Scilly)."""
    return [a for a in every_authority(areas) if a.existed_in(int(year))]


def lifecycle_caveat(auth: LocalAuthority, year: int, horizon: int = 5) -> str:
    """A sentence for a briefing of ``year`` when the authority is in its first ``horizon`` years
    (changes reach back before it existed) or in its last year; ``""`` otherwise."""
    year = int(year)
    if auth.first_year is not None and auth.first_year <= year < auth.first_year + horizon:
        before = _and([name_of(n) for n in auth.predecessors]) or "the authorities it replaced"
        return (
            f"{auth.note} Its first year is {auth.first_year}: changes from before {auth.first_year} are not "
            "available, "
            f"and the figures of {before} before then cover a different area, so they are not comparable with "
            f"{auth.name}'s."
        ).strip()
    if auth.last_year is not None and year == auth.last_year:
        return f"{auth.note} {year} is its last year.".strip()
    return ""
