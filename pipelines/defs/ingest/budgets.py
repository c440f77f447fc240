"""The budgets file (BUDGETS_FILE) as the raw/budgets asset, so budget_projection sources it from the warehouse."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.lake import write_tables_to_lake
from pipelines.lib import budgets as budgets_file
from pipelines.lib import settings
from pipelines.lib.warehouse import replace_config_rows


@dg.asset(key=["raw", "budgets"], group_name="ingest", kinds={"duckdb", "yaml"}, pool="duckdb")
def budgets(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """One row per budget in BUDGETS_FILE, validated first and replaced as a whole on every load."""
    path = Path(settings.get("BUDGETS_FILE")).expanduser().resolve()
    try:
        loaded = budgets_file.load(path)
    except budgets_file.BudgetsFileError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    rows = [
        {
            "budget_name": budget.name,
            "scope": budget.scope,
            "scope_value": budget.value,
            "amount": str(budget.amount),
            "currency": budget.currency,
            "cost_basis": budget.cost_basis,
            "actual_thresholds": list(budget.actual_thresholds),
            "forecast_thresholds": list(budget.forecast_thresholds),
            "source_file": str(path),
            "source_line": budget.line,
        }
        for budget in loaded
    ]
    with warehouse.get_connection() as conn:
        replace_config_rows(
            conn,
            "ingest/delete_budgets",
            "ingest/insert_budget",
            rows,
            before=("ingest/add_budgets_currency",),
        )
        write_tables_to_lake(context, conn, ["budgets"])
    context.log.info(f"loaded {len(loaded)} budgets from {path}")
    return dg.MaterializeResult(
        metadata={
            "row_count": dg.MetadataValue.int(len(loaded)),
            "budgets_file": dg.MetadataValue.path(str(path)),
            # Per currency: amounts in different currencies are never added up.
            "budget_amount_by_currency": dg.MetadataValue.json(
                {
                    c: str(sum(b.amount for b in loaded if b.currency == c))
                    for c in sorted({b.currency for b in loaded})
                }
            ),
        }
    )
