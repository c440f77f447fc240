"""Key figures of the main marts, for the metadata of their materializations in Dagster.

Each mart's figures come from one small SQL query under sql/metadata/ on the freshly built warehouse:
numbers (which Dagster's Plots tab charts build after build), the month and currency they are in, and
for marts.cost_by_model a short Markdown table of the month's top models. A figure that cannot be
known (no budgets, no predictions, nothing to divide by) is left out, never given as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import duckdb

from pipelines.lib import sql
from pipelines.lib.formatting import money, percent
from pipelines.lib.sql import quote_ident

# mart (table in schema marts) -> the query of its figures (one row, or none when there is nothing)
FIGURE_QUERIES = {
    "cost_by_model": "metadata/select_cost_by_model_figures",
    "budget_projection": "metadata/select_budget_projection_figures",
    "cost_anomalies": "metadata/select_cost_anomalies_figures",
    "cost_per_prediction": "metadata/select_cost_per_prediction_figures",
}
TOP_MODELS = 5


class Markdown(str):
    """Text to be shown as Markdown."""


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _one_row(conn: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> dict[str, object]:
    cursor = conn.execute(sql.load(name), params or {})
    row = cursor.fetchone()
    if row is None:
        return {}
    return {d[0]: _plain(v) for d, v in zip(cursor.description, row, strict=True) if v is not None}


def top_models_table(conn: duckdb.DuckDBPyConnection, billing_period: str, currency: str) -> Markdown:
    rows = conn.execute(
        sql.load("metadata/select_top_models_of_month"),
        {"billing_period": billing_period, "billing_currency": currency, "top": TOP_MODELS},
    ).fetchall()
    lines = [f"| model ({billing_period[:7]}) | effective cost | share |", "|---|---:|---:|"]
    lines += [f"| {name} | {money(cost, currency)} | {percent(share)} |" for name, cost, share in rows]
    return Markdown("\n".join(lines))


def mart_figures(
    conn: duckdb.DuckDBPyConnection, marts: Iterable[str] = FIGURE_QUERIES
) -> dict[str, dict[str, object]]:
    """mart name -> figure name -> int, float, str or Markdown, for those of `marts` that have figures
    (FIGURE_QUERIES), read from the warehouse `conn` opens."""
    figures = {mart: _one_row(conn, FIGURE_QUERIES[mart]) for mart in marts if mart in FIGURE_QUERIES}
    cost = figures.get("cost_by_model", {})
    if "open_month" in cost:
        cost["top_models"] = top_models_table(conn, str(cost["open_month"]), str(cost["billing_currency"]))
    return figures


def column_types(
    conn: duckdb.DuckDBPyConnection, relations: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """`schema.name` -> its columns as (name, DuckDB type), in order, for the relations that exist."""
    rows = conn.execute(
        sql.load("metadata/select_column_types"), {"relations": sorted(set(relations))}
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in rows:
        columns.setdefault(f"{schema}.{table}", []).append((column, data_type))
    return columns


def row_counts(conn: duckdb.DuckDBPyConnection, relations: Iterable[str]) -> dict[str, int]:
    """`schema.name` -> its rows, for the base tables among `relations` (views are not counted: that
    would run their query)."""
    tables = conn.execute(
        sql.load("metadata/select_base_tables"), {"relations": sorted(set(relations))}
    ).fetchall()
    counts = {}
    for schema, table in tables:
        # Identifiers come from the catalog and are quoted; no value is interpolated.
        counted = conn.execute(f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}")  # noqa: S608
        counts[f"{schema}.{table}"] = counted.fetchone()[0]
    return counts
