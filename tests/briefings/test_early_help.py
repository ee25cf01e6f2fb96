"""The early help briefing's figures: the shipped synthetic extract (Manchester), the documented
local layouts (monthly, monthly by hub, header only, small months, a huge count, a late start),
disclosure control and a source that does not record hub, reason or outcome (Annex A List 2)."""

from __future__ import annotations

import datetime as dt
import functools
import re
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from csdemand.briefings import early_help
from csdemand.core import paths
from csdemand.core.errors import InputError
from csdemand.local import early_help as ehd

SAMPLE = paths.data_dir() / "local" / "early_help_requests_352-manchester_synthetic.csv"
MODEL_NAMES = ("SARIMA", "ETS", "STL", "ITS", "Newey", "interrupted time series", "segmented regression", "XmR")


def _html(e: early_help.EarlyHelp) -> str:
    """Everything the briefing's sections display, as HTML."""
    from csdemand import present

    parts = [present.headline_figures(early_help.headlines(e)), present.key_messages(early_help.key_messages(e))]
    parts += [
        f(e)
        for f in (
            early_help.control_chart,
            early_help.comparison_section,
            early_help.its_section,
            early_help.seasonal_section,
            early_help.forecast_section,
            early_help.outcomes_section,
            early_help.methods_section,
        )
    ]
    parts += [early_help.mix_section(e, "hub"), early_help.mix_section(e, "reason")]
    return "".join(p._repr_html_() for p in parts)


@functools.cache
def _sample() -> pd.DataFrame:
    """The shipped synthetic extract, read once (tests copy what they change)."""
    return ehd.load(SAMPLE)


def _monthly_sample(to: str = "2025-03") -> pd.DataFrame:
    full = ehd.monthly_totals(_sample())
    full = full[full.index <= pd.Period(to, "M")]
    return pd.DataFrame({"month": full.index.astype(str), "requests": full.to_numpy().astype(int)})


def _analyse(path: Path, period: str = "latest", **kw) -> early_help.EarlyHelp:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return early_help.analyse(str(path), "352", period, **kw)


@pytest.fixture(scope="module")
def june_2021():
    return early_help.analyse("sample", "352", "2021-06")


@pytest.fixture(scope="module")
def march_2025():
    return early_help.analyse("sample", "352", "2025-03")


# --------------------------------------------------------------------------- the figures leaders quote


def test_before_after_reproduces_the_councils_figures(june_2021):
    ba = june_2021.before_after
    assert (ba.before_start, ba.before_end) == (pd.Period("2019-12", "M"), pd.Period("2020-02", "M"))
    assert (ba.after_start, ba.after_end) == (pd.Period("2021-04", "M"), pd.Period("2021-06", "M"))
    assert ba.before_mean == 672 and ba.after_mean == 1052
    assert round(ba.pct_change) == 57


def test_key_message_reads_as_leaders_quote_it_and_names_the_months_compared(june_2021):
    first = early_help.key_messages(june_2021)[0]
    assert first.startswith(
        "Requests averaged 1,052 a month in the three months to June 2021, 57% more than the 672 a month"
    )
    assert "April to June 2021 against December 2019 to February 2020" in first and "different times of year" in first


def test_headline_tiles_show_672_1052_and_57_percent(june_2021):
    tiles = {label: (value, note) for label, value, note in early_help.headlines(june_2021)}
    assert tiles["Average a month, latest 3 months"][0] == "1,052"
    assert tiles["Before March 2020"][0] == "672" and tiles["Change"][0] == "+57%"
    assert tiles["Change"][1] == "April to June 2021 against December 2019 to February 2020"


