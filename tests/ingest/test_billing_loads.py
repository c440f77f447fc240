"""The warehouse is the source of truth for what is loaded: `mlcost refresh` and billing_export_sensor
compare each delivery with the warehouse's own load records, so a new, deleted or restored warehouse
file gets every period it lacks while DAGSTER_HOME (and its run history) stays the same."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main
from pipelines.definitions import defs
from pipelines.defs.ingest.billing import billing_export_sensor
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.loads import FINGERPRINT_TAG, periods_to_ingest
from pipelines.lib.billing.store import open_store
from tests.ingest.billing_helpers import evaluate_sensor, write_month

JAN = [("1.25", "USD"), ("2.50", "USD"), ("0.125", "USD")]
FEB = [("3.00", "USD"), ("4.75", "USD")]


@pytest.fixture
def exports(tmp_path, monkeypatch) -> Path:
    """Two loose legacy CUR months under CUR_EXPORT_URI."""
    root = tmp_path / "exports"
    write_month(root, "2025-01", JAN)
    write_month(root, "2025-02", FEB)
    monkeypatch.setenv("CUR_EXPORT_URI", str(root))
    return root


def totals(warehouse: Path) -> list[tuple]:
    """Per period: line items and billed total, plus the fingerprint its load record holds."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(
            "select i.billing_period, count(*), sum(i.billed_cost), any_value(l.fingerprint)"
            " from raw.billing_line_items i left join raw.billing_loads l using (billing_period)"
            " group by 1 order by 1"
        ).fetchall()


def expected_totals(root: Path) -> dict[str, tuple[int, Decimal]]:
    """Straight from the files (no mlcost code): rows and billed total per month."""
    conn = duckdb.connect()
    rows = conn.execute(
        "select strftime(\"bill/BillingPeriodStartDate\"::timestamp, '%Y-%m-01'), count(*),"
        ' sum("lineItem/UnblendedCost"::decimal(38, 10))'
        " from read_csv($files, all_varchar = true, union_by_name = true) group by 1",
        {"files": [str(p) for p in sorted(root.glob("*.csv"))]},
    ).fetchall()
    return {key: (n, total) for key, n, total in rows}


def refresh(capsys) -> str:
    assert main(["refresh", "--no-build"]) == 0
    return capsys.readouterr().out


def test_periods_to_ingest_compares_deliveries_with_the_warehouse_records(exports):
    periods = list(discover(open_store(str(exports))).periods.values())
    jan, feb = periods
    assert periods_to_ingest(periods, {}) == [jan, feb]
    assert periods_to_ingest(periods, {jan.partition_key: jan.fingerprint}) == [feb]
    assert periods_to_ingest(
        periods, {jan.partition_key: "an older delivery", feb.partition_key: feb.fingerprint}
    ) == [jan]
    assert periods_to_ingest(periods, {p.partition_key: p.fingerprint for p in periods}) == []


def test_new_warehouse_file_with_the_same_dagster_home_gets_everything(
    exports, warehouse_path, monkeypatch, capsys
):
    assert "2 new or changed" in refresh(capsys)
    first = totals(warehouse_path)
    expected = expected_totals(exports)
    assert [(p.isoformat(), n, total) for p, n, total, _ in first] == [
        (key, *expected[key]) for key in sorted(expected)
    ]

    # Same DAGSTER_HOME (its run history says both periods were loaded), a new warehouse file.
    other = warehouse_path.with_name("other.duckdb")
    monkeypatch.setenv("WAREHOUSE_PATH", str(other))
    assert "2 new or changed" in refresh(capsys)
    assert totals(other) == first

    # Unchanged deliveries are still skipped once the warehouse holds them.
    assert "0 new or changed" in refresh(capsys)


def test_deleted_warehouse_is_reloaded_by_the_next_refresh(exports, warehouse_path, capsys):
    refresh(capsys)
    first = totals(warehouse_path)
    for leftover in warehouse_path.parent.glob(f"{warehouse_path.name}*"):
        leftover.unlink()
    assert "2 new or changed" in refresh(capsys)
    assert totals(warehouse_path) == first


