"""Month-end forecast: the SQL method (intermediate.int_budget_forecasts) against statsforecast.

Builds the 7-month demo warehouse (`mlcost demo-data --months 7 --as-of 2026-12-01`, seed 7, then
`mlcost refresh`; kept under .bench/forecast and rebuilt when the models or the demo change). For the
budgets, closed months and as-of dates of marts.budget_forecast_backtest (with at least 28 days of
history, as sql/forecast/select_forecast_backtest_summary.sql counts them), forecasts the rest of the
month with statsforecast (season_length=7): AutoETS as it comes, and AutoETS+jobs (AutoETS on the
usage up to the weekday medians, sporadic jobs drawn at the rate they occurred, as the SQL method
counts them); AutoARIMA on request (about 1.5 s a fit: with BENCH_FORECAST_DAYS). Everything but the
daily usage still to come is the SQL method's own figure: usage to date and the month-level charges
expected (billed in the month once arrived, else last month's). A model's 80% interval of the month
is the 10th to 90th percentile of the remaining days' sum over its simulated paths (per-day intervals
do not add up; summed, their coverage is printed for reference).

Prints, per method side by side: absolute month-end error % by days of data and interval coverage,
the worst case per budget from day 4 and day 8, an overall line, forecast alerts for thresholds
around the month's final cost, and the runtime (first call, fitting, forecasting and simulating). The
SQL method's rows come straight from marts.budget_forecast_backtest. docs/forecasting.md quotes the
figures. Run with `make bench-forecast`; BENCH_FORECAST_MODELS (AutoETS,AutoETS+jobs; AutoARIMA too),
BENCH_FORECAST_PATHS (500) and BENCH_FORECAST_DAYS (every day; e.g. 0,4,8,15) override the defaults.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np

from pipelines.lib import sql

REPO = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("BENCH_DIR", REPO / ".bench")) / "forecast"
AS_OF = dt.date(2026, 12, 1)
MONTHS = 7
SEED = 7
SQL_METHOD = "SQL weekday medians"
MODELS = [
    m.strip() for m in os.environ.get("BENCH_FORECAST_MODELS", "AutoETS,AutoETS+jobs").split(",") if m.strip()
]
PATHS = int(os.environ.get("BENCH_FORECAST_PATHS", "500"))
# Only these days of data (e.g. 0,4,8,15), every method alike: a quicker replay of a slow model.
DAYS = [int(d) for d in os.environ.get("BENCH_FORECAST_DAYS", "").split(",") if d.strip()]
# What the warehouse is built from: a change to any of these rebuilds it.
BUILD_INPUTS = ("dbt_project/models", "dbt_project/macros", "dbt_project/dbt_project.yml", "budgets.yml",
                "pipelines/demo", "pipelines/lib/billing")  # fmt: skip


def _inputs_digest() -> str:
    digest = hashlib.sha256(f"{AS_OF} {MONTHS} {SEED}".encode())
    for name in BUILD_INPUTS:
        root = REPO / name
        for path in sorted(root.rglob("*") if root.is_dir() else [root]):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def build_warehouse() -> Path:
    """The demo warehouse of 7 months as of 2026-12-01, built as a user would (demo-data, refresh)."""
    warehouse = WORK / "warehouse.duckdb"
    stamp = WORK / ".complete"
    digest = _inputs_digest()
    if stamp.exists() and stamp.read_text() == digest and warehouse.exists():
        print(f"warehouse {warehouse} (up to date with the models and the demo)")
        return warehouse
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    started = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_", "CLOUDWATCH_"))}
    env.pop("PREDICTION_LOGS_URI", None)
    env.update(
        WAREHOUSE_PATH=str(warehouse),
        DAGSTER_HOME=str(WORK / "dagster_home"),
        CUR_EXPORT_URI=str(WORK / "exports"),
        MLCOST_AS_OF_DATE=AS_OF.isoformat(),
    )
    cli = [sys.executable, "-m", "pipelines.cli"]
    for command in (
        ["demo-data", str(WORK / "exports"), "--months", str(MONTHS), "--as-of", AS_OF.isoformat(),
         "--seed", str(SEED)],
        ["refresh"],
    ):  # fmt: skip
        done = subprocess.run(cli + command, cwd=REPO, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"mlcost {command[0]} failed:\n{done.stdout}{done.stderr}")
    stamp.write_text(digest)
    print(f"built {warehouse} in {time.perf_counter() - started:.0f}s")
    return warehouse


class Series(NamedTuple):
    case_id: str
    usage: np.ndarray  # daily usage, the bill's first day to the as-of date
    regular: np.ndarray  # the same, capped at the weekday medians
    horizon: int  # days remaining in the month


def remaining_usage(
    model, y: np.ndarray, horizon: int, paths: int, seed: int = 0, excess: np.ndarray | None = None
) -> dict[str, float]:
    """The sum of the next `horizon` days of daily usage from a statsforecast model fitted on `y`.

    remaining: the sum of the mean forecasts; remaining_low/high: the 10th and 90th percentiles of the
    sum over `paths` simulated paths (the 80% interval of the sum); steps_low/high: the per-day 80%
    intervals summed (too wide: they assume every day misses the same way). A day's usage is never
    below zero, so forecasts and paths are floored at zero day by day.

    excess: with `y` the regular usage only (up to the weekday medians), the spend above them on the
    last days (sporadic jobs). Each remaining day then adds its mean to the point, and each simulated
    day a day drawn from it: jobs at the rate they occurred, never a job's day taken as the new level.
    """
    model.fit(y)
    predicted = model.predict(h=horizon, level=[80])
    sums = np.clip(model.simulate(h=horizon, n_paths=paths, seed=seed), 0, None).sum(axis=1)
    jobs = 0.0
    if excess is not None:
        jobs = float(excess.mean()) * horizon
        sums = sums + np.random.default_rng(seed).choice(excess, size=(paths, horizon)).sum(axis=1)
    low, high = np.quantile(sums, [0.1, 0.9])
    return {
        "remaining": float(np.clip(predicted["mean"], 0, None).sum()) + jobs,
        "remaining_low": float(low),
        "remaining_high": float(high),
        "steps_low": float(np.clip(predicted["lo-80"], 0, None).sum()) + jobs,
        "steps_high": float(np.clip(predicted["hi-80"], 0, None).sum()) + jobs,
    }


# The window int_budget_forecasts averages sporadic jobs over (forecast_excess_window_days).
EXCESS_WINDOW_DAYS = 91


def model_factory(name: str) -> Callable[[], object]:
    """AutoETS, AutoARIMA, ...: statsforecast's model of that name with a weekly season. A name ending
    in +jobs fits it on the regular usage and adds sporadic jobs as remaining_usage describes."""
    from statsforecast import models

    model = getattr(models, name.removesuffix("+jobs"))
    return lambda: model(season_length=7)


def fit_model(name: str, series: list[Series]) -> tuple[list[dict], dict[str, float]]:
    """Every case's remaining usage by one model, and how long it took (the first call apart)."""
    started = time.perf_counter()
    make = model_factory(name)
    jobs = name.endswith("+jobs")
    warm = np.tile([5.0, 6, 7, 6, 5, 1, 1], 6)
    remaining_usage(make(), warm, 7, 10)  # imports and first-call set-up, timed apart
    first_call = time.perf_counter() - started
    rows, fit_s, simulate_s = [], 0.0, 0.0
    for case in series:
        y = case.regular if jobs else case.usage
        excess = (case.usage - case.regular)[-EXCESS_WINDOW_DAYS:] if jobs else None
        model = make()
        clock = time.perf_counter()
        model.fit(y)
        fit_s += time.perf_counter() - clock
        clock = time.perf_counter()
        rows.append(
            {"case_id": case.case_id, **remaining_usage(model, y, case.horizon, PATHS, excess=excess)}
        )
        simulate_s += time.perf_counter() - clock
    timings = {"first_call_s": first_call, "fit_s": fit_s, "forecast_and_simulate_s": simulate_s}
    return rows, timings


