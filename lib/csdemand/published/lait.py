"""DfE's Local Authority Interactive Tool (LAIT) dataset as published: its long "benchmarking data
set" (``bds_long_0.parquet``) and its data dictionary (``lait_data_dictionary.csv``).

What the files hold, and how each quirk is read (see ``../shared/reference-data/lait/README.md``):

* **Measures**: 434 codes (``Short Desc``) kept as LAIT spells them (``LAC``, ``ReReferral``,
  ``CPP_Total_Rateper10,000``), each described by the dictionary: topic, label, unit (the chart's
  y-axis name), polarity (``High`` is better -> ``high_is_good``, ``Low`` -> ``low_is_good``,
  ``-`` or empty -> ``neither``: no rank colouring), decimals (``dps``, empty = 1, as LAIT shows),
  quartile rule (``No_Quartile`` = ``N``: no band), year type and the last and next update (Excel
  serial dates, or words such as "Discontinued").
* **Years**: 65 spellings. ``period`` is the calendar year in which the period ends (``2025``,
  ``2024-25 (OT)`` -> 2025, ``2023/24`` -> 2024, 3-year pooled ``2014-16`` -> 2016 and
  ``2021/22-23/24`` -> 2024), so that CSC measures line up with the reporting year ending 31 March;
  ``period_label`` keeps LAIT's spelling, with its meaning (outturn, revised, provisional, pooled).
  The one row labelled ``0`` (a discontinued measure with no value) has period 0.
* **Values**: text in floating-point spelling (``18.399999999999999`` is 18.4); ``-`` is LAIT's fold
  of DfE's ``c``, ``x``, ``z`` and "not published": it becomes status ``-`` ("not published:
  suppressed, not available or not applicable; LAIT does not say which") with no value, never 0.
* **Areas**: LA numbers are floats (``352.0``); England is 970, regions 980-990 (with Inner and
  Outer London as 987 and 988). GSS codes, which LAIT does not carry, come from the area lookup
  (``areas.csv``) and ``reference/regions.csv``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import codes, tidy
from csdemand.core.errors import InputError

#: The status a LAIT ``-`` becomes, and what it means.
NOT_PUBLISHED = "-"
NOT_PUBLISHED_MEANING = "not published: suppressed, not available or not applicable (LAIT does not say which)"

DATA_COLUMNS = ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number", "Region"]
DICTIONARY_COLUMNS = [
    "Measure_short",
    "Topic",
    "Measure",
    "Chart_title",
    "Polarity",
    "y_axis_name",
    "Description",
    "Last Update",
    "Next Update",
    "dps",
    "Year_Type",
    "No_Quartile",
]

#: Extra column the LAIT table carries besides the tidy columns.
EXTRA_COLUMNS = ("period_label",)

#: LAIT's numbers for England and the regions, and their GSS codes.
ENGLAND_NUMBER = 970
REGION_NUMBERS: dict[int, str] = {
    980: "E12000001",
    981: "E12000002",
    982: "E12000003",
    983: "E12000004",
    984: "E12000005",
    985: "E12000006",
    986: "E12000007",
    987: "E13000001",
    988: "E13000002",
    989: "E12000008",
    990: "E12000009",
}

_POLARITY = {"high": "high_is_good", "low": "low_is_good"}
_YEAR = re.compile(r"^\s*(\d{4})(?:\s*[-/]\s*(\d{2,4}))?(?:\s*-\s*(\d{2})/(\d{2}))?\s*(?:\((?P<note>[^)]*)\))?\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def period_end(label: str) -> int:
    """The calendar year in which a LAIT period ends: ``2025`` -> 2025, ``2024-25 (OT)`` -> 2025,
    ``2023/24`` -> 2024, ``2014-16`` -> 2016, ``2021/22-23/24`` -> 2024, ``0`` -> 0. Raises
    ValueError for anything else."""
    s = str(label).strip()
    if s == "0":
        return 0
    m = _YEAR.match(s)
    if not m:
        raise ValueError(f"not a LAIT year: {label!r}")
    first, second, _, pooled_end = m.group(1), m.group(2), m.group(3), m.group(4)
    if pooled_end:  # 2021/22-23/24: the last academic year ends in 20<24>
        return int(first[:2] + pooled_end)
    if second:
        return int(second) if len(second) == 4 else int(first[:2] + second)
    return int(first)


def excel_date(cell: object) -> str:
    """A dictionary date cell as ISO text: an Excel serial (``46174`` -> ``2026-06-01``), or the
    words as written ("Discontinued", "New Data"); empty for NA."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or str(cell).strip() in ("", "NA"):
        return ""
    s = str(cell).strip()
    if re.fullmatch(r"\d{5}(\.0)?", s):
        return (EXCEL_EPOCH + dt.timedelta(days=int(float(s)))).isoformat()
    return s


