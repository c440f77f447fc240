"""The weekly recommendations digest: recorded once per ISO week in the alert ledger by the real
sensor, delivered once to the local Slack-like server, never again on a re-run or a restart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.alerts import digest as digest_defs
from pipelines.defs.alerts import sensors as alert_sensors
from pipelines.lib import published
from pipelines.lib.alerts.digest import KIND, record_weekly_digest, week_of
from tests.alerts.conftest import AlertHarness


def _row(rid: str, kind: str, resource: str, savings: str | None, cost: str, current: bool = True) -> dict:
    return {
        "recommendation_id": rid,
        "billing_period": dt.date(2026, 11, 1) if current else dt.date(2026, 10, 1),
        "billing_currency": "USD",
        "recommendation_type": kind,
        "account_id": "041234567890",
        "region": "us-east-1",
        "resource_id": None,
        "resource_name": resource,
        "model_name": "forecast",
        "team": "risk",
        "project": "planning",
        "evidence": f"evidence of {resource}",
        "current_cost": Decimal(cost),
        "current_monthly_cost": Decimal(cost),
        "estimated_monthly_savings": Decimal(savings) if savings is not None else None,
        "savings_basis": "bill: its own cost",
        "confidence": "medium",
        "action": f"Fix {resource}.",
        "data_through_date": dt.date(2026, 11, 13) if current else dt.date(2026, 10, 31),
        "first_seen_date": dt.date(2026, 10, 1),
        "last_seen_date": dt.date(2026, 11, 13),
        "is_current": current,
        "savings_rank": 1,
    }


ROWS = [
    _row("a", "underused_endpoint", "forecast-dev", "82.80", "165.60"),
    _row("b", "idle_notebook", "ds-alice-gpu", "372.41", "530.21"),
    _row("c", "untagged_spend", "mlcost-demo-training-data", None, "3686.11"),
    _row("d", "idle_endpoint", "old-endpoint", "999.00", "999.00", current=False),
]


class DigestHarness(AlertHarness):
    """The alert harness with the digest sensor in its code location."""

    @property
    def defs(self) -> dg.Definitions:
        if self._defs is None:
            self._defs = dg.Definitions.merge(alert_sensors.alerts(), digest_defs.recommendations_digest())
        return self._defs


@pytest.fixture
def digest(instance, warehouse_path: Path) -> DigestHarness:
    harness = DigestHarness(instance, warehouse_path, {})
    harness.write_table("recommendations", ROWS)
    harness.publish(build_models=False)
    return harness


def test_weekly_digest_is_sent_once_per_week_through_the_ledger(digest, slack, webhook):
    result = digest.tick("recommendations_digest_sensor")
    key = f"{KIND}:{week_of(dt.datetime.now(dt.UTC).date())}"
    assert result.skip_reason and f"recorded {key}" in str(result.skip_reason)
    assert [row.key for row in digest.ledger.rows("pending")] == [key]

    digest.tick()  # the delivery sensor
    assert len(slack.delivered) == 1
    message = slack.delivered[0].body
    text = str(message["blocks"])
    # Largest saving first, only the current period's rows with a saving.
    assert message["text"].startswith(
        f"Recommendations {key.split(':')[1]}: 2 changes could save $455.21 a month"
    )
    assert text.index("ds-alice-gpu") < text.index("forecast-dev")
    assert "$372.41" in text and "$530.21" in text and "Fix ds-alice-gpu." in text
    assert "old-endpoint" not in text and "mlcost-demo-training-data" not in text

    # A re-run, a later tick and a restart of the code location record and send nothing more.
    for _ in range(2):
        again = digest.tick("recommendations_digest_sensor")
        assert "nothing new" in str(again.skip_reason)
        digest.tick()
        digest.restart()
    assert len(slack.delivered) == 1
    assert [row.status for row in digest.ledger.rows()] == ["sent"]


def test_digest_recorded_before_slack_answers_is_sent_later_and_each_week_gets_its_own(
    digest, slack, webhook
):
    slack.answer_next("500")
    digest.tick("recommendations_digest_sensor")
    digest.tick()
    assert slack.delivered == [] and len(digest.ledger.rows("pending")) == 1  # kept, not lost
    digest.tick("recommendations_digest_sensor")  # the same week: nothing new
    digest.tick()
    assert len(slack.delivered) == 1

    # Next week (the library call the sensor makes, with another day): one new digest.
    ledger, path = digest.ledger, published.read_copy_path()
    next_week = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)
    assert record_weekly_digest(path, ledger, "http://ui", next_week) is not None
    assert record_weekly_digest(path, ledger, "http://ui", next_week) is None
    assert len(ledger.rows()) == 2


def test_no_digest_without_a_current_saving_or_a_published_copy(instance, warehouse_path, slack, webhook):
    harness = DigestHarness(instance, warehouse_path, {})
    result = harness.tick("recommendations_digest_sensor")
    assert "no published copy" in str(result.skip_reason)
    harness.write_table("recommendations", [ROWS[2], ROWS[3]])  # untagged spend and last period only
    harness.publish(build_models=False)
    result = harness.tick("recommendations_digest_sensor")
    assert "nothing new" in str(result.skip_reason)
    assert harness.ledger.rows() == [] and slack.requests == []
