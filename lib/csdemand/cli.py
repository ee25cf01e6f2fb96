"""Command line: ``python -m csdemand import-dfe DIR``, ``render ...``, ``pack ...``, ``validate ...``, ``backtest``,
``releases``.

Exit codes: 0 success; 1 a briefing failed to render; 2 bad input, bad arguments or an output
folder that cannot be written; 128 + the signal when ``render`` is stopped by a signal (143
SIGTERM, 130 SIGINT), after abandoning the current briefing and cleaning up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from csdemand.core import paths
from csdemand.core.errors import InputError, RenderError


def _cmd_import(args: argparse.Namespace) -> int:
    from csdemand.published.importer import import_dfe

    result = import_dfe(args.folder, args.out, allow_loss=args.allow_loss)
    for f, kind in result.read:
        print(f"read     {f}  ({kind})")
    for f, why in result.skipped:
        print(f"skipped  {f}  ({why})")
    for loss in result.losses:
        print(f"lost     {loss.describe()}  (--allow-loss)")
    for table, n in result.written.items():
        name = table + (".parquet" if (Path(args.out) / (table + ".parquet")).exists() else ".csv")
        print(f"wrote    {Path(args.out) / name}  ({n:,} rows)")
    return 0


def _cmd_synth_referrals(args: argparse.Namespace) -> int:
    from csdemand.published import store
    from csdemand.published.areas import resolve
    from csdemand.synthetic import referrals as synthetic

    la = resolve(args.la)
    targets = synthetic.targets_from_published(store.load("cin"), la.la_number, args.start_year)
    df = synthetic.generate_referrals(targets, seed=args.seed, start_year=args.start_year)
    out = Path(args.out) / f"referrals_{la.slug}_synthetic.csv"
    csv_path, meta_path = synthetic.write_extract(
        df,
        out,
        {
            "area": la.name,
            "la_number": la.la_number,
            "calibrated_to": (
                "DfE Characteristics of children in need, c1 referrals and re-referrals (data/sample/cin.csv)"
            ),
        },
    )
    print(
        f"wrote    {csv_path}  ({len(df):,} synthetic referrals, {targets['period'].min()}-{targets['period'].max()})"
    )
    print(f"wrote    {meta_path}")
    return 0


def _cmd_synth_early_help(args: argparse.Namespace) -> int:
    from csdemand.synthetic import early_help as seh

    df = seh.generate_requests(seed=args.seed, start=args.start, end=args.end)
    out = Path(args.out) / "early_help_requests_352-manchester_synthetic.csv"
    csv_path, meta_path = seh.write_requests(df, out, {"area": "Manchester", "la_number": 352})
    print(f"wrote    {csv_path}  ({len(df):,} synthetic requests, {args.start} to {args.end})")
    print(f"wrote    {meta_path}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    import re

    from csdemand.render import execution, notebooks
    from csdemand.render.interrupt import Stopped

    if not re.fullmatch(r"latest|(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?", args.period.strip().lower()):
        raise InputError(
            "not a period",
            column="--period",
            value=args.period,
            expected="a year such as 2025, a month such as 2021-06, or 'latest'",
        )
    timeout = execution.parse_timeout(args.timeout) if args.timeout is not None else execution.default_timeout()
    executor = None
    from csdemand.render import formats

    if args.format is not None:
        formats.use(formats.parse(args.format))
    else:
        formats.requested()  # a bad $CSDEMAND_RENDER_FORMATS: exit 2 before any work
    server = None
    try:
        if not args.only_changed:
            # The warm-kernel server imports the notebooks' libraries, and the first kernel forked
            # from it boots, while this process imports the renderer and checks the data (the
            # notebooks and the kernels need none of it); both are stopped at the end in any case.
            chosen = notebooks.choose(args.briefing)
            warm_up = notebooks.warm_up_code(chosen)
            server = execution.start_warm_kernels(chosen[0], warm_up)
            if args.jobs == 1:
                executor = execution.Executor(timeout=timeout)
                executor.prestart(chosen[0], warm_up)
        from csdemand.render.batch import render_many

        outcome = render_many(
            las=args.la,
            period=args.period.strip().lower(),
            briefings=args.briefing,
            out_dir=Path(args.out),
            jobs=args.jobs,
            timeout=timeout,
            only_changed=args.only_changed,
            recheck=args.recheck,
            executor=executor,
        )
    except Stopped as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return exc.exit_status
    finally:
        if executor is not None:
            executor.close()
        if server is not None:
            server.stop()
    return 0 if not outcome.failed else 1


def _period(text: str) -> str:
    import re

    if not re.fullmatch(r"latest|(19|20)[0-9]{2}(-(0[1-9]|1[0-2]))?", text.strip().lower()):
        raise InputError(
            "not a period",
            column="--period",
            value=text,
            expected="a year such as 2025, a month such as 2021-06, or 'latest'",
        )
    return text.strip().lower()


def _cmd_pack(args: argparse.Namespace) -> int:
    from csdemand.render import pack
    from csdemand.render.interrupt import Stopped, handling

    try:
        with handling():
            pack.build(args.la, args.briefings, _period(args.period), Path(args.out))
    except Stopped as exc:
        print(f"stopped by {exc.name}: no pack written", file=sys.stderr, flush=True)
        return exc.exit_status
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return n


def _cmd_validate(args: argparse.Namespace) -> int:
    from csdemand.validation import checks as validation

    if args.file:
        from csdemand.core.text import regular_file

        for f in args.file:
            if Path(f).exists():  # a missing file is reported with the others' problems (exit 1)
                regular_file(f)  # a folder, FIFO, socket or device: refused here (exit 2), never opened
        report = {str(f): validation.check_file(f) for f in args.file}
    else:
        report = validation.validate_all(las=args.la)
    with_problems = 0
    total = warnings = 0
    for source, problems in report.items():
        n = validation.count(problems)
        if not n:
            print(f"{source}: no problems")
            for p in problems:  # notes: fields the source does not record
                print(f"  {p}")
            continue
        with_problems += 1
        total += n
        warnings += sum(p.count for p in problems if p.level == validation.WARNING)
        print(f"{source}: {n:,} problem{'s' if n != 1 else ''}")
        for p in problems:
            print(f"  {p}")
    checked = len(report)
    summary = f"{checked} source{'s' if checked != 1 else ''} checked, "
    if total:
        summary += (
            f"{total:,} problem{'s' if total != 1 else ''} in {with_problems} source{'s' if with_problems != 1 else ''}"
        )
        if warnings:
            summary += f" ({warnings:,} of them warning{'s' if warnings != 1 else ''})"
    else:
        summary += "no problems"
    print(summary)
    return 1 if total else 0


def _cmd_backtest(args: argparse.Namespace) -> int:
    import pandas as pd

    from csdemand.methods import projection
    from csdemand.published import store
    from csdemand.published.areas import resolve

    hist = projection.histories(store.load("lait"), store.load("population"))
    bt = projection.backtest(hist)
    if not args.la:
        first = projection.FIRST_ORIGIN
        print(f"## Children looked after at 31 March: backtest, origins {first}-{bt.last_year - 1}, every authority\n")
        print(projection.markdown_table(bt.table))
        print(f"\n{bt.judgement.sentence}\n")
        print("## Weekly unit cost (LACFinance): backtest\n")
        print(projection.markdown_table(bt.unit_cost_table, projection.UNIT_COST_LABELS))
        print(
            f"\nUnit cost projected by: {projection.UNIT_COST_LABELS[bt.unit_cost_method].lower()}"
            " (lowest 1-year error)."
        )
        return 0
    la = resolve(args.la)
    p = projection.project(hist, la.la_number, bt)
    print(f"## {p.area_name} ({la.la_number}): children looked after at 31 March, projected from {p.origin}\n")
    print(p.sentence + "\n")
    if p.refused:
        return 0
    methods = [m for m in projection.METHODS]
    rows = []
    for m in methods:
        f = projection.project_method(hist, la.la_number, m, bt)
        for _, r in f.iterrows():
            rows.append(
                {
                    "method": projection.METHOD_LABELS[m],
                    "shown": "yes" if bt.judgement.beats_naive.get(m) else "no",
                    "period": r["period"],
                    "forecast": r["forecast"],
                    "80% from": r["lo80"],
                    "80% to": r["hi80"],
                    "95% from": r["lo95"],
                    "95% to": r["hi95"],
                }
            )
    print(
        'Every method, with its backtest interval ("shown": whether it beat the naive projection, '
        "so a briefing may show it):\n"
    )
    print(projection.markdown_frame(pd.DataFrame(rows)))
    use = p.method or "naive"
    children = p.frame if len(p.frame) else projection.project_method(hist, la.la_number, "naive", bt)
    cost = projection.project_cost(hist, la.la_number, children, bt, method=use)
    basis = (
        projection.METHOD_LABELS[use].lower()
        if p.method
        else "today's number of children (no forecast of numbers is shown)"
    )
    print(f"\n### Cost at {basis}\n")
    print(cost.sentence + " " + cost.note + "\n")
    if len(cost.frame):
        print(
            projection.markdown_frame(
                cost.frame[
                    [
                        "period",
                        "children",
                        "unit_cost",
                        "unit_cost_lo80",
                        "unit_cost_hi80",
                        "cost",
                        "cost_lo80",
                        "cost_hi80",
                    ]
                ]
            )
        )
    if args.starts or args.ceases:
        sc = projection.scenario(
            hist,
            la.la_number,
            bt,
            start_change=args.starts / 100,
            cease_change=args.ceases / 100,
            from_year=args.from_year,
        )
        print("\n### Scenario (stock-flow)\n")
        print(sc.sentence + "\n")
        print(
            projection.markdown_frame(
                sc.frame[["period", "baseline", "scenario", "difference", "baseline_cost", "scenario_cost"]]
            )
        )
    if args.hindcast:
        h = projection.hindcast(hist, la.la_number, bt, args.hindcast)
        print(f"\n### Projected from {args.hindcast} beside what happened (80% intervals known in {args.hindcast})\n")
        print(
            projection.markdown_frame(
                h[["period", "actual"] + [c for m in methods for c in (m, f"{m}_lo80", f"{m}_hi80")]]
            )
        )
    return 0


def _cmd_releases(args: argparse.Namespace) -> int:
    import datetime as dt

    from csdemand.briefings import scorecard

    try:
        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    except ValueError:
        raise InputError("not a date", column="--today", value=args.today, expected="YYYY-MM-DD") from None
    print(scorecard.releases_text(scorecard.releases(today), today))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m csdemand", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import-dfe", help="build data/sample's tidy tables from published DfE/ONS files")
    p.add_argument(
        "folder",
        nargs="?",
        default=str(paths.reference_data_dir()),
        help="folder of published CSVs (default: ../shared/reference-data)",
    )
    p.add_argument("--out", default=str(paths.data_dir()), help="where to write the tidy tables (default: data/sample)")
    p.add_argument(
        "--allow-loss",
        action="store_true",
        help="replace the tables in --out even if rows they hold would disappear "
        "(by default the import stops and lists them)",
    )
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "synth-referrals", help="write a seeded SYNTHETIC referrals extract calibrated to an LA's published figures"
    )
    p.add_argument("--la", default="352", help="LA number, GSS code or name (default 352, Manchester)")
    p.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
    p.add_argument("--start-year", type=int, default=2018, help="first reporting year (default 2018: from April 2017)")
    p.add_argument("--out", default=str(paths.data_dir() / "local"), help="folder (default data/sample/local)")
    p.set_defaults(func=_cmd_synth_referrals)

    p = sub.add_parser("synth-early-help", help="write the seeded SYNTHETIC Manchester early help requests extract")
    p.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    p.add_argument("--start", default="2017-04", help="first month (default 2017-04)")
    p.add_argument(
        "--end", default="2026-10", help="last month (default 2026-10, the last full month when the sample was made)"
    )
    p.add_argument("--out", default=str(paths.data_dir() / "local"), help="folder (default data/sample/local)")
    p.set_defaults(func=_cmd_synth_early_help)

    p = sub.add_parser("render", help="execute briefing notebooks and write self-contained HTML reports")
    p.add_argument(
        "--la", nargs="+", default=["352"], help="LA numbers, GSS codes or names, or 'all' (default 352, Manchester)"
    )
    p.add_argument("--jobs", type=_positive_int, default=1, help="render in this many processes (default 1)")
    p.add_argument(
        "--period", default="latest", help="a year (annual briefings), YYYY-MM (monthly), or 'latest' (default)"
    )
    p.add_argument(
        "--briefing", nargs="+", default=None, help="notebook names without .ipynb (default: every briefing)"
    )
    p.add_argument("--out", default=str(paths.reports_dir()), help="reports folder (default: reports/)")
    p.add_argument(
        "--timeout",
        default=None,
        metavar="SECONDS",
        help="time limit for one briefing; one that reaches it fails and the run goes on "
        "(default $CSDEMAND_RENDER_TIMEOUT, else 600)",
    )
    p.add_argument(
        "--only-changed",
        action="store_true",
        help="skip briefings whose inputs (data, local extracts) and code are as at their last render for this "
        "period; nothing of theirs is rewritten",
    )
    p.add_argument(
        "--recheck",
        action="store_true",
        help="check every data source again, even one that passed today with the same content and code "
        "(the checks are otherwise cached)",
    )
    p.add_argument(
        "--format",
        nargs="+",
        default=None,
        metavar="FORMAT",
        help="what to write beside each page: html (always), pdf (printed by headless Chromium, A4), xlsx (every "
        "table of the briefing in an accessible workbook); default $CSDEMAND_RENDER_FORMATS, else html",
    )
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "pack",
        help="assemble one committee paper PDF of several briefings of an authority: cover, contents, briefings",
        description="Write <out>/<la>/<period>/pack.pdf: a cover (authority, period, date), a contents page with "
        "the page each briefing starts on, then each briefing's PDF, in the order given. Uses the reports already in "
        "--out (latest: the newest period each briefing was rendered for); a briefing with no page for the period is "
        "rendered first, and a PDF missing or older than its page is printed again from the page. Exit 0 when the "
        "pack is written, 1 when a briefing could not be rendered (no pack written), 2 for bad arguments.",
    )
    p.add_argument("--la", default="352", help="LA number, GSS code or name (default 352, Manchester)")
    p.add_argument(
        "--briefings",
        nargs="+",
        required=True,
        help="briefing names in the order the pack holds them, e.g. summary looked_after referrals",
    )
    p.add_argument(
        "--period", default="latest", help="a year, YYYY-MM, or 'latest' (default: the newest period rendered)"
    )
    p.add_argument("--out", default=str(paths.reports_dir()), help="reports folder (default: reports/)")
    p.set_defaults(func=_cmd_pack)

    p = sub.add_parser(
        "validate",
        help="check every configured local source and the shipped tables; list every problem",
        description="List every problem in the local sources config/data.yml names (for each --la) and in "
        "data/sample's cla, cin and population tables, or in the --file CSVs. Exit 0 when clean, 1 when any "
        "problem is found, 2 for a bad argument.",
    )
    p.add_argument(
        "--la",
        nargs="+",
        default=None,
        help="LA numbers, GSS codes or names whose local sources to check (default 352, Manchester)",
    )
    p.add_argument("--file", nargs="+", default=None, help="check these CSV files instead of the configured sources")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "backtest",
        help="print the looked-after projection backtest (error and interval coverage by method and horizon), "
        "or one authority's projection",
        description="Without --la: the backtest table of every projection method over every authority (markdown). "
        "With --la: that authority's projection by every method, its cost, and optionally a scenario and a past "
        "projection beside what happened.",
    )
    p.add_argument("--la", default=None, help="LA number, GSS code or name: print this authority's projection")
    p.add_argument("--starts", type=float, default=0.0, help="scenario: change in the starting rate, %% (e.g. -10)")
    p.add_argument("--ceases", type=float, default=0.0, help="scenario: change in the ceasing share, %% (e.g. 5)")
    p.add_argument(
        "--from-year", type=int, default=None, help="scenario: first reporting year changed (default: next year)"
    )
    p.add_argument(
        "--hindcast",
        type=int,
        default=None,
        help="also print the projection made from this year beside what happened (e.g. 2022)",
    )
    p.set_defaults(func=_cmd_backtest)

    p = sub.add_parser(
        "releases",
        help="list the updates due for the measures the briefings use (LAIT's dictionary), soonest first",
        description="One block per date and publication: the date LAIT's dictionary gives for the next update, the "
        "publication, the measures (LAIT codes) and the briefings that use them, soonest first; dates already past "
        "are marked PAST DUE (newer figures are probably out: refresh LAIT's files and re-import).",
    )
    p.add_argument("--today", default=None, help="the date to judge past-due against, YYYY-MM-DD (default: today)")
    p.set_defaults(func=_cmd_releases)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
