"""`mlcost refresh` end to end through the Dagster instance in DAGSTER_HOME, with only CUR_EXPORT_URI set."""

from __future__ import annotations

import os
import shutil

import dagster as dg
import duckdb

from pipelines.cli import main
from tests.ingest.billing_helpers import FIXTURES, file_total


def test_refresh_with_only_the_bill_configured_builds_the_marts_and_skips_unchanged(
    tmp_path, monkeypatch, capsys
):
    exports = tmp_path / "exports"
    shutil.copytree(FIXTURES / "cur2_csv_gz", exports)
    monkeypatch.setenv("CUR_EXPORT_URI", str(exports))
    _, expected = file_total(sorted(exports.rglob("*.csv.gz")), "line_item_unblended_cost")

    assert main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "billing: 1 period(s)" in out and "1 new or changed" in out
    # Quiet: a line per step of the refresh, not dbt's progress (that is in the run's log in the UI).
    assert "START sql" not in out and "Completed successfully" not in out
    assert len(out.splitlines()) <= 10, out
    assert "sagemaker: SAGEMAKER_REGIONS is not set, skipped" in out
    assert "build_warehouse: ok" in out

    with duckdb.connect(os.environ["WAREHOUSE_PATH"], read_only=True) as conn:
        raw_total = conn.execute("select sum(billed_cost) from raw.billing_line_items").fetchone()[0]
        mart_total = conn.execute("select sum(billed_cost) from marts.cost_by_model").fetchone()[0]
    assert raw_total == expected == mart_total

    # The runs are in the instance the UI reads, and the billing period is a partition there.
    with dg.DagsterInstance.get() as instance:
        jobs = {r.job_name for r in instance.get_runs()}
        assert {"ingest_billing", "build_warehouse"} <= jobs
        assert instance.get_dynamic_partitions("billing_period") == ["2024-09-01"]

    # dbt's progress went to the build's compute log, which the UI shows.
    with dg.DagsterInstance.get() as instance:
        [build] = instance.get_runs(dg.RunsFilter(job_name="build_warehouse"))
        logs = instance.compute_log_manager
        captured = [
            logs.get_log_data(
                logs.build_log_key_for_run(build.run_id, e.dagster_event.logs_captured_data.file_key)
            ).stdout
            or b""
            for e in instance.all_logs(build.run_id, of_type=dg.DagsterEventType.LOGS_CAPTURED)
        ]
        assert b"Completed successfully" in b"".join(captured)

    # Nothing new: no billing run, nothing reloaded.
    assert main(["refresh", "--no-build"]) == 0
    assert "0 new or changed" in capsys.readouterr().out
