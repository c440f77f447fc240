"""Budget alerts end to end: marts.budget_alerts (its compiled dbt SQL) over a real DuckDB file, the
published copy, the real alerts/ledger asset, real delivery sensor ticks, and a Slack-like server."""

from __future__ import annotations

import datetime as dt
import time

from pipelines.lib.alerts.ledger import Alert
from tests.alerts.conftest import budget_row, open_period


def _previous(period: dt.date) -> dt.date:
    return (period - dt.timedelta(days=1)).replace(day=1)


def test_each_crossing_is_sent_once_over_many_builds_ticks_and_restarts(harness, slack, webhook):
    period = open_period()
    # A month closed long ago (past its closing days) is far over budget: it must never alert.
    closed = _previous(_previous(period))
    history = budget_row("ml-platform", closed, actual=3000, projected=3000)

    steps = [
        # (actual, projected) -> alerts newly due
        ((550, 900), ["actual:50"]),
        # the forecast alerts once the interval's low end (90% of the point here) reaches 100%
        ((700, 1050), []),
        ((700, 1150), ["forecast:100"]),
        ((850, 1100), ["actual:80"]),
        ((1100, 1300), ["actual:100"]),
    ]
    expected = 0
    for (actual, projected), due in steps:
        harness.write_table(
            "budget_projection", [history, budget_row("ml-platform", period, actual, projected)]
        )
        harness.build()
        for _ in range(3):
            harness.tick()
        expected += len(due)
        assert len(slack.delivered) == expected, slack.delivered_texts()

    texts = slack.delivered_texts()
    assert "spend reached 50%" in texts[0]
    assert "forecast to reach 100%" in texts[1]
    assert "spend reached 80%" in texts[2] and "spend reached 100%" in texts[3]
    assert all(period.strftime("%Y-%m") in text for text in texts)
    escalated = slack.delivered[3].body["blocks"][1]["fields"][4]["text"]
    assert "escalated from 80%" in escalated
    assert slack.delivered[3].body["blocks"][0]["text"]["text"].startswith(":rotating_light:")

    # A restart (new code location) and another build send nothing more.
    harness.restart()
    harness.build()
    for _ in range(3):
        harness.tick()
    assert len(slack.delivered) == 4
    assert len(slack.requests) == 4
    assert (
        harness.builds[-1].asset_materializations_for_node("alerts__ledger")[0].metadata["new_alerts"].value
        == 0
    )


def test_closed_months_and_backfills_never_alert(harness, slack, webhook):
    period = open_period()
    # Closed before the month that just closed (whose late days may still alert its final figure).
    closed = _previous(_previous(period))
    harness.write_table(
        "budget_projection",
        [
            budget_row("ml-platform", closed, actual=2500, projected=2500),
            budget_row("ml-platform", period, actual=100, projected=300),
        ],
    )
    harness.build()
    harness.tick()
    # A backfill restates the closed month even higher: still silent.
    harness.write_table(
        "budget_projection",
        [
            budget_row("ml-platform", closed, actual=9000, projected=9000),
            budget_row("ml-platform", period, actual=100, projected=300),
        ],
    )
    harness.build()
    harness.tick()
    # Only old exports loaded: their latest month is closed, and silent too.
    harness.write_table("budget_projection", [budget_row("ml-platform", closed, actual=9000, projected=9000)])
    harness.build()
    harness.tick()
    assert slack.requests == []
    assert len(harness.builds) == 3  # every build was evaluated
    assert harness.ledger.rows() == []


def test_an_alert_left_pending_past_its_month_is_never_sent(harness, slack, webhook):
    # Recorded while nothing delivered (no Slack yet, sensors stopped), for a month now closed.
    last_month_end = dt.datetime.combine(open_period(), dt.time(), dt.UTC).timestamp()
    harness.ledger.record(
        Alert(
            "budget:old:2000-01:actual:80", "budget_actual", "old", {"text": "old"}, expires_at=last_month_end
        )
    )
    harness.write_table(
        "budget_projection", [budget_row("ml-platform", open_period(), actual=600, projected=700)]
    )
    harness.build()
    harness.tick()
    harness.tick()
    assert slack.delivered_texts() == [harness.ledger.rows("sent")[0].summary]
    assert "spend reached 50%" in slack.delivered_texts()[0]
    assert [row.key for row in harness.ledger.rows("expired")] == ["budget:old:2000-01:actual:80"]


