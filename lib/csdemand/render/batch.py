"""Render briefing notebooks to self-contained HTML reports, one or many at a time.

A briefing is any notebook in ``notebooks/`` (or ``$CSDEMAND_NOTEBOOKS``) whose metadata has a
``csdemand`` entry: ``title``, ``period_kind`` (``year`` or ``month``), ``order``, ``local_data``
(a local table it cannot do without: skipped for authorities that have none) and ``reads_local``
(every local table it reads when an authority has it; absent means any). Reports go to
``<out>/<la>/<period>/<briefing>.html`` with the executed notebook and a record (``.json``)
beside it, written together and only after execution and conversion succeeded: a failed or
stopped run leaves the last good report.

The parts: :mod:`~csdemand.render.execution` runs notebooks in a reused kernel (time limit,
dead kernels), :mod:`~csdemand.render.page` makes the page, :mod:`~csdemand.render.index` the
index pages, :mod:`~csdemand.render.pool` the worker processes of ``--jobs``,
:mod:`~csdemand.render.output` writes, :mod:`~csdemand.render.interrupt` handles SIGTERM/SIGINT.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from csdemand.core import paths
from csdemand.core.errors import InputError, RenderError
from csdemand.published import areas as areas_mod
from csdemand.published.areas import resolve
from csdemand.render import formats as _formats
from csdemand.render import index as _index
from csdemand.render import interrupt, output
from csdemand.render import pool as _pool
from csdemand.render.execution import (  # noqa: F401  (re-exported: callers use csdemand.render.batch)
    KERNEL_NAME,
    RESET_TAG,
    Executor,
    _first_error,
    _kernel_name,
    clean_stale_kernel_dirs,
    default_timeout,
    execute,
)
from csdemand.render.index import _period_key, _when, catalogue, write_indexes  # noqa: F401  (re-exported)
from csdemand.render.output import OutputError
from csdemand.render.page import body_html, for_report, git_commit, page, provenance_of


@dataclass(frozen=True)
class Briefing:
    """A briefing notebook and what its metadata says about it."""

    name: str
    path: Path
    title: str
    period_kind: str  # "year" or "month"
    order: int
    local_data: str = ""  # the local table it needs (config/data.yml), "" for none
    reads_local: tuple[str, ...] | None = None  # local tables it reads if configured; None: any

    def available_for(self, la_slug: str) -> bool:
        """False when the briefing needs a local table this LA has no source for (then it is skipped)."""
        from csdemand.local import sources as local_sources

        return not self.local_data or local_sources.is_configured(self.local_data, la_slug)

    def local_tables(self) -> set[str]:
        """The local tables whose problems stop this briefing: what it reads, or every table when
        its metadata does not say (the safe reading)."""
        from csdemand.local import sources as local_sources

        reads = set(local_sources.TABLES) if self.reads_local is None else set(self.reads_local)
        return reads | ({self.local_data} if self.local_data else set())


def discover(nb_dir: Path | None = None) -> list[Briefing]:
    """Every briefing notebook, in the order their metadata gives."""
    nb_dir = nb_dir or paths.notebooks_dir()
    found = []
    for path in sorted(Path(nb_dir).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("csdemand")
        except ValueError as exc:
            raise RenderError(f"{path}: not a valid notebook ({exc})") from None
        if meta:
            reads = meta.get("reads_local")
            found.append(
                Briefing(
                    path.stem,
                    path,
                    meta.get("title", path.stem),
                    meta.get("period_kind", "year"),
                    int(meta.get("order", 99)),
                    meta.get("local_data", ""),
                    tuple(reads) if isinstance(reads, list) else None,
                )
            )
    return sorted(found, key=lambda b: (b.order, b.name))


def render_one(briefing: Briefing, la: str, period: str, out_dir: Path, executor: Executor | None = None) -> Path:
    """Render one briefing for one LA and period; returns the HTML path.

    Without an ``executor`` a fresh kernel is started (and stopped) for this one notebook.
    :class:`~csdemand.render.output.OutputError` when the output folder cannot be written.
    """
    auth = resolve(la)
    params = {"la": str(auth.la_number), "period": str(period)}
    executed = executor.run(briefing, params) if executor is not None else execute(briefing, params)
    prov = provenance_of(executed)
    resolved_period = str(prov.get("parameters", {}).get("resolved period", period))
    if not _index.PERIOD.fullmatch(resolved_period):
        # It names a folder: only a year or a month may.
        raise RenderError(
            f"{briefing.name}: the notebook reported the period {resolved_period[:40]!r}, not a year or a month"
        )
    rendered_at = dt.datetime.now().astimezone()
    html = page(prov, body_html(for_report(executed)), rendered_at, git_commit())
    target = Path(out_dir) / auth.slug / resolved_period / f"{briefing.name}.html"
    record = {
        "briefing": briefing.name,
        "title": prov["title"],
        "authority": auth.name,
        "la_number": auth.la_number,
        "la_slug": auth.slug,
        "period": resolved_period,
        "order": briefing.order,
        "rendered_at": rendered_at.isoformat(timespec="seconds"),
        "figures": prov.get("figures", []),
    }
    output.write(
        Path(out_dir),
        {
            target: html,
            target.with_suffix(".ipynb"): nbformat.writes(executed),
            target.with_suffix(".json"): json.dumps(record, indent=1),
            **_formats.extra_files(target, html, executed, record),  # --format pdf xlsx: written with the page
        },
    )
    return target


@dataclass
class Outcome:
    """What a render run did."""

    rendered: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def all_authorities(period: str = "latest") -> list[str]:
    """Every LA that existed in the reporting year ``period`` names (``--la all``; ``latest``: the
    newest year in the data; a month: its year to March), including one whose figures are
    published with another's (the Isles of Scilly), from :mod:`csdemand.published.areas`."""
    from csdemand.published import areas

    year = areas.requested_year(period)
    return [str(a.la_number) for a in areas.existing_in(areas.newest_year() if year is None else year)]


def choose(briefings: list[str] | None) -> list[Briefing]:
    """The briefings asked for (default every one), or :class:`InputError` naming the unknown."""
    available = discover()
    if not briefings:
        return available
    unknown = [b for b in briefings if b not in {x.name for x in available}]
    if unknown:
        raise InputError(
            f"no briefing notebook named {', '.join(unknown)}",
            column="--briefing",
            expected="one of " + ", ".join(x.name for x in available),
        )
    return [x for x in available if x.name in briefings]


def published_years() -> tuple[int, int]:
    """The first and last reporting years the shipped data hold for local authorities."""
    from csdemand.published import store

    areas = store.load("areas")
    return int(areas["first_period"].min()), int(areas["last_period"].max())


def check_period(period: str, chosen: list[Briefing], say=print) -> list[Briefing]:
    """The briefings that can take ``period``; :class:`InputError` (exit 2) naming the years
    the data hold when none can: a year outside them for annual briefings, or a period in the
    future. A month past the published years skips the annual briefings, with a line saying so."""
    from csdemand.core.periods import parse_period, reporting_year

    kind, value = parse_period(period)
    if kind == "latest":
        return chosen
    first, last = published_years()
    today = dt.date.today()
    this_year = reporting_year(today)
    expected = (
        f"a reporting year from {first} to {last} (the years in the data), a month such as {last}-03, or 'latest'"
    )
    if kind == "month":
        this_month = f"{today:%Y-%m}"
        if str(value) > this_month:
            raise InputError(
                f"{value} is in the future: no data can exist for it",
                column="--period",
                value=period,
                expected=f"a month up to {this_month}, or 'latest'",
            )
        year = reporting_year(value)
    else:
        year = int(value)
    annual = [b for b in chosen if b.period_kind != "month"]
    monthly = [b for b in chosen if b.period_kind == "month"]
    if annual and not first <= year <= last:
        if kind == "month" and monthly:
            say(
                f"skipped  {', '.join(b.name for b in annual)}: no published data for the reporting year {year} that "
                f"holds {value} ({first} to {last})"
            )
            return monthly
        raise InputError(
            f"no published data for the reporting year {year}", column="--period", value=period, expected=expected
        )
    if not annual and kind == "year" and year > this_year:
        raise InputError(
            f"the reporting year {year} is in the future: no data can exist for it",
            column="--period",
            value=period,
            expected=f"a year up to {this_year}, a month, or 'latest'",
        )
    return chosen


