"""Restatement and bad input: a re-delivered month replaces the old one, nothing is counted twice, and
bad files fail the period with a message naming them while what was stored stays as it was."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.ingest.billing_helpers import FIXTURES, evaluate_sensor, file_total, materialize, warehouse_totals

PERIOD = "2024-09-01"
REPORT = "mock-cur-v2-bucket"


@pytest.fixture
def export(tmp_path, monkeypatch) -> Path:
    """A CUR 2.0 Data Exports folder with one delivery of 2024-09 (copied from the keboola sample)."""
    root = tmp_path / "exports"
    shutil.copytree(FIXTURES / "cur2_csv_gz", root)
    monkeypatch.setenv("CUR_EXPORT_URI", str(root))
    return root


def manifest_path(root: Path) -> Path:
    return next(root.rglob("*-Manifest.json"))


def redeliver(root: Path, execution_id: str, cost_factor: int) -> Decimal:
    """AWS re-delivers the month: a new execution's file, and the manifest now names only it."""
    manifest = manifest_path(root)
    doc = json.loads(manifest.read_text())
    old = next(root.rglob("*.csv.gz"))
    lines = gzip.decompress(old.read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    cost = header.index("line_item_unblended_cost")
    new_rows = []
    for line in lines[1:]:
        fields = line.split(",")
        fields[cost] = str(Decimal(fields[cost]) * cost_factor)
        new_rows.append(",".join(fields))
    new_dir = old.parent / execution_id
    new_dir.mkdir()
    new_file = new_dir / old.name
    new_file.write_bytes(gzip.compress(("\n".join([lines[0], *new_rows]) + "\n").encode()))
    doc["executionId"] = execution_id
    doc["dataFiles"] = [f"s3://{REPORT}/data/BILLING_PERIOD=2024-09/{execution_id}/{old.name}"]
    manifest.write_text(json.dumps(doc))
    return file_total([new_file], "line_item_unblended_cost")[1]


def test_first_delivery_rerun_and_redelivery_never_double_count(export, warehouse_path):
    _, first_total = file_total(sorted(export.rglob("*.csv.gz")), "line_item_unblended_cost")
    with dg.instance_for_test() as instance:
        first = materialize(instance, warehouse_path, PERIOD)
        assert warehouse_totals(warehouse_path, PERIOD)[:2] == (4, first_total)
        meta = first.asset_materializations_for_node("raw__billing_line_items")[0].metadata
        assert meta["export_version"].value == "test-exec-id-12345"
        assert meta["skipped_unchanged"].value is False

        # Same delivery again: skipped, totals unchanged; forced: reloaded, still not doubled.
        again = materialize(instance, warehouse_path, PERIOD)
        assert (
            again.asset_materializations_for_node("raw__billing_line_items")[0]
            .metadata["skipped_unchanged"]
            .value
        )
        materialize(instance, warehouse_path, PERIOD, force=True)
        assert warehouse_totals(warehouse_path, PERIOD)[:2] == (4, first_total)

        # Re-delivery with different costs: the newer execution replaces the old, old files ignored.
        new_total = redeliver(export, "exec-2", cost_factor=3)
        assert new_total == first_total * 3
        materialize(instance, warehouse_path, PERIOD)
        assert warehouse_totals(warehouse_path, PERIOD)[:2] == (4, new_total)
        with duckdb.connect(str(warehouse_path), read_only=True) as conn:
            versions = conn.execute("select distinct export_version from raw.billing_line_items").fetchall()
            load = conn.execute("select export_version, row_count from raw.billing_loads").fetchall()
        assert versions == [("exec-2",)]
        assert load == [("exec-2", 4)]


def test_sensor_requests_only_new_or_changed_periods(export, warehouse_path):
    from pipelines.defs.ingest.billing import billing_export_sensor

    with dg.instance_for_test() as instance:
        result = evaluate_sensor(billing_export_sensor, instance)
        assert [r.partition_key for r in result.run_requests] == [PERIOD]
        materialize(instance, warehouse_path, PERIOD)
        assert isinstance(evaluate_sensor(billing_export_sensor, instance), dg.SkipReason)
        redeliver(export, "exec-2", cost_factor=2)
        again = evaluate_sensor(billing_export_sensor, instance)
        assert [r.partition_key for r in again.run_requests] == [PERIOD]


def current_file(root: Path) -> Path:
    """The data file of the newest delivery (exec-2); the superseded one must not matter."""
    return next(p for p in root.rglob("*.csv.gz") if "exec-2" in p.parts)


def _corrupt_gzip(root: Path) -> str:
    data = current_file(root)
    data.write_bytes(data.read_bytes()[:60])
    return data.name


def _header_only(root: Path) -> str:
    data = current_file(root)
    header = gzip.decompress(data.read_bytes()).decode().splitlines()[0]
    data.write_bytes(gzip.compress((header + "\n").encode()))
    return data.name


def _ragged(root: Path) -> str:
    data = current_file(root)
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:-3])
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return "line 3"


def _missing_cost_column(root: Path) -> str:
    data = current_file(root)
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    idx = lines[0].split(",").index("line_item_unblended_cost")
    rows = [",".join(f for i, f in enumerate(line.split(",")) if i != idx) for line in lines]
    data.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    return "missing required column lineItem/UnblendedCost"


def _manifest_names_missing_file(root: Path) -> str:
    manifest = manifest_path(root)
    doc = json.loads(manifest.read_text())
    doc["dataFiles"].append(f"s3://{REPORT}/data/BILLING_PERIOD=2024-09/MockTestReportV2-00002.csv.gz")
    manifest.write_text(json.dumps(doc))
    return "MockTestReportV2-00002.csv.gz"


def _bad_number(root: Path) -> str:
    data = current_file(root)
    lines = gzip.decompress(data.read_bytes()).decode().splitlines()
    idx = lines[0].split(",").index("line_item_unblended_cost")
    fields = lines[1].split(",")
    fields[idx] = "twelve"
    lines[1] = ",".join(fields)
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return "twelve"


@pytest.mark.parametrize(
    "break_export",
    [_corrupt_gzip, _header_only, _ragged, _missing_cost_column, _manifest_names_missing_file, _bad_number],
)
def test_bad_input_is_named_and_harms_nothing(export, warehouse_path, break_export):
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, PERIOD)
        before = warehouse_totals(warehouse_path, PERIOD)
        # A new delivery arrives broken.
        redeliver(export, "exec-2", cost_factor=5)
        expected_in_message = break_export(export)
        result = materialize(instance, warehouse_path, PERIOD, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
        message = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
        assert expected_in_message in message
        assert "2024-09-01" in message
        assert warehouse_totals(warehouse_path, PERIOD) == before


def test_s3_export_through_boto3(moto_endpoint, monkeypatch, warehouse_path):
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="billing")
    root = FIXTURES / "cur2_csv_gz"
    for path in root.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "billing", f"exports/cur2/{path.relative_to(root).as_posix()}")
    monkeypatch.setenv("CUR_EXPORT_URI", "s3://billing/exports/cur2")
    _, expected = file_total(sorted(root.rglob("*.csv.gz")), "line_item_unblended_cost")
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, PERIOD)
    rows, billed, _ = warehouse_totals(warehouse_path, PERIOD)
    assert (rows, billed) == (4, expected)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        (source,) = conn.execute("select distinct source_file from raw.billing_line_items").fetchone()
    assert source.startswith("s3://billing/exports/cur2/") and source.endswith(".csv.gz")
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint
