"""The package's floors: each subpackage imports only from the floors below it, and no module
imports another in a circle. Read from the code's own import statements (``ast``), so a new
module or import is checked as soon as it is written."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "csdemand"

#: What each floor may import (besides itself). The top-level modules (cli, __main__) may import anything.
ALLOWED = {
    "core": set(),
    "published": {"core"},
    "local": {"core", "published"},
    "methods": {"core"},
    "validation": {"core", "published", "local"},
    "present": {"core", "methods"},
    "briefings": {"core", "published", "local", "methods", "present"},
    "synthetic": {"core", "published", "local"},
    "render": {"core", "published", "local", "validation", "present"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every csdemand module a file imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("csdemand"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("csdemand"):
                continue
            found.add(mod)
            for a in node.names:  # ``from csdemand.methods import funnel`` imports a module
                if (PACKAGE.parent / Path(*(mod + "." + a.name).split("."))).with_suffix(".py").exists():
                    found.add(mod + "." + a.name)
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _floor(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else None


def test_every_subpackage_has_a_floor_and_a_docstring_saying_what_it_may_import():
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert set(subpackages) == set(ALLOWED)
    for name in subpackages:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "May import" in doc, name


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_from_its_own_floor_or_the_floors_below(module):
    floor = _floor(module)
    if floor is None:  # csdemand, csdemand.cli, csdemand.__main__: the entry points
        return
    bad = []
    for imported in sorted(_imports(MODULES[module])):
        target = _floor(imported)
        if imported == "csdemand":  # ``from csdemand import __version__``
            continue
        if target is None or (target != floor and target not in ALLOWED[floor]):
            bad.append(imported)
    assert not bad, (
        f"{module} (floor {floor!r}) imports {bad}; {floor!r} may import {sorted(ALLOWED[floor]) or 'nothing'}"
    )


def test_no_module_imports_itself_in_a_circle():
    graph = {m: {i for i in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # Package __init__ files re-export their modules; an edge into a package is an edge to its __init__ only.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state:
                cycle = visit(n)
                if cycle:
                    return cycle
        state[m] = 2
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, " -> ".join(cycle)
