"""Loading one billing period into raw.billing_line_items: atomically, idempotently, set-based."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from pipelines.lib import sql
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.discovery import Period
from pipelines.lib.billing.normalize import (
    FileGroup,
    csv_header,
    describe,
    file_group,
    group_select,
    latest_period,
    locate,
    materialize_local,
    normalize,
    parquet_columns,
    prepare_connection,
    reader_for,
    short_error,
    source_sql,
)
from pipelines.lib.billing.store import ExportStore, WorkDir
from pipelines.lib.warehouse import check_tag_set_ids, ensure_raw_tables


@dataclass
class LoadResult:
    billing_period: str
    skipped: bool
    row_count: int
    billed_cost: Decimal
    effective_cost: Decimal
    export_version: str
    source_format: str
    source_files: list[str]
    fingerprint: str
    seconds: float


def load_period(
    conn: duckdb.DuckDBPyConnection,
    store: ExportStore,
    period: Period,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> LoadResult:
    """Replace one billing period with its current delivery, unless it is unchanged (or `force`).

    Files are checked complete before the warehouse changes; the delete, the insert (which refuses
    any value or row it cannot land), the per-file count of rows read against rows landed and the
    load record run in one transaction, so bad input leaves what was loaded before exactly as it was.
    """
    started = time.monotonic()
    ensure_raw_tables(conn)
    prepare_connection(conn)
    key = period.partition_key
    previous = conn.execute(sql.load("ingest/select_billing_load"), {"billing_period": key}).fetchone()
    if previous and previous[0] == period.fingerprint and not force:
        return LoadResult(
            key, True, previous[1], previous[2], previous[3], previous[4], "", list(previous[5]),
            period.fingerprint, time.monotonic() - started,
        )  # fmt: skip
    for delivery in period.deliveries:
        if delivery.error:
            raise BillingInputError(delivery.error)
    latest = latest_period(now)
    if period.billing_period > latest:
        raise BillingInputError(f"billing period {key} is after next month ({latest:%Y-%m}); not loaded")

    with WorkDir() as workdir:
        groups, params, formats, source_files = _build_incoming(conn, store, period, workdir)
        incoming = " union all by name ".join(f"({g})" for g in groups)
        insert = sql.load("ingest/insert_billing_line_items").replace("{incoming}", incoming)
        stage_tag_sets = sql.load("ingest/stage_billing_tag_sets").replace("{incoming}", incoming)
        group_params = dict(params)
        params["billing_period"] = key
        params["latest_period"] = latest
        conn.execute("begin transaction")
        try:
            conn.execute(sql.load("ingest/delete_billing_period"), {"billing_period": key})
            conn.execute(stage_tag_sets, group_params)
            check_tag_set_ids(conn, f"billing period {key}", "the period")
            conn.execute(sql.load("ingest/insert_billing_tag_sets"))
            conn.execute(insert, params)
            _check_every_file_loaded(conn, key, store, period)
            _check_rows_read_landed(conn, key, incoming, params)
            if len(period.deliveries) > 1 or sum(len(d.files) for d in period.deliveries if d.loose) > 1:
                conn.execute(sql.load("ingest/delete_duplicate_line_items"), {"billing_period": key})
                _check_one_export_per_account(conn, key)
            source_format = ",".join(sorted(formats))
            conn.execute(
                sql.load("ingest/upsert_billing_load"),
                {
                    "billing_period": key,
                    "fingerprint": period.fingerprint,
                    "source_format": source_format,
                    "export_version": period.export_version,
                    "source_files": sorted(set(source_files.values())),
                },
            )
            conn.execute("commit")
        except duckdb.Error as exc:
            conn.execute("rollback")
            raise _diagnose(conn, store, period, workdir, exc, latest) from exc
        except BaseException:
            conn.execute("rollback")
            raise
    row = conn.execute(sql.load("ingest/select_billing_load"), {"billing_period": key}).fetchone()
    return LoadResult(
        key, False, row[1], row[2], row[3], row[4], source_format, list(row[5]), period.fingerprint,
        time.monotonic() - started,
    )  # fmt: skip


def _build_incoming(conn, store: ExportStore, period: Period, workdir):
    """One normalizing SELECT per group of files that share a reader and header."""
    source_files: dict[str, str] = {}
    versions: dict[str, str] = {}
    loose: dict[str, bool] = {}
    ranks: dict[str, int] = {}
    formats_by_path: dict[str, str] = {}
    exports: dict[str, str] = {}
    grouped: dict[tuple, FileGroup] = {}
    # Recency rank for de-duplication: a manifest's delivery outranks loose files, then newer wins.
    ordered = sorted(
        ((d, f) for d in period.deliveries for f in d.files),
        key=lambda df: (not df[0].loose, df[1].modified, df[1].path),
    )
    for rank, (delivery, f) in enumerate(ordered):
        label = store.display(f.path)
        local = materialize_local(store.local_path(f.path, workdir), label, workdir)
        reader = reader_for(f.path)
        # One read per identical header: a CUR 2.0 and a FOCUS Parquet file must never share a read.
        signature = tuple(csv_header(local, label)) if reader == "csv" else parquet_columns(local, label)
        group = grouped.setdefault((reader, signature), FileGroup(reader=reader, paths=[], display={}))
        group.paths.append(local)
        group.display[str(local)] = label
        source_files[str(local)] = label
        versions[str(local)] = delivery.export_version or "loose"
        loose[str(local)] = delivery.loose
        ranks[str(local)] = rank
        exports[str(local)] = delivery.manifest or ""
    selects, params, formats = [], {}, set()
    for i, group in enumerate(grouped.values()):
        describe(conn, group)
        normalized = normalize(group)
        formats.add(normalized.source_format)
        source, source_params = source_sql(group)
        # Each group's parameters get a distinct name; identifiers in the SELECT are quoted.
        renamed = {f"g{i}_{k}": v for k, v in {**source_params, **normalized.params}.items()}
        text = normalized.sql(source)
        for k in sorted({**source_params, **normalized.params}, key=len, reverse=True):
            text = text.replace(f"${k}", f"$g{i}_{k}")
        selects.append(text)
        params.update(renamed)
        for path in group.paths:
            formats_by_path[str(path)] = normalized.source_format
    paths = list(source_files)
    conn.execute(
        sql.load("ingest/stage_billing_files"),
        {
            "source_paths": paths,
            "source_files": [source_files[p] for p in paths],
            "export_versions": [versions[p] for p in paths],
            "source_formats": [formats_by_path[p] for p in paths],
            "file_ranks": [ranks[p] for p in paths],
            "loose_files": [loose[p] for p in paths],
            # Which export a file belongs to: its manifest, or "loose <format>" without one.
            "export_names": [exports[p] or f"loose {formats_by_path[p]} files" for p in paths],
        },
    )
    return selects, params, formats, source_files


def _check_one_export_per_account(conn, key: str) -> None:
    """Two exports of one account's bill (say CUR 2.0 and FOCUS) in one folder would count it twice."""
    overlaps = conn.execute(
        sql.load("ingest/select_billing_overlapping_exports"), {"billing_period": key}
    ).fetchall()
    if overlaps:
        account, exports = overlaps[0]
        raise BillingInputError(
            f"billing period {key}: account {account or '(none)'} is billed by more than one export "
            f"({'; '.join(exports)}): its cost would be counted twice. Point CUR_EXPORT_URI at one export "
            "per account (for example the CUR 2.0 folder, not its parent holding a FOCUS export too)"
        )


