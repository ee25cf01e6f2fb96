"""Disclosure control where data meets a briefing: the store's one door, local aggregates, and the
referrals briefing of a small authority, rendered, read back as a reader would read it (the page
and the executed notebook kept beside it)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csdemand.briefings import narrative, referrals
from csdemand.core import disclosure, paths
from csdemand.local import referrals as lr
from csdemand.published import areas, store


def test_store_applies_dfe_rules_to_every_count_and_rate(tmp_path, monkeypatch):
    shutil.copytree(paths.data_dir(), tmp_path / "data", ignore=shutil.ignore_patterns("local"))
    cla = pd.read_csv(tmp_path / "data" / "cla.csv")
    row = (cla["la_number"] == 352) & (cla["period"] == 2025)
    cla.loc[row & (cla["measure"] == "cla_count"), "value"] = 4
    cla.loc[row & (cla["measure"] == "cla_rate"), ["value", "numerator"]] = [0.3, 4]
    cla.to_csv(tmp_path / "data" / "cla.csv", index=False)
    monkeypatch.setenv("CSDEMAND_DATA", str(tmp_path / "data"))
    loaded = store.load("cla")
    got = loaded[(loaded["la_number"] == 352) & (loaded["period"] == 2025)].set_index("measure")
    assert got.loc["cla_count", "status"] == "c" and np.isnan(got.loc["cla_count", "value"])
    assert got.loc["cla_rate", "status"] == "c" and np.isnan(got.loc["cla_rate", "value"])


def test_small_local_monthly_counts_and_their_shares_are_withheld():
    monthly = pd.DataFrame(
        {"month": ["2025-01", "2025-02"], "referrals": [3, 500], "domestic_abuse": [1, 100], "da_share": [1 / 3, 0.2]}
    )
    out = disclosure.protect_counts(
        monthly, ["referrals", "domestic_abuse"], {"referrals": ["da_share"], "domestic_abuse": ["da_share"]}
    )
    assert (
        np.isnan(out.loc[0, "referrals"])
        and np.isnan(out.loc[0, "domestic_abuse"])
        and np.isnan(out.loc[0, "da_share"])
    )
    assert out.loc[1, "referrals"] == 500 and out.loc[1, "da_share"] == 0.2
    assert monthly.loc[0, "referrals"] == 3  # the input is not changed


# --------------------------------------------------------------------------------------------
# a small authority's extract, made by hand
# --------------------------------------------------------------------------------------------

#: Referrals a month for the reporting years 2022-2025 (April to March). The chart shows the last
#: 36 months (2022-04 to 2025-03), so 2022's months are never printed but its total is.
MONTHLY = {
    2022: [9, 8, 7, 9, 6, 10, 7, 8, 6, 9, 7, 8],
    2023: [7, 3, 8, 6, 0, 9, 7, 1, 6, 8, 7, 6],  # 3 and 1: 4 between them, so a third month goes
    2024: [6, 7, 9, 8, 9, 6, 4, 7, 8, 6, 9, 7],  # a lone 4: a second month goes
    2025: [8, 3, 7, 9, 6, 10, 7, 8, 6, 9, 7, 2],  # May = 3 (as in the issue) and March = 2
}
#: Referrals with domestic abuse recorded, by month index within each year (default 1: withheld).
DA = {
    (2023, 2): 0,  # 0 of 8: 0.0% shown
    (2023, 5): 9,  # 9 of 9: 100.0% shown
    (2024, 2): 7,  # 7 of 9 leaves 2 without: withheld
    (2024, 4): 6,  # 6 of 9 leaves 3: withheld
    (2025, 5): 10,  # 10 of 10: 100.0% shown
    (2025, 3): 0,  # 0 of 9: 0.0% shown
}
#: Re-referrals in each year: one in 2023 (1 of 68: withheld), seven in 2025 (7 of 82: shown).
REREFERRALS = {2023: 1, 2025: 7}


def _month(year: int, i: int) -> tuple[int, int]:
    m = 4 + i
    return (year - 1, m) if m <= 12 else (year, m - 12)


def write_small_extract(path: Path) -> dict:
    """Write the extract above as a referrals CSV; return the truth a reader must not learn."""
    rows, n = [], 0
    truth = {"months": {}, "years": {}, "da": {}, "rereferrals": {}}
    for year, counts in MONTHLY.items():
        to_rerefer = REREFERRALS.get(year, 0)
        truth["rereferrals"][year] = to_rerefer
        truth["years"][year] = sum(counts)
        for i, count in enumerate(counts):
            y, m = _month(year, i)
            label = f"{y}-{m:02d}"
            truth["months"][label] = count
            da = DA.get((year, i), min(count, 1))
            truth["da"][label] = da
            for j in range(count):
                n += 1
                child = f"C{n:05d}"
                # a re-referral: the child referred on the 1st of the month before, within 365 days
                if to_rerefer and j == count - 1 and i >= 1 and rows:
                    earlier = [
                        r for r in rows if r[2].startswith(f"{_month(year, i - 1)[0]}-{_month(year, i - 1)[1]:02d}")
                    ]
                    if earlier:
                        child = earlier[0][1]
                        to_rerefer -= 1
                rows.append(
                    [
                        f"R{n:05d}",
                        child,
                        dt.date(y, m, 1 + j).isoformat(),
                        "Police",
                        "Y" if j < da else "N",
                        "Assessment",
                    ]
                )
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(lr.COLUMNS)
        w.writerows(rows)
    return truth


def _config(tmp_path: Path, body: str) -> Path:
    cfg = tmp_path / "data.yml"
    cfg.write_text("version: 1\ntables:\n  referrals:\n" + body)
    return cfg


@pytest.fixture
def small(tmp_path, monkeypatch):
    truth = write_small_extract(tmp_path / "small.csv")
    monkeypatch.setenv(
        "CSDEMAND_CONFIG", str(_config(tmp_path, f"    format: csv\n    path: {tmp_path / 'small.csv'}\n"))
    )
    return truth


def test_the_hand_made_extract_holds_what_the_tests_assume(small):
    records = lr.flag_rereferrals(lr.read_extract(Path(referrals.read_records("config", areas.resolve("201")).label)))
    ann = lr.annual(records).set_index("period")
    assert ann["referrals"].to_dict() == {2022: 94, 2023: 68, 2024: 86, 2025: 82}
    assert ann["rereferrals"].to_dict() == {2022: 0, 2023: 1, 2024: 0, 2025: 7}


def test_small_months_and_those_that_would_give_them_back_are_withheld(small):
    loc = referrals.local("config", areas.resolve("201"))
    mon = loc.monthly.set_index("month")
    withheld = mon.index[mon["referrals_status"] == "c"].tolist()
    # 2023: 3, 1 and then the smallest other (6, Jul 2022); 2024: 4 and a 6 (Apr 2023); 2025: 3, 2 and a 6 (Aug 2024)
    assert withheld == ["2022-05", "2022-07", "2022-11", "2023-04", "2023-10", "2024-05", "2024-08", "2025-03"]
    assert mon.loc[withheld, "referrals"].isna().all()
    assert mon.loc["2022-04", "referrals"] == 7 and mon.loc["2022-08", "referrals"] == 0
    # every year's total is printed, and what it leaves over the withheld months is never 1 to 5
    ann = loc.annual.set_index("period")
    assert ann["referrals"].to_dict() == {2022: 94, 2023: 68, 2024: 86, 2025: 82}
    for year in (2023, 2024, 2025):
        months = referrals._year_months(year)
        rest = ann.loc[year, "referrals"] - mon.loc[months, "referrals"].sum()
        assert (mon.loc[months, "referrals_status"] == "c").sum() >= 2 and rest >= 6


def test_control_chart_draws_no_withheld_month_and_takes_its_mean_from_the_months_shown(small):
    loc = referrals.local("config", areas.resolve("201"))
    t = loc.counts_spc.table
    withheld = (loc.monthly["referrals_status"] == "c").to_numpy()
    assert t["value"][withheld].isna().all() and t["value"][~withheld].notna().all()
    assert t["centre"].iloc[0] == pytest.approx(loc.monthly["referrals"].mean())  # NaN months left out
    # the domestic-abuse chart pools only the months whose share is printed
    shown = loc.monthly["da_status"] == ""
    assert loc.monthly.loc[shown, "month"].tolist() == ["2022-06", "2022-09", "2024-07", "2024-09"]
    assert loc.da_spc.table["value"][~shown.to_numpy()].isna().all()
    assert loc.da_spc.table["centre"].iloc[0] == pytest.approx((0 + 9 + 0 + 10) / (8 + 9 + 9 + 10))


def test_shares_that_give_back_a_count_of_1_to_5_or_its_rest_are_withheld(small):
    mon = referrals.local("config", areas.resolve("201")).monthly.set_index("month")
    assert mon.loc["2022-06", "da_pct"] == 0 and mon.loc["2022-09", "da_pct"] == 100
    assert mon.loc["2023-06", "da_status"] == "c" and mon.loc["2023-08", "da_status"] == "c"  # 7 of 9, 6 of 9
    assert mon.loc["2022-04", "da_status"] == "c"  # 1 of 7
    assert mon.loc["2022-08", "da_status"] == "z"  # no referrals, no share
    assert mon.loc[mon["da_status"] != "", ["domestic_abuse", "da_share", "da_lower", "da_upper"]].isna().all().all()


def test_key_message_and_tile_show_a_withheld_latest_month_as_c_with_the_reason(small):
    pub = referrals.published("201")
    loc = referrals.local("config", pub.la)
    latest = referrals.latest_month(loc)
    text = " ".join(narrative.referral_key_messages(pub, latest))
    assert (
        "In the local extract, the number of referrals received in March 2025 is c (suppressed: a count of 1 to 5, "
        "or a figure from which one could be worked out), and so is the share with domestic abuse recorded."
    ) in text
    assert referrals.local_headline(loc) == ("Referrals in Mar 2025", "c", f"local extract; {disclosure.FOOTNOTE_C}")
    assert "nan" not in text and "not available referrals" not in text


def test_reconciliation_of_269_referrals_with_1_rereferral_shows_no_percentage_that_gives_the_1_back():
    # the case: 269 referrals and 0.4% re-referrals, only 1 fits
    months = lr.monthly(
        pd.DataFrame(
            {
                "referral_date": pd.to_datetime(["2024-04-01"] * 269),
                "domestic_abuse": [False] * 269,
                "outcome": ["Assessment"] * 269,
                "rereferral": [True] + [False] * 268,
            }
        )
    )
    months = pd.concat(
        [
            months,
            pd.DataFrame(
                {
                    "month": [str(pd.Period("2024-05", freq="M") + i) for i in range(11)],
                    "referrals": [0] * 11,
                    "domestic_abuse": [0] * 11,
                }
            ),
        ],
        ignore_index=True,
    )
    annual = pd.DataFrame(
        {
            "period": [2025],
            "referrals": [269],
            "rereferrals": [1],
            "rereferral_pct": [1 / 269 * 100],
            "complete": [True],
        }
    )
    _mon, ann = referrals.protect_local(months, months["month"].tolist(), annual)
    assert (
        ann.loc[0, "referrals"] == 269
        and ann.loc[0, "rereferral_status"] == "c"
        and np.isnan(ann.loc[0, "rereferral_pct"])
    )
    table = referrals.reconciliation_table(referrals.reconciliation(ann, referrals.published("201"))).iloc[0]
    assert table["Local extract"] == "269" and table["Published (DfE)"] == "57"
    assert table["Re-referrals % local"] == "c" and table["Difference (points)"] == "c"
    assert table["Difference"] == "+212" and table["Difference %"] == "+371.9%"


def test_a_difference_beside_a_withheld_published_figure_is_withheld():
    pub = referrals.published("201")  # DfE withheld City of London's 2024 re-referral %
    local_annual = pd.DataFrame(
        {
            "period": [2024],
            "referrals": [70.0],
            "referrals_status": [""],
            "rereferral_pct": [20.0],
            "rereferral_status": [""],
            "complete": [True],
        }
    )
    row = referrals.reconciliation_table(referrals.reconciliation(local_annual, pub)).iloc[0]
    assert (
        row["Re-referrals % local"] == "20.0"
        and row["Re-referrals % published"] == "c"
        and row["Difference (points)"] == "c"
    )


# --------------------------------------------------------------------------------------------
# fields the source does not record: Annex A List 3 has no domestic-abuse flag
# --------------------------------------------------------------------------------------------

LIST3_HEADER = ["Child Unique ID", "Gender", "Date of Birth", "Date of Referral", "Referral Source", "Referral NFA?"]


def write_annex_a(path: Path) -> Path:
    """An Annex A workbook whose List 3 holds a year of referrals (10 a month, 4 in May 2024)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    ws = wb.create_sheet("List 3 - Referrals")
    ws.append(["List 3: Referrals"])
    ws.append(LIST3_HEADER)
    n = 0
    for i in range(12):
        month = pd.Period("2024-04", freq="M") + i
        for day in range(4 if str(month) == "2024-05" else 10):
            n += 1
            ws.append(
                [
                    f"A{n:04d}",
                    "Female",
                    None,
                    dt.datetime(month.year, month.month, day + 1),
                    "q) 6: Police",
                    "b) No" if n % 3 else "a) Yes",
                ]
            )
    wb.save(path)
    return path


