"""Bad arguments to ``render`` exit 2 with one line and no traceback, before any work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csdemand.render import execution


def render(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_period_after_the_newest_data_exits_2_naming_the_years_available(tmp_path):
    run = render("--period", "2099", "--out", str(tmp_path))
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: column '--period': no published data for the reporting year 2099; found '2099'; "
        "expected a reporting year from 2010 to 2025 (the years in the data), a month such as 2025-03, or 'latest'"
    )
    assert not list(tmp_path.iterdir())  # refused before the output folder was touched


def test_a_year_before_the_data_and_a_month_in_the_future_exit_2(tmp_path):
    early = render("--period", "1999", "--briefing", "looked_after", "--out", str(tmp_path))
    assert early.returncode == 2 and "no published data for the reporting year 1999" in early.stderr
    future = render("--period", "2099-01", "--out", str(tmp_path))
    assert future.returncode == 2 and "2099-01 is in the future: no data can exist for it" in future.stderr
    assert "Traceback" not in early.stderr + future.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--jobs", "0"], "argument --jobs: '0' is not a whole number of 1 or more"),
        (["--jobs", "two"], "argument --jobs: 'two' is not a whole number of 1 or more"),
        (
            ["--timeout", "0"],
            "error: column '--timeout': not a time limit; found '0'; expected a number of seconds greater than 0, "
            "such as 600",
        ),
        (["--timeout", "ten"], "error: column '--timeout': not a time limit; found 'ten'"),
        (["--period", "banana"], "not a period"),
        (["--la", "Atlantis"], "no local authority matches 'Atlantis'"),
    ],
    ids=["jobs-0", "jobs-word", "timeout-0", "timeout-word", "period-word", "unknown-la"],
)
def test_a_bad_argument_exits_2(tmp_path, args, message):
    run = render(*args, "--out", str(tmp_path))
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_a_bad_time_limit_in_the_environment_exits_2_naming_the_variable(tmp_path):
    import os

    run = render("--out", str(tmp_path), env={**os.environ, "CSDEMAND_RENDER_TIMEOUT": "soon"})
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: column '$CSDEMAND_RENDER_TIMEOUT': not a time limit; found 'soon'; expected a number of seconds "
        "greater than 0, such as 600"
    )


def test_the_time_limit_is_the_environment_value_else_600(monkeypatch):
    monkeypatch.delenv("CSDEMAND_RENDER_TIMEOUT", raising=False)
    assert execution.default_timeout() == 600.0
    monkeypatch.setenv("CSDEMAND_RENDER_TIMEOUT", "90.5")
    assert execution.default_timeout() == 90.5
    assert execution.parse_timeout("2") == 2.0
