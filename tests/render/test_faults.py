"""Faults during a render: a kernel or a worker killed, SIGTERM/SIGINT, the time limit, a SIGKILLed run.

Each runs ``python -m csdemand render`` over the tiny notebooks of :mod:`tests.render.tiny` in a
subprocess with a private temporary folder, kills something at a known place (the slow notebook
sleeps in code cell 3 after writing its kernel's pid) and checks the exit status, the messages
and what is left on disk.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.render import tiny

pytestmark = pytest.mark.notebook

WAIT = 90  # seconds a run may take at most in these tests (they take a few on an idle machine)


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=WAIT)
    return proc.returncode, out, err


def test_a_kernel_killed_mid_notebook_fails_that_briefing_within_seconds_and_the_run_goes_on(tmp_path):
    """Also: a cell that raises is a failed briefing naming the cell (``boom``)."""
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    out = tmp_path / "out"
    proc = tiny.start(["--la", "352", "330", "--briefing", "quick", "slow", "boom", "--out", str(out)], env)
    kernel = tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    killed_at = time.monotonic()
    os.kill(kernel, signal.SIGKILL)  # as the out-of-memory killer would
    code, stdout, stderr = finish(proc)
    assert code == 1
    assert (
        "FAILED   slow for LA 352: slow: the kernel died while running cell 3 (killed by signal 9 (SIGKILL); the "
        "out-of-memory killer sends SIGKILL)" in stderr
    )
    assert "FAILED   boom for LA 352: boom: cell 3 raised ValueError: boom in cell 3" in stderr
    assert "FAILED   boom for LA 330: boom: cell 3 raised ValueError: boom in cell 3" in stderr
    assert "3 rendered, 3 failed" in stdout
    # Reported in seconds (it hung for 10 minutes before), and the rest rendered after it.
    assert time.monotonic() - killed_at < 30
    index = (out / "index.html").read_text()
    for href in ("352-manchester/2025/quick.html", "330-birmingham/2025/quick.html", "330-birmingham/2025/slow.html"):
        assert href in index
    assert not (out / "352-manchester" / "2025" / "slow.html").exists()
    assert tiny.kernel_dirs(tmp_path) == [] and "Traceback" not in stderr


def test_a_killed_worker_with_two_jobs_fails_one_briefing_and_the_others_render_with_an_index(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    out = tmp_path / "out"
    proc = tiny.start(["--la", "352", "330", "--briefing", "quick", "slow", "--jobs", "2", "--out", str(out)], env)
    kernel = tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    worker = tiny.worker_of(tmp_path / "pids", "352")
    assert worker != proc.pid
    os.kill(worker, signal.SIGKILL)
    code, stdout, stderr = finish(proc)
    assert code == 1
    assert "FAILED   slow for LA 352: worker killed by signal 9 (SIGKILL) while rendering this briefing" in stderr
    assert "BrokenProcessPool" not in stderr and "Traceback" not in stderr
    assert "3 rendered, 1 failed" in stdout
    index = (out / "index.html").read_text()
    assert "3 briefings for 2 authorities" in index and "330-birmingham/2025/slow.html" in index
    deadline = time.monotonic() + 10  # the orphaned kernel notices its parent is gone within a second or two
    while tiny.alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not tiny.alive(kernel)
    assert tiny.kernel_dirs(tmp_path) == []


def test_sigterm_stops_the_run_at_once_and_leaves_the_previous_report_and_no_temporary_files(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    out = tmp_path / "out"
    previous = out / "352-manchester" / "2025"
    previous.mkdir(parents=True)
    for suffix, text in (
        (".html", "<p>last good slow report</p>"),
        (".ipynb", "{}"),
        (".json", '{"briefing": "slow"}'),
    ):
        (previous / f"slow{suffix}").write_text(text)
    before = {p.name: p.read_bytes() for p in previous.glob("slow.*")}
    proc = tiny.start(["--la", "352", "330", "--briefing", "quick", "slow", "--out", str(out)], env)
    kernel = tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code, _stdout, stderr = finish(proc)
    assert code == 143
    assert time.monotonic() - sent < 15
    assert stderr.strip().splitlines()[-1] == (
        "stopped by SIGTERM: abandoned slow for LA 352 (nothing of it was written); 2 briefings not started; "
        "1 rendered before the stop; index rebuilt"
    )
    assert "Traceback" not in stderr and "never retrieved" not in stderr
    assert {p.name: p.read_bytes() for p in previous.glob("slow.*")} == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert tiny.kernel_dirs(tmp_path) == [] and not tiny.alive(kernel)
    assert "352-manchester/2025/quick.html" in (out / "index.html").read_text()


def test_sigint_with_two_jobs_stops_every_worker_and_kernel_with_status_130(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352,330")
    out = tmp_path / "out"
    proc = tiny.start(["--la", "352", "330", "--briefing", "slow", "--jobs", "2", "--out", str(out)], env)
    kernels = [tiny.wait_for_pid(tmp_path / "pids", la, proc=proc) for la in ("352", "330")]
    proc.send_signal(signal.SIGINT)
    code, _stdout, stderr = finish(proc)
    assert code == 130
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("stopped by SIGINT: abandoned slow for LA ") and "0 rendered before the stop" in last
    assert "352" in last and "330" in last
    assert not [k for k in kernels if tiny.alive(k)]
    assert tiny.kernel_dirs(tmp_path) == []
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_a_briefing_at_the_time_limit_fails_naming_the_limit_and_the_next_one_renders(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352", CSDEMAND_RENDER_TIMEOUT="600")
    out = tmp_path / "out"
    started = time.monotonic()
    proc = tiny.start(["--la", "352", "330", "--briefing", "quick", "slow", "--timeout", "2", "--out", str(out)], env)
    code, stdout, stderr = finish(proc)
    assert code == 1
    assert (
        "FAILED   slow for LA 352: slow: stopped at the time limit of 2 s while running cell 3 (render --timeout or "
        "$CSDEMAND_RENDER_TIMEOUT sets the limit)" in stderr
    )
    assert "3 rendered, 1 failed" in stdout
    assert (out / "330-birmingham" / "2025" / "slow.html").exists()  # a fresh kernel took the next one
    assert time.monotonic() - started < 60
    assert tiny.kernel_dirs(tmp_path) == []


def test_the_run_after_a_sigkilled_one_removes_its_leftovers_and_lists_its_report_in_the_index(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    out = tmp_path / "out"
    proc = tiny.start(["--la", "352", "--briefing", "quick", "slow", "--out", str(out)], env)
    kernel = tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)  # quick is written by now
    proc.kill()
    proc.communicate(timeout=WAIT)
    deadline = time.monotonic() + 10
    while tiny.alive(kernel) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (out / "352-manchester" / "2025" / "quick.html").exists() and not (out / "index.html").exists()
    assert len(tiny.kernel_dirs(tmp_path)) == 1  # what a SIGKILL leaves
    # A staging file of a write the kill interrupted (the dead run's pid), and one of a live writer.
    stale = out / "352-manchester" / "2025" / f".slow.html.{proc.pid}.abcd1234.tmp"
    stale.write_text("half a report")
    live = out / "352-manchester" / "2025" / f".slow.json.{os.getpid()}.efgh5678.tmp"
    live.write_text("being written")
    nxt = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--la", "330", "--briefing", "quick", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert nxt.returncode == 0, nxt.stderr
    assert re.search(
        r"cleaned  1 temporary file in .* and 1 kernel folder left by a render that was stopped", nxt.stdout
    )
    assert "rebuilt  " in nxt.stdout
    assert not stale.exists() and live.exists()
    assert tiny.kernel_dirs(tmp_path) == []
    index = (out / "index.html").read_text()
    assert "352-manchester/2025/quick.html" in index and "330-birmingham/2025/quick.html" in index
