"""Sentences generated from the numbers: no figure in a briefing is typed by hand.

Each function takes computed results and returns plain strings; the notebook displays them.

Rules the sentences keep (they are tested):

* Every figure through :mod:`csdemand.core.numbers` (half up; a withheld figure in words, "c
  (suppressed: fewer than 6 children)", "not applicable (published with Cornwall)"; never nan).
* A comparison is made between the figures as printed: 67 against England's 67 is "in line with",
  never "below"; a change is the difference of the printed figures, with its size in words ("fell
  by 18 per 10,000, 4%").
* Key messages are ordered by importance: a funnel outlier, then the top or bottom of the group
  and a clear distance from the neighbours or England, then changes, then the national band.
  "Outlier" and "significantly" appear only where a flag is set (the funnel position).
* A percentage change on fewer than 20 children carries a small-numbers warning; a new
  authority's first years carry the predecessor caveat; a withheld latest year is said to be
  withheld for that year (its last published year is quoted, labelled, never substituted).
"""

from __future__ import annotations

import numpy as np

from csdemand.briefings.looked_after import BAND_WORDS, LacBenchmark
from csdemand.briefings.looked_after import RATE as LAC_RATE
from csdemand.core import numbers
from csdemand.methods import benchmarks
from csdemand.present.html import fmt_number

#: A distance from the neighbours' mean or England of this share (or more) is "clear".
CLEAR_DISTANCE = 0.20


def _region(name: str) -> str:
    """'the North West' but 'London' and 'the East of England'."""
    return name if name == "London" else f"the {name}"


def _compare(a: float, b: float, decimals: int = 0) -> str:
    """'above' / 'below' / 'in line with', comparing the figures as printed (``decimals``, half
    up): 67 and England's 67.1 both print 67, so they are in line."""
    if numbers.is_missing(a) or numbers.is_missing(b):
        return "not comparable with"
    diff = numbers.change_as_printed(a, b, decimals)
    if diff == 0:
        return "in line with"
    return "above" if diff > 0 else "below"


def _pct(value: float) -> str:
    """A percentage change in words' precision: 4%, 12%, 0.4% (below 1)."""
    v = abs(value)
    return numbers.fmt(v, 0 if numbers.round_half_up(v, 1) >= 1 else 1) + "%"


def _gap(a: float, b: float, decimals: int, unit: str) -> str:
    """'by 30 per 10,000, 45%' between two printed figures ('' where they print the same)."""
    diff = numbers.change_as_printed(a, b, decimals)
    if numbers.is_missing(diff) or diff == 0:
        return ""
    rel = numbers.pct_change_as_printed(a, b, decimals)
    tail = f" ({_pct(rel)})" if not numbers.is_missing(rel) else ""
    return f" by {numbers.fmt(abs(diff), decimals)}{unit}{tail}"


def _the(name: str, start: bool = False) -> str:
    """'the Isles of Scilly' (names that take the article in a sentence), else the name."""
    if name.startswith("Isles of"):
        return ("The " if start else "the ") + name
    return name


def _span(years: int) -> str:
    return f"{years} year{'s' if years != 1 else ''}"


def change_words(row, decimals: int, unit: str, points: bool = False, noun: str = "children") -> str:
    """One change in words from a :func:`benchmarks.direction_of_travel` row: "fell by 18 per
    10,000, 4%, from 499.2 in 2024" ("rose by 1.2 percentage points" for percentages); "was
    unchanged from 2024 (97)" where both years print the same. A change resting on fewer than 20
    children says so."""
    frm, year = row["from_value"], int(row["from_period"])
    if row["direction"] == "no change":
        return f"was unchanged from {year} ({numbers.fmt(frm, decimals)}{'%' if points else ''})"
    verb = "rose" if row["change"] > 0 else "fell"
    size = numbers.fmt(abs(row["change"]), decimals)
    if points:
        text = f"{verb} by {size} percentage points from {numbers.fmt(frm, decimals)}% in {year}"
    else:
        rel = row["pct_change"]
        text = (
            f"{verb} by {size}{unit}"
            + (f", {_pct(rel)}," if not numbers.is_missing(rel) else "")
            + f" from {numbers.fmt(frm, decimals)} in {year}"
        )
    if row.get("small_numbers", False):
        what = "the change" if points else "the percentage change"
        text += f" (fewer than {benchmarks.SMALL_NUMBERS} {noun}: too few for {what} to be a reliable guide)"
    return text


def travel_sentence(
    subject: str,
    travel,
    decimals: int,
    unit: str,
    la,
    period: int,
    points: bool = False,
    spans: tuple[int, ...] = (1, 5),
    noun: str = "children",
) -> str:
    """The changes over ``spans`` years, each phrase once: "The rate fell by 3 per 10,000, 3%, from
    100 in 2024; over 5 years it fell by 15, 13%, from 112 in 2020." A span that cannot be shown
    says why (the authority's first year, a withheld figure), never "not available over 3 years".
    '' where the year itself is withheld (the first message says so)."""
    t = travel.set_index("span_years")
    parts, gaps, reasons = [], [], []
    for span in spans:
        if span not in t.index:
            continue
        r = t.loc[span]
        frm = int(r["from_period"])
        if r["direction"] == "not available":
            if r["to_status"]:
                return ""
            gaps.append(_span(span))
            reason = (
                f"{la.name}'s first year is {la.first_year}"
                if not la.existed_in(frm)
                else f"the {frm} figure is {fmt_number(np.nan, status=r['from_status'] or 'x', noun=noun)}"
            )
            if reason not in reasons:
                reasons.append(reason)
            continue
        words = change_words(r, decimals, unit, points, noun)
        parts.append(words if span == spans[0] else f"over {_span(span)} it {words}")
    out = []
    if parts:
        out.append(f"{subject} " + "; ".join(parts) + ".")
    if gaps:
        out.append(
            f"No change in {subject[0].lower() + subject[1:]} over {' or '.join(gaps)} can be shown: "
            + "; ".join(reasons)
            + "."
        )
    return " ".join(out)


def _rank_words(rank: int, n: int, group: int | None = None) -> str:
    """'has the highest rate of the 11 in its group', 'ranks 9 of 11 in its group, where 1 is the
    lowest' (``n`` authorities with a figure, of ``group``)."""
    of = f"the {n} in its group" + (" with a figure" if group and n < group else "")
    if n > 1 and rank == 1:
        return f"has the lowest rate of {of} (the authority and its statistical neighbours)"
    if n > 1 and rank == n:
        return f"has the highest rate of {of} (the authority and its statistical neighbours)"
    return f"ranks {rank} of {n} in its group{' with a figure' if group and n < group else ''}, where 1 is the lowest"


