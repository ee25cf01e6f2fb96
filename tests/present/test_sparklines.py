"""Sparklines drawn all at once (csdemand.present.sparklines): one PNG per line at the size asked
for, the right pixels inked, missing years left as gaps, alt text in words."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from csdemand.present.sparklines import sparklines

YEARS = list(range(2016, 2026))


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def _lines() -> pd.DataFrame:
    return pd.DataFrame(
        [np.linspace(10, 20, 10), [5.0] * 4 + [np.nan] * 2 + [5.0] * 4, [np.nan] * 10],
        index=["rising", "gap", "empty"],
        columns=YEARS,
    )


def test_one_png_per_line_at_scale_times_its_css_size():
    out = sparklines(_lines(), width=84, height=16, scale=3)
    assert list(out) == ["rising", "gap", "empty"]
    for s in out.values():
        assert s.png.startswith(b"\x89PNG") and _pixels(s.png).shape[:2] == (48, 252)
        assert 'width="84" height="16"' in s.img()


def test_a_rising_line_is_inked_low_at_the_left_and_high_at_the_right():
    px = _pixels(sparklines(_lines(), scale=3)["rising"].png)
    ink = px[..., :3].sum(axis=2) < 2.5  # not white
    rows_left = np.flatnonzero(ink[:, 12])
    rows_right = np.flatnonzero(ink[:, 236])
    assert rows_left.mean() > rows_right.mean()  # image rows grow downwards


def test_a_missing_year_leaves_a_gap_and_an_empty_line_draws_nothing():
    out = sparklines(_lines(), scale=3)
    px = _pixels(out["gap"].png)
    ink = px[..., :3].sum(axis=2) < 2.5
    x = 9 + (np.arange(10) * (252 - 18) / 9)  # the years' x positions (3 px padding x scale 3)
    middle = int((x[4] + x[5]) // 2)  # between 2020 and 2021, both missing
    assert not ink[:, middle].any() and ink[:, int(x[1])].any()
    assert not (_pixels(out["empty"].png)[..., :3].sum(axis=2) < 2.5).any()
    assert out["empty"].alt == "Sparkline of empty: no published figure in these years."


def test_alt_text_says_the_first_and_last_figure_the_comparator_and_the_marked_years():
    lines = _lines().loc[["rising"]]
    ref = pd.DataFrame([[12.0] * 10], index=["rising"], columns=YEARS)
    marks = pd.DataFrame([[False] * 8 + [True, True]], index=["rising"], columns=YEARS)
    s = sparklines(lines, reference=ref, marks=marks, labels={"rising": "referrals per 10,000"}, decimals=0)["rising"]
    assert s.alt == (
        "Sparkline of referrals per 10,000, 2016 to 2025: from 10 in 2016 to 20 in 2025; the neighbours' mean 12.0 "
        "in 2025; beyond chance from the neighbours in 2024, 2025."
    )
    assert 'alt="Sparkline of referrals per 10,000' in s.img()


def test_text_from_the_data_is_escaped_in_the_img_tag():
    lines = _lines().loc[["rising"]]
    s = sparklines(lines, labels={"rising": '<script>"x"'})["rising"]
    assert "<script>" not in s.img() and "&lt;script&gt;&quot;x&quot;" in s.img()
