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
    # Read only when DAGSTER_PG_HOST puts Dagster's storage in PostgreSQL (below).
    "DAGSTER_PG_PORT": "5432",
}

# Dagster's own storage (runs, event logs, schedules and sensors, pool slots) goes to PostgreSQL when
# DAGSTER_PG_HOST is set, SQLite files in DAGSTER_HOME otherwise. The names are those of Dagster's
# instance docs (its Helm chart sets the same DAGSTER_PG_PASSWORD); dagster.yaml refers to them
# (`env:`), so the password is read when the instance loads and is never written to the file.
POSTGRES_SETTINGS = (
    "DAGSTER_PG_HOST",
    "DAGSTER_PG_PORT",
    "DAGSTER_PG_USERNAME",
    "DAGSTER_PG_PASSWORD",
    "DAGSTER_PG_DB",
)
# Keys that place Dagster's storage; the PostgreSQL block is added only to a file that has none.
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")
DAGSTER_YAML_POSTGRES = """\
# Runs, event logs, schedules, sensors and pool slots in PostgreSQL (DAGSTER_PG_HOST was set); each
# value is read from the environment when the instance loads, so no password is kept in this file.
storage:
  postgres:
    postgres_db:
      hostname:
        env: DAGSTER_PG_HOST
      port:
        env: DAGSTER_PG_PORT
      username:
        env: DAGSTER_PG_USERNAME
      password:
        env: DAGSTER_PG_PASSWORD
      db_name:
        env: DAGSTER_PG_DB
      # psycopg2 (installed with dagster-postgres): SQLAlchemy 2.1 would otherwise pick psycopg 3.
      scheme: postgresql+psycopg2
"""


class SettingsError(ValueError):
    """A setting that contradicts another or the instance in DAGSTER_HOME; the message is one line."""


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
DAGSTER_YAML_HEADER = "# Written by mlcost when DAGSTER_HOME had no dagster.yaml.\n"


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


def postgres_configured() -> bool:
    return bool(os.environ.get("DAGSTER_PG_HOST"))


def dagster_yaml_blocks() -> dict[str, str]:
    """The blocks of mlcost's dagster.yaml as the environment asks for them now."""
    if postgres_configured():
        return {**DAGSTER_YAML_BLOCKS, "storage": DAGSTER_YAML_POSTGRES}
    return dict(DAGSTER_YAML_BLOCKS)


def postgres_unreachable(exc: BaseException) -> str | None:
    """One line when `exc` is Dagster's PostgreSQL storage failing to connect (DAGSTER_PG_HOST set),
    naming where it tried and why, never the password; None for any other error."""
    if not postgres_configured():
        return None
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if not any(type(e).__name__ in ("DagsterPostgresException", "OperationalError") for e in chain):
        return None
    reason = next((str(e).strip().splitlines()[0] for e in reversed(chain) if str(e).strip()), "")
    password = os.environ.get("DAGSTER_PG_PASSWORD")
    if password:
        reason = reason.replace(password, "***")
    where = (
        f"{os.environ.get('DAGSTER_PG_HOST')}:{os.environ.get('DAGSTER_PG_PORT') or DEFAULTS['DAGSTER_PG_PORT']}, "
        f"database {os.environ.get('DAGSTER_PG_DB')}, user {os.environ.get('DAGSTER_PG_USERNAME')}"
    )
    return f"Dagster's PostgreSQL storage ({where}) cannot be used: {reason}"


def _check_postgres_settings(config: Path, present: dict) -> None:
    """With DAGSTER_PG_HOST set, every PostgreSQL setting must be too (the password may be empty: libpq
    then uses ~/.pgpass or PGPASSFILE), and dagster.yaml must not keep the storage elsewhere."""
    missing = [name for name in POSTGRES_SETTINGS if os.environ.get(name) is None]
    if missing:
        raise SettingsError(
            f"DAGSTER_PG_HOST is set, so Dagster's storage is PostgreSQL, but {', '.join(missing)} "
            "is not set (DAGSTER_PG_PASSWORD may be set empty to use ~/.pgpass)"
        )
    elsewhere = [key for key in STORAGE_KEYS if key in present]
    storage = present.get("storage")
    if elsewhere and not (elsewhere == ["storage"] and isinstance(storage, dict) and "postgres" in storage):
        raise SettingsError(
            f"DAGSTER_PG_HOST is set, but {config} keeps Dagster's storage elsewhere ({', '.join(elsewhere)}): "
            "remove that key to have mlcost add the PostgreSQL block, or unset DAGSTER_PG_HOST"
        )


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME with mlcost's dagster.yaml (pool limit 1, run monitoring, no telemetry, and
    PostgreSQL storage when DAGSTER_PG_HOST is set); to an existing dagster.yaml append only the
    top-level keys it lacks. Raises SettingsError when the PostgreSQL settings are incomplete or the
    file keeps Dagster's storage somewhere else."""
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    blocks = dagster_yaml_blocks()
    if not config.exists():
        if postgres_configured():
            _check_postgres_settings(config, {})
        config.write_text(DAGSTER_YAML_HEADER + "".join(blocks.values()))
        return home
    text = config.read_text()
    try:
        present = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return home  # Dagster names the problem when it reads the file
    if not isinstance(present, dict):
        return home
    if postgres_configured():
        _check_postgres_settings(config, present)
    missing = [block for key, block in blocks.items() if key not in present]
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
    try:
        ensure_dagster_home()
    except SettingsError as exc:
        print(f"mlcost settings: {exc}", file=sys.stderr)
        return 2
    note = note_instance_warehouse()
    if note:
        print(note, file=sys.stderr)
    for name in DEFAULTS:
        print(f"export {name}={shlex.quote(os.environ[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
