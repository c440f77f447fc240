"""The published read-only copy of the marts, which queries use while a refresh writes the warehouse.

DuckDB lets no other process open a file (not even read-only) while one process writes it. After
each build the marts are copied into a fresh file next to the warehouse, which then replaces the
previous copy in one atomic rename: readers see the old copy or the new one, never a half-written
file, and never wait for the writer.
"""

from __future__ import annotations

import glob
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.lib import settings
from pipelines.lib.sql import quote_ident, sql_path

PUBLISHED_SCHEMAS = ("marts",)


def read_copy_path() -> Path:
    """MARTS_READ_PATH, else the warehouse's name with `.read` before the suffix
    (warehouse.duckdb -> warehouse.read.duckdb)."""
    configured = settings.get("MARTS_READ_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    warehouse = settings.warehouse_path()
    if warehouse.suffix:
        return warehouse.with_name(f"{warehouse.stem}.read{warehouse.suffix}")
    return warehouse.with_name(f"{warehouse.name}.read.duckdb")


def open_read_only(path: Path, *, memory_limit: str = "1GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    """A connection that can read `path` and nothing else, for queries someone typed.

    `path` is attached READ_ONLY under the catalog name `mlcost` and made the default, so
    `marts.cost_by_model` resolves whatever the file is called (a file named marts.duckdb would
    otherwise make `marts` ambiguous between the catalog and the schema). Then DuckDB's own controls
    close every other door: external access off (no other files, no ATTACH, COPY, EXPORT, INSTALL or
    LOAD, no file-reading table functions), no spilling to a temporary directory, and the
    configuration locked so no statement can turn any of it back on. `memory_limit` and `threads`
    bound what one query can take. Raises duckdb.Error if the file cannot be opened or a limit is
    invalid.
    """
    conn = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "threads": threads,
            # The default for an in-memory database is a `.tmp` folder in the working directory.
            "temp_directory": "",
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        conn.execute(f"attach {sql_path(path)} as mlcost (read_only)")
        conn.execute("use mlcost")
        # Only after the attach: from here on DuckDB opens no file, and the lock keeps it so.
        conn.execute("set enable_external_access = false")
        conn.execute("set lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def publish(conn: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Copy every table of the published schemas into a new file, then rename it onto `target`.

    `conn` is a connection to the warehouse (the writer's). Returns rows per `schema.table`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    remove_staging_leftovers(target)
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_type = 'BASE TABLE' "
        "and list_contains($schemas, table_schema) order by 1, 2",
        {"schemas": list(PUBLISHED_SCHEMAS)},
    ).fetchall()
    counts: dict[str, int] = {}
    conn.execute(f"attach {sql_path(staging)} as published_copy")
    try:
        for schema in PUBLISHED_SCHEMAS:
            conn.execute(f"create schema if not exists published_copy.{quote_ident(schema)}")
        for schema, table in tables:
            # Identifiers come from the catalog and are quoted; no value is interpolated.
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            conn.execute(f"create table published_copy.{source} as select * from {source}")  # noqa: S608
            copied = conn.execute(f"select count(*) from published_copy.{source}")  # noqa: S608
            counts[f"{schema}.{table}"] = copied.fetchone()[0]
        conn.execute(
            "create table published_copy.main.snapshot_info as select $published_at::timestamp as published_at, "
            "$warehouse as warehouse_path",
            {
                "published_at": datetime.now(UTC).replace(tzinfo=None),
                "warehouse": str(settings.warehouse_path()),
            },
        )
    finally:
        conn.execute("detach published_copy")
    os.replace(staging, target)
    return counts


def remove_staging_leftovers(target: Path) -> list[Path]:
    """Delete half-written copies (`.<name>.<pid>.tmp` and its `.wal`) that killed writers left beside
    `target`. Call it only while holding the warehouse's write lock: every publish holds it, so then
    no other process is writing one."""
    removed = [path for path in target.parent.glob(f".{glob.escape(target.name)}.*.tmp*") if path.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
