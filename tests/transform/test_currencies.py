"""A billing period in USD, EUR and JPY: every mart and ready query keeps the currencies apart,
reconciles to the bill per period and currency, and each budget counts only its own currency."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.budgets import budgets as budgets_asset
from pipelines.defs.resources import dbt_resource
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.lib.settings import REPO_ROOT
from tests.transform import sample_warehouse
from tests.transform.sample_warehouse import FEB, MAR, arn, line_item

pytestmark = pytest.mark.slow

BUDGETS = Path(__file__).parents[1] / "fixtures" / "budgets" / "currencies.yml"
CHURN = arn("endpoint", "churn-prod")

# On top of the sample bill (all USD): EUR inference on the same endpoint and day as USD inference,
# an EUR training line for a job that also has USD lines, and JPY storage in both months.
OTHER_CURRENCY_LINES = [
    line_item(MAR, MAR, 24, "USE1-Host:ml.m5.large", "Usage", "9.00", resource=CHURN, billing_currency="EUR"),
    line_item(
        MAR,
        MAR,
        2,
        "USE1-Train:ml.p3.2xlarge",
        "Usage",
        "6.80",
        resource=arn("training-job", "fraud-train-1"),
        tags={"ml-model": "Fraud"},
        billing_currency="EUR",
    ),
    line_item(
        FEB,
        FEB,
        24,
        "TimedStorage-ByteHrs",
        "Usage",
        1000,
        service="Amazon Simple Storage Service",
        code="AmazonS3",
        billing_currency="JPY",
    ),
    line_item(
        MAR,
        MAR,
        24,
        "TimedStorage-ByteHrs",
        "Usage",
        1500,
        service="Amazon Simple Storage Service",
        code="AmazonS3",
        billing_currency="JPY",
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One mixed-currency warehouse for the module: the sample bill plus EUR and JPY lines, built by dbt."""
    root = tmp_path_factory.mktemp("currencies")
    warehouse = root / "warehouse.duckdb"
    home = root / "dagster_home"
    home.mkdir()
    sample_warehouse.build(warehouse, OTHER_CURRENCY_LINES)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAREHOUSE_PATH", str(warehouse))
        # dbt's artifacts and its saved partial parse here, not under dbt_project/target.
        mp.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        mp.setenv("DAGSTER_HOME", str(home))
        mp.setenv("BUDGETS_FILE", str(BUDGETS))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.setenv("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")  # they run in test_marts.py's build
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [budgets_asset, mlcost_dbt_models],
                instance=instance,
                resources={
                    "warehouse": DuckDBResource(database=str(warehouse)),
                    "dbt": dbt_resource(),
                },
                raise_on_error=False,
            )
    return result, warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_build_passes_and_only_warns_about_budgets_missing_a_currency(built):
    result, _ = built
    assert result.success
    failed = {e.check_name: e.severity for e in result.get_asset_check_evaluations() if not e.passed}
    # total-usd does not count the EUR and JPY cost, nor the others the USD: a warning, not a failure
    assert failed == {"budget_counts_every_currency_in_scope": dg.AssetCheckSeverity.WARN}


def test_cost_by_model_reconciles_to_the_bill_per_period_and_currency(built):
    _, warehouse = built
    totals = query(
        warehouse,
        """
        select billing_period, billing_currency, sum(billed_cost), sum(effective_cost)
        from marts.cost_by_model group by all order by 1, 2
        """,
    )
    raw = query(
        warehouse,
        """
        select billing_period, billing_currency, sum(billed_cost), sum(effective_cost)
        from raw.billing_line_items where not is_split_cost_allocation group by all order by 1, 2
        """,
    )
    assert totals == raw
    assert [(str(p), c, b) for p, c, b, _ in totals] == [
        ("2025-02-01", "JPY", Decimal("1000")),
        ("2025-02-01", "USD", Decimal("280")),
        ("2025-03-01", "EUR", Decimal("15.80")),
        ("2025-03-01", "JPY", Decimal("1500")),
        ("2025-03-01", "USD", Decimal("53.92")),
    ]


