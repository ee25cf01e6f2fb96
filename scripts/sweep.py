"""Sweep: render the annual briefings for every authority and scan every page for what must never
print (issue 9's "Done when").

    python scripts/sweep.py                       # --period 2025 and 2019, every authority, --jobs 2
    python scripts/sweep.py --periods 2025 --briefings looked_after referrals
    python scripts/sweep.py --scan-only /tmp/sweep2025 /tmp/sweep2019   # scan pages already rendered

Each period runs ``python -m csdemand render --la all --period P --briefing ... --jobs J --out
/tmp/sweepP``; the render's own failures are printed, then every ``*.html`` under the output
folder is scanned. A page fails on: ``nan`` / ``NaN`` (any case), ``None``, ``not available%``, a
bare ``%`` (a percent sign with no number before it, other than a label such as "% of
referrals" or "(%)"), a rank of 0 ("0 of 10"), "not available over", and a repeated phrase (the
same 2 to 6 words twice in a row: "over 3 years over 3 years"). The visible text and the alt text
of images are scanned; styles, scripts and inlined images are not. Exit status 1 when any page
fails or any briefing failed to render.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

#: (name, pattern) of what must never appear in a page's text.
BAD = [
    ("nan", re.compile(r"(?<![\w-])nan(?![\w-])", re.IGNORECASE)),
    ("None", re.compile(r"(?<![\w-])None(?![\w-])")),
    ("not available%", re.compile(r"not available\s*%")),
    ("bare %", re.compile(r"(?<![\d)%])%(?!\s*of\b)(?!\))")),
    ("rank 0", re.compile(r"(?<![\d.,(])0 of \d+(?! with data)")),
    ("not available over", re.compile(r"not available over")),
]

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.,%-]*")


class _Text(HTMLParser):
    """Visible text (one string per text node) and image alt text; no style, script or data URIs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, bool]] = []  # (text, in a column header)
        self._skip = 0
        self._header = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "th":
            self._header += 1
        for k, v in attrs:
            if k == "alt" and v:
                self.parts.append((v, False))

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._skip:
            self._skip -= 1
        if tag == "th" and self._header:
            self._header -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append((data, self._header > 0))


def page_text(html: str) -> list[tuple[str, bool]]:
    """The text nodes and alt texts of a page, each with whether it is a column header (where a
    label such as "Change %" is allowed)."""
    p = _Text()
    p.feed(html)
    return p.parts


def repeated_phrase(text: str, shortest: int = 2, longest: int = 6) -> str:
    """The first phrase of ``shortest`` to ``longest`` words said twice in a row ('' if none);
    phrases of short words only (e.g. "of 10 of 10") do not count."""
    words = [w.lower().strip(".,;:") for w in _WORD.findall(text)]
    for n in range(longest, shortest - 1, -1):
        for i in range(len(words) - 2 * n + 1):
            a, b = words[i : i + n], words[i + n : i + 2 * n]
            if a == b and sum(len(w) > 3 and not w.replace(",", "").replace(".", "").isdigit() for w in a) >= 2:
                return " ".join(a)
    return ""


def scan_html(html: str) -> list[str]:
    """Every problem in one page, as short strings naming what was found and its context."""
    problems = []
    for part, header in page_text(html):
        for name, pattern in BAD:
            if header and name == "bare %":
                continue
            for m in pattern.finditer(part):
                ctx = part[max(0, m.start() - 50) : m.end() + 50].replace("\n", " ").strip()
                problems.append(f"{name}: ...{ctx}...")
        rep = repeated_phrase(part)
        if rep:
            problems.append(f"repeated phrase '{rep}': {part[:160].strip()}")
    return problems


def scan_folder(folder: Path) -> dict[Path, list[str]]:
    """Problems per page for every briefing page (``<la>/<period>/<briefing>.html``) under ``folder``."""
    out = {}
    for page in sorted(folder.glob("*/*/*.html")):
        if page.name == "index.html":
            continue
        found = scan_html(page.read_text(encoding="utf-8"))
        if found:
            out[page] = found
    return out


def render(period: str, briefings: list[str], jobs: int, out: Path) -> tuple[int, list[str], float]:
    """Run the render for every authority; (exit status, FAILED lines, seconds)."""
    cmd = [
        sys.executable,
        "-m",
        "csdemand",
        "render",
        "--la",
        "all",
        "--period",
        period,
        "--briefing",
        *briefings,
        "--jobs",
        str(jobs),
        "--out",
        str(out),
    ]
    t = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    failed = [
        line
        for line in (run.stdout + run.stderr).splitlines()
        if line.startswith("FAILED") or line.startswith("error:")
    ]
    summary = [line for line in run.stdout.splitlines() if " rendered, " in line]
    print(f"$ {' '.join(cmd[1:])}\n  exit {run.returncode}; {summary[-1] if summary else 'no summary line'}")
    return run.returncode, failed, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--periods", nargs="+", default=["2025", "2019"])
    ap.add_argument("--briefings", nargs="+", default=["looked_after", "referrals", "summary"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="/tmp/sweep{period}", help="output folder per period ({period} is replaced)")
    ap.add_argument("--scan-only", nargs="+", default=None, metavar="FOLDER", help="scan these folders, render nothing")
    args = ap.parse_args(argv)

    bad = 0
    folders = [Path(f) for f in args.scan_only] if args.scan_only else []
    if not args.scan_only:
        for period in args.periods:
            out = Path(args.out.format(period=period))
            code, failed, secs = render(period, args.briefings, args.jobs, out)
            print(f"  took {secs:.0f} s")
            for line in failed:
                print(f"  {line}")
            bad += len(failed) or (code != 0)
            folders.append(out)
    for folder in folders:
        found = scan_folder(folder)
        pages = len([p for p in folder.glob("*/*/*.html")])
        print(f"scanned {pages} pages in {folder}: {len(found)} with problems")
        for page, problems in found.items():
            print(f"  {page.relative_to(folder)}")
            for p in problems[:8]:
                print(f"    {p}")
            if len(problems) > 8:
                print(f"    ... and {len(problems) - 8} more")
        bad += len(found)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
