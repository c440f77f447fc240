"""Which budget alerts are due, from the rows of marts.budget_projection. Pure: no I/O.

One alert per (budget, billing period, kind, threshold), where kind is ``actual`` (spend so far reached
the threshold) or ``forecast`` (the projection for the period reached it). Only the latest billing
period in the data is open; earlier periods are closed and never alert, so a backfill or a restated
month is silent. Deduplication is the ledger's job: the same crossing always yields the same key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pipelines.lib.alerts.ledger import Alert
from pipelines.lib.alerts.messages import Driver, format_budget_alert

DEFAULT_ACTUAL_THRESHOLDS = (80.0, 100.0)
DEFAULT_FORECAST_THRESHOLDS = (100.0,)


def _period(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)[:7]


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _thresholds(value: Any, default: Sequence[float]) -> list[float]:
    if value is None:
        return list(default)
    return sorted({float(v) for v in value})


def _percent(amount: float | None, budget: float) -> float | None:
    """Spend as a percentage of the budget; a zero budget is exceeded by any spend at all."""
    if amount is None:
        return None
    if budget > 0:
        return amount / budget * 100
    return float("inf") if amount > 0 else 0.0


def threshold_label(threshold: float) -> str:
    return f"{threshold:g}"


def budget_alert_key(budget_name: str, period: str, kind: str, threshold: float) -> str:
    return f"budget:{budget_name}:{period}:{kind}:{threshold_label(threshold)}"


def open_period(rows: Sequence[Mapping[str, Any]]) -> str | None:
    periods = [_period(row["billing_period"]) for row in rows if row.get("billing_period") is not None]
    return max(periods) if periods else None


def due_budget_alerts(
    rows: Sequence[Mapping[str, Any]],
    *,
    link: str,
    drivers: Callable[[Mapping[str, Any]], tuple[str, list[Driver]]] = lambda row: ("models", []),
    thresholds: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    today: dt.date | None = None,
) -> list[Alert]:
    """Every threshold crossed in the open billing period, lowest first.

    ``today`` (UTC) makes "open" strict: the latest period in the data alerts only while it is the
    month containing today, so loading old or closed months (a backfill) never alerts.

    ``thresholds`` maps a budget name to (actual, forecast) thresholds for rows that do not carry
    ``actual_thresholds``/``forecast_thresholds`` themselves. A forecast threshold that actual spend has
    already reached is not announced as a forecast: the actual alert says more.
    """
    period = open_period(rows)
    if period is not None and today is not None and period != _period(today.replace(day=1)):
        return []
    alerts: list[Alert] = []
    for row in rows:
        if row.get("billing_period") is not None and _period(row["billing_period"]) == period:
            configured = (thresholds or {}).get(
                str(row["budget_name"]), (DEFAULT_ACTUAL_THRESHOLDS, DEFAULT_FORECAST_THRESHOLDS)
            )
            alerts.extend(_row_alerts(row, period, link, drivers, configured))
    return alerts


def _row_alerts(
    row: Mapping[str, Any],
    period: str,
    link: str,
    drivers: Callable[[Mapping[str, Any]], tuple[str, list[Driver]]],
    configured: tuple[Sequence[float], Sequence[float]],
) -> list[Alert]:
    name = str(row["budget_name"])
    actual_thresholds = _thresholds(row.get("actual_thresholds"), configured[0])
    forecast_thresholds = _thresholds(row.get("forecast_thresholds"), configured[1])
    budget = float(row["budget_amount"] or 0)
    actual = float(row["actual_cost"] or 0)
    projected = _num(row.get("projected_cost"))
    actual_pct = _percent(actual, budget)
    projected_pct = _percent(projected, budget)
    found_drivers: list[tuple[str, list[Driver]]] = []

    def make(kind: str, threshold: float, lower: float | None) -> Alert:
        if not found_drivers:
            found_drivers.append(drivers(row))
        label, top = found_drivers[0]
        data_through = row.get("data_through_date")
        message = format_budget_alert(
            budget_name=name,
            scope_type=str(row.get("scope_type") or "total"),
            scope_value=row.get("scope_value"),
            kind=kind,
            threshold=threshold,
            lower_threshold=lower,
            billing_period=period,
            budget_amount=budget,
            actual_cost=actual,
            actual_pct=actual_pct,
            projected_cost=projected,
            projected_low=_num(row.get("projected_low")),
            projected_high=_num(row.get("projected_high")),
            projected_pct=projected_pct,
            data_through_date=str(data_through) if data_through is not None else None,
            currency=str(row.get("billing_currency") or "USD"),
            drivers=top,
            drivers_label=label,
            link=link,
        )
        return Alert(
            key=budget_alert_key(name, period, kind, threshold),
            kind=f"budget_{kind}",
            summary=message["text"],
            message=message,
        )

    # The mart's own verdict when it has one (a zero budget counts as 100% crossed by any spend);
    # otherwise the percentages computed here from the amounts.
    crossed_actual = _crossed(row.get("crossed_actual_thresholds"), actual_thresholds, actual_pct)
    crossed_forecast = _crossed(row.get("crossed_forecast_thresholds"), forecast_thresholds, projected_pct)
    alerts = []
    lower = None
    for threshold in crossed_actual:
        alerts.append(make("actual", threshold, lower))
        lower = threshold
    lower = None
    for threshold in crossed_forecast:
        # Spend already at the threshold says more than a forecast of it.
        if not (actual_pct is not None and actual_pct >= threshold):
            alerts.append(make("forecast", threshold, lower))
        lower = threshold
    return alerts


def _crossed(from_mart: Any, thresholds: list[float], pct: float | None) -> list[float]:
    if from_mart is not None:
        return sorted({float(t) for t in from_mart})
    return [t for t in thresholds if pct is not None and pct >= t]
