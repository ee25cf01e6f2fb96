"""The explorer (issue 12 item 5): finding LAIT measures by code, words or topic, the figures it
shows against LAIT as published, a table behind every chart, the static page without ipywidgets,
and the widgets that redraw it in JupyterLab."""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csdemand.briefings import explore
from csdemand.core.errors import InputError
from csdemand.present import charts
from csdemand.published import store


@functools.cache
def catalogue():
    return store.load("lait_measures")


@functools.cache
def built(la: str = "352", measures: tuple = ("LAC", "ReReferral", "caseload"), **kw) -> explore.Exploration:
    return explore.build(la, measures=list(measures), **kw)


# ------------------------------------------------------------------------------ finding measures


def test_a_code_is_found_in_any_case_and_words_match_label_or_unit_ignoring_spaces():
    assert explore.find_measures(["lac"], catalogue()).codes == ["LAC"]
    # "caseload" is the unit "Case Load" of the average caseload per social worker
    assert explore.find_measures(["caseload"], catalogue()).codes == ["Work_Force_AvgNumCase_SW"]
    assert explore.find_measures(["agency social workers"], catalogue()).codes == [
        "Work_Force_Agecy_Rate",
        "Work_Force_AgencyCover",
    ]


def test_a_code_holding_a_comma_is_one_term_and_a_string_splits_on_semicolons():
    assert explore.find_measures(["CPP_Total_Rateper10,000"], catalogue()).codes == ["CPP_Total_Rateper10,000"]
    assert explore.find_measures("LAC; caseload", catalogue()).codes == ["LAC", "Work_Force_AvgNumCase_SW"]


def test_a_topic_gives_its_measures_up_to_the_limit_and_counts_the_rest():
    found = explore.find_measures(["child protection"], catalogue())
    assert found.total == 30 and len(found.codes) == explore.LIMIT == 12
    assert set(found.codes) <= set(catalogue().loc[catalogue()["topic"] == "Child Protection", "measure"])


def test_terms_that_match_nothing_are_named_and_duplicates_dropped():
    found = explore.find_measures(["LAC", "nonsense words", "lac"], catalogue())
    assert found.codes == ["LAC"] and found.unmatched == ["nonsense words"]


def test_bad_parameters_are_refused_naming_the_parameter_and_value():
    with pytest.raises(InputError, match="no LAIT measure matches 'zzz'") as e:
        explore.build("352", measures=["zzz"])
    assert e.value.column == "measures"
    with pytest.raises(InputError, match="unknown comparator 'scotland'") as e:
        explore.build("352", measures=["LAC"], comparators=["england", "scotland"])
    assert e.value.column == "comparators"
    with pytest.raises(InputError, match="years must be a whole number") as e:
        explore.build("352", measures=["LAC"], years=0)
    assert e.value.column == "years"
    with pytest.raises(InputError, match="no LAIT figures for 2030"):
        explore.build("352", "2030", measures=["LAC"])


# ------------------------------------------------------------------------------ the figures


def test_manchester_2025_figures_equal_laits():
    x = built()
    by = {v.measure: v for v in x.views}
    assert x.period == 2025 and x.first == 2016 and x.model == "2025"
    assert [v.measure for v in x.views] == ["LAC", "ReReferral", "Work_Force_AvgNumCase_SW"]
    lac, rr, cl = by["LAC"], by["ReReferral"], by["Work_Force_AvgNumCase_SW"]
    assert (lac.value, rr.value, cl.value) == (97.0, 18.4, 14.7)  # issue 12: 97 per 10,000, 18.4%, 14.7
    assert (lac.rank, lac.n_ranked, lac.band) == (9, 11, "D") and round(lac.neighbours.mean, 1) == 88.9
    assert (lac.england, lac.region) == (67.0, 90.0)
    assert (rr.rank, rr.band, rr.polarity) == (2, "B", "low_is_good") and round(rr.neighbours.mean, 2) == 21.93
    table = explore.overview_table(x)
    assert table.iloc[0].tolist() == [
        "Children looked after rate per 10,000 (LAC)",
        "2025",
        "97.0",
        "88.9",
        "90.0",
        "67.0",
        "9 of 11",
        "D",
        "neither",
    ]
    assert table.iloc[2][["Manchester", "Neighbours' mean", "Rank of 11", "Better"]].tolist() == [
        "14.7",
        "15.4",
        "5 of 11",
        "lower",
    ]


