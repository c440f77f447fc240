"""The Spark parity build (`make test-spark`, docs/engines.md#building-on-spark): the sample warehouse
built on DuckDB as tests/transform does, its raw tables written to a lake with `mlcost lake export`'s
code, and the same dbt project built on a local Spark session over that lake.

Collected only with `pytest --spark` (tests/conftest.py): it needs Java and requirements-spark.lock,
which `make test-spark` installs; `make test` never collects it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.defs.transform.project import dbt_project
from pipelines.lib.lake import export_warehouse, open_lake
from pipelines.lib.warehouse import open_read_only
from tests.transform.conftest import BUDGETS, built  # noqa: F401 - the DuckDB build, as tests/transform makes it

# One line per mart compared (rows, largest difference), printed at the end of the run.
PARITY: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if PARITY:
        terminalreporter.section("Spark parity")
        for line in PARITY:
            terminalreporter.write_line(line)


@dataclass
class SparkBuild:
    warehouse: Path  # the DuckDB warehouse the lake was written from, with its marts
    spark: object  # the SparkSession dbt built on
    results: list  # dbt's run results: (unique_id, status, message)
    seconds: float


@pytest.fixture(scope="session")
def spark_build(built, tmp_path_factory):  # noqa: F811 - the imported fixture
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    result, warehouse = built
    assert result.success, "the DuckDB build of the sample warehouse failed"
    root = tmp_path_factory.mktemp("spark")
    lake = open_lake(str(root / "lake"))
    conn = open_read_only(warehouse)
    try:
        export_warehouse(conn, lake, progress=lambda line: None)
    finally:
        conn.close()

    with pytest.MonkeyPatch.context() as mp:
        # Spark's timestamps come back to Python in the process's time zone: UTC, as DuckDB's.
        mp.setenv("TZ", "UTC")
        time.tzset()
        mp.setenv("MLCOST_LAKE_URI", lake.uri)
        mp.setenv("BUDGETS_FILE", str(BUDGETS))
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.delenv("DBT_EXCLUDE_RESOURCE_TYPES", raising=False)  # the dbt unit tests run on Spark too
        mp.delenv("DBT_TARGET", raising=False)
        # dbt-spark's session method asks SparkSession.builder for its session (with Hive support);
        # made here first, it gets this one: in-memory catalog, everything under tmp.
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("mlcost-spark-parity")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.warehouse.dir", str(root / "spark-warehouse"))
            .config("spark.sql.catalogImplementation", "in-memory")
            .config("spark.sql.session.timeZone", "UTC")
            # As profiles.yml's spark output sets it (dbt-spark applies it at every statement, too).
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={root} -Duser.timezone=UTC")
            .config("spark.local.dir", str(root / "spark-local"))
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        # pyspark logs each failing statement's whole JVM stack; dbt reports the failure in one line.
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        started = time.monotonic()
        invocation = dbtRunner().invoke(
            [
                "build",
                "--target",
                "spark",
                "--project-dir",
                str(dbt_project.project_dir),
                "--profiles-dir",
                str(dbt_project.project_dir),
                "--target-path",
                str(root / "dbt_target"),
                "--log-path",
                str(root / "dbt_logs"),
            ]
        )
        seconds = time.monotonic() - started
    time.tzset()
    results = []
    if invocation.result is not None and hasattr(invocation.result, "results"):
        results = [
            (r.node.unique_id, str(r.status), " ".join((r.message or "").split())[:400])
            for r in invocation.result.results
        ]
    elif invocation.exception is not None:
        results = [("dbt", "error", str(invocation.exception))]
    yield SparkBuild(warehouse, spark, results, seconds)
    spark.stop()