def cached_model_results(name: str, series) -> tuple[list[dict], dict[str, float]]:
    """fit_model's results, kept beside the warehouse they came from (BENCH_FORECAST_REFIT=1 refits)."""
    days = f"-days-{'_'.join(map(str, DAYS))}" if DAYS else ""
    cache = WORK / f"results-{name}-{PATHS}{days}.json"
    if cache.exists() and not os.environ.get("BENCH_FORECAST_REFIT"):
        saved = json.loads(cache.read_text())
        print(f"{name}: results of {saved['written']} reused ({cache.name}; BENCH_FORECAST_REFIT=1 refits)")
        return saved["rows"], saved["timings"]
    rows, timings = fit_model(name, series)
    written = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    cache.write_text(json.dumps({"written": written, "rows": rows, "timings": timings}))
    return rows, timings


def compile_sql_method(warehouse: Path) -> str:
    """int_budget_forecasts as dbt runs it, compiled once per warehouse build (dbt opens the file for
    writing: before the benchmark, or another one running, holds it)."""
    target = WORK / "dbt_target"
    done_before = sorted((target / "compiled").rglob("int_budget_forecasts.sql"))
    if done_before:
        return done_before[0].read_text()
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse), "MLCOST_AS_OF_DATE": AS_OF.isoformat()}
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "compile", "--quiet", "--select", "int_budget_forecasts", "--profiles-dir", ".",
         "--target-path", str(target)],
        cwd=REPO / "dbt_project", env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"dbt compile failed:\n{done.stdout}{done.stderr}")
    return next((target / "compiled").rglob("int_budget_forecasts.sql")).read_text()


