"""`mlcost periods` lists what the warehouse holds; `mlcost periods drop` removes periods through a
Dagster run, and a dropped period comes back only while its source still delivers it."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main
from pipelines.defs.jobs import build_after_ingest
from pipelines.lib import published
from tests.ingest.billing_helpers import write_month
from tests.ingest.test_billing_loads import HOLD_WRITE_LOCK

JAN = [("1.25", "USD"), ("2.50", "EUR"), ("0.125", "USD"), ("7.00", "EUR")]
FEB = [("3.00", "USD"), ("4.75", "USD")]


@pytest.fixture
def exports(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "exports"
    write_month(root, "2025-01", JAN)
    write_month(root, "2025-02", FEB)
    monkeypatch.setenv("CUR_EXPORT_URI", str(root))
    return root


def refresh(capsys, *args: str) -> str:
    assert main(["refresh", *args]) == 0
    return capsys.readouterr().out


def listed(out: str) -> dict[tuple[str, str], list[str]]:
    """`mlcost periods` table rows by (period, currency)."""
    rows = [[c.strip() for c in line.split("|")] for line in out.splitlines() if line.count("|") >= 8]
    header, *body = rows
    assert header[:5] == ["period", "currency", "line_items", "billed_cost", "effective_cost"]
    return {(r[0], r[1]): r for r in body}


def raw_periods(warehouse: Path) -> tuple[list, list]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        items = conn.execute(
            "select billing_period::varchar, count(*), sum(billed_cost) from raw.billing_line_items"
            " group by 1 order by 1"
        ).fetchall()
        loads = conn.execute("select billing_period::varchar from raw.billing_loads order by 1").fetchall()
    return items, [r[0] for r in loads]


def test_periods_lists_what_the_warehouse_holds_and_drop_refuses_without_yes_or_unknown_periods(
    exports, warehouse_path, capsys
):
    refresh(capsys, "--no-build")
    assert main(["periods"]) == 0
    out = capsys.readouterr().out
    rows = listed(out)
    assert sorted(rows) == [("2025-01", "EUR"), ("2025-01", "USD"), ("2025-02", "USD")]
    # Currencies are kept apart; totals are what the files say.
    for (period, currency), costs in (
        (("2025-01", "USD"), JAN),
        (("2025-01", "EUR"), JAN),
        (("2025-02", "USD"), FEB),
    ):
        mine = [Decimal(c) for c, cur in costs if cur == currency]
        row = rows[(period, currency)]
        assert int(row[2]) == len(mine)
        assert Decimal(row[3]) == Decimal(row[4]) == sum(mine)
        assert row[5:7] == ["cur_legacy", "loose"]
        assert row[7]  # loaded at
        assert row[8] == str(exports / f"cur-{period}.csv")
    assert f"2 billing period(s) in {warehouse_path}" in out

    # Dropping without --yes, or a period that is not loaded, changes nothing.
    before = raw_periods(warehouse_path)

    assert main(["periods", "drop", "2025-01"]) == 1
    out = capsys.readouterr().out
    assert ("2025-01", "USD") in listed(out) and ("2025-02", "USD") not in listed(out)
    assert "nothing dropped: run again with --yes" in out
    assert "2025-01 still delivered under CUR_EXPORT_URI" in out

    assert main(["periods", "drop", "2025-01", "2025-03", "--yes"]) == 2
    assert capsys.readouterr().err.strip() == (
        "mlcost periods: not loaded: 2025-03 (loaded: 2025-01, 2025-02); nothing dropped"
    )
    assert main(["periods", "drop", "January", "--yes"]) == 2
    assert "not a billing period: 'January'" in capsys.readouterr().err
    assert raw_periods(warehouse_path) == before


def test_periods_without_a_warehouse_or_while_it_is_written_is_one_line(warehouse_path, capsys):
    assert main(["periods"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"mlcost periods: no warehouse at {warehouse_path} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITE_LOCK, str(warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        for argv in (["periods"], ["periods", "drop", "2025-01", "--yes"]):
            assert main(argv) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1
            assert f"{warehouse_path} is being written by another process" in err
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)


def test_dropped_period_still_delivered_is_loaded_again_by_the_next_refresh(exports, warehouse_path, capsys):
    refresh(capsys, "--no-build")
    before = raw_periods(warehouse_path)

    assert main(["periods", "drop", "2025-01-01", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "drop_billing_periods: ok" in out
    assert "`mlcost refresh` rebuilds them" in out
    assert f"2025-01 still delivered under {exports}: the next `mlcost refresh`" in out
    items, loads = raw_periods(warehouse_path)
    assert items == before[0][1:] and loads == ["2025-02-01"]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("billing_period") == ["2025-02-01"]
        [drop_run] = instance.get_runs(limit=1)
        assert drop_run.job_name == "drop_billing_periods"
        # Under `make dev` the marts follow by themselves: the drop counts as new raw data.
        request = build_after_ingest(dg.build_sensor_context(instance=instance))
        assert request.run_key == f"after-{drop_run.run_id}"

    out = refresh(capsys, "--no-build")
    assert "1 new or changed" in out and "billing 2025-01-01: ok" in out
    assert raw_periods(warehouse_path) == before


@pytest.mark.slow
def test_switching_sources_a_dropped_period_stays_dropped_and_leaves_the_marts(
    exports, warehouse_path, tmp_path, monkeypatch, capsys
):
    refresh(capsys)
    with duckdb.connect(str(published.read_copy_path()), read_only=True) as conn:
        assert conn.execute("select count(distinct billing_period) from marts.cost_by_model").fetchone() == (
            2,
        )

    # The new source delivers February only (say the CUR 2.0 export that replaces the legacy one).
    new_source = tmp_path / "new_source"
    write_month(new_source, "2025-02", FEB)
    monkeypatch.setenv("CUR_EXPORT_URI", str(new_source))
    assert main(["periods", "drop", "2025-01", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"2025-01 not delivered under {new_source}: stays dropped." in out
    assert "still delivered" not in out

    out = refresh(capsys)
    assert "billing: 1 period(s)" in out and "build_warehouse: ok" in out
    items, loads = raw_periods(warehouse_path)
    assert [i[0] for i in items] == loads == ["2025-02-01"]
    for path in (warehouse_path, published.read_copy_path()):
        with duckdb.connect(str(path), read_only=True) as conn:
            marts = conn.execute(
                "select billing_period::varchar, billing_currency, sum(billed_cost)"
                " from marts.cost_by_model group by all order by all"
            ).fetchall()
        assert marts == [("2025-02-01", "USD", Decimal("7.75"))]
