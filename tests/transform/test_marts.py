"""The marts on a small warehouse built through Dagster: every dbt check passes, numbers add up to
the bill, attribution follows the evidence, and the published copy answers queries while the
warehouse is locked by a writer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import cli
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.lib.settings import REPO_ROOT
from tests.transform import sample_warehouse

pytestmark = pytest.mark.slow

MARTS = (
    "cost_by_model",
    "cost_per_prediction",
    "budget_projection",
    "training_job_costs",
    "monthly_cost_summary",
)


@pytest.fixture
def use_built(built, monkeypatch):
    """Point this test's settings at the module's warehouse."""
    _, warehouse = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.delenv("MARTS_READ_PATH", raising=False)
    return warehouse


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def test_dagster_build_passes_every_dbt_check(built):
    result, _ = built
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 60
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []
    names = {e.check_name for e in evaluations}
    assert "assert_cost_by_model_reconciles_to_raw" in names
    assert "assert_cost_allocated_reconciles_to_raw" in names
    assert "assert_cost_per_prediction_matches_inference_cost" in names
    materialized = {m.asset_key for m in result.get_asset_materialization_events() if m.asset_key}
    assert {dg.AssetKey(["marts", name]) for name in MARTS} <= {
        dg.AssetKey(["marts", key.path[-1]]) for key in materialized
    }


def test_cost_by_model_reconciles_to_the_bill_without_split_cost_rows(built):
    _, warehouse = built
    rows = query(
        warehouse,
        """
        with raw as (
            select billing_period, sum(billed_cost) as billed, sum(effective_cost) as effective
            from raw.billing_line_items where not is_split_cost_allocation group by 1
        ), mart as (
            select billing_period, sum(billed_cost) as billed, sum(effective_cost) as effective
            from marts.cost_by_model group by 1
        )
        select raw.billing_period, raw.billed, mart.billed, raw.effective, mart.effective
        from raw full join mart using (billing_period) order by 1
        """,
    )
    assert len(rows) == 2
    for _, raw_billed, mart_billed, raw_effective, mart_effective in rows:
        assert raw_billed == mart_billed
        assert raw_effective == mart_effective
    march = rows[1]
    assert (
        march[1] == march[3] == Decimal("53.92")
    )  # the 1000 on the split cost allocation row is not counted
    assert query(warehouse, "select count(*) from marts.cost_by_model where billed_cost >= 1000")[0][0] == 0


def test_attribution_follows_tags_then_sagemaker_metadata(built):
    _, warehouse = built
    rows = query(
        warehouse,
        """
        select sagemaker_resource_name, model_name, team, project, environment, attribution_source,
               sum(effective_cost)
        from marts.cost_attribution where billing_period = date '2025-03-01'
        group by all
        """,
    )
    by_resource_model = {(r[0], r[1]): r for r in rows}
    # the line's own tags beat the training job's tags (model "other")
    fraud = by_resource_model[("fraud-train-1", "fraud")]
    assert fraud[2:6] == ("risk", "unattributed", "prod", "line_item_tag")
    # no line tags: the job's tags, whatever their key case
    assert by_resource_model[("churn-train-7", "churn-model")][5] == "sagemaker_training_job"
    assert by_resource_model[("churn-train-7", "churn-model")][2] == "growth"
    # the endpoint's variant model, its own team tag, the model's project tag
    churn = by_resource_model[("churn-prod", "churn-model")]
    assert churn[2:6] == ("growth", "retention", "prod", "sagemaker_endpoint")
    # multi-model endpoint: 3:1 by per-model predictions on day one, the variant's model after
    assert by_resource_model[("recs-mme", "recs-a")][6] == Decimal("7.5")
    assert by_resource_model[("recs-mme", "recs-b")][6] == Decimal("2.5")
    assert by_resource_model[("recs-mme", "recs-a")][5] == "sagemaker_endpoint_prediction_share"
    assert by_resource_model[("recs-mme", "recs-container")][6] == Decimal("4")
    assert by_resource_model[("score-batch-1", "churn-model")][5] == "sagemaker_transform_job"
    assert by_resource_model[("alice-notebook", "unattributed")][2] == "research"
    nulls = query(
        warehouse,
        "select count(*) from marts.cost_attribution where model_name is null or team is null "
        "or project is null or environment is null",
    )
    assert nulls[0][0] == 0
    categories = dict(
        query(warehouse, "select category, sum(effective_cost) from marts.cost_by_model group by 1")
    )
    assert categories["storage"] == Decimal("2.51")
    assert categories["data_transfer"] == Decimal("0.9")
    assert categories["notebook"] == Decimal("1.2")
    assert categories["processing"] == Decimal("0.23")


def test_allocated_view_owns_every_dollar_and_tag_coverage_adds_up_to_the_bill(built):
    """Tax, the credit, the unused plan fee and untagged usage get owners in cost_allocated (direct
    rows unchanged); the tag coverage mart covers the whole bill and ranks untagged resources."""
    _, warehouse = built
    rows = query(
        warehouse,
        """
        with raw as (
            select billing_period, sum(effective_cost) as effective from raw.billing_line_items
            where not is_split_cost_allocation group by 1
        ), allocated as (
            select billing_period, sum(effective_cost) as effective,
                   count(*) filter (where model_name = 'unattributed' and team = 'unattributed'
                                    and project = 'unattributed') as unowned
            from marts.cost_allocated group by 1
        ), coverage as (
            select billing_period, sum(effective_cost) as effective from marts.tag_coverage group by 1
        )
        select raw.billing_period, raw.effective, allocated.effective, allocated.unowned, coverage.effective
        from raw join allocated using (billing_period) join coverage using (billing_period) order by 1
        """,
    )
    assert len(rows) == 2
    for _, raw_effective, allocated_effective, unowned, coverage_effective in rows:
        assert raw_effective == allocated_effective == coverage_effective
        assert unowned == 0
    direct = dict(
        query(
            warehouse,
            "select model_name, sum(effective_cost) from marts.cost_attribution "
            "where billing_period = date '2025-03-01' and model_name <> 'unattributed' group by 1",
        )
    )
    allocated = dict(
        query(
            warehouse,
            "select model_name, sum(effective_cost) from marts.cost_allocated "
            "where billing_period = date '2025-03-01' and allocation_method = 'direct' "
            "and model_name <> 'unattributed' group by 1",
        )
    )
    assert allocated == direct
    reasons = dict(
        query(
            warehouse,
            "select shared_cost_reason, sum(effective_cost) from marts.cost_allocated "
            "where billing_period = date '2025-03-01' and allocation_method <> 'direct' group by 1",
        )
    )
    assert reasons["tax"] == Decimal("1.5")
    assert reasons["untagged_usage"] == Decimal("3.4")  # the bucket (2.5) and data transfer (0.9)
    ranked = query(
        warehouse,
        "select resource_id, untagged_cost from marts.tag_coverage "
        "where billing_period = date '2025-03-01' and untagged_rank <= 3 order by untagged_rank",
    )
    # Tags only: endpoints attributed by SageMaker metadata are still untagged resources.
    assert ranked == [
        (sample_warehouse.arn("endpoint", "churn-prod"), Decimal("25.5")),
        (sample_warehouse.arn("endpoint", "recs-mme"), Decimal("14")),
        ("ml-artifacts-bucket", Decimal("2.5")),
    ]


def test_cost_per_prediction_counts_idle_hours_and_is_null_without_predictions(built):
    _, warehouse = built
    rows = {
        (str(r[0]), r[1], r[2]): r[3:]
        for r in query(
            warehouse,
            "select usage_date, endpoint_name, model_name, predictions, inference_cost, idle_cost, "
            "cost_per_prediction, cost_per_1k_predictions from marts.cost_per_prediction",
        )
    }
    # 24 hours at 0.50, 12 of them without a prediction
    assert rows[("2025-03-01", "churn-prod", "churn-model")] == (
        1200,
        Decimal("12"),
        Decimal("6"),
        Decimal("0.01"),
        Decimal("10"),
    )
    # day two: + 3.00 savings-plan-covered; logs naming only the model add 50 predictions in hour 3
    # and replace (not add to) CloudWatch's 100 in hour 10
    predictions, cost, idle, per_prediction, _ = rows[("2025-03-02", "churn-prod", "churn-model")]
    assert (predictions, cost, per_prediction) == (1250, Decimal("15"), Decimal("0.012"))
    assert idle == Decimal("6.875")
    # CloudWatch's 400 for recs-mme are replaced by the per-model logs (300 + 100), not added
    assert rows[("2025-03-01", "recs-mme", "recs-a")][:2] == (300, Decimal("7.5"))
    assert rows[("2025-03-02", "recs-mme", "recs-container")][0] == 0
    assert rows[("2025-03-02", "recs-mme", "recs-container")][3] is None
    assert rows[("2025-03-02", "recs-mme", "recs-container")][4] is None
    # The bill runs through 2025-03-02: the next day's cost so far gives no cost per prediction.
    reasons = dict(
        query(
            warehouse,
            "select usage_date::varchar || ' ' || endpoint_name || ' ' || model_name, cost_per_prediction_reason"
            " from marts.cost_per_prediction where account_id = '012345678901' and region = 'us-east-1'",
        )
    )
    assert reasons["2025-03-01 churn-prod churn-model"] is None
    assert reasons["2025-03-02 recs-mme recs-container"] == "no_predictions"
    assert reasons["2025-03-03 churn-prod churn-model"] == "bill_not_complete"


def test_budget_projection_follows_the_documented_arithmetic(built):
    _, warehouse = built
    columns = (
        "budget_name, billing_period, scope_type, scope_value, cost_basis, actual_cost, data_through_date, "
        "days_in_period, days_elapsed, run_rate_per_day, projected_cost, projected_low, projected_high, "
        "actual_pct, projected_pct, status, actual_thresholds, crossed_actual_thresholds"
    )
    rows = query(warehouse, f"select {columns} from marts.budget_projection")
    names = [c.strip() for c in columns.split(",")]
    found = {(r[0], str(r[1])): dict(zip(names, r, strict=True)) for r in rows}
    assert len(found) == 14  # 7 budgets x 2 billing periods

    churn = found[("churn", "2025-03-01")]
    assert str(churn["data_through_date"]) == "2025-03-02"
    assert (churn["days_in_period"], churn["days_elapsed"]) == (31, 2)
    assert churn["actual_cost"] == Decimal("26.17")
    # The forecast (docs/forecasting.md): February billed 10 a day, so every weekday's median is 10;
    # March 1 (12.44) and 2 (15.23) are 7.67 above it, spread over the 30 days of history. The
    # 29 remaining days: 29 x (10 + 7.67 / 30) = 297.4143333; plus the complete days (27.67) and
    # the month-level credit already billed (-2).
    assert churn["run_rate_per_day"] == Decimal("10.2556666666")
    assert churn["projected_cost"] == Decimal("323.0843333333")
    # An interval around it, symmetric while its low end stays above what is spent.
    half_width = churn["projected_high"] - churn["projected_cost"]
    assert half_width > 0
    assert churn["projected_cost"] - churn["projected_low"] == half_width
    assert churn["status"] == "critical"
    assert churn["crossed_actual_thresholds"] == [50.0, 80.0, 100.0]

    february = found[("everything", "2025-02-01")]
    assert (february["days_in_period"], february["days_elapsed"]) == (28, 28)
    assert february["projected_cost"] == february["actual_cost"] == Decimal("280")
    assert february["status"] == "ok"

    assert found[("growth-team", "2025-03-01")]["cost_basis"] == "billed"
    assert found[("growth-team", "2025-03-01")]["status"] == "warning"  # projected past 100%
    assert found[("risk-by-tag", "2025-03-01")]["actual_cost"] == Decimal("7.65")
    assert found[("risk-by-tag", "2025-03-01")]["scope_type"] == "tag:team"
    assert found[("s3", "2025-03-01")]["actual_cost"] == Decimal("2.5")
    zero = found[("no-notebooks", "2025-03-01")]
    assert (zero["actual_pct"], zero["status"]) == (None, "critical")
    assert found[("no-notebooks", "2025-02-01")]["status"] == "ok"


def test_training_job_costs_from_bill_or_estimate(built):
    _, warehouse = built
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select training_job_name, model_name, cost, cost_source, spot_savings_pct, duration_seconds, "
            "final_metrics['validation:auc'] from marts.training_job_costs",
        )
    }
    assert rows["churn-train-7"] == ("churn-model", Decimal("0.09"), "bill", 50.0, 3600, 0.87)
    # not on the bill: 1 instance x 1 billable hour x the bill's spot rate for ml.m5.xlarge (0.08 / 2 h)
    assert rows["churn-train-8"][1:3] == (Decimal("0.04"), "estimate")
    # the bill's attribution (line tag "fraud") wins over the job's tag ("other")
    assert rows["fraud-train-1"][0] == "fraud"
    # Both churn jobs ended at the same moment: model_costs names the last by name, in every build.
    [ended] = query(
        warehouse,
        "select count(distinct ended_at) from marts.training_job_costs "
        "where training_job_name in ('churn-train-7', 'churn-train-8')",
    )
    assert ended == (1,)
    latest = query(
        warehouse,
        "select latest_training_job_name, latest_final_metrics['validation:auc'] from marts.model_costs "
        "where model_name = 'churn-model'",
    )
    assert latest == [("churn-train-8", 0.88)]


def test_monthly_cost_summary_compares_with_the_previous_month(built):
    _, warehouse = built
    rows = {
        (str(r[0]), r[1]): r[2:]
        for r in query(
            warehouse,
            "select billing_period, model_name, effective_cost, previous_effective_cost, effective_cost_change "
            "from marts.monthly_cost_summary",
        )
    }
    assert rows[("2025-03-01", "churn-model")] == (Decimal("26.17"), Decimal("280"), Decimal("-253.83"))
    assert rows[("2025-02-01", "churn-model")][1] is None


def test_published_copy_holds_every_mart(built):
    _, warehouse = built
    copy = warehouse.with_name("warehouse.read.duckdb")
    assert copy.exists()
    for mart in MARTS:
        assert query(copy, f"select count(*) from marts.{mart}") == query(
            warehouse, f"select count(*) from marts.{mart}"
        )
    assert (
        query(copy, "select count(*) from information_schema.schemata where schema_name = 'raw'")[0][0] == 0
    )


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_mlcost_sql_prints_each_format(use_built, capsys, fmt):
    code = cli.main(
        [
            "sql",
            "--format",
            fmt,
            "select model_name, sum(effective_cost) as effective_cost from marts.cost_by_model "
            "where billing_period = '2025-03-01' group by 1 order by 2 desc",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "table":
        lines = out.splitlines()
        assert lines[0].split("|")[0].strip() == "model_name"
        assert lines[2].split("|")[0].strip() == "churn-model"
        assert lines[2].split("|")[1].strip() == "26.17"
        assert lines[-1] == "(6 rows)"
    elif fmt == "csv":
        assert out.splitlines()[:2] == ["model_name,effective_cost", "churn-model,26.17"]
    else:
        records = json.loads(out)
        assert records[0] == {"model_name": "churn-model", "effective_cost": 26.17}
        assert len(records) == 6


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_mlcost_sql_runs_every_ready_query(use_built, capsys, fmt):
    # The Bedrock queries need Bedrock data: test_bedrock_marts.py runs them on its sample.
    for path in sorted(
        p for p in (REPO_ROOT / "sql" / "queries").glob("*.sql") if not p.name.startswith("bedrock_")
    ):
        assert path.read_text().startswith("--"), f"{path.name} needs a header comment"
        assert cli.main(["sql", "--format", fmt, "-f", str(path)]) == 0, path.name
        out = capsys.readouterr().out
        if fmt == "json":
            assert json.loads(out), f"{path.name} returned no rows"
        else:
            assert len(out.splitlines()) > (3 if fmt == "table" else 1), f"{path.name} returned no rows"


def test_mlcost_sql_answers_while_another_process_writes_the_warehouse(use_built, capsys):
    warehouse = use_built
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "conn = duckdb.connect(sys.argv[1])\n"
            "conn.execute('create table if not exists raw.lock_probe (x int)')\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(warehouse), read_only=True)
        code = cli.main(["sql", "--format", "csv", "select count(*) as n from marts.budget_projection"])
        assert code == 0
        assert capsys.readouterr().out.splitlines() == ["n", "14"]
        # the warehouse itself cannot be read now, and the message says why
        assert cli.main(["sql", "--warehouse", "select 1"]) == 2
        assert "being written by another process" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()


def test_mlcost_sql_falls_back_to_the_warehouse_before_the_first_publish(
    use_built, monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("MARTS_READ_PATH", str(tmp_path / "never-published.duckdb"))
    assert cli.main(["sql", "--format", "csv", "select count(*) as n from raw.billing_line_items"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["n", "92"]
    assert "no published copy" in captured.err


def test_mlcost_sql_is_read_only_and_reports_sql_errors(use_built, capsys):
    assert cli.main(["sql", "create table marts.x as select 1"]) == 2
    assert "read-only" in capsys.readouterr().err.lower()
    assert cli.main(["sql", "selec 1"]) == 2
    assert "syntax error" in capsys.readouterr().err


def test_forecast_backtest_replays_closed_months_and_reports_its_figures(built):
    result, warehouse = built
    rows = query(
        warehouse,
        "select days_of_data, forecast_cost, month_cost, error_pct, is_covered from marts.budget_forecast_backtest"
        " where budget_name = 'churn' order by as_of_date",
    )
    # February (closed) as of Jan 31 (nothing known: no forecast) and as of each day to Feb 27.
    assert [r[0] for r in rows] == list(range(28))
    assert rows[0][1] is None
    # Ten a day all month: from the first day on the forecast is the month's 280 exactly.
    assert {(r[1], r[2], r[3], r[4]) for r in rows[1:]} == {(Decimal("280"), Decimal("280"), 0, True)}
    assert query(warehouse, "select count(distinct billing_period) from marts.budget_forecast_backtest") == [
        (1,)
    ]
    [materialization] = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey(["marts", "budget_forecast_backtest"])
    ]
    metadata = materialization.materialization.metadata
    assert {"backtest_forecasts", "interval_coverage_pct", "error_by_days_of_data"} <= set(metadata)
    assert "| days of data |" in metadata["error_by_days_of_data"].value


def test_mart_materializations_show_rows_column_types_and_dollars(built):
    """What a mart's page in the UI shows: its row count, its columns with their types, the key
    figures as numbers (charted in the Plots tab), and nothing the UI can only show as unserializable."""
    result, warehouse = built
    materialized = {
        m.asset_key: m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path[0] == "marts"
    }
    assert len(materialized) >= len(MARTS)
    for key, metadata in materialized.items():
        table = ".".join(key.path)
        assert metadata["dagster/row_count"].value == query(warehouse, f"select count(*) from {table}")[0][0]  # noqa: S608
        columns = {c.name: c.type for c in metadata["dagster/column_schema"].value.columns}
        described = query(
            warehouse,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = $schema and table_name = $table",
            {"schema": key.path[0], "table": key.path[1]},
        )
        assert {name: kind.lower() for name, kind in described} == {n: t.lower() for n, t in columns.items()}
        assert not {"invocation_id", "unique_id"} & set(metadata), table
        for name, value in metadata.items():
            assert "(unserializable)" not in str(getattr(value, "value", "")), f"{table}: {name}"
        dg.serialize_value(dict(metadata))  # everything crosses to the UI as it is

    cost = materialized[dg.AssetKey(["marts", "cost_by_model"])]
    described = {c.name: c.description for c in cost["dagster/column_schema"].value.columns}
    assert described["usage_date"] == "UTC date of the charge."  # from the model's YAML
    [(month, expected, unattributed)] = query(
        warehouse,
        "select billing_period, sum(effective_cost), sum(effective_cost) filter (where model_name = 'unattributed') "
        "from marts.cost_by_model where billing_period = (select max(billing_period) from marts.cost_by_model) "
        "group by 1",
    )
    assert cost["open_month"].value == month.isoformat()
    assert isinstance(cost["open_month_effective_cost"], dg.FloatMetadataValue)
    assert cost["open_month_effective_cost"].value == pytest.approx(float(expected), abs=0.005)
    assert cost["unattributed_pct"].value == pytest.approx(
        float(100 * (unattributed or 0) / expected), abs=0.005
    )
    assert isinstance(cost["top_models"], dg.MarkdownMetadataValue)
    assert "| model (" in cost["top_models"].value and "$" in cost["top_models"].value
    budgets = materialized[dg.AssetKey(["marts", "budget_projection"])]
    assert (
        budgets["budgets"].value
        == query(
            warehouse,
            "select count(*) from marts.budget_projection where billing_period = "
            "(select max(billing_period) from marts.budget_projection)",
        )[0][0]
    )
    assert isinstance(budgets["max_projected_pct"], dg.FloatMetadataValue)
    assert isinstance(
        materialized[dg.AssetKey(["marts", "cost_anomalies"])]["open_month_anomalies"], dg.IntMetadataValue
    )

    # The definitions too: no DbtProject object; dagster-dbt's manifest and translator (which it reads
    # back itself, and the UI hides) are the only values that are not plain metadata.
    for spec in mlcost_dbt_models.specs:
        assert "dagster_dbt/project" not in spec.metadata
        objects = {
            k
            for k, v in spec.metadata.items()
            if not isinstance(v, (str, int, float, dg.MetadataValue, dg.TableSchema))
        }
        assert objects <= {"dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator"}, spec.key


def test_demo_summary_fits_one_screen_with_money_and_percent_signs(use_built):
    from pipelines.commands.demo import summary_lines

    lines = summary_lines()
    text = "\n".join(lines)
    assert len(lines) <= 45, text
    assert lines[1].startswith("This month (") and "% with no model" in lines[1]
    start = lines.index("Budgets, latest billing period") + 2
    budgets = lines[start : lines.index("", start)]
    for line in (line for line in budgets if not line.startswith("  ...")):
        # A budget of $0 has no percentage (NULL in the mart): shown as "-", never as 0%.
        assert line.count("$") == 3 and ("%" in line or line.split()[1] == "$0.00"), line
    # The recommendations follow, with their monthly cost and saving in money.
    recommendations = lines[lines.index("Recommendations, latest billing period") + 2 :]
    shown = [line for line in recommendations if not line.startswith("  ...")]
    assert shown and all("$" in line for line in shown), text
    # Amounts are money and shares percentages, never bare four-decimal numbers.
    assert re.search(r"(?<![$\d.])\d+\.\d{4}\b", text) is None, text
    assert "0.0000" not in text
