"""Render briefing notebooks to self-contained HTML reports, one or many at a time.

A briefing is any notebook in ``notebooks/`` (or ``$CSDEMAND_NOTEBOOKS``) whose metadata has a
``csdemand`` entry: ``title``, ``period_kind`` (``year`` or ``month``), ``order``, ``local_data``
(a local table it cannot do without: skipped for authorities that have none) and ``reads_local``
(every local table it reads when an authority has it; absent means any). Reports go to
``<out>/<la>/<period>/<briefing>.html`` with the executed notebook and a record (``.json``)
beside it, written together and only after execution and conversion succeeded: a failed or
stopped run leaves the last good report.

The authority is resolved once per run (:func:`csdemand.published.areas.resolve`) and passed on
as a :class:`~csdemand.published.areas.LocalAuthority`; the notebook gets its LA number, and the
report is filed by the typed record the notebook displays (:class:`csdemand.present.Provenance`:
its ``period``, else its ``"resolved period"`` parameter).

The parts: :mod:`~csdemand.render.execution` runs notebooks in a reused kernel (time limit,
dead kernels), :mod:`~csdemand.render.page` makes the page, :mod:`~csdemand.render.index` the
index pages, :mod:`~csdemand.render.pool` the worker processes of ``--jobs``,
:mod:`~csdemand.render.output` writes, :mod:`~csdemand.render.interrupt` handles SIGTERM/SIGINT,
:mod:`~csdemand.render.checks` caches the data checks, :mod:`~csdemand.render.changes` compares a
briefing with its previous record ("What's new", ``--only-changed``) using the hashes of
:mod:`~csdemand.render.fingerprint`.
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
from csdemand.published.areas import LocalAuthority, resolve
from csdemand.render import changes as _changes
from csdemand.render import checks as _checks
from csdemand.render import fingerprint, interrupt, output
from csdemand.render import formats as _formats
from csdemand.render import index as _index
from csdemand.render import pool as _pool
from csdemand.render import warm_kernels as _warm_kernels
from csdemand.render.execution import (  # noqa: F401  (re-exported: callers use csdemand.render.batch)
    KERNEL_NAME,
    RESET_TAG,
    Executor,
    _first_error,
    _kernel_name,
    clean_stale_kernel_dirs,
    default_timeout,
    execute,
    start_warm_kernels,
)
from csdemand.render.index import _period_key, _when, catalogue, write_indexes  # noqa: F401  (re-exported)
from csdemand.render.notebooks import Briefing, choose, discover, warm_up_code
from csdemand.render.output import OutputError
from csdemand.render.page import body_html, for_report, git_commit, page, provenance_of  # noqa: F401  (re-exported)


def _local_config() -> dict:
    from csdemand.local import sources as local_sources

    return local_sources.load_config()


def fingerprint_of(briefing: Briefing, auth: LocalAuthority, period: str, cfg: dict | None = None) -> dict:
    """The hashes a record keeps (see :mod:`csdemand.render.fingerprint`): ``inputs`` (what the
    briefing reads, per source), ``inputs_hash`` (None when a source cannot be hashed) and
    ``code_hash``."""
    inputs = fingerprint.inputs_of(briefing, auth, period, _local_config() if cfg is None else cfg)
    return {
        "inputs": inputs,
        "inputs_hash": fingerprint.inputs_digest(inputs),
        "code_hash": fingerprint.code_digest(briefing.path),
    }


def resolved_period(prov, briefing: Briefing, requested: str) -> str:
    """The period a report is filed under: the record's typed ``period``, else its ``"resolved
    period"`` parameter (briefings written before the typed field), else the period asked for;
    :class:`RenderError` unless it is a year or a month (it names a folder)."""
    found = str(prov.period or prov.parameters.get("resolved period") or requested)
    if not _index.PERIOD.fullmatch(found):
        raise RenderError(f"{briefing.name}: the notebook reported the period {found[:40]!r}, not a year or a month")
    return found


def _sources_of(prov) -> list[dict]:
    return [
        {k: str(s.get(k) or "") for k in ("id", "title", "publisher", "published")}
        for s in prov.sources
        if isinstance(s, dict)
    ]


def render_one(
    briefing: Briefing,
    la: str | LocalAuthority,
    period: str,
    out_dir: Path,
    executor: Executor | None = None,
    hashes: dict | None = None,
) -> Path:
    """Render one briefing for one LA and period; returns the HTML path.

    ``la`` is an authority already resolved, or anything :func:`resolve` takes. Without an
    ``executor`` a fresh kernel is started (and stopped) for this one notebook. The record
    beside the page holds the headline figures, the sources' release dates, the hashes of the
    inputs and code and what changed since the previous record (shown as "What's new"); the
    record replaced is kept as ``<briefing>.previous.json``; ``hashes`` are those of
    :func:`fingerprint_of`, taken now when not given (a batch takes them before it starts).
    :class:`~csdemand.render.output.OutputError` when the output folder cannot be written.
    """
    auth = resolve(la)
    out_dir = Path(out_dir)
    if hashes is None:
        hashes = fingerprint_of(briefing, auth, str(period))  # before running: what the notebook will read
    params = {"la": str(auth.la_number), "period": str(period)}
    executed = executor.run(briefing, params) if executor is not None else execute(briefing, params)
    prov = provenance_of(executed)
    if prov.la_number is not None and prov.la_number != auth.la_number:
        raise RenderError(
            f"{briefing.name}: the notebook reported LA {prov.la_number}, not the LA {auth.la_number} it was given"
        )
    folder_period = resolved_period(prov, briefing, str(period))
    rendered_at = dt.datetime.now().astimezone()
    commit = git_commit()
    target = out_dir / auth.slug / folder_period / f"{briefing.name}.html"
    sources = _sources_of(prov)
    local = [s["published"] for s in sources if s["publisher"] == "Council" and s["published"]]
    record = {
        "briefing": briefing.name,
        "title": prov.title,
        "authority": auth.name,
        "la_number": auth.la_number,
        "la_slug": auth.slug,
        "period": folder_period,
        "requested_period": str(period),
        "order": briefing.order,
        "rendered_at": rendered_at.isoformat(timespec="seconds"),
        "commit": commit,
        "sources": sources,
        "local_to": max(local) if local else "",
        **hashes,
        "figures": [f.as_dict() for f in prov.figures],
    }
    previous = _changes.previous_record(out_dir, auth.slug, briefing.name, folder_period)
    whats_new = _changes.compare(record, previous)
    record["changes"] = whats_new.as_dict()
    html = page(prov, body_html(executed), rendered_at, commit, whats_new=whats_new)
    files = {
        target: html,
        target.with_suffix(".ipynb"): nbformat.writes(executed),
        target.with_suffix(".json"): json.dumps(record, indent=1),
        **_formats.extra_files(target, html, executed, record),  # --format pdf xlsx: written with the page
    }
    if previous is not None:
        files[target.with_name(briefing.name + _changes.PREVIOUS)] = json.dumps(previous, indent=1)
    output.write(out_dir, files)
    return target


@dataclass
class Outcome:
    """What a render run did."""

    rendered: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)  # skipped by --only-changed
    seconds: float = 0.0


def every_authority(period: str = "latest") -> list[LocalAuthority]:
    """Every LA that existed in the reporting year ``period`` names (``--la all``; ``latest``: the
    newest year in the data; a month: its year to March), including one whose figures are
    published with another's (the Isles of Scilly), from :mod:`csdemand.published.areas`."""
    year = areas_mod.requested_year(period)
    return areas_mod.existing_in(areas_mod.newest_year() if year is None else year)


