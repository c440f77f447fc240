"""Each sub-command stands in its own room: it imports no other command and not the `mlcost`
entry point (CommandError lives in the commands package, so there is no cycle through cli.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pipelines.commands
from pipelines import cli

COMMANDS = Path(pipelines.commands.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update([node.module] + [f"{node.module}.{alias.name}" for alias in node.names])
    return names


@pytest.mark.parametrize("path", sorted(COMMANDS.glob("*.py")), ids=lambda p: p.name)
def test_a_command_imports_no_other_command_and_not_the_cli(path):
    own = f"pipelines.commands.{path.stem}"
    others = {f"pipelines.commands.{name}" for name in cli.COMMAND_MODULES} - {own}
    imported = _imported_modules(path)
    assert not imported & others, f"{path.name} imports {sorted(imported & others)}"
    assert "pipelines.cli" not in imported  # `from pipelines.cli import ...` or `from pipelines import cli`


def test_every_command_module_is_registered():
    modules = {p.stem for p in COMMANDS.glob("*.py")} - {"__init__"}
    assert modules == set(cli.COMMAND_MODULES)
