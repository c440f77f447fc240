"""The Bedrock marts on the sample warehouse plus Bedrock lines and token counts (bedrock_sample.py),
built through Dagster: every dbt check passes (the Bedrock reconciliations among them), cost per
1,000 tokens is the bill's cost over CloudWatch's tokens or NULL with its reason, genai spend is in
cost by model and the budgets, and no caller's name reaches the published marts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines import cli
from pipelines.defs.ingest.budgets import budgets as budgets_asset
from pipelines.defs.resources import dbt_resource
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.defs.transform.publish import marts_snapshot
from pipelines.lib.settings import REPO_ROOT
from tests.transform import bedrock_sample, sample_warehouse

pytestmark = pytest.mark.slow

BUDGETS = Path(__file__).parents[1] / "fixtures" / "budgets" / "bedrock.yml"
# The Bedrock marts, cost by model and the budgets (cost per prediction: a check of cost_by_model
# reads it) with everything they read, then the published
# copy; the other marts (and their unit tests) are test_marts.py's.
SELECTION = dg.AssetSelection.assets(
    *(
        key
        for key in mlcost_dbt_models.keys
        if key.path[-1]
        in (
            "bedrock_daily_costs",
            "bedrock_cost_per_1k_tokens",
            "cost_by_model",
            "cost_per_prediction",
            "budget_projection",
        )
    )
).upstream() | dg.AssetSelection.assets(marts_snapshot)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One warehouse for the module: the sample plus Bedrock, every dbt model, the published copy."""
    root = tmp_path_factory.mktemp("bedrock")
    warehouse = root / "warehouse.duckdb"
    home = root / "dagster_home"
    home.mkdir()
    sample_warehouse.build(warehouse, bedrock_sample.line_items())
    with duckdb.connect(str(warehouse)) as conn:
        sample_warehouse._insert(
            conn,
            "bedrock_invocations",
            bedrock_sample.invocation_rows(),
            {
                "account_id": sample_warehouse.ACCOUNT,
                "region": sample_warehouse.REGION,
                "fetched_at": sample_warehouse.FETCHED,
            },
        )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_PATH", str(warehouse))
        # dbt's artifacts and its saved partial parse here, not under dbt_project/target.
        mp.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("BUDGETS_FILE", str(BUDGETS))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.delenv("MARTS_READ_PATH", raising=False)
        mp.delenv("BEDROCK_PRINCIPAL_IDENTIFIERS", raising=False)
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [budgets_asset, mlcost_dbt_models, marts_snapshot],
                instance=instance,
                selection=SELECTION,
                resources={
                    "warehouse": DuckDBResource(database=str(warehouse)),
                    "dbt": dbt_resource(),
                },
                raise_on_error=False,
            )
    return result, warehouse


