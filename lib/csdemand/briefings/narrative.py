"""Sentences generated from the numbers: no figure in a briefing is typed by hand.

Each function takes computed results and returns plain strings; the notebook displays them.
"""

from __future__ import annotations

import numpy as np

from csdemand.briefings.looked_after import BAND_WORDS, LacBenchmark
from csdemand.present.html import fmt_number


def _region(name: str) -> str:
    """'the North West' but 'London' and 'the East of England'."""
    return name if name == "London" else f"the {name}"


def _compare(a: float, b: float, tolerance: float = 0.5) -> str:
    """'above' / 'below' / 'in line with' at the precision rates are published."""
    if np.isnan(a) or np.isnan(b):
        return "not comparable with"
    if abs(a - b) < tolerance:
        return "in line with"
    return "above" if a > b else "below"


def lac_key_messages(b: LacBenchmark) -> list[str]:
    """Three to five key messages for the looked-after children briefing."""
    name, year = b.la.name, b.period
    avg = b.neighbour_average
    msgs = [
        f"{fmt_number(b.count)} children were looked after by {name} on 31 March {year}: "
        f"{fmt_number(b.rate)} per 10,000 children aged 0-17, against {fmt_number(b.england_rate)} for England "
        f"and {fmt_number(b.region_rate)} for {_region(b.la.region_name)}.",
        f"The rate is {_compare(b.rate, avg.mean)} the average of {name}'s statistical neighbours "
        f"({fmt_number(avg.mean, 1)}, mean of {avg.n_with_value} of {avg.n_neighbours}; median {fmt_number(avg.median, 1)}); "
        f"{name} ranks {b.rank} of {b.n_ranked} in the group, where 1 is the lowest rate.",
    ]
    t = b.travel.set_index("span_years")
    parts = []
    for span in (1, 3, 5):
        r = t.loc[span]
        if r["direction"] == "not available":
            parts.append(f"over {span} year{'s' if span > 1 else ''}: not available")
        elif r["direction"] == "no change":
            parts.append(f"unchanged over {span} year{'s' if span > 1 else ''}")
        else:
            parts.append(
                f"{r['direction']} {fmt_number(abs(r['change']))} ({fmt_number(abs(r['pct_change']))}%) "
                f"from {fmt_number(r['from_value'])} in {int(r['from_period'])}"
            )
    msgs.append(f"Direction of travel for the rate: {parts[0]}; {parts[1]} over 3 years; {parts[2]} over 5 years.")
    msgs.append(
        f"Nationally {name} is {BAND_WORDS.get(b.band.band, 'not banded')} "
        f"(quartiles {fmt_number(b.band.q1)}, {fmt_number(b.band.median)}, {fmt_number(b.band.q3)} across {b.band.n_las} authorities). "
        "A higher or lower rate is not in itself better or worse: it reflects need, thresholds and how well children leave care."
    )
    pos = b.funnel_points.set_index("la_number")["position"].get(b.la.la_number, "not available")
    msgs.append(
        f"Allowing for the wide variation between authorities, {name}'s rate is {pos} of the funnel around England's rate"
        + (": a difference worth explaining." if "limit" in pos and "within" not in pos else ": not a statistical outlier.")
    )
    return msgs


def lac_caveats(b: LacBenchmark) -> list[str]:
    """Caveats a reader must see, some depending on the years shown."""
    out = [
        "Rates are per 10,000 children aged 0-17, using the ONS mid-year estimate for the previous mid-year "
        "(the rate for the year ending 31 March 2025 uses mid-2024).",
        "Each year's figure is taken from the newest DfE release that carries it. Later releases re-base earlier years on "
        "revised population estimates, so a rate printed in an older release can differ from the one shown here.",
        "DfE published LA rates from 2018 (the 2018-2020 rates are from the 2022 release, on the population base of that time). "
        "Rates for 2013-2017 are computed here from DfE counts and the current ONS estimates, and for 2010 from the mid-2009 "
        "population printed in the 2010 release: they are not DfE figures and are shown hollow in the chart. No rate is "
        "shown for 2011-2012, for which no population estimate is held.",
        f"Statistical neighbours: DfE's benchmarking tool, {b.model} model. The neighbour average is the mean of the "
        "neighbours with a value, as in LAIT; the median, as in DfE's dashboard, is shown beside it.",
        "Rank and quartile band are computed as in LAIT: 1 is the lowest rate; band A is at or below the 25th percentile of all "
        "authorities' rates. For looked-after children neither a high nor a low rate is simply good.",
        "National and regional counts are rounded to the nearest 10 by DfE; LA counts are not rounded.",
    ]
    if b.overdispersion.phi > 1:
        out.append(
            f"Funnel limits allow for overdispersion: LA rates vary about {b.overdispersion.phi:.0f} times as much as chance alone "
            "would give, so pure Poisson limits (dotted) would flag most authorities. The solid limits add a between-authority "
            "variance (Spiegelhalter's random-effects method, z-scores winsorised at 10%)."
        )
    return out


