"""Dagster's SQLite event log with one SQLAlchemy engine per file, for processes that run many jobs.

SQLite's side of what `DagsterInstance.optimize_for_webserver` does for PostgreSQL (pooled
connections in a long-running process). Dagster's SQLite event log builds a new engine for every
connection it opens (several per stored event: the run's file, then the cross-run index for asset and
check events) and disposes of it after one transaction, so every event also pays for an engine, its
pool, a new connection and the compilation of its statements (an engine caches compiled statements;
a new one starts empty). A refresh of a 5M-line month stores about 630 events. `pool_sqlite_event_log` keeps one engine
per file for the instance's life instead: the same files, tables, transactions and lock. `mlcost`
uses it for the instances it runs jobs on (defs/refresh.py `instance_for_jobs`); `dagster dev` keeps
Dagster's own storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, each file's engine (and its pooled connection and compiled
    statements) kept until the storage is disposed. Each use is one transaction under the storage's
    lock, as in Dagster."""

    _engines: dict[str, Engine]

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                # SQLAlchemy's pool for a SQLite file keeps a returned connection for the next use.
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    pool_size=1,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


def pool_sqlite_event_log(instance: dg.DagsterInstance) -> None:
    """Give an instance on Dagster's SQLite event log one engine per file for its life; any other
    event log (PostgreSQL, a class of the user's) is left as it is. The storage object stays the one
    the instance was built with (its directory, its state): only how it connects changes.
    `instance.dispose()` closes the connections."""
    storage = instance.event_log_storage
    if type(storage) is SqliteEventLogStorage:
        storage.__class__ = PooledSqliteEventLogStorage
        storage._engines = {}  # noqa: SLF001 (the subclass's own attribute)
