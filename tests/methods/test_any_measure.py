"""Any measure benchmarked (csdemand.methods.benchmarks: measure_info, panel, benchmark and the
flags): LAIT's rank and band conventions by polarity, the flags on small made-up panels (where
they must fire and where they must not), golden figures for Manchester 2025 from the shipped
LAIT table, and how often the flags fire over every authority."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.core.errors import InputError
from csdemand.methods import benchmarks as bm

ENGLAND = "E92000001"


# --------------------------------------------------------------------------- rank and band


def test_rank_is_1_for_the_highest_where_high_is_good_and_ties_share_the_best_rank():
    v = pd.Series([50.0, 70.0, 70.0, 40.0], index=[1, 2, 3, 4])
    assert (bm.rank_by_polarity(v, 2, "high_is_good").rank, bm.rank_by_polarity(v, 3, "high_is_good").rank) == (1, 1)
    assert bm.rank_by_polarity(v, 1, "high_is_good").rank == 3
    assert bm.rank_by_polarity(v, 4, "low_is_good").rank == 1
    assert str(bm.rank_by_polarity(v, 1, "low_is_good")) == "2 of 4"


def test_rank_without_polarity_keeps_the_projects_1_is_lowest_and_says_so():
    v = pd.Series([50.0, 70.0, 40.0], index=[1, 2, 3])
    r = bm.rank_by_polarity(v, 2, "neither")
    assert (r.rank, r.convention) == (3, "1 = lowest")
    assert bm.rank_by_polarity(v, 9, "neither").rank == 0


def test_band_a_is_the_best_quarter_by_polarity_as_lait_draws_it():
    values = pd.Series(np.arange(1.0, 101.0))  # q1 25.75, median 50.5, q3 75.25
    high = bm.band_by_polarity(values, 90.0, "high_is_good")
    low = bm.band_by_polarity(values, 90.0, "low_is_good")
    assert (high.band, high.colour) == ("A", "good") and (low.band, low.colour) == ("D", "bad")
    assert bm.band_by_polarity(values, 10.0, "high_is_good").band == "D"
    # LAIT: for "high is good" a value at the 75th percentile is in (median, q3] -> B
    assert bm.band_by_polarity(values, 75.25, "high_is_good").band == "B"
    none = bm.band_by_polarity(values, 90.0, "neither")
    assert (none.band, none.colour, none.convention) == ("D", "", "A = lowest quarter")


def test_no_band_where_the_dictionary_says_none_applies():
    assert bm.band_by_polarity(pd.Series(np.arange(1.0, 101.0)), 90.0, "high_is_good", allowed=False).band == ""


# --------------------------------------------------------------------------- measure info


def _dictionary() -> pd.DataFrame:
    rows = [
        ("LAC", "Rate per 10,000", "neither", 1, True),
        ("ReReferral", "% of referrals", "low_is_good", 1, True),
        ("Work_Force_TO_Rate", "Turnover rate", "low_is_good", 1, True),
        ("Work_Force_AvgNumCase_SW", "Case Load", "low_is_good", 1, True),
        ("LACFinance", "Unit Cost", "neither", 0, True),
        ("Vacancies_cover", "% Vacancies", "high_is_good", 1, False),
    ]
    return pd.DataFrame(
        {
            "measure": [r[0] for r in rows],
            "topic": "Topic",
            "label": [f"label of {r[0]}" for r in rows],
            "unit": [r[1] for r in rows],
            "polarity": [r[2] for r in rows],
            "decimals": [r[3] for r in rows],
            "quartile": [r[4] for r in rows],
            "year_type": "Financial Year",
            "last_update": "2025-10-01",
            "next_update": "2026-10-01",
        }
    )


def test_measure_info_reads_lait_codes_from_the_dictionary_and_project_ids_from_measures_csv():
    d = _dictionary()
    kinds = {m: bm.measure_info(m, d).kind for m in d["measure"]}
    assert kinds == {
        "LAC": "rate",
        "ReReferral": "percent",
        "Work_Force_TO_Rate": "percent",
        "Work_Force_AvgNumCase_SW": "other",
        "LACFinance": "cost",
        "Vacancies_cover": "percent",
    }
    info = bm.measure_info("Vacancies_cover", d)
    got = (info.source, info.polarity, info.quartile, info.next_update)
    assert got == ("lait", "high_is_good", False, "2026-10-01")
    project = bm.measure_info("rereferral_pct")
    got = (project.kind, project.polarity, project.decimals, project.source)
    assert got == ("percent", "low_is_good", 1, "project")
    assert bm.measure_info("cla_rate").base == "population_0_17"
    assert bm.measure_info("ReReferral", d, base="CPP_Total_NumRef").base == "CPP_Total_NumRef"


def test_an_unknown_measure_is_refused_naming_it():
    with pytest.raises(InputError, match="unknown measure 'nonsense'"):
        bm.measure_info("nonsense", _dictionary())


def test_figures_print_half_up_at_the_dictionarys_decimals_with_their_unit_and_markers():
    d = _dictionary()
    assert bm.measure_info("ReReferral", d).fmt(18.45) == "18.5%"
    assert bm.measure_info("LACFinance", d).fmt(1905.0) == "£1,905"
    assert bm.measure_info("LACFinance", d).fmt(-12.0, sign=True) == "-£12"
    assert bm.measure_info("LAC", d).fmt(np.nan, "-") == "-"
    assert bm.measure_info("LAC", d).fmt(np.nan) == "x"


# --------------------------------------------------------------------------- made-up panels


def _rows(values: dict[int, dict[int, float]], england: dict[int, float], measure: str = "M") -> pd.DataFrame:
    """Tidy rows: LA number -> {year: value}, England's {year: value}."""
    recs = []
    for la, by_year in values.items():
        for year, v in by_year.items():
            recs.append(
                dict(
                    area_code=f"E0{la}",
                    la_number=la,
                    area_name=f"LA {la}",
                    geographic_level="la",
                    region_code="E12000002",
                    region_name="North West",
                    period=year,
                    measure=measure,
                    value=v,
                    status="" if np.isfinite(v) else "c",
                )
            )
    for year, v in england.items():
        recs.append(
            dict(
                area_code=ENGLAND,
                la_number=np.nan,
                area_name="England",
                geographic_level="national",
                period=year,
                measure=measure,
                value=v,
                status="",
            )
        )
    return tidy.conform(pd.DataFrame(recs))


