"""The durable record of every alert: what is due, what was sent, what is waiting for Slack.

A SQLite file (``ALERTS_STATE_PATH``, default ``$DAGSTER_HOME/alerts/ledger.sqlite``), never the
DuckDB warehouse (a pipeline run may hold its write lock) and never a sensor cursor alone (a cursor is
only saved when a tick succeeds). An alert is written as ``pending`` under its unique key *before*
anything is sent, so a crash, a Slack outage or a restart cannot lose it, and the unique key means a
later tick that decides the same alert again finds it already there and sends nothing.

Delivery claims a row (``pending`` -> ``sending``) in one conditional UPDATE, so two processes (the
sensor daemon and ``mlcost alerts check``) never both send it. A claim left behind by a process that
died mid-send is taken back after ``CLAIM_LEASE_SECONDS``: the one case where Slack may see a message
twice, preferred to losing it.

An alert can carry an expiry (``expires_at``, decided by the mart that made it due: the end of a
budget alert's billing period, a week after an anomaly). A pending alert past it is never sent and
shows as ``expired``: alerts recorded while no sensor delivers (no Slack yet) do not flood the
channel with closed months once one does.

An alert can belong to a ``family`` with a ``level`` (a cost anomaly and the doublings of its
impact): the first of a family is recorded under the family's key, and a later one only when its
level is above every level recorded for the family, under ``<family>:grew:<level>``. So an anomaly
re-alerts when its impact grows, never when it stays or shrinks; one INSERT decides it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# A claim older than this belongs to a process that died while sending.
CLAIM_LEASE_SECONDS = 300

SCHEMA = """
create table if not exists alerts (
    alert_key text primary key,
    kind text not null,
    status text not null check (status in ('pending', 'sending', 'sent')),
    summary text not null,
    message text not null,
    attempts integer not null default 0,
    last_error text,
    created_at text not null,
    next_attempt_at real not null default 0,
    claimed_at real,
    sent_at text,
    destination text,
    expires_at real,
    family text,
    level integer
);
create index if not exists alerts_by_status on alerts (status);
create index if not exists alerts_by_family on alerts (family, level);
create table if not exists holds (
    name text primary key,
    until_ts real not null
);
"""

# The alerts as they stand now: a pending alert past its expiry reads as expired (nothing sends it).
# Created after the migration below, since it names expires_at.
STATUS_VIEW = """
create view if not exists alerts_now as
select
    rowid,
    alert_key,
    kind,
    case
        when status = 'pending' and expires_at <= (julianday('now') - 2440587.5) * 86400.0 then 'expired'
        else status
    end as status,
    summary,
    message,
    attempts,
    last_error,
    created_at,
    sent_at
