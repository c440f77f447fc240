"""The dbt project on Spark equals it on DuckDB: the whole build (seeds, models, reconciliation and
data tests, unit tests) passes on a local Spark session over the lake, and every mart holds the same
rows as DuckDB's, matched on its non-numeric columns, numbers equal to 1e-6."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from pipelines.defs.transform.project import dbt_project
from pipelines.lib import sql
from tests.spark.conftest import PARITY

pytestmark = pytest.mark.slow

TOLERANCE = Decimal("1e-6")
MARTS = sorted(p.stem for p in (dbt_project.project_dir / "models" / "marts").glob("**/*.sql"))


def test_the_sample_has_marts_to_compare():
    assert len(MARTS) >= 15, MARTS


def test_dbt_build_on_spark_passes(spark_build):
    """Seeds, models, data and reconciliation tests and unit tests: each one passes on Spark."""
    assert spark_build.results, "dbt build on Spark did not run"
    failed = [
        (node, status, message)
        for node, status, message in spark_build.results
        if status in ("error", "fail")
    ]
    skipped = [node for node, status, _ in spark_build.results if status == "skipped"]
    PARITY.append(
        f"dbt build on Spark: {len(spark_build.results)} nodes in {spark_build.seconds:.0f} s, "
        f"{len(failed)} failed, {len(skipped)} skipped"
    )
    assert not failed and not skipped, (
        f"{len(failed)} failed, {len(skipped)} skipped because of them:\n"
        + "\n".join(f"{node}: {status}: {message}" for node, status, message in failed)
    )


def _plain(value):
    """A value as both engines' Python rows can be compared: Spark Rows and maps as dicts, lists in
    order, numbers as Decimal (floats are rounded in the comparison, never in the key)."""
    if hasattr(value, "asDict"):
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return value


def _number(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(repr(value))
    return Decimal(value)


def _is_number(values: list) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present
    )


def _duckdb_rows(warehouse, mart: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        cursor = conn.execute(f"select * from marts.{sql.quote_ident(mart)}")  # noqa: S608
        return [d[0] for d in cursor.description], cursor.fetchall()


@pytest.mark.parametrize("mart", MARTS)
def test_mart_equals_duckdb(spark_build, mart):
    names, duck_rows = _duckdb_rows(spark_build.warehouse, mart)
    try:
        frame = spark_build.spark.table(f"marts.`{mart}`")
    except Exception as exc:  # noqa: BLE001 - the mart was not built on Spark: say which, in one line
        pytest.fail(f"{mart}: not built on Spark ({str(exc).splitlines()[0]})")
    assert frame.columns == names, f"{mart}: columns differ\n  duckdb {names}\n  spark  {frame.columns}"
    spark_rows = [tuple(row) for row in frame.collect()]
    assert len(spark_rows) == len(duck_rows), (
        f"{mart}: {len(duck_rows)} rows on DuckDB, {len(spark_rows)} on Spark"
    )

    # Numeric columns (by DuckDB's values, or Spark's when DuckDB's are all NULL) are compared to
    # 1e-6; every other column is the key rows are matched on.
    numeric = [
        i
        for i in range(len(names))
        if _is_number([r[i] for r in duck_rows]) or _is_number([r[i] for r in spark_rows])
    ]
    keys = [i for i in range(len(names)) if i not in numeric]

    def grouped(rows):
        groups = defaultdict(list)
        for row in rows:
            key = tuple(_plain(row[i]) for i in keys)
            groups[key].append(tuple(_number(row[i]) for i in numeric))
        return groups

    duck, spark = grouped(duck_rows), grouped(spark_rows)
    only_duck = [k for k in duck if k not in spark]
    only_spark = [k for k in spark if k not in duck]
    assert not only_duck and not only_spark, (
        f"{mart}: rows whose {[names[i] for i in keys]} differ\n"
        + "".join(f"  only on DuckDB: {k}\n" for k in only_duck[:5])
        + "".join(f"  only on Spark:  {k}\n" for k in only_spark[:5])
    )
    worst = Decimal(0)
    for key, duck_values in duck.items():
        spark_values = spark[key]
        assert len(spark_values) == len(duck_values), (
            f"{mart} {key}: {len(duck_values)} rows on DuckDB, {len(spark_values)} on Spark"
        )
        for d_row, s_row in zip(
            sorted(duck_values, key=_sort_key), sorted(spark_values, key=_sort_key), strict=True
        ):
            for i, d, s in zip(numeric, d_row, s_row, strict=True):
                assert (d is None) == (s is None), f"{mart} {key} {names[i]}: DuckDB {d}, Spark {s}"
                if d is not None:
                    worst = max(worst, abs(d - s))
                    assert abs(d - s) <= TOLERANCE, f"{mart} {key} {names[i]}: DuckDB {d}, Spark {s}"
    PARITY.append(f"{mart}: {len(duck_rows)} rows equal, largest difference {worst:.3g}")


def _sort_key(values: tuple) -> tuple:
    return tuple((v is None, v if v is not None else 0) for v in values)


def test_dates_and_timestamps_come_back_as_python_values(spark_build):
    """The comparison sees the same Python types on both sides (the session runs in UTC)."""
    (row,) = spark_build.spark.sql(
        "select date'2025-02-01' as d, timestamp_ntz'2025-02-01 03:04:05' as t"
    ).collect()
    assert row.d == date(2025, 2, 1) and row.t == datetime(2025, 2, 1, 3, 4, 5)
