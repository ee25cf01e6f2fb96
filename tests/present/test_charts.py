"""The house theme (seaborn's, with the Okabe-Ito palette) on every chart, the charts seaborn
draws, and the summary's sparklines: what they draw, their alt text and their tables."""

from __future__ import annotations

import inspect
import io

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from csdemand.present import charts


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the charts save, kept open for inspection."""
    figures = []
    real = charts.figure_png

    def keep(fig, dpi=110):
        figures.append(fig)
        return real(fig, dpi)

    monkeypatch.setattr(charts, "figure_png", keep)
    return figures


def _pixels(png: bytes) -> set[tuple[int, int, int]]:
    """The distinct opaque RGB colours of a PNG."""
    img = mpimg.imread(io.BytesIO(png))
    rgb = (img[..., :3] * 255).round().astype(int)
    opaque = img[..., 3] > 0.99 if img.shape[-1] == 4 else np.ones(img.shape[:2], dtype=bool)
    return {tuple(int(c) for c in p) for p in rgb[opaque].reshape(-1, 3)}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


def _neighbours() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_number": [352, 1, 2, 3],
            "area_name": ["Manchester", "Alpha", "Beta", "Gamma"],
            "value": [97.0, 80.0, np.nan, 120.0],
            "status": ["", "", "c", ""],
        }
    )


# ------------------------------------------------------------------------------------- the theme


def test_every_chart_function_draws_under_the_house_theme():
    public = [
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if f.__module__ == charts.__name__ and not name.startswith("_") and name not in ("house_theme", "themed")
    ]
    assert {"trend_chart", "neighbour_bars", "funnel_chart", "spc_chart", "grouped_bars", "mix_chart"} <= set(public)
    bare = [name for name in public if not getattr(getattr(charts, name), "house_theme", False)]
    assert bare == [], f"decorate these chart functions with @themed (present/charts.py): {bare}"


def test_house_theme_is_seaborns_ticks_style_with_the_okabe_ito_palette_and_dejavu_sans():
    rc = charts.house_theme()
    assert [to_hex(c["color"]) for c in rc["axes.prop_cycle"]] == [c.lower() for c in charts.OKABE_ITO]
    assert rc["font.sans-serif"][0] == "DejaVu Sans" and rc["xtick.direction"] == "out"  # seaborn's ticks
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["axes.grid"] is True and rc["axes.grid.axis"] == "y" and rc["grid.color"] == "#e5e5e5"
    assert rc["legend.frameon"] is False and rc["xtick.labelsize"] == 9
    rc["font.sans-serif"] = ["Arial"]  # a caller's copy: the house theme itself is unchanged
    assert charts.house_theme()["font.sans-serif"][0] == "DejaVu Sans"


def test_a_chart_leaves_the_callers_matplotlib_settings_as_they_were():
    before = dict(plt.rcParams)
    charts.neighbour_bars(_neighbours(), 352, 67.0, 88.9, "Rate per 10,000", 2025)
    after = dict(plt.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_the_chart_is_drawn_in_the_house_font_and_colours(drawn):
    charts.neighbour_bars(_neighbours(), 352, 67.0, 88.9, "Rate per 10,000", 2025)
    ax = drawn[0].axes[0]
    assert {t.get_fontname() for t in ax.get_yticklabels()} == {"DejaVu Sans"}
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


# ------------------------------------------------------------------------------- seaborn's charts


def test_neighbour_bars_put_the_authority_in_vermillion_and_neighbours_in_blue_at_full_saturation():
    chart = charts.neighbour_bars(_neighbours(), 352, 67.0, 88.9, "Rate per 10,000", 2025)
    colours = _pixels(chart.png)
    # seaborn greys bars by 25% unless told not to: the house colours must come out as they are
    assert _rgb(charts.PALETTE["la"]) in colours and _rgb(charts.PALETTE["neighbours"]) in colours


def test_neighbour_bars_keep_their_alt_text_and_table(drawn):
    chart = charts.neighbour_bars(_neighbours(), 352, 67.0, 88.9, "Rate per 10,000", 2025)
    assert chart.alt == (
        "Bar chart of rate per 10,000 in 2025 for Manchester and its 3 statistical neighbours, lowest first. "
        "Manchester is 97, rank 2 of 3 (1 = lowest); range 80 (Alpha) to 120 (Gamma); England 67."
    )
    assert chart.data.values.tolist() == [
        ["1", "Alpha", "80"],
        ["2", "Manchester", "97"],
        ["3", "Gamma", "120"],
        ["c", "Beta", "c"],
    ]
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Alpha", "Manchester", "Gamma", "Beta"]  # lowest on top
    widths = [p.get_width() for p in ax.patches if p.get_height() > 0]
    assert sorted(w for w in widths if w > 0) == [80.0, 97.0, 120.0]  # the withheld Beta has no bar
    labels = {t.get_text() for t in ax.texts}
    assert {"80", "97", "120", "c"} <= labels


def test_grouped_bars_draw_no_bar_for_a_withheld_value_and_say_c(drawn):
    table = pd.DataFrame(
        {
            "factor": ["Child", "Parent"],
            "Manchester": [10.0, 25.5],
            "Neighbours": [12.0, 99.0],
            "England": [11.0, 31.7],
        }
    )
    status = pd.DataFrame({"Manchester": ["", ""], "Neighbours": ["", "c"], "England": ["", ""]})
    chart = charts.grouped_bars(
        table, "factor", ["Manchester", "Neighbours", "England"], "% of assessments", "t", 1, status=status
    )
    assert chart.alt == (
        "Bar chart of % of assessments. Child: Manchester 10.0, Neighbours 12.0, England 11.0; "
        "Parent: Manchester 25.5, Neighbours c, England 31.7."
    )
    assert chart.data["Neighbours"].tolist() == ["12.0", "c"]
    ax = drawn[0].axes[0]
    bars = {(to_hex(p.get_facecolor()), round(p.get_width(), 1)) for p in ax.patches if p.get_width() > 0}
    assert bars == {
        ("#d55e00", 10.0),
        ("#d55e00", 25.5),
        ("#0072b2", 12.0),
        ("#000000", 11.0),
        ("#000000", 31.7),
    }  # the withheld 99.0 is not drawn
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Manchester", "Neighbours", "England"]
    # each label sits beside its own bar: the authority's at the top of its group
    by_text = {t.get_text(): t.xy for t in ax.texts}
    assert by_text["10.0"][1] < by_text["12.0"][1] < by_text["11.0"][1]


def test_mix_chart_stacks_the_first_category_at_the_bottom_and_hatches_the_withheld_share(drawn):
    shares = pd.DataFrame(
        {"Hub A": [50.0, np.nan], "Hub B": [30.0, 30.5], "Hub C": [20.0, np.nan]}, index=["2024", "2025 (part)"]
    )
    chart = charts.mix_chart(shares, "Requests", "hub")
    # half up, as every figure: 30.5 prints as 31 (format(.0f) gave 30)
    assert chart.alt == (
        "Stacked bar chart of requests by hub each reporting year from 2024 to 2025 (part). "
        "In 2025 (part): Hub A c, Hub B 31%, Hub C c."
    )
    assert chart.data.values.tolist() == [["2024", "50.0%", "30.0%", "20.0%"], ["2025 (part)", "c", "30.5%", "c"]]
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Hub A", "Hub B", "Hub C", "Withheld (c)"]
    a, b, _, withheld = ax.containers
    assert [round(p.get_height(), 1) for p in a.patches] == [50.0, 0.0] and a.patches[0].get_y() == 0
    assert [round(p.get_y(), 1) for p in b.patches] == [50.0, 0.0]
    assert [round(p.get_height(), 1) for p in withheld.patches] == [0.0, 69.5]
    assert withheld.patches[1].get_y() == pytest.approx(30.5) and withheld.patches[1].get_hatch() == "///"
    assert to_hex(a.patches[0].get_facecolor()) == charts.MIX_COLOURS[0].lower()


def test_seasonal_chart_colours_months_below_the_trend_vermillion_and_above_blue(drawn):
    months = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    pct = [-10.0, -6.0, -2.0, 1.0, 3.0, 5.0, 2.0, 0.5, -4.5, 4.0, 6.0, 8.0]
    chart = charts.seasonal_chart(pd.DataFrame({"pct_of_trend": pct}, index=pd.Index(months, name="month")), "Requests")
    assert chart.alt == (
        "Bar chart of the seasonal pattern in requests: highest Mar (+8% of trend), lowest Apr (-10%)."
    )
    assert chart.data["% of trend"].tolist()[:2] == ["-10.0%", "-6.0%"]
    ax = drawn[0].axes[0]
    bars = sorted((p.get_x(), p.get_height(), to_hex(p.get_facecolor())) for p in ax.patches if p.get_height())
    assert [h for _, h, _ in bars] == pct  # in calendar order
    assert all(c == ("#d55e00" if h < 0 else "#0072b2") for _, h, c in bars)


def _comparison() -> pd.DataFrame:
    rows = []
    for year, la, nb, region, eng in [(2023, 90.0, 80.0, 85.0, 70.0), (2024, 95.0, 82.0, 86.0, 70.0)]:
        rows += [
            {"period": year, "comparator": "la", "value": la},
            {"period": year, "comparator": "neighbours_mean", "value": nb},
            {"period": year, "comparator": "neighbours_median", "value": nb - 1},
            {"period": year, "comparator": "region", "value": region},
            {"period": year, "comparator": "england", "value": eng},
        ]
    return pd.DataFrame(rows)


def test_trend_chart_by_default_draws_every_comparator_from_zero(drawn):
    chart = charts.trend_chart(_comparison(), "Manchester", "North West", "Rate per 10,000", [])
    assert chart.alt == (
        "Line chart of rate per 10,000 from 2023 to 2024. Manchester went from 90 in 2023 to 95 in 2024. "
        "In 2024 its statistical neighbours' mean was 82.0, North West 86 and England 70."
    )
    ax = drawn[0].axes[0]
    assert ax.get_ylim()[0] == 0 and len(ax.get_lines()) == 4


def test_trend_chart_can_leave_out_comparators_and_fit_the_axis(drawn):
    chart = charts.trend_chart(
        _comparison(),
        "Manchester",
        "North West",
        "Rate per 10,000",
        [],
        comparators=(),
        from_zero=False,
        period_labels={2024: "2023-24 (OT)"},
    )
    assert chart.alt.endswith("No comparator is drawn (the table gives them).")
    assert chart.data["Year"].tolist() == ["2023", "2023-24 (OT)"]
    assert chart.data["England"].tolist() == ["70", "70"]  # the table keeps every comparator
    ax = drawn[0].axes[0]
    assert len(ax.get_lines()) == 1 and ax.get_ylim()[0] > 80


# ------------------------------------------------------------------------------------ sparklines


def test_sparkline_lists_every_year_with_its_marker_and_england():
    values = pd.Series({2016: 560.3, 2017: 600.0, 2018: np.nan, 2019: 620.04, 2025: 481.07})
    spark = charts.summary_sparkline(
        values,
        name="Manchester",
        label="Referrals per 10,000 children",
        decimals=1,
        statuses=pd.Series({2018: "c"}),
        england=pd.Series({2025: 519.4}),
        first=2016,
        last=2025,
    )
    assert spark.alt == (
        "Referrals per 10,000 children in Manchester, 2016 to 2025: 2016 560.3, 2017 600.0, 2018 c, 2019 620.0, "
        "2025 481.1. England 519.4 in 2025."
    )
    img = mpimg.imread(io.BytesIO(spark.png))
    assert img.shape[:2] == (48, 160)  # twice the 80 x 24 pixels shown, so it prints sharply
    html = spark._repr_html_()
    assert html.startswith('<img class="sparkline" src="data:image/png;base64,')
    assert 'width="80" height="24"' in html and 'alt="Referrals per 10,000 children in Manchester' in html
    assert _rgb(charts.PALETTE["la"]) in _pixels(spark.png)


def test_sparkline_of_percentages_prints_the_unit_only_on_numbers():
    spark = charts.summary_sparkline(
        pd.Series({2024: 18.7, 2025: np.nan}),
        name="Kent",
        label="Re-referrals",
        decimals=1,
        unit="%",
        statuses=pd.Series({2025: "c"}),
    )
    assert spark.alt == "Re-referrals in Kent, 2024 to 2025: 2024 18.7%, 2025 c."


def test_no_sparkline_without_a_single_value():
    assert charts.summary_sparkline(pd.Series({2024: np.nan}), name="A", label="B") is None
    assert charts.summary_sparkline(pd.Series(dtype=float), name="A", label="B") is None


def test_strip_places_the_authority_among_its_neighbours():
    group = pd.Series({352: 481.1, 1: 500.0, 2: 600.0, 3: 650.0, 4: 800.2})
    strip = charts.summary_strip(
        group, 352, name="Manchester", label="Referrals per 10,000 children", decimals=1, neighbours_mean=637.55
    )
    assert strip.alt == (
        "Referrals per 10,000 children: Manchester 481.1, rank 1 of 5 among the authority and its statistical "
        "neighbours with a figure (1 = lowest); the group runs from 481.1 to 800.2, the neighbours' mean 637.6."
    )
    assert strip.width == 72 and strip.height == 24
    colours = _pixels(strip.png)
    assert _rgb(charts.PALETTE["la"]) in colours and _rgb(charts.PALETTE["neighbours"]) in colours


def test_no_strip_when_the_authority_or_every_neighbour_has_no_value():
    assert charts.summary_strip(pd.Series({1: 5.0, 2: 6.0}), 352, name="A", label="B") is None
    assert charts.summary_strip(pd.Series({352: 5.0}), 352, name="A", label="B") is None
