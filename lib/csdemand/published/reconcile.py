"""LAIT against the EES and SFR files: where both give the same measure, do they agree, and where
they do not, which named rule explains it?

Every authority, region and England, every year both sources cover (LAIT starts in 2016), for the
pairs in :data:`PAIRS`. Each row (measure, area, year) gets exactly one rule, tried in this order:

``agree``
    LAIT's figure equals the EES/SFR figure as printed (at the coarser of the two published
    precisions) and the figure the briefings show (:mod:`csdemand.published.store`). Where DfE
    printed no rate and the project computed it, "as printed" is the computed figure.
``population base``
    LAIT's rate equals the briefings' figure, which is the printed count re-based on the newest
    ONS population estimates (:mod:`csdemand.published.rebase`), while the release printed it on
    the estimates of its day: Manchester's 2024 referral rate is 499.2 in LAIT and in the
    briefings, 502.8 in the 2024 release.
``kept as printed``
    LAIT's rate equals the release as printed, on the estimates of its day, while the briefings
    re-base it (one figure, one value): looked-after rates for 2018, which LAIT still shows as the
    2022 release printed them. LAIT differs from the briefings here, and the README says so.
``later revision``
    LAIT holds a later release than the project for that year (SFR 2016 and 2017, revised in
    later SFRs; 2019 and 2020, revised by the 2023 and 2024 releases; the project holds the
    2022 release). A count must be within :data:`REVISION_TOLERANCE` of the one held; a rate
    must equal LAIT's own revised count over the newest population estimate (the base the
    briefings use), so it is the count, not the base, that moved.
``computed here``
    The EES/SFR files print no rate for the year (SFR 2016 and 2017 have counts only): the
    project computes it from the newest estimates, LAIT shows the rate DfE printed in its tables
    of the time. No printed figure is held to check LAIT's against.
``suppressed``
    LAIT's ``-`` (it folds DfE's ``c``, ``x``, ``z`` and "not published" into one mark) where the
    EES/SFR file, or the briefings' disclosure control, withholds the figure.
``withheld here``
    LAIT prints a figure the briefings withhold (a count of 1 to 5, suppressed as DfE does).
``no authority``
    LAIT's ``-`` for an authority in a year it did not exist (the old Dorset councils after
    2019, the new Northamptonshire and Dorset ones before they were made); the EES files have
    no row or a ``z``.
``not in the files``
    LAIT has a figure for a year the EES/SFR files give no row (looked-after starts and ceases
    by authority before 2018; the Isles of Scilly, missing from the 2011-2016 SFRs).
``unexplained``
    Anything else: the test requires none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csdemand.core import codes, numbers


@dataclass(frozen=True)
class Pair:
    """A LAIT code and the project's measure for the same figure; ``count`` pairs a rate with
    the LAIT count it is built on (for the ``later revision`` check of rates)."""

    lait: str
    measure: str
    count: str = ""


#: Where LAIT and the EES/SFR tables give the same figure (codes checked against the dictionary's
#: labels: ``CPP_Total_NumRef`` "Number of referrals", ``CPP_rate`` "Child Protection Plans rate
#: per 10,000", ``CPP_Num`` "Number of Children with CPP", ``CPP_Abuse`` "plans starting", ...).
PAIRS: tuple[Pair, ...] = (
    Pair("LACnum", "cla_count"),
    Pair("LAC", "cla_rate", "LACnum"),
    Pair("LACnum_Start", "cla_starts"),
    Pair("LAC_Start_Rate", "cla_starts_rate", "LACnum_Start"),
    Pair("LACceased", "cla_ceased"),
    Pair("LAC_Cease_Rate", "cla_ceased_rate", "LACceased"),
    Pair("CPP_Total_NumRef", "referrals"),
    Pair("CPP_Total_Rateper10,000", "referrals_rate", "CPP_Total_NumRef"),
    Pair("ReReferral", "rereferral_pct"),
    Pair("CIN_Refferals_NFA", "nfa_pct"),
    Pair("CIN", "cin_at31_rate"),
    Pair("CPP_Num", "cpp_at31"),
    Pair("CPP_rate", "cpp_at31_rate", "CPP_Num"),
    Pair("CPP_Abuse", "cpp_starts"),
    Pair("ReRegCPR", "cpp_subsequent"),
    Pair("PrevRegCPR", "cpp_subsequent_pct"),
)

#: The rules, in the order they are tried, with the words the README's table uses.
RULES: dict[str, str] = {
    "agree": "equal at the published precision",
    "population base": "LAIT and the briefings re-base the rate on the newest ONS estimates; the release printed "
    "it on the estimates of its day",
    "kept as printed": "LAIT keeps the rate as the release printed it; the briefings re-base it",
    "later revision": "LAIT holds a later release's revised count (within 10%), and the rate on it (or '-' where "
    "that release re-based on estimates that no longer cover the area)",
    "computed here": "the EES/SFR files print no rate: computed here on the newest estimates; LAIT shows DfE's",
    "rounding": "a national or regional count: DfE rounds them to 10, and the two differ by one step",
    "suppressed": "LAIT '-' where the EES/SFR figure or the briefings withhold it (c, x, z, u)",
    "withheld here": "LAIT prints a figure the briefings withhold (a count of 1 to 5, or a percentage on one)",
    "LAIT shows no zero": "LAIT '-' where the EES file prints 0 (the Isles of Scilly's second plans)",
    "no authority": "LAIT '-' for an authority in a year it did not exist",
    "not in the files": "the EES/SFR files give no row for the year (LAIT has a figure or a '-')",
    "unexplained": "none of the above",
}

#: Years in which LAIT holds a later release than the project (see ``later revision``).
REVISION_YEARS: dict[str, tuple[int, ...]] = {"cla": (2016, 2017, 2019, 2020)}
#: The largest revision of a count accepted as ``later revision`` (as a share of the count held):
#: Leicester's 2016 and 2017 looked-after counts were revised by 8%.
REVISION_TOLERANCE = 0.10

FIRST_YEAR = 2016  #: LAIT's first year
#: DfE rounds national and regional counts to the nearest 10: a count within 5 gives the same figure.
ROUNDED_COUNT_SLACK = 5.0


def _key(df: pd.DataFrame) -> pd.Series:
    """LA number for LAs, GSS code for England and regions (one key across both sources)."""
    la = df["la_number"].astype("Float64").astype("Int64").astype("string")
    return la.where(df["geographic_level"] == "la", df["area_code"].astype("string"))


def _printed(v: float, d: int) -> float:
    return numbers.round_half_up(v, d)


def compare(
    lait: pd.DataFrame, ees: pd.DataFrame, areas: pd.DataFrame, pairs: tuple[Pair, ...] = PAIRS
) -> pd.DataFrame:
    """One row per pair, area and year from 2016: LAIT's figure and status, the EES/SFR figure as
    printed, the briefings' figure and status, the precision compared at, the rule that applies
    and whether LAIT's figure equals the briefings' (``same_as_briefings``).

    ``lait``: ``store.load("lait")``; ``ees``: ``store.load("cla")`` and ``("cin")`` together
    (re-based and disclosure-controlled, with ``published_value`` and ``rebased``); ``areas``:
    ``store.load("areas")`` (the years each LA existed)."""
    lifetimes = areas.set_index(areas["la_number"].astype(int))[["first_period", "last_period"]]
    lait = lait[lait["period"] >= FIRST_YEAR]
    lait = lait.assign(_key=_key(lait))
    ees = ees.assign(_key=_key(ees))
    out = []
    for pair in pairs:
        d = min(int(codes.measure(pair.measure)["decimals"]), _lait_decimals(lait, pair.lait))
        left = lait.loc[lait["measure"] == pair.lait, ["_key", "geographic_level", "area_name", "la_number", "period"]]
        left = left.assign(lait_value=lait.loc[left.index, "value"], lait_status=lait.loc[left.index, "status"])
        e = ees[(ees["measure"] == pair.measure) & (ees["period"] >= FIRST_YEAR)]
        right = pd.DataFrame(
            {
                "_key": e["_key"],
                "period": e["period"],
                "ees_printed": e["published_value"],
                "briefing_value": e["value"],
                "briefing_status": e["status"].fillna("").astype(str),
                "computed": e["computed"].astype(bool),
                "rebased": e["rebased"].fillna(False).astype(bool),
                "denominator": e["denominator"],
                "ees_geo": e["geographic_level"],
                "newest_base": e["newest_base"].fillna(False).astype(bool)
                if "newest_base" in e
                else pd.Series(False, index=e.index),
            }
        ).drop_duplicates(["_key", "period"], keep="last")
        m = left.merge(right, on=["_key", "period"], how="outer", indicator="side")
        m["geographic_level"] = m["geographic_level"].fillna(m["ees_geo"])
        m = m[m["geographic_level"].isin(["la", "national", "regional"])]
        # LAIT's own count beside each rate, for the later-revision check.
        if pair.count:
            c = lait.loc[lait["measure"] == pair.count, ["_key", "period", "value"]].rename(
                columns={"value": "lait_count"}
            )
            m = m.merge(c.drop_duplicates(["_key", "period"]), on=["_key", "period"], how="left")
        else:
            m["lait_count"] = np.nan
        m = m.rename(columns={"_key": "area"})
        m["side"] = m["side"].astype(str)
        m["lait"] = pair.lait
        m["measure"] = pair.measure
        m["decimals"] = d
        m["rule"] = [_rule(r, d, pair, lifetimes) for r in m.itertuples(index=False)]
        m["same_as_briefings"] = [
            r.lait_status == "" and r.briefing_status == "" and _eq(r.lait_value, r.briefing_value, d)
            for r in m.itertuples(index=False)
        ]
        out.append(
            m[
                [
                    "lait",
                    "measure",
                    "geographic_level",
                    "area",
                    "area_name",
                    "period",
                    "decimals",
                    "lait_value",
                    "lait_status",
                    "ees_printed",
                    "briefing_value",
                    "briefing_status",
                    "rule",
                    "same_as_briefings",
                ]
            ]
        )
    return pd.concat(out, ignore_index=True)


def _lait_decimals(lait: pd.DataFrame, code: str) -> int:
    """The decimals LAIT's values of a code carry (its figures are DfE's, at DfE's precision):
    the most any value needs, up to 3."""
    v = lait.loc[(lait["measure"] == code) & (lait["status"] == ""), "value"].dropna().to_numpy(float)
    for d in range(4):
        if np.all(np.abs(v * 10**d - np.round(v * 10**d)) < 1e-6):
            return d
    return 3


def _eq(a: float, b: float, d: int) -> bool:
    if numbers.is_missing(a) or numbers.is_missing(b):
        return False
    return _printed(a, d) == _printed(b, d)


def _lifetime_excludes(key: str, period: int, lifetimes: pd.DataFrame) -> bool:
    """True where ``key`` is an LA that did not exist in ``period`` (areas.csv's first and last years)."""
    try:
        la = int(key)
    except (TypeError, ValueError):
        return False
    if la not in lifetimes.index:
        return True
    first, last = lifetimes.loc[la, ["first_period", "last_period"]]
    return not (int(first) <= int(period) <= int(last))


def _rate(pair: Pair) -> bool:
    return str(codes.measure(pair.measure)["unit"]).startswith("per 10000")


def _revised_rate(r, d: int) -> bool:
    """LAIT's rate equals LAIT's own count over the newest estimate (the briefings' base), at the
    printed precision; for England and regions, whose counts DfE rounds to 10, any count within 5."""
    if numbers.is_missing(r.lait_count) or numbers.is_missing(r.denominator) or not r.denominator > 0:
        return False
    slack = 0.0 if r.geographic_level == "la" else ROUNDED_COUNT_SLACK
    lo = _printed((r.lait_count - slack) / r.denominator * 10_000, d)
    hi = _printed((r.lait_count + slack) / r.denominator * 10_000, d)
    return lo <= _printed(r.lait_value, d) <= hi


def _rule(r, d: int, pair: Pair, lifetimes: pd.DataFrame) -> str:
    """The first rule of :data:`RULES` that explains a row."""
    lait_has = r.side in ("both", "left_only") and r.lait_status == "" and not numbers.is_missing(r.lait_value)
    ees_row = r.side in ("both", "right_only")
    ees_has = ees_row and r.briefing_status == "" and not numbers.is_missing(r.briefing_value)
    no_printed_rate = bool(r.computed) and numbers.is_missing(r.ees_printed) and not r.rebased
    printed = r.ees_printed if not numbers.is_missing(r.ees_printed) else (r.briefing_value if r.computed else np.nan)
    table = "cla" if pair.measure.startswith("cla") else "cin"
    revision_year = int(r.period) in REVISION_YEARS.get(table, ())
    if r.side == "right_only":
        return "unexplained"  # an EES figure LAIT lacks altogether
    if not lait_has:
        if _lifetime_excludes(r.area, r.period, lifetimes) and (not ees_row or r.briefing_status in ("z", "x")):
            return "no authority"
        if not ees_row:
            return "not in the files"
        if not ees_has:
            return "suppressed"
        if revision_year and _rate(pair) and not r.newest_base:
            return "later revision"  # re-based by the later release where ONS no longer estimates the area
        if r.briefing_value == 0:
            return "LAIT shows no zero"
        return "unexplained"
    if not ees_row:
        return "not in the files"
    if not ees_has:
        if r.briefing_status == "c" and (
            not numbers.is_missing(r.ees_printed) or (1 <= r.lait_value <= 5 and not _rate(pair))
        ):
            return "withheld here"
        if no_printed_rate:
            return "computed here"
        return "unexplained"
    same_printed = _eq(r.lait_value, printed, d)
    same_briefing = _eq(r.lait_value, r.briefing_value, d)
    if same_printed and same_briefing:
        return "agree"
    if same_briefing and r.rebased:
        return "population base"
    if same_printed and r.rebased:
        return "kept as printed"
    if revision_year:
        if not _rate(pair) and not pair.measure.endswith("_pct"):
            held = r.briefing_value
            if held and abs(r.lait_value - held) <= REVISION_TOLERANCE * held:
                return "later revision"
        elif pair.count and _revised_rate(r, d):
            return "later revision"
    if (
        r.geographic_level != "la"
        and not _rate(pair)
        and abs(r.lait_value - r.briefing_value) <= 2 * ROUNDED_COUNT_SLACK
    ):
        return "rounding"
    if no_printed_rate:
        return "computed here"
    return "unexplained"


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Counts by pair (rows) and rule (columns, in :data:`RULES` order; every rule shown), with
    ``n`` and ``same_as_briefings`` (how many of LAIT's figures equal the briefings')."""
    counts = pd.crosstab([rows["lait"], rows["measure"]], rows["rule"]).reindex(columns=list(RULES), fill_value=0)
    order = pd.MultiIndex.from_tuples(
        [(p.lait, p.measure) for p in PAIRS if (p.lait, p.measure) in counts.index], names=["lait", "measure"]
    )
    counts = counts.reindex(order)
    counts.insert(0, "n", counts.sum(axis=1))
    counts["same_as_briefings"] = rows.groupby(["lait", "measure"])["same_as_briefings"].sum().reindex(order)
    return counts.reset_index()


def markdown(table: pd.DataFrame) -> str:
    """The README's table: one line per pair, a column per rule (empty where none applies)."""
    used = [r for r in RULES if r in ("agree", "unexplained") or table[r].sum() > 0]
    head = "| LAIT code | project measure | rows | " + " | ".join(used) + " | LAIT = briefings |"
    lines = [head, "|---|---|" + "---|" * (len(used) + 2)]
    for _, r in table.iterrows():
        cells = [numbers.fmt(r[c]) if r[c] else "" for c in used]
        cells[used.index("unexplained")] = numbers.fmt(r["unexplained"])
        lines.append(
            f"| `{r['lait']}` | `{r['measure']}` | {numbers.fmt(r['n'])} | "
            + " | ".join(cells)
            + f" | {numbers.fmt(r['same_as_briefings'])} |"
        )
    total = table[["n", *used, "same_as_briefings"]].sum()
    lines.append(
        "| **all** | | "
        + numbers.fmt(total["n"])
        + " | "
        + " | ".join(numbers.fmt(total[c]) for c in used)
        + f" | {numbers.fmt(total['same_as_briefings'])} |"
    )
    return "\n".join(lines)


def rules_markdown() -> str:
    """What each rule means, one line each, for under the table."""
    return "\n".join(f"- **{name}**: {words}." for name, words in RULES.items())


__all__ = ["PAIRS", "RULES", "Pair", "compare", "markdown", "rules_markdown", "summary_table"]
