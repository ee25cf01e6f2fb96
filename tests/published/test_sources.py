"""Readers of the published formats: markers, BOMs, CRLF, layouts, and clear errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from csdemand.core.errors import InputError
from csdemand.published import sources
from tests.conftest import PUBLISHED, REFERENCE, needs_reference
from tests.published.damage import drop_column


def test_cla_2025_layout_reads_bom_header_and_manchester_2025():
    df = sources.read_ees_cla(PUBLISHED / "cla_number_and_rate_per_10k_children_2021_to_2025.csv")
    m = df[(df["la_number"] == 352) & (df["period"] == 2025)].set_index("measure")
    assert m.loc["cla_count", "value"] == 1280
    assert m.loc["cla_rate", "value"] == 97
    assert m.loc["cla_rate", "numerator"] == 1280
    assert m.loc["cla_rate", "denominator"] == 131831
    assert set(df["source"]) == {"cla_ees_2025"} and set(df["release"]) == {2025}


def test_suppressed_count_is_status_c_never_zero():
    df = sources.read_ees_cla(PUBLISHED / "cla_number_and_rate_per_10k_children_2021_to_2025.csv")
    city = df[(df["la_number"] == 201) & (df["period"] == 2025)]
    assert set(city["status"]) == {"c"}
    assert city["value"].isna().all()


def test_la_that_did_not_exist_is_status_z():
    df = sources.read_ees_cla(PUBLISHED / "cla_number_and_rate_per_10k_children_2021_to_2025.csv")
    cumbria = df[(df["la_number"] == 909) & (df["period"] == 2025) & (df["measure"] == "cla_count")]
    assert cumbria["status"].tolist() == ["z"]


def test_cla_2022_layout_reads_population_count_label_and_number_column():
    df = sources.read_ees_cla(PUBLISHED / "cla_number_and_rate_per_10k_children_2018_to_2022.csv")
    m = df[(df["la_number"] == 352) & (df["period"] == 2021)].set_index("measure")
    assert m.loc["cla_count", "value"] == 1370
    assert m.loc["cla_rate", "value"] == 111
    assert set(df["release"]) == {2021}


def test_sfr_2010_reads_crlf_region_letters_and_mid_2009_population():
    df = sources.read_sfr_cla(PUBLISHED / "SFR27_2010_March.csv")
    eng = df[(df["geographic_level"] == "national") & (df["measure"] == "cla_count")]
    assert eng["area_code"].tolist() == ["E92000001"] and eng["value"].tolist() == [64400]
    nw = df[(df["geographic_level"] == "regional") & (df["measure"] == "cla_count")]
    assert nw["area_code"].tolist() == ["E12000002"]
    pop = df[(df["la_number"] == 352) & (df["measure"] == "population_0_17")]
    assert pop["period"].tolist() == [2009] and pop["value"].tolist() == [95800]


def test_sfr_2017_reads_la_order_column_and_scilly_row_with_empty_level():
    df = sources.read_sfr_cla(PUBLISHED / "SFR50_CLA2017.csv")
    scilly = df[df["la_number"] == 420]
    assert scilly["geographic_level"].tolist() == ["la"] and scilly["value"].tolist() == [0]
    assert df[(df["la_number"] == 352)]["value"].tolist() == [1165]


def test_ons_population_not_available_is_status_x():
    df = sources.read_ons_population(PUBLISHED / "ons_mid-year_population_estimates.csv")
    dorset = df[df["la_number"] == 835]
    assert dorset["status"].tolist() == ["x"] and np.isnan(dorset["value"].iloc[0])
    assert df[(df["la_number"] == 352) & (df["period"] == 2024)]["value"].tolist() == [131831]


def test_neighbours_2025_strips_trailing_spaces_in_closeness():
    sn = sources.read_neighbours_2025(PUBLISHED / "sn_model_2025_wide.csv")
    m = sn[sn["la_number"] == 352].sort_values("sn_rank")
    assert m["sn_la_number"].tolist() == [892, 330, 391, 308, 380, 355, 806, 852, 309, 353]
    assert m["closeness"].tolist()[2] == "Close"


def test_neighbours_2021_reads_repeated_snp_headers_and_marks_old_authorities():
    sn = sources.read_neighbours_2021(PUBLISHED / "New_Statistical_Neighbour_Groupings_April_2021.csv")
    assert sn[sn["la_number"] == 909]["pre_lgr"].all()
    assert not sn[sn["la_number"] == 352]["pre_lgr"].any()
    assert len(sn[sn["la_number"] == 352]) == 10
    assert sn[sn["la_number"] == 909]["la_name"].iloc[0] == "Cumbria"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("c", (None, "c")),
        ("x", (None, "x")),
        ("z", (None, "z")),
        ("u", (None, "u")),
        (":", (None, "x")),
        ("low", (None, "k")),
        ("1,302", (1302.0, "")),
        (" 97 ", (97.0, "")),
    ],
)
def test_parse_cell_maps_markers_to_status_and_numbers_to_values(raw, expected, tmp_path):
    value, status = sources.parse_cell(raw, file=tmp_path / "f.csv", row=2, column="c")
    assert status == expected[1]
    assert np.isnan(value) if expected[0] is None else value == expected[0]


def test_unknown_marker_names_file_row_column_and_what_was_expected(published):
    f = published / "cla_number_and_rate_per_10k_children_2021_to_2025.csv"
    lines = f.read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",n/a"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        sources.read_ees_cla(f)
    e = err.value
    assert e.row == 6 and e.column == "rate_per_10000" and e.value == "n/a"
    assert f.name in str(e) and "row 6" in str(e) and "expected a number" in str(e)


def test_missing_column_is_named(published):
    f = published / "ons_mid-year_population_estimates.csv"
    text = f.read_text().replace("population_estimate", "population", 1)
    f.write_text(text)
    with pytest.raises(InputError, match=r"row 1, column 'population_estimate'.*missing column"):
        sources.read_ons_population(f)


def test_file_of_another_kind_is_not_recognised(tmp_path):
    f = tmp_path / "referrals.csv"
    f.write_text("time_period,referral_count\n2025,6342\n")
    assert sources.recognise(f) is None


def test_empty_file_is_a_clear_error(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    with pytest.raises(InputError, match="empty"):
        sources.read_text_table(f)


def test_windows_1252_text_is_read(tmp_path):
    f = tmp_path / "sfr.csv"
    f.write_bytes("geog_l,geog_c,geog_n,CLA_Mar2015\r\nLA,352,Manchester \u2013 test,1291\r\n".encode("cp1252"))
    df = sources.read_sfr_cla(f)
    assert df["area_name"].iloc[0] == "Manchester \u2013 test"


def test_sfr_inner_and_outer_london_rows_keep_their_own_codes(tmp_path):
    f = tmp_path / "sfr.csv"
    f.write_bytes(
        b"New_geog_code,geog_l,geog_c,geog_n,CLA_Mar2013\r\nE12000007,REGION,G,LONDON,10090\r\nE12000007,REGION,H,"
        b"INNER LONDON,4440\r\nE12000007,REGION,I,OUTER LONDON,5650\r\n"
    )
    df = sources.read_sfr_cla(f)
    assert dict(zip(df["area_code"], df["value"])) == {"E12000007": 10090, "E13000001": 4440, "E13000002": 5650}


# --------------------------------------------------------------------------- recognising a file by its full layout

#: Each fixture file and the kind its full header makes it.
FIXTURE_KINDS = {
    "New_Statistical_Neighbour_Groupings_April_2021.csv": "neighbours_2021",
    "SFR27_2010_March.csv": "sfr_cla",
    "SFR50_CLA2017.csv": "sfr_cla",
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2024.csv": "cin_c1_2024_layout",
    "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv": "cin_c1_2025_layout",
    "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv": "cin_c3_factors",
    "cla_number_and_rate_per_10k_children_2018_to_2022.csv": "cla_ees_2022_layout",
    "cla_number_and_rate_per_10k_children_2021_to_2025.csv": "cla_ees_2025_layout",
    "cla_time_series_national.csv": "cla_national_time_series",
    "ons_mid-year_population_estimates.csv": "ons_population",
    "sn_model_2025_wide.csv": "neighbours_2025",
}


def test_every_fixture_file_is_recognised_as_its_kind():
    assert {f.name: sources.recognise(f).name for f in sorted(PUBLISHED.glob("*.csv"))} == FIXTURE_KINDS


@pytest.mark.parametrize(
    "name, label",
    [
        ("cla_number_and_rate_per_10k_children_2018_to_2022.csv", "the EES children looked after file (2022 layout)"),
        ("cla_number_and_rate_per_10k_children_2021_to_2025.csv", "the EES children looked after file (2025 layout)"),
    ],
)
def test_looked_after_file_without_its_rate_column_is_refused_naming_the_column(published, name, label):
    f = published / name
    drop_column(f, "rate_per_10000")
    with pytest.raises(InputError) as err:
        sources.recognise(f)
    e = err.value
    assert e.message == f"looks like {label} but lacks column 'rate_per_10000'"
    assert (e.file, e.row, e.column) == (str(f), 1, "rate_per_10000")
    assert str(e).startswith(f"file {f}, row 1, column 'rate_per_10000': looks like {label}")


def test_2022_file_without_its_rate_column_is_not_taken_for_the_national_time_series(published):
    # Its 13 columns hold the time series' whole layout (7 columns): it is still the 2022 file, damaged.
    f = published / "cla_number_and_rate_per_10k_children_2018_to_2022.csv"
    drop_column(f, "rate_per_10000")
    best = sources.closest(sources.header_of(f))
    assert best.kind.name == "cla_ees_2022_layout" and best.missing == ("rate_per_10000",)
    assert sources.match(
        next(k for k in sources.KINDS if k.name == "cla_national_time_series"), sources.header_of(f)
    ).complete


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_a_published_file_missing_any_column_its_layout_needs_is_refused(name):
    header = sources.header_of(PUBLISHED / name)
    kind = sources.recognise(PUBLISHED / name)
    needed = list(kind.columns) + [c for c in header for pattern, _ in kind.patterns if re.fullmatch(pattern, c)]
    for column in needed:
        best = sources.closest([h for h in header if h != column])
        assert best is not None and not best.complete, (
            f"{name} without {column!r} would be read as {best and best.kind.name}"
        )
        assert best.kind is not kind or column in best.missing or re.fullmatch(kind.patterns[0][0], column)


def test_sfr_file_without_its_count_column_names_the_pattern(tmp_path):
    f = tmp_path / "SFR.csv"
    f.write_bytes(b"geog_l,geog_c,geog_n,CLA_2015\r\nLA,352,Manchester,1291\r\n")
    with pytest.raises(
        InputError,
        match=(
            r"looks like an SFR children looked after underlying-data file \(2010-2017\) but lacks column "
            r"'CLA_Mar<YYYY> \(or MarTotal_2010\)'"
        ),
    ):
        sources.recognise(f)


def test_an_ees_file_of_another_table_sharing_only_the_geography_columns_is_not_recognised(tmp_path):
    # As the c4 section 47 file: EES geography and its own columns, none of a known layout's.
    f = tmp_path / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv"
    f.write_text(
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,"
        "new_la_code,la_name,category,Section47,ICPC\n"
        "2025,Reporting year,National,E92000001,England,,,,,,Section 47,225000,82000\n"
    )
    assert sources.closest(sources.header_of(f)) is None
    assert sources.recognise(f) is None


def test_header_of_names_repeated_columns_as_pandas_does():
    header = sources.header_of(PUBLISHED / "New_Statistical_Neighbour_Groupings_April_2021.csv")
    assert header[:8] == ["LA num", "LA Name", "LA number", "GOInd", "GOReg", "SN1", "SNP", "SN2"]
    assert [h for h in header if h.startswith("SNP")] == ["SNP"] + [f"SNP.{k}" for k in range(1, 10)]


def test_header_of_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "cla.csv"
    os.mkfifo(fifo)
    code = f"from csdemand.published import sources\nsources.header_of({str(fifo)!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"csdemand.core.errors.InputError: file {fifo}: this is a named pipe (FIFO), not a file; expected the "
        "path of a CSV file"
    )


def _real_published_files() -> list[str]:
    """The files in ../shared/reference-data the importer reads (none where it is absent)."""
    if not (REFERENCE / "README.md").exists():
        return []
    return sorted(str(p.relative_to(REFERENCE)) for p in REFERENCE.rglob("*.csv") if sources.recognise(p) is not None)


@needs_reference
@pytest.mark.parametrize("path", _real_published_files())
def test_real_published_file_missing_any_column_its_layout_needs_is_refused(path):
    header = sources.header_of(REFERENCE / path)
    kind = sources.recognise(REFERENCE / path)
    needed = list(kind.columns) + [c for c in header for pattern, _ in kind.patterns if re.fullmatch(pattern, c)]
    for column in needed:
        best = sources.closest([h for h in header if h != column])
        assert best is not None and not best.complete, (
            f"{path} without {column!r} would be read as {best and best.kind.name}"
        )
