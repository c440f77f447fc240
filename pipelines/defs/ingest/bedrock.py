"""Amazon Bedrock requests and tokens, one UTC day per partition (the prediction counts' days).

Sources: CloudWatch AWS/Bedrock metrics per model ID in every configured account and region (the
BedrockSource resource), and the model invocation logs when BEDROCK_INVOCATION_LOGS_URI is set. As
for prediction counts, all reads happen first; then the window's hours are replaced in one
transaction for every source, account and region that succeeded, and whatever failed is named in the
error that fails the run, its stored rows left as they were. The work is plain code in
pipelines/lib/bedrock (metrics, invocation logs) and lib/sagemaker/predictions.py (every account and
region, replacing a window); this module wires it to Dagster.
"""

from datetime import UTC, datetime

import dagster as dg
import pyarrow as pa
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.predictions import _cloudwatch, _fail, _now, _window, prediction_days
from pipelines.defs.lake import write_tables_to_lake
from pipelines.defs.resources import BedrockSource
from pipelines.lib import aws, sql
from pipelines.lib.bedrock import invocation_logs, metrics
from pipelines.lib.sagemaker.predictions import (
    days_to_refresh,
    partition_key_ranges,
    replace_window,
    rows_table,
)
from pipelines.lib.warehouse import ensure_raw_tables


def bedrock_days_to_refresh(now: datetime, bedrock: BedrockSource) -> list[str]:
    """Days the hourly schedule and `mlcost refresh` (re)load: today and CLOUDWATCH_LOOKBACK_DAYS
    before it (late CloudWatch data and late log deliveries). Older days: backfill ingest_bedrock."""
    if not (bedrock.region_list or bedrock.logs_configured):
        return []
    return days_to_refresh(now, lookback_days=bedrock.lookback)


@dg.asset(
    key=["raw", "bedrock_invocations"],
    partitions_def=prediction_days,
    group_name="ingest",
    kinds={"duckdb", "bedrock", "cloudwatch"},
    pool="duckdb",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def bedrock_invocations(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, bedrock: BedrockSource
) -> dg.MaterializeResult:
    """One row per hour, source, account, region, model ID and caller: Amazon Bedrock requests and tokens, from CloudWatch AWS/Bedrock metrics and model invocation logs."""
    start, end = _window(context)
    fetched_at = _now()
    failures: list[str] = []
    tables = []
    scopes: list[dict] = []

    if bedrock.region_list:
        rows, ok = _cloudwatch(
            context,
            metrics.invocation_rows,
            warehouse,
            bedrock,
            start,
            end,
            fetched_at,
            failures,
            stored=metrics.known_model_ids,
        )
        tables.append(rows_table("bedrock_invocations", rows))
        scopes += ok
    else:
        context.log.info(
            "Neither BEDROCK_REGIONS nor SAGEMAKER_REGIONS is set: CloudWatch Bedrock metrics skipped."
        )

    if bedrock.logs_configured:
        try:
            with bedrock.log_files(keep=lambda path: invocation_logs.may_hold(path, start, end)) as files:
                logged = invocation_logs.hourly_rows(files, start, end, fetched_at)
            context.log.info(f"Bedrock invocation logs: {len(files)} file(s), {logged.num_rows} hourly rows")
        except (invocation_logs.InvocationLogError, dg.Failure) as exc:
            failures.append(str(getattr(exc, "description", None) or exc))
        except Exception as exc:  # noqa: BLE001 - collected, reported with the others
            failures.append(f"Bedrock invocation logs: {aws.describe_error(exc)}")
        else:
            tables.append(logged)
            scopes.append(
                {
                    "source": "invocation_logs",
                    "account_id": None,
                    "region": None,
                    "start_at": start,
                    "end_at": end,
                }
            )
    else:
        context.log.info("BEDROCK_INVOCATION_LOGS_URI is not set: Bedrock invocation logs skipped.")

    incoming = pa.concat_tables(tables) if tables else rows_table("bedrock_invocations", [])
    with warehouse.get_connection() as conn:
        replace_window(conn, "bedrock_invocations", incoming, scopes)
        write_tables_to_lake(context, conn, ["bedrock_invocations"])
        stored = conn.execute(
            sql.load("ingest/count_bedrock_invocations_window"), {"start_at": start, "end_at": end}
        ).fetchall()

    _fail(f"Bedrock token counts for {start:%Y-%m-%d}..{end:%Y-%m-%d}", failures)
    metadata: dict = {
        "rows_written": incoming.num_rows,
        "sources": ", ".join(s["source"] for s in scopes) or "none",
    }
    for source, row_count, requests, input_tokens, output_tokens in stored:
        metadata[f"{source}_rows"] = row_count
        metadata[f"{source}_invocations"] = requests
        metadata[f"{source}_input_tokens"] = input_tokens
        metadata[f"{source}_output_tokens"] = output_tokens
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(key=["raw", "principal_hash_salt"], group_name="ingest", kinds={"duckdb"}, pool="duckdb")
def principal_hash_salt(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """One row: the warehouse's random salt with which the marts pseudonymise Bedrock callers, made once and never changed (docs/genai.md)."""
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)  # creates it when missing (sql/ingest/create_principal_hash_salt.sql)
        (rows,) = conn.execute("select count(*) from raw.principal_hash_salt").fetchone()
        write_tables_to_lake(context, conn, ["principal_hash_salt"])
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset_check(asset=bedrock_invocations, pool="duckdb", blocking=False)
def bedrock_invocations_grain_is_unique(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    """One row per hour, source, account, region, model ID and caller; no negative counts."""
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        duplicated, negative = conn.execute(sql.load("ingest/check_bedrock_invocations_grain")).fetchone()
    return dg.AssetCheckResult(
        passed=duplicated == 0 and negative == 0,
        metadata={"duplicated_keys": duplicated, "negative_rows": negative},
    )


ingest_bedrock = dg.define_asset_job(
    "ingest_bedrock",
    selection=dg.AssetSelection.assets(bedrock_invocations),
    partitions_def=prediction_days,
    description="One UTC day of Amazon Bedrock requests and tokens (CloudWatch AWS/Bedrock, invocation logs).",
)


@dg.schedule(
    job=ingest_bedrock,
    cron_schedule="40 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly at :40: Bedrock token counts for today and the CLOUDWATCH_LOOKBACK_DAYS before it "
    "(skipped when no Bedrock source is configured).",
)
def hourly_bedrock_tokens(context: dg.ScheduleEvaluationContext, bedrock: BedrockSource):
    """Every hour: today and the CLOUDWATCH_LOOKBACK_DAYS before it, one run per day range (the same
    days `mlcost refresh` loads)."""
    now = datetime.now(UTC)
    days = bedrock_days_to_refresh(now, bedrock)
    if not days:
        return dg.SkipReason(
            "neither BEDROCK_REGIONS, SAGEMAKER_REGIONS nor BEDROCK_INVOCATION_LOGS_URI is set"
        )
    return [
        dg.RunRequest(
            run_key=f"bedrock {first}..{last}@{now:%Y-%m-%dT%H}",
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        )
        for first, last in partition_key_ranges(days)
    ]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[bedrock_invocations, principal_hash_salt],
        asset_checks=[bedrock_invocations_grain_is_unique],
        jobs=[ingest_bedrock],
        schedules=[hourly_bedrock_tokens],
    )
