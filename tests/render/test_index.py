"""Index pages trust a record only for what it may hold; nothing is written outside the output folder."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from csdemand.render import index
from csdemand.render.output import OutputError, write


def report(out: Path, folder: str, period: str, name: str, record: dict | str) -> Path:
    """A report and its record as the renderer writes them (the record may be planted)."""
    where = out / folder / period
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{name}.html").write_text("<p>report</p>")
    (where / f"{name}.json").write_text(record if isinstance(record, str) else json.dumps(record))
    return where / f"{name}.html"


def good(slug: str = "352-manchester", period: str = "2025", name: str = "summary", **extra) -> dict:
    return {
        "briefing": name,
        "title": "Summary: Manchester, 2025",
        "authority": "Manchester",
        "la_slug": slug,
        "period": period,
        "order": 0,
        "rendered_at": "2026-11-23T16:05:34+00:00",
        **extra,
    }


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "a" / "b" / "reports"
    folder.mkdir(parents=True)
    return folder


def test_a_planted_dot_dot_slug_is_ignored_with_a_log_line_and_nothing_is_written_outside(out, tmp_path):
    report(out, "352-manchester", "2025", "summary", good())
    report(out, "352-manchester", "2024", "evil", good(slug="../../pwned_by_index", period="2024", name="evil"))
    lines: list[str] = []
    written = index.write_indexes(out, say=lines.append)
    assert sorted(p.relative_to(out).as_posix() for p in written) == ["352-manchester/index.html", "index.html"]
    assert not [p for p in tmp_path.rglob("*pwned*")]
    assert lines == [
        f"ignored  {out / '352-manchester' / '2024' / 'evil.json'}: its la_slug '../../pwned_by_index' is not its "
        "folder's '352-manchester'"
    ]
    assert "evil" not in (out / "index.html").read_text()


def test_a_javascript_slug_never_becomes_a_link(out):
    report(out, "352-manchester", "2025", "summary", good())
    report(out, "javascript:alert(1)", "2025", "summary", good(slug="javascript:alert(1)"))
    report(out, "352-manchester", "2024", "summary", good(slug="javascript:alert(document.cookie)//", period="2024"))
    lines: list[str] = []
    index.write_indexes(out, say=lines.append)
    pages = (out / "index.html").read_text() + (out / "352-manchester" / "index.html").read_text()
    assert "javascript" not in pages.lower()
    assert len(lines) == 2 and all(line.startswith("ignored  ") for line in lines)
    assert "its folder 'javascript:alert(1)' is not a known authority's" in lines[1]
    assert not (out / "javascript:alert(1)" / "index.html").exists()


def test_links_and_names_come_from_known_folders_not_from_the_record_text(out):
    report(
        out,
        "352-manchester",
        "2025",
        "summary",
        good(authority="<b>Evil council</b>", title="<script>alert(1)</script>", href="https://evil.example/"),
    )
    cat = index.catalogue(out, say=lambda line: None)
    assert cat == [
        {
            "la_slug": "352-manchester",
            "authority": "Manchester",
            "period": "2025",
            "briefing": "summary",
            "title": "<script>alert(1)</script>",
            "order": 0,
            "rendered_at": "2026-11-23T16:05:34+00:00",
            "href": "352-manchester/2025/summary.html",
            "change": "",
            "sources": [],
            "data_published": "",
            "local_to": "",
        }
    ]
    index.write_indexes(out, say=lambda line: None)
    page = (out / "index.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "evil.example" not in page and "Evil council" not in page
    assert re.findall(r"href=[\"']([^\"']+)[\"']", page) == [
        "352-manchester/index.html",
        "352-manchester/2025/summary.html",
    ]


@pytest.mark.parametrize(
    "record, why",
    [
        (good(period="2025/../../x"), "its period '2025/../../x' is not its folder's '2025'"),
        (good(name="other"), "its briefing 'other' is not its file's 'summary'"),
        (good(slug="330-birmingham"), "its la_slug '330-birmingham' is not its folder's '352-manchester'"),
        ("[1, 2]", "it is not a record"),
        ("{not json", "it cannot be read"),
    ],
    ids=["period", "briefing", "other-authority", "not-a-dict", "not-json"],
)
def test_a_record_that_does_not_match_its_place_is_ignored(out, record, why):
    report(out, "352-manchester", "2025", "summary", record)
    lines: list[str] = []
    assert index.catalogue(out, say=lines.append) == []
    assert len(lines) == 1 and why in lines[0]


def test_a_folder_that_is_not_a_period_is_ignored(out):
    report(out, "352-manchester", "latest", "summary", good(period="latest"))
    lines: list[str] = []
    assert index.catalogue(out, say=lines.append) == [] and "its folder 'latest' is not a period" in lines[0]


def test_an_authority_folder_linking_outside_is_ignored_and_nothing_is_written_there(out, tmp_path):
    outside = tmp_path / "outside"
    report(outside, "x", "2025", "summary", good())
    os.symlink(outside / "x", out / "352-manchester")
    report(out, "330-birmingham", "2025", "summary", good(slug="330-birmingham"))
    lines: list[str] = []
    index.write_indexes(out, say=lines.append)
    assert not (outside / "x" / "index.html").exists()
    assert "a link leading elsewhere" in lines[0]
    assert "330-birmingham/2025/summary.html" in (out / "index.html").read_text()


def test_the_writer_refuses_a_path_outside_the_output_folder(out):
    with pytest.raises(OutputError, match="refusing to write outside the output folder"):
        write(out, {out / ".." / "escaped.html": "x"})
    assert not (out.parent / "escaped.html").exists()


def test_the_index_is_stale_when_a_report_is_newer_than_it(out):
    assert not index.is_stale(out)  # nothing rendered, nothing to list
    report(out, "352-manchester", "2025", "summary", good())
    assert index.is_stale(out)  # a run stopped before it built the index
    index.write_indexes(out, say=lambda line: None)
    assert not index.is_stale(out)
    later = report(out, "352-manchester", "2026", "summary", good(period="2026")).with_suffix(".json")
    future = time.time() + 5
    os.utime(later, (future, future))
    assert index.is_stale(out)
