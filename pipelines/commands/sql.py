"""`mlcost sql`: run one read-only query on the marts and print the result as a table, CSV or JSON.

Queries go to the published read-only copy of the marts (see pipelines/lib/published.py), which a
refresh replaces atomically after each build, so they answer while the refresh holds the
warehouse's write lock. Before the first publish they fall back to the warehouse itself, opened
read-only, which only works while nothing is writing it.

Exactly one statement runs, and only a query (select, with, from, values, describe, show, summarize,
pragma table_info, explain). DuckDB itself keeps the door shut: the file is attached read-only, then
external access is switched off and the configuration locked, so ATTACH, COPY, EXPORT, INSTALL,
LOAD and file-reading functions (read_csv, read_text, glob, ...) are refused. A query that runs
longer than --timeout seconds is interrupted; one that needs more than --memory-limit fails.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import threading
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.commands import CommandError
from pipelines.lib import published, settings

FORMATS = ("table", "csv", "json")
# What a read-only door runs: a query (DESCRIBE, SHOW, SUMMARIZE, PIVOT with an IN list and
# PRAGMA table_info parse as SELECT) or its plan. Everything else is refused before anything opens.
QUERY_TYPES = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
QUERY_WORDS = "select, with, from, describe, show, summarize or explain"
# DuckDB's names for statement types that say little to a user; the rest read as they are.
STATEMENT_NAMES = {"LOAD": "INSTALL or LOAD", "SET": "SET, RESET, USE or PRAGMA", "???": "this"}


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
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="interrupt the query after this many seconds (default 60)",
    )
    parser.add_argument(
        "--memory-limit",
        default="1GB",
        metavar="SIZE",
        help="most memory the query may use, e.g. 512MB or 4GB; nothing spills to disk (default 1GB)",
    )
    parser.add_argument(
        "--threads", type=_positive_int, default=2, help="threads the query may use (default 2)"
    )
    parser.set_defaults(func=run)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _one_line(exc: BaseException) -> str:
    """DuckDB's message on one line: its text without the quoted query and caret under it."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("LINE ") or line.startswith("Possible solutions"):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines) or type(exc).__name__


def _statement(text: str) -> duckdb.Statement:
    """The one query in `text`, parsed by DuckDB's own parser; anything else is refused."""
    if not text.strip():
        raise CommandError(
            'empty query: give one statement, e.g. "select * from marts.cost_by_model limit 5"'
        )
    with duckdb.connect() as parser:
        try:
            statements = parser.extract_statements(text)
        except duckdb.Error as exc:
            raise CommandError(_one_line(exc)) from None
    if not statements:
        raise CommandError("empty query: the text holds only comments; give one statement")
    if len(statements) > 1:
        # A PIVOT without an IN list parses as two: CREATE TYPE for its columns, then the SELECT.
        hint = " (a PIVOT needs its IN list)" if "pivot" in text.lower() else ""
        raise CommandError(f"refused: {len(statements)} statements; mlcost sql runs exactly one{hint}")
    statement = statements[0]
    if statement.type not in QUERY_TYPES:
        kind = STATEMENT_NAMES.get(statement.type.name, statement.type.name.replace("_", " "))
        raise CommandError(
            f"refused: {kind} statement; mlcost sql is read-only and runs one query ({QUERY_WORDS})"
        )
    return statement


