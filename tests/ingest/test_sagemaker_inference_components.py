"""Inference components in the SageMaker metadata ingest, against the moto server over HTTP.

moto has no inference component API: pipelines/demo/moto_inference_components.py adds the two calls
to the moto server (installed by the moto_server fixture); the ingest code under test is the real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from botocore.validate import ParamValidator

from pipelines.defs.ingest.sagemaker import sagemaker_metadata
from pipelines.demo.moto_inference_components import delete_inference_component, put_inference_component
from tests.ingest.sagemaker_helpers import MOTO_ACCOUNT, create_endpoint, materialize, query, sm

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def _seed_llm_endpoint() -> None:
    """One GPU endpoint hosting three components: two models with copies, one scaled to zero."""
    create_endpoint(sm(), "llm-ep", "placeholder")
    put_inference_component(
        MOTO_ACCOUNT, "us-east-1", name="ic-chat", endpoint_name="llm-ep", model_name="chat-v3",
        copies=2, accelerators=1, cpu_cores=4, memory_mb=16384, created_at=T0, tags={"user:Team": "assist"},
    )  # fmt: skip
    put_inference_component(
        MOTO_ACCOUNT, "us-east-1", name="ic-summarize", endpoint_name="llm-ep", model_name="summarize-v1",
        copies=1, accelerators=2, memory_mb=32768, created_at=T0 + timedelta(hours=1),
    )  # fmt: skip
    put_inference_component(
        MOTO_ACCOUNT, "us-east-1", name="ic-idle", endpoint_name="llm-ep", model_name="idle-v1",
        copies=0, cpu_cores=2, memory_mb=2048, created_at=T0 + timedelta(hours=2),
    )  # fmt: skip


def test_components_of_many_pages_land_with_copies_and_reserved_compute(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    _seed_llm_endpoint()
    # 101 more on a second endpoint: the listing takes two pages of 100 (NextToken followed).
    for i in range(101):
        put_inference_component(
            MOTO_ACCOUNT, "us-east-1", name=f"ic-bulk-{i:03d}", endpoint_name="bulk-ep", model_name=f"m-{i}",
            copies=1, cpu_cores=1, created_at=T0 + timedelta(days=1, minutes=i),
        )  # fmt: skip

    assert materialize([sagemaker_metadata]).success

    assert query(
        "select count(*), count(distinct inference_component_arn) from raw.sagemaker_inference_components"
    ) == [(104, 104)]
    rows = query(
        "select inference_component_name, endpoint_name, variant_name, model_name, status, current_copy_count,"
        " desired_copy_count, accelerators_required, cpu_cores_required, min_memory_required_mb, created_at,"
        " tags['team'], account_id, region, is_deleted"
        " from raw.sagemaker_inference_components where endpoint_name = 'llm-ep' order by 1"
    )
    naive = T0.replace(tzinfo=None)
    assert rows == [
        ("ic-chat", "llm-ep", "AllTraffic", "chat-v3", "InService", 2, 2, 1.0, 4.0, 16384, naive, "assist",
         MOTO_ACCOUNT, "us-east-1", False),
        ("ic-idle", "llm-ep", "AllTraffic", "idle-v1", "InService", 0, 0, None, 2.0, 2048,
         naive + timedelta(hours=2), None, MOTO_ACCOUNT, "us-east-1", False),
        ("ic-summarize", "llm-ep", "AllTraffic", "summarize-v1", "InService", 1, 1, 2.0, None, 32768,
         naive + timedelta(hours=1), None, MOTO_ACCOUNT, "us-east-1", False),
    ]  # fmt: skip


def test_deleted_component_is_flagged_and_unchanged_ones_are_not_described_again(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    _seed_llm_endpoint()
    assert materialize([sagemaker_metadata]).success
    first = dict(query("select inference_component_name, fetched_at from raw.sagemaker_inference_components"))

    delete_inference_component(MOTO_ACCOUNT, "us-east-1", "ic-summarize")
    put_inference_component(
        MOTO_ACCOUNT, "us-east-1", name="ic-chat", endpoint_name="llm-ep", model_name="chat-v3",
        copies=3, accelerators=1, memory_mb=16384, created_at=T0, last_modified_at=T0 + timedelta(days=1),
    )  # fmt: skip
    assert materialize([sagemaker_metadata]).success
    assert materialize([sagemaker_metadata]).success

    rows = query(
        "select inference_component_name, current_copy_count, is_deleted, deleted_detected_at is not null, fetched_at"
        " from raw.sagemaker_inference_components order by 1"
    )
    assert [r[:4] for r in rows] == [
        ("ic-chat", 3, False, False),
        ("ic-idle", 0, False, False),
        ("ic-summarize", 1, True, True),
    ]
    fetched = {r[0]: r[4] for r in rows}
    assert fetched["ic-idle"] == first["ic-idle"]  # unchanged: not described again
    assert fetched["ic-chat"] > first["ic-chat"]


def test_emulated_responses_have_the_documented_aws_shapes(moto_endpoint):
    """The stand-in answers what botocore's service model says the two calls return."""
    _seed_llm_endpoint()
    client = boto3.client("sagemaker", region_name="us-east-1")
    model = client.meta.service_model
    listed = client.list_inference_components(MaxResults=2)
    described = client.describe_inference_component(InferenceComponentName="ic-chat")
    for operation, response in (
        ("ListInferenceComponents", listed),
        ("DescribeInferenceComponent", described),
    ):
        body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        report = ParamValidator().validate(body, model.operation_model(operation).output_shape)
        assert not report.has_errors(), report.generate_report()
    assert len(listed["InferenceComponents"]) == 2 and listed["NextToken"]
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 2
