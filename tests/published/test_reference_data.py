"""Golden tests over the real published files in ../shared/reference-data (skipped where absent),
and the check that data/sample is exactly what the importer makes of them."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from csdemand.core import paths
from csdemand.methods import benchmarks
from csdemand.published import importer
from tests.conftest import REFERENCE, needs_reference
from tests.published.damage import drop_column

pytestmark = needs_reference


@pytest.fixture(scope="module")
def real():
    tables, result = importer.build_tables(REFERENCE)
    return tables, result


def _value(df, measure, period, **where):
    rows = df[(df["measure"] == measure) & (df["period"] == period)]
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1
    return rows.iloc[0]["value"]


def test_every_published_cla_population_and_neighbour_file_is_read(real):
    _, result = real
    kinds = sorted(k for _, k in result.read)
    assert kinds.count("sfr_cla") == 8
    assert {
        "cla_ees_2025_layout",
        "cla_ees_2022_layout",
        "cla_national_time_series",
        "ons_population",
        "neighbours_2025",
        "neighbours_2021",
    } <= set(kinds)


def test_manchester_2025_published_count_and_rate(real):
    cla = real[0]["cla"]
    assert _value(cla, "cla_count", 2025, la_number=352) == 1280
    assert _value(cla, "cla_rate", 2025, la_number=352) == 97


def test_england_2025_rate_is_67(real):
    assert _value(real[0]["cla"], "cla_rate", 2025, area_code="E92000001") == 67


def test_manchester_2021_comes_from_the_2025_release(real):
    cla = real[0]["cla"]
    assert _value(cla, "cla_count", 2021, la_number=352) == 1371
    assert _value(cla, "cla_rate", 2021, la_number=352) == 108


@pytest.mark.parametrize("model,mean", [("2025", 88.9), ("2021", 90.3)])
def test_mean_of_manchesters_neighbours_2025_rates(real, model, mean):
    tables = real[0]
    nbrs = benchmarks.neighbours(tables["statistical_neighbours"], 352, model)
    avg = benchmarks.neighbour_average(benchmarks.la_values(tables["cla"], "cla_rate", 2025), nbrs)
    assert avg.mean == pytest.approx(mean, abs=0.05) and avg.n_with_value == 10


def test_manchester_series_2010_to_2025_matches_the_publications(real):
    cla = real[0]["cla"]
    counts = {2010: 1426, 2011: 1387, 2012: 1312, 2013: 1302, 2017: 1165, 2018: 1257, 2020: 1410, 2024: 1302}
    for year, n in counts.items():
        assert _value(cla, "cla_count", year, la_number=352) == n, year
    published = {2018: 104, 2019: 106, 2020: 115, 2022: 109, 2023: 104, 2024: 100}
    for year, r in published.items():
        assert _value(cla, "cla_rate", year, la_number=352) == r, year
    computed = {2013: 117, 2014: 121, 2015: 111, 2016: 104, 2017: 96}  # with the ONS file, rounded
    for year, r in computed.items():
        assert round(_value(cla, "cla_rate", year, la_number=352)) == r, year


def test_markers_are_kept_as_status(real):
    cla = real[0]["cla"]
    city = cla[(cla["la_number"] == 201) & (cla["period"] == 2025) & (cla["measure"] == "cla_count")]
    assert city["status"].tolist() == ["c"]
    pop = real[0]["population"]
    assert (pop.loc[pop["la_number"] == 836, "status"] == "x").sum() >= 6  # old Poole, mid-2012 to mid-2018


def test_boundary_changes_keep_one_row_per_la_number_and_year(real):
    cla = real[0]["cla"]
    la = cla[(cla["geographic_level"] == "la") & (cla["measure"] == "cla_count")]
    assert not la.duplicated(["la_number", "period"]).any()
    bucks = la[la["la_number"] == 825].set_index("period")["area_code"]
    # the SFR printed the county code; EES files print the unitary code for every year
    assert bucks[2017] == "E10000002" and bucks[2019] == "E06000060" and bucks[2025] == "E06000060"
    assert la[(la["la_number"] == 942) & (la["period"] == 2025)]["status"].tolist() == [""]


def test_shipped_sample_tables_are_what_the_importer_makes(real, tmp_path):
    importer.write_tables(real[0], tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert {
        "cla.csv",
        "cin.csv",
        "population.csv",
        "statistical_neighbours.csv",
        "areas.csv",
        "lait.parquet",
        "lait_measures.csv",
    } <= set(written)
    for name in written:
        shipped = (paths.ROOT / "data" / "sample" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == shipped, f"data/sample/{name} is stale: run `make import`"


def test_every_cin_file_is_read(real):
    kinds = {k for _, k in real[1].read}
    assert {
        "cin_c1_2024_layout",
        "cin_c1_2025_layout",
        "cin_c3_factors",
        "cin_b1_2024_layout",
        "cin_b1_2025_layout",
        "cin_d3_cpp_starts",
        "cin_d5_cpp_at31",
    } <= kinds


def test_manchester_2024_referrals_rate_and_rereferrals(real):
    cin = real[0]["cin"]
    assert _value(cin, "referrals", 2024, la_number=352) == 6525
    assert _value(cin, "referrals_rate", 2024, la_number=352) == 502.8
    assert _value(cin, "rereferral_pct", 2024, la_number=352) == 18.7
    assert _value(cin, "referrals_rate", 2024, area_code="E92000001") == 518.3


def test_manchester_2025_domestic_abuse_parent_share(real):
    cin = real[0]["cin"]
    rows = cin[(cin["measure"] == "da_parent_pct") & (cin["period"] == 2025) & (cin["la_number"] == 352)]
    r = rows.iloc[0]
    assert (r["numerator"], r["denominator"]) == (1687, 6606) and round(r["value"], 1) == 25.5


def test_cp_plan_rates_are_computed_as_the_reference_readme_gives(real):
    cin = real[0]["cin"]
    assert round(_value(cin, "cpp_at31_rate", 2025, la_number=352), 1) == 50.1
    assert round(_value(cin, "cpp_at31_rate", 2013, area_code="E92000001"), 1) == 37.8


def test_london_before_2018_is_london_not_inner_or_outer_london(real):
    cla = real[0]["cla"]
    # SFR 2013 prints London 10,090, Inner London 4,440 and Outer London 5,650, all coded E12000007
    assert _value(cla, "cla_count", 2013, area_code="E12000007") == 10090
    assert _value(cla, "cla_count", 2013, area_code="E13000001") == 4440
    assert _value(cla, "cla_count", 2013, area_code="E13000002") == 5650


# --------------------------------------------------------------------------- damaged or missing real files


def test_files_the_importer_does_not_read_are_listed_as_skipped_with_the_reason(real):
    assert real[1].skipped == [
        ("README.md", "not a CSV file"),
        ("derived/cla_at_31_march_la_2010_to_2025.csv", "not a kind this importer reads"),
        ("derived/statistical_neighbours_long.csv", "not a kind this importer reads"),
        ("dfe_ees/c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv", "not a kind this importer reads"),
        ("dfe_sfr_cla_2010_2017/SFR27_2010_metadata_1.txt", "not a CSV file"),
        ("dfe_sfr_cla_2010_2017/SFR50_2017_MetaData.txt", "not a CSV file"),
        ("dfe_sfr_cla_2010_2017/SFR_CLA_2014_Meta_Data_Document.txt", "not a CSV file"),
        ("dfe_sfr_cla_2010_2017/SFR_CLA_2015_Meta_Data_Document.txt", "not a CSV file"),
        ("dfe_sfr_cla_2010_2017/SFR_CLA_2016_Meta_Data_Document.txt", "not a CSV file"),
        ("lait/README.md", "not a CSV file"),
    ]


@pytest.fixture
def reference_copy(tmp_path):
    """A scratch copy of the real published files, and one of data/sample's tables to import over."""
    folder = tmp_path / "reference-data"
    shutil.copytree(REFERENCE, folder, ignore=shutil.ignore_patterns("lait"))  # LAIT is tested on its own
    out = tmp_path / "sample"
    out.mkdir()
    for name in ("cla", "cin", "population", "statistical_neighbours", "areas"):
        shutil.copy(paths.ROOT / "data" / "sample" / f"{name}.csv", out)
    return folder, out


