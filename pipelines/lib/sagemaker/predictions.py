"""Prediction counts and endpoint utilization: which days to (re)load, reading every account and
region from CloudWatch, and replacing a window of hours in the warehouse.

Plain code: the Dagster assets (defs/ingest/predictions.py), the hourly schedule and
`mlcost refresh` call it with settings they got from their resources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import duckdb
import pyarrow as pa

from pipelines.lib import aws, sql
from pipelines.lib.sagemaker import cloudwatch
from pipelines.lib.warehouse import ensure_raw_tables, raw_schema

# The first day any partition exists; older prediction-log days are ignored by days_to_refresh.
PARTITIONS_START = "2024-01-01"
DEFAULT_LOOKBACK_DAYS = 3
LIST_METRICS_HORIZON = timedelta(days=14)

# Which (source, account, region) hours a write replaces; not a table, registered for one statement.
SCOPES_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("account_id", pa.string()),
        ("region", pa.string()),
        ("start_at", pa.timestamp("us")),
        ("end_at", pa.timestamp("us")),
    ]
)


def parse_lookback_days(raw: str | None) -> int:
    """CLOUDWATCH_LOOKBACK_DAYS: days before today re-read for late CloudWatch data (default 3)."""
    raw = raw or str(DEFAULT_LOOKBACK_DAYS)
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"CLOUDWATCH_LOOKBACK_DAYS must be a whole number of days, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"CLOUDWATCH_LOOKBACK_DAYS must be 0 or more, not {value}")
    return value


def parse_flag(name: str, raw: str | None, default: bool) -> bool:
    """A true/false setting (true, false, 1, 0, yes, no; empty means the default)."""
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def today(now: datetime) -> date:
    return (now.astimezone(UTC) if now.tzinfo else now).date()


def days_to_refresh(now: datetime, *, lookback_days: int | None, log_days: Iterable[date] = ()) -> list[str]:
    """Partition keys (YYYY-MM-DD) to (re)load, oldest first.

    ``lookback_days`` is None when CloudWatch is not read; otherwise today and that many days before
    it (CloudWatch data arrives late). ``log_days``: every day present in the prediction logs. Days
    before the first partition or after today are left out. ``now`` is taken as UTC when naive.
    """
    last = today(now)
    days = set(log_days)
    if lookback_days is not None:
        days.update(last - timedelta(days=i) for i in range(lookback_days + 1))
    first = date.fromisoformat(PARTITIONS_START)
    return [d.isoformat() for d in sorted(days) if first <= d <= last]


def partition_key_ranges(keys: Iterable[str]) -> list[tuple[str, str]]:
    """Day keys -> contiguous (first, last) ranges; each range can be one run (single-run backfill)."""
    days = sorted({date.fromisoformat(k) for k in keys})
    ranges: list[tuple[str, str]] = []
    for day in days:
        if ranges and date.fromisoformat(ranges[-1][1]) + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day.isoformat())
        else:
            ranges.append((day.isoformat(), day.isoformat()))
    return ranges


def known_variants(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(account, region) -> [(endpoint, variant)] from the stored SageMaker metadata."""
    ensure_raw_tables(conn)
    rows = conn.execute(
        sql.load("ingest/select_prediction_endpoint_variants"), {"start_at": start, "end_at": end}
    ).fetchall()
    known: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for account_id, region, endpoint, variant in rows:
        known.setdefault((account_id, region), []).append((endpoint, variant))
    return known


