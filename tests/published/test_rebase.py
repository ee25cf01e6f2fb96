"""One figure, one value: every rate per 10,000 on the newest population base, applied once in the
store so every briefing reads the same figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.published import rebase, store


def _rate(
    level,
    la_number,
    code,
    period,
    value,
    numerator,
    *,
    measure="referrals_rate",
    computed=False,
    status="",
    source="cin_c1_2024",
):
    return {
        "area_code": code,
        "la_number": la_number,
        "area_name": f"area {code}",
        "geographic_level": level,
        "region_code": "E12000002",
        "region_name": "North West",
        "period": period,
        "measure": measure,
        "value": value,
        "status": status,
        "numerator": numerator,
        "denominator": np.nan,
        "computed": computed,
        "source": source,
        "release": 2024,
    }


def _pop(level, la_number, code, mid_year, value, release=2024, source="ons_pop_2024"):
    return {
        **_rate(level, la_number, code, mid_year, value, np.nan, measure="population_0_17", source=source),
        "release": release,
    }


@pytest.fixture
def table():
    rows = [
        _rate("la", 352, "E08000003", 2024, 502.8, 6525),  # printed on an older base: 6,525 / 130,700 = 499.2
        _rate("la", 352, "E08000003", 2022, 620.9, 7872),  # printed on this base: kept as printed
        _rate("la", 353, "E08000004", 2024, np.nan, np.nan, status="c"),  # withheld stays withheld
        _rate("la", 354, "E08000005", 2024, 400.0, 4000),  # no population estimate: kept as printed
        _rate(
            "national", None, "E92000001", 2024, 61.0, 4000, measure="cla_rate", source="cla_ees_2025"
        ),  # rounded count: within slack
        _rate("la", 352, "E08000003", 2025, 481.07, 6342, computed=True, source="computed: cin_c1_2025 / ons_pop_2024"),
    ]
    pop = [
        _pop("la", 352, "E08000003", 2023, 130700),
        _pop("la", 352, "E08000003", 2021, 126774),
        _pop("la", 352, "E08000003", 2024, 131831),
        _pop("la", 353, "E08000004", 2023, 50000),
        _pop("national", None, "E92000001", 2023, 650258),
        _pop(
            "la", 352, "E08000003", 2023, 120000, release=2010, source="sfr_cla_2010"
        ),  # an older series is never mixed in
    ]
    return rebase.rebase(tidy.conform(pd.DataFrame(rows)), tidy.conform(pd.DataFrame(pop)))


def test_a_rate_printed_on_an_older_base_is_re_based_and_keeps_the_published_figure(table):
    r = table[(table["la_number"] == 352) & (table["period"] == 2024)].iloc[0]
    assert round(r["value"], 1) == 499.2 and r["rebased"] and r["computed"]
    assert r["published_value"] == 502.8 and r["denominator"] == 130700
    assert r["source"] == "computed: cin_c1_2024 / ons_pop_2024 (re-based)" and r["release"] == 2024


def test_a_rate_that_prints_the_same_on_the_newest_base_is_kept_as_published(table):
    r = table[(table["la_number"] == 352) & (table["period"] == 2022)].iloc[0]
    assert r["value"] == 620.9 and not r["rebased"] and not r["computed"] and r["published_value"] == 620.9
    assert r["denominator"] == 126774  # the newest base, so tests of change compare like with like


def test_withheld_and_unestimated_rates_are_left_as_they_were(table):
    c = table[table["la_number"] == 353].iloc[0]
    assert c["status"] == "c" and np.isnan(c["value"]) and not c["rebased"]
    none = table[table["la_number"] == 354].iloc[0]
    assert none["value"] == 400.0 and not none["rebased"]


def test_a_national_rate_from_a_count_rounded_to_10_is_kept_when_a_count_within_5_reproduces_it(table):
    # 4,000 / 650,258 = 61.5 (prints 62), but 3,995 gives 61.4: DfE's 61 is on this base.
    r = table[table["geographic_level"] == "national"].iloc[0]
    assert r["value"] == 61.0 and not r["rebased"]


def test_a_rate_computed_here_stays_computed_not_re_based(table):
    r = table[(table["la_number"] == 352) & (table["period"] == 2025)].iloc[0]
    assert round(r["value"], 1) == 481.1 and r["computed"] and not r["rebased"] and np.isnan(r["published_value"])


def test_the_store_gives_manchesters_2024_referral_rate_one_value_as_lait_shows_it():
    cin = store.load("cin")
    r = cin[(cin["la_number"] == 352) & (cin["period"] == 2024) & (cin["measure"] == "referrals_rate")].iloc[0]
    assert round(r["value"], 1) == 499.2 and r["published_value"] == 502.8 and r["rebased"]
    kent = cin[(cin["la_number"] == 886) & (cin["period"] == 2024) & (cin["measure"] == "referrals_rate")].iloc[0]
    assert round(kent["value"], 1) == 688.5  # LAIT: 688.5


def test_the_store_keeps_the_2025_golden_looked_after_figures():
    cla = store.load("cla")
    m = cla[(cla["la_number"] == 352) & (cla["period"] == 2025)].set_index("measure")
    assert m.loc["cla_rate", "value"] == 97 and not m.loc["cla_rate", "rebased"] and m.loc["cla_count", "value"] == 1280
    # 2018-2020 were printed on pre-2021-census estimates: re-based (2020: 1,410 / 126,375 = 111.6).
    r2020 = cla[(cla["la_number"] == 352) & (cla["period"] == 2020) & (cla["measure"] == "cla_rate")].iloc[0]
    assert r2020["published_value"] == 115 and round(r2020["value"], 1) == 111.6


def test_only_the_years_printed_on_an_older_base_are_re_based():
    got = {}
    for name in ("cla", "cin"):
        df = store.load(name)
        got.update(df[df["rebased"]].groupby("measure")["period"].agg(lambda s: sorted(set(s))).to_dict())
    assert got["referrals_rate"] == [2023, 2024] and got["cin_at31_rate"] == [2023, 2024]
    assert got["cla_rate"] == [2018, 2019, 2020] and "cpp_at31_rate" not in got


def test_the_summary_and_the_referrals_briefing_show_one_value_for_manchester_2024():
    from csdemand.briefings import referrals, summary

    s = {i.key: i for i in summary.build("352", "2024").indicators}
    p = referrals.published("352", "2024")
    assert round(s["referrals_rate"].value, 1) == round(p.rate.value, 1) == 499.2
