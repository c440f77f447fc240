"""Sending pending ledger entries to Slack (incoming webhook or chat.postMessage) or, with no Slack,
to a file.

Every outcome is a ``DeliveryResult``; nothing raises to the caller, and no error text leaves this
module without the webhook URL and token scrubbed from it. ``deliver_pending`` is the one delivery
loop: the sensors and `mlcost alerts check` call it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from pipelines.lib.alerts.ledger import Ledger, LedgerRow
from pipelines.lib.alerts.settings import AlertSettings, secrets_of

# Slack's own client retries a 429 in place only when the wait is this short; a longer Retry-After
# ends the attempt, the alert stays pending and the destination is held until Retry-After has passed.
MAX_INLINE_RETRY_AFTER_SECONDS = 1
# Used when a 429 carries no (or an unreadable) Retry-After header.
DEFAULT_RETRY_AFTER_SECONDS = 30
# A sensor tick must finish well inside Dagster's 60-second sensor timeout; what is not delivered
# by then stays pending for the next tick.
DELIVERY_SECONDS_PER_TICK = 40

_TOKEN_PATTERN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|hooks\.slack\.com/[^\s'\"]+")


def scrub(text: str, secrets: list[str]) -> str:
    """Remove the webhook URL, the token and anything shaped like either from text."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return _TOKEN_PATTERN.sub("***", text)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str | None = None  # scrubbed
    retry_after: float | None = None  # seconds, when Slack rate-limited us


class Destination(Protocol):
    name: str

    def send(self, message: dict) -> DeliveryResult: ...


class _ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's rate-limit handler, but only for a short Retry-After; longer waits are not slept
    through inside a sensor tick."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return _retry_after(response.headers) <= MAX_INLINE_RETRY_AFTER_SECONDS


def _retry_after(headers) -> float:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                return DEFAULT_RETRY_AFTER_SECONDS
    return DEFAULT_RETRY_AFTER_SECONDS


def _quiet_logger(name: str, secrets: list[str]) -> logging.Logger:
    """slack_sdk logs the full webhook URL at DEBUG and INFO; give it a logger that never does."""
    logger = logging.getLogger(f"mlcost.alerts.{name}")
    logger.setLevel(logging.WARNING)
    logger.filters.clear()

    def _filter(record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage(), secrets)
        record.args = ()
        return True

    logger.addFilter(_filter)
    return logger


def _retry_handlers() -> list:
    # One quick retry when the connection could not be made (nothing reached Slack, so no duplicate);
    # a read timeout is not retried here: Slack may have posted the message.
    return [ConnectionErrorRetryHandler(max_retry_count=1), _ShortRateLimitRetry(max_retry_count=1)]


class WebhookDestination:
    name = "slack-webhook"

    def __init__(self, url: str, timeout: float):
        self._secrets = secrets_of(url, None)
        self._client = WebhookClient(
            url=url,
            timeout=int(max(timeout, 1)),
            logger=_quiet_logger("webhook", self._secrets),
            retry_handlers=_retry_handlers(),
        )

    def send(self, message: dict) -> DeliveryResult:
        try:
            response = self._client.send_dict(message)
        except Exception as exc:  # timeouts, refused connections, DNS
            return DeliveryResult(False, scrub(f"{type(exc).__name__}: {exc}", self._secrets))
        if response.status_code == 200:
            return DeliveryResult(True)
        body = scrub(str(response.body)[:200], self._secrets)
        if response.status_code == 429:
            return DeliveryResult(False, f"HTTP 429 {body}", _retry_after(response.headers))
        return DeliveryResult(False, f"HTTP {response.status_code} {body}")


