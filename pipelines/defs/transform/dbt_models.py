"""dbt models as Dagster assets: staging, intermediate and marts, with dbt tests as asset checks.

Every mart's materialization carries its row count and its columns with their DuckDB types, read
from the warehouse once dbt has finished with it, and the main marts add their key figures
(lib/mart_figures.py), numbers the asset's Plots tab charts build after build.
"""

import os
import signal
import subprocess
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.dbt_cli import MlcostDbtCliResource
from pipelines.defs.transform.project import dbt_project
from pipelines.lib import settings
from pipelines.lib.forecast import backtest_figures
from pipelines.lib.mart_figures import FIGURE_QUERIES, Markdown, column_types, mart_figures, row_counts
from pipelines.lib.processes import mark_subprocesses
from pipelines.lib.sagemaker.predictions import parse_flag
from pipelines.lib.warehouse import ensure_raw_tables, remove_spill_leftovers

BACKTEST_KEY = dg.AssetKey(["marts", "budget_forecast_backtest"])
FIGURE_KEYS = {dg.AssetKey(["marts", mart]): mart for mart in FIGURE_QUERIES}
# dagster-dbt puts dbt's node id and invocation id on every event; the asset's page names its model
# already (definition metadata), and the invocation id means nothing outside dbt's own logs.
DBT_INTERNAL_METADATA = ("unique_id", "invocation_id")
# dbt's node ids (`test.mlcost.<name>.<hash>`, `model.mlcost.<name>`) start with their resource type.
DBT_NODE_PREFIXES = ("model.", "test.", "seed.", "snapshot.", "unit_test.")
# How many unfinished models a failed build's one line names.
UNFINISHED_SHOWN = 20
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


# No `project=`: dagster-dbt would put the DbtProject object itself in every asset's definition
# metadata, which the UI can only show as "[DbtProject] (unserializable)". It is needed only for code
# references, which this project does not use; the manifest comes from the DbtProject all the same.
@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=MlcostTranslator(),
    pool="duckdb",
)
def mlcost_dbt_models(
    context: dg.AssetExecutionContext, dbt: MlcostDbtCliResource, warehouse: DuckDBResource
):
    """Runs `dbt build` on the selected models and streams models and tests as they finish (the marts'
    once dbt has ended, with their row counts, column types and key figures)."""
    # Every raw source table exists even when its ingest source is not configured (skipped).
    with warehouse.get_connection() as conn:
        ensure_raw_tables(conn)
        # Inside the pool with the warehouse open: nobody else can be using the spill folder.
        for path in remove_spill_leftovers(conn):
            context.log.info(f"removed {path}, left by a killed writer")
    # dbt outlives a killed parent and keeps the warehouse locked: crash recovery finds it by this mark.
    mark_subprocesses()
    held_keys = _marts_and_downstream(context.assets_def)
    # Models outside the marts stream out as dbt finishes them. The marts' results wait until dbt has
    # let go of the warehouse (DuckDB has one writer and no reader beside it), then go out in dbt's
    # order, which Dagster requires (a model before those built on it), with their row counts, column
    # types and figures read from the built warehouse. (dagster-dbt's fetch_row_counts() would hold
    # every model's events until dbt ends, and keep the file open in this process through dbt's adapter.)
    held: list = []
    finished: set[dg.AssetKey] = set()
    failure: Exception | None = None
    invocation = dbt.cli(build_args(), context=context)
    try:
        for event in invocation.stream():
            key = _asset_key(context, event)
            if isinstance(event, dg.Output) and key is not None:
                finished.add(key)
            if key in held_keys:
                held.append(event)
            else:
                yield _without_internals(event)
    except Exception as exc:  # dbt failed: what it built still materializes, then the step fails
        failure = exc
    # Whatever dagster-dbt made of it, a dbt that was stopped (a signal), failed, or did not report a
    # selected model fails the step: a half-built warehouse must never count as built.
    exit_code, stopped_here = _ended(invocation.process)
    unfinished = unfinished_build(
        exit_code,
        set(context.selected_asset_keys) - finished,
        stopped_because=stream_failure(failure) if stopped_here and failure is not None else None,
    )
    # The next build of this warehouse starts from the parse this one made (dbt_cli.py).
    dbt.keep_partial_parse(invocation, context.log)
    built = {i: _asset_key(context, e) for i, e in enumerate(held) if isinstance(e, dg.Output)}
    descriptions = {key: _described_columns(context.assets_def, key) for key in built.values()}
    try:
        extra = _warehouse_metadata(warehouse, built, descriptions)
    except Exception:
        if failure is None:
            raise
        extra = {}  # dbt's own failure is the one to report
    for i, event in enumerate(held):
        if i in extra:
            event = event.with_metadata({**event.metadata, **extra[i]})
        yield _without_internals(event)
    if unfinished is not None:
        raise dg.Failure(description=unfinished) from failure
    if failure is not None:
        raise failure


def _ended(process: subprocess.Popen) -> tuple[int, bool]:
    """dbt's exit code once its event stream has ended, and whether it was stopped here: a dbt still
    running then (the stream broke off) is stopped first, since nothing reads its output any more."""
    stopped_here = process.poll() is None
    if stopped_here:
        process.terminate()
    return process.wait(), stopped_here


