"""The model-level not-null test (dbt_project/macros/mlcost_not_null.sql): every column a model's
YAML names is checked in one query, and a failure names each column with nulls and how many rows.
The test SQL is dbt's own compilation, run on a DuckDB file holding the model's relation."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.resources import dbt_resource

MODEL = "stg_budgets__budgets"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> tuple[str, list[str]]:
    """The compiled mlcost_not_null test of MODEL and the columns it checks."""
    target = tmp_path_factory.mktemp("dbt_target")
    with pytest.MonkeyPatch.context() as mp:
        # dbt names the relation's catalog after the warehouse file (the tests' files share its name).
        mp.setenv("WAREHOUSE_PATH", str(target / "warehouse.duckdb"))
        invocation = (
            dbt_resource()
            .cli(["compile", "--select", f"test_name:mlcost_not_null,{MODEL}"], target_path=target)
            .wait()
        )
    assert invocation.is_successful()
    manifest = json.loads((target / "manifest.json").read_text())
    [test] = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node.get("test_metadata", {}).get("name") == "mlcost_not_null"
        and node["attached_node"].endswith(f".{MODEL}")
    ]
    sql = Path(target, "compiled", "mlcost", test["original_file_path"], test["path"]).read_text()
    return sql, test["test_metadata"]["kwargs"]["column_names"]


def _failures(warehouse: Path, sql: str, rows: list[tuple]) -> list[tuple]:
    """The test's failing rows over MODEL's relation holding `rows` (in the columns' order)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema staging")
        conn.execute(
            f"create table staging.{MODEL} (budget_name varchar, budget_amount decimal(38, 10), "  # noqa: S608
            "billing_currency varchar, actual_thresholds double[], forecast_thresholds double[], extra varchar)"
        )
        if rows:
            conn.executemany(f"insert into staging.{MODEL} values (?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
        return sorted(conn.execute(sql).fetchall())


def test_checks_every_named_column_in_one_query(compiled):
    sql, columns = compiled
    assert columns == [
        "budget_name",
        "budget_amount",
        "billing_currency",
        "actual_thresholds",
        "forecast_thresholds",
    ]
    assert sql.lower().count(f'from "warehouse"."staging"."{MODEL}"') == 1


def test_a_failure_names_each_column_with_nulls_and_counts_its_rows(compiled, tmp_path):
    sql, _ = compiled
    rows = [
        ("a", 1, "USD", [50.0], [100.0], None),  # a null outside the named columns is not checked
        ("b", None, None, [50.0], [100.0], "x"),
        (None, 3, None, [50.0], [100.0], "x"),
    ]
    assert _failures(tmp_path / "warehouse.duckdb", sql, rows) == [
        ("billing_currency", 2),
        ("budget_amount", 1),
        ("budget_name", 1),
    ]


@pytest.mark.parametrize("rows", [[], [("a", 1, "USD", [50.0], [100.0], None)]], ids=["empty", "complete"])
def test_passes_on_a_model_without_nulls(compiled, tmp_path, rows):
    sql, _ = compiled
    assert _failures(tmp_path / "warehouse.duckdb", sql, rows) == []
