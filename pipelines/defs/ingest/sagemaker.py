"""SageMaker metadata: training, processing and transform jobs, models, endpoints, inference
components and notebooks.

One multi-asset reads every account (AWS_ROLE_ARNS) and region (SAGEMAKER_REGIONS), as the
SageMakerSource resource says, incrementally and upserts eight raw tables by ARN
(pipelines/lib/sagemaker/write.py). All API calls happen first; the warehouse is opened only for the
write. Account/region pairs that succeeded are written in one transaction; any that failed are then
named in the error that fails the run, and their stored rows stay as they were.
"""

from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import write_tables_to_lake
from pipelines.defs.resources import SageMakerSource
from pipelines.lib import aws
from pipelines.lib.sagemaker import fetch
from pipelines.lib.sagemaker.write import (
    ALL_TABLES,
    RESOURCE_TABLES,
    read_known,
    table_counts,
    write_results,
)
from pipelines.lib.warehouse import ensure_raw_tables

DESCRIPTIONS = {
    "sagemaker_training_jobs": "One row per SageMaker training job, upserted by ARN.",
    "sagemaker_processing_jobs": "One row per SageMaker processing job, upserted by ARN.",
    "sagemaker_transform_jobs": "One row per SageMaker batch transform job, upserted by ARN.",
    "sagemaker_models": "One row per SageMaker model, upserted by ARN.",
    "sagemaker_endpoints": "One row per SageMaker endpoint ever seen, upserted by ARN; deleted ones flagged is_deleted.",
    "sagemaker_notebook_instances": "One row per SageMaker notebook instance, upserted by ARN.",
    "sagemaker_endpoint_variants": "One row per SageMaker endpoint, production variant and model.",
    "sagemaker_inference_components": "One row per SageMaker inference component ever seen (model, copies, "
    "compute each copy reserves), upserted by ARN; deleted ones flagged is_deleted.",
}


class SageMakerIngestConfig(dg.Config):
    full_refresh: bool = False
    """List everything and describe every item again, ignoring the stored high-water marks (picks up
    tag changes, which do not move an item's last-modified time)."""


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
    context: dg.AssetExecutionContext,
    config: SageMakerIngestConfig,
    warehouse: DuckDBResource,
    sagemaker: SageMakerSource,
):
    """One row per SageMaker job, model, endpoint (and variant), inference component and notebook, from every configured account and region."""
    regions = sagemaker.region_list
    if not regions:
        context.log.info("SAGEMAKER_REGIONS is not set: SageMaker metadata skipped, empty tables created.")
        with warehouse.get_connection() as conn:
            ensure_raw_tables(conn)
            counts = table_counts(conn)
            write_tables_to_lake(context, conn, ALL_TABLES)
        for table in ALL_TABLES:
            yield dg.MaterializeResult(
                asset_key=["raw", table],
                metadata={"skipped": True, "rows_written": 0, "row_count": counts[table]},
            )
        return

    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        known = read_known(conn)

    fetched_at = datetime.now(UTC).replace(tzinfo=None)
    failures: list[str] = []
    results, failed = aws.call_each_scope(
        sagemaker.accounts(failures),
        regions,
        "sagemaker",
        lambda client, account, region: fetch.fetch_scope(
            client,
            account.account_id,
            region,
            known.get((account.account_id, region), {}),
            fetched_at,
            RESOURCE_TABLES,
            full_refresh=config.full_refresh,
        ),
        lambda failure: context.log.error(f"SageMaker ingest failed for {failure}"),
    )
    failures += failed
    for result in results:
        context.log.info(
            f"account {result.account_id} region {result.region}: listed {result.listed}, described {result.described}"
        )

    with warehouse.get_connection() as conn:
        written = write_results(conn, results, fetched_at)
        counts = table_counts(conn)
        write_tables_to_lake(context, conn, ALL_TABLES)

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
    selection=dg.AssetSelection.assets(
        *[dg.AssetKey(["raw", t]) for t in ALL_TABLES], ["raw", "resource_tags"]
    ),
    description="Incremental SageMaker metadata, and every resource's current tags (defs/ingest/resource_tags.py), "
    "from every account in AWS_ROLE_ARNS and region in SAGEMAKER_REGIONS.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[sagemaker_metadata], jobs=[ingest_sagemaker])
