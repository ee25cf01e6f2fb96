"""How often the scorecard's flags fire over every authority: for each measure shown, the share
of authorities flagged against their statistical neighbours, against England and for the change
on the year, and a summary line (the README's "Scorecard" calibration).

    .venv/bin/python scripts/scorecard_flags.py [--period 2025] [--model 2025] [--all]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from csdemand.briefings import scorecard
from csdemand.core import numbers
from csdemand.methods import benchmarks as bm
from csdemand.published import store


def shares(period: int, model: str) -> pd.DataFrame:
    """One row per measure shown: shares flagged (0-1) and how many were tested."""
    data = scorecard._data(scorecard._stamp())
    nmap = bm.neighbour_map(store.load("statistical_neighbours"), model)
    rows = []
    for _, spec in scorecard.shown_measures().iterrows():
        p = data["panels"][spec["measure"]]
        year = bm.latest_period(p, period)
        f = bm.flag_shares(p, year, nmap)
        rows.append({"measure": spec["measure"], "label": spec["short_label"], "year": year, **f})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--period", type=int, default=2025)
    ap.add_argument("--model", default="2025")
    ap.add_argument("--all", action="store_true", help="print every measure, not only the summary")
    args = ap.parse_args(argv)
    df = shares(args.period, args.model)
    print("| flag | median share of authorities | range | measures over 15% |")
    print("|---|---|---|---|")
    for flag, words in (
        ("neighbours", "against the neighbours"),
        ("england", "against England"),
        ("change", "change on the year"),
    ):
        s = df[flag].dropna() * 100
        print(
            f"| {words} | {numbers.fmt(s.median(), 1)}% | {numbers.fmt(s.min(), 1)}% to {numbers.fmt(s.max(), 1)}% "
            f"| {int((s > 15).sum())} of {len(s)} |"
        )
    if args.all:
        print()
        for _, r in df.iterrows():
            cells = " | ".join(numbers.fmt(r[k] * 100, 1, unit="%") for k in ("neighbours", "england", "change"))
            print(f"| {r['label']} | {r['year']} | {cells} | {r['n_neighbours']} |")
    return 0 if np.isfinite(df["neighbours"]).any() else 1


if __name__ == "__main__":
    sys.exit(main())
