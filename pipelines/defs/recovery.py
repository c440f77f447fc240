"""Crash recovery: a run whose process is gone is marked failed and gives back its duckdb pool slot.

A run that is killed (SIGKILL, a crash, a lost machine) never reports its end: it stays STARTED in
the instance and keeps its claim on the one-writer pool, so every later writer would wait for it.
`recover` finds such runs and fails them through the instance, which frees their slots. It runs when
`mlcost refresh` starts, before each of its runs and every 15 seconds during them (a run may wait
inside Dagster for a slot another run took), and every 30 seconds as the
`recover_crashed_runs` sensor under `dagster dev` (where dagster.yaml's run_monitoring also fails
runs stuck starting or canceling and frees slots that finished runs still hold).

Which process runs a run: `mlcost refresh` tags its runs with its host, pid and start time
(PROCESS_TAG); runs launched by `dagster dev` are known by the pids in Dagster's own engine events
(the run worker, the step processes). A run is left alone while any of its processes runs, or when
it cannot be told (another host, no pid recorded yet). A dbt subprocess whose run died is stopped,
since it would otherwise hold the warehouse's lock (known by processes.PARENT_ENV).

Ctrl-C and SIGTERM: Dagster defers them while it executes a run and a DuckDB statement does not
notice them, so `stop_on_signal` also watches for them in a thread; if the refresh has not stopped
by itself GRACE_SECONDS later it stops its subprocesses, fails its runs, frees their slots and exits.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import dagster as dg
import duckdb

from pipelines.lib import processes, published, settings
from pipelines.lib.processes import ProcessRef
from pipelines.lib.warehouse import connect, remove_spill_leftovers

POOL = "duckdb"
PROCESS_TAG = "mlcost/process"  # host/pid/start time of the process executing the run in-process
POOL_WAIT_DEFAULT_SECONDS = 300
GRACE_SECONDS = 5.0
RECOVER_EVERY_SECONDS = 15.0
IN_PROGRESS = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class PoolBusy(Exception):
    """A live run kept the duckdb pool (or the warehouse file) longer than the refresh may wait."""


def process_tags() -> dict[str, str]:
    """Tags for a run this process executes in-process (what `mlcost refresh` runs)."""
    return {PROCESS_TAG: processes.this_process().to_tag()}


def run_processes(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[tuple[ProcessRef, float | None]]:
    """The processes executing `run`, each with the time it was recorded (None when known exactly)."""
    tagged = ProcessRef.from_tag(run.tags.get(PROCESS_TAG, ""))
    if tagged is not None:
        return [(tagged, None)]
    # Runs launched by `dagster dev`: the run worker's and step processes' pids from Dagster's engine
    # events, on this machine because the instance's storage is local (SQLite files). With a shared
    # storage (PostgreSQL: several machines, run pods) those pids name no process here, so nothing is
    # known and the run is left to Dagster's run monitoring.
    if not local_instance(instance):
        return []
    found = []
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            ref = ProcessRef(host=processes.this_host(), pid=int(pid.value), started_at=None)
            found.append((ref, entry.timestamp))
    return found


def local_instance(instance: dg.DagsterInstance) -> bool:
    """Whether the instance keeps its runs in SQLite files, so that every run it launches runs on this
    machine (`dagster dev`, `mlcost refresh`)."""
    return type(instance.run_storage).__name__.startswith("Sqlite")


def is_alive(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    """False only when every process of the run is known to be gone."""
    found = run_processes(instance, run)
    if not found:
        return True  # nothing recorded yet (a launch in progress): run monitoring's start timeout decides
    return any(processes.is_running(ref, started_by=at) is not False for ref, at in found)


def recover(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs whose process is gone and free the pool slots they and finished runs hold.

    Returns one line per run it changed. Never touches a run with a live (or unknowable) process.
    """
    lines = []
    for run in _unfinished_runs(instance):
        if is_alive(instance, run):
            continue
        found = [ref for ref, _ in run_processes(instance, run)]
        gone = found[0]
        # A subprocess (dbt) outlives its killed parent and would keep the warehouse locked.
        stopped = processes.stop([orphan for ref in found for orphan in processes.orphans_of(ref)])
        orphans = ", ".join(str(ref.pid) for ref in stopped)
        message = (
            f"The process running this run ({gone}) is gone: it was killed or crashed. Marked "
            "failed by mlcost's crash recovery; DuckDB rolled back what the run had not committed."
            + (f" Its orphaned subprocesses were stopped (pid {orphans})." if stopped else "")
        )
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message)
        else:
            instance.report_run_failed(run, message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(
            f"recovered run {run.run_id[:8]} ({_describe(run)}), left {run.status.value} by {gone} "
            f"which is gone: marked {'canceled' if run.status == dg.DagsterRunStatus.CANCELING else 'failed'}, "
            f"its {POOL} pool slot freed"
            + (f", its orphaned subprocess(es) {orphans} stopped" if stopped else "")
        )
    lines.extend(_free_slots_of_finished_runs(instance))
    return lines


def _unfinished_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Runs started and not finished. A NOT_STARTED run counts only when this code executes it
    in-process (tagged); otherwise it waits in the run queue and has no process yet."""
    return [
        run
        for run in instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS))
        if run.status != dg.DagsterRunStatus.NOT_STARTED or PROCESS_TAG in run.tags
    ]


def _free_slots_of_finished_runs(instance: dg.DagsterInstance) -> list[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(POOL)
    run_ids = {slot.run_id for slot in info.claimed_slots} | {step.run_id for step in info.pending_steps}
    lines = []
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            lines.append(f"freed the {POOL} pool slot run {run_id[:8]} kept after it ended")
    return lines


def pool_holders(instance: dg.DagsterInstance) -> list[dg.RunRecord]:
    """The runs holding every slot of the duckdb pool (empty when a slot is free or there is no limit)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(POOL)
    claimed = {slot.run_id for slot in info.claimed_slots}
    if info.limit is None or len(info.claimed_slots) < info.limit or not claimed:
        return []
    return list(instance.get_run_records(dg.RunsFilter(run_ids=sorted(claimed))))


def pool_wait_seconds() -> float:
    text = settings.get("MLCOST_POOL_WAIT_SECONDS") or str(POOL_WAIT_DEFAULT_SECONDS)
    try:
        return max(0.0, float(text))
    except ValueError as exc:
        raise PoolBusy(f"MLCOST_POOL_WAIT_SECONDS={text!r} is not a number of seconds") from exc


def wait_for_pool(instance: dg.DagsterInstance, say: Callable[[str], None] = print) -> None:
    """Return once the duckdb pool has a free slot, recovering crashed holders meanwhile.

    A live holder is named in one line; after MLCOST_POOL_WAIT_SECONDS this raises PoolBusy.
    """
    timeout = pool_wait_seconds()
    deadline = time.monotonic() + timeout
    announced: set[str] = set()
    while True:
        for line in recover(instance):
            say(f"  {line}")
        holders = pool_holders(instance)
        if not holders:
            return
        described = "; ".join(_describe_holder(instance, record) for record in holders)
        if time.monotonic() >= deadline:
            raise PoolBusy(
                f"the {POOL} pool is still held by {described} after {timeout:.0f}s; run again when it "
                "has finished, or set MLCOST_POOL_WAIT_SECONDS to wait longer"
            )
        new = {record.dagster_run.run_id for record in holders} - announced
        if new:
            say(f"  waiting up to {timeout:.0f}s for the {POOL} pool, held by {described}")
            announced |= new
        _stop.raise_if_requested()
        time.sleep(1)


def remove_leftovers(instance: dg.DagsterInstance, say: Callable[[str], None] = print) -> None:
    """Delete DuckDB spill files and half-written published copies that killed writers left.

    Only while no run is in progress (a live writer may be using them): the warehouse is opened for
    writing, which also proves no other process has it open; a process outside Dagster that holds it
    (the DuckDB CLI, say) is waited for like a pool holder.
    """
    if any(is_alive(instance, run) for run in _unfinished_runs(instance)):
        return
    timeout = pool_wait_seconds()
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        try:
            conn = connect()
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            # DuckDB: 'Could not set lock on file "...": Conflicting lock is held in <program> (PID <n>)'
            holder = re.search(r"held in (.+?\(PID \d+\))", str(exc))
            who = holder.group(1) if holder else "another process"
            # Said before the deadline is checked: connect() itself waits a few seconds for a brief
            # reader, so a short MLCOST_POOL_WAIT_SECONDS can be over by the first failure.
            if not announced:
                say(
                    f"  waiting up to {timeout:.0f}s for {who} to close the warehouse {settings.warehouse_path()}"
                )
                announced = True
            if time.monotonic() >= deadline:
                raise PoolBusy(
                    f"the warehouse {settings.warehouse_path()} is still open in {who} after {timeout:.0f}s"
                ) from exc
            _stop.raise_if_requested()
            time.sleep(0.5)
    with conn:
        removed = remove_spill_leftovers(conn) + published.remove_staging_leftovers(
            published.read_copy_path()
        )
    if removed:
        say(f"  removed {len(removed)} file(s) a killed writer left: {', '.join(p.name for p in removed)}")


def before_refresh(say: Callable[[str], None] = print) -> None:
    """What `mlcost refresh` does first: recover crashed runs, wait for the pool, remove leftovers."""
    settings.apply_defaults()
    settings.ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        wait_for_pool(instance, say)
        remove_leftovers(instance, say)


def before_run(instance: dg.DagsterInstance, tags: dict[str, str] | None) -> dict[str, str]:
    """Before each run `mlcost refresh` executes: stop if asked to, wait for the pool (see
    wait_for_pool). Returns the run's tags with this process's."""
    _stop.raise_if_requested()
    wait_for_pool(instance)
    _stop.in_run = True
    return {**(tags or {}), **process_tags()}


def after_run() -> None:
    """After each run: a Ctrl-C or SIGTERM that Dagster turned into a failed run stops the refresh."""
    _stop.in_run = False
    _stop.raise_if_requested()


def fail_runs_of(instance: dg.DagsterInstance, process: ProcessRef, reason: str) -> list[str]:
    """Fail the unfinished runs `process` executes and free their slots (a forced stop)."""
    runs = instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS, tags={PROCESS_TAG: process.to_tag()}))
    for run in runs:
        instance.report_run_failed(run, reason)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return [run.run_id for run in runs]


