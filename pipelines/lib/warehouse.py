"""Opening the DuckDB warehouse and creating the raw landing tables."""

from __future__ import annotations

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