def _position(b: LacBenchmark) -> str:
    pts = b.funnel_points.set_index("la_number")["position"] if not b.funnel_points.empty else {}
    return str(pts.get(b.la.la_number, "")) if len(pts) else ""


def _last_published(series, year: int, decimals: int) -> tuple[int, str] | None:
    """The newest year before ``year`` with a value, as (year, printed figure)."""
    s = series[(series.index < year)].dropna()
    if s.empty:
        return None
    y = int(s.index.max())
    return y, numbers.fmt(s[y], decimals)


def lac_key_messages(b: LacBenchmark, f=None, o=None) -> list[str]:
    """Three to five key messages for the looked-after children briefing, most important first;
    with the flows ``f`` (:func:`looked_after.flows`) and the outlook ``o``
    (:func:`looked_after.outlook`), the first four of those and one message on each."""
    msgs = _lac_benchmark_messages(b)
    extra = [m for m in (lac_flow_key_message(f) if f else "", lac_outlook_key_message(o) if o else "") if m]
    return (msgs[:4] + extra) if (f is not None or o is not None) else msgs


def _lac_benchmark_messages(b: LacBenchmark) -> list[str]:
    name, year = _the(b.la.name), b.period
    who = _the(b.la.name, start=True)
    avg = b.neighbour_average
    d = numbers.decimals_of(LAC_RATE)
    eng, reg = fmt_number(b.england_rate, d), fmt_number(b.region_rate, d)
    if b.withheld:
        words = fmt_number(np.nan, status=b.rate_status or "x", note=b.marker_note)
        if numbers.is_missing(b.count):
            count = (
                f"Children looked after by {name} on 31 March {year}: "
                f"{fmt_number(np.nan, status=b.count_status or 'x', note=b.marker_note)}."
            )
        else:
            count = f"{who} looked after {fmt_number(b.count)} children on 31 March {year}."
        if numbers.is_missing(b.england_rate):
            why = f" No authority has a rate per 10,000 for {year} in the data (no population estimate is held for it),"
        else:
            why = f" The rate per 10,000 for {year} is {words},"
        msgs = [f"{count}{why} so {name} is not ranked, banded or placed on the funnel for {year}."]
        last = _last_published(benchmarks.area_series(b.data, LAC_RATE, la_number=b.la.la_number), year, d)
        if last:
            msgs.append(
                f"The last year before {year} with a rate for {name} is {last[0]}: {last[1]} per 10,000 children. It "
                f"is not a figure for {year}."
            )
        if not numbers.is_missing(b.england_rate):
            msgs.append(
                f"In {year} England's rate was {eng} per 10,000 children aged 0-17 and {_region(b.la.region_name)}'s "
                f"{reg}"
                + (
                    f"; the mean of {name}'s statistical neighbours with a figure was {fmt_number(avg.mean, 1)} "
                    f"({avg.n_with_value} of {avg.n_neighbours})."
                    if avg.n_with_value
                    else "."
                )
            )
        if b.lifecycle_note:
            msgs.append(b.lifecycle_note)
        return msgs

    rate = fmt_number(b.rate, d)
    base = f" (re-based on {b.base_label}; DfE printed {numbers.fmt(b.rate_published, d)})" if b.rate_rebased else ""
    first = (
        f"{who} looked after {fmt_number(b.count, status=b.count_status)} children on 31 March {year}: {rate} per "
        f"10,000 children aged 0-17{base}, "
        f"{_compare(b.rate, b.england_rate, d)} the {eng} for "
        f"England{_gap(b.rate, b.england_rate, d, ' per 10,000')} and "
        f"{_compare(b.rate, b.region_rate, d)} the {reg} for {_region(b.la.region_name)}."
    )
    ranked: list[tuple[int, str]] = []

    # The funnel is the only test this briefing makes: "outlier" only where it flags the rate.
    pos = _position(b)
    if "99.8" in pos and "within" not in pos:
        ranked.append(
            (
                100,
                f"Allowing for the usual variation between authorities, {name}'s rate lies {pos} of the funnel "
                "around England's rate: an outlier, a difference worth explaining.",
            )
        )
    elif "95" in pos and "within" not in pos:
        ranked.append(
            (
                80,
                f"Allowing for the usual variation between authorities, {name}'s rate lies {pos} of the funnel "
                "around England's rate: a difference worth explaining, though not an outlier.",
            )
        )
    elif pos:
        ranked.append(
            (
                25,
                f"Allowing for the usual variation between authorities, {name}'s rate is within the funnel limits "
                "around England's rate: not a statistical outlier.",
            )
        )

    # Among the statistical neighbours: top or bottom of the group, or a clear distance from their mean.
    if b.rank and avg.n_with_value:
        cmp_n = _compare(b.rate, avg.mean, d)
        rel = abs(numbers.pct_change_as_printed(b.rate, avg.mean, d) or 0) if cmp_n != "in line with" else 0
        extreme = b.n_ranked > 1 and b.rank in (1, b.n_ranked)
        ranked.append(
            (
                70 if extreme else (60 if rel >= CLEAR_DISTANCE * 100 else 40),
                f"{who} {_rank_words(b.rank, b.n_ranked, len(b.neighbour_numbers) + 1)}: its rate is {cmp_n} the "
                "statistical neighbours' mean "
                f"({fmt_number(avg.mean, 1)}, {avg.n_with_value} of {avg.n_neighbours} with a figure; median "
                f"{fmt_number(avg.median, 1)}).",
            )
        )

    travel = travel_sentence("The rate", b.travel, d, " per 10,000", b.la, year)
    if travel:
        ranked.append((50, travel))
    if b.band.band:
        ranked.append(
            (
                45 if b.band.band in ("A", "D") else 35,
                f"Nationally {name} is {BAND_WORDS.get(b.band.band, 'not banded')} (quartiles "
                f"{fmt_number(b.band.q1, d)}, {fmt_number(b.band.median, d)} "
                f"and {fmt_number(b.band.q3, d)} across {b.band.n_las} authorities). A higher or lower rate is not "
                "in itself better or worse: "
                "it reflects need, thresholds and how well children leave care.",
            )
        )
    ranked.sort(key=lambda m: -m[0])
    msgs = [first] + ([b.lifecycle_note] if b.lifecycle_note else []) + [m for _, m in ranked]
    return msgs[:5]


def rebased_caveat(periods_: list[int], base_label: str, what: str) -> str:
    """Which years are re-based, in a sentence ('' where none)."""
    if not periods_:
        return ""
    years = _year_runs(periods_)
    return (
        f"One figure, one value: every rate is on one population base, {base_label}, as LAIT shows them. DfE printed "
        f"the {what} for "
        f"{years} on the population estimates of the time; they are re-based here (marked r), so they can differ "
        "from the figures in "
        "those releases. Changes over time are therefore changes in children, not in population estimates."
    )


