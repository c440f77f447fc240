"""Opening the DuckDB warehouse and creating the raw landing tables."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lib import settings, sql
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.normalize import MACROS

# A writer that finds the file held waits this long for it: readers (billing_export_sensor,
# `mlcost periods`) hold it read-only for one query, and DuckDB lets no writer in meanwhile.
WRITER_LOCK_WAIT_SECONDS = 10.0


def connect(path: Path | str | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    target = Path(path) if path else settings.warehouse_path()
    if read_only:
        return duckdb.connect(str(target), read_only=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + WRITER_LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(target))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def ensure_raw_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Run every sql/ingest/create_*.sql (each is `create ... if not exists`), schema first.

    Every raw table exists even before its source is configured, so dbt staging models always
    have something to select from. Then every sql/ingest/add_*.sql (`alter table ... add column if
    not exists`), so warehouses made before a column existed get it, and a warehouse made before
    raw.billing_tag_sets is moved to it.
    """
    for file in _create_files() + sorted((sql.SQL_DIR / "ingest").glob("add_*.sql")):
        conn.execute(sql.load(f"ingest/{file.stem}"))
    _move_tags_to_tag_sets(conn)
    _add_new_columns(conn, "billing_line_items")


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back on any error (or interrupt)."""
    conn.execute("begin transaction")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def replace_config_rows(
    conn: duckdb.DuckDBPyConnection, delete: str, insert: str, rows: list[dict], before: tuple[str, ...] = ()
) -> None:
    """Replace a table loaded from a config file (budgets, owner rules) as a whole, in one
    transaction: the `before` statements, then the delete, then one insert per row. On any error
    the table keeps what it held. Values go in as bound parameters; names are sql/ files."""
    ensure_raw_tables(conn)
    conn.execute("begin transaction")
    try:
        for name in before:
            conn.execute(sql.load(name))
        conn.execute(sql.load(delete))
        for row in rows:
            conn.execute(sql.load(insert), row)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def _move_tags_to_tag_sets(conn: duckdb.DuckDBPyConnection) -> None:
    """A warehouse whose raw.billing_line_items holds two tag maps on every line (tags, tags_original:
    made before raw.billing_tag_sets) is moved to the tag sets layout, once and in one transaction:
    the distinct sets into raw.billing_tag_sets, each line's set id in place of its maps. Interrupted,
    it leaves the warehouse as it was; the next writer moves it again."""
    maps = _columns(conn, "billing_line_items") & {"tags", "tags_original"}
    if not maps:
        return
    for macro in MACROS:  # the tag set id as ingest computes it
        conn.execute(macro)
    with transaction(conn):
        conn.execute(sql.load("ingest/migrate_billing_line_items_rename"))
        for missing in sorted({"tags", "tags_original"} - maps):
            conn.execute(
                f"alter table raw.billing_line_items_before_tag_sets add column {missing} map(varchar, varchar)"
            )
        conn.execute(sql.load("ingest/create_billing_line_items"))
        conn.execute(sql.load("ingest/stage_billing_tag_sets_migrated"))
        check_tag_set_ids(conn, "moving the line items' tags to raw.billing_tag_sets", "the warehouse")
        conn.execute(sql.load("ingest/insert_billing_tag_sets"))
        conn.execute(sql.load("ingest/insert_billing_line_items_migrated"))
        conn.execute(sql.load("ingest/drop_billing_line_items_before_tag_sets"))
        conn.execute("drop table incoming_tag_sets")


def check_tag_set_ids(conn: duckdb.DuckDBPyConnection, doing: str, unchanged: str) -> None:
    """One id, one tag set: the sets staged in `incoming_tag_sets` against each other and against
    raw.billing_tag_sets. A 64-bit hash collision stops what is `doing` (its transaction is rolled
    back, so `unchanged` keeps what it held) instead of giving one set's lines another's tags."""
    collision = conn.execute(sql.load("ingest/select_billing_tag_set_collisions")).fetchone()
    if collision:
        tag_set_id, tag_sets = collision
        raise BillingInputError(
            f"{doing}: {tag_sets} different tag sets hash to the id {tag_set_id} "
            f"(raw.billing_tag_sets); {unchanged} was not changed"
        )


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = $t",
            {"t": table},
        ).fetchall()
    }


def _add_new_columns(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """A warehouse made before a column joined the DDL gets it (NULL on the rows already there, until
    their period is loaded again): `create table if not exists` leaves an existing table as it was."""
    have = _columns(conn, table)
    with duckdb.connect(":memory:") as ddl:
        ddl.execute(sql.load("ingest/create_schema_raw"))
        ddl.execute(sql.load(f"ingest/create_{table}"))
        wanted = ddl.execute(
            "select column_name, data_type from information_schema.columns where table_schema = 'raw' "
            "and table_name = $t and is_nullable = 'YES' order by ordinal_position",
            {"t": table},
        ).fetchall()
    for name, data_type in wanted:
        if name not in have:
            conn.execute(
                f"alter table raw.{sql.quote_ident(table)} add column {sql.quote_ident(name)} {data_type}"
            )


def _create_files() -> list[Path]:
    return sorted(
        (sql.SQL_DIR / "ingest").glob("create_*.sql"), key=lambda p: (p.stem != "create_schema_raw", p.stem)
    )


@cache
def raw_schema(table: str) -> pa.Schema:
    """The Arrow schema of raw.<table>, taken from its DDL (sql/ingest/create_<table>.sql).

    The DDL is the one definition of a raw table's columns: code that lands rows builds its Arrow
    tables with this schema rather than restating the columns. The table is created in a private
    in-memory database and described by DuckDB itself.
    """
    with duckdb.connect(":memory:") as conn:
        conn.execute(sql.load("ingest/create_schema_raw"))
        conn.execute(sql.load(f"ingest/create_{table}"))
        return conn.execute(f"select * from raw.{sql.quote_ident(table)} limit 0").fetch_arrow_table().schema  # noqa: S608


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


class WarehouseUnavailable(Exception):
    """The warehouse cannot be read right now: it does not exist yet, or a writer holds its lock."""

    def __init__(self, message: str, *, missing: bool = False, locked: bool = False):
        super().__init__(message)
        self.missing = missing
        self.locked = locked


def open_read_only(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """The warehouse opened read-only, or WarehouseUnavailable saying (in one line) why not.

    DuckDB lets no other process open a file, even read-only, while one process writes it; a reader
    must hold it only briefly, because a writer that starts meanwhile waits for it (dagster-duckdb's
    DuckDBResource retries the lock for about 100 seconds).
    """
    target = Path(path) if path else settings.warehouse_path()
    if not target.exists():
        raise WarehouseUnavailable(f"no warehouse at {target} yet", missing=True)
    try:
        return duckdb.connect(str(target), read_only=True)
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
            raise WarehouseUnavailable(
                f"the warehouse {target} is being written by another process (a pipeline run or refresh)",
                locked=True,
            ) from None
        raise WarehouseUnavailable(f"cannot open the warehouse {target}: {exc}") from None