def _null_world(seed: int, n_las: int = 150, years=(2024, 2025), sd: float = 0.15):
    """Rates per 10,000 where every authority differs from its neighbours only by a random effect
    of the same size (sd on the log scale) and Poisson chance: no authority is special."""
    rng = np.random.default_rng(seed)
    las = list(range(100, 100 + n_las))
    pop = pd.DataFrame({y: rng.integers(20_000, 300_000, n_las) for y in years}, index=las).astype(float)
    level = np.exp(rng.normal(np.log(70), 0.3, n_las))
    values, counts = {}, {}
    for i, la in enumerate(las):
        values[la], counts[la] = {}, {}
        for y in years:
            rate = level[i] * np.exp(rng.normal(0, sd))
            c = rng.poisson(rate * pop.at[la, y] / 10_000)
            counts[la][y] = float(c)
            values[la][y] = c / pop.at[la, y] * 10_000
    # neighbours: the 10 authorities closest in underlying level (as DfE's model picks alike ones)
    order = np.argsort(level)
    pos = {las[j]: k for k, j in enumerate(order)}
    nmap = {}
    for la in las:
        k = pos[la]
        window = [las[order[j]] for j in range(max(0, k - 5), min(n_las, k + 6)) if j != k]
        nmap[la] = window[:10]
    count = pd.DataFrame(counts).T
    return values, count, pop, nmap


def _panel(values, count, pop, england=None):
    info = bm.MeasureInfo("M", "A rate", "Rate per 10,000", "rate", "neither", 1, base="population_0_17")
    eng = england or {y: 70.0 for y in pop.columns}
    return bm.panel(_rows(values, eng), info, base=pop, count=count)


def test_against_the_neighbours_flags_about_one_authority_in_twenty_when_none_is_special():
    shares = []
    for seed in range(4):
        values, count, pop, nmap = _null_world(seed)
        p = _panel(values, count, pop)
        shares.append(bm.flag_shares(p, 2025, nmap)["neighbours"])
    assert 0.02 <= np.mean(shares) <= 0.10, shares


def test_an_authority_at_three_times_its_neighbours_rate_is_flagged_higher_in_that_year_only():
    values, count, pop, nmap = _null_world(7)
    la = 120
    nb_mean = np.mean([values[n][2025] for n in nmap[la]])
    count.at[la, 2025] = round(3 * nb_mean * pop.at[la, 2025] / 10_000)
    values[la][2025] = count.at[la, 2025] / pop.at[la, 2025] * 10_000
    p = _panel(values, count, pop)
    r = bm.versus_neighbours(p, la, 2025, nmap[la], nmap)
    assert r.flag == "higher" and r.z > 5
    b = bm.benchmark(p, la, 2025, nmap[la], "E12000002", neighbours=nmap)
    assert b.history.set_index("period")["vs_neighbours"].to_dict()[2025] == "higher"
    assert b.history.set_index("period")["vs_neighbours"].to_dict()[2024] == ""


def test_without_a_neighbour_model_the_neighbour_flag_is_not_tested_rather_than_guessed():
    values, count, pop, nmap = _null_world(3)
    p = _panel(values, count, pop)
    r = bm.versus_neighbours(p, 120, 2025, nmap[120], None)
    assert not r.tested and r.flag == ""


def test_a_measure_without_counts_is_flagged_only_far_beyond_the_usual_spread():
    # caseloads: 150 authorities spread 12-20, one at 40 against neighbours near 16
    rng = np.random.default_rng(1)
    las = list(range(100, 250))
    vals = {la: {2025: float(rng.uniform(12, 20))} for la in las}
    vals[150][2025] = 40.0
    info = bm.MeasureInfo("CL", "Caseload", "Case Load", "other", "low_is_good", 1)
    p = bm.panel(_rows(vals, {2025: 16.0}, "CL"), info)
    nmap = {la: [x for x in las if x != la][:10] for la in las}
    assert bm.versus_neighbours(p, 150, 2025, nmap[150], nmap).flag == "higher"
    shares = bm.flag_shares(p, 2025, nmap)
    assert shares["neighbours"] <= 0.05 and shares["n_neighbours"] == 150


