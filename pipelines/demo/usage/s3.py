"""S3 usage of the demo organisation: storage in four buckets and data transfer out of two."""

from __future__ import annotations

from pipelines.demo.catalog import DEV_ACCOUNT_ID, PROD_ACCOUNT_ID, DemoCatalog
from pipelines.demo.usage.streams import HOURS_PER_MONTH, UsageStreams, bill_only_start

S3_GB_MONTH = 0.023
DATA_TRANSFER_GB = 0.09
# The dev account's scratch bucket: no tags on the bill (its team never activated the key as a cost
# allocation tag), tagged on the bucket itself, which the tagging API reads (aws_seed).
SCRATCH_BUCKET = "mlcost-demo-scratch"
SCRATCH_BUCKET_TAGS = {"team": "research", "environment": "dev"}


def s3_streams(catalog: DemoCatalog) -> UsageStreams:
    streams = UsageStreams()
    start = bill_only_start(catalog)
    buckets = [
        (PROD_ACCOUNT_ID, "us-east-1", "mlcost-demo-training-data", 120_000, {"project": "data-platform"}),
        (PROD_ACCOUNT_ID, "us-east-1", "mlcost-demo-model-artifacts", 8_000, {"environment": "prod"}),
        (
            PROD_ACCOUNT_ID,
            "us-west-2",
            "mlcost-demo-embeddings-usw2",
            15_000,
            {"ml-model": "embeddings", "TEAM": "search"},
        ),
        (DEV_ACCOUNT_ID, "us-east-1", SCRATCH_BUCKET, 4_000, {}),
    ]
    for account, region, bucket, gb, tags in buckets:
        streams.add(
            account,
            region,
            "AmazonS3",
            "Storage",
            "TimedStorage-ByteHrs",
            "StandardStorage",
            bucket,
            "GB-Mo",
            S3_GB_MONTH,
            gb / HOURS_PER_MONTH,
            start,
            None,
            tags,
            description=f"${S3_GB_MONTH:g} per GB - first 50 TB / month of storage used",
        )
    streams.add(
        PROD_ACCOUNT_ID,
        "us-east-1",
        "AmazonS3",
        "Data Transfer",
        "DataTransfer-Out-Bytes",
        "GetObject",
        "mlcost-demo-training-data",
        "GB",
        DATA_TRANSFER_GB,
        1_500 / HOURS_PER_MONTH,
        start,
        None,
        {"project": "data-platform"},
        description=f"${DATA_TRANSFER_GB:g} per GB - first 10 TB / month data transfer out",
    )
    streams.add(
        PROD_ACCOUNT_ID,
        "us-west-2",
        "AmazonS3",
        "Data Transfer",
        "DataTransfer-Out-Bytes",
        "GetObject",
        "mlcost-demo-embeddings-usw2",
        "GB",
        DATA_TRANSFER_GB,
        400 / HOURS_PER_MONTH,
        start,
        None,
        {},
        description=f"${DATA_TRANSFER_GB:g} per GB - first 10 TB / month data transfer out",
    )
    return streams
