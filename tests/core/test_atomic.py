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
