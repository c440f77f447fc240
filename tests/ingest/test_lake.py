"""The lake (MLCOST_LAKE_URI): ingest also writes the raw tables as Parquet, a local folder or S3
(a moto server on 127.0.0.1), one file per billing period replaced atomically; `mlcost lake export`
writes an existing warehouse. What readers see is read back with DuckDB's own Parquet reader, never
with mlcost code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import boto3
import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.cli import main
from pipelines.defs.ingest.budgets import budgets as budgets_asset
from pipelines.lib.lake import lake_tables
from tests.ingest.billing_helpers import materialize, warehouse_totals, write_month
from tests.transform import sample_warehouse

BUCKET = "mlcost-lake"
JAN = [("1.25", "USD"), ("2.50", "USD"), ("0.125", "USD")]
JAN_RESTATED = [("10.00", "USD"), ("0.5", "USD")]
FEB = [("3.00", "USD"), ("4.75", "USD")]


def deliver(tmp_path: Path, monkeypatch, months: dict[str, list[tuple[str, str]]]) -> Path:
    """A CUR export delivering these months (YYYY-MM -> line costs), as CUR_EXPORT_URI."""
    exports = tmp_path / "exports"
    for month, costs in months.items():
        write_month(exports, month, costs)
    monkeypatch.setenv("CUR_EXPORT_URI", str(exports))
    return exports


def read_billing(folder: Path) -> dict[str, tuple[int, Decimal, Decimal]]:
    """Per billing period (YYYY-MM, from the folder) as a Hive-style reader sees it, hidden files
    skipped: rows, billed and effective cost."""
    files = sorted(str(p) for p in folder.glob("billing_line_items/billing_period=*/*.parquet"))
    if not files:
        return {}
    with duckdb.connect() as conn:
        rows = conn.execute(
            "select billing_period, count(*), sum(billed_cost), sum(effective_cost) "
            "from read_parquet($files, hive_partitioning = true, hive_types = {'billing_period': varchar}) "
            "group by 1 order by 1",
            {"files": files},
        ).fetchall()
    return {period: (n, billed, effective) for period, n, billed, effective in rows}


def warehouse_billing(warehouse: Path) -> dict[str, tuple[int, Decimal, Decimal]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select strftime(billing_period, '%Y-%m'), count(*), sum(billed_cost), sum(effective_cost) "
            "from raw.billing_line_items group by 1 order by 1"
        ).fetchall()
    return {period: (n, billed, effective) for period, n, billed, effective in rows}


def download(bucket: str, prefix: str, dest: Path) -> Path:
    """Every object under s3://bucket/prefix into dest, keys kept: the lake as S3 readers list it."""
    client = boto3.client("s3")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            target = dest / obj["Key"][len(prefix) :].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, obj["Key"], str(target))
    return dest


@pytest.fixture
def s3_lake(moto_endpoint, monkeypatch) -> str:
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    uri = f"s3://{BUCKET}/lake"
    monkeypatch.setenv("MLCOST_LAKE_URI", uri)
    return uri


@pytest.fixture
def local_lake(tmp_path, monkeypatch) -> Path:
    lake = tmp_path / "lake"
    monkeypatch.setenv("MLCOST_LAKE_URI", str(lake))
    return lake


def test_export_writes_every_raw_table_and_the_sums_equal_the_warehouse(warehouse_path, local_lake, capsys):
    sample_warehouse.build(warehouse_path)
    assert main(["lake", "export"]) == 0
    assert "file(s) written" in capsys.readouterr().out
    expected = warehouse_billing(warehouse_path)
    assert set(expected) == {"2025-02", "2025-03"}
    assert read_billing(local_lake) == expected
    # Every other raw source table, whole, with the warehouse's rows and columns (DuckDB's own types).
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        for table in lake_tables()[1:]:
            path = str(local_lake / table / "data.parquet")
            stored = conn.execute(f"select * from raw.{table} limit 0").fetch_arrow_table().schema  # noqa: S608
            written = conn.execute("select * from read_parquet($p) limit 0", {"p": path}).fetch_arrow_table()
            assert written.schema.names == stored.names, table
            assert [str(t) for t in written.schema.types] == [str(t) for t in stored.types], table
            (n,) = conn.execute(f"select count(*) from raw.{table}").fetchone()  # noqa: S608
            assert conn.execute("select count(*) from read_parquet($p)", {"p": path}).fetchone() == (n,), (
                table
            )
    # Nothing hidden or temporary is left behind.
    assert not [p for p in local_lake.rglob(".*")]


