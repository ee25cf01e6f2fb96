"""Golden figures and sections of the referrals briefing, from the shipped data/sample tables."""

from __future__ import annotations

import pandas as pd
import pytest

from csdemand.published import areas
from csdemand.briefings import narrative
from csdemand.briefings import referrals
from csdemand.core.errors import InputError


@pytest.fixture(scope="module")
def pub2024():
    return referrals.published("352", "2024")


@pytest.fixture(scope="module")
def pub():
    return referrals.published("352")


@pytest.fixture(scope="module")
def loc(pub):
    return referrals.local("sample", pub.la, "latest")


def test_manchester_2024_published_referrals_rate_and_rereferrals(pub2024):
    assert pub2024.referrals == 6525
    assert pub2024.rate.value == 502.8 and not pub2024.rate.computed
    assert pub2024.rereferral.value == 18.7
    assert pub2024.rate.england_value == 518.3


def test_manchester_2025_domestic_abuse_parent_share(pub):
    da = pub.da["da_parent_pct"]
    assert pub.da_period == 2025 and pub.assessments_with_factor == 6606
    assert round(da.value, 1) == 25.5
    table = referrals.da_table(pub).set_index("Domestic abuse concerning")
    assert table.loc["A parent or carer", "Assessments"] == "1,687"
    assert table.loc["A parent or carer", "% of assessments with a factor"] == "25.5"


def test_2025_rate_is_computed_and_marked(pub):
    assert pub.rate.computed and round(pub.rate.value, 1) == 481.1
    assert 2025 in pub.rate.computed_periods and 2024 not in pub.rate.computed_periods


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
    for figure in ("6,525", "502.8", "518.3", "18.7%"):
        assert figure in text


def test_shipped_synthetic_extract_is_what_the_seeded_generator_makes(tmp_path):
    import subprocess
    import sys

    from csdemand.core import paths

    run = subprocess.run([sys.executable, "-m", "csdemand", "synth-referrals", "--out", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    name = "referrals_352-manchester_synthetic.csv"
    assert (tmp_path / name).read_bytes() == (paths.data_dir() / "local" / name).read_bytes()


def test_briefing_reads_whatever_config_names(tmp_path, monkeypatch):
    from csdemand.core import paths

    src = paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv"
    lines = src.read_text().splitlines()
    kept = [lines[0]] + [l for l in lines[1:] if l.split(",")[2] >= "2024-04-01"]
    (tmp_path / "mine.csv").write_text("\n".join(kept) + "\n")
    (tmp_path / "data.yml").write_text(f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path / 'mine.csv'}\n")
    monkeypatch.setenv("CSDEMAND_CONFIG", str(tmp_path / "data.yml"))
    loc = referrals.local("config", areas.resolve("352"))
    assert loc.monthly["month"].iloc[0] == "2024-04" and loc.synthetic is False
    assert loc.annual["referrals"].tolist() == [6342]
