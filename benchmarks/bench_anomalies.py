"""Anomaly benchmark: recall and precision of marts.cost_anomalies on planted spikes.

Runs `mlcost demo` (7 months of demo data as of 2026-12-01, spikes planted with their ground truth)
in its own folder, then compares marts.cost_anomalies with the ground truth
(sql/accuracy/select_planted_anomaly_accuracy.sql). Prints one line:
    BENCH anomalies planted=N found=F recall=R flagged=M right=P precision=Q
then the spikes missed and the increases flagged that no spike explains. Targets (docs/alerts.md):
recall >= 0.90, precision >= 0.80. Run with `make bench-anomalies`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("BENCH_DIR", REPO / ".bench")) / "anomalies"
AS_OF, MONTHS = "2026-12-01", "7"


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(WORK / "warehouse.duckdb"),
        "DAGSTER_HOME": str(WORK / "dagster_home"),
        "CUR_EXPORT_URI": str(WORK / "exports"),
    }
    env = {k: v for k, v in env.items() if not k.startswith(("ALERTS_", "SLACK_"))}
    log = WORK / "demo.log"
    with log.open("w") as out:
        demo = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "demo", "--as-of", AS_OF, "--months", MONTHS],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if demo.returncode != 0:
        print(f"bench_anomalies: mlcost demo failed (exit {demo.returncode}); see {log}", file=sys.stderr)
        return 1
    query = (REPO / "sql" / "accuracy" / "select_planted_anomaly_accuracy.sql").read_text()
    with duckdb.connect(str(WORK / "warehouse.duckdb"), read_only=True) as conn:
        planted, found, flagged, right, missed, unplanted = conn.execute(
            query, {"truth": str(WORK / "exports" / "planted_anomalies.json")}
        ).fetchone()
    recall = found / planted if planted else float("nan")
    precision = right / flagged if flagged else float("nan")
    print(
        f"BENCH anomalies planted={planted} found={found} recall={recall:.2f} "
        f"flagged={flagged} right={right} precision={precision:.2f}"
    )
    print(f"  missed: {missed or 'none'}")
    print(f"  flagged without a planted spike: {unplanted or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
