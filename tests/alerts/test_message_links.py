"""Alert messages link to what they describe: the mart's asset page in Dagster and the section of the
cost report that charts it (MLCOST_REPORT_URL, else the report file beside the warehouse)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from pipelines.lib.alerts.due import as_ledger_alerts
from pipelines.lib.alerts.messages import CostAnomaly, anomaly_message, budget_message
from pipelines.lib.report import report_path
from pipelines.lib.report.sections import SECTIONS
from tests.alerts.test_messages import budget_alert

ANOMALY = CostAnomaly(
    alert_key="anomaly:total:total:2026-03-10", usage_date=dt.date(2026, 3, 10), scope_type="total",
    scope_value="total", billing_currency="USD", actual_cost=Decimal("900"), expected_cost=Decimal("300"),
    impact_cost=Decimal("600"), deviation=9.0, deviation_pct=Decimal("200"), severity="high",
    due_until_date=dt.date(2026, 3, 20),
)  # fmt: skip


def links(message: dict) -> list[str]:
    """The mrkdwn links (`<url|text>`) of a message's last block."""
    return [element["text"] for element in message["blocks"][-1]["elements"]]


def test_budget_and_anomaly_messages_link_to_dagster_and_to_their_report_section():
    report = "https://reports.example.com/mlcost/report.html"
    budget = links(budget_message(budget_alert(), "http://ui", report_url=report))
    assert budget == [
        "<http://ui/assets/marts/budget_projection|Open budget_projection in Dagster>",
        "<https://reports.example.com/mlcost/report.html#budget|See it in the cost report>",
    ]
    anomaly = links(anomaly_message(ANOMALY, "http://ui/", report_url=report + "#top"))
    assert anomaly == [
        "<http://ui/assets/marts/cost_anomalies|Open cost_anomalies in Dagster>",
        "<https://reports.example.com/mlcost/report.html#anomalies|See it in the cost report>",
    ]
    # The anchors linked to are sections the report has.
    assert {"budget", "anomalies"} <= {section.id for section in SECTIONS}


def test_without_a_report_url_a_message_links_to_dagster_only():
    assert links(budget_message(budget_alert(), "http://ui")) == [
        "<http://ui/assets/marts/budget_projection|Open budget_projection in Dagster>"
    ]


def test_recorded_alerts_link_to_the_configured_report_url_else_the_report_file(warehouse_path, monkeypatch):
    message = as_ledger_alerts([budget_alert()], [ANOMALY], "http://ui")[1].message
    file_url = report_path().as_uri()
    assert file_url == (warehouse_path.parent / "warehouse.report.html").as_uri()
    assert f"<{file_url}#anomalies|See it in the cost report>" in links(message)

    monkeypatch.setenv("MLCOST_REPORT_URL", "https://intranet/mlcost/")
    budget, anomaly = (alert.message for alert in as_ledger_alerts([budget_alert()], [ANOMALY], "http://ui"))
    assert "<https://intranet/mlcost/#budget|See it in the cost report>" in links(budget)
    assert "<https://intranet/mlcost/#anomalies|See it in the cost report>" in links(anomaly)

    monkeypatch.delenv("MLCOST_REPORT_URL")
    monkeypatch.setenv("MLCOST_REPORT_PATH", str(Path("elsewhere") / "costs.html"))
    budget = as_ledger_alerts([budget_alert()], [], "http://ui")[0].message
    assert f"<{(Path.cwd() / 'elsewhere' / 'costs.html').as_uri()}#budget|" in links(budget)[1]