def test_same_months_a_year_earlier_for_june_2021_is_460_a_month_and_129_percent(june_2021):
    sm = june_2021.same_months
    assert (sm.prior_start, sm.prior_end) == (pd.Period("2020-04", "M"), pd.Period("2020-06", "M"))
    assert sm.mean == 1052 and sm.prior_mean == pytest.approx((306 + 440 + 633) / 3)  # 459.7
    tiles = {label: (value, note) for label, value, note in early_help.headlines(june_2021)}
    assert tiles["Against the same months a year earlier"] == ("+129%", "April to June 2021 against April to June 2020")
    second = early_help.key_messages(june_2021)[1]
    assert second.startswith(
        "Requests averaged 1,052 a month in April to June 2021, 129% more than the 460 a month in the same months a "
        "year earlier (April to June 2020)."
    )
    assert "first after the first national lockdown (March 2020)" in second


def test_same_months_table_shows_each_month_beside_the_year_before(june_2021):
    t = early_help.same_months_table(june_2021)
    assert t.iloc[:3].values.tolist() == [["April", "968", "306"], ["May", "1,059", "440"], ["June", "1,129", "633"]]
    assert t.iloc[3, 1:].tolist() == ["1,052.0", "459.7"]
    assert t.iloc[4, 1] == "+592.3 (+128.8%)"  # the change of the figures as printed: 592.3 / 459.7


def test_key_messages_and_tiles_name_no_model(march_2025):
    text = " ".join(early_help.key_messages(march_2025)) + " ".join(
        " ".join(t) for t in early_help.headlines(march_2025)
    )
    assert [m for m in MODEL_NAMES if re.search(rf"\b{re.escape(m)}\b", text)] == []
    # ...the methods section names them
    methods = " ".join(early_help.caveats(march_2025))
    assert "Newey-West" in methods and "STL" in methods and march_2025.forecast.chosen in methods


def test_forecast_alt_text_gives_no_interval_for_the_summed_total(march_2025):
    from csdemand.present import charts

    fc = march_2025.forecast.forecast
    chart = charts.forecast_chart(march_2025.series, fc, "Requests")
    total = f"{fc['mean'].sum():,.0f}"
    assert f"about {total} in total" in chart.alt
    assert f"{fc['lower_95'].sum():,.0f}" not in chart.alt and f"{fc['upper_95'].sum():,.0f}" not in chart.alt
    assert "interval" not in chart.alt.split("in total")[0]


def test_series_stops_at_the_reporting_month(june_2021):
    assert june_2021.series.index.max() == pd.Period("2021-06", "M")
    assert june_2021.forecast.forecast.index[0] == pd.Period("2021-07", "M")


def test_latest_uses_the_last_full_month_of_the_extract(march_2025):
    e = early_help.analyse("sample", "352", horizon=0)
    assert e.month == pd.Period("2026-10", "M") and e.synthetic
    assert e.forecast is None and e.notes["forecast"] == "No forecast was asked for (a horizon of 0 months)."
    assert len(march_2025.forecast.forecast) == 12


def test_seasonality_finds_august_low(june_2021):
    assert "Aug" in june_2021.seasonal.low


def test_step_ups_are_about_8_percent(june_2021):
    o = june_2021.outcomes[june_2021.outcomes["complete"]]
    assert o["stepped_up_pct"].between(6, 10).all()
    assert (o["pct_status"] == "").all()


def test_month_outside_the_extract_is_a_clear_error():
    with pytest.raises(InputError, match="month 2030-01 is not in the extract"):
        early_help.analyse("sample", "352", "2030-01")


def test_missing_extract_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no early help extract"):
        early_help.analyse(str(tmp_path / "none.csv"), "352")


# --------------------------------------------------------------------------- control chart


