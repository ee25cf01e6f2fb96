"""Authorities' lifetimes: which years each existed in, from reference/area_changes.csv and the data."""

from __future__ import annotations

import pytest

from csdemand.core.errors import InputError
from csdemand.published import areas, store


def test_cumberland_2014_is_refused_naming_its_first_year():
    with pytest.raises(InputError, match="Cumberland was created in 2023: its first year is 2024"):
        areas.check_year(areas.resolve("942"), 2014)


def test_cumbria_after_2023_is_refused_naming_its_successors_and_last_year():
    with pytest.raises(
        InputError,
        match="Cumbria was replaced by Cumberland and Westmorland and Furness in 2023: its last year is 2023",
    ):
        areas.check_year(areas.resolve("Cumbria"), 2024)


@pytest.mark.parametrize(
    ("la", "first"), [("940", 2022), ("941", 2022), ("942", 2024), ("943", 2024), ("838", 2020), ("839", 2020)]
)
def test_new_authorities_start_in_the_reporting_year_after_their_creation(la, first):
    a = areas.resolve(la)
    assert a.first_year == first and a.existed_in(first) and not a.existed_in(first - 1)


@pytest.mark.parametrize(("la", "last"), [("835", 2019), ("836", 2019), ("837", 2019), ("928", 2021), ("909", 2023)])
def test_abolished_authorities_end_in_the_reporting_year_of_their_last_day(la, last):
    a = areas.resolve(la)
    assert a.last_year == last and a.existed_in(last) and not a.existed_in(last + 1)


def test_isles_of_scilly_exist_in_2025_and_their_z_reads_published_with_cornwall():
    scilly = areas.resolve("420")
    assert scilly.existed_in(2025)
    assert scilly.note_for("z", "cla", 2025) == "published with Cornwall"
    # Only the looked-after z from 2021: a z elsewhere means something else.
    assert (
        scilly.note_for("z", "cin", 2025) == ""
        and scilly.note_for("z", "cla", 2019) == ""
        and scilly.note_for("c", "cla", 2025) == ""
    )


def test_every_authority_of_2025_includes_the_isles_of_scilly_and_none_abolished():
    got = {a.la_number for a in areas.existing_in(2025)}
    assert 420 in got and 201 in got and 942 in got
    assert not got & {835, 836, 837, 928, 909}
    assert len(got) == 153


def test_every_authority_of_2019_includes_the_old_dorset_councils_and_not_the_new():
    got = {a.la_number for a in areas.existing_in(2019)}
    assert {835, 836, 837, 928, 909} <= got
    assert not got & {838, 839, 940, 941, 942, 943}


def test_an_authority_that_disappears_from_the_data_is_explained_by_the_code_list():
    """An LA whose last year in the data is before the newest must be abolished in
    area_changes.csv, or have its figures published with another's (a marker note)."""
    a = store.load("areas")
    newest = int(a["last_period"].max())
    gone = a.loc[a["last_period"] < newest, "la_number"].astype(int).tolist()
    listed = areas.changes()
    assert sorted(gone) == [420, 835, 836, 837, 909, 928]
    for n in gone:
        assert n in listed.index and (listed.loc[n, "abolished"] or listed.loc[n, "marker_note"]), n


def test_a_shared_name_means_the_authority_that_exists_now():
    assert areas.resolve("Dorset").la_number == 838
    assert areas.resolve("Dorset (county council)").la_number == 835
    assert areas.resolve("835").name == "Dorset (county council)"


@pytest.mark.parametrize(
    ("la", "year", "words"),
    [
        ("942", 2025, "Cumbria"),
        ("943", 2024, "Cumbria"),
        ("940", 2022, "Northamptonshire"),
        ("941", 2027, ""),
        ("839", 2020, "Bournemouth, Poole and Dorset (county council)"),
        ("838", 2020, "Dorset (county council)"),
    ],
)
def test_new_authorities_first_years_carry_the_predecessor_caveat(la, year, words):
    text = areas.lifecycle_caveat(areas.resolve(la), year)
    if words:
        assert words in text and "not comparable" in text
    else:
        assert text == ""  # five years on, changes no longer reach back before it existed


def test_latest_means_the_newest_year_the_authority_existed():
    years = list(range(2010, 2026))
    assert areas.briefing_year(areas.resolve("909"), "latest", years, "data") == 2023
    assert areas.briefing_year(areas.resolve("942"), "latest", years, "data") == 2025
    assert areas.briefing_year(areas.resolve("942"), "2024-06", years, "data") == 2025