def refuse_invalid_data(
    las: list[str], slugs: dict[str, str], chosen: list[Briefing] | None = None, say=print
) -> dict[tuple[str, str], str]:
    """Run the checks of ``python -m csdemand validate`` on the data this run would read: the
    shipped tables, and the configured local sources of these authorities that the chosen
    briefings read. Problems in the shipped tables refuse the whole run (:class:`RenderError`);
    a local source with problems refuses only that authority's briefings that read it: the
    result maps ``(la, table)`` to the message. Warnings are shown, not fatal."""
    from csdemand.local import sources as local_sources
    from csdemand.validation import checks as validation

    cfg = local_sources.load_config()
    needed = set().union(*(b.local_tables() for b in chosen)) if chosen else set(local_sources.TABLES)
    tables = {t: e for t, e in cfg["tables"].items() if t in needed}
    subset = {"version": cfg["version"], "tables": tables, "file": cfg["file"]}
    with_local = [la for la in las if any(local_sources.is_configured(t, slugs[la], cfg) for t in tables)]
    found = validation.validate_all(config=subset, las=with_local)
    names = {la: resolve(la).name for la in with_local}
    local: dict[tuple[str, str], list] = {}
    shipped = []
    for label, problems in found.items():
        errors = [p for p in problems if p.level != validation.WARNING]
        if not errors:
            continue
        owner = next(
            ((la, t) for la in with_local for t in tables if str(label).endswith(f" ({t}, {names[la]})")), None
        )
        if owner is None:
            shipped.extend(errors)
        else:
            local.setdefault(owner, []).extend(errors)
    for p in (shipped + [p for ps in local.values() for p in ps])[:25]:
        say(f"INVALID  {p}")
    if shipped:
        n = validation.count(shipped)
        raise RenderError(
            f"refusing to render: {n} problem{'s' if n != 1 else ''} in the data "
            "(`python -m csdemand validate` lists them all); existing reports are left as they were"
        )
    refused = {}
    for (la, table), errors in local.items():
        n = validation.count(errors)
        more = f" (and {n - 1:,} more; `python -m csdemand validate --la {la}` lists them all)" if n > 1 else ""
        refused[(la, table)] = f"refused: the local {table} data for {names[la]} are invalid: {errors[0]}{more}"
    return refused


# Each worker process keeps one kernel for all the notebooks it renders.
_WORKER_EXECUTOR: Executor | None = None


def _worker_render(task: tuple, executor: Executor | None = None) -> tuple[str, str | None, str | None, float, str]:
    """(briefing, la, period, out, time limit) -> (label, html path or None, error or None,
    seconds, kind): kind is ``ok``, ``failed`` or ``output`` (the output folder refused a write)."""
    global _WORKER_EXECUTOR
    name, la, period, out, limit = task
    if executor is None:
        if _WORKER_EXECUTOR is None:
            _WORKER_EXECUTOR = Executor(timeout=limit)
        executor = _WORKER_EXECUTOR
    executor.timeout = limit
    label = f"{name} for LA {la}"
    t = time.perf_counter()
    try:
        briefing = next(b for b in discover() if b.name == name)
        path = render_one(briefing, la, period, Path(out), executor)
        return label, str(path), None, time.perf_counter() - t, "ok"
    except OutputError as exc:
        return label, None, str(exc), time.perf_counter() - t, "output"
    except Exception as exc:  # one failure must not stop the batch; it is reported
        return label, None, str(exc), time.perf_counter() - t, "failed"


def _worker_failure(task: tuple, cause: str, seconds: float) -> tuple:
    name, la = task[0], task[1]
    return f"{name} for LA {la}", None, cause, seconds, "failed"


def _task_label(task: tuple) -> str:
    return f"{task[0]} for LA {task[1]}"