def test_slack_outage_keeps_alerts_pending_and_delivers_each_once(harness, slack, webhook):
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=900, projected=1200)])
    harness.build()
    slack.answer_next("500", "500")
    harness.tick()  # the first 500
    assert slack.delivered == [] and len(slack.requests) == 1
    harness.tick()  # second 500: an outage costs one request per tick, not one per alert
    assert slack.delivered == [] and len(slack.requests) == 2
    harness.tick()  # Slack is back: both pending alerts go out, oldest first
    harness.build()  # a build meanwhile decides the same alerts again: nothing new
    for _ in range(3):
        harness.tick()
    texts = slack.delivered_texts()
    # 50% and 80% were crossed together: one message, for 80%.
    assert len(texts) == 2 and len(set(texts)) == 2
    assert "spend reached 80%" in texts[0]
    assert "forecast to reach 100%" in texts[1]
    assert [row.attempts for row in harness.ledger.rows()] == [3, 1]


def test_rate_limit_is_respected_and_the_alert_goes_out_later(harness, slack, webhook):
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=600, projected=700)])
    harness.build()
    slack.answer_next(("429", 2))
    harness.tick()
    assert len(slack.requests) == 1 and slack.delivered == []
    result = harness.tick()  # still inside Retry-After: Slack is not asked
    assert len(slack.requests) == 1
    assert "wait until" in result.skip_reason.skip_message
    time.sleep(2.2)
    harness.tick()
    harness.tick()
    assert len(slack.delivered) == 1 and len(slack.requests) == 2


def test_short_retry_after_is_retried_by_slack_sdk_in_place(harness, slack, webhook):
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=600, projected=700)])
    harness.build()
    slack.answer_next(("429", 1))
    harness.tick()
    assert [r.outcome for r in slack.requests] == ["429", "ok"]
    harness.tick()
    assert len(slack.delivered) == 1


def test_slow_slack_times_out_and_the_alert_is_retried_next_tick(harness, slack, webhook, monkeypatch):
    monkeypatch.setenv("ALERTS_SLACK_TIMEOUT", "1")
    harness.restart()
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=600, projected=700)])
    harness.build()
    slack.answer_next(("slow", 1.5))
    harness.tick()
    assert slack.delivered == []
    harness.tick()
    harness.tick()
    assert len(slack.delivered) == 1
    assert "spend reached 50%" in slack.delivered_texts()[0]


def test_message_names_the_top_three_drivers_in_the_budgets_scope(harness, slack, webhook):
    period = open_period()
    spend = {("churn", "growth"): 500.0, ("ranker", "search"): 300.0, ("embeddings", "search"): 250.0,
             ("fraud", "risk"): 120.0, ("search-api", "search"): 40.0}  # fmt: skip
    harness.write_table(
        "cost_attribution",
        [
            {"billing_period": day, "usage_date": day, "model_name": model, "team": team, "project": "p",
             "environment": "prod", "category": "inference", "service_name": "Amazon SageMaker",
             "service_code": "AmazonSageMaker", "billing_currency": "USD", "billed_cost": cost,
             "effective_cost": cost, "is_month_level_charge": False, "usage_type": "USE1-Host:ml.m5.large",
             "resource_id": None, "sub_account_id": "111", "billing_account_id": "111"}
            for (model, team), cost in spend.items()
            for day in (period, _previous(period))
        ],
    )  # fmt: skip
    harness.write_table(
        "budget_projection",
        [
            budget_row("total", period, actual=1210, projected=1300, actual_thresholds=[100.0]),
            budget_row("search", period, actual=590, projected=800, budget_amount=500.0,
                       scope_type="team", scope_value="search", actual_thresholds=[100.0]),
        ],
    )  # fmt: skip
    harness.build()
    harness.tick()
    drivers = {
        request.body["text"].split(":")[0]: request.body["blocks"][2]["text"]["text"]
        for request in slack.delivered
    }
    assert drivers["Budget total"].splitlines() == [
        "*Top models*",
        # the same spend on the first day of last month: no change over the same days
        "1. *churn*: $500.00 (41.3%), +$0.00 vs last month",
        "2. *ranker*: $300.00 (24.8%), +$0.00 vs last month",
        "3. *embeddings*: $250.00 (20.7%), +$0.00 vs last month",
    ]
    search = drivers["Budget search"]
    assert "ranker" in search and "search-api" in search and "churn" not in search
