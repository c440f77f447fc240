"""A stand-in for SageMaker's inference component API in an in-process moto server.

Why this exists: moto (5.2.5) has no ListInferenceComponents or DescribeInferenceComponent, and the
SageMaker ingest calls both for every account and region, so the demo's moto server and the tests'
moto server would fail there. moto dispatches a JSON action to the snake_case method of the same
name on ``moto.sagemaker.responses.SageMakerResponse`` and serializes an ``ActionResult`` against
botocore's service model, so adding two methods there makes the server answer these calls in the
documented AWS response shapes (checked against the model's output shape in the tests). Components
live on moto's per-account, per-region SageMaker backend object, so moto's reset clears them.
ListTags on an inference component ARN is answered from the same store (moto would fail on the ARN).

Only the demo (pipelines/commands/demo.py) and the tests (tests/conftest.py) install it; nothing in
the production pipeline imports this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

STORE_ATTRIBUTE = "mlcost_inference_components"
DEFAULT_PAGE_SIZE = 10  # AWS's own default MaxResults is 10 as well


def _store(backend) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, STORE_ATTRIBUTE):
        setattr(backend, STORE_ATTRIBUTE, {})
    return getattr(backend, STORE_ATTRIBUTE)


def put_inference_component(
    account_id: str,
    region: str,
    *,
    name: str,
    endpoint_name: str,
    model_name: str | None,
    copies: int,
    created_at: dt.datetime,
    accelerators: float | None = None,
    cpu_cores: float | None = None,
    memory_mb: int = 1024,
    variant_name: str = "AllTraffic",
    status: str = "InService",
    last_modified_at: dt.datetime | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """Create or replace one inference component in the moto backend; returns its ARN."""
    from moto.sagemaker.models import sagemaker_backends

    arn = f"arn:aws:sagemaker:{region}:{account_id}:inference-component/{name}"
    compute: dict[str, Any] = {"MinMemoryRequiredInMb": memory_mb}
    if accelerators is not None:
        compute["NumberOfAcceleratorDevicesRequired"] = accelerators
    if cpu_cores is not None:
        compute["NumberOfCpuCoresRequired"] = cpu_cores
    spec: dict[str, Any] = {"ComputeResourceRequirements": compute}
    if model_name is not None:
        spec["ModelName"] = model_name
    _store(sagemaker_backends[account_id][region])[name] = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": endpoint_name,
        "EndpointArn": f"arn:aws:sagemaker:{region}:{account_id}:endpoint/{endpoint_name}",
        "VariantName": variant_name,
        "Specification": spec,
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
        "CreationTime": created_at,
        "LastModifiedTime": last_modified_at or created_at,
        "InferenceComponentStatus": status,
        "_tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    return arn


def delete_inference_component(account_id: str, region: str, name: str) -> None:
    from moto.sagemaker.models import sagemaker_backends

    _store(sagemaker_backends[account_id][region]).pop(name, None)


def _public(component: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in component.items() if not k.startswith("_")}


def _list_inference_components(self):
    from moto.core.responses import ActionResult

    components = sorted(
        _store(self.sagemaker_backend).values(),
        key=lambda c: (c["CreationTime"], c["InferenceComponentName"]),
    )
    endpoint = self._get_param("EndpointNameEquals")
    if endpoint:
        components = [c for c in components if c["EndpointName"] == endpoint]
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or DEFAULT_PAGE_SIZE)
    page = components[start : start + size]
    summary_keys = (
        "CreationTime",
        "InferenceComponentArn",
        "InferenceComponentName",
        "EndpointArn",
        "EndpointName",
        "VariantName",
        "InferenceComponentStatus",
        "LastModifiedTime",
    )
    result: dict[str, Any] = {"InferenceComponents": [{k: c[k] for k in summary_keys} for c in page]}
    if start + size < len(components):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def _describe_inference_component(self):
    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError

    name = self._get_param("InferenceComponentName")
    component = _store(self.sagemaker_backend).get(name)
    if component is None:
        raise ValidationError(message=f"Could not find inference component '{name}'.")
    return ActionResult(_public(component))


def install() -> None:
    """Teach moto's SageMaker responses the two inference component calls (idempotent)."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    if getattr(SageMakerResponse, "mlcost_inference_components", False):
        return
    original_list_tags = SageMakerResponse.list_tags

    def list_tags(self):
        arn = self._get_param("ResourceArn") or ""
        if ":inference-component/" not in arn:
            return original_list_tags(self)
        component = _store(self.sagemaker_backend).get(arn.rsplit("/", 1)[1])
        return ActionResult({"Tags": list(component["_tags"]) if component else []})

    SageMakerResponse.list_inference_components = _list_inference_components
    SageMakerResponse.describe_inference_component = _describe_inference_component
    SageMakerResponse.list_tags = list_tags
    SageMakerResponse.mlcost_inference_components = True
