"""A killed or stopped `mlcost refresh`, with real subprocesses: the next refresh proceeds at once, the
killed run shows FAILURE, its pool slot is free, and the warehouse equals a clean load."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest

from pipelines.cli import main
from pipelines.defs import recovery
from pipelines.lib import processes, settings

MLCOST = str(Path(sys.executable).parent / "mlcost")
# Well under the 8+ minutes a killed run used to block the pool; start-up (loading the definitions)
# takes most of it on a busy machine.
PROCEEDS_WITHIN_SECONDS = 60


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """Two billing periods, the closed one with 50,000 line items: loading it takes long enough to
    be killed in the middle."""
    folder = tmp_path_factory.mktemp("exports")
    subprocess.run(
        [MLCOST, "demo-data", str(folder), "--months", "2", "--rows", "50000", "--as-of", "2025-03-10"],
        check=True,
        capture_output=True,
    )
    return folder / "cur2"


@pytest.fixture(scope="module")
def clean(exports, tmp_path_factory) -> Path:
    """A warehouse and Dagster home after an uninterrupted load of the same files."""
    base = tmp_path_factory.mktemp("clean")
    env = {**os.environ, "WAREHOUSE_PATH": str(base / "w.duckdb"), "DAGSTER_HOME": str(base / "home")}
    subprocess.run([MLCOST, "refresh", "--no-build"], env={**env, "CUR_EXPORT_URI": str(exports)}, check=True)
    return base


@pytest.fixture(scope="module")
def clean_load(clean) -> dict:
    """Rows and billed total per period after an uninterrupted load of the same files."""
    return _raw_totals(clean / "w.duckdb")


@pytest.fixture
def loaded(clean, warehouse_path) -> None:
    """This test's warehouse and Dagster home start as the clean load left them."""
    shutil.copyfile(clean / "w.duckdb", warehouse_path)
    shutil.copytree(clean / "home", os.environ["DAGSTER_HOME"], dirs_exist_ok=True)


def _raw_totals(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select billing_period, count(*), sum(billed_cost) from raw.billing_line_items group by 1 order by 1"
        ).fetchall()
    return {str(period): (count, total) for period, count, total in rows}


@pytest.fixture
def instance() -> dg.DagsterInstance:
    """This test's DAGSTER_HOME as `mlcost refresh` sets it up, its storage created before any
    process polls it."""
    settings.apply_defaults()
    settings.ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def with_exports(exports, monkeypatch) -> Path:
    monkeypatch.setenv("CUR_EXPORT_URI", str(exports))
    return exports


