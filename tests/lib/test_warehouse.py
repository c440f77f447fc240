"""Opening the warehouse: readers get a one-line reason when they cannot, and a writer waits out a
reader that holds the file for a moment (the billing sensor, `mlcost periods`)."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from pipelines.lib.warehouse import (
    WarehouseUnavailable,
    connect,
    ensure_raw_tables,
    open_read_only,
    raw_schema,
)

HOLD_READ_LOCK = (
    "import sys, time, duckdb; conn = duckdb.connect(sys.argv[1], read_only=True); "
    "print('reading', flush=True); time.sleep(float(sys.argv[2]))"
)


def test_open_read_only_says_why_it_cannot(warehouse_path):
    with pytest.raises(WarehouseUnavailable) as missing:
        open_read_only(warehouse_path)
    assert missing.value.missing and str(missing.value) == f"no warehouse at {warehouse_path} yet"

    with connect(warehouse_path) as writer:
        writer.execute("create table t as select 1 as x")
    conn = open_read_only(warehouse_path)
    assert conn.execute("select x from t").fetchall() == [(1,)]
    conn.close()


def test_a_writer_waits_for_a_brief_reader(warehouse_path):
    duckdb.connect(str(warehouse_path)).close()
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_READ_LOCK, str(warehouse_path), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        started = time.monotonic()
        with connect(warehouse_path) as conn:
            conn.execute("create table written as select 1 as x")
        # It got in only once the reader (holding the file for 1.5 s) had gone, instead of failing.
        assert time.monotonic() - started > 1.0
    finally:
        reader.kill()
        reader.wait()


def test_a_bill_table_from_before_new_columns_gets_them_and_keeps_its_rows(warehouse_path):
    """Upgrading keeps the loaded bill: columns added to the DDL since the warehouse was made (net
    amortized cost, analyst columns) appear, NULL on the old rows, and the table matches the DDL."""
    with duckdb.connect(str(warehouse_path)) as conn:
        ensure_raw_tables(conn)
        conn.execute("alter table raw.billing_line_items drop column net_effective_cost")
        conn.execute("alter table raw.billing_line_items drop column invoice_id")
        conn.execute(
            "insert into raw.billing_line_items (billing_period, billed_cost, effective_cost, "
            "is_split_cost_allocation, tag_set_id, source_format, source_file, ingested_at) "
            "values (date '2025-03-01', 1.5, 1.5, false, 0, 'cur2', 'f', now())"
        )
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)  # a second run adds nothing
        columns = [r[0] for r in conn.execute("describe raw.billing_line_items").fetchall()]
        assert sorted(columns) == sorted(raw_schema("billing_line_items").names)
        assert conn.execute(
            "select billed_cost, net_effective_cost, invoice_id from raw.billing_line_items"
        ).fetchall() == [(1.5, None, None)]