def stream_failure(failure: Exception) -> str:
    """Why reading dbt's events broke off, for the build's one line. dagster-dbt raises KeyError with
    the node's id when dbt reports a model or test the loaded definitions lack: the dbt project
    changed after they were loaded (a new test or model in `dagster dev`, say)."""
    node = failure.args[0] if isinstance(failure, KeyError) and failure.args else None
    if isinstance(node, str) and node.startswith(DBT_NODE_PREFIXES):
        return (
            f"dbt reported {node}, which the loaded definitions do not have: the dbt project "
            "changed after they were loaded (reload the definitions, or run `mlcost refresh` again)"
        )
    return f"reading its events failed ({type(failure).__name__}: {failure})"


def unfinished_build(
    exit_code: int, missing: set[dg.AssetKey], stopped_because: str | None = None
) -> str | None:
    """One line saying how dbt ended and which selected models it did not finish; None when it
    exited 0 having reported every one. `stopped_because`: why this process stopped dbt itself."""
    if exit_code == 0 and not missing:
        return None
    if stopped_because is not None:
        how = f"was stopped by mlcost: {stopped_because}"
    elif exit_code < 0:
        how = f"was stopped by {signal.Signals(-exit_code).name} (exit code {exit_code})"
    elif exit_code > 0:
        how = f"failed (exit code {exit_code})"
    else:
        how = "exited 0 without reporting every selected model"
    names = sorted(".".join(key.path) for key in missing)
    shown = ", ".join(names[:UNFINISHED_SHOWN]) + (
        f" and {len(names) - UNFINISHED_SHOWN} more" if len(names) > UNFINISHED_SHOWN else ""
    )
    return f"dbt build {how}: " + (
        f"{len(names)} selected model(s) did not finish: {shown}"
        if names
        else "every selected model finished"
    )


def build_args() -> list[str]:
    """`dbt build` without dbt's unit tests unless MLCOST_DBT_UNIT_TESTS is true, or a
    DBT_EXCLUDE_RESOURCE_TYPES / DBT_RESOURCE_TYPES of the environment says what to build.

    Unit tests read only the rows they are given, never the warehouse: they prove the SQL, which does
    not change between builds, not the data (dbt's documentation advises running them in development
    and CI only). `make test` runs every one; the data tests run in every build. In a refresh they
    were a fixed cost of about a minute on this project's 2-core machine (docs/scale.md)."""
    unit_tests = parse_flag("MLCOST_DBT_UNIT_TESTS", settings.get("MLCOST_DBT_UNIT_TESTS"), default=False)
    if unit_tests or os.environ.get("DBT_EXCLUDE_RESOURCE_TYPES") or os.environ.get("DBT_RESOURCE_TYPES"):
        return ["build"]
    return ["build", "--exclude-resource-type", "unit_test"]


def _marts_and_downstream(assets_def: dg.AssetsDefinition) -> frozenset[dg.AssetKey]:
    """The marts and any model built on one (holding a mart, its dependents must wait too)."""
    held = {spec.key for spec in assets_def.specs if spec.group_name == "marts"}
    grew = True
    while grew:
        grew = False
        for spec in assets_def.specs:
            if spec.key not in held and any(dep.asset_key in held for dep in spec.deps):
                held.add(spec.key)
                grew = True
    return frozenset(held)


def _asset_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    return getattr(event, "asset_key", None)


def _described_columns(assets_def: dg.AssetsDefinition, key: dg.AssetKey) -> dict[str, str]:
    """Column descriptions from the model's YAML, as dagster-dbt put them in the definition."""
    schema = assets_def.specs_by_key[key].metadata.get("dagster/column_schema")
    schema = getattr(schema, "schema", schema)
    return {c.name: c.description for c in getattr(schema, "columns", []) if c.description}


def _warehouse_metadata(
    warehouse: DuckDBResource, built: dict[int, dg.AssetKey], descriptions: dict[dg.AssetKey, dict[str, str]]
) -> dict[int, dict[str, dg.MetadataValue]]:
    """Metadata read from the warehouse once dbt has let go of it, per held Output: the table's row
    count, its columns with their DuckDB types (dbt's adapter would call every VARCHAR `character
    varying(256)`) and their descriptions, and the key figures of the main marts and the forecast backtest."""
    if not built:
        return {}
    relations = {i: ".".join(key.path) for i, key in built.items()}
    keys = set(built.values())
    with warehouse.get_connection() as conn:
        counts = row_counts(conn, relations.values())
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
    for i, key in built.items():
        metadata = {name: metadata_value(value) for name, value in figures.get(key, {}).items()}
        relation = relations[i]
        if relation in counts:
            metadata["dagster/row_count"] = dg.MetadataValue.int(counts[relation])
        if relation in columns:
            schema = dg.TableSchema(
                columns=[
                    dg.TableColumn(name, data_type, description=descriptions[key].get(name))
                    for name, data_type in columns[relation]
                ]
            )
            metadata["dagster/column_schema"] = dg.MetadataValue.table_schema(schema)
        extra[i] = metadata
    return extra
