"""The importer: newest release wins, computed rates are marked, failures leave data as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.published import importer
from tests.conftest import PUBLISHED
from tests.published.damage import drop_column


@pytest.fixture(scope="module")
def tables():
    built, _ = importer.build_tables(PUBLISHED)
    return built


def _one(df, **where):
    rows = df
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}"
    return rows.iloc[0]


def test_newest_release_wins_for_a_year_in_two_releases(tables):
    # 2021 is in the 2022 release (1,370, rate 111) and the 2025 release (1,371, rate 108)
    cla = tables["cla"]
    assert _one(cla, la_number=352, period=2021, measure="cla_count")["value"] == 1371
    rate = _one(cla, la_number=352, period=2021, measure="cla_rate")
    assert rate["value"] == 108 and rate["source"] == "cla_ees_2025" and rate["release"] == 2025


def test_older_release_fills_years_the_newer_one_lacks(tables):
    assert _one(tables["cla"], la_number=352, period=2020, measure="cla_rate")["value"] == 115


def test_rate_before_2018_is_computed_with_previous_mid_year_population_and_marked(tables):
    r = _one(tables["cla"], la_number=352, period=2017, measure="cla_rate")
    assert bool(r["computed"]) is True
    assert r["numerator"] == 1165 and r["denominator"] == 121889  # mid-2016 estimate
    assert r["value"] == pytest.approx(1165 / 121889 * 10_000)
    assert "ons_pop" in r["source"]


def test_2010_rate_uses_the_mid_2009_population_printed_in_the_2010_release(tables):
    r = _one(tables["cla"], la_number=352, period=2010, measure="cla_rate")
    assert r["value"] == pytest.approx(1426 / 95800 * 10_000) and bool(r["computed"])


def test_england_count_prefers_the_newer_national_time_series(tables):
    # SFR 2010 printed 64,400 (rounded to 100); the 2024 time series gives 64,460
    assert _one(tables["cla"], area_code="E92000001", period=2010, measure="cla_count")["value"] == 64460


def test_suppressed_count_gives_suppressed_rate_not_zero(tables):
    r = _one(tables["cla"], la_number=201, period=2025, measure="cla_rate")
    assert r["status"] == "c" and pd.isna(r["value"])


def test_sfr_rows_get_gss_code_and_region_from_newer_files(tables):
    r = _one(tables["cla"], la_number=352, period=2010, measure="cla_count")
    assert r["area_code"] == "E08000003" and r["region_code"] == "E12000002"


def test_london_boroughs_are_placed_in_london_not_inner_or_outer(tables):
    a = tables["areas"].set_index("la_number")
    assert a.loc[308, "region_code"] == "E12000007" and a.loc[308, "region_name"] == "London"


def test_neighbour_names_are_filled_from_the_area_lookup(tables):
    sn = tables["statistical_neighbours"]
    first = sn[(sn["model"] == "2025") & (sn["la_number"] == 352) & (sn["sn_rank"] == 1)].iloc[0]
    assert first["sn_la_number"] == 892 and first["sn_la_name"] == "Nottingham"


def test_unknown_neighbour_number_stops_the_import(published):
    f = published / "sn_model_2025_wide.csv"
    f.write_text(
        f.read_text(encoding="utf-8-sig").replace(
            "352,Manchester,2,North West,892", "352,Manchester,2,North West,999", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"\[999\]"):
        importer.build_tables(published)


def test_a_failed_import_leaves_existing_tables_untouched(published, tmp_path):
    out = tmp_path / "sample"
    importer.import_dfe(PUBLISHED, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = published / "cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    bad.write_text(bad.read_text(encoding="utf-8-sig").replace(",1280,97", ",1280,ninety-seven"), encoding="utf-8")
    with pytest.raises(InputError, match="ninety-seven"):
        importer.import_dfe(published, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_import_is_deterministic(tmp_path):
    importer.import_dfe(PUBLISHED, tmp_path / "a")
    importer.import_dfe(PUBLISHED, tmp_path / "b")
    for name in ("cla.csv", "population.csv", "statistical_neighbours.csv", "areas.csv", "IMPORTED.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_command_line_reports_bad_input_without_traceback_and_exits_2(published, tmp_path):
    bad = published / "ons_mid-year_population_estimates.csv"
    bad.write_text(bad.read_text().replace("131831", "13l831"))
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "import-dfe", str(published), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert (
        "ons_mid-year_population_estimates.csv" in run.stderr
        and "population_estimate" in run.stderr
        and "13l831" in run.stderr
    )
    assert not (tmp_path / "o" / "cla.csv").exists()


def test_folder_without_published_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no published file found"):
        importer.build_tables(tmp_path)


# --------------------------------------------------------------------------- children in need


def test_referrals_2024_come_from_the_newest_release_but_rate_from_the_one_that_printed_it(tables):
    cin = tables["cin"]
    assert _one(cin, la_number=352, period=2024, measure="referrals")["release"] == 2025
    rate = _one(cin, la_number=352, period=2024, measure="referrals_rate")
    assert rate["value"] == 502.8 and rate["release"] == 2024 and not bool(rate["computed"])


def test_referral_rate_2025_is_computed_with_mid_2024_population_and_marked(tables):
    rate = _one(tables["cin"], la_number=352, period=2025, measure="referrals_rate")
    assert bool(rate["computed"]) and rate["denominator"] == 131831
    assert rate["value"] == pytest.approx(6342 / 131831 * 10_000)


def test_domestic_abuse_share_is_of_assessments_with_a_factor(tables):
    r = _one(tables["cin"], la_number=352, period=2025, measure="da_parent_pct")
    assert (r["numerator"], r["denominator"]) == (1687, 6606)
    assert r["value"] == pytest.approx(25.537, abs=0.001) and bool(r["computed"])


def test_suppressed_factor_counts_give_suppressed_shares(tables):
    assert _one(tables["cin"], la_number=391, period=2025, measure="da_child_pct")["status"] == "c"


def test_not_available_and_low_reliability_markers_are_kept(tables):
    cin = tables["cin"]
    assert _one(cin, la_number=309, period=2024, measure="referrals_rate")["status"] == "x"
    assert _one(cin, la_number=308, period=2024, measure="referrals_rate")["status"] == "u"


# --------------------------------------------------------------------------- damaged files: refused, not misread


def _import_cli(folder, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "import-dfe", str(folder), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "name, label",
    [
        ("cla_number_and_rate_per_10k_children_2018_to_2022.csv", "the EES children looked after file (2022 layout)"),
        ("cla_number_and_rate_per_10k_children_2021_to_2025.csv", "the EES children looked after file (2025 layout)"),
    ],
)
def test_looked_after_file_without_rate_column_stops_the_import_and_keeps_the_tables(published, tmp_path, name, label):
    out = tmp_path / "sample"
    importer.import_dfe(PUBLISHED, out)
    before = _snapshot(out)
    f = published / name
    assert drop_column(f, "rate_per_10000") > 0
    run = _import_cli(published, out)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert run.stderr.startswith(
        f"error: file {f}, row 1, column 'rate_per_10000': looks like {label} but lacks column 'rate_per_10000'; "
        "expected the published header"
    )
    assert (
        "neighbours" not in run.stderr
    )  # the 2025 file was once skipped, and the import failed on Cumbria's successors
    assert _snapshot(out) == before


def test_every_file_in_the_folder_is_read_or_listed_as_skipped_with_the_reason(published):
    (published / "notes").mkdir()
    (published / "notes" / "metadata.txt").write_text("Variable definitions\n")
    (published / "notes" / "lookup.csv").write_text("code,name\n352,Manchester\n")
    (published / "c4_section_47s.csv").write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,"
        "new_la_code,la_name,category,Section47\n"
        "2025,Reporting year,National,E92000001,England,,,,,,Section 47,225000\n"
    )
    tables, result = importer.build_tables(published)
    assert len(result.read) == 11 and len(tables["cla"]) == 174
    assert result.skipped == [
        ("README.txt", "not a CSV file"),
        ("c4_section_47s.csv", "not a kind this importer reads"),
        ("notes/lookup.csv", "not a kind this importer reads"),
        ("notes/metadata.txt", "not a CSV file"),
    ]


def test_a_fifo_in_the_folder_is_skipped_without_being_opened(published, tmp_path):
    os.mkfifo(published / "cla_extra.csv")
    run = _import_cli(published, tmp_path / "out")  # a regression blocks here: the timeout fails it
    assert run.returncode == 0, run.stderr
    assert "skipped  cla_extra.csv  (not a regular file)\n" in run.stdout
    assert f"wrote    {tmp_path / 'out' / 'cla.csv'}  (174 rows)" in run.stdout


# --------------------------------------------------------------------------- rows that an import would lose


def test_import_that_would_lose_rows_stops_and_says_which(published, tmp_path):
    out = tmp_path / "sample"
    importer.import_dfe(PUBLISHED, out)
    before = _snapshot(out)
    (published / "cla_number_and_rate_per_10k_children_2018_to_2022.csv").unlink()  # the only 2020 figures
    with pytest.raises(importer.DataLossError) as err:
        importer.import_dfe(published, out)
    (loss,) = err.value.losses
    assert (loss.table, loss.before, loss.after, len(loss.lost)) == ("cla", 174, 150, 24)
    assert set(loss.lost["period"]) == {"2020"} and set(loss.lost["measure"]) == {"cla_count", "cla_rate"}
    assert loss.lost["area"].nunique() == 12 and {"Manchester (352)", "England (E92000001)"} <= set(
        loss.lost["area_label"]
    )
    assert loss.describe() == (
        f"cla: 174 rows in {out / 'cla.csv'}, 150 after this import; 24 would disappear "
        "(12 areas: Middlesbrough (806), Nottingham (892), Southampton (852), Manchester (352), Oldham (353) and 7 "
        "more; "
        "year 2020; 2 measures: cla_count, cla_rate)"
    )
    assert _snapshot(out) == before  # nothing written


def test_command_line_refuses_a_loss_with_exit_2_and_allow_loss_replaces_the_tables(published, tmp_path):
    out = tmp_path / "sample"
    importer.import_dfe(PUBLISHED, out)
    before = _snapshot(out)
    (published / "cla_number_and_rate_per_10k_children_2018_to_2022.csv").unlink()
    run = _import_cli(published, out)
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stdout == ""
    lines = run.stderr.splitlines()
    assert (
        lines[0] == f"error: file {out}: this import would lose rows of the tables it replaces, so nothing was written:"
    )
    assert lines[1].startswith(
        f"  cla: 174 rows in {out / 'cla.csv'}, 150 after this import; 24 would disappear (12 areas: "
    )
    assert lines[-1].endswith("run import-dfe with --allow-loss to replace them anyway")
    assert _snapshot(out) == before

    run = _import_cli(published, out, "--allow-loss")
    assert run.returncode == 0, run.stderr
    assert f"lost     cla: 174 rows in {out / 'cla.csv'}, 150 after this import; 24 would disappear" in run.stdout
    assert f"wrote    {out / 'cla.csv'}  (150 rows)" in run.stdout
    assert len(pd.read_csv(out / "cla.csv")) == 150


def test_an_import_that_only_adds_rows_goes_ahead(published, tmp_path):
    out = tmp_path / "sample"
    (published / "cla_number_and_rate_per_10k_children_2018_to_2022.csv").unlink()
    assert importer.import_dfe(published, out).written["cla"] == 150
    result = importer.import_dfe(PUBLISHED, out)
    assert result.written["cla"] == 174 and result.losses == []


def test_a_dropped_neighbour_model_is_a_loss_of_that_model(published, tmp_path):
    out = tmp_path / "sample"
    importer.import_dfe(PUBLISHED, out)
    (published / "New_Statistical_Neighbour_Groupings_April_2021.csv").unlink()
    with pytest.raises(importer.DataLossError) as err:
        importer.import_dfe(published, out)
    (loss,) = err.value.losses
    assert (loss.table, loss.before, loss.after, len(loss.lost)) == ("statistical_neighbours", 230, 110, 120)
    assert set(loss.lost["model"]) == {"2021"}
    assert "12 authorities: " in loss.describe() and "model 2021" in loss.describe()


def test_an_existing_table_that_cannot_be_compared_stops_the_import_unless_allowed(tmp_path):
    out = tmp_path / "sample"
    out.mkdir()
    (out / "cla.csv").write_text("not,the,tidy,layout\n1,2,3,4\n")
    with pytest.raises(
        importer.DataLossError,
        match=r"cla: the existing .*cla\.csv cannot be compared with the new table \(it has no column 'area_code'\)",
    ):
        importer.import_dfe(PUBLISHED, out)
    assert (out / "cla.csv").read_text() == "not,the,tidy,layout\n1,2,3,4\n"
    assert importer.import_dfe(PUBLISHED, out, allow_loss=True).written["cla"] == 174
