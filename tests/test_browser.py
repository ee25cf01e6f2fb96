"""The rendered briefing in a real browser (Debian's headless Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

from csdemand import looked_after, render

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page_of(test_output):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium where it can: needs root and apt)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out = test_output / "browser"
    lac = next(b for b in render.discover() if b.name == "looked_after")
    report = render.render_one(lac, "352", "latest", out)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri(), wait_until="load")
        page.screenshot(path=str(test_output / "looked_after_manchester.png"), full_page=True)
        yield page, errors, requests
        browser.close()


def test_page_loads_without_console_errors(page_of):
    _, errors, _ = page_of
    assert errors == []


def test_nothing_is_requested_from_another_host(page_of):
    _, _, requests = page_of
    assert all(u.startswith(("file:", "data:")) for u in requests), requests


def test_every_chart_image_loads_with_alt_text(page_of):
    page, _, _ = page_of
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete && e.naturalWidth > 0, e.alt.length])")
    assert len(images) == 3
    assert all(ok and alt > 40 for ok, alt in images)


def test_tables_are_present_and_headings_in_order(page_of):
    page, _, _ = page_of
    assert page.locator("table").count() >= 3
    levels = page.eval_on_selector_all("h1,h2,h3", "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))


def test_headline_figures_match_lib(page_of):
    page, _, _ = page_of
    b = looked_after.benchmark("352")
    tiles = page.eval_on_selector_all(".tile-value", "els => els.map(e => e.textContent.trim())")
    assert tiles[:4] == [f"{b.count:,.0f}", f"{b.rate:.0f}", f"{b.neighbour_average.mean:.1f}", f"{b.england_rate:.0f}"]
    assert tiles[:4] == ["1,280", "97", "88.9", "67"]
