"""Execute briefing notebooks with Papermill and write self-contained HTML reports.

A briefing is any notebook in ``notebooks/`` whose metadata has a ``csdemand`` entry (title,
``period_kind`` ``year`` or ``month``). Reports go to ``<out>/<la>/<period>/<briefing>.html``
with the executed notebook beside it. Each pair is written to temporary files and moved into
place only after execution and conversion succeeded: a failed run leaves the last good report.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from csdemand import __version__
from csdemand.core import atomic
from csdemand.core import paths
from csdemand.published.areas import check_period, resolve
from csdemand.core.errors import InputError, RenderError
from csdemand.present.html import PROVENANCE_MIME, esc, month_name

KERNEL_NAME = "csdemand"
RESET_TAG = "csdemand-reset"


@dataclass(frozen=True)
class Briefing:
    """A briefing notebook and what its metadata says about it."""

    name: str
    path: Path
    title: str
    period_kind: str  # "year" or "month"
    order: int
    local_data: str = ""  # the local table it needs (config/data.yml), "" for none

    def available_for(self, la_slug: str) -> bool:
        """False when the briefing needs a local table this LA has no source for (then it is skipped)."""
        from csdemand.local import sources as local_sources

        return not self.local_data or local_sources.is_configured(self.local_data, la_slug)


def discover(nb_dir: Path | None = None) -> list[Briefing]:
    """Every briefing notebook, in the order their metadata gives."""
    nb_dir = nb_dir or paths.notebooks_dir()
    found = []
    for path in sorted(nb_dir.glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("csdemand")
        except ValueError as exc:
            raise RenderError(f"{path}: not a valid notebook ({exc})") from None
        if meta:
            found.append(Briefing(path.stem, path, meta.get("title", path.stem), meta.get("period_kind", "year"), int(meta.get("order", 99)), meta.get("local_data", "")))
    return sorted(found, key=lambda b: (b.order, b.name))


def _kernel_name(nb: nbformat.NotebookNode) -> str:
    """The notebook's kernel if it is installed, else this interpreter's own ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    wanted = nb.metadata.get("kernelspec", {}).get("name", KERNEL_NAME)
    return wanted if wanted in KernelSpecManager().find_kernel_specs() else "python3"


