"""`mlcost alerts`: record newly due alerts and deliver them, post a test message, or list the ledger.

`check` does what a build and the delivery sensor do, against the same ledger: it records the alerts
the published copy of the marts says are due (pipelines.lib.alerts.due), then delivers everything
pending (pipelines.lib.alerts.delivery). An alert it sends is never sent again by the sensor, and
the other way round.
"""

from __future__ import annotations

import argparse
import datetime as dt

from pipelines.lib import published
from pipelines.lib.alerts.delivery import ConfigurationError, LogDestination, deliver_pending, destination_for
from pipelines.lib.alerts.due import PublishedCopyError, record_due_alerts
from pipelines.lib.alerts.ledger import Ledger
from pipelines.lib.alerts.messages import setup_check_message
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
    not_evaluated = None
    try:
        # The published copy: readable while a pipeline run writes the warehouse.
        new = record_due_alerts(published.read_copy_path(), ledger, alert_settings.ui_url)
    except PublishedCopyError as exc:
        not_evaluated = str(exc)
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
    if not_evaluated:
        print(f"not evaluated: {not_evaluated}")
    return 1 if report.failed else 0


def test(args: argparse.Namespace) -> int:
    alert_settings = from_env()
    destination = _destination(alert_settings)
    result = destination.send(setup_check_message(destination=destination.name, ui_url=alert_settings.ui_url))
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
    # Everything still to send; what was sent (or expired unsent) in the last --days days.
    shown = [
        row
        for row in rows
        if row.status in ("pending", "sending") or (row.sent_at or row.created_at) >= since
    ]
    for row in shown:
        detail = f" ({row.attempts} attempts, last error: {row.last_error})" if row.last_error else ""
        print(f"{row.status:<8} {row.sent_at or row.created_at}  {row.key}{detail}")
    print(f"{len(shown)} alert(s) shown; ledger {ledger.path} holds {len(rows)}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("alerts", help="budget, anomaly and run-failure alerts to Slack")
    commands = parser.add_subparsers(dest="alerts_command", required=True)
    commands.add_parser(
        "check", help="record the alerts the published marts say are due, then deliver everything pending"
    ).set_defaults(func=check)
    commands.add_parser("test", help="post a test message to the configured Slack destination").set_defaults(
        func=test
    )
    status_parser = commands.add_parser(
        "status", help="list pending and expired alerts and those sent recently"
    )
    status_parser.add_argument("--days", type=int, default=7, help="show alerts sent in the last N days (7)")
    status_parser.set_defaults(func=status)
