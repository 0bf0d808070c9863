"""The packages of gridgov/ depend on each other one way: no import cycle between them, and the
lower layers know nothing of the upper ones."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import gridgov

ROOT = Path(gridgov.__file__).parent
# The app factory and the model registry import every package on purpose.
ASSEMBLERS = {"__init__", "models"}


def _unit(module: str) -> str | None:
    """The package (or top-level module) of gridgov a dotted module name belongs to."""
    parts = module.split(".")
    if parts[0] != "gridgov" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> set[str]:
    """Every gridgov module a file imports, at the top or inside a function."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        unit = path.relative_to(ROOT).parts[0].removesuffix(".py")
        if unit in ASSEMBLERS:
            continue
        targets = {_unit(m) for m in _imports(path)} - {None, unit, *ASSEMBLERS}
        graph.setdefault(unit, set()).update(targets)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as e:
        return e.args[1]
    return None


def test_no_import_cycle_between_packages_of_gridgov():
    assert _cycle(package_graph()) is None


def test_the_cycle_check_finds_a_cycle_when_there_is_one():
    graph = {**package_graph()}
    graph["scope"] = graph["scope"] | {"sync"}  # as if scope imported sync
    cycle = _cycle(graph)
    assert cycle is not None and "scope" in cycle and "sync" in cycle


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("records", "houses"),
        ("records", "people"),
        ("records", "sync"),
        ("houses", "sync"),
        ("people", "sync"),
        ("feed", "sync"),
        ("audit", "sync"),
        ("hierarchy", "auth"),
        ("hierarchy", "accounts"),
        ("scope", "auth"),
        ("scope", "hierarchy"),
    ],
)
def test_a_lower_layer_does_not_import_an_upper_one(lower, upper):
    graph = package_graph()
    reach, todo = set(), [lower]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in reach:
                reach.add(nxt)
                todo.append(nxt)
    assert upper not in reach, f"{lower} reaches {upper}"
