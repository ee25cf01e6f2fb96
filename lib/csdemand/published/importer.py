"""Build the tidy tables in ``data/sample`` from a folder of published DfE and ONS files.

Steps: recognise every CSV by its full header (a file that resembles a published layout but lacks
some of its columns stops the import); read each with its reader; keep, for every area, period
and measure, the figure from the newest release; fill GSS codes and regions that older files lack;
compute the rates the publication did not print (marked ``computed``); compare with the tables
already in the output folder and stop if any of their rows would disappear (unless told to allow
it); write every table atomically, so a failed import leaves ``data/sample`` as it was.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csdemand.core import atomic, codes, tidy
from csdemand.core.errors import InputError
from csdemand.core.text import open_regular
from csdemand.published import lait, sources

TABLES = ("cla", "cin", "population", "statistical_neighbours", "areas")
LONDON = "E12000007"
LONDON_PARTS = ("E13000001", "E13000002")  # Inner London, Outer London


@dataclass
class ImportResult:
    """What an import read, skipped and wrote."""

    read: list[tuple[str, str]] = field(default_factory=list)  # (file, kind)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    written: dict[str, int] = field(default_factory=dict)  # table -> rows
    losses: list[TableLoss] = field(default_factory=list)  # rows dropped with allow_loss


def area_key(df: pd.DataFrame) -> pd.Series:
    """A key that survives GSS code changes: the LA number for LAs, the GSS code otherwise."""
    return df["la_number"].astype("string").where(df["geographic_level"] == "la", df["area_code"])


def prefer_newest_release(df: pd.DataFrame) -> pd.DataFrame:
    """One row per area, period and measure: the one from the newest release.

    Later releases revise earlier years (re-based populations, corrected counts), so the newest
    is the one to quote. Within a release a published figure beats a withheld one.
    """
    out = df.assign(_key=area_key(df), _has_value=df["status"] == "")
    out = out.sort_values(["release", "_has_value"], kind="stable")
    out = out.drop_duplicates(["_key", "period", "measure"], keep="last")
    return (
        out.drop(columns=["_key", "_has_value"])
        .sort_values(["measure", "period", "geographic_level", "area_code"], kind="stable")
        .reset_index(drop=True)
    )


def build_areas(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """LA lookup: number, newest GSS code, name and region, and the first and last period seen.

    Built from rows that carry a GSS code and region (EES files); names and codes are the newest.
    """
    rows = pd.concat(frames, ignore_index=True)
    la = rows[(rows["geographic_level"] == "la") & rows["la_number"].notna()]
    la = la[~la["status"].eq("z")]  # z: the LA did not exist that year
    la = la.sort_values(["period", "release"], kind="stable")
    withcode = la[la["area_code"].notna() & la["region_code"].notna()].copy()
    # CLA files place London boroughs in Inner/Outer London; compare them with London as a whole,
    # as the CIN and ONS files do.
    inner_outer = withcode["region_code"].isin(LONDON_PARTS)
    withcode.loc[inner_outer, "region_code"] = LONDON
    withcode.loc[inner_outer, "region_name"] = "London"
    latest = withcode.groupby("la_number").last()[["area_code", "area_name", "region_code", "region_name"]]
    span = la.groupby("la_number")["period"].agg(first_period="min", last_period="max")
    areas = latest.join(span, how="outer").reset_index()
    return areas.sort_values("la_number").reset_index(drop=True)


def fill_geography(df: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Fill GSS codes, LA names and regions that older files lack, from the area lookup."""
    out = df.copy()
    lookup = areas.set_index("la_number")
    is_la = out["geographic_level"] == "la"
    nums = out.loc[is_la, "la_number"]
    out.loc[is_la, "area_code"] = out.loc[is_la, "area_code"].fillna(nums.map(lookup["area_code"]))
    # One region per LA across all years (London, not Inner/Outer London).
    for col in ("region_code", "region_name"):
        out.loc[is_la, col] = nums.map(lookup[col])
    reg = codes.regions().set_index("region_code")["region_name"]
    is_reg = out["geographic_level"] == "regional"
    out.loc[is_reg, "region_code"] = out.loc[is_reg, "area_code"]
    out.loc[is_reg, "region_name"] = out.loc[is_reg, "area_code"].map(reg).fillna(out.loc[is_reg, "area_name"])
    out.loc[is_reg, "area_name"] = out.loc[is_reg, "region_name"]
    return tidy.conform(out)


