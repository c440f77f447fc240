"""Parsing real recorded SageMaker responses (cloud-custodian placebo files) into warehouse rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipelines.lib.sagemaker import parse

RECORDED = Path(__file__).parents[1] / "fixtures" / "sagemaker_api"
FETCHED = datetime(2026, 1, 2, 3, 4, 5)


def _revive(value):
    """placebo's {"__class__": "datetime", ...} objects -> aware UTC datetimes, as boto3 returns them."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            fields = {
                k: value[k] for k in ("year", "month", "day", "hour", "minute", "second", "microsecond")
            }
            return datetime(**fields, tzinfo=UTC)
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def recorded(path: str) -> dict:
    data = json.loads((RECORDED / path).read_text())["data"]
    data.pop("ResponseMetadata", None)
    return _revive(data)


def test_training_job_from_recording():
    row = parse.training_job_row(
        recorded("test_sagemaker_training_job_query/api.sagemaker.DescribeTrainingJob_1.json"),
        [{"Key": "user:Team", "Value": "vision"}],
        FETCHED,
    )
    assert row["training_job_name"] == "c7n-job-2018-01-12-18-23-33"
    assert row["account_id"] == "644160558196" and row["region"] == "us-east-1"
    assert row["status"] == "Failed"
    assert row["created_at"] == datetime(2018, 1, 12, 13, 23, 33, 406000)
    assert row["started_at"] == datetime(2018, 1, 12, 13, 27, 36, 138000)
    assert row["ended_at"] == datetime(2018, 1, 12, 13, 30, 1, 498000)
    assert (row["instance_type"], row["instance_count"], row["volume_size_gb"]) == ("ml.c4.8xlarge", 2, 50)
    assert row["max_runtime_seconds"] == 3600 and row["max_wait_seconds"] is None
    # The recordings predate BillableTimeInSeconds: absent fields stay NULL, never 0.
    assert row["billable_seconds"] is None and row["training_seconds"] is None
    assert row["is_managed_spot"] is False
    assert row["algorithm"] == "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:latest"
    assert row["final_metrics"] == {}
    assert row["tags"] == {"team": "vision"} and row["tags_original"] == {"user:Team": "vision"}
    assert row["failure_reason"].startswith("ClientError: Unable to read input data")


def test_training_job_list_summary_times_match_describe():
    summary = recorded("test_sagemaker_training_job_query/api.sagemaker.ListTrainingJobs_1.json")[
        "TrainingJobSummaries"
    ][0]
    described = recorded("test_sagemaker_training_job_query/api.sagemaker.DescribeTrainingJob_1.json")
    # The incremental skip compares the list summary's LastModifiedTime with the stored one.
    assert (
        parse.utc(summary["LastModifiedTime"])
        == parse.training_job_row(described, [], FETCHED)["last_modified_at"]
    )


def test_endpoint_and_variants_from_recordings():
    endpoint = recorded("test_sagemaker_endpoints/api.sagemaker.DescribeEndpoint_1.json")
    config = recorded("test_sagemaker_endpoint_config/api.sagemaker.DescribeEndpointConfig_1.json")
    row = parse.endpoint_row(endpoint, [], FETCHED)
    assert row["endpoint_name"] == "kmeans-2018-01-18-19-25-36-887"
    assert row["status"] == "Creating" and row["is_deleted"] is False
    assert row["endpoint_config_name"] == "kmeans-2018-01-18-19-25-36-887"
    assert row["created_at"] == datetime(2018, 1, 18, 15, 7, 36, 710000)
    variants = parse.endpoint_variant_rows(endpoint, config, FETCHED)
    assert [
        (v["variant_name"], v["model_name"], v["instance_type"], v["initial_instance_count"])
        for v in variants
    ] == [("AllTraffic", "kmeans-2018-01-18-19-32-39-784", "ml.m4.xlarge", 1)]
    # The endpoint is still Creating: no live variant yet, so no current count.
    assert variants[0]["current_instance_count"] is None and variants[0]["is_async"] is False


def test_variants_without_config_come_from_the_endpoint():
    endpoint = {
        "EndpointName": "ep",
        "EndpointArn": "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/ep",
        "ProductionVariants": [
            {"VariantName": "blue", "CurrentInstanceCount": 3},
            {"VariantName": "sls", "CurrentServerlessConfig": {"MemorySizeInMB": 4096, "MaxConcurrency": 10}},
        ],
    }
    rows = parse.endpoint_variant_rows(endpoint, None, FETCHED)
    assert [
        (r["variant_name"], r["model_name"], r["current_instance_count"], r["serverless_memory_mb"])
        for r in rows
    ] == [
        ("blue", None, 3, None),
        ("sls", None, None, 4096),
    ]
    assert {r["account_id"] for r in rows} == {"111122223333"}