def _start_refresh(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [MLCOST, "refresh", *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a refresh started from a shell
    )


def _wait_until(condition, proc: subprocess.Popen, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"refresh ended early: {proc.communicate()}"
        try:
            found = condition()
        except Exception:  # the refresh is writing the instance's sqlite file; ask again
            found = None
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the refresh never reached the point to stop it")


def _running_step(instance: dg.DagsterInstance, job_name: str) -> dg.DagsterRun | None:
    """The job's STARTED run once its first step has begun."""
    for run in instance.get_runs(dg.RunsFilter(job_name=job_name, statuses=[dg.DagsterRunStatus.STARTED])):
        if instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START):
            return run
    return None


def _dbt_subprocess(proc: subprocess.Popen) -> psutil.Process | None:
    for child in psutil.Process(proc.pid).children(recursive=True):
        if "build" in child.cmdline() and any(part.endswith("dbt") for part in child.cmdline()):
            return child
    return None


def _refresh_again(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    launched = time.time()
    result = subprocess.run(
        [MLCOST, "refresh", *args], env=dict(os.environ), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result, launched


def _assert_recovered(instance: dg.DagsterInstance, killed: dg.DagsterRun, launched: float) -> None:
    record = instance.get_run_record_by_id(killed.run_id)
    assert record.dagster_run.status == dg.DagsterRunStatus.FAILURE
    failure = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1]
    assert "is gone: it was killed or crashed" in failure.message
    assert record.end_time - launched < PROCEEDS_WITHIN_SECONDS
    later = [
        r for r in instance.get_run_records() if r.create_timestamp.timestamp() > launched and r.start_time
    ]
    assert later and min(r.start_time for r in later) - launched < PROCEEDS_WITHIN_SECONDS
    info = instance.event_log_storage.get_concurrency_info(recovery.POOL)
    assert info.claimed_slots == [] and info.pending_steps == []


@pytest.mark.slow
def test_sigkill_during_ingest_then_the_next_refresh_proceeds_and_equals_a_clean_load(
    instance, with_exports, warehouse_path, clean_load
):
    refresh = _start_refresh("--no-build")
    killed = _wait_until(lambda: _running_step(instance, "ingest_billing"), refresh)
    os.killpg(refresh.pid, signal.SIGKILL)
    refresh.wait()

    # Mid-ingest: the step had begun and not finished; the run stays STARTED and holds the pool.
    assert not instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
    assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.STARTED
    claimed = instance.event_log_storage.get_concurrency_info(recovery.POOL).claimed_slots
    assert [slot.run_id for slot in claimed] == [killed.run_id]
    # Nothing of the killed period landed (one transaction).
    period = killed.tags["dagster/partition"]
    assert _raw_totals(warehouse_path).get(period) is None
    # What a killed writer leaves when it spilled, or died publishing.
    spill = Path(f"{warehouse_path}.tmp")
    spill.mkdir()
    (spill / "duckdb_temp_storage_DEFAULT-0.tmp").write_bytes(b"\0" * 4096)
    half_published = warehouse_path.with_name(f".{warehouse_path.stem}.read.duckdb.{refresh.pid}.tmp")
    half_published.write_bytes(b"\0" * 4096)

    result, launched = _refresh_again("--no-build")

    assert f"recovered run {killed.run_id[:8]} (ingest_billing {period})" in result.stdout
    assert "marked failed, its duckdb pool slot freed" in result.stdout
    _assert_recovered(instance, killed, launched)
    assert not spill.exists() and not half_published.exists()
    assert _raw_totals(warehouse_path) == clean_load


@pytest.mark.slow
def test_sigkill_of_the_refresh_alone_during_dbt_stops_the_orphaned_dbt_and_rebuilds(
    loaded, instance, with_exports, warehouse_path, clean_load
):
    refresh = _start_refresh()  # the periods are loaded and unchanged: straight to the build
    dbt = _wait_until(lambda: _dbt_subprocess(refresh), refresh)
    killed = _running_step(instance, "build_warehouse")
    time.sleep(1)  # dbt is building models
    os.kill(refresh.pid, signal.SIGKILL)  # the parent only: dbt outlives it and keeps the warehouse locked
    refresh.wait()
    # Paused, so it cannot finish its build before the next refresh looks (on a loaded machine that
    # refresh's start-up can outlast the build): alive and holding the lock, as a long build would be.
    dbt.suspend()
    assert dbt.is_running() and dbt.status() != psutil.STATUS_ZOMBIE

    result, launched = _refresh_again()

    assert f"recovered run {killed.run_id[:8]} (build_warehouse)" in result.stdout
    # dbt and whatever it started (it starts multiprocessing's resource tracker a moment into the build).
    stopped = re.search(r"its orphaned subprocess\(es\) ([\d, ]+) stopped", result.stdout)
    assert stopped and str(dbt.pid) in stopped.group(1).split(", ")
    assert not dbt.is_running() or dbt.status() == psutil.STATUS_ZOMBIE
    assert "build_warehouse: ok" in result.stdout
    _assert_recovered(instance, killed, launched)
    assert _raw_totals(warehouse_path) == clean_load
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        marts = conn.execute(
            "select billing_period, sum(line_items), sum(billed_cost) from marts.cost_by_model group by 1"
        ).fetchall()
    assert {str(p): (n, total) for p, n, total in marts} == clean_load


@pytest.mark.slow
def test_sigterm_stops_a_refresh_within_seconds_and_keeps_the_data_as_it_was(
    loaded, instance, with_exports, warehouse_path, clean_load
):
    # The clean load, reloaded with --force: SIGTERM in the middle of the reload.
    refresh = _start_refresh("--force", "--no-build")
    stopped = _wait_until(lambda: _running_step(instance, "ingest_billing"), refresh)

    sent = time.monotonic()
    refresh.send_signal(signal.SIGTERM)
    _, stderr = refresh.communicate(timeout=60)
    seconds = time.monotonic() - sent

    assert refresh.returncode == 128 + signal.SIGTERM
    assert seconds < recovery.GRACE_SECONDS + 10, seconds
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr
    # A DuckDB statement does not notice signals: the period in progress is rolled back (FAILURE), or
    # kept if it committed within the grace period (SUCCESS); either way nothing runs after it.
    records = instance.get_run_records(dg.RunsFilter(job_name="ingest_billing"))
    [this] = [r for r in records if r.dagster_run.run_id == stopped.run_id]
    assert this.dagster_run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS)
    later = [r for r in records if r.create_timestamp > this.create_timestamp]
    assert all(r.dagster_run.status == dg.DagsterRunStatus.FAILURE for r in later), later
    assert not any(r.dagster_run.status == dg.DagsterRunStatus.STARTED for r in records)
    info = instance.event_log_storage.get_concurrency_info(recovery.POOL)
    assert info.claimed_slots == []
    assert _raw_totals(warehouse_path) == clean_load


HOLDER = """
import time, dagster as dg
from pipelines.defs import recovery

@dg.op(pool="duckdb")
def write_slowly():
    print("holding", flush=True)
    time.sleep(120)

with dg.DagsterInstance.get() as instance:
    dg.GraphDefinition(name="holder", node_defs=[write_slowly]).to_job().execute_in_process(
        instance=instance, tags=recovery.process_tags()
    )
"""


def test_a_live_holder_is_waited_for_in_one_line_and_a_dead_one_is_recovered_by_the_sensor(
    instance, monkeypatch, capsys
):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=dict(os.environ), stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        [run] = instance.get_runs(dg.RunsFilter(job_name="holder"))

        # A live run keeps its slot: the refresh names it, waits its bound, and fails in one line.
        monkeypatch.setenv("MLCOST_POOL_WAIT_SECONDS", "1")
        assert main(["refresh", "--no-build"]) == 2
        out, err = capsys.readouterr()
        assert (
            f"waiting up to 1s for the duckdb pool, held by run {run.run_id[:8]} (holder by pid {holder.pid}"
            in out
        )
        [line] = err.strip().splitlines()
        assert line.startswith(f"mlcost refresh: the duckdb pool is still held by run {run.run_id[:8]}")
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
        assert holder.poll() is None
        # The sensor leaves it alone too.
        skip = recovery.recover_crashed_runs(dg.build_sensor_context(instance=instance))
        assert skip.skip_message == "no crashed runs"
    finally:
        holder.kill()
        holder.wait()

    skip = recovery.recover_crashed_runs(dg.build_sensor_context(instance=instance))
    assert skip.skip_message.startswith(f"recovered run {run.run_id[:8]} (holder)")
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.event_log_storage.get_concurrency_info(recovery.POOL).claimed_slots == []
    assert main(["refresh", "--no-build"]) == 0


def test_a_run_of_another_process_with_a_reused_pid_counts_as_gone():
    this = processes.this_process()
    assert processes.is_running(this) is True
    assert processes.is_running(processes.ProcessRef(this.host, this.pid, this.started_at - 3600)) is False
    assert processes.is_running(processes.ProcessRef("elsewhere", this.pid, this.started_at)) is None
    assert processes.ProcessRef.from_tag(this.to_tag()) == processes.ProcessRef(
        this.host, this.pid, round(this.started_at, 3), this.start_ticks
    )
    assert (
        processes.is_running(
            processes.ProcessRef(this.host, this.pid, this.started_at, this.start_ticks - 100)
        )
        is False
    )


def test_a_process_outside_dagster_that_has_the_warehouse_open_is_named_and_waited_for(
    instance, warehouse_path, monkeypatch, capsys
):
    opener = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(120)",
            str(warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert opener.stdout.readline().strip() == "open"
        monkeypatch.setenv("MLCOST_POOL_WAIT_SECONDS", "1")
        assert main(["refresh", "--no-build"]) == 2
        out, err = capsys.readouterr()
        assert f"(PID {opener.pid}) to close the warehouse {warehouse_path}" in out
        [line] = err.strip().splitlines()
        assert line.startswith(f"mlcost refresh: the warehouse {warehouse_path} is still open in ")
        assert line.endswith(f"(PID {opener.pid}) after 1s")
    finally:
        opener.kill()
        opener.wait()
    assert main(["refresh", "--no-build"]) == 0
