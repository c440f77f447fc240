"""Write the demo bill as the AWS billing exports deliver it: CUR 2.0, legacy CUR and FOCUS 1.0.

`write_demo_exports` lays files out as `aws s3 sync` of the bucket `mlcost-demo-billing` would:

    DIR/cur2/exports/mlcost-demo-cur2/data/BILLING_PERIOD=YYYY-MM/<executionId>/mlcost-demo-cur2-00001.snappy.parquet
    DIR/cur2/exports/mlcost-demo-cur2/metadata/BILLING_PERIOD=YYYY-MM/mlcost-demo-cur2-Manifest.json
    DIR/legacy/cur/mlcost-demo-legacy/YYYYMMDD-YYYYMMDD/<assemblyId>/mlcost-demo-legacy-1.csv.gz (+ manifests)
    DIR/focus/exports/mlcost-demo-focus/data/BILLING_PERIOD=YYYY-MM/mlcost-demo-focus-00001.parquet (+ manifest)

The open month was delivered twice: the older CUR 2.0 execution and legacy assembly (two days
fewer, no tax estimate yet) stay on disk, the manifests name only the newest. Files are
byte-identical for a given seed and as-of date, and their mtimes are the delivery times, derived
from as_of.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.demo.billing import PRODUCT_NAMES, build_line_items, tag_keys
from pipelines.demo.catalog import DAY, HOUR, DemoCatalog, build_catalog
from pipelines.demo.columns import CANONICAL_MACRO, CUR2_COLUMNS, FOCUS_COLUMNS, legacy_columns, macro_sql
from pipelines.demo.scale import write_scaled_month
from pipelines.demo.usage.anomalies import ground_truth

FORMATS = ("cur2", "legacy", "focus")
BUCKET = "mlcost-demo-billing"
CUR2_PREFIX, CUR2_EXPORT = "exports", "mlcost-demo-cur2"
LEGACY_PREFIX, LEGACY_REPORT = "cur", "mlcost-demo-legacy"
FOCUS_PREFIX, FOCUS_EXPORT = "exports", "mlcost-demo-focus"
# The folder under DIR that holds each format's whole export.
EXPORT_FOLDERS = {
    "cur2": Path("cur2", CUR2_PREFIX, CUR2_EXPORT),
    "legacy": Path("legacy", LEGACY_PREFIX, LEGACY_REPORT),
    "focus": Path("focus", FOCUS_PREFIX, FOCUS_EXPORT),
}
GROUND_TRUTH_FILE = "planted_anomalies.json"  # beside the exports, with --anomalies
REDELIVERY_LAG = 2 * DAY  # the superseded delivery of the open month lacks the last two days

SERVICE_CATEGORIES = {
    "AmazonSageMaker": "AI and Machine Learning",
    "AmazonEC2": "Compute",
    "AmazonS3": "Storage",
    "MachineLearningSavingsPlans": "AI and Machine Learning",
    "AmazonBedrock": "AI and Machine Learning",
    "AmazonBedrockFoundationModels": "AI and Machine Learning",
}


@dataclass
class FormatSummary:
    """What one format's export holds: current deliveries only (superseded files excluded)."""

    format: str
    root: Path
    periods: list[str] = field(default_factory=list)
    rows: int = 0
    unblended_cost: float = 0.0
    rows_by_period: dict[str, int] = field(default_factory=dict)
    cost_by_period: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def line(self) -> str:
        span = f"{self.periods[0]}..{self.periods[-1]}" if self.periods else "none"
        return (
            f"{self.format}: {len(self.periods)} period{'' if len(self.periods) == 1 else 's'} ({span}), {self.rows:,} rows, "
            f"${self.unblended_cost:,.2f} unblended -> {self.root}"
        )


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _stable_uuid(*key: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _manifest_type(kind: str) -> str:
    return {
        "varchar": "string",
        "double": "double",
        "timestamptz": "timestamp",
        "map(varchar, varchar)": "map<string,string>",
        "map(varchar, double)": "map<string,double>",
    }[kind]


class _Writer:
    """One DuckDB session that holds the canonical rows and writes every format from them."""

    def __init__(self, catalog: DemoCatalog, out_dir: Path) -> None:
        self.catalog = catalog
        self.out = out_dir
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute("set enable_progress_bar = false")
        # Bounded memory whatever --rows asks for: parts stream to Parquet one at a time.
        self.con.execute("set memory_limit = '2GB'")
        products = pa.table(
            {
                "product_code": list(PRODUCT_NAMES),
                "product_name": list(PRODUCT_NAMES.values()),
                "service_category": [SERVICE_CATEGORIES[c] for c in PRODUCT_NAMES],
            }
        )
        self.con.register("products_arrow", products)
        self.con.execute(
            "create temp table products as select *, "
            "map {'product_name': product_name, 'servicename': product_name} as product_map from products_arrow"
        )
        self.con.execute(CANONICAL_MACRO)
        self.con.execute(macro_sql("cur2_rows", CUR2_COLUMNS))
        self.con.execute(macro_sql("focus_rows", FOCUS_COLUMNS))
        self.params = {"open_period": catalog.open_period, "payer": catalog.payer_account_id}

    # Delivery times: closed months were finalised two days after month end; the open month was
    # delivered early on the day before as_of and again a day earlier (the superseded delivery).
    def delivered_at(self, period: dt.date, superseded: bool = False) -> dt.datetime:
        newest = self.catalog.data_through + dt.timedelta(hours=7)
        if period == self.catalog.open_period:
            return newest - REDELIVERY_LAG if superseded else newest
        period_end = dt.datetime(period.year, period.month, 1, tzinfo=dt.UTC) + dt.timedelta(days=32)
        period_end = period_end.replace(day=1)
        return min(period_end + 2 * DAY + 5 * HOUR, newest - HOUR)

    def set_mtime(self, path: Path, moment: dt.datetime) -> None:
        os.utime(path, (_epoch(moment), _epoch(moment)))

    def copy(self, macro: str, period: dt.date, path: Path, options: str, source: str = "line_items") -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        params = {"src": source, "period": period, **self.params}
        # Only the file name is spliced in (quoted); every value is a bound parameter.
        copied = self.con.execute(
            f"copy (from {macro}($src, $period, $open_period, $payer)) to {_sql_string(path)} ({options})",
            params,
        ).fetchone()
        return int(copied[0])

    def period_cost(self, period: dt.date, source: str = "line_items") -> tuple[int, float]:
        row = self.con.execute(
            "select count(*), coalesce(sum(unblended_cost), 0) from query_table($src) where billing_period = $p",
            {"src": source, "p": period},
        ).fetchone()
        return int(row[0]), float(row[1])


def write_demo_exports(
    out_dir: Path | str,
    seed: int = 7,
    as_of: dt.date | None = None,
    months: int = 3,
    formats: tuple[str, ...] | list[str] | str = ("cur2",),
    rows: int | None = None,
    anomalies: bool = False,
    granularity: str = "daily",
) -> dict[str, FormatSummary]:
    """Write the demo organisation's billing exports under out_dir; returns a summary per format.

    rows: scale the latest closed CUR 2.0 month to exactly this many line items (benchmarks).
    anomalies: plant one-day cost spikes in the bill and write their ground truth to
    out_dir/planted_anomalies.json (pipelines/demo/usage/anomalies.py).
    granularity: "daily" (default) or "hourly" usage lines, as the two CUR 2.0 time granularities.
    """
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out = Path(out_dir)
    # Each format's export is this run's alone: months an earlier run (another as-of) wrote are gone,
    # as they would be from a bucket the export was re-created in. Only the demo's own export folders.
    for fmt in formats:
        shutil.rmtree(out / EXPORT_FOLDERS[fmt], ignore_errors=True)
    catalog = build_catalog(seed=seed, as_of=as_of, months=months)
    writer = _Writer(catalog, out)
    con = writer.con
    summaries: dict[str, FormatSummary] = {}

    # The superseded delivery of the open month, built first with an earlier cutoff.
    old_cutoff = max(catalog.data_through - REDELIVERY_LAG, catalog.history_start)
    build_line_items(con, catalog, old_cutoff, with_tax=False, anomalies=anomalies, granularity=granularity)
    con.execute("create or replace temp table line_items_superseded as from line_items")
    build_line_items(con, catalog, catalog.data_through, anomalies=anomalies, granularity=granularity)
    keys = sorted(set(tag_keys(con)))

    scaled_period = catalog.periods[-2] if len(catalog.periods) > 1 else catalog.periods[-1]
    base_rows = writer.period_cost(scaled_period)[0]
    if rows is not None and rows < base_rows:
        con.close()
        raise ValueError(
            f"--rows must be at least {base_rows:,} (the regular demo rows of {scaled_period:%Y-%m})"
        )
    if "cur2" in formats:
        summaries["cur2"] = _write_cur2(writer, rows, scaled_period)
    if "legacy" in formats:
        con.execute(macro_sql("legacy_rows", legacy_columns(keys), positional=True))
        summaries["legacy"] = _write_legacy(writer, keys)
    if "focus" in formats:
        summaries["focus"] = _write_focus(writer)
    con.close()
    if anomalies:
        out.mkdir(parents=True, exist_ok=True)
        (out / GROUND_TRUTH_FILE).write_text(json.dumps(ground_truth(catalog), indent=2) + "\n")
    for summary in summaries.values():
        _settle_folder_mtimes(summary.root)
    return {f: summaries[f] for f in FORMATS if f in summaries}


def _settle_folder_mtimes(root: Path) -> None:
    """Give every folder the mtime of its newest entry, so folder listings sort like the deliveries."""
    for folder, dirs, files in os.walk(root, topdown=False):
        entries = [Path(folder, name) for name in (*dirs, *files)]
        if entries:
            newest = max(entry.stat().st_mtime for entry in entries)
            os.utime(folder, (newest, newest))


def _record(summary: FormatSummary, period: dt.date, rows: int, cost: float) -> None:
    label = f"{period:%Y-%m}"
    summary.periods.append(label)
    summary.rows_by_period[label] = rows
    summary.cost_by_period[label] = round(cost, 10)
    summary.rows += rows
    summary.unblended_cost = round(summary.unblended_cost + cost, 10)


def _write_manifest(writer: _Writer, path: Path, body: dict, moment: dt.datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")
    writer.set_mtime(path, moment)


def _write_cur2(writer: _Writer, rows: int | None, scaled_period: dt.date) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "cur2" / CUR2_PREFIX / CUR2_EXPORT
    summary = FormatSummary("cur2", writer.out / "cur2")
    export_arn = (
        f"arn:aws:bcm-data-exports:us-east-1:{catalog.payer_account_id}:export/"
        f"{CUR2_EXPORT}-{_stable_uuid(catalog.seed, 'export')}"
    )
    columns = [{"name": name, "type": _manifest_type(kind)} for name, kind, _ in CUR2_COLUMNS]
    parquet = "format parquet, compression snappy"
    for period in catalog.periods:
        label = f"{period:%Y-%m}"
        deliveries = [(False, "line_items")]
        if period == catalog.open_period:
            deliveries.insert(0, (True, "line_items_superseded"))
        for superseded, source in deliveries:
            execution_id = _stable_uuid(catalog.seed, "cur2", label, superseded)
            moment = writer.delivered_at(period, superseded)
            data_dir = root / "data" / f"BILLING_PERIOD={label}" / execution_id
            if rows is not None and period == scaled_period and not superseded:
                files, count, cost = write_scaled_month(writer, period, data_dir, rows, CUR2_EXPORT)
            else:
                path = data_dir / f"{CUR2_EXPORT}-00001.snappy.parquet"
                count = writer.copy("cur2_rows", period, path, parquet, source)
                cost = writer.period_cost(period, source)[1]
                files = [path]
            for path in files:
                writer.set_mtime(path, moment)
            if superseded:
                continue  # the manifest names only the newest execution
            summary.files.extend(files)
            _record(summary, period, count, cost)
            manifest = {
                "executionId": execution_id,
                "exportArn": export_arn,
                "reportName": CUR2_EXPORT,
                "account": catalog.payer_account_id,
                "billingPeriod": {
                    "start": f"{period:%Y-%m-%d}T00:00:00.000Z",
                    "end": f"{_next_month(period):%Y-%m-%d}T00:00:00.000Z",
                },
                "columns": columns,
                "dataFiles": [
                    f"s3://{BUCKET}/{p.relative_to(writer.out / 'cur2').as_posix()}" for p in files
                ],
                "schema": "2",
                "contentType": "application/x-parquet",
                "compression": "SNAPPY",
                "charset": "UTF-8",
                "timeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                "deliveredAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "finalized": period != catalog.open_period,
            }
            path = root / "metadata" / f"BILLING_PERIOD={label}" / f"{CUR2_EXPORT}-Manifest.json"
            _write_manifest(writer, path, manifest, moment)
            summary.files.append(path)
    return summary


def _next_month(period: dt.date) -> dt.date:
    return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _write_legacy(writer: _Writer, keys: list[str]) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "legacy"
    report_root = root / LEGACY_PREFIX / LEGACY_REPORT
    summary = FormatSummary("legacy", root)
    names = [name for name, _, _ in legacy_columns(keys)]
    columns = [
        {"category": n.split("/", 1)[0], "name": n.split("/", 1)[1], "type": "OptionalString"} for n in names
    ]
    header = (",".join(names) + "\n").encode()
    for period in catalog.periods:
        label = f"{period:%Y%m%d}-{_next_month(period):%Y%m%d}"
        deliveries = [(False, "line_items")]
        if period == catalog.open_period:
            deliveries.insert(0, (True, "line_items_superseded"))
        for superseded, source in deliveries:
            assembly_id = _stable_uuid(catalog.seed, "legacy", label, superseded)
            moment = writer.delivered_at(period, superseded)
            assembly_dir = report_root / label / assembly_id
            csv_path = assembly_dir / f"{LEGACY_REPORT}-1.csv"
            count = writer.copy("legacy_rows", period, csv_path, "format csv, header false", source)
            gz_path = csv_path.with_suffix(".csv.gz")
            # Our own header keeps tag keys that differ only in case (user:Model and user:model);
            # gzip with mtime 0 so the bytes depend on the content only.
            with csv_path.open("rb") as raw, gzip.GzipFile(gz_path, "wb", mtime=0) as packed:
                packed.write(header)
                packed.write(raw.read())
            csv_path.unlink()
            writer.set_mtime(gz_path, moment)
            key = gz_path.relative_to(root).as_posix()
            manifest = {
                "assemblyId": assembly_id,
                "account": catalog.payer_account_id,
                "columns": columns,
                "charset": "UTF-8",
                "compression": "GZIP",
                "contentType": "text/csv",
                "reportId": _stable_uuid(catalog.seed, "report").replace("-", ""),
                "reportName": LEGACY_REPORT,
                "billingPeriod": {
                    "start": f"{period:%Y%m%d}T000000.000Z",
                    "end": f"{_next_month(period):%Y%m%d}T000000.000Z",
                },
                "bucket": BUCKET,
                "reportKeys": [key],
                "additionalArtifactKeys": [],
            }
            _write_manifest(writer, assembly_dir / f"{LEGACY_REPORT}-Manifest.json", manifest, moment)
            if superseded:
                continue
            # The period-level manifest is overwritten by each delivery: it names the newest assembly.
            period_manifest = report_root / label / f"{LEGACY_REPORT}-Manifest.json"
            _write_manifest(writer, period_manifest, manifest, moment)
            summary.files.extend([gz_path, assembly_dir / f"{LEGACY_REPORT}-Manifest.json", period_manifest])
            _record(summary, period, count, writer.period_cost(period, source)[1])
    return summary


def _write_focus(writer: _Writer) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "focus" / FOCUS_PREFIX / FOCUS_EXPORT
    summary = FormatSummary("focus", writer.out / "focus")
    export_arn = (
        f"arn:aws:bcm-data-exports:us-east-1:{catalog.payer_account_id}:export/"
        f"{FOCUS_EXPORT}-{_stable_uuid(catalog.seed, 'focus-export')}"
    )
    columns = [{"name": name, "type": _manifest_type(kind)} for name, kind, _ in FOCUS_COLUMNS]
    for period in catalog.periods:
        label = f"{period:%Y-%m}"
        moment = writer.delivered_at(period)
        path = root / "data" / f"BILLING_PERIOD={label}" / f"{FOCUS_EXPORT}-00001.parquet"
        count = writer.copy("focus_rows", period, path, "format parquet, compression snappy")
        writer.set_mtime(path, moment)
        manifest = {
            "executionId": _stable_uuid(catalog.seed, "focus", label),
            "exportArn": export_arn,
            "reportName": FOCUS_EXPORT,
            "account": catalog.payer_account_id,
            "billingPeriod": {
                "start": f"{period:%Y-%m-%d}T00:00:00.000Z",
                "end": f"{_next_month(period):%Y-%m-%d}T00:00:00.000Z",
            },
            "columns": columns,
            "dataFiles": [f"s3://{BUCKET}/{path.relative_to(writer.out / 'focus').as_posix()}"],
            "schema": "FOCUS-1.0",
            "contentType": "application/x-parquet",
            "compression": "SNAPPY",
            "charset": "UTF-8",
            "finalized": period != catalog.open_period,
        }
        manifest_path = root / "metadata" / f"BILLING_PERIOD={label}" / f"{FOCUS_EXPORT}-Manifest.json"
        _write_manifest(writer, manifest_path, manifest, moment)
        summary.files.extend([path, manifest_path])
        _record(summary, period, count, writer.period_cost(period)[1])
    return summary
