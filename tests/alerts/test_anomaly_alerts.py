"""marts.cost_anomalies built by real dbt on generated series, and the anomaly alerts recorded from it
and delivered once each."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.alerts.conftest import INPUT_TABLES, dbt

DAYS = 42
LAST_DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
FIRST_DAY = LAST_DAY - dt.timedelta(days=DAYS - 1)
OLD_SPIKE_DAY = LAST_DAY - dt.timedelta(days=12)


def _cost(model: str, day: dt.date, i: int) -> float:
    weekend = day.weekday() >= 5
    if model == "batch":  # a weekly job: every Monday, nothing otherwise
        return 500.0 + (i * 13) % 9 if day.weekday() == 0 else 0.0
    base = (40.0 if weekend else 100.0) + (i * 37) % 11 - 5
    if model == "churn" and day == LAST_DAY:
        base += 300  # the planted spike
    if model == "fraud" and day == OLD_SPIKE_DAY:
        base += 400  # a real anomaly, but too old to announce
    return base


def _series() -> list[tuple]:
    rows = []
    for i in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=i)
        for model in ("churn", "fraud", "batch"):
            cost = _cost(model, day, i)
            rows.append(
                (day, model, "ml", "prod", "inference", "Amazon SageMaker", day.replace(day=1), cost, cost)
            )
    return rows


@pytest.fixture(scope="module")
def anomaly_warehouse(tmp_path_factory) -> Path:
    """A warehouse with a generated marts.cost_by_model, and the alert marts built from it by dbt."""
    base = tmp_path_factory.mktemp("anomalies")
    path = base / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        for table, columns in INPUT_TABLES.items():
            conn.execute(f"create table marts.{table} ({columns})")
        conn.executemany(
            "insert into marts.cost_by_model values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, 'USD', 1)", _series()
        )
    # `build` runs the models' unit tests (planted spike, weekly seasonality, currencies, every budget
    # alert rule), the models, and their data tests; the default settings apply.
    result = dbt(["build", "--select", "cost_anomalies", "budget_alerts"], path, base)
    assert "PASS=" in result.stdout and "ERROR=0" in result.stdout
    return path


@pytest.fixture
def anomalies(anomaly_warehouse: Path, warehouse_path: Path) -> Path:
    shutil.copy(anomaly_warehouse, warehouse_path)
    return warehouse_path


def _flagged(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select scope_type, scope_value, usage_date, billing_currency, is_alert_due, severity, impact_cost "
            "from marts.cost_anomalies order by all"
        ).fetchall()


def test_mart_finds_planted_spike_and_ignores_weekly_seasonality(anomalies):
    found = _flagged(anomalies)
    assert {(scope_type, value, day, due) for scope_type, value, day, _, due, _, _ in found} == {
        ("model", "churn", LAST_DAY, True),
        ("total", "total", LAST_DAY, True),
        # A real anomaly, but older than the last 3 days of data: history, not an alert.
        ("model", "fraud", OLD_SPIKE_DAY, False),
        ("total", "total", OLD_SPIKE_DAY, False),
    }
    # The weekly batch job (every Monday, nothing otherwise) is never an anomaly.
    assert not any(row[1] == "batch" for row in found)
    churn = next(row for row in found if row[1] == "churn")
    assert churn[3] == "USD" and churn[5] == "high" and 250 < churn[6] < 350


def test_recent_anomalies_are_alerted_once(harness, slack, webhook, anomalies):
    harness.publish(build_models=False)
    harness.record()
    for _ in range(3):
        harness.tick()
    harness.restart()
    harness.record()
    harness.tick()
    texts = slack.delivered_texts()
    # Two recent anomalies (churn and the total on the last day); the older fraud spike is history.
    assert len(texts) == 2, texts
    assert any("model churn" in text for text in texts)
    assert any("Total spend" in text for text in texts)
    assert all(LAST_DAY.isoformat() in text for text in texts)


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
        ("total", OLD_SPIKE_DAY, True),
    }
    harness.publish(build_models=False)
    harness.record()
    harness.tick()
    texts = slack.delivered_texts()
    assert len(texts) == 2 and all(OLD_SPIKE_DAY.isoformat() in text for text in texts), texts

    # A value that is not a number fails the build with one line naming the setting.
    with pytest.raises(
        AssertionError, match="ALERTS_ANOMALY_MIN_IMPACT \\(dbt var anomaly_min_impact\\) must be"
    ):
        dbt(["compile", "--select", "cost_anomalies,resource_type:model"], anomalies, tmp_path,
            ALERTS_ANOMALY_MIN_IMPACT="25 or 1=1")  # fmt: skip