def sql_method_seconds(conn: duckdb.DuckDBPyConnection, compiled: str) -> float:
    """How long the SQL method takes to forecast every budget as of every day of the bill: its
    compiled model run again on the same warehouse, into a temporary table."""
    started = time.perf_counter()
    conn.execute(f"create temp table sql_method_replay as {compiled}")  # noqa: S608 (dbt's own SQL)
    return time.perf_counter() - started


def usage_series(conn: duckdb.DuckDBPyConnection) -> list[Series]:
    """Every benchmarked case's daily usage up to its as-of date."""
    data = conn.execute(sql.load("bench/select_forecast_bench_usage")).fetchnumpy()
    ids = data["case_id"]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    return [
        Series(str(ids[a]), np.asarray(data["cost"][a:b], dtype=float),
               np.asarray(data["regular_cost"][a:b], dtype=float), int(data["days_remaining"][a]))
        for a, b in zip(starts, ends, strict=True)
    ]  # fmt: skip


def add_forecasts(conn: duckdb.DuckDBPyConnection, results: dict[str, list[dict]]) -> None:
    """bench_forecasts: every case of bench_cases forecast by the SQL method (its own figures) and by
    each model (the cost known as of the case's day plus the model's remaining usage)."""
    conn.execute(sql.load("bench/create_forecast_bench_forecasts"), {"method": SQL_METHOD})
    for name, rows in results.items():
        conn.register("model_results", {key: np.array([row[key] for row in rows]) for key in rows[0]})
        conn.execute(sql.load("bench/insert_forecast_bench_model"), {"method": name})
        conn.unregister("model_results")


def print_table(title: str, cursor: duckdb.DuckDBPyConnection, skip: tuple[str, ...] = ()) -> None:
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    keep = [i for i, c in enumerate(columns) if c not in skip]
    print(f"\n{title}")
    print("| " + " | ".join(columns[i] for i in keep) + " |")
    print("|" + "---|" * len(keep))
    for row in rows:
        print("| " + " | ".join("-" if row[i] is None else str(row[i]) for i in keep) + " |")


def main() -> int:
    warehouse = build_warehouse()
    compiled = compile_sql_method(warehouse)
    conn = duckdb.connect()
    conn.execute(f"attach {sql.sql_path(warehouse)} as warehouse (read_only)")
    conn.execute("use warehouse")
    conn.execute(sql.load("bench/create_forecast_bench_cases"), {"days_of_data": DAYS})
    mismatches = conn.execute(sql.load("bench/select_forecast_bench_mismatches")).fetchall()
    if mismatches:
        sys.exit(
            f"the SQL forecast is not known cost + remaining usage for {len(mismatches)} case(s): {mismatches[0]}"
        )
    runtimes = {SQL_METHOD: {"all as-of days of all budgets (dbt model)": sql_method_seconds(conn, compiled)}}

    series = usage_series(conn)
    only = f" (days of data {', '.join(map(str, DAYS))} only)" if DAYS else ""
    print(
        f"{len(series)} forecasts to replay{only}; models {', '.join(MODELS)}, {PATHS} simulated paths each"
    )
    results = {}
    for name in MODELS:
        results[name], runtimes[name] = cached_model_results(name, series)
    add_forecasts(conn, results)

    print_table("Absolute month-end error % by days of data, 80% interval coverage",
                conn.execute(sql.load("bench/select_forecast_bench_errors")))  # fmt: skip
    print_table("Worst month-end error per budget (% of the month)",
                conn.execute(sql.load("bench/select_forecast_bench_budgets")))  # fmt: skip
    print_table("Overall", conn.execute(sql.load("bench/select_forecast_bench_overall")))
    print_table("Forecast alerts (from day 5) for a threshold relative to the month's final cost",
                conn.execute(sql.load("bench/select_forecast_bench_alerts")))  # fmt: skip
    print("\nRuntime (s)")
    for method, timings in runtimes.items():
        print(f"  {method}: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
