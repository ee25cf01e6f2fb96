"""csdemand.synthetic.early_help: a seeded extract reproducing the early help figures Manchester
reported exactly, checked through the same early_help_data functions an analyst would use."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import early_help as eh
from csdemand.synthetic import early_help as seh


@pytest.fixture(scope="module")
def requests() -> pd.DataFrame:
    return seh.generate_requests()


@pytest.fixture(scope="module")
def totals(requests) -> pd.Series:
    return eh.monthly_totals(requests)


def _window(totals: pd.Series, first: str, last: str) -> pd.Series:
    return totals[pd.Period(first, "M") : pd.Period(last, "M")]


def _rows_between(df: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    months = df["date_received"].dt.to_period("M")
    return df[(months >= pd.Period(first, "M")) & (months <= pd.Period(last, "M"))]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_an_identical_extract(requests):
    pd.testing.assert_frame_equal(seh.generate_requests(seed=2020), requests)


def test_a_different_seed_gives_a_different_extract(requests):
    other = seh.generate_requests(seed=2021)
    assert not other["family_id"].equals(requests["family_id"])
    # ... but the reported windows are the same whatever the seed
    t = eh.monthly_totals(other)
    assert _window(t, "2019-12", "2020-02").sum() == 2016 and _window(t, "2021-04", "2021-06").sum() == 3156


# --------------------------------------------------------------------------- calibration


def test_three_months_before_lockdown_total_exactly_2016(totals):
    w = _window(totals, "2019-12", "2020-02")
    assert len(w) == 3 and w.sum() == 2016 and w.mean() == 672.0


def test_april_to_june_2021_total_exactly_3156(totals):
    w = _window(totals, "2021-04", "2021-06")
    assert len(w) == 3 and w.sum() == 3156 and w.mean() == 1052.0


def test_the_rise_the_briefing_reports_is_57_percent(totals):
    rise = _window(totals, "2021-04", "2021-06").mean() / _window(totals, "2019-12", "2020-02").mean() - 1
    assert rise == pytest.approx(0.5655, abs=1e-4) and round(rise * 100) == 57


def test_every_month_from_april_2017_to_october_2026_has_requests(totals):
    assert totals.index.tolist() == pd.period_range("2017-04", "2026-10", freq="M").tolist()
    assert (totals > 0).all()


def test_apportion_sums_exactly_in_proportion():
    assert seh.apportion(2016, np.array([600.0, 740.0, 680.0])).tolist() == [599, 738, 679]
    assert seh.apportion(10, np.array([1.0, 1.0, 1.0])).sum() == 10


# --------------------------------------------------------------------------- shape over time


def test_august_is_below_the_mean_of_its_years_other_months_every_full_year(totals):
    for year in range(2018, 2026):
        months = totals[totals.index.year == year]
        assert months[months.index.month == 8].iloc[0] < months[months.index.month != 8].mean(), year


def test_before_march_2020_the_level_is_flat_around_650_to_690(totals):
    for first, last in (("2017-04", "2018-03"), ("2018-04", "2019-03"), ("2019-04", "2020-03")):
        assert 640 <= _window(totals, first, last).mean() <= 700, first


def test_first_lockdown_drops_april_and_may_2020_sharply(totals):
    before = _window(totals, "2019-04", "2019-05").sum()
    assert _window(totals, "2020-04", "2020-05").sum() < 0.7 * before


def test_level_in_2025_26_is_above_2021s(totals):
    assert _window(totals, "2025-04", "2026-03").mean() > 1.08 * _window(totals, "2021-04", "2022-03").mean()
    assert _window(totals, "2025-01", "2025-12").mean() > _window(totals, "2021-01", "2021-12").mean()


def test_weekdays_take_most_requests(requests):
    assert (requests["date_received"].dt.day_of_week < 5).mean() > 0.85


def test_dates_stay_inside_the_span(requests):
    assert requests["date_received"].min() >= pd.Timestamp("2017-04-01")
    assert requests["date_received"].max() <= pd.Timestamp("2026-10-31")
    assert requests["date_received"].is_monotonic_increasing


# --------------------------------------------------------------------------- categories


def test_hub_shares(requests):
    shares = requests["hub"].value_counts(normalize=True)
    for hub, share in seh.HUB_SHARES.items():
        assert shares[hub] == pytest.approx(share, abs=0.01), hub


def test_reason_shares_before_the_pandemic_and_after_the_drift(requests):
    before = _rows_between(requests, "2017-04", "2020-03")["reason"].value_counts(normalize=True)
    after = _rows_between(requests, "2026-04", "2026-10")["reason"].value_counts(normalize=True)
    for reason in eh.REASONS:
        assert before[reason] == pytest.approx(seh.REASON_SHARES_BEFORE[reason], abs=0.01), reason
        assert after[reason] == pytest.approx(seh.REASON_SHARES_AFTER[reason], abs=0.015), reason


def test_mental_wellbeing_and_finance_and_debt_grow_after_2020(requests):
    by = eh.monthly_by(requests, "reason")
    share = by.div(by.sum(axis=1), axis=0)
    for reason in ("Mental wellbeing", "Finance and debt"):
        assert share[reason]["2025-04":"2026-03"].mean() > share[reason]["2018-04":"2019-03"].mean() + 0.05, reason


def test_outcome_shares_and_about_8_percent_stepped_up(requests):
    shares = requests["outcome"].value_counts(normalize=True)
    for outcome, share in seh.OUTCOME_SHARES.items():
        assert shares[outcome] == pytest.approx(share, abs=0.01), outcome
    years = eh.outcomes(requests)
    complete = years[years["complete"]]
    assert complete["period"].tolist() == list(range(2018, 2027))
    assert complete["stepped_up_pct"].between(7.0, 9.0).all()


# --------------------------------------------------------------------------- ids and shape


def test_columns_and_types_are_those_read_requests_returns(requests):
    assert requests.columns.tolist() == eh.COLUMNS
    assert requests["date_received"].dtype.kind == "M"
    assert set(requests["hub"]) == set(eh.HUBS) and set(requests["reason"]) == set(eh.REASONS)
    assert set(requests["outcome"]) == set(eh.OUTCOMES)


def test_ids_are_synthetic_looking_and_request_ids_unique(requests):
    assert requests["request_id"].str.fullmatch(r"EH\d{7}").all() and requests["request_id"].is_unique
    assert requests["request_id"].iloc[0] == "EH0000001"
    assert requests["family_id"].str.fullmatch(r"F\d{6}").all()


def test_some_families_make_more_than_one_request(requests):
    per_family = requests["family_id"].value_counts()
    assert 0.10 < (per_family > 1).mean() < 0.30
    assert not requests.duplicated(["family_id", "date_received"]).any()


def test_labelled_synthetic(requests):
    s = requests.attrs["synthetic"]
    assert s["seed"] == 2020 and (s["start"], s["end"]) == ("2017-04", "2026-10")
    assert s["calibrated"] == {"2019-12 to 2020-02": 2016, "2021-04 to 2021-06": 3156}
    assert 1.4 < s["level_shift"] < 1.65


def test_a_short_span_skips_windows_outside_it():
    df = seh.generate_requests(seed=1, start="2023-04", end="2024-03")
    assert df.attrs["synthetic"]["calibrated"] == {}
    assert eh.monthly_totals(df).index[0] == pd.Period("2023-04", "M") and len(eh.monthly_totals(df)) == 12


def test_a_bad_month_argument_is_an_error():
    with pytest.raises(InputError, match="not a month"):
        seh.generate_requests(start="April 2017")
    with pytest.raises(InputError, match="start is after end"):
        seh.generate_requests(start="2024-01", end="2023-12")


# --------------------------------------------------------------------------- write_requests


def test_written_extract_reads_back_unchanged_with_a_synthetic_sidecar(tmp_path):
    df = seh.generate_requests(seed=5, start="2019-10", end="2021-09")
    csv_path, meta_path = seh.write_requests(df, tmp_path / "early_help.csv", {"area": "Manchester", "la_number": 352})
    assert meta_path == tmp_path / "early_help.meta.json"
    raw = csv_path.read_bytes()
    assert b"\r\n" not in raw and raw.startswith(b"request_id,family_id,date_received,hub,reason,outcome\n")
    back = eh.load(csv_path)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert (back.dtypes == df.dtypes).all()

    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["generator"] == "csdemand.synthetic.early_help.generate_requests"
    assert meta["seed"] == 5 and meta["rows"] == len(df)
    assert meta["description"] == seh.DESCRIPTION
    assert meta["description"].startswith("Synthetic early help requests: not real families.")
    assert meta["la_number"] == 352 and meta["calibrated"]["2021-04 to 2021-06"] == 3156


def test_meta_cannot_mark_the_file_as_real(tmp_path):
    df = seh.generate_requests(seed=1, start="2023-04", end="2023-06")
    _, meta_path = seh.write_requests(df, tmp_path / "x.csv", {"synthetic": False})
    assert json.loads(meta_path.read_text(encoding="utf-8"))["synthetic"] is True


# --------------------------------------------------------------------------- a small authority


def test_scale_makes_a_small_authority_with_months_of_1_to_5():
    small = seh.generate_requests(seed=7, scale=0.01, end="2025-03")
    totals = eh.monthly_totals(small)
    assert totals.between(1, 5).sum() == 15 and (totals == 0).sum() == 0
    assert 8 <= totals.mean() <= 12
    # the calibration windows scale with it: 2,016 x 0.01 = 20 and 3,156 x 0.01 = 32 (half up)
    assert (
        int(_window(totals, "2019-12", "2020-02").sum()) == 20
        and int(_window(totals, "2021-04", "2021-06").sum()) == 32
    )
    assert small.attrs["synthetic"]["scale"] == 0.01


def test_a_bad_scale_is_an_error():
    with pytest.raises(InputError, match="scale"):
        seh.generate_requests(scale=0)
