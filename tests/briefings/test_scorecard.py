"""The scorecard (csdemand.briefings.scorecard) from the shipped LAIT table: the code list, the
figures LAIT publishes for Manchester 2025, flags coloured by polarity, withheld figures as
markers, old authorities, the next updates and ``python -m csdemand releases``."""

from __future__ import annotations

import datetime as dt
import functools
import re
import subprocess
import sys

import pytest

from csdemand.briefings import scorecard
from csdemand.methods import benchmarks as bm
from csdemand.published import store

TOPICS = {
    "Children in Need": "children_in_need",
    "Child Protection": "child_protection",
    "Children Looked After": "looked_after",
    "Children's Services Workforce": "workforce",
    "Children's Service Finance": "finance",
}


@functools.cache
def built(la: str, period: str = "latest") -> scorecard.Scorecard:
    return scorecard.build(la, period)


def _row(s: scorecard.Scorecard, code: str) -> scorecard.Row:
    return next(r for r in s.rows if r.key == code)


def _cells(html: str, code: str) -> list[str]:
    """The visible text of a table row's cells (tags stripped)."""
    row = re.search(rf'<tr data-measure="{re.escape(code)}">(.*?)</tr>', html).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]


# --------------------------------------------------------------------------- the code list


def test_the_code_list_names_every_measure_of_the_five_topics_once_with_a_reason():
    cl = scorecard.code_list()
    lait = store.load("lait_measures")
    topics = lait[lait["topic"].isin(TOPICS)]
    assert sorted(cl["measure"]) == sorted(topics["measure"]) and cl["measure"].is_unique
    assert set(cl["reason"]) <= set(scorecard.REASONS)
    assert ((cl["include"] == "yes") == (cl["reason"] == "shown")).all()
    sections = cl.set_index("measure")["section"].to_dict()
    assert sections == topics.set_index("measure")["topic"].map(TOPICS).to_dict()
    shown = cl[cl["include"] == "yes"]
    assert (shown["short_label"] != "").all() and (cl.loc[cl["include"] == "no", "note"] != "").all()
    assert len(shown) == 67  # what fits two A4 landscape sheets (the browser test prints it)


def test_every_measure_shown_has_a_figure_for_2023_or_later_and_its_counts_exist():
    lait = store.load("lait")
    latest = lait[lait["status"] == ""].groupby("measure")["period"].max()
    shown = scorecard.shown_measures()
    assert (shown["measure"].map(latest) >= scorecard.RECENT).all()
    known = set(lait["measure"]) | {scorecard.POPULATION}
    for col in ("count", "base"):
        assert set(shown.loc[shown[col] != "", col]) <= known, col


def test_counts_and_breakdowns_left_out_are_the_ones_the_rule_names():
    cl = scorecard.code_list().set_index("measure")
    assert cl.loc["LACnum", "reason"] == "count" and cl.loc["LAC", "include"] == "yes"
    assert cl.loc["CINTime3months", "reason"] == "breakdown"
    assert cl.loc["LAC_Foster_Placements", "reason"] == "breakdown"
    assert cl.loc["C&YPExpenditure", "reason"] == "count"  # gross spend scales with the authority


# --------------------------------------------------------------------------- Manchester 2025


@pytest.fixture(scope="module")
def manchester():
    return built("352")


@pytest.fixture(scope="module")
def manchester_table(manchester):
    return scorecard.table(manchester).markup


def test_manchester_2025_shows_laits_figures(manchester, manchester_table):
    assert manchester.period == 2025 and len(manchester.rows) == 67
    lac = _cells(manchester_table, "LAC")
    assert lac[:3] == ["Children looked after per 10,000", "2025", "97"]
    assert lac[5:7] == ["88.9", "67"] and lac[7:9] == ["9 of 11", "D"]
    assert _cells(manchester_table, "ReReferral")[2] == "18.4%"
    assert _cells(manchester_table, "Work_Force_AvgNumCase_SW")[1:3] == ["Sep 2025", "14.7"]
    assert _cells(manchester_table, "LACFinance")[1:3] == ["2024-25", "£1,905"]


def test_rank_and_band_take_laits_convention_where_the_measure_has_a_polarity(manchester, manchester_table):
    rr = _row(manchester, "ReReferral").bench
    assert (str(rr.rank), rr.rank.convention, rr.band.band) == ("2 of 11", "1 = best (lowest)", "B")
    # immunisations: higher is better, the best of 11 and in the best quarter, green
    assert re.search(
        r'data-measure="LACVaccinations%".*?class="rank good">1 of 11<.*?class="band good"', manchester_table
    )
    # looked-after rate: no polarity, so no colour on the rank or the band
    assert re.search(r'data-measure="LAC">.*?class="rank">9 of 11<.*?class="band plain"', manchester_table)


def test_a_gap_to_the_neighbours_beyond_chance_is_flagged_and_coloured_by_polarity(manchester, manchester_table):
    assert _row(manchester, "LAC_Good_Develop").neighbour_flag == "lower"
    assert 'class="flag bad">below neighbours (worse)' in manchester_table
    # no better or worse for the share of unaccompanied children: flagged, in grey
    assert _row(manchester, "Unacc_Asylmn_Seek_Childn%").neighbour_flag == "higher"
    assert 'class="flag neutral">above neighbours<' in manchester_table


def test_flags_are_rare_not_the_rule(manchester):
    flagged = [r for r in manchester.rows if r.neighbour_flag or r.change_flag]
    assert 1 <= len(flagged) <= 10


def test_a_measure_published_a_year_behind_shows_its_latest_year_labelled(manchester, manchester_table):
    assert _row(manchester, "Stability_School").bench.period == 2024
    assert _cells(manchester_table, "Stability_School")[1] == "2024 (latest)"


