"""The page's one number formatter and tables: half up, markers in words or letters, never nan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csdemand.present.html import fmt_number, headline_figures, table_html


def test_20_45_prints_as_20_5_half_up():
    assert fmt_number(20.45, 1) == "20.5" and fmt_number(20.45, 1, unit="%") == "20.5%"


@pytest.mark.parametrize(
    ("status", "note", "words"),
    [
        ("c", "", "c (suppressed: fewer than 6 children)"),
        ("z", "published with Cornwall", "not applicable (published with Cornwall)"),
        ("x", "", "not available"),
        ("", "", "not available"),
    ],
)
def test_a_withheld_figure_reads_as_its_marker_in_words_never_nan_or_a_bare_percent(status, note, words):
    assert fmt_number(np.nan, 1, status=status, unit="%", note=note) == words


def test_a_table_shows_markers_right_aligned_and_says_what_they_mean():
    df = pd.DataFrame({"Authority": ["City of London", "Isles of Scilly", "Camden"], "Rate": ["c", "z", "58"]})
    df.attrs["marker_notes"] = {"z": "Isles of Scilly: published with Cornwall"}
    html = table_html(df)
    assert '<td class="num">c</td>' in html and '<td class="num">z</td>' in html
    assert "<tfoot>" in html and "c: suppressed to protect confidentiality" in html
    assert "z: not applicable (Isles of Scilly: published with Cornwall)" in html and "x:" not in html


def test_a_table_without_markers_has_no_footnote():
    assert "<tfoot>" not in table_html(pd.DataFrame({"Rate": ["97", "88.9 (10 of 10)"]}))


def test_headline_tiles_format_a_number_given_as_a_number():
    html = headline_figures([("Rate", 20.45, "note"), ("Count", np.nan, "note")]).markup
    assert ">20<" in html and "not available" in html and "nan" not in html.lower()
