"""`mlcost demo`: the whole pipeline offline on generated demo data, ending with a printed summary.

Billing exports are generated under CUR_EXPORT_URI (default .demo/exports), with one-day cost spikes
planted every nine days or so (their ground truth in planted_anomalies.json beside them), the last on
the bill's last complete day, so the demo has an anomaly to announce. SageMaker metadata and
CloudWatch metrics are served by a moto server started in this process on 127.0.0.1 and read through
the same boto3 code as production; prediction logs are written beside the exports. The demo never
calls AWS: it points boto3 at its own moto server for this process only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

from pipelines.commands import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline offline on generated demo data and print a summary",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seed", type=int, default=7, help="demo data seed (default 7)")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="YYYY-MM-DD, 'today' for the demo and its alerts (default: today, UTC, from the 12th of a "
        "month; before that the 15th of last month, so the open month has at least ten days of data)",
    )
    parser.add_argument(
        "--months", type=int, default=3, help="billing periods of demo data, the last one open (default 3)"
    )
    parser.add_argument(
        "--granularity",
        choices=["daily", "hourly"],
        default="daily",
        help="usage lines per day (default) or per hour in the demo's CUR 2.0 export (hourly: ~24x the rows)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also print each run's log and dbt's progress (as MLCOST_LOG_LEVEL=INFO does)",
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    from moto.server import ThreadedMotoServer

    from pipelines.defs.refresh import refresh, run_jobs, shows_run_output
    from pipelines.demo import moto_inference_components
    from pipelines.demo.aws_seed import (
        demo_role_arns,
        retire_demo_endpoints,
        seed_demo_aws,
        write_demo_prediction_logs,
    )
    from pipelines.demo.catalog import build_catalog
    from pipelines.demo.exports import GROUND_TRUTH_FILE, write_demo_exports
    from pipelines.lib import settings
    from pipelines.lib.report import report_path

    settings.apply_defaults()
    if args.verbose:
        os.environ["MLCOST_LOG_LEVEL"] = "INFO"
    verbose = shows_run_output()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    as_of = args.as_of or default_as_of(dt.datetime.now(dt.UTC).date())
    # The build decides alerts as of this day (dbt var as_of_date, through dbt_project.yml).
    os.environ["MLCOST_AS_OF_DATE"] = as_of.isoformat()
    exports = os.environ.get("CUR_EXPORT_URI") or str(Path(".demo/exports").resolve())
    if "://" in exports:
        raise CommandError(
            f"CUR_EXPORT_URI={exports!r}: the demo writes its exports to a local folder; unset it"
        )
    exports_dir = Path(exports).resolve()
    demo_dir = exports_dir.parent
    os.environ["CUR_EXPORT_URI"] = str(exports_dir)
    refuse_a_real_warehouse(settings.warehouse_path(), exports_dir)

    print(f"mlcost demo: seed {args.seed}, as of {as_of}")
    print(f"  warehouse     {os.environ['WAREHOUSE_PATH']}")
    print(f"  dagster home  {os.environ['DAGSTER_HOME']}")
    written = write_demo_exports(
        exports_dir,
        seed=args.seed,
        as_of=as_of,
        months=args.months,
        formats=["cur2"],
        anomalies=True,
        granularity=args.granularity,
    )
    for summary in written.values():
        print(f"  exports       {summary.line()}")
    print(f"  anomalies     planted spikes listed in {exports_dir / GROUND_TRUTH_FILE}")
    drop_periods_no_longer_delivered(
        settings.warehouse_path(), {p for summary in written.values() for p in summary.periods}
    )

    catalog = build_catalog(seed=args.seed, as_of=as_of, months=args.months)
    moto_inference_components.install()  # moto has no inference component API (see the module)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # This process only: boto3 talks to the local moto server with throwaway credentials.
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="demo",
            AWS_SECRET_ACCESS_KEY="demo",
            AWS_DEFAULT_REGION=catalog.regions[0],
            SAGEMAKER_REGIONS=",".join(catalog.regions),
            AWS_ROLE_ARNS=",".join(demo_role_arns(catalog)),
            PREDICTION_LOGS_URI=str(demo_dir / "prediction_logs"),
            # Re-read CloudWatch for the whole open month (late data), as a first install would; the
            # lookback counts back from today, which is later than as_of when as_of is in last month.
            CLOUDWATCH_LOOKBACK_DAYS=os.environ.get("CLOUDWATCH_LOOKBACK_DAYS")
            or str(max(as_of.day, (dt.datetime.now(dt.UTC).date() - as_of.replace(day=1)).days)),
            # The demo's metadata names every endpoint; moto's ListMetrics is slow on many datapoints.
            CLOUDWATCH_LIST_METRICS="false",
        )
        os.environ.pop("AWS_PROFILE", None)
        seeded = seed_demo_aws(catalog, endpoint)
        logs = write_demo_prediction_logs(catalog, demo_dir / "prediction_logs")
        datapoints = sum(v for k, v in seeded.items() if k.endswith("_datapoints"))
        resources = sum(v for k, v in seeded.items() if not k.endswith("_datapoints"))
        print(
            f"  aws (moto)    {endpoint}: {resources:,} SageMaker resources, {datapoints:,} CloudWatch datapoints"
        )
        print(f"  predictions   {len(logs)} prediction log file(s) under {demo_dir / 'prediction_logs'}")
        print("  running       ingest, dbt build and publish as Dagster runs (a few minutes) ...", flush=True)

        report = refresh(build=False, echo=lambda line: print(line, flush=True) if verbose else None)
        # Endpoints the catalog deleted part-way disappear from AWS; the next ingest keeps their history.
        retired = retire_demo_endpoints(catalog, endpoint)
        run_jobs(["ingest_sagemaker", "build_warehouse"] if retired else ["build_warehouse"], report)
    finally:
        server.stop()
    ok = [line for line in report.lines if ": ok (" in line]
    for line in report.lines if verbose else [line for line in report.lines if line not in ok]:
        print(f"  {line}")
    if report.failures:
        print(f"mlcost demo: {len(report.failures)} problem(s), see above and the runs in the Dagster UI")
        return 1
    print(f"  runs          {len(ok)} ok (logs in the Dagster UI: make dev)")
    for line in summary_lines():
        print(line)
    print_alerts()
    print(f"\nCost report (opens offline in a browser): {report_path()}")
    return 0


def drop_periods_no_longer_delivered(warehouse: Path, delivered: set[str]) -> None:
    """A demo run on another day (another as-of) writes other months: periods an earlier demo run
    loaded that this run's export does not deliver (YYYY-MM) are dropped, so the demo's bill is
    only this run's."""
    from pipelines.defs.refresh import drop_billing_periods
    from pipelines.lib.billing.loads import loaded_periods
    from pipelines.lib.warehouse import open_read_only

    if not warehouse.exists():
        return
    conn = open_read_only(warehouse)
    try:
        loaded = sorted({p.billing_period for p in loaded_periods(conn)})
    finally:
        conn.close()
    stale = [d for d in loaded if d.strftime("%Y-%m") not in delivered]
    if not stale:
        return
    months = ", ".join(d.strftime("%Y-%m") for d in stale)
    print(f"  earlier demo  {months} no longer in the demo's export: dropped")
    report = drop_billing_periods([d.isoformat() for d in stale])
    if report.failures:
        raise CommandError(f"could not drop {months} left by an earlier demo run: {'; '.join(report.lines)}")


