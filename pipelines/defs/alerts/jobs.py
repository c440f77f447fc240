"""Jobs the alert sensors request: read a mart inside the one-writer DuckDB pool, record due alerts
in the ledger, then deliver them outside the pool (a slow Slack never holds up a pipeline write)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.defs.alerts.resources import AlertsResource
from pipelines.lib.alerts.service import check_anomalies, check_budgets, deliver_pending

ALERT_JOB_TAGS = {"mlcost/kind": "alerts"}


def _record(context: dg.OpExecutionContext, new: list, kind: str) -> int:
    for alert in new:
        context.log.info(f"{kind} alert due: {alert.summary}")
    if not new:
        context.log.info(f"no new {kind} alert is due")
    return len(new)


@dg.op(pool="duckdb", tags={"kind": "duckdb"})
def record_budget_alerts(
    context: dg.OpExecutionContext, warehouse: DuckDBResource, alerts: AlertsResource
) -> int:
    """Reads marts.budget_projection and records each newly crossed threshold of the open period."""
    with warehouse.get_connection() as conn:
        new = check_budgets(conn, alerts.ledger(), alerts.settings())
    return _record(context, new, "budget")


@dg.op(pool="duckdb", tags={"kind": "duckdb"})
def record_anomaly_alerts(
    context: dg.OpExecutionContext, warehouse: DuckDBResource, alerts: AlertsResource
) -> int:
    """Reads marts.cost_anomalies and records each recent anomaly with enough impact."""
    with warehouse.get_connection() as conn:
        new = check_anomalies(conn, alerts.ledger(), alerts.settings())
    return _record(context, new, "anomaly")


@dg.op
def deliver_alerts(context: dg.OpExecutionContext, alerts: AlertsResource, recorded: int) -> dg.Output:
    """Sends every pending alert; one that Slack refuses stays pending for the sensor's next tick."""
    report = deliver_pending(alerts.ledger(), alerts.destination(context.log), log=context.log)
    return dg.Output(
        None,
        metadata={
            "sent": len(report.sent),
            "failed_kept_pending": len(report.failed),
            "destination": alerts.settings().destination_name,
        },
    )


@dg.job(tags=ALERT_JOB_TAGS, description="Budget alerts for the open billing period, once per threshold.")
def budget_alerts_job():
    deliver_alerts(record_budget_alerts())


@dg.job(
    tags=ALERT_JOB_TAGS, description="Cost anomaly alerts from marts.cost_anomalies, once per scope and day."
)
def anomaly_alerts_job():
    deliver_alerts(record_anomaly_alerts())
