"""A rendered briefing as one self-contained HTML page: header, "What's new", body, provenance footer.

The page is the Jinja template ``templates/briefing.html.j2`` (extending ``base.html.j2``) with
autoescape on, so text from a notebook's record or a data file is escaped wherever it appears;
the body is the notebook converted by nbconvert's ``HTMLExporter`` with the template
``templates/nbconvert/csdemand-body`` (which extends nbconvert's ``basic``): no code, no prompts,
and nbconvert's ``TagRemovePreprocessor`` leaves out the cells tagged ``remove-cell`` (notes for
analysts), ``parameters`` and ``injected-parameters``, and the provenance output (tagged
:data:`~csdemand.present.html.PROVENANCE_TAG`). The page loads nothing from another host
(inline CSS, images as data URIs).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import subprocess
from importlib import resources
from pathlib import Path

import nbformat

from csdemand import __version__
from csdemand.core import paths
from csdemand.core.errors import RenderError
from csdemand.present.html import PROVENANCE_MIME, PROVENANCE_TAG, Provenance, month_name

#: Cells the reader never sees (by tag), and the tag of outputs left out.
REMOVED_CELL_TAGS = frozenset({"remove-cell", "parameters", "injected-parameters"})
REMOVED_OUTPUT_TAGS = frozenset({PROVENANCE_TAG})
#: The nbconvert template (a folder under ``templates/nbconvert``) that makes a briefing's body.
BODY_TEMPLATE = "csdemand-body"
#: Items listed in the "What's new" box before "and N more".
WHATS_NEW_ITEMS = 8


def templates_dir() -> Path:
    """The folder of the page, index and body templates and the stylesheet."""
    return Path(str(resources.files("csdemand.render").joinpath("templates")))


@functools.cache
def environment():
    """The Jinja environment of the page and index templates (autoescape on; built once per process)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["month_name"] = month_name
    return env


def provenance_of(nb: nbformat.NotebookNode) -> Provenance:
    """The provenance record the notebook displayed, typed (a source named twice is listed once)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PROVENANCE_MIME in data and isinstance(data[PROVENANCE_MIME], dict):
                prov = Provenance.from_payload(data[PROVENANCE_MIME])
                seen, unique = set(), []
                for src in prov.sources:
                    key = src.get("id") or src.get("title")
                    if key not in seen:
                        seen.add(key)
                        unique.append(src)
                prov.sources = unique
                return prov
    raise RenderError("the notebook displayed no provenance record (csdemand.present.Provenance)")


def _tag_remover():
    from nbconvert.preprocessors import TagRemovePreprocessor

    return TagRemovePreprocessor(
        remove_cell_tags=set(REMOVED_CELL_TAGS), remove_single_output_tags=set(REMOVED_OUTPUT_TAGS), enabled=True
    )


def for_report(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy as readers see it: nbconvert's tag removal applied (what :func:`body_html` does
    itself; kept for callers that want the notebook)."""
    nb, _ = _tag_remover().preprocess(copy.deepcopy(nb), {})
    return nb


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter

    # Built once per process: loading the templates is a noticeable part of a small briefing.
    exporter = HTMLExporter(
        template_name=BODY_TEMPLATE,
        extra_template_basedirs=[str(templates_dir() / "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    exporter.register_preprocessor(_tag_remover(), enabled=True)
    return exporter


def body_html(nb: nbformat.NotebookNode) -> str:
    """The notebook's prose and outputs as an HTML fragment: no code, no prompts, no tagged cells."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


@functools.cache
def git_commit() -> str:
    """Short commit of the checkout (``+changes`` when files differ from it), or 'unknown' outside
    git; asked once per process (two git commands for every page cost a batch seconds)."""
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
    """The house stylesheet (``render/templates/briefing.css``), inlined in every page."""
    return (templates_dir() / "briefing.css").read_text(encoding="utf-8")


def css_markup():
    """The stylesheet as markup Jinja inserts as it is (the package's own file, not data)."""
    from markupsafe import Markup

    return Markup(stylesheet())


def data_stamp(prov: Provenance) -> str:
    """'Data published: November 2025 · Local data to: October 2026' (newest dates of each kind)."""
    published = [s["published"] for s in prov.sources if s.get("published") and s.get("publisher") != "Council"]
    local = [s["published"] for s in prov.sources if s.get("published") and s.get("publisher") == "Council"]
    parts = ([f"Data published: {month_name(max(map(str, published)))}"] if published else []) + (
        [f"Local data to: {month_name(max(map(str, local)))}"] if local else []
    )
    return " · ".join(parts) or "Data published: not stated"


def page(prov: Provenance | dict, body: str, rendered_at: dt.datetime, commit: str, whats_new: object = None) -> str:
    """The house page (``templates/briefing.html.j2``): header, "What's new" (an object with
    ``headline`` and ``items``, or None for no box), body, provenance footer. Inline CSS,
    nothing remote; every value but ``body`` (nbconvert's output) is escaped."""
    from markupsafe import Markup

    if isinstance(prov, dict):
        prov = Provenance.from_payload(prov)
    stamp = rendered_at.strftime("%d %B %Y %H:%M %Z").strip()
    return (
        environment()
        .get_template("briefing.html.j2")
        .render(
            title=prov.title,
            kind="Briefing",
            prov=prov,
            body=Markup(body),
            data_stamp=data_stamp(prov),
            stamp=stamp,
            whats_new=whats_new,
            max_items=WHATS_NEW_ITEMS,
            version=__version__,
            commit=commit,
            css=css_markup(),
        )
    )
