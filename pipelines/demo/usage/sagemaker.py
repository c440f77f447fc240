"""SageMaker usage of the demo organisation: endpoints (instances and ML storage), training,
processing and transform jobs, notebooks, and Studio, which only the bill knows."""

from __future__ import annotations

import datetime as dt

from pipelines.demo.catalog import PROD_ACCOUNT_ID, DemoCatalog
from pipelines.demo.usage.streams import HOURS_PER_MONTH, LOCATIONS, UsageStreams, bill_only_start

# Public on-demand prices (USD per instance hour), close to us-east-1 list prices.
SAGEMAKER_RATES = {
    "ml.t3.medium": 0.05,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.g4dn.xlarge": 0.7364,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g5.12xlarge": 7.09,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
}
GP2_GB_MONTH = 0.14  # SageMaker ML storage, USD per GB-month
SERVERLESS_GB_SECOND = 0.00002  # Serverless Inference, USD per GB-second of compute (us-east-1)
SERVERLESS_SECONDS_PER_INVOCATION = 0.8  # mean compute time of one forecast request
WARM_POOL_SECONDS = 1800  # KeepAlivePeriodInSeconds of the demo's warm pools
SP_COVERED_ENDPOINTS = ("churn-prod", "fraud-detector-prod")  # the Savings Plan covers these
GP2_DESCRIPTION = "${:g} per GB-Mo of ML General Purpose SSD (gp2) storage in {}"


def sagemaker_streams(catalog: DemoCatalog) -> UsageStreams:
    streams = UsageStreams()
    for add_streams in (_endpoints, _training_jobs, _processing_and_transform_jobs, _notebooks, _studio):
        add_streams(catalog, streams)
    return streams


def _endpoints(catalog: DemoCatalog, streams: UsageStreams) -> None:
    """Hosting instances and their ML storage volumes, per endpoint and variant; serverless
    variants bill seconds of compute at their memory size instead."""
    for endpoint in catalog.endpoints:
        for variant in endpoint.variants:
            if variant.serverless_memory_mb:
                _serverless(catalog, endpoint, variant, streams)
                continue
            it = variant.instance_type
            family = "AsyncInf" if endpoint.is_async else "Host"
            covered = "sp" if endpoint.endpoint_name in SP_COVERED_ENDPOINTS else None
            streams.add(
                endpoint.account_id,
                endpoint.region,
                "AmazonSageMaker",
                "ML Instance",
                f"{family}:{it}",
                "RunInstance",
                endpoint.arn,
                "Hrs",
                SAGEMAKER_RATES[it],
                float(variant.instance_count),
                endpoint.created_at,
                endpoint.deleted_at,
                endpoint.tags,
                it,
                covered,
                f"${SAGEMAKER_RATES[it]:g} per Hosting {it} hour in {LOCATIONS[endpoint.region]}",
            )
        volume_gb = 30 * sum(v.instance_count for v in endpoint.variants)
        if not volume_gb:
            continue
        streams.add(
            endpoint.account_id,
            endpoint.region,
            "AmazonSageMaker",
            "ML Storage",
            "Host:VolumeUsage.gp2",
            "RunInstance",
            endpoint.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            volume_gb / HOURS_PER_MONTH,
            endpoint.created_at,
            endpoint.deleted_at,
            endpoint.tags,
            description=GP2_DESCRIPTION.format(GP2_GB_MONTH, LOCATIONS[endpoint.region]),
        )


def _serverless(catalog: DemoCatalog, endpoint, variant, streams: UsageStreams) -> None:
    """Serverless inference: compute seconds at the variant's memory size, accruing at the
    endpoint's mean hourly invocations x SERVERLESS_SECONDS_PER_INVOCATION."""
    gb = variant.serverless_memory_mb // 1024
    rate = SERVERLESS_GB_SECOND * gb
    streams.add(
        endpoint.account_id,
        endpoint.region,
        "AmazonSageMaker",
        "ML Serverless Inference",
        f"ServerlessInf:Mem-{gb}GB",
        "RunInstance",
        endpoint.arn,
        "Second",
        rate,
        catalog.mean_hourly_invocations(endpoint.endpoint_name) * SERVERLESS_SECONDS_PER_INVOCATION,
        endpoint.created_at,
        endpoint.deleted_at,
        endpoint.tags,
        description=f"${rate:g} per second of Serverless Inference ({gb} GB) in {LOCATIONS[endpoint.region]}",
    )


def warm_pool_seconds(job) -> int:
    """Seconds the job's warm pool was kept (and billed) after it: completed on-demand GPU jobs
    keep their instances for WARM_POOL_SECONDS for the next run (warm pools do not work with
    managed spot)."""
    if job.is_managed_spot or job.status != "Completed":
        return 0
    return WARM_POOL_SECONDS if job.instance_type.startswith(("ml.g", "ml.p")) else 0


