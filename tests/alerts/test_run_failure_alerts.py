"""The run-failure sensor: a real failed run in a real instance posts its failing step and error."""

from __future__ import annotations

import dagster as dg


@dg.op
def load_prices():
    return 1


@dg.op
def compute_costs(prices: int):
    raise ValueError("disk full while writing marts.cost_by_model")


@dg.job
def nightly_costs():
    compute_costs(load_prices())


def _failure_context(instance: dg.DagsterInstance, defs: dg.Definitions):
    result = nightly_costs.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(
        event
        for event in result.all_events
        if event.event_type_value == dg.DagsterEventType.PIPELINE_FAILURE.value
    )
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"alerts": defs.resources["alerts"]},
    ).for_run_failure(), result.run_id


def test_failed_run_posts_step_and_error_once(instance, slack, webhook, harness, monkeypatch):
    monkeypatch.setenv("DAGSTER_UI_URL", "http://dagster.example:3000")
    defs = harness.defs
    sensor = defs.get_sensor_def("run_failure_alerts_sensor")
    context, run_id = _failure_context(instance, defs)

    sensor(context)
    sensor(context)  # the daemon may evaluate the same failure again: still one message

    assert len(slack.delivered) == 1
    body = slack.delivered[0].body
    assert "nightly_costs" in body["text"] and "compute_costs" in body["text"]
    blocks = str(body["blocks"])
    assert "disk full while writing marts.cost_by_model" in blocks
    assert f"http://dagster.example:3000/runs/{run_id}" in blocks


def test_failure_alert_survives_an_outage(instance, slack, webhook, harness):
    defs = harness.defs
    context, _ = _failure_context(instance, defs)
    slack.answer_next("500")
    defs.get_sensor_def("run_failure_alerts_sensor")(context)
    assert slack.delivered == []
    # The delivery sensor's next tick delivers what is pending, the failure alert included.
    harness.tick()
    harness.tick()
    assert len(slack.delivered) == 1
    assert "compute_costs" in slack.delivered[0].body["text"]
