"""A read-only copy of the marts, swapped in atomically after each build so queries never wait for a refresh."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.lib import published

MART_KEYS = [spec.key for spec in mlcost_dbt_models.specs if spec.group_name == "marts"]


@dg.asset(
    key=["published", "marts_snapshot"],
    deps=MART_KEYS,
    group_name="published",
    kinds={"duckdb"},
    pool="duckdb",
)
def marts_snapshot(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """A file holding a copy of every table in schema marts (MARTS_READ_PATH, default <warehouse>.read.duckdb)."""
    target = published.read_copy_path()
    with warehouse.get_connection() as conn:
        counts = published.publish(conn, target)
    context.log.info(f"published {len(counts)} mart tables to {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "table_count": dg.MetadataValue.int(len(counts)),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