def _query_text(args: argparse.Namespace) -> str:
    if args.query and args.file:
        raise CommandError("give either a query or -f FILE, not both")
    if args.file:
        try:
            return args.file.read_text()
        except OSError as exc:
            raise CommandError(f"cannot read {args.file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"cannot read {args.file}: not UTF-8 text (byte {exc.start})") from None
    if args.query is not None:
        return args.query
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise CommandError('give a query ("select ...") or -f FILE')


def _open(path: Path, args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    return published.open_read_only(path, memory_limit=args.memory_limit, threads=args.threads)


def _connect(args: argparse.Namespace) -> tuple[duckdb.DuckDBPyConnection, Path]:
    use_warehouse = args.warehouse
    try:
        # The limits are checked on their own first, so a bad --memory-limit is named as such.
        duckdb.connect(config={"memory_limit": args.memory_limit}).close()
    except duckdb.Error as exc:
        raise CommandError(f"--memory-limit {args.memory_limit}: {_one_line(exc)}") from None
    copy = published.read_copy_path()
    warehouse = settings.warehouse_path()
    if not use_warehouse and copy.exists():
        try:
            return _open(copy, args), copy
        except duckdb.Error as exc:
            raise CommandError(f"cannot open {copy}: {_one_line(exc)}") from None
    if not warehouse.exists():
        raise CommandError(
            f"no warehouse at {warehouse} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)"
        )
    if not use_warehouse:
        print(
            f"mlcost sql: no published copy at {copy} yet; querying the warehouse read-only", file=sys.stderr
        )
    try:
        return _open(warehouse, args), warehouse
    except duckdb.Error as exc:
        if not isinstance(exc, duckdb.IOException) or "lock" not in str(exc).lower():
            raise CommandError(f"cannot open {warehouse}: {_one_line(exc)}") from None
        hint = (
            "the published copy is written at the end of each refresh; query it without --warehouse"
            if use_warehouse
            else f"no published copy exists yet; it appears at {copy} when the running refresh finishes"
        )
        raise CommandError(
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


def _execute(
    conn: duckdb.DuckDBPyConnection, statement: duckdb.Statement, timeout: float
) -> tuple[list[str], list[tuple]]:
    """Run the query; a timer thread interrupts it after `timeout` seconds.

    The query runs in the main thread so that Ctrl-C reaches DuckDB, which stops the query itself
    (a query running in another thread outlives Ctrl-C and aborts the process at exit).
    `interrupt()` is how another thread stops a running query on a connection.
    """
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        conn.interrupt()

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        result = conn.execute(statement)
        return [d[0] for d in result.description], result.fetchall()
    except duckdb.InterruptException:
        if expired.is_set():
            raise CommandError(
                f"query stopped after {timeout:g} s (--timeout {timeout:g}); narrow it or allow longer"
            ) from None
        raise CommandError("interrupted") from None
    except (KeyboardInterrupt, RuntimeError) as exc:
        # Ctrl-C: DuckDB's Python layer stops waiting (RuntimeError "Query interrupted") but the query
        # may still run in DuckDB's threads, and closing the connection would wait for it.
        conn.interrupt()
        if isinstance(exc, KeyboardInterrupt) or "interrupted" in str(exc).lower():
            raise CommandError("interrupted") from None
        raise
    finally:
        timer.cancel()


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:
        # Ctrl-C outside the query (DuckDB handles it inside): one line, not a traceback.
        raise CommandError("interrupted") from None


def _run(args: argparse.Namespace) -> int:
    statement = _statement(_query_text(args))
    conn, path = _connect(args)
    try:
        columns, rows = _execute(conn, statement, args.timeout)
    except duckdb.PermissionException as exc:
        raise CommandError(f"refused: {_one_line(exc)}; mlcost sql reads {path} and nothing else") from None
    except duckdb.OutOfMemoryException as exc:
        # Only the first line: DuckDB goes on to suggest a temporary directory, which is off on purpose.
        first = str(exc).splitlines()[0]
        raise CommandError(
            f"query needs more than --memory-limit {args.memory_limit} (nothing spills to disk): {first}"
        ) from None
    except duckdb.Error as exc:
        raise CommandError(f"query failed on {path}: {_one_line(exc)}") from None
    finally:
        conn.close()
    try:
        {"table": print_table, "csv": print_csv, "json": print_json}[args.format](columns, rows)
        sys.stdout.flush()
    except BrokenPipeError:
        # `mlcost sql ... | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0