class WebApiDestination:
    def __init__(self, token: str, channel: str, api_url: str, timeout: float):
        self.name = f"slack-api:{channel}"
        self._channel = channel
        self._secrets = secrets_of(None, token)
        base_url = api_url if api_url.endswith("/") else api_url + "/"
        self._client = WebClient(
            token=token,
            base_url=base_url,
            timeout=int(max(timeout, 1)),
            logger=_quiet_logger("web_api", self._secrets),
            retry_handlers=_retry_handlers(),
        )

    def send(self, message: dict) -> DeliveryResult:
        try:
            response = self._client.chat_postMessage(
                channel=self._channel,
                text=message.get("text", ""),
                blocks=message.get("blocks"),
                unfurl_links=False,
            )
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            text = f"HTTP {status} {error or str(exc.response.data)[:200]}"
            retry_after = _retry_after(exc.response.headers) if status == 429 else None
            return DeliveryResult(False, scrub(text, self._secrets), retry_after)
        except Exception as exc:
            return DeliveryResult(False, scrub(f"{type(exc).__name__}: {exc}", self._secrets))
        if response.get("ok"):
            return DeliveryResult(True)
        return DeliveryResult(False, scrub(f"Slack error {response.get('error')}", self._secrets))


class LogDestination:
    """No Slack configured: each alert is one JSON line in the alerts log (and the caller's logger)."""

    name = "log"

    def __init__(self, settings: AlertSettings, logger: logging.Logger | None = None):
        self.path = settings.resolved_log_path()
        self._logger = logger

    def send(self, message: dict) -> DeliveryResult:
        line = {"logged_at": datetime.now(UTC).isoformat(timespec="seconds"), **message}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line) + "\n")
        except OSError as exc:
            return DeliveryResult(False, f"cannot write {self.path}: {exc.strerror or exc}")
        if self._logger is not None:
            self._logger.info(f"[alert] {message.get('text', '')}")
        return DeliveryResult(True)


class ConfigurationError(ValueError):
    """A Slack setting is incomplete (a token without a channel)."""


def destination_for(settings: AlertSettings, logger: logging.Logger | None = None) -> Destination:
    if settings.webhook_url:
        return WebhookDestination(settings.webhook_url, settings.timeout_seconds)
    if settings.bot_token:
        if not settings.channel:
            raise ConfigurationError("SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not")
        return WebApiDestination(
            settings.bot_token, settings.channel, settings.api_url, settings.timeout_seconds
        )
    return LogDestination(settings, logger)


@dataclass
class DeliveryReport:
    sent: list[LedgerRow] = field(default_factory=list)
    failed: list[tuple[LedgerRow, str]] = field(default_factory=list)
    held_until: float | None = None

    def describe(self) -> str:
        parts = [f"{len(self.sent)} sent"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed and kept pending ({self.failed[-1][1]})")
        if self.held_until:
            parts.append(
                f"Slack asked us to wait until {time.strftime('%H:%M:%S', time.localtime(self.held_until))}"
            )
        return ", ".join(parts)


def deliver_pending(
    ledger: Ledger,
    destination: Destination,
    *,
    log: logging.Logger | None = None,
    max_seconds: float = DELIVERY_SECONDS_PER_TICK,
) -> DeliveryReport:
    """Send pending alerts, oldest first, until none is due, one fails or time is up.

    Each alert is claimed in the ledger before it is sent, so two processes never both send it. A
    failure (5xx, timeout, 429) puts the alert back to pending and ends this round, so an outage
    costs one request per tick rather than one per alert; a 429 also holds the destination until
    its Retry-After has passed.
    """
    report = DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        held = ledger.held_until(destination.name)
        if held > time.time():
            report.held_until = held
            break
        row = ledger.claim_next()
        if row is None:
            break
        result = destination.send(row.message)
        if result.ok:
            ledger.mark_sent(row.key, destination.name)
            report.sent.append(row)
            if log is not None:
                log.info(f"alert sent to {destination.name}: {row.summary}")
            continue
        error = result.error or "unknown error"
        retry_at = time.time() + result.retry_after if result.retry_after is not None else 0.0
        ledger.release(row.key, error, retry_at)
        if result.retry_after is not None:
            ledger.hold(destination.name, retry_at)
            report.held_until = retry_at
        report.failed.append((row, error))
        if log is not None:
            log.warning(f"alert kept pending after {destination.name} failed: {error} ({row.summary})")
        break
    return report
