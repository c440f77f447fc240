"""The cost report: one self-contained HTML file of charts over the marts, readable offline.

This module says where the report is and how to link to one of its sections; it imports nothing
heavy, so alert messages can link to the report. `pipelines.lib.report.build.write_report` makes it
(charting with altair), with one section per entry of `pipelines.lib.report.sections.SECTIONS`.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.lib import settings

REPORT_PATH_VAR = "MLCOST_REPORT_PATH"
# Where readers open the report (a web server or shared folder the file is copied to); alert messages
# link to its sections. Unset: the file's own file:// URL, which opens only on the machine holding it.
REPORT_URL_VAR = "MLCOST_REPORT_URL"

# Section anchors other code links to; they never change (sections.py defines every one).
BUDGET_SECTION = "budget"
ANOMALIES_SECTION = "anomalies"
COST_PER_PREDICTION_SECTION = "cost-per-prediction"
RECOMMENDATIONS_SECTION = "recommendations"


def report_path() -> Path:
    """Where the report is written: MLCOST_REPORT_PATH, else beside the warehouse with `.report.html`
    for its suffix (warehouse.duckdb -> warehouse.report.html)."""
    configured = settings.get(REPORT_PATH_VAR)
    if configured:
        return Path(configured).expanduser().resolve()
    warehouse = settings.warehouse_path()
    return warehouse.with_name(f"{warehouse.stem}.report.html")


def report_url() -> str:
    """MLCOST_REPORT_URL, else the report file's file:// URL."""
    return settings.get(REPORT_URL_VAR) or report_path().as_uri()


def section_url(section_id: str, base_url: str | None = None) -> str:
    """A link to one section of the report: `base_url` (default `report_url()`) with its anchor."""
    base = base_url or report_url()
    return f"{base.split('#', 1)[0]}#{section_id}"
