"""The `mlcost` command. Each sub-command lives in its own module under pipelines/commands/."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from pathlib import Path

from pipelines.commands import CommandError
from pipelines.lib import settings

# sub-command name -> module under pipelines.commands exposing register(subparsers)
COMMAND_MODULES = ("demo_data", "refresh", "periods", "sql", "alerts", "report", "lake", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcost", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"pipelines.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings.apply_defaults()
    # Dagster marks some parameters of its own decorators as beta; users cannot act on that.
    warnings.filterwarnings("ignore", message=".*is currently in beta.*")
    args = build_parser().parse_args(argv)
    try:
        # Dagster's SQLite files in DAGSTER_HOME: commits that do not wait for the disk. (Imported here:
        # SQLAlchemy comes with Dagster, which most sub-commands do not load.)
        from pipelines.lib.instance_storage import quick_commits

        with quick_commits(Path(os.environ["DAGSTER_HOME"])):
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


if __name__ == "__main__":
    sys.exit(main())
