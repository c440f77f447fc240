"""The alerts layer of the warehouse: the asset that records newly due alerts in the ledger."""

import dagster as dg

from pipelines.defs.alerts.resources import AlertsResource
from pipelines.defs.transform.publish import marts_snapshot
from pipelines.lib import published
from pipelines.lib.alerts.due import PublishedCopyError, record_due_alerts

# The dbt models that decide which alerts are due; the ledger reads them from the published copy.
ALERT_MARTS = [dg.AssetKey(["marts", "budget_alerts"]), dg.AssetKey(["marts", "cost_anomalies"])]


# Not in the "duckdb" pool: it opens only the published copy (read-only, swapped in atomically), so
# it never waits for a run writing the warehouse. Downstream of the publish asset, so it reads the
# copy of the marts the same run just built.
@dg.asset(
    key=["alerts", "ledger"],
    deps=[marts_snapshot, *ALERT_MARTS],
    group_name="alerts",
    kinds={"sqlite"},
)
def alert_ledger(context: dg.AssetExecutionContext, alerts: AlertsResource) -> dg.MaterializeResult:
    """One row per alert ever due (budget threshold, cost anomaly, failed run) in the SQLite ledger;
    each build adds the budget and anomaly alerts newly due in the published marts, for the delivery
    sensor to send."""
    ledger = alerts.ledger()
    try:
        new = record_due_alerts(published.read_copy_path(), ledger, alerts.settings().ui_url)
    except PublishedCopyError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    for alert in new:
        context.log.info(f"alert due: {alert.summary}")
    if not new:
        context.log.info("no new alert is due")
    return dg.MaterializeResult(
        metadata={
            "new_alerts": dg.MetadataValue.int(len(new)),
            "pending_alerts": dg.MetadataValue.int(len(ledger.rows("pending"))),
            "ledger_path": dg.MetadataValue.path(str(ledger.path)),
        }
    )
