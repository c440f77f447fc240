"""Helpers for billing ingest tests: run the real asset through Dagster, compute expectations independently."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.billing import billing_line_items, billing_periods
from pipelines.defs.resources import BillingExport, s3_resource, source_resources
from pipelines.lib.billing.store import ExportStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "billing"


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def materialize(
    instance: dg.DagsterInstance, warehouse: Path, key: str, force: bool = False, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions(billing_periods.name, [key])
    return dg.materialize(
        [billing_line_items],
        instance=instance,
        partition_key=key,
        resources={"warehouse": DuckDBResource(database=str(warehouse)), **source_resources()},
        run_config={"ops": {billing_line_items.op.name: {"config": {"force": force}}}},
        raise_on_error=raise_on_error,
    )


def open_export_store(uri: str) -> ExportStore:
    """The export store as the code location configures it now (the one S3 resource for s3://)."""
    with dg.build_resources({"export": BillingExport(uri=uri, s3=s3_resource())}) as built:
        return built.export.store()


def evaluate_sensor(sensor: dg.SensorDefinition, instance: dg.DagsterInstance):
    """One evaluation of `sensor` with the source resources the environment configures now."""
    with dg.build_sensor_context(instance=instance, resources=source_resources()) as context:
        return sensor(context)


def warehouse_totals(warehouse: Path, key: str | None = None) -> tuple[int, Decimal, Decimal]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        where = "where billing_period = $p" if key else "where $p is null or true"
        row = conn.execute(
            f"select count(*), coalesce(sum(billed_cost), 0), coalesce(sum(effective_cost), 0) "  # noqa: S608
            f"from raw.billing_line_items {where}",
            {"p": key},
        ).fetchone()
    return row[0], row[1], row[2]


def file_total(files: list[Path], column: str, reader: str = "csv") -> tuple[int, Decimal]:
    """Rows and the sum of one cost column computed straight from the files (no mlcost code)."""
    conn = duckdb.connect()
    paths = [str(f) for f in files]
    if reader == "csv":
        rel = conn.execute(
            f"select count(*), sum(cast(nullif(\"{column}\", '') as decimal(38, 10))) "  # noqa: S608
            "from read_csv($f, all_varchar = true, union_by_name = true, nullstr = ['', 'null', 'NULL'])",
            {"f": paths},
        )
    else:
        rel = conn.execute(
            f'select count(*), sum(cast("{column}" as decimal(38, 10))) from read_parquet($f, union_by_name = true)',  # noqa: S608
            {"f": paths},
        )
    rows, total = rel.fetchone()
    return rows, total or Decimal(0)


LEGACY_HEADER = (
    "identity/LineItemId,identity/TimeInterval,bill/BillingPeriodStartDate,bill/PayerAccountId,"
    "lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,"
    "lineItem/ProductCode,lineItem/UsageType,lineItem/UnblendedCost,lineItem/CurrencyCode"
)


def write_month(root: Path, month: str, costs: list[tuple[str, str]], name: str | None = None) -> Path:
    """A loose legacy CUR CSV for one month (YYYY-MM): one SageMaker line item per (cost, currency)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [LEGACY_HEADER]
    for i, (cost, currency) in enumerate(costs):
        hour = f"{month}-01T{i % 24:02d}:00:00Z"
        end = f"{month}-01T{i % 24:02d}:59:59Z"
        lines.append(
            f"li-{month}-{i},{hour}/{end},{month}-01T00:00:00Z,111122223333,111122223333,Usage,"
            f"{hour},{end},AmazonSageMaker,USE1-Train:ml.m5.xlarge,{cost},{currency}"
        )
    path = root / (name or f"cur-{month}.csv")
    path.write_text("\n".join(lines) + "\n")
    return path