def all_authorities(period: str = "latest") -> list[str]:
    """The LA numbers of :func:`every_authority`, as text."""
    return [str(a.la_number) for a in every_authority(period)]


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
    auths: list[LocalAuthority], chosen: list[Briefing] | None = None, say=print, recheck: bool = False
) -> dict[tuple[int, str], str]:
    """Run the checks of ``python -m csdemand validate`` on the data this run would read: the
    shipped tables, and the configured local sources of these authorities that the chosen
    briefings read. Problems in the shipped tables refuse the whole run (:class:`RenderError`);
    a local source with problems refuses only that authority's briefings that read it: the
    result maps ``(la_number, table)`` to the message. Warnings are shown, not fatal.

    A source that passed is not checked again while its content, the code and the day are the
    same (:mod:`csdemand.render.checks`); ``recheck`` checks everything."""
    from csdemand.local import sources as local_sources
    from csdemand.validation import checks as validation

    cfg = local_sources.load_config()
    needed = set().union(*(b.local_tables() for b in chosen)) if chosen else set(local_sources.TABLES)
    tables = {t: e for t, e in cfg["tables"].items() if t in needed}
    configured = [(a, t) for a in auths for t in tables if local_sources.is_configured(t, a.slug, cfg)]
    clean = set() if recheck else _checks.load()
    shipped_key = _checks.shipped_key(validation.TIDY_TABLES)
    keys = {(a.la_number, t): _checks.local_key(t, a, cfg) for a, t in configured}
    todo = [(a, t) for a, t in configured if keys[(a.la_number, t)] is None or keys[(a.la_number, t)] not in clean]
    if shipped_key in clean and not todo:
        return {}
    check_las = list({a.la_number: a for a, _ in todo}.values())
    subset = {"version": cfg["version"], "tables": {t: tables[t] for t in {t for _, t in todo}}, "file": cfg["file"]}
    found = validation.validate_all(config=subset, las=check_las)
    local: dict[tuple[int, str], list] = {}
    shipped = []
    for label, problems in found.items():
        errors = [p for p in problems if p.level != validation.WARNING]
        owner = next(
            ((a.la_number, t) for a in check_las for t in subset["tables"] if str(label).endswith(f" ({t}, {a.name})")),
            None,
        )
        if owner is None:
            shipped.extend(errors)
        elif errors:
            local.setdefault(owner, []).extend(errors)
    for p in (shipped + [p for ps in local.values() for p in ps])[:25]:
        say(f"INVALID  {p}")
    passed = {keys[(a.la_number, t)] for a, t in todo if (a.la_number, t) not in local} - {None}
    if not shipped:
        passed.add(shipped_key)
    if passed - clean:
        _checks.save((clean | passed) if not recheck else (_checks.load() | passed))
    if shipped:
        n = validation.count(shipped)
        raise RenderError(
            f"refusing to render: {n} problem{'s' if n != 1 else ''} in the data "
            "(`python -m csdemand validate` lists them all); existing reports are left as they were"
        )
    names = {a.la_number: a.name for a in auths}
    refused = {}
    for (la, table), errors in local.items():
        n = validation.count(errors)
        more = f" (and {n - 1:,} more; `python -m csdemand validate --la {la}` lists them all)" if n > 1 else ""
        refused[(la, table)] = f"refused: the local {table} data for {names[la]} are invalid: {errors[0]}{more}"
    return refused