@pytest.fixture
def annex_a(tmp_path, monkeypatch):
    book = write_annex_a(tmp_path / "Annex_A.xlsx")
    monkeypatch.setenv(
        "CSDEMAND_CONFIG", str(_config(tmp_path, f"    format: annex_a\n    path: {book}\n    list: 3\n"))
    )
    return book


NOT_RECORDED = (
    "Annex A does not record domestic abuse at referral; the published figures at the end of assessment "
    "are shown instead."
)


def test_annex_a_without_a_domestic_abuse_field_leaves_the_share_out_and_says_why(annex_a):
    pub = referrals.published("201")
    loc = referrals.local("config", pub.la)
    assert loc.da_recorded is False and loc.da_spc is None
    assert loc.monthly["da_pct"].isna().all() and (loc.monthly["da_status"] == "z").all()
    assert not any("Domestic-abuse share" in s or "domestic-abuse share" in s for s in loc.signals)
    charts_html = referrals.monthly_charts(loc)._repr_html_()
    assert charts_html.count("<figure") == 1 and "Domestic abuse share" not in charts_html
    assert NOT_RECORDED in html.unescape(charts_html)
    messages = narrative.referral_key_messages(pub, referrals.latest_month(loc))
    assert "In the local extract, 10 referrals were received in March 2025." in messages
    assert NOT_RECORDED in messages
    assert not any("0.0%" in m or "95% interval" in m for m in messages)


