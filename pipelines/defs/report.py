"""The cost report asset: one self-contained HTML file of charts, written after each build."""

import dagster as dg

from pipelines.defs.transform.publish import marts_snapshot


# Not in the "duckdb" pool: like the alert ledger it reads only the published copy (read-only, swapped
# in atomically), which the same run has just written (downstream of marts_snapshot, which follows
# every mart).
@dg.asset(
    key=["reports", "cost_report"],
    deps=[marts_snapshot],
    group_name="reports",
    kinds={"html"},
)
def cost_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The cost report (MLCOST_REPORT_PATH, default <warehouse>.report.html): daily cost by category and
    model, budgets with their forecast, cost per 1,000 predictions, anomalies, training cost against
    accuracy, tag coverage and recommendations, as one HTML file that opens offline."""
    # Imported when the report is made: altair and vl-convert take a second to import, which loading
    # the definitions (`dagster dev`, `mlcost refresh --no-build`, every sensor tick) does not need.
    from pipelines.lib.report.build import ReportError, write_report

    try:
        result = write_report()
    except ReportError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    context.log.info(f"wrote the cost report to {result.path} ({result.bytes} bytes, {result.charts} charts)")
    metadata = {
        "path": dg.MetadataValue.path(str(result.path)),
        "url": dg.MetadataValue.url(result.path.as_uri()),
        "sections": dg.MetadataValue.int(len(result.sections)),
        "charts": dg.MetadataValue.int(result.charts),
        "sections_without_data": dg.MetadataValue.int(len(result.notes)),
        "bytes": dg.MetadataValue.int(result.bytes),
    }
    if result.notes:
        metadata["without_data"] = dg.MetadataValue.text(", ".join(result.notes))
    return dg.MaterializeResult(metadata=metadata)
