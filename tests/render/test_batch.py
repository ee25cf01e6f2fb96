"""Rendering briefings end to end: Papermill, HTML without code, figures, atomic writes, exit codes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from csdemand.core import paths
from csdemand.core.errors import RenderError
from csdemand.render import batch as render

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, test_output):
    """Manchester and Birmingham LAC briefings rendered once for this module (kept in test-output)."""
    out = test_output / "reports"
    shutil.rmtree(out, ignore_errors=True)
    lac = next(b for b in render.discover() if b.name == "looked_after")
    return {la: render.render_one(lac, la, "latest", out) for la in ("352", "330")}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_report_path_is_deterministic(rendered):
    assert rendered["352"].as_posix().endswith("reports/352-manchester/2025/looked_after.html")
    assert rendered["352"].with_suffix(".ipynb").exists()


def test_manchester_briefing_shows_the_published_figures(rendered):
    text = text_of(rendered["352"].read_text())
    assert "Children looked after: Manchester, 2025" in text
    for figure in ("1,280", "97 per 10,000", "67 for England", "88.9", "90.5", "9 of 11"):
        assert figure in text, figure


def test_2021_neighbour_model_renders_its_mean_of_90_3(tmp_path):
    lac = next(b for b in render.discover() if b.name == "looked_after")
    nb = render.execute(lac, {"la": "352", "period": "2025", "neighbour_model": "2021"}, tmp_path)
    assert "90.3" in text_of(render.body_html(render.for_report(nb)))


def test_birmingham_renders_by_changing_only_the_parameter(rendered):
    assert rendered["330"].as_posix().endswith("330-birmingham/2025/looked_after.html")
    text = text_of(rendered["330"].read_text())
    assert "Children looked after: Birmingham, 2025" in text and "2,317" in text


def test_briefing_has_no_code_no_prompts_and_nothing_from_other_hosts(rendered):
    html = rendered["352"].read_text()
    assert "from csdemand" not in html and "looked_after.benchmark" not in html
    assert "In&nbsp;[" not in html and "jp-InputPrompt" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html


def test_every_chart_has_alt_text_and_a_table_alternative(rendered):
    html = rendered["352"].read_text()
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 6
    assert all(re.search(r'alt="[^"]{40,}"', i) for i in imgs)
    assert all(i.count("data:image/png;base64,") == 1 for i in imgs)
    assert html.count("View as table") == 6


def test_header_shows_publication_date_parameters_and_render_time(rendered):
    text = text_of(rendered["352"].read_text())
    assert "Data published: April 2026" in text
    assert "Rendered:" in text and "statistical neighbour model" in text and "Open Government Licence" in text


def test_failed_render_keeps_the_last_good_report(rendered, tmp_path, monkeypatch):
    good = rendered["352"]
    before = good.read_bytes()
    broken = tmp_path / "data"
    shutil.copytree(paths.data_dir(), broken)
    (broken / "cla.csv").write_text("not,a,table\n")
    monkeypatch.setenv("CSDEMAND_DATA", str(broken))
    lac = next(b for b in render.discover() if b.name == "looked_after")
    with pytest.raises(RenderError, match=r"looked_after: cell \d+ raised"):
        render.render_one(lac, "352", "2025", good.parents[2])
    assert good.read_bytes() == before


def test_command_line_exits_non_zero_and_names_the_cell_when_a_briefing_fails(tmp_path):
    """A year the data hold that a briefing still cannot render (children in need start in
    2013): the referrals briefing fails in a named cell, exit 1, and nothing is written."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "csdemand",
            "render",
            "--la",
            "352",
            "--period",
            "2011",
            "--briefing",
            "referrals",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert run.returncode == 1
    assert re.search(r"referrals.*cell \d+ raised \w+Error.*2011", run.stderr)
    assert "0 rendered, 1 failed" in run.stdout
    assert not list(Path(tmp_path).rglob("*.html"))


