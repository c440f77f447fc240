"""The code location loads with or without Slack, and the alert sensors watch real mart assets."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.alerts import sensors as alert_sensors
from pipelines.lib.alerts.service import ANOMALY_ASSET_KEY, BUDGET_ASSET_KEY

SENSORS = ("budget_alerts_sensor", "cost_anomaly_sensor", "run_failure_alerts_sensor")


@pytest.fixture
def dbt_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def test_definitions_load_without_slack_and_sensors_start_stopped(dbt_on_path):
    from pipelines.definitions import defs

    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    for name in SENSORS:
        assert definitions.get_sensor_def(name).default_status == dg.DefaultSensorStatus.STOPPED
    keys = definitions.resolve_asset_graph().get_all_asset_keys()
    assert dg.AssetKey(list(BUDGET_ASSET_KEY)) in keys
    assert dg.AssetKey(list(ANOMALY_ASSET_KEY)) in keys
    # The jobs that read the warehouse do so inside the one-writer pool.
    for job_name in ("budget_alerts_job", "anomaly_alerts_job"):
        pools = {node.definition.pool for node in definitions.resolve_job_def(job_name).graph.nodes}
        assert "duckdb" in pools


def test_sensors_start_running_once_slack_is_configured(monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/services/T/B/secret")
    definitions = alert_sensors.alerts()
    statuses = {sensor.name: sensor.default_status for sensor in definitions.sensors}
    assert statuses == dict.fromkeys(SENSORS, dg.DefaultSensorStatus.RUNNING)
    # The resource refers to the variable; the URL itself is not part of the definitions.
    assert "secret" not in repr(definitions.resources["alerts"])
