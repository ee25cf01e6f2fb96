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


def lac_key_messages(b: LacBenchmark) -> list[str]:
    """Three to five key messages for the looked-after children briefing, most important first."""
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