def _year_runs(years: list[int]) -> str:
    """[2018, 2019, 2020, 2023] -> '2018-2020 and 2023'."""
    ys = sorted(set(int(y) for y in years))
    runs, start = [], ys[0]
    for a, b in zip(ys, ys[1:] + [None]):
        if b != a + 1:
            runs.append(f"{start}-{a}" if a != start else f"{a}")
            start = b
    return runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]


def lac_caveats(b: LacBenchmark) -> list[str]:
    """Caveats a reader must see, some depending on the authority and the years shown."""
    out = []
    if b.lifecycle_note:
        out.append(b.lifecycle_note)
    if b.marker_note:
        out.append(
            f"{b.la.name}: figures are {numbers.marker_words('z', note=b.marker_note)} in DfE's looked-after tables "
            f"from {b.la.marker_note_from}, shown as z."
        )
    if b.model != b.model_requested:
        out.append(
            f"{b.la.name} has no statistical neighbours in DfE's {b.model_requested} model; those of the {b.model} "
            "model are used."
        )
    out += [
        "Rates are per 10,000 children aged 0-17, using the ONS mid-year estimate for the previous mid-year "
        f"(the rate for the year ending 31 March {b.period} uses mid-{b.period - 1}).",
        rebased_caveat(b.rebased_periods, b.base_label, "looked-after rates"),
        (
            f"ONS's newest estimates do not cover {_the(b.la.name)}, so its rates for "
            f"{_year_runs(b.older_base_periods)} are as DfE printed them, "
            "on the population estimates of the time, and are not strictly comparable with the re-based rates of "
            "other authorities."
            if b.older_base_periods
            else ""
        ),
        "Rates for 2013-2017 are computed here from DfE counts and the current ONS estimates, and for 2010 from the "
        "mid-2009 "
        "population printed in the 2010 release (marked *): they are not DfE figures and are shown hollow in the "
        "chart. No rate is "
        "shown for 2011-2012, for which no population estimate is held.",
        f"Statistical neighbours: DfE's benchmarking tool, {b.model} model. The neighbour average is the mean of the "
        "neighbours with a value, as in LAIT; the median, as in DfE's dashboard, is shown beside it.",
        "Rank and quartile band are computed as in LAIT: 1 is the lowest rate; band A is at or below the 25th "
        "percentile of all "
        "authorities' rates. For looked-after children neither a high nor a low rate is simply good.",
        "Changes are the differences of the figures as printed. A percentage change resting on fewer than "
        f"{benchmarks.SMALL_NUMBERS} children is marked ! and is not a reliable guide.",
        "National and regional counts are rounded to the nearest 10 by DfE; LA counts are not rounded. A count of 1 "
        "to 5, and a rate "
        "built on one, is suppressed (c).",
    ]
    if b.overdispersion.phi > 1:
        out.append(
            f"Funnel limits allow for overdispersion: LA rates vary about {numbers.fmt(b.overdispersion.phi, 0)} "
            "times as much as chance alone "
            "would give, so pure Poisson limits (dotted) would flag most authorities. The solid limits add a "
            "between-authority "
            "variance (Spiegelhalter's random-effects method, z-scores winsorised at 10%)."
        )
    return [c for c in out if c]


# --------------------------------------------------------------------------- looked after: why numbers move


def _vs(c, decimals: int = 0, unit: str = "", nb_decimals: int = 1) -> str:
    """'(neighbours' mean 30.2, England 26)' for a :class:`looked_after.Compared`; a neighbours'
    mean resting on fewer than all ten says how many."""
    nb = c.neighbours
    if nb.n_with_value:
        of = "" if nb.n_with_value == nb.n_neighbours else f", {nb.n_with_value} of {nb.n_neighbours} with a figure"
        mean = f"neighbours' mean {numbers.fmt(nb.mean, nb_decimals, unit=unit)}{of}"
    else:
        mean = "no neighbour has a figure"
    eng = fmt_number(c.england, decimals, status=c.england_status, unit=unit)
    return f"({mean}, England {eng})"


def _shown(c, decimals: int = 0, unit: str = "", noun: str = "children") -> str:
    """A figure of a :class:`looked_after.Compared` for a sentence; LAIT's ``-`` reads "not
    published" (the caveats say what it covers), other markers in words."""
    if c.status == "-":
        return "not published"
    return fmt_number(c.value, decimals, status=c.status, unit=unit, noun=noun)


def lac_flow_sentences(f) -> list[str]:
    """The flow behind the stock in words: children starting and ceasing, the net change, and their
    rates per 10,000 against the statistical neighbours' mean and England."""
    if f.refused:
        return [f.refused]
    from csdemand.briefings import looked_after as la

    name, year = _the(f.la.name), f.period
    s, c, n = f.flows[la.STARTS], f.flows[la.CEASES], f.flows[la.NET]
    sr, cr = f.flows[la.START_RATE], f.flows[la.CEASE_RATE]
    if s.has_value and c.has_value:
        net = n.value
        change = "no net change" if net == 0 else f"a net {'rise' if net > 0 else 'fall'} of {numbers.fmt(abs(net), 0)}"
        first = (
            f"In the year to 31 March {year}, {_shown(s)} children started to be looked after by {name} and "
            f"{_shown(c)} ceased to be looked after: {change}."
        )
    else:
        first = (
            f"In the year to 31 March {year}, children starting to be looked after by {name}: {_shown(s)}; ceasing: "
            f"{_shown(c)}."
        )
    out = [first]
    if sr.has_value or cr.has_value:
        rates = (
            f"Per 10,000 children, {_shown(sr)} started {_vs(sr)} and {_shown(cr)} ceased {_vs(cr)}"
            + (" (rates computed here from the counts)" if sr.computed or cr.computed else "")
            + "."
        )
        if sr.has_value and cr.has_value and sr.neighbours.n_with_value and cr.neighbours.n_with_value:
            a, b = _compare(sr.value, sr.neighbours.mean), _compare(cr.value, cr.neighbours.mean)
            if a == b and a != "in line with":
                more = "more" if a == "above" else "fewer"
                rates += (
                    f" For their child population, {more} children come into care and {more} leave it here than in "
                    "similar authorities."
                )
            else:
                rates += f" The starting rate is {a} the neighbours' mean and the ceasing rate {b} it."
        out.append(rates)
    return out