# --------------------------------------------------------------------------------------------
# the rendered page and the executed notebook beside it
# --------------------------------------------------------------------------------------------


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def _tables(markup: str) -> dict[str, pd.DataFrame]:
    """Every table in a page, as text, keyed by its caption or the chart caption it belongs to."""
    out = {}
    for m in re.finditer(
        r"(?:<figcaption>(?P<fig>.*?)</figcaption>.*?)?<table[^>]*>(?P<body>.*?)</table>", markup, flags=re.S
    ):
        body = m.group("body")
        cap = re.search(r"<caption>(.*?)</caption>", body, flags=re.S)
        key = _text(cap.group(1) if cap else (m.group("fig") or ""))
        head = [
            _text(h)
            for h in re.findall(
                r"<th[^>]*>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", body, flags=re.S).group(1), flags=re.S
            )
        ]
        rows = [
            [_text(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)]
            for r in re.findall(
                r"<tr>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", body, flags=re.S).group(1), flags=re.S
            )
        ]
        out[key] = pd.DataFrame(rows, columns=head)
    return out


def _could_be(printed: str, base: int) -> list[int]:
    """The counts a reader cannot rule out from a share printed to 1 decimal of a printed base."""
    p = Fraction(printed.rstrip("%"))
    return [k for k in range(base + 1) if abs(Fraction(100 * k, base) - p) <= Fraction(1, 20)]


