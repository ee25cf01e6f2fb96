"""Tiny briefing notebooks for the fault tests: fast to run, and each can be told to sleep.

``quick`` (order 0) shows a provenance record and nothing else; in code cell 3, ``slow`` (order
1) writes its kernel's pid, its launcher's (or parent's) and its parent's to
``$CSDEMAND_TEST_PIDS/<la>.pid`` and then, for the authorities listed in ``$CSDEMAND_TEST_SLOW``,
sleeps ``$CSDEMAND_TEST_SLEEP`` seconds (so a test can kill the kernel, its worker or the run at
a known place); ``boom`` (order 2) raises ``ValueError`` in code cell 3. None imports csdemand,
so a kernel is ready in about a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PROVENANCE = (
    "from IPython.display import display\n"
    "display({'application/vnd.csdemand.provenance+json': {'title': f'Tiny {NAME} for {la}', 'subtitle': '', "
    "'parameters': {'resolved period': '2025'}, 'sources': [], 'notes': [], 'figures': []}, 'text/plain': "
    "'provenance'}, raw=True)"
)  # NAME is set by the notebook's code cell 2

PID = (
    "pids = os.environ.get('CSDEMAND_TEST_PIDS')\n"
    "if pids:\n"
    "    tmp = os.path.join(pids, f'.{la}.pid')\n"
    "    launcher = os.environ.get('CSDEMAND_KERNEL_LAUNCHER') or os.getppid()\n"
    "    open(tmp, 'w').write(f'{os.getpid()} {launcher} {os.getppid()}')\n"
    "    os.replace(tmp, os.path.join(pids, f'{la}.pid'))"
)

SLEEP = (
    "\nif la in os.environ.get('CSDEMAND_TEST_SLOW', '').split(','):\n    "
    "time.sleep(float(os.environ.get('CSDEMAND_TEST_SLEEP', '60')))"
)


def _notebook(name: str, order: int, cells: list[str]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "csdemand", "display_name": "Python (csdemand)", "language": "python"}
    nb.metadata["csdemand"] = {"title": name, "period_kind": "year", "order": order, "reads_local": []}
    nb.cells = [
        new_markdown_cell(f"# Tiny {name}"),
        new_code_cell('la: str = "352"\nperiod: str = "latest"', metadata={"tags": ["parameters"]}),
        *[new_code_cell(c) for c in cells],  # code cells 2, 3, 4 (the parameters cell is 1)
    ]
    return nb


def write(folder: Path) -> Path:
    """Write the three notebooks into ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    books = {
        "quick": _notebook("quick", 0, ["NAME = 'quick'", "x = 1", PROVENANCE]),
        "slow": _notebook("slow", 1, ["import os, time\nNAME = 'slow'", PID + SLEEP, PROVENANCE]),
        "boom": _notebook("boom", 2, ["NAME = 'boom'", "raise ValueError('boom in cell 3')", PROVENANCE]),
    }
    for name, nb in books.items():
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return folder


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment for ``python -m csdemand render`` over the tiny notebooks: an empty data
    config (no local sources to validate), a private temporary folder (kernel folders land
    there) and a folder for the kernels' pid files."""
    notebooks = write(tmp_path / "notebooks")
    (tmp_path / "pids").mkdir(exist_ok=True)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    (tmp_path / "data.yml").write_text("version: 1\ntables: {}\n")
    return {
        **os.environ,
        "CSDEMAND_NOTEBOOKS": str(notebooks),
        "CSDEMAND_CONFIG": str(tmp_path / "data.yml"),
        "CSDEMAND_TEST_PIDS": str(tmp_path / "pids"),
        "TMPDIR": str(tmp_path / "tmp"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """``python -m csdemand render ARGS`` in the background, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "csdemand", "render", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_pid(folder: Path, la: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> int:
    """The pid the slow notebook wrote for ``la``, once it is there (it then sleeps in cell 3)."""
    path = folder / f"{la}.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return int(path.read_text().split()[0])
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the render ended before the kernel started: {proc.communicate()}")
        time.sleep(0.05)
    raise AssertionError(f"no kernel pid for {la} after {timeout} s")


def worker_of(folder: Path, la: str) -> int:
    """The render worker that runs ``la``'s slow kernel: the parent of the kernel's launcher (the
    kernel itself was forked by the warm-kernel server), or of the kernel started the usual way."""
    launcher = int((folder / f"{la}.pid").read_text().split()[1])
    return parent_of(launcher)


def pids_of(folder: Path, la: str) -> tuple[int, int, int]:
    """(kernel, launcher, parent) as ``la``'s slow kernel wrote them: a kernel forked by the
    warm-kernel server has the server for parent and a launcher apart; one started the usual way
    has its worker for both."""
    kernel, launcher, parent = (int(p) for p in (folder / f"{la}.pid").read_text().split())
    return kernel, launcher, parent


def parent_of(pid: int) -> int:
    """A process's parent."""
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def kernel_dirs(tmp_path: Path) -> list[str]:
    """Kernel folders in the run's private temporary folder."""
    return sorted(p.name for p in (tmp_path / "tmp").glob("csdemand-kernel-*"))
