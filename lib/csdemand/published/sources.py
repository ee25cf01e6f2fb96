"""Readers for DfE and ONS files exactly as published, each returning a tidy table.

Published files are read as text (every cell a string) so that suppression markers survive;
each reader checks the header it expects and names file, row and column when a cell is not a
number or a known marker. Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, tidy
from csdemand.core.errors import InputError
from csdemand.core.text import decode_text, open_regular, read_text_table, require_columns

ENGLAND_CODE = "E92000001"


#: A published number: digits, commas only as thousands separators, an optional decimal part.
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+")


def parse_cell(raw: str, *, file: Path, row: int, column: str) -> tuple[float, str]:
    """Parse one published cell into ``(value, status)``.

    A number gives ``(number, "")``; a DfE marker gives ``(nan, letter)``; an empty cell gives
    ``(nan, "x")`` (not available). Anything else raises :class:`InputError`.
    """
    s = str(raw).strip()
    if s == "":
        return np.nan, "x"
    low = s.lower()
    if low in tidy.MARKERS:
        return np.nan, tidy.canonical_status(low)
    # Not float() alone: it also reads 'nan', 'inf', '1_000' and non-ASCII digits.
    if _NUMBER.fullmatch(s):
        return float(s.replace(",", "")), ""
    raise InputError(
        "not a number or a known suppression marker",
        file=file,
        row=row,
        column=column,
        value=raw,
        expected="a number, or one of " + ", ".join(repr(m) for m in tidy.MARKERS),
    )


def parse_column(df: pd.DataFrame, column: str, file: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse a whole column: arrays of values and status letters (see :func:`parse_cell`)."""
    values = np.empty(len(df), dtype="float64")
    status = np.empty(len(df), dtype=object)
    for i, raw in enumerate(df[column].tolist()):
        values[i], status[i] = parse_cell(raw, file=file, row=i + 2, column=column)
    return values, status


def _int_or_raise(raw: str, *, file: Path, row: int, column: str) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise InputError(
            "not a whole number", file=file, row=row, column=column, value=raw, expected="a year or code such as 2025"
        ) from None


# --------------------------------------------------------------------------- EES geography

_LEVELS = {"National": "national", "Regional": "regional", "Local authority": "la"}


def _ees_geography(df: pd.DataFrame, file: Path) -> pd.DataFrame:
    """Tidy geography columns from the EES layout (shared by CLA, CIN and population files)."""
    bad = ~df["geographic_level"].isin(list(_LEVELS))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "unknown geographic level",
            file=file,
            row=i + 2,
            column="geographic_level",
            value=df["geographic_level"].iloc[i],
            expected="National, Regional or Local authority",
        )
    level = df["geographic_level"].map(_LEVELS)
    la_number = pd.to_numeric(df["old_la_code"].where(level == "la"), errors="coerce").astype("Int64")
    area_code = np.where(
        level == "national",
        df["country_code"],
        np.where(level == "regional", df["region_code"], df["new_la_code"]),
    )
    area_name = np.where(
        level == "national",
        df["country_name"],
        np.where(level == "regional", df["region_name"], df["la_name"]),
    )
    return pd.DataFrame(
        {
            "area_code": area_code,
            "la_number": la_number,
            "area_name": area_name,
            "geographic_level": level,
            "region_code": df["region_code"].replace("", pd.NA),
            "region_name": df["region_name"].replace("", pd.NA),
        }
    )


# --------------------------------------------------------------------------- CLA (EES)

EES_GEOGRAPHY = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "la_name",
    "new_la_code",
]

#: Published measure labels -> (count measure, rate measure). The 2022 release says "at 31 March",
#: the 2025 release "on 31 March".
CLA_POPULATIONS = {
    "children looked after on 31 march each year": ("cla_count", "cla_rate"),
    "children looked after at 31 march each year": ("cla_count", "cla_rate"),
    "children starting to be looked after each year": ("cla_starts", "cla_starts_rate"),
    "children ceasing to be looked after each year": ("cla_ceased", "cla_ceased_rate"),
}


