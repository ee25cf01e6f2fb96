"""Benchmark rendering: wall and CPU time per briefing against the floor (`make bench`).

The floor is the same analysis and charts run in one warm Python process: each notebook's code
cells executed with its parameters in an in-process IPython shell, which computes what each cell
displays (every table's HTML, every chart's image, the tables' data payload) as a kernel does,
with no kernel start, no messages and no HTML conversion (wall time and this process's CPU time
per briefing). The code alone (each cell by ``exec``, its displayed result dropped) is printed
beside it: it leaves out work every page needs, so the targets are not measured against it. So
is the floor with the libraries' objects frozen out of the cyclic collector before the notebooks
run (``gc.freeze``), as they are in a kernel forked from the warm-kernel server: each ``%reset
-f`` collects twice, and over an unfrozen heap that is ~0.3 s a briefing the floor pays and the
renderer no longer does. The targets are read against the floor; the frozen floor says how much
of a run's margin comes from the freeze rather than from the renderer doing less.

The floor is measured in a fresh process before the runs and again after them, and each run is
set against the mean of the two: this machine's speed drifts by 10-20% over minutes (a shared
host; the same batch measured 131 s and 159 s of CPU an hour apart), and the bench prints the
drift so that a ratio read across it can be judged.

Measured against it:

- **`make report`** for one authority (Manchester, every briefing), as a user runs it: the first
  run with an empty cache of data checks, then a second run with the data unchanged (checks
  cached). Target (issue 11): the second run at most 1.5 x the floor per briefing (wall).
- **Batches**: `python -m csdemand render --la ... --jobs J` for 1 and 20 authorities. Target:
  at most 1.1 x the floor's CPU time per briefing. CPU time is the run's and all its children's
  (render processes, kernels), so that two processes on two cores do not read as free.

Usage: python scripts/bench.py [--las N ...] [--jobs J ...] [--all]
       python scripts/bench.py --faults [--repeat N]

``--faults`` measures how fast faults are reported, over the tiny notebooks of the fault tests
(``tests/render/tiny.py``): from killing a kernel mid-notebook (SIGKILL, as the out-of-memory
killer does) to its FAILED line, the same for a killed worker with ``--jobs 2``, and from SIGTERM
to the exit of the run (143). Results in ``test-output/bench-faults.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from csdemand.core import paths
from csdemand.render import batch as render


def floor_seconds(las: list[str], shown: bool = True, frozen: bool = False) -> tuple[float, float, int]:
    """Run every briefing's code for each LA in this process (warm after the first): mean wall
    and CPU seconds per briefing, and how many runs. ``shown``: in an in-process IPython shell,
    which computes what each cell displays (tables' HTML, charts' images, the data payloads) as
    a kernel does; otherwise each cell's code alone (``exec``), whose last expression, the
    section the page shows, is evaluated and dropped. ``frozen``: the imported libraries are
    frozen out of the cyclic collector first (``gc.freeze``), as in a kernel forked from the
    warm-kernel server; run it in a process of its own (a freeze cannot be undone for what it froze)."""
    from csdemand.published.areas import resolve

    briefings = render.discover()
    if frozen:
        import gc

        from csdemand.render.notebooks import warm_up_code

        exec(warm_up_code(briefings), {})
        gc.collect()
        gc.freeze()
    # Warm-up: imports and every briefing's data caches, as a long-lived process would have them
    # (a briefing's first run in a process loads its tables: the scorecard's takes 2.7 s, later 1.05 s).
    for b in briefings:
        if b.available_for(resolve(las[0]).slug):
            _exec(b, las[0], shown)
    walls, cpus = [], []
    for la in las:
        for b in [b for b in briefings if b.available_for(resolve(la).slug)]:
            t, c = time.perf_counter(), time.process_time()
            _exec(b, la, shown)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    return statistics.mean(walls), statistics.mean(cpus), len(walls)


def _exec(briefing: render.Briefing, la: str, shown: bool = True) -> None:
    import contextlib
    import io

    nb = nbformat.read(briefing.path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    if shown:
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()
        shell.run_line_magic("reset", "-f")  # as the renderer does between notebooks
        with contextlib.redirect_stdout(io.StringIO()):  # the displayed text goes nowhere, as in a kernel
            for cell in cells:
                result = shell.run_cell(cell.source, store_history=False)
                result.raise_error()
                if "parameters" in cell.metadata.get("tags", []):
                    shell.user_ns.update({"la": la, "period": "latest"})
    else:
        ns: dict = {}
        for cell in cells:
            exec(compile(cell.source, f"<{briefing.name}>", "exec"), ns)
            if "parameters" in cell.metadata.get("tags", []):
                ns.update({"la": la, "period": "latest"})
    import matplotlib.pyplot as plt

    plt.close("all")


def fresh_floor(las: list[str], shown: bool = True, frozen: bool = False) -> tuple[float, float, int]:
    """:func:`floor_seconds` in a fresh Python process of its own (no heap left by an earlier
    floor; a freeze cannot be undone for what it froze)."""
    code = (
        "import json, sys; sys.path.insert(0, 'scripts'); import bench; "
        f"print(json.dumps(bench.floor_seconds({las!r}, shown={shown!r}, frozen={frozen!r})))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, check=True)
    wall, cpu, n = json.loads(run.stdout.strip().splitlines()[-1])
    return wall, cpu, n


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds (the command and every process it started and waited for) and its output."""
    t, c = time.perf_counter(), _children_cpu()
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=paths.ROOT)
    wall, cpu = time.perf_counter() - t, _children_cpu() - c
    if run.returncode != 0:
        print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    return wall, cpu, run.stdout


