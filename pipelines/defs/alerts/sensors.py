"""Alert sensors: deliver what the ledger holds, and turn failed runs into alerts.

Which budget and anomaly alerts are due is decided by dbt (marts.budget_alerts,
marts.cost_anomalies) and recorded by the alerts/ledger asset at the end of every build. The
delivery sensor only sends pending ledger entries, each exactly once (claimed before it is sent); an
alert that Slack refused (5xx, timeout, 429) stays pending and goes out on a later tick. Neither
sensor opens the DuckDB warehouse, so neither ever waits for its write lock.

The sensors start RUNNING when a Slack destination is configured as the code location loads, and
STOPPED otherwise (turn them on in the UI to get alerts in the run log and the alerts log file).
"""

import dagster as dg

from pipelines.defs.alerts.resources import AlertsResource, alerts_resource_from_env
from pipelines.lib.alerts.delivery import ConfigurationError, deliver_pending, scrub
from pipelines.lib.alerts.ledger import Alert
from pipelines.lib.alerts.messages import run_failure_message, run_url
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


def build_sensors(default_status: dg.DefaultSensorStatus) -> list[dg.SensorDefinition]:
    @dg.sensor(
        name="alert_delivery_sensor",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=default_status,
        description="Sends pending alerts from the ledger (budget thresholds, cost anomalies, failed runs), once each.",
    )
    def alert_delivery_sensor(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SensorResult:
        return dg.SensorResult(skip_reason=f"delivery: {_deliver(context, alerts)}")

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
        message = run_failure_message(
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

    return [alert_delivery_sensor, run_failure_alerts_sensor]


@dg.definitions
def alerts() -> dg.Definitions:
    # Decided when the code location loads (not at import): running by default once Slack is set.
    status = dg.DefaultSensorStatus.RUNNING if slack_configured() else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(
        sensors=build_sensors(status),
        resources={"alerts": alerts_resource_from_env()},
    )
