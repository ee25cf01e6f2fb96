"""HTML fragments and the records a briefing displays for the renderer."""

import json

import numpy as np

from csdemand.present import PROVENANCE_MIME, Figure, Provenance


def test_a_figure_record_writes_missing_numbers_as_null_and_keeps_the_marker():
    f = Figure(
        "cla_rate",
        "E09000001",
        "2025",
        np.nan,
        status="c",
        label="Children looked after per 10,000",
        la_number=201,
        comparators={"england": 67.0, "neighbours_mean": np.nan},
        flags={"vs_england": None, "band": "A"},
    )
    d = f.as_dict()
    assert d["value"] is None and d["status"] == "c" and d["la_number"] == 201
    assert d["comparators"] == {"england": 67.0, "neighbours_mean": None}
    assert d["flags"] == {"vs_england": "", "band": "A"}
    json.dumps(d, allow_nan=False)  # valid JSON: no NaN


def test_provenance_carries_the_headline_figures_for_the_json_record():
    p = Provenance("t", "s", {}, [], figures=[Figure("cla_count", "E08000003", "2025", 1280.0, la_number=352)])
    payload = p._repr_mimebundle_()[PROVENANCE_MIME]
    assert payload["figures"][0]["value"] == 1280.0 and payload["figures"][0]["measure"] == "cla_count"