# Each worker process keeps one kernel for all the notebooks it renders.
_WORKER_EXECUTOR: Executor | None = None


def _worker_render(task: tuple, executor: Executor | None = None) -> tuple[str, str | None, str | None, float, str]:
    """(briefing, authority, period, out, time limit, hashes) -> (label, html path or None, error
    or None, seconds, kind): kind is ``ok``, ``failed`` or ``output`` (the output folder refused a
    write). The hashes come with the task: a render process then has no need of the local data
    readers (importing them costs seconds)."""
    global _WORKER_EXECUTOR
    name, auth, period, out, limit, hashes = task
    if executor is None:
        if _WORKER_EXECUTOR is None:
            _WORKER_EXECUTOR = Executor(timeout=limit)
        executor = _WORKER_EXECUTOR
    executor.timeout = limit
    label = _task_label(task)
    t = time.perf_counter()
    try:
        briefing = next(b for b in discover() if b.name == name)
        path = render_one(briefing, auth, period, Path(out), executor, hashes)
        return label, str(path), None, time.perf_counter() - t, "ok"
    except OutputError as exc:
        return label, None, str(exc), time.perf_counter() - t, "output"
    except Exception as exc:  # one failure must not stop the batch; it is reported
        return label, None, str(exc), time.perf_counter() - t, "failed"


def _la_text(la: object) -> str:
    return str(la.la_number) if isinstance(la, LocalAuthority) else str(la)


def _worker_failure(task: tuple, cause: str, seconds: float) -> tuple:
    return _task_label(task), None, cause, seconds, "failed"


