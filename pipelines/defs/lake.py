"""The lake (MLCOST_LAKE_URI, docs/engines.md#the-lake): each ingest asset also writes what it landed
there, so Spark, Athena or Trino read the same raw tables the DuckDB build does. Unset: nothing is
written (the default). A lake that cannot be written fails the run in one line; the warehouse keeps
what the asset landed, and `mlcost lake export` (or the asset's next run) brings the lake up to date.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
import duckdb

from pipelines.lib import settings
from pipelines.lib.lake import SETTING, Lake, LakeLocationError, open_lake


def configured_lake() -> Lake | None:
    """The lake MLCOST_LAKE_URI names, or None when it is unset (read when a run needs it)."""
    uri = settings.get(SETTING)
    if not uri:
        return None
    try:
        return open_lake(uri)
    except LakeLocationError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def _failure(exc: Exception, what: str) -> dg.Failure:
    return dg.Failure(
        description=f"{exc} ({what} is in the warehouse; the lake's copy is unchanged: `mlcost lake export` "
        "writes it)",
        allow_retries=False,
    )


def write_tables_to_lake(context, conn: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
    """After an ingest asset has committed: replace each table's file in the lake."""
    lake = configured_lake()
    if lake is None:
        return
    for table in tables:
        try:
            written = lake.write_table(conn, table)
        except (LakeLocationError, duckdb.Error, OSError) as exc:
            raise _failure(exc, f"raw.{table}") from exc
        context.log.info(f"lake: {written.path} ({written.rows:,} rows)")


def write_billing_period_to_lake(
    context, conn: duckdb.DuckDBPyConnection, billing_period: str, fingerprint: str | None
) -> str | None:
    """After a billing period's load (or its skip as unchanged): replace its file in the lake unless
    the lake holds the same delivery. Returns the file's path, None without a lake."""
    lake = configured_lake()
    if lake is None:
        return None
    try:
        written = lake.write_billing_period(conn, billing_period, fingerprint)
    except (LakeLocationError, duckdb.Error, OSError) as exc:
        raise _failure(exc, f"billing period {billing_period}") from exc
    state = "unchanged" if written.skipped else f"{written.rows:,} rows"
    context.log.info(f"lake: {written.path} ({state})")
    return written.path


def drop_billing_periods_from_lake(context, billing_periods: Iterable[str]) -> None:
    """After periods were dropped from the warehouse: remove their files from the lake."""
    lake = configured_lake()
    if lake is None:
        return
    for billing_period in billing_periods:
        try:
            context.log.info(f"lake: removed {lake.drop_billing_period(billing_period)}")
        except LakeLocationError as exc:
            raise dg.Failure(
                description=f"{exc} (dropped from the warehouse; `mlcost lake export` removes it from the lake)",
                allow_retries=False,
            ) from exc
