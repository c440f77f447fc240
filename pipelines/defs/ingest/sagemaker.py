"""SageMaker metadata: training, processing and transform jobs, models, endpoints and notebooks.

One multi-asset reads every account (AWS_ROLE_ARNS) and region (SAGEMAKER_REGIONS) incrementally and
upserts seven raw tables by ARN. All API calls happen first; the warehouse is opened only for the
write. Account/region pairs that succeeded are written in one transaction; any that failed are then
named in the error that fails the run, and their stored rows stay as they were.
"""

from collections import defaultdict
from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib import aws, sql
from pipelines.lib.sagemaker import fetch, parse
from pipelines.lib.warehouse import ensure_raw_tables

RESOURCE_TABLES = [
    "sagemaker_training_jobs",
    "sagemaker_processing_jobs",
    "sagemaker_transform_jobs",
    "sagemaker_models",
    "sagemaker_endpoints",
    "sagemaker_notebook_instances",
]
ALL_TABLES = [*RESOURCE_TABLES, "sagemaker_endpoint_variants"]

DESCRIPTIONS = {
    "sagemaker_training_jobs": "One row per SageMaker training job, upserted by ARN.",
    "sagemaker_processing_jobs": "One row per SageMaker processing job, upserted by ARN.",
    "sagemaker_transform_jobs": "One row per SageMaker batch transform job, upserted by ARN.",
    "sagemaker_models": "One row per SageMaker model, upserted by ARN.",
    "sagemaker_endpoints": "One row per SageMaker endpoint ever seen, upserted by ARN; deleted ones flagged is_deleted.",
    "sagemaker_notebook_instances": "One row per SageMaker notebook instance, upserted by ARN.",
    "sagemaker_endpoint_variants": "One row per SageMaker endpoint, production variant and model.",
}


class SageMakerIngestConfig(dg.Config):
    full_refresh: bool = False
    """List everything and describe every item again, ignoring the stored high-water marks (picks up
    tag changes, which do not move an item's last-modified time)."""


def _read_known(conn) -> dict[tuple[str, str], dict[str, dict[str, datetime | None]]]:
    """(account, region) -> table -> ARN -> stored last-modified/creation time."""
    known: dict[tuple[str, str], dict[str, dict[str, datetime | None]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for table in RESOURCE_TABLES:
        kind = fetch.KINDS[table]
        query = sql.load("ingest/select_sagemaker_known").format(
            table=sql.quote_ident(table),
            arn_column=sql.quote_ident(kind.arn_column),
            modified_column=sql.quote_ident(kind.modified_column),
        )
        for account_id, region, arn, modified_at in conn.execute(query).fetchall():
            known[(account_id, region)][table][arn] = modified_at
    return known


def write_results(conn, results: list[fetch.ScopeResult], fetched_at: datetime) -> dict[str, int]:
    """Upsert every successful account/region in one transaction; returns rows written per table."""
    written: dict[str, int] = {}
    conn.execute("begin transaction")
    try:
        for table in RESOURCE_TABLES:
            # One row per ARN even if an item was listed twice (it changed between two pages, or
            # two roles in AWS_ROLE_ARNS lead into the same account): the last description wins.
            arn_column = fetch.KINDS[table].arn_column
            rows = list({row[arn_column]: row for r in results for row in r.rows.get(table, [])}.values())
            written[table] = len(rows)
            if not rows:
                continue
            conn.register("incoming", parse.to_arrow(table, rows))
            conn.execute(sql.load("ingest/upsert_sagemaker_table").format(table=sql.quote_ident(table)))
            conn.unregister("incoming")

        endpoint_rows = [row for r in results for row in r.rows.get("sagemaker_endpoints", [])]
        variant_rows = list(
            {
                (row["endpoint_arn"], row["variant_name"], row["model_name"]): row
                for r in results
                for row in r.rows.get("sagemaker_endpoint_variants", [])
            }.values()
        )
        written["sagemaker_endpoint_variants"] = len(variant_rows)
        conn.register("incoming_endpoints", parse.to_arrow("sagemaker_endpoints", endpoint_rows))
        conn.register("incoming_variants", parse.to_arrow("sagemaker_endpoint_variants", variant_rows))
        conn.execute(sql.load("ingest/delete_sagemaker_endpoint_variants"))
        conn.execute(sql.load("ingest/insert_sagemaker_endpoint_variants"))

        scopes = [r for r in results if "sagemaker_endpoints" in r.rows]
        conn.register(
            "listed_scopes",
            _arrow({"account_id": [r.account_id for r in scopes], "region": [r.region for r in scopes]}),
        )
        conn.register(
            "listed_endpoints",
            _arrow({"endpoint_arn": [arn for r in scopes for arn in r.listed_endpoint_arns]}),
        )
        conn.execute(sql.load("ingest/unmark_sagemaker_endpoints_listed"))
        conn.execute(sql.load("ingest/mark_sagemaker_endpoints_deleted"), {"fetched_at": fetched_at})
        for name in ("incoming_endpoints", "incoming_variants", "listed_scopes", "listed_endpoints"):
            conn.unregister(name)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return written


def _arrow(columns: dict[str, list]):
    import pyarrow as pa

    return pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})


