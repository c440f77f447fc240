"""Settings from the environment, with the defaults the README documents.

Nothing here runs at import time: callers ask for a value when they need it, so a variable set
after import (tests, the CLI) is always honoured.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

# name -> default used only when the variable is unset or empty. The only place they are defined:
# `mlcost` applies them, and `make` targets get them from here (`python -m pipelines.lib.settings`), so
# the CLI, the demo and the Dagster UI use one warehouse and one Dagster instance. Relative paths are
# from the working directory (the repository's root for `make`), made absolute when applied.
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
    return Path(get("WAREHOUSE_PATH") or DEFAULTS["WAREHOUSE_PATH"]).expanduser().resolve()


# In DAGSTER_HOME: the warehouse the instance's runs, materializations and partitions belong to.
INSTANCE_WAREHOUSE_FILE = "mlcost-warehouse.txt"


def note_instance_warehouse() -> str | None:
    """Remember in DAGSTER_HOME which warehouse its runs wrote; when that changes, say so in one line
    (returned; None when nothing changed) and remember the new one.

    Not refused: pointing WAREHOUSE_PATH at a new file is how a lost or replaced warehouse is rebuilt
    (what is loaded is read from the warehouse itself), but from then on the UI shows both files' runs
    and partitions as one history; a DAGSTER_HOME per warehouse keeps them apart.
    """
    marker = Path(os.environ["DAGSTER_HOME"]) / INSTANCE_WAREHOUSE_FILE
    current = str(warehouse_path())
    previous = marker.read_text().strip() if marker.exists() else None
    if previous == current:
        return None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(current + "\n")
    if previous is None:
        return None
    return (
        f"note: DAGSTER_HOME {marker.parent} held the runs of warehouse {previous}; it now records {current}, "
        "and the Dagster UI shows both in one history (use a DAGSTER_HOME per warehouse to keep them apart)"
    )


def main() -> int:
    """`python -m pipelines.lib.settings`: the settings with their defaults applied, as shell `export`
    lines (the Makefile evaluates them), after preparing DAGSTER_HOME; a note on stderr when the
    instance last ran against another warehouse."""
    import shlex
    import sys

    apply_defaults()
    ensure_dagster_home()
    note = note_instance_warehouse()
    if note:
        print(note, file=sys.stderr)
    for name in DEFAULTS:
        print(f"export {name}={shlex.quote(os.environ[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