def computed_rates(
    counts: pd.DataFrame, population: pd.DataFrame, rate_measure: str, existing: pd.DataFrame
) -> pd.DataFrame:
    """Rates per 10,000 aged 0-17 for counts the publication gave no rate for.

    Reporting year t is divided by the estimate for mid-(t-1), as DfE does. Rows are marked
    ``computed``; a withheld count gives a withheld rate with the same status.
    """
    have = set(zip(area_key(existing), existing["period"]))
    need = counts[[k not in have for k in zip(area_key(counts), counts["period"])]].copy()
    if need.empty:
        return tidy.empty()
    pop = population.assign(_key=area_key(population), _period=population["period"] + 1)
    pop = pop[pop["status"] == ""].set_index(["_key", "_period"])
    keys = list(zip(area_key(need), need["period"]))
    denom = np.array([pop["value"].get(k, np.nan) for k in keys], dtype=float)
    pop_source = [pop["source"].get(k, "") for k in keys]
    ok = (need["status"] == "").to_numpy() & ~np.isnan(denom)
    rate = np.where(ok, need["value"].to_numpy() / denom * 10_000, np.nan)
    status = np.where(ok, "", np.where(need["status"] != "", need["status"], "x"))
    out = need.assign(
        measure=rate_measure,
        value=rate,
        status=status,
        numerator=np.where(ok, need["value"], np.nan),
        denominator=denom,
        computed=True,
        source=[
            f"computed: {s} / {p}" if p else f"computed: {s} (no population)"
            for s, p in zip(need["source"], pop_source)
        ],
    )
    return tidy.conform(out)


#: Rates per 10,000 the importer computes where a release printed none (2025 CIN, all CP plans).
CIN_RATES = (("referrals", "referrals_rate"), ("cin_at31", "cin_at31_rate"), ("cpp_at31", "cpp_at31_rate"))
#: Shares (%) of assessments with any factor, computed from published counts (never summed).
CIN_SHARES = (("da_child", "da_child_pct"), ("da_parent", "da_parent_pct"), ("da_person", "da_person_pct"))


def computed_shares(df: pd.DataFrame, count_measure: str, base_measure: str, share_measure: str) -> pd.DataFrame:
    """count / base x 100 for each area and year, marked computed; withheld inputs give withheld output."""
    counts = df[df["measure"] == count_measure].assign(_key=lambda d: area_key(d))
    base = df[df["measure"] == base_measure].assign(_key=lambda d: area_key(d)).set_index(["_key", "period"])
    keys = list(zip(counts["_key"], counts["period"]))
    den = np.array([base["value"].get(k, np.nan) for k in keys], dtype=float)
    den_status = np.array([base["status"].get(k, "x") for k in keys], dtype=object)
    ok = (counts["status"] == "").to_numpy() & ~np.isnan(den) & (den > 0)
    status = np.where(
        ok, "", np.where(counts["status"] != "", counts["status"], np.where(den_status != "", den_status, "x"))
    )
    out = counts.drop(columns="_key").assign(
        measure=share_measure,
        value=np.where(ok, counts["value"].to_numpy() / np.where(ok, den, 1) * 100, np.nan),
        status=status,
        numerator=np.where(ok, counts["value"], np.nan),
        denominator=den,
        computed=True,
        source=[f"computed: {s}" for s in counts["source"]],
    )
    return tidy.conform(out)


