"""`mlcost lake export`: write every raw table of the warehouse to the lake (MLCOST_LAKE_URI).

The lake (docs/engines.md#the-lake) holds the raw tables as Parquet for Spark, Athena or Trino:
billing_line_items one file per billing period (billing_period=YYYY-MM/data.parquet), every other
raw source table as one file. Ingest keeps it up to date once MLCOST_LAKE_URI is set; this command
writes what an existing warehouse already holds (the migration path to another engine), and repairs
a lake a failed write left behind. Each file is replaced atomically; a billing period the lake holds
from the same delivery is not written again (--force writes it anyway), and a period the warehouse
no longer holds is removed. The warehouse is opened read-only, so a refresh that starts meanwhile
waits for the export.
"""

from __future__ import annotations

import argparse

from pipelines.lib import settings
from pipelines.lib.lake import SETTING, LakeLocationError, export_warehouse, open_lake
from pipelines.lib.warehouse import WarehouseUnavailable, open_read_only


def _error(message: str) -> Exception:
    from pipelines.commands import CommandError

    return CommandError(message)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lake",
        help="the lake of Parquet files for Spark, Athena or Trino: `lake export` writes the warehouse's raw tables",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="lake_command", required=True)
    export = commands.add_parser(
        "export",
        help="write every raw table of the warehouse to MLCOST_LAKE_URI",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("--lake", metavar="URI", help=f"the lake (default: {SETTING})")
    export.add_argument(
        "--force", action="store_true", help="rewrite billing periods the lake holds unchanged"
    )
    export.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    uri = args.lake or settings.get(SETTING)
    if not uri:
        raise _error(f"{SETTING} is not set: set it (or pass --lake) to a local folder or s3://bucket/prefix")
    try:
        lake = open_lake(uri)
    except LakeLocationError as exc:
        raise _error(str(exc)) from None
    path = settings.warehouse_path()
    try:
        conn = open_read_only(path)
    except WarehouseUnavailable as exc:
        raise _error(str(exc)) from None
    try:
        writes = export_warehouse(conn, lake, force=args.force)
    except LakeLocationError as exc:
        raise _error(f"{exc}; files written before it are complete, the rest unchanged") from None
    finally:
        conn.close()
    written = [w for w in writes if not w.skipped]
    print(
        f"exported {path} to {lake.uri}: {len(written)} file(s) written, {len(writes) - len(written)} unchanged, "
        f"{sum(w.rows for w in written):,} rows"
    )
    return 0