@pytest.mark.parametrize(
    "name, label",
    [
        ("cla_number_and_rate_per_10k_children_2018_to_2022.csv", "the EES children looked after file (2022 layout)"),
        ("cla_number_and_rate_per_10k_children_2021_to_2025.csv", "the EES children looked after file (2025 layout)"),
    ],
)
def test_real_looked_after_file_without_rate_column_stops_the_import_and_keeps_the_tables(reference_copy, name, label):
    folder, out = reference_copy
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    f = folder / "dfe_ees" / name
    rows = drop_column(f, "rate_per_10000")
    assert rows in (2520, 2505)  # the 2018-2022 and 2021-2025 files, every row still there
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "import-dfe", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.startswith(
        f"error: file {f}, row 1, column 'rate_per_10000': looks like {label} but lacks column 'rate_per_10000'"
    )
    assert "Traceback" not in run.stderr and "neighbours" not in run.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_real_import_without_the_2018_to_2022_release_would_lose_its_years(reference_copy):
    folder, out = reference_copy
    (folder / "dfe_ees" / "cla_number_and_rate_per_10k_children_2018_to_2022.csv").unlink()
    with pytest.raises(importer.DataLossError) as err:
        importer.import_dfe(folder, out)
    (loss,) = err.value.losses
    # As the issue found when the damaged file was taken for the national time series: 10,758 to 7,710.
    assert (loss.table, loss.before, loss.after, len(loss.lost)) == ("cla", 10758, 7710, 3048)
    assert sorted(set(loss.lost["period"])) == ["2018", "2019", "2020", "2021", "2022"]
    assert "352" in set(loss.lost["area"]) and "year" not in loss.note
    assert (
        "3,048 would disappear (168 areas: " in loss.describe()
        and (
            "; years 2018-2022; 6 measures: cla_ceased, cla_ceased_rate, cla_count, cla_rate, cla_starts, "
            "cla_starts_rate)"
        )
        in loss.describe()
    )
