"""Creating SageMaker resources in the moto server through boto3, and setting the fields moto leaves out."""

from __future__ import annotations

import os
from datetime import datetime

import boto3
import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

MOTO_ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{MOTO_ACCOUNT}:role/sagemaker"
IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"


def sm(region: str = "us-east-1"):
    return boto3.client("sagemaker", region_name=region)


def tags(**pairs: str) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def create_training_job(client, name: str, *, spot: bool = False, tag_list: list | None = None) -> None:
    stopping = {"MaxRuntimeInSeconds": 3600}
    if spot:
        stopping["MaxWaitTimeInSeconds"] = 7200
    client.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        OutputDataConfig={"S3OutputPath": "s3://bucket/out"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 30},
        StoppingCondition=stopping,
        EnableManagedSpotTraining=spot,
        Tags=tag_list or [],
    )


def create_endpoint(client, name: str, model: str, *, tag_list: list | None = None, serverless: bool = False) -> None:
    client.create_model(ModelName=model, PrimaryContainer={"Image": IMAGE}, ExecutionRoleArn=ROLE, Tags=tag_list or [])
    variant = {"VariantName": "AllTraffic", "ModelName": model}
    if serverless:
        variant["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    else:
        variant |= {"InstanceType": "ml.m5.large", "InitialInstanceCount": 2}
    client.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant])
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tag_list or [])


def backend(region: str = "us-east-1", account: str = MOTO_ACCOUNT):
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account][region]


def set_training_fields(name: str, region: str = "us-east-1", **fields) -> None:
    """Set attributes moto does not fill (billable_time_in_seconds, ...) on the in-process backend object."""
    job = backend(region).training_jobs[name]
    for attr, value in fields.items():
        setattr(job, attr, value)


def materialize(assets, partition_key: str | None = None, raise_on_error: bool = True, run_config=None):
    with dg.instance_for_test() as instance:
        return dg.materialize(
            assets,
            instance=instance,
            resources={"warehouse": DuckDBResource(database=os.environ["WAREHOUSE_PATH"])},
            partition_key=partition_key,
            raise_on_error=raise_on_error,
            run_config=run_config,
        )


def query(sql: str, params=None) -> list[tuple]:
    with duckdb.connect(os.environ["WAREHOUSE_PATH"], read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)
