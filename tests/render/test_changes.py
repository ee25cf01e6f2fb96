"""What changed since the last briefing: the comparison of two records, in words (no notebook runs)."""

from __future__ import annotations

import json

import pytest

from csdemand.render import changes


def record(**extra) -> dict:
    """A looked-after record as the renderer writes it (Manchester 2025)."""
    base = {
        "briefing": "looked_after",
        "la_slug": "352-manchester",
        "period": "2025",
        "requested_period": "latest",
        "rendered_at": "2026-11-02T06:30:00+00:00",
        "commit": "abc1234",
        "sources": [
            {"id": "cla_ees_2025", "title": "Children looked after 2025", "publisher": "DfE", "published": "2025-11"},
            {"id": "local", "title": "Local referrals", "publisher": "Council", "published": "2026-09"},
        ],
        "local_to": "2026-09",
        "inputs": {"published": "p1", "local": {"referrals": "l1"}},
        "inputs_hash": "i1",
        "code_hash": "c1",
        "figures": [
            {
                "measure": "cla_rate",
                "label": "Children looked after per 10,000",
                "period": "2025",
                "value": 97.0,
                "status": "",
                "unit": "per 10,000",
                "comparators": {"england": 67.0, "neighbours_mean": 88.9},
                "flags": {"rank": "9 of 11", "band": "D", "change_1y": "down", "rebased": ""},
            },
            {
                "measure": "rereferral_pct",
                "label": "Re-referrals",
                "period": "2025",
                "value": 18.4,
                "unit": "percent",
                "comparators": {},
                "flags": {"vs_england": ""},
            },
        ],
    }
    base.update(extra)
    return base


def later(**extra) -> dict:
    return record(rendered_at="2026-12-02T06:30:00+00:00", **extra)


def with_figure(rec: dict, measure: str, **changes_) -> dict:
    rec = json.loads(json.dumps(rec))
    for f in rec["figures"]:
        if f["measure"] == measure:
            for key, value in changes_.items():
                if key in ("flags", "comparators"):
                    f[key].update(value)
                else:
                    f[key] = value
    return rec


def test_no_previous_record_is_a_first_briefing():
    new = changes.compare(later(), None)
    assert new.status == "first" and new.items == ()
    assert new.headline.startswith("The first briefing rendered here")


def test_the_same_figures_again_say_no_new_published_data_since_the_previous_briefing():
    new = changes.compare(later(), record())
    assert new.status == "unchanged" and new.items == ()
    assert new.headline == "No new published data since the briefing of 2 November 2026."
    assert new.since == "2026-11-02T06:30:00+00:00"


def test_a_new_local_month_is_named_after_no_new_published_data():
    now = later(local_to="2026-10", inputs={"published": "p1", "local": {"referrals": "l2"}})
    new = changes.compare(now, record())
    assert new.headline == (
        "No new published data since the briefing of 2 November 2026: local figures for October 2026 added."
    )


def _local_only(rec: dict) -> dict:
    rec = json.loads(json.dumps(rec))
    rec["sources"] = [s for s in rec["sources"] if s["publisher"] == "Council"]
    return rec


def test_a_briefing_of_local_data_alone_says_no_new_data_not_no_new_published_data():
    new = changes.compare(_local_only(later()), _local_only(record()))
    assert new.headline == "No new data since the briefing of 2 November 2026."
    now = _local_only(later(local_to="2026-10", inputs={"published": "p1", "local": {"referrals": "l2"}}))
    assert changes.compare(now, _local_only(record())).headline == (
        "Since the briefing of 2 November 2026: local figures for October 2026 added."
    )


@pytest.mark.parametrize(
    "before, after, words",
    [
        ("2026-09", "2026-10", "October 2026"),
        ("2026-08", "2026-10", "September and October 2026"),
        ("2026-07", "2026-10", "August to October 2026"),
        ("2025-11", "2026-02", "December 2025 to February 2026"),
    ],
)
def test_months_added_in_words(before, after, words):
    assert changes.months_added(before, after) == words


def test_a_new_release_is_named_with_its_month():
    sources = [
        {"id": "cla_ees_2026", "title": "Children looked after 2026", "publisher": "DfE", "published": "2026-11"}
    ]
    new = changes.compare(later(sources=sources, local_to=""), record(local_to=""))
    assert new.headline == (
        "New published data since the briefing of 2 November 2026: Children looked after 2026 (November 2026)."
    )


def test_published_tables_changed_without_a_new_release_are_said_so():
    now = later(inputs={"published": "p2", "local": {"referrals": "l1"}})
    assert changes.compare(now, record()).headline == (
        "No new release since the briefing of 2 November 2026, but the published tables were corrected or re-imported."
    )


