"""A bad local extract for one authority fails only that authority's briefings that read it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from csdemand.core import paths

pytestmark = pytest.mark.notebook


def test_a_bad_birmingham_extract_fails_only_birminghams_referrals_and_manchester_renders(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    lines = (paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv").read_text().splitlines()
    (local / "referrals_352-manchester.csv").write_text("\n".join(lines) + "\n")
    bad = lines[:2000]
    fields = bad[5].split(",")
    fields[2] = "2024-13-01"
    bad[5] = ",".join(fields)
    (local / "referrals_330-birmingham.csv").write_text("\n".join(bad) + "\n")
    config = tmp_path / "data.yml"
    config.write_text(f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {local}/referrals_{{la}}.csv\n")
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "csdemand",
            "render",
            "--la",
            "352",
            "330",
            "--briefing",
            "referrals",
            "looked_after",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CSDEMAND_CONFIG": str(config)},
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    assert run.stderr.splitlines() == [
        f"INVALID  {local}/referrals_330-birmingham.csv (referrals, Birmingham), row 6, column 'referral_date': not "
        "a date; found '2024-13-01'; expected a date YYYY-MM-DD",
        "FAILED   referrals for LA 330: refused: the local referrals data for Birmingham are invalid: "
        f"{local}/referrals_330-birmingham.csv "
        "(referrals, Birmingham), row 6, column 'referral_date': not a date; found '2024-13-01'; expected a date "
        "YYYY-MM-DD",
    ]
    assert "3 rendered, 1 failed" in run.stdout
    assert (out / "352-manchester" / "2025" / "referrals.html").exists()
    assert (out / "352-manchester" / "2025" / "looked_after.html").exists()
    assert (out / "330-birmingham" / "2025" / "looked_after.html").exists()  # reads no local data
    assert not (out / "330-birmingham" / "2025" / "referrals.html").exists()
