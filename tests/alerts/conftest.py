"""Fixtures for the alert tests: a Slack-like server, a real Dagster instance, a real DuckDB file, the
real alert models, and a harness that does what the end of a build and the delivery sensor do."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.defs.alerts import sensors as alert_sensors
from pipelines.defs.alerts.assets import alert_ledger
from pipelines.lib import published
from pipelines.lib.alerts.ledger import Ledger
from pipelines.lib.settings import REPO_ROOT
from tests.alerts.slack_server import FakeSlack

# What the whole alert suite exercised; printed at the end of the run.
EXERCISED: Counter = Counter()

WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/xyzSecretWebhookToken123"
BOT_TOKEN = "xoxb-1234-5678-secretBotToken"

# The marts the alert models read, with the columns they use, for tests that leave one empty.
INPUT_TABLES = {
    "budget_projection": (
        "budget_name varchar, scope_type varchar, scope_value varchar, cost_basis varchar, "
        "budget_amount decimal(38, 10), billing_period date, billing_currency varchar, "
        "actual_cost decimal(38, 10), data_through_date date, projected_cost decimal(38, 10), "
        "projected_low decimal(38, 10), projected_high decimal(38, 10), actual_pct double, "
        "projected_pct double, crossed_actual_thresholds double[], crossed_forecast_thresholds double[], "
        "history_days bigint, days_elapsed bigint"
    ),
    "cost_attribution": (
        "billing_period date, usage_date date, model_name varchar, team varchar, project varchar, "
        "environment varchar, category varchar, service_name varchar, service_code varchar, "
        "billing_currency varchar, billed_cost decimal(38, 10), effective_cost decimal(38, 10), "
        "is_month_level_charge boolean, usage_type varchar, resource_id varchar, sub_account_id varchar, "
        "billing_account_id varchar"
    ),
    "cost_by_model": (
        "usage_date date, model_name varchar, team varchar, environment varchar, category varchar, "
        "service_name varchar, billing_period date, billed_cost decimal(38, 10), "
        "effective_cost decimal(38, 10), list_cost decimal(38, 10), billing_currency varchar, line_items bigint"
    ),
}


def exercised_line(counts: Counter) -> str:
    return (
        f"alerts: {counts['builds']} ledger materializations, {counts['ticks']} sensor ticks, "
        f"{counts['requests']} Slack requests: {counts['delivered']} messages delivered, "
        f"{counts['failures']} failures answered (500, 429, slow)"
    )


def pytest_terminal_summary(terminalreporter) -> None:
    if EXERCISED:
        terminalreporter.write_line(exercised_line(EXERCISED))


def pytest_sessionfinish(session) -> None:
    # An xdist worker prints no summary: it hands its counts to the controller (tests/conftest.py).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and EXERCISED:
        workeroutput["alerts_exercised"] = dict(EXERCISED)


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
        "MARTS_READ_PATH",
        "MLCOST_AS_OF_DATE",
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


def dbt(args: list[str], warehouse: Path, workdir: Path, **env: str) -> subprocess.CompletedProcess:
    """A real dbt command on `warehouse`, with the alert settings of `env` only."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALERTS_")}
    environ.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)  # `build` runs the alert models' unit tests
    environ.update(WAREHOUSE_PATH=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false", **env)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", ".",
         "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")],
        cwd=REPO_ROOT / "dbt_project", env=environ, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


# Six weeks of daily cost per model ending yesterday: weekday/weekend seasonality with noise, a weekly
# batch job, a planted spike on the last day and a real but older one (the anomaly tests' data).
DAYS = 56
LAST_DAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
FIRST_DAY = LAST_DAY - dt.timedelta(days=DAYS - 1)
OLD_SPIKE_DAY = LAST_DAY - dt.timedelta(days=12)


def _cost(model: str, day: dt.date, i: int) -> float:
    weekend = day.weekday() >= 5
    if model == "batch":  # a weekly job: every Monday, nothing otherwise
        return 500.0 + (i * 13) % 9 if day.weekday() == 0 else 0.0
    base = (40.0 if weekend else 100.0) + (i * 37) % 11 - 5
    if model == "churn" and day == LAST_DAY:
        base += 300  # the planted spike
    if model == "fraud" and day == OLD_SPIKE_DAY:
        base += 400  # a real anomaly, but too old to announce
    return base


def anomaly_series() -> list[tuple]:
    """Rows of marts.cost_attribution: daily usage per model, and month-level fees on each period's
    first day (z of 28 and 87 on the old detector): not daily usage, never an anomaly."""
    rows = []
    for i in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=i)
        for model in ("churn", "fraud", "batch"):
            cost = _cost(model, day, i)
            rows.append(
                (day.replace(day=1), day, model, "ml", "p", "prod", "inference", "Amazon SageMaker",
                 "AmazonSageMaker", "USD", cost, cost, False, "USE1-Host:ml.m5.large",
                 f"arn:aws:sagemaker:us-east-1:111111111111:endpoint/{model}", "111111111111", "999")
            )  # fmt: skip
        if day.day == 1 or i == 0:
            rows.append(
                (day.replace(day=1), day, "unattributed", "unattributed", "unattributed", "unattributed",
                 "other", "AWS Support", "AWSSupport", "USD", 2500.0, 2500.0, True, "Dollar",
                 None, "111111111111", "999")
            )  # fmt: skip
    return rows


@dataclass(frozen=True)
class AlertMarts:
    warehouse: Path  # generated marts.cost_attribution, and the alert marts dbt built from it
    sql: dict[str, str]  # model name -> its SQL as dbt compiled it


