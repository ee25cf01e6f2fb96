"""Golden figures and sections of the referrals briefing, from the shipped data/sample tables."""

from __future__ import annotations

import pandas as pd
import pytest

from csdemand.briefings import narrative, referrals
from csdemand.core.errors import InputError
from csdemand.published import areas


@pytest.fixture(scope="module")
def pub2024():
    return referrals.published("352", "2024")


@pytest.fixture(scope="module")
def pub():
    return referrals.published("352")


@pytest.fixture(scope="module")
def loc(pub):
    return referrals.local("sample", pub.la, "latest")


def test_manchester_2024_referrals_rate_is_re_based_and_keeps_the_published_502_8(pub2024):
    # Golden figures changed by the one-base rule: the 2024 release printed 502.8 (England 518.3)
    # on an older population base; on the mid-2024 estimates (as LAIT shows) they are 499.2
    # (6,525 / 130,700) and 515.7.
    assert pub2024.referrals == 6525
    assert round(pub2024.rate.value, 1) == 499.2 and pub2024.rate.rebased and pub2024.rate.published_value == 502.8
    assert pub2024.rereferral.value == 18.7
    assert round(pub2024.rate.england_value, 1) == 515.7


def test_manchester_2025_domestic_abuse_parent_share(pub):
    da = pub.da["da_parent_pct"]
    assert pub.da_period == 2025 and pub.assessments_with_factor == 6606
    assert round(da.value, 1) == 25.5
    table = referrals.da_table(pub).set_index("Domestic abuse concerning")
    assert table.loc["A parent or carer", "Assessments"] == "1,687"
    assert table.loc["A parent or carer", "% of assessments with a factor"] == "25.5"


def test_2025_rate_is_computed_and_marked(pub):
    assert pub.rate.computed and round(pub.rate.value, 1) == 481.1
    assert 2025 in pub.rate.computed_periods and 2025 not in pub.rate.rebased_periods
    assert pub.rate.rebased_periods == [2023, 2024]  # DfE printed these on an older base


def test_rereferrals_lower_is_better_in_the_measure_definitions():
    from csdemand.core import codes

    assert codes.measure("rereferral_pct")["polarity"] == "low_is_good"


def test_a_month_resolves_to_its_reporting_year():
    assert referrals.published("352", "2024-03").period == 2024
    assert referrals.published("352", "2024-04").period == 2025


def test_synthetic_sample_reconciles_with_published_totals_within_2_percent(pub, loc):
    rec = referrals.reconciliation(loc.annual, pub)
    assert rec["period"].tolist() == list(range(2018, 2026))
    assert (rec["difference_pct"].abs() <= 2).all()
    assert (rec["rereferral_difference_pts"].abs() / rec["published_rereferral_pct"] <= 0.02).all()


def test_reconciliation_reports_difference_in_numbers_and_percent(pub):
    local_annual = pd.DataFrame({"period": [2024], "referrals": [6400], "rereferral_pct": [19.0], "complete": [True]})
    rec = referrals.reconciliation(local_annual, pub).iloc[0]
    assert rec["difference"] == -125 and round(rec["difference_pct"], 2) == round(-125 / 6525 * 100, 2)
    assert round(rec["rereferral_difference_pts"], 1) == 0.3


def test_local_section_is_synthetic_labelled_and_aggregated(loc):
    assert loc.synthetic is True
    assert loc.month == "2025-03" and len(loc.monthly) == 36
    assert "child_id" not in loc.monthly.columns and "referral_id" not in loc.monthly.columns


def test_signal_sentences_name_their_chart(loc):
    assert all(s.startswith(("Monthly referrals.", "Domestic-abuse share.", "No special-cause")) for s in loc.signals)


def test_month_outside_the_extract_is_a_clear_error(pub):
    with pytest.raises(InputError, match="month 2030-01 is not in the extract"):
        referrals.local("sample", pub.la, "2030-01")


def test_authority_without_an_extract_still_gets_published_figures():
    b = areas.resolve("330")
    assert referrals.local("sample", b) is None
    assert referrals.published("330").referrals > 0


def test_key_messages_quote_the_figures(pub2024):
    text = " ".join(narrative.referral_key_messages(pub2024))
    for figure in ("6,525", "499.2 per 10,000", "DfE printed 502.8", "England's (515.7)", "18.7%"):
        assert figure in text


