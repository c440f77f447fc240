"""The model-level tests that check many columns in one node (dbt_project/macros/mlcost_not_null.sql,
mlcost_accepted_values.sql): every column a model's YAML names is checked in one scan, and a failure
names each column (and value) at fault and how many rows. The test SQL is dbt's own compilation, run
on a DuckDB file holding the model's relation."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.resources import dbt_resource

# (test, model, the schema and columns of the model's relation as the tests create it)
NOT_NULL = (
    "mlcost_not_null",
    "stg_budgets__budgets",
    "staging",
    "budget_name varchar, budget_amount decimal(38, 10), billing_currency varchar,"
    " actual_thresholds double[], forecast_thresholds double[], extra varchar",
)
ACCEPTED = (
    "mlcost_accepted_values",
    "budget_projection",
    "marts",
    "cost_basis varchar, days_in_period integer, status varchar",
)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, tuple[str, dict]]:
    """Each test in NOT_NULL and ACCEPTED as dbt compiles it, with its arguments, by test name."""
    target = tmp_path_factory.mktemp("dbt_target")
    selectors = [f"test_name:{test},{model}" for test, model, _, _ in (NOT_NULL, ACCEPTED)]
    with pytest.MonkeyPatch.context() as mp:
        # dbt names the relation's catalog after the warehouse file (the tests' files share its name).
        mp.setenv("WAREHOUSE_PATH", str(target / "warehouse.duckdb"))
        invocation = (
            dbt_resource().cli(["compile", "--select", " ".join(selectors)], target_path=target).wait()
        )
    assert invocation.is_successful()
    manifest = json.loads((target / "manifest.json").read_text())
    found = {}
    for test, model, _, _ in (NOT_NULL, ACCEPTED):
        [node] = [
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == "test"
            and node.get("test_metadata", {}).get("name") == test
            and node["attached_node"].endswith(f".{model}")
        ]
        sql = Path(target, "compiled", "mlcost", node["original_file_path"], node["path"]).read_text()
        found[test] = sql, node["test_metadata"]["kwargs"]
    return found


def _failures(warehouse: Path, sql: str, relation: tuple, rows: list[tuple]) -> list[tuple]:
    """The test's failing rows over the relation (a NOT_NULL or ACCEPTED tuple) holding `rows`."""
    _, model, schema, columns = relation
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(f"create schema {schema}")
        conn.execute(f"create table {schema}.{model} ({columns})")
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"insert into {schema}.{model} values ({marks})", rows)  # noqa: S608
        return sorted(conn.execute(sql).fetchall())


def test_not_null_checks_every_named_column_in_one_query(compiled):
    sql, kwargs = compiled["mlcost_not_null"]
    assert kwargs["column_names"] == [
        "budget_name",
        "budget_amount",
        "billing_currency",
        "actual_thresholds",
        "forecast_thresholds",
    ]
    assert sql.lower().count('from "warehouse"."staging"."stg_budgets__budgets"') == 1


def test_a_not_null_failure_names_each_column_with_nulls_and_counts_its_rows(compiled, tmp_path):
    sql, _ = compiled["mlcost_not_null"]
    rows = [
        ("a", 1, "USD", [50.0], [100.0], None),  # a null outside the named columns is not checked
        ("b", None, None, [50.0], [100.0], "x"),
        (None, 3, None, [50.0], [100.0], "x"),
    ]
    assert _failures(tmp_path / "warehouse.duckdb", sql, NOT_NULL, rows) == [
        ("billing_currency", 2),
        ("budget_amount", 1),
        ("budget_name", 1),
    ]


@pytest.mark.parametrize("rows", [[], [("a", 1, "USD", [50.0], [100.0], None)]], ids=["empty", "complete"])
def test_not_null_passes_on_a_model_without_nulls(compiled, tmp_path, rows):
    sql, _ = compiled["mlcost_not_null"]
    assert _failures(tmp_path / "warehouse.duckdb", sql, NOT_NULL, rows) == []


def test_accepted_values_checks_every_named_column_in_one_query(compiled):
    sql, kwargs = compiled["mlcost_accepted_values"]
    assert kwargs["values_by_column"] == {
        "cost_basis": ["effective", "billed"],
        "days_in_period": [28, 29, 30, 31],
        "status": ["ok", "warning", "critical"],
    }
    assert sql.lower().count('from "warehouse"."marts"."budget_projection"') == 1


def test_an_accepted_values_failure_names_each_column_and_value_and_counts_its_rows(compiled, tmp_path):
    sql, _ = compiled["mlcost_accepted_values"]
    rows = [
        ("effective", 31, "ok"),
        ("billed", 27, "ok"),  # an integer column's values are compared as numbers
        ("amortized", 27, "Warning"),  # a string's case counts
        ("amortized", 30, None),  # nulls pass
    ]
    assert _failures(tmp_path / "warehouse.duckdb", sql, ACCEPTED, rows) == [
        ("cost_basis", "amortized", 2),
        ("days_in_period", "27", 2),
        ("status", "Warning", 1),
    ]


@pytest.mark.parametrize(
    "rows",
    [[], [("effective", 28, "ok"), ("billed", 31, "critical"), (None, None, None)]],
    ids=["empty", "accepted"],
)
def test_accepted_values_passes_on_a_model_with_only_accepted_values(compiled, tmp_path, rows):
    sql, _ = compiled["mlcost_accepted_values"]
    assert _failures(tmp_path / "warehouse.duckdb", sql, ACCEPTED, rows) == []
