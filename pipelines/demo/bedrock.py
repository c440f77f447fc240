"""The demo organisation's Amazon Bedrock usage, one definition for the bill and for CloudWatch.

Workloads, all in the prod account in us-east-1 (usage types in the shapes AWS bills, see
seeds/bedrock_usage_types.csv):

- support-chat: Claude Sonnet 4.6 sold through AWS Marketplace (AmazonBedrockFoundationModels,
  priced per 1M tokens, prompt caching on), called through an application inference profile whose
  cost allocation tags name the application and team; its guardrail;
- an analyst calling Claude directly on weekdays (her IAM principal tags name her team);
- search-summarizer: Llama 3.1 70B on demand, and a batch inference job three nights a week;
- doc-tagger: Amazon Nova Lite on demand;
- fraud-screening: one model unit of provisioned throughput for Llama 3.1 8B, bought in the last
  weeks of the bill.

`daily_quantity` is the one source of a day's tokens (or model-unit hours): usage/bedrock.py bills
it, `put_bedrock_metrics` spreads the same numbers over the day's hours into CloudWatch AWS/Bedrock
(ModelId: the model, or the profile's or provisioned model's ARN), so billed and counted tokens
agree. Batch inference and guardrails are not in CloudWatch, as in AWS.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.demo.catalog import DAY, HOUR, PROD_ACCOUNT_ID, DemoCatalog, unit

REGION = "us-east-1"
ACCOUNT = PROD_ACCOUNT_ID
SUPPORT_CHAT_PROFILE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/x7k2m9p4q1ab"
FRAUD_PROVISIONED_MODEL = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/q8w3e5r7t9y1"
SUPPORT_CHAT_GUARDRAIL = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/gr4support01"
CLAUDE_PRODUCT = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
UNIT_TOKENS = {"1K tokens": 1_000, "1M tokens": 1_000_000}
PROVISIONED_DAYS = 20  # the model unit was bought this many days before the bill's end


def _session(role: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


@dataclass(frozen=True)
class Workload:
    """One caller's use of one model: per direction (input, output, cache_read, cache_write, or
    `units` for what is not tokens) its usage type, price per pricing unit and daily quantity."""

    name: str
    product_code: str
    unit: str
    usage_types: dict[str, str]
    rates: dict[str, float]
    daily: dict[str, float]
    principal: str
    resource_id: str = ""
    model_id: str | None = None  # CloudWatch ModelId; None: not reported to CloudWatch
    tags: dict[str, str] = field(default_factory=dict)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # weekdays it runs on, Monday = 0
    tokens_per_call: int = 2_000
    starts_before_end: int | None = None  # runs only in the last N days of the bill


WORKLOADS = [
    Workload(
        name="support-chat",
        product_code="AmazonBedrockFoundationModels",
        unit="1M tokens",
        usage_types={
            "input": "USE1-MP:USE1_InputTokenCount-Units",
            "output": "USE1-MP:USE1_OutputTokenCount-Units",
            "cache_read": "USE1-MP:USE1_CacheReadInputTokenCount-Units",
            "cache_write": "USE1-MP:USE1_CacheWriteInputTokenCount-Units",
        },
        rates={"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75},
        daily={"input": 12_000_000, "output": 1_800_000, "cache_read": 8_000_000, "cache_write": 1_200_000},
        principal=_session("support-chat-backend", "ecs-task-4f1e2a"),
        resource_id=SUPPORT_CHAT_PROFILE,
        model_id=SUPPORT_CHAT_PROFILE,
        tags={"application": "support-chat", "team": "customer-care", "environment": "prod"},
        tokens_per_call=2_400,
    ),
    Workload(
        name="analyst",
        product_code="AmazonBedrockFoundationModels",
        unit="1M tokens",
        usage_types={
            "input": "USE1-MP:USE1_InputTokenCount-Units",
            "output": "USE1-MP:USE1_OutputTokenCount-Units",
        },
        rates={"input": 3.0, "output": 15.0},
        daily={"input": 2_000_000, "output": 300_000},
        principal=_session("DataScientist", "alice@example.com"),
        model_id="anthropic.claude-sonnet-4-6",
        tags={"iamPrincipal/team": "research"},
        days=(0, 1, 2, 3, 4),
        tokens_per_call=6_000,
    ),
    Workload(
        name="search-summarizer",
        product_code="AmazonBedrock",
        unit="1K tokens",
        usage_types={"input": "USE1-Llama3-1-70B-input-tokens", "output": "USE1-Llama3-1-70B-output-tokens"},
        rates={"input": 0.00072, "output": 0.00072},
        daily={"input": 30_000_000, "output": 6_000_000},
        principal=_session("search-summarizer", "lambda-7c1d"),
        model_id="meta.llama3-1-70b-instruct-v1:0",
        tags={"iamPrincipal/team": "search"},
        tokens_per_call=1_500,
    ),
    Workload(
        name="search-summarizer-batch",
        product_code="AmazonBedrock",
        unit="1K tokens",
        usage_types={
            "input": "USE1-Llama3-1-70B-input-tokens-batch",
            "output": "USE1-Llama3-1-70B-output-tokens-batch",
        },
        rates={"input": 0.00036, "output": 0.00036},
        daily={"input": 80_000_000, "output": 8_000_000},
        principal=_session("search-summarizer", "batch-job-nightly"),
        tags={"iamPrincipal/team": "search"},
        days=(0, 2, 4),
    ),
    Workload(
        name="doc-tagger",
        product_code="AmazonBedrock",
        unit="1K tokens",
        usage_types={"input": "USE1-NovaLite-input-tokens", "output": "USE1-NovaLite-output-tokens"},
        rates={"input": 0.00006, "output": 0.00024},
        daily={"input": 50_000_000, "output": 5_000_000},
        principal=_session("doc-tagger", "ecs-task-9b0c"),
        model_id="amazon.nova-lite-v1:0",
        tags={"iamPrincipal/team": "growth"},
        tokens_per_call=3_000,
    ),
    Workload(
        name="fraud-screening",
        product_code="AmazonBedrock",
        unit="Hrs",
        usage_types={"units": "USE1-Llama3-1-8B-ProvisionedThroughput"},
        rates={"units": 4.90},
        daily={"units": 24.0, "input": 40_000_000, "output": 4_000_000},
        principal=_session("fraud-screening", "ecs-task-31aa"),
        resource_id=FRAUD_PROVISIONED_MODEL,
        model_id=FRAUD_PROVISIONED_MODEL,
        tags={"application": "fraud-screening", "team": "risk", "environment": "prod"},
        tokens_per_call=800,
        starts_before_end=PROVISIONED_DAYS,
    ),
    Workload(
        name="support-chat-guardrail",
        product_code="AmazonBedrock",
        unit="1K text units",
        usage_types={"units": "USE1-Guardrail-ContentPolicyUnitsConsumed"},
        rates={"units": 0.15},
        daily={"units": 20.0},
        principal=_session("support-chat-backend", "ecs-task-4f1e2a"),
        resource_id=SUPPORT_CHAT_GUARDRAIL,
        tags={"application": "support-chat", "team": "customer-care", "environment": "prod"},
    ),
]


def runs_on(catalog: DemoCatalog, workload: Workload, day: dt.datetime) -> bool:
    """Whether the workload ran on the day starting at `day` (UTC midnight)."""
    if day < catalog.history_start or day.weekday() not in workload.days:
        return False
    if workload.starts_before_end is not None:
        return day >= catalog.data_through - workload.starts_before_end * DAY
    return True


def daily_quantity(catalog: DemoCatalog, workload: Workload, direction: str, day: dt.datetime) -> int | float:
    """Tokens (a whole number) or units a workload used in one direction on one day; 0 when it did
    not run. Traffic grows about 2% a week and varies from day to day."""
    if not runs_on(catalog, workload, day):
        return 0
    base = workload.daily[direction]
    if direction == "units" and workload.unit == "Hrs":
        return base  # a model unit bills every hour
    weeks = (day - catalog.history_start) / (7 * DAY)
    noise = 0.85 + 0.3 * unit(catalog.seed, "bedrock", workload.name, direction, day.date().isoformat())
    quantity = base * (1 + 0.02 * weeks) * noise
    return round(quantity, 3) if direction == "units" else int(round(quantity))


def days(catalog: DemoCatalog, end: dt.datetime) -> list[dt.datetime]:
    first = catalog.history_start
    return [first + i * DAY for i in range(int((end - first) / DAY))]


# Share of a day's traffic in each UTC hour: busiest in the (US) afternoon.
_DIURNAL = [0.6 + 0.4 * math.cos(2 * math.pi * (h - 17) / 24) for h in range(24)]


def hourly_split(total: int) -> list[int]:
    """A day's whole tokens over its 24 hours, summing exactly to `total`."""
    weights = sum(_DIURNAL)
    parts = [int(total * w / weights) for w in _DIURNAL]
    parts[17] += total - sum(parts)
    return parts


