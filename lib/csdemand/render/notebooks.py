"""The briefing notebooks: discovery, the choice of a run, and the imports a kernel can run ahead.

A briefing is any notebook in ``notebooks/`` (or ``$CSDEMAND_NOTEBOOKS``) whose metadata has a
``csdemand`` entry: ``title``, ``period_kind`` (``year`` or ``month``), ``order``, ``local_data``
(a local table it cannot do without: skipped for authorities that have none) and ``reads_local``
(every local table it reads when an authority has it; absent means any).

Light on purpose (no pandas): the command line reads the notebooks and starts the first kernel
before the heavier parts of the renderer are imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from csdemand.core import paths
from csdemand.core.errors import InputError, RenderError


@dataclass(frozen=True)
class Briefing:
    """A briefing notebook and what its metadata says about it."""

    name: str
    path: Path
    title: str
    period_kind: str  # "year" or "month"
    order: int
    local_data: str = ""  # the local table it needs (config/data.yml), "" for none
    reads_local: tuple[str, ...] | None = None  # local tables it reads if configured; None: any

    def available_for(self, la_slug: str) -> bool:
        """False when the briefing needs a local table this LA has no source for (then it is skipped)."""
        from csdemand.local import sources as local_sources

        return not self.local_data or local_sources.is_configured(self.local_data, la_slug)

    def local_tables(self) -> set[str]:
        """The local tables whose problems stop this briefing: what it reads, or every table when
        its metadata does not say (the safe reading)."""
        from csdemand.local import sources as local_sources

        reads = set(local_sources.TABLES) if self.reads_local is None else set(self.reads_local)
        return reads | ({self.local_data} if self.local_data else set())


def discover(nb_dir: Path | None = None) -> list[Briefing]:
    """Every briefing notebook, in the order their metadata gives."""
    nb_dir = nb_dir or paths.notebooks_dir()
    found = []
    for path in sorted(Path(nb_dir).glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("csdemand")
        except ValueError as exc:
            raise RenderError(f"{path}: not a valid notebook ({exc})") from None
        if meta:
            reads = meta.get("reads_local")
            found.append(
                Briefing(
                    path.stem,
                    path,
                    meta.get("title", path.stem),
                    meta.get("period_kind", "year"),
                    int(meta.get("order", 99)),
                    meta.get("local_data", ""),
                    tuple(reads) if isinstance(reads, list) else None,
                )
            )
    return sorted(found, key=lambda b: (b.order, b.name))


def choose(briefings: list[str] | None) -> list[Briefing]:
    """The briefings asked for (default every one), or :class:`InputError` naming the unknown."""
    available = discover()
    if not briefings:
        return available
    unknown = [b for b in briefings if b not in {x.name for x in available}]
    if unknown:
        raise InputError(
            f"no briefing notebook named {', '.join(unknown)}",
            column="--briefing",
            expected="one of " + ", ".join(x.name for x in available),
        )
    return [x for x in available if x.name in briefings]


def warm_up_code(chosen: list[Briefing]) -> str:
    """The import statements of the chosen notebooks' code cells, each guarded: run in a kernel
    started ahead of the first briefing, they load the libraries while the data are checked.
    Only imports (no other code runs; the names go with the ``%reset -f`` before each notebook)."""
    import ast

    lines: list[str] = []
    for b in chosen:
        try:
            nb = nbformat.read(str(b.path), as_version=4)
        except Exception:  # a broken notebook fails at its own render, with its own message
            continue
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # IPython magics
                continue
            for node in tree.body:
                if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                    line = ast.unparse(node)
                    if line not in lines:
                        lines.append(line)
    return "\n".join(f"try:\n    {line}\nexcept Exception:\n    pass" for line in lines)
