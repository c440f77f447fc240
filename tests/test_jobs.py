"""Keeping the warehouse fresh under `make dev`: schedules skip unconfigured sources, and new data
leads to one rebuild of the marts."""

from __future__ import annotations

import shutil

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.jobs import build_after_ingest, hourly_prediction_counts, hourly_sagemaker_metadata
from pipelines.defs.resources import source_resources
from tests.ingest.billing_helpers import FIXTURES


def test_schedules_skip_sources_that_are_not_configured():
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=source_resources()) as context:
            assert isinstance(hourly_sagemaker_metadata(context), dg.SkipReason)
            assert isinstance(hourly_prediction_counts(context), dg.SkipReason)


def test_prediction_schedule_requests_the_lookback_window_as_one_range(monkeypatch, tmp_path):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    monkeypatch.setenv("CLOUDWATCH_LOOKBACK_DAYS", "2")
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=source_resources()) as when:
            requests = hourly_prediction_counts(when)
    assert len(requests) == 1
    tags = requests[0].tags
    assert tags["dagster/asset_partition_range_start"] < tags["dagster/asset_partition_range_end"]


def test_build_follows_a_successful_ingest_once(tmp_path, monkeypatch):
    exports = tmp_path / "exports"
    shutil.copytree(FIXTURES / "cur2_csv_gz", exports)
    monkeypatch.setenv("CUR_EXPORT_URI", str(exports))
    with dg.instance_for_test() as instance:
        assert isinstance(build_after_ingest(dg.build_sensor_context(instance=instance)), dg.SkipReason)
        instance.add_dynamic_partitions("billing_period", ["2024-09-01"])
        result = (
            defs()
            .resolve_job_def("ingest_billing")
            .execute_in_process(instance=instance, partition_key="2024-09-01")
        )
        request = build_after_ingest(dg.build_sensor_context(instance=instance))
        assert isinstance(request, dg.RunRequest)
        assert request.run_key == f"after-{result.run_id}"