def read_dictionary(path: str | Path) -> pd.DataFrame:
    """The LAIT data dictionary as a measures table, one row per measure: measure, topic (the
    first listed), label, chart_title, unit, polarity, decimals, quartile, year_type, last_update,
    next_update, description, topics (every topic the measure is listed under)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(
            f"the LAIT data dictionary cannot be read ({exc})",
            file=path,
            expected="LAIT's lait_data_dictionary.csv in UTF-8",
        ) from None
    missing = [c for c in DICTIONARY_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(map(repr, missing))} for the LAIT data dictionary",
            file=path,
            row=1,
            column=missing[0],
            expected="LAIT's header: " + ", ".join(DICTIONARY_COLUMNS),
        )
    na = lambda s: "" if s.strip() in ("NA", "") else s.strip()  # noqa: E731
    dps = raw["dps"].map(na)
    bad = ~dps.isin(["", "0", "1", "2", "3", "0.0", "1.0", "2.0", "3.0"])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            "decimal places not a small whole number",
            file=path,
            row=i + 2,
            column="dps",
            value=raw["dps"].iloc[i],
            expected="0, 1, 2, 3 or empty",
        )
    out = pd.DataFrame(
        {
            "measure": raw["Measure_short"].map(str.strip),
            "topic": raw["Topic"].map(na),
            "label": raw["Measure"].map(na),
            "chart_title": raw["Chart_title"].map(na),
            "unit": raw["y_axis_name"].map(na),
            "polarity": raw["Polarity"].map(lambda p: _POLARITY.get(na(p).lower(), "neither")),
            "decimals": [1 if d == "" else int(float(d)) for d in dps],
            "quartile": raw["No_Quartile"].map(na).str.upper() != "N",
            "year_type": raw["Year_Type"].map(na),
            "last_update": raw["Last Update"].map(excel_date),
            "next_update": raw["Next Update"].map(excel_date),
            "description": raw["Description"].map(na),
        }
    )
    # 14 measures are listed under two topics (e.g. looked-after absence under "Children Looked After"
    # and "All Pupil Absence & Exclusions"): one row per measure, its first topic primary, every topic
    # kept, and the first stated decimals.
    out["topics"] = out.groupby("measure", sort=False)["topic"].transform(lambda s: "; ".join(dict.fromkeys(s)))
    stated = pd.Series([d != "" for d in dps], index=out.index)
    out["_stated"] = stated
    first = (
        out.sort_values("_stated", ascending=False, kind="stable")
        .drop_duplicates("measure")[["measure", "decimals"]]
        .set_index("measure")["decimals"]
    )
    out = out.drop_duplicates("measure").drop(columns="_stated")
    out["decimals"] = out["measure"].map(first).astype(int)
    return out.reset_index(drop=True)


def _geography(numbers: np.ndarray, names: pd.Series, regions: pd.Series, areas: pd.DataFrame) -> pd.DataFrame:
    """area_code, geographic_level, region_code, region_name for LAIT's area numbers."""
    reg = codes.regions().set_index("region_code")["region_name"]
    lookup = areas.set_index("la_number")
    out = pd.DataFrame(index=range(len(numbers)))
    level = np.where(
        numbers == ENGLAND_NUMBER, "national", np.where(np.isin(numbers, list(REGION_NUMBERS)), "regional", "la")
    )
    code = np.array([REGION_NUMBERS.get(int(n), "") for n in numbers], dtype=object)
    code[numbers == ENGLAND_NUMBER] = tidy_england()
    is_la = level == "la"
    la_codes = pd.Series(numbers[is_la]).map(lookup["area_code"]) if len(lookup) else pd.Series([np.nan] * is_la.sum())
    code[is_la] = la_codes.to_numpy()
    out["area_code"] = code
    out["geographic_level"] = level
    region_code = np.array([c if lv == "regional" else "" for c, lv in zip(code, level)], dtype=object)
    region_code[is_la] = pd.Series(numbers[is_la]).map(lookup["region_code"]).to_numpy() if len(lookup) else np.nan
    out["region_code"] = region_code
    out["region_name"] = pd.Series(region_code).map(reg).to_numpy()
    out.loc[out["geographic_level"] == "national", ["region_code", "region_name"]] = np.nan
    return out