def lac_reconciliation_sentences(f) -> list[str]:
    """Last year's stock plus starts minus ceases against this year's stock, the difference stated,
    why it never reconciles exactly, and where the difference sits among all authorities."""
    if f.refused or f.reconciliation.empty:
        return []
    r = f.reconciliation.set_index("period")
    year = f.period
    if year not in r.index:
        return []
    row = r.loc[year]
    why = (
        "The figures never reconcile exactly: DfE counts each child once in each flow however many times they "
        "started or ceased during the year (a child who came into care twice is one start), and children whose care "
        "moves between authorities add to the difference."
    )
    parts = (
        ("opening", f"the number looked after at 31 March {year - 1}"),
        ("starts", "the number who started"),
        ("ceases", "the number who ceased"),
        ("stock", f"the number at 31 March {year}"),
    )
    missing = [w for k, w in parts if numbers.is_missing(row[k])]
    if len(missing) == len(parts):
        return [f"The flows cannot be checked against the numbers looked after for {year}: none is published."]
    if missing:
        words = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        return [
            f"The flows cannot be checked against the numbers looked after for {year}: {words} "
            f"{'is' if len(missing) == 1 else 'are'} not published."
        ]
    diff = numbers.change_as_printed(row["stock"], row["expected"], 0)
    if diff == 0:
        gap = "exactly the number published"
    else:
        gap = (
            f"{numbers.fmt(abs(diff), 0)} {'more' if diff > 0 else 'fewer'} "
            f"({numbers.fmt(abs(row['difference_pct']), 1)}% of the number a year before)"
        )
    first = (
        f"{numbers.fmt(row['opening'], 0)} children looked after at 31 March {year - 1}, plus "
        f"{numbers.fmt(row['starts'], 0)} who started, less {numbers.fmt(row['ceases'], 0)} who ceased, gives "
        f"{numbers.fmt(row['expected'], 0)}; {numbers.fmt(row['stock'], 0)} were looked after at 31 March {year}"
        + (f", {gap}." if diff != 0 else f": {gap}.")
    )
    out = [first, why]
    g = f.gap_all
    if len(g) >= 10:
        q1, med, q3 = np.percentile(g.to_numpy(), [25, 50, 75])
        out.append(
            f"Across the {len(g)} authorities with all four figures for {year}, the difference was a median "
            f"{numbers.fmt(med, 1, sign=True)}% of the number a year before (the middle half from "
            f"{numbers.fmt(q1, 1, sign=True)}% to {numbers.fmt(q3, 1, sign=True)}%)."
        )
    return out


PLACEMENT_WORDS = {
    "LAC_Foster_Placements": "lived with foster carers",
    "LAC_SecHome_And_ChildHome": "in secure units or children's homes",
    "LAC_Ind_SInd_Liv_Arr": "in independent or semi-independent living or supported accommodation",
    "LAC_Parents_OR_Others": "were placed with parents or others with parental responsibility",
}


def lac_placement_sentences(f) -> list[str]:
    """The placement mix and the share of unaccompanied asylum-seeking children in words."""
    if f.refused:
        return []
    from csdemand.briefings import looked_after as la

    name, year = _the(f.la.name), f.period
    by = {c.measure: c for c in f.placements}
    parts, unpublished = [], []
    for code, words in PLACEMENT_WORDS.items():
        c = by[code]
        if c.has_value:
            parts.append(f"{_shown(c, unit='%')} {words} {_vs(c, unit='%')}")
        else:
            unpublished.append(dict(la.PLACEMENTS)[code].lower())
    out = []
    if len(parts) >= 2:
        rest = (
            f" The share{'s' if len(unpublished) > 1 else ''} in {' and '.join(unpublished)} "
            f"{'are' if len(unpublished) > 1 else 'is'} not published."
            if unpublished
            else ""
        )
        out.append(
            f"At 31 March {year}, of the children {name} looked after, "
            + ", ".join(parts[:-1])
            + f" and {parts[-1]}.{rest}"
        )
        ph = f.placement_history
        if len(ph) > 1:
            first = int(ph["period"].iloc[0])
            then = ph.set_index("period").loc[first]
            moves = []
            for code, label in la.PLACEMENTS:
                c = by[code]
                d = numbers.change_as_printed(c.value, then[code], 0) if c.has_value else np.nan
                if not numbers.is_missing(d):
                    moves.append((abs(d), d, label, then[code], c.value))
            moves.sort(key=lambda m: -m[0])
            if moves and moves[0][0] >= 2:
                _, d, label, a, b = moves[0]
                out.append(
                    f"The largest change since {first} is in {label.lower()}: from {numbers.fmt(a, 0)}% to "
                    f"{numbers.fmt(b, 0)}% of the children looked after ({numbers.fmt(d, 0, sign=True)} percentage "
                    "points)."
                )
    else:
        out.append(
            f"LAIT publishes no placement mix for {name} in {year} (its shares are suppressed, not available or not "
            "applicable)."
        )
    n, share, starting = f.uasc[la.UASC_COUNT], f.uasc[la.UASC_SHARE], f.uasc[la.UASC_STARTING]
    if n.has_value or share.has_value:
        out.append(
            f"{_shown(n)} of the children looked after at 31 March {year} were unaccompanied asylum-seeking children: "
            f"{_shown(share, unit='%')} of all those looked after {_vs(share, unit='%')}; they were "
            f"{_shown(starting, unit='%')} of the children who started to be looked after in the year "
            f"{_vs(starting, unit='%')}."
        )
    else:
        out.append(f"Unaccompanied asylum-seeking children looked after by {name} at 31 March {year}: {_shown(n)}.")
    return out


def lac_unit_cost_sentences(f) -> list[str]:
    """The weekly unit cost against the neighbours and England, its change and total spend."""
    if f.refused or f.unit_cost is None:
        return []
    from csdemand.briefings.looked_after import _fy, _money

    c, name = f.unit_cost, _the(f.la.name)
    fy = _fy(f.period)
    if not c.has_value:
        return [
            f"The weekly unit cost of a looked-after child in {name} is "
            f"{fmt_number(np.nan, status=c.status or 'x')} for {fy}."
        ]
    nb = c.neighbours
    nb_words = (
        f"its statistical neighbours' mean of {_money(nb.mean)}"
        + ("" if nb.n_with_value == nb.n_neighbours else f" ({nb.n_with_value} of {nb.n_neighbours} with a figure)")
        if nb.n_with_value
        else "no neighbour's figure"
    )
    out = [
        f"Looking after a child cost {name} {_money(c.value)} a week on average in {fy} (the outturn), "
        f"{_compare(c.value, nb.mean) if nb.n_with_value else 'beside'} {nb_words} and "
        f"{_compare(c.value, c.england)} England's {_money(c.england, c.england_status)}."
    ]
    h = f.unit_cost_history.dropna(subset=["value"])
    if len(h) > 1 and int(h["period"].iloc[0]) < f.period:
        a = h.iloc[0]
        rel = numbers.pct_change_as_printed(c.value, a["value"], 0)
        out.append(
            f"It was {_money(a['value'])} in {_fy(int(a['period']))}: "
            f"{'up' if rel > 0 else 'down'} {_pct(rel)} since (England: {_money(a['england'])} then)."
        )
    ts = f.total_spend
    if ts is not None and ts.has_value:
        out.append(f"Total spend on children looked after in {fy} was {_money(ts.value, millions=True)}.")
    return out


