"""Pure alert helpers: budget decisions, the ledger's claims, message formatting, scrubbing."""

from __future__ import annotations

import datetime as dt

from pipelines.lib.alerts.budget import due_budget_alerts
from pipelines.lib.alerts.delivery import scrub
from pipelines.lib.alerts.ledger import CLAIM_LEASE_SECONDS, Alert, Ledger
from pipelines.lib.alerts.messages import Driver, format_run_failure
from pipelines.lib.alerts.service import thresholds_from_budgets_file
from tests.alerts.conftest import budget_row

PERIOD = dt.date(2026, 3, 1)


def keys(alerts: list[Alert]) -> list[str]:
    return [alert.key.split(":", 3)[-1] for alert in alerts]


def test_forecast_is_not_announced_for_a_threshold_spend_already_reached():
    rows = [budget_row("b", PERIOD, actual=1200, projected=1500)]
    assert keys(due_budget_alerts(rows, link="x")) == ["actual:50", "actual:80", "actual:100"]


def test_only_the_latest_period_alerts_even_if_rows_arrive_unordered():
    rows = [
        budget_row("b", PERIOD, actual=100, projected=200),
        budget_row("b", dt.date(2026, 2, 1), actual=5000, projected=5000),
    ]
    assert due_budget_alerts(rows, link="x") == []


def test_zero_budget_uses_the_marts_verdict():
    row = budget_row(
        "b", PERIOD, actual=5, projected=10, budget_amount=0.0, actual_pct=None, projected_pct=None
    )
    row["crossed_actual_thresholds"] = [100.0]
    row["crossed_forecast_thresholds"] = [100.0]
    alerts = due_budget_alerts([row], link="x")
    assert keys(alerts) == ["actual:100"]
    assert "∞%" in alerts[0].summary


def test_thresholds_come_from_the_budgets_file_when_the_mart_lacks_them(tmp_path):
    budgets = tmp_path / "budgets.yml"
    budgets.write_text(
        "budgets:\n  - name: b\n    scope: total\n    amount: 1000\n    actual_thresholds: [25]\n"
    )
    row = budget_row("b", PERIOD, actual=300, projected=400)
    del row["actual_thresholds"], row["forecast_thresholds"]
    alerts = due_budget_alerts([row], link="x", thresholds=thresholds_from_budgets_file(budgets))
    assert keys(alerts) == ["actual:25"]


def test_message_names_scope_drivers_and_link():
    row = budget_row("churn", PERIOD, actual=850, projected=1100, scope_type="model", scope_value="churn")
    alerts = due_budget_alerts(
        [row],
        link="http://ui/assets/marts/budget_projection",
        drivers=lambda r: ("categories", [Driver("inference", 600.0), Driver("training", 250.0)]),
    )
    blocks = str(alerts[-1].message["blocks"])
    assert "model = churn" in blocks and "1. *inference*: $600.00 (71%)" in blocks
    assert "http://ui/assets/marts/budget_projection" in blocks
    assert "$990.00 – $1,210.00" in blocks  # the projection interval


def test_a_claim_is_taken_by_one_process_and_a_dead_claim_is_taken_back(tmp_path):
    first, second = Ledger(tmp_path / "l.sqlite"), Ledger(tmp_path / "l.sqlite")
    assert first.record(Alert("k", "test", "s", {"text": "t"}))
    assert not second.record(Alert("k", "test", "s", {"text": "other"}))
    claimed = first.claim_next(now=1000.0)
    assert claimed is not None and claimed.message == {"text": "t"}
    assert second.claim_next(now=1001.0) is None
    # The first process died while sending: after the lease the alert is due again.
    assert second.claim_next(now=1000.0 + CLAIM_LEASE_SECONDS + 1).key == "k"
    second.mark_sent("k", "test")
    assert first.claim_next(now=10_000.0) is None
    assert first.get("k").status == "sent"


def test_alerts_are_delivered_in_the_order_they_were_decided(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    for key in (
        "budget:b:2026-03:actual:80",
        "budget:b:2026-03:actual:100",
        "anomaly:total:total:2026-03-02",
    ):
        ledger.record(Alert(key, "test", key, {"text": key}))
    order = []
    while (row := ledger.claim_next()) is not None:
        order.append(row.key.rsplit(":", 1)[-1])
        ledger.mark_sent(row.key, "test")
    assert order == ["80", "100", "2026-03-02"]


def test_run_failure_message_stays_within_slack_limits():
    message = format_run_failure(job_name="j", run_id="r" * 36, steps=["s"], error="x" * 10_000, link="l")
    assert all(len(str(block)) < 3000 for block in message["blocks"])
    assert (
        "'''"
        in format_run_failure(job_name="j", run_id="r", steps=[], error="a```b", link="l")["blocks"][2][
            "text"
        ]["text"]
    )


def test_scrub_removes_tokens_and_webhook_urls():
    text = "failed xoxb-1-2-abc at https://hooks.slack.com/services/T/B/abc and custom-secret"
    assert scrub(text, ["custom-secret"]) == "failed *** at https://*** and ***"


def test_a_latest_period_that_is_not_the_current_month_never_alerts():
    # Loading only old exports (a backfill): their last month is the latest in the data, yet closed.
    rows = [budget_row("b", PERIOD, actual=1200, projected=1500)]
    assert due_budget_alerts(rows, link="x", today=dt.date(2026, 5, 14)) == []
    assert keys(due_budget_alerts(rows, link="x", today=dt.date(2026, 3, 31))) == [
        "actual:50",
        "actual:80",
        "actual:100",
    ]
