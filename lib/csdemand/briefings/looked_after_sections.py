"""The looked-after briefing's sections as the notebook shows them: headings, the sentences of
:mod:`csdemand.briefings.narrative` and the tables and charts of
:mod:`csdemand.briefings.looked_after`, joined into one displayable fragment each.

Kept apart from :mod:`~csdemand.briefings.looked_after` (the figures) because the words depend on
the figures: the figures module never imports the words, so the two cannot form an import circle.
"""

from __future__ import annotations

import pandas as pd

from csdemand.briefings import narrative
from csdemand.briefings.looked_after import (
    CEASES,
    START_RATE,
    STARTS,
    LacFlows,
    LacOutlook,
    _fy,
    _histories,
    backtest_table,
    cost_table,
    flow_chart,
    flow_table,
    hindcast_table,
    outlook_chart,
    placement_chart,
    placement_table,
    reconciliation_table,
    scenario_chart,
    scenario_words,
    uasc_table,
    unit_cost_table,
    workforce_table,
)
from csdemand.core import numbers
from csdemand.published import areas as areas_mod


def _paragraphs(sentences: list[str], css: str = "") -> str:
    from csdemand.present.html import esc

    cls = f' class="{css}"' if css else ""
    return "".join(f"<p{cls}>{esc(s)}</p>" for s in sentences if s)


def _html(*parts) -> object:
    """One displayable fragment from markup strings and displayable objects."""
    from csdemand.present.html import Html

    return Html("".join(p if isinstance(p, str) else p._repr_html_() for p in parts))


def _heading(text: str) -> str:
    from csdemand.present.html import esc

    return f"<h3>{esc(text)}</h3>"


def _table(df: pd.DataFrame, caption: str) -> str:
    from csdemand.present.html import table_html

    return table_html(df, caption)


def flow_section(f: LacFlows):
    """Children starting and ceasing to be looked after: sentences, the chart of rates against the
    neighbours and England, the year's table, and the check of the flows against the stock."""
    head = _heading("Children starting and ceasing to be looked after")
    if f.refused:
        return _html(head, _paragraphs([f.refused]))
    s, c = f.flows[STARTS], f.flows[CEASES]
    parts = [head, _paragraphs(narrative.lac_flow_sentences(f))]
    if not f.history.empty and (s.has_value or c.has_value or f.history[START_RATE].notna().any()):
        parts.append(flow_chart(f))
    parts.append(
        _table(flow_table(f), f"Children starting and ceasing to be looked after in the year to 31 March {f.period}")
    )
    parts.append(_heading("Do the flows add up to the number looked after?"))
    parts.append(_paragraphs(narrative.lac_reconciliation_sentences(f)))
    rt = reconciliation_table(f)
    if len(rt):
        parts.append(
            _table(rt, "Last year's number plus those who started, less those who ceased, against the number published")
        )
    return _html(*parts)


def placement_section(f: LacFlows):
    """Where the children looked after live, and the unaccompanied asylum-seeking children."""
    head = _heading("Where children looked after live")
    if f.refused:
        return _html(head)
    parts = [head, _paragraphs(narrative.lac_placement_sentences(f))]
    if any(c.has_value for c in f.placements):
        parts.append(placement_chart(f))
        parts.append(_table(placement_table(f), f"Placements of the children looked after at 31 March {f.period}"))
    parts.append(_table(uasc_table(f), f"Unaccompanied asylum-seeking children, {f.period}"))
    return _html(*parts)


def unit_cost_section(f: LacFlows):
    """The weekly unit cost of a looked-after child against the neighbours and England."""
    head = _heading("What looking after a child costs")
    if f.refused:
        return _html(head)
    parts = [head, _paragraphs(narrative.lac_unit_cost_sentences(f))]
    if len(f.unit_cost_history):
        parts.append(_table(unit_cost_table(f), "Weekly unit cost of a looked-after child (outturn)"))
    return _html(*parts)


def workforce_section(f: LacFlows):
    """The social work workforce beside the demand."""
    head = _heading("The workforce beside the demand")
    if f.refused:
        return _html(head)
    return _html(
        head,
        _paragraphs(narrative.lac_workforce_sentences(f)),
        _table(workforce_table(f), "Children and family social workers"),
    )


