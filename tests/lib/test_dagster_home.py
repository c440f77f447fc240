"""DAGSTER_HOME's dagster.yaml: written whole when absent, completed (never changed) when present."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml

from pipelines.lib import settings


def test_a_new_home_gets_the_pool_limit_and_run_monitoring():
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").unlink()
    settings.ensure_dagster_home()

    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
        assert instance.event_log_storage.get_pool_config().default_pool_limit == 1


def test_an_existing_home_gets_only_the_keys_it_lacks_and_keeps_its_own():
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    config.write_text("# mine\ntelemetry:\n  enabled: true\nconcurrency:\n  pools:\n    default_limit: 3\n")

    settings.ensure_dagster_home()
    settings.ensure_dagster_home()  # a second call adds nothing

    text = config.read_text()
    assert text.startswith("# mine\ntelemetry:\n  enabled: true\n")
    loaded = yaml.safe_load(text)
    assert loaded["telemetry"] == {"enabled": True}
    assert loaded["concurrency"] == {"pools": {"default_limit": 3}}
    assert loaded["run_monitoring"]["enabled"] is True
    assert text.count("run_monitoring:") == 1


def test_the_instance_says_when_it_is_pointed_at_another_warehouse(tmp_path, monkeypatch):
    assert settings.note_instance_warehouse() is None  # first use: remembered
    assert settings.note_instance_warehouse() is None  # same warehouse: nothing to say
    other = tmp_path / "other.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", str(other))
    note = settings.note_instance_warehouse()
    assert note is not None and "\n" not in note
    assert str(other) in note and str(tmp_path / "warehouse.duckdb") in note
    assert settings.note_instance_warehouse() is None  # said once; the new one is remembered
