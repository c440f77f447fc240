"""Resource tags (tag:GetResources) against a real moto server over HTTP, into a real DuckDB file."""

from __future__ import annotations

import boto3

from pipelines.defs.ingest.resource_tags import raw_resource_tags
from tests.ingest.sagemaker_helpers import MOTO_ACCOUNT, FaultProxy, failure_text, materialize, query, tags


def _seed(region: str = "us-east-1") -> str:
    """An EC2 instance, an S3 bucket and a Studio domain, each tagged by its owner; returns the instance id."""
    ec2 = boto3.client("ec2", region_name=region)
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="g5.12xlarge",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": tags(**{"ml-model": "embeddings", "Team": "search"})}
        ],
    )["Instances"][0]["InstanceId"]
    s3 = boto3.client("s3", region_name=region)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket="scratch", **location)
    s3.put_bucket_tagging(Bucket="scratch", Tagging={"TagSet": tags(team="research")})
    boto3.client("sagemaker", region_name=region).create_domain(
        DomainName="studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{MOTO_ACCOUNT}:role/x"},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
        Tags=tags(**{"user:Team": "nlp"}),
    )
    return instance


def test_tags_of_every_kind_land_normalised_and_a_reread_replaces_them(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    instance = _seed()
    result = materialize([raw_resource_tags])
    assert result.success
    rows = dict(query("select resource_arn, tags from raw.resource_tags where region = 'us-east-1'"))
    arn = f"arn:aws:ec2:us-east-1:{MOTO_ACCOUNT}:instance/{instance}"
    assert rows[arn] == {"ml-model": "embeddings", "team": "search"}
    assert rows["arn:aws:s3:::scratch"] == {"team": "research"}
    assert rows[f"arn:aws:sagemaker:us-east-1:{MOTO_ACCOUNT}:domain/d-studio"] == {"team": "nlp"}
    assert query(
        "select tags_original['user:Team'] from raw.resource_tags where resource_arn like '%domain/%'"
    ) == [("nlp",)]
    written = result.asset_materializations_for_node("raw__resource_tags")[0].metadata["rows_written"].value
    assert written == len(rows) >= 3

    # Tags are current state: removed tags leave no owner behind, a changed tag replaces the old one.
    boto3.client("s3", region_name="us-east-1").delete_bucket_tagging(Bucket="scratch")
    boto3.client("ec2", region_name="us-east-1").create_tags(Resources=[instance], Tags=tags(Team="growth"))
    assert materialize([raw_resource_tags]).success
    after = dict(query("select resource_arn, tags from raw.resource_tags"))
    assert "arn:aws:s3:::scratch" not in after
    assert after[arn] == {"ml-model": "embeddings", "team": "growth"}
    assert after[f"arn:aws:sagemaker:us-east-1:{MOTO_ACCOUNT}:domain/d-studio"] == {"team": "nlp"}


def test_failing_region_is_named_and_its_stored_tags_stay(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1,eu-west-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    _seed("eu-west-1")
    assert materialize([raw_resource_tags]).success
    before = query(
        "select resource_arn, tags, fetched_at from raw.resource_tags where region = 'eu-west-1' order by 1"
    )
    assert before

    boto3.client("sagemaker", region_name="us-east-1").create_domain(
        DomainName="east",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{MOTO_ACCOUNT}:role/x"},
        SubnetIds=["subnet-1"],
        VpcId="vpc-1",
        Tags=tags(team="growth"),
    )
    with FaultProxy(moto_endpoint, fail_region="eu-west-1", service="tagging") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = materialize([raw_resource_tags], raise_on_error=False)
    assert not result.success
    failure = failure_text(result)
    assert "eu-west-1" in failure and "InternalFailure" in failure and "us-east-1" not in failure
    assert (
        query(
            "select resource_arn, tags, fetched_at from raw.resource_tags where region = 'eu-west-1' order by 1"
        )
        == before
    )
    assert ("arn:aws:sagemaker:us-east-1:" + MOTO_ACCOUNT + ":domain/d-east",) in query(
        "select resource_arn from raw.resource_tags where region = 'us-east-1'"
    )
