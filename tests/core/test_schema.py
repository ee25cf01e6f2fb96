"""csdemand.core.schema: each local table declared once (reference/tables), one engine that reports
every problem of a table against its declaration, in one order (the first error is the one a reader
raises), the README's layout tables printed from the declarations, and no module re-declaring them."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csdemand.core import paths, schema
from csdemand.core.errors import InputError
from csdemand.core.problems import ERROR, INFO, LIMIT, MORE, WARNING, Report

TODAY = "2026-06-15"
PACKAGE = Path(schema.__file__).resolve().parents[1]


def frame(columns: list[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns, dtype=str)


def found(checked: schema.Checked) -> list[tuple]:
    return [(p.row, p.column, p.message, p.value, p.level) for p in checked.problems]


REFERRALS = ["referral_id", "child_id", "referral_date", "source", "domestic_abuse", "outcome"]
GOOD = [
    ["R1", "C1", "2020-01-06", "Police", "Y", "Assessment"],
    ["R2", "C2", "2020-01-20", "Schools", "N", "No further action"],
    ["R3", "C3", "2020-02-03", "Health services", "N", "Information and advice"],
]


# --------------------------------------------------------------------------- the declarations


def test_each_local_table_is_declared_once_with_its_columns_in_order():
    assert {name: (t.table, t.layout, t.required, t.optional) for name, t in schema.tables().items()} == {
        "early_help_requests": (
            "early_help_requests",
            "record",
            ("request_id", "family_id", "date_received", "hub", "reason", "outcome"),
            (),
        ),
        "looked_after": (
            "looked_after",
            "record",
            ("child_id", "started", "ceased"),
            ("legal_status", "placement_type"),
        ),
        "referrals": ("referrals", "record", tuple(REFERRALS), ()),
        "early_help_monthly": ("early_help_requests", "monthly", ("month", "requests"), ("hub", "reason")),
    }
    assert [t.name for t in schema.layouts("early_help_requests")] == ["early_help_requests", "early_help_monthly"]


def test_code_lists_bounds_and_the_placeholder_come_from_the_reference_files():
    referrals = schema.table("referrals")
    assert referrals.column("source").codes == (
        "Police",
        "Schools",
        "Health services",
        "Local authority services",
        "Individual",
        "Other",
    )
    assert referrals.column("domestic_abuse").accepted == ("Y", "N", "Not recorded")
    assert referrals.column("outcome").accepted == ("No further action", "Assessment", "Information and advice")
    assert schema.table("early_help_monthly").column("hub").accepted == ("North", "Central", "South", "Not recorded")
    assert schema.NOT_RECORDED == "Not recorded"
    assert schema.code("referral_outcomes", "nfa") == "No further action"
    assert schema.code("early_help_outcomes", "stepped_up") == "Stepped up to social care"
    assert pd.Timestamp("2000-01-01") == schema.EARLIEST
    assert schema.table("early_help_monthly").column("requests").maximum == 1_000_000_000
    assert set(schema.maybe_not_recorded()) == {"domestic_abuse", "hub", "reason", "outcome"}


def test_every_declaration_names_only_declared_columns_code_lists_and_types():
    lists = set(schema._codes_csv()["list"])
    for t in schema.tables().values():
        names = set(t.names)
        assert len(names) == len(t.columns), t.name  # no column twice
        assert set(t.signature) <= names and set(t.unique) <= names and set(t.same_day) <= names, t.name
        assert t.gaps in (None, "warning", "error") and t.layout in ("record", "monthly"), t.name
        for c in t.columns:
            assert c.type in schema.TYPES, (t.name, c.name)
            assert (c.code_list is not None) == (c.type in ("code", "flag")), (t.name, c.name)
            assert c.code_list is None or c.code_list in lists, (t.name, c.name)
            assert c.not_recorded in (None, "allowed", "throughout"), (t.name, c.name)
            assert c.not_before is None or t.column(c.not_before).type == "date", (t.name, c.name)
            assert c.meaning, (t.name, c.name)


def test_an_unknown_code_list_or_role_is_named():
    with pytest.raises(KeyError, match="no code list 'hubs'"):
        schema.codes("hubs")
    with pytest.raises(KeyError, match="no single code with role 'closed'"):
        schema.code("early_help_outcomes", "closed")


# --------------------------------------------------------------------------- the engine


def test_every_problem_in_a_referrals_table_is_reported_with_row_column_and_value():
    rows = [r[:] for r in GOOD] + [
        ["R4", "", "2020-02-30", " Police ", "Y", "Assessment"],  # row 5: empty id, impossible date (source stripped)
        ["R2", "C5", "2020-02-10", "Neighbour", "maybe", "Assessment"],  # row 6: repeated id, two bad codes
        ["R6", "C6", "2031-01-01", "Police", "N", ""],  # row 7: future date, missing outcome
        ["R7", "C7", "1999-12-31", "Police", "N", "Assessment"],  # row 8: before 2000
    ]
    checked = schema.check(frame(REFERRALS, rows), "referrals", source="x.csv", today=TODAY)
    assert found(checked) == [
        (5, "child_id", "empty id", "", ERROR),
        (5, "referral_date", "not a date", "2020-02-30", ERROR),
        (6, "source", "unknown source code", "Neighbour", ERROR),
        (6, "domestic_abuse", "unknown domestic abuse code", "maybe", ERROR),
        (6, "referral_id", "referral_id repeats the one on row 3", "R2", ERROR),
        (7, "referral_date", "date in the future", "2031-01-01", ERROR),
        (7, "outcome", "missing outcome code", "", ERROR),
        (8, "referral_date", "date before 2000-01-01", "1999-12-31", ERROR),
    ]
    p = checked.problems[5]
    assert p.expected == "a date no later than today (2026-06-15)"
    assert checked.problems[2].expected == (
        "one of 'Police', 'Schools', 'Health services', 'Local authority services', 'Individual', 'Other'"
    )
    # The reader's error is the first of them, in the same words.
    with pytest.raises(InputError) as err:
        checked.raise_first()
    assert (err.value.file, err.value.row, err.value.column, err.value.message) == ("x.csv", 5, "child_id", "empty id")


def test_a_bad_value_on_many_rows_is_reported_on_each_of_its_rows():
    rows = [[f"R{i}", f"C{i}", "2020-01-06", "Nobody" if i % 2 else "Police", "Y", "Assessment"] for i in range(6)]
    checked = schema.check(frame(REFERRALS, rows), "referrals", source="x", today=TODAY)
    assert [(p.row, p.value) for p in checked.problems] == [(3, "Nobody"), (5, "Nobody"), (7, "Nobody")]


def test_cells_are_stripped_and_dates_months_and_counts_parsed_once_per_distinct_value():
    df = frame(["month", "requests", "hub"], [["2024-01", " 1,052 ", "North "], ["2024-02 ", "12.0", " North"]])
    checked = schema.check(df, "early_help_requests", source="m", today=TODAY)
    assert checked.problems == [] and checked.table.name == "early_help_monthly"
    assert checked.frame["hub"].tolist() == ["North", "North"] and checked.frame["month"].tolist() == [
        "2024-01",
        "2024-02",
    ]
    assert checked.counts("requests").tolist() == [1052, 12]
    assert checked.months("month").tolist() == [pd.Period("2024-01", "M"), pd.Period("2024-02", "M")]
    assert df["hub"].tolist() == ["North ", " North"]  # the caller's frame is left as it was
    records = schema.check(frame(REFERRALS, GOOD), "referrals", source="r", today=TODAY)
    assert records.dates("referral_date").tolist() == [
        pd.Timestamp("2020-01-06"),
        pd.Timestamp("2020-01-20"),
        pd.Timestamp("2020-02-03"),
    ]


@pytest.mark.parametrize(
    "cell, message",
    [
        ("1000000000", None),
        ("1,000,000,001", "implausibly large count for one month"),
        ("-1", "negative count"),
        ("2.5", "not a whole number"),
        ("twelve", "text in a count"),
        ("\u0661\u0662", "text in a count"),  # Arabic-Indic digits: not a count a council writes
        ("", "missing count"),
    ],
)
def test_a_monthly_count_is_a_whole_number_from_0_to_a_billion(cell, message):
    checked = schema.check(
        frame(["month", "requests"], [["2024-01", cell]]), "early_help_monthly", source="m", today=TODAY
    )
    assert [(p.row, p.column, p.message) for p in checked.problems] == (
        [] if message is None else [(2, "requests", message)]
    )


@pytest.mark.parametrize(
    "month, message",
    [
        ("2000-01", None),
        ("1999-12", "month before 2000-01"),
        ("2026-07", "month in the future"),
        ("2026-6", "not a month"),
    ],
)
def test_months_run_from_january_2000_to_this_month(month, message):
    checked = schema.check(frame(["month", "requests"], [[month, "3"]]), "early_help_monthly", source="m", today=TODAY)
    assert [p.message for p in checked.problems] == ([] if message is None else [message])


def test_a_field_not_recorded_on_every_row_is_a_note_and_on_some_rows_an_error():
    every = [r[:4] + ["Not recorded"] + r[5:] for r in GOOD]
    checked = schema.check(frame(REFERRALS, every), "referrals", source="annex", today=TODAY)
    assert found(checked) == [
        (
            None,
            "domestic_abuse",
            "the source does not record domestic abuse ('Not recorded' on every row): the briefings leave out what "
            "needs it",
            None,
            INFO,
        )
    ]
    some = [every[0], *GOOD[1:]]
    problems = schema.check(frame(REFERRALS, some), "referrals", source="x", today=TODAY).problems
    # Every row that differs from the first data row (row 2) is reported.
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "domestic_abuse", "N"), (4, "domestic_abuse", "N")]
    assert problems[0].message == "domestic abuse is 'Not recorded' on some rows and recorded on others"


def test_a_repeat_of_month_and_hub_names_the_first_row_and_both_values():
    df = frame(
        ["month", "hub", "requests"], [["2024-01", "North", "1"], ["2024-01", "South", "2"], ["2024-01", "North", "3"]]
    )
    (p,) = schema.check(df, "early_help_monthly", source="m", today=TODAY).problems
    assert (p.row, p.column, p.message, p.value, p.expected) == (
        4,
        "month",
        "month and hub repeat the one on row 2",
        ("2024-01", "North"),
        "each month and hub once",
    )


def test_a_period_of_care_may_be_open_but_not_end_before_it_starts():
    df = frame(
        ["child_id", "started", "ceased"],
        [["A", "2020-01-01", ""], ["B", "2020-03-01", "2020-02-01"], ["C", "2020-04-01", "soon"]],
    )
    checked = schema.check(df, "looked_after", source="lac", today=TODAY)
    assert [(p.row, p.column, p.message, p.expected) for p in checked.problems] == [
        (3, "ceased", "ceased is before started", "a date on or after 'started'"),
        (4, "ceased", "not a date", "a date YYYY-MM-DD, or empty while the child is looked after"),
    ]


def test_same_day_records_and_months_without_records_are_warnings_after_the_rows():
    rows = [
        *GOOD,
        ["R4", "C9", "2020-05-01", "Police", "N", "Assessment"],
        ["R5", "C9", "2020-05-01", "Other", "N", "Assessment"],
    ]
    checked = schema.check(frame(REFERRALS, rows), "referrals", source="x", today=TODAY)
    assert [(p.row, p.column, p.level, p.value) for p in checked.problems] == [
        (6, "child_id", WARNING, "C9"),
        (None, "referral_date", WARNING, "2020-03"),
        (None, "referral_date", WARNING, "2020-04"),
    ]
    assert checked.problems[0].message.startswith("child_id C9 has another record on the same day (row 5)")
    assert checked.report.first_error() is None  # a reader accepts it


def test_problems_come_header_first_then_rows_then_findings_about_the_whole_table():
    # A month missing from the span after a bad month cell may be that cell's fault: it comes after it.
    df = pd.DataFrame(
        [["2024-01", "1", "x"], ["2024-13", "2", "y"], ["2024-03", "z", "w"]], columns=["month", "requests", "month"]
    )
    checked = schema.check(df, "early_help_monthly", source="m", today=TODAY)
    assert [(p.row, p.column, p.message) for p in checked.problems] == [
        (1, "month", "the column name appears more than once in the header"),
        (3, "month", "not a month"),
        (4, "requests", "text in a count"),
        (None, "month", "month 2024-02 is missing: months must run without gaps from 2024-01 to 2024-03"),
    ]


def test_a_header_that_is_not_the_layout_is_said_once_and_a_missing_column_by_name():
    (p,) = schema.check(frame(["a", "referral_id"], [["1", "2"]]), "referrals", source="x").problems
    assert (p.row, p.column, p.message) == (
        1,
        None,
        "this is not a referrals extract (one row per referral): its header has 1 of the layout's 6 columns",
    )
    missing = schema.check(frame(REFERRALS[:5], [g[:5] for g in GOOD]), "referrals", source="x", today=TODAY).problems
    assert [(p.row, p.column, p.message) for p in missing] == [
        (1, "outcome", "missing column 'outcome': the referrals extract (one row per referral) needs it")
    ]


def test_early_help_layouts_are_told_apart_by_the_header():
    assert schema.pick("early_help_requests", ["request_id", "hub"]).name == "early_help_requests"
    assert schema.pick("early_help_requests", ["month", "hub", "requests"]).name == "early_help_monthly"
    assert (
        schema.pick("early_help_monthly", ["request_id"]).name == "early_help_monthly"
    )  # a layout named is that layout
    none = schema.pick("early_help_requests", ["period", "count"])
    assert none.message == (
        "not an early help requests file: the header has none of 'request_id', 'date_received', 'month', 'requests'"
    )
    assert none.value == ["period", "count"] and "month, requests (optionally hub, reason)" in none.expected


def test_a_table_without_rows_is_refused_in_the_same_words_for_every_layout():
    for name in schema.tables():
        t = schema.table(name)
        empty = pd.DataFrame({c: pd.Series(dtype=str) for c in t.required})
        (p,) = schema.check(empty, t, source="query on $CSDEMAND_DB_URL").problems
        assert (p.row, p.column, p.message, p.expected) == (
            None,
            None,
            "the extract has no rows",
            "at least one row of data below the header (for a query: rows for this authority)",
        )


def test_only_the_first_200_problems_are_built_and_the_rest_counted():
    rows = [[f"R{i}", f"C{i}", "2020-01-06", "Nobody", "Y", "Assessment"] for i in range(500)]
    problems = schema.check(frame(REFERRALS, rows), "referrals", source="x", today=TODAY).problems
    assert len(problems) == LIMIT + 1 and problems[-1].level == MORE and problems[-1].count == 300
    assert [p.row for p in problems[:3]] == [2, 3, 4]


def test_report_rows_follow_the_positions_given():
    rep = Report("f.csv", rows=np.array([2, 5, 9]))
    rep.mask(np.array([False, True, True]), "c", pd.Series(["a", "b", "c"]), "bad", "good")
    assert [(p.row, p.value) for p in rep.finish()] == [(5, "b"), (9, "c")]


# --------------------------------------------------------------------------- files


def test_a_blank_line_is_counted_as_a_spreadsheet_counts_it(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        ",".join(REFERRALS)
        + "\nR1,C1,2020-01-06,Police,Y,Assessment\n\nR2,C2,2020-01-20,Schools,N,Assessment\n"
        + "R3,C3,2020-02-03,Nobody,N,Assessment\n",
        encoding="utf-8",
    )
    checked = schema.read_csv(path, "referrals", today=TODAY)
    assert [(p.row, p.column, p.message) for p in checked.problems] == [(5, "source", "unknown source code")]


def test_read_csv_reports_the_files_problems_and_the_cells_in_one_order(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        ",".join(REFERRALS) + "\nR1,C1,2020-13-06,Police,Y,Assessment\nR2,C2,2020-01-20,Schools,N,Assessment,extra\n",
        encoding="utf-8",
    )
    checked = schema.read_csv(path, "referrals", today=TODAY)
    assert [(p.row, p.column, p.message) for p in checked.problems] == [
        (2, "referral_date", "not a date"),
        (3, None, "the row has 7 fields; the header has 6"),
    ]


# --------------------------------------------------------------------------- documents and code


def test_the_readme_prints_the_layouts_as_declared():
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    begin = "<!-- layouts: generated from lib/csdemand/reference/tables; do not edit by hand -->\n"
    end = "\n<!-- layouts: end -->"
    assert begin in text and end in text
    printed = text[text.index(begin) + len(begin) : text.index(end)]
    assert printed == schema.readme_tables(), (
        "README's layout tables differ from the declarations: paste the output of "
        "`.venv/bin/python -c 'from csdemand.core import schema; print(schema.readme_tables())'`"
    )
    assert (
        "| `domestic_abuse` | yes | `Y` or `N`; or `Not recorded` on every row | domestic abuse recorded as a reason "
        "for, or factor in, the referral |"
    ) in printed


def _literals(tree: ast.AST):
    """Every list, tuple, set and dict literal made only of strings: (line, kind, strings)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items, kind = node.elts, "sequence"
        elif isinstance(node, ast.Dict):
            items, kind = [k for k in node.keys if k is not None], "mapping"
        else:
            continue
        strings = [e.value for e in items if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(strings) >= 2 and len(strings) == len(items):
            yield node.lineno, kind, strings


def _copies(tree: ast.AST, where: str) -> tuple[list[str], list[str]]:
    """Literals in a module that copy a layout's columns or a code list, and mappings over a whole
    code list whose keys are not exactly its codes (see the test below)."""
    layouts = {t.name: set(t.required) for t in schema.tables().values()}
    lists = {name: set(group["code"]) for name, group in schema._codes_csv().groupby("list")}
    copies, drifted = [], []
    for line, kind, strings in _literals(tree):
        for name, columns in layouts.items():
            if kind == "sequence" and set(strings) <= columns and len(set(strings)) * 2 > len(columns):
                copies.append(f"{where}:{line}: columns of {name}: {strings}")
        for name, codes in lists.items():
            if len(set(strings) & codes) < 2:
                continue
            if kind == "mapping" and set(strings) >= codes:
                if set(strings) != codes:
                    drifted.append(f"{where}:{line}: keys {strings} are not the codes of {name}")
                continue
            copies.append(f"{where}:{line}: codes of {name}: {strings}")
    return copies, drifted


def test_no_module_redeclares_a_local_tables_columns_or_code_lists():
    """Column names and code lists are written once, in reference/tables. A literal that lists more
    than half a layout's columns, or two codes of one list, is a copy that can drift; a mapping
    that gives every code of a list a value (the synthetic data's shares) uses the list, and must
    cover exactly the codes declared."""
    copies, drifted = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        more, off = _copies(ast.parse(path.read_text(encoding="utf-8")), str(path.relative_to(PACKAGE)))
        copies += more
        drifted += off
    assert copies == [] and drifted == []


def test_the_scan_for_copies_finds_a_copied_code_list_a_partial_mapping_and_a_column_list():
    """The test above can fail: each of these would be found."""
    planted = ast.parse(
        'HUBS = ("North", "Central", "South")\n'
        'SHARES = {"North": 0.5, "South": 0.5}\n'
        'ALL = {"North": 0.4, "Central": 0.2, "South": 0.4}\n'
        'COLUMNS = ["month", "requests"]\n'
    )
    copies, drifted = _copies(planted, "planted.py")
    assert copies == [
        "planted.py:1: codes of early_help_hubs: ['North', 'Central', 'South']",
        "planted.py:2: codes of early_help_hubs: ['North', 'South']",
        "planted.py:4: columns of early_help_monthly: ['month', 'requests']",
    ]
    assert drifted == []  # ALL gives every hub a value: a use of the list
