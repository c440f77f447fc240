"""Application prediction logs (CSV, Parquet, JSON lines) -> hourly prediction counts.

A log file has a timestamp column, a model name column and optionally endpoint, variant, transform
job and a count column. Without a count column every row is one prediction. Rows that name a batch
transform job count the records that job scored (cost per 1,000 records in marts.transform_job_costs). Column names are matched
case-insensitively against the candidates below. Files are read by DuckDB in a private in-memory
database, never in the warehouse.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.lib import sql

TIMESTAMP_COLUMNS = (
    "timestamp",
    "ts",
    "time",
    "event_time",
    "prediction_time",
    "predicted_at",
    "hour_start",
    "datetime",
)
MODEL_COLUMNS = ("model_name", "model", "model_id")
ENDPOINT_COLUMNS = ("endpoint_name", "endpoint")
VARIANT_COLUMNS = ("variant_name", "variant", "production_variant")
# Rows naming a batch transform job count the records that job scored, not endpoint predictions.
TRANSFORM_JOB_COLUMNS = ("transform_job_name", "transform_job")
COUNT_COLUMNS = ("predictions", "prediction_count", "count", "n_predictions", "num_predictions", "records")

READERS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".parquet": "read_parquet",
    ".jsonl": "read_json",
    ".ndjson": "read_json",
    ".json": "read_json",
}

COUNTS_SCHEMA = pa.schema(
    [
        ("hour_start", pa.timestamp("us")),
        ("endpoint_name", pa.string()),
        ("variant_name", pa.string()),
        ("model_name", pa.string()),
        ("transform_job_name", pa.string()),
        ("predictions", pa.int64()),
    ]
)


class PredictionLogError(ValueError):
    """A log file that cannot be read as prediction counts; the message names the file."""


@dataclass(frozen=True)
class LogFile:
    path: Path  # local path DuckDB reads
    name: str  # what errors and metadata call it (the S3 URI for downloaded files)

    @property
    def reader(self) -> str:
        suffixes = [s.lower() for s in self.path.suffixes if s.lower() not in (".gz", ".zst", ".snappy")]
        return READERS[suffixes[-1]]


def _is_log(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".zst", ".snappy")]
    return bool(suffixes) and suffixes[-1] in READERS and not path.name.startswith((".", "_"))


@contextmanager
def log_files(uri: str, s3_client_factory=None, keep=None) -> Iterator[list[LogFile]]:
    """The log files under a local folder (or single file) or an s3://bucket/prefix, sorted by name;
    only those whose path `keep` accepts when it is given (a function of the key or path).

    S3 objects are downloaded to a temporary folder that is removed on exit.
    """
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        client = s3_client_factory()
        with tempfile.TemporaryDirectory(prefix="mlcost-prediction-logs-") as tmp:
            files = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents") or []:
                    key = obj["Key"]
                    if key.endswith("/") or not _is_log(Path(key)) or (keep and not keep(key)):
                        continue
                    local = Path(tmp) / key
                    local.parent.mkdir(parents=True, exist_ok=True)
                    client.download_file(bucket, key, str(local))
                    files.append(LogFile(local, f"s3://{bucket}/{key}"))
            yield sorted(files, key=lambda f: f.name)
        return
    root = Path(uri).expanduser()
    if not root.exists():
        raise PredictionLogError(f"PREDICTION_LOGS_URI {uri!r} does not exist")
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and _is_log(p))
    paths = [p for p in paths if not keep or keep(p.as_posix())]
    yield [LogFile(p, str(p)) for p in paths]


def _connect() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    conn.execute("set TimeZone = 'UTC'")
    return conn


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    by_lower = {c.lower(): c for c in columns}
    return next((by_lower[c] for c in candidates if c in by_lower), None)


@dataclass(frozen=True)
class _Columns:
    timestamp: str
    model: str
    endpoint: str | None
    variant: str | None
    transform_job: str | None
    count: str | None


def _columns(conn: duckdb.DuckDBPyConnection, log: LogFile) -> _Columns:
    try:
        described = conn.execute(
            sql.load("ingest/describe_prediction_log").format(reader=log.reader), {"path": str(log.path)}
        ).fetchall()
    except duckdb.Error as exc:
        raise PredictionLogError(f"prediction log {log.name}: cannot be read as {log.reader}: {exc}") from exc
    names = [row[0] for row in described]
    found = {
        "timestamp": _pick(names, TIMESTAMP_COLUMNS),
        "model": _pick(names, MODEL_COLUMNS),
    }
    for role, value in found.items():
        if value is None:
            expected = TIMESTAMP_COLUMNS if role == "timestamp" else MODEL_COLUMNS
            raise PredictionLogError(
                f"prediction log {log.name} has no {role} column (expected one of: {', '.join(expected)}; "
                f"found: {', '.join(names)})"
            )
    return _Columns(
        timestamp=found["timestamp"],
        model=found["model"],
        endpoint=_pick(names, ENDPOINT_COLUMNS),
        variant=_pick(names, VARIANT_COLUMNS),
        transform_job=_pick(names, TRANSFORM_JOB_COLUMNS),
        count=_pick(names, COUNT_COLUMNS),
    )


def _template(name: str, log: LogFile, cols: _Columns) -> str:
    def ident_or_null(column: str | None) -> str:
        return sql.quote_ident(column) if column else "null"

    return sql.load(name).format(
        reader=log.reader,
        timestamp_column=sql.quote_ident(cols.timestamp),
        model_column=sql.quote_ident(cols.model),
        endpoint_column=ident_or_null(cols.endpoint),
        variant_column=ident_or_null(cols.variant),
        transform_job_column=ident_or_null(cols.transform_job),
        count_column=ident_or_null(cols.count) if cols.count else "1",
    )


def _check_timestamps(conn, log: LogFile, cols: _Columns) -> None:
    bad, example = conn.execute(
        _template("ingest/check_prediction_log_timestamps", log, cols), {"path": str(log.path)}
    ).fetchone()
    if bad:
        raise PredictionLogError(
            f"prediction log {log.name}: {bad} value(s) in column {cols.timestamp!r} are not timestamps "
            f"(for example {example!r})"
        )


def hourly_counts(logs: list[LogFile], day_start: datetime, day_end: datetime) -> pa.Table:
    """Predictions per hour, endpoint, variant and model in [day_start, day_end), summed over all files."""
    conn = _connect()
    try:
        conn.execute(sql.load("ingest/init_prediction_log_counts"))
        for log in logs:
            cols = _columns(conn, log)
            _check_timestamps(conn, log, cols)
            try:
                conn.execute(
                    _template("ingest/insert_prediction_log_counts", log, cols),
                    {"path": str(log.path), "day_start": day_start, "day_end": day_end},
                )
            except duckdb.ConversionException as exc:
                # A count that is not a whole number fails the day rather than counting as zero.
                first = str(exc).splitlines()[0]
                raise PredictionLogError(
                    f"prediction log {log.name}: a prediction count is not a number ({first})"
                ) from None
        table = conn.execute(sql.load("ingest/select_prediction_log_counts")).fetch_arrow_table()
    finally:
        conn.close()
    return table.cast(COUNTS_SCHEMA)


def days_present(logs: list[LogFile]) -> list[date]:
    """Every UTC day with at least one prediction in any of the files."""
    conn = _connect()
    days: set[date] = set()
    try:
        for log in logs:
            cols = _columns(conn, log)
            _check_timestamps(conn, log, cols)
            for (day,) in conn.execute(
                _template("ingest/select_prediction_log_days", log, cols), {"path": str(log.path)}
            ).fetchall():
                if day is not None:
                    days.add(day)
    finally:
        conn.close()
    return sorted(days)
