"""The one-page summary from the shipped data."""

from __future__ import annotations

import pytest

from csdemand.briefings import summary


@pytest.fixture(scope="module")
def manchester():
    return summary.build("352")


def test_every_headline_indicator_is_present(manchester):
    assert [i.key for i in manchester.indicators] == ["early_help_requests", "referrals_rate", "rereferral_pct", "da_parent_pct", "cpp_at31_rate", "cla_rate"]


def test_summary_values_are_the_published_ones(manchester):
    by = {i.key: i for i in manchester.indicators}
    assert by["cla_rate"].value == 97 and by["cla_rate"].england == 67 and round(by["cla_rate"].neighbours_mean, 1) == 88.9
    assert by["rereferral_pct"].value == 18.4 and by["rereferral_pct"].england == 22.6
    assert round(by["da_parent_pct"].value, 1) == 25.5
    assert round(by["cpp_at31_rate"].value, 1) == 50.1


def test_lac_fall_of_3_is_not_flagged_but_cp_rise_is(manchester):
    by = {i.key: i for i in manchester.indicators}
    assert by["cla_rate"].then1 == 100 and not by["cla_rate"].change1.significant
    assert by["cpp_at31_rate"].change1.significant


def test_manchester_lac_rate_is_not_flagged_against_england_once_overdispersion_is_allowed(manchester):
    by = {i.key: i for i in manchester.indicators}
    assert not by["cla_rate"].vs_england.significant


def test_arrows_are_coloured_by_polarity(manchester):
    html = summary.table(manchester).markup
    row = html.split('data-indicator="rereferral_pct"')[1].split("</tr>")[0]
    assert 'class="move good"' in row  # re-referrals fell: better
    lac = html.split('data-indicator="cla_rate"')[1].split("</tr>")[0]
    assert "move neutral" in lac and "good" not in lac


def test_key_messages_are_three_to_five(manchester):
    msgs = summary.key_messages(manchester)
    assert 3 <= len(msgs) <= 5 and msgs[0].startswith("97 children per 10,000")


def test_authority_without_local_data_has_no_early_help_row():
    s = summary.build("330")
    assert "early_help_requests" not in [i.key for i in s.indicators] and len(s.indicators) == 5