def test_unknown_briefing_name_is_refused(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--briefing", "nope", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "no briefing notebook named nope" in run.stderr and "Traceback" not in run.stderr


def test_a_period_that_is_not_a_year_or_month_is_bad_input(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--period", "banana", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "not a period" in run.stderr


def test_text_from_data_files_is_escaped(monkeypatch, tmp_path):
    import pandas as pd

    from csdemand.present.html import table_html

    html = table_html(pd.DataFrame({"Local authority": ["<script>alert(1)</script>"]}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = render.page(
        {"title": "<b>x</b>", "subtitle": "", "parameters": {"la": "<i>"}, "sources": [], "notes": []},
        "",
        __import__("datetime").datetime.now(),
        "abc",
    )
    assert "<b>x</b>" not in page and "&lt;i&gt;" in page


@pytest.fixture(scope="module")
def rendered_referrals(test_output):
    out = test_output / "reports"
    ref = next(b for b in render.discover() if b.name == "referrals")
    return {
        "2024": render.render_one(ref, "352", "2024", out),
        "latest": render.render_one(ref, "352", "latest", out),
        "330": render.render_one(ref, "330", "latest", out),
    }


def test_referrals_briefing_2024_shows_published_figures(rendered_referrals):
    path = rendered_referrals["2024"]
    assert path.as_posix().endswith("352-manchester/2024/referrals.html")
    text = text_of(path.read_text())
    for figure in ("6,525", "502.8", "18.7%", "518.3"):
        assert figure in text, figure


def test_referrals_briefing_2025_shows_domestic_abuse_parent_share(rendered_referrals):
    text = text_of(rendered_referrals["latest"].read_text())
    assert "1,687" in text and "25.5" in text and "must not be added together" in text
    assert "SYNTHETIC" in text and "Reconciliation" in text


def test_referrals_briefing_renders_for_another_authority_without_an_extract(rendered_referrals):
    text = text_of(rendered_referrals["330"].read_text())
    assert "Referrals and domestic abuse: Birmingham, 2025" in text
    assert "No local referrals extract is configured" in text


def test_no_child_ids_from_the_extract_reach_the_report_or_the_executed_notebook(rendered_referrals):
    import csv

    with open(paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv", newline="") as fh:
        ids = {row["child_id"] for _, row in zip(range(2000), csv.DictReader(fh))}
    for path in (rendered_referrals["latest"], rendered_referrals["latest"].with_suffix(".ipynb")):
        body = path.read_text()
        assert not [i for i in ids if i in body]


def test_batch_with_two_jobs_renders_each_authority_writes_indexes_and_reports_failures(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "csdemand",
            "render",
            "--la",
            "352",
            "330",
            "--briefing",
            "looked_after",
            "--jobs",
            "2",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "2 rendered, 0 failed" in run.stdout
    index = (tmp_path / "index.html").read_text()
    assert "352-manchester/2025/looked_after.html" in index and "330-birmingham/2025/looked_after.html" in index
    la_index = (tmp_path / "352-manchester" / "index.html").read_text()
    assert "2025/looked_after.html" in la_index and "All authorities" in la_index
    record = __import__("json").loads((tmp_path / "352-manchester" / "2025" / "looked_after.json").read_text())
    assert record["title"] == "Children looked after: Manchester, 2025" and record["period"] == "2025"


def test_one_failing_authority_does_not_stop_the_rest(tmp_path, monkeypatch):
    next(b for b in render.discover() if b.name == "looked_after")
    calls = []

    def fake(briefing, la, period, out, executor=None, hashes=None):
        la = str(la.la_number)  # the authority arrives resolved, once per run
        calls.append(la)
        if la == "352":
            raise RenderError("looked_after: cell 2 raised ValueError: boom")
        return out / f"{la}.html"

    monkeypatch.setattr(render, "render_one", fake)
    monkeypatch.setattr(render, "write_indexes", lambda out, say=None: [])
    lines = []
    outcome = render.render_many(["352", "330"], briefings=["looked_after"], out_dir=tmp_path, log=lines.append)
    assert calls == ["352", "330"]
    assert len(outcome.failed) == 1 and "cell 2 raised ValueError" in outcome.failed[0]
    assert any(line.startswith("FAILED") for line in lines) and lines[-1].startswith("1 rendered, 1 failed")


def test_early_help_briefing_for_june_2021_shows_the_councils_figures(test_output):
    eh = next(b for b in render.discover() if b.name == "early_help")
    path = render.render_one(eh, "352", "2021-06", test_output / "reports")
    assert path.as_posix().endswith("352-manchester/2021-06/early_help.html")
    text = text_of(path.read_text())
    assert "Requests averaged 1,052 a month in the three months to June 2021, 57% more than the 672 a month" in text
    assert "December 2019" in text and "February 2020" in text and "April 2021" in text
    assert "SYNTHETIC" in text


def test_briefing_needing_a_local_extract_is_skipped_for_an_authority_without_one():
    eh = next(b for b in render.discover() if b.name == "early_help")
    assert eh.available_for("352-manchester") and not eh.available_for("330-birmingham")


def test_no_family_ids_from_the_early_help_extract_reach_the_report(test_output):
    import csv

    eh = next(b for b in render.discover() if b.name == "early_help")
    path = render.render_one(eh, "352", "latest", test_output / "reports")
    with open(paths.data_dir() / "local" / "early_help_requests_352-manchester_synthetic.csv", newline="") as fh:
        first = [row for _, row in zip(range(3000), csv.DictReader(fh))]
    ids = {row["family_id"] for row in first} | {row["request_id"] for row in first}
    for p in (path, path.with_suffix(".ipynb")):
        body = p.read_text()
        assert not [i for i in ids if i in body]


def test_render_refuses_invalid_data_and_leaves_reports_as_they_were(tmp_path):
    """The referrals briefing reads the local referrals: a bad date refuses it, naming the row
    and column, exit 1, and the last good report stays."""
    good = tmp_path / "reports" / "352-manchester" / "2025" / "referrals.html"
    good.parent.mkdir(parents=True)
    good.write_text("last good report")
    src = paths.data_dir() / "local" / "referrals_352-manchester_synthetic.csv"
    lines = src.read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[2], "2024-13-01")
    (tmp_path / "bad.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "data.yml").write_text(
        f"version: 1\ntables:\n  referrals:\n    format: csv\n    path: {tmp_path / 'bad.csv'}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--briefing", "referrals", "--out", str(tmp_path / "reports")],
        capture_output=True,
        text=True,
        env={**os.environ, "CSDEMAND_CONFIG": str(tmp_path / "data.yml")},
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "FAILED   referrals for LA 352: refused: the local referrals data for Manchester are invalid" in run.stderr
    assert "row 6, column 'referral_date'" in run.stderr and "0 rendered, 1 failed" in run.stdout
    assert good.read_text() == "last good report"
