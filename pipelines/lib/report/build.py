"""Making the cost report: the marts' rows through each section's builder into one HTML page.

`mlcost report` and the Dagster asset `reports/cost_report` both call `write_report`. It reads the
published read-only copy of the marts (pipelines/lib/published.py) and, before the first publish,
the warehouse itself, read-only. The sections are listed in pipelines/lib/report/sections.py; each
runs one SQL file and builds one chart or table. The file is written beside the warehouse
(`report_path()`, MLCOST_REPORT_PATH to choose) and replaced in one rename, so a reader never sees
half a report.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.lib import published, settings, sql
from pipelines.lib.report import page, report_path
from pipelines.lib.report.formatting import day
from pipelines.lib.report.sections import SECTIONS, Section, Table

# What the header's window needs; without these the warehouse has not been built.
WINDOW_RELATIONS = ("marts.cost_by_model", "marts.budget_projection", "marts.cost_per_prediction")


class ReportError(Exception):
    """A report that cannot be made, in one line saying what to do."""


@dataclass(frozen=True)
class RenderedSection:
    id: str
    title: str
    about: str
    note: str | None
    summary: str | None
    spec: dict | None  # Vega-Lite, data inlined
    table: Table | None


@dataclass(frozen=True)
class ReportResult:
    path: Path
    bytes: int
    sections: list[RenderedSection]

    @property
    def charts(self) -> int:
        return sum(1 for s in self.sections if s.spec)

    @property
    def notes(self) -> list[str]:
        """Ids of the sections that show a note instead of data."""
        return [s.id for s in self.sections if s.note]


def open_marts() -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A read-only connection to the published copy of the marts, else to the warehouse itself."""
    copy = published.read_copy_path()
    source = copy if copy.exists() else settings.warehouse_path()
    if not source.exists():
        raise ReportError(f"no warehouse at {source} yet: run `mlcost refresh` first (or set WAREHOUSE_PATH)")
    try:
        return published.open_read_only(source), source
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise ReportError(f"cannot open {source}: {first}") from None


def _rows(conn: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict[str, Any]]:
    cursor = conn.execute(sql.load(name), params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _relations(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    return {name for (name,) in rows}


def _window(conn: duckdb.DuckDBPyConnection, relations: set[str], source: Path) -> list[tuple[str, str]]:
    missing = [name for name in WINDOW_RELATIONS if name not in relations]
    if missing:
        raise ReportError(f"{source} has no {', '.join(missing)}: run `mlcost refresh` to build the marts")
    window = _rows(conn, "report/select_report_window")[0]
    built = (
        _rows(conn, "report/select_report_snapshot")[0]["published_at"]
        if "main.snapshot_info" in relations
        else None
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [
        ("Usage days", f"{day(window['first_usage_date'])} to {day(window['last_usage_date'])}"),
        ("Bill complete through", day(window["bill_complete_through_date"])),
        ("Currencies", ", ".join(window["currencies"] or []) or "none"),
        ("Marts built", day(built) if built else "n/a (read from the warehouse itself)"),
        ("Report generated", day(now)),
        ("Source", str(source)),
    ]


def render_section(conn: duckdb.DuckDBPyConnection, section: Section, relations: set[str]) -> RenderedSection:
    """One section: its query, then its builder; a relation it reads that the warehouse lacks (a mart
    not built yet) makes it one line saying so."""
    missing = [name for name in section.requires if name not in relations]
    if missing:
        content_note = (
            f"Not in this warehouse yet: {', '.join(missing)} (built by a later version of the marts)."
        )
        return RenderedSection(section.id, section.title, section.about, content_note, None, None, None)
    try:
        rows = _rows(conn, section.query, dict(section.params))
    except duckdb.Error as exc:
        # A mart of an older shape (a column renamed or missing): one line, and no report is written.
        first = str(exc).splitlines()[0]
        raise ReportError(
            f"section {section.id}: sql/{section.query}.sql failed: {first} (run `mlcost refresh` to rebuild the marts)"
        ) from None
    content = section.build(rows)
    spec = content.chart.to_dict() if content.chart is not None else None
    return RenderedSection(
        section.id, section.title, section.about, content.note, content.summary, spec, content.table
    )


def render(conn: duckdb.DuckDBPyConnection, source: Path) -> tuple[str, list[RenderedSection]]:
    """The report's HTML and its sections, from the marts `conn` reads (`source` names it)."""
    relations = _relations(conn)
    window = _window(conn, relations, source)
    sections = [render_section(conn, section, relations) for section in SECTIONS]
    return page.render(window, sections), sections


def write_report(out: Path | None = None) -> ReportResult:
    """Write the report to `out` (default `report_path()`) from the published marts."""
    target = (out or report_path()).expanduser().resolve()
    conn, source = open_marts()
    try:
        html, sections = render(conn, source)
    finally:
        conn.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    data = html.encode()
    try:
        staging.write_bytes(data)
        os.replace(staging, target)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise ReportError(f"cannot write {target}: {exc.strerror}") from None
    return ReportResult(target, len(data), sections)
