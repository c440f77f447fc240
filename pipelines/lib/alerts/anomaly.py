"""Which cost anomalies to announce, from the rows of marts.cost_anomalies. Pure: no I/O.

One alert per (scope, usage date). Only anomalies on the last few days of data are announced
(``lookback_days``), so the first evaluation over a year of history does not page anyone for last
spring, and only those whose impact reaches ``min_impact``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.lib.alerts.ledger import Alert
from pipelines.lib.alerts.messages import format_anomaly_alert


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def anomaly_alert_key(scope_type: str, scope_value: str, usage_date: dt.date) -> str:
    return f"anomaly:{scope_type}:{scope_value}:{usage_date.isoformat()}"


def due_anomaly_alerts(
    rows: Sequence[Mapping[str, Any]], *, link: str, min_impact: float = 0.0, lookback_days: int = 3
) -> list[Alert]:
    if not rows:
        return []
    latest = max(_date(row.get("data_through_date") or row["usage_date"]) for row in rows)
    since = latest - dt.timedelta(days=max(lookback_days, 1) - 1)
    alerts = []
    for row in sorted(
        rows, key=lambda r: (_date(r["usage_date"]), str(r["scope_type"]), str(r["scope_value"]))
    ):
        usage_date = _date(row["usage_date"])
        impact = float(row["impact_cost"] or 0)
        if usage_date < since or impact < min_impact:
            continue
        message = format_anomaly_alert(
            usage_date=usage_date.isoformat(),
            scope_type=str(row["scope_type"]),
            scope_value=str(row["scope_value"]),
            actual_cost=float(row["actual_cost"]),
            expected_cost=float(row["expected_cost"]),
            impact_cost=impact,
            deviation=None if row.get("deviation") is None else float(row["deviation"]),
            severity=str(row.get("severity") or "medium"),
            currency=str(row.get("billing_currency") or "USD"),
            link=link,
        )
        alerts.append(
            Alert(
                key=anomaly_alert_key(str(row["scope_type"]), str(row["scope_value"]), usage_date),
                kind="anomaly",
                summary=message["text"],
                message=message,
            )
        )
    return alerts
