"""Execute briefing notebooks with Papermill and write self-contained HTML reports.

A briefing is any notebook in ``notebooks/`` whose metadata has a ``csdemand`` entry (title,
``period_kind`` ``year`` or ``month``). Reports go to ``<out>/<la>/<period>/<briefing>.html``
with the executed notebook beside it. Each pair is written to temporary files and moved into
place only after execution and conversion succeeded: a failed run leaves the last good report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import __version__, paths
from .areas import resolve
from .errors import RenderError
from .present import PROVENANCE_MIME, esc, month_name

KERNEL_NAME = "csdemand"


@dataclass(frozen=True)
class Briefing:
    """A briefing notebook and what its metadata says about it."""

    name: str
    path: Path
    title: str
    period_kind: str  # "year" or "month"
    order: int


def discover(nb_dir: Path | None = None) -> list[Briefing]:
    """Every briefing notebook, in the order their metadata gives."""
    nb_dir = nb_dir or paths.notebooks_dir()
    found = []
    for path in sorted(nb_dir.glob("*.ipynb")):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("csdemand")
        if meta:
            found.append(Briefing(path.stem, path, meta.get("title", path.stem), meta.get("period_kind", "year"), int(meta.get("order", 99))))
    return sorted(found, key=lambda b: (b.order, b.name))


def _kernel_name(nb: nbformat.NotebookNode) -> str:
    """The notebook's kernel if it is installed, else this interpreter's own ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    wanted = nb.metadata.get("kernelspec", {}).get("name", KERNEL_NAME)
    return wanted if wanted in KernelSpecManager().find_kernel_specs() else "python3"


def execute(briefing: Briefing, parameters: dict, workdir: Path) -> nbformat.NotebookNode:
    """Run the notebook with Papermill; raise :class:`RenderError` naming the failing cell."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = nbformat.read(briefing.path, as_version=4)
    out = workdir / f"{briefing.name}.executed.ipynb"
    try:
        pm.execute_notebook(
            str(briefing.path),
            str(out),
            parameters=parameters,
            kernel_name=_kernel_name(nb),
            cwd=str(briefing.path.parent),
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        raise RenderError(f"{briefing.name}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}") from None
    return nbformat.read(out, as_version=4)


def provenance_of(nb: nbformat.NotebookNode) -> dict:
    """The provenance record the notebook displayed (title, parameters, sources)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data:
                return dict(data[PROVENANCE_MIME])
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


def body_html(nb: nbformat.NotebookNode) -> str:
    """The notebook's prose and outputs as an HTML fragment: no code, no prompts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(nb)
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
        f"<li>{esc(s['publisher'])}: {esc(s['title'])}. Published {esc(month_name(s['published']))}. {esc(s.get('licence', ''))}.</li>" for s in prov.get("sources", [])
    )
    notes = "".join(f"<p>{esc(n)}</p>" for n in prov.get("notes", []))
    latest_pub = month_name(max((s["published"] for s in prov.get("sources", []) if s.get("published")), default="not stated"))
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
  <p class="meta">Data published: {esc(latest_pub)} &middot; Rendered: {esc(stamp)}</p>
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
    """Write every file to a temporary sibling, then move all into place."""
    staged = []
    try:
        for final, text in files.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            staged.append((Path(tmp), final))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()


def render_one(briefing: Briefing, la: str, period: str, out_dir: Path) -> Path:
    """Render one briefing for one LA and period; returns the HTML path."""
    auth = resolve(la)
    params = {"la": str(auth.la_number), "period": str(period)}
    with tempfile.TemporaryDirectory(prefix="csdemand-") as tmp:
        executed = execute(briefing, params, Path(tmp))
    prov = provenance_of(executed)
    resolved_period = str(prov.get("parameters", {}).get("resolved period", period))
    rendered_at = dt.datetime.now().astimezone()
    html = page(prov, body_html(for_report(executed)), rendered_at, git_commit())
    target = out_dir / auth.slug / resolved_period / f"{briefing.name}.html"
    _write_atomically({target: html, target.with_suffix(".ipynb"): nbformat.writes(executed)})
    return target


@dataclass
class Outcome:
    """What a render run did."""

    rendered: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def render_many(las: list[str], period: str = "latest", briefings: list[str] | None = None, out_dir: Path | None = None, log=print) -> Outcome:
    """Render the chosen briefings for each LA; one failure does not stop the rest."""
    out_dir = out_dir or paths.reports_dir()
    available = discover()
    if briefings:
        unknown = [b for b in briefings if b not in {x.name for x in available}]
        if unknown:
            raise RenderError(f"no briefing notebook named {', '.join(unknown)}; available: {', '.join(x.name for x in available)}")
        chosen = [x for x in available if x.name in briefings]
    else:
        chosen = available
    outcome = Outcome()
    start = time.perf_counter()
    for la in las:
        for b in chosen:
            t = time.perf_counter()
            try:
                path = render_one(b, la, period, out_dir)
            except Exception as exc:  # one failure must not stop the batch; it is reported
                msg = f"{b.name} for LA {la}: {exc}"
                outcome.failed.append(msg)
                log(f"FAILED   {msg}", file=sys.stderr) if log is print else log(f"FAILED   {msg}")
                continue
            outcome.rendered.append(path)
            log(f"rendered {path}  ({time.perf_counter() - t:.1f} s)")
    outcome.seconds = time.perf_counter() - start
    log(f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed, took {outcome.seconds:.1f} s")
    return outcome
