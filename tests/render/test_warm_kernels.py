"""Warm kernels: every kernel of a run forked from one server that imported the libraries once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import nbformat
import pytest

from csdemand.render import warm_kernels
from tests.render import tiny

pytestmark = pytest.mark.skipif(not warm_kernels.available(), reason="warm kernels need Linux")

WAIT = 120


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while tiny.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not tiny.alive(pid)


def test_the_launcher_replaces_ipykernel_launcher_only_for_the_servers_own_interpreter_and_flags():
    config = {"address": "@k", "python": ["/venv/bin/python", "-Xfrozen_modules=off"]}
    cmd = ["/venv/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert warm_kernels.launcher_command(cmd, config) == [
        "/venv/bin/python",
        "-Xfrozen_modules=off",
        "-m",
        "csdemand.render.warm_kernels",
        "launch",
        "@k",
        "-f",
        "/tmp/k.json",
    ]
    assert warm_kernels.launcher_command(["/other/python", *cmd[1:]], config) is None
    assert warm_kernels.launcher_command(["/venv/bin/python", "-m", "ipykernel_launcher", "-f", "k"], config) is None
    assert warm_kernels.launcher_command(["/venv/bin/R", "--slave", "-f", "k"], config) is None


def test_a_launcher_is_told_of_the_server_only_through_a_well_formed_environment_variable(monkeypatch):
    monkeypatch.setenv(warm_kernels.ENV, "not json")
    assert warm_kernels.current() is None
    monkeypatch.setenv(warm_kernels.ENV, json.dumps({"address": "@a", "python": ["/p"]}))
    assert warm_kernels.current() == {"address": "@a", "python": ["/p"]}
    monkeypatch.delenv(warm_kernels.ENV)
    assert warm_kernels.current() is None


def test_a_run_with_two_jobs_forks_every_kernel_from_one_server_and_leaves_no_process_behind(tmp_path):
    env = tiny.environment(tmp_path)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--la", "352", "330", "--briefing", "quick", "slow"]
        + ["--jobs", "2", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert run.returncode == 0, run.stderr
    assert "4 rendered, 0 failed" in run.stdout
    (k1, launcher1, server1), (k2, launcher2, server2) = (tiny.pids_of(tmp_path / "pids", la) for la in ("352", "330"))
    assert server1 == server2, "both kernels have the one server for parent"
    assert launcher1 != server1 and launcher2 != server2  # a launcher apart: forked, not started
    for pid in (k1, k2, server1, launcher1, launcher2):
        assert _gone(pid), f"process {pid} outlived the run"
    assert tiny.kernel_dirs(tmp_path) == []


def test_with_warm_kernels_switched_off_each_kernel_is_started_the_usual_way(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_WARM_KERNELS_OFF="1")
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--la", "352", "--briefing", "quick", "slow"]
        + ["--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert run.returncode == 0, run.stderr
    kernel, launcher, parent = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher == parent != kernel  # no launcher apart: the worker started the kernel itself


def test_a_launcher_whose_server_is_gone_becomes_an_ordinary_kernel_and_the_notebook_runs(tmp_path, monkeypatch):
    from csdemand.render.execution import Executor

    env = tiny.environment(tmp_path)
    notebooks = tmp_path / "notebooks"
    python = [sys.executable]
    monkeypatch.setenv(warm_kernels.ENV, json.dumps({"address": "@csdemand-kernels-gone", "python": python}))
    monkeypatch.setenv("CSDEMAND_TEST_PIDS", env["CSDEMAND_TEST_PIDS"])
    monkeypatch.setenv("TMPDIR", env["TMPDIR"])
    brief = type("B", (), {"path": notebooks / "slow.ipynb", "name": "slow"})()
    with Executor(kernel_name="python3", timeout=WAIT) as ex:
        spec = ex.kernel_name
        assert spec == "python3"
        nb = ex.run(brief, {"la": "352", "period": "latest"})
    assert any(o.get("output_type") == "display_data" for c in nb.cells for o in c.get("outputs", []))
    _kernel, launcher, parent = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher == parent  # the launcher exec'd ipykernel itself: no server, no separate launcher


def test_killing_a_launcher_kills_its_kernel_and_fails_that_briefing_as_killed_by_signal_9(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    proc = tiny.start(["--la", "352", "330", "--briefing", "slow", "--out", str(tmp_path / "out")], env)
    tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    kernel, launcher, server = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher != server
    os.kill(launcher, signal.SIGKILL)
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 1
    assert "FAILED   slow for LA 352: slow: the kernel died while running cell 3 (killed by signal 9 (SIGKILL)" in err
    assert "1 rendered, 1 failed" in out
    assert _gone(kernel) and _gone(server)


def test_a_kernel_killed_by_signal_9_reads_as_killed_by_signal_9_through_its_launcher(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    proc = tiny.start(["--la", "352", "--briefing", "quick", "slow", "--out", str(tmp_path / "out")], env)
    tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    kernel, launcher, server = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher != server  # forked
    os.kill(kernel, signal.SIGKILL)
    out, err = proc.communicate(timeout=WAIT)
    assert "killed by signal 9 (SIGKILL); the out-of-memory killer sends SIGKILL" in err
    assert "1 rendered, 1 failed" in out
    assert _gone(launcher) and _gone(server)


def test_when_the_render_process_is_killed_its_server_and_kernels_end_within_seconds(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    proc = tiny.start(["--la", "352", "--briefing", "slow", "--out", str(tmp_path / "out")], env)
    tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    kernel, _launcher, server = tiny.pids_of(tmp_path / "pids", "352")
    proc.kill()
    proc.communicate(timeout=WAIT)
    assert _gone(server, 15) and _gone(kernel, 15)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_ask_the_server_for_a_kernel(tmp_path):
    server = warm_kernels.Server([sys.executable], "", dict(os.environ), str(tmp_path))
    try:
        name = "\0" + server.address.lstrip("@")
        deadline = time.monotonic() + 30
        while True:  # wait until the server listens
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(name)
                probe.close()
                break
            except OSError:
                probe.close()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        code = (
            "import os, socket, sys\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            f"s.connect({name!r})\n"
            "s.settimeout(10)\n"
            "s.sendall(b'\\x00\\x00\\x00\\x02{}')\n"
            "try:\n"
            "    print('answered' if s.recv(100) else 'closed')\n"
            "except ConnectionResetError:\n"
            "    print('closed')\n"
        )
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
        assert run.stdout.strip() == "closed", run.stdout + run.stderr  # no kernel, no answer
    finally:
        server.stop()
    assert server.proc.returncode == 0


@pytest.mark.notebook
def test_a_briefing_forked_from_the_server_shows_exactly_what_a_fresh_kernel_shows(tmp_path):
    """City of London's summary (suppressed figures, charts, tables) rendered with and without warm kernels."""
    shown = []
    for off in ("", "1"):
        out = tmp_path / f"out{off or 'warm'}"
        run = subprocess.run(
            [sys.executable, "-m", "csdemand", "render", "--la", "201", "352", "--briefing", "summary"]
            + ["--out", str(out)],
            env={**os.environ, "CSDEMAND_WARM_KERNELS_OFF": off},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr
        outputs = []
        for slug in ("201-city-of-london", "352-manchester"):
            nb = nbformat.read(str(out / slug / "2025" / "summary.ipynb"), as_version=4)
            outputs.append([o.get("data") for c in nb.cells for o in c.get("outputs", [])])
        shown.append(outputs)
    assert shown[0] == shown[1]
    assert any("image/png" in (d or {}) or "base64" in json.dumps(d) for d in shown[0][0])
