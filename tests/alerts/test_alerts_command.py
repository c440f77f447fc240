"""`mlcost alerts check|test`: the same evaluation as the sensors, against the same ledger."""

from __future__ import annotations

import json
import subprocess
import sys

from pipelines.cli import main
from pipelines.lib.alerts.settings import from_env
from tests.alerts.conftest import budget_row, open_period


def test_check_delivers_once_and_the_sensor_agrees(harness, slack, webhook, capsys):
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=820, projected=990)])
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "2 new alert(s) due" in out and out.count("sent     ") == 2
    assert main(["alerts", "check"]) == 0
    assert "0 new alert(s) due" in capsys.readouterr().out
    # The running sensor evaluates the same mart later: nothing new to say.
    harness.materialize()
    harness.tick()
    harness.tick()
    assert len(slack.delivered) == 2
    assert main(["alerts", "status"]) == 0
    assert capsys.readouterr().out.count("sent ") == 2


def test_check_without_slack_writes_the_alerts_log_once(harness, capsys):
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=600)])
    assert main(["alerts", "check"]) == 0
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "destination log" in out and "alerts were written to" in out, out
    # The sensors' DAGSTER_HOME (here the test instance's) holds the ledger and the log.
    log = from_env().resolved_log_path()
    assert str(log) in out
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 1 and "spend reached 50%" in lines[0]["text"]


def test_test_command_posts_a_test_message(slack, webhook, capsys):
    assert main(["alerts", "test"]) == 0
    assert "delivered to slack-webhook" in capsys.readouterr().out
    assert len(slack.delivered) == 1 and "mlcost" in slack.delivered[0].body["text"]


def test_check_and_sensors_work_while_a_run_holds_the_warehouse_lock(
    harness, slack, webhook, capsys, warehouse_path
):
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=600)])
    slack.answer_next("500")
    assert main(["alerts", "check"]) == 1
    # A pipeline run now holds the DuckDB write lock in another process.
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(warehouse_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "ready"
        assert main(["alerts", "check"]) == 0
        # The sensors never open the warehouse, so they tick normally while it is locked.
        result = harness.tick()
        assert "no new materialization" in result.skip_reason.skip_message
    finally:
        writer.communicate("", timeout=30)
    out = capsys.readouterr().out
    assert "not evaluated: the warehouse is being written" in out
    assert len(slack.delivered) == 1 and "spend reached 50%" in slack.delivered_texts()[0]
