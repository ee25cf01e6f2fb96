"""How often the summary's flags fire over the shipped DfE data: for each published headline
indicator, the share of authorities flagged for the change over 1 and 3 years and how many sit
above and below England's 95% funnel limits. Prints the README's table ("How often the flags fire").

    .venv/bin/python scripts/flag_rates.py            # 2025, the README's table
    .venv/bin/python scripts/flag_rates.py --period 2021 --all-years
"""

from __future__ import annotations

import argparse
import sys

from csdemand.briefings import summary
from csdemand.core import numbers
from csdemand.core.errors import InputError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--period", type=int, default=2025, help="reporting year (ending 31 March) of the later figures, default 2025"
    )
    ap.add_argument(
        "--all-years",
        action="store_true",
        help="also print the share flagged for each one-year change from 2019 to --period",
    )
    args = ap.parse_args(argv)
    try:
        print(summary.flag_rates_markdown(summary.flag_rates(args.period), args.period))
        if args.all_years:
            print()
            years = list(range(2019, args.period + 1))
            print("| indicator | " + " | ".join(f"{y - 1} to {y}" for y in years) + " |")
            print("|---|" + "---|" * len(years))
            table = {y: summary.flag_rates(y).set_index("label")["flagged_change_1y"] for y in years}
            for label in table[years[-1]].index:
                print(f"| {label} | " + " | ".join(numbers.fmt(table[y].get(label), 0, unit="%") for y in years) + " |")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