def refuse_a_real_warehouse(warehouse: Path, exports_dir: Path) -> None:
    """The demo shares the default warehouse with `mlcost refresh` (so the UI, `mlcost sql` and the
    demo show the same data) but never adds its generated bill to one that holds a real bill."""
    import duckdb

    from pipelines.lib import sql

    if not warehouse.exists():
        return
    try:
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            if not conn.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'billing_loads'"
            ).fetchone()[0]:
                return
            found = conn.execute(
                sql.load("ingest/select_billing_files_outside_folder"), {"exports_root": f"{exports_dir}/"}
            ).fetchone()
    except duckdb.IOException:
        return  # a writer has it open: the refresh waits for it and says so
    if found:
        raise CommandError(
            f"{warehouse} holds billing data loaded from {found[0]}, not from the demo's exports "
            f"({exports_dir}): the demo does not add its made-up bill to it. Run it with WAREHOUSE_PATH "
            "and DAGSTER_HOME set to another place."
        )


def default_as_of(today: dt.date) -> dt.date:
    """A day inside an open month with at least ten complete days of data (the bill lags a day or
    two): today from the 12th, else the 15th of last month."""
    if today.day >= 12:
        return today
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)


# How a summary column is shown: money in the row's billing_currency, a percentage, a count, or text.
MONEY, PERCENT, COUNT, TEXT = "money", "percent", "count", "text"


def _query(name: str):
    from pipelines.lib import sql
    from pipelines.lib.warehouse import connect

    with connect(read_only=True) as conn:
        cursor = conn.execute(sql.load(name))
        return [d[0] for d in cursor.description], cursor.fetchall()


def cell(value, kind: str, currency: str | None = None) -> str:
    from pipelines.lib.formatting import count, money, percent

    if value is None:
        return "-"
    if kind == MONEY:
        return money(value, currency)
    if kind == PERCENT:
        return percent(value)
    if kind == COUNT:
        return count(int(value))
    return str(value)


