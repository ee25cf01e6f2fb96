"""The importer: newest release wins, computed rates are marked, failures leave data as it was."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from csdemand.published import importer
from csdemand.core.errors import InputError

from tests.conftest import PUBLISHED


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
    f.write_text(f.read_text(encoding="utf-8-sig").replace("352,Manchester,2,North West,892", "352,Manchester,2,North West,999", 1), encoding="utf-8")
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
    run = subprocess.run([sys.executable, "-m", "csdemand", "import-dfe", str(published), "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "ons_mid-year_population_estimates.csv" in run.stderr and "population_estimate" in run.stderr and "13l831" in run.stderr
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