class Executor:
    """Runs notebooks in one Jupyter kernel, reused from notebook to notebook.

    Starting a kernel and importing pandas, matplotlib and statsmodels costs a few seconds; a
    batch pays it once per process. Between notebooks the kernel's namespace is cleared
    (``%reset -f``) so no variable leaks from one briefing into the next; imported modules stay
    cached, which is the point. Parameters are injected as Papermill does (an
    ``injected-parameters`` cell after the ``parameters`` cell), so notebooks behave the same in
    JupyterLab, under Papermill and here.
    """

    def __init__(self, kernel_name: str | None = None, timeout: int = 600) -> None:
        self.kernel_name = kernel_name
        self.timeout = timeout
        self.km = None
        self.kc = None

    def _start(self, kernel_name: str, cwd: str) -> None:
        from jupyter_client.manager import KernelManager

        # IPC (Unix sockets) rather than TCP on localhost: nothing listens on a port, and the
        # kernel has no "running over TCP without encryption" warning to print into cron logs.
        self.km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=os.path.join(tempfile.mkdtemp(prefix="csdemand-kernel-"), "k"))
        # Small statsmodels fits run slower, not faster, with a BLAS thread pool fighting the
        # other render process for 2 cores: one thread each (measured: a SARIMA fit 3.6 s -> 0.3 s).
        env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
        self.km.start_kernel(cwd=cwd, env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def close(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        if self.km is not None:
            import shutil

            shutil.rmtree(os.path.dirname(self.km.ip), ignore_errors=True)  # the IPC socket folder
        self.km = self.kc = None

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, briefing: Briefing, parameters: dict) -> nbformat.NotebookNode:
        """Execute a briefing with parameters; :class:`RenderError` names the failing cell."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = load_notebook_node(str(briefing.path))  # as Papermill reads it: every cell gets metadata.tags
        kernel = self.kernel_name or _kernel_name(nb)
        nb = parameterize_notebook(nb, parameters, kernel_name=kernel, language="python")
        if self.km is None or not self.km.is_alive():
            self.close()
            self._start(kernel, str(briefing.path.parent))
        # Clear the previous notebook's variables (imports stay cached); removed after the run.
        nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f", metadata={"tags": [RESET_TAG]}))
        client = NotebookClient(nb, km=self.km, timeout=self.timeout, kernel_name=kernel, resources={"metadata": {"path": str(briefing.path.parent)}})
        client.kc = self.kc  # reuse our client: nbclient would open (and leak) a new one per notebook
        try:
            client.execute(reset_kc=False)
        except CellExecutionError:
            raise RenderError(_first_error(briefing, nb)) from None
        except DeadKernelError as exc:
            self.close()
            raise RenderError(f"{briefing.name}: the kernel died ({exc})") from None
        finally:
            nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
        return nb


def _first_error(briefing: Briefing, nb: nbformat.NotebookNode) -> str:
    """'<briefing>: cell N raised Error: message' for the first cell with an error output.

    N counts code cells from 1 as JupyterLab shows them, not counting Papermill's injected cell."""
    n = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "injected-parameters" in tags or RESET_TAG in tags:
            continue
        n += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{briefing.name}: cell {n} raised {out.get('ename')}: {out.get('evalue')}"
    return f"{briefing.name}: a cell raised an error"


def execute(briefing: Briefing, parameters: dict, workdir: Path | None = None) -> nbformat.NotebookNode:
    """Run one notebook in a fresh kernel (see :class:`Executor`); ``workdir`` is unused, kept for callers."""
    with Executor() as ex:
        return ex.run(briefing, parameters)


def provenance_of(nb: nbformat.NotebookNode) -> dict:
    """The provenance record the notebook displayed (title, parameters, sources; a source named
    twice is listed once)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                prov = dict(data[PROVENANCE_MIME])
                seen, unique = set(), []
                for src in prov.get("sources", []):
                    key = src.get("id") or src.get("title")
                    if key not in seen:
                        seen.add(key)
                        unique.append(src)
                prov["sources"] = unique
                return prov
    raise RenderError("the notebook displayed no provenance record (csdemand.present.Provenance)")


def for_report(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy fit for readers: no provenance payloads (they become header and footer), no stderr,
    no cells tagged ``remove-cell`` (notes for analysts)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    kept = []
    for cell in nb.cells:
        if "remove-cell" in cell.get("metadata", {}).get("tags", []) or "parameters" in cell.get("metadata", {}).get("tags", []) or "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if PROVENANCE_MIME not in o.get("data", {}) and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        kept.append(cell)
    nb.cells = kept
    return nb


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter

    # Built once per process: loading the templates is a noticeable part of a small briefing.
    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, anchor_link_text="")


def body_html(nb: nbformat.NotebookNode) -> str:
    """The notebook's prose and outputs as an HTML fragment: no code, no prompts."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


def git_commit() -> str:
    """Short commit of the checkout, or 'unknown' outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def page(prov: dict, body: str, rendered_at: dt.datetime, commit: str) -> str:
    """The house page: header, parameters, body, provenance footer. Inline CSS, nothing remote."""
    from importlib import resources

    css = resources.files("csdemand").joinpath("templates", "briefing.css").read_text(encoding="utf-8")
    params = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in prov.get("parameters", {}).items())
    sources = "".join(
        f"<li>{esc(s['publisher'])}: {esc(s['title'])}. "
        + (f"Data to {esc(month_name(s['published']))}." if s.get("publisher") == "Council" else f"Published {esc(month_name(s['published']))}.")
        + (f" {esc(s['licence'])}." if s.get("licence") else "")
        + "</li>"
        for s in prov.get("sources", [])
    )
    notes = "".join(f"<p>{esc(n)}</p>" for n in prov.get("notes", []))
    published = [s for s in prov.get("sources", []) if s.get("published") and s.get("publisher") != "Council"]
    local = [s for s in prov.get("sources", []) if s.get("published") and s.get("publisher") == "Council"]
    stamp_data = " · ".join(
        ([f"Data published: {month_name(max(s['published'] for s in published))}"] if published else [])
        + ([f"Local data to: {month_name(max(s['published'] for s in local))}"] if local else [])
    ) or "Data published: not stated"
    stamp = rendered_at.strftime("%d %B %Y %H:%M %Z").strip()
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="csdemand {esc(__version__)} ({esc(commit)})">
<title>{esc(prov['title'])}</title>
<style>{css}</style>
</head>
<body>
<header class="banner" role="banner">
  <div class="banner-inner"><span class="service">Children's services</span> <span class="kind">Briefing</span></div>
</header>
<main id="main">
<div class="title-block">
  <h1>{esc(prov['title'])}</h1>
  <p class="subtitle">{esc(prov.get('subtitle', ''))}</p>
  <p class="meta">{esc(stamp_data)} &middot; Rendered: {esc(stamp)}</p>
</div>
{body}
</main>
<footer class="provenance" role="contentinfo">
  <h2>About this briefing</h2>
  <h3>Data sources</h3>
  <ul>{sources}</ul>
  {notes}
  <h3>Parameters</h3>
  <dl class="params">{params}</dl>
  <p class="build">Produced by csdemand {esc(__version__)}, commit {esc(commit)}, rendered {esc(stamp)}.</p>
</footer>
</body>
</html>
"""


def _write_atomically(files: dict[Path, str]) -> None:
    atomic.write_texts(files)


def render_one(briefing: Briefing, la: str, period: str, out_dir: Path, executor: Executor | None = None) -> Path:
    """Render one briefing for one LA and period; returns the HTML path.

    Without an ``executor`` a fresh kernel is started (and stopped) for this one notebook.
    """
    auth = resolve(la)
    params = {"la": str(auth.la_number), "period": str(period)}
    executed = executor.run(briefing, params) if executor is not None else execute(briefing, params)
    prov = provenance_of(executed)
    resolved_period = str(prov.get("parameters", {}).get("resolved period", period))
    rendered_at = dt.datetime.now().astimezone()
    html = page(prov, body_html(for_report(executed)), rendered_at, git_commit())
    target = out_dir / auth.slug / resolved_period / f"{briefing.name}.html"
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
    _write_atomically({target: html, target.with_suffix(".ipynb"): nbformat.writes(executed), target.with_suffix(".json"): json.dumps(record, indent=1)})
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
    """The briefings asked for (default every one), or :class:`RenderError` naming the unknown."""
    available = discover()
    if not briefings:
        return available
    unknown = [b for b in briefings if b not in {x.name for x in available}]
    if unknown:
        raise InputError(f"no briefing notebook named {', '.join(unknown)}", column="--briefing", expected="one of " + ", ".join(x.name for x in available))
    return [x for x in available if x.name in briefings]


# Each worker process keeps one kernel for all the notebooks it renders.
_WORKER_EXECUTOR: Executor | None = None


def _worker_render(task: tuple[str, str, str, str]) -> tuple[str, str | None, str | None, float]:
    """(briefing, la, period, out) -> (label, html path or None, error or None, seconds)."""
    global _WORKER_EXECUTOR
    name, la, period, out = task
    if _WORKER_EXECUTOR is None:
        _WORKER_EXECUTOR = Executor()
    t = time.perf_counter()
    briefing = next(b for b in discover() if b.name == name)
    try:
        path = render_one(briefing, la, period, Path(out), _WORKER_EXECUTOR)
        return f"{name} for LA {la}", str(path), None, time.perf_counter() - t
    except Exception as exc:  # one failure must not stop the batch; it is reported
        return f"{name} for LA {la}", None, str(exc), time.perf_counter() - t


def _close_worker() -> None:
    if _WORKER_EXECUTOR is not None:
        _WORKER_EXECUTOR.close()


def refuse_invalid_data(las: list[str], slugs: dict[str, str], say=print) -> None:
    """Run the checks of ``python -m csdemand validate`` on the data this run would read (the
    shipped tables and every configured local source of these authorities) and raise
    :class:`RenderError`, rendering nothing, if any is invalid. Warnings are shown, not fatal."""
    from csdemand.local import sources as local_sources
    from csdemand.validation import checks as validation

    with_local = [la for la in las if any(local_sources.is_configured(t, slugs[la]) for t in local_sources.TABLES)]
    found = validation.validate_all(las=with_local)
    errors = [p for problems in found.values() for p in problems if p.level != "warning"]
    if errors:
        for p in errors[:25]:
            say(f"INVALID  {p}")
        raise RenderError(
            f"refusing to render: {len(errors)} problem{'s' if len(errors) != 1 else ''} in the data "
            "(`python -m csdemand validate` lists them all); existing reports are left as they were"
        )


def render_many(las: list[str], period: str = "latest", briefings: list[str] | None = None, out_dir: Path | None = None, jobs: int = 1, log=None, check: bool = True) -> Outcome:
    """Render the chosen briefings for each LA (``["all"]`` for every LA); one failure does not
    stop the rest. ``jobs`` > 1 renders in that many processes, each reusing one kernel. Progress:
    a bar on a terminal, plain lines otherwise. Index pages are rebuilt at the end."""
    import atexit
    import concurrent.futures as cf
    import multiprocessing as mp

    out_dir = Path(out_dir or paths.reports_dir())
    chosen = choose(briefings)
    if [x.lower() for x in las] == ["all"]:
        las = all_authorities(period)
    else:
        las = [str(resolve(la).la_number) for la in las]  # bad names fail here, before any work
        for la in las:  # a year the authority did not exist in is bad input (exit 2), before any work
            check_period(resolve(la), period)
    slugs = {la: resolve(la).slug for la in las}
    if check:
        refuse_invalid_data(las, slugs, say=log or (lambda line: print(line, file=sys.stderr)))
    tasks = [(b.name, la, period, str(out_dir)) for la in las for b in chosen if b.available_for(slugs[la])]
    skipped = [f"{b.name} for LA {la}" for la in las for b in chosen if not b.available_for(slugs[la])]
    if skipped and len(las) <= 20:
        for s_ in skipped:
            (log or print)(f"skipped  {s_}: no local {next(b.local_data for b in chosen if b.name == s_.split()[0])} source for this authority in config/data.yml")
    elif skipped:
        (log or print)(f"skipped  {len(skipped)} briefings for authorities with no local source in config/data.yml")
    outcome = Outcome()
    start = time.perf_counter()
    tty = sys.stderr.isatty() and log is None
    say = log or (lambda line: print(line, file=sys.stderr if line.startswith("FAILED") else sys.stdout, flush=True))
    bar = None
    if tty:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), unit="briefing", file=sys.stderr)

    def record(result) -> None:
        label, path, error, secs = result
        if error:
            outcome.failed.append(f"{label}: {error}")
            (bar.write if bar else say)(f"FAILED   {label}: {error}")
        else:
            outcome.rendered.append(Path(path))
            if bar is None:
                say(f"rendered {path}  ({secs:.1f} s)")
        if bar is not None:
            bar.update(1)

    if jobs <= 1:
        atexit.register(_close_worker)
        for task in tasks:
            record(_worker_render(task))
        _close_worker()
    else:
        ctx = mp.get_context("spawn")  # a clean interpreter per worker: no forked kernel sockets
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker) as pool:
            for result in pool.map(_worker_render, tasks, chunksize=max(1, len(tasks) // (jobs * 4))):
                record(result)
    if bar is not None:
        bar.close()
    write_indexes(out_dir)
    outcome.seconds = time.perf_counter() - start
    say(f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed, took {outcome.seconds:.1f} s")
    return outcome


def _init_worker() -> None:
    import atexit

    atexit.register(_close_worker)


# --------------------------------------------------------------------------- index pages


def catalogue(out_dir: Path) -> list[dict]:
    """Every rendered briefing under ``out_dir``, from the ``.json`` record beside each report."""
    found = []
    for rec in sorted(out_dir.glob("*/*/*.json")):
        try:
            data = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if rec.with_suffix(".html").exists():
            data["href"] = rec.with_suffix(".html").relative_to(out_dir).as_posix()
            found.append(data)
    return found


def _index_page(title: str, subtitle: str, rows_html: str, css: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{css}</style></head>
<body><header class="banner" role="banner"><div class="banner-inner"><span class="service">Children's services</span> <span class="kind">Briefings</span></div></header>
<main id="main"><div class="title-block"><h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p></div>
{rows_html}
</main>
<footer class="provenance" role="contentinfo"><p class="build">Produced by csdemand {esc(__version__)}, commit {esc(git_commit())}, index built {esc(dt.datetime.now().astimezone().strftime('%d %B %Y %H:%M %Z'))}.</p></footer>
</body></html>
"""


def write_indexes(out_dir: Path) -> list[Path]:
    """``index.html`` listing every briefing (authority, period, title, rendered at), and one
    ``<la>/index.html`` per authority linking its periods, newest first."""
    from importlib import resources

    css = resources.files("csdemand").joinpath("templates", "briefing.css").read_text(encoding="utf-8")
    cat = catalogue(out_dir)
    if not cat:
        return []
    files: dict[Path, str] = {}
    by_la: dict[str, list[dict]] = {}
    for r in cat:
        by_la.setdefault(r["la_slug"], []).append(r)

    def table(rows: list[dict], prefix: str = "", show_la: bool = True) -> str:
        head = ("<th scope='col'>Authority</th>" if show_la else "") + "<th scope='col'>Period</th><th scope='col'>Briefing</th><th scope='col'>Rendered</th>"
        body = "".join(
            "<tr>"
            + (f"<td><a href='{esc(r['la_slug'])}/index.html'>{esc(r['authority'])}</a></td>" if show_la else "")
            + f"<td>{esc(r['period'])}</td><td><a href='{esc(prefix + r['href'])}'>{esc(r['title'])}</a></td><td>{esc(_when(r['rendered_at']))}</td></tr>"
            for r in rows
        )
        return f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    ordered = sorted(cat, key=lambda r: (r["authority"], _period_key(r["period"]), r.get("order", 99)))
    ordered = sorted(ordered, key=lambda r: _period_key(r["period"]), reverse=True)
    ordered = sorted(ordered, key=lambda r: r["authority"])
    files[out_dir / "index.html"] = _index_page(
        "Briefings", f"{len(cat)} briefing{'s' if len(cat) != 1 else ''} for {len(by_la)} authorit{'ies' if len(by_la) != 1 else 'y'}. Newest period first within each authority.", table(ordered), css
    )
    for slug, rows in by_la.items():
        rows = sorted(rows, key=lambda r: (_period_key(r["period"]), -r.get("order", 99)), reverse=True)
        periods = sorted({r["period"] for r in rows}, key=_period_key, reverse=True)
        sections = "".join(
            f"<h2>{esc(p)}</h2>" + table([r for r in rows if r["period"] == p], prefix="../", show_la=False) for p in periods
        )
        files[out_dir / slug / "index.html"] = _index_page(f"Briefings: {rows[0]['authority']}", "Every period rendered for this authority, newest first. <- all authorities: ../index.html", sections, css).replace(
            "&lt;- all authorities: ../index.html", ""
        ).replace("</div>\n", "<p><a href='../index.html'>All authorities</a></p></div>\n", 1)
    _write_atomically(files)
    return list(files)


def _when(iso: str) -> str:
    """'2026-11-23T16:05:34+00:00' -> '23 Nov 2026 16:05'."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")
    except ValueError:
        return iso


def _period_key(period: str) -> str:
    """Sort key putting 2025 after 2024-12 and 2025-03 after 2025 (years read as their March)."""
    p = str(period)
    return f"{p}-03.5" if len(p) == 4 else p
