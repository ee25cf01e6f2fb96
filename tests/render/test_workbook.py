"""Accessible workbooks (``render --format xlsx``), opened with openpyxl as a reader would."""

from __future__ import annotations

import io
import json
import re

import nbformat
import openpyxl
import pytest

from csdemand.present.html import TABLE_MIME, table_data
from csdemand.render import workbook
from tests.render.forms import manchester

NUMBER_AS_TEXT = re.compile(r"\s*[+-]?[\d,]+(\.\d+)?%?\s*")


def _book(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _table_rows(ws) -> list[tuple]:
    """The rows of the sheet's one Excel table, its header first."""
    (table,) = ws.tables.values()
    return [tuple(c.value for c in row) for row in ws[table.ref]]


def _every_cell(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


def test_the_looked_after_workbook_has_a_cover_contents_notes_and_one_table_a_sheet():
    wb = _book(manchester().folder / "looked_after.xlsx")
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Headlines"] + [f"Table_{k}" for k in range(1, 19)]
    cover = [c.value for c in wb["Cover"]["A"] if c.value]
    assert cover[0] == "Children looked after: Manchester, 2025: tables"
    assert any(str(v).startswith("Sources: Department for Education: Children looked after in England") for v in cover)
    assert "Table_4: Change in the rate per 10,000" in cover  # what each sheet holds
    contents = _table_rows(wb["Contents"])
    assert contents[0] == ("Sheet name", "Table description") and len(contents) == 1 + 19
    for name in wb.sheetnames[2:]:
        ws = wb[name]
        assert isinstance(ws["A1"].value, str) and ws["A1"].value  # the title, in A1
        assert len(ws.tables) == 1  # one table a sheet
    assert wb["Table_3"]["A1"].value == (
        "Children looked after at 31 March 2025: the authority and its statistical neighbours"
    )


def test_no_sheet_has_merged_cells_and_no_figure_is_stored_as_text():
    for name in ("summary", "looked_after", "referrals"):
        wb = _book(manchester().folder / f"{name}.xlsx")
        assert all(not ws.merged_cells.ranges for ws in wb.worksheets), name
        as_text = [(t, c.coordinate, c.value) for t, c in _every_cell(wb) if isinstance(c.value, str)]
        assert [x for x in as_text if NUMBER_AS_TEXT.fullmatch(x[2])] == [], name


def test_figures_are_numbers_rounded_as_the_page_prints_them():
    wb = _book(manchester().folder / "looked_after.xlsx")
    neighbours = _table_rows(wb["Table_3"])
    assert neighbours[0] == (
        "Rank (1 = lowest)",
        "Local authority",
        "Neighbour (closeness)",
        "Neighbour (closeness): note",
        "Looked after",
        "Rate per 10,000",
    )
    assert neighbours[3] == (3, "Birmingham", 2, "(very close)", 2317, 79)
    manchester_row = next(r for r in neighbours if str(r[1]).startswith("Manchester"))
    assert manchester_row[4:] == (1280, 97) and manchester_row[2] == "[no figure]"  # the page prints "-"
    headlines = {r[0]: r for r in _table_rows(wb["Headlines"])[1:]}
    rate = headlines["Children looked after per 10000 children"]
    assert rate[1:4] == (2025, 97, "per 10,000") and 88.9 in rate and 67 in rate
    change = _table_rows(wb["Table_4"])
    assert change[3][:2] == ("5 years", 112) and change[3][4:6] == (-15, -13.4)
    assert "re-based on the mid-2024 population estimates" in change[3][2]  # the "r" beside 112, in words


def test_every_marker_is_explained_on_the_notes_sheet():
    wb = _book(manchester().folder / "looked_after.xlsx")
    notes = [r[1] for r in _table_rows(wb["Notes"])[1:]]
    for shorthand in ("[c] = suppressed", "[x] = not available", "[z] = not applicable", "[no figure] = "):
        assert any(shorthand in n for n in notes), shorthand
    assert any("dash (-)" in n for n in notes)
    assert any(n.startswith("r: re-based on the newest population estimates") for n in notes)


def test_the_summary_workbook_holds_its_headline_figures_as_numbers():
    wb = _book(manchester().folder / "summary.xlsx")
    rows = _table_rows(wb["Headlines"])
    head, body = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert head[:4] == ("Figure", "Period", "Value", "Unit")
    assert body["Children looked after per 10,000"]["Value"] == 97
    assert body["Re-referrals within 12 months"]["Value"] == 18.4
    assert body["Referrals per 10,000 children"]["Value"] == 481.1
    assert body["Referrals per 10,000 children"]["Change on 1 year"] == -18.1
    assert body["Early help requests (local data, synthetic sample)"]["Value"] == 14412


@pytest.mark.notebook
def test_city_of_londons_suppressed_figures_are_c_in_the_workbook_and_numbers_elsewhere(tmp_path, monkeypatch):
    from csdemand.render import batch, formats

    monkeypatch.setenv(formats.ENV, "html,xlsx")
    brief = next(b for b in batch.discover() if b.name == "looked_after")
    page = batch.render_one(brief, "201", "2025", tmp_path)
    wb = _book(page.with_suffix(".xlsx"))
    headlines = {r[0]: r for r in _table_rows(wb["Headlines"])[1:]}
    assert headlines["Children looked after at 31 March"][2] == "[c]"
    assert headlines["Children looked after per 10000 children"][2] == "[c]"
    table = _table_rows(wb["Table_3"])
    city = next(r for r in table[1:] if str(r[1]).startswith("City of London"))
    assert city[-2:] == ("[c]", "[c]")
    others = [r for r in table[1:] if r is not city]
    assert others and all(isinstance(r[-1], int) for r in others if r[-1] != "[c]")
    assert any("[c] = suppressed to protect confidentiality" in str(c.value) for c in wb["Table_3"]["A"])
    # the payload beside the page held exactly what the page printed
    nb = nbformat.read(page.with_suffix(".ipynb"), as_version=4)
    shown = [t for t in workbook.tables_of(nb) if t["caption"].startswith("Children looked after at 31 March")]
    assert (
        shown
        and {"text": "c", "marker": "c"} in shown[0]["rows"][[r[1]["text"] for r in shown[0]["rows"]].index(city[1])]
    )
    assert "vnd.csdemand.table" not in page.read_text(encoding="utf-8")


def test_a_table_payload_is_laid_out_with_notes_ranges_and_markers_apart():
    import pandas as pd

    df = pd.DataFrame(
        {
            "Year": ["2024", "2025 *"],
            "": ["", "This authority"],
            "Rate": ["88.9 (10 of 10)", "c"],
            "Share": ["16.4% to 22.9%", "x"],
            "Signal": ["-", "Above the upper limit"],
        }
    )
    df.attrs["footnotes"] = ["*: computed here (DfE printed no rate)."]
    sheet = workbook.Sheet(table_data(df, "A table"))
    assert list(sheet.frame.columns) == [
        "Year",
        "Year: note",
        "Note",
        "Rate",
        "Rate: note",
        "Share (%): lower",
        "Share (%): upper",
        "Signal",
    ]
    assert [None if pd.isna(v) else v for v in sheet.frame.iloc[1]] == [
        2025,
        "computed here (DfE printed no rate)",
        "This authority",
        "[c]",
        None,
        "[x]",
        "[x]",
        "Above the upper limit",
    ]
    assert sheet.frame.iloc[0, 3] == 88.9 and sheet.frame.iloc[0, 4] == "(10 of 10)"
    assert sheet.frame.iloc[0, 5:7].tolist() == [16.4, 22.9] and sheet.frame.iloc[0, 7] == "none"
    assert sheet.markers == ["c", "x"] and sheet.formats["Rate"] == "0.0"


def test_a_briefing_without_tables_still_gets_a_workbook_that_says_so():
    nb = nbformat.v4.new_notebook()
    data = workbook.briefing_workbook(nb, {"title": "Tiny", "authority": "Manchester", "period": "2025"})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Table_1"]
    assert _table_rows(wb["Table_1"]) == [("Note",), ("This briefing shows no tables.",)]


def test_tables_are_read_from_the_executed_notebook_in_page_order():
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output(
        "display_data", data={TABLE_MIME: {"tables": [{"caption": "b"}, {"caption": "c"}]}, "text/html": "<p></p>"}
    )
    first = nbformat.v4.new_output("display_data", data={TABLE_MIME: {"tables": [{"caption": "a"}]}})
    nb.cells = [nbformat.v4.new_code_cell(outputs=[first]), nbformat.v4.new_code_cell(outputs=[out])]
    assert [t["caption"] for t in workbook.tables_of(json.loads(nbformat.writes(nb)))] == ["a", "b", "c"]
