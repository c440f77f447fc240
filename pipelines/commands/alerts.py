"""`mlcost alerts`: evaluate budget and anomaly alerts once and deliver them, or post a test message.

`check` runs the same code as the alert jobs and sensors (pipelines.lib.alerts.service) against the
same ledger, so an alert it sends is never sent again by the sensors, and the other way round.
"""

from __future__ import annotations

import argparse
import datetime as dt

import duckdb

from pipelines.lib import settings as project_settings
from pipelines.lib import warehouse
from pipelines.lib.alerts.delivery import ConfigurationError, LogDestination, destination_for
from pipelines.lib.alerts.ledger import Ledger
from pipelines.lib.alerts.messages import format_test_message
from pipelines.lib.alerts.service import check_anomalies, check_budgets, deliver_pending
from pipelines.lib.alerts.settings import from_env


def _error(message: str) -> Exception:
    from pipelines.commands import CommandError

    return CommandError(message)


def _destination(alert_settings):
    try:
        return destination_for(alert_settings)
    except ConfigurationError as exc:
        raise _error(str(exc)) from None


def check(args: argparse.Namespace) -> int:
    alert_settings = from_env()
    destination = _destination(alert_settings)
    ledger = Ledger(alert_settings.resolved_state_path())
    busy = None
    path = project_settings.warehouse_path()
    if not path.exists():
        busy = f"no warehouse at {path} yet (run `mlcost refresh` first)"
    else:
        try:
            with warehouse.connect(path, read_only=True) as conn:
                new = check_budgets(conn, ledger, alert_settings) + check_anomalies(
                    conn, ledger, alert_settings
                )
        except duckdb.IOException:
            busy = "the warehouse is being written by a pipeline run; the running sensors will evaluate it"
        else:
            for alert in new:
                print(f"due      {alert.summary}")
            print(f"{len(new)} new alert(s) due")
    report = deliver_pending(ledger, destination)
    for row in report.sent:
        print(f"sent     {row.summary}")
    for row, error in report.failed:
        print(f"pending  {row.summary} ({error})")
    waiting = len(ledger.rows("pending"))
    print(f"destination {destination.name}: {report.describe()}; {waiting} still pending")
    if isinstance(destination, LogDestination) and report.sent:
        print(f"(no Slack configured: alerts were written to {destination.path})")
    if busy:
        print(f"not evaluated: {busy}")
    return 1 if report.failed else 0


def test(args: argparse.Namespace) -> int:
    alert_settings = from_env()
    destination = _destination(alert_settings)
    result = destination.send(format_test_message(destination=destination.name, ui_url=alert_settings.ui_url))
    if not result.ok:
        print(f"test message to {destination.name} failed: {result.error}")
        return 1
    if isinstance(destination, LogDestination):
        print(
            "No Slack destination is configured (set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN and "
            f"SLACK_CHANNEL); the test message was written to {destination.path}"
        )
    else:
        print(f"test message delivered to {destination.name}")
    return 0


def status(args: argparse.Namespace) -> int:
    alert_settings = from_env()
    ledger = Ledger(alert_settings.resolved_state_path())
    rows = ledger.rows()
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=args.days)).isoformat(timespec="seconds")
    shown = [row for row in rows if row.status != "sent" or (row.sent_at or "") >= since]
    for row in shown:
        detail = f" ({row.attempts} attempts, last error: {row.last_error})" if row.status != "sent" else ""
        print(f"{row.status:<8} {row.sent_at or row.created_at}  {row.key}{detail}")
    print(f"{len(shown)} alert(s) shown; ledger {ledger.path} holds {len(rows)}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("alerts", help="budget, anomaly and run-failure alerts to Slack")
    commands = parser.add_subparsers(dest="alerts_command", required=True)
    commands.add_parser(
        "check", help="evaluate budgets and anomalies once and deliver what is due (and anything pending)"
    ).set_defaults(func=check)
    commands.add_parser("test", help="post a test message to the configured Slack destination").set_defaults(
        func=test
    )
    status_parser = commands.add_parser("status", help="list pending alerts and those sent recently")
    status_parser.add_argument("--days", type=int, default=7, help="show alerts sent in the last N days (7)")
    status_parser.set_defaults(func=status)
