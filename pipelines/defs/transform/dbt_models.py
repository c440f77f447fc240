"""dbt models as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks.

Every model's materialization carries its row count (dagster-dbt counts through dbt's adapter once
dbt has finished and let go of the warehouse) and its columns with their DuckDB types, and the main
marts add their key figures (lib/mart_figures.py), numbers the asset's Plots tab charts over builds.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.project import dbt_project
from pipelines.lib.forecast import backtest_figures
from pipelines.lib.mart_figures import FIGURE_QUERIES, Markdown, column_types, mart_figures
from pipelines.lib.processes import mark_subprocesses
from pipelines.lib.warehouse import ensure_raw_tables, remove_spill_leftovers

BACKTEST_KEY = dg.AssetKey(["marts", "budget_forecast_backtest"])
FIGURE_KEYS = {dg.AssetKey(["marts", mart]): mart for mart in FIGURE_QUERIES}
# dagster-dbt puts dbt's node id and invocation id on every event; the asset's page names its model
# already (definition metadata), and the invocation id means nothing outside dbt's own logs.
DBT_INTERNAL_METADATA = ("unique_id", "invocation_id")
EVENTS_WITH_METADATA = (dg.Output, dg.AssetMaterialization, dg.AssetObservation, dg.AssetCheckResult)


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


def metadata_value(value: object) -> dg.MetadataValue:
    """A figure from lib as the MetadataValue the UI shows (numbers stay numbers, so they are charted)."""
    if isinstance(value, Markdown):
        return dg.MetadataValue.md(value)
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    return dg.MetadataValue.text(str(value))


def _without_internals(event):
    if isinstance(event, EVENTS_WITH_METADATA) and any(k in event.metadata for k in DBT_INTERNAL_METADATA):
        return event.with_metadata(
            {k: v for k, v in event.metadata.items() if k not in DBT_INTERNAL_METADATA}
        )
    return event


def release_dbt_adapter(adapter) -> None:
    """Close the warehouse as dbt's adapter in this process holds it (read-only, for the row counts).
    dbt-duckdb keeps its database open for the life of the process (`keep_open`, its
    default), and DuckDB refuses this process any other connection to the file meanwhile: the figures
    below, and the publish step when a run executes in one process (`mlcost refresh`)."""
    if adapter is None:
        return
    adapter.cleanup_connections()
    # Drops the adapter's DuckDB environment, whose connection is the last reference to the database.
    adapter.connections.close_all_connections()


# No `project=`: dagster-dbt would put the DbtProject object itself in every asset's definition
# metadata, which the UI can only show as "[DbtProject] (unserializable)". It is needed only for code
# references, which this project does not use; the manifest comes from the DbtProject all the same.
@dbt_assets(
    manifest=dbt_project.manifest_path,
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
    invocation = dbt.cli(["build"], context=context)
    # With DuckDB, dagster-dbt lets dbt finish (and release the file) before it counts rows through
    # dbt's adapter, so holding the events until the warehouse's own figures are attached delays
    # nothing. They go out in dbt's order, which Dagster requires (a model before those built on it).
    events: list = []
    failure: Exception | None = None
    try:
        for event in invocation.stream().fetch_row_counts():
            events.append(event)
    except Exception as exc:  # dbt failed: what it built still materializes, then the step fails
        failure = exc
    finally:
        release_dbt_adapter(invocation.adapter)
    built = {
        i: (
            context.asset_key_for_output(event.output_name),
            invocation.manifest["nodes"][event.metadata["unique_id"].text],
        )
        for i, event in enumerate(events)
        if isinstance(event, dg.Output) and "unique_id" in event.metadata
    }
    extra = _warehouse_metadata(warehouse, built)
    for i, event in enumerate(events):
        if i in extra:
            event = event.with_metadata({**event.metadata, **extra[i]})
        yield _without_internals(event)
    if failure is not None:
        raise failure


def _warehouse_metadata(
    warehouse: DuckDBResource, built: dict[int, tuple[dg.AssetKey, Mapping[str, Any]]]
) -> dict[int, dict[str, dg.MetadataValue]]:
    """Metadata read from the warehouse once dbt's adapter let go of it, per event: each model's
    columns with their DuckDB types (and the descriptions from its YAML), and the key figures of the
    main marts and the forecast backtest."""
    if not built:
        return {}
    relations = {i: f"{node['schema']}.{node['alias']}" for i, (_, node) in built.items()}
    keys = {key for key, _ in built.values()}
    with warehouse.get_connection() as conn:
        columns = column_types(conn, relations.values())
        figures = {
            dg.AssetKey(["marts", mart]): values
            for mart, values in mart_figures(conn, [m for k, m in FIGURE_KEYS.items() if k in keys]).items()
        }
        if BACKTEST_KEY in keys:
            backtest = backtest_figures(conn)
            backtest["error_by_days_of_data"] = Markdown(str(backtest["error_by_days_of_data"]))
            figures[BACKTEST_KEY] = backtest
    extra: dict[int, dict[str, dg.MetadataValue]] = {}
    for i, (key, node) in built.items():
        metadata = {name: metadata_value(value) for name, value in figures.get(key, {}).items()}
        if relations[i] in columns:
            described = node.get("columns", {})
            schema = dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name, data_type, description=described.get(name, {}).get("description") or None
                    )
                    for name, data_type in columns[relations[i]]
                ]
            )
            metadata["dagster/column_schema"] = dg.MetadataValue.table_schema(schema)
        extra[i] = metadata
    return extra
