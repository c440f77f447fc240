"""Prediction counts, endpoint utilization and training job utilization, one UTC day per partition.

Sources: CloudWatch (the SageMakerSource resource: every account and region) and application
prediction logs (the PredictionLogs resource). All reads happen first; then the partition's hours are
replaced in one transaction for every source, account and region that succeeded. Anything that
failed is named in the error that fails the run, and its stored rows stay as they were. The work
itself is in pipelines/lib/sagemaker/predictions.py; these assets wire it to Dagster.

A run may cover one day or a range of days (BackfillPolicy.single_run): the assets work on the
run's partition time window.
"""

from datetime import UTC, datetime

import dagster as dg
import pyarrow as pa
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import write_tables_to_lake
from pipelines.defs.resources import PredictionLogs, SageMakerSource
from pipelines.lib import aws, sql
from pipelines.lib.sagemaker import cloudwatch
from pipelines.lib.sagemaker.prediction_logs import days_present, hourly_counts
from pipelines.lib.sagemaker.predictions import (
    PARTITIONS_START,
    cloudwatch_rows,
    days_to_refresh,
    known_training_jobs,
    known_variants,
    log_counts_rows,
    replace_window,
    rows_table,
)
from pipelines.lib.warehouse import ensure_raw_tables, raw_schema

# end_offset=1 makes today (still filling up) a partition.
prediction_days = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)


def prediction_days_to_refresh(now: datetime, sagemaker: SageMakerSource, logs: PredictionLogs) -> list[str]:
    """Days the hourly schedule and `mlcost refresh` (re)load: today and the lookback when CloudWatch
    is read, and every day present in the prediction logs (lib's days_to_refresh decides)."""
    log_days = []
    if logs.configured:
        with logs.files() as files:
            log_days = days_present(files)
    lookback = sagemaker.lookback if sagemaker.region_list else None
    return days_to_refresh(now, lookback_days=lookback, log_days=log_days)


def _window(context: dg.AssetExecutionContext) -> tuple[datetime, datetime]:
    """The run's partition time window (one day, or a range of days) as naive UTC datetimes."""
    window = context.partition_time_window
    return (
        window.start.astimezone(UTC).replace(tzinfo=None),
        window.end.astimezone(UTC).replace(tzinfo=None),
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _cloudwatch(
    context, fetch_rows, warehouse, sagemaker, start, end, fetched_at, failures, stored=known_variants
):
    def known(first: datetime, last: datetime):
        with warehouse.get_connection() as conn:
            return stored(conn, first, last)

    return cloudwatch_rows(
        fetch_rows,
        sagemaker.accounts(failures),
        sagemaker.region_list,
        known,
        start,
        end,
        fetched_at,
        list_metrics=sagemaker.discover_variants,
        failures=failures,
        log=context.log,
    )


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
def prediction_counts(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBResource,
    sagemaker: SageMakerSource,
    prediction_logs: PredictionLogs,
) -> dg.MaterializeResult:
    """One row per hour, source, endpoint (or model served outside SageMaker) and variant: predictions served, from CloudWatch Invocations and application prediction logs."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    tables: list[pa.Table] = []
    scopes: list[dict] = []

    if sagemaker.region_list:
        rows, ok = _cloudwatch(
            context, cloudwatch.invocation_rows, warehouse, sagemaker, start, end, fetched_at, failures
        )
        tables.append(rows_table("prediction_counts", rows))
        scopes += ok
    else:
        context.log.info("SAGEMAKER_REGIONS is not set: CloudWatch invocation counts skipped.")

    if prediction_logs.configured:
        try:
            with prediction_logs.files() as files:
                counts = hourly_counts(files, start, end)
            context.log.info(f"Prediction logs: {len(files)} file(s), {counts.num_rows} hourly rows")
        except Exception as exc:  # noqa: BLE001 - collected, reported with the others
            failures.append(f"prediction logs: {aws.describe_error(exc)}")
        else:
            tables.append(log_counts_rows(counts, fetched_at))
            scopes.append(
                {"source": "prediction_logs", "account_id": None, "region": None}
                | {"start_at": start, "end_at": end}
            )
    else:
        context.log.info("PREDICTION_LOGS_URI is not set: prediction logs skipped.")

    incoming = pa.concat_tables(tables) if tables else raw_schema("prediction_counts").empty_table()
    with warehouse.get_connection() as conn:
        replace_window(conn, "prediction_counts", incoming, scopes)
        write_tables_to_lake(context, conn, ["prediction_counts"])
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
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, sagemaker: SageMakerSource
) -> dg.MaterializeResult:
    """One row per hour, endpoint variant and metric (CPU/GPU/memory utilization, model latency): average, maximum and sample count from CloudWatch."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    rows: list[dict] = []
    scopes: list[dict] = []
    if sagemaker.region_list:
        rows, scopes = _cloudwatch(
            context, cloudwatch.utilization_rows, warehouse, sagemaker, start, end, fetched_at, failures
        )
    else:
        context.log.info("SAGEMAKER_REGIONS is not set: endpoint utilization skipped, empty table created.")

    incoming = rows_table("endpoint_utilization", rows)
    with warehouse.get_connection() as conn:
        replace_window(conn, "endpoint_utilization", incoming, scopes)
        write_tables_to_lake(context, conn, ["endpoint_utilization"])

    _fail(f"Endpoint utilization for {start:%Y-%m-%d}..{end:%Y-%m-%d}", failures)
    return dg.MaterializeResult(
        metadata={
            "rows_written": incoming.num_rows,
            "series": len({(r["endpoint_name"], r["variant_name"], r["metric_name"]) for r in rows}),
        }
    )


@dg.asset(
    key=["raw", "training_job_utilization"],
    partitions_def=prediction_days,
    group_name="ingest",
    kinds={"duckdb", "sagemaker", "cloudwatch"},
    pool="duckdb",
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["raw", "sagemaker_training_jobs"])],
)
def training_job_utilization(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, sagemaker: SageMakerSource
) -> dg.MaterializeResult:
    """One row per hour, training job host and metric (CPU, GPU, GPU memory utilization): average, maximum and sample count from CloudWatch, for the stored jobs that ran that day."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    rows: list[dict] = []
    scopes: list[dict] = []
    if sagemaker.region_list:
        rows, scopes = _cloudwatch(
            context,
            cloudwatch.training_utilization_rows,
            warehouse,
            sagemaker,
            start,
            end,
            fetched_at,
            failures,
            stored=known_training_jobs,
        )
    else:
        context.log.info(
            "SAGEMAKER_REGIONS is not set: training job utilization skipped, empty table created."
        )

    incoming = rows_table("training_job_utilization", rows)
    with warehouse.get_connection() as conn:
        replace_window(conn, "training_job_utilization", incoming, scopes)
        write_tables_to_lake(context, conn, ["training_job_utilization"])

    _fail(f"Training job utilization for {start:%Y-%m-%d}..{end:%Y-%m-%d}", failures)
    return dg.MaterializeResult(
        metadata={
            "rows_written": incoming.num_rows,
            "training_jobs": len({r["training_job_name"] for r in rows}),
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
    selection=dg.AssetSelection.assets(prediction_counts, endpoint_utilization, training_job_utilization),
    partitions_def=prediction_days,
    description=(
        "One UTC day of prediction counts (CloudWatch, prediction logs), endpoint and training job utilization."
    ),
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[prediction_counts, endpoint_utilization, training_job_utilization],
        asset_checks=[prediction_counts_grain_is_unique],
        jobs=[ingest_predictions],
    )
