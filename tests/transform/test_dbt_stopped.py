"""A dbt build stopped from outside (crash recovery's SIGTERM, the OOM killer's SIGKILL) fails its step
and its run, naming the signal and the models it did not finish: a half-built warehouse is never
reported as built, so nothing downstream (publish, alerts) takes it for current."""

from __future__ import annotations

import shutil
import signal
import threading

import dagster as dg
import psutil
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import dbt_resource
from pipelines.defs.transform.dbt_cli import MlcostDbtCliResource
from pipelines.defs.transform.dbt_models import mlcost_dbt_models
from pipelines.defs.transform.project import dbt_project
from pipelines.defs.transform.publish import marts_snapshot
from pipelines.lib import dbt_forkserver
from pipelines.lib.dbt_forkserver import client_executable
from tests.transform import sample_warehouse


def _stop_dbt_after_first_model(instance: dg.DagsterInstance, signum: int, done: threading.Event) -> list:
    """In a thread: once the run has materialized its first model, send `signum` to the dbt subprocess
    (the process alone, as crash recovery's processes.stop does). Returns the pids it signalled."""
    stopped: list[int] = []

    def watch() -> None:
        while not done.is_set():
            runs = instance.get_runs()
            if (
                runs
                and instance.get_records_for_run(
                    runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                ).records
            ):
                for child in psutil.Process().children(recursive=True):
                    try:
                        if "build" in child.cmdline() and any(p.endswith("dbt") for p in child.cmdline()):
                            child.send_signal(signum)
                            stopped.append(child.pid)
                    except psutil.Error:
                        continue
                if stopped:
                    return
            done.wait(0.05)

    threading.Thread(target=watch, daemon=True).start()
    return stopped


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_dbt_build_stopped_by_a_signal_fails_the_step_and_the_run(warehouse_path, signum, monkeypatch):
    # dbt as `dagster dev` and the sensors run it, without a fork server: the signal reaches dbt itself.
    monkeypatch.delenv(dbt_forkserver.SERVER_ENV, raising=False)
    sample_warehouse.build(warehouse_path)
    done = threading.Event()
    with dg.instance_for_test() as instance:
        stopped = _stop_dbt_after_first_model(instance, signum, done)
        try:
            result = dg.materialize(
                [mlcost_dbt_models, marts_snapshot],
                instance=instance,
                resources={
                    "warehouse": DuckDBResource(database=str(warehouse_path)),
                    "dbt": dbt_resource(),
                },
                raise_on_error=False,
            )
        finally:
            done.set()

        assert stopped, "dbt finished before it could be stopped"
        assert not result.success
        assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE
        [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        assert failure.step_key == mlcost_dbt_models.op.name
        message = failure.step_failure_data.user_failure_data.description
        [line] = message.splitlines()
        assert f"dbt build was stopped by {signal.Signals(signum).name}" in line
        # What dbt built before it was stopped still materialized; the published copy was not made.
        materialized = {
            e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
        }
        assert materialized and marts_snapshot.key not in materialized
        unfinished = set(mlcost_dbt_models.keys) - materialized
        assert f": {len(unfinished)} selected model(s) did not finish: " in line, line
        assert min(".".join(key.path) for key in unfinished) in line


def test_a_project_changed_after_the_definitions_loaded_fails_saying_so(warehouse_path, tmp_path):
    """dbt reports a test the loaded definitions lack (a user added it while `dagster dev` ran): the
    step stops dbt and fails with one line naming the test and the cause, not a bare SIGTERM."""
    project = tmp_path / "dbt_project"
    shutil.copytree(
        dbt_project.project_dir, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    models = project / "models" / "staging" / "budgets" / "_budgets__models.yml"
    text = models.read_text()
    added = text.replace(
        "    data_tests:\n      - mlcost_not_null:",
        "    data_tests:\n      - mlcost_unique_combination:\n          arguments:\n"
        "            columns: [budget_name, budget_amount]\n      - mlcost_not_null:",
        1,
    )
    assert added != text
    models.write_text(added)
    dbt = MlcostDbtCliResource(project_dir=str(project), dbt_executable=client_executable())
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [mlcost_dbt_models],
            selection=[dg.AssetKey(["staging", "stg_budgets__budgets"])],
            instance=instance,
            resources={"warehouse": DuckDBResource(database=str(warehouse_path)), "dbt": dbt},
            raise_on_error=False,
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    [line] = failure.step_failure_data.user_failure_data.description.splitlines()
    assert line.startswith(
        "dbt build was stopped by mlcost: dbt reported test.mlcost.mlcost_unique_combination_stg_"
    )
    assert "which the loaded definitions do not have: the dbt project changed after they were loaded" in line
    assert "SIGTERM" not in line
