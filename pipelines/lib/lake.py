"""The lake: the warehouse's raw tables as Parquet files that Spark, Athena or Trino read (MLCOST_LAKE_URI).

Layout under the lake's root (a local folder or s3://bucket/prefix), one Parquet file per table or
billing period, always named data.parquet:

    billing_line_items/billing_period=2025-02/data.parquet   one per billing period, without the
                                                             billing_period column (it is the folder)
    billing_tag_sets/data.parquet                            the line items' tag sets, whole, written
                                                             before any period that may name a new one
    budgets/data.parquet, sagemaker_endpoints/data.parquet, ...   every other raw source table, whole

A file is replaced atomically, so a reader sees a whole period (or table) as it was before or as it
is after, never a mix: locally it is written under a hidden temporary name beside the file
(`.data.parquet.<random>.tmp`, skipped by Spark, Hive, Athena and Trino) and renamed over it; on S3
it is written locally and uploaded to its key with boto3's managed transfer, which S3 makes visible
only once the upload completes (a single PUT, or a multipart upload's completion), replacing the
object in one step. A failed or killed write leaves the previous file as it was. docs/engines.md
gives the reader contract.

Which tables: the dbt project's `raw` sources (dbt_project/models/staging/**/_*__sources.yml), the
same list the Spark build registers (dbt_project/macros/lake/register_lake_sources.sql).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import yaml

from pipelines.lib import aws, sql
from pipelines.lib.settings import REPO_ROOT

SETTING = "MLCOST_LAKE_URI"
BILLING_TABLE = "billing_line_items"
# The line items' tag sets (their tag_set_id): written before any period that may carry a new id, and
# only ever growing, so a reader never meets a line whose set the lake does not hold.
TAG_SETS_TABLE = "billing_tag_sets"
# The layout of the period files, kept with the delivery's fingerprint: a file written in an older
# layout (before tag sets, its lines held two tag maps each) is written again though its delivery is
# unchanged.
PERIOD_LAYOUT = "tag-sets"
FILE_NAME = "data.parquet"
# The delivery fingerprint (raw.billing_loads) of the period a file holds: in the Parquet footer's
# key-value metadata, and on S3 also in the object's user metadata (read without downloading it).
FINGERPRINT_KEY = "mlcost_fingerprint"
S3_FINGERPRINT_KEY = "mlcost-fingerprint"
SOURCES_DIR = REPO_ROOT / "dbt_project" / "models" / "staging"


class LakeLocationError(Exception):
    """MLCOST_LAKE_URI cannot be used (malformed, not a folder, S3 unreachable or refusing): one line."""


@dataclass(frozen=True)
class LakeWrite:
    path: str  # as readers see it: <lake>/<table>/...data.parquet
    rows: int
    skipped: bool = False


@cache
def lake_tables() -> tuple[str, ...]:
    """The dbt project's `raw` source tables, billing_line_items first, then billing_tag_sets: what
    the lake holds."""
    tables: set[str] = set()
    for path in sorted(SOURCES_DIR.glob("**/_*__sources.yml")):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources", []):
            if source.get("name") == "raw":
                tables.update(t["name"] for t in source.get("tables", []))
    return (BILLING_TABLE, TAG_SETS_TABLE, *sorted(tables - {BILLING_TABLE, TAG_SETS_TABLE}))


def period_folder(billing_period: date | str) -> str:
    """2025-02-01 -> 'billing_period=2025-02' (readers map it back to the DATE 2025-02-01)."""
    day = date.fromisoformat(str(billing_period)[:10])
    return f"billing_period={day:%Y-%m}"


class Lake:
    """Where the lake is and how a file is put there; `open_lake` picks local or S3."""

    uri: str

    def display(self, rel: str) -> str:
        return f"{self.uri.rstrip('/')}/{rel}"

    def write_billing_period(
        self,
        conn: duckdb.DuckDBPyConnection,
        billing_period: date | str,
        fingerprint: str | None,
        *,
        force=False,
    ) -> LakeWrite:
        """Replace one billing period's file with raw.billing_line_items' rows of it, unless the lake
        already holds this delivery (same fingerprint) and not `force`."""
        rel = f"{BILLING_TABLE}/{period_folder(billing_period)}/{FILE_NAME}"
        fingerprint = f"{fingerprint} {PERIOD_LAYOUT}" if fingerprint else None
        if fingerprint and not force and self.fingerprint(rel) == fingerprint:
            return LakeWrite(self.display(rel), 0, skipped=True)
        params = {"billing_period": str(billing_period)[:10], "fingerprint": fingerprint or ""}
        rows = self._write(conn, sql.load("lake/copy_billing_period_to_lake"), params, rel, fingerprint)
        return LakeWrite(self.display(rel), rows)

    def write_table(self, conn: duckdb.DuckDBPyConnection, table: str) -> LakeWrite:
        """Replace a raw table's file with the table as it is now."""
        if table not in lake_tables() or table == BILLING_TABLE:
            raise ValueError(f"{table} is not a whole raw table of the lake")
        rel = f"{table}/{FILE_NAME}"
        statement = sql.load("lake/copy_raw_table_to_lake").replace("{table}", sql.quote_ident(table))
        return LakeWrite(self.display(rel), self._write(conn, statement, {}, rel, None))

    def drop_billing_period(self, billing_period: date | str) -> str:
        """Remove a billing period's file (one delete: readers see the period or nothing)."""
        rel = f"{BILLING_TABLE}/{period_folder(billing_period)}/{FILE_NAME}"
        self._delete(rel)
        return self.display(rel)

    def billing_periods(self) -> list[str]:
        """The billing periods the lake holds, as their folders ('billing_period=YYYY-MM'), sorted."""
        raise NotImplementedError

    def fingerprint(self, rel: str) -> str | None:
        """The delivery fingerprint of the file at `rel`, or None (no such file, or none recorded)."""
        raise NotImplementedError

    def _write(self, conn, statement: str, params: dict, rel: str, fingerprint: str | None) -> int:
        raise NotImplementedError

    def _delete(self, rel: str) -> None:
        raise NotImplementedError


