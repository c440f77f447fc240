"""Amazon Bedrock lines and token counts added to the small sample warehouse (sample_warehouse.py),
with the figures the Bedrock marts must give.

March 2025 is open, its bill complete through 2025-03-02 (the sample's hourly SageMaker lines reach
2025-03-03 01:00). Costs are per the public price shapes: Claude Sonnet 4.6 through AWS Marketplace
priced per 1M tokens ($3 input, $15 output, $0.30 cache read), Llama 3.1 70B per 1K tokens ($0.00072),
batch at half price, provisioned throughput per model-unit hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from tests.transform.sample_warehouse import ACCOUNT, MAR, REGION, line_item

PROFILE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:application-inference-profile/supportchat01"
PROVISIONED = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/pt8b01"
APP_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/SupportChatApp/i-0abc123"
ALICE = f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientist/alice@example.com"
BATCH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/search-summarizer"
CLAUDE = "Claude Sonnet 4.6 (Amazon Bedrock Edition)"
MP = "AmazonBedrockFoundationModels"
FIRST_PARTY = "Amazon Bedrock"
DAY2 = MAR + timedelta(days=1)
DAY3 = MAR + timedelta(days=2)


def _bedrock(
    start, hours, usage_type, cost, quantity, unit, *, code="AmazonBedrock", service=FIRST_PARTY, **extra
):
    return line_item(
        MAR, start, hours, usage_type, extra.pop("charge_type", "Usage"), cost,
        code=code, service=service, quantity=quantity, pricing_unit=unit, **extra,
    )  # fmt: skip


def line_items() -> list[dict]:
    chat = {
        "resource": PROFILE,
        "tags": {"application": "support-chat", "team": "care"},
        "iam_principal": APP_ROLE,
    }
    alice = {"iam_principal": ALICE, "tags": {"iamprincipal/team": "research"}}
    mp = {"code": MP, "service": CLAUDE}
    return [
        # Claude through the support-chat application inference profile.
        _bedrock(MAR, 24, "USE1-MP:USE1_InputTokenCount-Units", 6.0, 2.0, "1M tokens", **mp, **chat),
        _bedrock(MAR, 24, "USE1-MP:USE1_OutputTokenCount-Units", 6.0, 0.4, "1M tokens", **mp, **chat),
        _bedrock(MAR, 24, "USE1-MP:USE1_CacheReadInputTokenCount-Units", 0.3, 1.0, "1M tokens", **mp, **chat),
        _bedrock(DAY2, 24, "USE1-MP:USE1_InputTokenCount-Units", 3.0, 1.0, "1M tokens", **mp, **chat),
        _bedrock(DAY2, 24, "USE1-MP:USE1_OutputTokenCount-Units", 3.0, 0.2, "1M tokens", **mp, **chat),
        # The open day: one hour so far.
        _bedrock(DAY3, 1, "USE1-MP:USE1_InputTokenCount-Units", 0.3, 0.1, "1M tokens", **mp, **chat),
        # Claude called directly by a person (no profile): application unattributed.
        _bedrock(MAR, 24, "USE1-MP:USE1_InputTokenCount-Units", 1.5, 0.5, "1M tokens", **mp, **alice),
        _bedrock(MAR, 24, "USE1-MP:USE1_OutputTokenCount-Units", 1.5, 0.1, "1M tokens", **mp, **alice),
        # Billed on day two, but CloudWatch counted nothing for it: no tokens.
        _bedrock(DAY2, 24, "USE1-MP:USE1_InputTokenCount-Units", 0.6, 0.2, "1M tokens", **mp, **alice),
        # Llama 3.1 70B on demand and in batch (batch is not in CloudWatch).
        _bedrock(
            MAR, 24, "USE1-Llama3-1-70B-input-tokens", 0.756, 1050.0, "1K tokens", iam_principal=BATCH_ROLE
        ),
        _bedrock(
            MAR, 24, "USE1-Llama3-1-70B-output-tokens", 0.36, 500.0, "1K tokens", iam_principal=BATCH_ROLE
        ),
        _bedrock(
            MAR,
            24,
            "USE1-Llama3-1-70B-input-tokens-batch",
            0.72,
            2000.0,
            "1K tokens",
            iam_principal=BATCH_ROLE,
        ),
        _bedrock(
            MAR,
            24,
            "USE1-Llama3-1-70B-output-tokens-batch",
            0.072,
            200.0,
            "1K tokens",
            iam_principal=BATCH_ROLE,
        ),
        # Provisioned throughput: one model unit for the day.
        _bedrock(
            MAR,
            24,
            "USE1-Llama3-1-8B-ProvisionedThroughput",
            240.0,
            24.0,
            "Hrs",
            resource=PROVISIONED,
            tags={"application": "fraud-screening", "team": "risk"},
        ),  # fmt: skip
        _bedrock(MAR, 24, "USE1-Guardrail-ContentPolicyUnitsConsumed", 0.15, 1.0, "1K text units", **chat),
        # A usage type no pattern knows: still genai, kept with its raw usage type.
        _bedrock(MAR, 24, "USE1-FutureThing-Widgets", 0.05, 5.0, "Widgets"),
        _bedrock(None, 0, "", 1.0, 0.0, "", charge_type="Tax"),
        _bedrock(MAR, 24, "USE1-Llama3-1-70B-input-tokens", -0.5, 0.0, "", charge_type="Credit"),
    ]


def _hour(day: datetime, hour: int) -> datetime:
    return day + timedelta(hours=hour)


def invocation_rows() -> list[dict]:
    """raw.bedrock_invocations: CloudWatch per model ID, plus one hour also in the invocation logs
    (the logs win that hour)."""

    def cw(start, model_id, invocations, input_tokens, output_tokens, cache_read=None):
        return {
            "hour_start": start,
            "model_id": model_id,
            "invocations": invocations,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cache_read,
            "source": "cloudwatch",
        }

    return [
        cw(_hour(MAR, 9), PROFILE, 300, 1_200_000, 250_000, 600_000),
        cw(_hour(MAR, 15), PROFILE, 200, 800_000, 150_000, 400_000),
        cw(_hour(DAY2, 9), PROFILE, 250, 1_000_000, 200_000),
        cw(_hour(DAY3, 0), PROFILE, 20, 100_000, 20_000),
        cw(_hour(MAR, 11), "anthropic.claude-sonnet-4-6", 40, 500_000, 100_000),
        cw(_hour(MAR, 10), "meta.llama3-1-70b-instruct-v1:0", 60, 600_000, 300_000),
        cw(_hour(MAR, 11), "meta.llama3-1-70b-instruct-v1:0", 40, 400_000, 200_000),
        # Day two: tokens with no cost on the bill.
        cw(_hour(DAY2, 10), "meta.llama3-1-70b-instruct-v1:0", 30, 300_000, 100_000),
        cw(_hour(MAR, 12), PROVISIONED, 900, 4_000_000, 1_000_000),
        {
            "hour_start": _hour(MAR, 11),
            "model_id": "meta.llama3-1-70b-instruct-v1:0",
            "invocations": 45,
            "input_tokens": 450_000,
            "output_tokens": 200_000,
            "caller": BATCH_ROLE,
            "source": "invocation_logs",
        },
    ]


# What the marts must give (Mar 1, on demand): tokens from CloudWatch (the logs for Llama's 11:00).
EXPECTED = {
    ("2025-03-01", "claude-sonnet-4-6", "support-chat"): {
        "input_tokens": 2_000_000, "output_tokens": 400_000,
        "cost_per_1k_input_tokens": Decimal("0.003"), "cost_per_1k_output_tokens": Decimal("0.015"),
    },
    ("2025-03-01", "claude-sonnet-4-6", "unattributed"): {
        "input_tokens": 500_000, "output_tokens": 100_000,
        "cost_per_1k_input_tokens": Decimal("0.003"), "cost_per_1k_output_tokens": Decimal("0.015"),
    },
    ("2025-03-01", "llama-3-1-70b", "unattributed"): {
        "input_tokens": 1_050_000, "output_tokens": 500_000,
        "cost_per_1k_input_tokens": Decimal("0.00072"), "cost_per_1k_output_tokens": Decimal("0.00072"),
    },
}  # fmt: skip
