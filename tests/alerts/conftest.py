"""Fixtures for the alert tests: a Slack-like server, a real Dagster instance, a real DuckDB file, and
a harness that ticks the real sensors and runs the jobs they request, as the Dagster daemon would."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.alerts import sensors as alert_sensors
from pipelines.lib.alerts.service import BUDGET_ASSET_KEY
from tests.alerts.slack_server import FakeSlack

# What the whole alert suite exercised; printed at the end of the run.
EXERCISED: Counter = Counter()

WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/xyzSecretWebhookToken123"
BOT_TOKEN = "xoxb-1234-5678-secretBotToken"


def pytest_terminal_summary(terminalreporter) -> None:
    if EXERCISED:
        terminalreporter.write_line(
            f"alerts: {EXERCISED['ticks']} sensor ticks, {EXERCISED['runs']} alert job runs, "
            f"{EXERCISED['requests']} Slack requests: {EXERCISED['delivered']} messages delivered, "
            f"{EXERCISED['failures']} failures answered (500, 429, slow)"
        )


@pytest.fixture(autouse=True)
def no_alert_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alert settings of the developer's shell never leak into a test (a shared ledger, say)."""
    for name in (
        "SLACK_API_URL",
        "DAGSTER_UI_URL",
        "ALERTS_STATE_PATH",
        "ALERTS_LOG_PATH",
        "ALERTS_SLACK_TIMEOUT",
        "ALERTS_ANOMALY_MIN_IMPACT",
        "ALERTS_ANOMALY_LOOKBACK_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()
    EXERCISED["requests"] += len(fake.requests)
    EXERCISED["delivered"] += len(fake.delivered)
    EXERCISED["failures"] += len(fake.requests) - len(fake.delivered)


@pytest.fixture
def webhook(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> str:
    url = slack.url + WEBHOOK_PATH
    monkeypatch.setenv("SLACK_WEBHOOK_URL", url)
    return url


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def open_period(today: dt.date | None = None) -> dt.date:
    return (today or dt.date.today()).replace(day=1)


def budget_row(name: str, period: dt.date, actual: float, projected: float, **extra) -> dict:
    """A row shaped like marts.budget_projection."""
    row = {
        "budget_name": name,
        "scope_type": "total",
        "scope_value": None,
        "cost_basis": "effective",
        "budget_amount": 1000.0,
        "actual_cost": actual,
        "data_through_date": period + dt.timedelta(days=9),
        "days_in_period": 30,
        "run_rate_per_day": actual / 10,
        "projected_cost": projected,
        "projected_low": projected * 0.9,
        "projected_high": projected * 1.1,
        "actual_pct": actual / 10,
        "projected_pct": projected / 10,
        "status": "ok",
        "billing_period": period,
        "actual_thresholds": [50.0, 80.0, 100.0],
        "forecast_thresholds": [100.0],
    }
    row.update(extra)
    return row


class AlertHarness:
    """Ticks the real alert sensors against a real instance and runs the jobs they request."""

    def __init__(self, instance: dg.DagsterInstance, warehouse_path: Path):
        self.instance = instance
        self.warehouse_path = warehouse_path
        self.cursors: dict[str, str | None] = {}
        self.run_keys: set[str] = set()
        self.results: list = []
        self.restart()

    def restart(self) -> None:
        """A new code location load: fresh Definitions (built from the environment at the next tick)
        and no sensor cursors; the ledger stays."""
        self._defs = None
        self.cursors = {}

    @property
    def defs(self) -> dg.Definitions:
        if self._defs is None:
            self._defs = dg.Definitions.merge(
                alert_sensors.alerts(),
                dg.Definitions(resources={"warehouse": DuckDBResource(database=str(self.warehouse_path))}),
            )
        return self._defs

    def write_table(self, table: str, rows: list[dict]) -> None:
        with duckdb.connect(str(self.warehouse_path)) as conn:
            conn.execute("create schema if not exists marts")
            conn.execute(f"drop table if exists marts.{table}")
            conn.register("incoming", _frame(rows))
            conn.execute(f"create table marts.{table} as select * from incoming")

    def materialize(self, asset_key=BUDGET_ASSET_KEY) -> None:
        self.instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=list(asset_key)))

    def tick(self, sensor_name: str = "budget_alerts_sensor"):
        """One sensor evaluation, then every run it requested (once per run key, like the daemon)."""
        sensor = self.defs.get_sensor_def(sensor_name)
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(sensor_name),
            definitions=self.defs,
            resources={"alerts": self.defs.resources["alerts"]},
        ) as context:
            result = sensor(context)
        EXERCISED["ticks"] += 1
        self.cursors[sensor_name] = result.cursor
        for request in result.run_requests or []:
            if request.run_key in self.run_keys:
                continue
            self.run_keys.add(request.run_key)
            job = self.defs.resolve_job_def(sensor.job_name)
            run = job.execute_in_process(instance=self.instance, tags=request.tags)
            EXERCISED["runs"] += 1
            assert run.success
            self.results.append(run)
        return result


def _frame(rows: list[dict]):
    import pyarrow as pa

    return pa.Table.from_pylist(rows)


@pytest.fixture
def harness(instance: dg.DagsterInstance, warehouse_path: Path) -> AlertHarness:
    return AlertHarness(instance, warehouse_path)
