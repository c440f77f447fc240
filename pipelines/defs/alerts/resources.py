"""The `alerts` resource: where alerts are delivered and where the ledger of sent alerts lives."""

import logging
import os
from pathlib import Path

import dagster as dg

from pipelines.lib.alerts.delivery import Destination, destination_for
from pipelines.lib.alerts.ledger import Ledger
from pipelines.lib.alerts.settings import (
    DEFAULT_API_URL,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_UI_URL,
    AlertSettings,
)

# resource field -> environment variable. Each is optional: with no Slack variable set, alerts go to
# the run log and the alerts log file, and the code location still loads.
ENV_VARS = {
    "slack_webhook_url": "SLACK_WEBHOOK_URL",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_channel": "SLACK_CHANNEL",
    "slack_api_url": "SLACK_API_URL",
    "dagster_ui_url": "DAGSTER_UI_URL",
    "state_path": "ALERTS_STATE_PATH",
    "log_path": "ALERTS_LOG_PATH",
    "timeout_seconds": "ALERTS_SLACK_TIMEOUT",
}


class AlertsResource(dg.ConfigurableResource):
    """Slack destination (incoming webhook, or bot token and channel), Dagster UI URL for links, and
    the paths of the alert ledger and the alerts log."""

    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None
    slack_channel: str | None = None
    slack_api_url: str | None = None
    dagster_ui_url: str | None = None
    state_path: str | None = None
    log_path: str | None = None
    timeout_seconds: str | None = None

    def settings(self) -> AlertSettings:
        return AlertSettings(
            webhook_url=self.slack_webhook_url or None,
            bot_token=self.slack_bot_token or None,
            channel=self.slack_channel or None,
            api_url=self.slack_api_url or DEFAULT_API_URL,
            ui_url=self.dagster_ui_url or DEFAULT_UI_URL,
            state_path=Path(self.state_path).expanduser().resolve() if self.state_path else None,
            log_path=Path(self.log_path).expanduser().resolve() if self.log_path else None,
            timeout_seconds=float(self.timeout_seconds or DEFAULT_TIMEOUT_SECONDS),
        )

    def ledger(self) -> Ledger:
        return Ledger(self.settings().resolved_state_path())

    def destination(self, logger: logging.Logger | None = None) -> Destination:
        return destination_for(self.settings(), logger)


def alerts_resource_from_env() -> AlertsResource:
    """The resource with a `dg.EnvVar` for every variable that is set when the code location loads.

    Values resolve at run time and show in the UI only as variable names; a variable that is unset
    is left out rather than failing every run that uses the resource.
    """
    return AlertsResource(
        **{field: dg.EnvVar(name) for field, name in ENV_VARS.items() if os.environ.get(name, "").strip()}
    )
