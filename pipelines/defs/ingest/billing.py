"""The bill: AWS billing exports (legacy CUR, CUR 2.0, FOCUS) landed in raw.billing_line_items."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import (
    drop_billing_periods_from_lake,
    write_billing_period_to_lake,
    write_tables_to_lake,
)
from pipelines.defs.resources import BillingExport
from pipelines.lib import settings, sql
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.discovery import Period, discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.loads import (
    FINGERPRINT_TAG,
    PeriodsNotLoaded,
    drop_periods,
    periods_to_ingest,
    read_loaded_fingerprints,
)
from pipelines.lib.lake import TAG_SETS_TABLE
from pipelines.lib.warehouse import WarehouseUnavailable, ensure_raw_tables

BILLING_KEY = dg.AssetKey(["raw", "billing_line_items"])
TAG_SETS_KEY = dg.AssetKey(["raw", TAG_SETS_TABLE])

# One partition per billing period found in the exports; AWS rewrites the open month several times
# a day and can restate closed months, so any period can be re-run.
billing_periods = dg.DynamicPartitionsDefinition(name="billing_period")

CHECKS = {
    "rows_present": "The period landed at least one line item.",
    "rows_in_partition_period": "Every line item was charged within the partition's billing period.",
    "no_null_costs": "No line item had an empty cost field in the export (such items land with cost 0).",
}


class BillingIngestConfig(dg.Config):
    force: bool = False
    """Reload the period even when its delivery is unchanged since the last load."""


@dg.multi_asset(
    name="raw__billing_line_items",
    specs=[
        dg.AssetSpec(
            BILLING_KEY,
            description="One row per billing line item (legacy CUR, CUR 2.0 or FOCUS), replaced one "
            "billing period at a time.",
            group_name="ingest",
            kinds={"duckdb", "s3"},
        ),
        dg.AssetSpec(
            TAG_SETS_KEY,
            description="The line items' distinct tag sets (each line holds its set's id), landed with "
            "each billing period's line items; only ever growing.",
            group_name="ingest",
            kinds={"duckdb", "s3"},
        ),
    ],
    partitions_def=billing_periods,
    pool="duckdb",
    check_specs=[
        dg.AssetCheckSpec(
            name, asset=BILLING_KEY, description=text, blocking=name != "rows_in_partition_period"
        )
        for name, text in CHECKS.items()
    ],
)
def billing_line_items(
    context: dg.AssetExecutionContext,
    config: BillingIngestConfig,
    warehouse: DuckDBResource,
    billing_export: BillingExport,
) -> Iterator[dg.MaterializeResult]:
    """One row per billing line item (legacy CUR, CUR 2.0 or FOCUS), replaced one billing period at a
    time, and the tag sets its lines carry."""
    key = context.partition_key
    try:
        store = billing_export.store()
        period = discover(store).period(key)
        with warehouse.get_connection() as conn:
            # DuckDBResource closes only on success; close on failure too so the file is released.
            try:
                result = load_period(conn, store, period, force=config.force)
                checks = conn.execute(
                    sql.load("ingest/select_billing_checks"), {"billing_period": key}
                ).fetchone()
                (tag_sets,) = conn.execute(sql.load("ingest/count_billing_tag_sets")).fetchone()
                # The tag sets first: the period's file may name sets the lake does not hold yet.
                write_tables_to_lake(context, conn, [TAG_SETS_TABLE])
                lake_path = write_billing_period_to_lake(context, conn, key, result.fingerprint)
            finally:
                conn.close()
    except BillingInputError as exc:
        # Nothing stored for this period changed (the load is one transaction).
        raise dg.Failure(
            description=f"billing period {key}: {exc}", metadata={"billing_period": key}
        ) from exc
    if result.skipped:
        context.log.info(
            f"{key}: delivery unchanged since the last load (fingerprint {result.fingerprint}); skipped"
        )
    rows, missing_costs, outside, split_rows = checks
    yield dg.MaterializeResult(
        asset_key=BILLING_KEY,
        metadata={
            "dagster/row_count": rows,
            "billing_period": key,
            "billed_cost": float(result.billed_cost),
            "effective_cost": float(result.effective_cost),
            "export_version": result.export_version,
            "source_format": result.source_format or "unchanged",
            "source_files": dg.MetadataValue.json(result.source_files),
            "fingerprint": result.fingerprint,
            "skipped_unchanged": result.skipped,
            "split_cost_allocation_rows": split_rows,
            "load_seconds": round(result.seconds, 3),
            **({"lake_path": lake_path} if lake_path else {}),
        },
        check_results=[
            dg.AssetCheckResult(check_name="rows_present", passed=rows > 0, metadata={"rows": rows}),
            # Warnings: the rows are kept (a manifest decides its period; an empty cost is 0).
            dg.AssetCheckResult(
                check_name="rows_in_partition_period",
                passed=outside == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rows_charged_outside_period": outside},
            ),
            dg.AssetCheckResult(
                check_name="no_null_costs",
                passed=missing_costs == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rows_with_missing_cost": missing_costs},
            ),
        ],
    )
    yield dg.MaterializeResult(
        asset_key=TAG_SETS_KEY, metadata={"dagster/row_count": tag_sets, "billing_period": key}
    )


ingest_billing_job = dg.define_asset_job(
    "ingest_billing",
    selection=dg.AssetSelection.assets(billing_line_items),
    partitions_def=billing_periods,
    description="Load one billing period from CUR_EXPORT_URI into raw.billing_line_items.",
)


def _waiting_on_run(instance: dg.DagsterInstance, period: Period) -> str | None:
    """Why the sensor must not request a load of `period` now, if it must not: a load of it is queued
    or running, or the last load of this very delivery failed."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=ingest_billing_job.name, tags={"dagster/partition": period.partition_key}),
        limit=1,
    )
    if not records:
        return None
    run = records[0].dagster_run
    if not run.is_finished:
        return f"{period.partition_key}: run {run.run_id[:8]} is {run.status.value.lower()}"
    if run.status == dg.DagsterRunStatus.FAILURE and run.tags.get(FINGERPRINT_TAG) == period.fingerprint:
        return f"{period.partition_key}: the load of this delivery failed in run {run.run_id[:8]}"
    return None


