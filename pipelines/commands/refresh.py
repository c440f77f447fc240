"""`mlcost refresh`: ingest what is new or changed, then rebuild the marts, through Dagster."""

from __future__ import annotations

import signal
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "refresh",
        help="discover exports, ingest new or changed data, build the marts (runs appear in the Dagster UI)",
        description=(
            "Discovers billing periods under CUR_EXPORT_URI and loads those that are new or re-delivered, "
            "ingests SageMaker metadata and prediction counts when configured, then runs the "
            "build_warehouse job (budgets, dbt build, publish). Sources that are not configured are skipped."
        ),
    )
    parser.add_argument("--force", action="store_true", help="reload every billing period, changed or not")
    parser.add_argument("--period", action="append", metavar="YYYY-MM-01", help="only these billing periods")
    parser.add_argument("--no-build", action="store_true", help="ingest only; do not run build_warehouse")
    parser.set_defaults(func=run)


def run(args) -> int:
    from pipelines.commands import CommandError
    from pipelines.defs import recovery
    from pipelines.lib.billing import ExportLocationError

    with recovery.stop_on_signal() as stop:
        try:
            # Runs a killed refresh left behind are failed and give back the pool before anything waits.
            recovery.before_refresh()
            # Imported after recovery (loading the definitions takes seconds): a killed refresh's dbt
            # is stopped while it still runs (test_crash_recovery).
            from pipelines.defs.refresh import refresh

            report = refresh(force=args.force, periods=args.period, build=not args.no_build)
        except ExportLocationError as exc:  # configuration, not data: one line, nothing ingested or built
            raise CommandError(str(exc)) from None
        except recovery.PoolBusy as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            signum = stop.signum or signal.SIGINT
            print(
                f"mlcost refresh: stopped by {signal.Signals(signum).name}; a run in progress was marked "
                "failed and what it had not committed was rolled back. Data loaded before it is unchanged.",
                file=sys.stderr,
            )
            return 128 + signum
    for line in report.lines:
        print(line)
    if report.failures:
        print(
            f"mlcost refresh: {len(report.failures)} problem(s); data loaded before each failure is unchanged."
        )
        return 1
    return 0
