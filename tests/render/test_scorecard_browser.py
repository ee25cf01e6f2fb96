"""The scorecard in a real browser (Debian's Chromium driven by Playwright, as test_browser.py):
it loads without errors or requests to other hosts, every sparkline loads with alt text, the
figures equal lib's, and it prints on at most two A4 landscape pages, for Manchester and for
City of London (LAIT's '-' markers)."""

from __future__ import annotations

import re

import pytest

from csdemand.briefings import scorecard
from csdemand.render import batch as render
from tests.render.test_browser import _pdf_pages, browser  # noqa: F401  (the module's browser fixture)

pytestmark = pytest.mark.browser

A4_LANDSCAPE = (841.92, 594.96)  # points


def _open(browser, test_output, la: str, name: str):  # noqa: F811
    out = test_output / "browser"
    briefing = next(b for b in render.discover() if b.name == "scorecard")
    report = render.render_one(briefing, la, "latest", out)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri(), wait_until="load")
    page.screenshot(path=str(test_output / f"scorecard_{name}.png"), full_page=True)
    # the page's own @page rule (A4 landscape) decides the sheet, as a browser's print dialog does
    page.pdf(path=str(test_output / f"scorecard_{name}.pdf"), prefer_css_page_size=True, print_background=True)
    return page, errors, requests


def _media_boxes(path) -> list[tuple[float, float]]:
    pdf = path.read_bytes()
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]


@pytest.fixture(scope="module")
def manchester(browser, test_output):  # noqa: F811
    page, errors, requests = _open(browser, test_output, "352", "manchester")
    yield page, errors, requests
    page.close()


def test_scorecard_loads_without_errors_or_requests_to_other_hosts(manchester):
    _, errors, requests = manchester
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


def test_every_sparkline_loads_with_alt_text(manchester):
    page, _, _ = manchester
    images = page.eval_on_selector_all("td.spark img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt])")
    assert len(images) == 67
    assert all(ok and alt.startswith("Sparkline of ") for ok, alt in images)


def test_scorecard_figures_are_libs_and_laits(manchester):
    page, _, _ = manchester
    s = scorecard.build("352")
    shown = dict(
        page.eval_on_selector_all(
            "table.scorecard tr[data-measure]",
            "rows => rows.map(r => [r.dataset.measure, r.querySelector('td.value').textContent.trim()])",
        )
    )
    assert list(shown) == [r.key for r in s.rows]
    assert all(shown[r.key] == r.info.fmt(r.bench.value, r.bench.status) for r in s.rows)
    assert (shown["LAC"], shown["ReReferral"], shown["Work_Force_AvgNumCase_SW"]) == ("97", "18.4%", "14.7")


def test_the_best_quarter_band_is_green(manchester):
    page, _, _ = manchester
    band = page.locator('tr[data-measure="LACVaccinations%"] .band.good').first
    assert band.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 112, 60)"


def test_scorecard_prints_on_at_most_two_a4_landscape_pages(manchester, test_output):
    path = test_output / "scorecard_manchester.pdf"
    assert 1 <= _pdf_pages(path) <= 2
    for w, h in _media_boxes(path):
        assert (round(w), round(h)) == tuple(round(x) for x in A4_LANDSCAPE)


def test_city_of_london_scorecard_prints_on_two_pages_and_shows_markers_never_nan(browser, test_output):  # noqa: F811
    page, errors, _ = _open(browser, test_output, "201", "city_of_london")
    try:
        assert errors == []
        lac = page.locator('tr[data-measure="LAC"] td.value').inner_text().strip()
        assert lac == "-"
        body = page.inner_text("main")
        assert "nan" not in body.lower().split() and "None" not in body
    finally:
        page.close()
    assert 1 <= _pdf_pages(test_output / "scorecard_city_of_london.pdf") <= 2