def test_limits_are_recalculated_at_the_change_date_by_default(march_2025):
    t = march_2025.xmr.table
    assert march_2025.recalculated_at == [pd.Period("2020-03", "M")]
    assert (
        t.loc[t["x"] < pd.Period("2020-03", "M"), "phase"].eq(1).all()
        and t.loc[t["x"] >= pd.Period("2020-03", "M"), "phase"].eq(2).all()
    )
    # special-cause months before and after the change: 0 of 35, 26 of 61 (the lockdown dip to
    # February 2021 and the runs above the mean in 2024-25), not 82 of 96 with one set of limits
    assert int(t.loc[t["phase"] == 1, "signal"].sum()) == 0 and int((t["phase"] == 1).sum()) == 35
    assert int(t.loc[t["phase"] == 2, "signal"].sum()) == 26 and int((t["phase"] == 2).sum()) == 61
    assert (
        round(t.loc[t["phase"] == 1, "centre"].iloc[0], 1) == 678.9
        and round(t.loc[t["phase"] == 2, "centre"].iloc[0], 1) == 1047.6
    )
    one = early_help.analyse("sample", "352", "2025-03", change_date="", horizon=0)
    assert one.xmr.table["phase"].nunique() == 1 and int(one.xmr.table["signal"].sum()) == 82


def test_early_help_demand_signals_are_neither_improvement_nor_concern(march_2025):
    t = march_2025.xmr.table
    assert march_2025.polarity == "neither"
    assert set(t["variation"]) == {"common_cause", "neither"}
    assert t.loc[t["x"] == pd.Period("2020-04", "M"), "variation"].item() == "neither"


def test_control_chart_legend_table_and_alt_text_use_making_data_counts_words(march_2025):
    from csdemand.present import charts

    chart = charts.spc_chart(march_2025.xmr.table, "Requests", "t", polarity="neither")
    assert (
        "26 of 96 months show special-cause variation (special cause (neither improvement nor concern): 26)"
        in chart.alt
    )
    assert "Limits recalculated from Mar 2020" in chart.alt
    assert set(chart.data["Variation"]) == {"common cause", "special cause (neither improvement nor concern)"}
    html = chart._repr_html_()
    assert re.search(
        r"<details class=\"as-table\"><summary>View as table</summary><table class=\"data\"><caption>t</caption>", html
    )


def test_recalculating_limits_at_a_further_shift_adds_a_phase():
    e = early_help.analyse("sample", "352", "2023-03", recalculate_at="2021-04", horizon=0)
    assert e.xmr.table["phase"].nunique() == 3
    assert e.recalculated_at == [pd.Period("2020-03", "M"), pd.Period("2021-04", "M")]
    assert early_help.signals(e)[1] == "The limits are recalculated from April 2021, as the analyst asked."


# --------------------------------------------------------------------------- the documented layouts


def test_pre_aggregated_monthly_table_gives_the_same_before_after_and_leaves_mixes_out(tmp_path):
    path = tmp_path / "monthly.csv"
    _monthly_sample("2026-10").to_csv(path, index=False)
    e = _analyse(path, "2021-06", horizon=0)
    assert (e.before_after.before_mean, e.before_after.after_mean) == (672, 1052)
    assert e.by_hub is None and e.by_reason is None and e.outcomes is None
    assert e.notes["hub"] == "The monthly table has no hub column, so the mix by hub is left out."
    assert (
        e.notes["outcomes"]
        == "A table counted by month holds no outcomes, so step-ups to children's social care are left out."
    )
    html = _html(e)
    assert "The monthly table has no reason column, so the mix by main reason is left out." in html


def test_monthly_table_by_hub_shows_the_hub_mix(tmp_path):
    hub = ehd.monthly_by(_sample(), "hub")
    hub = hub[hub.index <= pd.Period("2025-03", "M")].stack().rename("requests").reset_index()
    hub["month"] = hub["month"].astype(str)
    path = tmp_path / "by_hub.csv"
    hub[["month", "hub", "requests"]].to_csv(path, index=False)
    e = _analyse(path, horizon=0)
    assert e.month == pd.Period("2025-03", "M") and e.by_reason is None
    shares = e.by_hub.shares.loc["2025"]
    assert shares.sum() == pytest.approx(100.0)
    assert list(e.by_hub.shares.columns) == ["North", "Central", "South"]
    assert "mix by main reason is left out" in _html(e)


