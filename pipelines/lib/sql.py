"""Load the one-statement SQL files under sql/ and run them with bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipelines.lib.settings import REPO_ROOT

SQL_DIR = REPO_ROOT / "sql"


@cache
def load(name: str) -> str:
    """Text of sql/<name>.sql (e.g. ``load("ingest/delete_billing_period")``)."""
    return (SQL_DIR / f"{name}.sql").read_text()


def quote_ident(name: str) -> str:
    """Quote an identifier (column or table name) for DuckDB. Values never go through here."""
    return '"' + name.replace('"', '""') + '"'


def sql_path(path: Path | str) -> str:
    """A path as a quoted SQL string literal, for table functions that take no parameters."""
    return "'" + str(path).replace("'", "''") + "'"
