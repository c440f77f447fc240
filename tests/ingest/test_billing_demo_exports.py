"""The generated demo exports (CUR 2.0 Parquet, legacy CUR csv.gz, FOCUS Parquet, each with manifests and
a re-delivered open month) land with the generator's own per-period totals, and the formats agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.demo.exports import write_demo_exports
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store
from tests.ingest.billing_helpers import materialize, warehouse_totals

AS_OF = dt.date(2025, 3, 20)


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("demo") / "exports"
    return write_demo_exports(out, seed=11, as_of=AS_OF, formats=["cur2", "legacy", "focus"])


def load_folder(folder: Path, warehouse: Path) -> dict[str, tuple[int, Decimal, Decimal]]:
    store = open_store(str(folder))
    discovery = discover(store)
    assert not discovery.problems
    with duckdb.connect(str(warehouse)) as conn:
        for period in discovery.periods.values():
            load_period(conn, store, period)
        rows = conn.execute(
            "select strftime(billing_period, '%Y-%m'), count(*), sum(billed_cost), sum(effective_cost) "
            "from raw.billing_line_items group by 1 order by 1"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


@pytest.mark.parametrize("fmt", ["cur2", "legacy", "focus"])
def test_demo_exports_land_with_the_generators_totals(demo_exports, fmt, tmp_path):
    summary = demo_exports[fmt]
    loaded = load_folder(summary.root, tmp_path / f"{fmt}.duckdb")
    assert sorted(loaded) == summary.periods
    for period, (rows, billed, _) in loaded.items():
        assert rows == summary.rows_by_period[period]
        assert round(float(billed), 2) == round(summary.cost_by_period[period], 2)


def test_formats_agree_on_billed_and_amortized_totals(demo_exports, tmp_path):
    totals = {
        fmt: load_folder(demo_exports[fmt].root, tmp_path / f"{fmt}.duckdb")
        for fmt in ("cur2", "legacy", "focus")
    }
    for period in totals["cur2"]:
        billed = {fmt: round(t[period][1], 6) for fmt, t in totals.items()}
        effective = {fmt: round(t[period][2], 6) for fmt, t in totals.items()}
        assert len(set(billed.values())) == 1, (period, billed)
        assert len(set(effective.values())) == 1, (period, effective)
    # Savings plans and reservations make amortized differ from billed in the demo bill.
    assert any(t[1] != t[2] for t in totals["cur2"].values())


def test_redelivered_open_month_counts_only_the_newest_execution(demo_exports, tmp_path, monkeypatch):
    summary = demo_exports["cur2"]
    open_period = f"{summary.periods[-1]}-01"
    store = open_store(str(summary.root))
    period = discover(store).period(open_period)
    data_files = sorted(
        p for p in summary.root.rglob("*.parquet") if f"BILLING_PERIOD={summary.periods[-1]}" in str(p)
    )
    assert len(data_files) > len(period.files)  # a superseded execution lies beside the current one
    monkeypatch.setenv("CUR_EXPORT_URI", str(summary.root))
    warehouse = tmp_path / "w.duckdb"
    with dg.instance_for_test() as instance:
        result = materialize(instance, warehouse, open_period)
        metadata = result.asset_materializations_for_node("raw__billing_line_items")[0].metadata
    rows, billed, _ = warehouse_totals(warehouse, open_period)
    assert rows == summary.rows_by_period[summary.periods[-1]] == metadata["dagster/row_count"].value
    assert round(float(billed), 2) == round(summary.cost_by_period[summary.periods[-1]], 2)
    assert metadata["export_version"].value == period.export_version
    assert all(Path(f).name in {p.name for p in data_files} for f in metadata["source_files"].value)


def test_truncated_parquet_fails_the_period_and_keeps_the_previous_load(demo_exports, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "cur2"
    shutil.copytree(demo_exports["cur2"].root, root)
    monkeypatch.setenv("CUR_EXPORT_URI", str(root))
    key = f"{demo_exports['cur2'].periods[0]}-01"
    warehouse = tmp_path / "w.duckdb"
    with dg.instance_for_test() as instance:
        materialize(instance, warehouse, key)
        before = warehouse_totals(warehouse, key)
        victim = next(p for p in root.rglob("*.parquet") if f"BILLING_PERIOD={key[:7]}" in str(p))
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
        result = materialize(instance, warehouse, key, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert victim.name in failure.step_failure_data.user_failure_data.description
    assert warehouse_totals(warehouse, key) == before


def test_two_exports_of_one_bill_fail_instead_of_counting_twice(demo_exports, tmp_path):
    import shutil

    both = tmp_path / "both"
    shutil.copytree(demo_exports["cur2"].root, both / "cur2")
    shutil.copytree(demo_exports["focus"].root, both / "focus")
    store = open_store(str(both))
    period = discover(store).period(f"{demo_exports['cur2'].periods[0]}-01")
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        with pytest.raises(Exception, match="more than one export") as raised:
            load_period(conn, store, period)
        assert "counted twice" in str(raised.value)
        assert conn.execute("select count(*) from raw.billing_line_items").fetchone()[0] == 0


def test_cur2_and_focus_parquet_are_read_separately(demo_exports, tmp_path):
    # One folder, two accounts' worth of formats would be rejected; here each file keeps its own format.
    from pipelines.lib.billing.load import parquet_columns

    cur2 = next(demo_exports["cur2"].root.rglob("*.parquet"))
    focus = next(demo_exports["focus"].root.rglob("*.parquet"))
    assert parquet_columns(cur2, "cur2") != parquet_columns(focus, "focus")
    assert "line_item_unblended_cost" in parquet_columns(cur2, "cur2")
    assert "BilledCost" in parquet_columns(focus, "focus")


def test_period_without_its_manifest_is_reported_not_dropped(demo_exports, tmp_path):
    import shutil

    root = tmp_path / "cur2"
    shutil.copytree(demo_exports["cur2"].root, root)
    dropped = demo_exports["cur2"].periods[1]
    for manifest_dir in root.rglob(f"metadata/BILLING_PERIOD={dropped}"):
        shutil.rmtree(manifest_dir)
    discovery = discover(open_store(str(root)))
    assert f"{dropped}-01" not in [p.partition_key for p in discovery.periods.values()]
    assert any(f"billing period {dropped}" in p and "no manifest" in p for p in discovery.problems)