# --------------------------------------------------------------------------- referrals


def _rank_words(rank: int, n: int) -> str:
    return f"ranks {rank} of {n} in the group (1 = lowest)"


def referral_key_messages(p, local_latest: dict | None = None) -> list[str]:
    """Key messages for the referrals briefing. ``p`` is :class:`referrals.PublishedReferrals`;
    ``local_latest`` optionally carries the local extract's latest month
    (:func:`referrals.latest_month`): its protected ``sentences`` and ``signals``."""
    name, year = p.la.name, p.period
    r, rr = p.rate, p.rereferral
    msgs = [
        f"{name} received {fmt_number(p.referrals)} referrals in the year to 31 March {year}: "
        f"{fmt_number(r.value, 1)} per 10,000 children{' (computed here)' if r.computed else ''}, against "
        f"{fmt_number(r.england_value, 1)} for England and a statistical neighbour mean of {fmt_number(r.neighbour_average.mean, 1)}; "
        f"{name} {_rank_words(r.rank, r.n_ranked)}.",
        f"{fmt_number(rr.value, 1)}% of referrals were re-referrals within 12 months, {_compare(rr.value, rr.england_value, 0.05)} "
        f"England ({fmt_number(rr.england_value, 1)}%) and {_compare(rr.value, rr.neighbour_average.mean, 0.05)} the neighbours' mean "
        f"({fmt_number(rr.neighbour_average.mean, 1)}%). Lower is better here.",
    ]
    parent = p.da["da_parent_pct"]
    msgs.append(
        f"Domestic abuse concerning a parent was a factor in {fmt_number(parent.value, 1)}% of assessments with any factor recorded "
        f"in {p.da_period} (England {fmt_number(parent.england_value, 1)}%, neighbours' mean {fmt_number(parent.neighbour_average.mean, 1)}%); "
        f"concerning the child {fmt_number(p.da['da_child_pct'].value, 1)}% and another person {fmt_number(p.da['da_person_pct'].value, 1)}%. "
        "These overlap and must not be added together."
    )
    if local_latest:
        # Built with disclosure control by referrals.latest_month (c with the reason, never nan).
        msgs.extend(local_latest["sentences"])
        msgs.extend(local_latest.get("signals", [])[:1])
    return msgs


def referral_caveats(p, synthetic: bool) -> list[str]:
    """Caveats for the referrals briefing."""
    out = [
        "A referral is a request for services to children's social care; a child referred twice in a year counts twice. "
        "A re-referral is a referral within 12 months of a previous referral of the same child (here: within 365 days).",
        "Referral rates per 10,000 children aged 0-17 are DfE's published rates up to 2024. DfE's 2025 release prints no rates: "
        "2025 rates are computed here with the ONS mid-2024 estimate (marked *) and are on a later population base than the published "
        "2024 rate, so part of a 2024-to-2025 change can be the new base.",
        "Domestic abuse is recorded at the end of assessment, not at referral, as concerning the child, a parent or another person. "
        "One assessment can record all three, so the three shares overlap and must not be summed. The denominator is assessments "
        "with at least one factor recorded. Factors are published from 2018.",
        f"Statistical neighbours: DfE's benchmarking tool, {p.model} model. Neighbour mean as in LAIT, median as in DfE's dashboard; "
        "rank 1 is the lowest value among the authority and its ten neighbours; band A is the lowest quarter of all authorities.",
        "Monthly control charts follow NHS England's Making Data Count: XmR limits at the mean plus or minus 2.66 times the average "
        "moving range; Laney's p' chart for the domestic-abuse share (limits widened for the extra month-to-month variation that large "
        "denominators expose). Signals: a point outside the limits, 7 points in a row on one side of the centre line, 7 rising or falling, "
        "two of three points near a limit.",
    ]
    if synthetic:
        out.insert(
            0,
            "The local extract in this briefing is SYNTHETIC: generated by the project to resemble the council's data (its annual totals "
            "are calibrated to DfE's published figures). It describes no real child. Replace it with the council's own extract.",
        )
    return out