def test_a_revised_figure_is_listed_as_printed_and_a_change_in_the_tenth_decimal_is_not():
    now = with_figure(later(), "cla_rate", value=99.0)
    now = with_figure(now, "rereferral_pct", value=18.4000001)
    new = changes.compare(now, record())
    assert new.status == "changed"
    assert new.items == ("Revised: Children looked after per 10,000, the year to March 2025: 99 (was 97)",)


def test_comparators_revised_are_listed():
    now = with_figure(later(), "cla_rate", comparators={"england": 68.0})
    assert changes.compare(now, record()).items == ("Revised: Children looked after per 10,000: England 68 (was 67)",)


def test_rank_and_band_moves_and_flags_that_appeared_or_cleared():
    now = with_figure(later(), "cla_rate", flags={"rank": "7 of 11", "band": "C", "change_1y": ""})
    now = with_figure(now, "rereferral_pct", flags={"vs_england": "lower"})
    assert changes.compare(now, record()).items == (
        "Children looked after per 10,000: rank among neighbours moved from 9 of 11 to 7 of 11",
        "Children looked after per 10,000: national quartile band moved from D to C",
        "Children looked after per 10,000: change over 1 year no longer flagged (was down)",
        "Re-referrals: against England now flagged lower",
    )


def test_a_new_spc_signal_is_named_and_common_cause_is_no_signal():
    before = with_figure(record(), "cla_rate", flags={"spc": "common_cause"})
    now = with_figure(later(), "cla_rate", flags={"spc": "concern"})
    assert changes.compare(now, before).items == (
        "New SPC signal: Children looked after per 10,000: special cause (concern)",
    )
    assert (
        changes.compare(before, now).items[0]
        == "Children looked after per 10,000: SPC signal no longer flagged (was special cause (concern))"
    )


def test_a_withheld_figure_prints_its_marker():
    now = with_figure(later(), "cla_rate", value=None, status="c")
    assert changes.compare(now, record()).items[0] == (
        "Revised: Children looked after per 10,000, the year to March 2025: c (was 97)"
    )


def test_a_new_period_compares_with_the_previous_period_and_says_so():
    now = with_figure(later(period="2026"), "cla_rate", period="2026", value=95.0)
    now = with_figure(now, "rereferral_pct", period="2026")
    new = changes.compare(now, record())
    assert new.headline.startswith(
        "A new period, the year to March 2026: the previous briefing, of 2 November 2026, was for the year to "
        "March 2025."
    )
    assert new.items[0] == (
        "Children looked after per 10,000: 95 for the year to March 2026 (97 for the year to March 2025)"
    )


def test_a_code_change_is_noted_but_is_not_a_change_of_figures():
    new = changes.compare(later(code_hash="c2", commit="def5678"), record())
    assert new.status == "unchanged"
    assert new.items == ("The briefing's code changed since then (commit abc1234 to def5678)",)


def write_report(out, period: str, rec: dict) -> None:
    folder = out / "352-manchester" / period
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "looked_after.html").write_text("<p>report</p>")
    (folder / "looked_after.json").write_text(json.dumps(rec))


def test_the_previous_record_is_the_one_replaced_else_the_newest_earlier_period(tmp_path):
    write_report(tmp_path, "2024", record(period="2024", rendered_at="2025-11-02T06:30:00+00:00"))
    assert changes.previous_record(tmp_path, "352-manchester", "looked_after", "2025")["period"] == "2024"
    write_report(tmp_path, "2025", record())
    assert changes.previous_record(tmp_path, "352-manchester", "looked_after", "2025")["period"] == "2025"
    assert changes.previous_record(tmp_path, "330-birmingham", "looked_after", "2025") is None


def test_a_record_planted_in_the_wrong_folder_is_not_a_previous_record(tmp_path):
    write_report(tmp_path, "2025", record(la_slug="330-birmingham"))
    assert changes.previous_record(tmp_path, "352-manchester", "looked_after", "2025") is None


def test_unchanged_needs_the_same_requested_period_inputs_and_code(tmp_path):
    write_report(tmp_path, "2025", record())
    found = changes.unchanged(tmp_path, "352-manchester", "looked_after", "latest", "i1", "c1")
    assert found is not None and found[0] == tmp_path / "352-manchester" / "2025" / "looked_after.html"
    assert changes.unchanged(tmp_path, "352-manchester", "looked_after", "latest", "i2", "c1") is None
    assert changes.unchanged(tmp_path, "352-manchester", "looked_after", "latest", "i1", "c2") is None
    assert changes.unchanged(tmp_path, "352-manchester", "looked_after", "2025", "i1", "c1") is None
    assert changes.unchanged(tmp_path, "352-manchester", "looked_after", "latest", None, "c1") is None  # a database
