"""Hourly SageMaker endpoint metrics from CloudWatch GetMetricData, as warehouse rows.

Which endpoint variants to ask about: the ones the caller knows (from the stored SageMaker metadata)
plus every EndpointName+VariantName pair ListMetrics reports. ListMetrics only sees metrics with
data in the last two weeks, so for older days the caller skips it (``discover=False``) and relies
on the stored metadata. Queries go out in batches of at most 500 (the GetMetricData
limit) and the paginator follows NextToken within each batch.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pipelines.lib.sagemaker.parse import utc

MAX_QUERIES_PER_CALL = 500
CHUNK = timedelta(days=1)
HOUR_SECONDS = 3600
# CloudWatch keeps 1-hour datapoints for 455 days; an older day would come back empty, and replacing
# a stored day with nothing would lose data, so such days are not re-fetched.
HOURLY_RETENTION = timedelta(days=455)

INVOCATIONS = ("AWS/SageMaker", "Invocations")
UTILIZATION_METRICS = (
    ("/aws/sagemaker/Endpoints", "CPUUtilization"),
    ("/aws/sagemaker/Endpoints", "GPUUtilization"),
    ("/aws/sagemaker/Endpoints", "GPUMemoryUtilization"),
    ("/aws/sagemaker/Endpoints", "MemoryUtilization"),
    ("AWS/SageMaker", "ModelLatency"),
)
VARIANT_DIMENSIONS = {"EndpointName", "VariantName"}
TRAINING_NAMESPACE = "/aws/sagemaker/TrainingJobs"
TRAINING_METRICS = ("CPUUtilization", "GPUUtilization", "GPUMemoryUtilization")


@dataclass(frozen=True)
class Series:
    """One metric of one endpoint variant, with the dimensions exactly as CloudWatch listed them."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]

    @property
    def endpoint_name(self) -> str:
        return dict(self.dimensions)["EndpointName"]

    @property
    def variant_name(self) -> str:
        return dict(self.dimensions)["VariantName"]


def list_variant_series(client, namespace: str, metric_name: str) -> list[Series]:
    """Every EndpointName+VariantName series of a metric (other dimension sets are ignored)."""
    found: dict[tuple, Series] = {}
    for page in client.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric_name):
        for metric in page.get("Metrics") or []:
            dims = tuple((d["Name"], d["Value"]) for d in metric.get("Dimensions") or [])
            if {name for name, _ in dims} != VARIANT_DIMENSIONS:
                continue
            key = tuple(sorted(dims))
            # Keep the order CloudWatch listed the dimensions in: some implementations match on it.
            found.setdefault(key, Series(namespace, metric_name, dims))
    return sorted(found.values(), key=lambda s: (s.metric_name, s.endpoint_name, s.variant_name))


# ListMetrics answers are reused for this long within one process (a refresh runs many partitions
# in-process); each run launched in its own process lists again.
LIST_METRICS_TTL_SECONDS = 600
_listed: dict[tuple, tuple[float, list[Series]]] = {}


def clear_list_metrics_cache() -> None:
    _listed.clear()


def _list_cached(client, account_id: str, region: str, namespace: str, metric_name: str) -> list[Series]:
    key = (client.meta.endpoint_url, account_id, region, namespace, metric_name)
    hit = _listed.get(key)
    if hit and time.monotonic() - hit[0] < LIST_METRICS_TTL_SECONDS:
        return hit[1]
    series = list_variant_series(client, namespace, metric_name)
    _listed[key] = (time.monotonic(), series)
    return series


def variant_series(
    client,
    account_id: str,
    region: str,
    namespace: str,
    metric_name: str,
    variants: list[tuple[str, str]] | None,
    discover: bool = True,
) -> list[Series]:
    """Series for the known (endpoint, variant) pairs plus, when ``discover`` (or nothing is known),
    every pair ListMetrics reports, so metrics of endpoints the metadata never saw are not missed."""
    found: dict[tuple, Series] = {}
    if discover or not variants:
        for series in _list_cached(client, account_id, region, namespace, metric_name):
            found.setdefault(tuple(sorted(series.dimensions)), series)
    for endpoint, variant in variants or []:
        dims = (("EndpointName", endpoint), ("VariantName", variant))
        found.setdefault(tuple(sorted(dims)), Series(namespace, metric_name, dims))
    return sorted(found.values(), key=lambda s: (s.metric_name, s.endpoint_name, s.variant_name))


def get_hourly(
    client, requests: Iterable[tuple[Series, str]], start: datetime, end: datetime
) -> dict[tuple[Series, str], dict[datetime, float]]:
    """(series, statistic) -> {hour_start (naive UTC): value} for [start, end), Period 3600."""
    requests = list(requests)
    out: dict[tuple[Series, str], dict[datetime, float]] = {r: {} for r in requests}
    for offset in range(0, len(requests), MAX_QUERIES_PER_CALL):
        batch = requests[offset : offset + MAX_QUERIES_PER_CALL]
        by_id = {f"q{offset + i}": r for i, r in enumerate(batch)}
        queries = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": series.namespace,
                        "MetricName": series.metric_name,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in series.dimensions],
                    },
                    "Period": HOUR_SECONDS,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for query_id, (series, stat) in by_id.items()
        ]
        for chunk_start, chunk_end in _chunks(start, end):
            paginator = client.get_paginator("get_metric_data")
            for page in paginator.paginate(
                MetricDataQueries=queries,
                StartTime=chunk_start,
                EndTime=chunk_end,
                ScanBy="TimestampAscending",
            ):
                for result in page.get("MetricDataResults") or []:
                    values = out[by_id[result["Id"]]]
                    for ts, value in zip(
                        result.get("Timestamps") or [], result.get("Values") or [], strict=False
                    ):
                        values[utc(ts)] = float(value)
    return out


