"""The report's builders on hand-made rows: amounts in two currencies are never drawn on one axis, a
cost per prediction that is not known yet is never drawn as 0, and numbers read as money and %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pipelines.lib.formatting import money, share
from pipelines.lib.report.sections import cost_per_1k_predictions, daily_cost_by_category, top_recommendations

DAY = dt.date(2026, 3, 1)


def test_money_and_shares_read_with_their_signs():
    assert money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert money(Decimal("-3"), "EUR") == "-EUR 3.00"
    assert money(None) == "n/a"
    assert share(0.001132, 2) == "0.11%"
    assert share(Decimal("1.5")) == "150%"
    assert share(None) == "n/a"


def test_each_currency_gets_its_own_chart():
    rows = [
        {"usage_date": DAY, "billing_currency": currency, "category": "training", "effective_cost": cost}
        for currency, cost in (("USD", Decimal("10")), ("EUR", Decimal("7")), ("USD", Decimal("1")))
    ]
    spec = daily_cost_by_category(rows).chart.to_dict()
    charts = spec["vconcat"]
    assert [chart["title"] for chart in charts] == [
        "Daily effective cost by category, EUR",
        "Daily effective cost by category, USD",
    ]
    assert [{row["billing_currency"] for row in chart["data"]["values"]} for chart in charts] == [
        {"EUR"},
        {"USD"},
    ]
    assert charts[1]["encoding"]["y"]["axis"]["format"] == "$,.2~f"
    assert charts[0]["encoding"]["y"]["axis"]["format"] == ",.2~f"


def test_a_cost_per_prediction_not_known_yet_is_a_reason_not_a_line_at_zero():
    rows = [
        {"usage_date": DAY, "endpoint_name": "churn-prod", "billing_currency": "USD", "predictions": 100,
         "inference_cost": Decimal("2"), "cost_per_1k_predictions": None, "reason": "bill_not_complete"},
    ]  # fmt: skip
    content = cost_per_1k_predictions(rows)
    spec = content.chart.to_dict()
    assert content.summary == "No day has a cost per 1,000 predictions yet."
    assert spec["mark"]["type"] == "square" and spec["encoding"]["color"]["field"] == "reason"
    assert spec["data"]["values"][0]["cost_per_1k_predictions"] is None


def test_recommendations_show_the_columns_they_have_with_money_in_their_currency():
    content = top_recommendations(
        [{"recommendation_type": "idle_endpoint", "resource": "ranker-dev", "estimated_monthly_savings": Decimal("812.4"),
          "billing_currency": "USD", "action": "delete the endpoint", "extra": 1}]
    )  # fmt: skip
    assert content.table.columns == ["what", "resource", "saves per month", "action"]
    assert content.table.rows == [["idle_endpoint", "ranker-dev", "$812.40", "delete the endpoint"]]
    assert top_recommendations([]).note == "No recommendation: marts.recommendations found nothing to save."
