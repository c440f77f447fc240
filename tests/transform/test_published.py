"""The published copy of the marts is replaced atomically: open readers keep their snapshot, new
readers see the new one, and nothing but the marts is copied."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from pipelines.lib import published


def _warehouse_with_marts(path, value: int) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists raw")
        conn.execute("create or replace table raw.secret as select 1 as x")
        conn.execute(
            "create or replace table marts.cost_by_model as select $v::integer as effective_cost",
            {"v": value},
        )


def test_read_copy_path_defaults_beside_the_warehouse_and_honours_marts_read_path(
    warehouse_path, monkeypatch, tmp_path
):
    monkeypatch.delenv("MARTS_READ_PATH", raising=False)
    assert published.read_copy_path() == warehouse_path.with_name("warehouse.read.duckdb")
    monkeypatch.setenv("MARTS_READ_PATH", str(tmp_path / "elsewhere" / "marts.duckdb"))
    assert published.read_copy_path() == tmp_path / "elsewhere" / "marts.duckdb"


def test_publish_swaps_the_copy_without_disturbing_open_readers(warehouse_path, tmp_path):
    target = tmp_path / "read" / "copy.duckdb"
    _warehouse_with_marts(warehouse_path, 1)
    with duckdb.connect(str(warehouse_path)) as writer:
        assert published.publish(writer, target) == {"marts.cost_by_model": 1}

    old_reader = duckdb.connect(str(target), read_only=True)
    try:
        _warehouse_with_marts(warehouse_path, 2)
        with duckdb.connect(str(warehouse_path)) as writer:
            published.publish(writer, target)
        # the reader that was open keeps its consistent snapshot ...
        assert old_reader.execute("select effective_cost from marts.cost_by_model").fetchone() == (1,)
        # ... while another process opening the copy now sees the new marts (inside one process
        # DuckDB reuses the database an open connection holds, so the check runs in a new one)
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import duckdb, sys\n"
                "c = duckdb.connect(sys.argv[1], read_only=True)\n"
                "print(c.execute('select effective_cost from marts.cost_by_model').fetchone()[0])\n"
                "print(sorted(r[0] for r in c.execute('select schema_name from information_schema.schemata').fetchall()))\n"
                "print(c.execute('select count(*) from main.snapshot_info').fetchone()[0])\n",
                str(target),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        value, schemas, infos = probe.stdout.splitlines()
        assert value == "2"
        assert "'marts'" in schemas and "'raw'" not in schemas
        assert infos == "1"
    finally:
        old_reader.close()
    # no temporary files are left next to the copy
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.duckdb"]


def test_mlcost_sql_reads_a_copy_named_like_the_schema(warehouse_path, tmp_path, monkeypatch, capsys):
    from pipelines import cli

    target = tmp_path / "marts.duckdb"
    _warehouse_with_marts(warehouse_path, 3)
    with duckdb.connect(str(warehouse_path)) as writer:
        published.publish(writer, target)
    monkeypatch.setenv("MARTS_READ_PATH", str(target))
    assert cli.main(["sql", "--format", "csv", "select effective_cost from marts.cost_by_model"]) == 0
    assert capsys.readouterr().out.splitlines() == ["effective_cost", "3"]
