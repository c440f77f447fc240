"""The owners file (OWNERS_FILE) as the raw/owner_rules asset, so cost_attribution sources it from the warehouse."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import write_tables_to_lake
from pipelines.lib import owners as owners_file
from pipelines.lib import settings
from pipelines.lib.warehouse import replace_config_rows


@dg.asset(key=["raw", "owner_rules"], group_name="ingest", kinds={"duckdb", "yaml"}, pool="duckdb")
def owner_rules(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """One row per owner rule in OWNERS_FILE, validated first and replaced as a whole on every load."""
    path = Path(settings.get("OWNERS_FILE")).expanduser().resolve()
    try:
        loaded = owners_file.load(path)
    except owners_file.OwnersFileError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    rows = [
        {
            "account_id": rule.account,
            "service_code": rule.service,
            "region": rule.region,
            "team": rule.team,
            "project": rule.project,
            "environment": rule.environment,
            "model_name": rule.model,
            "source_file": str(path),
            "source_line": rule.line,
        }
        for rule in loaded
    ]
    with warehouse.get_connection() as conn:
        replace_config_rows(conn, "ingest/delete_owner_rules", "ingest/insert_owner_rule", rows)
        write_tables_to_lake(context, conn, ["owner_rules"])
    context.log.info(f"loaded {len(loaded)} owner rules from {path}")
    return dg.MaterializeResult(
        metadata={
            "row_count": dg.MetadataValue.int(len(loaded)),
            "owners_file": dg.MetadataValue.path(str(path)),
            "accounts": dg.MetadataValue.json(sorted({r.account for r in loaded})),
        }
    )
