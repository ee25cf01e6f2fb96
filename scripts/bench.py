"""Benchmark rendering: wall time per briefing against the floor (`make bench`).

The floor is the same analysis and charts run in one warm Python process: each notebook's code
cells executed with its parameters, with no kernel start and no HTML conversion. The batch
figures are `python -m csdemand render` end to end (kernel per process, conversion, writing).

Usage: python scripts/bench.py [--las N ...] [--jobs J ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from csdemand.core import paths
from csdemand.render import batch as render


def floor_seconds(las: list[str]) -> tuple[float, int]:
    """Run every briefing's code for each LA in this process (warm after the first); per-briefing mean."""
    briefings = render.discover()
    # Warm-up: imports and data caches, as a long-lived process would have them.
    _exec(briefings[0], las[0])
    times = []
    from csdemand.published.areas import resolve

    for la in las:
        for b in [b for b in briefings if b.available_for(resolve(la).slug)]:
            t = time.perf_counter()
            _exec(b, la)
            times.append(time.perf_counter() - t)
    return statistics.mean(times), len(times)


def _exec(briefing: render.Briefing, la: str) -> None:
    nb = nbformat.read(briefing.path, as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"<{briefing.name}>", "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update({"la": la, "period": "latest"})


def batch_seconds(las: list[str], jobs: int, out: Path, extra: tuple[str, ...] = ()) -> tuple[float, int]:
    """Wall time of `python -m csdemand render` for these LAs; per briefing."""
    t = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "csdemand", "render", "--la", *las, "--jobs", str(jobs), "--out", str(out), *extra], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"render failed for jobs={jobs}")
    n = int(run.stdout.strip().splitlines()[-1].split()[0])  # "N rendered, 0 failed, took ..."
    return wall, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--las", type=int, nargs="+", default=[1, 20], help="numbers of authorities (default 1 20)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="process counts (default 1 2)")
    parser.add_argument("--all", action="store_true", help="also time every authority's summary and looked-after briefings with --jobs 2")
    args = parser.parse_args()
    every = render.all_authorities()
    # Manchester first, then the others in LA-number order: a fixed, repeatable selection.
    ordered = ["352"] + [la for la in every if la != "352"]
    names = [b.name for b in render.discover()]
    print(f"briefings: {', '.join(names)}")
    floor, n_floor = floor_seconds(ordered[:5])
    print(f"floor (warm process, no kernel, no conversion): {floor:.2f} s per briefing over {n_floor} runs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.las:
            for jobs in args.jobs:
                wall, count = batch_seconds(ordered[:n], jobs, Path(tmp) / f"{n}-{jobs}")
                per = wall / count
                rows.append({"authorities": n, "jobs": jobs, "briefings": count, "wall_s": round(wall, 1), "per_briefing_s": round(per, 2), "x_floor": round(per / floor, 2)})
                print(f"{n:>3} authorit{'y' if n == 1 else 'ies'}, --jobs {jobs}: {count:>3} briefings in {wall:6.1f} s = {per:.2f} s each ({per / floor:.2f} x floor)")
        if args.all:
            wall, count = batch_seconds(["all"], 2, Path(tmp) / "all", ("--briefing", "summary", "looked_after"))
            rows.append({"authorities": "all", "jobs": 2, "briefings": count, "wall_s": round(wall, 1), "per_briefing_s": round(wall / count, 2), "x_floor": round(wall / count / floor, 2)})
            print(f"all authorities, summary + looked_after, --jobs 2: {count} briefings in {wall:6.1f} s = {wall / count:.2f} s each")
    (paths.ROOT / "test-output").mkdir(exist_ok=True)
    (paths.ROOT / "test-output" / "bench.json").write_text(json.dumps({"floor_per_briefing_s": round(floor, 2), "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
