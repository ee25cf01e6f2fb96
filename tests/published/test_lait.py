"""LAIT's published dataset read as published: small files in its layout, and the real files where
../shared/reference-data is present."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csdemand.core.errors import InputError
from csdemand.published import lait, store
from tests.conftest import REFERENCE, needs_reference

DICTIONARY_HEADER = [
    "Measure_code",
    "Topic",
    "Measure",
    "Chart_title",
    "Measure_short",
    "Polarity",
    "y_axis_name",
    "state_funded_flag",
    "Table_status",
    "Description",
    "Last Update",
    "Next Update",
    "Data Owner (DO) /Supplier and Contact Details",
    "Methodology",
    "Hyperlink(s)",
    "dps",
    "Year_Type",
    "No_Quartile",
]


def _dictionary_row(
    code,
    topic="Children Looked After",
    polarity="-",
    dps="NA",
    year_type="Financial Year",
    no_quartile="NA",
    next_update="46174",
):
    return {
        "Measure_code": "1",
        "Topic": topic,
        "Measure": f"label of {code}",
        "Chart_title": f"chart {code}",
        "Measure_short": code,
        "Polarity": polarity,
        "y_axis_name": "Rate per 10,000",
        "state_funded_flag": "NA",
        "Table_status": "x",
        "Description": "line one\nline \u201ctwo\u201d",
        "Last Update": "45809",
        "Next Update": next_update,
        "Data Owner (DO) /Supplier and Contact Details": "DfE",
        "Methodology": "NA",
        "Hyperlink(s)": "NA",
        "dps": dps,
        "Year_Type": year_type,
        "No_Quartile": no_quartile,
    }


def _write(tmp_path, rows, dictionary):
    folder = tmp_path / "lait"
    folder.mkdir()
    pd.DataFrame(dictionary, columns=DICTIONARY_HEADER).to_csv(folder / lait.DICTIONARY_FILE, index=False)
    df = pd.DataFrame(rows, columns=lait.DATA_COLUMNS)
    table = pa.table(
        {c: pa.array(df[c].tolist(), type=pa.float64() if c == "LA Number" else pa.string()) for c in lait.DATA_COLUMNS}
    )
    pq.write_table(table, folder / lait.DATA_FILE)
    return folder


def _row(code, years, area, value, number, region="North West"):
    return [code, f"item {code}", years, area, value, number, region]


AREAS = pd.DataFrame(
    {
        "la_number": [352, 942],
        "area_code": ["E08000003", "E06000063"],
        "area_name": ["Manchester", "Cumberland"],
        "region_code": ["E12000002", "E12000002"],
        "region_name": ["North West", "North West"],
    }
)


@pytest.fixture
def small(tmp_path):
    rows = [
        _row("LAC", "2025", "Manchester", "97", 352.0),
        _row("LAC", "2024", "Manchester", "-", 352.0),
        _row("ReReferral", "2025", "Manchester", "18.399999999999999", 352.0),
        _row("LACFinance", "2024-25 (OT)", "Manchester", "1905", 352.0),
        _row("KS4", "2021/22-23/24", "Manchester", "7.0000000000000007E-2", 352.0),
        _row("LAC", "2025", "England", "67", 970.0, "NA"),
        _row("LAC", "2025", "London (Inner)", "80", 987.0, "NA"),
        _row("LAC", "2025", "Cumberland", "70", 942.0),
    ]
    dictionary = [
        _dictionary_row("LAC", dps="0"),
        _dictionary_row("ReReferral", polarity="Low"),
        _dictionary_row("LACFinance", topic="Children's Service Finance", no_quartile="N"),
        _dictionary_row("KS4", topic="Key Stage 4", polarity="High", dps="2", year_type="Academic Year"),
        _dictionary_row("KS4", topic="Children with SEN", polarity="High", dps="NA", year_type="Academic Year"),
    ]
    return _write(tmp_path, rows, dictionary)


@pytest.mark.parametrize(
    ("label", "year"),
    [
        ("2025", 2025),
        ("2025 (Rev)", 2025),
        ("2020 (Final)", 2020),
        ("2025 (prov)", 2025),
        ("2024-25 (OT)", 2025),
        ("2023/24", 2024),
        ("2014-16", 2016),
        ("2021/22-23/24", 2024),
        ("2025-26", 2026),
        ("0", 0),
    ],
)
def test_a_lait_year_becomes_the_year_its_period_ends(label, year):
    assert lait.period_end(label) == year


def test_an_unknown_year_spelling_is_refused():
    with pytest.raises(ValueError):
        lait.period_end("Autumn 2024")


def test_excel_serial_dates_become_iso_dates_and_words_stay():
    assert lait.excel_date("46174") == "2026-06-01"
    assert lait.excel_date("Discontinued") == "Discontinued"
    assert lait.excel_date("NA") == ""


def test_small_files_read_into_a_tidy_table_with_period_labels_and_markers(small):
    data, _measures = lait.read(small, AREAS)
    m = data[(data["la_number"] == 352)].set_index(["measure", "period"])
    assert m.loc[("LAC", 2025), "value"] == 97.0
    assert m.loc[("ReReferral", 2025), "value"] == 18.4
    assert m.loc[("LACFinance", 2025), "period_label"] == "2024-25 (OT)"
    assert m.loc[("KS4", 2024), "value"] == pytest.approx(0.07)
    dash = m.loc[("LAC", 2024)]
    assert dash["status"] == lait.NOT_PUBLISHED and math.isnan(dash["value"])  # never zero
    eng = data[data["geographic_level"] == "national"].iloc[0]
    assert eng["area_code"] == "E92000001" and pd.isna(eng["la_number"])
    inner = data[data["area_name"] == "London (Inner)"].iloc[0]
    assert inner["geographic_level"] == "regional" and inner["area_code"] == "E13000001"
    cumberland = data[data["la_number"] == 942].iloc[0]
    assert cumberland["area_code"] == "E06000063" and cumberland["region_code"] == "E12000002"


def test_the_dictionary_gives_polarity_decimals_quartile_rule_and_topics(small):
    _, measures = lait.read(small, AREAS)
    m = measures.set_index("measure")
    assert (
        m.loc["ReReferral", "polarity"] == "low_is_good"
        and m.loc["LAC", "polarity"] == "neither"
        and m.loc["KS4", "polarity"] == "high_is_good"
    )
    assert m.loc["LAC", "decimals"] == 0 and m.loc["ReReferral", "decimals"] == 1  # empty dps: 1, as LAIT shows
    assert not m.loc["LACFinance", "quartile"] and m.loc["LAC", "quartile"]
    assert m.loc["KS4", "topics"] == "Key Stage 4; Children with SEN" and m.loc["KS4", "decimals"] == 2
    assert m.loc["LAC", "next_update"] == "2026-06-01"
    assert len(measures) == 4


def test_a_value_that_is_not_a_number_names_the_row_and_column(tmp_path):
    folder = _write(tmp_path, [_row("LAC", "2025", "Manchester", "n/a", 352.0)], [_dictionary_row("LAC")])
    with pytest.raises(InputError) as e:
        lait.read(folder, AREAS)
    assert e.value.row == 1 and e.value.column == "Values" and "n/a" in str(e.value)


def test_a_code_missing_from_the_dictionary_is_refused(tmp_path):
    folder = _write(tmp_path, [_row("NEW", "2025", "Manchester", "1", 352.0)], [_dictionary_row("LAC")])
    with pytest.raises(InputError, match="not in the LAIT data dictionary"):
        lait.read(folder, AREAS)


def test_a_file_that_is_not_parquet_is_refused(tmp_path):
    folder = _write(tmp_path, [_row("LAC", "2025", "Manchester", "1", 352.0)], [_dictionary_row("LAC")])
    (folder / lait.DATA_FILE).write_bytes(b"PAR1 but not really")
    with pytest.raises(InputError, match="not a readable parquet file"):
        lait.read(folder, AREAS)


def test_parquet_output_is_byte_identical_for_the_same_table(small):
    data, _ = lait.read(small, AREAS)
    assert lait.to_parquet_bytes(data) == lait.to_parquet_bytes(data.copy())


# --------------------------------------------------------------------------- the real files


@pytest.fixture(scope="module")
def real_lait():
    if not (REFERENCE / "lait" / lait.DATA_FILE).exists():
        pytest.skip(f"LAIT files not present in {REFERENCE}")
    return lait.read(REFERENCE / "lait", store.load("areas"))


@needs_reference
def test_real_lait_has_every_row_and_measure(real_lait):
    data, measures = real_lait
    assert len(data) == 641_070 and data["measure"].nunique() == 434 and len(measures) == 434
    assert (data["status"] == lait.NOT_PUBLISHED).sum() == 93_883
    assert data["area_code"].notna().all()


@needs_reference
@pytest.mark.parametrize(
    ("number", "measure", "period", "value"),
    [
        (352, "LAC", 2025, 97),
        (352, "LACnum", 2025, 1280),
        (330, "LACnum", 2025, 2317),
        (352, "ReReferral", 2025, 18.4),
        (352, "Work_Force_AvgNumCase_SW", 2025, 14.7),
        (352, "LACFinance", 2025, 1905),
        (352, "CPP_Total_Rateper10,000", 2024, 499.2),
        (352, "LACnum_Start", 2025, 497),
        (352, "LACceased", 2025, 523),
    ],
)
def test_real_lait_golden_figures(real_lait, number, measure, period, value):
    data, _ = real_lait
    row = data[(data["la_number"] == number) & (data["measure"] == measure) & (data["period"] == period)]
    assert row["value"].tolist() == [pytest.approx(value)]


@needs_reference
def test_real_lait_keeps_suppression_and_new_authorities_honest(real_lait):
    data, _ = real_lait
    col = data[(data["la_number"] == 201) & (data["measure"] == "LAC") & (data["period"] == 2025)]
    assert col["status"].tolist() == [lait.NOT_PUBLISHED]
    cumberland = data[(data["la_number"] == 942) & (data["measure"] == "LACnum")]
    assert cumberland.loc[cumberland["status"] == "", "period"].min() == 2024
    eng = data[(data["geographic_level"] == "national") & (data["measure"] == "LAC") & (data["period"] == 2025)]
    assert eng["value"].tolist() == [67]


@needs_reference
def test_shipped_lait_table_loads_through_the_store():
    data = store.load("lait")
    assert len(data) == 641_070 and "period_label" in data.columns
    measures = store.load("lait_measures")
    assert measures.set_index("measure").loc["LAC", "topic"] == "Children Looked After"
    assert np.isnan(
        data[(data["la_number"] == 201) & (data["measure"] == "LAC") & (data["period"] == 2025)]["value"]
    ).all()