from alerts
"""


@dataclass(frozen=True)
class Alert:
    """One alert to deliver: its unique key, kind (budget_actual, budget_forecast, anomaly, run_failure,
    test), a one-line summary and the Slack message (``{"text": ..., "blocks": [...]}``)."""

    key: str
    kind: str
    summary: str
    message: dict
    expires_at: float | None = None  # epoch seconds; None: never
    family: str | None = None  # alerts of one thing that can escalate (an anomaly), keyed by `key`
    level: int | None = None  # within a family: recorded only above every level recorded before


@dataclass(frozen=True)
class LedgerRow:
    key: str
    kind: str
    status: str  # pending | sending | sent | expired (pending past its expiry)
    summary: str
    message: dict
    attempts: int
    last_error: str | None
    created_at: str
    sent_at: str | None


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Ledger:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            # A ledger written by an earlier release gets the columns it lacks first.
            if conn.execute("select 1 from sqlite_master where name = 'alerts'").fetchone():
                columns = {row[1] for row in conn.execute("pragma table_info(alerts)")}
                for name, kind in (("expires_at", "real"), ("family", "text"), ("level", "integer")):
                    if name not in columns:
                        conn.execute(f"alter table alerts add column {name} {kind}")
            conn.executescript(SCHEMA)
            conn.execute(STATUS_VIEW)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Autocommit; every write is one statement, durable when it returns (WAL + synchronous=FULL).
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=full")
            yield conn
        finally:
            conn.close()

    def record(self, alert: Alert) -> bool:
        """Write the alert as pending unless its key exists (or, in a family, unless a level as high
        was recorded). True when it is new."""
        if alert.family is not None:
            return self._record_in_family(alert)
        with self._connect() as conn:
            cur = conn.execute(
                "insert into alerts (alert_key, kind, status, summary, message, created_at, expires_at) "
                "values (?, ?, 'pending', ?, ?, ?, ?) on conflict (alert_key) do nothing",
                (
                    alert.key,
                    alert.kind,
                    alert.summary,
                    json.dumps(alert.message),
                    _utc_now(),
                    alert.expires_at,
                ),
            )
            return cur.rowcount == 1

    def _record_in_family(self, alert: Alert) -> bool:
        with self._connect() as conn:
            cur = conn.execute(
                "insert into alerts (alert_key, kind, status, summary, message, created_at, expires_at, "
                "family, level) "
                "select case when exists (select 1 from alerts where family = :family or alert_key = :family) "
                "            then :family || ':grew:' || :level else :family end, "
                "       :kind, 'pending', :summary, :message, :now, :expires_at, :family, :level "
                "where not exists (select 1 from alerts where family = :family and level >= :level) "
                "  and not (:level <= 0 and exists (select 1 from alerts where alert_key = :family)) "
                "on conflict (alert_key) do nothing",
                {
                    "family": alert.family,
                    "level": alert.level,
                    "kind": alert.kind,
                    "summary": alert.summary,
                    "message": json.dumps(alert.message),
                    "now": _utc_now(),
                    "expires_at": alert.expires_at,
                },
            )
            return cur.rowcount == 1

    def family_level(self, family: str) -> int | None:
        """The highest level recorded for a family (None: nothing recorded yet; an alert recorded
        under the family's key by an earlier release counts as level 0)."""
        with self._connect() as conn:
            row = conn.execute(
                "select max(level), count(*) from alerts where family = ? or alert_key = ?", (family, family)
            ).fetchone()
        return None if not row[1] else (row[0] if row[0] is not None else 0)

    def claim_next(self, now: float | None = None) -> LedgerRow | None:
        """Claim the oldest alert that is due: pending and past its retry time (or a stale claim), and
        not expired. One UPDATE picks and claims it, so two processes never claim the same alert."""
        now = time.time() if now is None else now
        with self._connect() as conn:
            row = conn.execute(
                "update alerts set status = 'sending', claimed_at = :now, attempts = attempts + 1 "
                "where alert_key = ("
                "    select alert_key from alerts"
                "    where ((status = 'pending' and next_attempt_at <= :now)"
                "           or (status = 'sending' and claimed_at < :stale))"
                "      and (expires_at is null or expires_at > :now)"
                # rowid: the order alerts were decided in (lowest threshold first).
                "    order by rowid limit 1"
                ") returning alert_key",
                {"now": now, "stale": now - CLAIM_LEASE_SECONDS},
            ).fetchone()
            return self.get(row[0], conn) if row else None

    def mark_sent(self, key: str, destination: str) -> None:
        with self._connect() as conn:
            conn.execute(
                "update alerts set status = 'sent', sent_at = ?, last_error = null, destination = ? "
                "where alert_key = ?",
                (_utc_now(), destination, key),
            )

    def release(self, key: str, error: str, retry_at: float = 0) -> None:
        """Put a claimed alert back to pending after a failed delivery; it goes out on a later tick."""
        with self._connect() as conn:
            conn.execute(
                "update alerts set status = 'pending', claimed_at = null, last_error = ?, "
                "next_attempt_at = ? where alert_key = ?",
                (error, retry_at, key),
            )

    def hold(self, name: str, until_ts: float) -> None:
        """Pause a destination (Slack said 429 with Retry-After) until ``until_ts``."""
        with self._connect() as conn:
            conn.execute(
                "insert into holds (name, until_ts) values (?, ?) "
                "on conflict (name) do update set until_ts = excluded.until_ts",
                (name, until_ts),
            )

    def held_until(self, name: str) -> float:
        with self._connect() as conn:
            row = conn.execute("select until_ts from holds where name = ?", (name,)).fetchone()
        return row[0] if row else 0.0

    def get(self, key: str, conn: sqlite3.Connection | None = None) -> LedgerRow | None:
        if conn is None:
            with self._connect() as own:
                return self.get(key, own)
        row = conn.execute(
            "select alert_key, kind, status, summary, message, attempts, last_error, created_at, sent_at "
            "from alerts_now where alert_key = ?",
            (key,),
        ).fetchone()
        return _row(row) if row else None

    def rows(self, status: str | None = None) -> list[LedgerRow]:
        """Every alert in the order it was decided, or those with one status (``expired`` included)."""
        with self._connect() as conn:
            rows = conn.execute(
                "select alert_key, kind, status, summary, message, attempts, last_error, created_at, sent_at "
                "from alerts_now where ? is null or status = ? order by rowid",
                (status, status),
            ).fetchall()
        return [_row(row) for row in rows]


def _row(row: tuple) -> LedgerRow:
    return LedgerRow(
        key=row[0],
        kind=row[1],
        status=row[2],
        summary=row[3],
        message=json.loads(row[4]),
        attempts=row[5],
        last_error=row[6],
        created_at=row[7],
        sent_at=row[8],
    )
