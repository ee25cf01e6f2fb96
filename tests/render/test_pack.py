"""The committee pack (``python -m csdemand pack``), read back page by page with pypdf."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil

import pytest
from pypdf import PdfReader

from csdemand.cli import main
from csdemand.render import batch, formats, pack
from tests.render.forms import BRIEFINGS, manchester, page_title

pytestmark = pytest.mark.browser

DAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def built():
    r = manchester()
    said: list[str] = []
    path = pack.build("352", BRIEFINGS, "2025", r.out, say=said.append, today=DAY)
    return r, path, said


def _copy(tmp_path):
    """A scratch copy of the rendered reports (tests change them)."""
    out = tmp_path / "reports"
    shutil.copytree(manchester().out, out)
    return out, out / "352-manchester" / "2025"


def test_the_pack_is_a_cover_a_contents_page_and_every_briefings_pages(built):
    r, path, said = built
    assert path == r.folder / "pack.pdf"
    counts = [len(PdfReader(r.folder / f"{b}.pdf").pages) for b in BRIEFINGS]
    assert counts[0] == 1  # the summary: one page
    reader = PdfReader(path)
    assert len(reader.pages) == 1 + 1 + sum(counts)
    assert said == [
        f"wrote    {path}  ({len(reader.pages)} pages: cover, contents, summary from page 3 (1), "
        f"looked_after from page 4 ({counts[1]}), referrals from page {4 + counts[1]} ({counts[2]}))"
    ]


def test_the_contents_page_lists_each_briefing_with_the_page_it_starts_on(built):
    r, path, _ = built
    reader = PdfReader(path)
    lines = reader.pages[1].extract_text().splitlines()
    assert lines[0] == "Contents"
    start = 3
    for name in BRIEFINGS:
        title = page_title(r.folder / f"{name}.html")
        assert f"{title} Year to 31 March 2025 {start}" in lines, (title, lines)
        first = reader.pages[start - 1].extract_text()
        assert title in first and "Page 1 of" in first  # the briefing does start there
        start += len(PdfReader(r.folder / f"{name}.pdf").pages)
    assert [o.title for o in reader.outline] == ["Cover", "Contents"] + [
        page_title(r.folder / f"{b}.html") for b in BRIEFINGS
    ]


def test_the_cover_names_the_authority_the_period_and_the_date(built):
    _, path, _ = built
    reader = PdfReader(path)
    cover = " ".join(reader.pages[0].extract_text().split())
    for words in (
        "Children's services briefing pack",
        "Manchester (DfE LA 352)",
        "Year to 31 March 2025",
        "Prepared 1 December 2026",
    ):
        assert words in cover, words
    assert reader.metadata.title == "Children's services briefing pack: Manchester, Year to 31 March 2025"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_every_page_after_the_cover_is_numbered_through_the_pack(built):
    _, path, _ = built
    reader = PdfReader(path)
    n = len(reader.pages)
    assert "Briefing pack page" not in reader.pages[0].extract_text()
    for k in range(2, n + 1):
        assert f"Briefing pack page {k} of {n}" in reader.pages[k - 1].extract_text()


def test_a_pdf_older_than_its_page_is_printed_again_from_the_page(tmp_path):
    out, folder = _copy(tmp_path)
    page, old = folder / "summary.html", folder / "summary.pdf"
    os.utime(old, (old.stat().st_mtime - 100, old.stat().st_mtime - 100))
    said: list[str] = []
    pack.build("352", ["summary", "looked_after"], "latest", out, say=said.append, today=DAY)
    assert said[0] == f"printing {old}: older than its page"
    assert old.stat().st_mtime >= page.stat().st_mtime
    assert len(PdfReader(folder / "pack.pdf").pages) == 2 + 1 + len(PdfReader(folder / "looked_after.pdf").pages)


def test_a_briefing_with_no_page_is_rendered_first_with_its_pdf(tmp_path, monkeypatch):
    out, folder = _copy(tmp_path)
    kept = tmp_path / "kept"
    kept.mkdir()
    for f in folder.glob("referrals.*"):
        shutil.move(f, kept / f.name)
    calls = []

    def render_many(las, period, briefings, out_dir, log=None, **kw):  # renders by putting the files back
        calls.append((las, period, briefings, formats.requested()))
        for f in kept.iterdir():
            shutil.copy2(f, folder / f.name)
        return batch.Outcome(rendered=[folder / "referrals.html"])

    monkeypatch.setattr(batch, "render_many", render_many)
    monkeypatch.setenv(formats.ENV, "html")
    said: list[str] = []
    pack.build("352", ["referrals", "summary"], "2025", out, say=said.append, today=DAY)
    assert calls == [(["352"], "2025", ["referrals"], ("html", "pdf"))]
    assert said[0] == f"rendering referrals for Manchester first: no page for 2025 in {out}"
    text = PdfReader(folder / "pack.pdf").pages[1].extract_text()
    assert re.search(r"Referrals and domestic abuse: Manchester, 2025 Year to 31 March 2025 3\b", text)


def test_a_briefing_that_cannot_be_rendered_exits_1_and_leaves_the_last_pack(tmp_path, monkeypatch, capsys, built):
    out, folder = _copy(tmp_path)
    before = (folder / "pack.pdf").read_bytes()
    for f in folder.glob("referrals.*"):
        f.unlink()
    monkeypatch.setattr(
        batch,
        "render_many",
        lambda *a, **k: batch.Outcome(failed=["referrals for LA 352: cell 4 raised InputError: bad extract"]),
    )
    assert main(["pack", "--briefings", "summary", "referrals", "--period", "2025", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: no pack written: 1 briefing(s) could not be rendered "
        "(referrals for LA 352: cell 4 raised InputError: bad extract)"
    ]
    assert (folder / "pack.pdf").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--briefings", "minutes"], "no briefing notebook named minutes"),
        (["--briefings", "summary", "summary"], "a briefing named twice; found 'summary'"),
        (["--briefings", "summary", "--period", "banana"], "column '--period': not a period; found 'banana'"),
        (["--briefings", "summary", "--la", "Atlantis"], "no local authority matches 'Atlantis'"),
        (["--briefings", "summary", "--period", "2099"], "no published data for the reporting year 2099"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_before_any_work(tmp_path, capsys, args, message):
    assert main(["pack", *args, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "r").exists()


def test_the_page_for_a_period_is_found_by_its_folder(tmp_path):
    for folder, name in [
        ("2024", "summary"),
        ("2025", "summary"),
        ("2025-03", "early_help"),
        ("2026-10", "early_help"),
    ]:
        (tmp_path / "352-manchester" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "352-manchester" / folder / f"{name}.html").write_text("<p></p>")

    def found(name, kind, period):
        page = pack.locate(tmp_path, "352-manchester", name, kind, period)
        return None if page is None else page.parent.name

    assert found("summary", "year", "latest") == "2025"
    assert found("summary", "year", "2024") == "2024"
    assert found("summary", "year", "2025-02") == "2025"  # a month: its reporting year
    assert found("summary", "year", "2023") is None
    assert found("early_help", "month", "latest") == "2026-10"
    assert found("early_help", "month", "2025") == "2025-03"  # a year: its newest month
    assert found("early_help", "month", "2026-10") == "2026-10"
    assert found("early_help", "month", "2026-09") is None
