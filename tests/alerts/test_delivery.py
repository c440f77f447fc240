"""Delivery through the Web API (bot token and channel) and the promise that the webhook URL and the
token never show up in errors, logs, the ledger or command output."""

from __future__ import annotations

import logging
import socket

from pipelines.cli import main
from pipelines.lib.alerts.delivery import scrub
from pipelines.lib.alerts.settings import from_env
from tests.alerts.conftest import BOT_TOKEN, WEBHOOK_PATH, budget_row, open_period


def test_bot_token_posts_to_the_channel_through_the_web_api(harness, slack, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_CHANNEL", "#ml-costs")
    monkeypatch.setenv("SLACK_API_URL", slack.url + "/api")
    # Spend at 55% and a forecast whose interval reaches 100%: two alerts.
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=550, projected=1150)])
    harness.build()
    slack.answer_next("500")
    harness.tick()
    harness.tick()
    harness.tick()
    assert [r.path for r in slack.delivered] == ["/api/chat.postMessage", "/api/chat.postMessage"]
    first = slack.delivered[0]
    assert first.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert first.body["channel"] == "#ml-costs"
    assert first.body["blocks"][0]["type"] == "header"
    assert "spend reached 50%" in first.body["text"]


# Bound and never listening: connections are refused, and no server of another test (xdist worker)
# can be given the port meanwhile.
_UNUSED_SOCKETS: list[socket.socket] = []


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _UNUSED_SOCKETS.append(sock)
    return sock.getsockname()[1]


def test_secrets_never_reach_errors_logs_ledger_or_output(
    harness, slack, webhook, instance, monkeypatch, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=600, projected=700)])
    harness.build()
    slack.answer_next("500")  # the error page repeats the secret path
    harness.tick()
    # Then Slack is unreachable altogether.
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{_closed_port()}{WEBHOOK_PATH}")
    harness.restart()
    harness.build()  # the same alert decided again: still one ledger entry
    result = harness.tick()
    assert main(["alerts", "check"]) == 1
    assert main(["alerts", "test"]) == 1

    ledger_rows = harness.ledger.rows()
    assert [row.status for row in ledger_rows] == ["pending"]
    assert ledger_rows[0].last_error  # the failure is recorded, without the secret
    secret = WEBHOOK_PATH.rsplit("/", 1)[-1]
    run_logs = [event.message for run in harness.builds for event in instance.all_logs(run.run_id)]
    places = {
        "ledger error": ledger_rows[0].last_error,
        "ledger files": "".join(
            path.read_bytes().decode("utf-8", "replace")
            for path in from_env().resolved_state_path().parent.glob("ledger.sqlite*")
        ),
        "python logs": caplog.text,
        "run logs": "\n".join(run_logs),
        "sensor skip reason": result.skip_reason.skip_message,
        "command output": "".join(capsys.readouterr()),
        "settings repr": repr(from_env()),
    }
    assert "error at ***" in "\n".join(places.values())  # the echoed path was there, scrubbed
    for place, text in places.items():
        assert secret not in text, place
        assert "T0SECRET" not in text, place


def test_a_token_without_channel_keeps_alerts_pending_until_fixed(harness, slack, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.url + "/api/")
    harness.write_table("budget_projection", [budget_row("churn", open_period(), actual=520, projected=600)])
    harness.build()  # recording needs no destination
    result = harness.tick()  # the tick succeeds and says why nothing was sent
    assert "not delivered: SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not" in result.skip_reason.skip_message
    assert main(["alerts", "check"]) == 2  # one line on stderr, no traceback
    assert "SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not" in capsys.readouterr().err
    assert [row.status for row in harness.ledger.rows()] == ["pending"]
    monkeypatch.setenv("SLACK_CHANNEL", "C0123")
    harness.restart()
    harness.tick()
    assert len(slack.delivered) == 1 and slack.delivered[0].body["channel"] == "C0123"


def test_scrub_removes_tokens_and_webhook_urls():
    text = "failed xoxb-1-2-abc at https://hooks.slack.com/services/T/B/abc and custom-secret"
    assert scrub(text, ["custom-secret"]) == "failed *** at https://*** and ***"
