"""A rendered briefing as one self-contained HTML page: header, body, provenance footer.

Everything shown is escaped (:func:`csdemand.present.html.esc`); the page loads nothing from
another host (inline CSS, images as data URIs).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess

import nbformat

from csdemand import __version__
from csdemand.core import paths
from csdemand.core.errors import RenderError
from csdemand.present.html import PROVENANCE_MIME, esc, month_name


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
        if (
            "remove-cell" in cell.get("metadata", {}).get("tags", [])
            or "parameters" in cell.get("metadata", {}).get("tags", [])
            or "injected-parameters" in cell.get("metadata", {}).get("tags", [])
        ):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if PROVENANCE_MIME not in o.get("data", {})
                and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        kept.append(cell)
    nb.cells = kept
    return nb


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter

    # Built once per process: loading the templates is a noticeable part of a small briefing.
    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def body_html(nb: nbformat.NotebookNode) -> str:
    """The notebook's prose and outputs as an HTML fragment: no code, no prompts."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


def git_commit() -> str:
    """Short commit of the checkout, or 'unknown' outside git."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=paths.ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@functools.cache
def stylesheet() -> str:
    """The house stylesheet (``templates/briefing.css``), inlined in every page."""
    from importlib import resources

    return resources.files("csdemand").joinpath("templates", "briefing.css").read_text(encoding="utf-8")


def page(prov: dict, body: str, rendered_at: dt.datetime, commit: str) -> str:
    """The house page: header, parameters, body, provenance footer. Inline CSS, nothing remote."""
    css = stylesheet()
    params = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in prov.get("parameters", {}).items())
    sources = "".join(
        f"<li>{esc(s['publisher'])}: {esc(s['title'])}. "
        + (
            f"Data to {esc(month_name(s['published']))}."
            if s.get("publisher") == "Council"
            else f"Published {esc(month_name(s['published']))}."
        )
        + (f" {esc(s['licence'])}." if s.get("licence") else "")
        + "</li>"
        for s in prov.get("sources", [])
    )
    notes = "".join(f"<p>{esc(n)}</p>" for n in prov.get("notes", []))
    published = [s for s in prov.get("sources", []) if s.get("published") and s.get("publisher") != "Council"]
    local = [s for s in prov.get("sources", []) if s.get("published") and s.get("publisher") == "Council"]
    stamp_data = (
        " · ".join(
            ([f"Data published: {month_name(max(s['published'] for s in published))}"] if published else [])
            + ([f"Local data to: {month_name(max(s['published'] for s in local))}"] if local else [])
        )
        or "Data published: not stated"
    )
    stamp = rendered_at.strftime("%d %B %Y %H:%M %Z").strip()
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="csdemand {esc(__version__)} ({esc(commit)})">
<title>{esc(prov["title"])}</title>
<style>{css}</style>
</head>
<body>
<header class="banner" role="banner">
  <div class="banner-inner"><span class="service">Children's services</span> <span class="kind">Briefing</span></div>
</header>
<main id="main">
<div class="title-block">
  <h1>{esc(prov["title"])}</h1>
  <p class="subtitle">{esc(prov.get("subtitle", ""))}</p>
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