@pytest.mark.parametrize(
    "header", ["request_id,family_id,date_received,hub,reason,outcome", "month,requests", "month,hub,requests"]
)
def test_header_only_extract_is_refused_with_no_rows(tmp_path, header):
    path = tmp_path / "empty.csv"
    path.write_text(header + "\n")
    with pytest.raises(InputError, match="the extract has no rows") as err:
        _analyse(path)
    assert err.value.file == str(path)


def test_a_count_of_five_billion_is_refused_as_implausible(tmp_path):
    df = _monthly_sample()
    df.loc[df.index[-1], "requests"] = 5_000_000_000
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    with pytest.raises(InputError, match="implausibly large count for one month") as err:
        _analyse(path)
    assert err.value.row == len(df) + 1 and err.value.column == "requests"


def test_extract_starting_after_the_change_date_leaves_the_step_out_with_a_sentence(tmp_path):
    df = _monthly_sample()
    path = tmp_path / "late.csv"
    df[df["month"] >= "2021-01"].to_csv(path, index=False)
    e = _analyse(path, horizon=0)
    assert e.change is None and e.before_after is None and e.its is None and e.recalculated_at == []
    assert e.notes["step"] == (
        "The change date (March 2020) is outside the months of the extract (January 2021 to March 2025), so the "
        "comparison "
        "with the months before it and the change in level at that date are left out."
    )
    labels = [t[0] for t in early_help.headlines(e)]
    assert "Change" not in labels and "Against the same months a year earlier" in labels
    html = _html(e)
    assert "is outside the months of the extract" in html and e.seasonal is not None
    # the change date is a parameter: one inside the extract brings the step back
    moved = _analyse(path, change_date="2022-04-01", horizon=0)
    assert (
        moved.change == pd.Period("2022-04", "M")
        and moved.before_after is not None
        and moved.xmr.table["phase"].nunique() == 2
    )


def test_a_short_extract_leaves_out_what_it_cannot_support(tmp_path):
    df = _monthly_sample()
    path = tmp_path / "short.csv"
    df[df["month"] >= "2024-01"].to_csv(path, index=False)  # 15 months
    e = _analyse(path)
    assert e.seasonal is None and e.forecast is None and e.same_months is not None
    assert e.notes["forecast"].startswith("The forecast is left out: forecast needs at least 36 months")
    assert "The seasonal pattern is left out" in _html(e)


