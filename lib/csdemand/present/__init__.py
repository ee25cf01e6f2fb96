"""Presentation building blocks: HTML fragments, tables, charts, provenance records.

May import: core, methods. Notebooks use ``from csdemand import present`` for the fragments below.
"""

from csdemand.present.html import (  # noqa: F401  (the notebooks' vocabulary)
    PROVENANCE_MIME,
    Chart,
    Figure,
    Html,
    Provenance,
    bullet_list,
    esc,
    figure_png,
    fmt_number,
    headline_figures,
    key_messages,
    month_name,
    show_table,
    sources_used,
    table_html,
)
