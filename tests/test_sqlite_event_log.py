"""The SQLite event log with one engine per file (pipelines/defs/sqlite_event_log.py): every event is
stored as with Dagster's own, other processes read them, and a file's engine is made once."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipelines.defs.sqlite_event_log import PooledSqliteEventLogStorage, pool_sqlite_event_log
from tests.lib.test_instance_storage import run_job  # one asset with one check, as a job


def event_types(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterEventType]:
    return [e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event]


def test_events_are_stored_as_by_dagster_with_one_engine_per_file():
    with dg.instance_for_test() as instance:
        plain = event_types(instance, run_job(instance))  # Dagster's own storage
        pool_sqlite_event_log(instance)
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)

        first = run_job(instance)
        index_engine = storage._engines["index"]  # noqa: SLF001
        second = run_job(instance)
        # The index's engine served both runs; each run's file got one of its own.
        assert storage._engines["index"] is index_engine  # noqa: SLF001
        assert {first, second} <= storage._engines.keys()  # noqa: SLF001
        assert event_types(instance, first) == event_types(instance, second) == plain

        # Another process's instance on the same home (Dagster's own storage) reads them all.
        with dg.DagsterInstance.from_ref(instance.get_ref()) as other:
            assert type(other.event_log_storage) is SqliteEventLogStorage
            assert event_types(other, second) == plain
            record = other.get_latest_materialization_event(dg.AssetKey("one"))
            assert record is not None and record.run_id == second
            check = other.event_log_storage.get_latest_asset_check_execution_by_key(
                [dg.AssetCheckKey(dg.AssetKey("one"), "one_is_one")]
            )
            assert next(iter(check.values())).run_id == second

        instance.dispose()
        assert storage._engines == {}  # noqa: SLF001


def test_other_storages_are_left_as_they_are():
    with dg.instance_for_test(
        overrides={
            "event_log_storage": {
                "module": "dagster._core.storage.event_log",
                "class": "InMemoryEventLogStorage",
            }
        }
    ) as instance:
        before = type(instance.event_log_storage)
        pool_sqlite_event_log(instance)
        assert type(instance.event_log_storage) is before
        run_job(instance)
