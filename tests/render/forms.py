"""Manchester's 2025 briefings rendered once for the PDF, workbook and pack tests (``--format html pdf xlsx``)."""

from __future__ import annotations

import functools
import html
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_OUTPUT

BRIEFINGS = ["summary", "looked_after", "referrals"]


@dataclass(frozen=True)
class Rendered:
    out: Path
    folder: Path  # reports/352-manchester/2025
    rendered: tuple[Path, ...]
    failed: tuple[str, ...]
    launches: int  # browsers the run started
    seconds: float


def needs_chromium() -> None:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium where it can: needs root and apt)")


@functools.cache
def _manchester() -> Rendered:
    from csdemand.render import batch, formats, pdf

    out = TEST_OUTPUT / "forms"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(formats.ENV, "html,pdf,xlsx")
        mp.setattr(pdf, "_SHARED", None)  # a fresh printer: its launches are this run's
        outcome = batch.render_many(["352"], "2025", BRIEFINGS, out, log=lambda line: None)
        printer = pdf.shared()
        launches = printer.launches
        printer.close()  # the browser tests open their own Playwright
    return Rendered(
        out,
        out / "352-manchester" / "2025",
        tuple(outcome.rendered),
        tuple(outcome.failed),
        launches,
        time.perf_counter() - start,
    )


def manchester() -> Rendered:
    """Manchester's summary, looked-after and referrals briefings for 2025, with PDFs and workbooks,
    in ``test-output/forms`` (rendered once a session)."""
    needs_chromium()
    return _manchester()


def page_title(page: Path) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S).group(1))


def image_alts(page: Path) -> list[str]:
    return [html.unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', page.read_text(encoding="utf-8"))]
