"""Alert sensors: budget thresholds, cost anomalies and failed runs, delivered to Slack exactly once.

The budget and anomaly sensors never open the DuckDB warehouse (a run may hold its write lock):
when their mart materializes they request a run of an alert job, whose reading op runs in the
"duckdb" pool. Every tick of every alert sensor also delivers whatever is pending in the ledger, so an
alert that Slack refused (5xx, timeout, 429) goes out on a later tick.

The sensors start RUNNING when a Slack destination is configured as the code location loads, and
STOPPED otherwise (turn them on in the UI to get alerts in the run log and the alerts log file).
"""

import dagster as dg

from pipelines.defs.alerts.jobs import anomaly_alerts_job, budget_alerts_job
from pipelines.defs.alerts.resources import AlertsResource, alerts_resource_from_env
from pipelines.lib.alerts.delivery import ConfigurationError, scrub
from pipelines.lib.alerts.ledger import Alert
from pipelines.lib.alerts.messages import format_run_failure, run_url
from pipelines.lib.alerts.service import ANOMALY_ASSET_KEY, BUDGET_ASSET_KEY, deliver_pending
from pipelines.lib.alerts.settings import slack_configured

# Slack is asked at most this often; a tick is cheap when nothing is pending.
TICK_SECONDS = 30


def _deliver(context, alerts: AlertsResource) -> str:
    """Send what is pending in the ledger; a bad Slack setting is logged, never fails the tick (the
    alerts stay pending until the setting is fixed)."""
    try:
        destination = alerts.destination(context.log)
    except ConfigurationError as exc:
        context.log.error(f"alerts are not delivered: {exc}")
        return f"not delivered: {exc}"
    return deliver_pending(alerts.ledger(), destination, log=context.log).describe()


def _tick(
    context: dg.SensorEvaluationContext, alerts: AlertsResource, asset_key: tuple[str, ...], job_name: str
) -> dg.SensorResult:
    """Request one alert run per new materialization of the mart, then deliver pending alerts.

    The cursor is the storage id of the last materialization acted on; the run key carries the same
    id, so even a lost cursor never requests a second run for one materialization.
    """
    last_seen = int(context.cursor or 0)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(list(asset_key)), after_storage_id=last_seen or None),
        limit=1,
        ascending=False,
    ).records
    run_requests = []
    if records:
        # Only the newest materialization matters: the job reads the mart as it is now.
        last_seen = records[0].storage_id
        run_requests.append(
            dg.RunRequest(run_key=f"{job_name}:{last_seen}", tags={"mlcost/materialization": str(last_seen)})
        )
    summary = _deliver(context, alerts)
    skip = None
    if not run_requests:
        skip = f"no new materialization of {'/'.join(asset_key)}; delivery: {summary}"
    return dg.SensorResult(run_requests=run_requests, cursor=str(last_seen), skip_reason=skip)


def build_sensors(default_status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    @dg.sensor(
        name="budget_alerts_sensor",
        job=budget_alerts_job,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=default_status,
        description="Budget thresholds crossed in the open billing period, when budget_projection materializes.",
    )
    def budget_alerts_sensor(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SensorResult:
        return _tick(context, alerts, BUDGET_ASSET_KEY, budget_alerts_job.name)

    @dg.sensor(
        name="cost_anomaly_sensor",
        job=anomaly_alerts_job,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=default_status,
        description="Daily cost anomalies per model and in total, when cost_anomalies materializes.",
    )
    def cost_anomaly_sensor(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SensorResult:
        return _tick(context, alerts, ANOMALY_ASSET_KEY, anomaly_alerts_job.name)

    @dg.run_failure_sensor(
        name="run_failure_alerts_sensor",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=default_status,
        description="Posts the failing step and error of every failed run in this code location.",
    )
    def run_failure_alerts_sensor(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
        settings = alerts.settings()
        run = context.dagster_run
        failures = context.get_step_failure_events()
        steps = [event.step_key for event in failures if event.step_key]
        if failures and failures[0].step_failure_data and failures[0].step_failure_data.error:
            error = failures[0].step_failure_data.error.to_string()
        else:
            error = context.failure_event.message or ""
        message = format_run_failure(
            job_name=run.job_name,
            run_id=run.run_id,
            steps=steps,
            error=scrub(error, settings.secrets),
            link=run_url(settings.ui_url, run.run_id),
        )
        alerts.ledger().record(
            Alert(
                key=f"run_failure:{run.run_id}", kind="run_failure", summary=message["text"], message=message
            )
        )
        _deliver(context, alerts)

    return [budget_alerts_sensor, cost_anomaly_sensor, run_failure_alerts_sensor]


@dg.definitions
def alerts() -> dg.Definitions:
    # Decided when the code location loads (not at import): running by default once Slack is set.
    status = dg.DefaultSensorStatus.RUNNING if slack_configured() else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(
        jobs=[budget_alerts_job, anomaly_alerts_job],
        sensors=build_sensors(status),
        resources={"alerts": alerts_resource_from_env()},
    )