def _check_what_a_reader_sees(markup: str, truth: dict) -> None:
    tables = _tables(markup)
    counts = tables["Referrals per month, XmR control chart"].set_index("Month")
    shares = tables[
        "Share of referrals with domestic abuse recorded, Laney p' chart with 95% Wilson intervals"
    ].set_index("Month")
    rec = tables["Local extract against DfE's published referrals, complete reporting years"].set_index("Year")
    label = {pd.Period(k, freq="M").strftime("%b %Y"): k for k in truth["months"]}

    printed = {}
    for month, cell in counts["Referrals"].items():
        true = truth["months"][label[month]]
        assert cell == "c" if 1 <= true <= 5 else cell in ("c", str(true)), (month, cell, true)
        printed[label[month]] = None if cell == "c" else int(cell)
    assert sum(v is None for v in printed.values()) == 8

    # Subtraction: a printed year's total less its printed months is never 1 to 5, and never one
    # unknown month alone (withheld, or outside the chart's 36 months).
    for year, months in ((y, [f"{_month(y, i)[0]}-{_month(y, i)[1]:02d}" for i in range(12)]) for y in MONTHLY):
        total = rec.loc[str(year), "Local extract"]
        assert total == str(truth["years"][year])
        unknown = [m for m in months if printed.get(m) is None]
        rest = int(total) - sum(printed[m] for m in months if printed.get(m) is not None)
        assert not 1 <= rest <= 5, (year, rest)
        assert len(unknown) != 1 or not 1 <= truth["months"][unknown[0]] <= 5, (year, unknown)

    # Percentages with their bases: no count of 1 to 5 (nor a rest of the base of 1 to 5) fits.
    for month, cell in shares["Domestic abuse share"].items():
        base = printed[label[month]]
        if cell in ("c", "z"):
            assert shares.loc[month, "95% interval (Wilson)"] == cell
            continue
        assert base is not None
        could = _could_be(cell, base)
        assert truth["da"][label[month]] in could and not any(1 <= k <= 5 or 1 <= base - k <= 5 for k in could), (
            month,
            cell,
        )
    assert (~shares["Domestic abuse share"].isin(["c", "z"])).sum() == 4
    for year, row in rec.iterrows():
        if row["Re-referrals % local"] == "c":
            assert row["Difference (points)"] == "c"
            continue
        could = _could_be(row["Re-referrals % local"], int(row["Local extract"]))
        assert not any(1 <= k <= 5 or 1 <= int(row["Local extract"]) - k <= 5 for k in could), year
    assert rec.loc["2023", "Re-referrals % local"] == "c" and rec.loc["2025", "Re-referrals % local"] == "8.5"

    # the local sections read c with the reason, never nan
    local = _text(
        markup[
            markup.find("Monthly referrals and the domestic-abuse share") : markup.find(
                "Referral rate against benchmarks"
            )
        ]
    )
    local += _text(markup[markup.find("Local extract against") : markup.find("Caveats")])
    assert disclosure.FOOTNOTE_C in local
    for bad in ("nan", "NaN", "None", "not available%", "not available referrals", "not available ("):
        assert bad not in local, bad
    figure = re.compile(r"[+-]?[\d,]+(\.\d)?%?|[cxz]")
    for table in (counts, rec):
        cells = table.drop(columns=[c for c in ("Signal",) if c in table]).to_numpy().ravel()
        assert all(figure.fullmatch(c) for c in cells), [c for c in cells if not figure.fullmatch(c)]


