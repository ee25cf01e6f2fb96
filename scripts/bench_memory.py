"""Peak memory and wall time of validating and reading a large local extract, and of hostile files.

Builds a referrals extract of about ``--size-mb`` megabytes (default 200) by repeating the shipped
synthetic sample (``data/sample/local/referrals_352-manchester_synthetic.csv``) with new referral
and child ids, so every copy is a distinct, valid set of referrals; then runs, each in a fresh
process, and records the wall time and the peak resident memory (``ru_maxrss`` of that process):

* ``python -m csdemand validate --file EXTRACT`` (every check, as an analyst runs it);
* the briefing's reader: ``csdemand.local.sources.read_records(EXTRACT, Manchester, "referrals")``;
* the referrals briefing's local summary (``csdemand.briefings.referrals.local``: the reader,
  re-referral flags, monthly and annual counts, SPC);
* ``validate --file`` on a CSV with 100,000 empty columns and on one with a 2 MB cell.

Usage: python scripts/bench_memory.py [--size-mb 200] [--keep DIR] [--json test-output/bench_memory.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "local" / "referrals_352-manchester_synthetic.csv"


def build_extract(path: Path, size_mb: float) -> int:
    """Write an extract of at least ``size_mb`` MB (10**6 bytes); return its number of data rows.

    Copy k of the sample gets referral ids ``R<k><n>`` and child ids ``C<k><id>``: referral ids stay
    unique and each copy's children are new children, so the file is as clean as the sample.
    """
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], [line.split(",", 2) for line in lines[1:]]
    target = size_mb * 1_000_000
    written = rows = 0
    copy = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(header + "\n")
        while written < target:
            chunk = "".join(
                f"R{copy:03d}{n:07d},C{copy:03d}{child[1:]},{rest}\n" for n, (_, child, rest) in enumerate(body)
            )
            fh.write(chunk)
            written += len(chunk)
            rows += len(body)
            copy += 1
    return rows


def build_wide(path: Path, columns: int = 100_000) -> None:
    """The sample's header and first 5 rows, each followed by ``columns`` empty fields (as a
    spreadsheet export with stray formatting far to the right gives)."""
    rows = SAMPLE.read_text(encoding="utf-8").splitlines()[:6]
    path.write_text("".join(r + "," * columns + "\n" for r in rows), encoding="utf-8")


def build_long_cell(path: Path, size: int = 2_000_000) -> None:
    """A valid referrals extract whose row 4 carries a ``size``-character outcome (no quotes)."""
    rows = SAMPLE.read_text(encoding="utf-8").splitlines()[:6]
    cells = rows[3].split(",")
    cells[-1] = "x" * size
    rows[3] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def measure(args: list[str]) -> dict:
    """Run ``args`` in a child process; its wall time and CPU time (user + system, s: steadier than
    wall time on a shared machine), peak RSS (MB), exit code and last line of output."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "lines = (p.stdout + p.stderr).strip().splitlines()\n"
        "print(json.dumps({'seconds': round(wall, 1), 'cpu_seconds': round(use.ru_utime + use.ru_stime, 1), "
        "'peak_mb': round(use.ru_maxrss / 1024), "
        "'exit': p.returncode, 'last_line': lines[-1][:200] if lines else ''}))\n"
    )
    # A wrapper per measurement: RUSAGE_CHILDREN then holds exactly one child's peak.
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


READER = (
    "import sys\n"
    "from csdemand.local.sources import read_records\n"
    "from csdemand.published.areas import resolve\n"
    "r = read_records(sys.argv[1], resolve('352'), 'referrals')\n"
    "print(f'{len(r.frame):,} referrals read')\n"
)
BRIEFING = (
    "import sys\n"
    "from csdemand.briefings import referrals\n"
    "from csdemand.published.areas import resolve\n"
    "loc = referrals.local(sys.argv[1], resolve('352'))\n"
    "print(f'{int(loc.annual[\"referrals\"].sum()):,} referrals in complete years, last month {loc.month}')\n"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=200, help="size of the generated extract in MB (default 200)")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write the generated files here and keep them (default: a temporary folder)",
    )
    parser.add_argument(
        "--json", type=Path, default=ROOT / "test-output" / "bench_memory.json", help="where to write the figures"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="csdemand-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        extract = folder / "referrals_large.csv"
        t = time.perf_counter()
        rows = build_extract(extract, args.size_mb)
        size = extract.stat().st_size
        print(f"built {extract} ({size / 1e6:.0f} MB, {rows:,} referrals) in {time.perf_counter() - t:.0f} s")
        wide, cell = folder / "wide.csv", folder / "long_cell.csv"
        build_wide(wide)
        build_long_cell(cell)

        py = sys.executable
        runs = {
            "validate --file (extract)": [py, "-m", "csdemand", "validate", "--file", str(extract)],
            "read_records (briefing's reader)": [py, "-c", READER, str(extract)],
            "referrals briefing: local summary": [py, "-c", BRIEFING, str(extract)],
            "validate --file (100,000 columns)": [py, "-m", "csdemand", "validate", "--file", str(wide)],
            "validate --file (2 MB cell)": [py, "-m", "csdemand", "validate", "--file", str(cell)],
            "read_records (100,000 columns)": [py, "-c", READER, str(wide)],
            "python start and import (floor)": [py, "-c", "import csdemand.validation.checks, csdemand.local.sources"],
        }
        results = {}
        for name, cmd in runs.items():
            results[name] = measure(cmd)
            r = results[name]
            print(
                f"{name:38s} {r['seconds']:6.1f} s wall {r['cpu_seconds']:6.1f} s cpu {r['peak_mb']:6,} MB peak  "
                f"exit {r['exit']}  {r['last_line'][:80]}"
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"extract_bytes": size, "extract_rows": rows, "runs": results}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
