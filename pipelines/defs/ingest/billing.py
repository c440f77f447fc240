"""The bill: AWS billing exports (legacy CUR, CUR 2.0, FOCUS) landed in raw.billing_line_items."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib import settings, sql
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.discovery import Discovery, Period, discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store

BILLING_KEY = dg.AssetKey(["raw", "billing_line_items"])

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


def export_uri() -> str:
    uri = settings.get("CUR_EXPORT_URI")
    if not uri:
        raise dg.Failure(
            "CUR_EXPORT_URI is not set: point it at a local folder or s3://bucket/prefix of exports"
        )
    return uri


def discover_exports() -> Discovery:
    return discover(open_store(export_uri()))


def latest_fingerprint(instance: dg.DagsterInstance, partition_key: str) -> str | None:
    """The fingerprint the last successful load of a period reported (from Dagster, not DuckDB)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=BILLING_KEY, asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    materialization = records[0].asset_materialization
    value = materialization.metadata.get("fingerprint") if materialization else None
    return getattr(value, "value", value)


def periods_to_ingest(instance: dg.DagsterInstance, discovery: Discovery) -> list[Period]:
    """Periods that are new or whose delivery changed since they were last loaded."""
    return [
        p
        for p in discovery.periods.values()
        if latest_fingerprint(instance, p.partition_key) != p.fingerprint
    ]


@dg.asset(
    key=BILLING_KEY,
    partitions_def=billing_periods,
    group_name="ingest",
    kinds={"duckdb", "s3"},
    pool="duckdb",
    check_specs=[
        dg.AssetCheckSpec(
            name, asset=BILLING_KEY, description=text, blocking=name != "rows_in_partition_period"
        )
        for name, text in CHECKS.items()
    ],
)
def billing_line_items(
    context: dg.AssetExecutionContext, config: BillingIngestConfig, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    """One row per billing line item (legacy CUR, CUR 2.0 or FOCUS), replaced one billing period at a time."""
    key = context.partition_key
    store = open_store(export_uri())
    try:
        period = discover(store).period(key)
        with warehouse.get_connection() as conn:
            # DuckDBResource closes only on success; close on failure too so the file is released.
            try:
                result = load_period(conn, store, period, force=config.force)
                checks = conn.execute(
                    sql.load("ingest/select_billing_checks"), {"billing_period": key}
                ).fetchone()
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
    return dg.MaterializeResult(
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


ingest_billing_job = dg.define_asset_job(
    "ingest_billing",
    selection=dg.AssetSelection.assets(billing_line_items),
    partitions_def=billing_periods,
    description="Load one billing period from CUR_EXPORT_URI into raw.billing_line_items.",
)


@dg.sensor(
    job=ingest_billing_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING
)
def billing_export_sensor(context: dg.SensorEvaluationContext):
    """Finds new or re-delivered billing periods under CUR_EXPORT_URI and requests their loads.

    It never opens the warehouse: what was loaded is read from the fingerprints the asset reported.
    """
    if not settings.get("CUR_EXPORT_URI"):
        return dg.SkipReason("CUR_EXPORT_URI is not set")
    try:
        discovery = discover_exports()
    except BillingInputError as exc:
        return dg.SkipReason(str(exc))
    for problem in discovery.problems:
        context.log.warning(problem)
    changed = periods_to_ingest(context.instance, discovery)
    if not changed:
        return dg.SkipReason(f"{len(discovery.periods)} billing periods, none new or changed")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"{p.partition_key}:{p.fingerprint}", partition_key=p.partition_key)
            for p in changed
        ],
        dynamic_partitions_requests=[billing_periods.build_add_request([p.partition_key for p in changed])],
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[billing_line_items], jobs=[ingest_billing_job], sensors=[billing_export_sensor]
    )