@pytest.mark.notebook
def test_small_authority_page_and_executed_notebook_show_no_count_of_1_to_5_nor_one_that_can_be_worked_out(
    small, tmp_path
):
    from csdemand.present.html import plain_text
    from csdemand.render import batch as render

    brief = next(b for b in render.discover() if b.name == "referrals")
    page = render.render_one(brief, "201", "latest", tmp_path / "reports")
    markup = page.read_text()
    _check_what_a_reader_sees(markup, small)
    assert "the number of referrals received in March 2025 is c (suppressed" in _text(markup)

    # The executed notebook is an output too: its displayed objects are the page's, and it holds
    # no other output (no stream, no repr) that could carry a figure.
    nb = json.loads(page.with_suffix(".ipynb").read_text())
    shown = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            assert out["output_type"] in ("execute_result", "display_data"), out["output_type"]
            data = out["data"]
            if "text/html" in data:
                markup_out = "".join(data["text/html"])
                shown.append(markup_out)
                plain = "".join(data.get("text/plain", ""))
                assert plain == plain_text(markup_out), plain[:80]  # the page's words, nothing else
            else:
                assert set(data) == {"application/vnd.csdemand.provenance+json", "text/plain"}
    _check_what_a_reader_sees("".join(shown), small)


@pytest.mark.notebook
def test_annex_a_page_says_why_there_is_no_local_domestic_abuse_share(annex_a, tmp_path):
    from csdemand.render import batch as render

    brief = next(b for b in render.discover() if b.name == "referrals")
    page = render.render_one(brief, "201", "latest", tmp_path / "reports")
    for text in (_text(page.read_text()), page.with_suffix(".ipynb").read_text()):
        assert NOT_RECORDED in text
        assert "Share of referrals with domestic abuse recorded" not in text
        assert "domestic abuse was recorded in 0.0%" not in text
