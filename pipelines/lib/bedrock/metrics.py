"""Hourly Amazon Bedrock requests and tokens per model ID from CloudWatch (namespace AWS/Bedrock), as
raw.bedrock_invocations rows.

The model IDs to ask about: the ones stored before for the account and region plus, when
``discover`` (or nothing is stored), every ModelId ListMetrics reports (it lists metrics with data in
the last two weeks only). A model ID is a foundation model (`anthropic.claude-3-haiku-20240307-v1:0`),
a system inference profile (`us.anthropic...`) or the ARN of an application inference profile or a
provisioned model. The queries, batching and paging are lib/sagemaker/cloudwatch.py's get_hourly;
reading every account and region and replacing a window of hours are lib/sagemaker/predictions.py's
cloudwatch_rows and replace_window.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.lib import sql
from pipelines.lib.sagemaker.cloudwatch import Series, get_hourly
from pipelines.lib.warehouse import ensure_raw_tables

NAMESPACE = "AWS/Bedrock"
MODEL_DIMENSION = "ModelId"
# CloudWatch metric -> raw.bedrock_invocations column. The cache counts exist only for models and
# requests that use prompt caching; where CloudWatch has no datapoint the column stays NULL.
METRICS = {
    "Invocations": "invocations",
    "InputTokenCount": "input_tokens",
    "OutputTokenCount": "output_tokens",
    "CacheReadInputTokenCount": "cache_read_input_tokens",
    "CacheWriteInputTokenCount": "cache_write_input_tokens",
}


def list_model_ids(client) -> list[str]:
    """Every ModelId with an Invocations metric (metrics with other dimension sets are ignored)."""
    found: set[str] = set()
    paginator = client.get_paginator("list_metrics")
    for page in paginator.paginate(Namespace=NAMESPACE, MetricName="Invocations"):
        for metric in page.get("Metrics") or []:
            dims = metric.get("Dimensions") or []
            if len(dims) == 1 and dims[0]["Name"] == MODEL_DIMENSION:
                found.add(dims[0]["Value"])
    return sorted(found)


def invocation_rows(
    client,
    account_id: str,
    region: str,
    start: datetime,
    end: datetime,
    fetched_at: datetime,
    model_ids: list[str] | None = None,
    discover: bool = True,
) -> list[dict]:
    """raw.bedrock_invocations rows (source 'cloudwatch') per model ID and hour in [start, end)."""
    ids = set(model_ids or [])
    if discover or not ids:
        ids |= set(list_model_ids(client))
    series = [
        Series(NAMESPACE, metric, ((MODEL_DIMENSION, model_id),))
        for model_id in sorted(ids)
        for metric in METRICS
    ]
    data = get_hourly(client, [(s, "Sum") for s in series], start, end)
    rows: dict[tuple[datetime, str], dict] = {}
    for (s, _), values in data.items():
        model_id = dict(s.dimensions)[MODEL_DIMENSION]
        for hour, value in values.items():
            if not start <= hour < end:
                continue
            row = rows.setdefault(
                (hour, model_id),
                {
                    "hour_start": hour,
                    "model_id": model_id,
                    "caller": None,
                    "source": "cloudwatch",
                    "account_id": account_id,
                    "region": region,
                    "fetched_at": fetched_at,
                },
            )
            row[METRICS[s.metric_name]] = round(value)
    return [rows[key] for key in sorted(rows)]


def known_model_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[tuple[str, str], list[str]]:
    """(account, region) -> the model IDs CloudWatch reported before (select_bedrock_model_ids.sql)."""
    ensure_raw_tables(conn)
    known: dict[tuple[str, str], list[str]] = {}
    for account_id, region, model_id in conn.execute(
        sql.load("ingest/select_bedrock_model_ids"), {"start_at": start, "end_at": end}
    ).fetchall():
        known.setdefault((account_id, region), []).append(model_id)
    return known
