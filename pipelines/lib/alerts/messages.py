"""Slack messages as pure functions of what the warehouse decided.

Each function returns ``{"text": <notification and fallback>, "blocks": [<Block Kit>]}``. The rows
they format (``BudgetAlert``, ``CostAnomaly``) are rows of marts.budget_alerts and
marts.cost_anomalies; nothing here decides whether an alert is due, only how it reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from pipelines.lib.formatting import money, percent
from pipelines.lib.report import ANOMALIES_SECTION, BUDGET_SECTION, section_url

# Slack rejects a section text longer than 3000 characters.
MAX_ERROR_CHARS = 2500

# Links in messages open these assets: the numbers behind an alert.
BUDGET_ASSET_KEY = ("marts", "budget_projection")
ANOMALY_ASSET_KEY = ("marts", "cost_anomalies")

Number = Decimal | float | int


@dataclass(frozen=True)
class Driver:
    """One of the models (or, for a model budget, categories) with the most spend in a budget's scope."""

    name: str
    cost: Number
    share_pct: float | None = None  # of the budget's actual cost
    previous_cost: Number | None = None  # last month over the same days
    change_cost: Number | None = None  # cost - previous_cost


@dataclass(frozen=True)
class BudgetAlert:
    """One row of marts.budget_alerts: a budget threshold reached in the open billing period (or, the
    final figure, in the month that just closed)."""

    alert_key: str
    budget_name: str
    scope_type: str
    scope_value: str | None
    billing_period: dt.date
    billing_currency: str
    alert_kind: str  # actual | forecast
    threshold_pct: float
    escalated_from_pct: float | None
    severity: str  # warning | critical
    budget_amount: Number
    actual_cost: Number
    actual_pct: Number | None
    projected_cost: Number | None
    projected_low: Number | None
    projected_high: Number | None
    projected_pct: Number | None
    data_through_date: dt.date | None
    drivers_label: str
    top_drivers: tuple[Driver, ...]
    due_until_date: dt.date
    is_final_figure: bool = False


@dataclass(frozen=True)
class RootCause:
    """A usage type (of a resource, in an account) whose cost that day differs most from the usual."""

    usage_type: str
    resource_id: str | None
    account_id: str | None
    impact_cost: Number


@dataclass(frozen=True)
class CostAnomaly:
    """One row of marts.cost_anomalies that is due: a recent day of unusually high spend."""

    alert_key: str
    usage_date: dt.date
    scope_type: str  # model | total
    scope_value: str
    billing_currency: str
    actual_cost: Number
    expected_cost: Number
    impact_cost: Number
    deviation: float | None
    deviation_pct: Number | None
    severity: str  # medium | high
    due_until_date: dt.date
    weekday_name: str | None = None
    root_causes: tuple[RootCause, ...] = ()
    impact_level: int = 0  # doublings of the impact above the floor; an alert re-sends when it grows


def signed_money(amount: Number, currency: str = "USD") -> str:
    """+$12.00 or -$3.50."""
    return ("-" if amount < 0 else "+") + money(abs(amount), currency)


def threshold(value: Number) -> str:
    """A threshold as configured: 80 -> "80%", 12.5 -> "12.5%"."""
    return f"{float(value):g}%"


def share_of_budget(pct: Number | None, amount: Number | None, budget: Number) -> str:
    """The mart's percentage; a budget of 0 has none, and any spend at all is over it."""
    if pct is None and budget == 0 and amount:
        return "∞%"
    return percent(pct)


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


