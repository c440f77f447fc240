"""What the warehouse holds of the bill: its load records decide what gets loaded, and what is listed
and dropped by `mlcost periods`.

Each loaded period's record in raw.billing_loads (fingerprint, source, totals) is written in the
transaction that lands its line items, so it is true of the very file it lives in. The decision
"which delivered periods to load" compares discovery with these records only, never with the
orchestrator's history: a new, restored or replaced warehouse file gets every period it lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.lib import sql
from pipelines.lib.billing.discovery import Period
from pipelines.lib.warehouse import WarehouseUnavailable, open_read_only

# Run tag naming the delivery (fingerprint) a billing load run was started for.
FINGERPRINT_TAG = "mlcost/fingerprint"


class PeriodsNotLoaded(ValueError):
    """Periods asked for (to drop) that the warehouse does not hold."""

    def __init__(self, missing: list[str], loaded: list[str]):
        super().__init__(
            f"not loaded: {', '.join(missing)} (loaded: {', '.join(loaded) or 'none'}); nothing dropped"
        )
        self.missing = missing


@dataclass(frozen=True)
class LoadedPeriod:
    """One loaded billing period and currency: its line items' count and totals, and its load record."""

    billing_period: date
    currency: str | None
    line_items: int
    billed_cost: Decimal | None
    effective_cost: Decimal | None
    source_format: str | None
    export_version: str | None
    source_files: tuple[str, ...]
    loaded_at: datetime | None

    @property
    def partition_key(self) -> str:
        return self.billing_period.isoformat()


def loaded_fingerprints(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Partition key (YYYY-MM-01) -> fingerprint of the delivery each loaded period came from."""
    try:
        return dict(conn.execute(sql.load("ingest/select_billing_load_fingerprints")).fetchall())
    except duckdb.CatalogException:
        return {}  # a warehouse that no billing load (or refresh) has touched yet


def read_loaded_fingerprints(path: Path | str | None = None) -> dict[str, str]:
    """loaded_fingerprints() of the warehouse file, opened read-only for one query.

    A warehouse that does not exist holds nothing (every delivered period is to be loaded); one that
    a writer holds raises WarehouseUnavailable (`.locked`), since what it holds is not known then.
    """
    try:
        conn = open_read_only(path)
    except WarehouseUnavailable as exc:
        if exc.missing:
            return {}
        raise
    try:
        return loaded_fingerprints(conn)
    finally:
        conn.close()


def periods_to_ingest(periods: Iterable[Period], loaded: Mapping[str, str]) -> list[Period]:
    """Delivered periods the warehouse lacks, or holds from another delivery (re-delivered since)."""
    return [p for p in periods if loaded.get(p.partition_key) != p.fingerprint]


def loaded_periods(conn: duckdb.DuckDBPyConnection) -> list[LoadedPeriod]:
    """Every loaded period, one entry per currency, oldest first (empty before the first load)."""
    try:
        rows = conn.execute(sql.load("ingest/select_loaded_billing_periods")).fetchall()
    except duckdb.CatalogException:
        return []
    return [
        LoadedPeriod(
            billing_period=row[0],
            currency=row[1],
            line_items=row[2],
            billed_cost=row[3],
            effective_cost=row[4],
            source_format=row[5],
            export_version=row[6],
            source_files=tuple(row[7] or ()),
            loaded_at=row[8],
        )
        for row in rows
    ]


def drop_periods(conn: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> list[LoadedPeriod]:
    """Delete the periods' line items and load records in one transaction; returns what was dropped.

    Every period must be loaded, else PeriodsNotLoaded is raised and nothing changes.
    """
    wanted = sorted({date.fromisoformat(k) for k in keys})
    conn.execute("begin transaction")
    try:
        held = loaded_periods(conn)
        present = {p.billing_period for p in held}
        missing = [d.isoformat() for d in wanted if d not in present]
        if missing:
            raise PeriodsNotLoaded(missing, sorted(d.isoformat() for d in present))
        for day in wanted:
            conn.execute(sql.load("ingest/delete_billing_period"), {"billing_period": day})
            conn.execute(sql.load("ingest/delete_billing_load"), {"billing_period": day})
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return [p for p in held if p.billing_period in set(wanted)]
