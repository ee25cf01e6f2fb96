"""Several files written so that a failure leaves the old ones in place."""

from __future__ import annotations

import os

import pytest

from csdemand.core import atomic


def test_all_files_are_replaced_together(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    atomic.write_texts({a: "one", b: "two"})
    assert a.read_text() == "one" and b.read_text() == "two"
    assert oct(a.stat().st_mode & 0o777) == "0o644"


def test_a_failure_while_staging_leaves_every_old_file_and_no_temporary_files(tmp_path, monkeypatch):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    atomic.write_texts({a: "old a", b: "old b"})
    real_chmod = os.chmod
    calls = []

    def failing_chmod(path, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_chmod(path, mode)

    monkeypatch.setattr(os, "chmod", failing_chmod)
    with pytest.raises(OSError, match="disk full"):
        atomic.write_texts({a: "new a", b: "new b"})
    assert a.read_text() == "old a" and b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def _dead_pid() -> int:
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_staging_files_carry_the_writer_pid(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic.write_texts({tmp_path / "a.html": "x"})
    assert len(seen) == 1 and atomic.STAGING.fullmatch(seen[0])["pid"] == str(os.getpid())
    assert atomic.STAGING.fullmatch(seen[0])["name"] == "a.html"


def test_clean_stale_removes_only_staging_files_whose_writer_is_gone(tmp_path):
    dead = _dead_pid()
    folder = tmp_path / "352-manchester" / "2025"
    folder.mkdir(parents=True)
    stale = folder / f".summary.html.{dead}.abcd_123.tmp"
    live = folder / f".summary.json.{os.getpid()}.abcd_123.tmp"
    report = folder / "summary.html"
    other = folder / ".notes.tmp"  # not a staging file's name
    old_legacy = tmp_path / ".index.html.Zx9_ab12.tmp"  # named before the pid was in the name
    new_legacy = tmp_path / ".index.html.Qq9_ab12.tmp"
    for p in (stale, live, report, other, old_legacy, new_legacy):
        p.write_text("x")
    day_and_more = os.path.getmtime(old_legacy) - atomic.LEGACY_AGE - 60
    os.utime(old_legacy, (day_and_more, day_and_more))
    removed = atomic.clean_stale(tmp_path)
    assert sorted(removed) == sorted([stale, old_legacy])
    assert live.exists() and report.exists() and other.exists() and new_legacy.exists()


def test_a_reused_pid_does_not_keep_a_stale_file(tmp_path):
    """The pid runs, but its process started after the file was written: not the writer."""
    init_started_long_ago = 1  # pid 1 runs, and started before any file written in this test
    stale = tmp_path / f".a.html.{init_started_long_ago}.abcd1234.tmp"
    stale.write_text("x")
    assert atomic.process_alive(1, since=os.path.getmtime(stale))
    os.utime(stale, (1_000_000, 1_000_000))  # written in 1970, before pid 1 started
    assert not atomic.process_alive(1, since=1_000_000)
    assert atomic.clean_stale(tmp_path) == [stale]
