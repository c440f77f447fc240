"""What the YAML files users write (BUDGETS_FILE, OWNERS_FILE) share: an error that lists every
problem with its line, and reading the YAML as nodes so each problem can name its line."""

from __future__ import annotations

from pathlib import Path

import yaml


class ConfigFileError(ValueError):
    """A config file is malformed; the message lists every problem with its line."""

    kind = "config"

    def __init__(self, path: Path | str, problems: list[tuple[int, str]]):
        self.path = str(path)
        self.problems = sorted(problems)
        lines = [f"{self.path}:{line}: {reason}" for line, reason in self.problems]
        super().__init__(f"invalid {self.kind} file\n" + "\n".join(lines))


def node_line(node: yaml.Node) -> int:
    """The 1-based line a YAML node starts on."""
    return node.start_mark.line + 1


def compose(text: str, path: Path | str, error: type[ConfigFileError]) -> yaml.Node | None:
    """The YAML text as nodes (None when empty); text that is not YAML raises `error` with its line."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise error(path, [(line, f"not valid YAML: {exc.problem or exc}")]) from exc
