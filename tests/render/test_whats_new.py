"""Two runs in a row with no new data, then a data change: what the "What's new" box, the record,
``--only-changed`` and the index say (issue 14, item 1), on Manchester's looked-after briefing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from csdemand.core import paths
from csdemand.render import changes

pytestmark = pytest.mark.notebook


def render(out, env, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--la", "352", "--briefing", "looked_after", "--out", str(out)]
        + list(extra),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def files(folder) -> dict:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def changed_data(folder):
    """The shipped tables with Manchester's 2025 looked-after count and rate changed (1,280 -> 1,300,
    97 -> 99), as a corrected re-import would."""
    shutil.copytree(paths.data_dir(), folder, ignore=shutil.ignore_patterns("local"))
    lines = (folder / "cla.csv").read_text().splitlines()
    edits = {
        "E08000003,352,Manchester,la,E12000002,North West,2025,cla_count,1280,": "1300",
        "E08000003,352,Manchester,la,E12000002,North West,2025,cla_rate,97,": "99",
    }
    done = 0
    for i, line in enumerate(lines):
        for start, value in edits.items():
            if line.startswith(start):
                head = start.rsplit(",", 2)[0]
                lines[i] = f"{head},{value}," + line[len(start) :].replace("1280,", "1300,", 1)
                done += 1
    assert done == 2
    (folder / "cla.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("whats_new")
    env = {**os.environ, "CSDEMAND_CACHE": str(tmp / "cache")}
    out = tmp / "out"
    first = render(out, env)
    second = render(out, env)
    before = files(out)
    third = render(out, env, "--only-changed")
    after = files(out)
    changed_env = {**env, "CSDEMAND_DATA": str(changed_data(tmp / "data"))}
    fourth = render(out, changed_env, "--only-changed")
    return {"out": out, "runs": (first, second, third, fourth), "before": before, "after": after}


def report(runs) -> tuple[str, dict]:
    page = runs["out"] / "352-manchester" / "2025" / "looked_after.html"
    return page.read_text(), json.loads(page.with_suffix(".json").read_text())


def test_the_second_run_with_no_new_data_says_no_new_published_data(runs):
    first, second, _, _ = runs["runs"]
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    folder = runs["out"] / "352-manchester" / "2025"
    previous = json.loads(runs["before"][folder / "looked_after.previous.json"][0])  # the first run's record
    day = changes.day_label(previous["rendered_at"])
    page = runs["before"][runs["out"] / "352-manchester" / "2025" / "looked_after.html"][0].decode()
    assert f"No new published data since the briefing of {day}." in page
    rec = json.loads(runs["before"][runs["out"] / "352-manchester" / "2025" / "looked_after.json"][0])
    assert rec["changes"]["status"] == "unchanged" and rec["changes"]["items"] == []
    assert rec["requested_period"] == "latest" and rec["inputs_hash"] and rec["code_hash"]


def test_only_changed_with_nothing_new_renders_nothing_rewrites_nothing_and_exits_0(runs):
    third = runs["runs"][2]
    assert third.returncode == 0, third.stderr
    assert "0 rendered, 0 failed, 1 unchanged" in third.stdout
    assert f"unchanged {runs['out'] / '352-manchester' / '2025' / 'looked_after.html'}" in third.stdout
    assert runs["after"] == runs["before"]  # every file, the index included, byte for byte and untouched


def test_after_a_data_change_only_changed_renders_and_lists_the_changed_figures(runs):
    fourth = runs["runs"][3]
    assert fourth.returncode == 0, fourth.stderr
    assert "1 rendered, 0 failed, 0 unchanged" in fourth.stdout
    page, record = report(runs)
    items = record["changes"]["items"]
    assert record["changes"]["status"] == "changed"
    assert "Revised: Children looked after at 31 March, the year to March 2025: 1,300 (was 1,280)" in items
    assert "Revised: Children looked after per 10000 children, the year to March 2025: 99 (was 97)" in items
    assert record["changes"]["headline"].startswith("No new release since the briefing of ")
    assert "but the published tables were corrected or re-imported" in page
    assert "1,300 (was 1,280)" in page and "99 (was 97)" in page
    previous = json.loads((runs["out"] / "352-manchester" / "2025" / "looked_after.previous.json").read_text())
    assert {f["measure"]: f["value"] for f in previous["figures"]}["cla_rate"] == 97


def test_the_index_marks_the_briefing_whose_figures_changed(runs):
    index = (runs["out"] / "index.html").read_text()
    assert "Figures changed" in index and "<strong>Current</strong>" in index
    assert "Run of " in index and "Department for Education: newest release April 2026" in index
