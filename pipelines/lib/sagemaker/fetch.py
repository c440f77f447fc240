"""List and describe SageMaker resources for one account and region, incrementally.

For each resource kind we list with a paginator (filtered by the stored high-water mark where the API
allows it), describe only the items that are new or whose last-modified time changed, read their
tags, and return warehouse rows. Nothing here touches the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from pipelines.lib.sagemaker import parse

# Listing filters are "after" a time; AWS clocks and eventual consistency can put a change a little
# before the mark we stored, so every incremental listing reaches this far back. Items found again
# with an unchanged time are skipped without a Describe call.
HIGH_WATER_OVERLAP = timedelta(minutes=15)
PAGE_SIZE = 100


@dataclass(frozen=True)
class Kind:
    """How to list, describe and parse one SageMaker resource kind."""

    table: str
    arn_column: str
    modified_column: str
    list_operation: str
    list_key: str
    summary_arn: str
    summary_modified: str
    time_filter: str | None
    describe: Callable[[Any, Mapping[str, Any]], dict]
    to_row: Callable[[Mapping[str, Any], list, datetime, Mapping[str, Any]], dict]


def _strip(response: Mapping[str, Any]) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


KINDS: dict[str, Kind] = {
    k.table: k
    for k in (
        Kind(
            table="sagemaker_training_jobs",
            arn_column="training_job_arn",
            modified_column="last_modified_at",
            list_operation="list_training_jobs",
            list_key="TrainingJobSummaries",
            summary_arn="TrainingJobArn",
            summary_modified="LastModifiedTime",
            time_filter="LastModifiedTimeAfter",
            describe=lambda c, s: _strip(c.describe_training_job(TrainingJobName=s["TrainingJobName"])),
            to_row=lambda d, tags, at, s: parse.training_job_row(d, tags, at),
        ),
        Kind(
            table="sagemaker_processing_jobs",
            arn_column="processing_job_arn",
            modified_column="last_modified_at",
            list_operation="list_processing_jobs",
            list_key="ProcessingJobSummaries",
            summary_arn="ProcessingJobArn",
            summary_modified="LastModifiedTime",
            time_filter="LastModifiedTimeAfter",
            describe=lambda c, s: _strip(c.describe_processing_job(ProcessingJobName=s["ProcessingJobName"])),
            to_row=lambda d, tags, at, s: parse.processing_job_row(d, tags, at),
        ),
        Kind(
            table="sagemaker_transform_jobs",
            arn_column="transform_job_arn",
            modified_column="last_modified_at",
            list_operation="list_transform_jobs",
            list_key="TransformJobSummaries",
            summary_arn="TransformJobArn",
            summary_modified="LastModifiedTime",
            time_filter="LastModifiedTimeAfter",
            describe=lambda c, s: _strip(c.describe_transform_job(TransformJobName=s["TransformJobName"])),
            to_row=lambda d, tags, at, s: parse.transform_job_row(d, tags, at, s.get("LastModifiedTime")),
        ),
        Kind(
            table="sagemaker_notebook_instances",
            arn_column="notebook_instance_arn",
            modified_column="last_modified_at",
            list_operation="list_notebook_instances",
            list_key="NotebookInstances",
            summary_arn="NotebookInstanceArn",
            summary_modified="LastModifiedTime",
            time_filter="LastModifiedTimeAfter",
            describe=lambda c, s: _strip(
                c.describe_notebook_instance(NotebookInstanceName=s["NotebookInstanceName"])
            ),
            to_row=lambda d, tags, at, s: parse.notebook_instance_row(d, tags, at),
        ),
        # Models are immutable once created: the creation time is their high-water mark.
        Kind(
            table="sagemaker_models",
            arn_column="model_arn",
            modified_column="created_at",
            list_operation="list_models",
            list_key="Models",
            summary_arn="ModelArn",
            summary_modified="CreationTime",
            time_filter="CreationTimeAfter",
            describe=lambda c, s: _strip(c.describe_model(ModelName=s["ModelName"])),
            to_row=lambda d, tags, at, s: parse.model_row(d, tags, at),
        ),
        # Endpoints are always listed in full (no time filter), because only a full listing shows
        # which endpoints were deleted.
        Kind(
            table="sagemaker_endpoints",
            arn_column="endpoint_arn",
            modified_column="last_modified_at",
            list_operation="list_endpoints",
            list_key="Endpoints",
            summary_arn="EndpointArn",
            summary_modified="LastModifiedTime",
            time_filter=None,
            describe=lambda c, s: _strip(c.describe_endpoint(EndpointName=s["EndpointName"])),
            to_row=lambda d, tags, at, s: parse.endpoint_row(d, tags, at),
        ),
        # Inference components are always listed in full, like endpoints: only a full listing shows
        # which were deleted, and a deleted component's reservation must stop dividing its endpoint.
        Kind(
            table="sagemaker_inference_components",
            arn_column="inference_component_arn",
            modified_column="last_modified_at",
            list_operation="list_inference_components",
            list_key="InferenceComponents",
            summary_arn="InferenceComponentArn",
            summary_modified="LastModifiedTime",
            time_filter=None,
            describe=lambda c, s: _strip(
                c.describe_inference_component(InferenceComponentName=s["InferenceComponentName"])
            ),
            to_row=lambda d, tags, at, s: parse.inference_component_row(d, tags, at),
        ),
    )
}

# Kinds listed in full each run: what a successful listing no longer returns is flagged deleted.
FULLY_LISTED = ("sagemaker_endpoints", "sagemaker_inference_components")


@dataclass
class ScopeResult:
    """Everything fetched for one account and region."""

    account_id: str
    region: str
    rows: dict[str, list[dict]] = field(default_factory=dict)
    # table (one of FULLY_LISTED) -> every ARN its full listing returned
    listed_arns: dict[str, list[str]] = field(default_factory=dict)
    described: dict[str, int] = field(default_factory=dict)
    listed: dict[str, int] = field(default_factory=dict)


def list_tags(client, arn: str) -> list[dict]:
    tags: list[dict] = []
    for page in client.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags") or [])
    return tags


def _paginate(client, kind: Kind, since: datetime | None):
    kwargs: dict[str, Any] = {}
    if since is not None and kind.time_filter:
        kwargs[kind.time_filter] = since
    paginator = client.get_paginator(kind.list_operation)
    for page in paginator.paginate(**kwargs, PaginationConfig={"PageSize": PAGE_SIZE}):
        yield from page.get(kind.list_key) or []


def _is_not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("ResourceNotFound", "ValidationException") and any(
        phrase in error.get("Message", "").lower()
        for phrase in ("could not find", "not found", "does not exist")
    )


def _endpoint_config(client, name: str | None, cache: dict[str, dict | None]) -> dict | None:
    if not name:
        return None
    if name not in cache:
        try:
            cache[name] = _strip(client.describe_endpoint_config(EndpointConfigName=name))
        except ClientError as exc:
            # A config may be deleted while its endpoint lives on; variants then come from the endpoint.
            if not _is_not_found(exc):
                raise
            cache[name] = None
    return cache[name]


def fetch_scope(
    client,
    account_id: str,
    region: str,
    known: Mapping[str, Mapping[str, datetime | None]],
    fetched_at: datetime,
    tables: list[str],
    full_refresh: bool = False,
) -> ScopeResult:
    """Fetch every kind in ``tables`` for one account+region.

    ``known[table]`` maps each stored ARN (of this account and region) to its stored last-modified or
    creation time. Unless ``full_refresh``, listings start HIGH_WATER_OVERLAP before the newest of
    those times and unchanged ARNs are not described again.
    """
    result = ScopeResult(account_id=account_id, region=region)
    for table in tables:
        kind = KINDS[table]
        stored = known.get(table, {})
        times = [t for t in stored.values() if t is not None]
        since = None if full_refresh or not times else max(times) - HIGH_WATER_OVERLAP
        rows: list[dict] = []
        config_cache: dict[str, dict | None] = {}
        variants: list[dict] = []
        listed = 0
        listed_arns = result.listed_arns.setdefault(table, []) if table in FULLY_LISTED else None
        for summary in _paginate(client, kind, since):
            listed += 1
            arn = summary[kind.summary_arn]
            if listed_arns is not None:
                listed_arns.append(arn)
            modified = parse.utc(summary.get(kind.summary_modified))
            if not full_refresh and arn in stored and modified is not None and stored[arn] == modified:
                continue
            try:
                described = kind.describe(client, summary)
                tags = list_tags(client, arn)
            except ClientError as exc:
                # Deleted between the listing and the Describe call: as if it had not been listed.
                if not _is_not_found(exc):
                    raise
                if listed_arns is not None:
                    listed_arns.remove(arn)
                continue
            rows.append(kind.to_row(described, tags, fetched_at, summary))
            if table == "sagemaker_endpoints":
                config = _endpoint_config(client, described.get("EndpointConfigName"), config_cache)
                variants.extend(parse.endpoint_variant_rows(described, config, fetched_at))
        result.rows[table] = rows
        result.listed[table] = listed
        result.described[table] = len(rows)
        if table == "sagemaker_endpoints":
            result.rows["sagemaker_endpoint_variants"] = variants
    return result