def test_model_notebook_processing_transform_from_recordings():
    model = parse.model_row(recorded("test_sagemaker_model/api.sagemaker.DescribeModel_1.json"), [], FETCHED)
    assert (model["model_name"], model["is_multi_model"], model["image"]) == (
        "sagemaker-model",
        False,
        "644160558196.dkr.ecr.us-east-1.amazonaws.com/test:latest",
    )
    nb = parse.notebook_instance_row(
        recorded("test_sagemaker_notebook_instances/api.sagemaker.DescribeNotebookInstance_1.json"),
        [],
        FETCHED,
    )
    assert (nb["notebook_instance_name"], nb["status"], nb["instance_type"]) == (
        "c7n-ni-test",
        "Stopped",
        "ml.t2.medium",
    )
    assert nb["last_modified_at"] == datetime(2018, 1, 18, 17, 9, 45, 64000)
    proc = parse.processing_job_row(
        recorded("test_sagemaker_processing_job_query/api.sagemaker.DescribeProcessingJob_1.json"),
        [],
        FETCHED,
    )
    assert (
        proc["processing_job_name"],
        proc["instance_type"],
        proc["instance_count"],
        proc["volume_size_gb"],
    ) == (
        "c7n-test",
        "ml.m4.xlarge",
        1,
        1,
    )
    assert proc["started_at"] is None and proc["ended_at"] == datetime(2024, 4, 17, 10, 24, 44, 27000)
    tx = parse.transform_job_row(
        recorded("test_sagemaker_transform_job_query/api.sagemaker.DescribeTransformJob_1.json"), [], FETCHED
    )
    assert (tx["transform_job_name"], tx["model_name"], tx["instance_type"], tx["status"]) == (
        "Batch-Transform-2018-10-24-20-23-46-100",
        "kmeans-2018-10-24-18-00-02-250",
        "ml.c4.xlarge",
        "Completed",
    )
    assert tx["ended_at"] - tx["started_at"] == timedelta(minutes=2, seconds=12)


def test_multi_model_container_and_tuning_job():
    model = parse.model_row(
        {
            "ModelName": "mme",
            "ModelArn": "arn:aws:sagemaker:us-east-1:111122223333:model/mme",
            "PrimaryContainer": {"Image": "img", "Mode": "MultiModel"},
        },
        [],
        FETCHED,
    )
    assert model["is_multi_model"] is True
    job = parse.training_job_row(
        {
            "TrainingJobName": "t-001",
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/t-001",
            "TuningJobArn": "arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/hpo-7",
            "AlgorithmSpecification": {"AlgorithmName": "xgboost-algo"},
            "EnableManagedSpotTraining": True,
            "BillableTimeInSeconds": 41,
            "TrainingTimeInSeconds": 120,
            "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200},
            "ResourceConfig": {
                "InstanceGroups": [
                    {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "InstanceGroupName": "a"},
                    {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "InstanceGroupName": "b"},
                ],
                "VolumeSizeInGB": 10,
                "KeepAlivePeriodInSeconds": 900,
            },
            "WarmPoolStatus": {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 900},
            "FinalMetricDataList": [{"MetricName": "validation:rmse", "Value": 0.25}],
        },
        [],
        FETCHED,
    )
    assert job["tuning_job_name"] == "hpo-7" and job["algorithm"] == "xgboost-algo"
    assert (job["billable_seconds"], job["training_seconds"], job["is_managed_spot"]) == (41, 120, True)
    assert (job["instance_type"], job["instance_count"]) == ("ml.p3.2xlarge", 3)
    assert job["final_metrics"] == {"validation:rmse": 0.25}
    assert (job["keep_alive_seconds"], job["warm_pool_status"], job["warm_pool_billable_seconds"]) == (
        900,
        "Terminated",
        900,
    )


@pytest.mark.parametrize(
    ("key", "normalized"),
    [
        ("user:CostCenter", "costcenter"),
        ("user_Team", "team"),
        ("Project", "project"),
        ("aws:createdBy", "aws:createdby"),
    ],
)
def test_tag_keys_are_normalized(key, normalized):
    assert parse.normalize_tag_key(key) == normalized


def test_colliding_tag_keys_resolve_independently_of_order():
    tags = [{"Key": "user:team", "Value": "b"}, {"Key": "Team", "Value": "a"}]
    assert parse.tag_maps(tags) == parse.tag_maps(list(reversed(tags)))
    assert parse.tag_maps(tags)[0] == {"team": "a"}


def test_times_become_naive_utc():
    plus_two = timezone(timedelta(hours=2))
    assert parse.utc(datetime(2025, 1, 1, 12, 0, tzinfo=plus_two)) == datetime(2025, 1, 1, 10, 0)
    assert parse.utc("2025-01-01T10:00:00Z") == datetime(2025, 1, 1, 10, 0)
    assert parse.utc(None) is None


def test_rows_convert_to_the_warehouse_arrow_schema():
    row = parse.training_job_row(
        recorded("test_sagemaker_training_job_query/api.sagemaker.DescribeTrainingJob_1.json"),
        [{"Key": "a", "Value": "b"}],
        FETCHED,
    )
    table = parse.to_arrow("sagemaker_training_jobs", [row])
    assert table.num_rows == 1
    assert table.column("tags").to_pylist() == [[("a", "b")]]
