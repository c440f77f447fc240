"""Whole-refresh benchmark: `mlcost refresh` of the demo exports with a CUR 2.0 month of N line items, on
a fresh warehouse and Dagster home, against a bare DuckDB load of the same files, in turn.

Prints one line (medians over the rounds; the ratio is the median of each round's pair):
    BENCH refresh rows=N refresh_s=X duckdb_load_s=Y ratio=X/Y startup_s=… ingest_s=… dbt_s=… publish_s=…
    other_s=… peak_rss_mb=M
then the CPU seconds of both (all threads, every process: on a machine shared with other work they move
less than wall times) and what the warehouse takes on disk, then each round's phases as JSON. Both are whole processes, timed from their
start to their exit. The refresh's phases are read from its own Dagster runs (step start and end events):

- startup: process start to the first ingest step (imports, loading the definitions, the instance,
  discovery, the run's set-up), before any line item is read;
- ingest: the first ingest step's start to the last one's end (every billing period, one run each);
- dbt: the dbt build step (models, tests, the marts' figures);
- publish: the step that copies the marts into the read-only file;
- other: the rest (the build run's other steps, the alert ledger, the cost report, the exit).

peak_rss_mb is the largest sum of the resident memory of the refresh's whole process tree (itself and
dbt), sampled every 50 ms. Targets (docs/benchmarks.md): ratio <= 2.5 at 5,000,000 rows. Run with
`make bench-refresh`; BENCH_ROWS (default 5,000,000), BENCH_ROUNDS (default 3) and BENCH_DIR override.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.bench_ingest import REPO, WORK, demo_exports

ROWS = int(os.environ.get("BENCH_ROWS", "5000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# Settings that would make the refresh read other sources or write elsewhere: the benchmark's own only.
UNSET = (
    "SAGEMAKER_REGIONS",
    "PREDICTION_LOGS_URI",
    "BEDROCK_REGIONS",
    "BEDROCK_INVOCATION_LOGS_URI",
    "MARTS_READ_PATH",
    "MLCOST_REPORT_PATH",
    "MLCOST_AS_OF_DATE",
    "SLACK_BOT_TOKEN",
)

LOAD = """
import sys
import duckdb
conn = duckdb.connect(sys.argv[2])
conn.execute("create table line_items as select * from read_parquet($files, union_by_name = true)",
             {"files": sys.argv[1].split("\\n")})
print(conn.execute("select count(*) from line_items").fetchone()[0])
conn.close()
"""


class Process:
    """A child process run to its end: wall seconds from start to exit, CPU seconds of it and every
    process it waited for, and the peak of its whole tree's resident memory."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        self.peak_rss = 0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.started_at = time.time()
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sampler = threading.Thread(target=self._sample, args=(proc.pid,), daemon=True)
        sampler.start()
        self.stdout, self.stderr = proc.communicate()
        self.seconds = time.perf_counter() - started
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} exited {proc.returncode}:\n{self.stdout}\n{self.stderr}")

    def _sample(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
            while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
                total = 0
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                self.peak_rss = max(self.peak_rss, total)
                time.sleep(0.05)
        except psutil.NoSuchProcess:
            pass


def phases(home: Path, started_at: float, total: float) -> dict[str, float]:
    """The refresh's phases in seconds, from the step events of the runs it recorded in `home`."""
    import dagster as dg

    steps: dict[tuple[str, str], list[float]] = {}
    jobs: dict[str, str] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run in instance.get_runs():
            jobs[run.run_id] = run.job_name
            for entry in instance.all_logs(run.run_id):
                event = entry.dagster_event
                if event is None or event.step_key is None:
                    continue
                if event.event_type in (
                    dg.DagsterEventType.STEP_START,
                    dg.DagsterEventType.STEP_SUCCESS,
                    dg.DagsterEventType.STEP_FAILURE,
                ):
                    steps.setdefault((run.run_id, event.step_key), []).append(entry.timestamp)
    ingest = [t for (run_id, _), ts in steps.items() if jobs[run_id] == "ingest_billing" for t in ts]
    build = {key: ts for (run_id, key), ts in steps.items() if jobs[run_id] == "build_warehouse"}

    def span(fragment: str) -> float:
        """The step's seconds; NaN when it did not run (a failed build skips publish)."""
        times = [t for key, ts in build.items() if fragment in key for t in ts]
        return max(times) - min(times) if times else float("nan")

    split = {
        "startup": min(ingest) - started_at,
        "ingest": max(ingest) - min(ingest),
        "dbt": span("mlcost_dbt_models"),
        "publish": span("marts_snapshot"),
    }
    split["other"] = total - sum(v for v in split.values() if v == v)  # NaN != NaN
    return split


def refresh(exports: Path, run_dir: Path) -> tuple[Process, dict[str, float], int]:
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        CUR_EXPORT_URI=str(exports),
        WAREHOUSE_PATH=str(run_dir / "warehouse.duckdb"),
        DAGSTER_HOME=str(run_dir / "dagster_home"),
    )
    proc = Process([str(Path(sys.executable).parent / "mlcost"), "refresh"], env)
    if "FAILED" in proc.stdout:
        raise RuntimeError(f"mlcost refresh reported a failure:\n{proc.stdout}")
    disk = sum(p.stat().st_size for p in run_dir.glob("*.duckdb*") if p.is_file())
    return proc, phases(run_dir / "dagster_home", proc.started_at, proc.seconds), disk


