"""Rendered pages at the edges: the smallest authorities, a new authority, a year before one
existed, and a past year's referrals briefing. Each page is scanned as scripts/sweep.py scans the
whole sweep (no nan, None, "not available%", bare %, rank 0 or repeated phrase), on single
briefings so the test stays fast."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csdemand.core import paths

pytestmark = pytest.mark.notebook


def _sweep():
    spec = importlib.util.spec_from_file_location("sweep", paths.ROOT / "scripts" / "sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sweep = _sweep()


def _render(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--out", str(out), *args], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pages")
    run = _render(out, "--la", "201", "420", "943", "--period", "2025", "--briefing", "looked_after", "referrals")
    assert run.returncode == 0, run.stdout + run.stderr
    run = _render(out, "--la", "352", "--period", "2024", "--briefing", "referrals")
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _text(page: Path) -> str:
    return " ".join(t for t, _ in sweep.page_text(page.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "page",
    [
        "201-city-of-london/2025/looked_after.html",
        "201-city-of-london/2025/referrals.html",
        "420-isles-of-scilly/2025/looked_after.html",
        "420-isles-of-scilly/2025/referrals.html",
        "943-westmorland-and-furness/2025/looked_after.html",
        "352-manchester/2024/referrals.html",
    ],
)
def test_edge_pages_render_with_nothing_the_sweep_forbids(pages, page):
    assert (pages / page).exists()
    assert sweep.scan_html((pages / page).read_text(encoding="utf-8")) == []


def test_city_of_london_2025_page_says_its_figure_is_suppressed_for_2025(pages):
    text = _text(pages / "201-city-of-london/2025/looked_after.html")
    assert "31 March 2025: c (suppressed: fewer than 6 children)" in text
    record = json.loads((pages / "201-city-of-london/2025/looked_after.json").read_text())
    rate = next(f for f in record["figures"] if f["measure"] == "cla_rate")
    assert record["period"] == "2025" and rate["status"] == "c" and rate["value"] is None


def test_isles_of_scilly_2025_page_says_published_with_cornwall(pages):
    text = _text(pages / "420-isles-of-scilly/2025/looked_after.html")
    assert "not applicable (published with Cornwall)" in text and "Isles of Scilly: published with Cornwall" in text


def test_westmorland_and_furness_page_is_in_line_with_england(pages):
    text = _text(pages / "943-westmorland-and-furness/2025/looked_after.html")
    assert (
        "in line with the 67 for England" in text
        and "below the 67 for England" not in text
        and "below England (67)" not in text
    )


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def test_the_2024_referrals_page_shows_no_month_after_march_2024(pages):
    html = (pages / "352-manchester/2024/referrals.html").read_text(encoding="utf-8")
    body = html.split('<footer class="provenance"', 1)[0].split("</div>", 2)[
        -1
    ]  # publication dates in the header and footer are not data
    text = " ".join(t for t, _ in sweep.page_text(body))
    later = []
    for m in re.finditer(rf"\b({_MONTHS}|{'|'.join(x[:3] for x in _MONTHS.split('|'))})\s+(20\d\d)\b", text):
        month = [x[:3] for x in _MONTHS.split("|")].index(m.group(1)[:3]) + 1
        if (int(m.group(2)), month) > (2024, 3):
            later.append(m.group(0))
    assert later == []
    assert "Referrals in Mar 2024" in text and "Referrals in Mar 2025" not in text
    assert "499.2 per 10,000 children (re-based on the mid-2024 population estimates; DfE printed 502.8)" in text


def test_a_year_before_an_authority_existed_is_refused_with_exit_2(tmp_path):
    run = _render(tmp_path, "--la", "942", "--period", "2014", "--briefing", "looked_after")
    assert run.returncode == 2
    assert "Cumberland was created in 2023: its first year is 2024" in run.stderr
    assert not any(tmp_path.glob("*/*/*.html"))


def test_the_sweep_scanner_finds_each_forbidden_thing():
    found = sweep.scan_html(
        "<p>rate nan</p><p>None</p><p>3.0 not available%</p><p>of % assessments</p><p>Rank among 11: 0 of 10</p>"
        "<p>unchanged over 3 years over 3 years</p><img alt='NaN per 10,000'><th>Change %</th><p>25.5% of "
        "assessments (%)</p>"
    )
    kinds = [f.split(":")[0] for f in found]
    assert kinds.count("nan") == 2 and "None" in kinds and "not available%" in kinds and "rank 0" in kinds
    assert sum(k.startswith("repeated phrase") for k in kinds) == 1
    assert kinds.count("bare %") == 2  # "available%" and "of % assessments"; not the header nor "25.5%" nor "(%)"