def _chunks(start: datetime, end: datetime):
    """[start, end) in pieces of at most CHUNK: a long backfill stays far below the 100,800
    datapoints one GetMetricData call may return, and each call stays quick."""
    while start < end:
        yield start, min(start + CHUNK, end)
        start += CHUNK


def invocation_rows(
    client,
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    variants: list[tuple[str, str]] | None = None,
    discover: bool = True,
) -> list[dict]:
    """raw.prediction_counts rows (source 'cloudwatch') for every endpoint variant, hour by hour."""
    series = variant_series(client, account_id, region, *INVOCATIONS, variants, discover)
    data = get_hourly(client, [(s, "Sum") for s in series], start, end)
    rows = []
    for (s, _), values in data.items():
        for hour, value in sorted(values.items()):
            if not start <= hour < end:
                continue
            rows.append(
                {
                    "hour_start": hour,
                    "endpoint_name": s.endpoint_name,
                    "variant_name": s.variant_name,
                    "model_name": None,
                    "predictions": round(value),
                    "source": "cloudwatch",
                    "account_id": account_id,
                    "region": region,
                    "fetched_at": fetched_at,
                }
            )
    return rows


def utilization_rows(
    client,
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    variants: list[tuple[str, str]] | None = None,
    discover: bool = True,
) -> list[dict]:
    """raw.endpoint_utilization rows: Average, Maximum and SampleCount per variant, metric and hour."""
    series = [
        s
        for namespace, metric in UTILIZATION_METRICS
        for s in variant_series(client, account_id, region, namespace, metric, variants, discover)
    ]
    stats = ("Average", "Maximum", "SampleCount")
    data = get_hourly(client, [(s, stat) for s in series for stat in stats], start, end)
    rows = []
    for s in series:
        hours = sorted({h for stat in stats for h in data[(s, stat)]})
        for hour in hours:
            if not start <= hour < end:
                continue
            sample_count = data[(s, "SampleCount")].get(hour)
            rows.append(
                {
                    "hour_start": hour,
                    "endpoint_name": s.endpoint_name,
                    "variant_name": s.variant_name,
                    "metric_name": s.metric_name,
                    "average": data[(s, "Average")].get(hour),
                    "maximum": data[(s, "Maximum")].get(hour),
                    "sample_count": sample_count,
                    "account_id": account_id,
                    "region": region,
                    "fetched_at": fetched_at,
                }
            )
    return rows


@dataclass(frozen=True)
class TrainingJobHosts:
    """A training job's hosts (algo-1 .. algo-<instance_count>) and the hours it ran in a window."""

    training_job_name: str
    instance_count: int
    from_at: datetime
    to_at: datetime

    def series(self) -> list[Series]:
        return [
            Series(TRAINING_NAMESPACE, metric, (("Host", f"{self.training_job_name}/algo-{i}"),))
            for i in range(1, max(self.instance_count, 1) + 1)
            for metric in TRAINING_METRICS
        ]


def training_utilization_rows(
    client,
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    jobs: list[TrainingJobHosts] | None = None,
    discover: bool = False,
) -> list[dict]:
    """raw.training_job_utilization rows for the known jobs that ran in [start, end): Average,
    Maximum and SampleCount per host, metric and hour. Each job is asked only for the hours it ran
    (a window of many days holds many short jobs). ``discover`` is unused: hosts come from the
    stored training jobs (ListMetrics would list every host of two weeks of jobs)."""
    stats = ("Average", "Maximum", "SampleCount")
    rows = []
    for job in jobs or []:
        job_start = max(start, job.from_at.replace(minute=0, second=0, microsecond=0))
        job_end = min(end, job.to_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        if job_start >= job_end:
            continue
        series = job.series()
        data = get_hourly(client, [(s, stat) for s in series for stat in stats], job_start, job_end)
        for s in series:
            for hour in sorted({h for stat in stats for h in data[(s, stat)]}):
                if not start <= hour < end:
                    continue
                rows.append(
                    {
                        "hour_start": hour,
                        "training_job_name": job.training_job_name,
                        "host": dict(s.dimensions)["Host"],
                        "metric_name": s.metric_name,
                        "average": data[(s, "Average")].get(hour),
                        "maximum": data[(s, "Maximum")].get(hour),
                        "sample_count": data[(s, "SampleCount")].get(hour),
                        "account_id": account_id,
                        "region": region,
                        "fetched_at": fetched_at,
                    }
                )
    return rows
