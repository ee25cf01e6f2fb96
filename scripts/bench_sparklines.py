"""How long sparklines take: every line drawn in one figure (csdemand.present.sparklines) against
one matplotlib figure per sparkline, for a scorecard's worth of lines (67). Prints the medians.

    .venv/bin/python scripts/bench_sparklines.py [--rows 67] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd


def one_figure_each(lines: pd.DataFrame) -> list[bytes]:
    """The slow way, for comparison: a figure per sparkline."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    for _, row in lines.iterrows():
        fig, ax = plt.subplots(figsize=(0.84 * 3, 0.16 * 3), dpi=100)
        ax.plot(row.index, row.to_numpy(), color="#D55E00")
        ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out.append(buf.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=67)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    from csdemand.present.sparklines import sparklines

    rng = np.random.default_rng(1)
    years = list(range(2016, 2026))
    lines = pd.DataFrame(
        rng.normal(50, 10, (args.rows, len(years))), columns=years, index=[f"m{i}" for i in range(args.rows)]
    )
    ref = lines + rng.normal(0, 5, lines.shape)
    sparklines(lines.iloc[:2], reference=ref.iloc[:2])  # imports and fonts
    one_figure_each(lines.iloc[:2])
    timings = {"one figure for all": [], "one figure each": []}
    for _ in range(args.repeat):
        t = time.perf_counter()
        sparklines(lines, reference=ref, marks=lines > 65)
        timings["one figure for all"].append(time.perf_counter() - t)
        t = time.perf_counter()
        one_figure_each(lines)
        timings["one figure each"].append(time.perf_counter() - t)
    for name, ts in timings.items():
        med = statistics.median(ts)
        print(f"{name:20s} {args.rows} sparklines: median {med * 1000:.0f} ms ({med / args.rows * 1000:.1f} ms each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
