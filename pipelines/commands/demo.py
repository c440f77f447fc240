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
    parser.set_defaults(func=run)


def run(args) -> int:
    from moto.server import ThreadedMotoServer

    from pipelines.defs.refresh import refresh, run_jobs
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

    settings.apply_defaults()
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
        print(f"  aws (moto)    {endpoint}: " + ", ".join(f"{v} {k}" for k, v in seeded.items()))
        print(f"  predictions   {len(logs)} prediction log file(s) under {demo_dir / 'prediction_logs'}")

        report = refresh(build=False, echo=lambda line: print(line, flush=True))
        # Endpoints the catalog deleted part-way disappear from AWS; the next ingest keeps their history.
        retired = retire_demo_endpoints(catalog, endpoint)
        run_jobs(["ingest_sagemaker", "build_warehouse"] if retired else ["build_warehouse"], report)
    finally:
        server.stop()
    for line in report.lines:
        print(f"  {line}")
    if report.failures:
        print(f"mlcost demo: {len(report.failures)} problem(s), see above and the runs in the Dagster UI")
        return 1
    print_summary()
    print_alerts()
    return 0


def default_as_of(today: dt.date) -> dt.date:
    """A day inside an open month with at least ten complete days of data (the bill lags a day or
    two): today from the 12th, else the 15th of last month."""
    if today.day >= 12:
        return today
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)


def _query(name: str):
    from pipelines.lib import sql
    from pipelines.lib.warehouse import connect

    with connect(read_only=True) as conn:
        cursor = conn.execute(sql.load(name))
        return [d[0] for d in cursor.description], cursor.fetchall()


def _print_table(title: str, columns: list[str], rows: list[tuple]) -> None:
    def text(v) -> str:
        if v is None:
            return "-"
        if isinstance(v, float) or type(v).__name__ == "Decimal":
            return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.4f}"
        return str(v)

    cells = [[text(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  " + "  ".join(v.rjust(w) if v[:1].isdigit() or v[:1] == "-" else v.ljust(w)
                               for v, w in zip(row, widths, strict=True)))  # fmt: skip


def print_summary() -> None:
    _print_table("Top models by effective (amortized) cost, per currency", *_query("queries/top_models"))
    _print_table("Cost per 1,000 predictions by endpoint", *_query("queries/cost_per_1k_predictions"))
    _print_table(
        "Cost per 1,000 Bedrock tokens by model and application",
        *_query("queries/bedrock_cost_per_1k_tokens"),
    )
    _print_table("Budgets, latest billing period", *_query("queries/budget_status"))
    _print_table("Recommendations, latest billing period", *_query("queries/recommendations"))


def print_alerts() -> None:
    print("\nAlerts (mlcost alerts check):", flush=True)
    # The command itself, as a user runs it (commands do not import each other); its exit status
    # says whether a delivery failed, which the output above already shows.
    subprocess.run([sys.executable, "-m", "pipelines.cli", "alerts", "check"], check=False)
