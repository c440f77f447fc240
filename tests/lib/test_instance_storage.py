"""quick_commits: Dagster's SQLite files commit with synchronous=NORMAL and keep their write-ahead log
while `mlcost` runs jobs; every event is still stored, and nothing outside DAGSTER_HOME is touched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import dagster as dg
import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pipelines.lib.instance_storage import quick_commits


@dg.asset
def one() -> int:
    return 1


@dg.asset_check(asset=one)
def one_is_one() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


job = dg.define_asset_job("one_job", selection=[one])
defs = dg.Definitions(assets=[one], asset_checks=[one_is_one], jobs=[job])


class Synchronous:
    """`pragma synchronous` of every new SQLite connection, by file (1 = NORMAL, 2 = FULL)."""

    def __init__(self) -> None:
        self.seen: dict[str, set[int]] = {}

    def __call__(self, dbapi_connection, connection_record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            path = dbapi_connection.execute("pragma database_list").fetchone()[2]
            level = dbapi_connection.execute("pragma synchronous").fetchone()[0]
            self.seen.setdefault(Path(path).name, set()).add(level)


def run_job(instance: dg.DagsterInstance) -> str:
    result = defs.resolve_job_def("one_job").execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_dagster_connections_commit_without_waiting_and_every_event_is_stored(tmp_path):
    with dg.instance_for_test() as instance:
        root = Path(instance.root_directory)
        run_job(instance)  # the files exist (and are in WAL mode) before the block
        seen = Synchronous()
        with quick_commits(root):
            event.listen(Engine, "connect", seen)  # after quick_commits' listener
            try:
                run_id = run_job(instance)
                # The log of the run's file stays while the block runs (no checkpoint on each close).
                assert (root / "history" / "runs" / f"{run_id}.db-wal").exists()
                # A SQLite file outside DAGSTER_HOME keeps SQLite's default (FULL).
                other = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
                with other.connect() as conn:
                    conn.execute(sqlalchemy.text("pragma journal_mode=wal"))
                with other.connect() as conn:
                    assert conn.execute(sqlalchemy.text("pragma synchronous")).scalar() == 2
                other.dispose()
            finally:
                event.remove(Engine, "connect", seen)
        assert seen.seen[f"{run_id}.db"] >= {1}
        assert seen.seen["index.db"] == {1}
        assert seen.seen["runs.db"] == {1}

        # Every event of the run is stored, as without the block.
        types = [e.dagster_event.event_type for e in instance.all_logs(run_id) if e.dagster_event]
        assert types.count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 1
        assert types.count(dg.DagsterEventType.ASSET_CHECK_EVALUATION) == 1
        assert types.count(dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED) == 1
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
        # After the block the keepers are closed: the last close checkpointed each log away.
        assert not list(root.rglob("*.db-wal"))

        # And new connections are Dagster's defaults again.
        seen = Synchronous()
        event.listen(Engine, "connect", seen)
        try:
            run_job(instance)
        finally:
            event.remove(Engine, "connect", seen)
        assert seen.seen["index.db"] == {2}