def test_a_withheld_year_shows_its_marker_and_no_flag():
    values, count, pop, nmap = _null_world(5)
    values[120][2025] = np.nan
    count.at[120, 2025] = np.nan
    p = _panel(values, count, pop)
    b = bm.benchmark(p, 120, 2025, nmap[120], "E12000002", neighbours=nmap)
    assert (b.status, b.rank.rank, b.band.band, b.vs_neighbours.flag) == ("c", 0, "", "")
    assert b.info.fmt(b.value, b.status) == "c"


def test_a_measure_published_a_year_behind_shows_its_latest_year():
    values, count, pop, nmap = _null_world(6, years=(2023, 2024))
    p = _panel(values, count, pop)
    b = bm.benchmark(p, 120, 2025, nmap[120], "E12000002", neighbours=nmap)
    assert (b.requested_period, b.period) == (2025, 2024)


# --------------------------------------------------------------------------- the shipped LAIT table


@pytest.fixture(scope="module")
def lait():
    from csdemand.published import store

    data = store.load("lait")
    return {
        "groups": {m: g for m, g in data.groupby("measure")},
        "measures": store.load("lait_measures"),
        "base": bm.population_base(store.load("population")),
        "nmap": bm.neighbour_map(store.load("statistical_neighbours"), "2025"),
    }


def _lait_panel(lait, code: str, count: str = "", base: str = "", kind: str = "") -> bm.Panel:
    info = bm.measure_info(code, lait["measures"], count=count, base=base, kind=kind)
    b = lait["base"] if base == "population_0_17" else (bm.wide(lait["groups"][base]) if base else None)
    c = bm.wide(lait["groups"][count]) if count else None
    return bm.panel(lait["groups"][code], info, b, c)


def test_manchester_2025_looked_after_rate_as_lait_and_the_briefings_show_it(lait):
    p = _lait_panel(lait, "LAC", "LACnum", "population_0_17")
    b = bm.benchmark(p, 352, 2025, lait["nmap"][352], "E12000002", neighbours=lait["nmap"])
    assert b.info.fmt(b.value) == "97" and b.info.fmt(b.england_value) == "67"
    assert round(b.neighbours.mean, 1) == 88.9 and b.neighbours.n_with_value == 10
    # no polarity: the project's "1 = lowest" rank and an uncoloured band
    assert (str(b.rank), b.rank.convention, b.band.band, b.band.colour) == ("9 of 11", "1 = lowest", "D", "")


def test_manchester_2025_re_referrals_rank_by_lait_convention_lower_is_better(lait):
    p = _lait_panel(lait, "ReReferral", base="CPP_Total_NumRef")
    b = bm.benchmark(p, 352, 2025, lait["nmap"][352], "E12000002", neighbours=lait["nmap"])
    assert b.info.fmt(b.value) == "18.4%" and b.info.fmt(b.england_value) == "22.6%"
    assert (str(b.rank), b.rank.convention, b.band.band) == ("2 of 11", "1 = best (lowest)", "B")
    assert b.travel.set_index("span_years").loc[1, "change"] == pytest.approx(-0.3)
    assert b.judgement(1) == "better"


def test_manchester_2025_caseload_is_benchmarked_without_counts(lait):
    p = _lait_panel(lait, "Work_Force_AvgNumCase_SW")
    b = bm.benchmark(p, 352, 2025, lait["nmap"][352], "E12000002", neighbours=lait["nmap"])
    assert b.info.fmt(b.value) == "14.7" and b.info.fmt(b.england_value) == "15.2"
    assert b.vs_neighbours.tested and "no counts" in b.vs_neighbours.method


@pytest.mark.parametrize(
    "code,count,base,kind",
    [
        ("LAC", "LACnum", "population_0_17", ""),
        ("CPP_Total_Rateper10,000", "CPP_Total_NumRef", "population_0_17", ""),
        ("CIN", "", "population_0_17", ""),
        ("ReReferral", "", "CPP_Total_NumRef", ""),
        ("CareLeaverEET", "", "NoCareLeavers", ""),
        ("Work_Force_AvgNumCase_SW", "", "", ""),
        ("LACFinance", "", "", "cost"),
        ("Emotional_LAC", "", "", ""),
    ],
)
def test_no_flag_fires_for_more_than_one_authority_in_five_in_any_recent_year(lait, code, count, base, kind):
    p = _lait_panel(lait, code, count, base, kind)
    for year in (2023, 2024, 2025):
        shares = bm.flag_shares(p, year, lait["nmap"])
        assert shares["n_neighbours"] >= 140, (code, year, shares)
        for flag in ("neighbours", "england", "change"):
            assert shares[flag] <= 0.20, (code, year, flag, shares)
        assert shares["neighbours"] > 0 or shares["england"] > 0, (code, year)