def lac_workforce_sentences(f) -> list[str]:
    """The social work workforce beside the demand, and referrals per social worker (how computed)."""
    if f.refused:
        return []
    name, year = _the(f.la.name), f.period
    w = {c.measure: c for c in f.workforce}
    case, agency = w["Work_Force_AvgNumCase_SW"], w["Work_Force_Agecy_Rate"]
    vac, turn = w["Work_Force_Vac_Rate"], w["Work_Force_TO_Rate"]
    out = [
        f"At 30 September {year} {name}'s children and family social workers held "
        f"{fmt_number(case.value, 1, status=case.status, noun='cases')} cases each on average {_vs(case, 1)}; "
        f"{_shown(agency, 1, '%')} were agency workers {_vs(agency, 1, '%')}, "
        f"{_shown(vac, 1, '%')} of posts were vacant {_vs(vac, 1, '%')} and turnover was "
        f"{_shown(turn, 1, '%')} {_vs(turn, 1, '%')}."
    ]
    r = f.referrals_per_sw
    refs, fte = f.referral_inputs["referrals"][0], f.referral_inputs["social_workers"][0]
    if r.has_value:
        out.append(
            f"Referrals per social worker, computed here: {numbers.fmt(refs, 0)} referrals in the year to 31 March "
            f"{year} divided by the {numbers.fmt(fte, 1)} full-time-equivalent social workers at 30 September "
            f"{year - 1}, the middle of that year, is {numbers.fmt(r.value, 1)} each {_vs(r, 1)}. A caseload counts "
            "the cases a social worker holds; this counts the new requests coming in."
        )
    else:
        out.append(
            f"Referrals per social worker cannot be computed for {name} in {year}: the referrals or the number of "
            f"social workers at 30 September {year - 1} is not published."
        )
    return out


# --------------------------------------------------------------------------- looked after: where numbers are heading


def _millions(v: float) -> str:
    return f"£{numbers.fmt(v / 1e6, 1)} million"


def lac_outlook_sentences(o) -> list[str]:
    """Where the number looked after is heading, in words: the backtest's verdict, the projection or
    the range to plan within, how accurate it has been for authorities like this one, the
    neighbours' rate on the same basis, and the cost line with what the unit cost misses."""
    from csdemand.methods import projection

    if o.refused:
        return [o.refused]
    name, origin = _the(o.la.name), o.period
    fr = o.frame
    first, last = fr.iloc[0], fr.iloc[-1]
    y1, yn = int(first["period"]), int(last["period"])
    now = float(o.history.iloc[-1])
    live = origin == o.last_year
    out = []
    if o.forecast:
        label = projection.METHOD_LABELS.get(o.method, o.method)
        out.append(
            f"{label} projects {numbers.fmt(first['forecast'], 0)} children looked after by {name} at 31 March {y1} "
            f"(80% interval {_interval(first['lo80'], first['hi80'])}; 95% interval "
            f"{_interval(first['lo95'], first['hi95'])}), against {numbers.fmt(now, 0)} at 31 March {origin}, and "
            f"{numbers.fmt(last['forecast'], 0)} at 31 March {yn} "
            f"(80% interval {_interval(last['lo80'], last['hi80'])})."
        )
        out.append(o.judgement.sentence)
    else:
        out.append(o.judgement.sentence)
        when = "" if live else f" (as it would have been known in {origin})"
        will = "will" if live else "would"
        out.append(
            f"What can be planned within instead is a range, not a forecast{when}: if next year's change is like the "
            f"year-to-year changes authorities saw from {projection.FIRST_CALIBRATION_ORIGIN} to {origin}, the "
            f"number looked after at 31 March {y1} {will} lie between {_interval(first['lo80'], first['hi80'], 'and')} "
            f"in 8 years out of 10, and between {_interval(first['lo95'], first['hi95'], 'and')} in 19 out of 20, "
            f"around {'today' if live else origin}'s {numbers.fmt(now, 0)}; by 31 March {yn} the 80% range widens to "
            f"{_interval(last['lo80'], last['hi80'])}. It says how far the number usually moves in a year, not which "
            "way it will go."
        )
    if not live and len(o.actual):
        act = o.actual[o.actual.index.isin(fr["period"])]
        ok = fr.set_index("period").reindex(act.index)
        inside = int(((ok["lo80"] <= act) & (act <= ok["hi80"])).sum())
        held = (
            f"inside the 80% {'interval' if o.forecast else 'range'} in all {len(act)} years"
            if inside == len(act)
            else (
                f"outside the 80% {'interval' if o.forecast else 'range'} in every year"
                if inside == 0
                else f"inside the 80% {'interval' if o.forecast else 'range'} in {inside} of {len(act)} years"
            )
        )
        out.append(f"What happened: {', '.join(f'{numbers.fmt(v, 0)} in {int(y)}' for y, v in act.items())}; {held}.")
    a = o.accuracy
    if a and a.get("band_authorities"):
        what = (
            projection.METHOD_LABELS.get(o.method, o.method).lower() + " projection"
            if o.forecast
            else 'assuming "it stays where it is"'
        )
        held = (
            f"; its 80% {'interval' if o.forecast else 'range'} held {numbers.fmt(a['band_coverage80'], 0)}% of "
            "outcomes there"
            if not numbers.is_missing(a.get("band_coverage80"))
            else ""
        )
        own = (
            f" For {name} it was wrong by {numbers.fmt(a['own_mape'], 1)}% on average over {a['own_forecasts']} "
            f"year{'s' if a['own_forecasts'] != 1 else ''}."
            if a.get("own_forecasts")
            else ""
        )
        out.append(
            f"For the {a['band_authorities']} authorities looking after {a['band']} children, {what} was wrong by a "
            f"median {numbers.fmt(a['band_mdape'], 1)}% a year ahead in the backtest{held}.{own}"
        )
    r = o.rates
    fut = r[r["projected"]] if len(r) else r
    if len(fut) and not numbers.is_missing(fut["la"].iloc[0]):
        basis = "projected" if o.forecast else f"at {'today' if live else origin}'s number"
        nb = fut["neighbours"].iloc[0]
        nb_words = (
            f", against {numbers.fmt(nb, 1)} for the mean of the {o.neighbours_projected} statistical neighbours "
            "on the same basis"
            if not numbers.is_missing(nb)
            else ""
        )
        out.append(
            f"As a rate, {basis} that is {numbers.fmt(fut['la'].iloc[0], 0)} per 10,000 children in {y1} (with the "
            f"child population growing as over the last 3 years){nb_words}."
        )
    out += lac_cost_sentences(o)
    return out