def _close_worker() -> None:
    global _WORKER_EXECUTOR
    if _WORKER_EXECUTOR is not None:
        _WORKER_EXECUTOR.close()
        _WORKER_EXECUTOR = None


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def render_many(
    las: list[str],
    period: str = "latest",
    briefings: list[str] | None = None,
    out_dir: Path | None = None,
    jobs: int = 1,
    log=None,
    check: bool = True,
    timeout: float | None = None,
) -> Outcome:
    """Render the chosen briefings for each LA (``["all"]`` for every LA).

    One failed briefing (an error in a cell, a kernel or worker that died, the time limit
    ``timeout`` seconds reached, invalid local data it reads) does not stop the rest. ``jobs`` > 1
    renders in that many processes, each reusing one kernel. Progress: a bar on a terminal, plain
    lines otherwise. Index pages are rebuilt from the folder at the end, and at the start when a
    stopped run left them behind its reports. Raises :class:`InputError` (exit 2) for bad
    arguments and :class:`~csdemand.render.output.OutputError` (exit 2) when the output folder
    cannot be written; :class:`~csdemand.render.interrupt.Stopped` on SIGTERM/SIGINT, after
    clean-up, with a one-line account of what was abandoned."""
    out_dir = Path(out_dir or paths.reports_dir())
    timeout = float(timeout) if timeout is not None else default_timeout()
    if int(jobs) < 1:
        raise InputError("not a number of processes", column="--jobs", value=jobs, expected="1 or more")
    say = log or (
        lambda line: print(
            line, file=sys.stderr if line.startswith(("FAILED", "INVALID", "ignored")) else sys.stdout, flush=True
        )
    )
    chosen = choose(briefings)
    if [x.lower() for x in las] == ["all"]:
        las = all_authorities(period)
    else:
        las = [str(resolve(la).la_number) for la in las]  # bad names fail here, before any work
        for la in las:  # a year the authority did not exist in is bad input (exit 2), before any work
            areas_mod.check_period(resolve(la), period)
    chosen = check_period(period, chosen, say)
    outcome = Outcome()
    start = time.perf_counter()
    state = {"current": None, "left": 0, "output": None}
    with interrupt.handling():
        try:
            output.check_writable(out_dir)
            stale = output.clean_stale(out_dir)
            kernels = clean_stale_kernel_dirs()
            if stale or kernels:
                say(
                    f"cleaned  {_plural(len(stale), 'temporary file')} in {out_dir} and "
                    f"{_plural(len(kernels), 'kernel folder')} left by a render that was stopped"
                )
            if _index.is_stale(out_dir) and write_indexes(out_dir, say=lambda line: None):
                say(
                    f"rebuilt  {out_dir / 'index.html'}: reports newer than it were missing (a run stopped before "
                    "rebuilding it)"
                )
            slugs = {la: resolve(la).slug for la in las}
            tasks = [
                (b.name, la, period, str(out_dir), timeout) for la in las for b in chosen if b.available_for(slugs[la])
            ]
            skipped = [(b, la) for la in las for b in chosen if not b.available_for(slugs[la])]
            if skipped and len(las) <= 20:
                for b, la in skipped:
                    say(
                        f"skipped  {b.name} for LA {la}: no local {b.local_data} source for this authority in "
                        "config/data.yml"
                    )
            elif skipped:
                say(f"skipped  {len(skipped)} briefings for authorities with no local source in config/data.yml")
            refused = refuse_invalid_data(las, slugs, chosen, say=say) if check else {}
            by_name = {b.name: b for b in chosen}
            blocked = {}
            for task in tasks:
                reasons = [
                    msg
                    for (la, table), msg in sorted(refused.items())
                    if la == task[1] and table in by_name[task[0]].local_tables()
                ]
                if reasons:
                    blocked[task] = "; ".join(reasons)
            tasks = [t for t in tasks if t not in blocked]

            tty = sys.stderr.isatty() and log is None
            bar = None
            if tty:
                from tqdm import tqdm

                bar = tqdm(total=len(tasks) + len(blocked), unit="briefing", file=sys.stderr)

            def record(result) -> bool:
                label, path, error, secs, kind = result
                if error:
                    outcome.failed.append(f"{label}: {error}")
                    if kind == "output":
                        state["output"] = error
                    else:
                        (bar.write if bar else say)(f"FAILED   {label}: {error}")
                else:
                    outcome.rendered.append(Path(path))
                    if bar is None:
                        say(f"rendered {path}  ({secs:.1f} s)")
                if bar is not None:
                    bar.update(1)
                return kind == "output"  # a folder that refuses one write refuses the next: stop

            for task, why in blocked.items():
                record((_task_label(task), None, why, 0.0, "failed"))
            if jobs <= 1 or len(tasks) <= 1:
                executor = Executor(timeout=timeout)
                try:
                    for i, task in enumerate(tasks):
                        interrupt.check()
                        state["current"], state["left"] = _task_label(task), len(tasks) - i - 1
                        if record(_worker_render(task, executor)):
                            break
                        state["current"] = None
                finally:
                    executor.close()
            else:
                _pool.run(
                    tasks,
                    jobs,
                    _worker_render,
                    _task_label,
                    record,
                    _worker_failure,
                    timeout,
                    init=None,
                    close=_close_worker,
                )
            if bar is not None:
                bar.close()
            if state["output"]:
                raise OutputError(state["output"])
        except interrupt.Stopped as exc:
            interrupt.acknowledge()
            stop = getattr(exc, "pool", None)
            abandoned = stop.abandoned if stop is not None else ([state["current"]] if state["current"] else [])
            left = stop.not_started if stop is not None else state["left"]
            parts = [
                f"abandoned {', '.join(abandoned)} (nothing of {'it' if len(abandoned) == 1 else 'them'} was written)"
                if abandoned
                else "no briefing was being rendered"
            ]
            if left:
                parts.append(f"{_plural(left, 'briefing')} not started")
            parts.append(f"{len(outcome.rendered)} rendered before the stop")
            try:
                with interrupt.deferred(raise_pending=False):
                    write_indexes(out_dir, say=lambda line: None)
                parts.append("index rebuilt")
            except Exception:
                parts.append("index not rebuilt")
            exc.detail = f"stopped by {exc.name}: " + "; ".join(parts)
            exc.args = (exc.detail,)
            raise
        write_indexes(out_dir, say=say)
    outcome.seconds = time.perf_counter() - start
    say(f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed, took {outcome.seconds:.1f} s")
    return outcome
