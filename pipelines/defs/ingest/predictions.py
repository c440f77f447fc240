"""Prediction counts and endpoint utilization, one UTC day per partition.

Sources: CloudWatch (every account in AWS_ROLE_ARNS, region in SAGEMAKER_REGIONS) and application
prediction logs under PREDICTION_LOGS_URI. All reads happen first; then the partition's hours are
replaced in one transaction for every source, account and region that succeeded. Anything that
failed is named in the error that fails the run, and its stored rows stay as they were.

A run may cover one day or a range of days (BackfillPolicy.single_run): the assets work on the
run's partition time window.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pyarrow as pa
from dagster_duckdb import DuckDBResource

from pipelines.lib import aws, settings, sql
from pipelines.lib.sagemaker import cloudwatch, prediction_logs
from pipelines.lib.warehouse import ensure_raw_tables

# The first day any partition exists; older prediction-log days are ignored by
# prediction_partitions_to_refresh. end_offset=1 makes today (still filling up) a partition.
PARTITIONS_START = "2024-01-01"
prediction_days = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)

DEFAULT_LOOKBACK_DAYS = 3
LIST_METRICS_HORIZON = timedelta(days=14)

PREDICTION_COUNTS_SCHEMA = pa.schema(
    [
        ("hour_start", pa.timestamp("us")),
        ("endpoint_name", pa.string()),
        ("variant_name", pa.string()),
        ("model_name", pa.string()),
        ("predictions", pa.int64()),
        ("source", pa.string()),
        ("account_id", pa.string()),
        ("region", pa.string()),
        ("fetched_at", pa.timestamp("us")),
    ]
)
UTILIZATION_SCHEMA = pa.schema(
    [
        ("hour_start", pa.timestamp("us")),
        ("endpoint_name", pa.string()),
        ("variant_name", pa.string()),
        ("metric_name", pa.string()),
        ("average", pa.float64()),
        ("maximum", pa.float64()),
        ("sample_count", pa.float64()),
        ("account_id", pa.string()),
        ("region", pa.string()),
        ("fetched_at", pa.timestamp("us")),
    ]
)
SCOPES_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("account_id", pa.string()),
        ("region", pa.string()),
        ("start_at", pa.timestamp("us")),
        ("end_at", pa.timestamp("us")),
    ]
)


def lookback_days() -> int:
    raw = settings.get("CLOUDWATCH_LOOKBACK_DAYS") or str(DEFAULT_LOOKBACK_DAYS)
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"CLOUDWATCH_LOOKBACK_DAYS must be a whole number of days, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"CLOUDWATCH_LOOKBACK_DAYS must be 0 or more, not {value}")
    return value


def list_metrics_enabled() -> bool:
    """CLOUDWATCH_LIST_METRICS (default true): also discover endpoint variants with ListMetrics."""
    raw = (settings.get("CLOUDWATCH_LIST_METRICS") or "true").strip().lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"CLOUDWATCH_LIST_METRICS must be true or false, not {raw!r}")
    return raw in ("true", "1", "yes")


def _s3_client():
    region = settings.get("AWS_REGION") or settings.get("AWS_DEFAULT_REGION") or "us-east-1"
    return aws.base_session().client("s3", region_name=region, config=aws.client_config())


def _today(now: datetime) -> date:
    return (now.astimezone(UTC) if now.tzinfo else now).date()


def prediction_partitions_to_refresh(now: datetime) -> list[str]:
    """Partition keys (YYYY-MM-DD) `mlcost refresh` should (re)load, oldest first.

    With SAGEMAKER_REGIONS: today and the CLOUDWATCH_LOOKBACK_DAYS days before it (CloudWatch data
    arrives late). With PREDICTION_LOGS_URI: every day present in the logs. Days before the first
    partition or after today are left out. `now` is taken as UTC when naive.
    """
    today = _today(now)
    days: set[date] = set()
    if aws.sagemaker_regions():
        days.update(today - timedelta(days=i) for i in range(lookback_days() + 1))
    uri = settings.get("PREDICTION_LOGS_URI")
    if uri:
        with prediction_logs.log_files(uri, _s3_client) as files:
            days.update(prediction_logs.days_present(files))
    first = date.fromisoformat(PARTITIONS_START)
    return [d.isoformat() for d in sorted(days) if first <= d <= today]


def partition_key_ranges(keys: list[str]) -> list[tuple[str, str]]:
    """Day keys -> contiguous (first, last) ranges; each range can be one run (single-run backfill)."""
    days = sorted({date.fromisoformat(k) for k in keys})
    ranges: list[tuple[str, str]] = []
    for day in days:
        if ranges and date.fromisoformat(ranges[-1][1]) + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day.isoformat())
        else:
            ranges.append((day.isoformat(), day.isoformat()))
    return ranges


def _window(context: dg.AssetExecutionContext) -> tuple[datetime, datetime]:
    """The run's partition time window (one day, or a range of days) as naive UTC datetimes."""
    window = context.partition_time_window
    return (
        window.start.astimezone(UTC).replace(tzinfo=None),
        window.end.astimezone(UTC).replace(tzinfo=None),
    )