def tidy_england() -> str:
    return "E92000001"


def read_data(path: str | Path, dictionary: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """LAIT's long data set as a tidy table (plus ``period_label``), every measure, every area.

    ``dictionary`` (from :func:`read_dictionary`) must describe every code; ``areas`` (the LA
    lookup: la_number, area_code, region_code...) gives GSS codes and regions, which LAIT lacks.
    """
    path = Path(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a pinned dependency
        raise InputError(
            "reading LAIT's parquet file needs pyarrow", file=path, expected="pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a damaged or non-parquet file
        raise InputError(
            f"not a readable parquet file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
            file=path,
            expected="LAIT's bds_long_0.parquet",
        ) from None
    missing = [c for c in DATA_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(map(repr, missing))} for the LAIT data set",
            file=path,
            column=missing[0],
            expected="LAIT's columns: " + ", ".join(DATA_COLUMNS),
        )
    raw = table.select(DATA_COLUMNS).to_pandas()
    unknown = sorted(set(raw["Short Desc"]) - set(dictionary["measure"]))
    if unknown:
        i = int(np.flatnonzero(raw["Short Desc"].isin(unknown))[0])
        raise InputError(
            f"{len(unknown)} measure code(s) not in the LAIT data dictionary",
            file=path,
            row=i + 1,
            column="Short Desc",
            value=unknown[0],
            expected="a Measure_short of lait_data_dictionary.csv",
        )
    numbers = pd.to_numeric(raw["LA Number"], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(numbers) | (numbers != np.round(numbers))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            "LA number not a whole number",
            file=path,
            row=i + 1,
            column="LA Number",
            value=raw["LA Number"].iloc[i],
            expected="a DfE LA number such as 352.0",
        )
    numbers = numbers.astype(int)
    labels = raw["Years"].astype(str)
    periods = np.empty(len(raw), dtype=int)
    cache: dict[str, int] = {}
    for i, lab in enumerate(labels):
        if lab not in cache:
            try:
                cache[lab] = period_end(lab)
            except ValueError:
                raise InputError(
                    "not a LAIT year",
                    file=path,
                    row=i + 1,
                    column="Years",
                    value=lab,
                    expected="a year such as 2025, 2024-25 (OT), 2023/24, 2014-16 or 2021/22-23/24",
                ) from None
        periods[i] = cache[lab]
    text = raw["Values"].astype(str).str.strip()
    dash = text.eq("-") | text.eq("")
    good = text.str.match(_NUMBER)
    bad = ~(dash | good)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            "not a number or LAIT's '-'",
            file=path,
            row=i + 1,
            column="Values",
            value=raw["Values"].iloc[i],
            expected="a number (e.g. 18.399999999999999) or '-'",
        )
    values = pd.to_numeric(text.where(~dash), errors="coerce").to_numpy(dtype=float)
    geo = _geography(numbers, raw["LA and Regions"], raw["Region"], areas)
    out = pd.DataFrame(
        {
            "area_code": geo["area_code"],
            "la_number": np.where(geo["geographic_level"] == "la", numbers, np.nan),
            "area_name": raw["LA and Regions"].to_numpy(),
            "geographic_level": geo["geographic_level"],
            "region_code": geo["region_code"],
            "region_name": geo["region_name"],
            "period": periods,
            "measure": raw["Short Desc"].to_numpy(),
            "value": values,
            "status": np.where(dash, NOT_PUBLISHED, ""),
            "numerator": np.nan,
            "denominator": np.nan,
            "computed": False,
            "source": "lait",
            "release": "",
            "period_label": labels.to_numpy(),
        }
    )
    key = out.duplicated(["measure", "geographic_level", "area_name", "la_number", "period"], keep=False)
    if key.any():
        i = int(np.flatnonzero(key)[0])
        raise InputError(
            "a measure has two values for one area and period",
            file=path,
            row=i + 1,
            column="Years",
            value=labels.iloc[i],
            expected="one row per measure, area and period",
        )
    return conform(out)


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """A LAIT table typed as a tidy table, with ``period_label`` kept (text)."""
    out = tidy.conform(df)
    out["period_label"] = df["period_label"].astype("string").to_numpy()
    out["period"] = pd.to_numeric(df["period"]).astype(int).to_numpy()
    return out.sort_values(
        ["measure", "geographic_level", "la_number", "area_code", "period"], kind="stable", na_position="first"
    ).reset_index(drop=True)


def read(folder: str | Path, areas: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both LAIT files in ``folder``: ``(data, measures)``."""
    folder = Path(folder)
    measures = read_dictionary(folder / "lait_data_dictionary.csv")
    data = read_data(folder / "bds_long_0.parquet", measures, areas)
    return data, measures


#: Tables the importer writes as parquet (zstd): LAIT's 641,070 rows are 1.5 MB so, 60 MB as CSV.
PARQUET_TABLES = ("lait",)
DATA_FILE = "bds_long_0.parquet"
DICTIONARY_FILE = "lait_data_dictionary.csv"


def find(folder: str | Path) -> Path | None:
    """The folder under ``folder`` holding LAIT's two files (None when there is none; an error when
    one of the two is there without the other)."""
    folder = Path(folder)
    hits = sorted(folder.rglob(DATA_FILE)) + sorted(p for p in folder.rglob(DICTIONARY_FILE))
    if not hits:
        return None
    where = hits[0].parent
    for name in (DATA_FILE, DICTIONARY_FILE):
        if not (where / name).is_file():
            raise InputError(
                f"LAIT's {name} is missing beside {hits[0].name}",
                file=where,
                expected=f"both {DATA_FILE} and {DICTIONARY_FILE}",
            )
    return where


def tables(folder: str | Path, areas: pd.DataFrame, result=None) -> dict[str, pd.DataFrame]:
    """The importer's LAIT tables from a folder of published files: ``lait`` (every measure, tidy,
    with ``period_label``) and ``lait_measures`` (the dictionary); none when the folder holds no
    LAIT files. Records what it read in ``result`` (an :class:`ImportResult`) when given."""
    where = find(folder)
    if where is None:
        return {}
    data, measures = read(where, areas)
    if result is not None:
        base = Path(folder)
        result.read.append((str((where / DATA_FILE).relative_to(base)), "LAIT data set"))
        result.read.append((str((where / DICTIONARY_FILE).relative_to(base)), "LAIT data dictionary"))
    return {"lait": data, "lait_measures": measures}


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """A table as parquet (zstd), the same bytes for the same table (no timestamps are written)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, buf, compression="zstd", compression_level=9)
    return buf.getvalue()
