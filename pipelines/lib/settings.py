"""Settings from the environment, with the defaults the README documents.

Nothing here runs at import time: callers ask for a value when they need it, so a variable set
after import (tests, the CLI) is always honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# name -> default used only when the variable is unset or empty.
DEFAULTS: dict[str, str] = {
    "WAREHOUSE_PATH": "warehouse.duckdb",
    "DAGSTER_HOME": ".dagster_home",
    "BUDGETS_FILE": str(REPO_ROOT / "budgets.yml"),
}

DAGSTER_YAML = """\
# Written by mlcost when DAGSTER_HOME had no dagster.yaml.
telemetry:
  enabled: false
concurrency:
  pools:
    # DuckDB takes one writing process at a time: every writer runs in pool "duckdb".
    default_limit: 1
"""


def get(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value:
        return value
    return DEFAULTS.get(name, default)


def apply_defaults() -> None:
    """Fill unset settings with their defaults; never override one that is set."""
    for name, default in DEFAULTS.items():
        if not os.environ.get(name):
            os.environ[name] = default
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    os.environ["WAREHOUSE_PATH"] = str(Path(os.environ["WAREHOUSE_PATH"]).expanduser().resolve())
    os.environ["DAGSTER_HOME"] = str(Path(os.environ["DAGSTER_HOME"]).expanduser().resolve())


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME with a dagster.yaml (pool limit 1, no telemetry) unless one exists."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def warehouse_path() -> Path:
    return Path(get("WAREHOUSE_PATH") or "warehouse.duckdb").expanduser().resolve()
