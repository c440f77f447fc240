"""Whether a process that started some work still runs: how crash recovery tells a dead writer from a busy one.

A process is named by its host, pid and start time. The start time guards against a pid that the
operating system handed to an unrelated process after the original one died.

psutil's start time is the kernel's boot time plus the process's age at boot, in wall-clock seconds:
when the clock is stepped (NTP; 41 s within the hour on this project's VMs) the boot time it computes
moves, and a live process no longer matches the start it had. On Linux a process is therefore also
named by its start in clock ticks since boot (/proc/<pid>/stat field 22), which no clock step moves;
elsewhere, and for tags written before, the wall-clock start is compared within a tolerance.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache

import psutil

# Wall-clock start times of one process read twice can differ by rounding; two processes one pid
# apart in time cannot both be that close.
START_TOLERANCE_SECONDS = 1.0
# Set to the starting process's tag before it starts subprocesses, which inherit it: a subprocess
# that outlives a killed parent (dbt) is still known to be that parent's.
PARENT_ENV = "MLCOST_PARENT_PROCESS"


@dataclass(frozen=True)
class ProcessRef:
    host: str
    pid: int
    started_at: float | None  # seconds since the epoch; None when only the pid was recorded
    start_ticks: int | None = None  # clock ticks from boot to its start (Linux); None when unknown

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"

    def to_tag(self) -> str:
        """host/pid/start[/ticks]: tags written before the ticks were recorded read back the same."""
        started = "" if self.started_at is None else f"{self.started_at:.3f}"
        ticks = "" if self.start_ticks is None else f"/{self.start_ticks}"
        return f"{self.host}/{self.pid}/{started}{ticks}"

    @classmethod
    def from_tag(cls, text: str) -> ProcessRef | None:
        """The inverse of to_tag; None for text it did not write."""
        parts = text.split("/")
        if len(parts) not in (3, 4):
            return None
        host, pid, started = parts[:3]
        ticks = parts[3] if len(parts) == 4 else ""
        try:
            return cls(
                host=host,
                pid=int(pid),
                started_at=float(started) if started else None,
                start_ticks=int(ticks) if ticks else None,
            )
        except ValueError:
            return None


def this_host() -> str:
    return socket.gethostname()


def start_ticks(pid: int) -> int | None:
    """The process's start in clock ticks since boot, which a step of the wall clock does not move:
    field 22 of /proc/<pid>/stat (Linux); None elsewhere or once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            text = stat.read()
    except OSError:
        return None
    # Field 2, the command name in parentheses, may itself hold spaces and parentheses.
    fields = text[text.rindex(b")") + 2 :].split()
    return int(fields[22 - 3])


def of_pid(pid: int) -> ProcessRef:
    """A local process by pid, with its start time (None when it is already gone)."""
    try:
        return of_process(psutil.Process(pid))
    except psutil.Error:
        return ProcessRef(host=this_host(), pid=pid, started_at=None)


def of_process(process: psutil.Process) -> ProcessRef:
    """A local process as a ProcessRef (psutil.NoSuchProcess once it is gone)."""
    started = process.create_time()
    return ProcessRef(
        host=this_host(), pid=process.pid, started_at=started, start_ticks=start_ticks(process.pid)
    )


def this_process() -> ProcessRef:
    """This process, with its start time as first read. The kernel reports start times from its boot
    time, which moves when the system clock is stepped (41 s within the hour on this project's VMs):
    a start time read again later may not match the tags this process wrote, and is_running must
    never take this process for another one."""
    return _process_ref(os.getpid())


@cache
def _process_ref(pid: int) -> ProcessRef:
    return of_pid(pid)


def is_running(ref: ProcessRef, started_by: float | None = None) -> bool | None:
    """True while the process runs, False once it is gone, None when it runs on another host (unknown).

    `started_by`, for a ref without a start time: the moment the pid was recorded; a process with
    that pid started later is another process.
    """
    if ref.host != this_host():
        return None
    if ref.to_tag() == this_process().to_tag():
        return True
    try:
        process = psutil.Process(ref.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False  # exited; only its parent has not collected its exit status yet
        if ref.started_at is not None or ref.start_ticks is not None:
            return _same_start(ref, of_process(process))
        started = process.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists; another user's process
    if started_by is not None:
        return started <= started_by + START_TOLERANCE_SECONDS
    return True


def stop(refs: list[ProcessRef], timeout: float = 5.0) -> list[ProcessRef]:
    """Terminate the processes that still run (SIGTERM, then SIGKILL after `timeout`); returns them."""
    running = [ref for ref in refs if is_running(ref)]
    processes = []
    for ref in running:
        try:
            process = psutil.Process(ref.pid)
            process.terminate()
            processes.append(process)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=timeout)
    return running


def children_of_this_process() -> list[ProcessRef]:
    """Every process this one started (and theirs): what a forced stop must not leave behind."""
    refs = []
    for child in psutil.Process().children(recursive=True):
        try:
            refs.append(of_process(child))
        except psutil.NoSuchProcess:
            continue
    return refs


def mark_subprocesses() -> None:
    """Make the subprocesses this process starts from now on carry its tag in PARENT_ENV."""
    os.environ[PARENT_ENV] = this_process().to_tag()


def orphans_of(parent: ProcessRef) -> list[ProcessRef]:
    """Running processes that `parent` (or a process of the same pid and start) started after
    mark_subprocesses: what must be stopped once the parent is gone."""
    if parent.host != this_host():
        return []
    prefix = f"{parent.host}/{parent.pid}/"
    found = []
    for process in psutil.process_iter(["pid", "create_time"]):
        try:
            value = process.environ().get(PARENT_ENV, "")
        except psutil.Error:
            continue  # gone meanwhile, or another user's
        tagged = ProcessRef.from_tag(value) if value.startswith(prefix) else None
        if tagged is None or process.pid == parent.pid:
            continue
        if not _same_start(parent, tagged):
            continue  # the child of an earlier process that had the same pid
        try:
            found.append(of_process(process))
        except psutil.NoSuchProcess:
            continue
    return found


def _same_start(one: ProcessRef, other: ProcessRef) -> bool:
    """Whether two refs of one host and pid name the same process, not a later one given its pid: by
    the start in ticks when both have it, else by the wall-clock start within the tolerance."""
    if one.start_ticks is not None and other.start_ticks is not None:
        return one.start_ticks == other.start_ticks
    if one.started_at is not None and other.started_at is not None:
        return abs(one.started_at - other.started_at) <= START_TOLERANCE_SECONDS
    return True