def build_cin(frames: list[pd.DataFrame], population: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Children in need measures: newest release per year, rates and shares computed where unpublished."""
    cin = fill_geography(prefer_newest_release(pd.concat(frames, ignore_index=True)), areas)
    # Published rates carry no denominator in the files: attach the ONS estimate DfE divided by.
    pop = population.assign(_key=area_key(population), _period=population["period"] + 1)
    pop = pop[pop["status"] == ""].set_index(["_key", "_period"])["value"]
    is_rate = cin["measure"].str.endswith("_rate")
    keys = list(zip(area_key(cin[is_rate]), cin.loc[is_rate, "period"]))
    cin.loc[is_rate, "denominator"] = [pop.get(k, np.nan) for k in keys]
    extra = []
    for count_measure, rate_measure in CIN_RATES:
        extra.append(
            computed_rates(
                cin[cin["measure"] == count_measure], population, rate_measure, cin[cin["measure"] == rate_measure]
            )
        )
    for count_measure, share_measure in CIN_SHARES:
        extra.append(computed_shares(cin, count_measure, "assessments_with_factor", share_measure))
    out = pd.concat([cin] + [e for e in extra if not e.empty], ignore_index=True)
    return out.sort_values(["measure", "period", "geographic_level", "area_code"], kind="stable").reset_index(drop=True)


def build_tables(folder: str | Path) -> tuple[dict[str, pd.DataFrame], ImportResult]:
    """Read every recognised file under ``folder`` and return the tidy tables (nothing written)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder", file=folder, expected="a folder of published DfE/ONS CSV files")
    result = ImportResult()
    by_table: dict[str, list[pd.DataFrame]] = {"cla": [], "cin": [], "population": [], "statistical_neighbours": []}
    lait_folder = lait.find(folder)
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        try:
            mode = path.stat().st_mode
        except OSError as exc:  # a dangling link, a file removed meanwhile
            result.skipped.append((name, f"cannot be read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):  # a FIFO would block the import, a device never end
            result.skipped.append((name, "not a regular file"))
            continue
        if (
            lait_folder is not None
            and path.parent == lait_folder
            and path.name in (lait.DATA_FILE, lait.DICTIONARY_FILE)
        ):
            continue  # read below, with LAIT's data set
        if path.suffix.lower() != ".csv":
            result.skipped.append((name, "not a CSV file"))
            continue
        kind = sources.recognise(path)
        if kind is None:
            result.skipped.append((name, "not a kind this importer reads"))
            continue
        by_table[kind.table].append(kind.reader(path))
        result.read.append((name, kind.name))
    # CIN files are optional (an LAC-only folder still imports); the rest are required.
    missing = [t for t, frames in by_table.items() if not frames and t != "cin"]
    if missing:
        raise InputError(
            f"no published file found for: {', '.join(missing)}",
            file=folder,
            expected="CLA (EES or SFR), ONS population and statistical neighbour CSVs as published",
        )

    raw_cla = pd.concat(by_table["cla"], ignore_index=True)
    # The SFR 2010 file carries the mid-2009 population: it joins the population table.
    sfr_pop = raw_cla[raw_cla["measure"] == "population_0_17"]
    raw_cla = raw_cla[raw_cla["measure"] != "population_0_17"]
    raw_pop = pd.concat(by_table["population"] + [sfr_pop], ignore_index=True)

    areas = build_areas([raw_cla])
    population = fill_geography(prefer_newest_release(raw_pop), areas)
    cla = fill_geography(prefer_newest_release(raw_cla), areas)
    extra = []
    for count_measure, rate_measure in (
        ("cla_count", "cla_rate"),
        ("cla_starts", "cla_starts_rate"),
        ("cla_ceased", "cla_ceased_rate"),
    ):
        counts = cla[cla["measure"] == count_measure]
        rates = cla[(cla["measure"] == rate_measure)]
        extra.append(computed_rates(counts, population, rate_measure, rates))
    # Published figures only for starts/ceased: computed rates of those are not used by any briefing.
    cla = pd.concat([cla] + extra[:1], ignore_index=True)
    cla = cla.sort_values(["measure", "period", "geographic_level", "area_code"], kind="stable").reset_index(drop=True)

    tables_cin = build_cin(by_table["cin"], population, areas) if by_table["cin"] else None

    neighbours = pd.concat(by_table["statistical_neighbours"], ignore_index=True)
    unknown = set(neighbours["sn_la_number"]) - set(areas["la_number"].astype(int))
    if unknown:
        raise InputError(
            f"statistical neighbour LA number(s) {sorted(unknown)} not found in any CLA or population file",
            file=folder,
            column="SN",
            expected="neighbours that are English local authorities",
        )
    names = areas.set_index("la_number")["area_name"]
    neighbours.insert(
        neighbours.columns.get_loc("sn_la_number") + 1, "sn_la_name", neighbours["sn_la_number"].map(names)
    )
    tables = {"cla": cla, "population": population, "statistical_neighbours": neighbours, "areas": areas}
    if tables_cin is not None:
        tables["cin"] = tables_cin
    tables.update(lait.tables(folder, areas, result))
    return tables, result


# --------------------------------------------------------------------------- rows that would be lost

#: The columns that identify a row of each table (tidy tables: area, period and measure).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "cla": ("area", "period", "measure"),
    "cin": ("area", "period", "measure"),
    "population": ("area", "period", "measure"),
    "statistical_neighbours": ("model", "la_number", "sn_rank"),
    "areas": ("la_number",),
    "lait": ("area", "period", "measure"),
    "lait_measures": ("measure",),
}


@dataclass
class TableLoss:
    """Rows of an existing table that a new import would not have."""

    table: str
    file: Path
    before: int  # rows in the existing table
    after: int  # rows in the new one
    lost: pd.DataFrame  # the key (and a name, where the table has one) of each row that would go
    note: str = ""  # when the existing table could not be compared at all

    def describe(self) -> str:
        """One line: rows before and after, and the areas, years and measures that would go."""
        if self.note:
            return f"{self.table}: {self.note}"
        head = (
            f"{self.table}: {self.before:,} rows in {self.file}, {self.after:,} after this import; "
            f"{len(self.lost):,} would disappear"
        )
        parts = []
        if "area_label" in self.lost:
            parts.append(_some("area", "areas", self.lost["area_label"].drop_duplicates().tolist()))
        elif "la_name" in self.lost:
            parts.append(_some("authority", "authorities", self.lost["la_name"].drop_duplicates().tolist()))
        if "model" in self.lost:
            models = sorted(self.lost["model"].drop_duplicates())
            parts.append(f"model{'s' if len(models) > 1 else ''} {', '.join(models)}")
        if "period" in self.lost:
            years = self.lost["period"].drop_duplicates().tolist()
            parts.append(f"year{'s' if len(years) > 1 else ''} {_years(years)}")
        if "measure" in self.lost:
            parts.append(_some("measure", "measures", sorted(self.lost["measure"].drop_duplicates()), shown=8))
        return head + (f" ({'; '.join(parts)})" if parts else "")


def _some(one: str, many: str, values: list[str], shown: int = 5) -> str:
    """'3 areas: A, B, C' or '156 areas: A, B, C, D, E and 151 more'."""
    n = len(values)
    listed = ", ".join(values[:shown]) + (f" and {n - shown:,} more" if n > shown else "")
    return f"{n:,} {one if n == 1 else many}: {listed}"


def _years(values: list[str]) -> str:
    """Years as runs: 2010, 2018-2020, 2023."""
    try:
        years = sorted({int(v) for v in values})
    except ValueError:
        return ", ".join(sorted(values))
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _text(values: pd.Series) -> pd.Series:
    """Values as the CSV shows them: whole numbers without '.0', missing as ''."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("Int64").astype("string").fillna("").astype(str)
    if pd.api.types.is_float_dtype(values.dtype):
        return values.map(
            lambda v: "" if pd.isna(v) else str(int(v)) if float(v).is_integer() else repr(float(v))
        ).astype(str)
    return values.astype(object).where(values.notna(), "").astype(str)


def row_keys(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """The identifying columns of each row of ``table`` as text (``area`` is the LA number for an
    LA and the GSS code otherwise, as :func:`area_key`), with ``area_label`` / ``la_name`` for messages."""
    out = pd.DataFrame(index=df.index)
    for col in TABLE_KEYS[table]:
        if col == "area":
            la = _text(df["la_number"])
            is_la = _text(df["geographic_level"]) == "la"
            code = _text(df["area_code"])
            out["area"] = la.where(is_la, code)
            name = _text(df["area_name"]) if "area_name" in df else code
            out["area_label"] = (name + " (" + la.where(is_la, code) + ")").where(name != "", out["area"])
        else:
            out[col] = _text(df[col])
    if table in ("statistical_neighbours", "areas"):
        name_col = "la_name" if "la_name" in df else "area_name" if "area_name" in df else None
        if name_col:
            out["la_name"] = _text(df[name_col]) + " (" + out["la_number"] + ")"
    return out


def rows_lost(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[TableLoss]:
    """For each table that would replace an existing ``<table>.csv`` in ``out_dir``: the existing
    rows that the new table lacks (by :data:`TABLE_KEYS`). Tables that only grow give nothing.

    An existing table that cannot be read, or lacks its key columns, is reported as a loss with a
    note: it cannot be shown to survive.
    """
    out_dir = Path(out_dir)
    losses = []
    for name, new in tables.items():
        file = out_dir / f"{name}.{'parquet' if name in lait.PARQUET_TABLES else 'csv'}"
        if not file.exists():
            continue
        keys = list(TABLE_KEYS[name])
        need = sorted(
            {k for k in keys if k != "area"}
            | ({"la_number", "geographic_level", "area_code"} if "area" in keys else set())
        )
        try:
            with open_regular(file) as fh:  # a FIFO or device in its place must not hang the import
                if file.suffix == ".parquet":
                    old = pd.read_parquet(fh).astype("string").fillna("")
                else:
                    old = pd.read_csv(fh, dtype=str, keep_default_na=False)
            missing = [c for c in need if c not in old.columns]
            if missing:
                raise ValueError(f"it has no column {missing[0]!r}")
        except Exception as exc:  # unreadable, damaged or another table: nothing to compare with
            losses.append(
                TableLoss(
                    name,
                    file,
                    0,
                    len(new),
                    tidy.empty(),
                    note=f"the existing {file} cannot be compared with the new table ({exc})",
                )
            )
            continue
        old_keys = row_keys(name, old)
        new_keys = row_keys(name, new)
        gone = ~pd.MultiIndex.from_frame(old_keys[keys]).isin(pd.MultiIndex.from_frame(new_keys[keys]))
        if gone.any():
            losses.append(TableLoss(name, file, len(old), len(new), old_keys[gone].reset_index(drop=True)))
    return losses


class DataLossError(InputError):
    """An import would drop rows of the tables it replaces; ``losses`` says which (one line each)."""

    def __init__(self, losses: list[TableLoss], out_dir: str | Path) -> None:
        self.losses = losses
        super().__init__(
            "this import would lose rows of the tables it replaces, so nothing was written",
            file=out_dir,
            expected="every row of the existing tables kept (is a published file missing from the folder, "
            "or does a new release drop years?); run import-dfe with --allow-loss to replace them anyway",
        )

    def describe(self) -> str:
        lines = [f"file {self.file}: {self.message}:"] + [f"  {loss.describe()}" for loss in self.losses]
        return "\n".join(lines + [f"  expected {self.expected}"])


def write_tables(
    tables: dict[str, pd.DataFrame], out_dir: str | Path, extra: dict[str, str] | None = None
) -> dict[str, int]:
    """Write each table as ``<name>.csv`` (the large LAIT table as ``<name>.parquet``) and each
    ``extra`` file name with its text, atomically: all are written to temporary files first and
    moved into place only when every one has been written, so a failure leaves old files intact."""
    out_dir = Path(out_dir)
    files: dict[Path, str | bytes] = {}
    for name, df in tables.items():
        if name in lait.PARQUET_TABLES:  # large: compressed columnar, byte-identical for the same input
            files[out_dir / f"{name}.parquet"] = lait.to_parquet_bytes(df)
        else:
            files[out_dir / f"{name}.csv"] = df.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    files.update({out_dir / name: text for name, text in (extra or {}).items()})
    atomic.write_texts(files)
    return {name: len(df) for name, df in tables.items()}


def import_dfe(folder: str | Path, out_dir: str | Path, *, allow_loss: bool = False) -> ImportResult:
    """Read the published files under ``folder`` and write the tidy tables into ``out_dir``.

    Stops with :class:`DataLossError` (nothing written) if a table would lose rows it holds now
    (see :func:`rows_lost`), unless ``allow_loss``; growth is fine.
    """
    tables, result = build_tables(folder)
    losses = rows_lost(tables, out_dir)
    if losses and not allow_loss:
        raise DataLossError(losses, out_dir)
    result.losses = losses
    # No date in it: the same files give byte-identical output, so git shows only real changes.
    imported = "Tables built by `python -m csdemand import-dfe` from these published files:\n" + "".join(
        f"  {f}  ({k})\n" for f, k in result.read
    )
    result.written = write_tables(tables, out_dir, {"IMPORTED.txt": imported})
    return result
