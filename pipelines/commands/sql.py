"""`mlcost sql`: run a query on the marts and print the result as a table, CSV or JSON.

Queries go to the published read-only copy of the marts (see pipelines/lib/published.py), which a
refresh replaces atomically after each build, so they answer while the refresh holds the
warehouse's write lock. Before the first publish they fall back to the warehouse itself, opened
read-only, which only works while nothing is writing it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.lib import published, settings
from pipelines.lib.sql import sql_path

FORMATS = ("table", "csv", "json")


def _error(message: str) -> Exception:
    from pipelines.cli import CommandError

    return CommandError(message)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sql",
        help="query the marts (read-only; works while a refresh runs)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "query", nargs="?", help='SQL to run, e.g. "select * from marts.cost_by_model limit 5"'
    )
    parser.add_argument(
        "-f", "--file", type=Path, help="read the SQL from a file, e.g. sql/queries/cost_by_model.sql"
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--warehouse",
        action="store_true",
        help="query the warehouse itself (raw, staging, intermediate too) instead of the published marts; "
        "fails while a refresh is writing it",
    )
    parser.set_defaults(func=run)


def _query_text(args: argparse.Namespace) -> str:
    if args.query and args.file:
        raise _error("give either a query or -f FILE, not both")
    if args.file:
        try:
            return args.file.read_text()
        except OSError as exc:
            raise _error(f"cannot read {args.file}: {exc.strerror}") from None
    if args.query:
        return args.query
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise _error('give a query ("select ...") or -f FILE')


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """`path` attached read-only under the catalog name `mlcost` and made the default, so
    `marts.cost_by_model` resolves whatever the file is called (a file named marts.duckdb would
    otherwise make `marts` ambiguous between the catalog and the schema)."""
    conn = duckdb.connect()
    try:
        conn.execute(f"attach {sql_path(path)} as mlcost (read_only)")
        conn.execute("use mlcost")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(use_warehouse: bool) -> tuple[duckdb.DuckDBPyConnection, Path]:
    copy = published.read_copy_path()
    warehouse = settings.warehouse_path()
    if not use_warehouse and copy.exists():
        return _open_read_only(copy), copy
    if not warehouse.exists():
        raise _error(f"no warehouse at {warehouse} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)")
    if not use_warehouse:
        print(
            f"mlcost sql: no published copy at {copy} yet; querying the warehouse read-only", file=sys.stderr
        )
    try:
        return _open_read_only(warehouse), warehouse
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise _error(f"cannot open {warehouse}: {exc}") from None
        hint = (
            "the published copy is written at the end of each refresh; query it without --warehouse"
            if use_warehouse
            else f"no published copy exists yet; it appears at {copy} when the running refresh finishes"
        )
        raise _error(
            f"{warehouse} is being written by another process (a refresh?) and cannot be opened: {hint}"
        ) from None


def _json_value(value):
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent >= 0
            else float(value)
        )
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _text(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, Decimal):
        # Costs are DECIMAL(38, 10): show them without the trailing zeros, never in exponent form.
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(_json_value(value))
    return str(value)


def _is_numeric(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def print_table(columns: list[str], rows: list[tuple], out=None) -> None:
    out = out or sys.stdout
    cells = [[_text(v) for v in row] for row in rows]
    # Decimals in one column line up on the point: as many places as the longest value needs.
    for i in range(len(columns)):
        decimals = [row[i] for row in rows if isinstance(row[i], Decimal)]
        places = max((len(_text(d).partition(".")[2]) for d in decimals), default=0)
        for cell, row in zip(cells, rows, strict=True):
            if isinstance(row[i], Decimal):
                cell[i] = format(row[i], f".{places}f")
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [any(_is_numeric(row[i]) for row in rows) for i in range(len(columns))]
    out.write(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for row in cells:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric, strict=True)]
        out.write(" | ".join(parts).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def print_csv(columns: list[str], rows: list[tuple], out=None) -> None:
    out = out or sys.stdout
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _text(v) for v in row])


def print_json(columns: list[str], rows: list[tuple], out=None) -> None:
    out = out or sys.stdout
    records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    out.write(json.dumps(records, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    text = _query_text(args)
    conn, path = _connect(args.warehouse)
    try:
        try:
            result = conn.execute(text)
        except duckdb.Error as exc:
            raise _error(f"query failed on {path}: {exc}") from None
        if result.description is None:
            return 0
        columns = [d[0] for d in result.description]
        rows = result.fetchall()
    finally:
        conn.close()
    try:
        {"table": print_table, "csv": print_csv, "json": print_json}[args.format](columns, rows)
        sys.stdout.flush()
    except BrokenPipeError:
        # `mlcost sql ... | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0
