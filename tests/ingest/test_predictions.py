"""Prediction counts and endpoint utilization from CloudWatch (moto over HTTP) and prediction logs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import boto3
import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.defs.ingest.predictions import (
    endpoint_utilization,
    prediction_counts,
    prediction_counts_grain_is_unique,
    prediction_days_to_refresh,
)
from pipelines.defs.resources import source_resources
from pipelines.lib.sagemaker import cloudwatch
from pipelines.lib.sagemaker.predictions import partition_key_ranges
from tests.ingest.sagemaker_helpers import FaultProxy, failure_text, materialize, query

# A recent day, well inside CloudWatch's hourly retention.
DAY = (datetime.now(UTC) - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
KEY = DAY.date().isoformat()


def prediction_partitions_to_refresh(now: datetime) -> list[str]:
    """The days the schedule and `mlcost refresh` load, with the resources the environment configures."""
    with dg.build_resources(source_resources()) as sources:
        return prediction_days_to_refresh(now, sources.sagemaker, sources.prediction_logs)


def put_invocations(
    region: str, endpoint: str, variant: str, hour: int, values: list[float], day: datetime = DAY
) -> None:
    client = boto3.client("cloudwatch", region_name=region)
    data = [
        {
            "MetricName": "Invocations",
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ],
            "Timestamp": day + timedelta(hours=hour, minutes=5 + 10 * i),
            "Value": v,
            "Unit": "None",
        }
        for i, v in enumerate(values)
    ]
    client.put_metric_data(Namespace="AWS/SageMaker", MetricData=data)


def stored_counts(source: str = "cloudwatch") -> dict[tuple, int]:
    rows = query(
        "select region, endpoint_name, variant_name, model_name, hour(hour_start), predictions"
        " from raw.prediction_counts where source = $source",
        {"source": source},
    )
    return {tuple(r[:5]): r[5] for r in rows}


def test_skipped_without_sources_creates_empty_tables():
    result = materialize([prediction_counts, endpoint_utilization], partition_key=KEY)
    assert result.success
    assert query("select count(*) from raw.prediction_counts") == [(0,)]
    assert query("select count(*) from raw.endpoint_utilization") == [(0,)]


def test_cloudwatch_hourly_counts_are_exact_and_refetch_replaces(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1,us-west-2")
    put_invocations("us-east-1", "fraud", "AllTraffic", 0, [10, 5, 2])
    put_invocations("us-east-1", "fraud", "AllTraffic", 23, [7])
    put_invocations("us-east-1", "fraud", "canary", 0, [1])
    put_invocations("us-west-2", "search", "blue", 13, [100, 20])
    put_invocations("us-east-1", "fraud", "AllTraffic", 0, [999], day=DAY + timedelta(days=1))  # next day

    assert materialize([prediction_counts], partition_key=KEY).success
    expected = {
        ("us-east-1", "fraud", "AllTraffic", None, 0): 17,
        ("us-east-1", "fraud", "AllTraffic", None, 23): 7,
        ("us-east-1", "fraud", "canary", None, 0): 1,
        ("us-west-2", "search", "blue", None, 13): 120,
    }
    assert stored_counts() == expected

    # Late data for an hour already loaded: the re-fetch replaces the day, nothing is doubled.
    put_invocations("us-west-2", "search", "blue", 13, [3])
    assert materialize([prediction_counts], partition_key=KEY).success
    assert materialize([prediction_counts], partition_key=KEY).success
    assert stored_counts() == expected | {("us-west-2", "search", "blue", None, 13): 123}
    assert query("select distinct account_id from raw.prediction_counts") == [("123456789012",)]


def test_get_metric_data_is_batched_at_500_queries(moto_endpoint):
    client = boto3.client("cloudwatch", region_name="us-east-1")
    calls: list[int] = []
    client.meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData",
        lambda params, **_: calls.append(len(params["MetricDataQueries"])),
    )
    series = [
        cloudwatch.Series("AWS/SageMaker", "Invocations", (("EndpointName", f"ep-{i}"), ("VariantName", "v")))
        for i in range(1001)
    ]
    put_invocations("us-east-1", "ep-1000", "v", 4, [42])
    data = cloudwatch.get_hourly(client, [(s, "Sum") for s in series], DAY, DAY + timedelta(days=1))
    assert calls == [500, 500, 1]
    assert data[(series[1000], "Sum")] == {DAY + timedelta(hours=4): 42.0}


def test_endpoint_utilization_hourly_stats(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    client = boto3.client("cloudwatch", region_name="us-east-1")
    dims = [{"Name": "EndpointName", "Value": "fraud"}, {"Name": "VariantName", "Value": "AllTraffic"}]
    client.put_metric_data(
        Namespace="/aws/sagemaker/Endpoints",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": dims,
                "Timestamp": DAY + timedelta(hours=5, minutes=m),
                "Value": v,
            }
            for m, v in ((1, 20.0), (20, 40.0), (40, 90.0))
        ],
    )
    client.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "ModelLatency",
                "Dimensions": dims,
                "Timestamp": DAY + timedelta(hours=6),
                "Value": 1500.0,
            }
        ],
    )
    for _ in range(2):
        assert materialize([endpoint_utilization], partition_key=KEY).success
    rows = query(
        "select metric_name, hour(hour_start), average, maximum, sample_count from raw.endpoint_utilization order by 1"
    )
    assert rows == [("CPUUtilization", 5, 50.0, 90.0, 3.0), ("ModelLatency", 6, 1500.0, 1500.0, 1.0)]


def test_failing_cloudwatch_region_is_named_and_its_day_is_kept(moto_endpoint, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1,us-west-2")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    put_invocations("us-east-1", "fraud", "AllTraffic", 1, [5])
    put_invocations("us-west-2", "search", "blue", 1, [6])
    assert materialize([prediction_counts], partition_key=KEY).success
    put_invocations("us-east-1", "fraud", "AllTraffic", 1, [1])
    put_invocations("us-west-2", "search", "blue", 1, [1])
    with FaultProxy(moto_endpoint, fail_region="us-west-2", service="monitoring") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        result = materialize([prediction_counts], partition_key=KEY, raise_on_error=False)
    assert not result.success
    assert "us-west-2" in failure_text(result)
    assert stored_counts() == {
        ("us-east-1", "fraud", "AllTraffic", None, 1): 6,
        ("us-west-2", "search", "blue", None, 1): 6,
    }


def write_logs(folder) -> None:
    """One row per prediction (CSV), a count column (Parquet) and JSON lines with a model outside SageMaker."""
    (folder / "nested").mkdir(parents=True, exist_ok=True)
    d = DAY.strftime("%Y-%m-%d")
    (folder / "mme.csv").write_text(
        "timestamp,endpoint_name,variant_name,model_name\n"
        f"{d}T10:01:00Z,recs-mme,AllTraffic,ranker\n"
        f"{d}T10:59:59Z,recs-mme,AllTraffic,ranker\n"
        f"{d}T12:30:00+02:00,recs-mme,AllTraffic,recommender\n"  # 10:30 UTC
        f"{d}T11:00:00Z,recs-mme,AllTraffic,ranker\n"
    )
    pq.write_table(
        pa.table(
            {
                "Timestamp": pa.array(
                    [
                        DAY + timedelta(hours=10),
                        DAY + timedelta(hours=10, minutes=30),
                        DAY - timedelta(hours=1),
                    ],
                    pa.timestamp("us"),
                ),
                "Model": ["ranker", "ranker", "ranker"],
                "Endpoint": ["recs-mme"] * 3,
                "Variant": ["AllTraffic"] * 3,
                "Count": [40, 2, 1000],  # the last row is the previous day
            }
        ),
        folder / "nested" / "counts.parquet",
    )
    (folder / "outside.jsonl").write_text(
        "\n".join(
            json.dumps(
                {
                    "ts": (DAY + timedelta(hours=h)).isoformat() + "Z",
                    "model": "churn-lambda",
                    "predictions": n,
                }
            )
            for h, n in ((3, 11), (3, 4), (4, 9))
        )
        + "\n"
    )


def test_prediction_logs_in_every_format(tmp_path, monkeypatch):
    write_logs(tmp_path / "logs")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(tmp_path / "logs"))
    for _ in range(2):
        result = materialize([prediction_counts, prediction_counts_grain_is_unique], partition_key=KEY)
        assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["duplicated_keys"].value == 0
    rows = query(
        "select endpoint_name, variant_name, model_name, hour(hour_start), predictions, account_id"
        " from raw.prediction_counts where source = 'prediction_logs' order by model_name, hour_start"
    )
    assert rows == [
        (None, None, "churn-lambda", 3, 15, None),
        (None, None, "churn-lambda", 4, 9, None),
        ("recs-mme", "AllTraffic", "ranker", 10, 44, None),
        ("recs-mme", "AllTraffic", "ranker", 11, 1, None),
        ("recs-mme", "AllTraffic", "recommender", 10, 1, None),
    ]


def test_prediction_log_without_timestamp_column_fails_clearly(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "ok.csv").write_text("timestamp,model_name\n2025-01-01T00:00:00Z,a\n")
    (logs / "broken.csv").write_text("when,model_name\n2025-01-01T00:00:00Z,a\n")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(logs))
    result = materialize([prediction_counts], partition_key=KEY, raise_on_error=False)
    assert not result.success
    text = failure_text(result)
    assert str(logs / "broken.csv") in text and "no timestamp column" in text and "when" in text


def test_prediction_log_with_unparseable_timestamps_fails_clearly(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "bad.csv").write_text("timestamp,model_name\nyesterday-ish,a\n2025-01-01T00:00:00Z,a\n")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(logs))
    result = materialize([prediction_counts], partition_key=KEY, raise_on_error=False)
    assert not result.success
    assert "bad.csv" in failure_text(result) and "yesterday-ish" in failure_text(result)


def test_prediction_log_count_that_is_not_a_number_fails_instead_of_counting_zero(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    day = KEY
    (logs / "counts.csv").write_text(
        f"timestamp,model_name,predictions\n{day}T01:00:00Z,a,5\n{day}T02:00:00Z,a,lots\n"
    )
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(logs))
    result = materialize([prediction_counts], partition_key=KEY, raise_on_error=False)
    assert not result.success
    text = failure_text(result)
    assert "counts.csv" in text and "not a number" in text and "lots" in text


def test_prediction_logs_from_s3(moto_endpoint, tmp_path, monkeypatch):
    write_logs(tmp_path / "logs")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="pred-logs")
    for path in (tmp_path / "logs").rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "pred-logs", f"app/{path.relative_to(tmp_path / 'logs')}")
    s3.put_object(Bucket="pred-logs", Key="elsewhere/ignored.csv", Body=b"timestamp,model_name\n")
    monkeypatch.setenv("PREDICTION_LOGS_URI", "s3://pred-logs/app")
    assert materialize([prediction_counts], partition_key=KEY).success
    assert query("select sum(predictions) from raw.prediction_counts") == [(70,)]
    assert prediction_partitions_to_refresh(DAY + timedelta(days=2)) == [
        (DAY - timedelta(days=1)).date().isoformat(),
        KEY,
    ]


@pytest.mark.parametrize(("lookback", "expected"), [(None, 4), ("1", 2), ("0", 1)])
def test_partitions_to_refresh_cover_the_cloudwatch_lookback(monkeypatch, lookback, expected):
    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    if lookback is not None:
        monkeypatch.setenv("CLOUDWATCH_LOOKBACK_DAYS", lookback)
    keys = prediction_partitions_to_refresh(datetime(2025, 3, 10, 15, 0))
    assert len(keys) == expected
    assert keys[-1] == "2025-03-10" and keys == sorted(keys)


def test_partitions_to_refresh_is_empty_when_nothing_is_configured():
    assert prediction_partitions_to_refresh(datetime(2025, 3, 10)) == []


def test_partition_key_ranges_group_contiguous_days():
    keys = ["2025-03-03", "2025-03-01", "2025-03-02", "2025-03-05", "2025-02-28"]
    assert partition_key_ranges(keys) == [("2025-02-28", "2025-03-03"), ("2025-03-05", "2025-03-05")]


def test_a_range_of_days_is_one_run(tmp_path, monkeypatch):
    write_logs(tmp_path / "logs")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(tmp_path / "logs"))
    first, last = (DAY - timedelta(days=1)).date().isoformat(), KEY
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    for _ in range(2):
        result = materialize([prediction_counts], tags=tags)
        assert result.success
    assert [m.partition for m in result.asset_materializations_for_node("raw__prediction_counts")] == [
        first,
        last,
    ]
    assert query(
        "select cast(hour_start as date)::varchar, sum(predictions) from raw.prediction_counts group by 1 order by 1"
    ) == [
        (first, 1000),
        (KEY, 70),
    ]


def test_grain_check_fails_on_a_duplicated_hour(tmp_path, monkeypatch):
    write_logs(tmp_path / "logs")
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(tmp_path / "logs"))
    assert materialize([prediction_counts], partition_key=KEY).success
    with duckdb.connect(os.environ["WAREHOUSE_PATH"]) as conn:  # a day loaded twice by hand
        conn.execute("insert into raw.prediction_counts select * from raw.prediction_counts")
    result = materialize(
        [prediction_counts, prediction_counts_grain_is_unique],
        partition_key=(DAY - timedelta(days=1)).date().isoformat(),
    )
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["duplicated_keys"].value == 5


def test_known_variants_and_listed_metrics_are_both_fetched(moto_endpoint, monkeypatch):
    from pipelines.defs.ingest.sagemaker import sagemaker_metadata
    from tests.ingest.sagemaker_helpers import backend, create_endpoint, sm

    monkeypatch.setenv("SAGEMAKER_REGIONS", "us-east-1")
    create_endpoint(sm(), "known-ep", "known-model")
    backend().endpoints["known-ep"].creation_time = DAY - timedelta(days=30)  # live before the day
    assert materialize([sagemaker_metadata]).success
    put_invocations("us-east-1", "known-ep", "AllTraffic", 2, [4])
    # An endpoint the metadata never saw (deleted before the first ingest): CloudWatch still has it.
    put_invocations("us-east-1", "ghost-ep", "AllTraffic", 2, [9])
    assert materialize([prediction_counts], partition_key=KEY).success
    assert stored_counts() == {
        ("us-east-1", "known-ep", "AllTraffic", None, 2): 4,
        ("us-east-1", "ghost-ep", "AllTraffic", None, 2): 9,
    }
    monkeypatch.setenv("CLOUDWATCH_LIST_METRICS", "false")
    assert materialize([prediction_counts], partition_key=KEY).success
    assert stored_counts() == {("us-east-1", "known-ep", "AllTraffic", None, 2): 4}


def test_batch_transform_records_land_with_their_job(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "batch.csv").write_text(
        "timestamp,transform_job_name,model_name,records\n"
        f"{(DAY + timedelta(hours=5)).isoformat()}Z,churn-batch-1,churn,120000\n"
        f"{(DAY + timedelta(hours=5)).isoformat()}Z,churn-batch-1,churn,30000\n"
        f"{(DAY + timedelta(hours=7)).isoformat()}Z,,churn,12\n"
    )
    monkeypatch.setenv("PREDICTION_LOGS_URI", str(folder))
    assert materialize([prediction_counts], partition_key=KEY).success
    assert query(
        "select transform_job_name, model_name, hour(hour_start), predictions from raw.prediction_counts"
        " order by hour_start"
    ) == [("churn-batch-1", "churn", 5, 150000), (None, "churn", 7, 12)]
