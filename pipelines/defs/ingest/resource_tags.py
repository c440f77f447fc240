"""Resource tags: the tags every resource carries now, from the Resource Groups Tagging API.

Read from every account (AWS_ROLE_ARNS) and region (SAGEMAKER_REGIONS) as the SageMakerSource
resource says, in the ingest_sagemaker job. All API calls happen first; account/region pairs that
succeeded replace their stored rows in one transaction; any that failed are then named in the error
that fails the run, and their stored rows stay as they were.
"""

from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import write_tables_to_lake
from pipelines.defs.resources import SageMakerSource
from pipelines.lib import aws, resource_tags
from pipelines.lib.warehouse import ensure_raw_tables


@dg.asset(
    key=["raw", "resource_tags"],
    group_name="ingest",
    kinds={"duckdb", "aws"},
    pool="duckdb",
)
def raw_resource_tags(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource, sagemaker: SageMakerSource
):
    """One row per tagged resource (EC2, EBS, S3, EFS, SageMaker Studio domains, user profiles,
    spaces, ...) per account and region, with its current tags (tag:GetResources)."""
    regions = sagemaker.region_list
    if not regions:
        context.log.info("SAGEMAKER_REGIONS is not set: resource tags skipped, empty table created.")
        with warehouse.get_connection() as conn:
            ensure_raw_tables(conn)
            write_tables_to_lake(context, conn, ["resource_tags"])
            return dg.MaterializeResult(
                metadata={"skipped": True, "rows_written": 0, "row_count": resource_tags.count(conn)}
            )

    fetched_at = datetime.now(UTC).replace(tzinfo=None)
    failures: list[str] = []
    scopes, failed = aws.call_each_scope(
        sagemaker.accounts(failures),
        regions,
        "resourcegroupstaggingapi",
        lambda client, account, region: resource_tags.fetch_scope(
            client, account.account_id, region, fetched_at
        ),
        lambda failure: context.log.error(f"Resource tags failed for {failure}"),
    )
    failures += failed
    for scope in scopes:
        context.log.info(
            f"account {scope.account_id} region {scope.region}: {len(scope.rows)} tagged resources"
        )

    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        written = resource_tags.write_scopes(conn, scopes) if scopes else 0
        row_count = resource_tags.count(conn)
        write_tables_to_lake(context, conn, ["resource_tags"])

    if failures:
        raise dg.Failure(
            description="Resource tags failed for " + "; ".join(failures),
            metadata={"failed": dg.MetadataValue.text("\n".join(failures))},
        )
    return dg.MaterializeResult(
        metadata={
            "rows_written": written,
            "row_count": row_count,
            "regions": ", ".join(regions),
            "accounts": ", ".join(sorted({s.account_id for s in scopes})),
        }
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[raw_resource_tags])
