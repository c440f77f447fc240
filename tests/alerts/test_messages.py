"""Message text is a pure function of a mart row: what crossed, by how much, what drives it, and links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pipelines.lib.alerts.messages import (
    BudgetAlert,
    CostAnomaly,
    Driver,
    RootCause,
    anomaly_message,
    budget_message,
    run_failure_message,
)

PERIOD = dt.date(2026, 3, 1)


def budget_alert(**changes) -> BudgetAlert:
    """A row of marts.budget_alerts, as the published copy returns it (DECIMAL money)."""
    values = dict(
        alert_key="budget:churn:2026-03:actual:100",
        budget_name="churn",
        scope_type="model",
        scope_value="churn",
        billing_period=PERIOD,
        billing_currency="USD",
        alert_kind="actual",
        threshold_pct=100.0,
        escalated_from_pct=80.0,
        severity="critical",
        budget_amount=Decimal("1000"),
        actual_cost=Decimal("1100.5"),
        actual_pct=110.05,
        projected_cost=Decimal("1500"),
        projected_low=Decimal("1350"),
        projected_high=Decimal("1650"),
        projected_pct=150.0,
        data_through_date=dt.date(2026, 3, 14),
        drivers_label="categories",
        top_drivers=(Driver("inference", Decimal("800"), 72.7), Driver("training", Decimal("300.5"), 27.3)),
        due_until_date=dt.date(2026, 3, 31),
    )
    values.update(changes)
    return BudgetAlert(**values)


def test_budget_message_names_scope_escalation_drivers_and_link():
    message = budget_message(budget_alert(), "http://ui/")
    assert message["text"] == (
        "Budget churn: spend reached 100% of $1,000.00: actual $1,100.50 (110.0%), "
        "projected $1,500.00 (150.0%) for 2026-03"
    )
    header, fields, drivers, link = message["blocks"]
    assert header["text"]["text"].startswith(":rotating_light: ")
    texts = [field["text"] for field in fields["fields"]]
    assert "*Budget*\nchurn (model = churn)" in texts
    assert "*Billing period*\n2026-03 (data through 2026-03-14)" in texts
    assert "*Projected*\n$1,500.00 ($1,350.00 – $1,650.00) · 150.0% of budget" in texts
    assert "*Threshold crossed*\nactual ≥ 100% (escalated from 80%)" in texts
    assert (
        drivers["text"]["text"]
        == "*Top categories*\n1. *inference*: $800.00 (72.7%)\n2. *training*: $300.50 (27.3%)"
    )
    assert "<http://ui/assets/marts/budget_projection|" in link["elements"][0]["text"]


def test_forecast_message_in_another_currency_with_no_drivers_is_a_warning():
    alert = budget_alert(
        alert_kind="forecast", threshold_pct=12.5, escalated_from_pct=None, severity="warning",
        billing_currency="EUR", scope_type="total", scope_value="", top_drivers=(),
    )  # fmt: skip
    message = budget_message(alert, "http://ui")
    assert message["text"].startswith("Budget churn: forecast to reach 12.5% of EUR 1,000.00")
    assert message["blocks"][0]["text"]["text"].startswith(":warning: ")
    assert "churn (all spend)" in str(message["blocks"][1])
    assert "escalated" not in str(message) and "Top " not in str(message)


def test_zero_budget_reads_as_infinitely_over():
    alert = budget_alert(
        budget_amount=Decimal(0), actual_cost=Decimal(5), actual_pct=None, projected_pct=None
    )
    assert "actual $5.00 (∞%)" in budget_message(alert, "http://ui")["text"]


def test_anomaly_message_says_in_plain_words_what_it_cost_and_what_drove_it():
    anomaly = CostAnomaly(
        alert_key="anomaly:model:ranker:2026-03-10", usage_date=dt.date(2026, 3, 10), scope_type="model",
        scope_value="ranker", billing_currency="USD", actual_cost=Decimal("70.44"), expected_cost=Decimal("23.70"),
        impact_cost=Decimal("46.74"), deviation=12.34, deviation_pct=Decimal("197.2"), severity="high",
        due_until_date=dt.date(2026, 3, 20), weekday_name="Tuesday",
        root_causes=(
            RootCause("USE1-Host:ml.g5.2xlarge", "arn:aws:sagemaker:us-east-1:111:endpoint/ranker-prod", "111", Decimal("40.10")),
            RootCause("USE1-Host:ml.m5.large", None, "111", Decimal("6.64")),
        ),
    )  # fmt: skip
    message = anomaly_message(anomaly, "http://ui")
    assert message["text"] == (
        "Cost anomaly (high): model ranker on 2026-03-10: $70.44 on Tuesday, about 3.0x the usual $23.70 "
        "for a Tuesday; +$46.74, mostly USE1-Host:ml.g5.2xlarge of endpoint ranker-prod"
    )
    assert "robust z" not in str(message)
    assert message["blocks"][2]["text"]["text"] == (
        "*What changed*\n1. USE1-Host:ml.g5.2xlarge of endpoint ranker-prod (account 111): +$40.10"
        "\n2. USE1-Host:ml.m5.large (account 111): +$6.64"
    )
    assert "http://ui/assets/marts/cost_anomalies" in str(message["blocks"][3])


def test_run_failure_message_stays_within_slack_limits():
    message = run_failure_message(job_name="j", run_id="r" * 36, steps=["s"], error="x" * 10_000, link="l")
    assert all(len(str(block)) < 3000 for block in message["blocks"])
    assert (
        "'''"
        in run_failure_message(job_name="j", run_id="r", steps=[], error="a```b", link="l")["blocks"][2][
            "text"
        ]["text"]
    )


def test_budget_message_says_final_figure_and_each_drivers_change_against_last_month():
    alert = budget_alert(
        is_final_figure=True,
        top_drivers=(
            Driver("inference", Decimal("800"), 72.7, Decimal("650"), Decimal("150")),
            Driver("training", Decimal("300.5"), 27.3, Decimal("400"), Decimal("-99.5")),
        ),
    )
    message = budget_message(alert, "http://ui/")
    assert message["text"].startswith(
        "Budget churn: spend reached 100% of $1,000.00 (final figure for 2026-03)"
    )
    assert message["blocks"][2]["text"]["text"] == (
        "*Top categories*\n1. *inference*: $800.00 (72.7%), +$150.00 vs last month"
        "\n2. *training*: $300.50 (27.3%), -$99.50 vs last month"
    )