def bare_load(files: list[str], path: Path) -> tuple[Process, int]:
    for suffix in ("", ".wal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    proc = Process([sys.executable, "-c", LOAD, "\n".join(files), str(path)])
    return proc, int(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    from pipelines.lib.billing.discovery import discover
    from pipelines.lib.billing.store import open_store

    exports = demo_exports(ROWS)
    # The refresh loads every period the exports hold (the scaled month and the demo's two small ones).
    periods = discover(open_store(str(exports))).periods.values()
    files = [str(exports / f.path) for p in periods for f in p.files]
    rounds = []
    for number in range(1, ROUNDS + 1):
        run, split, disk = refresh(exports, WORK / f"refresh-{ROWS}")
        load, rows = bare_load(files, WORK / f"bare_load-{ROWS}.duckdb")
        rounds.append({"refresh": run, "split": split, "load": load, "disk": disk, "rows": rows})
        print(
            f"round {number}/{ROUNDS}: refresh {run.seconds:.1f}s (cpu {run.cpu:.1f}s, peak "
            f"{run.peak_rss / 2**20:.0f} MB; {', '.join(f'{k} {v:.1f}s' for k, v in split.items())}), "
            f"bare load {load.seconds:.1f}s (cpu {load.cpu:.1f}s), load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    def median(values) -> float:
        return statistics.median(list(values))

    split = {k: median(r["split"][k] for r in rounds) for k in rounds[0]["split"]}
    print(
        f"BENCH refresh rows={rounds[0]['rows']} refresh_s={median(r['refresh'].seconds for r in rounds):.2f} "
        f"duckdb_load_s={median(r['load'].seconds for r in rounds):.2f} "
        f"ratio={median(r['refresh'].seconds / r['load'].seconds for r in rounds):.2f} "
        + " ".join(f"{k}_s={v:.2f}" for k, v in split.items())
        + f" peak_rss_mb={median(r['refresh'].peak_rss for r in rounds) / 2**20:.0f}"
    )
    print(
        f"(cpu seconds, all threads and processes: refresh {median(r['refresh'].cpu for r in rounds):.1f}, "
        f"duckdb_load {median(r['load'].cpu for r in rounds):.1f}, "
        f"ratio {median(r['refresh'].cpu / r['load'].cpu for r in rounds):.2f}; "
        f"bare load peak {median(r['load'].peak_rss for r in rounds) / 2**20:.0f} MB; warehouse and its "
        f"read copy {rounds[-1]['disk'] / 2**20:.0f} MB on disk; {len(rounds)} rounds; "
        f"DUCKDB_MEMORY_LIMIT={os.environ.get('DUCKDB_MEMORY_LIMIT') or '1GB (default)'})"
    )
    print(json.dumps({"rounds": [{**r["split"], "refresh_s": r["refresh"].seconds} for r in rounds]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
