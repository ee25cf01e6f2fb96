"""Committee PDFs (``render --format html pdf``): printed by headless Chromium, read back with pypdf."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from pypdf import PdfReader

from csdemand.render import formats, pdf
from tests.render import tiny
from tests.render.forms import BRIEFINGS, image_alts, manchester, needs_chromium, page_title

pytestmark = pytest.mark.browser

A4 = (595.28, 841.89)  # points


def _is_a4(page) -> bool:
    """A4 to within a point (Chromium rounds the page to whole CSS pixels: 594.96 x 841.92)."""
    return abs(float(page.mediabox.width) - A4[0]) < 1 and abs(float(page.mediabox.height) - A4[1]) < 1


def _reader(path) -> PdfReader:
    return PdfReader(path)


def _alts(reader: PdfReader) -> list[str]:
    """The alternative text of every /Figure in the PDF's structure tree, in document order."""
    found = []

    def walk(node) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


def test_every_briefing_gets_a_pdf_beside_its_page_from_one_browser_for_the_run():
    r = manchester()
    assert r.failed == ()
    assert sorted(p.name for p in r.rendered) == sorted(f"{b}.html" for b in BRIEFINGS)
    for name in BRIEFINGS:
        assert (r.folder / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert r.launches == 1  # one Chromium printed all three


def test_the_summary_prints_on_one_a4_page():
    reader = _reader(manchester().folder / "summary.pdf")
    assert len(reader.pages) == 1
    assert _is_a4(reader.pages[0])


@pytest.mark.parametrize("name", BRIEFINGS)
def test_the_pdf_carries_the_pages_title_and_language_and_is_tagged(name):
    folder = manchester().folder
    reader = _reader(folder / f"{name}.pdf")
    root = reader.trailer["/Root"]
    assert reader.metadata.title == page_title(folder / f"{name}.html")
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert all(_is_a4(p) for p in reader.pages)


def test_the_looked_after_pdf_keeps_every_charts_alt_text():
    folder = manchester().folder
    alts = image_alts(folder / "looked_after.html")
    assert len(alts) == 6 and all(len(a) > 40 for a in alts)
    assert _alts(_reader(folder / "looked_after.pdf")) == alts


@pytest.mark.parametrize("name", BRIEFINGS)
def test_every_page_has_a_footer_with_the_title_and_its_number(name):
    folder = manchester().folder
    reader = _reader(folder / f"{name}.pdf")
    title = page_title(folder / f"{name}.html")
    n = len(reader.pages)
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {i} of {n}" in text and title in text


def test_the_pdfs_text_has_no_ligatures_so_a_search_for_briefing_finds_it():
    text = "".join(p.extract_text() for p in _reader(manchester().folder / "looked_after.pdf").pages)
    assert "About this briefing" in text and "\ufb01" not in text


def test_links_are_kept_as_link_annotations():
    needs_chromium()
    with pdf.Printer() as printer:
        data = printer.print_html(
            '<html lang="en-GB"><head><title>Links</title></head><body><p>See '
            '<a href="https://explore-education-statistics.service.gov.uk/">the statistics</a>.</p></body></html>',
            "Links · Manchester",
        )
    page = PdfReader(io.BytesIO(data)).pages[0]
    uris = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])]
    assert uris == ["https://explore-education-statistics.service.gov.uk/"]
    assert "Links · Manchester" in page.extract_text()


@pytest.mark.parametrize(
    ("record", "footer"),
    [
        ({"title": "Summary: Manchester, 2025", "authority": "Manchester"}, "Summary: Manchester, 2025"),
        ({"title": "Tiny quick", "authority": "Birmingham"}, "Tiny quick · Birmingham"),
    ],
)
def test_the_footer_names_the_authority_once(record, footer):
    assert pdf.footer_text(record) == footer


def test_the_footer_template_escapes_text_from_data():
    assert "<b>" not in pdf.footer_template("<b>Bad</b>") and "&lt;b&gt;Bad" in pdf.footer_template("<b>Bad</b>")


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        (None, ("html",)),
        (["pdf"], ("html", "pdf")),
        ("xlsx,html,pdf", ("html", "pdf", "xlsx")),
        (["PDF"], ("html", "pdf")),
    ],
)
def test_formats_always_include_the_page(given, wanted):
    assert formats.parse(given) == wanted


def _render(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csdemand", "render", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_an_unknown_format_exits_2_naming_it_from_the_option_or_the_environment(tmp_path):
    env = tiny.environment(tmp_path)
    run = _render(["--briefing", "quick", "--format", "docx", "--out", str(tmp_path / "r")], env)
    assert run.returncode == 2 and "column '--format': not a format the renderer writes; found 'docx'" in run.stderr
    run = _render(["--briefing", "quick", "--out", str(tmp_path / "r")], {**env, formats.ENV: "html,odt"})
    assert run.returncode == 2 and f"column '${formats.ENV}'" in run.stderr and "found 'odt'" in run.stderr
    assert not (tmp_path / "r").exists() and "Traceback" not in run.stderr


def test_a_pdf_that_cannot_be_printed_fails_the_briefing_and_leaves_the_last_good_report(tmp_path):
    needs_chromium()
    env = tiny.environment(tmp_path)
    out = tmp_path / "r"
    first = _render(["--briefing", "quick", "--format", "pdf", "xlsx", "--out", str(out)], env)
    assert first.returncode == 0, first.stderr
    folder = out / "352-manchester" / "2025"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(before) == {"quick.html", "quick.ipynb", "quick.json", "quick.pdf", "quick.xlsx"}
    assert len(PdfReader(folder / "quick.pdf").pages) == 1

    broken = {**env, "CSDEMAND_CHROMIUM": str(tmp_path / "no-such-chromium")}
    second = _render(["--briefing", "quick", "--format", "pdf", "--out", str(out)], broken)
    assert second.returncode == 1
    assert "FAILED   quick for LA 352: could not start Chromium" in second.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # not one file changed