def table_lines(title: str, query: str, columns: list[tuple[str, str, str]], limit: int) -> list[str]:
    """A titled table of `query`'s first `limit` rows (sql/queries/<query>.sql): `columns` are
    (column, header, kind); money is shown in the row's billing_currency. Says how many rows are left
    out and how to see them."""
    names, rows = _query(f"queries/{query}")
    index = {name: i for i, name in enumerate(names)}
    cells = [
        [
            cell(
                row[index[name]],
                kind,
                row[index["billing_currency"]] if "billing_currency" in index else None,
            )
            for name, _, kind in columns
        ]
        for row in rows[:limit]
    ]
    headers = [header for _, header, _ in columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    right = [kind != TEXT for _, _, kind in columns]

    def line(values):
        return (
            "  "
            + "  ".join(
                v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
            ).rstrip()
        )

    lines = ["", title, line(headers)] + [line(row) for row in cells]
    if not rows:
        lines.append("  (none)")
    if len(rows) > limit:
        lines.append(f"  ... {len(rows) - limit} more: mlcost sql -f sql/queries/{query}.sql")
    return lines


def headline_lines() -> list[str]:
    """The open month in one line: its cost, the share no model owns, budgets at risk, anomalies."""
    from pipelines.lib.formatting import money, percent
    from pipelines.lib.mart_figures import mart_figures
    from pipelines.lib.warehouse import connect

    with connect(read_only=True) as conn:
        figures = mart_figures(conn)
    cost, budgets, anomalies = (
        figures["cost_by_model"],
        figures["budget_projection"],
        figures["cost_anomalies"],
    )
    if "open_month" not in cost:
        return ["", "No cost in the warehouse yet."]
    parts = [
        f"{money(cost['open_month_effective_cost'], cost['billing_currency'])} amortized",
        f"{percent(cost.get('unattributed_pct'))} with no model",
    ]
    if budgets:
        parts.append(
            f"{budgets['budgets_critical']} of {budgets['budgets']} budgets critical, {budgets['budgets_warning']} warning"
        )
    parts.append(f"{anomalies.get('open_month_anomalies', 0)} cost anomalies")
    return ["", f"This month ({cost['open_month'][:7]}): " + ", ".join(parts)]


def summary_lines() -> list[str]:
    """The demo's summary from the published marts, one screen: the month's headline, then the top
    models, endpoints, Bedrock models and budgets (each shortened, with the query that shows all)."""
    return [
        *headline_lines(),
        *table_lines(
            "Top models by effective (amortized) cost, all months",
            "top_models",
            [
                ("model_name", "model", TEXT),
                ("effective_cost", "effective", MONEY),
                ("billed_cost", "billed", MONEY),
            ],
            limit=5,
        ),
        *table_lines(
            "Cost per 1,000 predictions by endpoint (days with a complete bill)",
            "cost_per_1k_predictions",
            [
                ("endpoint_name", "endpoint", TEXT),
                ("predictions", "predictions", COUNT),
                ("inference_cost", "cost", MONEY),
                ("cost_per_1k_predictions", "per 1,000", MONEY),
                ("idle_pct", "idle", PERCENT),
            ],
            limit=5,
        ),
        *table_lines(
            "Cost per 1,000 Bedrock tokens by model and application",
            "bedrock_cost_per_1k_tokens",
            [
                ("model_name", "model", TEXT),
                ("application", "application", TEXT),
                ("pricing_model", "pricing", TEXT),
                ("cost_per_1k_tokens", "per 1,000 tokens", MONEY),
            ],
            limit=5,
        ),
        *table_lines(
            "Budgets, latest billing period",
            "budget_status",
            [
                ("budget_name", "budget", TEXT),
                ("budget_amount", "amount", MONEY),
                ("actual_cost", "actual", MONEY),
                ("projected_cost", "projected", MONEY),
                ("projected_pct", "projected %", PERCENT),
                ("status", "status", TEXT),
            ],
            limit=6,
        ),
        *table_lines(
            "Recommendations, latest billing period",
            "recommendations",
            [
                ("recommendation_type", "recommendation", TEXT),
                ("resource_name", "resource", TEXT),
                ("current_monthly_cost", "costs / month", MONEY),
                ("estimated_monthly_savings", "saves / month", MONEY),
                ("basis", "basis", TEXT),
            ],
            limit=5,
        ),
    ]


def print_alerts() -> None:
    print("\nAlerts (mlcost alerts check):", flush=True)
    # The command itself, as a user runs it (commands do not import each other); its exit status
    # says whether a delivery failed, which the output above already shows.
    subprocess.run([sys.executable, "-m", "pipelines.cli", "alerts", "check"], check=False)