def _interval(lo: float, hi: float, joiner: str = "to") -> str:
    if numbers.is_missing(lo) or numbers.is_missing(hi):
        return "no interval (too few past errors to calibrate one)"
    return f"{numbers.fmt(lo, 0)} {joiner} {numbers.fmt(hi, 0)}"


def lac_cost_sentences(o) -> list[str]:
    """The cost line: children x weekly unit cost x 52 with its interval, against the latest total
    spend, and what an average unit cost misses."""
    from csdemand.methods import projection

    if o.refused:
        return []
    if o.cost is None:
        return [o.cost_note] if o.cost_note else []
    c = o.cost
    if c.frame.empty:
        return [c.sentence]
    row = c.frame.iloc[0]
    fy = f"{int(row['period']) - 1}-{str(int(row['period']))[2:]}"
    children = (
        f"{numbers.fmt(row['children'], 0)} children projected"
        if o.forecast
        else f"today's {numbers.fmt(row['children'], 0)} children"
    )
    uc_fy = f"{c.unit_cost_year - 1}-{str(c.unit_cost_year)[2:]}"
    spend = (
        f", against {_millions(c.latest_spend)} spent in {c.spend_year - 1}-{str(c.spend_year)[2:]}"
        if c.spend_year
        else ""
    )
    interval = (
        f" (80% interval {_millions(row['cost_lo80'])} to {_millions(row['cost_hi80'])})"
        if not numbers.is_missing(row["cost_lo80"])
        else ""
    )
    return [
        f"At {children} and a weekly unit cost projected at £{numbers.fmt(row['unit_cost'], 0)} for {fy} (the "
        f"{uc_fy} outturn was £{numbers.fmt(c.latest_unit_cost, 0)}, "
        f"{projection.UNIT_COST_PHRASES.get(c.unit_cost_method, '')}), looking after children would cost about "
        f"{_millions(row['cost'])} in {fy}{interval}{spend}.",
        c.note,
    ]


def lac_hindcast_sentences(o) -> list[str]:
    """The projection from three years before beside what happened."""
    from csdemand.methods import projection

    if o.refused:
        return []
    if o.hindcast.empty:
        return [o.hindcast_note] if o.hindcast_note else []
    h = o.hindcast
    use = o.method or "naive"
    label = "assuming no change" if use == "naive" else projection.METHOD_LABELS.get(use, use).lower()
    inside = int(((h[f"{use}_lo80"] <= h["actual"]) & (h["actual"] <= h[f"{use}_hi80"])).sum())
    n = len(h)
    held = (
        f"inside its 80% range in all {n} years"
        if inside == n
        else (
            "outside its 80% range in every year" if inside == 0 else f"inside its 80% range in {inside} of {n} years"
        )
    )
    end = h.iloc[-1]
    errors = {m: abs(end[m] - end["actual"]) for m in projection.METHODS if m in h}
    best = min(errors, key=errors.get)
    actual = ", ".join(numbers.fmt(v, 0) for v in h["actual"])
    return [
        f"Projected from {o.hindcast_origin}, {label} would have given {numbers.fmt(end[use], 0)} for 31 March "
        f"{int(end['period'])} (80% range known then: {_interval(end[f'{use}_lo80'], end[f'{use}_hi80'])}). What "
        f"happened in {int(h['period'].iloc[0])} to {int(end['period'])}: {actual}, {held}. Closest in "
        f"{int(end['period'])}: {projection.METHOD_LABELS.get(best, best).lower()}, {numbers.fmt(end[best], 0)}."
    ]


def lac_scenario_sentences(o) -> list[str]:
    """A scenario set by the notebook's parameters, in words, with what its model is worth."""
    if o.refused:
        return []
    if o.scenario is None:
        return [o.scenario_note] if o.scenario_note else []
    from csdemand.briefings.looked_after import scenario_words

    s = o.scenario
    end = s.frame.iloc[-1]
    diff = numbers.change_as_printed(end["scenario"], end["baseline"], 0)
    cost = end["scenario_cost"] - end["baseline_cost"]
    cost_words = (
        f", {_millions(abs(cost))} {'less' if cost < 0 else 'more'} that year at the projected unit cost"
        if not numbers.is_missing(cost)
        else ""
    )
    fy = f"{s.from_year - 1}-{str(s.from_year)[2:]}"
    t = o.table
    row = t[(t["method"] == "stock_flow") & (t["horizon"] == 1)]
    beat = numbers.fmt(row["beats_naive_las"].iloc[0], 0) if len(row) else "x"
    return [
        f"With {scenario_words(o)} from {fy}, {_the(o.la.name)} would look after "
        f"{numbers.fmt(end['scenario'], 0)} children at 31 March {int(end['period'])}, against "
        f"{numbers.fmt(end['baseline'], 0)} if rates stay as they are ({numbers.fmt(diff, 0, sign=True)}){cost_words}.",
        "The what-if uses the stock-flow model: children starting as a rate per 10,000 children and ceasing as a "
        "share of those in care, each held at its average of the last 3 years. In the backtest that model beat "
        f'"it stays where it is" for {beat}% of authorities a year ahead, so read the difference between the two '
        "lines, not their level.",
    ]


def lac_outlook_key_message(o) -> str:
    """One key message on where the number is heading ('' where the section is refused)."""
    if o.refused or o.frame.empty:
        return ""
    first = o.frame.iloc[0]
    y1 = int(first["period"])
    cost = ""
    if o.cost is not None and not o.cost.frame.empty:
        c = o.cost.frame.iloc[0]
        cost = f", costing about {_millions(c['cost'])} in {y1 - 1}-{str(y1)[2:]} at the projected weekly unit cost"
    if o.forecast:
        return (
            f"Projected: {numbers.fmt(first['forecast'], 0)} children looked after at 31 March {y1} (80% interval "
            f"{_interval(first['lo80'], first['hi80'])}){cost}."
        )
    return (
        'No projection method beat "it stays where it is" for most authorities, so none is shown: plan within '
        f"{_interval(first['lo80'], first['hi80'])} children looked after at 31 March {y1} (the 80% range around "
        f"{'today' if o.period == o.last_year else o.period}'s {numbers.fmt(o.history.iloc[-1], 0)}){cost}."
    )


def lac_flow_key_message(f) -> str:
    """One key message on the flows ('' where they are not published)."""
    from csdemand.briefings import looked_after as la

    if f.refused:
        return ""
    s, c = f.flows[la.STARTS], f.flows[la.CEASES]
    sr, cr = f.flows[la.START_RATE], f.flows[la.CEASE_RATE]
    if not (s.has_value and c.has_value):
        return ""
    rates = (
        f" ({_shown(sr)} and {_shown(cr)} per 10,000 children; statistical neighbours' mean "
        f"{numbers.fmt(sr.neighbours.mean, 1)} and {numbers.fmt(cr.neighbours.mean, 1)})"
        if sr.has_value and cr.has_value and sr.neighbours.n_with_value and cr.neighbours.n_with_value
        else ""
    )
    return (
        f"{_shown(s)} children started to be looked after and {_shown(c)} ceased in the year to 31 March "
        f"{f.period}{rates}."
    )


