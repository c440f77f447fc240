"""SageMaker Describe* responses -> warehouse row dicts, and Arrow tables of those rows.

Everything here is pure: no boto3 calls, no warehouse (the Arrow schemas come from the raw tables'
DDL, described by a private in-memory DuckDB). Times become naive UTC datetimes, tags become
two maps (normalised keys and the keys as AWS returned them), account and region come from the ARN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pipelines.lib.warehouse import raw_schema


def utc(value: Any) -> datetime | None:
    """A botocore datetime (aware), a naive datetime (taken as UTC) or an ISO string -> naive UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def normalize_tag_key(key: str) -> str:
    """'user:CostCenter' -> 'costcenter'; 'user_Team' -> 'team'; 'Project' -> 'project'."""
    lowered = key.strip().lower()
    for prefix in ("user:", "user_"):
        if lowered.startswith(prefix):
            return lowered[len(prefix) :]
    return lowered


def tag_maps(tags: Iterable[Mapping[str, str]] | None) -> tuple[dict[str, str], dict[str, str]]:
    """SageMaker [{'Key','Value'}] -> (normalised map, original map).

    When two AWS keys normalise to the same key ('Team' and 'user:team'), the one that sorts first
    wins, so the result never depends on the order AWS returned them in.
    """
    original = {t["Key"]: t.get("Value", "") for t in tags or []}
    normalized: dict[str, str] = {}
    for key in sorted(original):
        normalized.setdefault(normalize_tag_key(key), original[key])
    return normalized, original


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """'arn:aws:sagemaker:us-east-1:123456789012:training-job/x' -> (account, region, type, name)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    resource_type, _, name = parts[5].partition("/")
    return parts[4], parts[3], resource_type, name


def _common(arn: str, tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime) -> dict[str, Any]:
    account_id, region, _, _ = arn_parts(arn)
    normalized, original = tag_maps(tags)
    return {
        "account_id": account_id,
        "region": region,
        "tags": normalized,
        "tags_original": original,
        "fetched_at": utc(fetched_at),
    }


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def training_job_row(
    d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime
) -> dict:
    """DescribeTrainingJob -> one raw.sagemaker_training_jobs row."""
    resources = d.get("ResourceConfig") or {}
    instance_type = resources.get("InstanceType")
    instance_count = _int(resources.get("InstanceCount"))
    groups = resources.get("InstanceGroups") or []
    if instance_type is None and groups:
        # Heterogeneous cluster: the first group's type, every group's instances counted.
        instance_type = groups[0].get("InstanceType")
        instance_count = sum(int(g.get("InstanceCount") or 0) for g in groups)
    stopping = d.get("StoppingCondition") or {}
    algorithm = d.get("AlgorithmSpecification") or {}
    tuning_arn = d.get("TuningJobArn")
    # Warm pools keep the instances after the job (KeepAlivePeriodInSeconds) and bill them meanwhile.
    warm_pool = d.get("WarmPoolStatus") or {}
    row = {
        "training_job_name": d["TrainingJobName"],
        "training_job_arn": d["TrainingJobArn"],
        "status": d.get("TrainingJobStatus"),
        "secondary_status": d.get("SecondaryStatus"),
        "failure_reason": d.get("FailureReason"),
        "created_at": utc(d.get("CreationTime")),
        "started_at": utc(d.get("TrainingStartTime")),
        "ended_at": utc(d.get("TrainingEndTime")),
        "last_modified_at": utc(d.get("LastModifiedTime")),
        "instance_type": instance_type,
        "instance_count": instance_count,
        "volume_size_gb": _int(resources.get("VolumeSizeInGB")),
        "billable_seconds": _int(d.get("BillableTimeInSeconds")),
        "training_seconds": _int(d.get("TrainingTimeInSeconds")),
        "is_managed_spot": bool(d.get("EnableManagedSpotTraining", False)),
        "max_wait_seconds": _int(stopping.get("MaxWaitTimeInSeconds")),
        "max_runtime_seconds": _int(stopping.get("MaxRuntimeInSeconds")),
        "algorithm": algorithm.get("TrainingImage") or algorithm.get("AlgorithmName"),
        "tuning_job_arn": tuning_arn,
        "tuning_job_name": arn_parts(tuning_arn)[3] if tuning_arn else None,
        "final_metrics": {
            m["MetricName"]: float(m["Value"]) for m in d.get("FinalMetricDataList") or [] if "Value" in m
        },
        "keep_alive_seconds": _int(resources.get("KeepAlivePeriodInSeconds")),
        "warm_pool_status": warm_pool.get("Status"),
        "warm_pool_billable_seconds": _int(warm_pool.get("ResourceRetainedBillableTimeInSeconds")),
    }
    return row | _common(d["TrainingJobArn"], tags, fetched_at)


def processing_job_row(
    d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime
) -> dict:
    """DescribeProcessingJob -> one raw.sagemaker_processing_jobs row."""
    cluster = (d.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    row = {
        "processing_job_name": d["ProcessingJobName"],
        "processing_job_arn": d["ProcessingJobArn"],
        "status": d.get("ProcessingJobStatus"),
        "failure_reason": d.get("FailureReason"),
        "created_at": utc(d.get("CreationTime")),
        "started_at": utc(d.get("ProcessingStartTime")),
        "ended_at": utc(d.get("ProcessingEndTime")),
        "last_modified_at": utc(d.get("LastModifiedTime")),
        "instance_type": cluster.get("InstanceType"),
        "instance_count": _int(cluster.get("InstanceCount")),
        "volume_size_gb": _int(cluster.get("VolumeSizeInGB")),
        "image": (d.get("AppSpecification") or {}).get("ImageUri"),
        "training_job_arn": d.get("TrainingJobArn"),
    }
    return row | _common(d["ProcessingJobArn"], tags, fetched_at)


def transform_job_row(
    d: Mapping[str, Any],
    tags: Iterable[Mapping[str, str]] | None,
    fetched_at: datetime,
    last_modified_at: Any = None,
) -> dict:
    """DescribeTransformJob (+ the list summary's LastModifiedTime) -> one raw.sagemaker_transform_jobs row."""
    resources = d.get("TransformResources") or {}
    row = {
        "transform_job_name": d["TransformJobName"],
        "transform_job_arn": d["TransformJobArn"],
        "model_name": d.get("ModelName"),
        "status": d.get("TransformJobStatus"),
        "failure_reason": d.get("FailureReason"),
        "created_at": utc(d.get("CreationTime")),
        "started_at": utc(d.get("TransformStartTime")),
        "ended_at": utc(d.get("TransformEndTime")),
        "last_modified_at": utc(d.get("LastModifiedTime") or last_modified_at),
        "instance_type": resources.get("InstanceType"),
        "instance_count": _int(resources.get("InstanceCount")),
    }
    return row | _common(d["TransformJobArn"], tags, fetched_at)


def notebook_instance_row(
    d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime
) -> dict:
    """DescribeNotebookInstance -> one raw.sagemaker_notebook_instances row."""
    row = {
        "notebook_instance_name": d["NotebookInstanceName"],
        "notebook_instance_arn": d["NotebookInstanceArn"],
        "status": d.get("NotebookInstanceStatus"),
        "instance_type": d.get("InstanceType"),
        "volume_size_gb": _int(d.get("VolumeSizeInGB")),
        "created_at": utc(d.get("CreationTime")),
        "last_modified_at": utc(d.get("LastModifiedTime")),
    }
    return row | _common(d["NotebookInstanceArn"], tags, fetched_at)


def model_row(d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime) -> dict:
    """DescribeModel -> one raw.sagemaker_models row (image of the primary or first container)."""
    containers = [c for c in [d.get("PrimaryContainer"), *(d.get("Containers") or [])] if c]
    row = {
        "model_name": d["ModelName"],
        "model_arn": d["ModelArn"],
        "created_at": utc(d.get("CreationTime")),
        "image": next((c.get("Image") for c in containers if c.get("Image")), None),
        "is_multi_model": any(c.get("Mode") == "MultiModel" for c in containers),
        "container_count": len(containers),
    }
    return row | _common(d["ModelArn"], tags, fetched_at)


def endpoint_row(
    d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime
) -> dict:
    """DescribeEndpoint -> one raw.sagemaker_endpoints row, as currently present (not deleted)."""
    row = {
        "endpoint_name": d["EndpointName"],
        "endpoint_arn": d["EndpointArn"],
        "status": d.get("EndpointStatus"),
        "endpoint_config_name": d.get("EndpointConfigName"),
        "created_at": utc(d.get("CreationTime")),
        "last_modified_at": utc(d.get("LastModifiedTime")),
        "is_deleted": False,
        "deleted_detected_at": None,
    }
    return row | _common(d["EndpointArn"], tags, fetched_at)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def inference_component_row(
    d: Mapping[str, Any], tags: Iterable[Mapping[str, str]] | None, fetched_at: datetime
) -> dict:
    """DescribeInferenceComponent -> one raw.sagemaker_inference_components row, as currently present.

    The compute a copy reserves comes from Specification.ComputeResourceRequirements (or the first of
    Specifications); a component built on a base component (an adapter) has none of its own.
    """
    spec = d.get("Specification") or next(iter(d.get("Specifications") or []), None) or {}
    compute = spec.get("ComputeResourceRequirements") or {}
    runtime = d.get("RuntimeConfig") or {}
    row = {
        "inference_component_name": d["InferenceComponentName"],
        "inference_component_arn": d["InferenceComponentArn"],
        "endpoint_name": d["EndpointName"],
        "endpoint_arn": d.get("EndpointArn"),
        "variant_name": d.get("VariantName"),
        "model_name": spec.get("ModelName"),
        "base_inference_component_name": spec.get("BaseInferenceComponentName"),
        "status": d.get("InferenceComponentStatus"),
        "failure_reason": d.get("FailureReason"),
        "created_at": utc(d.get("CreationTime")),
        "last_modified_at": utc(d.get("LastModifiedTime")),
        "current_copy_count": _int(runtime.get("CurrentCopyCount")),
        "desired_copy_count": _int(runtime.get("DesiredCopyCount")),
        "accelerators_required": _float(compute.get("NumberOfAcceleratorDevicesRequired")),
        "cpu_cores_required": _float(compute.get("NumberOfCpuCoresRequired")),
        "min_memory_required_mb": _int(compute.get("MinMemoryRequiredInMb")),
        "max_memory_required_mb": _int(compute.get("MaxMemoryRequiredInMb")),
        "is_deleted": False,
        "deleted_detected_at": None,
    }
    return row | _common(d["InferenceComponentArn"], tags, fetched_at)


def endpoint_variant_rows(
    endpoint: Mapping[str, Any], config: Mapping[str, Any] | None, fetched_at: datetime
) -> list[dict]:
    """DescribeEndpoint + DescribeEndpointConfig -> raw.sagemaker_endpoint_variants rows.

    The config says what each variant was asked for (model, instance type, serverless, async); the
    endpoint says what is running now (current instance count). When the config has been deleted
    (allowed while the endpoint lives) the variants come from the endpoint alone, without a model.
    """
    account_id, region, _, _ = arn_parts(endpoint["EndpointArn"])
    live = {v["VariantName"]: v for v in endpoint.get("ProductionVariants") or []}
    is_async = bool(config and config.get("AsyncInferenceConfig"))
    configured = (config or {}).get("ProductionVariants") or [
        {"VariantName": name, "ServerlessConfig": v.get("CurrentServerlessConfig")}
        for name, v in live.items()
    ]
    rows = []
    for variant in configured:
        now = live.get(variant["VariantName"], {})
        serverless = variant.get("ServerlessConfig") or now.get("CurrentServerlessConfig") or {}
        rows.append(
            {
                "endpoint_arn": endpoint["EndpointArn"],
                "endpoint_name": endpoint["EndpointName"],
                "variant_name": variant["VariantName"],
                "model_name": variant.get("ModelName"),
                "instance_type": variant.get("InstanceType"),
                "initial_instance_count": _int(variant.get("InitialInstanceCount")),
                "current_instance_count": _int(now.get("CurrentInstanceCount")),
                "current_weight": now.get("CurrentWeight"),
                "serverless_memory_mb": _int(serverless.get("MemorySizeInMB")),
                "serverless_max_concurrency": _int(serverless.get("MaxConcurrency")),
                "is_async": is_async,
                "account_id": account_id,
                "region": region,
                "fetched_at": utc(fetched_at),
            }
        )
    return rows


def to_arrow(table: str, rows: list[dict]) -> pa.Table:
    """Rows -> an Arrow table with the warehouse table's column types (maps given as dicts).

    The schema is derived from the table's DDL (sql/ingest/create_<table>.sql), never restated.
    """
    schema = raw_schema(table)
    columns = {
        field.name: pa.array(
            [
                list(r[field.name].items()) if isinstance(r.get(field.name), dict) else r.get(field.name)
                for r in rows
            ],
            type=field.type,
        )
        for field in schema
    }
    return pa.table(columns, schema=schema)
