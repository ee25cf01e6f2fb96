"""The page from templates: what nbconvert's tag removal leaves out, escaping, and the typed record
the report is filed by (tiny notebooks: quick to run)."""

from __future__ import annotations

import json
import tempfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from csdemand import cli
from csdemand.core.errors import RenderError
from csdemand.present.html import PROVENANCE_TAG
from csdemand.render import batch, page
from tests.render import tiny

pytestmark = pytest.mark.notebook


def typed(payload: dict, tag: bool = True) -> str:
    """A cell displaying a provenance record (with the tag Provenance gives it, or without)."""
    metadata = f", metadata={{'tags': [{PROVENANCE_TAG!r}]}}" if tag else ""
    return (
        "from IPython.display import publish_display_data\n"
        f"publish_display_data({{'application/vnd.csdemand.provenance+json': {payload!r}, "
        f"'text/plain': 'Provenance: tiny'}}{metadata})"
    )


def briefing(tmp_path, name: str, cells: list) -> batch.Briefing:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "csdemand", "display_name": "Python (csdemand)", "language": "python"}
    nb.metadata["csdemand"] = {"title": name, "period_kind": "year", "order": 0, "reads_local": []}
    nb.cells = [new_code_cell('la: str = "352"\nperiod: str = "latest"', metadata={"tags": ["parameters"]}), *cells]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return batch.Briefing(name, path, name, "year", 0, "", ())


def payload(**extra) -> dict:
    return {
        "title": "Tiny <b>briefing</b>",
        "subtitle": "",
        "parameters": {"authority": "<script>alert(1)</script>"},
        "sources": [],
        "notes": [],
        "figures": [],
        **extra,
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One tiny briefing with a note for analysts, a parameters cell, stderr and the record."""
    tmp = tmp_path_factory.mktemp("page")
    b = briefing(
        tmp,
        "tiny",
        [
            new_markdown_cell("SECRET NOTE FOR ANALYSTS", metadata={"tags": ["remove-cell"]}),
            new_markdown_cell("Reader's prose"),
            new_code_cell("import sys\nprint('stderr noise', file=sys.stderr)\nprint('stdout shown')"),
            new_code_cell(
                typed(
                    payload(
                        period="2024",
                        la_number=352,
                        parameters={"authority": "<script>alert(1)</script>", "resolved period": "1999"},
                    )
                )
            ),
        ],
    )
    path = batch.render_one(b, "352", "latest", tmp / "out")
    return path, path.read_text()


def test_the_report_is_filed_by_the_typed_period_not_the_printed_label(rendered):
    path, _ = rendered
    assert path.parent.name == "2024" and path.parent.parent.name == "352-manchester"
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["period"] == "2024" and record["requested_period"] == "latest" and record["la_number"] == 352


def test_tagged_cells_the_record_and_stderr_are_left_out_and_the_rest_kept(rendered):
    _, html = rendered
    assert "SECRET NOTE" not in html and "la: str" not in html
    assert "stderr noise" not in html and "Provenance: tiny" not in html
    assert "Reader&#39;s prose" in html or "Reader's prose" in html
    assert "stdout shown" in html


def test_text_from_the_record_is_escaped_in_the_page(rendered):
    _, html = rendered
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>Tiny &lt;b&gt;briefing&lt;/b&gt;</title>" in html


def test_a_first_render_says_so_in_the_whats_new_box(rendered):
    _, html = rendered
    assert '<section class="whats-new"' in html and "The first briefing rendered here" in html


def test_without_the_typed_period_the_resolved_period_label_is_used(tmp_path):
    b = briefing(tmp_path, "older", [new_code_cell(typed(payload(parameters={"resolved period": "2023"}), tag=False))])
    path = batch.render_one(b, "352", "latest", tmp_path / "out")
    assert path.parent.name == "2023"
    assert "Provenance: tiny" not in path.read_text()  # an untagged record is left out by the template


def test_a_record_naming_another_authority_is_refused_and_nothing_written(tmp_path):
    b = briefing(tmp_path, "wrong", [new_code_cell(typed(payload(period="2025", la_number=330)))])
    with pytest.raises(RenderError, match="wrong: the notebook reported LA 330, not the LA 352 it was given"):
        batch.render_one(b, "352", "latest", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.html"))


def test_a_period_that_is_not_a_year_or_month_is_refused(tmp_path):
    b = briefing(tmp_path, "bad", [new_code_cell(typed(payload(period="../../x")))])
    with pytest.raises(RenderError, match=r"reported the period '\.\./\.\./x', not a year or a month"):
        batch.render_one(b, "352", "latest", tmp_path / "out")


def test_the_page_template_escapes_a_record_given_as_a_dict():
    import datetime as dt

    html = page.page(
        {"title": "<i>t</i>", "subtitle": "", "parameters": {}, "sources": []}, "", dt.datetime(2026, 1, 2), "x"
    )
    assert "<i>t</i>" not in html and "&lt;i&gt;t&lt;/i&gt;" in html


def test_the_first_kernel_is_started_before_the_data_are_checked(tmp_path, monkeypatch):
    env = tiny.environment(tmp_path)
    for key in ("CSDEMAND_NOTEBOOKS", "CSDEMAND_CONFIG"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("CSDEMAND_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", env["TMPDIR"])
    seen = []
    real = batch.refuse_invalid_data

    def spy(*args, **kwargs):
        seen.append([p.name for p in (tmp_path / "tmp").glob("csdemand-kernel-*/kernel.json")])
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "refuse_invalid_data", spy)
    assert cli.main(["render", "--la", "352", "--briefing", "quick", "--out", str(tmp_path / "out")]) == 0
    assert seen == [["kernel.json"]]  # one kernel, launched (its connection file written) before the checks
    assert tiny.kernel_dirs(tmp_path) == []  # and shut down at the end