def _task_label(task: tuple) -> str:
    return f"{task[0]} for LA {_la_text(task[1])}"


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
    only_changed: bool = False,
    recheck: bool = False,
    executor: Executor | None = None,
) -> Outcome:
    """Render the chosen briefings for each LA (``["all"]`` for every LA).

    One failed briefing (an error in a cell, a kernel or worker that died, the time limit
    ``timeout`` seconds reached, invalid local data it reads) does not stop the rest. ``jobs`` > 1
    renders in that many processes, each reusing one kernel; with one process, the kernel is
    started (and the notebooks' imports run in it) while the data are checked. ``only_changed``
    skips briefings whose inputs and code hash as at their last render for this period (nothing
    of theirs is rewritten, nor the index when nothing was rendered); ``recheck`` runs the data
    checks even where a clean verdict is cached. ``executor``: a kernel the caller started ahead
    (:meth:`~csdemand.render.execution.Executor.prestart`), used by a run in one process and
    closed here in any case. Progress: a bar on a terminal, plain lines otherwise. Index pages
    are rebuilt from the folder at the end, and at the start when a stopped run left them behind
    its reports. Raises :class:`InputError` (exit 2) for bad
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
    if [str(x).lower() for x in las] == ["all"]:
        auths = every_authority(period)
    else:
        auths = list({a.la_number: a for a in (resolve(la) for la in las)}.values())  # bad names fail here
        for auth in auths:  # a year the authority did not exist in is bad input (exit 2), before any work
            areas_mod.check_period(auth, period)
    chosen = check_period(period, chosen, say)
    outcome = Outcome()
    start = time.perf_counter()
    state = {"current": None, "left": 0, "output": None}
    server = None
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
            cfg = _local_config()
            # What each briefing will read, hashed now (the record keeps it; --only-changed compares it).
            tasks = [
                (b.name, a, period, str(out_dir), timeout, fingerprint_of(b, a, period, cfg))
                for a in auths
                for b in chosen
                if b.available_for(a.slug)
            ]
            skipped = [(b, a) for a in auths for b in chosen if not b.available_for(a.slug)]
            if skipped and len(auths) <= 20:
                for b, a in skipped:
                    say(
                        f"skipped  {b.name} for LA {a.la_number}: no local {b.local_data} source for this authority "
                        "in config/data.yml"
                    )
            elif skipped:
                say(f"skipped  {len(skipped)} briefings for authorities with no local source in config/data.yml")
            by_name = {b.name: b for b in chosen}
            if only_changed and tasks:
                kept = []
                for task in tasks:
                    name, auth, hashes = task[0], task[1], task[5]
                    same = _changes.unchanged(
                        out_dir, auth.slug, name, period, hashes["inputs_hash"], hashes["code_hash"]
                    )
                    if same is None:
                        kept.append(task)
                        continue
                    outcome.unchanged.append(same[0])
                    say(
                        f"unchanged {same[0]}  (inputs and code as at its render of "
                        f"{_changes.day_label(str(same[1].get('rendered_at') or ''))})"
                    )
                tasks = kept
            sequential = jobs <= 1 or len(tasks) <= 1
            if executor is not None and not (sequential and tasks):
                executor.close()  # started ahead for nothing: the workers have their own
                executor = None
            warm_up = warm_up_code([by_name[n] for n in dict.fromkeys(t[0] for t in tasks)]) if tasks else ""
            if tasks and len(tasks) > 1 and executor is None and _warm_kernels.current() is None:
                # Every kernel of the run is forked from one process that imports the libraries
                # once, while the data are checked (render.warm_kernels).
                server = start_warm_kernels(by_name[tasks[0][0]], warm_up)
            if executor is None and sequential and tasks:
                # The kernel boots and imports while the data are checked.
                executor = Executor(timeout=timeout)
                executor.prestart(by_name[tasks[0][0]], warm_up)
            check_auths = list({t[1].la_number: t[1] for t in tasks}.values())
            refused = refuse_invalid_data(check_auths, chosen, say=say, recheck=recheck) if check and tasks else {}
            blocked, runnable = [], []
            for task in tasks:
                reasons = [
                    msg
                    for (la, table), msg in sorted(refused.items())
                    if la == task[1].la_number and table in by_name[task[0]].local_tables()
                ]
                if reasons:
                    blocked.append((task, "; ".join(reasons)))
                else:
                    runnable.append(task)
            tasks = runnable

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

            for task, why in blocked:
                record((_task_label(task), None, why, 0.0, "failed"))
            if sequential:
                executor = executor or Executor(timeout=timeout)
                for i, task in enumerate(tasks):
                    interrupt.check()
                    state["current"], state["left"] = _task_label(task), len(tasks) - i - 1
                    if record(_worker_render(task, executor)):
                        break
                    state["current"] = None
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
            if executor is not None:
                executor.close()
            if bar is not None:
                bar.close()
            if state["output"]:
                raise OutputError(state["output"])
        except interrupt.Stopped as exc:
            interrupt.acknowledge()
            if executor is not None:
                executor.close()
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
        finally:
            if executor is not None:
                executor.close()
            if server is not None:
                server.stop()
        if outcome.rendered or outcome.failed or not only_changed:
            write_indexes(out_dir, say=say)
    outcome.seconds = time.perf_counter() - start
    unchanged = f", {len(outcome.unchanged)} unchanged" if only_changed else ""
    say(f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed{unchanged}, took {outcome.seconds:.1f} s")
    return outcome
