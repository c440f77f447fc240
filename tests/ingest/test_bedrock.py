"""Amazon Bedrock token counts from CloudWatch AWS/Bedrock (moto over HTTP) and model invocation logs
(local and S3), and the billing load keeping each Bedrock line's caller."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import boto3
import dagster as dg
import duckdb
import pytest

from pipelines.defs.ingest.bedrock import (
    bedrock_days_to_refresh,
    bedrock_invocations,
    bedrock_invocations_grain_is_unique,
)
from pipelines.defs.resources import source_resources
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store
from tests.ingest.sagemaker_helpers import FaultProxy, failure_text, materialize, query

DAY = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
KEY = DAY.date().isoformat()
PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/supportchat01"
CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0"


@pytest.fixture(autouse=True)
def no_bedrock_settings(monkeypatch):
    for name in ("BEDROCK_REGIONS", "BEDROCK_INVOCATION_LOGS_URI", "BEDROCK_PRINCIPAL_IDENTIFIERS"):
        monkeypatch.delenv(name, raising=False)


def put_bedrock(region: str, model_id: str, hour: int, day: datetime = DAY, **metrics: list[float]) -> None:
    """PutMetricData of AWS/Bedrock metrics (InputTokenCount=[...], ...) for one model ID and hour."""
    client = boto3.client("cloudwatch", region_name=region)
    data = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": "ModelId", "Value": model_id}],
            "Timestamp": day + timedelta(hours=hour, minutes=3 + 7 * i),
            "Value": value,
            "Unit": "Count",
        }
        for name, values in metrics.items()
        for i, value in enumerate(values)
    ]
    client.put_metric_data(Namespace="AWS/Bedrock", MetricData=data)


def stored(source: str = "cloudwatch") -> dict[tuple, tuple]:
    rows = query(
        "select region, model_id, hour(hour_start), invocations, input_tokens, output_tokens,"
        " cache_read_input_tokens, cache_write_input_tokens from raw.bedrock_invocations where source = $source",
        {"source": source},
    )
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def test_skipped_without_sources_creates_the_empty_table():
    assert materialize([bedrock_invocations], partition_key=KEY).success
    assert query("select count(*) from raw.bedrock_invocations") == [(0,)]


def test_cloudwatch_tokens_per_model_id_hourly_and_a_refetch_replaces(moto_endpoint, monkeypatch):
    # Bedrock's regions default to SAGEMAKER_REGIONS; BEDROCK_REGIONS wins when set.
    monkeypatch.setenv("SAGEMAKER_REGIONS", "eu-west-1")
    monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1,us-west-2")
    put_bedrock(
        "us-east-1", CLAUDE, 9, Invocations=[3, 2], InputTokenCount=[3000, 2000], OutputTokenCount=[400]
    )
    put_bedrock(
        "us-east-1", PROFILE, 9, Invocations=[5], InputTokenCount=[9000], OutputTokenCount=[800],
        CacheReadInputTokenCount=[4000], CacheWriteInputTokenCount=[1200],
    )  # fmt: skip
    put_bedrock("us-west-2", "meta.llama3-1-70b-instruct-v1:0", 23, Invocations=[1], InputTokenCount=[10])
    put_bedrock("us-east-1", CLAUDE, 0, day=DAY + timedelta(days=1), Invocations=[99])  # the next day

    assert materialize([bedrock_invocations], partition_key=KEY).success
    expected = {
        ("us-east-1", CLAUDE, 9): (5, 5000, 400, None, None),
        ("us-east-1", PROFILE, 9): (5, 9000, 800, 4000, 1200),
        ("us-west-2", "meta.llama3-1-70b-instruct-v1:0", 23): (1, 10, None, None, None),
    }
    assert stored() == expected

    # Late datapoints for an hour already loaded: the day is replaced, nothing doubled.
    put_bedrock("us-east-1", CLAUDE, 9, OutputTokenCount=[100])
    assert materialize([bedrock_invocations], partition_key=KEY).success
    assert materialize([bedrock_invocations], partition_key=KEY).success
    assert stored() == expected | {("us-east-1", CLAUDE, 9): (5, 5000, 500, None, None)}
    assert query("select distinct account_id from raw.bedrock_invocations") == [("123456789012",)]


def test_a_failing_region_is_named_and_its_stored_day_kept(moto_endpoint, monkeypatch):
    monkeypatch.setenv("BEDROCK_REGIONS", "us-east-1,us-west-2")
    put_bedrock("us-east-1", CLAUDE, 1, Invocations=[1], InputTokenCount=[100])
    put_bedrock("us-west-2", CLAUDE, 2, Invocations=[2], InputTokenCount=[200])
    assert materialize([bedrock_invocations], partition_key=KEY).success
    before = stored()
    assert len(before) == 2

    put_bedrock("us-east-1", CLAUDE, 3, Invocations=[3], InputTokenCount=[300])
    with FaultProxy(moto_endpoint, fail_region="us-west-2", service="monitoring") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        result = materialize([bedrock_invocations], partition_key=KEY, raise_on_error=False)
    assert not result.success
    text = failure_text(result)
    assert "CloudWatch account 123456789012 region us-west-2" in text
    after = stored()
    assert after[("us-west-2", CLAUDE, 2)] == before[("us-west-2", CLAUDE, 2)]
    assert after[("us-east-1", CLAUDE, 3)] == (3, 300, None, None, None)


def _log_record(minute: int, model_id: str, caller: str, tokens_in: int, tokens_out: int, **extra) -> dict:
    return {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": (DAY + timedelta(hours=10, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": "123456789012",
        "region": "us-east-1",
        "requestId": f"req-{minute}",
        "operation": "Converse",
        "modelId": model_id,
        "identity": {"arn": caller},
        "input": {"inputContentType": "application/json", "inputTokenCount": tokens_in,
                  "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": "my secret prompt"}]}]}, **extra},
        "output": {"outputContentType": "application/json", "outputTokenCount": tokens_out,
                   "outputBodyJson": {"output": {"message": {"content": [{"text": "an answer"}]}}}},
    }  # fmt: skip


def write_logs(root, records: list[dict], day: datetime = DAY, name: str = "part-0001.json.gz") -> None:
    """Bedrock's own layout: AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/."""
    folder = root / f"AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/{day:%Y/%m/%d}/10"
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / name, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)


