"""Jobs and schedules that span sources: building the warehouse after ingestion."""

import dagster as dg

# Everything downstream of the landed sources: the budgets file, dbt models (with their tests as
# asset checks) and whatever publishes or reads the marts. Sources that call AWS have their own jobs
# (ingest_billing per billing period, ingest_sagemaker, ingest_predictions per day).
BUILD_SELECTION = (
    dg.AssetSelection.all() - dg.AssetSelection.key_prefixes(["raw"])
) | dg.AssetSelection.assets(["raw", "budgets"])

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=BUILD_SELECTION,
    description="Load budgets, run dbt build (staging, intermediate, marts and their tests) and publish the marts.",
)

# CUR lands a few times a day; the billing sensor loads new deliveries, this rebuilds the marts daily.
daily_build = dg.ScheduleDefinition(
    name="daily_build_warehouse",
    job=build_warehouse,
    cron_schedule="0 7 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[build_warehouse], schedules=[daily_build])