def test_monthly_cost_summary_compares_each_currency_with_itself(built):
    _, warehouse = built
    rows = {
        (str(r[0]), r[1], r[2]): r[3:]
        for r in query(
            warehouse,
            "select billing_period, model_name, billing_currency, effective_cost, previous_effective_cost, "
            "effective_cost_change, effective_cost_change_pct from marts.monthly_cost_summary",
        )
    }
    assert len(rows) == query(warehouse, "select count(*) from marts.monthly_cost_summary")[0][0]
    assert rows[("2025-03-01", "churn-model", "USD")][:3] == (
        Decimal("26.17"),
        Decimal("280"),
        Decimal("-253.83"),
    )
    assert rows[("2025-03-01", "churn-model", "EUR")][:3] == (Decimal("9"), None, Decimal("9"))
    assert rows[("2025-03-01", "unattributed", "JPY")] == (
        Decimal("1500"),
        Decimal("1000"),
        Decimal("500"),
        50.0,
    )
    assert rows[("2025-03-01", "fraud", "EUR")][0] == Decimal("6.8")
    assert rows[("2025-03-01", "fraud", "USD")][0] == Decimal("7.65")


def test_budgets_count_only_their_own_currency(built):
    _, warehouse = built
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select budget_name, billing_currency, actual_cost, projected_cost, status, uncounted_currencies "
            "from marts.budget_projection where billing_period = date '2025-03-01'",
        )
    }
    # What was spent, and the other currencies listed rather than converted or added.
    actual = {name: (row[0], row[1], row[4]) for name, row in rows.items()}
    assert actual == {
        "total-usd": ("USD", Decimal("53.92"), ["EUR", "JPY"]),
        "total-eur": ("EUR", Decimal("15.8"), ["JPY", "USD"]),
        "total-jpy": ("JPY", Decimal("1500"), ["EUR", "USD"]),
        "fraud-eur": ("EUR", Decimal("6.8"), ["USD"]),
    }
    projected = {name: row[2] for name, row in rows.items()}
    # Each forecast is of its own currency: never below what was spent in it, and the EUR ones far
    # below the USD spend alone (53.92), which they would exceed if any USD were added in.
    assert all(projected[name] >= row[1] for name, row in rows.items())
    assert projected["total-eur"] < Decimal("53.92") and projected["fraud-eur"] <= projected["total-eur"]
    # Status follows each budget's own amount: EUR 15.80 spent of 10 is over; JPY's forecast
    # (above 2,000) warns; USD's and fraud's stay inside 1,000 and 100.
    assert {name: row[3] for name, row in rows.items()} == {
        "total-usd": "ok",
        "total-eur": "critical",
        "total-jpy": "warning",
        "fraud-eur": "ok",
    }
    assert projected["total-jpy"] >= 2000 and projected["total-usd"] < 1000 and projected["fraud-eur"] < 100


def test_cost_per_prediction_and_training_costs_keep_currencies_apart(built):
    _, warehouse = built
    per_prediction = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select billing_currency, predictions, inference_cost, idle_cost, cost_per_prediction "
            "from marts.cost_per_prediction where usage_date = date '2025-03-01' "
            "and endpoint_name = 'churn-prod' and model_name = 'churn-model'",
        )
    }
    # the day's 1,200 predictions are on both rows: each currency's cost per prediction
    assert per_prediction == {
        "USD": (1200, Decimal("12"), Decimal("6"), Decimal("0.01")),
        "EUR": (1200, Decimal("9"), Decimal("4.5"), Decimal("0.0075")),
    }
    jobs = query(
        warehouse,
        "select billing_currency, cost, cost_source from marts.training_job_costs "
        "where training_job_name = 'fraud-train-1' order by 1",
    )
    assert jobs == [("EUR", Decimal("6.8"), "bill"), ("USD", Decimal("7.65"), "bill")]


# The Bedrock queries need Bedrock data: test_bedrock_marts.py runs them on its sample.
@pytest.mark.parametrize(
    "path",
    sorted(p for p in (REPO_ROOT / "sql" / "queries").glob("*.sql") if not p.name.startswith("bedrock_"))
    + sorted((REPO_ROOT / "sql" / "demo").glob("*.sql")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_ready_query_that_shows_cost_has_the_currency(built, path):
    _, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        cursor = conn.execute(path.read_text())
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert rows
    if any(c.endswith("_cost") or c.startswith("cost_per") for c in columns):
        assert "billing_currency" in columns
    if path.name == "daily_cost.sql":
        storage = {
            r["billing_currency"]: r["effective_cost"]
            for r in rows
            if str(r["usage_date"]) == "2025-03-01" and r["category"] == "storage"
        }
        assert storage == {"USD": Decimal("2.51"), "JPY": Decimal("1500.00")}
    if path.name == "cost_by_model.sql":
        assert {r["billing_currency"] for r in rows} == {"USD", "EUR", "JPY"}
        for currency in ("USD", "EUR", "JPY"):
            assert sum(r["pct_of_total"] for r in rows if r["billing_currency"] == currency) == pytest.approx(
                100, abs=0.5
            )
