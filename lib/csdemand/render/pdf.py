"""Committee PDFs: a rendered page printed by headless Chromium (``render --format html pdf``).

Playwright drives the system's Chromium (Debian's ``/usr/bin/chromium``; no browser download),
the one already used by the browser tests. One browser serves every page a process prints
(:func:`shared`; started on first use, closed at exit), so a run pays its start (~1 s) once.

What a PDF holds, all from the page itself: A4 with the page's own margins (``@page`` in
``templates/briefing.css``), the document title (the page's ``<title>``) and language
(``lang="en-GB"``) in its metadata, a footer with the title, the authority and "Page n of N",
a tagged structure (images as figures with their alt text, headings, tables, an outline of
the headings) and the page's links as link annotations.
"""

from __future__ import annotations

import atexit
import contextlib
import html as _html
import io
import os
import queue
import shutil
import tempfile
import threading

from csdemand.core.errors import RenderError

#: The flags the browser tests use; they work in containers and as root.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: A page may take this long to load and print (milliseconds) before the PDF fails.
TIMEOUT_MS = 60_000


def chromium() -> str:
    """The Chromium to print with: ``$CSDEMAND_CHROMIUM``, else ``chromium`` on the PATH;
    :class:`RenderError` saying how to install it when there is none."""
    found = os.environ.get("CSDEMAND_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RenderError(
            "PDF output needs Chromium: install Debian's (`apt-get install chromium`, or `make browser` as root) "
            "or name one in $CSDEMAND_CHROMIUM"
        )
    return found


def footer_template(left: str) -> str:
    """Chromium's footer: ``left`` (escaped) and "Page n of N" (Chromium fills the spans)."""
    return (
        '<div style="font-family: Arial, Helvetica, sans-serif; font-size: 7pt; color: #505a5f; width: 100%; '
        'margin: 0 14mm; display: flex; justify-content: space-between;">'
        f"<span>{_html.escape(left)}</span>"
        '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )


def footer_text(record: dict) -> str:
    """The footer's words: the briefing's title, and its authority when the title does not name it."""
    title = str(record.get("title", ""))
    authority = str(record.get("authority", ""))
    return title if not authority or authority in title else f"{title} · {authority}"


def _first_line(exc: BaseException) -> str:
    """An error's first line (Playwright's carry the browser's whole log after it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else repr(exc)


def browser_environment() -> dict[str, str]:
    """The environment Chromium starts in: this one, with a short temporary folder. Chromium
    puts a socket in it and aborts when the path will not fit a socket's 107 bytes ("Socket path
    too long"), as under a deep ``$TMPDIR``."""
    env = dict(os.environ)
    if len(tempfile.gettempdir()) > 40 and os.access("/tmp", os.W_OK):
        env["TMPDIR"] = "/tmp"
    return env


class _Thread:
    """One thread that runs every Playwright call of a printer. Playwright's synchronous API
    refuses to start where an asyncio loop runs (a notebook) or where another synchronous
    Playwright is open (the browser tests); on a thread of its own it does neither."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        # A daemon: a print stuck at exit must not hold the process (the close below has a limit).
        self._thread = threading.Thread(target=self._run, name="csdemand-pdf", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job, box, done = self._jobs.get()
            if job is None:
                return
            try:
                box["result"] = job()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            done.set()

    def call(self, job, timeout: float | None = None):
        box: dict = {}
        done = threading.Event()
        self._jobs.put((job, box, done))
        if not done.wait(timeout):
            raise TimeoutError(f"Chromium did not answer within {timeout:.0f} s")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def stop(self) -> None:
        self._jobs.put((None, None, None))


class Printer:
    """One headless Chromium that prints many pages; a context manager (closes the browser)."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser = None
        self._thread: _Thread | None = None
        self._lock = threading.Lock()
        self.launches = 0  # browsers started (one a run is the point; the tests check it)

    def _browser_ready(self):  # on the printer's thread
        if self._browser is None:
            try:
                from playwright.sync_api import sync_playwright
            except ImportError:
                raise RenderError("PDF output needs the playwright package (it is in requirements.lock)") from None
            executable = chromium()
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS), env=browser_environment()
                )
            except Exception as exc:
                self._close_here()
                raise RenderError(
                    f"could not start Chromium ({executable}) to print PDFs: {_first_line(exc)}"
                ) from None
            self.launches += 1
        return self._browser

    def _print(self, markup: str, footer: str, header: str) -> bytes:  # on the printer's thread
        page = self._browser_ready().new_page()
        try:
            page.set_default_timeout(TIMEOUT_MS)
            page.set_content(markup, wait_until="load")
            # Ligatures print "fi" as one glyph, which text extraction and a viewer's search then
            # miss; the print alone is changed, never the page.
            page.add_style_tag(content="* { font-variant-ligatures: no-common-ligatures !important; }")
            return page.pdf(
                format="A4",
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=bool(footer or header),
                header_template=header or "<span></span>",
                footer_template=footer_template(footer) if footer else "<span></span>",
                tagged=True,
                outline=True,
            )
        finally:
            page.close()

    def print_html(self, markup: str, footer: str = "", *, header: str = "") -> bytes:
        """The PDF of a self-contained page (images inlined; nothing is fetched), A4, tagged,
        with an outline; ``footer`` (plain text) at the foot of every page with its number."""
        with self._lock:
            if self._thread is None:
                self._thread = _Thread()
            return self._thread.call(lambda: self._print(markup, footer, header))

    def _close_here(self) -> None:  # on the printer's thread
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        for step in (browser.close if browser else None, playwright.stop if playwright else None):
            if step is not None:
                # A browser already gone (killed, or the run stopped) has nothing left to close.
                with contextlib.suppress(Exception):
                    step()

    def close(self) -> None:
        """Close the browser and the Playwright driver (quietly, within 10 s: this runs at exit too)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            with contextlib.suppress(Exception):
                thread.call(self._close_here, timeout=10)
            thread.stop()

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_SHARED: Printer | None = None


def shared() -> Printer:
    """This process's printer: started on first use, closed when the process exits."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Printer()
        atexit.register(_SHARED.close)
    return _SHARED


def briefing_pdf(markup: str, record: dict, printer: Printer | None = None) -> bytes:
    """A rendered briefing page as PDF bytes, its footer naming the briefing and the authority."""
    printer = printer or shared()
    try:
        return printer.print_html(markup, footer_text(record))
    except RenderError:
        raise
    except Exception as exc:  # Playwright's own errors (a crashed browser, a time-out)
        printer.close()  # the next page starts a fresh browser
        raise RenderError(f"printing the PDF failed: {_first_line(exc)}") from None


def page_count(pdf: bytes) -> int:
    """Number of pages in a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