def read_ees_cla(path: str | Path) -> pd.DataFrame:
    """Children looked after: numbers and rates per 10,000 (EES ``cla_number_and_rate_per_10k_children``).

    Reads both layouts: the 2025 release (``population_type``, ``children_count``) and the 2022
    release (``population_count`` holding the label, ``number``). Release = latest year in the file.
    """
    path = Path(path)
    df = read_text_table(path)
    if "population_type" in df.columns:
        label_col, count_col = "population_type", "children_count"
    else:
        label_col, count_col = "population_count", "number"
    require_columns(
        df,
        EES_GEOGRAPHY + [label_col, "population_estimate", count_col, "rate_per_10000"],
        path,
        "children looked after (EES)",
    )
    labels = df[label_col].str.strip().str.lower()
    unknown = ~labels.isin(list(CLA_POPULATIONS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            "unknown measure label",
            file=path,
            row=i + 2,
            column=label_col,
            value=df[label_col].iloc[i],
            expected="one of: " + "; ".join(sorted(CLA_POPULATIONS)),
        )
    periods = [_int_or_raise(v, file=path, row=i + 2, column="time_period") for i, v in enumerate(df["time_period"])]
    release = max(periods)
    geo = _ees_geography(df, path)
    count, count_status = parse_column(df, count_col, path)
    rate, rate_status = parse_column(df, "rate_per_10000", path)
    pop, _ = parse_column(df, "population_estimate", path)
    count_measure = labels.map(lambda s: CLA_POPULATIONS[s][0])
    rate_measure = labels.map(lambda s: CLA_POPULATIONS[s][1])
    base = geo.assign(period=periods, source=f"cla_ees_{release}", release=release, computed=False)
    counts = base.assign(measure=count_measure.to_numpy(), value=count, status=count_status)
    rates = base.assign(
        measure=rate_measure.to_numpy(),
        value=rate,
        status=rate_status,
        numerator=np.where(count_status == "", count, np.nan),
        denominator=pop,
    )
    return tidy.conform(pd.concat([counts, rates], ignore_index=True))


NATIONAL_TS_MEASURES = {
    "children looked after at 31 march": "cla_count",
    "children starting to be looked after during the year": "cla_starts",
    "children ceasing to be looked after during the year": "cla_ceased",
}


def read_cla_national_time_series(path: str | Path) -> pd.DataFrame:
    """England counts 1994 onwards (``cla_time_series_1994_2024``): looked after, starts and ceased.

    UASC and adoptions rows are read (checked) but not kept: no briefing uses them yet.
    """
    path = Path(path)
    df = read_text_table(path)
    require_columns(
        df,
        ["time_period", "geographic_level", "country_code", "country_name", "population_count", "number"],
        path,
        "national CLA time series",
    )
    periods = [_int_or_raise(v, file=path, row=i + 2, column="time_period") for i, v in enumerate(df["time_period"])]
    release = max(periods)
    values, status = parse_column(df, "number", path)
    measure = df["population_count"].str.strip().str.lower().map(NATIONAL_TS_MEASURES)
    out = pd.DataFrame(
        {
            "area_code": df["country_code"],
            "area_name": df["country_name"],
            "geographic_level": "national",
            "period": periods,
            "measure": measure,
            "value": values,
            "status": status,
            "source": f"cla_ts_{release}",
            "release": release,
        }
    )
    return tidy.conform(out[out["measure"].notna()])


# --------------------------------------------------------------------------- CLA (SFR 2010-2017)

_SFR_LEVELS = {"national": "national", "gor": "regional", "region": "regional", "la": "la"}


def read_sfr_cla(path: str | Path) -> pd.DataFrame:
    """Children looked after at 31 March from an SFR underlying-data CSV (2010 to 2017).

    2011-2017 carry ``New_geog_code``, ``geog_l``, ``geog_c``, ``geog_n`` and ``CLA_Mar<YYYY>``;
    2010 carries ``geog_l``/``geog_c``/``geog_n``, ``MarTotal_2010`` and ``Mid2009Pop0-17`` (kept as
    ``population_0_17`` for mid-2009, the only published denominator of that era). ``x`` marks
    suppression in these files, as ``c`` does in EES: it is read as status ``c``.
    """
    path = Path(path)
    df = read_text_table(path)
    require_columns(df, ["geog_l", "geog_c", "geog_n"], path, "SFR children looked after")
    count_cols = [c for c in df.columns if re.fullmatch(r"CLA_Mar(\d{4})|MarTotal_(\d{4})", c)]
    if len(count_cols) != 1:
        raise InputError(
            "cannot find the count of children looked after at 31 March",
            file=path,
            row=1,
            expected="one column named CLA_Mar<YYYY> (2011-2017) or MarTotal_2010",
        )
    count_col = count_cols[0]
    year = int(re.search(r"(\d{4})", count_col).group(1))
    names = df["geog_n"].str.strip()
    geog_c = df["geog_c"].str.strip()
    raw_level = df["geog_l"].str.strip().str.lower()
    # 2017: the Isles of Scilly row has an empty geog_l; a 3-digit geog_c is an LA.
    raw_level = raw_level.where(raw_level != "", np.where(geog_c.str.fullmatch(r"\d{3}"), "la", ""))
    unknown = ~raw_level.isin(list(_SFR_LEVELS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            "unknown geography level",
            file=path,
            row=i + 2,
            column="geog_l",
            value=df["geog_l"].iloc[i],
            expected="NATIONAL, REGION/GOR or LA",
        )
    level = raw_level.map(_SFR_LEVELS)
    letter_to_code = codes.region_letter_to_code()
    if "New_geog_code" in df.columns:
        area_code = df["New_geog_code"].str.strip().replace("", pd.NA)
    else:
        area_code = pd.Series(pd.NA, index=df.index, dtype="object")
    area_code = area_code.where(level != "national", ENGLAND_CODE)
    area_code = area_code.where(level != "regional", area_code.fillna(geog_c.map(letter_to_code)))
    # 2011-2017 print Inner and Outer London with London's own code (E12000007) and letters that
    # differ from year to year: without this, the last of the three rows would pass for London.
    upper = names.str.upper()
    area_code = area_code.where(~(level.eq("regional") & upper.eq("INNER LONDON")), "E13000001")
    area_code = area_code.where(~(level.eq("regional") & upper.eq("OUTER LONDON")), "E13000002")
    la_number = pd.to_numeric(geog_c.where(level == "la"), errors="coerce").astype("Int64")
    values, status = parse_column(df, count_col, path)
    # In the SFR files x is the suppression marker (1-5 and secondary), i.e. EES's c.
    status = np.where(status == "x", "c", status)
    base = pd.DataFrame(
        {
            "area_code": area_code,
            "la_number": la_number,
            # Names are upper case at national/regional level in 2011-2017; keep LA names as published.
            "area_name": np.where(level == "la", names, names.str.title()),
            "geographic_level": level,
            "region_code": np.where(level == "regional", area_code, pd.NA),
            "source": f"sfr_cla_{year}",
            "release": year,
        }
    )
    out = [base.assign(period=year, measure="cla_count", value=values, status=status)]
    if "Mid2009Pop0-17" in df.columns:
        pop, pop_status = parse_column(df, "Mid2009Pop0-17", path)
        out.append(base.assign(period=year - 1, measure="population_0_17", value=pop, status=pop_status))
    return tidy.conform(pd.concat(out, ignore_index=True))


# --------------------------------------------------------------------------- ONS population


def read_ons_population(path: str | Path) -> pd.DataFrame:
    """ONS mid-year estimates of children aged 0-17; ``period`` is the mid-year (2024 = mid-2024)."""
    path = Path(path)
    df = read_text_table(path)
    require_columns(df, EES_GEOGRAPHY + ["age_group", "population_estimate"], path, "ONS population")
    ages = df["age_group"].str.strip().unique().tolist()
    if ages != ["Children aged 0 to 17 years"]:
        raise InputError(
            "unexpected age group",
            file=path,
            column="age_group",
            value=ages,
            expected="'Children aged 0 to 17 years' only",
        )
    periods = [_int_or_raise(v, file=path, row=i + 2, column="time_period") for i, v in enumerate(df["time_period"])]
    release = max(periods)
    values, status = parse_column(df, "population_estimate", path)
    out = _ees_geography(df, path).assign(
        period=periods,
        measure="population_0_17",
        value=values,
        status=status,
        source=f"ons_pop_{release}",
        release=release,
    )
    return tidy.conform(out)


# --------------------------------------------------------------------------- statistical neighbours

NEIGHBOUR_COLUMNS = ["model", "la_number", "la_name", "region_name", "sn_rank", "sn_la_number", "closeness", "pre_lgr"]


def _neighbour_rows(
    df: pd.DataFrame, path: Path, model: str, la_col: str, name_col: str, region_col: str, pairs: list[tuple[str, str]]
) -> pd.DataFrame:
    rows = []
    after_old = False  # the 2021 file lists pre-reorganisation LAs after a row reading "Old SNs:"
    for i, rec in enumerate(df.to_dict("records")):
        la_raw = str(rec[la_col]).strip()
        if la_raw == "":
            after_old = after_old or "old sns" in str(rec[name_col]).lower()
            continue
        la = _int_or_raise(la_raw, file=path, row=i + 2, column=la_col)
        name = str(rec[name_col]).strip()
        for rank, (sn_col, p_col) in enumerate(pairs, start=1):
            sn = _int_or_raise(rec[sn_col], file=path, row=i + 2, column=sn_col)
            rows.append(
                {
                    "model": model,
                    "la_number": la,
                    "la_name": name.replace(" (Pre LG)", ""),
                    "region_name": str(rec[region_col]).strip(),
                    "sn_rank": rank,
                    "sn_la_number": sn,
                    # Labels differ in case and carry trailing spaces between models.
                    "closeness": str(rec[p_col]).strip().capitalize(),
                    "pre_lgr": after_old,
                }
            )
    return pd.DataFrame(rows, columns=NEIGHBOUR_COLUMNS)


def read_neighbours_2025(path: str | Path) -> pd.DataFrame:
    """Statistical neighbours, May 2025 model (``sn_model_2025_wide``): one row per LA and rank."""
    path = Path(path)
    df = read_text_table(path)
    pairs = [(f"SN_{k}", f"SN_{k}P") for k in range(1, 11)]
    require_columns(
        df,
        ["old_la_code", "la_name", "region_name"] + [c for p in pairs for c in p],
        path,
        "statistical neighbour (2025)",
    )
    return _neighbour_rows(df, path, "2025", "old_la_code", "la_name", "region_name", pairs)


def read_neighbours_2021(path: str | Path) -> pd.DataFrame:
    """Statistical neighbours, April 2021 LGR model: ``SN1``..``SN10`` each followed by ``SNP``."""
    path = Path(path)
    df = read_text_table(path)
    # pandas names the repeated SNP headers SNP, SNP.1, ... SNP.9
    pairs = [(f"SN{k}", "SNP" if k == 1 else f"SNP.{k - 1}") for k in range(1, 11)]
    require_columns(
        df, ["LA num", "LA Name", "GOReg"] + [c for p in pairs for c in p], path, "statistical neighbour (April 2021)"
    )
    return _neighbour_rows(df, path, "2021", "LA num", "LA Name", "GOReg", pairs)


# --------------------------------------------------------------------------- children in need (EES)

#: Column -> (measure, numerator column, denominator column) for each CIN file layout. A rate's
#: denominator is the ONS population, which these files do not carry: left empty here and filled
#: by the importer from the population table.
CIN_LAYOUTS: dict[str, dict[str, tuple[str, str | None, str | None]]] = {
    "c1_2024": {
        "Referrals": ("referrals", None, None),
        "Referrals_rate": ("referrals_rate", "Referrals", None),
        "Re_referrals": ("rereferrals", None, None),
        "Re_referrals_percent": ("rereferral_pct", "Re_referrals", "Referrals"),
        "No_Further_Action": ("nfa", None, None),
        "No_Further_Action_percent": ("nfa_pct", "No_Further_Action", "Referrals"),
    },
    "c1_2025": {
        "referral_count": ("referrals", None, None),
        "rereferral_count": ("rereferrals", None, None),
        "rereferral_percent": ("rereferral_pct", "rereferral_count", "referral_count"),
        "no_further_action_count": ("nfa", None, None),
        "no_further_action_percent": ("nfa_pct", "no_further_action_count", "referral_count"),
    },
    "c3": {
        "Episodes_with_assessment_factor": ("assessments_with_factor", None, None),
        "Domestic_Abuse_child": ("da_child", None, None),
        "Domestic_Abuse_parent": ("da_parent", None, None),
        "Domestic_Abuse_person": ("da_person", None, None),
    },
    "b1_2024": {
        "At31_episodes": ("cin_at31", None, None),
        "At31_episodes_rate": ("cin_at31_rate", "At31_episodes", None),
    },
    "b1_2025": {
        "At31_episodes": ("cin_at31", None, None),
    },
    "d3": {
        "CPP_start": ("cpp_starts", None, None),
        "CPP_subsequent": ("cpp_subsequent", None, None),
        "CPP_subsequent_percent": ("cpp_subsequent_pct", "CPP_subsequent", "CPP_start"),
    },
    "d5": {
        "CPP_At31": ("cpp_at31", None, None),
    },
}


def read_ees_cin(path: str | Path, layout: str) -> pd.DataFrame:
    """Children in need publication files (c1 referrals, c3 factors, b1 CIN, d3/d5 CP plans) as tidy rows.

    ``layout`` names the column map in :data:`CIN_LAYOUTS`; release = latest year in the file.
    """
    path = Path(path)
    spec = CIN_LAYOUTS[layout]
    df = read_text_table(path)
    require_columns(df, EES_GEOGRAPHY + list(spec), path, f"children in need ({layout})")
    periods = [_int_or_raise(v, file=path, row=i + 2, column="time_period") for i, v in enumerate(df["time_period"])]
    release = max(periods)
    geo = _ees_geography(df, path).assign(
        period=periods, source=f"cin_{layout.split('_')[0]}_{release}", release=release, computed=False
    )
    parsed = {col: parse_column(df, col, path) for col in spec}
    frames = []
    for col, (measure, num_col, den_col) in spec.items():
        value, status = parsed[col]
        frame = geo.assign(measure=measure, value=value, status=status)
        if num_col:
            frame["numerator"] = parsed[num_col][0]
        if den_col:
            frame["denominator"] = parsed[den_col][0]
        frames.append(frame)
    return tidy.conform(pd.concat(frames, ignore_index=True))


# --------------------------------------------------------------------------- recognising files


@dataclass(frozen=True)
class Kind:
    """A published file kind: its full layout (every column its reader needs, and those that tell
    it from a sibling layout) and its reader.

    ``patterns`` are columns matched by a regular expression, each with the words that name it in
    a message (the SFR count column is ``CLA_Mar<YYYY>`` or ``MarTotal_2010``). ``columns`` use the
    names pandas gives repeated headers (``SNP``, ``SNP.1``, ...), as :func:`header_of` does.
    """

    name: str
    label: str  # as a message names it: "the EES children looked after file (2022 layout)"
    table: str  # the tidy table in data/sample it feeds
    columns: tuple[str, ...]
    reader: Callable[[Path], pd.DataFrame]
    patterns: tuple[tuple[str, str], ...] = ()

    @property
    def distinctive(self) -> tuple[str, ...]:
        """The layout's own columns: all but the EES geography that every EES file shares."""
        return tuple(c for c in self.columns if c not in EES_GEOGRAPHY)


def _ees(*columns: str) -> tuple[str, ...]:
    return tuple(EES_GEOGRAPHY) + columns


_SN_2025 = tuple(c for k in range(1, 11) for c in (f"SN_{k}", f"SN_{k}P"))
_SN_2021 = tuple(c for k in range(1, 11) for c in (f"SN{k}", "SNP" if k == 1 else f"SNP.{k - 1}"))

KINDS: list[Kind] = [
    Kind(
        "cla_ees_2025_layout",
        "the EES children looked after file (2025 layout)",
        "cla",
        _ees("population_type", "population_estimate", "children_count", "rate_per_10000"),
        read_ees_cla,
    ),
    Kind(
        "cla_ees_2022_layout",
        "the EES children looked after file (2022 layout)",
        "cla",
        _ees("population_count", "population_estimate", "number", "rate_per_10000"),
        read_ees_cla,
    ),
    Kind(
        "cla_national_time_series",
        "the national children looked after time series",
        "cla",
        (
            "time_period",
            "time_identifier",
            "geographic_level",
            "country_code",
            "country_name",
            "population_count",
            "number",
        ),
        read_cla_national_time_series,
    ),
    Kind(
        "sfr_cla",
        "an SFR children looked after underlying-data file (2010-2017)",
        "cla",
        ("geog_l", "geog_c", "geog_n"),
        read_sfr_cla,
        ((r"CLA_Mar\d{4}|MarTotal_\d{4}", "CLA_Mar<YYYY> (or MarTotal_2010)"),),
    ),
    Kind(
        "cin_c1_2024_layout",
        "the EES children in need referrals file c1 (2024 layout)",
        "cin",
        _ees(*CIN_LAYOUTS["c1_2024"]),
        lambda p: read_ees_cin(p, "c1_2024"),
    ),
    Kind(
        "cin_c1_2025_layout",
        "the EES children in need referrals file c1 (2025 layout)",
        "cin",
        _ees(*CIN_LAYOUTS["c1_2025"]),
        lambda p: read_ees_cin(p, "c1_2025"),
    ),
    Kind(
        "cin_c3_factors",
        "the EES factors at the end of assessment file c3",
        "cin",
        _ees(*CIN_LAYOUTS["c3"]),
        lambda p: read_ees_cin(p, "c3"),
    ),
    Kind(
        "cin_b1_2024_layout",
        "the EES children in need file b1 (2024 layout)",
        "cin",
        _ees(*CIN_LAYOUTS["b1_2024"]),
        lambda p: read_ees_cin(p, "b1_2024"),
    ),
    # awaiting_assessment (lower case) is not read: it tells the 2025 layout from the 2024 one.
    Kind(
        "cin_b1_2025_layout",
        "the EES children in need file b1 (2025 layout)",
        "cin",
        _ees(*CIN_LAYOUTS["b1_2025"], "awaiting_assessment"),
        lambda p: read_ees_cin(p, "b1_2025"),
    ),
    Kind(
        "cin_d3_cpp_starts",
        "the EES child protection plans starting file d3",
        "cin",
        _ees(*CIN_LAYOUTS["d3"]),
        lambda p: read_ees_cin(p, "d3"),
    ),
    # 3_months_or_less is not read: it marks the duration file d5.
    Kind(
        "cin_d5_cpp_at31",
        "the EES child protection plans at 31 March file d5",
        "cin",
        _ees(*CIN_LAYOUTS["d5"], "3_months_or_less"),
        lambda p: read_ees_cin(p, "d5"),
    ),
    Kind(
        "ons_population",
        "the ONS mid-year population estimates file",
        "population",
        _ees("age_group", "population_estimate"),
        read_ons_population,
    ),
    Kind(
        "neighbours_2025",
        "the statistical neighbour file (May 2025 model)",
        "statistical_neighbours",
        ("old_la_code", "la_name", "region_name") + _SN_2025,
        read_neighbours_2025,
    ),
    Kind(
        "neighbours_2021",
        "the statistical neighbour file (April 2021 model)",
        "statistical_neighbours",
        ("LA num", "LA Name", "GOReg") + _SN_2021,
        read_neighbours_2021,
    ),
]

#: Most bytes read for a header line when recognising a file (1,000 columns of 1,000 characters).
HEADER_BYTES = 1_000_000


def header_of(path: str | Path) -> list[str]:
    """The header row of a CSV as pandas names its columns: BOM and surrounding spaces removed,
    repeated names suffixed ``.1``, ``.2``... Empty for a file that is not text, or whose first
    line is longer than :data:`HEADER_BYTES`. Only regular files are opened (see
    :func:`~csdemand.core.text.regular_file`)."""
    with open_regular(path) as fh:
        first = fh.readline(HEADER_BYTES + 1)
    if len(first) > HEADER_BYTES:
        return []
    try:
        line = decode_text(first, Path(path))
    except InputError:
        return []  # not a text file: not a kind this importer reads
    if not line.strip():
        return []
    try:
        names = [c.strip() for c in next(csv.reader([line]))]
    except csv.Error:
        return []
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}.{k}")
    return out


@dataclass(frozen=True)
class Match:
    """How well a header fits a kind: the columns it has and those it lacks."""

    kind: Kind
    present: int  # columns (and patterns) of the layout found in the header
    missing: tuple[str, ...]  # columns (or pattern descriptions) of the layout not found
    distinctive_present: int

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def resembles(self) -> bool:
        """At least half of the layout's own columns are there: a damaged file of this kind, if
        not a whole one (a file sharing only the EES geography columns is not)."""
        n = len(self.kind.distinctive) + len(self.kind.patterns)
        return self.distinctive_present > 0 and 2 * self.distinctive_present >= n

    @property
    def score(self) -> int:
        return self.present - len(self.missing)


def match(kind: Kind, header: list[str] | set[str]) -> Match:
    """How ``header`` (column names) fits ``kind``'s full layout."""
    names = set(header)
    missing = [c for c in kind.columns if c not in names]
    distinctive = sum(1 for c in kind.distinctive if c in names)
    for pattern, words in kind.patterns:
        if any(re.fullmatch(pattern, c) for c in names):
            distinctive += 1
        else:
            missing.append(words)
    present = len(kind.columns) + len(kind.patterns) - len(missing)
    return Match(kind, present, tuple(missing), distinctive)


def closest(header: list[str]) -> Match | None:
    """The kind a header fits best among those it matches whole or resembles, or None.

    Best = most layout columns present less those missing: a file holding a whole small layout
    (the national time series' 7 columns) and most of a larger one (a 2022 looked-after file that
    lost ``rate_per_10000``) is the larger one, damaged. A tie goes to a whole match, then to the
    kind listed first in :data:`KINDS`.
    """
    candidates = [m for m in (match(k, header) for k in KINDS) if m.complete or m.resembles]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (m.score, m.complete, -KINDS.index(m.kind)))


def recognise(path: str | Path) -> Kind | None:
    """The kind of a published file, judged by its full header; None for a file like none of them.

    A file that resembles a kind (most of its own columns) but lacks some, and matches no kind
    better, is refused with :class:`InputError` naming the columns it lacks: read as another
    kind (or skipped), it would lose rows without a word.
    """
    path = Path(path)
    header = header_of(path)
    best = closest(header)
    if best is None:
        return None
    if best.complete:
        return best.kind
    lacks = ", ".join(repr(c) for c in best.missing)
    raise InputError(
        f"looks like {best.kind.label} but lacks column{'s' if len(best.missing) > 1 else ''} {lacks}",
        file=path,
        row=1,
        column=best.missing[0],
        expected="the published header, with every column of that layout: "
        + ", ".join(list(best.kind.columns) + [w for _, w in best.kind.patterns]),
    )
