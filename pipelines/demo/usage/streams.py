"""Usage streams: one row per resource and usage type, accruing a quantity per hour over a time
range. The service modules beside this one describe the demo organisation's resources as streams;
billing.py expands them into daily line items."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from pipelines.demo.catalog import DemoCatalog

HOURS_PER_MONTH = 730  # AWS prorates GB-Mo over 730 hours
LOCATIONS = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)"}
USAGE_PREFIX = {"us-east-1": "USE1", "us-west-2": "USW2"}

# One row per usage stream; quantity accrues at qty_per_hour over [start_at, end_at).
SPEC_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("region", pa.string()),
        ("availability_zone", pa.string()),
        ("product_code", pa.string()),
        ("product_family", pa.string()),
        ("usage_type", pa.string()),
        ("operation", pa.string()),
        ("resource_id", pa.string()),
        ("instance_type", pa.string()),
        ("pricing_unit", pa.string()),
        ("rate", pa.float64()),
        ("qty_per_hour", pa.float64()),
        ("start_at", pa.timestamp("us")),
        ("end_at", pa.timestamp("us")),
        ("coverage", pa.string()),
        ("description", pa.string()),
        ("tags", pa.map_(pa.string(), pa.string())),
        ("iam_principal", pa.string()),  # the caller (Amazon Bedrock lines)
    ]
)


def naive(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def bill_only_start(catalog: DemoCatalog) -> dt.datetime:
    """Resources that appear only on the bill (Studio, research GPU boxes, S3, data transfer) run
    from 120 days before the catalog's history."""
    return catalog.history_start - dt.timedelta(days=120)


def region_usage_type(region: str, usage: str, service: str) -> str:
    # SageMaker usage types always carry the region prefix; EC2 and S3 omit it in us-east-1.
    if service != "AmazonSageMaker" and region == "us-east-1":
        return usage
    return f"{USAGE_PREFIX[region]}-{usage}"


class UsageStreams(list):
    """The usage streams of one service, as rows of SPEC_SCHEMA."""

    def add(
        self,
        account,
        region,
        product,
        family,
        usage,
        operation,
        resource,
        unit_name,
        rate,
        qty,
        start,
        end,
        tags,
        instance_type="",
        coverage=None,
        description=None,
        az="",
    ) -> None:
        location = LOCATIONS[region]
        self.append(
            {
                "account_id": account,
                "region": region,
                "availability_zone": az,
                "product_code": product,
                "product_family": family,
                "usage_type": region_usage_type(region, usage, product),
                "operation": operation,
                "resource_id": resource,
                "instance_type": instance_type,
                "pricing_unit": unit_name,
                "rate": rate,
                "qty_per_hour": qty,
                "start_at": naive(start),
                "end_at": naive(end),
                "coverage": coverage,
                "description": description or f"${rate:g} per {unit_name} for {usage} in {location}",
                "tags": list(tags.items()),
            }
        )