def _known_variants(
    warehouse: DuckDBResource, start: datetime, end: datetime
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(account, region) -> [(endpoint, variant)] from the stored SageMaker metadata."""
    known: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        rows = conn.execute(
            sql.load("ingest/select_prediction_endpoint_variants"), {"start_at": start, "end_at": end}
        ).fetchall()
    for account_id, region, endpoint, variant in rows:
        known.setdefault((account_id, region), []).append((endpoint, variant))
    return known


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _cloudwatch(
    context,
    fetch_rows,
    warehouse: DuckDBResource,
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    failures: list[str],
):
    """Run fetch_rows for every account and region.

    Returns (rows, replaced scopes): one scope per account and region that succeeded, with the hours
    it covers. Hours older than CloudWatch keeps hourly data are neither fetched nor replaced.
    """
    rows: list[dict] = []
    scopes: list[dict] = []
    oldest = (fetched_at - cloudwatch.HOURLY_RETENTION).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    if start < oldest:
        context.log.warning(
            f"Hours before {oldest:%Y-%m-%d} are older than CloudWatch keeps hourly data: stored rows kept, not re-fetched."
        )
        start = oldest
    if start >= end:
        return rows, scopes
    known = _known_variants(warehouse, start, end)
    # ListMetrics sees only metrics with data in the last two weeks: for older windows the stored
    # metadata is the only source of endpoint variants.
    discover = list_metrics_enabled() and end > fetched_at - LIST_METRICS_HORIZON
    for account in aws.accounts_or_failures(failures):
        for region in aws.sagemaker_regions():
            scope = f"{account.label} region {region}"
            variants = known.get((account.account_id, region))
            try:
                client = account.client("cloudwatch", region)
                found = fetch_rows(
                    client, account.account_id, region, start, end, fetched_at, variants, discover
                )
            except Exception as exc:  # noqa: BLE001 - collected, reported together
                failures.append(f"CloudWatch {scope}: {aws.describe_error(exc)}")
                context.log.error(f"CloudWatch fetch failed for {scope}: {aws.describe_error(exc)}")
                continue
            how = f"{len(variants or [])} stored variants" + (
                " + ListMetrics" if discover or not variants else ""
            )
            context.log.info(f"CloudWatch {scope}: {len(found)} hourly rows ({how})")
            rows.extend(found)
            scopes.append(
                {
                    "source": "cloudwatch",
                    "account_id": account.account_id,
                    "region": region,
                    "start_at": start,
                    "end_at": end,
                }
            )
    return rows, scopes


def _fail(what: str, failures: list[str]) -> None:
    if failures:
        raise dg.Failure(
            description=f"{what} failed for " + "; ".join(failures),
            metadata={"failed": dg.MetadataValue.text("\n".join(failures))},
        )


@dg.asset(
    key=["raw", "prediction_counts"],
    partitions_def=prediction_days,
    group_name="ingest",
    kinds={"duckdb", "sagemaker", "cloudwatch"},
    pool="duckdb",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def prediction_counts(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """One row per hour, source, endpoint (or model served outside SageMaker) and variant: predictions served, from CloudWatch Invocations and application prediction logs."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    tables: list[pa.Table] = []
    scopes: list[dict] = []

    if aws.sagemaker_regions():
        rows, ok = _cloudwatch(
            context, cloudwatch.invocation_rows, warehouse, start, end, fetched_at, failures
        )
        tables.append(pa.Table.from_pylist(rows, schema=PREDICTION_COUNTS_SCHEMA))
        scopes += ok
    else:
        context.log.info("SAGEMAKER_REGIONS is not set: CloudWatch invocation counts skipped.")

    uri = settings.get("PREDICTION_LOGS_URI")
    if uri:
        try:
            with prediction_logs.log_files(uri, _s3_client) as files:
                counts = prediction_logs.hourly_counts(files, start, end)
            context.log.info(f"Prediction logs: {len(files)} file(s), {counts.num_rows} hourly rows")
        except Exception as exc:  # noqa: BLE001 - collected, reported with the others
            failures.append(f"prediction logs: {aws.describe_error(exc)}")
        else:
            n = counts.num_rows
            counts = (
                counts.append_column("source", pa.array(["prediction_logs"] * n, pa.string()))
                .append_column("account_id", pa.nulls(n, pa.string()))
                .append_column("region", pa.nulls(n, pa.string()))
                .append_column("fetched_at", pa.array([fetched_at] * n, pa.timestamp("us")))
            )
            tables.append(counts.select(PREDICTION_COUNTS_SCHEMA.names).cast(PREDICTION_COUNTS_SCHEMA))
            scopes.append(
                {
                    "source": "prediction_logs",
                    "account_id": None,
                    "region": None,
                    "start_at": start,
                    "end_at": end,
                }
            )
    else:
        context.log.info("PREDICTION_LOGS_URI is not set: prediction logs skipped.")

    incoming = pa.concat_tables(tables) if tables else PREDICTION_COUNTS_SCHEMA.empty_table()
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        conn.execute("begin transaction")
        try:
            conn.register("incoming", incoming)
            conn.register("replaced_scopes", pa.Table.from_pylist(scopes, schema=SCOPES_SCHEMA))
            conn.execute(sql.load("ingest/delete_prediction_counts_window"))
            conn.execute(sql.load("ingest/insert_prediction_counts"))
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        finally:
            conn.unregister("incoming")
            conn.unregister("replaced_scopes")
        stored = conn.execute(
            sql.load("ingest/count_prediction_counts_window"), {"start_at": start, "end_at": end}
        ).fetchall()

    _fail(f"Prediction counts for {start:%Y-%m-%d}..{end:%Y-%m-%d}", failures)
    metadata: dict = {
        "rows_written": incoming.num_rows,
        "sources": ", ".join(s["source"] for s in scopes) or "none",
    }
    for source, row_count, predictions in stored:
        metadata[f"{source}_rows"] = row_count
        metadata[f"{source}_predictions"] = predictions
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["raw", "endpoint_utilization"],
    partitions_def=prediction_days,
    group_name="ingest",
    kinds={"duckdb", "sagemaker", "cloudwatch"},
    pool="duckdb",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def endpoint_utilization(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    """One row per hour, endpoint variant and metric (CPU/GPU/memory utilization, model latency): average, maximum and sample count from CloudWatch."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    rows: list[dict] = []
    ok: list[dict] = []
    if aws.sagemaker_regions():
        rows, ok = _cloudwatch(
            context, cloudwatch.utilization_rows, warehouse, start, end, fetched_at, failures
        )
    else:
        context.log.info("SAGEMAKER_REGIONS is not set: endpoint utilization skipped, empty table created.")

    incoming = pa.Table.from_pylist(rows, schema=UTILIZATION_SCHEMA)
    scopes = pa.Table.from_pylist(ok, schema=SCOPES_SCHEMA)
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        conn.execute("begin transaction")
        try:
            conn.register("incoming", incoming)
            conn.register("replaced_scopes", scopes)
            conn.execute(sql.load("ingest/delete_endpoint_utilization_window"))
            conn.execute(sql.load("ingest/insert_endpoint_utilization"))
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
        finally:
            conn.unregister("incoming")
            conn.unregister("replaced_scopes")

    _fail(f"Endpoint utilization for {start:%Y-%m-%d}..{end:%Y-%m-%d}", failures)
    return dg.MaterializeResult(
        metadata={
            "rows_written": incoming.num_rows,
            "series": len({(r["endpoint_name"], r["variant_name"], r["metric_name"]) for r in rows}),
        }
    )


@dg.asset_check(asset=prediction_counts, pool="duckdb", blocking=False)
def prediction_counts_grain_is_unique(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    """One row per hour, source, endpoint, variant, model, account and region; no negative counts."""
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        duplicated, negative = conn.execute(sql.load("ingest/check_prediction_counts_grain")).fetchone()
    return dg.AssetCheckResult(
        passed=duplicated == 0 and negative == 0,
        metadata={"duplicated_keys": duplicated, "negative_rows": negative},
    )


ingest_predictions = dg.define_asset_job(
    "ingest_predictions",
    selection=dg.AssetSelection.assets(prediction_counts, endpoint_utilization),
    partitions_def=prediction_days,
    description="One UTC day of prediction counts (CloudWatch, prediction logs) and endpoint utilization.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[prediction_counts, endpoint_utilization],
        asset_checks=[prediction_counts_grain_is_unique],
        jobs=[ingest_predictions],
    )