METRICS = {
    "input": "InputTokenCount",
    "output": "OutputTokenCount",
    "cache_read": "CacheReadInputTokenCount",
    "cache_write": "CacheWriteInputTokenCount",
}


def put_bedrock_metrics(
    catalog: DemoCatalog,
    put: Callable[[str, str, str, list[dict]], int],
    through: dt.datetime,
    first_day: dt.datetime,
) -> int:
    """PutMetricData (through `put(account, region, namespace, datums)`) of AWS/Bedrock Invocations and
    token counts per ModelId and hour, for the days from `first_day` to `through`: the same tokens
    the bill charges (billed days), and the days CloudWatch sees before the bill does."""
    datums: list[dict] = []
    for workload in WORKLOADS:
        if workload.model_id is None:
            continue
        dims = [{"Name": "ModelId", "Value": workload.model_id}]
        for day in days(catalog, through):
            if day < first_day:
                continue
            per_direction = {
                direction: hourly_split(daily_quantity(catalog, workload, direction, day))
                for direction in METRICS
                if direction in workload.daily
            }
            if not any(sum(parts) for parts in per_direction.values()):
                continue
            for hour in range(24):
                moment = day + hour * HOUR
                if moment >= through:
                    break
                metrics = {METRICS[d]: parts[hour] for d, parts in per_direction.items()}
                metrics["Invocations"] = max(
                    1, round(per_direction["input"][hour] / workload.tokens_per_call)
                )
                datums.extend(
                    {
                        "MetricName": name,
                        "Dimensions": dims,
                        "Timestamp": moment,
                        "Value": float(value),
                        "Unit": "Count",
                    }
                    for name, value in metrics.items()
                )
    return put(ACCOUNT, REGION, "AWS/Bedrock", datums)