def known_training_jobs(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[tuple[str, str], list[cloudwatch.TrainingJobHosts]]:
    """(account, region) -> the stored training jobs that ran in the window, with their hours in it."""
    ensure_raw_tables(conn)
    rows = conn.execute(
        sql.load("ingest/select_training_job_hosts"), {"start_at": start, "end_at": end}
    ).fetchall()
    known: dict[tuple[str, str], list[cloudwatch.TrainingJobHosts]] = {}
    for account_id, region, job, instance_count, from_at, to_at in rows:
        known.setdefault((account_id, region), []).append(
            cloudwatch.TrainingJobHosts(job, instance_count, from_at, to_at)
        )
    return known


class Log(Protocol):
    """Where progress and failures are told (a Dagster run's log manager, a logging.Logger)."""

    def info(self, text: str) -> None: ...
    def warning(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...


def cloudwatch_rows(
    fetch_rows: Callable[..., list[dict]],
    accounts: list[aws.Account],
    regions: list[str],
    known: Callable[[datetime, datetime], dict[tuple[str, str], list[tuple[str, str]]]],
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    *,
    list_metrics: bool,
    failures: list[str],
    log: Log,
) -> tuple[list[dict], list[dict]]:
    """Run fetch_rows (cloudwatch.invocation_rows or utilization_rows) for every account and region.

    Returns (rows, replaced scopes): one scope per account and region that succeeded, with the hours
    it covers. Hours older than CloudWatch keeps hourly data are neither fetched nor replaced. An
    account or region that fails is appended to ``failures`` and the others are still read.
    ``known(start, end)`` gives the stored endpoint variants per (account, region).
    """
    rows: list[dict] = []
    scopes: list[dict] = []
    oldest = (fetched_at - cloudwatch.HOURLY_RETENTION).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    if start < oldest:
        log.warning(
            f"Hours before {oldest:%Y-%m-%d} are older than CloudWatch keeps hourly data: stored rows kept, not re-fetched."
        )
        start = oldest
    if start >= end:
        return rows, scopes
    stored = known(start, end)
    # ListMetrics sees only metrics with data in the last two weeks: for older windows the stored
    # metadata is the only source of endpoint variants.
    discover = list_metrics and end > fetched_at - LIST_METRICS_HORIZON
    for account in accounts:
        for region in regions:
            scope = f"{account.label} region {region}"
            variants = stored.get((account.account_id, region))
            try:
                client = account.client("cloudwatch", region)
                found = fetch_rows(
                    client, account.account_id, region, start, end, fetched_at, variants, discover
                )
            except Exception as exc:  # noqa: BLE001 - collected, reported together
                failures.append(f"CloudWatch {scope}: {aws.describe_error(exc)}")
                log.error(f"CloudWatch fetch failed for {scope}: {aws.describe_error(exc)}")
                continue
            how = f"{len(variants or [])} stored variants" + (
                " + ListMetrics" if discover or not variants else ""
            )
            log.info(f"CloudWatch {scope}: {len(found)} hourly rows ({how})")
            rows.extend(found)
            scopes.append(
                {"source": "cloudwatch", "account_id": account.account_id, "region": region}
                | {"start_at": start, "end_at": end}
            )
    return rows, scopes


def log_counts_rows(counts: pa.Table, fetched_at: datetime) -> pa.Table:
    """prediction_logs.hourly_counts() -> raw.prediction_counts rows (source 'prediction_logs')."""
    n = counts.num_rows
    schema = raw_schema("prediction_counts")
    return (
        counts.append_column("source", pa.array(["prediction_logs"] * n, pa.string()))
        .append_column("account_id", pa.nulls(n, pa.string()))
        .append_column("region", pa.nulls(n, pa.string()))
        .append_column("fetched_at", pa.array([fetched_at] * n, pa.timestamp("us")))
        .select(schema.names)
        .cast(schema)
    )


def replace_window(
    conn: duckdb.DuckDBPyConnection, table: str, incoming: pa.Table, scopes: list[dict]
) -> None:
    """Replace raw.<table>'s rows in each scope's hours with ``incoming``, in one transaction.

    sql/ingest/delete_<table>_window.sql deletes the rows of every replaced scope (registered as
    ``replaced_scopes``), sql/ingest/insert_<table>.sql inserts ``incoming``. A scope that failed is
    not in ``scopes``, so its stored rows stay as they were; on any error nothing changes.
    """
    ensure_raw_tables(conn)
    conn.execute("begin transaction")
    try:
        conn.register("incoming", incoming)
        conn.register("replaced_scopes", pa.Table.from_pylist(scopes, schema=SCOPES_SCHEMA))
        conn.execute(sql.load(f"ingest/delete_{table}_window"))
        conn.execute(sql.load(f"ingest/insert_{table}"))
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("incoming")
        conn.unregister("replaced_scopes")


def rows_table(table: str, rows: list[dict]) -> pa.Table:
    """Row dicts -> an Arrow table with raw.<table>'s columns and types (from its DDL)."""
    return pa.Table.from_pylist(rows, schema=raw_schema(table))
