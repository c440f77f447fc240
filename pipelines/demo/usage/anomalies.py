"""Planted cost spikes (`mlcost demo-data --anomalies`): one-day incidents of the kinds that page a
FinOps team, with their ground truth, so the anomaly detector's recall and precision can be measured.

Kinds, in turn: an endpoint scaled out by extra instances for part of a day (a runaway autoscaling
policy), a GPU box somebody forgot in the dev account, a burst of S3 data transfer out, and a GPU
notebook left running. Each is
sized to stand out from its own model, account or service (at least $60 extra) and lasts a few hours
of one UTC day; the last one falls on the bill's last complete day so the demo has one to announce.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

from pipelines.demo.catalog import DEV_ACCOUNT_ID, PROD_ACCOUNT_ID, DemoCatalog, arn, unit
from pipelines.demo.usage.s3 import DATA_TRANSFER_GB
from pipelines.demo.usage.sagemaker import SAGEMAKER_RATES
from pipelines.demo.usage.streams import LOCATIONS, UsageStreams, naive, region_usage_type

KINDS = ("endpoint_scale_out", "forgotten_gpu_box", "data_transfer_burst", "notebook_left_running")
NOTEBOOK_TYPE = "ml.p3.2xlarge"
# Each kind takes its variants in turn, so one usage type spikes again only months later: incidents
# differ, schedules repeat (the detector treats a usage type that keeps spiking as a habit).
FORGOTTEN_BOXES = {  # on-demand Linux, USD per hour
    "p3.8xlarge": 12.24,
    "g5.12xlarge": 5.672,
    "g6e.12xlarge": 10.493,
    "p4d.24xlarge": 32.7726,
}
TRANSFERS = [  # (region, bucket, usage type before the region prefix)
    ("us-east-1", "mlcost-demo-training-data", "DataTransfer-Out-Bytes"),
    ("us-east-1", "mlcost-demo-training-data", "USE1-USW2-AWS-Out-Bytes"),
    ("us-west-2", "mlcost-demo-embeddings-usw2", "DataTransfer-Out-Bytes"),
]
MIN_EXTRA_COST = 60.0
SPACING_DAYS = 9
# The detector compares a day with the same weekday over the previous four weeks: spikes start after
# five weeks of bill, and never on two days in a row.
FIRST_SPIKE_AFTER_DAYS = 42  # the detector's warm-up (anomaly_warmup_days)


@dataclass(frozen=True)
class PlantedSpike:
    usage_date: dt.date
    kind: str
    account_id: str
    region: str
    product_code: str
    usage_type: str  # as on the bill, without its region prefix (the ground truth file has it)
    resource_id: str
    hours: int
    extra_cost: float  # unblended dollars the spike adds to its day


def planted_spikes(catalog: DemoCatalog) -> list[PlantedSpike]:
    """The spikes planted in the bill: every SPACING_DAYS days from five weeks into the bill, and one
    on its last complete day (deterministic for a seed)."""
    last_day = (catalog.data_through - dt.timedelta(days=1)).date()
    first_day = catalog.history_start.date() + dt.timedelta(days=FIRST_SPIKE_AFTER_DAYS)
    days = []
    day = last_day
    while day >= first_day:
        days.append(day)
        # 8 to 10 days apart, so the spikes fall on every weekday.
        day -= dt.timedelta(days=SPACING_DAYS - 1 + round(2 * unit(catalog.seed, "spike-gap", day)))
    spikes = []
    for i, day in enumerate(sorted(days)):
        kind = KINDS[i % len(KINDS)]
        spike = _spike(catalog, kind, day, i)
        if spike is None:  # no endpoint alive that day: a forgotten box instead
            spike = _spike(catalog, "forgotten_gpu_box", day, i)
        spikes.append(spike)
    return spikes


def _spike(catalog: DemoCatalog, kind: str, day: dt.date, i: int) -> PlantedSpike | None:
    seed = catalog.seed
    hours = 6 + int(8 * unit(seed, "spike-hours", day))  # 6 to 13 hours
    if kind == "endpoint_scale_out":
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        alive = [
            (endpoint, variant)
            for endpoint in catalog.endpoints
            if endpoint.is_alive(start) and endpoint.is_alive(start + dt.timedelta(hours=23))
            and not endpoint.is_async
            for variant in endpoint.variants[:1]
            if variant.instance_type in SAGEMAKER_RATES
        ]  # fmt: skip
        if not alive:
            return None
        endpoint, variant = alive[(i // len(KINDS)) % len(alive)]
        rate = SAGEMAKER_RATES[variant.instance_type]
        usual = rate * variant.instance_count * 24
        extra_instances = max(2, math.ceil(max(MIN_EXTRA_COST, 1.5 * usual) / (rate * hours)))
        return PlantedSpike(
            day, kind, endpoint.account_id, endpoint.region, "AmazonSageMaker",
            f"Host:{variant.instance_type}", endpoint.arn, hours, round(extra_instances * rate * hours, 10),
        )  # fmt: skip
    if kind == "forgotten_gpu_box":
        box = f"i-0feed{i:04d}{seed % 10_000:04d}beef"
        instance_type = list(FORGOTTEN_BOXES)[(i // len(KINDS)) % len(FORGOTTEN_BOXES)]
        hours = max(hours, math.ceil(MIN_EXTRA_COST / FORGOTTEN_BOXES[instance_type]))
        return PlantedSpike(
            day, kind, DEV_ACCOUNT_ID, "us-east-1", "AmazonEC2", f"BoxUsage:{instance_type}", box, hours,
            round(FORGOTTEN_BOXES[instance_type] * hours, 10),
        )  # fmt: skip
    if kind == "notebook_left_running":
        rate = SAGEMAKER_RATES[NOTEBOOK_TYPE]
        hours = max(hours, math.ceil(MIN_EXTRA_COST / rate))
        name = f"scratch-gpu-{i}"
        return PlantedSpike(
            day, kind, DEV_ACCOUNT_ID, "us-east-1", "AmazonSageMaker", f"Notebk:{NOTEBOOK_TYPE}",
            arn("notebook-instance", DEV_ACCOUNT_ID, "us-east-1", name), hours, round(rate * hours, 10),
        )  # fmt: skip
    region, bucket, usage_type = TRANSFERS[(i // len(KINDS)) % len(TRANSFERS)]
    gigabytes = 1_000 * (3 + int(4 * unit(seed, "spike-gb", day)))  # 3 to 6 TB
    return PlantedSpike(
        day, kind, PROD_ACCOUNT_ID, region, "AmazonS3", usage_type, bucket, hours,
        round(DATA_TRANSFER_GB * gigabytes, 10),
    )  # fmt: skip


def anomaly_streams(catalog: DemoCatalog) -> UsageStreams:
    """The planted spikes as usage streams: each accrues its extra cost evenly over its hours, from
    01:00 UTC of its day."""
    streams = UsageStreams()
    for spike in planted_spikes(catalog):
        start = dt.datetime.combine(spike.usage_date, dt.time(1), dt.UTC)
        end = start + dt.timedelta(hours=spike.hours)
        usage = spike.usage_type.split(":", 1)
        if spike.kind == "endpoint_scale_out":
            endpoint = next(e for e in catalog.endpoints if e.arn == spike.resource_id)
            it = usage[1]
            rate = SAGEMAKER_RATES[it]
            streams.add(
                spike.account_id, spike.region, "AmazonSageMaker", "ML Instance", spike.usage_type,
                "RunInstance", spike.resource_id, "Hrs", rate, spike.extra_cost / rate / spike.hours,
                start, end, endpoint.tags, it,
                description=f"${rate:g} per Hosting {it} hour in {LOCATIONS[spike.region]}",
            )  # fmt: skip
        elif spike.kind == "forgotten_gpu_box":
            it = usage[1]
            rate = FORGOTTEN_BOXES[it]
            streams.add(
                spike.account_id, spike.region, "AmazonEC2", "Compute Instance", spike.usage_type,
                "RunInstances", spike.resource_id, "Hrs", rate, 1.0, start, end, {}, it,
                description=f"${rate:g} per On Demand Linux {it} Instance Hour", az="us-east-1d",
            )  # fmt: skip
        elif spike.kind == "notebook_left_running":
            rate = SAGEMAKER_RATES[NOTEBOOK_TYPE]
            streams.add(
                spike.account_id, spike.region, "AmazonSageMaker", "ML Instance", spike.usage_type,
                "RunInstance", spike.resource_id, "Hrs", rate, 1.0, start, end, {}, NOTEBOOK_TYPE,
                description=f"${rate:g} per Notebook {NOTEBOOK_TYPE} hour in {LOCATIONS[spike.region]}",
            )  # fmt: skip
        else:
            streams.add(
                spike.account_id, spike.region, "AmazonS3", "Data Transfer", spike.usage_type, "GetObject",
                spike.resource_id, "GB", DATA_TRANSFER_GB, spike.extra_cost / DATA_TRANSFER_GB / spike.hours,
                start, end, {"project": "data-platform"},
                description=f"${DATA_TRANSFER_GB:g} per GB - first 10 TB / month data transfer out",
            )  # fmt: skip
    return streams


def ground_truth(catalog: DemoCatalog) -> list[dict]:
    """The planted spikes as JSON-ready records (what `--anomalies` writes beside the exports)."""
    cutoff = naive(catalog.data_through)
    return [
        {
            **asdict(spike),
            "usage_date": spike.usage_date.isoformat(),
            "usage_type": region_usage_type(spike.region, spike.usage_type, spike.product_code),
        }
        for spike in planted_spikes(catalog)
        if dt.datetime.combine(spike.usage_date, dt.time(1)) < cutoff
    ]
