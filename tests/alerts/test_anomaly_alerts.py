"""marts.cost_anomalies built by real dbt on generated series, and the anomaly alerts recorded from it
and delivered once each."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.alerts.conftest import LAST_DAY, OLD_SPIKE_DAY, AlertMarts, dbt

SCOPES_OF_CHURN = [
    ("model", "churn"),
    ("service", "Amazon SageMaker"),
    ("account", "111111111111"),
    ("total", "total"),
]


@pytest.fixture
def anomalies(alert_marts: AlertMarts, warehouse_path: Path) -> Path:
    """This test's warehouse: generated costs and the alert marts dbt built from them."""
    shutil.copy(alert_marts.warehouse, warehouse_path)
    return warehouse_path


def _flagged(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select scope_type, scope_value, usage_date, billing_currency, is_alert_due, severity, impact_cost "
            "from marts.cost_anomalies order by all"
        ).fetchall()


def test_mart_finds_planted_spike_and_ignores_weekly_seasonality(anomalies):
    found = _flagged(anomalies)
    # The spike shows in its model, its service, its account and the total.
    assert {(scope_type, value, day, due) for scope_type, value, day, _, due, _, _ in found} == {
        *((scope, value, LAST_DAY, True) for scope, value in SCOPES_OF_CHURN),
        # A real anomaly, but older than the last 3 days of data: history, not an alert.
        *(
            (scope, "fraud" if scope == "model" else value, OLD_SPIKE_DAY, False)
            for scope, value in SCOPES_OF_CHURN
        ),
    }
    # Month-level fees on the 1st (2,500 on a day of ~250) are never an anomaly.
    assert not any(row[1] in ("unattributed", "AWS Support") for row in found)
    # The weekly batch job (every Monday, nothing otherwise) is never an anomaly.
    assert not any(row[1] == "batch" for row in found)
    churn = next(row for row in found if row[1] == "churn")
    assert churn[3] == "USD" and churn[5] == "high" and 250 < churn[6] < 350
    with duckdb.connect(str(anomalies), read_only=True) as conn:
        levels = conn.execute(
            "select impact_cost, impact_level from marts.cost_anomalies where scope_value = 'churn'"
        ).fetchall()
    # Doublings above the $25 floor: 200 to 400 is level 3.
    assert levels == [(churn[6], 3)]


def test_recent_anomalies_are_alerted_once(harness, slack, webhook, anomalies):
    harness.publish(build_models=False)
    harness.record()
    for _ in range(3):
        harness.tick()
    harness.restart()
    harness.record()
    harness.tick()
    texts = slack.delivered_texts()
    # Four recent anomalies (churn, its service, its account and the total on the last day); the
    # older fraud spike is history.
    assert len(texts) == 4, texts
    assert any("model churn" in text for text in texts)
    assert any("Total spend" in text for text in texts)
    assert all(LAST_DAY.isoformat() in text for text in texts)
    churn = next(text for text in texts if "model churn" in text)
    # Plain words: the day's cost against the usual for that weekday, and what drove it.
    weekday = LAST_DAY.strftime("%A")
    assert f"on {weekday}, about " in churn and "the usual $" in churn and f"for a {weekday}" in churn
    assert "mostly USE1-Host:ml.m5.large of endpoint churn" in churn


def _set_level(warehouse: Path, scope_value: str, level: int) -> None:
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "update marts.cost_anomalies set impact_level = $level where scope_value = $scope and is_alert_due",
            {"level": level, "scope": scope_value},
        )


def test_an_anomaly_alerts_again_only_when_its_impact_grows(harness, slack, webhook, anomalies):
    harness.publish(build_models=False)
    harness.record()
    harness.tick()
    assert len(slack.delivered_texts()) == 4
    # The late hours of the day double churn's extra spend: one more alert, saying it grew.
    _set_level(anomalies, "churn", 4)
    harness.publish(build_models=False)
    harness.record()
    harness.tick()
    texts = slack.delivered_texts()
    assert len(texts) == 5 and texts[-1].startswith("Cost anomaly grew (high): model churn on"), texts[-1]
    assert harness.ledger.family_level(f"anomaly:model:churn:{LAST_DAY.isoformat()}") == 4
    # The same level again, a smaller one, or a restart: nothing more.
    for level in (4, 2, 3):
        _set_level(anomalies, "churn", level)
        harness.restart()
        harness.publish(build_models=False)
        harness.record()
        harness.tick()
    assert len(slack.delivered_texts()) == 5


def test_anomaly_floor_and_lookback_come_from_the_environment_through_dbt(
    harness, slack, webhook, anomalies, tmp_path
):
    # One setting each, read by dbt: a floor above the churn spike (~300) but below the fraud spike
    # (~400), and a lookback long enough to reach the fraud spike 12 days before the last day.
    dbt(["run", "--select", "cost_anomalies"], anomalies, tmp_path,
        ALERTS_ANOMALY_MIN_IMPACT="370", ALERTS_ANOMALY_LOOKBACK_DAYS="14")  # fmt: skip
    found = _flagged(anomalies)
    assert {(row[1], row[2], row[4]) for row in found} == {
        ("fraud", OLD_SPIKE_DAY, True),
        ("Amazon SageMaker", OLD_SPIKE_DAY, True),
        ("111111111111", OLD_SPIKE_DAY, True),
        ("total", OLD_SPIKE_DAY, True),
    }
    harness.publish(build_models=False)
    harness.record()
    harness.tick()
    texts = slack.delivered_texts()
    assert len(texts) == 4 and all(OLD_SPIKE_DAY.isoformat() in text for text in texts), texts

    # A value that is not a number fails the build with one line naming the setting.
    with pytest.raises(
        AssertionError, match="ALERTS_ANOMALY_MIN_IMPACT \\(dbt var anomaly_min_impact\\) must be"
    ):
        dbt(["compile", "--select", "cost_anomalies,resource_type:model"], anomalies, tmp_path,
            ALERTS_ANOMALY_MIN_IMPACT="25 or 1=1")  # fmt: skip