def _links(*links: tuple[str, str | None]) -> dict:
    """One context line of links (text, url); a link without a url is left out."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"<{url}|{text}>"} for text, url in links if url],
    }


def budget_message(alert: BudgetAlert, ui_url: str, report_url: str | None = None) -> dict:
    """What crossed, by how much, and what drives it, for one due budget alert. Links to the mart's
    asset page in Dagster and, given `report_url` (where the cost report opens), to its budget chart."""
    currency = alert.billing_currency
    scope = "all spend" if alert.scope_type == "total" else f"{alert.scope_type} = {alert.scope_value}"
    emoji = ":rotating_light:" if alert.severity == "critical" else ":warning:"
    amount = money(alert.budget_amount, currency)
    if alert.alert_kind == "actual":
        headline = f"Budget {alert.budget_name}: spend reached {threshold(alert.threshold_pct)} of {amount}"
    else:
        headline = (
            f"Budget {alert.budget_name}: forecast to reach {threshold(alert.threshold_pct)} of {amount}"
        )
    period = alert.billing_period.strftime("%Y-%m")
    if alert.is_final_figure:
        headline += f" (final figure for {period})"
    actual_share = share_of_budget(alert.actual_pct, alert.actual_cost, alert.budget_amount)
    projected_share = share_of_budget(alert.projected_pct, alert.projected_cost, alert.budget_amount)
    projection = money(alert.projected_cost, currency)
    if alert.projected_low is not None and alert.projected_high is not None:
        projection += f" ({money(alert.projected_low, currency)} – {money(alert.projected_high, currency)})"
    crossed = f"{alert.alert_kind} ≥ {threshold(alert.threshold_pct)}"
    if alert.escalated_from_pct is not None:
        crossed += f" (escalated from {threshold(alert.escalated_from_pct)})"
    through = alert.data_through_date.isoformat() if alert.data_through_date else "n/a"
    blocks = [
        _header(f"{emoji} {headline}"),
        _fields(
            [
                ("Budget", f"{alert.budget_name} ({scope})"),
                ("Billing period", f"{period} (data through {through})"),
                ("Actual", f"{money(alert.actual_cost, currency)} · {actual_share} of budget"),
                ("Projected", f"{projection} · {projected_share} of budget"),
                ("Threshold crossed", crossed),
                ("Budget amount", amount),
            ]
        ),
    ]
    if alert.top_drivers:
        lines = [
            f"{i}. *{d.name}*: {money(d.cost, currency)}"
            + (f" ({percent(d.share_pct)})" if d.share_pct is not None else "")
            + (
                f", {signed_money(d.change_cost, currency)} vs last month"
                if d.change_cost is not None
                else ""
            )
            for i, d in enumerate(alert.top_drivers, start=1)
        ]
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*Top {alert.drivers_label}*\n" + "\n".join(lines)},
            }
        )
    blocks.append(
        _links(
            ("Open budget_projection in Dagster", asset_url(ui_url, BUDGET_ASSET_KEY)),
            ("See it in the cost report", section_url(BUDGET_SECTION, report_url) if report_url else None),
        )
    )
    text = (
        f"{headline}: actual {money(alert.actual_cost, currency)} ({actual_share}), "
        f"projected {money(alert.projected_cost, currency)} ({projected_share}) for {period}"
    )
    return {"text": text, "blocks": blocks}


def _resource_name(resource_id: str | None) -> str | None:
    """The readable end of an ARN or resource id: arn:...:endpoint/ranker-prod -> endpoint ranker-prod."""
    if not resource_id:
        return None
    tail = resource_id.rsplit(":", 1)[-1]
    return tail.replace("/", " ", 1)


def _cause(cause: RootCause, currency: str) -> str:
    what = cause.usage_type
    resource = _resource_name(cause.resource_id)
    if resource:
        what += f" of {resource}"
    if cause.account_id:
        what += f" (account {cause.account_id})"
    return f"{what}: {signed_money(cause.impact_cost, currency)}"


def anomaly_message(
    anomaly: CostAnomaly, ui_url: str, grew: bool = False, report_url: str | None = None
) -> dict:
    """A day of unusual spend in plain words: what it cost against the usual for that weekday, by how
    much, and what drove it. `grew`: it was announced before with a smaller impact. Links to the mart's
    asset page in Dagster and, given `report_url`, to the anomalies chart of the cost report."""
    currency = anomaly.billing_currency
    scope = "Total spend" if anomaly.scope_type == "total" else f"{anomaly.scope_type} {anomaly.scope_value}"
    day = anomaly.usage_date.isoformat()
    weekday = anomaly.weekday_name or anomaly.usage_date.strftime("%A")
    title = "Cost anomaly grew" if grew else "Cost anomaly"
    headline = f"{title} ({anomaly.severity}): {scope} on {day}"
    sentence = f"{money(anomaly.actual_cost, currency)} on {weekday}"
    if anomaly.expected_cost and anomaly.expected_cost > 0:
        sentence += (
            f", about {float(anomaly.actual_cost) / float(anomaly.expected_cost):.1f}x the usual "
            f"{money(anomaly.expected_cost, currency)} for a {weekday}"
        )
    else:
        sentence += f", where a {weekday} usually costs nothing"
    sentence += f"; {signed_money(anomaly.impact_cost, currency)}"
    if anomaly.root_causes:
        top = anomaly.root_causes[0]
        resource = _resource_name(top.resource_id)
        sentence += f", mostly {top.usage_type}" + (f" of {resource}" if resource else "")
    blocks = [
        _header(f":chart_with_upwards_trend: {headline}"),
        {"type": "section", "text": {"type": "mrkdwn", "text": sentence}},
    ]
    if anomaly.root_causes:
        lines = [f"{i}. {_cause(c, currency)}" for i, c in enumerate(anomaly.root_causes, start=1)]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "*What changed*\n" + "\n".join(lines)}}
        )
    blocks.append(
        _links(
            ("Open cost_anomalies in Dagster", asset_url(ui_url, ANOMALY_ASSET_KEY)),
            ("See it in the cost report", section_url(ANOMALIES_SECTION, report_url) if report_url else None),
        )
    )
    return {"text": f"{headline}: {sentence}", "blocks": blocks}


def run_failure_message(*, job_name: str, run_id: str, steps: Sequence[str], error: str, link: str) -> dict:
    """A failed run: the job, the failing step(s), the error (cut to Slack's limits) and a link."""
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


def setup_check_message(*, destination: str, ui_url: str) -> dict:
    """The message `mlcost alerts test` posts to prove the destination works."""
    text = f"mlcost test alert: this channel receives mlcost budget, anomaly and run-failure alerts ({destination})."
    return {
        "text": text,
        "blocks": [
            _header(":white_check_mark: mlcost alerts are set up"),
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            _link("Open Dagster", ui_url),
        ],
    }
