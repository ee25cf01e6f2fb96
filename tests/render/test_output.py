"""A full or read-only output folder: one line, exit status 2, the reports already there unchanged.

Two ways, both run where they can: a real tmpfs (``mount -t tmpfs``, which needs root and a
sandbox that allows mounts; skipped with the reason otherwise), and a simulated one (the write
raises ``OSError`` with ENOSPC or EROFS), which runs everywhere. ``pytest -ra`` shows which ran.
"""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from csdemand import cli
from csdemand.core import atomic
from tests.render import tiny

pytestmark = pytest.mark.notebook


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and its content hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def render(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", *args], env=env, capture_output=True, text=True, timeout=120
    )


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def tmpfs(tmp_path):
    """A 256 KB tmpfs mounted at ``tmp_path/mnt``, unmounted afterwards (skips where mounting is not allowed)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("real tmpfs not tried: mounting needs root (the simulated full and read-only folders ran instead)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(
            f"real tmpfs not available here ({made.stderr.strip() or 'mount failed'}); the simulated full and "
            "read-only folders ran instead"
        )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def plant_report(out: Path) -> None:
    """A previous run's report, record and index (as files: no need to render them)."""
    folder = out / "352-manchester" / "2025"
    folder.mkdir(parents=True)
    (folder / "quick.html").write_text("<p>last good report</p>")
    (folder / "quick.ipynb").write_text("{}")
    (folder / "quick.json").write_text(
        '{"briefing": "quick", "la_slug": "352-manchester", "period": "2025", "title": "Quick"}'
    )
    (out / "index.html").write_text("<p>index</p>")


def fill(mnt: Path, leave: int) -> None:
    """Fill the tmpfs until ``leave`` bytes are free."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    with open(mnt / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


def test_a_full_tmpfs_exits_2_with_one_line_and_keeps_the_reports(tmp_path, tmpfs):
    env = tiny.environment(tmp_path)
    out = tmpfs / "reports"
    plant_report(out)
    before = digest(out)
    fill(tmpfs, 0)
    run = render(["--la", "352", "330", "--briefing", "quick", "--out", str(out)], env)
    assert run.returncode == 2
    line = one_line_error(run.stderr)
    assert line == (
        f"error: file {out}: cannot write to the output folder (No space left on device, ENOSPC); free some space "
        "or choose another --out. Reports already there were left as they were"
    )
    assert digest(out) == before


def test_a_tmpfs_that_fills_during_the_run_exits_2_and_leaves_no_half_written_report(tmp_path, tmpfs):
    env = tiny.environment(tmp_path)
    out = tmpfs / "reports"
    plant_report(out)
    before = digest(out)
    fill(tmpfs, 8192)  # room for the start-up check (4 KB), not for a report (html, notebook and record)
    run = render(["--la", "352", "--briefing", "quick", "--out", str(out)], env)
    assert run.returncode == 2
    assert (
        "cannot write to the output folder (No space left on device, ENOSPC)" in run.stderr
        and "Traceback" not in run.stderr
    )
    assert digest(out) == before  # no staging file left, the old report unchanged


def test_a_read_only_tmpfs_exits_2_with_one_line_and_keeps_the_reports(tmp_path, tmpfs):
    env = tiny.environment(tmp_path)
    out = tmpfs / "reports"
    plant_report(out)
    before = digest(out)
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)]).returncode == 0
    run = render(["--la", "352", "--briefing", "quick", "--out", str(out)], env)
    assert run.returncode == 2
    assert one_line_error(run.stderr).endswith(
        "cannot write to the output folder (Read-only file system, EROFS); choose a writable --out. Reports already "
        "there were left as they were"
    )
    assert digest(out) == before


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "No space left on device, ENOSPC"),
        (errno.EROFS, "Read-only file system, EROFS"),
        (errno.EACCES, "Permission denied, EACCES"),
    ],
    ids=["simulated-full", "simulated-read-only", "simulated-no-permission"],
)
def test_a_simulated_write_failure_during_the_run_exits_2_and_keeps_the_reports(
    tmp_path, monkeypatch, capsys, code, words
):
    """The folder passes the start-up check, then refuses the report (the disk filled, it was
    remounted read-only): the staging write raises, exit 2 with one line, nothing changed."""
    env = tiny.environment(tmp_path)
    for key in ("CSDEMAND_NOTEBOOKS", "CSDEMAND_CONFIG"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setattr(tempfile, "tempdir", env["TMPDIR"])
    out = tmp_path / "out"
    plant_report(out)
    before = digest(out)
    real = tempfile.mkstemp

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    assert cli.main(["render", "--la", "352", "330", "--briefing", "quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert one_line_error(err).startswith(f"error: file {out}: cannot write to the output folder ({words}); ")
    monkeypatch.setattr(atomic.tempfile, "mkstemp", real)
    assert digest(out) == before
    assert tiny.kernel_dirs(tmp_path) == []


def test_an_output_folder_that_is_a_file_exits_2(tmp_path):
    env = tiny.environment(tmp_path)
    (tmp_path / "file").write_text("not a folder")
    run = render(["--la", "352", "--briefing", "quick", "--out", str(tmp_path / "file")], env)
    assert run.returncode == 2
    assert one_line_error(run.stderr) == (
        f"error: file {tmp_path / 'file'}: the output folder is a file, not a folder; expected a folder for the "
        "reports (--out)"
    )
