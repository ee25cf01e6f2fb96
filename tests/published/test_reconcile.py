"""LAIT against the EES/SFR files (csdemand.published.reconcile): over the shipped tables every
row agrees or has a named rule, the README shows the script's table, and each rule is checked on
small hand-made rows where it must and must not apply."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.published import reconcile, store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    ees = pd.concat([store.load("cla"), store.load("cin")], ignore_index=True)
    return reconcile.compare(store.load("lait"), ees, store.load("areas"))


def _row(rows: pd.DataFrame, code: str, area: str, period: int) -> pd.Series:
    hit = rows[(rows["lait"] == code) & (rows["area"] == area) & (rows["period"] == period)]
    assert len(hit) == 1, (code, area, period)
    return hit.iloc[0]


def test_every_authority_and_year_agrees_or_has_a_named_rule(rows):
    assert (rows["rule"] == "unexplained").sum() == 0, rows[rows["rule"] == "unexplained"].head(10).to_string()
    # 170 areas (153 LAs past and present, 9 regions, Inner/Outer London, London, England... as LAIT
    # lists them) x 10 years for the 2016-2025 pairs; the starts and ceases rates begin in 2018.
    per_pair = rows.groupby("lait").size()
    assert per_pair["LAC"] == 1700 and per_pair["LAC_Start_Rate"] == 1360
    assert set(rows["rule"]) <= set(reconcile.RULES)


def test_manchester_2024_referral_rate_differs_from_the_release_by_population_base_only(rows):
    r = _row(rows, "CPP_Total_Rateper10,000", "352", 2024)
    assert r["lait_value"] == 499.2 and r["ees_printed"] == 502.8
    assert r["rule"] == "population base" and r["same_as_briefings"]
    assert round(r["briefing_value"], 1) == 499.2


def test_looked_after_2018_rates_are_kept_as_printed_by_lait_and_rebased_by_the_briefings(rows):
    r = _row(rows, "LAC", "352", 2018)
    assert (r["lait_value"], r["ees_printed"]) == (104.0, 104.0)
    assert round(r["briefing_value"]) == 102 and r["rule"] == "kept as printed" and not r["same_as_briefings"]
    kept = rows[rows["rule"] == "kept as printed"]
    assert set(kept["measure"]) == {"cla_rate", "cla_starts_rate", "cla_ceased_rate"}
    assert (kept["period"] == 2018).mean() > 0.99


def test_lait_dash_where_ees_suppresses_is_the_suppressed_rule(rows):
    r = _row(rows, "LAC", "201", 2025)  # City of London
    assert (r["lait_status"], r["briefing_status"], r["rule"]) == ("-", "c", "suppressed")


def test_revised_counts_are_only_in_the_years_lait_holds_a_later_release_and_within_ten_percent(rows):
    rev = rows[(rows["rule"] == "later revision") & rows["lait_value"].notna() & (rows["measure"] == "cla_count")]
    assert set(rev["period"]) == {2016, 2017, 2019, 2020}
    assert ((rev["lait_value"] - rev["briefing_value"]).abs() <= 0.10 * rev["briefing_value"]).all()
    leicester = _row(rows, "LACnum", "856", 2017)
    assert (leicester["lait_value"], leicester["briefing_value"]) == (639.0, 695.0)


def test_manchester_2025_figures_are_the_same_in_lait_and_the_briefings(rows):
    got = {c: _row(rows, c, "352", 2025) for c in ("LAC", "LACnum", "ReReferral", "CPP_rate")}
    assert [got[c]["lait_value"] for c in ("LAC", "LACnum", "ReReferral")] == [97.0, 1280.0, 18.4]
    assert all(g["rule"] == "agree" and g["same_as_briefings"] for g in got.values())


def test_agree_and_population_base_mean_lait_equals_the_figure_the_briefings_show(rows):
    one_value = rows[rows["rule"].isin(["agree", "population base"])]
    assert one_value["same_as_briefings"].all()
    # and nothing else does: a briefing figure equal to LAIT's is one of those two rules
    assert not rows.loc[~rows["rule"].isin(["agree", "population base"]), "same_as_briefings"].any()


def test_readme_shows_the_table_the_script_prints(rows):
    table = reconcile.markdown(reconcile.summary_table(rows))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table in readme
    assert reconcile.rules_markdown() in readme


def test_the_script_prints_the_table_and_exits_0(capsys):
    spec = importlib.util.spec_from_file_location("reconcile_lait", ROOT / "scripts" / "reconcile_lait.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| LAIT code | project measure |") and "| **all** |" in out


# --------------------------------------------------------------------------- the rules on small tables


def _tables(lait_value, ees_value, *, period=2022, lait_status="", ees_status="", published=None, rebased=False):
    """One LA (352), one year, LACnum against cla_count (and the areas lookup)."""
    lait = tidy.conform(
        pd.DataFrame(
            {
                "area_code": ["E08000003"],
                "la_number": [352],
                "area_name": ["Manchester"],
                "geographic_level": ["la"],
                "region_code": ["E12000002"],
                "region_name": ["North West"],
                "period": [period],
                "measure": ["LACnum"],
                "value": [lait_value],
                "status": [lait_status],
            }
        )
    )
    ees = lait.assign(measure="cla_count", value=ees_value, status=ees_status, computed=False)
    ees["published_value"] = ees_value if published is None else published
    ees["rebased"] = rebased
    areas = pd.DataFrame({"la_number": [352], "first_period": [2010], "last_period": [2025]})
    return lait, ees, areas


def _rule_of(lait, ees, areas) -> str:
    got = reconcile.compare(lait, ees, areas, pairs=(reconcile.Pair("LACnum", "cla_count"),))
    assert len(got) == 1
    return got["rule"].iloc[0]


def test_equal_counts_agree():
    assert _rule_of(*_tables(1280.0, 1280.0)) == "agree"


def test_a_different_count_in_a_year_lait_holds_no_later_release_is_unexplained():
    assert _rule_of(*_tables(1281.0, 1280.0, period=2022)) == "unexplained"


def test_a_revised_count_within_ten_percent_in_a_revision_year_is_a_later_revision():
    assert _rule_of(*_tables(1300.0, 1280.0, period=2017)) == "later revision"


def test_a_count_revised_by_more_than_ten_percent_is_unexplained_even_in_a_revision_year():
    assert _rule_of(*_tables(1500.0, 1280.0, period=2017)) == "unexplained"


def test_a_lait_dash_beside_an_ees_c_is_suppressed_but_beside_a_figure_is_unexplained():
    assert _rule_of(*_tables(np.nan, np.nan, lait_status="-", ees_status="c")) == "suppressed"
    assert _rule_of(*_tables(np.nan, 1280.0, lait_status="-")) == "unexplained"


def test_a_small_count_lait_prints_and_the_briefings_withhold_is_withheld_here():
    assert _rule_of(*_tables(3.0, np.nan, ees_status="c", published=3.0)) == "withheld here"


def test_a_dash_for_an_authority_that_did_not_exist_that_year_is_no_authority():
    lait, ees, areas = _tables(np.nan, np.nan, lait_status="-", ees_status="z")
    areas["first_period"] = 2024
    assert _rule_of(lait, ees, areas) == "no authority"
