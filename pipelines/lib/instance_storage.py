"""Cheaper writes to Dagster's SQLite storage (the files in DAGSTER_HOME) while `mlcost` runs jobs.

Dagster's SQLite storages open a new connection for every event they store (a build stores about
1,000) and close it after one commit. Each commit syncs the write-ahead log to disk, and the close of
a file's last connection checkpoints the log into the database and deletes it, syncing again: about
eleven fdatasync calls per event, tens of milliseconds each on a virtual disk. `quick_commits` does
two things SQLite supports, with SQLAlchemy's connection events (no Dagster code is changed):

- `PRAGMA synchronous = NORMAL` on each connection to a file in WAL mode (Dagster puts every one of
  its SQLite files in WAL mode): a commit no longer waits for the disk. SQLite's documentation: in
  WAL mode this is consistent, and durable against the process being killed; after a power loss
  the last transactions may roll back (the file is never corrupt).
- one idle connection kept open to each of those files until the command ends, so closing Dagster's
  connections no longer checkpoints and deletes the log each time. It holds no lock while idle: the
  Dagster UI and daemon read and write the same files meanwhile.

Only connections to SQLite files under the given directory are touched; PostgreSQL storage and
every other database are left alone. `dagster dev` does not use this (its processes keep Dagster's
defaults).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


class _Keepers:
    """One idle connection per SQLite file under `root`, and the pragma on each new connection."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.open: dict[str, sqlite3.Connection] = {}
        self.lock = threading.Lock()

    def on_connect(self, dbapi_connection, connection_record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        row = dbapi_connection.execute("pragma database_list").fetchone()
        path = row[2] if row else ""
        if not path or not Path(path).resolve().is_relative_to(self.root):
            return
        wal = dbapi_connection.execute("pragma journal_mode").fetchone()[0].lower() == "wal"
        if wal:
            dbapi_connection.execute("pragma synchronous = NORMAL")
        with self.lock:
            keeper = self.open.get(path)
            if keeper is None:
                keeper = self.open[path] = sqlite3.connect(path, check_same_thread=False)
            if wal:
                # A read maps the log's shared memory: from then on this connection counts as open.
                keeper.execute("select count(*) from sqlite_master").fetchall()

    def close(self) -> None:
        with self.lock:
            for keeper in self.open.values():
                keeper.close()  # the last one to close a file checkpoints its log, as Dagster would
            self.open.clear()


@contextmanager
def quick_commits(root: Path) -> Iterator[None]:
    """Within the block, connections to SQLite files under `root` (DAGSTER_HOME) commit without
    waiting for the disk and do not checkpoint on close (see the module docstring)."""
    keepers = _Keepers(root)
    event.listen(Engine, "connect", keepers.on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", keepers.on_connect)
        keepers.close()