def _layout_files(tmp_path: Path) -> dict[str, Path]:
    """The documented layouts an analyst may give: monthly, monthly by hub, a small month, a late start."""
    out = {}
    df = _monthly_sample()
    out["monthly"] = tmp_path / "monthly.csv"
    df.to_csv(out["monthly"], index=False)
    hub = ehd.monthly_by(_sample(), "hub")
    hub = hub[hub.index <= pd.Period("2025-03", "M")].stack().rename("requests").reset_index()
    hub["month"] = hub["month"].astype(str)
    out["by_hub"] = tmp_path / "by_hub.csv"
    hub[["month", "hub", "requests"]].to_csv(out["by_hub"], index=False)
    small = df.assign(requests=df["requests"] // 50)
    small.loc[small["month"] == "2024-05", "requests"] = 3
    out["small_month"] = tmp_path / "small.csv"
    small.to_csv(out["small_month"], index=False)
    out["late_start"] = tmp_path / "late.csv"
    df[df["month"] >= "2021-01"].to_csv(out["late_start"], index=False)
    return out


def test_every_documented_layout_that_validate_passes_is_analysed(tmp_path):
    """validate and render agree: no error from `validate`, and every section of the briefing built."""
    from csdemand.validation import checks as validation

    for name, path in _layout_files(tmp_path).items():
        errors = [p for p in validation.check_file(path, today="2026-11-30") if p.level == validation.ERROR]
        assert errors == [], name
        e = _analyse(path, horizon=0)
        assert e.month == pd.Period("2025-03", "M"), name
        html = _html(e)
        assert not re.search(r"\bnan\b|\bNone\b|not available", html, flags=re.I), name


# --------------------------------------------------------------------------- disclosure control


@pytest.fixture(scope="module")
def small_month(tmp_path_factory):
    """A small authority's monthly table (a 50th of the sample) with May 2024 at 3 requests."""
    df = _monthly_sample()
    df["requests"] = df["requests"] // 50
    df.loc[df["month"] == "2024-05", "requests"] = 3
    path = tmp_path_factory.mktemp("small") / "small.csv"
    df.to_csv(path, index=False)
    return df, _analyse(path, horizon=0)


def test_a_month_of_1_to_5_requests_is_withheld_not_fatal(small_month):
    _df, e = small_month
    may = pd.Period("2024-05", "M")
    assert e.withheld[may] and int(e.withheld.sum()) == 1
    assert np.isnan(e.shown()[may]) and e.series[may] == early_help.IMPUTED
    # the control chart leaves it out: no value, no signal
    row = e.xmr.table[e.xmr.table["x"] == may].iloc[0]
    assert np.isnan(row["value"]) and not row["signal"]
    from csdemand.present import charts

    chart = charts.spc_chart(e.xmr.table, "Requests", "t", withheld=e.withheld.to_numpy())
    cells = chart.data.set_index("Month").loc["May 2024"]
    assert cells["Requests"] == "c" and cells["Variation"] == "c"


def test_averages_over_a_withheld_month_are_withheld(tmp_path):
    df = _monthly_sample()
    df["requests"] = df["requests"] // 50
    df.loc[df["month"] == "2025-02", "requests"] = 2  # inside the latest three months
    path = tmp_path / "latest_small.csv"
    df.to_csv(path, index=False)
    e = _analyse(path, horizon=0)
    tiles = {label: value for label, value, _ in early_help.headlines(e)}
    assert (
        tiles["Average a month, latest 3 months"] == "c"
        and tiles["Change"] == "c"
        and tiles["Against the same months a year earlier"] == "c"
    )
    msgs = early_help.key_messages(e)
    assert msgs[0] == (
        "The comparison of January to March 2025 with December 2019 to February 2020, before the first national "
        "lockdown (March 2020), "
        "is withheld: one of those months had 1 to 5 requests."
    )
    table = early_help.before_after_table(e)
    assert table.set_index("Month").loc["February 2025", "Requests"] == "c"
    assert table.iloc[-2:]["Requests"].tolist() == ["c", "c"]


def test_no_small_count_is_printed_or_derivable_from_the_page(small_month):
    df, e = small_month
    html = _html(e)
    assert not re.search(r"\bnan\b|\bNone\b|not available", html, flags=re.I)
    # the May 2024 row of every table reads c, and no total of a year holding it is shown
    assert 'May 2024</td><td class="num">c</td>' in html
    assert early_help.C_FOOTNOTE in html
    # figures that would give it away: the year to March 2025's total, the window averages
    year_total = int(df[(df["month"] >= "2024-04") & (df["month"] <= "2025-03")]["requests"].sum())
    assert f">{year_total:,}<" not in html


def test_mix_with_a_reason_of_3_in_611_withholds_a_second_reason_and_both_shares():
    months = pd.period_range("2023-04", "2024-03", freq="M", name="month")
    counts = {
        "Mental wellbeing": 150,
        "Housing": 3,
        "Finance and debt": 98,
        "Parenting": 160,
        "Child behaviour": 120,
        "Education": 80,
    }  # 611
    monthly = pd.DataFrame({k: ehd_spread(v, 12) for k, v in counts.items()}, index=months)
    mix = early_help.protect_mix(monthly, pd.Series(False, index=months), "reason")
    row = mix.status.loc["2024"]
    assert mix.totals.loc["2024"] == 611 and row["Total"] == ""
    assert row["Housing"] == "c"
    withheld = [c for c in counts if row[c] == "c"]
    assert withheld == ["Housing", "Education"]  # the smallest other reason: 80
    assert mix.shares.loc["2024", ["Housing", "Education"]].isna().all()
    table = early_help.mix_table(mix)
    assert (
        table.loc[0, "Housing"] == "c"
        and table.loc[0, "Education"] == "c"
        and table.loc[0, "Requests (total)"] == "611"
    )
    assert "0.5%" not in table.to_string()


def ehd_spread(total: int, n: int) -> list[int]:
    """``total`` over ``n`` months, as evenly as whole numbers go."""
    base, rest = divmod(total, n)
    return [base + (1 if i < rest else 0) for i in range(n)]


def test_a_year_with_a_withheld_month_has_its_total_and_shares_withheld():
    months = pd.period_range("2023-04", "2025-03", freq="M", name="month")
    monthly = pd.DataFrame({"North": 30, "Central": 30, "South": 30}, index=months)
    withheld = pd.Series(months == pd.Period("2024-05", "M"), index=months)
    mix = early_help.protect_mix(monthly, withheld, "hub")
    assert (mix.status.loc["2025"] == "c").all() and mix.shares.loc["2025"].isna().all()
    assert (mix.status.loc["2024"] == "").all() and mix.totals.loc["2024"] == 1080


def test_step_ups_of_1_to_5_and_their_percentages_are_withheld():
    o = pd.DataFrame(
        {
            "period": [2024, 2025],
            "requests": [611, 540],
            "outcome_recorded": [611, 540],
            "stepped_up": [3, 40],
            "stepped_up_pct": [3 / 611 * 100, 40 / 540 * 100],
            "complete": [True, True],
        }
    )
    months = pd.period_range("2023-04", "2025-03", freq="M")
    p = early_help.protect_outcomes(o, pd.Series(months == pd.Period("2024-06", "M"), index=months))
    assert p[["requests_status", "stepped_up_status", "pct_status"]].values.tolist() == [["", "c", "c"], ["c", "", "c"]]
    assert np.isnan(p.loc[0, "stepped_up"]) and np.isnan(p.loc[0, "stepped_up_pct"]) and np.isnan(p.loc[1, "requests"])


def test_a_small_authoritys_record_level_extract_renders_every_section(tmp_path):
    from csdemand.synthetic import early_help as synthetic

    df = synthetic.generate_requests(seed=7, scale=0.01, end="2025-03")
    path, _ = synthetic.write_requests(df, tmp_path / "small_records.csv")
    e = _analyse(path)
    assert int(e.withheld.sum()) == 15
    html = _html(e)
    assert not re.search(r"\bnan\b|\bNone\b|not available|nan%", html, flags=re.I)
    assert "were stepped up" not in " ".join(early_help.key_messages(e))  # 2025's total holds a withheld month
    assert (
        early_help.outcomes_table(e).set_index("Year to 31 March").loc["2025", "% of requests with an outcome"] == "c"
    )


# --------------------------------------------------------------------------- fields the source does not record


def _list2_workbook(path: Path) -> Path:
    """An Annex A List 2 as councils prepare it: no hub, reason or outcome columns; 30 months of
    early help assessments (20 to 60 a month)."""
    rng = np.random.default_rng(5)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 2 - Early help"
    ws.append(
        [
            "Child Unique ID",
            "Gender",
            "Ethnicity",
            "Date of Birth",
            "Age of Child (Years)",
            "Assessment Start Date",
            "Assessment Completion Date",
            "Organisation Completing Assessment",
        ]
    )
    k = 0
    for month in pd.period_range("2022-10", "2025-03", freq="M"):
        for _ in range(int(rng.integers(20, 60))):
            k += 1
            ws.append(
                [
                    f"C{k:05d}",
                    "Female",
                    "WBRI",
                    None,
                    7,
                    dt.datetime(month.year, month.month, int(rng.integers(1, 28))),
                    None,
                    "School",
                ]
            )
    wb.save(path)
    return path


def test_annex_a_list_2_leaves_hub_reason_and_step_ups_out_with_sentences(tmp_path, monkeypatch):
    book = _list2_workbook(tmp_path / "Annex_A.xlsx")
    config = tmp_path / "data.yml"
    config.write_text(
        f"version: 1\ntables:\n  early_help_requests:\n    format: annex_a\n    path: {book}\n    list: 2\n"
    )
    monkeypatch.setenv("CSDEMAND_CONFIG", str(config))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = early_help.analyse("config", "352", "latest", horizon=0)
    assert {"hub", "reason", "outcome"} <= e.not_recorded
    assert e.by_hub is None and e.by_reason is None and e.outcomes is None
    assert e.notes["hub"] == (
        "The source (Ofsted's Annex A List 2) does not record which hub took each request, so the mix by hub is "
        "left out."
    )
    assert e.notes["outcomes"] == (
        "The source (Ofsted's Annex A List 2) does not record what happened to each request, so step-ups to "
        "children's social care are left out."
    )
    html = _html(e)
    assert "Central" not in html and "100%" not in html and "stepped up to children's social care by year" not in html
    assert not re.search(r"\b0 requests\b|\(0\.0%\)", html)


def test_a_csv_whose_hub_reason_and_outcome_read_not_recorded_is_treated_as_not_recording_them(tmp_path):
    df = _sample()
    df = df[df["date_received"] < "2022-01-01"].copy()
    for col in ("hub", "reason", "outcome"):
        df[col] = ehd.NOT_RECORDED
    df["date_received"] = df["date_received"].dt.strftime("%Y-%m-%d")
    path = tmp_path / "not_recorded.csv"
    df.to_csv(path, index=False)
    e = _analyse(path, horizon=0)
    assert e.not_recorded == frozenset({"hub", "reason", "outcome"})
    assert (
        e.notes["reason"]
        == "The source does not record the main reason for each request, so the mix by main reason is left out."
    )


# --------------------------------------------------------------------------- figures as data


def test_provenance_lists_the_headline_figures(june_2021):
    figs = {f.measure: f for f in early_help.provenance(june_2021, {}).figures}
    assert figs["early_help_requests_3m_mean"].value == 1052 and figs["early_help_requests"].value == 1129
    assert round(figs["early_help_change_since_baseline_pct"].value, 1) == 56.5
    assert figs["early_help_change_since_baseline_pct"].comparators == {"baseline_mean": 672}
    assert round(figs["early_help_change_same_months_pct"].value, 1) == 128.9
    assert figs["early_help_requests"].flags == {"spc": "neither"}


# --------------------------------------------------------------------------- the notebook, end to end


@pytest.mark.notebook
def test_notebook_runs_for_a_small_authoritys_monthly_table_by_hub_starting_after_the_change(tmp_path):
    """One execution covers three layouts at once: by hub, a month of 3, no change date inside."""
    import papermill

    hub = ehd.monthly_by(_sample(), "hub")
    hub = hub[(hub.index >= pd.Period("2021-01", "M")) & (hub.index <= pd.Period("2025-03", "M"))] // 40
    hub.loc[pd.Period("2024-05", "M")] = [1, 1, 1]
    long = hub.stack().rename("requests").reset_index()
    long["month"] = long["month"].astype(str)
    path = tmp_path / "small_by_hub.csv"
    long[["month", "hub", "requests"]].to_csv(path, index=False)
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(paths.notebooks_dir() / "early_help.ipynb"),
        str(out),
        parameters={"extract": str(path)},
        kernel_name="csdemand",
        progress_bar=False,
    )
    text = out.read_text()
    assert "is outside the months of the extract" in text
    assert 'May 2024</td><td class=\\"num\\">c</td>' in text
    assert not re.search(r"\bnan\b|not available", text)
