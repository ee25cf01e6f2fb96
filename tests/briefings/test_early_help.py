"""The early help briefing's figures from the shipped synthetic extract."""

from __future__ import annotations

import pandas as pd
import pytest

from csdemand.briefings import early_help
from csdemand.core import paths
from csdemand.core.errors import InputError


@pytest.fixture(scope="module")
def june_2021():
    return early_help.analyse("sample", "352", "2021-06")


def test_before_after_reproduces_the_councils_figures(june_2021):
    ba = june_2021.before_after
    assert (ba.before_start, ba.before_end) == (pd.Period("2019-12", "M"), pd.Period("2020-02", "M"))
    assert (ba.after_start, ba.after_end) == (pd.Period("2021-04", "M"), pd.Period("2021-06", "M"))
    assert ba.before_mean == 672 and ba.after_mean == 1052
    assert round(ba.pct_change) == 57


def test_key_message_reads_as_leaders_quote_it(june_2021):
    first = early_help.key_messages(june_2021)[0]
    assert first.startswith("Requests averaged 1,052 a month in the three months to June 2021, 57% more than the 672 a month")


def test_headline_tiles_show_672_1052_and_57_percent(june_2021):
    tiles = {label: value for label, value, _ in early_help.headlines(june_2021)}
    assert tiles["Average a month, latest 3 months"] == "1,052"
    assert tiles["Before March 2020"] == "672" and tiles["Change"] == "+57%"


def test_series_stops_at_the_reporting_month(june_2021):
    assert june_2021.series.index.max() == pd.Period("2021-06", "M")
    assert june_2021.forecast.forecast.index[0] == pd.Period("2021-07", "M")


def test_latest_uses_the_last_full_month_of_the_extract():
    e = early_help.analyse("sample", "352")
    assert e.month == pd.Period("2026-10", "M")
    assert len(e.forecast.forecast) == 12 and e.synthetic


def test_recalculating_limits_at_a_shift_gives_two_phases():
    e = early_help.analyse("sample", "352", "2023-03", recalculate_at="2021-04")
    assert e.xmr.table["phase"].nunique() == 2


def test_seasonality_finds_august_low(june_2021):
    assert "Aug" in june_2021.seasonal.low


def test_step_ups_are_about_8_percent(june_2021):
    o = june_2021.outcomes[june_2021.outcomes["complete"]]
    assert o["stepped_up_pct"].between(6, 10).all()


def test_month_outside_the_extract_is_a_clear_error():
    with pytest.raises(InputError, match="month 2030-01 is not in the extract"):
        early_help.analyse("sample", "352", "2030-01")


def test_missing_extract_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no early help extract"):
        early_help.analyse(str(tmp_path / "none.csv"), "352")


def test_pre_aggregated_monthly_table_gives_the_same_before_after(tmp_path):
    from csdemand.local import early_help as ehd

    full = ehd.monthly_totals(ehd.load(paths.data_dir() / "local" / "early_help_requests_352-manchester_synthetic.csv"))
    path = tmp_path / "monthly.csv"
    pd.DataFrame({"month": full.index.astype(str), "requests": full.to_numpy().astype(int)}).to_csv(path, index=False)
    e = early_help.analyse(str(path), "352", "2021-06")
    assert (e.before_after.before_mean, e.before_after.after_mean) == (672, 1052)
