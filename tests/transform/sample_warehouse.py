"""A small warehouse with every kind of line the marts must handle, and the numbers to expect.

Billing period 2025-02 is closed (28 days); 2025-03 is open, with data complete through
2025-03-02 (hourly lines end at 2025-03-03 00:00; one partial line for 2025-03-03 lands too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.lib.billing.normalize import MACROS
from pipelines.lib.warehouse import ensure_raw_tables

ACCOUNT = "012345678901"
REGION = "us-east-1"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


# Tables another engineer's ingest creates; created here only when their DDL is not in sql/ingest yet.
FALLBACK_DDL = [
    """create table if not exists raw.sagemaker_training_jobs (
        training_job_name varchar, training_job_arn varchar, status varchar, created_at timestamp,
        started_at timestamp, ended_at timestamp, last_modified_at timestamp, instance_type varchar,
        instance_count bigint, volume_size_gb bigint, billable_seconds bigint, training_seconds bigint,
        is_managed_spot boolean, max_wait_seconds bigint, algorithm varchar, tuning_job_arn varchar,
        tuning_job_name varchar, final_metrics map(varchar, double), tags map(varchar, varchar),
        account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_endpoints (
        endpoint_name varchar, endpoint_arn varchar, status varchar, endpoint_config_name varchar,
        created_at timestamp, last_modified_at timestamp, is_deleted boolean, tags map(varchar, varchar),
        account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_endpoint_variants (
        endpoint_arn varchar, endpoint_name varchar, variant_name varchar, model_name varchar,
        instance_type varchar, initial_instance_count bigint, current_instance_count bigint,
        serverless_memory_mb bigint, is_async boolean, account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_models (
        model_name varchar, model_arn varchar, created_at timestamp, image varchar, is_multi_model boolean,
        tags map(varchar, varchar), account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_processing_jobs (
        processing_job_name varchar, processing_job_arn varchar, status varchar, created_at timestamp,
        started_at timestamp, ended_at timestamp, instance_type varchar, instance_count bigint,
        tags map(varchar, varchar), account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_transform_jobs (
        transform_job_name varchar, transform_job_arn varchar, model_name varchar, status varchar,
        created_at timestamp, started_at timestamp, ended_at timestamp, instance_type varchar,
        instance_count bigint, tags map(varchar, varchar), account_id varchar, region varchar, fetched_at timestamp)""",
    """create table if not exists raw.sagemaker_notebook_instances (
        notebook_instance_name varchar, notebook_instance_arn varchar, status varchar, instance_type varchar,
        created_at timestamp, last_modified_at timestamp, tags map(varchar, varchar), account_id varchar,
        region varchar, fetched_at timestamp)""",
    """create table if not exists raw.prediction_counts (
        hour_start timestamp, endpoint_name varchar, variant_name varchar, model_name varchar,
        predictions bigint, source varchar, account_id varchar, region varchar, fetched_at timestamp)""",
]

FETCHED = datetime(2025, 3, 3, 6)
MAR = datetime(2025, 3, 1)
FEB = datetime(2025, 2, 1)

# Hours of each day in which churn-prod served predictions: 08:00-19:00 (12 hours), so 12 of
# 24 hours per day are idle.
BUSY_HOURS = range(8, 20)
CHURN_HOURLY = Decimal("0.5")


def _line(
    period,
    start,
    hours,
    usage_type,
    charge_type,
    billed,
    effective=None,
    *,
    resource=None,
    tags=None,
    service="Amazon SageMaker",
    code="AmazonSageMaker",
    split=False,
    quantity=None,
    commitment=None,
):
    effective = billed if effective is None else effective
    end = None if start is None else start + timedelta(hours=hours)
    return {
        "billing_period": period.date(),
        "charge_period_start": start,
        "charge_period_end": end,
        "service_name": service,
        "service_code": code,
        "usage_type": usage_type,
        "charge_type": charge_type,
        "resource_id": resource,
        "billed_cost": Decimal(str(billed)),
        "effective_cost": Decimal(str(effective)),
        "list_cost": Decimal(str(billed)),
        "is_split_cost_allocation": split,
        "tags": tags or {},
        "usage_quantity": hours if quantity is None else quantity,
        "commitment_discount_id": commitment,
    }


def line_item(
    period: datetime, start: datetime | None, hours: int, usage_type: str, charge_type: str, billed, **kwargs
) -> dict:
    """One raw line item; keyword arguments as in the sample (resource, tags, service, code, ...)
    plus any raw column, e.g. billing_currency."""
    keys = {"effective", "resource", "tags", "service", "code", "split", "quantity", "commitment"}
    extra = {k: v for k, v in kwargs.items() if k not in keys}
    own = {k: v for k, v in kwargs.items() if k in keys}
    return {**_line(period, start, hours, usage_type, charge_type, billed, **own), **extra}


def line_items() -> list[dict]:
    rows = []
    churn = arn("endpoint", "churn-prod")
    # February (closed): one daily line per day for churn-prod, $10 a day.
    for day in range(28):
        rows.append(
            _line(FEB, FEB + timedelta(days=day), 24, "USE1-Host:ml.m5.large", "Usage", 10, resource=churn)
        )
    # March: churn-prod hourly, 48 complete hours at $0.50.
    for hour in range(48):
        rows.append(
            _line(
                MAR,
                MAR + timedelta(hours=hour),
                1,
                "USE1-Host:ml.m5.large",
                "Usage",
                CHURN_HOURLY,
                resource=churn,
            )
        )
    # The partial third day: one hour so far, not a complete day.
    rows.append(
        _line(
            MAR, MAR + timedelta(hours=48), 1, "USE1-Host:ml.m5.large", "Usage", CHURN_HOURLY, resource=churn
        )
    )
    # Multi-model endpoint: $10 on day one split 3:1 by per-model predictions; day two has no
    # per-model counts and falls back to the variant's model.
    recs = arn("endpoint", "recs-mme")
    rows.append(_line(MAR, MAR, 24, "USE1-Host:ml.g5.xlarge", "Usage", 10, resource=recs))
    rows.append(_line(MAR, MAR + timedelta(days=1), 24, "USE1-Host:ml.g5.xlarge", "Usage", 4, resource=recs))
    # A tag on the line beats the training job's own tags (which say model "other").
    rows.append(
        _line(
            MAR,
            MAR,
            2,
            "USE1-Train:ml.p3.2xlarge",
            "Usage",
            7.65,
            resource=arn("training-job", "fraud-train-1"),
            tags={"ml-model": "Fraud", "team": "risk", "env": "prod"},
        )
    )
    # Spot training with no line tags: the job's tags decide.
    rows.append(
        _line(
            MAR,
            MAR,
            1,
            "USE1-TrSpt:ml.m5.xlarge",
            "Usage",
            0.08,
            resource=arn("training-job", "churn-train-7"),
            quantity=2,
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            24,
            "USE1-Train:VolumeUsage.gp2",
            "Usage",
            0.01,
            resource=arn("training-job", "churn-train-7"),
        )
    )
    rows.append(
        _line(
            MAR,
            MAR + timedelta(days=1),
            1,
            "USE1-Processing:ml.m5.xlarge",
            "Usage",
            0.23,
            resource=arn("processing-job", "features-daily"),
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            24,
            "USE1-Notebk:ml.t3.medium",
            "Usage",
            1.2,
            resource=arn("notebook-instance", "alice-notebook"),
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            3,
            "USE1-Tsform:ml.m5.large",
            "Usage",
            0.35,
            resource=arn("transform-job", "score-batch-1"),
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            24,
            "TimedStorage-ByteHrs",
            "Usage",
            2.5,
            service="Amazon Simple Storage Service",
            code="AmazonS3",
            resource="ml-artifacts-bucket",
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            24,
            "USE1-DataTransfer-Out-Bytes",
            "Usage",
            0.9,
            service="AWS Data Transfer",
            code="AWSDataTransfer",
        )
    )
    # Savings plan: covered usage billed at 0 with an amortized cost, and its recurring fee.
    rows.append(
        _line(
            MAR,
            MAR + timedelta(days=1),
            24,
            "USE1-Host:ml.m5.large",
            "SavingsPlanCoveredUsage",
            0,
            3.0,
            resource=churn,
            commitment="arn:aws:savingsplans::012345678901:savingsplan/abc",
        )
    )
    rows.append(
        _line(
            MAR,
            MAR,
            24 * 31,
            "ComputeSP:1yrNoUpfront",
            "SavingsPlanRecurringFee",
            3.0,
            0,
            service="Savings Plans for AWS Compute usage",
            code="ComputeSavingsPlans",
        )
    )
    rows.append(_line(MAR, None, 0, "", "Tax", 1.5, service="Amazon SageMaker"))
    rows.append(_line(MAR, MAR, 24, "USE1-Host:ml.m5.large", "Credit", -2.0, resource=churn))
    # ECS/EKS split cost allocation rows repeat cost already on the bill: excluded everywhere.
    rows.append(
        _line(
            MAR, MAR, 24, "USE1-BoxUsage", "Usage", 1000, split=True, service="Amazon EC2", code="AmazonEC2"
        )
    )
    return rows


def metadata_rows() -> dict[str, list[dict]]:
    return {
        "sagemaker_endpoints": [
            {
                "endpoint_name": "churn-prod",
                "endpoint_arn": arn("endpoint", "churn-prod"),
                "status": "InService",
                "endpoint_config_name": "churn-prod-config",
                "created_at": FEB,
                "last_modified_at": FEB,
                "is_deleted": False,
                "tags": {"team": "growth", "environment": "prod"},
            },
            {
                "endpoint_name": "recs-mme",
                "endpoint_arn": arn("endpoint", "recs-mme"),
                "status": "InService",
                "endpoint_config_name": "recs-config",
                "created_at": FEB,
                "last_modified_at": FEB,
                "is_deleted": False,
                "tags": {},
            },
        ],
        "sagemaker_endpoint_variants": [
            {
                "endpoint_arn": arn("endpoint", "churn-prod"),
                "endpoint_name": "churn-prod",
                "variant_name": "AllTraffic",
                "model_name": "churn-model",
                "instance_type": "ml.m5.large",
                "initial_instance_count": 1,
                "current_instance_count": 1,
                "is_async": False,
            },
            {
                "endpoint_arn": arn("endpoint", "recs-mme"),
                "endpoint_name": "recs-mme",
                "variant_name": "AllTraffic",
                "model_name": "recs-container",
                "instance_type": "ml.g5.xlarge",
                "initial_instance_count": 1,
                "current_instance_count": 1,
                "is_async": False,
            },
        ],
        "sagemaker_models": [
            {
                "model_name": "churn-model",
                "model_arn": arn("model", "churn-model"),
                "created_at": FEB,
                "image": "xgboost",
                "is_multi_model": False,
                "tags": {"project": "retention"},
            },
            {
                "model_name": "recs-container",
                "model_arn": arn("model", "recs-container"),
                "created_at": FEB,
                "image": "mme",
                "is_multi_model": True,
                "tags": {"team": "recs", "project": "homepage"},
            },
        ],
        "sagemaker_training_jobs": [
            {
                "training_job_name": "fraud-train-1",
                "training_job_arn": arn("training-job", "fraud-train-1"),
                "status": "Completed",
                "created_at": MAR,
                "started_at": MAR,
                "ended_at": MAR + timedelta(hours=2),
                "instance_type": "ml.p3.2xlarge",
                "instance_count": 1,
                "billable_seconds": 7200,
                "training_seconds": 7200,
                "is_managed_spot": False,
                "algorithm": "xgboost",
                "final_metrics": {"validation:auc": 0.91},
                "tags": {"model": "other", "team": "other"},
            },
            {
                "training_job_name": "churn-train-7",
                "training_job_arn": arn("training-job", "churn-train-7"),
                "status": "Completed",
                "created_at": MAR,
                "started_at": MAR,
                "ended_at": MAR + timedelta(hours=1),
                "instance_type": "ml.m5.xlarge",
                "instance_count": 2,
                "billable_seconds": 1800,
                "training_seconds": 3600,
                "is_managed_spot": True,
                "algorithm": "xgboost",
                "final_metrics": {"validation:auc": 0.87},
                "tags": {"Model": "churn-model", "team": "growth"},
            },
            # Not on the bill (resource IDs missing): estimated from the spot hourly rate above.
            {
                "training_job_name": "churn-train-8",
                "training_job_arn": arn("training-job", "churn-train-8"),
                "status": "Completed",
                "created_at": MAR,
                "started_at": MAR,
                "ended_at": MAR + timedelta(hours=1),
                "instance_type": "ml.m5.xlarge",
                "instance_count": 1,
                "billable_seconds": 3600,
                "training_seconds": 3600,
                "is_managed_spot": True,
                "algorithm": "xgboost",
                "final_metrics": {"validation:auc": 0.88},
                "tags": {"model": "churn-model"},
            },
        ],
        "sagemaker_processing_jobs": [
            {
                "processing_job_name": "features-daily",
                "processing_job_arn": arn("processing-job", "features-daily"),
                "status": "Completed",
                "created_at": MAR,
                "instance_type": "ml.m5.xlarge",
                "instance_count": 1,
                "tags": {"project": "etl", "model": "churn-model"},
            },
        ],
        "sagemaker_transform_jobs": [
            {
                "transform_job_name": "score-batch-1",
                "transform_job_arn": arn("transform-job", "score-batch-1"),
                "model_name": "churn-model",
                "status": "Completed",
                "created_at": MAR,
                "instance_type": "ml.m5.large",
                "instance_count": 1,
                "tags": {},
            },
        ],
        "sagemaker_notebook_instances": [
            {
                "notebook_instance_name": "alice-notebook",
                "notebook_instance_arn": arn("notebook-instance", "alice-notebook"),
                "status": "InService",
                "instance_type": "ml.t3.medium",
                "created_at": FEB,
                "last_modified_at": FEB,
                "tags": {"team": "research"},
            },
        ],
    }


def prediction_rows() -> list[dict]:
    rows = []
    for day in range(2):
        for hour in BUSY_HOURS:
            rows.append(
                {
                    "hour_start": MAR + timedelta(days=day, hours=hour),
                    "endpoint_name": "churn-prod",
                    "variant_name": "AllTraffic",
                    "model_name": None,
                    "predictions": 100,
                    "source": "cloudwatch",
                }
            )
    # The same hours again from prediction logs would double count: only cloudwatch exists here,
    # but recs-mme has both, and the logs (per model) win.
    rows.append(
        {
            "hour_start": MAR + timedelta(hours=10),
            "endpoint_name": "recs-mme",
            "variant_name": "AllTraffic",
            "model_name": None,
            "predictions": 400,
            "source": "cloudwatch",
        }
    )
    rows.append(
        {
            "hour_start": MAR + timedelta(hours=10),
            "endpoint_name": "recs-mme",
            "variant_name": "AllTraffic",
            "model_name": "recs-a",
            "predictions": 300,
            "source": "prediction_logs",
        }
    )
    rows.append(
        {
            "hour_start": MAR + timedelta(hours=10),
            "endpoint_name": "recs-mme",
            "variant_name": "AllTraffic",
            "model_name": "recs-b",
            "predictions": 100,
            "source": "prediction_logs",
        }
    )
    # Prediction logs that name only the model (no endpoint, account or region), in an hour
    # CloudWatch saw nothing: resolved to churn-prod, the only endpoint serving churn-model.
    rows.append(
        {
            "hour_start": MAR + timedelta(days=1, hours=3),
            "endpoint_name": None,
            "variant_name": None,
            "model_name": "churn-model",
            "predictions": 50,
            "source": "prediction_logs",
            "account_id": None,
            "region": None,
        }
    )
    # The same requests as CloudWatch's hour 10 of day two, logged by model only: once located on
    # churn-prod, the logs replace CloudWatch's count for that hour instead of adding to it.
    rows.append(
        {
            "hour_start": MAR + timedelta(days=1, hours=10),
            "endpoint_name": None,
            "variant_name": None,
            "model_name": "churn-model",
            "predictions": 100,
            "source": "prediction_logs",
            "account_id": None,
            "region": None,
        }
    )
    return rows


def _insert(
    conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict], defaults: dict, schema: str = "raw"
) -> None:
    for row in rows:
        full = {**defaults, **row}
        columns = ", ".join(full)
        params = ", ".join(f"${name}" for name in full)
        conn.execute(f"insert into {schema}.{table} ({columns}) values ({params})", full)


def _insert_line_items(conn: duckdb.DuckDBPyConnection, rows: list[dict], defaults: dict) -> None:
    """Line items written with their `tags`, landed as ingest lands them: each distinct map a tag set
    of raw.billing_tag_sets (the sample's tags are already normalized: they are their own originals),
    each line its set's id."""
    for macro in MACROS:  # mlcost_tag_set_id, as ingest defines it
        conn.execute(macro)
    conn.execute(
        "create temp table sample_line_items as select * exclude (tag_set_id), "
        "cast(map {} as map(varchar, varchar)) as tags from raw.billing_line_items limit 0"
    )
    _insert(conn, "sample_line_items", rows, defaults, schema="temp")
    conn.execute(
        "insert into raw.billing_tag_sets select distinct mlcost_tag_set_id(tags), tags, tags "
        "from sample_line_items where mlcost_tag_set_id(tags) not in (select tag_set_id from raw.billing_tag_sets)"
    )
    conn.execute(
        "insert into raw.billing_line_items by name "
        "select * exclude (tags) replace (coalesce(is_cost_missing, false) as is_cost_missing), "
        "mlcost_tag_set_id(tags) as tag_set_id from sample_line_items"
    )
    conn.execute("drop table sample_line_items")


def build(path: Path, extra_line_items: list[dict] = ()) -> None:
    """Create the raw tables and fill them with the sample data (and `extra_line_items`, rows made
    with `line_item`, e.g. in other currencies)."""
    conn = duckdb.connect(str(path))
    try:
        ensure_raw_tables(conn)
        for ddl in FALLBACK_DDL:
            conn.execute(ddl)
        now = datetime(2025, 3, 3, 6)
        _insert_line_items(
            conn,
            line_items() + list(extra_line_items),
            {
                "billing_account_id": ACCOUNT,
                "sub_account_id": ACCOUNT,
                "provider_name": "AWS",
                "region": REGION,
                "billing_currency": "USD",
                "source_format": "cur2",
                "source_file": "sample.parquet",
                "ingested_at": now,
            },
        )
        for table, rows in metadata_rows().items():
            _insert(conn, table, rows, {"account_id": ACCOUNT, "region": REGION, "fetched_at": FETCHED})
        _insert(
            conn,
            "prediction_counts",
            prediction_rows(),
            {"account_id": ACCOUNT, "region": REGION, "fetched_at": FETCHED},
        )
    finally:
        conn.close()