@pytest.fixture(scope="session")
def alert_marts(tmp_path_factory) -> AlertMarts:
    """One real `dbt build` of marts.cost_anomalies and marts.budget_alerts per session, on generated
    costs (and no budgets), with the default settings: it runs their unit tests (every budget alert
    rule, the planted spike, weekly seasonality, currencies), the models and their data tests.

    The compiled SQL it leaves names its inputs `"warehouse"."marts".<table>`: every test's warehouse
    file is called warehouse.duckdb (tests/conftest.py), so the harness runs it on the test's own file.
    """
    base = tmp_path_factory.mktemp("alert_marts")
    path = base / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        for table, columns in INPUT_TABLES.items():
            conn.execute(f"create table marts.{table} ({columns})")
        conn.executemany(
            "insert into marts.cost_attribution values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            anomaly_series(),
        )
    result = dbt(["build", "--select", "cost_anomalies", "budget_alerts"], path, base)
    assert "PASS=" in result.stdout and "ERROR=0" in result.stdout
    compiled = base / "target" / "compiled" / "mlcost" / "models" / "marts" / "alerts"
    return AlertMarts(
        path, {name: (compiled / f"{name}.sql").read_text() for name in ("budget_alerts", "cost_anomalies")}
    )


def open_period(today: dt.date | None = None) -> dt.date:
    """The open billing period: the month containing today (UTC), as the mart decides it."""
    return (today or dt.datetime.now(dt.UTC).date()).replace(day=1)


def budget_row(name: str, period: dt.date, actual: float, projected: float, **extra) -> dict:
    """A row shaped like marts.budget_projection, with the thresholds reached computed as that mart
    does for a positive budget (its own unit tests prove it)."""
    row = {
        "budget_name": name,
        "scope_type": "total",
        "scope_value": "",
        "cost_basis": "effective",
        "budget_amount": 1000.0,
        "billing_period": period,
        "billing_currency": "USD",
        "actual_cost": actual,
        "data_through_date": period + dt.timedelta(days=9),
        "projected_cost": projected,
        "projected_low": projected * 0.9,
        "projected_high": projected * 1.1,
        "actual_thresholds": [50.0, 80.0, 100.0],
        "forecast_thresholds": [100.0],
        "history_days": 90,
    }
    row.update(extra)
    row["days_elapsed"] = (row["data_through_date"] - row["billing_period"]).days + 1
    row["actual_pct"] = 100 * row["actual_cost"] / row["budget_amount"]
    row["projected_pct"] = 100 * row["projected_cost"] / row["budget_amount"]
    row["crossed_actual_thresholds"] = [t for t in row["actual_thresholds"] if row["actual_pct"] >= t]
    row["crossed_forecast_thresholds"] = [t for t in row["forecast_thresholds"] if row["projected_pct"] >= t]
    return row


class AlertHarness:
    """The end of a build (the alert models, the published copy, the alerts/ledger asset) and ticks of
    the real alert sensors, against a real instance, a real DuckDB file and a real ledger."""

    def __init__(self, instance: dg.DagsterInstance, warehouse_path: Path, model_sql: dict[str, str]):
        self.instance = instance
        self.warehouse_path = warehouse_path
        self.model_sql = model_sql
        self.builds: list[dg.ExecuteInProcessResult] = []
        self.restart()

    def restart(self) -> None:
        """A new code location load: fresh Definitions, built from the environment when next used;
        the ledger stays."""
        self._defs = None

    @property
    def defs(self) -> dg.Definitions:
        if self._defs is None:
            self._defs = dg.Definitions.merge(alert_sensors.alerts(), dg.Definitions(assets=[alert_ledger]))
        return self._defs

    @property
    def ledger(self) -> Ledger:
        return self.defs.resources["alerts"].ledger()

    def write_table(self, table: str, rows: list[dict]) -> None:
        import pyarrow as pa

        with duckdb.connect(str(self.warehouse_path)) as conn:
            conn.execute("create schema if not exists marts")
            conn.execute(f"drop table if exists marts.{table}")
            conn.register("incoming", pa.Table.from_pylist(rows))
            conn.execute(f"create table marts.{table} as select * from incoming")

    def publish(self, build_models: bool = True) -> Path:
        """Build the alert models from the marts written so far (inputs not written are empty) with
        their compiled dbt SQL, then publish the read-only copy, as the build does."""
        target = published.read_copy_path()
        with duckdb.connect(str(self.warehouse_path)) as conn:
            conn.execute("create schema if not exists marts")
            if build_models:
                for table, columns in INPUT_TABLES.items():
                    conn.execute(f"create table if not exists marts.{table} ({columns})")
                for model, sql in self.model_sql.items():
                    conn.execute(f"create or replace table marts.{model} as {sql}")
            published.publish(conn, target)
        return target

    def record(self) -> dg.ExecuteInProcessResult:
        """Materialize the alerts/ledger asset, as the last step of build_warehouse."""
        result = dg.materialize(
            [alert_ledger], instance=self.instance, resources={"alerts": self.defs.resources["alerts"]}
        )
        EXERCISED["builds"] += 1
        assert result.success
        self.builds.append(result)
        return result

    def build(self) -> dg.ExecuteInProcessResult:
        self.publish()
        return self.record()

    def tick(self, sensor_name: str = "alert_delivery_sensor") -> dg.SensorResult:
        """One evaluation of a sensor, as the daemon would run it."""
        sensor = self.defs.get_sensor_def(sensor_name)
        with dg.build_sensor_context(
            instance=self.instance, definitions=self.defs, resources={"alerts": self.defs.resources["alerts"]}
        ) as context:
            result = sensor(context)
        EXERCISED["ticks"] += 1
        return result


@pytest.fixture
def harness(instance: dg.DagsterInstance, warehouse_path: Path, alert_marts: AlertMarts) -> AlertHarness:
    return AlertHarness(instance, warehouse_path, alert_marts.sql)
