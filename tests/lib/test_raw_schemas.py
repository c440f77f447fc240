"""The DDL in sql/ingest/create_*.sql is the one definition of each raw table: the Arrow schemas the
ingest code lands rows with are derived from it, equal the tables in a real warehouse, and insert."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from pipelines.lib import sql
from pipelines.lib.sagemaker import parse
from pipelines.lib.sagemaker.predictions import rows_table
from pipelines.lib.warehouse import ensure_raw_tables, raw_schema

TABLES = sorted(
    p.stem.removeprefix("create_")
    for p in (sql.SQL_DIR / "ingest").glob("create_*.sql")
    if p.stem != "create_schema_raw"
)
FETCHED = datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    conn = duckdb.connect(str(tmp_path_factory.mktemp("raw") / "warehouse.duckdb"))
    ensure_raw_tables(conn)
    yield conn
    conn.close()


@pytest.mark.parametrize("table", TABLES)
def test_derived_schema_is_the_warehouse_table(warehouse, table):
    stored = warehouse.execute(f"select * from raw.{sql.quote_ident(table)} limit 0").fetch_arrow_table()  # noqa: S608
    assert raw_schema(table).equals(stored.schema)
    columns = warehouse.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = $t"
        " order by ordinal_position",
        {"t": table},
    ).fetchall()
    assert raw_schema(table).names == [c for (c,) in columns]


def test_sagemaker_rows_insert_with_the_derived_schema(warehouse):
    row = {
        "training_job_name": "j",
        "training_job_arn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
        "instance_count": 2,
        "is_managed_spot": True,
        "final_metrics": {"auc": 0.9},
        "tags": {"team": "ml"},
        "tags_original": {"Team": "ml"},
        "account_id": "123456789012",
        "region": "us-east-1",
        "fetched_at": FETCHED,
    }
    warehouse.register("incoming", parse.to_arrow("sagemaker_training_jobs", [row]))
    warehouse.execute("insert into raw.sagemaker_training_jobs by name select * from incoming")
    warehouse.unregister("incoming")
    assert warehouse.execute(
        "select instance_count, is_managed_spot, final_metrics['auc'], tags['team'], fetched_at"
        " from raw.sagemaker_training_jobs"
    ).fetchall() == [(2, True, 0.9, "ml", FETCHED)]


def test_prediction_rows_insert_with_the_derived_schema(warehouse):
    row = {"hour_start": FETCHED, "endpoint_name": "e", "predictions": 7, "source": "cloudwatch"}
    incoming = rows_table("prediction_counts", [row | {"fetched_at": FETCHED}])
    warehouse.register("incoming", incoming)
    warehouse.execute(sql.load("ingest/insert_prediction_counts"))
    warehouse.unregister("incoming")
    assert warehouse.execute("select endpoint_name, predictions from raw.prediction_counts").fetchall() == [
        ("e", 7)
    ]


def test_a_warehouse_made_before_warm_pools_gets_the_columns(tmp_path):
    conn = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        conn.execute("create schema raw")
        ddl = sql.load("ingest/create_sagemaker_training_jobs")
        old = ddl.split("fetched_at timestamp not null,")[0] + "fetched_at timestamp not null)"
        conn.execute(old)
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)  # idempotent
        stored = conn.execute("select * from raw.sagemaker_training_jobs limit 0").fetch_arrow_table()
        assert stored.schema.names == raw_schema("sagemaker_training_jobs").names
    finally:
        conn.close()
