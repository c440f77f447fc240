"""Resources shared by every asset: the DuckDB warehouse and the dbt CLI."""

import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipelines.defs.transform.project import dbt_project


def dbt_executable() -> str:
    """dbt from PATH, else the one installed beside this Python (an un-activated venv)."""
    return shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": DuckDBResource(database=dg.EnvVar("WAREHOUSE_PATH")),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        }
    )