def test_lait_dash_stays_a_marker_with_its_meaning_never_zero():
    x = built("201", ("LAC",))  # City of London: LAIT prints "-" for 2025
    v = x.views[0]
    assert v.year == 2025 and v.status == "-" and v.rank == 0 and v.band == ""
    table = explore.overview_table(x)
    assert table.loc[0, "City of London"] == "-" and table.loc[0, "Rank of 11"] == "-"
    assert explore.DASH_NOTE in table.attrs["footnotes"]
    assert explore.summary_words(x, v).startswith(
        "City of London: not published (suppressed, not available or not applicable) in 2025"
    )
    trend = explore.trend(x, v)
    assert trend.data.set_index("Year").loc["2025", "City of London"] == "-"
    assert trend.data.set_index("Year").loc["2024", "City of London"] == "76.0"
    assert explore.DASH_NOTE in trend.data.attrs["footnotes"]


def test_year_labels_keep_laits_spelling():
    data = store.load("lait")
    outturn = data[data["period_label"].str.contains("(OT)", regex=False)]["measure"].iloc[0]
    x = explore.build("352", measures=[outturn])
    v = x.views[0]
    assert v.year_label.endswith("(OT)") and re.fullmatch(r"\d{4}-\d{2} \(OT\)", v.year_label)
    assert explore.trend(x, v).data["Year"].iloc[-1] == v.year_label


def test_every_chart_has_its_table():
    x = built()
    markup = explore.sections(x).markup
    figures = re.findall(r'<figure class="chart">.*?</figure>', markup, flags=re.S)
    assert len(figures) == 2 * len(x.views) == 6
    for f in figures:
        alt = re.search(r' alt="([^"]*)"', f).group(1)
        assert len(alt) > 40 and '<details class="as-table">' in f and "<table" in f
    assert markup.count("<h3>") == 3


def test_comparators_off_draws_the_authority_alone_but_keeps_the_table(monkeypatch):
    drawn = []
    real = charts.figure_png
    monkeypatch.setattr(charts, "figure_png", lambda fig, dpi=110: drawn.append(fig) or real(fig, dpi))
    x = explore.build("352", measures=["LAC"], comparators=[], axis_from_zero=False)
    v = x.views[0]
    trend = explore.trend(x, v)
    bars = explore.bars(x, v)
    assert trend.alt.endswith("No comparator is drawn (the table gives them).")
    assert "England" in trend.data.columns and bars.alt.endswith("England 67.0.")
    trend_ax, bars_ax = drawn[0].axes[0], drawn[1].axes[0]
    assert len(trend_ax.get_lines()) == 1 and trend_ax.get_ylim()[0] > 90  # fitted: Manchester runs 97 to 112
    assert bars_ax.get_legend() is None  # no England or neighbours' mean line
    x = explore.build("352", measures=["LAC"], comparators=["england"])
    assert x.comparators == ("england",)


def test_figures_and_provenance_for_the_json_record():
    x = built()
    prov = explore.provenance(x, {"authority": "Manchester"})
    assert prov.title == "Explorer: Manchester, 2025" and prov.parameters["resolved period"] == 2025
    assert [s["id"] for s in prov.sources] == ["lait", "sn_2025"]
    lac = prov.figures[0].as_dict()
    assert lac["measure"] == "LAC" and lac["value"] == 97.0 and lac["flags"] == {"rank": "9 of 11", "band": "D"}
    assert lac["comparators"]["england"] == 67.0


# ------------------------------------------------------------------------------ static or widgets


