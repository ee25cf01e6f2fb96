"""Disclosure control where data meets a briefing: the store's one door and local aggregates."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd

from csdemand.core import disclosure
from csdemand.core import paths
from csdemand.published import store


def test_store_applies_dfe_rules_to_every_count_and_rate(tmp_path, monkeypatch):
    shutil.copytree(paths.data_dir(), tmp_path / "data", ignore=shutil.ignore_patterns("local"))
    cla = pd.read_csv(tmp_path / "data" / "cla.csv")
    row = (cla["la_number"] == 352) & (cla["period"] == 2025)
    cla.loc[row & (cla["measure"] == "cla_count"), "value"] = 4
    cla.loc[row & (cla["measure"] == "cla_rate"), ["value", "numerator"]] = [0.3, 4]
    cla.to_csv(tmp_path / "data" / "cla.csv", index=False)
    monkeypatch.setenv("CSDEMAND_DATA", str(tmp_path / "data"))
    loaded = store.load("cla")
    got = loaded[(loaded["la_number"] == 352) & (loaded["period"] == 2025)].set_index("measure")
    assert got.loc["cla_count", "status"] == "c" and np.isnan(got.loc["cla_count", "value"])
    assert got.loc["cla_rate", "status"] == "c" and np.isnan(got.loc["cla_rate", "value"])


def test_small_local_monthly_counts_and_their_shares_are_withheld():
    monthly = pd.DataFrame({"month": ["2025-01", "2025-02"], "referrals": [3, 500], "domestic_abuse": [1, 100], "da_share": [1 / 3, 0.2]})
    out = disclosure.protect_counts(monthly, ["referrals", "domestic_abuse"], {"referrals": ["da_share"], "domestic_abuse": ["da_share"]})
    assert np.isnan(out.loc[0, "referrals"]) and np.isnan(out.loc[0, "domestic_abuse"]) and np.isnan(out.loc[0, "da_share"])
    assert out.loc[1, "referrals"] == 500 and out.loc[1, "da_share"] == 0.2
    assert monthly.loc[0, "referrals"] == 3  # the input is not changed
