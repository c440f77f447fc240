"""`mlcost demo-data DIR`: write the demo organisation's AWS billing exports into DIR.

Point CUR_EXPORT_URI at DIR (or at one of its format folders) to ingest them.
"""

from __future__ import annotations

import argparse
import datetime as dt


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc


def _formats(text: str) -> list[str]:
    from pipelines.demo.exports import FORMATS

    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(
            f"formats must be a comma list of {', '.join(FORMATS)}, got {text!r}"
        )
    return chosen


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo-data",
        help="write deterministic demo AWS billing exports (CUR 2.0, legacy CUR, FOCUS)",
        description=__doc__,
    )
    parser.add_argument("dir", help="output folder (mirrors the bucket mlcost-demo-billing)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--as-of", type=_date, default=None, help="YYYY-MM-DD; the open month (default: today UTC)"
    )
    parser.add_argument(
        "--months", type=_positive, default=3, help="billing periods, the last one open (default 3)"
    )
    parser.add_argument(
        "--formats", type=_formats, default=["cur2"], help="comma list of cur2, legacy, focus (default cur2)"
    )
    parser.add_argument(
        "--rows",
        type=_positive,
        default=None,
        help="scale the latest closed CUR 2.0 month to exactly N line items",
    )
    parser.add_argument(
        "--granularity",
        choices=["daily", "hourly"],
        default="daily",
        help="usage lines per day (default) or per hour, like CUR 2.0's time granularity",
    )
    parser.add_argument(
        "--anomalies",
        action="store_true",
        help="plant one-day cost spikes and write their ground truth to DIR/planted_anomalies.json",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.commands import CommandError
    from pipelines.demo.exports import write_demo_exports

    try:
        summaries = write_demo_exports(
            args.dir,
            seed=args.seed,
            as_of=args.as_of,
            months=args.months,
            formats=args.formats,
            rows=args.rows,
            anomalies=args.anomalies,
            granularity=args.granularity,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    for summary in summaries.values():
        print(summary.line())
    return 0
