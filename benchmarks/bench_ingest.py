"""Ingestion benchmark: a CUR 2.0 month of N line items, ingested vs. a bare DuckDB CTAS of the same files.

Prints one line:
    BENCH ingest rows=N ingest_s=X duckdb_ctas_s=Y ratio=X/Y peak_rss_mb=M
Targets (docs/benchmarks.md): ratio <= 1.5, peak RSS <= 2,048 MB. Each phase runs in its own process so
its peak memory is its own. A second line gives the CPU seconds of each phase (all threads): on a machine
shared with other work they move less than the wall times do. Run with `make bench` (BENCH_ROWS overrides
the 5,000,000 default).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("BENCH_DIR", REPO / ".bench"))
ROWS = int(os.environ.get("BENCH_ROWS", "5000000"))

INGEST = """
import json, resource, sys, time
import duckdb
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store
store = open_store(sys.argv[1])
period = discover(store).period(sys.argv[2])
conn = duckdb.connect(sys.argv[3])
started, cpu = time.perf_counter(), time.process_time()
result = load_period(conn, store, period, force=True)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
conn.close()
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": result.row_count,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CTAS = """
import json, resource, sys, time
import duckdb
files = json.loads(sys.argv[1])
conn = duckdb.connect(sys.argv[2])
started, cpu = time.perf_counter(), time.process_time()
conn.execute("create table line_items as select * from read_parquet($files)", {"files": files})
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
rows = conn.execute("select count(*) from line_items").fetchone()[0]
conn.close()
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=REPO
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def demo_exports(rows: int) -> Path:
    """The demo's CUR 2.0 exports with the latest closed month scaled to `rows` line items, under
    BENCH_DIR/exports-<rows>: generated once (`mlcost demo-data --rows`), then reused."""
    from pipelines.demo.exports import write_demo_exports

    exports = WORK / f"exports-{rows}"
    if not (exports / ".complete").exists():
        shutil.rmtree(exports, ignore_errors=True)
        started = time.perf_counter()
        write_demo_exports(exports, seed=7, formats=["cur2"], rows=rows)
        (exports / ".complete").write_text("ok")
        print(f"generated {rows:,} line items in {time.perf_counter() - started:.1f}s under {exports}")
    return exports


def main() -> int:
    from pipelines.lib.billing.discovery import discover
    from pipelines.lib.billing.store import open_store

    exports = demo_exports(ROWS)
    store = open_store(str(exports))
    period = max(discover(store).periods.values(), key=lambda p: sum(f.size for f in p.files))
    files = [str(exports / f.path) for f in period.files]

    results = {}
    for name, code, args in (
        ("ingest", INGEST, (str(exports), period.partition_key, str(WORK / "ingest.duckdb"))),
        ("ctas", CTAS, (json.dumps(files), str(WORK / "ctas.duckdb"))),
    ):
        for suffix in ("", ".wal"):
            Path(str(args[-1]) + suffix).unlink(missing_ok=True)
        results[name] = child(code, *args)
    ingest, ctas = results["ingest"], results["ctas"]
    ratio = ingest["seconds"] / ctas["seconds"]
    print(
        f"BENCH ingest rows={ingest['rows']} ingest_s={ingest['seconds']:.2f} "
        f"duckdb_ctas_s={ctas['seconds']:.2f} ratio={ratio:.2f} peak_rss_mb={ingest['rss_mb']:.0f}"
    )
    print(
        f"(ctas rows={ctas['rows']} ctas_peak_rss_mb={ctas['rss_mb']:.0f}, period {period.partition_key}; "
        f"cpu seconds, all threads: ingest {ingest['cpu']:.2f}, duckdb_ctas {ctas['cpu']:.2f}, "
        f"ratio {ingest['cpu'] / ctas['cpu']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
