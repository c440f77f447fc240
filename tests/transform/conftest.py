"""The sample marts, built once per session and shared by the files that read them (test_marts.py,
test_report.py): tests/conftest.py sends those files to one xdist worker, so the build runs once."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.budgets import budgets as budgets_asset
from pipelines.defs.resources import dbt_resource
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.defs.transform.publish import marts_snapshot
from tests.transform import sample_warehouse

BUDGETS = Path(__file__).parents[1] / "fixtures" / "budgets" / "sample.yml"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """One warehouse for the session: sample raw data, budgets, every dbt model and the published copy."""

    root = tmp_path_factory.mktemp("marts")
    warehouse = root / "warehouse.duckdb"
    home = root / "dagster_home"
    home.mkdir()
    sample_warehouse.build(warehouse)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_PATH", str(warehouse))
        # dbt's artifacts and its saved partial parse here, not under dbt_project/target.
        mp.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("BUDGETS_FILE", str(BUDGETS))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.delenv("MARTS_READ_PATH", raising=False)
        mp.delenv("DBT_EXCLUDE_RESOURCE_TYPES", raising=False)
        mp.setenv("MLCOST_DBT_UNIT_TESTS", "true")  # every dbt unit test runs here
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [budgets_asset, mlcost_dbt_models, marts_snapshot],
                instance=instance,
                resources={
                    "warehouse": DuckDBResource(database=str(warehouse)),
                    "dbt": dbt_resource(),
                },
                raise_on_error=False,
            )
    return result, warehouse
