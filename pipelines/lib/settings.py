"""Settings from the environment, with the defaults the README documents.

Nothing here runs at import time: callers ask for a value when they need it, so a variable set
after import (tests, the CLI) is always honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

# name -> default used only when the variable is unset or empty.
DEFAULTS: dict[str, str] = {
    "WAREHOUSE_PATH": "warehouse.duckdb",
    "DAGSTER_HOME": ".dagster_home",
    "BUDGETS_FILE": str(REPO_ROOT / "budgets.yml"),
    "OWNERS_FILE": str(REPO_ROOT / "owners.yml"),
}

# dagster.yaml as mlcost writes it, one block per top-level key: a home made by an older mlcost (or by
# hand) gets the blocks it lacks appended, and no key it has is changed.
DAGSTER_YAML_BLOCKS: dict[str, str] = {
    "telemetry": """\
telemetry:
  enabled: false
""",
    "concurrency": """\
concurrency:
  pools:
    # DuckDB takes one writing process at a time: every writer runs in pool "duckdb".
    default_limit: 1
""",
    "run_monitoring": """\
# Under `dagster dev` the daemon fails runs stuck starting or canceling and frees the pool slots of
# runs that ended; runs whose process died are failed by the recover_crashed_runs sensor (and by
# `mlcost refresh` when it starts), which frees their slots at once.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  free_slots_after_run_end_seconds: 30
  poll_interval_seconds: 30
""",
}
DAGSTER_YAML = "# Written by mlcost when DAGSTER_HOME had no dagster.yaml.\n" + "".join(
    DAGSTER_YAML_BLOCKS.values()
)


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
    """Create DAGSTER_HOME with mlcost's dagster.yaml (pool limit 1, run monitoring, no telemetry);
    to an existing dagster.yaml append only the top-level keys it lacks."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
        return home
    text = config.read_text()
    try:
        present = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return home  # Dagster names the problem when it reads the file
    if not isinstance(present, dict):
        return home
    missing = [block for key, block in DAGSTER_YAML_BLOCKS.items() if key not in present]
    if missing:
        separator = "" if text.endswith("\n") or not text else "\n"
        config.write_text(f"{text}{separator}# Added by mlcost (keys this file lacked):\n{''.join(missing)}")
    return home


def warehouse_path() -> Path:
    return Path(get("WAREHOUSE_PATH") or "warehouse.duckdb").expanduser().resolve()