def test_every_row_has_a_sparkline_with_alt_text_in_words(manchester):
    for r in manchester.rows:
        assert r.spark is not None and r.spark.png.startswith(b"\x89PNG")
        assert r.spark.alt.startswith(f"Sparkline of {scorecard._lower(r.label)}, ")
    lac = _row(manchester, "LAC").spark.alt
    assert "from 107 in 2016 to 97 in 2025" in lac and "neighbours' mean 88.9 in 2025" in lac


def test_key_messages_are_three_to_five_plain_sentences(manchester):
    msgs = scorecard.key_messages(manchester)
    assert 3 <= len(msgs) <= 5
    assert msgs[0].startswith("Manchester has figures for 65 of the 67 measures.")
    assert "worse on good level of development (early years)" in msgs[1]
    assert not any(w in " ".join(msgs) for w in ("nan", "None", "tau", "z-score"))


def test_the_record_carries_every_row_with_its_flags_and_next_update(manchester):
    figs = {f.measure: f.as_dict() for f in scorecard.figures(manchester)}
    assert len(figs) == 67
    assert figs["LAC"]["value"] == 97 and figs["LAC"]["comparators"]["england"] == 67
    assert figs["ReReferral"]["value"] == 18.4 and figs["Work_Force_AvgNumCase_SW"]["value"] == 14.7
    assert figs["LAC"]["flags"]["next_update"] == "2026-11-01" and figs["LAC"]["flags"]["rank"] == "9 of 11"
    assert figs["LAC_Good_Develop"]["flags"]["vs_neighbours"] == "lower"


def test_next_updates_are_listed_soonest_first_with_past_dates_marked(manchester):
    note = scorecard.update_notes(manchester, today=dt.date(2026, 10, 15))[0]
    assert note.index("1 October 2026 (past due): Characteristics of children in need") < note.index(
        "1 November 2026: Children looked after in England including adoptions"
    )
    assert "1 March 2027: Children's social work workforce (7 measures)" in note


# --------------------------------------------------------------------------- edges


def test_city_of_london_shows_laits_dash_never_nan(manchester):
    s = built("201")
    html = scorecard.table(s).markup
    lac = _cells(html, "LAC")
    assert lac[2] == "-" and "nan" not in html.lower().split()
    assert _row(s, "LAC").bench.status == "-" and _row(s, "LAC").bench.rank.rank == 0
    assert any("-: not published" in f for f in scorecard.footnotes(s))


def test_cumbria_abolished_in_2023_gets_its_last_year_and_the_2021_model():
    s = built("909")
    assert (s.period, s.model, s.requested_model) == (2023, "2021", "2025")
    assert any("the 2025 model has none for Cumbria" in f for f in scorecard.footnotes(s))


def test_a_year_lait_does_not_hold_is_refused_naming_the_years():
    from csdemand.core.errors import InputError

    with pytest.raises(InputError, match="2016 to 2025"):
        scorecard.build("352", "2012")


# --------------------------------------------------------------------------- releases


def test_releases_are_soonest_first_and_past_due_ones_marked():
    r = scorecard.releases(dt.date(2026, 12, 1))
    dates = [dt.date.fromisoformat(d) for d in r["due"] if re.fullmatch(r"\d{4}-\d\d-\d\d", d)]
    assert dates == sorted(dates)
    cin = r[(r["due"] == "2026-10-01") & (r["publication"] == "Characteristics of children in need")].iloc[0]
    assert cin["past_due"] and "ReReferral" in cin["measures"].split(", ")
    assert set(cin["briefings"].split(", ")) == {"referrals", "scorecard", "summary"}
    workforce = r[r["publication"] == "Children's social work workforce"].iloc[0]
    assert workforce["due"] == "2027-03-01" and not workforce["past_due"]


def test_measures_in_use_include_the_summarys_and_the_projections():
    use = scorecard.measures_in_use().set_index("measure")["briefings"]
    assert "summary" in use["LAC"] and "scorecard" in use["LAC"]
    assert use["TotalLACFinance"] == "looked_after"


def test_the_releases_command_prints_past_due_dates_and_refuses_a_bad_date():
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "releases", "--today", "2026-12-01"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "2026-10-01  PAST DUE  Characteristics of children in need" in run.stdout
    assert any(x.startswith("2027-03-01  Children's social work workforce  (7 measures; scorecard)") for x in lines)
    bad = subprocess.run(
        [sys.executable, "-m", "csdemand", "releases", "--today", "1 Dec"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--today" in bad.stderr


def test_lait_decimals_come_from_the_dictionary_capped_by_what_the_figures_carry(manchester):
    assert _row(manchester, "LAC").info.decimals == 0  # dictionary 1, DfE's integers
    assert _row(manchester, "ReReferral").info.decimals == 1
    assert _row(manchester, "CINFixedExclusion").info.decimals == 2
    assert bm.carried_decimals([97.0, 12.5], 1) == 1


def test_a_label_shown_for_two_groups_is_named_with_its_group_in_the_key_messages():
    # West Berkshire 2019: persistent absence rose beyond chance for children in need and for
    # children looked after; the two must not read as one measure said twice.
    msgs = " ".join(scorecard.key_messages(built("869", "2019")))
    assert "persistent absentees among children in need, worse" in msgs
    assert "persistent absentees among children looked after, worse" in msgs


def test_measures_with_no_better_or_worse_are_grouped_by_side_and_each_side_said_once():
    # Hertfordshire 2019: several measures lower than the neighbours, none higher.
    msg = next(m for m in scorecard.key_messages(built("919", "2019")) if m.startswith("Beyond chance"))
    assert msg.count("lower on ") == 1 and "(lower)" not in msg
    assert "lower on children in need per 10,000, referrals per 10,000" in msg
