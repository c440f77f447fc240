"""Jobs, schedules and sensors that span sources: keeping SageMaker data fresh and rebuilding the
warehouse after ingestion. (Billing deliveries are picked up by billing_export_sensor.)"""

from datetime import UTC, datetime

import dagster as dg

from pipelines.defs.ingest.predictions import ingest_predictions, prediction_days_to_refresh
from pipelines.defs.ingest.sagemaker import ingest_sagemaker
from pipelines.defs.resources import PredictionLogs, SageMakerSource
from pipelines.lib.sagemaker.predictions import partition_key_ranges

# Everything downstream of the landed sources: the budgets and owners files, dbt models (with their tests as
# asset checks) and whatever publishes or reads the marts. Sources that call AWS have their own jobs
# (ingest_billing per billing period, ingest_sagemaker, ingest_predictions per day).
BUILD_SELECTION = (
    dg.AssetSelection.all() - dg.AssetSelection.key_prefixes(["raw"])
) | dg.AssetSelection.assets(["raw", "budgets"], ["raw", "owner_rules"], ["raw", "principal_hash_salt"])
# (Dropping billing periods changes the raw data too, so the marts follow it the same way.)
INGEST_JOBS = (
    "ingest_billing",
    "ingest_sagemaker",
    "ingest_predictions",
    "ingest_bedrock",
    "drop_billing_periods",
)

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=BUILD_SELECTION,
    description="Load budgets and owner rules, run dbt build (staging, intermediate, marts and their tests), publish the marts, "
    "then record newly due alerts (alerts/ledger).",
)

# A safety net: the build also follows every ingest (build_after_ingest), this catches anything else.
daily_build = dg.ScheduleDefinition(
    name="daily_build_warehouse",
    job=build_warehouse,
    cron_schedule="0 7 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 07:00 UTC: rebuilds the marts, a safety net behind build_after_ingest.",
)


@dg.schedule(
    job=ingest_sagemaker,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly at :15: SageMaker metadata changed since the last run (skipped without SAGEMAKER_REGIONS).",
)
def hourly_sagemaker_metadata(context: dg.ScheduleEvaluationContext, sagemaker: SageMakerSource):
    """Incremental SageMaker metadata every hour (only what changed since the last run is described)."""
    if not sagemaker.region_list:
        return dg.SkipReason("SAGEMAKER_REGIONS is not set")
    return dg.RunRequest()


@dg.schedule(
    job=ingest_predictions,
    cron_schedule="30 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly at :30: prediction counts for today, the CLOUDWATCH_LOOKBACK_DAYS before it and the days "
    "in the prediction logs (skipped when neither source is configured).",
)
def hourly_prediction_counts(
    context: dg.ScheduleEvaluationContext, sagemaker: SageMakerSource, prediction_logs: PredictionLogs
):
    """Every hour: today and the CLOUDWATCH_LOOKBACK_DAYS before it (late data) and the days in the
    prediction logs, one run per day range (the same days `mlcost refresh` loads)."""
    if not (sagemaker.region_list or prediction_logs.configured):
        return dg.SkipReason("neither SAGEMAKER_REGIONS nor PREDICTION_LOGS_URI is set")
    now = datetime.now(UTC)
    return [
        dg.RunRequest(
            run_key=f"{first}..{last}@{now:%Y-%m-%dT%H}",
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        )
        for first, last in partition_key_ranges(prediction_days_to_refresh(now, sagemaker, prediction_logs))
    ]


def _latest(instance: dg.DagsterInstance, job_name: str, statuses=None) -> dg.RunRecord | None:
    records = instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=statuses), limit=1)
    return records[0] if records else None


@dg.sensor(
    job=build_warehouse,
    minimum_interval_seconds=120,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the marts once after new data landed (a successful ingest run newer than the last build).",
)
def build_after_ingest(context: dg.SensorEvaluationContext):
    """Rebuilds the marts once after new data landed: a successful ingest run that finished after the
    latest build was requested. Several ingest runs in a row lead to one build, not one each.

    Why a sensor and not declarative automation (AutomationCondition.eager() on the build assets):
    `drop_billing_periods` changes raw data without materializing raw/billing_line_items (it logs an
    observation), which an asset condition does not see, while this sensor rebuilds after it too;
    and a sensor keeps the whole build one build_warehouse run in the one-writer `duckdb` pool.
    """
    finished = [
        r
        for r in (_latest(context.instance, job, [dg.DagsterRunStatus.SUCCESS]) for job in INGEST_JOBS)
        if r is not None and r.end_time is not None
    ]
    if not finished:
        return dg.SkipReason("no successful ingest run yet")
    newest = max(finished, key=lambda r: r.end_time)
    last_build = _latest(context.instance, build_warehouse.name)
    if last_build is not None and last_build.create_timestamp.timestamp() >= newest.end_time:
        return dg.SkipReason(f"the marts were built after the last ingest ({newest.dagster_run.job_name})")
    return dg.RunRequest(run_key=f"after-{newest.dagster_run.run_id}")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[build_warehouse],
        schedules=[daily_build, hourly_sagemaker_metadata, hourly_prediction_counts],
        sensors=[build_after_ingest],
    )
