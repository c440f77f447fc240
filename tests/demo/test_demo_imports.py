"""The demo generator is a package of its own: its modules import each other in one direction only
(no circle such as exports <-> scale), and it needs neither Dagster nor the pipeline's wiring."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pipelines.demo

ROOT = Path(pipelines.demo.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Module -> every module it imports, at the top or inside a function."""
    graph = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        graph[module] = imported
    return graph


def test_demo_modules_import_each_other_without_a_cycle():
    graph = _imports()
    own = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    assert "pipelines.demo.scale" in own["pipelines.demo.exports"]  # imports are read, function-level too
    try:
        tuple(TopologicalSorter(own).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle in pipelines.demo: {' -> '.join(exc.args[1])}") from None


def test_demo_needs_neither_dagster_nor_the_pipeline_wiring():
    for module, deps in _imports().items():
        wiring = {
            d for d in deps if d.split(".")[0] == "dagster" or d.startswith(("pipelines.defs", "dagster_"))
        }
        assert not wiring, f"{module} imports {sorted(wiring)}"