def _copy(conn: duckdb.DuckDBPyConnection, statement: str, params: dict, target: Path) -> int:
    (rows,) = conn.execute(statement, {**params, "path": str(target)}).fetchone()
    return rows


class LocalLake(Lake):
    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()
        self.uri = str(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise LakeLocationError(
                f"{SETTING}={root} is a file, not a folder; set it to a folder for the lake"
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LakeLocationError(f"{SETTING}={root}: cannot create the folder ({exc.strerror})") from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise LakeLocationError(f"{SETTING}={root}: the folder cannot be written (permissions)")

    def _write(self, conn, statement: str, params: dict, rel: str, fingerprint: str | None) -> int:
        final = self.root / rel
        final.parent.mkdir(parents=True, exist_ok=True)
        # What a killed writer left (hidden, so no reader saw it); one writer at a time (pool duckdb).
        for stale in final.parent.glob(f".{final.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        temporary = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
        try:
            rows = _copy(conn, statement, params, temporary)
            _fsync(temporary)
            os.replace(temporary, final)  # atomic: readers open the old file or the new one
            _fsync(final.parent)
        finally:
            temporary.unlink(missing_ok=True)
        return rows

    def _delete(self, rel: str) -> None:
        target = self.root / rel
        target.unlink(missing_ok=True)
        if target.parent.is_dir() and not any(target.parent.iterdir()):
            target.parent.rmdir()

    def billing_periods(self) -> list[str]:
        folder = self.root / BILLING_TABLE
        return sorted(p.parent.name for p in folder.glob(f"billing_period=*/{FILE_NAME}"))

    def fingerprint(self, rel: str) -> str | None:
        path = self.root / rel
        if not path.exists():
            return None
        metadata = pq.read_metadata(path).metadata or {}
        value = metadata.get(FINGERPRINT_KEY.encode())
        return value.decode() if value else None


def _fsync(path: Path) -> None:
    """Data on disk before the rename that publishes it (a crash must not leave an empty file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Lake(Lake):
    def __init__(self, uri: str, client_factory: Callable[[], Any]):
        self.uri = uri.rstrip("/")
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise LakeLocationError(f"{SETTING}={uri}: names no bucket; set it to s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        try:
            self.client = client_factory()
            self.client.head_bucket(Bucket=bucket)
        except Exception as exc:  # noqa: BLE001 - every boto failure becomes one actionable line
            raise self._problem(exc) from exc

    def _problem(self, exc: Exception, what: str = "") -> LakeLocationError:
        where = f"{SETTING}={self.uri}" + (f" ({what})" if what else "")
        return LakeLocationError(f"{where}: S3 refused or is unreachable ({aws.describe_error(exc).strip()})")

    def _key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _write(self, conn, statement: str, params: dict, rel: str, fingerprint: str | None) -> int:
        workdir = Path(tempfile.mkdtemp(prefix="mlcost-lake-"))
        try:
            local = workdir / FILE_NAME
            rows = _copy(conn, statement, params, local)
            extra = {"Metadata": {S3_FINGERPRINT_KEY: fingerprint}} if fingerprint else None
            try:
                # Managed transfer: multipart above 8 MB; the object is replaced only when it completes.
                self.client.upload_file(str(local), self.bucket, self._key(rel), ExtraArgs=extra)
            except Exception as exc:  # noqa: BLE001 - the previous object is untouched; say so in one line
                raise self._problem(exc, f"upload of {rel}; the lake's previous file is unchanged") from exc
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return rows

    def _delete(self, rel: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(rel))
        except Exception as exc:  # noqa: BLE001
            raise self._problem(exc, f"delete of {rel}") from exc

    def billing_periods(self) -> list[str]:
        start = self._key(f"{BILLING_TABLE}/")
        folders = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            ):
                for obj in page.get("Contents", []):
                    folder, _, name = obj["Key"][len(start) :].partition("/")
                    if name == FILE_NAME:
                        folders.append(folder)
        except Exception as exc:  # noqa: BLE001
            raise self._problem(exc, "listing") from exc
        return sorted(folders)

    def fingerprint(self, rel: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(rel))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._problem(exc, rel) from exc
        return head.get("Metadata", {}).get(S3_FINGERPRINT_KEY)


def open_lake(uri: str, s3_client: Callable[[], Any] | None = None) -> Lake:
    """The lake at `uri` (a local folder, file://, or s3://bucket/prefix), checked usable, or
    LakeLocationError in one line. For s3:// `s3_client` makes the configured boto3 S3 client."""
    uri = uri.strip()
    if uri.startswith("s3://"):
        if s3_client is None:
            import boto3

            def s3_client():
                return boto3.client("s3", config=aws.client_config())

        return S3Lake(uri, s3_client)
    if "://" in uri and not uri.startswith("file://"):
        raise LakeLocationError(
            f"{SETTING}={uri}: only a local folder, file:// or s3://bucket/prefix is supported"
        )
    return LocalLake(uri.removeprefix("file://"))


def export_warehouse(
    conn: duckdb.DuckDBPyConnection,
    lake: Lake,
    *,
    force: bool = False,
    progress: Callable[[str], None] = print,
) -> list[LakeWrite]:
    """Write every raw source table of the warehouse to the lake: each billing period (skipping those
    the lake holds from the same delivery, unless `force`), then every other table whole (the tag
    sets before any period); remove
    periods the lake holds that the warehouse does not. The migration path to Spark, Athena, Trino."""
    # The tag sets first: every set a period file names is then in the lake before that file is.
    written = lake.write_table(conn, TAG_SETS_TABLE)
    progress(f"{written.path}: {written.rows:,} rows")
    writes = [written]
    periods = conn.execute(sql.load("lake/select_lake_billing_periods")).fetchall()
    for billing_period, fingerprint in periods:
        written = lake.write_billing_period(conn, billing_period, fingerprint, force=force)
        progress(f"{written.path}: " + ("unchanged" if written.skipped else f"{written.rows:,} rows"))
        writes.append(written)
    held = {period_folder(p) for p, _ in periods}
    for folder in lake.billing_periods():
        if folder not in held:
            removed = lake.drop_billing_period(folder.removeprefix("billing_period=") + "-01")
            progress(f"{removed}: removed (not in the warehouse)")
    for table in lake_tables()[2:]:
        written = lake.write_table(conn, table)
        progress(f"{written.path}: {written.rows:,} rows")
        writes.append(written)
    return writes
