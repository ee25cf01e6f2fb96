"""csdemand.synthetic: a seeded extract calibrated to Manchester's published referral figures,
checked through the same local_referrals functions an analyst would use on a real extract."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from csdemand.core.errors import InputError
from csdemand.local import referrals as lr
from csdemand.synthetic import referrals as synthetic

# DfE Characteristics of children in need, Manchester: referrals and % re-referrals within 12
# months. nfa_pct is a plausible stand-in until the published values are supplied.
MANCHESTER = pd.DataFrame(
    {
        "period": [2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025],
        "referrals": [12205, 13228, 11174, 7428, 7500, 7872, 7279, 6525, 6342],
        "rereferral_pct": [26.3, 25.6, 27.5, 19.6, 19.3, 22.3, 19.5, 18.7, 18.4],
        "nfa_pct": [8.0, 9.5, 11.0, 12.5, 14.0, 10.0, 7.5, 6.0, 5.0],
    }
)


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return synthetic.generate_referrals(MANCHESTER)


@pytest.fixture(scope="module")
def annual(extract) -> pd.DataFrame:
    return lr.annual(lr.flag_rereferrals(extract)).set_index("period")


def _small(**change) -> pd.DataFrame:
    t = MANCHESTER[MANCHESTER["period"] >= 2023].copy()
    t["referrals"] = [600, 500, 400]
    for k, v in change.items():
        t[k] = v
    return t


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_an_identical_extract(extract):
    pd.testing.assert_frame_equal(synthetic.generate_referrals(MANCHESTER, seed=2017), extract)


def test_a_different_seed_gives_a_different_extract(extract):
    other = synthetic.generate_referrals(MANCHESTER, seed=2018)
    assert len(other) == len(extract)
    assert not other["child_id"].equals(extract["child_id"])
    assert not other["referral_date"].equals(extract["referral_date"])


# --------------------------------------------------------------------------- calibration


def test_annual_referrals_equal_the_targets_exactly(annual):
    assert annual["referrals"].tolist() == MANCHESTER["referrals"].tolist()
    assert annual["complete"].all()


def test_derived_rereferrals_equal_the_design_in_every_year(annual):
    # exact, including the first year (its re-referrals point back within the extract)
    target = (MANCHESTER["referrals"] * MANCHESTER["rereferral_pct"] / 100).round().astype(int).tolist()
    assert annual["rereferrals"].tolist() == target


def test_derived_rereferral_pct_within_2pc_relative_of_the_published_figure(annual):
    for period, pct in zip(MANCHESTER["period"], MANCHESTER["rereferral_pct"]):
        assert annual.loc[period, "rereferral_pct"] == pytest.approx(pct, rel=0.02), period


def test_no_further_action_counts_are_exact(annual):
    target = (MANCHESTER["referrals"] * MANCHESTER["nfa_pct"] / 100).round().astype(int).tolist()
    assert annual["nfa"].tolist() == target


def test_domestic_abuse_share_is_about_20pc_overall_and_each_year(extract, annual):
    assert 0.18 <= extract["domestic_abuse"].mean() <= 0.22
    assert annual["da_share"].between(0.18, 0.22).all()


def test_domestic_abuse_is_more_often_recorded_on_police_referrals(extract):
    by_source = extract.groupby(extract["source"] == "Police")["domestic_abuse"].mean()
    assert by_source[True] == pytest.approx(0.45, abs=0.02)
    assert by_source[False] < 0.15


def test_domestic_abuse_share_follows_the_argument():
    df = synthetic.generate_referrals(MANCHESTER, da_share=0.30)
    assert df["domestic_abuse"].mean() == pytest.approx(0.30, abs=0.02)


def test_source_shares_are_realistic(extract):
    shares = extract["source"].value_counts(normalize=True)
    for source, share in synthetic.SOURCE_SHARES.items():
        assert shares[source] == pytest.approx(share, abs=0.01), source


def test_outcomes_other_than_nfa_are_mostly_assessments(extract):
    rest = extract.loc[extract["outcome"] != lr.NFA, "outcome"]
    assert set(rest) == {"Assessment", "Information and advice"}
    assert (rest == "Assessment").mean() == pytest.approx(0.85, abs=0.01)


# --------------------------------------------------------------------------- dates


def test_every_month_of_every_year_has_referrals(extract):
    m = lr.monthly(extract)
    assert m["month"].iloc[0] == "2016-04" and m["month"].iloc[-1] == "2025-03"
    assert len(m) == 9 * 12
    assert (m["referrals"] > 0).all()


def test_weekdays_take_most_referrals(extract):
    assert (extract["referral_date"].dt.day_of_week < 5).mean() > 0.85


def test_august_and_december_are_quieter_than_october(extract):
    per_month = extract.groupby(extract["referral_date"].dt.month).size()
    assert per_month[8] < 0.8 * per_month[10]
    assert per_month[12] < 0.8 * per_month[10]


def test_start_year_2017_starts_on_1_april_2016_or_later(extract):
    assert extract["referral_date"].min() >= pd.Timestamp("2016-04-01")
    assert extract["referral_date"].max() <= pd.Timestamp("2025-03-31")


def test_start_year_leaves_out_earlier_targets():
    df = synthetic.generate_referrals(MANCHESTER, start_year=2023)
    assert lr.annual(df)["period"].tolist() == [2023, 2024, 2025]
    assert df["referral_date"].min() >= pd.Timestamp("2022-04-01")


# --------------------------------------------------------------------------- ids and shape


def test_columns_and_types_are_those_read_extract_returns(extract):
    assert extract.columns.tolist() == lr.COLUMNS
    assert extract["referral_date"].dtype.kind == "M" and extract["domestic_abuse"].dtype == bool


def test_ids_are_synthetic_looking_and_referral_ids_unique(extract):
    assert extract["referral_id"].str.fullmatch(r"R\d{7}").all() and extract["referral_id"].is_unique
    assert extract["referral_id"].iloc[0] == "R0000001"
    assert extract["child_id"].str.fullmatch(r"C\d{6}").all()


def test_no_child_is_referred_twice_on_one_day(extract):
    assert not extract.duplicated(["child_id", "referral_date"]).any()


def test_rows_are_in_date_order(extract):
    assert extract["referral_date"].is_monotonic_increasing


def test_some_children_return_after_more_than_12_months(extract):
    gaps = lr.flag_rereferrals(extract)["days_since_previous"]
    assert (gaps > 365).sum() > 1000
    assert gaps.min() >= 1


# --------------------------------------------------------------------------- edges and errors


def test_an_impossible_first_year_target_warns_of_its_shortfall():
    # 100%: the first day's referrals have no earlier one, and while only those few children
    # exist a busy day has more referrals than children eligible to be re-referred
    with pytest.warns(UserWarning, match=r"2023 has \d+ fewer re-referrals than its target of 600"):
        df = synthetic.generate_referrals(_small(rereferral_pct=[100.0, 20.0, 20.0]), start_year=2023)
    short = df.attrs["synthetic"]["rereferral_shortfall"]
    assert list(short) == [2023] and short[2023] >= (df["referral_date"] == df["referral_date"].min()).sum()
    assert lr.annual(df)["rereferrals"].tolist() == [600 - short[2023], 100, 80]  # later years exact


def test_a_feasible_small_extract_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = synthetic.generate_referrals(_small(), start_year=2023)
    assert lr.annual(df)["rereferrals"].tolist() == [round(600 * 0.195), round(500 * 0.187), round(400 * 0.184)]


def test_targets_with_a_gap_year_are_an_error():
    with pytest.raises(InputError, match="gaps"):
        synthetic.generate_referrals(MANCHESTER[MANCHESTER["period"] != 2020])


def test_targets_missing_a_column_are_an_error():
    with pytest.raises(InputError) as err:
        synthetic.generate_referrals(MANCHESTER.drop(columns="nfa_pct"))
    assert err.value.column == "nfa_pct"


def test_percentage_out_of_range_is_an_error():
    with pytest.raises(InputError, match="rereferral_pct"):
        synthetic.generate_referrals(_small(rereferral_pct=[19.5, 187.0, 18.4]), start_year=2023)


# --------------------------------------------------------------------------- write_extract


def test_written_extract_reads_back_unchanged_with_a_synthetic_sidecar(tmp_path):
    df = synthetic.generate_referrals(_small(), seed=5, start_year=2023)
    csv_path, meta_path = synthetic.write_extract(
        df, tmp_path / "referrals.csv", {"area": "Manchester", "la_number": 352}
    )
    assert meta_path == tmp_path / "referrals.meta.json"
    raw = csv_path.read_bytes()
    assert b"\r\n" not in raw and raw.startswith(b"referral_id,child_id,referral_date,source,domestic_abuse,outcome\n")
    pd.testing.assert_frame_equal(lr.read_extract(csv_path), df, check_dtype=False)
    assert (lr.read_extract(csv_path).dtypes == df.dtypes).all()

    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    assert meta["generator"] == "csdemand.synthetic.referrals.generate_referrals"
    assert meta["seed"] == 5
    assert meta["description"].startswith(
        "Synthetic referrals extract: not real children. Annual totals calibrated to DfE published figures for "
        "Manchester"
    )
    assert meta["la_number"] == 352 and meta["periods"] == [2023, 2024, 2025]


def test_meta_cannot_mark_the_file_as_real(tmp_path):
    _, meta_path = synthetic.write_extract(
        synthetic.generate_referrals(_small(), start_year=2023), tmp_path / "x.csv", {"synthetic": False}
    )
    assert json.loads(meta_path.read_text(encoding="utf-8"))["synthetic"] is True
