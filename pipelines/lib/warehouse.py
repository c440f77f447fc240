"""Opening the DuckDB warehouse and creating the raw landing tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.lib import settings, sql


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    target = Path(path) if path else settings.warehouse_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(target), read_only=read_only)


def ensure_raw_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Run every sql/ingest/create_*.sql (each is `create ... if not exists`), schema first.

    Every raw table exists even before its source is configured, so dbt staging models always
    have something to select from.
    """
    files = sorted(
        (sql.SQL_DIR / "ingest").glob("create_*.sql"), key=lambda p: (p.stem != "create_schema_raw", p.stem)
    )
    for file in files:
        conn.execute(sql.load(f"ingest/{file.stem}"))


def remove_spill_leftovers(conn: duckdb.DuckDBPyConnection) -> list[Path]:
    """Delete what a killed writer left in the warehouse's spill folder (DuckDB's default
    `<warehouse>.tmp`, which DuckDB removes only on a clean exit). Returns what was removed.

    Call it right after opening the warehouse for writing, before any query: holding DuckDB's lock,
    no other process can be using the folder. A temp_directory configured elsewhere may be shared
    with other databases and is left alone.
    """
    database = conn.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    spill = Path(f"{database}.tmp")
    configured = conn.execute("select current_setting('temp_directory')").fetchone()[0]
    if not database or Path(configured) != spill or not spill.is_dir():
        return []
    removed = sorted(spill.iterdir())
    shutil.rmtree(spill, ignore_errors=True)
    return removed
