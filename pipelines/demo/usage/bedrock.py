"""Amazon Bedrock usage of the demo organisation as usage streams: one stream per workload,
direction and day (pipelines/demo/bedrock.py says what each workload used), so the bill's daily
lines carry exactly the tokens CloudWatch counts."""

from __future__ import annotations

from pipelines.demo.bedrock import ACCOUNT, REGION, UNIT_TOKENS, WORKLOADS, daily_quantity, days
from pipelines.demo.catalog import DAY, DemoCatalog
from pipelines.demo.usage.streams import LOCATIONS, naive

DIRECTION_WORDS = {
    "input": "input tokens",
    "output": "output tokens",
    "cache_read": "cache read input tokens",
    "cache_write": "cache write input tokens",
}


def bedrock_streams(catalog: DemoCatalog) -> list[dict]:
    rows = []
    for workload in WORKLOADS:
        for day in days(catalog, catalog.data_through):
            for direction, usage_type in workload.usage_types.items():
                quantity = daily_quantity(catalog, workload, direction, day)
                if not quantity:
                    continue
                # The pricing unit's quantity: tokens per 1K or 1M tokens, else as used.
                amount = quantity / UNIT_TOKENS.get(workload.unit, 1)
                rate = workload.rates[direction]
                what = DIRECTION_WORDS.get(direction, workload.unit)
                rows.append(
                    {
                        "account_id": ACCOUNT,
                        "region": REGION,
                        "availability_zone": "",
                        "product_code": workload.product_code,
                        "product_family": "Amazon Bedrock",
                        "usage_type": usage_type,
                        "operation": "InvokeModelInference" if direction in DIRECTION_WORDS else "Usage",
                        "resource_id": workload.resource_id,
                        "instance_type": "",
                        "pricing_unit": workload.unit,
                        "rate": rate,
                        "qty_per_hour": amount / 24,
                        "start_at": naive(day),
                        "end_at": naive(day + DAY),
                        "coverage": None,
                        "description": f"${rate:g} per {workload.unit} ({what}) in {LOCATIONS[REGION]}",
                        "tags": list(workload.tags.items()),
                        "iam_principal": workload.principal,
                    }
                )
    return rows
