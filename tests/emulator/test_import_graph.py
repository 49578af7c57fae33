"""The project's modules (the engine, the emulator, the steps) import one another without a cycle.

The graph is read from the source (``ast``), not by importing: an edge per ``import`` of an emulator module, kept
in three kinds. "top" imports run when the module loads (module level, outside ``if TYPE_CHECKING:``), "late" ones
inside a function (a common way to hide a cycle), "typing" ones only under ``if TYPE_CHECKING:``. Importing a
module also runs the ``__init__`` of each package above it, so an edge to ``a.b.c`` is an edge to ``a.b`` too.
Run this file (``python tests/emulator/test_import_graph.py``) for the cycles of each graph.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "foundry_litellm.emulator"
PROJECT = ("foundry_litellm", "steps")
ROOT = Path(__file__).resolve().parents[2]
KINDS = ("top", "late", "typing")
Graph = dict[str, set[str]]


def modules(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    base = root / package.replace(".", "/")
    found = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> Iterable[tuple[str, ast.Import | ast.ImportFrom]]:
    """(kind, node) for every import statement of a module."""
    def walk(node: ast.AST, kind: str) -> Iterable[tuple[str, ast.Import | ast.ImportFrom]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield kind, child
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, "late" if kind == "top" else kind)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), "typing")
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), kind)
            else:
                yield from walk(child, kind)
    yield from walk(tree, "top")


def _targets(name: str, node: ast.Import | ast.ImportFrom, known: set[str], is_package: bool) -> set[str]:
    """The emulator modules an import statement in module ``name`` loads."""
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        candidates = set(bases)
    else:
        if node.level:
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, node.module] if node.module else anchor)
        else:
            base = node.module or ""
        candidates = {base} | {f"{base}.{alias.name}" for alias in node.names}
    loaded = set()
    for candidate in candidates:
        if candidate in known:
            parts = candidate.split(".")
            loaded.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    own = name.split(".")
    ancestors = {".".join(own[:i]) for i in range(1, len(own) + 1)}  # already loaded when ``name`` runs
    return {m for m in loaded if m in known and m not in ancestors}


def graph(root: Path = ROOT, *packages: str) -> dict[str, Graph]:
    """{kind: {module: modules it imports that way}} over the packages' modules (the emulator's by default)."""
    found = {name: path for package in packages or (PACKAGE,) for name, path in modules(root, package).items()}
    known = set(found)
    edges: dict[str, Graph] = {kind: {m: set() for m in found} for kind in KINDS}
    for name, path in found.items():
        tree = ast.parse(path.read_text(), str(path))
        for kind, node in _imports(tree):
            edges[kind][name] |= _targets(name, node, known, path.name == "__init__.py")
    return edges


def union(*graphs: Graph) -> Graph:
    merged: Graph = {}
    for g in graphs:
        for node, targets in g.items():
            merged.setdefault(node, set()).update(targets)
    return merged


def cycles(g: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(g.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in g.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(g):
        if node not in index:
            visit(node)
    return sorted(found)


def simple_cycles(g: Graph) -> list[list[str]]:
    """Every elementary cycle (each listed from its smallest module), for the small components ``cycles`` finds."""
    found: list[list[str]] = []
    for component in cycles(g):
        members = set(component)
        for start in component:
            path = [start]

            def extend(node: str, start: str = start, path: list[str] = path) -> None:
                for target in sorted(g.get(node, ()) & members):
                    if target == start:
                        found.append(list(path))
                    elif target > start and target not in path:
                        path.append(target)
                        extend(target)
                        path.pop()

            extend(start)
    return found


def test_the_emulator_loads_without_an_import_cycle() -> None:
    edges = graph()
    assert cycles(union(edges["top"], edges["late"])) == []


def test_no_module_of_the_project_is_in_an_import_cycle_even_for_the_type_checker() -> None:
    # Hidden cycles count: a function-level import, or one under TYPE_CHECKING that only protocols could break.
    edges = graph(ROOT, *PROJECT)
    assert len(edges["top"]) > 100  # the engine, the emulator and the steps were all read (119 modules)
    assert cycles(union(edges["top"], edges["late"], edges["typing"])) == []


if __name__ == "__main__":
    tree = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    edges = graph(tree, *PROJECT)
    for kind in KINDS:
        print(f"{kind} edges: {sum(len(t) for t in edges[kind].values())}")
    graphs = {"top-level": edges["top"], "runtime (top-level + in functions)": union(edges["top"], edges["late"]),
              "all (+ TYPE_CHECKING)": union(edges["top"], edges["late"], edges["typing"])}
    for label, g in graphs.items():
        print(f"{label}: {len(cycles(g))} strongly connected component(s), {len(simple_cycles(g))} cycle(s)")
        for component in cycles(g):
            print("    component:", " <-> ".join(m.removeprefix(PACKAGE + ".") for m in component))
        for cycle in simple_cycles(g):
            print("    cycle:", " -> ".join(m.removeprefix(PACKAGE + ".") for m in [*cycle, cycle[0]]))
    late = {m: sorted(t) for m, t in edges["late"].items() if t}
    print("imports inside functions:")
    for module, targets in sorted(late.items()):
        short = [t.removeprefix(PACKAGE + ".") for t in targets]
        print("   ", module.removeprefix(PACKAGE + "."), "->", ", ".join(short))