def lac_methods(f, o) -> list[str]:
    """How the flows and the projection work, for the briefing's methods section."""
    from csdemand.methods import projection

    t = o.table
    naive = t[(t["method"] == "naive") & (t["horizon"] == 1)]
    cover = (
        f" In the backtest the 80% range held {numbers.fmt(naive['coverage80'].iloc[0], 1)}% of outcomes a year "
        f"ahead and the 95% range {numbers.fmt(naive['coverage95'].iloc[0], 1)}%."
        if len(naive)
        else ""
    )
    verdict = (
        f"{projection.METHOD_LABELS.get(o.method, o.method)} did, so it is shown with its intervals."
        if o.method
        else "No method did, so no forecast is shown; the page shows instead the range to plan within: the latest "
        "figure with the 10th to 90th (80%) and 2.5th to 97.5th (95%) percentiles of the past year-to-year errors "
        "of that naive projection."
    )
    return [
        "Flows (DfE's looked-after statistics as LAIT holds them): children who started (LACnum_Start) and ceased "
        "(LACceased) to be looked after in the year to 31 March, each child counted once in each flow, and their rates "
        "per 10,000 children aged 0-17 (ONS mid-year estimate for the previous mid-year) as LAIT publishes them from "
        "2018; for 2016 and 2017 they are computed here from the counts (marked *). Net change = started less ceased; "
        "its rate is the starting rate less the ceasing rate as printed. The neighbours' mean is the mean of the "
        "statistical neighbours with a figure, as in LAIT.",
        "The check of the flows: the number looked after a year before, plus those who started, less those who "
        "ceased, against the number published at 31 March. The difference is stated, not forced to zero; where the "
        "published number is withheld the sum is withheld too, since it would estimate it.",
        "Placements: the shares of the children looked after at 31 March by placement, in DfE's categories as LAIT "
        "holds them (foster care; secure units and children's homes; independent and semi-independent living and "
        "supported accommodation; placed with parents or others with parental responsibility; other residential "
        "settings; other placements). Unaccompanied asylum-seeking children: their number at 31 March, their share "
        "of the children looked after and their share of those who started to be looked after in the year.",
        "Weekly unit cost: the outturn cost a week of a looked-after child that authorities report in their section "
        "251 returns (LAIT's LACFinance), by financial year; total spend is LAIT's TotalLACFinance. It is an average "
        "over every kind of placement.",
        "Workforce: DfE's children's social work workforce census at 30 September (average caseload, agency, vacancy "
        "and turnover rates, full-time-equivalent social workers). Referrals per social worker are computed here: "
        "referrals in the year to 31 March divided by the social workers at 30 September in the middle of that year.",
        "LAIT prints '-' for a figure DfE suppressed, did not have or that does not apply, without saying which: such "
        "a figure reads '-' in tables and 'not published' in sentences. An authority's count of 1 to 5 is c.",
        "Projection: five methods (last value, the naive projection; a linear trend over 5 years; damped-trend "
        "exponential smoothing; a stock-flow model of starts and ceases; the national trend) were backtested over "
        f"every authority with at least {projection.MIN_BACKTEST_YEARS} years of figures, from origins "
        f"{projection.FIRST_ORIGIN} to {o.last_year - 1}, 1 to 3 years ahead (table below). A method is shown as a "
        "forecast only if its projection a year ahead beat the naive one for more than half of the authorities. "
        + verdict
        + " Intervals are calibrated on past errors pooled over authorities, using only outcomes published by "
        "the projection's origin." + cover,
        f"An authority needs {projection.MIN_PROJECTION_YEARS} unbroken years of published numbers to the latest "
        "year for a projection; those with fewer (City of London and the Isles of Scilly, whose figures are withheld; "
        "Cumberland, Westmorland and Furness and North and West Northamptonshire, created since 2022) get a sentence "
        "instead.",
        "Cost: children at 31 March x weekly unit cost x 52. The unit cost is projected from its latest outturn by "
        "the method with the lowest error in its own backtest ("
        + projection.UNIT_COST_LABELS.get(o.unit_cost_method, "").lower()
        + "); the cost interval combines the two errors as they occurred together in the backtest (they pull against "
        "each other: when fewer children are looked after than projected, each costs more).",
        "Scenarios: the stock-flow model with the starting rate and the ceasing share changed from next year, "
        "beside the same model unchanged; set with the notebook's parameters scenario_starts and scenario_ceases "
        "(relative changes: -0.10 is 10% fewer).",
    ]


# --------------------------------------------------------------------------- referrals