def _count(stdout: str) -> int:
    """N from the summary line 'N rendered, 0 failed, took ...'."""
    last = next(line for line in reversed(stdout.strip().splitlines()) if " rendered, " in line)
    return int(last.split()[0])


def batch_seconds(
    las: list[str], jobs: int, out: Path, extra: tuple[str, ...] = (), env: dict | None = None
) -> tuple[float, float, int]:
    """Wall and CPU time of `python -m csdemand render` for these LAs, and the briefings rendered."""
    wall, cpu, stdout = timed(
        [sys.executable, "-m", "csdemand", "render", "--la", *las, "--jobs", str(jobs), "--out", str(out), *extra],
        env,
    )
    return wall, cpu, _count(stdout)


def report_seconds(out: Path, env: dict) -> tuple[float, float, int]:
    """Wall and CPU time of `make report` (the reports folder and the cache of checks in ``env``)."""
    wall, cpu, stdout = timed(["make", "--no-print-directory", "-s", "report"], env)
    return wall, cpu, _count(stdout)


def _row(name: str, n: int | str, jobs: int, count: int, wall: float, cpu: float, floor: tuple) -> dict:
    row = {
        "run": name,
        "authorities": n,
        "jobs": jobs,
        "briefings": count,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "wall_per_briefing_s": round(wall / count, 2),
        "cpu_per_briefing_s": round(cpu / count, 2),
        "x_floor_wall": round(wall / count / floor[0], 2),
        "x_floor_cpu": round(cpu / count / floor[1], 2),
    }
    print(
        f"{name:<34} {count:>3} briefings  wall {wall:6.1f} s = {wall / count:5.2f} s each "
        f"({row['x_floor_wall']:.2f} x)  CPU {cpu:6.1f} s = {cpu / count:5.2f} s each ({row['x_floor_cpu']:.2f} x)"
    )
    return row


def _fault_seconds(kind: str, folder: Path) -> float:
    """Seconds from the fault to its report: the FAILED line (kernel, worker) or the exit (sigterm)."""
    import os
    import signal
    import threading

    sys.path.insert(0, str(paths.ROOT))
    from tests.render import tiny

    env = tiny.environment(folder, CSDEMAND_TEST_SLOW="352")
    las = ["352", "330"] if kind == "worker" else ["352"]
    args = ["--la", *las, "--briefing", "slow", "--out", str(folder / "out")] + (
        ["--jobs", "2"] if kind == "worker" else []
    )
    proc = tiny.start(args, env)
    failed = threading.Event()
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("FAILED"):
                failed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    kernel = tiny.wait_for_pid(folder / "pids", "352", proc=proc)
    t = time.perf_counter()
    if kind == "kernel":
        os.kill(kernel, signal.SIGKILL)
    elif kind == "worker":
        os.kill(tiny.worker_of(folder / "pids", "352"), signal.SIGKILL)
    else:
        proc.send_signal(signal.SIGTERM)
    if kind == "sigterm":
        proc.wait(timeout=120)
        took = time.perf_counter() - t
        if proc.returncode != 143:
            raise SystemExit(f"SIGTERM: exit status {proc.returncode}, expected 143")
    else:
        if not failed.wait(timeout=120):
            raise SystemExit(f"{kind}: no FAILED line: {''.join(lines)}")
        took = time.perf_counter() - t
        proc.wait(timeout=120)
    reader.join(5)
    return took


