"""SageMaker metadata ingest against a real moto server over HTTP, into a real DuckDB file."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from pipelines.defs.ingest.sagemaker import sagemaker_metadata
from tests.ingest.sagemaker_helpers import (
    MOTO_ACCOUNT,
    FaultProxy,
    backend,
    create_endpoint,
    create_training_job,
    failure_text,
    materialize,
    query,
    set_training_fields,
    sm,
    tags,
)


def test_skipped_without_regions_creates_empty_tables():
    result = materialize([sagemaker_metadata])
    assert result.success
    for table in ("sagemaker_training_jobs", "sagemaker_endpoints", "sagemaker_endpoint_variants"):
        assert query(f"select count(*) from raw.{table}") == [(0,)]
    mat = result.asset_materializations_for_node("sagemaker_metadata")[0]
    assert mat.metadata["skipped"].value is True


def test_pages_two_regions_and_managed_spot_billable_time(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1,eu-west-1")
    east, west = sm("us-east-1"), sm("eu-west-1")
    for i in range(230):  # three pages of 100
        create_training_job(east, f"job-{i:03d}", spot=i % 10 == 0, tag_list=tags(**{"user:Team": "search"}))
    for i in range(3):
        create_training_job(west, f"west-{i}", tag_list=tags(Project="ranker"))
    for i in range(0, 230, 10):
        set_training_fields(
            f"job-{i:03d}",
            billable_time_in_seconds=120 + i,
            training_time_in_seconds=400 + i,
            final_metric_data_list=[{"MetricName": "validation:auc", "Value": 0.9}],
        )

    assert materialize([sagemaker_metadata]).success

    assert query("select region, count(*) from raw.sagemaker_training_jobs group by 1 order by 1") == [
        ("eu-west-1", 3),
        ("us-east-1", 230),
    ]
    spot = query(
        "select training_job_name, billable_seconds, training_seconds, max_wait_seconds, final_metrics['validation:auc'],"
        " tags['team'], tags_original['user:Team'], account_id"
        " from raw.sagemaker_training_jobs where is_managed_spot order by 1"
    )
    assert len(spot) == 23
    assert spot[1] == ("job-010", 130, 410, 7200, 0.9, "search", "search", MOTO_ACCOUNT)
    assert query(
        "select count(*) from raw.sagemaker_training_jobs where not is_managed_spot and billable_seconds is null"
    ) == [(210,)]
    assert query(
        "select tags['project'] from raw.sagemaker_training_jobs where region = 'eu-west-1' limit 1"
    ) == [("ranker",)]


def test_incremental_rerun_adds_and_updates_without_duplicates(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    client = sm()
    for i in range(5):
        create_training_job(client, f"job-{i}")
    create_endpoint(client, "ep-a", "model-a", tag_list=tags(team="ads"))
    client.create_notebook_instance(
        NotebookInstanceName="nb-1", InstanceType="ml.t3.medium", RoleArn="arn:aws:iam::123456789012:role/x"
    )
    assert materialize([sagemaker_metadata]).success
    first = dict(query("select training_job_name, fetched_at from raw.sagemaker_training_jobs"))

    # One job changes after the first run, two are new.
    job = backend().training_jobs["job-3"]
    job.training_job_status = "Stopped"
    job.last_modified_time = job.last_modified_time + timedelta(minutes=5)
    create_training_job(client, "job-5")
    create_training_job(client, "job-6")
    assert materialize([sagemaker_metadata]).success
    assert materialize([sagemaker_metadata]).success  # a third run with nothing new changes nothing

    rows = dict(query("select training_job_name, status from raw.sagemaker_training_jobs"))
    assert len(rows) == 7
    assert rows["job-3"] == "Stopped"
    second = dict(query("select training_job_name, fetched_at from raw.sagemaker_training_jobs"))
    # Unchanged jobs were not described again: their fetched_at is still the first run's.
    assert all(second[f"job-{i}"] == first[f"job-{i}"] for i in (0, 1, 2, 4))
    assert second["job-3"] > first["job-3"]
    for table, n in (
        ("sagemaker_endpoints", 1),
        ("sagemaker_endpoint_variants", 1),
        ("sagemaker_models", 1),
        ("sagemaker_notebook_instances", 1),
    ):
        assert query(f"select count(*) from raw.{table}") == [(n,)], table


def test_full_refresh_picks_up_tag_changes(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    client = sm()
    create_training_job(client, "job-0", tag_list=tags(team="old"))
    assert materialize([sagemaker_metadata]).success
    arn = client.describe_training_job(TrainingJobName="job-0")["TrainingJobArn"]
    client.delete_tags(ResourceArn=arn, TagKeys=["team"])
    client.add_tags(ResourceArn=arn, Tags=tags(team="new"))
    assert materialize([sagemaker_metadata]).success
    assert query("select tags['team'] from raw.sagemaker_training_jobs") == [("old",)]
    run_config = {"ops": {"sagemaker_metadata": {"config": {"full_refresh": True}}}}
    assert materialize([sagemaker_metadata], run_config=run_config).success
    assert query("select tags['team'] from raw.sagemaker_training_jobs") == [("new",)]


def test_deleted_endpoint_kept_with_last_state(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    client = sm()
    create_endpoint(client, "ep-live", "model-live")
    create_endpoint(client, "ep-gone", "model-gone", serverless=True, tag_list=tags(Team="fraud"))
    create_endpoint(client, "ep-orphan", "model-orphan")
    # A config may be deleted while its endpoint keeps serving: variants then come from the endpoint.
    client.delete_endpoint_config(EndpointConfigName="ep-orphan-config")
    assert materialize([sagemaker_metadata]).success
    client.delete_endpoint(EndpointName="ep-gone")
    assert materialize([sagemaker_metadata]).success
    assert materialize([sagemaker_metadata]).success

    rows = query(
        "select endpoint_name, status, is_deleted, deleted_detected_at is not null, tags['team']"
        " from raw.sagemaker_endpoints order by 1"
    )
    assert rows == [
        ("ep-gone", "InService", True, True, "fraud"),
        ("ep-live", "InService", False, False, None),
        ("ep-orphan", "InService", False, False, None),
    ]
    variants = query(
        "select endpoint_name, variant_name, model_name, instance_type, current_instance_count, serverless_memory_mb"
        " from raw.sagemaker_endpoint_variants order by 1"
    )
    assert variants == [
        ("ep-gone", "AllTraffic", "model-gone", None, None, 2048),
        ("ep-live", "AllTraffic", "model-live", "ml.m5.large", 2, None),
        ("ep-orphan", "AllTraffic", None, None, 2, None),
    ]


def test_throttling_and_503_are_retried_by_botocore(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    client = sm()
    for i in range(3):
        create_training_job(client, f"job-{i}")
    with FaultProxy(moto_endpoint, throttle_first=1, unavailable_first=2) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        assert materialize([sagemaker_metadata]).success
    assert proxy.injected == 3
    assert query("select count(*) from raw.sagemaker_training_jobs") == [(3,)]


def test_failing_region_is_named_and_stored_rows_stay(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1,eu-west-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    create_training_job(sm("us-east-1"), "east-0")
    create_training_job(sm("eu-west-1"), "west-0")
    assert materialize([sagemaker_metadata]).success
    before = query(
        "select training_job_arn, fetched_at from raw.sagemaker_training_jobs where region = 'eu-west-1'"
    )

    create_training_job(sm("us-east-1"), "east-1")
    create_training_job(sm("eu-west-1"), "west-1")
    with FaultProxy(moto_endpoint, fail_region="eu-west-1") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = materialize([sagemaker_metadata], raise_on_error=False)
    assert not result.success
    failure = failure_text(result)
    assert "eu-west-1" in failure and "InternalFailure" in failure
    assert "us-east-1" not in failure
    # The failed region keeps exactly what it had; the healthy one was still brought up to date.
    assert (
        query(
            "select training_job_arn, fetched_at from raw.sagemaker_training_jobs where region = 'eu-west-1'"
        )
        == before
    )
    assert query("select count(*) from raw.sagemaker_training_jobs where region = 'us-east-1'") == [(2,)]


def test_assumes_one_role_per_account(moto_endpoint, monkeypatch):
    accounts = ["111111111111", "222222222222"]
    roles = [f"arn:aws:iam::{a}:role/mlcost-reader" for a in accounts]
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    monkeypatch.setenv("AWS_ROLE_ARNS", ",".join(roles))
    sts = boto3.client("sts", region_name="us-east-1")
    for account, role in zip(accounts, roles, strict=True):
        creds = sts.assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
        client = boto3.client(
            "sagemaker",
            region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        create_training_job(client, f"job-in-{account}")
    assert materialize([sagemaker_metadata]).success
    assert query("select account_id, training_job_name from raw.sagemaker_training_jobs order by 1") == [
        ("111111111111", "job-in-111111111111"),
        ("222222222222", "job-in-222222222222"),
    ]


def test_two_roles_into_one_account_do_not_duplicate_rows(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    roles = [f"arn:aws:iam::{MOTO_ACCOUNT}:role/reader-a", f"arn:aws:iam::{MOTO_ACCOUNT}:role/reader-b"]
    monkeypatch.setenv("AWS_ROLE_ARNS", ",".join(roles))
    create_training_job(sm(), "job-0")
    create_endpoint(sm(), "ep", "model")
    assert materialize([sagemaker_metadata]).success
    assert query("select count(*) from raw.sagemaker_training_jobs") == [(1,)]
    assert query("select count(*) from raw.sagemaker_endpoint_variants") == [(1,)]


@pytest.mark.parametrize("value", ["not-an-arn", "arn:aws:iam::12:role/x"])
def test_bad_role_arn_is_rejected_by_name(moto_endpoint, monkeypatch, value):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    monkeypatch.setenv("AWS_ROLE_ARNS", value)
    result = materialize([sagemaker_metadata], raise_on_error=False)
    assert not result.success
    assert value in failure_text(result)
