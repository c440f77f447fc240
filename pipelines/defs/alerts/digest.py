"""The weekly recommendations digest sensor: records one digest per ISO week in the alert ledger.

Which recommendations there are is decided by dbt (marts.recommendations); this sensor reads the
published copy (never the warehouse, so it never waits for a run's write lock), records the week's
digest once under its ISO-week key, and the delivery sensor sends it like every other alert.
"""

import datetime as dt

import dagster as dg

from pipelines.defs.alerts.resources import AlertsResource
from pipelines.lib import published
from pipelines.lib.alerts.digest import record_weekly_digest, week_of
from pipelines.lib.alerts.due import PublishedCopyError
from pipelines.lib.alerts.settings import slack_configured

# The digest is weekly; once an hour is soon enough to record it early in the week.
TICK_SECONDS = 3600


def build_digest_sensor(default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="recommendations_digest_sensor",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=default_status,
        description="Records the weekly Slack digest of the largest recommendations (marts.recommendations) "
        "in the alert ledger, once per ISO week; the delivery sensor sends it.",
    )
    def recommendations_digest_sensor(
        context: dg.SensorEvaluationContext, alerts: AlertsResource
    ) -> dg.SensorResult:
        today = dt.datetime.now(dt.UTC).date()
        try:
            alert = record_weekly_digest(
                published.read_copy_path(), alerts.ledger(), alerts.settings().ui_url, today
            )
        except (PublishedCopyError, ValueError) as exc:
            context.log.warning(f"recommendations digest not recorded: {exc}")
            return dg.SensorResult(skip_reason=f"digest: {exc}")
        if alert is None:
            return dg.SensorResult(skip_reason=f"digest: nothing new for {week_of(today)}")
        context.log.info(f"recommendations digest due: {alert.summary}")
        return dg.SensorResult(skip_reason=f"digest: recorded {alert.key}")

    return recommendations_digest_sensor


@dg.definitions
def recommendations_digest() -> dg.Definitions:
    # Like the alert sensors: running by default once Slack is set (decided when the location loads).
    status = dg.DefaultSensorStatus.RUNNING if slack_configured() else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(sensors=[build_digest_sensor(status)])