def test_restored_older_copy_reloads_periods_redelivered_since(exports, warehouse_path, tmp_path, capsys):
    refresh(capsys)
    backup = tmp_path / "backup.duckdb"
    shutil.copy(warehouse_path, backup)

    # January is re-delivered with other costs and loaded; then the older backup is restored.
    write_month(exports, "2025-01", [("10.00", "USD"), ("20.00", "USD")])
    assert "1 new or changed" in refresh(capsys)
    current = totals(warehouse_path)
    shutil.copy(backup, warehouse_path)
    assert totals(warehouse_path) != current

    out = refresh(capsys)
    assert "1 new or changed" in out and "billing 2025-01-01: ok" in out
    assert totals(warehouse_path) == current
    expected = expected_totals(exports)
    assert [(p.isoformat(), n, total) for p, n, total, _ in current] == [
        (key, *expected[key]) for key in sorted(expected)
    ]


def _requested(result) -> list[str]:
    assert isinstance(result, dg.SensorResult), result
    return sorted(r.partition_key for r in result.run_requests)


def test_sensor_requests_the_periods_missing_from_the_warehouse(exports, warehouse_path, monkeypatch, capsys):
    refresh(capsys)
    with dg.DagsterInstance.get() as instance:
        skipped = evaluate_sensor(billing_export_sensor, instance)
        assert isinstance(skipped, dg.SkipReason)
        assert "none new or changed" in skipped.skip_message

        # A new warehouse file: the instance already ran loads of both deliveries, yet both are missing.
        monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_path.with_name("new.duckdb")))
        result = evaluate_sensor(billing_export_sensor, instance)
        assert _requested(result) == ["2025-01-01", "2025-02-01"]
        fingerprints = {
            p.partition_key: p.fingerprint for p in discover(open_store(str(exports))).periods.values()
        }
        for request in result.run_requests:
            assert request.run_key is None
            assert request.tags[FINGERPRINT_TAG] == fingerprints[request.partition_key]

        # A load of January already started (say by an earlier evaluation): not requested twice.
        running = instance.create_run_for_job(
            job_def=defs().resolve_job_def("ingest_billing"),
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2025-01-01", FINGERPRINT_TAG: fingerprints["2025-01-01"]},
        )
        assert _requested(evaluate_sensor(billing_export_sensor, instance)) == ["2025-02-01"]
        instance.delete_run(running.run_id)

        # The restored original lacks only what was re-delivered since.
        monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse_path))
        write_month(exports, "2025-02", [("9.99", "USD")])
        assert _requested(evaluate_sensor(billing_export_sensor, instance)) == ["2025-02-01"]


def test_sensor_does_not_retry_a_failed_delivery_until_it_changes(exports, capsys):
    bad = exports / "cur-2025-02.csv"
    bad.write_text(bad.read_text().replace("4.75", "four"))
    assert main(["refresh", "--no-build"]) == 1
    assert "four" in capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        skipped = evaluate_sensor(billing_export_sensor, instance)
        assert isinstance(skipped, dg.SkipReason)
        assert "2025-02-01: the load of this delivery failed" in skipped.skip_message
        write_month(exports, "2025-02", FEB)
        assert _requested(evaluate_sensor(billing_export_sensor, instance)) == ["2025-02-01"]


HOLD_WRITE_LOCK = textwrap.dedent(
    """
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1])
    conn.execute("create table if not exists held (x int)")
    print("locked", flush=True)
    sys.stdin.read()
    """
)


def test_sensor_skips_while_another_process_holds_the_write_lock(exports, warehouse_path):
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        with dg.instance_for_test() as instance:
            result = evaluate_sensor(billing_export_sensor, instance)
            assert isinstance(result, dg.SkipReason)
            assert str(warehouse_path) in result.skip_message
            assert "being written by another process" in result.skip_message
            writer.stdin.close()
            assert writer.wait(timeout=30) == 0
            # The lock is gone: the next evaluation compares and asks for both months.
            assert _requested(evaluate_sensor(billing_export_sensor, instance)) == [
                "2025-01-01",
                "2025-02-01",
            ]
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
