"""Slack messages as pure functions: each returns ``{"text": <fallback>, "blocks": [<Block Kit>]}``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

# Slack rejects a section text longer than 3000 characters.
MAX_ERROR_CHARS = 2500


@dataclass(frozen=True)
class Driver:
    """One of the models or teams driving a budget's spend this period."""

    name: str
    cost: float


def money(amount: float | None, currency: str = "USD") -> str:
    if amount is None:
        return "n/a"
    symbol = "$" if currency in ("USD", "", None) else f"{currency} "
    return f"{symbol}{amount:,.2f}"


def pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == float("inf"):
        return "∞%"
    return f"{value:,.0f}%"


def asset_url(ui_url: str, asset_key: Sequence[str]) -> str:
    return f"{ui_url.rstrip('/')}/assets/{'/'.join(quote(part) for part in asset_key)}"


def run_url(ui_url: str, run_id: str) -> str:
    return f"{ui_url.rstrip('/')}/runs/{quote(run_id)}"


def _fields(pairs: Sequence[tuple[str, str]]) -> dict:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in pairs]}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def _link(text: str, url: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{url}|{text}>"}]}


def format_budget_alert(
    *,
    budget_name: str,
    scope_type: str,
    scope_value: str | None,
    kind: str,
    threshold: float,
    lower_threshold: float | None,
    billing_period: str,
    budget_amount: float,
    actual_cost: float,
    actual_pct: float | None,
    projected_cost: float | None,
    projected_low: float | None,
    projected_high: float | None,
    projected_pct: float | None,
    data_through_date: str | None,
    currency: str,
    drivers: Sequence[Driver],
    drivers_label: str,
    link: str,
) -> dict:
    """A budget threshold crossing. ``kind`` is ``actual`` (spend so far) or ``forecast`` (projection)."""
    scope = "all spend" if scope_type == "total" else f"{scope_type} = {scope_value}"
    emoji = ":rotating_light:" if threshold >= 100 else ":warning:"
    if kind == "actual":
        headline = f"Budget {budget_name}: spend reached {pct(threshold)} of {money(budget_amount, currency)}"
    else:
        headline = (
            f"Budget {budget_name}: forecast to reach {pct(threshold)} of {money(budget_amount, currency)}"
        )
    projection = money(projected_cost, currency)
    if projected_low is not None and projected_high is not None:
        projection += f" ({money(projected_low, currency)} – {money(projected_high, currency)})"
    crossed = f"{kind} ≥ {pct(threshold)}"
    if lower_threshold is not None:
        crossed += f" (escalated from {pct(lower_threshold)})"
    blocks = [
        _header(f"{emoji} {headline}"),
        _fields(
            [
                ("Budget", f"{budget_name} ({scope})"),
                ("Billing period", f"{billing_period} (data through {data_through_date or 'n/a'})"),
                ("Actual", f"{money(actual_cost, currency)} · {pct(actual_pct)} of budget"),
                ("Projected", f"{projection} · {pct(projected_pct)} of budget"),
                ("Threshold crossed", crossed),
                ("Budget amount", money(budget_amount, currency)),
            ]
        ),
    ]
    if drivers:
        lines = [
            f"{i}. *{d.name}*: {money(d.cost, currency)}"
            + (f" ({pct(d.cost / actual_cost * 100)})" if actual_cost else "")
            for i, d in enumerate(drivers, start=1)
        ]
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*Top {drivers_label}*\n" + "\n".join(lines)},
            }
        )
    blocks.append(_link("Open budget_projection in Dagster", link))
    text = (
        f"{headline}: actual {money(actual_cost, currency)} ({pct(actual_pct)}), "
        f"projected {money(projected_cost, currency)} ({pct(projected_pct)}) for {billing_period}"
    )
    return {"text": text, "blocks": blocks}


def format_anomaly_alert(
    *,
    usage_date: str,
    scope_type: str,
    scope_value: str,
    actual_cost: float,
    expected_cost: float,
    impact_cost: float,
    deviation: float | None,
    severity: str,
    currency: str,
    link: str,
) -> dict:
    scope = "Total spend" if scope_type == "total" else f"{scope_type} {scope_value}"
    change = impact_cost / expected_cost * 100 if expected_cost else None
    headline = f"Cost anomaly ({severity}): {scope} on {usage_date}"
    blocks = [
        _header(f":chart_with_upwards_trend: {headline}"),
        _fields(
            [
                ("Actual", money(actual_cost, currency)),
                ("Expected", money(expected_cost, currency)),
                ("Impact", f"+{money(impact_cost, currency)}" + (f" (+{pct(change)})" if change else "")),
                ("Deviation", f"{deviation:.1f} robust z" if deviation is not None else "n/a"),
            ]
        ),
        _link("Open cost_anomalies in Dagster", link),
    ]
    text = f"{headline}: {money(actual_cost, currency)} against {money(expected_cost, currency)} expected"
    return {"text": text, "blocks": blocks}


def format_run_failure(*, job_name: str, run_id: str, steps: Sequence[str], error: str, link: str) -> dict:
    error = error.strip() or "no error message"
    if len(error) > MAX_ERROR_CHARS:
        error = error[:MAX_ERROR_CHARS] + "…"
    error = error.replace("```", "'''")
    step_text = ", ".join(steps) if steps else "n/a (the run failed outside a step)"
    blocks = [
        _header(f":x: Run failed: {job_name}"),
        _fields([("Job", job_name), ("Run", f"<{link}|{run_id[:8]}>"), ("Failed step", step_text)]),
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{error}```"}},
        _link("Open the run in Dagster", link),
    ]
    first_line = error.splitlines()[0] if error else ""
    return {"text": f"Run {run_id[:8]} of {job_name} failed at {step_text}: {first_line}", "blocks": blocks}


def format_test_message(*, destination: str, ui_url: str) -> dict:
    text = f"mlcost test alert: this channel receives mlcost budget, anomaly and run-failure alerts ({destination})."
    return {
        "text": text,
        "blocks": [
            _header(":white_check_mark: mlcost alerts are set up"),
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            _link("Open Dagster", ui_url),
        ],
    }
