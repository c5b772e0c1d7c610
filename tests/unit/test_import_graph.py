"""Dependencies run one way: no import cycle among the modules under ``libraries/``.

Every ``import`` statement of every module counts, wherever it is: at module level, inside a function
(a "lazy" import still makes the importing module depend on the imported one) and under
``if TYPE_CHECKING:`` (a type named from a module is a dependency on it). Only modules of this project
are nodes; the standard library and installed packages are not. The lab seam finds a lab's
implementation by the description's kind (``seam.KINDS``, a module name looked up when a lab is made):
that is a registry, not an import, and the implementations import the seam, never the other way.

Run it alone with ``.venv/bin/python -m pytest -q tests/unit/test_import_graph.py``, or as a script,
``.venv/bin/python tests/unit/test_import_graph.py``, which prints each module's dependencies and exits
non-zero naming every cycle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LIBRARIES = Path(__file__).resolve().parents[2] / "libraries"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIBRARIES).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(LIBRARIES.rglob("*.py"))}


def imported(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules ``name`` (at ``path``) imports anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # ``from netvirt import seam`` imports the module netvirt.seam; ``from netvirt.seam import Lab``
            # imports netvirt.seam.
            targets = [f"{origin}.{alias.name}" for alias in node.names if f"{origin}.{alias.name}" in known]
            targets = targets or [origin]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` depends on the deepest project module it names.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(path, name, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``a -> b -> ... -> a``) per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [_path_in(component, edges) for component in components]


def _path_in(component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first inside the component)."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(edges[node] & component):
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if succ not in parents:
                    parents[succ] = node
                    following.append(succ)
        frontier = following
    return sorted(component)


def describe(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in found)


def test_no_import_cycle_among_the_libraries():
    found = cycles(graph())
    assert not found, f"import 环（含函数内与 TYPE_CHECKING 下的 import）：\n{describe(found)}"


def test_the_check_sees_lazy_and_type_checking_imports(tmp_path, monkeypatch):
    """The check itself can fail: a cycle closed only by a function-local or a TYPE_CHECKING import is named."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.c import X\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\nX = 1\n")
    (pkg / "d.py").write_text("import os\nfrom pkg import c\n")
    monkeypatch.setattr(sys.modules[__name__], "LIBRARIES", tmp_path)
    edges = graph()
    assert edges == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}, "pkg.d": {"pkg.c"}}
    assert describe(cycles(edges)) == "pkg.a -> pkg.b -> pkg.c -> pkg.a"


if __name__ == "__main__":
    edges = graph()
    for name in sorted(edges):
        print(f"{name}: {', '.join(sorted(edges[name])) or '-'}")
    found = cycles(edges)
    if found:
        print(f"\nimport 环：\n{describe(found)}", file=sys.stderr)
        sys.exit(1)
    print("\n没有 import 环")
