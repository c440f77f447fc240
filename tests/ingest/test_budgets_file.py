"""The budgets file: what users write, what is rejected (with the line and the reason), what loads."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.budgets import budgets as budgets_asset
from pipelines.lib import budgets
from pipelines.lib.settings import REPO_ROOT

FIXTURES = Path(__file__).parents[1] / "fixtures" / "budgets"


def test_invalid_budgets_file_names_each_line_and_reason():
    with pytest.raises(budgets.BudgetsFileError) as raised:
        budgets.load(FIXTURES / "invalid.yml")
    problems = dict(raised.value.problems)
    assert "duplicate name 'total'" in problems[5]
    assert "first used on line 2" in problems[5]
    assert "unknown scope 'modle'" in problems[9]
    assert "missing amount" in problems[12]
    assert "negative amount -5" in problems[18]
    assert len(problems) == 4
    assert f"{FIXTURES / 'invalid.yml'}:9: budget 'typo': unknown scope" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("budgets:\n  - name: a\n    scope: total\n    amount: ten\n", 4, "is not a number"),
        ("budgets:\n  - name: a\n    scope: team\n    amount: 5\n", 2, "needs a value"),
        (
            "budgets:\n  - name: a\n    scope: total\n    amount: 5\n    cost_basis: list\n",
            5,
            "unknown cost_basis",
        ),
        (
            "budgets:\n  - name: a\n    scope: total\n    amount: 5\n    colour: red\n",
            5,
            "unknown key 'colour'",
        ),
        (
            "budgets:\n  - name: a\n    scope: total\n    amount: 5\n    actual_thresholds: [80, -1]\n",
            5,
            "positive",
        ),
        (
            "budgets:\n  - name: a\n    scope: category\n    value: gpus\n    amount: 5\n",
            4,
            "unknown category",
        ),
        ("budgets:\n  - name: a\n    scope: [total\n", 4, "not valid YAML"),
        (
            "budgets:\n  - name: a\n    scope: total\n    amount: 5\n    currency: dollars\n",
            5,
            "currency 'dollars' is not a 3-letter ISO 4217 code",
        ),
    ],
)
def test_each_malformed_budget_is_reported_with_its_line(text, line, reason):
    with pytest.raises(budgets.BudgetsFileError) as raised:
        budgets.parse(text, "b.yml")
    assert any(found == line and reason in message for found, message in raised.value.problems), raised.value


def test_every_category_the_marts_classify_can_be_budgeted():
    for category in budgets.CATEGORIES:
        [parsed] = budgets.parse(
            f"budgets:\n  - name: a\n    scope: category\n    value: {category}\n    amount: 5\n"
        )
        assert parsed.value == category
    assert {"genai", "ai_services"} <= set(budgets.CATEGORIES)


def test_defaults_and_tag_scopes_parse():
    parsed = budgets.load(FIXTURES / "sample.yml")
    by_name = {b.name: b for b in parsed}
    assert by_name["everything"].cost_basis == "effective"
    assert by_name["everything"].actual_thresholds == (80.0, 100.0)
    assert by_name["everything"].forecast_thresholds == (100.0,)
    assert by_name["everything"].currency == "USD"
    assert (
        budgets.parse("budgets:\n  - {name: a, scope: total, amount: 5, currency: eur}\n")[0].currency
        == "EUR"
    )
    assert by_name["churn"].actual_thresholds == (50.0, 80.0, 100.0)
    assert by_name["risk-by-tag"].scope == "tag:team"
    assert by_name["no-notebooks"].amount == Decimal(0)
    assert by_name["growth-team"].line == 11


def test_shipped_budgets_file_is_valid_and_has_a_total_of_25000():
    parsed = budgets.load(REPO_ROOT / "budgets.yml")
    totals = [b for b in parsed if b.scope == "total"]
    assert [b.amount for b in totals] == [Decimal(25000)]
    assert any(b.scope == "model" for b in parsed)


def test_budgets_asset_adds_the_currency_column_to_an_older_warehouse(warehouse_path, monkeypatch, tmp_path):
    with duckdb.connect(str(warehouse_path)) as conn:
        conn.execute("create schema raw")
        conn.execute(
            "create table raw.budgets (budget_name varchar primary key, scope varchar not null, "
            "scope_value varchar, amount decimal(38, 10) not null, cost_basis varchar not null, "
            "actual_thresholds double[] not null, forecast_thresholds double[] not null, "
            "source_file varchar not null, source_line integer not null, loaded_at timestamp not null)"
        )
    path = tmp_path / "budgets.yml"
    path.write_text(
        "budgets:\n  - {name: eu, scope: total, amount: 5, currency: EUR}\n  - {name: us, scope: total, amount: 5}\n"
    )
    monkeypatch.setenv("BUDGETS_FILE", str(path))
    result = dg.materialize(
        [budgets_asset], resources={"warehouse": DuckDBResource(database=str(warehouse_path))}
    )
    assert result.success
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = conn.execute("select budget_name, currency from raw.budgets order by 1").fetchall()
    assert rows == [("eu", "EUR"), ("us", "USD")]
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["budget_amount_by_currency"].data == {"EUR": "5", "USD": "5"}


def test_budgets_asset_replaces_the_table_and_refuses_a_bad_file(warehouse_path, monkeypatch):
    resources = {"warehouse": DuckDBResource(database=str(warehouse_path))}
    monkeypatch.setenv("BUDGETS_FILE", str(FIXTURES / "sample.yml"))
    for _ in range(2):
        result = dg.materialize([budgets_asset], resources=resources)
        assert result.success
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = conn.execute(
            "select budget_name, scope, scope_value, amount, actual_thresholds from raw.budgets order by source_line"
        ).fetchall()
    assert len(rows) == 7
    assert rows[1] == ("churn", "model", "churn-model", Decimal(20), [50.0, 80.0, 100.0])

    monkeypatch.setenv("BUDGETS_FILE", str(FIXTURES / "invalid.yml"))
    failed = dg.materialize([budgets_asset], resources=resources, raise_on_error=False)
    assert not failed.success
    failure = failed.get_step_failure_events()[0].event_specific_data.error
    assert "invalid.yml:9" in str(failure.message) + str(failure.cause)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.budgets").fetchone()[0] == 7
