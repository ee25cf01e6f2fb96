"""The rendered briefing in a real browser (Debian's headless Chromium, driven by Playwright)."""

from __future__ import annotations

import itertools
import shutil

import pytest

from csdemand.briefings import looked_after, summary
from csdemand.core import numbers
from csdemand.render import batch as render
from csdemand.render.pdf import CHROMIUM_FLAGS

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
FLAGS = list(CHROMIUM_FLAGS)  # the flags the PDF printer uses: containers, root


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium where it can: needs root and apt)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_of(browser, test_output):
    out = test_output / "browser"
    lac = next(b for b in render.discover() if b.name == "looked_after")
    report = render.render_one(lac, "352", "latest", out)
    if True:  # one page per briefing, one browser per module
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        page.screenshot(path=str(test_output / "looked_after_manchester.png"), full_page=True)
        yield page, errors, requests
        page.close()


def test_page_loads_without_console_errors(page_of):
    _, errors, _ = page_of
    assert errors == []


def test_nothing_is_requested_from_another_host(page_of):
    _, _, requests = page_of
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


def test_every_chart_image_loads_with_alt_text(page_of):
    page, _, _ = page_of
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt.length])")
    assert len(images) == 6  # trend, neighbours, funnel; flows, placements; the fan chart of where numbers are heading
    assert all(ok and alt > 40 for ok, alt in images)


def test_tables_are_present_and_headings_in_order(page_of):
    page, _, _ = page_of
    assert page.locator("table").count() >= 3
    levels = page.eval_on_selector_all("h1,h2,h3", "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_headline_figures_match_lib(page_of):
    page, _, _ = page_of
    b = looked_after.benchmark("352")
    tiles = page.eval_on_selector_all(".tile-value", "els => els.map(e => e.textContent.trim())")
    assert tiles[:4] == [f"{b.count:,.0f}", f"{b.rate:.0f}", f"{b.neighbour_average.mean:.1f}", f"{b.england_rate:.0f}"]
    assert tiles[:4] == ["1,280", "97", "88.9", "67"]


def _summary_page(browser, test_output, la: str, name: str):
    out = test_output / "browser"
    briefing = next(b for b in render.discover() if b.name == "summary")
    report = render.render_one(briefing, la, "latest", out)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri(), wait_until="load")
    page.screenshot(path=str(test_output / f"summary_{name}.png"), full_page=True)
    page.pdf(path=str(test_output / f"summary_{name}.pdf"), format="A4")
    return page, errors


def _pdf_pages(path) -> int:
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


@pytest.fixture(scope="module")
def summary_page(browser, test_output):
    page, errors = _summary_page(browser, test_output, "352", "manchester")
    yield page, errors
    page.close()


def test_summary_loads_without_errors_and_its_figures_match_lib(summary_page):
    page, errors = summary_page
    assert errors == []
    s = summary.build("352")
    shown = dict(
        page.eval_on_selector_all(
            "table.summary tbody tr",
            "rows => rows.map(r => [r.dataset.indicator, r.querySelector('td.value').textContent.trim()])",
        )
    )
    assert list(shown) == [i.key for i in s.indicators]
    for ind in s.indicators:
        assert shown[ind.key] == numbers.fmt(
            ind.value, ind.decimals, status=ind.status, unit="%" if ind.kind == "percent" else ""
        ), ind.key
    assert shown["cla_rate"] == "97" and shown["rereferral_pct"] == "18.4%" and shown["early_help_requests"] == "14,412"
    messages = page.eval_on_selector_all(".key-messages li", "els => els.map(e => e.textContent.trim())")
    assert messages == summary.key_messages(s)


def test_summary_better_moves_are_blue_and_say_better(summary_page):
    page, _ = summary_page
    good = page.locator('tr[data-indicator="rereferral_pct"] .move.good').first
    assert good.evaluate("e => getComputedStyle(e).color") == "rgb(11, 94, 168)"  # the stray } once left it grey
    assert "better" in good.inner_text()


def test_summary_sparklines_load_and_each_has_alt_text(summary_page):
    page, _ = summary_page
    images = page.eval_on_selector_all(
        "table.summary img.sparkline",
        "els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt, e.closest('tr').dataset.indicator])",
    )
    # a 10-year line under each of the 6 values, a strip under each of the 5 neighbours' means (local data has none)
    assert len(images) == 11
    assert all(ok and len(alt) > 40 for ok, alt, _ in images)
    cla = [alt for _, alt, key in images if key == "cla_rate"]
    assert cla[0].endswith("2025 97. England 67 in 2025.") and "Manchester 97, rank 9 of 11" in cla[1]


def test_summary_prints_on_one_a4_page(summary_page, test_output):
    assert _pdf_pages(test_output / "summary_manchester.pdf") == 1


def test_summary_with_suppressed_figures_prints_on_one_a4_page(browser, test_output):
    page, errors = _summary_page(browser, test_output, "201", "city_of_london")
    try:
        assert errors == []
        cla = page.locator('tr[data-indicator="cla_rate"] td.value').inner_text().strip()
        assert cla == "c"
        body = page.inner_text("main")
        assert "nan" not in body.lower().split() and "None" not in body and "not available%" not in body
    finally:
        page.close()
    assert _pdf_pages(test_output / "summary_city_of_london.pdf") == 1


def test_summary_json_record_carries_the_headline_figures(summary_page, test_output):
    import json

    record = json.loads(
        (test_output / "browser" / "352-manchester" / "2025" / "summary.json").read_text(encoding="utf-8")
    )
    figures = {f["measure"]: f for f in record["figures"]}
    assert list(figures) == [
        "early_help_requests",
        "referrals_rate",
        "rereferral_pct",
        "da_parent_pct",
        "cpp_at31_rate",
        "cla_rate",
    ]
    lac = figures["cla_rate"]
    assert lac["value"] == 97 and lac["period"] == "2025" and lac["comparators"]["england"] == 67
    assert set(lac["flags"]) == {"vs_england", "change_1y", "change_3y", "rank"} and lac["flags"]["vs_england"] == ""