def _training_jobs(catalog: DemoCatalog, streams: UsageStreams) -> None:
    """Training instances (on-demand or managed spot) and their storage, per job."""
    for job in catalog.training_jobs:
        it = job.instance_type
        # Billed seconds accrue evenly while the job trains; spot jobs bill only billable_seconds.
        # A warm pool keeps the instances (billed as training) for the keep-alive period after the job.
        end = job.started_at + dt.timedelta(seconds=job.training_seconds + warm_pool_seconds(job))
        qty = job.instance_count * job.billable_seconds / job.training_seconds
        usage = f"TrSpt:{it}" if job.is_managed_spot else f"Train:{it}"
        kind = "Managed Spot Training" if job.is_managed_spot else "Training"
        streams.add(
            job.account_id,
            job.region,
            "AmazonSageMaker",
            "ML Instance",
            usage,
            "RunInstance",
            job.arn,
            "Hrs",
            SAGEMAKER_RATES[it],
            qty,
            job.started_at,
            end,
            job.tags,
            it,
            description=f"${SAGEMAKER_RATES[it]:g} per {kind} {it} hour in {LOCATIONS[job.region]}",
        )
        streams.add(
            job.account_id,
            job.region,
            "AmazonSageMaker",
            "ML Storage",
            "Train:VolumeUsage.gp2",
            "RunInstance",
            job.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            job.instance_count * job.volume_size_gb / HOURS_PER_MONTH,
            job.started_at,
            end,
            job.tags,
            description=GP2_DESCRIPTION.format(GP2_GB_MONTH, LOCATIONS[job.region]),
        )


def _processing_and_transform_jobs(catalog: DemoCatalog, streams: UsageStreams) -> None:
    """Processing and batch transform instances, per job."""
    for jobs, usage, label in (
        (catalog.processing_jobs, "Processing", "Processing"),
        (catalog.transform_jobs, "Tsform", "Batch Transform"),
    ):
        for job in jobs:
            it = job.instance_type
            streams.add(
                job.account_id,
                job.region,
                "AmazonSageMaker",
                "ML Instance",
                f"{usage}:{it}",
                "RunInstance",
                job.arn,
                "Hrs",
                SAGEMAKER_RATES[it],
                float(job.instance_count),
                job.started_at,
                job.ended_at,
                job.tags,
                it,
                description=f"${SAGEMAKER_RATES[it]:g} per {label} {it} hour",
            )


def _notebooks(catalog: DemoCatalog, streams: UsageStreams) -> None:
    """Notebook instances and their storage, per notebook."""
    for nb in catalog.notebooks:
        it = nb.instance_type
        streams.add(
            nb.account_id,
            nb.region,
            "AmazonSageMaker",
            "ML Instance",
            f"Notebk:{it}",
            "RunInstance",
            nb.arn,
            "Hrs",
            SAGEMAKER_RATES[it],
            1.0,
            nb.created_at,
            nb.stopped_at,
            nb.tags,
            it,
            description=f"${SAGEMAKER_RATES[it]:g} per Notebook {it} hour in {LOCATIONS[nb.region]}",
        )
        streams.add(
            nb.account_id,
            nb.region,
            "AmazonSageMaker",
            "ML Storage",
            "Notebk:VolumeUsage.gp2",
            "RunInstance",
            nb.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            nb.volume_size_gb / HOURS_PER_MONTH,
            nb.created_at,
            nb.stopped_at,
            nb.tags,
            description=GP2_DESCRIPTION.format(GP2_GB_MONTH, LOCATIONS[nb.region]),
        )


def studio_domain_id(catalog: DemoCatalog) -> str:
    """The demo's Studio domain (tagged team=search in the demo's AWS; its apps' lines are untagged)."""
    return f"d-demo{catalog.seed:02d}k2xq9rt1"


STUDIO_DOMAIN_TAGS = {"team": "search", "environment": "dev"}


def _studio(catalog: DemoCatalog, streams: UsageStreams) -> None:
    """Studio apps, billed per app ARN (app/<domain-id>/<user profile or space>/<type>/<name>) with no
    tags on the line: their owner comes from the domain's tags (tagging API), as in an organisation
    that tags its Studio domains but never activated those keys as cost allocation tags."""
    start = bill_only_start(catalog)
    app = f"arn:aws:sagemaker:us-east-1:{PROD_ACCOUNT_ID}:app/{studio_domain_id(catalog)}/{{}}/jupyterlab/default"
    for owner, instance_type, count in (
        ("ana-search", "ml.t3.medium", 3.0),
        ("shared-gpu", "ml.g4dn.xlarge", 0.3),
    ):
        streams.add(
            PROD_ACCOUNT_ID,
            "us-east-1",
            "AmazonSageMaker",
            "ML Instance",
            f"Studio:{instance_type}",
            "RunInstance",
            app.format(owner),
            "Hrs",
            SAGEMAKER_RATES[instance_type],
            count,
            start,
            None,
            {},
            instance_type,
        )
