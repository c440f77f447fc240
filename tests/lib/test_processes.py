"""A process keeps its identity when the wall clock is stepped (NTP): psutil's start times, computed from
the kernel's boot time in wall-clock seconds, move with the step; the start in clock ticks does not."""

from __future__ import annotations

import subprocess
import sys

import psutil
import psutil._pslinux
import pytest

from pipelines.lib import processes
from pipelines.lib.processes import ProcessRef

STEP_SECONDS = 41.0  # the step seen on this project's VMs

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="clock ticks are read from /proc"
)


@pytest.fixture
def child():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def stepped_clock(monkeypatch):
    """The wall clock stepped forward: psutil now computes a boot time STEP_SECONDS later."""
    booted = psutil.boot_time()

    def step() -> None:
        monkeypatch.setattr(psutil._pslinux, "boot_time", lambda: booted + STEP_SECONDS)

    return step


def test_a_live_process_is_still_itself_after_the_clock_is_stepped(child, stepped_clock):
    ref = ProcessRef.from_tag(processes.of_pid(child.pid).to_tag())  # as a run's tag records it
    assert ref.start_ticks is not None and processes.is_running(ref) is True

    stepped_clock()

    assert abs(psutil.Process(child.pid).create_time() - ref.started_at) > STEP_SECONDS - 1  # psutil moved
    assert processes.is_running(ref) is True
    # A tag written before the ticks were recorded still compares wall-clock starts: the step shows.
    assert processes.is_running(ProcessRef(ref.host, ref.pid, ref.started_at)) is False


def test_another_process_given_the_same_pid_is_not_taken_for_it(child, stepped_clock):
    ref = processes.of_pid(child.pid)
    stepped_clock()
    # What the dead process's tag would say of a later process given its pid: started earlier.
    earlier = ProcessRef(ref.host, ref.pid, ref.started_at - 1, start_ticks=ref.start_ticks - 100)
    assert processes.is_running(earlier) is False
    # Started a tick apart is another process too, whatever the wall clock says.
    now = psutil.Process(child.pid).create_time()
    assert processes.is_running(ProcessRef(ref.host, ref.pid, now, start_ticks=ref.start_ticks + 1)) is False


def test_tags_keep_reading_back_including_those_written_before_the_ticks():
    this = processes.this_process()
    assert this.start_ticks == processes.start_ticks(this.pid)
    assert ProcessRef.from_tag(this.to_tag()) == ProcessRef(
        this.host, this.pid, round(this.started_at, 3), this.start_ticks
    )
    assert ProcessRef.from_tag("host-1/4242/1764680000.125") == ProcessRef("host-1", 4242, 1764680000.125)
    assert ProcessRef.from_tag("host-1/4242/") == ProcessRef("host-1", 4242, None)
    assert ProcessRef.from_tag("not a tag") is None


def test_a_subprocess_outliving_its_parent_is_found_after_the_clock_is_stepped(stepped_clock, monkeypatch):
    monkeypatch.delenv(processes.PARENT_ENV, raising=False)  # restored after the test
    processes.mark_subprocesses()
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stepped_clock()
        # As crash recovery reads the parent from its run's tag, after the step.
        parent = ProcessRef.from_tag(processes.this_process().to_tag())
        assert orphan.pid in [ref.pid for ref in processes.orphans_of(parent)]
    finally:
        orphan.kill()
        orphan.wait()
