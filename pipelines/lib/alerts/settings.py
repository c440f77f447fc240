"""Alert delivery settings, read from the environment each time they are needed (never at import time).

The anomaly settings (ALERTS_ANOMALY_MIN_IMPACT, ALERTS_ANOMALY_LOOKBACK_DAYS) are not here: they
decide which anomalies are due, so dbt reads them (dbt_project/dbt_project.yml).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_UI_URL = "http://127.0.0.1:3000"
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_TIMEOUT_SECONDS = 10


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _dagster_home() -> Path:
    return Path(_env("DAGSTER_HOME") or ".dagster_home").expanduser().resolve()


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go and where their state lives. ``repr`` never shows the webhook URL or token."""

    webhook_url: str | None = None
    bot_token: str | None = None
    channel: str | None = None
    api_url: str = DEFAULT_API_URL
    ui_url: str = DEFAULT_UI_URL
    state_path: Path | None = None
    log_path: Path | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __repr__(self) -> str:
        return f"AlertSettings(destination={self.destination_name!r}, ui_url={self.ui_url!r})"

    @property
    def destination_name(self) -> str:
        if self.webhook_url:
            return "slack-webhook"
        if self.bot_token:
            return f"slack-api:{self.channel}"
        return "log"

    @property
    def secrets(self) -> list[str]:
        return secrets_of(self.webhook_url, self.bot_token)

    def resolved_state_path(self) -> Path:
        return self.state_path or _dagster_home() / "alerts" / "ledger.sqlite"

    def resolved_log_path(self) -> Path:
        return self.log_path or _dagster_home() / "alerts" / "alerts.jsonl"


def secrets_of(webhook_url: str | None, token: str | None) -> list[str]:
    """Strings to scrub from any text: the token, the webhook URL, its path and each long path part
    (an error page may repeat just the path, and the path is the secret)."""
    found = [s for s in (webhook_url, token) if s]
    if webhook_url:
        path = urlsplit(webhook_url).path
        found.append(path)
        found.extend(part for part in path.split("/") if len(part) >= 8 and part != "services")
    return [s for s in found if s]


def slack_configured() -> bool:
    """True when a Slack destination is set in the environment (decides the sensors' default status)."""
    return bool(_env("SLACK_WEBHOOK_URL") or (_env("SLACK_BOT_TOKEN") and _env("SLACK_CHANNEL")))


def from_env() -> AlertSettings:
    """Settings for the `mlcost alerts` command, from the same variables the Dagster resource reads."""
    state = _env("ALERTS_STATE_PATH")
    log = _env("ALERTS_LOG_PATH")
    return AlertSettings(
        webhook_url=_env("SLACK_WEBHOOK_URL"),
        bot_token=_env("SLACK_BOT_TOKEN"),
        channel=_env("SLACK_CHANNEL"),
        api_url=_env("SLACK_API_URL") or DEFAULT_API_URL,
        ui_url=_env("DAGSTER_UI_URL") or DEFAULT_UI_URL,
        state_path=Path(state).expanduser().resolve() if state else None,
        log_path=Path(log).expanduser().resolve() if log else None,
        timeout_seconds=float(_env("ALERTS_SLACK_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS),
    )
