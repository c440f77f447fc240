"""Record the alerts the warehouse decided are due, read from the published copy of the marts.

marts.budget_alerts (one row per due budget alert) and marts.cost_anomalies (the rows with
is_alert_due) hold every decision; this module only reads them and writes each new one to the ledger
with its message. It reads the published copy (pipelines/lib/published.py), so it never waits for,
or blocks, a pipeline run writing the warehouse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb

from pipelines.lib import report, settings, sql
from pipelines.lib.alerts.ledger import Alert, Ledger
from pipelines.lib.alerts.messages import (
    BudgetAlert,
    CostAnomaly,
    Driver,
    RootCause,
    anomaly_message,
    budget_message,
)


class PublishedCopyError(RuntimeError):
    """The published copy is missing or predates the alert marts; the message says what to run."""


def _rows(conn: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    cursor = conn.execute(sql.load(name))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _end_of(day: dt.date) -> float:
    """The instant a due-until date ends (UTC), as epoch seconds for the ledger. When the build's
    "today" is another day (MLCOST_AS_OF_DATE, set by `mlcost demo`), an alert keeps the lifetime
    it has from that day, so a demo as of mid-last-month still shows its alerts."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    as_of = settings.get("MLCOST_AS_OF_DATE")
    if as_of:
        end += dt.datetime.now(dt.UTC).date() - dt.date.fromisoformat(as_of)
    return end.timestamp()


def _budget_alert(row: dict[str, Any]) -> BudgetAlert:
    values = {f.name: row[f.name] for f in fields(BudgetAlert)}
    values["top_drivers"] = tuple(Driver(**driver) for driver in row["top_drivers"] or ())
    return BudgetAlert(**values)


def _cost_anomaly(row: dict[str, Any]) -> CostAnomaly:
    values = {f.name: row[f.name] for f in fields(CostAnomaly)}
    values["root_causes"] = tuple(RootCause(**cause) for cause in row["root_causes"] or ())
    return CostAnomaly(**values)


def read_due(path: Path) -> tuple[list[BudgetAlert], list[CostAnomaly]]:
    """The due budget alerts and cost anomalies in the published copy at ``path``, in sending order."""
    if not path.is_file():
        raise PublishedCopyError(f"no published copy of the marts at {path} yet (run `mlcost refresh` first)")
    with duckdb.connect(str(path), read_only=True) as conn:
        try:
            budgets = _rows(conn, "alerts/select_due_budget_alerts")
            anomalies = _rows(conn, "alerts/select_due_cost_anomalies")
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            reason = str(exc).splitlines()[0]
            raise PublishedCopyError(
                f"the published copy at {path} has no current alert marts ({reason}); run `mlcost refresh`"
            ) from None
    return [_budget_alert(row) for row in budgets], [_cost_anomaly(row) for row in anomalies]


def as_ledger_alerts(
    budgets: list[BudgetAlert],
    anomalies: list[CostAnomaly],
    ui_url: str,
    ledger: Ledger | None = None,
    report_url: str | None = None,
) -> list[Alert]:
    """Ledger entries, with their messages and expiry, budgets first. An anomaly is a family keyed by
    its alert key, with its impact level: the ledger records it again only when the level grows (its
    message then says it grew). Messages link to the cost report at `report_url` (default
    MLCOST_REPORT_URL, else the report file)."""
    report_url = report_url or report.report_url()
    alerts = []
    for budget in budgets:
        message = budget_message(budget, ui_url, report_url=report_url)
        alerts.append(
            Alert(
                key=budget.alert_key,
                kind=f"budget_{budget.alert_kind}",
                summary=message["text"],
                message=message,
                expires_at=_end_of(budget.due_until_date),
            )
        )
    for anomaly in anomalies:
        announced = ledger.family_level(anomaly.alert_key) if ledger is not None else None
        message = anomaly_message(
            anomaly,
            ui_url,
            grew=announced is not None and anomaly.impact_level > announced,
            report_url=report_url,
        )
        alerts.append(
            Alert(
                key=anomaly.alert_key,
                kind="anomaly",
                summary=message["text"],
                message=message,
                expires_at=_end_of(anomaly.due_until_date),
                family=anomaly.alert_key,
                level=anomaly.impact_level,
            )
        )
    return alerts


def record_due_alerts(path: Path, ledger: Ledger, ui_url: str) -> list[Alert]:
    """Write every due alert in the published copy to the ledger; returns the ones that are new."""
    budgets, anomalies = read_due(path)
    return [alert for alert in as_ledger_alerts(budgets, anomalies, ui_url, ledger) if ledger.record(alert)]