def query(warehouse: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def bedrock_lines() -> list[dict]:
    return bedrock_sample.line_items()


def test_build_passes_every_check_including_the_bedrock_reconciliations(built):
    result, _ = built
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []
    names = {e.check_name for e in evaluations}
    assert "assert_bedrock_daily_costs_reconciles_to_raw" in names
    assert "assert_bedrock_cost_per_1k_tokens_matches_daily_costs" in names


def test_daily_mart_holds_every_bedrock_line_and_splits_tokens_by_direction(built):
    _, warehouse = built
    lines = bedrock_lines()
    billed = sum(Decimal(str(line["billed_cost"])) for line in lines)
    mart = query(warehouse, "select sum(billed_cost), sum(effective_cost) from marts.bedrock_daily_costs")[0]
    assert mart == (billed, billed)
    # The usage type no pattern knows stays genai, with its raw usage type.
    unknown = query(
        warehouse,
        "select usage_kind, model_name, usage_types, effective_cost from marts.bedrock_daily_costs "
        "where usage_types like '%FutureThing%'",
    )
    assert unknown == [("other", "unattributed", "USE1-FutureThing-Widgets", Decimal("0.05"))]
    claude = query(
        warehouse,
        """
        select input_cost, output_cost, cache_read_cost, input_tokens_billed, output_tokens_billed,
               cache_read_tokens_billed, pricing_model, team
        from marts.bedrock_daily_costs
        where usage_date = date '2025-03-01' and model_name = 'claude-sonnet-4-6' and application = 'support-chat'
        """,
    )
    assert claude == [
        (Decimal("6"), Decimal("6"), Decimal("0.3"), 2_000_000, 400_000, 1_000_000, "on_demand", "care")
    ]
    kinds = dict(
        query(
            warehouse,
            "select pricing_model, sum(effective_cost) from marts.bedrock_daily_costs group by 1",
        )
    )
    assert kinds["batch"] == Decimal("0.792")
    assert kinds["provisioned_throughput"] == Decimal("240")
    assert kinds["tax"] == Decimal("1") and kinds["credit"] == Decimal("-0.5")


def test_cost_per_1k_tokens_is_bill_cost_over_cloudwatch_tokens(built):
    _, warehouse = built
    rows = query(
        warehouse,
        """
        select cast(usage_date as varchar), model_name, application, input_tokens, output_tokens,
               cost_per_1k_input_tokens, cost_per_1k_output_tokens, cost_per_1m_output_tokens
        from marts.bedrock_cost_per_1k_tokens where pricing_model = 'on_demand'
        """,
    )
    found = {(r[0], r[1], r[2]): r[3:] for r in rows}
    for key, expected in bedrock_sample.EXPECTED.items():
        tokens_in, tokens_out, per_1k_in, per_1k_out, per_1m_out = found[key]
        assert (tokens_in, tokens_out) == (expected["input_tokens"], expected["output_tokens"])
        assert per_1k_in == expected["cost_per_1k_input_tokens"]
        assert per_1k_out == expected["cost_per_1k_output_tokens"]
        assert per_1m_out == expected["cost_per_1k_output_tokens"] * 1000
    # Llama's 11:00 came from the invocation logs, the other hour from CloudWatch.
    sources = query(
        warehouse,
        "select token_source from marts.bedrock_cost_per_1k_tokens "
        "where usage_date = date '2025-03-01' and model_name = 'llama-3-1-70b'",
    )
    assert sources == [("cloudwatch,invocation_logs",)]


def test_cost_per_1k_tokens_is_null_with_a_reason_never_zero(built):
    _, warehouse = built
    rows = query(
        warehouse,
        """
        select cast(usage_date as varchar), model_name, application, pricing_model, input_cost, input_reason,
               cost_per_1k_input_tokens, output_reason, cost_per_1k_tokens_reason, cost_per_1k_tokens
        from marts.bedrock_cost_per_1k_tokens
        """,
    )
    by_key = {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}
    # The open day: cost so far, no ratio.
    cost, reason, per_1k, *_ = by_key[("2025-03-03", "claude-sonnet-4-6", "support-chat", "on_demand")]
    assert (cost, reason, per_1k) == (Decimal("0.3"), "bill_not_complete", None)
    # Billed, but CloudWatch counted no tokens for it.
    cost, reason, per_1k, *_ = by_key[("2025-03-02", "claude-sonnet-4-6", "unattributed", "on_demand")]
    assert (cost, reason, per_1k) == (Decimal("0.6"), "no_tokens_counted", None)
    # Tokens on a complete day without any cost line: cost NULL, not 0.
    cost, reason, per_1k, *_ = by_key[("2025-03-02", "llama-3-1-70b", "unattributed", "on_demand")]
    assert (cost, reason, per_1k) == (None, "no_cost_billed", None)
    # Provisioned throughput has no per-direction price; its total per 1,000 tokens it has.
    _, reason, per_1k, output_reason, total_reason, total = by_key[
        ("2025-03-01", "llama-3-1-8b", "fraud-screening", "provisioned_throughput")
    ]
    assert (reason, output_reason, per_1k, total_reason) == ("not_billed_per_token",) * 2 + (None, None)
    assert total == Decimal("240") * 1000 / 5_000_000
    zero = query(
        warehouse,
        "select count(*) from marts.bedrock_cost_per_1k_tokens where cost_per_1k_input_tokens = 0 "
        "or cost_per_1k_output_tokens = 0 or cost_per_1k_tokens = 0",
    )
    assert zero == [(0,)]


def test_genai_spend_is_in_cost_by_model_and_in_budgets_on_model_and_application(built):
    _, warehouse = built
    lines = bedrock_lines()
    usage = [line for line in lines if line["charge_type"] == "Usage"]
    claude = sum(
        Decimal(str(line["billed_cost"])) for line in usage if line["service_code"] == bedrock_sample.MP
    )
    support_chat = sum(
        Decimal(str(line["billed_cost"]))
        for line in usage
        if (line.get("tags") or {}).get("application") == "support-chat"
    )
    genai = sum(Decimal(str(line["billed_cost"])) for line in usage)
    by_model = dict(
        query(
            warehouse,
            "select model_name, sum(effective_cost) from marts.cost_by_model where category = 'genai' group by 1",
        )
    )
    assert by_model["claude-sonnet-4-6"] == claude
    assert by_model["llama-3-1-8b"] == Decimal("240")
    sources = query(
        warehouse,
        "select distinct attribution_source from marts.cost_attribution where model_name = 'llama-3-1-70b'",
    )
    assert sources == [("bedrock_model",)]
    budgets = dict(
        query(
            warehouse,
            "select budget_name, actual_cost from marts.budget_projection where billing_period = date '2025-03-01'",
        )
    )
    assert budgets == {"claude-model": claude, "support-chat-app": support_chat, "genai": genai}
    projected = query(
        warehouse,
        "select projected_cost > actual_cost from marts.budget_projection "
        "where budget_name = 'genai' and billing_period = date '2025-03-01'",
    )
    assert projected == [(True,)]


def test_no_caller_name_reaches_the_published_marts(built):
    _, warehouse = built
    copy = warehouse.with_name("warehouse.read.duckdb")
    with duckdb.connect(str(copy), read_only=True) as conn:
        columns = conn.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        leaks = [
            (table, column)
            for table, column in columns
            if conn.execute(
                f'select count(*) from marts."{table}" where "{column}" ilike $name',  # noqa: S608
                {"name": "%alice@example.com%"},
            ).fetchone()[0]
        ]
        callers = sorted(
            r[0] for r in conn.execute("select distinct caller from marts.bedrock_daily_costs").fetchall()
        )
    assert leaks == []
    assert bedrock_sample.BATCH_ROLE in callers  # roles are workloads, kept
    hashed = [c for c in callers if "assumed-role/DataScientist/" in c]
    assert len(hashed) == 1 and hashed[0].rsplit("/", 1)[1].startswith("h-")
    assert len(hashed[0].rsplit("/", 1)[1]) == 18


def test_ready_query_answers_cost_per_1k_output_tokens_per_application(built, monkeypatch, capsys):
    _, warehouse = built
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.delenv("MARTS_READ_PATH", raising=False)
    path = REPO_ROOT / "sql" / "queries" / "bedrock_cost_per_1k_tokens.sql"
    assert path.read_text().startswith("--")
    assert cli.main(["sql", "--format", "json", "-f", str(path)]) == 0
    output = json.loads(capsys.readouterr().out)
    assert all("billing_currency" in r for r in output)  # amounts in different currencies never added
    records = {(r["model_name"], r["application"]): r for r in output}
    chat = records[("claude-sonnet-4-6", "support-chat")]
    # Days 1 and 2 are complete: $9 of output over 600,000 tokens.
    assert chat["output_cost"] == 9.0
    assert chat["cost_per_1k_output_tokens"] == 0.015
    assert records[("llama-3-1-70b", "unattributed")]["cost_per_1k_output_tokens"] == 0.00072