class _StopRequest:
    """The signal a watched refresh received (set by the watcher thread, read by the main thread)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.in_run = False  # the main thread is executing a Dagster run

    def raise_if_requested(self) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt(signal.Signals(self.signum).name)


_stop = _StopRequest()


def _raise_interrupt(signum: int, frame) -> None:
    _stop.signum = signum
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def stop_on_signal(say: Callable[[str], None] = print) -> Iterator[_StopRequest]:
    """Make Ctrl-C and SIGTERM stop the command within seconds, whatever it is waiting on.

    Outside a run both raise KeyboardInterrupt. Inside a run Dagster only notes the signal (and
    interrupts user code at its next Python instruction; dagster-dbt then forwards it to dbt), and a
    DuckDB statement runs on. A thread learns of the signal through the wakeup fd; GRACE_SECONDS
    later, if the process still runs, it stops the subprocesses, fails this process's unfinished
    runs, frees their slots and exits with 128 + the signal number. Either way the warehouse stays
    as it was: DuckDB rolls back an unfinished transaction.
    """
    if threading.current_thread() is not threading.main_thread():
        yield _stop
        return
    _stop.signum = None
    this = processes.this_process()
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    done = threading.Event()
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def fail_own_runs(name: str) -> None:
        with dg.DagsterInstance.get() as instance:
            fail_runs_of(
                instance,
                this,
                f"Stopped by {name} ({this}). DuckDB rolled back what the run had not committed.",
            )

    # The watcher's own instance (an instance is not shared between threads), made at its first
    # check and kept for the next ones: loading one checks every storage's schema.
    watcher_instance: list[dg.DagsterInstance] = []

    def recover_while_waiting() -> None:
        # Dagster claims the pool slot inside the run and waits there, unseen, if another run took the
        # slot first: should that run die meanwhile, its slot must still come free.
        try:
            if not watcher_instance:
                watcher_instance.append(dg.DagsterInstance.get())
            for line in recover(watcher_instance[0]):
                say(f"  {line}")
        except Exception:  # best effort: the next check, or the next refresh, tries again
            pass

    def watch() -> None:
        try:
            _watch()
        finally:
            for instance in watcher_instance:
                instance.dispose()

    def _watch() -> None:
        checked = time.monotonic()
        while not done.is_set():
            ready, _, _ = select.select([reader], [], [], 0.5)
            if not ready:
                if _stop.in_run and time.monotonic() - checked > RECOVER_EVERY_SECONDS:
                    checked = time.monotonic()
                    recover_while_waiting()
                continue
            received = [n for n in reader.recv(64) if n in (signal.SIGINT, signal.SIGTERM)]
            if not received:
                continue
            _stop.signum = received[-1]
            if done.wait(GRACE_SECONDS):
                return
            name = signal.Signals(_stop.signum).name
            say(f"mlcost: {name} received; stopping subprocesses and marking unfinished runs failed")
            try:
                processes.stop(processes.children_of_this_process(), timeout=2)
                fail_own_runs(name)
            finally:
                sys.stdout.flush()
                os._exit(128 + _stop.signum)

    watcher = threading.Thread(target=watch, name="mlcost-stop-on-signal", daemon=True)
    watcher.start()
    try:
        yield _stop
    finally:
        if _stop.signum is not None:
            # Interrupted in good time: still, no run of this process may stay STARTED holding the pool.
            fail_own_runs(signal.Signals(_stop.signum).name)
        done.set()
        signal.set_wakeup_fd(previous_fd)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        watcher.join(timeout=1)
        reader.close()
        writer.close()
        _stop.signum = None
        _stop.in_run = False


def _describe(run: dg.DagsterRun) -> str:
    partition = run.tags.get("dagster/partition")
    return f"{run.job_name} {partition}" if partition else run.job_name


def _describe_holder(instance: dg.DagsterInstance, record: dg.RunRecord) -> str:
    run = record.dagster_run
    since = record.start_time or record.create_timestamp.timestamp()
    at = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    found = run_processes(instance, run)
    by = f" by {found[0][0]}" if found else ""
    return f"run {run.run_id[:8]} ({_describe(run)}{by}, running since {at})"


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 seconds: fails runs whose process is gone (killed, crashed) and frees their duckdb "
    "pool slots, so the runs waiting behind them go on.",
)
def recover_crashed_runs(context: dg.SensorEvaluationContext):
    """Fails runs whose process is gone (killed, crashed) and frees their duckdb pool slots, so the
    runs, sensors and schedules waiting behind them go on within a minute."""
    lines = recover(context.instance)
    for line in lines:
        context.log.warning(line)
    return dg.SkipReason("; ".join(lines) if lines else "no crashed runs")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[recover_crashed_runs])
