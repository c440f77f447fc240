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
SCOPES_OF_CHURN = [
    ("model", "churn"),
    ("service", "Amazon SageMaker"),
    ("account", "111111111111"),
    ("total", "total"),
]


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
                (day.replace(day=1), day, model, "ml", "p", "prod", "inference", "Amazon SageMaker",
                 "AmazonSageMaker", "USD", cost, cost, False, "USE1-Host:ml.m5.large",
                 f"arn:aws:sagemaker:us-east-1:111111111111:endpoint/{model}", "111111111111", "999")
            )  # fmt: skip
        if day.day == 1 or i == 0:
            # Month-level charges dated to the period's first day (z of 28 and 87 on the old detector):
            # not daily usage, never an anomaly.
            rows.append(
                (day.replace(day=1), day, "unattributed", "unattributed", "unattributed", "unattributed",
                 "other", "AWS Support", "AWSSupport", "USD", 2500.0, 2500.0, True, "Dollar",
                 None, "111111111111", "999")
            )  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def anomaly_warehouse(tmp_path_factory) -> Path:
    """A warehouse with a generated marts.cost_attribution, and the alert marts built from it by dbt."""
    base = tmp_path_factory.mktemp("anomalies")
    path = base / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        for table, columns in INPUT_TABLES.items():
            conn.execute(f"create table marts.{table} ({columns})")
        conn.executemany(
            "insert into marts.cost_attribution values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _series(),
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