def test_invocation_logs_count_tokens_per_caller_and_never_load_prompts(tmp_path, monkeypatch):
    alice = "arn:aws:sts::123456789012:assumed-role/DataScientist/alice@example.com"
    app = "arn:aws:sts::123456789012:assumed-role/SupportChatApp/i-0abc"
    write_logs(
        tmp_path,
        [
            _log_record(1, CLAUDE, alice, 120, 30, cacheReadInputTokenCount=50),
            _log_record(2, CLAUDE, alice, 80, 20),
            _log_record(3, PROFILE, app, 1000, 90),
        ],
    )
    # A file of another day is not read for this partition (Bedrock's path names the day).
    write_logs(tmp_path, [_log_record(1, CLAUDE, alice, 5, 5)], day=DAY + timedelta(days=9))
    monkeypatch.setenv("BEDROCK_INVOCATION_LOGS_URI", str(tmp_path))
    result = materialize([bedrock_invocations], partition_key=KEY)
    assert result.success
    rows = query(
        "select model_id, caller, hour(hour_start), invocations, input_tokens, output_tokens, cache_read_input_tokens"
        " from raw.bedrock_invocations where source = 'invocation_logs' order by model_id, caller"
    )
    assert rows == [(CLAUDE, alice, 10, 2, 200, 50, 50), (PROFILE, app, 10, 1, 1000, 90, None)]
    stored_text = query("select string_agg(cast(columns(*) as varchar), ' ') from raw.bedrock_invocations")
    assert "secret prompt" not in str(stored_text)
    assert materialize([bedrock_invocations, bedrock_invocations_grain_is_unique], partition_key=KEY).success


def test_a_bad_log_record_fails_the_day_naming_file_record_and_field(tmp_path, monkeypatch):
    good = _log_record(1, CLAUDE, "arn:aws:iam::123456789012:role/app", 10, 1)
    write_logs(tmp_path, [good])
    monkeypatch.setenv("BEDROCK_INVOCATION_LOGS_URI", str(tmp_path))
    assert materialize([bedrock_invocations], partition_key=KEY).success

    bad = _log_record(2, CLAUDE, "arn:aws:iam::123456789012:role/app", 10, 1)
    bad["output"]["outputTokenCount"] = "many"
    write_logs(tmp_path, [good, bad])
    result = materialize([bedrock_invocations], partition_key=KEY, raise_on_error=False)
    assert not result.success
    assert "part-0001.json.gz, record 2, field output.outputTokenCount: 'many' is not a whole number" in (
        failure_text(result)
    )
    # What was stored before stays.
    assert query("select sum(input_tokens) from raw.bedrock_invocations") == [(10,)]


