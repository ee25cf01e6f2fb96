"""Which forms a render writes beside each page (``render --format html pdf xlsx``), and writing them.

The page (``html``) is always written: the PDF is printed from it, and the index and the records
are built around it. The choice travels in ``$CSDEMAND_RENDER_FORMATS`` (``html,pdf``), which
``--format`` sets, so that the render processes of ``--jobs`` (started afresh) see it too and a
scheduler may set it instead of the option.

:func:`extra_files` is the one call the renderer makes (``render.batch.render_one``): it gets
each rendered page, executed notebook and record, and returns the PDF and workbook bytes to be
written together with the page, so a failure leaves the last good set as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from csdemand.core.errors import InputError

ENV = "CSDEMAND_RENDER_FORMATS"
FORMATS = ("html", "pdf", "xlsx")


def parse(values: list[str] | str | None, source: str = "--format") -> tuple[str, ...]:
    """``["pdf"]``, ``"html,pdf"`` -> ``("html", "pdf")`` (html always, in the order of
    :data:`FORMATS`); :class:`InputError` (exit 2) naming an unknown one."""
    if values is None:
        return ("html",)
    if isinstance(values, str):
        values = values.split(",")
    wanted = {v.strip().lower() for v in values if v and v.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise InputError(
            "not a format the renderer writes", column=source, value=", ".join(unknown), expected=", ".join(FORMATS)
        )
    return tuple(f for f in FORMATS if f in wanted | {"html"})


def requested() -> tuple[str, ...]:
    """The formats this run writes (``$CSDEMAND_RENDER_FORMATS``; default html only)."""
    return parse(os.environ.get(ENV) or None, source=f"${ENV}")


def use(formats: tuple[str, ...]) -> None:
    """Ask this process and the render processes it starts for ``formats``."""
    os.environ[ENV] = ",".join(formats)


def extra_files(target: Path, html: str, executed, record: dict) -> dict[Path, bytes]:
    """The PDF (``<briefing>.pdf``) and workbook (``<briefing>.xlsx``) of one rendered page, as
    the run asked for them; empty for html only. :class:`~csdemand.core.errors.RenderError` when
    one cannot be made (the briefing then fails, and nothing of it is written)."""
    wanted = requested()
    files: dict[Path, bytes] = {}
    if "pdf" in wanted:
        from csdemand.render import pdf

        files[Path(target).with_suffix(".pdf")] = pdf.briefing_pdf(html, record)
    if "xlsx" in wanted:
        from csdemand.render import workbook
        from csdemand.render.page import provenance_of

        files[Path(target).with_suffix(".xlsx")] = workbook.briefing_workbook(executed, record, provenance_of(executed))
    return files
