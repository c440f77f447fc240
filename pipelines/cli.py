"""The `mlcost` command. Each sub-command lives in its own module under pipelines/commands/."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from pathlib import Path

from pipelines.commands import CommandError
from pipelines.lib import gc_policy, settings

# sub-command name -> module under pipelines.commands exposing register(subparsers)
COMMAND_MODULES = ("demo_data", "refresh", "periods", "sql", "alerts", "report", "lake", "demo")
# Those that run Dagster jobs through the instance in DAGSTER_HOME.
DAGSTER_COMMANDS = ("refresh", "periods", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcost", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"pipelines.commands.{name}").register(subparsers)
    return parser


def _instance_writes(command: str) -> contextlib.AbstractContextManager:
    """For the sub-commands that run Dagster jobs: Dagster's SQLite files in DAGSTER_HOME commit without
    waiting for the disk (pipelines/lib/instance_storage.py). The others do not load Dagster (or
    SQLAlchemy, imported here for that reason)."""
    if command not in DAGSTER_COMMANDS:
        return contextlib.nullcontext()
    from pipelines.lib.instance_storage import quick_commits

    return quick_commits(Path(os.environ["DAGSTER_HOME"]))


def main(argv: list[str] | None = None) -> int:
    settings.apply_defaults()
    # Dagster marks some parameters of its own decorators as beta; users cannot act on that.
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    args = build_parser().parse_args(argv)
    try:
        with _instance_writes(args.command):
            return int(args.func(args) or 0)
    except (CommandError, settings.SettingsError) as exc:
        print(f"mlcost {args.command}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        unreachable = settings.postgres_unreachable(exc)
        if unreachable is None:
            raise
        print(f"mlcost {args.command}: {unreachable}", file=sys.stderr)
        return 2


def entry() -> None:
    """The `mlcost` command (pyproject.toml): main(), then exit without finalization's walk over
    every object left (pipelines/lib/gc_policy.py). Tests call main() and go on."""
    code = main()
    gc_policy.exiting()
    sys.exit(code)


if __name__ == "__main__":
    entry()
