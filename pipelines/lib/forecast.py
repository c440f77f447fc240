"""Figures that say how good the month-end forecast has been (marts.budget_forecast_backtest)."""

from __future__ import annotations

import duckdb

from pipelines.lib import sql


def backtest_figures(conn: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Error by days of the month known and interval coverage, as plain values and a Markdown table."""
    cursor = conn.execute(sql.load("forecast/select_forecast_backtest_summary"))
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    forecasts = sum(row["forecasts"] for row in rows)
    covered = sum(row["forecasts"] * float(row["coverage_pct"]) for row in rows)
    header = (
        "| days of data | forecasts | median abs error % | p90 abs error % | max abs error % | coverage % |"
    )
    lines = [header, "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['days_of_data']} | {row['forecasts']} | {row['median_abs_error_pct']} | "
            f"{row['p90_abs_error_pct']} | {row['max_abs_error_pct']} | {row['coverage_pct']} |"
        )
    figures: dict[str, object] = {
        "backtest_forecasts": forecasts,
        "interval_coverage_pct": round(covered / forecasts, 1) if forecasts else float("nan"),
        "error_by_days_of_data": "\n".join(lines),
    }
    for row in rows:
        figures[f"median_abs_error_pct_days_{row['days_of_data']}"] = float(row["median_abs_error_pct"])
    return figures
