"""marts.cost_anomalies built by real dbt on generated series, and the anomaly sensor that reads it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.alerts.service import ANOMALY_ASSET_KEY
from pipelines.lib.settings import REPO_ROOT

DAYS = 42
LAST_DAY = dt.date.today() - dt.timedelta(days=1)
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
    """A warehouse with a generated marts.cost_by_model and marts.cost_anomalies built by dbt."""
    base = tmp_path_factory.mktemp("anomalies")
    path = base / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.cost_by_model (usage_date date, model_name varchar, team varchar, "
            "environment varchar, category varchar, service_name varchar, billing_period date, "
            "billed_cost decimal(38, 10), effective_cost decimal(38, 10), list_cost decimal(38, 10), "
            "billing_currency varchar, line_items bigint)"
        )
        conn.executemany(
            "insert into marts.cost_by_model values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, 'USD', 1)", _series()
        )
    env = {**os.environ, "WAREHOUSE_PATH": str(path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    # `build` runs the model's unit tests (planted spike, weekly seasonality), the model, its tests.
    result = subprocess.run(
        [str(dbt), "build", "--select", "cost_anomalies", "--profiles-dir", ".",
         "--target-path", str(base / "target"), "--log-path", str(base / "logs")],
        cwd=REPO_ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS=" in result.stdout and "ERROR=0" in result.stdout
    return path


@pytest.fixture
def anomalies(anomaly_warehouse: Path, warehouse_path: Path) -> Path:
    shutil.copy(anomaly_warehouse, warehouse_path)
    return warehouse_path


def test_mart_finds_planted_spike_and_ignores_weekly_seasonality(anomalies):
    with duckdb.connect(str(anomalies), read_only=True) as conn:
        found = conn.execute(
            "select scope_type, scope_value, usage_date, severity, impact_cost from marts.cost_anomalies order by all"
        ).fetchall()
    flagged = {(scope_type, value, day) for scope_type, value, day, _, _ in found}
    assert flagged == {
        ("model", "churn", LAST_DAY),
        ("total", "total", LAST_DAY),
        ("model", "fraud", OLD_SPIKE_DAY),
        ("total", "total", OLD_SPIKE_DAY),
    }
    # The weekly batch job (every Monday, nothing otherwise) is never an anomaly.
    assert not any(value == "batch" for _, value, _ in flagged)
    churn = next(row for row in found if row[1] == "churn")
    assert churn[3] == "high" and 250 < churn[4] < 350


def test_anomaly_sensor_alerts_recent_anomalies_once(harness, slack, webhook, anomalies):
    harness.materialize(ANOMALY_ASSET_KEY)
    for _ in range(4):
        harness.tick("cost_anomaly_sensor")
    harness.restart()
    harness.materialize(ANOMALY_ASSET_KEY)
    harness.tick("cost_anomaly_sensor")
    texts = slack.delivered_texts()
    # Two recent anomalies (churn and the total on the last day); the older fraud spike is history.
    assert len(texts) == 2, texts
    assert any("model churn" in text for text in texts)
    assert any("Total spend" in text for text in texts)
    assert all(LAST_DAY.isoformat() in text for text in texts)


def test_minimum_impact_keeps_small_anomalies_quiet(harness, slack, webhook, anomalies, monkeypatch):
    monkeypatch.setenv("ALERTS_ANOMALY_MIN_IMPACT", "1000")
    harness.materialize(ANOMALY_ASSET_KEY)
    harness.tick("cost_anomaly_sensor")
    assert len(harness.results) == 1
    assert slack.requests == []
