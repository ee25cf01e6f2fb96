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


def _render(args: list[str], env: dict[str, str], timeout: float = WAIT) -> subprocess.CompletedProcess:
    """``python -m csdemand render ARGS`` to the end, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_launcher_replaces_ipykernel_launcher_only_for_the_servers_own_interpreter_and_flags():
    config = {"address": "@k", "pid": 4321, "python": ["/venv/bin/python", "-Xfrozen_modules=off"]}
    cmd = ["/venv/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert warm_kernels.launcher_command(cmd, config) == [
        "/venv/bin/python",
        "-Xfrozen_modules=off",
        "-m",
        "csdemand.render.warm_kernels",
        "launch",
        "@k",
        "4321",
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
    assert warm_kernels.current() is None  # no server pid
    monkeypatch.setenv(warm_kernels.ENV, json.dumps({"address": "@a", "pid": 7, "python": ["/p"]}))
    assert warm_kernels.current() == {"address": "@a", "pid": 7, "python": ["/p"]}
    monkeypatch.delenv(warm_kernels.ENV)
    assert warm_kernels.current() is None


def test_a_run_with_two_jobs_forks_every_kernel_from_one_server_and_leaves_no_process_behind(tmp_path):
    env = tiny.environment(tmp_path)
    out = tmp_path / "out"
    run = _render(["--la", "352", "330", "--briefing", "quick", "slow", "--jobs", "2", "--out", str(out)], env)
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
    run = _render(["--la", "352", "--briefing", "quick", "slow", "--out", str(tmp_path / "out")], env)
    assert run.returncode == 0, run.stderr
    kernel, launcher, parent = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher == parent != kernel  # no launcher apart: the worker started the kernel itself


@pytest.mark.parametrize("server", ["gone", "not answering"])
def test_a_launcher_without_a_working_server_becomes_an_ordinary_kernel_and_the_notebook_runs(
    tmp_path, monkeypatch, server
):
    from csdemand.render.execution import Executor

    env = tiny.environment(tmp_path)
    held = None
    if server == "gone":
        config = {"address": "@csdemand-kernels-gone", "pid": 999999999, "python": [sys.executable]}
    else:  # a socket that listens and never answers, owned by a process that is not running
        held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        held.bind("\0csdemand-kernels-silent-" + str(os.getpid()))
        held.listen(4)
        config = {
            "address": "@csdemand-kernels-silent-" + str(os.getpid()),
            "pid": 999999999,
            "python": [sys.executable],
        }
    monkeypatch.setenv(warm_kernels.ENV, json.dumps(config))
    monkeypatch.setenv("CSDEMAND_TEST_PIDS", env["CSDEMAND_TEST_PIDS"])
    monkeypatch.setenv("TMPDIR", env["TMPDIR"])
    brief = type("B", (), {"path": tmp_path / "notebooks" / "slow.ipynb", "name": "slow"})()
    started = time.monotonic()
    try:
        with Executor(kernel_name="python3", timeout=WAIT) as ex:
            nb = ex.run(brief, {"la": "352", "period": "latest"})
            command = " ".join(ex.km.provisioner.process.args)
    finally:
        if held is not None:
            held.close()
    assert f"-m csdemand.render.warm_kernels launch {config['address']}" in command  # the launcher was asked
    assert time.monotonic() - started < 30  # it did not sit out REPLY_TIMEOUT: the server process is not running
    assert any(o.get("output_type") == "display_data" for c in nb.cells for o in c.get("outputs", []))
    _kernel, launcher, parent = tiny.pids_of(tmp_path / "pids", "352")
    assert launcher == parent  # no CSDEMAND_KERNEL_LAUNCHER: the launcher became the kernel itself


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
        # A well-formed request with three descriptors: without the uid check it would get a kernel.
        request = json.dumps({"args": ["-f", str(tmp_path / "k.json")], "cwd": "/", "env": {}, "launcher": 1})
        code = (
            "import os, socket, struct, sys\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            f"s.connect({name!r})\n"
            "s.settimeout(20)\n"
            f"body = {request!r}.encode()\n"
            "socket.send_fds(s, [struct.pack('!I', len(body)) + body], [0, 1, 2])\n"
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
        env = {**os.environ, "CSDEMAND_WARM_KERNELS_OFF": off}
        run = _render(["--la", "201", "352", "--briefing", "summary", "--out", str(out)], env, timeout=600)
        assert run.returncode == 0, run.stderr
        outputs = []
        for slug in ("201-city-of-london", "352-manchester"):
            nb = nbformat.read(str(out / slug / "2025" / "summary.ipynb"), as_version=4)
            outputs.append([o.get("data") for c in nb.cells for o in c.get("outputs", [])])
        shown.append(outputs)
    assert shown[0] == shown[1]
    assert any("image/png" in (d or {}) or "base64" in json.dumps(d) for d in shown[0][0])


def test_a_forked_kernel_prints_nothing_of_its_own_into_the_runs_output(tmp_path):
    """ipykernel prints a "Ctrl-C will not work" note when it has no parent to watch."""
    env = tiny.environment(tmp_path)
    run = _render(["--la", "352", "--briefing", "quick", "slow", "--out", str(tmp_path / "out")], env)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert [line.split()[0] for line in run.stdout.splitlines()] == ["rendered", "rendered", "2"]


def test_shutting_a_forked_kernel_down_ends_the_processes_its_cells_started(tmp_path):
    from csdemand.render.execution import Executor

    env = tiny.environment(tmp_path)
    pid_file = tmp_path / "sleep.pid"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "csdemand", "display_name": "Python (csdemand)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('la = "352"\nperiod = "latest"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            f"import subprocess\np = subprocess.Popen(['sleep', '600'])\nopen({str(pid_file)!r}, 'w').write(str(p.pid))"
        ),
    ]
    path = tmp_path / "notebooks" / "spawn.ipynb"
    nbformat.write(nb, str(path))
    brief = type("B", (), {"path": path, "name": "spawn"})()
    server = warm_kernels.Server(warm_kernels_python(), "", env, str(tmp_path))
    try:
        with Executor(timeout=WAIT) as ex:
            ex.run(brief, {"la": "352", "period": "latest"})
            assert "csdemand.render.warm_kernels launch" in " ".join(ex.km.provisioner.process.args)
            sleeper = int(pid_file.read_text())
            assert tiny.alive(sleeper)
        assert _gone(sleeper), "the cell's subprocess outlived its kernel"
    finally:
        server.stop()


def test_when_the_server_dies_its_kernel_ends_and_the_run_goes_on_with_kernels_started_the_usual_way(tmp_path):
    env = tiny.environment(tmp_path, CSDEMAND_TEST_SLOW="352")
    proc = tiny.start(["--la", "352", "330", "--briefing", "slow", "--out", str(tmp_path / "out")], env)
    tiny.wait_for_pid(tmp_path / "pids", "352", proc=proc)
    kernel, _launcher, server = tiny.pids_of(tmp_path / "pids", "352")
    os.kill(server, signal.SIGKILL)
    out, err = proc.communicate(timeout=WAIT)
    assert "FAILED   slow for LA 352: slow: the kernel died while running cell 3" in err
    assert "1 rendered, 1 failed" in out, out + err
    assert _gone(kernel)
    _kernel330, launcher330, parent330 = tiny.pids_of(tmp_path / "pids", "330")
    assert launcher330 == parent330 != server  # started the usual way, by its worker


def warm_kernels_python() -> list[str]:
    """The csdemand kernel's interpreter and flags, as the render's server is started with."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec("csdemand").argv
    return argv[: argv.index("-m")]