def referral_key_messages(p, local_latest: dict | None = None) -> list[str]:
    """Key messages for the referrals briefing, most important first. ``p`` is
    :class:`referrals.PublishedReferrals`; ``local_latest`` optionally carries the local extract's
    latest month (:func:`referrals.latest_month`): its protected ``sentences`` and ``signals``."""
    name, year = _the(p.la.name), p.period
    who = _the(p.la.name, start=True)
    r, rr = p.rate, p.rereferral
    d_rate, d_pct = r.decimals, rr.decimals
    note = p.la.note_for(r.status, "cin", year)
    msgs: list[str] = []
    ranked: list[tuple[int, str]] = []
    if r.status or numbers.is_missing(r.value):
        msgs.append(
            f"{who}'s referrals in the year to 31 March {year}: "
            f"{fmt_number(p.referrals, status=p.referrals_status, noun='referrals', note=note)}; "
            "the rate per 10,000 children is "
            f"{fmt_number(np.nan, status=r.status or 'x', noun='referrals', note=note)} for {year}. "
            f"England's rate was {fmt_number(r.england_value, d_rate)}."
        )
    else:
        how = (
            f" (re-based on {p.base_label}; DfE printed {numbers.fmt(r.published_value, d_rate)})"
            if r.rebased
            else (" (computed here)" if r.computed else "")
        )
        msgs.append(
            f"{who} received {fmt_number(p.referrals, status=p.referrals_status, noun='referrals')} referrals in the "
            f"year to 31 March {year}: {fmt_number(r.value, d_rate)} per 10,000 children{how}."
        )
        avg = r.neighbour_average
        cmp_e, cmp_n = _compare(r.value, r.england_value, d_rate), _compare(r.value, avg.mean, d_rate)
        rel = (
            max(
                abs(numbers.pct_change_as_printed(r.value, x, d_rate) or 0)
                for x in (r.england_value, avg.mean)
                if not numbers.is_missing(x)
            )
            if not (numbers.is_missing(r.england_value) and numbers.is_missing(avg.mean))
            else 0
        )
        extreme = r.rank and r.n_ranked > 1 and r.rank in (1, r.n_ranked)
        group = f" {who} {_rank_words(r.rank, r.n_ranked, len(r.neighbour_numbers) + 1)}." if r.rank else ""
        ranked.append(
            (
                70 if extreme else (60 if rel >= CLEAR_DISTANCE * 100 else 35),
                f"The referral rate is {cmp_e} England's "
                f"({fmt_number(r.england_value, d_rate)}){_gap(r.value, r.england_value, d_rate, ' per 10,000')} "
                "and "
                f"{cmp_n} the statistical neighbours' mean ({fmt_number(avg.mean, 1)}, {avg.n_with_value} of "
                f"{avg.n_neighbours} with a figure).{group}",
            )
        )
        travel = travel_sentence("The rate", r.travel, d_rate, " per 10,000", p.la, year, noun="referrals")
        if travel:
            ranked.append((50, travel))

    if rr.status or numbers.is_missing(rr.value):
        ranked.append(
            (
                20,
                f"Re-referrals within 12 months in {year}: "
                f"{fmt_number(np.nan, status=rr.status or 'x', noun='referrals')}.",
            )
        )
    else:
        cmp_e, cmp_n = _compare(rr.value, rr.england_value, d_pct), _compare(rr.value, rr.neighbour_average.mean, d_pct)
        judge = {"above": " (worse: lower is better here)", "below": " (better: lower is better here)"}.get(cmp_e, "")
        gap = numbers.change_as_printed(rr.value, rr.england_value, d_pct)
        size = (
            f" by {numbers.fmt(abs(gap), d_pct)} percentage points" if not numbers.is_missing(gap) and gap != 0 else ""
        )
        rel = abs(numbers.pct_change_as_printed(rr.value, rr.england_value, d_pct) or 0)
        rtravel = travel_sentence(
            "The re-referral share", rr.travel, d_pct, "", p.la, year, points=True, spans=(1,), noun="referrals"
        )
        ranked.append(
            (
                60 if rel >= CLEAR_DISTANCE * 100 else 38,
                f"{fmt_number(rr.value, d_pct)}% of referrals were re-referrals within 12 months, {cmp_e} England "
                f"({fmt_number(rr.england_value, d_pct)}%){size}{judge}, "
                f"and {cmp_n} the neighbours' mean ({fmt_number(rr.neighbour_average.mean, 1)}%)."
                + (f" {rtravel}" if rtravel else ""),
            )
        )

    if p.da:
        parent = p.da["da_parent_pct"]
        child, person = p.da["da_child_pct"], p.da["da_person_pct"]

        def share(mb) -> str:
            return fmt_number(mb.value, mb.decimals, status=mb.status, unit="%", noun="assessments")

        england = (
            f"England {fmt_number(parent.england_value, parent.decimals, unit='%')}, neighbours' mean "
            f"{fmt_number(parent.neighbour_average.mean, 1, unit='%')}"
        )
        if all(mb.status or numbers.is_missing(mb.value) for mb in (parent, child, person)):
            words = share(parent)
            text = (
                f"{who}'s {p.da_period} shares of assessments recording domestic abuse (concerning the child, a "
                "parent or another person) are all "
                f"{words}; for a parent, {england}."
            )
        elif parent.status or numbers.is_missing(parent.value):
            text = (
                f"Domestic abuse concerning a parent, as a share of {name}'s {p.da_period} assessments with any "
                f"factor recorded, is {share(parent)} "
                f"({england}); concerning the child {share(child)} and another person {share(person)}. These overlap "
                "and must not be added together."
            )
        else:
            text = (
                f"Domestic abuse concerning a parent was a factor in {share(parent)} of assessments with any factor "
                f"recorded in {p.da_period} "
                f"({england}); concerning the child {share(child)} and another person {share(person)}. These overlap "
                "and must not be added together."
            )
        ranked.append((25, text))
    ranked.sort(key=lambda m: -m[0])
    msgs += [m for _, m in ranked]
    if p.lifecycle_note:
        msgs.insert(1, p.lifecycle_note)
    msgs = msgs[:5]
    if local_latest:
        # Built with disclosure control by referrals.latest_month (c with the reason, never nan).
        msgs.extend(local_latest["sentences"])
        msgs.extend(local_latest.get("signals", [])[:1])
    return msgs


def referral_caveats(p, synthetic: bool) -> list[str]:
    """Caveats for the referrals briefing."""
    out = []
    if p.lifecycle_note:
        out.append(p.lifecycle_note)
    if p.model != p.model_requested:
        out.append(
            f"{p.la.name} has no statistical neighbours in DfE's {p.model_requested} model; those of the {p.model} "
            "model are used."
        )
    out += [
        "A referral is a request for services to children's social care; a child referred twice in a year counts "
        "twice. "
        "A re-referral is a referral within 12 months of a previous referral of the same child (here: within 365 "
        "days).",
        "Referral rates are per 10,000 children aged 0-17, using the ONS estimate for the previous mid-year, all on "
        f"one base ({p.base_label}). "
        "DfE's 2025 release prints no rates: 2025 rates are computed here (marked *).",
        rebased_caveat(p.rate.rebased_periods, p.base_label, "referral rates"),
        "Domestic abuse is recorded at the end of assessment, not at referral, as concerning the child, a parent or "
        "another person. "
        "One assessment can record all three, so the three shares overlap and must not be summed. The denominator is "
        "assessments "
        "with at least one factor recorded. Factors are published from 2018.",
        f"Statistical neighbours: DfE's benchmarking tool, {p.model} model. Neighbour mean as in LAIT, median as in "
        "DfE's dashboard; "
        "rank 1 is the lowest value among the authority and its ten neighbours; band A is the lowest quarter of all "
        "authorities.",
        "Changes are the differences of the figures as printed. A count of 1 to 5, and a rate or percentage built on "
        "one, is suppressed (c).",
        "Monthly control charts follow NHS England's Making Data Count: XmR limits at the mean plus or minus 2.66 "
        "times the average "
        "moving range; Laney's p' chart for the domestic-abuse share (limits widened for the extra month-to-month "
        "variation that large "
        "denominators expose). Signals: a point outside the limits, 7 points in a row on one side of the centre "
        "line, 7 rising or falling, "
        "two of three points near a limit.",
    ]
    if synthetic:
        out.insert(
            0,
            "The local extract in this briefing is SYNTHETIC: generated by the project to resemble the council's "
            "data (its annual totals "
            "are calibrated to DfE's published figures). It describes no real child. Replace it with the council's "
            "own extract.",
        )
    return [c for c in out if c]
