"""The budget sensor, end to end: real sensor ticks, real alert job runs, a real DuckDB file and
ledger, and a Slack-like HTTP server."""

from __future__ import annotations

import datetime as dt

from tests.alerts.conftest import budget_row, open_period


def _previous(period: dt.date) -> dt.date:
    return (period - dt.timedelta(days=1)).replace(day=1)


def test_each_crossing_is_sent_once_over_many_ticks_and_restarts(harness, slack, webhook):
    period = open_period()
    closed = _previous(period)
    # The closed month is far over budget: it must never alert.
    history = budget_row("ml-platform", closed, actual=3000, projected=3000)

    steps = [
        # (actual, projected) -> alerts newly due
        ((550, 900), ["actual:50"]),
        ((700, 1050), ["forecast:100"]),
        ((850, 1100), ["actual:80"]),
        ((1100, 1300), ["actual:100"]),
    ]
    expected = 0
    for (actual, projected), due in steps:
        harness.write_table(
            "budget_projection", [history, budget_row("ml-platform", period, actual, projected)]
        )
        harness.materialize()
        for _ in range(4):
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

    # A restart (new code location, no cursor) and a re-materialization send nothing more.
    harness.restart()
    harness.materialize()
    for _ in range(5):
        harness.tick()
    assert len(slack.delivered) == 4
    assert len(slack.requests) == 4


def test_closed_months_and_backfills_never_alert(harness, slack, webhook):
    period = open_period()
    closed = _previous(period)
    harness.write_table(
        "budget_projection",
        [
            budget_row("ml-platform", closed, actual=2500, projected=2500),
            budget_row("ml-platform", period, actual=100, projected=300),
        ],
    )
    harness.materialize()
    harness.tick()
    # A backfill restates the closed month even higher: still silent.
    harness.write_table(
        "budget_projection",
        [
            budget_row("ml-platform", closed, actual=9000, projected=9000),
            budget_row("ml-platform", period, actual=100, projected=300),
        ],
    )
    harness.materialize()
    harness.tick()
    assert slack.requests == []
    assert len(harness.results) == 2  # both materializations were evaluated


def test_slack_outage_keeps_alerts_pending_and_delivers_each_once(harness, slack, webhook):
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=900, projected=1200)])
    slack.answer_next("500", "500")
    harness.materialize()
    harness.tick()  # the run's delivery meets the first 500
    assert slack.delivered == [] and len(slack.requests) == 1
    harness.tick()  # second 500: an outage costs one request per tick, not one per alert
    assert slack.delivered == [] and len(slack.requests) == 2
    harness.tick()  # Slack is back: all three pending alerts go out, oldest first
    for _ in range(5):
        harness.tick()
    texts = slack.delivered_texts()
    assert len(texts) == 3 and len(set(texts)) == 3
    assert "spend reached 50%" in texts[0] and "spend reached 80%" in texts[1]
    assert "forecast to reach 100%" in texts[2]


def test_rate_limit_is_respected_and_the_alert_goes_out_later(harness, slack, webhook):
    import time

    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=600, projected=700)])
    slack.answer_next(("429", 2))
    harness.materialize()
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
    slack.answer_next(("429", 1))
    harness.materialize()
    harness.tick()
    assert [r.outcome for r in slack.requests] == ["429", "ok"]
    harness.tick()
    assert len(slack.delivered) == 1


def test_slow_slack_times_out_and_the_alert_is_retried_next_tick(harness, slack, webhook, monkeypatch):
    monkeypatch.setenv("ALERTS_SLACK_TIMEOUT", "1")
    harness.restart()
    period = open_period()
    harness.write_table("budget_projection", [budget_row("ml-platform", period, actual=600, projected=700)])
    slack.answer_next(("slow", 1.5))
    harness.materialize()
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
            {"billing_period": day, "model_name": model, "team": team, "project": "p", "environment": "prod",
             "category": "inference", "service_name": "Amazon SageMaker", "service_code": "AmazonSageMaker",
             "billed_cost": cost, "effective_cost": cost}
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
    harness.materialize()
    harness.tick()
    drivers = [str(request.body["blocks"][2]["text"]["text"]) for request in slack.delivered]
    assert drivers[0].splitlines() == [
        "*Top models*",
        "1. *churn*: $500.00 (41%)",
        "2. *ranker*: $300.00 (25%)",
        "3. *embeddings*: $250.00 (21%)",
    ]
    assert "ranker" in drivers[1] and "search-api" in drivers[1] and "churn" not in drivers[1]