def test_billing_ingest_writes_the_period_and_a_reload_replaces_it_locally(
    tmp_path, warehouse_path, local_lake, monkeypatch
):
    exports = deliver(tmp_path, monkeypatch, {"2025-01": JAN, "2025-02": FEB})
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, "2025-01-01")
        materialize(instance, warehouse_path, "2025-02-01")
        assert read_billing(local_lake) == {
            "2025-01": (3, Decimal("3.875"), Decimal("3.875")),
            "2025-02": (2, Decimal("7.75"), Decimal("7.75")),
        }
        # AWS restates January: the new delivery replaces the period in the warehouse and the lake.
        time.sleep(0.01)
        write_month(exports, "2025-01", JAN_RESTATED)
        result = materialize(instance, warehouse_path, "2025-01-01")
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        assert metadata["lake_path"].value.endswith("billing_line_items/billing_period=2025-01/data.parquet")
    assert read_billing(local_lake)["2025-01"] == (2, Decimal("10.5"), Decimal("10.5"))
    assert read_billing(local_lake) == warehouse_billing(warehouse_path)
    assert warehouse_totals(warehouse_path, "2025-01-01")[:2] == (2, Decimal("10.5"))


def test_billing_ingest_to_s3_replaces_a_period_and_records_its_delivery(
    tmp_path, warehouse_path, s3_lake, monkeypatch
):
    exports = deliver(tmp_path, monkeypatch, {"2025-01": JAN})
    key = "lake/billing_line_items/billing_period=2025-01/data.parquet"
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, "2025-01-01")
        first = boto3.client("s3").head_object(Bucket=BUCKET, Key=key)
        # Unchanged delivery, forced reload: the lake holds that delivery already and is not rewritten.
        materialize(instance, warehouse_path, "2025-01-01", force=True)
        assert boto3.client("s3").head_object(Bucket=BUCKET, Key=key)["ETag"] == first["ETag"]
        time.sleep(0.01)
        write_month(exports, "2025-01", JAN_RESTATED)
        materialize(instance, warehouse_path, "2025-01-01")
    second = boto3.client("s3").head_object(Bucket=BUCKET, Key=key)
    assert second["ETag"] != first["ETag"]
    assert second["Metadata"]["mlcost-fingerprint"] != first["Metadata"]["mlcost-fingerprint"]
    lake = download(BUCKET, "lake", tmp_path / "downloaded")
    assert read_billing(lake) == {"2025-01": (2, Decimal("10.5"), Decimal("10.5"))}


def test_export_to_s3_equals_the_warehouse_and_removes_dropped_periods(tmp_path, warehouse_path, s3_lake):
    sample_warehouse.build(warehouse_path)
    assert main(["lake", "export"]) == 0
    lake = download(BUCKET, "lake", tmp_path / "first")
    assert read_billing(lake) == warehouse_billing(warehouse_path)
    assert sorted(p.name for p in lake.iterdir()) == sorted(lake_tables())
    with duckdb.connect(str(warehouse_path)) as conn:
        conn.execute("delete from raw.billing_line_items where billing_period = date '2025-02-01'")
    assert main(["lake", "export"]) == 0
    lake = download(BUCKET, "lake", tmp_path / "second")
    assert list(read_billing(lake)) == ["2025-03"]


