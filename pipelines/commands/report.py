"""`mlcost report`: write the cost report, one HTML file that opens offline in any browser.

Charts over the marts: daily cost by category and by model, month to date against each budget with
the forecast and its interval, cost per 1,000 predictions per endpoint, cost anomalies on the daily
series, training cost against model accuracy, tag coverage and the top recommendations
(docs/report.md). It reads the published copy of the marts, so it works while a refresh runs. The
file goes beside the warehouse (<warehouse>.report.html) unless --out or MLCOST_REPORT_PATH says
otherwise; every build of the warehouse also writes it (Dagster asset reports/cost_report).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.commands import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the cost report: one self-contained HTML file of charts (opens offline)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="where to write it (default: MLCOST_REPORT_PATH, else <warehouse>.report.html beside the warehouse)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.lib.report.build import ReportError, write_report

    try:
        result = write_report(args.out)
    except ReportError as exc:
        raise CommandError(str(exc)) from None
    empty = f"; without data: {', '.join(result.notes)}" if result.notes else ""
    print(
        f"mlcost report: {result.path} ({result.bytes / 1e6:.1f} MB, {len(result.sections)} sections, "
        f"{result.charts} charts{empty})"
    )
    print(f"  open it in a browser: {result.path.as_uri()}")
    return 0