def faults(repeat: int) -> int:
    """Median seconds from each fault to its report, over ``repeat`` runs."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, words in (
            ("kernel", "kernel killed mid-notebook -> FAILED line"),
            ("worker", "worker killed (--jobs 2) -> FAILED line"),
            ("sigterm", "SIGTERM -> exit 143"),
        ):
            times = [_fault_seconds(kind, Path(tmp) / f"{kind}-{i}") for i in range(repeat)]
            results[kind] = {
                "median_s": round(statistics.median(times), 2),
                "max_s": round(max(times), 2),
                "runs": len(times),
            }
            print(f"{words}: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs")
    (paths.ROOT / "test-output").mkdir(exist_ok=True)
    (paths.ROOT / "test-output" / "bench-faults.json").write_text(json.dumps(results, indent=1))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--las", type=int, nargs="+", default=[1, 20], help="numbers of authorities (default 1 20)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="process counts (default 1 2)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also time every authority's summary and looked-after briefings with --jobs 2",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="instead, time how fast a killed kernel, a killed worker and SIGTERM are reported",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per fault with --faults (default 5)")
    args = parser.parse_args()
    if args.faults:
        return faults(args.repeat)
    every = render.all_authorities()
    # Manchester first, then the others in LA-number order: a fixed, repeatable selection.
    ordered = ["352"] + [la for la in every if la != "352"]
    names = [b.name for b in render.discover()]
    print(f"briefings: {', '.join(names)}")
    code_wall, code_cpu, _ = fresh_floor(ordered[:5], shown=False)
    frozen_wall, frozen_cpu, _ = fresh_floor(ordered[:5], frozen=True)
    before = fresh_floor(ordered[:5])
    print(
        f"floor before the runs (warm process, no kernel, no conversion; what each cell shows computed): "
        f"{before[0]:.2f} s wall, {before[1]:.2f} s CPU per briefing over {before[2]} runs (the code alone: "
        f"{code_wall:.2f} s wall, {code_cpu:.2f} s CPU; the floor with its imports frozen as a warm kernel's are: "
        f"{frozen_wall:.2f} s wall, {frozen_cpu:.2f} s CPU)",
        flush=True,
    )
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        # A cache of checks of the bench's own: the first `make report` finds it empty.
        env = {**os.environ, "CSDEMAND_CACHE": str(Path(tmp) / "cache"), "CSDEMAND_REPORTS": str(Path(tmp) / "report")}
        for label in ("make report, first run", "make report, second run"):
            wall, cpu, count = report_seconds(Path(tmp) / "report", env)
            measured.append((label, 1, min(2, os.cpu_count() or 1), count, wall, cpu))
            print(f"{label}: {count} briefings, wall {wall:.1f} s, CPU {cpu:.1f} s", flush=True)
        for n in args.las:
            for jobs in args.jobs:
                wall, cpu, count = batch_seconds(ordered[:n], jobs, Path(tmp) / f"{n}-{jobs}", env=env)
                label = f"{n} authorit{'y' if n == 1 else 'ies'}, --jobs {jobs}"
                measured.append((label, n, jobs, count, wall, cpu))
                print(f"{label}: {count} briefings, wall {wall:.1f} s, CPU {cpu:.1f} s", flush=True)
        if args.all:
            wall, cpu, count = batch_seconds(
                ["all"], 2, Path(tmp) / "all", ("--briefing", "summary", "looked_after"), env=env
            )
            measured.append(("all authorities, summary + LAC, --jobs 2", "all", 2, count, wall, cpu))
    # This machine's speed drifts by 10-20% over minutes (a shared host): the floor is measured
    # again after the runs, and each run is set against the mean of the two.
    after = fresh_floor(ordered[:5])
    floor_wall, floor_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    floor = (floor_wall, floor_cpu)
    drift = after[1] / before[1] - 1
    print(
        f"floor after the runs: {after[0]:.2f} s wall, {after[1]:.2f} s CPU ({drift:+.0%} CPU on the floor before); "
        f"the runs against the mean, {floor_wall:.2f} s wall and {floor_cpu:.2f} s CPU:"
    )
    rows = [_row(*m, floor) for m in measured]
    (paths.ROOT / "test-output").mkdir(exist_ok=True)
    (paths.ROOT / "test-output" / "bench.json").write_text(
        json.dumps(
            {
                "floor_per_briefing_s": round(floor_wall, 2),
                "floor_cpu_per_briefing_s": round(floor_cpu, 2),
                "floor_before_cpu_per_briefing_s": round(before[1], 2),
                "floor_after_cpu_per_briefing_s": round(after[1], 2),
                "frozen_floor_per_briefing_s": round(frozen_wall, 2),
                "frozen_floor_cpu_per_briefing_s": round(frozen_cpu, 2),
                "code_only_floor_per_briefing_s": round(code_wall, 2),
                "code_only_floor_cpu_per_briefing_s": round(code_cpu, 2),
                "runs": rows,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