def test_budgets_asset_writes_its_table_to_the_lake(warehouse_path, local_lake, monkeypatch):
    monkeypatch.setenv("BUDGETS_FILE", str(Path(__file__).parents[1] / "fixtures" / "budgets" / "sample.yml"))
    dg.materialize([budgets_asset], resources={"warehouse": DuckDBResource(database=str(warehouse_path))})
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        (stored,) = conn.execute("select count(*) from raw.budgets").fetchone()
        (written,) = conn.execute(
            "select count(*) from read_parquet($p)", {"p": str(local_lake / "budgets" / "data.parquet")}
        ).fetchone()
    assert stored > 0 and written == stored


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("ftp://host/lake", "only a local folder, file:// or s3://bucket/prefix is supported"),
        ("s3://", "names no bucket"),
        ("s3://no-such-bucket/lake", "S3 refused or is unreachable"),
    ],
)
def test_a_bad_lake_uri_fails_in_one_line(warehouse_path, moto_endpoint, monkeypatch, capsys, uri, said):
    sample_warehouse.build(warehouse_path)
    monkeypatch.setenv("MLCOST_LAKE_URI", uri)
    assert main(["lake", "export"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and said in err and f"MLCOST_LAKE_URI={uri}" in err


def test_a_lake_uri_that_is_a_file_fails_the_ingest_in_one_line(tmp_path, warehouse_path, monkeypatch):
    (tmp_path / "lake").write_text("not a folder")
    monkeypatch.setenv("MLCOST_LAKE_URI", str(tmp_path / "lake"))
    monkeypatch.setenv("BUDGETS_FILE", str(Path(__file__).parents[1] / "fixtures" / "budgets" / "sample.yml"))
    result = dg.materialize(
        [budgets_asset],
        resources={"warehouse": DuckDBResource(database=str(warehouse_path))},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "is a file, not a folder" in failure


# A writer killed while it writes a billing period: a big period takes long enough to be caught midway.
KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import duckdb
    from pipelines.lib.lake import open_lake
    conn = duckdb.connect(sys.argv[1], read_only=True)
    open_lake(sys.argv[2]).write_billing_period(conn, "2025-01-01", "big-delivery")
    """
)


def _big_period(warehouse: Path, rows: int) -> None:
    """Replace January in the warehouse by `rows` distinct line items (random text: a large file)."""
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("delete from raw.billing_line_items where billing_period = date '2025-01-01'")
        conn.execute(
            "insert into raw.billing_line_items by name select date '2025-01-01' as billing_period, "
            "md5(i::varchar) || md5((i * 7)::varchar) as line_item_id, md5((i * 3)::varchar) as resource_id, "
            "1.0::decimal(38, 10) as billed_cost, 1.0::decimal(38, 10) as effective_cost, "
            "false as is_split_cost_allocation, 'test' as source_format, 'big.csv' as source_file, "
            "now()::timestamp as ingested_at, (select min(tag_set_id) from raw.billing_tag_sets) as tag_set_id "
            "from range($n) t(i)",
            {"n": rows},
        )


def _kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "the writer finished before it could be killed; make the period bigger"
        assert time.monotonic() < deadline, "the writer never got midway"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_killed_local_write_leaves_the_previous_period_intact(
    tmp_path, warehouse_path, local_lake, monkeypatch
):
    deliver(tmp_path, monkeypatch, {"2025-01": JAN})
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, "2025-01-01")
    before = read_billing(local_lake)
    period = local_lake / "billing_line_items" / "billing_period=2025-01"
    content = (period / "data.parquet").read_bytes()
    _big_period(warehouse_path, 3_000_000)
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(warehouse_path), str(local_lake)])
    _kill_when(writer, lambda: any(p.stat().st_size > 0 for p in period.glob(".data.parquet.*.tmp")))
    # Readers skip the hidden half-written file and see the period as it was.
    assert (period / "data.parquet").read_bytes() == content
    assert read_billing(local_lake) == before
    # The next write clears what the killed one left and replaces the period whole.
    subprocess.run([sys.executable, "-c", KILLED_WRITER, str(warehouse_path), str(local_lake)], check=True)
    assert sorted(p.name for p in period.iterdir()) == ["data.parquet"]
    assert read_billing(local_lake)["2025-01"][0] == 3_000_000


def test_a_killed_s3_upload_leaves_the_previous_period_intact(tmp_path, warehouse_path, s3_lake, monkeypatch):
    deliver(tmp_path, monkeypatch, {"2025-01": JAN})
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, "2025-01-01")
    client = boto3.client("s3")
    key = "lake/billing_line_items/billing_period=2025-01/data.parquet"
    etag = client.head_object(Bucket=BUCKET, Key=key)["ETag"]
    # Big enough for a multipart upload (above boto3's 8 MB threshold): killed after its first part.
    _big_period(warehouse_path, 1_500_000)
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(warehouse_path), s3_lake])
    _kill_when(writer, lambda: client.list_multipart_uploads(Bucket=BUCKET).get("Uploads"), timeout=120)
    assert client.head_object(Bucket=BUCKET, Key=key)["ETag"] == etag
    lake = download(BUCKET, "lake", tmp_path / "after-kill")
    assert read_billing(lake) == {"2025-01": (3, Decimal("3.875"), Decimal("3.875"))}


def test_dropping_a_period_removes_its_file_from_the_lake(tmp_path, warehouse_path, local_lake, monkeypatch):
    exports = deliver(tmp_path, monkeypatch, {"2025-01": JAN, "2025-02": FEB})
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse_path, "2025-01-01")
        materialize(instance, warehouse_path, "2025-02-01")
    assert list(read_billing(local_lake)) == ["2025-01", "2025-02"]
    # Its source no longer delivers January: `mlcost periods drop` removes it from both.
    (exports / "cur-2025-01.csv").unlink()
    assert main(["periods", "drop", "2025-01", "--yes"]) == 0
    assert list(read_billing(local_lake)) == ["2025-02"]
    assert not (local_lake / "billing_line_items" / "billing_period=2025-01").exists()