def test_widget_frontend_only_in_a_jupyter_servers_kernel():
    server = ["/srv/.venv/bin/python", "/srv/.venv/bin/jupyter-lab", "--notebook-dir=notebooks"]
    session = {"JPY_SESSION_NAME": "/srv/notebooks/explore.ipynb"}
    has_widgets = explore.importlib.util.find_spec("ipywidgets") is not None
    assert explore.widget_frontend(session, server) is has_widgets
    assert explore.widget_frontend({}, server) is False  # Papermill, nbval: no session
    render = ["/srv/.venv/bin/python", "-m", "csdemand", "render"]
    assert explore.widget_frontend(session, render) is False  # render started from inside JupyterLab


def test_the_static_page_renders_without_ipywidgets():
    # as in the rendering venv, where ipywidgets is not installed (sys.modules None: importing it fails)
    code = (
        "import os, sys\n"
        "sys.modules['ipywidgets'] = None\n"
        "os.environ['JPY_SESSION_NAME'] = 'explore.ipynb'\n"  # as if launched from a JupyterLab kernel
        "from csdemand.briefings import explore\n"
        "x = explore.build('352', measures=['LAC'])\n"
        "page = explore.view(x, interactive=True)\n"
        "print(page.markup.count('<figure class=\"chart\">'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "2"


def test_ipywidgets_is_imported_only_inside_the_widget_builder():
    tree = ast.parse(Path(explore.__file__).read_text(encoding="utf-8"))

    def imports_ipywidgets(node) -> bool:
        return any(
            isinstance(sub, ast.Import | ast.ImportFrom)
            and any(
                n.split(".")[0] == "ipywidgets"
                for n in [a.name for a in sub.names] + [getattr(sub, "module", None) or ""]
            )
            for sub in ast.walk(node)
        )

    where = [
        node.name if isinstance(node, ast.FunctionDef) else "<module>" for node in tree.body if imports_ipywidgets(node)
    ]
    assert where == ["controls"]


def _find(box, description):
    stack = [box]
    while stack:
        w = stack.pop()
        if getattr(w, "description", None) == description:
            return w
        stack += list(getattr(w, "children", []))
    raise LookupError(description)


def test_widgets_redraw_the_charts_and_tables_for_the_choices():
    pytest.importorskip("ipywidgets", reason="ipywidgets is in the lab extra (make lab)")
    box = explore.controls(built("352", ("LAC",)))
    out = box.children[-1]
    html = "".join(o["data"]["text/html"] for o in out.outputs)
    assert "Manchester: 97.0 in 2025" in html and html.count('<details class="as-table">') == 2
    _find(box, "Authority").value = 330
    last = box.explorer_state["last"]
    assert last.la.name == "Birmingham" and last.views[0].value == 79.0
    html = "".join(o["data"]["text/html"] for o in out.outputs)
    assert "Birmingham: 79.0 in 2025" in html and "Manchester: 97.0" not in html
    _find(box, "Comparators (neighbours, region, England)").value = False
    assert box.explorer_state["last"].comparators == ()
    _find(box, "Axis from zero").value = False
    assert box.explorer_state["last"].from_zero is False
    _find(box, "Neighbours").value = "2021"
    assert box.explorer_state["last"].model == "2021"
    _find(box, "Search").value = "caseload"
    measure = _find(box, "Measure")
    assert [code for _, code in measure.options] == ["Work_Force_AvgNumCase_SW"]
    assert box.explorer_state["last"].views[0].measure == "Work_Force_AvgNumCase_SW"
    assert "Birmingham: 15.2 in 2025" in "".join(o["data"]["text/html"] for o in out.outputs)


@pytest.mark.notebook
def test_explore_renders_through_render(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "csdemand", "render", "--briefing", "explore", "--la", "352", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    page = (tmp_path / "352-manchester" / "2025" / "explore.html").read_text(encoding="utf-8")
    assert "Explorer: Manchester, 2025" in page and page.count('<details class="as-table">') == 6
    assert "widget" not in page.lower()
    record = json.loads((tmp_path / "352-manchester" / "2025" / "explore.json").read_text(encoding="utf-8"))
    assert [f["measure"] for f in record["figures"]] == ["LAC", "ReReferral", "Work_Force_AvgNumCase_SW"]
    assert [f["value"] for f in record["figures"]] == [97.0, 18.4, 14.7]
