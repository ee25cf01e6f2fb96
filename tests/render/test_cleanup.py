"""What a killed render leaves behind is recognised by its owner's pid and removed, and only that."""

from __future__ import annotations

import os
import subprocess

from csdemand.render import execution, output


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_kernel_folders_of_a_dead_render_are_removed_and_live_ones_kept(tmp_path):
    dead = dead_pid()
    stale = tmp_path / f"csdemand-kernel-{dead}-ab_cd123"
    live = tmp_path / f"csdemand-kernel-{os.getpid()}-ef_gh456"
    unrelated = tmp_path / "csdemand-kernel-notes"
    for d in (stale, live, unrelated):
        d.mkdir()
        (d / "kernel.json").write_text("{}")
    assert execution.clean_stale_kernel_dirs(tmp_path) == [stale]
    assert live.exists() and unrelated.exists() and not stale.exists()


def test_a_worker_seen_dying_has_its_kernel_folders_removed_at_once(tmp_path):
    mine = tmp_path / f"csdemand-kernel-{os.getpid()}-ab_cd123"
    other = tmp_path / f"csdemand-kernel-{os.getpid() + 1}-ab_cd123"
    mine.mkdir()
    other.mkdir()
    assert execution.clean_stale_kernel_dirs(tmp_path, owner=os.getpid()) == [mine]
    assert other.exists()


def test_a_kernel_folder_is_named_after_its_process(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = execution.kernel_dir()
    assert os.path.basename(folder).startswith(f"csdemand-kernel-{os.getpid()}-")


def test_start_up_probes_of_a_dead_render_are_removed(tmp_path):
    dead = dead_pid()
    (tmp_path / f".csdemand-probe.{dead}").write_text("x")
    (tmp_path / f".csdemand-probe.{os.getpid()}").write_text("x")
    removed = output.clean_stale(tmp_path)
    assert [p.name for p in removed] == [f".csdemand-probe.{dead}"]
    assert (tmp_path / f".csdemand-probe.{os.getpid()}").exists()


def test_the_start_up_check_leaves_no_probe_behind(tmp_path):
    output.check_writable(tmp_path / "new" / "reports")
    assert list((tmp_path / "new" / "reports").iterdir()) == []
