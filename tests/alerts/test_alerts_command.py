"""`mlcost alerts check|test|status`: the same recording and delivery as a build and the sensor, against
the same ledger, from the published copy (so a run writing the warehouse never blocks it)."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg

from pipelines.cli import main
from pipelines.defs.alerts.assets import alert_ledger
from pipelines.lib.alerts.settings import from_env
from tests.alerts.conftest import budget_row, open_period


def test_check_delivers_once_and_the_sensor_agrees(harness, slack, webhook, capsys):
    # Spend at 52% and a forecast whose interval reaches 100%: two alerts.
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=1150)])
    harness.publish()
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "2 new alert(s) due" in out and out.count("sent     ") == 2
    assert main(["alerts", "check"]) == 0
    assert "0 new alert(s) due" in capsys.readouterr().out
    # The build's ledger asset and the running sensor see the same alerts later: nothing new to say.
    harness.record()
    harness.tick()
    harness.tick()
    assert len(slack.delivered) == 2
    assert main(["alerts", "status"]) == 0
    assert capsys.readouterr().out.count("sent ") == 2


def test_check_without_slack_writes_the_alerts_log_once(harness, capsys):
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=600)])
    harness.build()
    assert main(["alerts", "check"]) == 0
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "destination log" in out and "alerts were written to" in out, out
    # The sensors' DAGSTER_HOME (here the test's) holds the ledger and the log.
    log = from_env().resolved_log_path()
    assert str(log) in out
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 1 and "spend reached 50%" in lines[0]["text"]


def test_check_before_any_build_says_so_and_still_delivers(harness, slack, webhook, capsys):
    from pipelines.lib.alerts.ledger import Alert

    harness.ledger.record(
        Alert("run_failure:abc", "run_failure", "Run abc failed", {"text": "Run abc failed"})
    )
    assert main(["alerts", "check"]) == 0
    out = capsys.readouterr().out
    assert "not evaluated: no published copy of the marts at" in out and "run `mlcost refresh` first" in out
    assert slack.delivered_texts() == ["Run abc failed"]


def test_test_command_posts_a_test_message(slack, webhook, capsys):
    assert main(["alerts", "test"]) == 0
    assert "delivered to slack-webhook" in capsys.readouterr().out
    assert len(slack.delivered) == 1 and "mlcost" in slack.delivered[0].body["text"]


def test_recording_and_check_never_wait_for_a_run_holding_the_warehouse_lock(
    harness, slack, webhook, capsys, warehouse_path, instance
):
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=600)])
    harness.publish()
    # A pipeline run now holds the DuckDB write lock in another process.
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "sys.stdin.read()", str(warehouse_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "ready"
        # The ledger asset reads the published copy: it records while the warehouse is locked.
        result = dg.materialize(
            [alert_ledger], instance=instance, resources={"alerts": harness.defs.resources["alerts"]}
        )
        assert result.success
        assert result.asset_materializations_for_node("alerts__ledger")[0].metadata["new_alerts"].value == 1
        slack.answer_next("500")
        assert main(["alerts", "check"]) == 1  # Slack failed; the alert stays pending
        assert main(["alerts", "check"]) == 0
        harness.tick()
    finally:
        writer.communicate("", timeout=30)
    out = capsys.readouterr().out
    assert "not evaluated" not in out
    assert len(slack.delivered) == 1 and "spend reached 50%" in slack.delivered_texts()[0]
