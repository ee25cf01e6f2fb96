"""LAIT against the EES and SFR files the project imports: for every pair of measures that give
the same figure, every authority, region and England and every year from 2016, how many agree and
which named rule explains each difference. Prints the README's table ("LAIT and the EES files").

    .venv/bin/python scripts/reconcile_lait.py             # the README's table and the rules
    .venv/bin/python scripts/reconcile_lait.py --rows out.csv   # also every compared row
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from csdemand.core.errors import InputError
from csdemand.published import reconcile, store


def rows() -> pd.DataFrame:
    """Every compared row, from the shipped tables (what the briefings read)."""
    ees = pd.concat([store.load("cla"), store.load("cin")], ignore_index=True)
    return reconcile.compare(store.load("lait"), ees, store.load("areas"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default=None, help="write every compared row to this CSV file")
    args = ap.parse_args(argv)
    try:
        compared = rows()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(reconcile.markdown(reconcile.summary_table(compared)))
    print()
    print(reconcile.rules_markdown())
    if args.rows:
        compared.to_csv(args.rows, index=False)
    return 1 if (compared["rule"] == "unexplained").any() else 0


if __name__ == "__main__":
    sys.exit(main())