def outlook_section(o: LacOutlook):
    """Where the number looked after is heading: the backtest's verdict, the fan chart (projection
    or range) with the neighbours' rate, the cost line; or why there is none."""
    if o.refused:
        return _html(_paragraphs([o.refused]))
    sentences = narrative.lac_outlook_sentences(o)
    cost = narrative.lac_cost_sentences(o)
    main = [s for s in sentences if s not in cost]
    parts = [_paragraphs(main), outlook_chart(o)]
    parts.append(_heading("The cost line"))
    parts.append(_paragraphs(cost))
    if o.cost is not None and not o.cost.frame.empty:
        parts.append(
            _table(
                cost_table(o),
                "Cost of looking after children: "
                + ("projected children" if o.forecast else "today's number")
                + " x weekly unit cost x 52",
            )
        )
    return _html(*parts)


def hindcast_section(o: LacOutlook):
    """The projection from three years before beside what happened ('' where there is none)."""
    if o.refused or (o.hindcast.empty and not o.hindcast_note):
        return _html("")
    parts = [_heading("How a projection from three years ago did"), _paragraphs(narrative.lac_hindcast_sentences(o))]
    if not o.hindcast.empty:
        parts.append(
            _table(hindcast_table(o), f"Projected from {o.hindcast_origin} (80% interval known then) and what happened")
        )
    return _html(*parts)


def scenario_section(o: LacOutlook):
    """The scenario the notebook's parameters set, beside the baseline; nothing where none is set."""
    if o.refused or (o.scenario is None and not o.scenario_note):
        return _html("")
    parts = [_heading(f"Scenario: {scenario_words(o)}"), _paragraphs(narrative.lac_scenario_sentences(o))]
    if o.scenario is not None:
        parts.append(scenario_chart(o))
    return _html(*parts)


def methods_section(f: LacFlows, o: LacOutlook):
    """How the flows and the projection work, with the backtest table over every authority."""
    from csdemand.present.html import bullet_list

    parts = [bullet_list(narrative.lac_methods(f, o))]
    if len(o.table):
        parts.append(
            _table(
                backtest_table(o),
                "Backtest of the projections of children looked after at 31 March: every authority, origins 2019-2024",
            )
        )
    return _html(*parts)


# --------------------------------------------------------------------------- one line for the summary


def outlook_brief(la: int | str, period: int) -> tuple[str, str]:
    """The looked-after outlook as one row of the summary: (label, text). The range (or the
    forecast, if a method ever beats the naive one) for the year after ``period`` with its 80%
    interval and, from the latest year, the cost; or in a few words why there is none."""
    from csdemand.methods import projection

    auth = la if isinstance(la, areas_mod.LocalAuthority) else areas_mod.resolve(la)
    year = int(period)
    label = f"Looked after at 31 March {year + 1}"
    hist = _histories(None, None)
    bt = projection.backtest(hist)
    if year > bt.last_year or auth.la_number not in set(hist["la_number"]):
        return label, "no projection (no published figures to project from)"
    why = projection.eligibility(projection.authority(hist, auth.la_number), year)
    if why or year - int(hist["period"].min()) + 1 < projection.MIN_PROJECTION_YEARS:
        short = (
            "its latest number is not published"
            if "not published" in why
            else f"fewer than {projection.MIN_PROJECTION_YEARS} years of figures"
        )
        return label, f"no projection: {short}"
    use = bt.judgement.default or "naive"
    fr = projection.project_method(hist, auth.la_number, use, bt, origin=year)
    first = fr.iloc[0]
    now = float(projection.authority(hist, auth.la_number).loc[year, "stock"])
    cost = ""
    if year == bt.last_year:
        c = projection.project_cost(hist, auth.la_number, fr, bt, method=use).frame
        if len(c) and not numbers.is_missing(c["cost"].iloc[0]):
            cost = (
                f"; cost about {narrative._millions(c['cost'].iloc[0])} in {_fy(year + 1)} at the projected unit cost"
            )
    rng = narrative._interval(first["lo80"], first["hi80"])
    if bt.judgement.default:
        text = (
            f"{numbers.fmt(first['forecast'], 0)} projected ({projection.METHOD_LABELS[use].lower()}; 80% interval "
            f"{rng}){cost}"
        )
    else:
        text = (
            f"{rng}: a range, not a forecast (80% of past year-to-year changes around {numbers.fmt(now, 0)}; no "
            f'projection method beat "no change" for most authorities){cost}'
        )
    return label, text