def test_shipped_synthetic_extract_is_what_the_seeded_generator_makes(tmp_path):
    import subprocess
    import sys

    from csdemand.core import paths

    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "synth-referrals", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    name = "referrals_352-manchester_synthetic.csv"
    assert (tmp_path / name).read_bytes() == (paths.data_dir() / "local" / name).read_bytes()


def test_briefing_reads_whatever_config_names(tmp_path, monkeypatch):
    from csdemand.core import paths

    src = paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv"
    lines = src.read_text().splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[2] >= "2024-04-01"]
    (tmp_path / "mine.csv").write_text("\n".join(kept) + "\n")
    (tmp_path / "data.yml").write_text(
        f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path / 'mine.csv'}\n"
    )
    monkeypatch.setenv("CSDEMAND_CONFIG", str(tmp_path / "data.yml"))
    loc = referrals.local("config", areas.resolve("352"))
    assert loc.monthly["month"].iloc[0] == "2024-04" and loc.synthetic is False
    assert loc.annual["referrals"].tolist() == [6342]


# --------------------------------------------------------------------------- periods hold, markers, one value


def test_the_2024_briefing_shows_no_local_month_after_march_2024(pub2024):
    loc = referrals.local("sample", pub2024.la, "latest", year=2024)
    assert loc.month == "2024-03" and loc.monthly["month"].max() == "2024-03"
    assert loc.annual["period"].max() == 2024
    tiles = [label for label, _, _ in referrals.headlines(pub2024, loc)]
    assert "Referrals in Mar 2024" in tiles and not any("2025" in t for t in tiles)
    assert referrals.latest_month(loc)["month_label"] == "March 2024"


def test_an_earlier_month_may_be_asked_for_but_not_a_later_one(pub2024):
    assert referrals.local("sample", pub2024.la, "2023-11", year=2024).month == "2023-11"
    with pytest.raises(InputError, match="month 2024-06 is after the briefing's year"):
        referrals.local("sample", pub2024.la, "2024-06", year=2024)


def test_the_published_side_shows_nothing_after_the_briefing_year(pub2024):
    assert pub2024.rate.comparison["period"].max() == 2024 and pub2024.rate.history["period"].max() == 2024
    assert pub2024.da_period == 2024


def test_city_of_london_domestic_abuse_2025_is_suppressed_for_2025_not_taken_from_2019():
    p = referrals.published("201", "2025")
    assert p.da_period == 2025 and p.da["da_parent_pct"].status == "c"
    row = referrals.da_table(p).set_index("Domestic abuse concerning").loc["A parent or carer"]
    assert row["% of assessments with a factor"] == "c" and row["Rank among 11"] == "c"
    tile = next(v for label, v, _ in referrals.headlines(p, None) if label.startswith("Domestic abuse"))
    assert tile == "c (suppressed: fewer than 6 assessments)"


def test_isles_of_scilly_referrals_2025_render_with_their_own_figures_and_markers():
    p = referrals.published("420", "2025")
    assert p.referrals == 32 and round(p.rate.value, 1) == 1003.1
    hist = referrals.rereferral_table(p).set_index("Year")
    assert hist.loc["2024", "This authority"] == "c" and hist.loc["2024", "Rank among 11"] == "c"


def test_rate_table_marks_re_based_and_computed_years(pub):
    t = referrals.rate_table(pub).set_index("Year")
    assert (
        t.loc["2024 r", "This authority"] == "499.2"
        and t.loc["2025 *", "This authority"] == "481.1"
        and "2022" in t.index
    )
    assert any(n.startswith("r: re-based on the mid-2024 population estimates") for n in t.attrs["footnotes"])


def test_key_message_change_is_the_difference_of_the_printed_figures(pub):
    text = " ".join(narrative.referral_key_messages(pub))
    # 481.1 - 499.2 = -18.1 as printed (unrounded 481.07 - 499.23 = -18.16 would print -18.2).
    assert "The rate fell by 18.1 per 10,000, 4%, from 499.2 in 2024" in text


def test_kent_has_the_highest_referral_rate_of_its_group():
    text = " ".join(narrative.referral_key_messages(referrals.published("886", "2025")))
    assert "Kent has the highest rate of the 11 in its group" in text and "significantly" not in text
