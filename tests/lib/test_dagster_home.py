"""DAGSTER_HOME's dagster.yaml: written whole when absent, completed (never changed) when present."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest
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


def _postgres_env(monkeypatch, **overrides: str) -> None:
    values = {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "6543",
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "s3cret-not-in-files",
        "DAGSTER_PG_DB": "dagster",
        **overrides,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_postgres_settings_give_a_storage_block_that_reads_them_from_the_environment(monkeypatch):
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    config.unlink()
    _postgres_env(monkeypatch)
    settings.ensure_dagster_home()

    text = config.read_text()
    assert "s3cret-not-in-files" not in text and "db.internal" not in text
    db = yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]
    assert {key: db[key] for key in ("hostname", "port", "username", "password", "db_name")} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USERNAME"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    assert yaml.safe_load(text)["concurrency"]["pools"]["default_limit"] == 1


def test_an_sqlite_home_gets_the_postgres_block_appended(monkeypatch):
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    _postgres_env(monkeypatch)
    settings.ensure_dagster_home()
    settings.ensure_dagster_home()
    text = config.read_text()
    assert text.startswith("telemetry:\n  enabled: false\n") and text.count("storage:") == 1
    assert yaml.safe_load(text)["storage"]["postgres"]["postgres_db"]["password"] == {
        "env": "DAGSTER_PG_PASSWORD"
    }


def test_incomplete_postgres_settings_fail_in_one_line_naming_what_is_missing(monkeypatch):
    _postgres_env(monkeypatch)
    monkeypatch.delenv("DAGSTER_PG_USERNAME")
    monkeypatch.delenv("DAGSTER_PG_PASSWORD")
    with pytest.raises(settings.SettingsError) as raised:
        settings.ensure_dagster_home()
    message = str(raised.value)
    assert "\n" not in message and "DAGSTER_PG_USERNAME, DAGSTER_PG_PASSWORD" in message


def test_postgres_settings_with_a_home_that_stores_elsewhere_are_refused(monkeypatch):
    config = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    mine = "run_storage:\n  module: dagster.core.storage.runs\n  class: SqliteRunStorage\n  config:\n    base_dir: /x\n"
    config.write_text(mine)
    _postgres_env(monkeypatch)
    with pytest.raises(settings.SettingsError, match="run_storage"):
        settings.ensure_dagster_home()
    assert config.read_text() == mine
