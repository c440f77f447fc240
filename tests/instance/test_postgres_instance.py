"""Dagster's instance on a real PostgreSQL server (DAGSTER_PG_*): `mlcost refresh` and the sensors,
ticked by the real daemon, keep runs, event logs, materializations, partitions, pool slots, sensor
ticks and cursors there, nothing in SQLite files, and the password nowhere but the environment."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.cli import main
from pipelines.defs.ingest.billing import billing_export_sensor
from pipelines.defs.jobs import build_after_ingest
from pipelines.defs.resources import source_resources
from pipelines.lib import settings
from pipelines.lib.settings import REPO_ROOT
from tests.alerts.slack_server import FakeSlack
from tests.ingest.billing_helpers import FIXTURES
from tests.instance.conftest import PostgresServer

PERIOD = "2024-09-01"
# Sensors the daemon must have ticked (every one starts RUNNING once Slack is configured).
SENSORS = {
    "billing_export_sensor",
    "build_after_ingest",
    "recover_crashed_runs",
    "alert_delivery_sensor",
    "run_failure_alerts_sensor",
}
SQLITE_MAGIC = b"SQLite format 3\x00"


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def pg(postgres_server: PostgresServer) -> PostgresServer:
    """A new, empty database on the module's server for each test: no test sees another's runs,
    slots or sensor state."""
    database = f"dagster_{uuid.uuid4().hex[:12]}"
    conn = postgres_server.connect()
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    with conn.cursor() as cur:
        cur.execute(f'create database "{database}"')
    conn.close()
    return dataclasses.replace(postgres_server, database=database)


@pytest.fixture
def on_postgres(pg: PostgresServer, slack: FakeSlack, tmp_path: Path, monkeypatch) -> Path:
    """DAGSTER_HOME without a dagster.yaml (mlcost writes it), the DAGSTER_PG_* settings of the test
    server, the sample CUR 2.0 export and a Slack-like server (so the alert sensors run)."""
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").unlink()
    monkeypatch.setenv("DAGSTER_PG_HOST", pg.host)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(pg.port))
    monkeypatch.setenv("DAGSTER_PG_USERNAME", pg.username)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", pg.password)
    monkeypatch.setenv("DAGSTER_PG_DB", pg.database)
    exports = tmp_path / "exports"
    shutil.copytree(FIXTURES / "cur2_csv_gz", exports)
    monkeypatch.setenv("CUR_EXPORT_URI", str(exports))
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url + "/services/T0/B0/pg-test-webhook")
    monkeypatch.setenv("ALERTS_STATE_PATH", str(home / "alerts" / "ledger.sqlite"))
    return home


def query(server: PostgresServer, sql: str, *params) -> list[tuple]:
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def sessions(server: PostgresServer) -> int:
    """Sessions ever opened to the test's database (PostgreSQL's cumulative statistics; a backend
    reports its own at exit, which the short sleep waits for)."""
    time.sleep(1.5)
    with server.connect() as conn, conn.cursor() as cur:
        cur.execute("select pg_stat_clear_snapshot()")
        cur.execute("select sessions from pg_stat_database where datname = current_database()")
        return cur.fetchone()[0]


def ticks_by_sensor(server: PostgresServer) -> dict[str, list[dict]]:
    """The sensor ticks stored in PostgreSQL, by sensor name (tick_body is Dagster's serialized TickData)."""
    ticks: dict[str, list[dict]] = {}
    for (body,) in query(server, "select tick_body from job_ticks where type = 'SENSOR' order by id"):
        data = json.loads(body)
        ticks.setdefault(data["job_name"], []).append(data)
    return ticks


def tick_sensors_with_the_daemon(server: PostgresServer, home: Path, timeout: float = 90) -> str:
    """Run `dagster-daemon run` on the workspace until every sensor of SENSORS has a finished tick in
    PostgreSQL; return what the daemon printed."""
    log = home.parent / "daemon.log"
    with open(log, "w") as out:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and daemon.poll() is None:
                ticks = ticks_by_sensor(server)
                finished = {
                    name
                    for name, items in ticks.items()
                    if any(t["status"]["__enum__"] != "TickStatus.STARTED" for t in items)
                }
                if SENSORS <= finished:
                    break
                time.sleep(1)
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
    return log.read_text()


@pytest.mark.slow
def test_refresh_and_sensors_keep_dagster_state_in_postgres(
    on_postgres: Path, pg: PostgresServer, slack: FakeSlack, capsys
):
    home = on_postgres
    server = pg

    # Before the refresh, on the empty instance: the billing sensor asks for the new period.
    settings.apply_defaults()
    settings.ensure_dagster_home()
    resources = source_resources()
    with (
        dg.DagsterInstance.get() as instance,
        dg.build_sensor_context(instance=instance, resources=resources) as ctx,
    ):
        requested = billing_export_sensor(ctx)
    assert [r.partition_key for r in requested.run_requests] == [PERIOD]

    sessions_before = sessions(server)
    assert main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "billing: 1 period(s)" in out and "build_warehouse: ok" in out
    # The refresh keeps pooled connections (defs/refresh.py instance_for_jobs): about 120 sessions (crash
    # recovery and the sensors' checks open their own); with Dagster's default of a new connection per
    # statement, this refresh opened about 3,000.
    opened = sessions(server) - sessions_before
    assert opened < 300, f"the refresh opened {opened} PostgreSQL sessions"

    # dagster.yaml as mlcost wrote it: PostgreSQL storage read from the environment, the pool limit,
    # no telemetry, and no password.
    text = (home / "dagster.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == {"env": "DAGSTER_PG_HOST"}
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["telemetry"]["enabled"] is False
    assert server.password not in text

    # The instance Dagster loads from it is the PostgreSQL one.
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        # Sensors read the runs back from PostgreSQL: the period is loaded, the build came after it.
        with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
            assert isinstance(billing_export_sensor(ctx), dg.SkipReason)
        with dg.build_sensor_context(instance=instance) as ctx:
            skipped = build_after_ingest(ctx)
        assert isinstance(skipped, dg.SkipReason) and "built after the last ingest" in skipped.skip_message

    daemon_output = tick_sensors_with_the_daemon(server, home)

    # Runs, their event logs and the materializations are rows in PostgreSQL.
    runs = dict(query(server, "select pipeline_name, status from runs"))
    assert runs == {"ingest_billing": "SUCCESS", "build_warehouse": "SUCCESS"}, runs
    events = dict(query(server, "select dagster_event_type, count(*) from event_logs group by 1"))
    assert events[dg.DagsterEventType.RUN_SUCCESS.value] == 2, events
    assert events[dg.DagsterEventType.ASSET_MATERIALIZATION.value] > 10, events
    materialized = {
        "/".join(json.loads(key))
        for (key,) in query(
            server, "select asset_key from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
        )
    }
    assert {"raw/billing_line_items", "marts/cost_by_model", "alerts/ledger"} <= materialized
    asset_keys = {"/".join(json.loads(key)) for (key,) in query(server, "select asset_key from asset_keys")}
    assert materialized <= asset_keys
    assert query(
        server, "select partition from dynamic_partitions where partitions_def_name = 'billing_period'"
    ) == [(PERIOD,)]
    # The writers' pool, limited to 1 from the instance config, lives in PostgreSQL too.
    assert query(server, 'select concurrency_key, "limit", using_default_limit from concurrency_limits') == [
        ("duckdb", 1, True)
    ]
    assert query(
        server, "select concurrency_key, count(*) from concurrency_slots where not deleted group by 1"
    ) == [("duckdb", 1)]

    # Every sensor ticked in the daemon, its ticks and state stored in PostgreSQL.
    ticks = ticks_by_sensor(server)
    assert SENSORS <= set(ticks), (set(ticks), daemon_output[-3000:])
    billing = ticks["billing_export_sensor"][-1]
    assert billing["status"]["__enum__"] == "TickStatus.SKIPPED"
    assert "none new or changed" in billing["skip_reason"]
    assert "built after the last ingest" in ticks["build_after_ingest"][-1]["skip_reason"]
    assert "delivery:" in ticks["alert_delivery_sensor"][-1]["skip_reason"]
    states = {
        state["origin"]["job_name"]: state["job_specific_data"]
        for state in (
            json.loads(body) for (body,) in query(server, "select instigator_body from instigators")
        )
    }
    assert SENSORS <= set(states)
    # The run status sensor keeps its cursor (where it is in the run events; no failure yet) in its
    # stored state.
    cursor = json.loads(states["run_failure_alerts_sensor"]["cursor"])
    assert cursor["__class__"] == "RunStatusSensorCursor", cursor

    # Nothing in SQLite files: the only SQLite database in DAGSTER_HOME is mlcost's alert ledger
    # (ALERTS_STATE_PATH), which is not Dagster's storage.
    sqlite_files = [
        p.relative_to(home).as_posix()
        for p in home.rglob("*")
        if p.is_file() and p.open("rb").read(16) == SQLITE_MAGIC
    ]
    assert sqlite_files in ([], ["alerts/ledger.sqlite"]), sqlite_files
    assert not (home / "history").exists() and not (home / "schedules").exists()

    # The password is in no file under DAGSTER_HOME (compute logs included), no event log and no output.
    for path in home.rglob("*"):
        if path.is_file():
            assert server.password.encode() not in path.read_bytes(), path
    assert query(server, "select count(*) from event_logs where event like %s", f"%{server.password}%") == [
        (0,)
    ]
    assert server.password not in daemon_output and server.password not in out


def test_the_pool_limit_holds_across_processes_sharing_postgres(on_postgres):
    """Two processes (as two run pods would be) share the duckdb pool through PostgreSQL: while one
    holds the only slot, the other's claim is blocked, and it gets the slot once freed."""
    settings.ensure_dagster_home()
    claim = (
        "import dagster as dg, sys\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    print(i.event_log_storage.claim_concurrency_slot('duckdb', sys.argv[1], 'step').is_claimed)\n"
    )

    def claim_in_another_process(run_id: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", claim, run_id], capture_output=True, text=True, timeout=120, check=True
        )
        return result.stdout.strip()

    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        # What a run does before its first claim in a pool without a limit yet: the default (1).
        storage.initialize_concurrency_limit_to_default("duckdb")
        assert storage.get_concurrency_info("duckdb").slot_count == 1
        assert storage.claim_concurrency_slot("duckdb", "run-a", "step").is_claimed
        assert claim_in_another_process("run-b") == "False"
        storage.free_concurrency_slots_for_run("run-a")
        assert claim_in_another_process("run-b") == "True"
        assert [s.run_id for s in storage.get_concurrency_info("duckdb").claimed_slots] == ["run-b"]


def test_the_kubernetes_doc_yaml_is_valid_and_shows_the_storage_block_mlcost_writes():
    """Every YAML block of docs/kubernetes.md loads, and the dagster.yaml block it shows is the one
    mlcost writes."""
    text = (REPO_ROOT / "docs" / "kubernetes.md").read_text()
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]
    assert len(blocks) >= 2
    assert yaml.safe_load(settings.DAGSTER_YAML_POSTGRES) in blocks
    [values] = [b for b in blocks if "dagster-user-deployments" in b]
    [deployment] = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]
    assert values["concurrency"]["pools"]["defaultLimit"] == 1
    assert values["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"


ABANDONED_RUN = """
import time

import dagster as dg


@dg.op
def wait():
    time.sleep(600)


@dg.job
def elsewhere():
    wait()


with dg.DagsterInstance.get() as instance:
    elsewhere.execute_in_process(instance=instance)
"""


def test_on_postgres_crash_recovery_leaves_runs_it_cannot_see_to_run_monitoring(on_postgres):
    """A run whose process is gone stays STARTED for mlcost's crash recovery on a shared instance: the
    pids in its engine events may belong to another machine or pod (the same pid here proves
    nothing), so Dagster's run monitoring decides. On SQLite (one machine) it would be failed."""
    from pipelines.defs import recovery

    settings.ensure_dagster_home()
    worker = subprocess.Popen([sys.executable, "-c", ABANDONED_RUN], start_new_session=True)
    try:
        with dg.DagsterInstance.get() as instance:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                runs = instance.get_runs(dg.RunsFilter(job_name="elsewhere"))
                pids = [
                    e
                    for run in runs
                    for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                    if e.dagster_event.engine_event_data.metadata.get("pid") is not None
                ]
                if pids:
                    break
                assert worker.poll() is None, "the run's process ended early"
                time.sleep(0.5)
            assert pids, "the run never reported its process"
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            [run] = runs
            assert recovery.recover(instance) == []
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def test_an_unreachable_postgres_is_one_line_without_the_password(monkeypatch, capsys):
    home = Path(os.environ["DAGSTER_HOME"])
    (home / "dagster.yaml").unlink()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, value in {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(port),
        "DAGSTER_PG_USERNAME": "dagster",
        "DAGSTER_PG_PASSWORD": "pw-never-printed-42",
        "DAGSTER_PG_DB": "dagster",
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["refresh", "--no-build"]) == 2
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("mlcost refresh:")]
    assert f"Dagster's PostgreSQL storage (127.0.0.1:{port}, database dagster, user dagster)" in line
    assert "Connection refused" in line
    assert "pw-never-printed-42" not in err
