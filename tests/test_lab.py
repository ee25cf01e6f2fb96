"""`make lab` starts JupyterLab on the notebooks with the project's kernel, as root too (issue 14)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from csdemand.core import paths

NOTEBOOKS = {"summary.ipynb", "early_help.ipynb", "referrals.ipynb", "looked_after.ipynb"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:  # a local server this test started
        return json.load(r)


def test_make_lab_starts_jupyterlab_on_the_notebooks_with_the_csdemand_kernel_and_stops(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    if subprocess.run(["make", "-q", ".venv/.installed-lab"], cwd=paths.ROOT).returncode != 0:
        pytest.skip("JupyterLab is not installed in .venv (make test and make lab install requirements-lab.lock)")
    port, token = _free_port(), secrets.token_hex(12)
    env = {
        # as a user types it, not as make test's own make passes it down ("Entering directory" lines)
        **{k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")},
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),  # nothing of the user's own set-up is read or written
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    args = f"LAB_ARGS=--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    log = tmp_path / "lab.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            ["make", "lab", args], cwd=paths.ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline, specs = time.monotonic() + 120, None
        while specs is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                specs = _get(f"{base}/kernelspecs?token={token}")
            except OSError:
                time.sleep(0.5)
        assert specs is not None, f"JupyterLab did not answer: {log.read_text()[-2000:]}"
        assert specs["default"] == "csdemand" and "csdemand" in specs["kernelspecs"]
        listed = {c["name"] for c in _get(f"{base}/contents?token={token}")["content"]}
        assert listed >= NOTEBOOKS
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make and the server it started: this test's own session
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    text = log.read_text()
    command = text.splitlines()[0]
    assert command.startswith(".venv/bin/jupyter lab --ServerApp.root_dir=notebooks")
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert "Running as root is not recommended" not in text
    assert "received signal 15, stopping" in text  # it stopped on SIGTERM