def _check_every_file_loaded(conn, key: str, store: ExportStore, period: Period) -> None:
    counts = dict(
        conn.execute(sql.load("ingest/select_billing_period_files"), {"billing_period": key}).fetchall()
    )
    for d in period.deliveries:
        for f in d.files:
            label = store.display(f.path)
            if not d.loose and counts.get(label, 0) == 0:
                raise BillingInputError(f"{label}: has a header but no line items (manifest {d.manifest})")


def _check_rows_read_landed(conn, key: str, incoming: str, params: dict) -> None:
    """Every line read is a line landed: per file, rows its reader produced (a loose file: those of
    this period) against rows inserted from it, before de-duplication removes any on purpose."""
    check = sql.load("ingest/select_billing_rows_not_landed").replace("{incoming}", incoming)
    params = {k: v for k, v in params.items() if k != "latest_period"}
    mismatch = conn.execute(check, params).fetchone()
    if mismatch:
        source_file, rows_read, rows_expected, rows_landed = mismatch
        raise BillingInputError(
            f"{source_file}: {rows_expected:,} line items read for billing period {key} "
            f"(of {rows_read:,} in the file) but {rows_landed:,} landed; the period was not changed"
        )


def _diagnose(
    conn, store: ExportStore, period: Period, workdir, exc: duckdb.Error, latest
) -> BillingInputError:
    """Name the file, line, column and value that failed (e.g. a corrupt gzip or a non-numeric cost)."""
    for f in period.files:
        label = store.display(f.path)
        try:
            group = file_group(conn, store, f.path, workdir)
            message = locate(conn, group, latest)
            if message:
                return BillingInputError(message)
            sql_text, params = group_select(group)
            conn.execute(f"select count(*) from ({sql_text})", params).fetchall()  # noqa: S608
        except BillingInputError as file_exc:
            return file_exc
        except duckdb.Error as file_exc:
            return BillingInputError(f"{label}: {short_error(file_exc)}")
    return BillingInputError(f"billing period {period.partition_key}: {short_error(exc)}")
