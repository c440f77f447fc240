"""Resources shared by every asset: the DuckDB warehouse and the dbt CLI."""

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.project import dbt_project


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": DuckDBResource(database=dg.EnvVar("WAREHOUSE_PATH")),
            "dbt": DbtCliResource(project_dir=dbt_project),
        }
    )
