"""EC2 usage of the demo organisation: research GPU boxes that only the bill knows, one of them on
a reserved instance that stops and starts again."""

from __future__ import annotations

import datetime as dt

from pipelines.demo.catalog import DEV_ACCOUNT_ID, PROD_ACCOUNT_ID, DemoCatalog, unit
from pipelines.demo.usage.streams import UsageStreams, bill_only_start

EC2_RATES = {"g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.12xlarge": 5.672}


def ec2_streams(catalog: DemoCatalog) -> UsageStreams:
    streams = UsageStreams()
    start, seed = bill_only_start(catalog), catalog.seed
    span = catalog.data_through - catalog.history_start
    stop = (catalog.history_start + span * (0.55 + 0.1 * unit(seed, "ri-stop"))).replace(minute=0, second=0)
    ri_box = "i-0a1b2c3d4e5f60718"
    ri_tags = {"team": "search", "project": "semantic-search"}
    for lo, hi in ((start, stop), (stop + dt.timedelta(hours=52), None)):
        streams.add(
            PROD_ACCOUNT_ID,
            "us-east-1",
            "AmazonEC2",
            "Compute Instance",
            "BoxUsage:g5.xlarge",
            "RunInstances",
            ri_box,
            "Hrs",
            EC2_RATES["g5.xlarge"],
            1.0,
            lo,
            hi,
            ri_tags,
            "g5.xlarge",
            "ri",
            "USD 0.634 hourly fee per Linux/UNIX (Amazon VPC), g5.xlarge instance",
            az="us-east-1a",
        )
    boxes = [
        (
            PROD_ACCOUNT_ID,
            "us-east-1",
            "i-0f9e8d7c6b5a40312",
            "g5.xlarge",
            1.0,
            {"Team": "growth", "project": "personalization"},
            "us-east-1b",
        ),
        (DEV_ACCOUNT_ID, "us-east-1", "i-07d3a5b9c1e2f4a68", "g5.12xlarge", 0.6, {}, "us-east-1c"),
        (
            PROD_ACCOUNT_ID,
            "us-west-2",
            "i-0c4d2e6f8a1b3c5d7",
            "g5.2xlarge",
            1.0,
            {"ml-model": "embeddings", "team": "search"},
            "us-west-2a",
        ),
    ]
    for account, region, box, it, qty, tags, az in boxes:
        streams.add(
            account,
            region,
            "AmazonEC2",
            "Compute Instance",
            f"BoxUsage:{it}",
            "RunInstances",
            box,
            "Hrs",
            EC2_RATES[it],
            qty,
            start,
            None,
            tags,
            it,
            description=f"${EC2_RATES[it]:g} per On Demand Linux {it} Instance Hour",
            az=az,
        )
    return streams