@dg.sensor(
    job=ingest_billing_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 5 minutes: loads the billing periods under CUR_EXPORT_URI that the warehouse lacks or "
    "holds from an older delivery (one ingest_billing run per period).",
)
def billing_export_sensor(context: dg.SensorEvaluationContext, billing_export: BillingExport):
    """Finds billing periods under CUR_EXPORT_URI that the warehouse lacks or holds from an older
    delivery, and requests their loads.

    What is loaded is read from the warehouse's own load records (raw.billing_loads), opened read-only
    for one query; while a run holds the write lock the sensor skips and looks again next time. There
    is no run key: a warehouse that was replaced or restored must get a period again even though
    that delivery was loaded before (into another file). Duplicates are avoided instead by not
    requesting a period whose load is queued or running, and a failed delivery is not retried
    every evaluation (only once it changes).
    """
    if not billing_export.configured:
        return dg.SkipReason("CUR_EXPORT_URI is not set")
    try:
        discovery = discover(billing_export.store())
    except BillingInputError as exc:
        return dg.SkipReason(str(exc))
    for problem in discovery.problems:
        context.log.warning(problem)
    try:
        loaded = read_loaded_fingerprints(settings.warehouse_path())
    except WarehouseUnavailable as exc:
        return dg.SkipReason(f"{exc}; billing periods are compared with it at the next evaluation")
    wanted = periods_to_ingest(discovery.periods.values(), loaded)
    if not wanted:
        return dg.SkipReason(
            f"{len(discovery.periods)} billing periods, none new or changed in the warehouse"
        )
    # A failed delivery is not retried every evaluation, only once it changes (`mlcost refresh` retries it).
    waiting = {p.partition_key: _waiting_on_run(context.instance, p) for p in wanted}
    requested = [p for p in wanted if waiting[p.partition_key] is None]
    if not requested:
        return dg.SkipReason(
            f"{len(wanted)} billing period(s) to load, not requested now: " + "; ".join(waiting.values())
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=p.partition_key, tags={FINGERPRINT_TAG: p.fingerprint})
            for p in requested
        ],
        dynamic_partitions_requests=[billing_periods.build_add_request([p.partition_key for p in requested])],
    )


class DropBillingPeriodsConfig(dg.Config):
    billing_periods: list[str]
    """Partition keys (YYYY-MM-01) of the periods to drop."""


@dg.op(pool="duckdb")
def delete_billing_periods(
    context: dg.OpExecutionContext, config: DropBillingPeriodsConfig, warehouse: DuckDBResource
) -> None:
    """Deletes billing periods (line items and load records) in one transaction, then removes them
    from Dagster's partitions of raw/billing_line_items."""
    with warehouse.get_connection() as conn:
        try:
            ensure_raw_tables(conn)
            dropped = drop_periods(conn, config.billing_periods)
        except PeriodsNotLoaded as exc:
            raise dg.Failure(description=str(exc)) from exc
        finally:
            conn.close()
    keys = sorted({p.partition_key for p in dropped})
    for p in dropped:
        context.log.info(
            f"dropped {p.partition_key} {p.currency or ''}: {p.line_items} line items, "
            f"billed {p.billed_cost}, effective {p.effective_cost}"
        )
    # Dagster's view follows the warehouse: the dropped partitions leave the list (refresh and the
    # sensor add back whatever CUR_EXPORT_URI delivers), and the asset's page notes the drop.
    # (Wiping a partition's history is not supported by the default SQLite event storage.)
    for key in keys:
        if context.instance.has_dynamic_partition(billing_periods.name, key):
            context.instance.delete_dynamic_partition(billing_periods.name, key)
    context.log_event(
        dg.AssetObservation(
            asset_key=BILLING_KEY,
            metadata={
                "dropped_billing_periods": ", ".join(keys),
                "dropped_line_items": sum(p.line_items for p in dropped),
            },
        )
    )
    drop_billing_periods_from_lake(context, keys)


@dg.job(
    name="drop_billing_periods",
    description="Drop billing periods from the warehouse (`mlcost periods drop`): line items and load "
    "records, in one transaction. The marts follow at the next build.",
)
def drop_billing_periods_job():
    delete_billing_periods()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[billing_line_items],
        jobs=[ingest_billing_job, drop_billing_periods_job],
        sensors=[billing_export_sensor],
    )