def test_invocation_logs_from_s3(moto_endpoint, tmp_path, monkeypatch):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bedrock-logs")
    write_logs(tmp_path, [_log_record(5, CLAUDE, "arn:aws:iam::123456789012:role/app", 70, 7)])
    for path in tmp_path.rglob("*.json.gz"):
        s3.upload_file(str(path), "bedrock-logs", f"invocations/{path.relative_to(tmp_path).as_posix()}")
    monkeypatch.setenv("BEDROCK_INVOCATION_LOGS_URI", "s3://bedrock-logs/invocations")
    assert materialize([bedrock_invocations], partition_key=KEY).success
    assert query("select model_id, input_tokens, output_tokens from raw.bedrock_invocations") == [
        (CLAUDE, 70, 7)
    ]


# CUR 2.0 with caller identity data: line_item_iam_principal per Bedrock line and IAM principal tags
# (`iamPrincipal/<key>`) in resource_tags. Usage types and principal shapes as in the AWS blog
# "Introducing granular cost attribution for Amazon Bedrock" (2026).
CALLERS_CUR2 = """\
identity_line_item_id,identity_time_interval,bill_payer_account_id,bill_billing_period_start_date,\
line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_usage_end_date,\
line_item_product_code,line_item_usage_type,line_item_resource_id,line_item_iam_principal,line_item_usage_amount,\
pricing_unit,line_item_unblended_cost,resource_tags
a,2026-04-01T00:00:00Z/2026-04-02T00:00:00Z,123456789012,2026-04-01T00:00:00Z,123456789012,Usage,2026-04-01T00:00:00Z,\
2026-04-02T00:00:00Z,AmazonBedrock,USE1-Claude4.6Sonnet-input-tokens,,arn:aws:iam::123456789012:user/alice,23,1K tokens,\
0.069,"{""iamPrincipal/team"":""research""}"
b,2026-04-01T00:00:00Z/2026-04-02T00:00:00Z,123456789012,2026-04-01T00:00:00Z,123456789012,Usage,2026-04-01T00:00:00Z,\
2026-04-02T00:00:00Z,AmazonBedrock,USE1-Claude4.6Opus-output-tokens,,arn:aws:iam::123456789012:user/bob,13.2,1K tokens,\
0.990,{}
"""


def test_the_billing_load_keeps_each_bedrock_lines_caller_and_principal_tags(tmp_path, warehouse_path):
    folder = tmp_path / "cur2"
    folder.mkdir()
    (folder / "bedrock-callers.csv").write_text(CALLERS_CUR2)
    store = open_store(str(folder))
    with duckdb.connect(str(warehouse_path)) as conn:
        for period in discover(store).periods.values():
            load_period(conn, store, period)
    rows = query(
        "select usage_type, iam_principal, tags['iamprincipal/team'] "
        "from raw.billing_line_items join raw.billing_tag_sets using (tag_set_id) order by usage_type"
    )
    assert rows == [
        ("USE1-Claude4.6Opus-output-tokens", "arn:aws:iam::123456789012:user/bob", None),
        ("USE1-Claude4.6Sonnet-input-tokens", "arn:aws:iam::123456789012:user/alice", "research"),
    ]


def test_days_to_refresh_follow_the_lookback_of_whichever_source_is_set(tmp_path, monkeypatch):
    now = datetime(2026, 3, 10, 5, tzinfo=UTC)

    def days() -> list[str]:
        with dg.build_resources(source_resources()) as sources:
            return bedrock_days_to_refresh(now, sources.bedrock)

    assert days() == []
    monkeypatch.setenv("CLOUDWATCH_LOOKBACK_DAYS", "2")
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")  # Bedrock's regions default to SageMaker's
    assert days() == ["2026-03-08", "2026-03-09", "2026-03-10"]
    monkeypatch.delenv("SAGEMAKER_REGIONS")
    monkeypatch.setenv("BEDROCK_INVOCATION_LOGS_URI", str(tmp_path))
    assert days() == ["2026-03-08", "2026-03-09", "2026-03-10"]