def _table_counts(conn) -> dict[str, int]:
    query = sql.load("ingest/count_sagemaker_rows")
    return {t: conn.execute(query.format(table=sql.quote_ident(t))).fetchone()[0] for t in ALL_TABLES}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key=["raw", table],
            description=DESCRIPTIONS[table],
            group_name="ingest",
            kinds={"duckdb", "sagemaker"},
        )
        for table in ALL_TABLES
    ],
    pool="duckdb",
)
def sagemaker_metadata(
    context: dg.AssetExecutionContext, config: SageMakerIngestConfig, warehouse: DuckDBResource
):
    """One row per SageMaker job, model, endpoint (and variant) and notebook, from every configured account and region."""
    regions = aws.sagemaker_regions()
    if not regions:
        context.log.info("SAGEMAKER_REGIONS is not set: SageMaker metadata skipped, empty tables created.")
        with warehouse.get_connection() as conn:
            ensure_raw_tables(conn)
            counts = _table_counts(conn)
        for table in ALL_TABLES:
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={"skipped": True, "rows_written": 0, "row_count": counts[table]},
            )
        return

    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        known = _read_known(conn)

    fetched_at = datetime.now(UTC).replace(tzinfo=None)
    results: list[fetch.ScopeResult] = []
    failures: list[str] = []
    for account in aws.accounts_or_failures(failures):
        for region in regions:
            scope = f"{account.label} region {region}"
            try:
                client = account.client("sagemaker", region)
                result = fetch.fetch_scope(
                    client,
                    account.account_id,
                    region,
                    known.get((account.account_id, region), {}),
                    fetched_at,
                    RESOURCE_TABLES,
                    full_refresh=config.full_refresh,
                )
            except Exception as exc:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{scope}: {aws.describe_error(exc)}")
                context.log.error(f"SageMaker ingest failed for {scope}: {aws.describe_error(exc)}")
                continue
            context.log.info(f"{scope}: listed {result.listed}, described {result.described}")
            results.append(result)

    with warehouse.get_connection() as conn:
        written = write_results(conn, results, fetched_at)
        counts = _table_counts(conn)

    if failures:
        raise dg.Failure(
            description="SageMaker ingest failed for " + "; ".join(failures),
            metadata={"failed": dg.MetadataValue.text("\n".join(failures))},
        )
    for table in ALL_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            metadata={
                "rows_written": written.get(table, 0),
                "row_count": counts[table],
                "regions": ", ".join(regions),
                "accounts": ", ".join(sorted({r.account_id for r in results})),
            },
        )


ingest_sagemaker = dg.define_asset_job(
    "ingest_sagemaker",
    selection=dg.AssetSelection.assets(*[dg.AssetKey(["raw", t]) for t in ALL_TABLES]),
    description="Incremental SageMaker metadata ingest from every account in AWS_ROLE_ARNS and region in SAGEMAKER_REGIONS.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[sagemaker_metadata], jobs=[ingest_sagemaker])
