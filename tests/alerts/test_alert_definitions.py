"""The code location loads with or without Slack; the sensors only deliver, and the alerts/ledger asset
is the one place alerts are recorded, at the end of build_warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.alerts import sensors as alert_sensors
from pipelines.lib.alerts.messages import ANOMALY_ASSET_KEY, BUDGET_ASSET_KEY

SENSORS = ("alert_delivery_sensor", "run_failure_alerts_sensor")
LEDGER = dg.AssetKey(["alerts", "ledger"])


@pytest.fixture
def dbt_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def test_definitions_load_without_slack_and_sensors_start_stopped(dbt_on_path):
    from pipelines.definitions import defs

    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    assert {sensor.name for sensor in definitions.sensors} >= set(SENSORS)
    for name in SENSORS:
        sensor = definitions.get_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
        assert not sensor.targets  # sensors deliver; they start no runs
    graph = definitions.resolve_asset_graph()
    # The messages link to assets that exist.
    assert graph.has(dg.AssetKey(list(BUDGET_ASSET_KEY))) and graph.has(dg.AssetKey(list(ANOMALY_ASSET_KEY)))
    # A refresh (build_warehouse) ends with recording alerts; nothing else records them.
    assert LEDGER in definitions.resolve_job_def("build_warehouse").asset_layer.executable_asset_keys
    alert_jobs = [job.name for job in definitions.resolve_all_job_defs() if "alert" in job.name]
    assert alert_jobs == []


def test_sensors_start_running_once_slack_is_configured(monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/services/T/B/secret")
    definitions = alert_sensors.alerts()
    statuses = {sensor.name: sensor.default_status for sensor in definitions.sensors}
    assert statuses == dict.fromkeys(SENSORS, dg.DefaultSensorStatus.RUNNING)
    # The resource refers to the variable; the URL itself is not part of the definitions.
    assert "secret" not in repr(definitions.resources["alerts"])
