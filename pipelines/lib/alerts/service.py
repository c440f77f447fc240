"""One evaluation: read the marts, record due alerts in the ledger, deliver what is pending.

The budget and anomaly jobs (inside the pipeline's one-writer DuckDB pool), the sensors (ledger and
delivery only; they never open the warehouse) and `mlcost alerts check` all call these functions.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipelines.lib import settings as project_settings
from pipelines.lib.alerts.anomaly import due_anomaly_alerts
from pipelines.lib.alerts.budget import due_budget_alerts
from pipelines.lib.alerts.delivery import Destination
from pipelines.lib.alerts.ledger import Alert, Ledger, LedgerRow
from pipelines.lib.alerts.messages import Driver, asset_url
from pipelines.lib.alerts.settings import AlertSettings

# Asset keys of the marts the alerts read: dagster-dbt prefixes a model with its configured schema.
BUDGET_ASSET_KEY = ("marts", "budget_projection")
ANOMALY_ASSET_KEY = ("marts", "cost_anomalies")

# A sensor tick must finish well inside Dagster's 60-second sensor timeout; what is not delivered
# by then stays pending for the next tick.
DELIVERY_SECONDS_PER_TICK = 40

# scope_type of a budget -> (column of marts.cost_attribution it filters on, column to rank drivers
# by, label). Identifiers only ever come from this table, never from the data. tag:<key> budgets get
# no drivers (their tags live on the line items).
_SCOPE_DRIVERS: dict[str, tuple[str | None, str, str]] = {
    "total": (None, "model_name", "models"),
    "model": ("model_name", "category", "categories"),
    "team": ("team", "model_name", "models"),
    "project": ("project", "model_name", "models"),
    "environment": ("environment", "model_name", "models"),
    "category": ("category", "model_name", "models"),
    "service": ("service_name", "model_name", "models"),
}
_COST_COLUMNS = {"effective": "effective_cost", "billed": "billed_cost"}


def _rows(conn: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(query, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def top_drivers(
    conn: duckdb.DuckDBPyConnection, row: Mapping[str, Any], limit: int = 3
) -> tuple[str, list[Driver]]:
    """The models (or, for a model budget, the categories) with the most spend in the budget's scope."""
    scope = _SCOPE_DRIVERS.get(str(row.get("scope_type") or "total"))
    if scope is None or not _table_exists(conn, "marts", "cost_attribution"):
        return ("models", [])
    filter_column, group_column, label = scope
    cost_column = _COST_COLUMNS.get(str(row.get("cost_basis") or "effective"), "effective_cost")
    where = "billing_period = ?"
    params: list[Any] = [row["billing_period"]]
    if filter_column == "service_name":  # as the budget matches it: service name or code
        where += " and (lower(service_name) = lower(?) or lower(service_code) = lower(?))"
        params += [row.get("scope_value")] * 2
    elif filter_column is not None:
        where += f" and lower({filter_column}) = lower(?)"
        params.append(row.get("scope_value"))
    query = (
        f"select {group_column} as name, sum({cost_column}) as cost from marts.cost_attribution "  # noqa: S608
        f"where {where} group by 1 having sum({cost_column}) > 0 order by 2 desc, 1 limit {int(limit)}"
    )
    return (label, [Driver(str(name), float(cost)) for name, cost in conn.execute(query, params).fetchall()])


def thresholds_from_budgets_file(
    path: str | Path | None = None,
) -> dict[str, tuple[list[float], list[float]]]:
    """Thresholds per budget from BUDGETS_FILE, for a projection mart that does not carry them."""
    path = Path(path or project_settings.get("BUDGETS_FILE") or "budgets.yml")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    result = {}
    for budget in data.get("budgets") or []:
        if isinstance(budget, dict) and budget.get("name"):
            result[str(budget["name"])] = (
                [float(t) for t in budget.get("actual_thresholds") or (80, 100)],
                [float(t) for t in budget.get("forecast_thresholds") or (100,)],
            )
    return result


def check_budgets(conn: duckdb.DuckDBPyConnection, ledger: Ledger, settings: AlertSettings) -> list[Alert]:
    """Record every budget alert due in the open billing period; returns the ones that are new."""
    if not _table_exists(conn, "marts", "budget_projection"):
        return []
    rows = _rows(conn, "select * from marts.budget_projection")
    alerts = due_budget_alerts(
        rows,
        link=asset_url(settings.ui_url, BUDGET_ASSET_KEY),
        drivers=lambda row: top_drivers(conn, row),
        thresholds=thresholds_from_budgets_file(),
        today=dt.datetime.now(dt.UTC).date(),
    )
    return [alert for alert in alerts if ledger.record(alert)]


def check_anomalies(conn: duckdb.DuckDBPyConnection, ledger: Ledger, settings: AlertSettings) -> list[Alert]:
    """Record every recent cost anomaly with enough impact; returns the ones that are new."""
    if not _table_exists(conn, "marts", "cost_anomalies"):
        return []
    rows = _rows(conn, "select * from marts.cost_anomalies")
    alerts = due_anomaly_alerts(
        rows,
        link=asset_url(settings.ui_url, ANOMALY_ASSET_KEY),
        min_impact=settings.anomaly_min_impact,
        lookback_days=settings.anomaly_lookback_days,
    )
    return [alert for alert in alerts if ledger.record(alert)]


@dataclass
class DeliveryReport:
    sent: list[LedgerRow] = field(default_factory=list)
    failed: list[tuple[LedgerRow, str]] = field(default_factory=list)
    held_until: float | None = None

    def describe(self) -> str:
        parts = [f"{len(self.sent)} sent"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed and kept pending ({self.failed[-1][1]})")
        if self.held_until:
            parts.append(
                f"Slack asked us to wait until {time.strftime('%H:%M:%S', time.localtime(self.held_until))}"
            )
        return ", ".join(parts)


def deliver_pending(
    ledger: Ledger,
    destination: Destination,
    *,
    log: logging.Logger | None = None,
    max_seconds: float = DELIVERY_SECONDS_PER_TICK,
) -> DeliveryReport:
    """Send pending alerts, oldest first, until none is due, one fails or time is up.

    A failure (5xx, timeout, 429) puts the alert back to pending and ends this round, so an outage
    costs one request per tick rather than one per alert; a 429 also holds the destination until its
    Retry-After has passed.
    """
    report = DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        held = ledger.held_until(destination.name)
        if held > time.time():
            report.held_until = held
            break
        row = ledger.claim_next()
        if row is None:
            break
        result = destination.send(row.message)
        if result.ok:
            ledger.mark_sent(row.key, destination.name)
            report.sent.append(row)
            if log is not None:
                log.info(f"alert sent to {destination.name}: {row.summary}")
            continue
        error = result.error or "unknown error"
        retry_at = time.time() + result.retry_after if result.retry_after is not None else 0.0
        ledger.release(row.key, error, retry_at)
        if result.retry_after is not None:
            ledger.hold(destination.name, retry_at)
            report.held_until = retry_at
        report.failed.append((row, error))
        if log is not None:
            log.warning(f"alert kept pending after {destination.name} failed: {error} ({row.summary})")
        break
    return report
