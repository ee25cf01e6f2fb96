"""Tables as data: the second output every table and chart displays (TABLE_MIME), for the workbook."""

from __future__ import annotations

import pandas as pd
import pytest

from csdemand.present.html import TABLE_MIME, Chart, Html, cell_data, show_table, split_tables, table_html


@pytest.mark.parametrize(
    ("printed", "data"),
    [
        ("1,280", {"text": "1,280", "value": 1280}),
        ("88.9", {"text": "88.9", "value": 88.9, "decimals": 1}),
        ("-3.0%", {"text": "-3.0%", "value": -3.0, "decimals": 1, "unit": "%"}),
        ("+18", {"text": "+18", "value": 18}),
        ("0.0%", {"text": "0.0%", "value": 0.0, "decimals": 1, "unit": "%"}),
    ],
)
def test_a_printed_figure_is_kept_as_the_number_printed_with_its_unit(printed, data):
    assert cell_data(printed) == data


@pytest.mark.parametrize("marker", ["c", "x", "z", "u", "k", "-"])
def test_a_withheld_figure_is_its_marker_and_has_no_value(marker):
    assert cell_data(marker) == {"text": marker, "marker": marker}


def test_what_follows_a_figure_is_kept_apart_as_a_note_or_the_upper_end_of_a_range():
    assert cell_data("88.9 (10 of 10)") == {
        "text": "88.9 (10 of 10)",
        "value": 88.9,
        "decimals": 1,
        "note": "(10 of 10)",
    }
    assert cell_data("9 of 11")["value"] == 9 and cell_data("9 of 11")["note"] == "of 11"
    assert cell_data("2010 *") == {"text": "2010 *", "value": 2010, "note": "*"}
    assert cell_data("112 in 2020 r")["note"] == "in 2020 r"
    assert cell_data("16.4% to 22.9%") == {
        "text": "16.4% to 22.9%",
        "value": 16.4,
        "decimals": 1,
        "unit": "%",
        "upper": 22.9,
    }
    assert cell_data("-1.9 to +1.0")["value"] == -1.9 and cell_data("-1.9 to +1.0")["upper"] == 1.0
    assert cell_data("c (3 of 10)") == {"text": "c (3 of 10)", "marker": "c", "note": "(3 of 10)"}


@pytest.mark.parametrize("words", ["1 year", "3 years", "Apr 2022", "<0.001", "Manchester", "SARIMA(0,1,1)(0,1,1)12"])
def test_words_stay_text_and_are_never_read_as_figures(words):
    assert cell_data(words) == {"text": words}


def test_a_table_given_numbers_keeps_them_and_a_missing_one_is_x():
    assert cell_data(1280) == {"text": "1280", "value": 1280}
    assert cell_data(float("nan")) == {"text": "x", "marker": "x"}


def test_displaying_a_table_moves_its_data_out_of_the_page_into_a_second_output():
    df = pd.DataFrame({"Authority": ["City of London", "Camden"], "Rate": ["c", "58"]})
    df.attrs["footnotes"] = ["r: revised"]
    bundle = show_table(df, "Rates")._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain", TABLE_MIME}
    assert "vnd.csdemand.table" not in bundle["text/html"] and "<script" not in bundle["text/html"]
    assert bundle["text/plain"] == "Rates\nAuthority Rate\nCity of London c\nCamden 58\n" + (
        "c: suppressed to protect confidentiality (a count of 1 to 5, or a figure built on one)\nr: revised"
    )
    (table,) = bundle[TABLE_MIME]["tables"]
    assert table["kind"] == "table" and table["caption"] == "Rates" and table["columns"] == ["Authority", "Rate"]
    assert table["rows"][0][1] == {"text": "c", "marker": "c"} and table["rows"][1][1] == {"text": "58", "value": 58}
    assert table["footnotes"] == ["r: revised"]


def test_fragments_joined_by_a_briefing_keep_every_table_in_page_order():
    a = show_table(pd.DataFrame({"Year": ["2024"], "Rate": ["97"]}), "first")
    chart = Chart(b"\x89PNG", "alt text", "second", pd.DataFrame({"Year": ["2025"], "Rate": ["c"]}))
    joined = Html(a.markup + "<p>between</p>" + chart._repr_html_())
    bundle = joined._repr_mimebundle_()
    assert [(t["kind"], t["caption"]) for t in bundle[TABLE_MIME]["tables"]] == [
        ("table", "first"),
        ("chart", "second"),
    ]
    assert "<p>between</p>" in bundle["text/html"] and "vnd.csdemand.table" not in bundle["text/html"]
    assert chart._repr_mimebundle_()[TABLE_MIME]["tables"][0]["rows"] == [
        [{"text": "2025", "value": 2025}, {"text": "c", "marker": "c"}]
    ]


def test_a_fragment_without_a_table_gives_no_second_output():
    assert set(Html("<p>words</p>")._repr_mimebundle_()) == {"text/html", "text/plain"}


def test_text_from_a_data_file_cannot_leave_the_data_block():
    hostile = '</script><script>alert(1)</script><!-- & "'
    markup = table_html(pd.DataFrame({"Local authority": [hostile]}), "t")
    assert "</script><script>" not in markup and markup.count("</script>") == 1
    clean, (table,) = split_tables(markup)
    assert table["rows"][0][0]["text"] == hostile and "<script" not in clean


def test_the_plain_text_of_a_fragment_is_its_words_with_an_image_as_its_alt_text():
    from csdemand.present.html import plain_text

    markup = (
        '<section class="key-messages"><h2 id="km">Key messages</h2><ul><li>Manchester &amp; Salford: 1,280</li>'
        '<li>rate <b>97</b> per 10,000</li></ul></section><figure class="chart"><img src="data:image/png;base64,AAAA"'
        ' alt="Rate per 10,000 from 2016 to 2025"><figcaption>Rate &lt;trend&gt;</figcaption></figure>'
    )
    assert plain_text(markup) == (
        "Key messages\nManchester & Salford: 1,280\nrate 97 per 10,000\n[Rate per 10,000 from 2016 to 2025]\n"
        "Rate <trend>"
    )


def test_a_charts_plain_text_is_its_alt_text_and_caption_not_its_png_bytes():
    chart = Chart(b"\x89PNG" + b"\x00" * 5000, "Bars for 11 authorities", "Rate per 10,000", pd.DataFrame())
    plain = chart._repr_mimebundle_()["text/plain"]
    assert plain == "[Bars for 11 authorities]\nRate per 10,000"
