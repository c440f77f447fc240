"""dbt models as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.project import dbt_project
from pipelines.lib.forecast import backtest_figures
from pipelines.lib.processes import mark_subprocesses
from pipelines.lib.warehouse import ensure_raw_tables, remove_spill_leftovers

BACKTEST_KEY = dg.AssetKey(["marts", "budget_forecast_backtest"])


class MlcostTranslator(DagsterDbtTranslator):
    """Groups each model by its top folder (staging, intermediate, marts); seeds (the tag key
    aliases users edit) sit with staging, which reads them."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        if dbt_resource_props.get("resource_type") == "seed":
            return "staging"
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=MlcostTranslator(),
    pool="duckdb",
)
def mlcost_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
    """Runs `dbt build` on the selected models and streams models and tests as they finish."""
    # Every raw source table exists even when its ingest source is not configured (skipped).
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        # Inside the pool with the warehouse open: nobody else can be using the spill folder.
        for path in remove_spill_leftovers(conn):
            context.log.info(f"removed {path}, left by a killed writer")
    # dbt outlives a killed parent and keeps the warehouse locked: crash recovery finds it by this mark.
    mark_subprocesses()
    backtest_output = None
    for event in dbt.cli(["build"], context=context).stream():
        # The backtest's figures are read once dbt has let go of the warehouse.
        if isinstance(event, dg.Output) and context.asset_key_for_output(event.output_name) == BACKTEST_KEY:
            backtest_output = event
            continue
        yield event
    if backtest_output is not None:
        with warehouse.get_connection() as conn:
            figures = backtest_figures(conn)
        figures["error_by_days_of_data"] = dg.MetadataValue.md(str(figures["error_by_days_of_data"]))
        yield backtest_output.with_metadata({**backtest_output.metadata, **figures})
