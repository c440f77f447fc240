"""The demo bill: every line item the demo organisation's AWS accounts are charged, in one DuckDB table.

`build_line_items` turns the catalog into a small table of usage streams (one row per resource
and usage type, with an hourly quantity over a time range) and expands it with set-based DuckDB
SQL into daily CUR 2.0 line items, then adds the month-level rows: Savings Plan negations and
recurring fee, the RI fee, a credit, a refund and tax. The table uses CUR 2.0 column names;
exports.py projects it into CUR 2.0, legacy CUR and FOCUS, so every format carries the same rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from pipelines.demo.catalog import DEV_ACCOUNT_ID, PROD_ACCOUNT_ID, DemoCatalog, unit

# Public on-demand prices (USD per instance hour), close to us-east-1 list prices.
SAGEMAKER_RATES = {
    "ml.t3.medium": 0.05,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.g4dn.xlarge": 0.7364,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g5.12xlarge": 7.09,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
}
EC2_RATES = {"g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.12xlarge": 5.672}
GP2_GB_MONTH = 0.14  # SageMaker ML storage, USD per GB-month
S3_GB_MONTH = 0.023
DATA_TRANSFER_GB = 0.09
HOURS_PER_MONTH = 730  # AWS prorates GB-Mo over 730 hours

SP_DISCOUNT = 0.64  # SageMaker Savings Plan rate as a share of on-demand
SP_HOURLY_COMMITMENT = 2.5
SP_ARN = f"arn:aws:savingsplans::{PROD_ACCOUNT_ID}:savingsplan/6f1c2a0e-3b7d-4c59-9e2a-8d4b7f0c1a23"
SP_COVERED_ENDPOINTS = ("churn-prod", "fraud-detector-prod")
RI_HOURLY_FEE = 0.634  # g5.xlarge, 1 year, no upfront
RI_ARN = f"arn:aws:ec2:us-east-1:{PROD_ACCOUNT_ID}:reserved-instances/4b2e8c1d-9a7f-4e3b-8c6d-2f1a0b9e7d54"
TAX_RATE = 0.06

LOCATIONS = {"us-east-1": "US East (N. Virginia)", "us-west-2": "US West (Oregon)"}
USAGE_PREFIX = {"us-east-1": "USE1", "us-west-2": "USW2"}
PRODUCT_NAMES = {
    "AmazonSageMaker": "Amazon SageMaker",
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonS3": "Amazon Simple Storage Service",
    "MachineLearningSavingsPlans": "Machine Learning Savings Plans",
}

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
    ]
)


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def _region_usage_type(region: str, usage: str, service: str) -> str:
    # SageMaker usage types always carry the region prefix; EC2 and S3 omit it in us-east-1.
    if service != "AmazonSageMaker" and region == "us-east-1":
        return usage
    return f"{USAGE_PREFIX[region]}-{usage}"


def usage_specs(catalog: DemoCatalog) -> pa.Table:
    """The catalog's resources as usage streams (a few hundred rows: one per resource and usage type)."""
    rows: list[dict] = []

    def add(
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
    ):
        location = LOCATIONS[region]
        rows.append(
            {
                "account_id": account,
                "region": region,
                "availability_zone": az,
                "product_code": product,
                "product_family": family,
                "usage_type": _region_usage_type(region, usage, product),
                "operation": operation,
                "resource_id": resource,
                "instance_type": instance_type,
                "pricing_unit": unit_name,
                "rate": rate,
                "qty_per_hour": qty,
                "start_at": _naive(start),
                "end_at": _naive(end),
                "coverage": coverage,
                "description": description or f"${rate:g} per {unit_name} for {usage} in {location}",
                "tags": list(tags.items()),
            }
        )

    gp2_desc = "${:g} per GB-Mo of ML General Purpose SSD (gp2) storage in {}"
    for endpoint in catalog.endpoints:
        for variant in endpoint.variants:
            it = variant.instance_type
            family = "AsyncInf" if endpoint.is_async else "Host"
            covered = "sp" if endpoint.endpoint_name in SP_COVERED_ENDPOINTS else None
            add(
                endpoint.account_id,
                endpoint.region,
                "AmazonSageMaker",
                "ML Instance",
                f"{family}:{it}",
                "RunInstance",
                endpoint.arn,
                "Hrs",
                SAGEMAKER_RATES[it],
                float(variant.instance_count),
                endpoint.created_at,
                endpoint.deleted_at,
                endpoint.tags,
                it,
                covered,
                f"${SAGEMAKER_RATES[it]:g} per Hosting {it} hour in {LOCATIONS[endpoint.region]}",
            )
        volume_gb = 30 * sum(v.instance_count for v in endpoint.variants)
        add(
            endpoint.account_id,
            endpoint.region,
            "AmazonSageMaker",
            "ML Storage",
            "Host:VolumeUsage.gp2",
            "RunInstance",
            endpoint.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            volume_gb / HOURS_PER_MONTH,
            endpoint.created_at,
            endpoint.deleted_at,
            endpoint.tags,
            description=gp2_desc.format(GP2_GB_MONTH, LOCATIONS[endpoint.region]),
        )

    for job in catalog.training_jobs:
        it = job.instance_type
        # Billed seconds accrue evenly while the job trains; spot jobs bill only billable_seconds.
        end = job.started_at + dt.timedelta(seconds=job.training_seconds)
        qty = job.instance_count * job.billable_seconds / job.training_seconds
        usage = f"TrSpt:{it}" if job.is_managed_spot else f"Train:{it}"
        kind = "Managed Spot Training" if job.is_managed_spot else "Training"
        add(
            job.account_id,
            job.region,
            "AmazonSageMaker",
            "ML Instance",
            usage,
            "RunInstance",
            job.arn,
            "Hrs",
            SAGEMAKER_RATES[it],
            qty,
            job.started_at,
            end,
            job.tags,
            it,
            description=f"${SAGEMAKER_RATES[it]:g} per {kind} {it} hour in {LOCATIONS[job.region]}",
        )
        add(
            job.account_id,
            job.region,
            "AmazonSageMaker",
            "ML Storage",
            "Train:VolumeUsage.gp2",
            "RunInstance",
            job.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            job.instance_count * job.volume_size_gb / HOURS_PER_MONTH,
            job.started_at,
            end,
            job.tags,
            description=gp2_desc.format(GP2_GB_MONTH, LOCATIONS[job.region]),
        )

    for jobs, usage, label in (
        (catalog.processing_jobs, "Processing", "Processing"),
        (catalog.transform_jobs, "Tsform", "Batch Transform"),
    ):
        for job in jobs:
            it = job.instance_type
            add(
                job.account_id,
                job.region,
                "AmazonSageMaker",
                "ML Instance",
                f"{usage}:{it}",
                "RunInstance",
                job.arn,
                "Hrs",
                SAGEMAKER_RATES[it],
                float(job.instance_count),
                job.started_at,
                job.ended_at,
                job.tags,
                it,
                description=f"${SAGEMAKER_RATES[it]:g} per {label} {it} hour",
            )
    for nb in catalog.notebooks:
        it = nb.instance_type
        add(
            nb.account_id,
            nb.region,
            "AmazonSageMaker",
            "ML Instance",
            f"Notebk:{it}",
            "RunInstance",
            nb.arn,
            "Hrs",
            SAGEMAKER_RATES[it],
            1.0,
            nb.created_at,
            nb.stopped_at,
            nb.tags,
            it,
            description=f"${SAGEMAKER_RATES[it]:g} per Notebook {it} hour in {LOCATIONS[nb.region]}",
        )
        add(
            nb.account_id,
            nb.region,
            "AmazonSageMaker",
            "ML Storage",
            "Notebk:VolumeUsage.gp2",
            "RunInstance",
            nb.arn,
            "GB-Mo",
            GP2_GB_MONTH,
            nb.volume_size_gb / HOURS_PER_MONTH,
            nb.created_at,
            nb.stopped_at,
            nb.tags,
            description=gp2_desc.format(GP2_GB_MONTH, LOCATIONS[nb.region]),
        )

    # Resources that appear only on the bill: Studio, research GPU boxes, S3 and data transfer.
    start = catalog.history_start - dt.timedelta(days=120)
    seed = catalog.seed
    domain = f"arn:aws:sagemaker:us-east-1:{PROD_ACCOUNT_ID}:domain/d-demo{seed:02d}k2xq9rt1"
    studio_tags = {"team": "search", "environment": "dev"}
    add(
        PROD_ACCOUNT_ID,
        "us-east-1",
        "AmazonSageMaker",
        "ML Instance",
        "Studio:ml.t3.medium",
        "RunInstance",
        domain,
        "Hrs",
        SAGEMAKER_RATES["ml.t3.medium"],
        3.0,
        start,
        None,
        studio_tags,
        "ml.t3.medium",
    )
    add(
        PROD_ACCOUNT_ID,
        "us-east-1",
        "AmazonSageMaker",
        "ML Instance",
        "Studio:ml.g4dn.xlarge",
        "RunInstance",
        domain,
        "Hrs",
        SAGEMAKER_RATES["ml.g4dn.xlarge"],
        0.3,
        start,
        None,
        studio_tags,
        "ml.g4dn.xlarge",
    )

    span = catalog.data_through - catalog.history_start
    stop = (catalog.history_start + span * (0.55 + 0.1 * unit(seed, "ri-stop"))).replace(minute=0, second=0)
    ri_box = "i-0a1b2c3d4e5f60718"
    ri_tags = {"team": "search", "project": "semantic-search"}
    for lo, hi in ((start, stop), (stop + dt.timedelta(hours=52), None)):
        add(
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
        add(
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
        (DEV_ACCOUNT_ID, "us-east-1", "mlcost-demo-scratch", 4_000, {}),
    ]
    for account, region, bucket, gb, tags in buckets:
        add(
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
    add(
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
    add(
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
    return pa.Table.from_pylist(rows, schema=SPEC_SCHEMA)


# The canonical line items: CUR 2.0 columns plus helper columns (billing_period, region, tags).
# Hourly usage is summed per day (daily granularity); costs are rounded to 10 decimals like CUR.
EXPAND_USAGE_SQL = """
create or replace table line_items as
with
days as (
    select d as day_start, d + interval 1 day as day_end
    from range($history_start::timestamp, $cutoff::timestamp, interval 1 day) as t(d)
),
usage_windows as (
    select
        s.*,
        d.day_start,
        d.day_end,
        epoch(least(d.day_end, coalesce(s.end_at, d.day_end)))
            - epoch(greatest(d.day_start, s.start_at)) as seconds
    from specs as s
    join days as d on s.start_at < d.day_end and (s.end_at is null or s.end_at > d.day_start)
),
usage as (
    select
        *,
        round(qty_per_hour * seconds / 3600.0, 10) as usage_amount,
        round(qty_per_hour * seconds / 3600.0 * rate, 10) as list_cost,
        case coverage
            when 'sp' then 'SavingsPlanCoveredUsage'
            when 'ri' then 'DiscountedUsage'
            else 'Usage'
        end as line_item_type
    from usage_windows
    where seconds > 0
)
select
    date_trunc('month', day_start)::date as billing_period,
    line_item_type,
    account_id,
    region,
    availability_zone,
    product_code,
    product_family,
    usage_type,
    operation,
    resource_id,
    instance_type,
    pricing_unit,
    day_start as usage_start,
    day_end as usage_end,
    usage_amount,
    rate as unblended_rate,
    case when line_item_type = 'DiscountedUsage' then 0.0 else list_cost end as unblended_cost,
    rate as public_on_demand_rate,
    list_cost as public_on_demand_cost,
    description,
    tags,
    case when coverage = 'sp' then $sp_arn end as sp_arn,
    case when coverage = 'sp' then round(rate * $sp_discount, 10) end as sp_rate,
    case when coverage = 'sp' then round(list_cost * $sp_discount, 10) end as sp_effective_cost,
    null::double as sp_used_commitment,
    null::double as sp_total_commitment,
    case when coverage = 'ri' then $ri_arn end as ri_arn,
    case when coverage = 'ri' then round(usage_amount * $ri_hourly_fee, 10) end as ri_effective_cost,
    null::double as ri_unused_upfront,
    null::double as ri_unused_recurring
from usage
"""

# Month-level rows derived from the usage: negations, commitment fees, a credit, a refund.
MONTHLY_ROWS_SQL = """
insert into line_items by name
with
windows as (
    select
        p as billing_period,
        p::timestamp as period_start,
        least((p + interval 1 month)::timestamp, $cutoff::timestamp) as window_end,
        (p + interval 1 month)::timestamp as period_end
    from unnest($periods::date[]) as t(p)
),
sp_used as (
    select billing_period, sum(sp_effective_cost) as used
    from line_items
    where line_item_type = 'SavingsPlanCoveredUsage'
    group by 1
),
ri_used as (
    select billing_period, sum(usage_amount) as used_hours
    from line_items
    where line_item_type = 'DiscountedUsage'
    group by 1
),
negations as (
    select * replace (
        'SavingsPlanNegation' as line_item_type,
        -unblended_cost as unblended_cost,
        0.0 as public_on_demand_cost,
        'SavingsPlanNegation used by AccountId : ' || account_id || ' and UsageSku : ' || usage_type
            as description,
        null::double as sp_effective_cost
    )
    from line_items
    where line_item_type = 'SavingsPlanCoveredUsage'
),
sp_fee as (
    select
        w.billing_period,
        'SavingsPlanRecurringFee' as line_item_type,
        $prod as account_id,
        'us-east-1' as region,
        'MachineLearningSavingsPlans' as product_code,
        'Savings Plans' as product_family,
        'MachineLearningSP:1yrNoUpfront' as usage_type,
        'None' as operation,
        $sp_arn as resource_id,
        'Hrs' as pricing_unit,
        w.period_start as usage_start,
        w.window_end as usage_end,
        epoch(w.window_end - w.period_start) / 3600.0 as usage_amount,
        $sp_hourly as unblended_rate,
        round($sp_hourly * epoch(w.window_end - w.period_start) / 3600.0, 10) as unblended_cost,
        '1 year No Upfront SageMaker Savings Plan recurring fee' as description,
        $sp_arn as sp_arn,
        coalesce(u.used, 0.0) as sp_used_commitment,
        round($sp_hourly * epoch(w.window_end - w.period_start) / 3600.0, 10) as sp_total_commitment
    from windows as w
    left join sp_used as u using (billing_period)
    where w.window_end > w.period_start
),
ri_fee as (
    -- AWS posts the whole month's RI fee at the start of the month.
    select
        w.billing_period,
        'RIFee' as line_item_type,
        $prod as account_id,
        'us-east-1' as region,
        'AmazonEC2' as product_code,
        'Compute Instance' as product_family,
        'HeavyUsage:g5.xlarge' as usage_type,
        'RunInstances' as operation,
        $ri_arn as resource_id,
        'Hrs' as pricing_unit,
        w.period_start as usage_start,
        w.period_end as usage_end,
        epoch(w.period_end - w.period_start) / 3600.0 as usage_amount,
        $ri_hourly_fee as unblended_rate,
        round($ri_hourly_fee * epoch(w.period_end - w.period_start) / 3600.0, 10) as unblended_cost,
        'USD 0.634 hourly fee per Linux/UNIX (Amazon VPC), g5.xlarge reserved instance' as description,
        $ri_arn as ri_arn,
        0.0 as ri_unused_upfront,
        round(
            $ri_hourly_fee * greatest(epoch(w.window_end - w.period_start) / 3600.0 - coalesce(u.used_hours, 0), 0),
            10
        ) as ri_unused_recurring
    from windows as w
    left join ri_used as u using (billing_period)
),
adjustments as (
    select
        $adjust_period::date as billing_period,
        line_item_type,
        $prod as account_id,
        region,
        product_code,
        '' as product_family,
        usage_type,
        operation,
        '' as resource_id,
        '' as pricing_unit,
        $adjust_period::timestamp as usage_start,
        ($adjust_period::date + interval 1 month)::timestamp as usage_end,
        0.0 as usage_amount,
        unblended_cost,
        description
    from (
        values
            ('Credit', 'us-east-1', 'AmazonSageMaker', '', '', -750.0, 'AWS Credits - ML research program'),
            ('Refund', 'us-east-1', 'AmazonS3', 'DataTransfer-Out-Bytes', 'GetObject', -84.17,
             'Refund for duplicated data transfer charges')
    ) as t(line_item_type, region, product_code, usage_type, operation, unblended_cost, description)
    where $adjust_period::date in (select billing_period from windows where window_end > period_start)
)
select * from negations
union all by name select * from sp_fee
union all by name select * from ri_fee
union all by name select * from adjustments
"""

# Tax last: a share of each account's and product's charges in the month.
TAX_ROWS_SQL = """
insert into line_items by name
select
    billing_period,
    'Tax' as line_item_type,
    account_id,
    'us-east-1' as region,
    product_code,
    '' as product_family,
    'Tax' as usage_type,
    '' as operation,
    '' as resource_id,
    '' as pricing_unit,
    billing_period::timestamp as usage_start,
    (billing_period + interval 1 month)::timestamp as usage_end,
    0.0 as usage_amount,
    round(sum(unblended_cost) * $tax_rate, 2) as unblended_cost,
    'Tax for product code ' || product_code as description,
    'Sales Tax' as tax_type
from line_items
group by billing_period, account_id, product_code
having round(sum(unblended_cost) * $tax_rate, 2) > 0
"""


def build_line_items(
    con: duckdb.DuckDBPyConnection, catalog: DemoCatalog, cutoff: dt.datetime, with_tax: bool = True
) -> int:
    """Create table `line_items` (canonical CUR 2.0 rows for every period) covering hours before cutoff.

    with_tax=False leaves out the Tax rows (an early delivery of the open month, before AWS estimated tax).
    """
    con.register("specs_arrow", usage_specs(catalog))
    con.execute("create or replace temp table specs as select * from specs_arrow")
    con.unregister("specs_arrow")
    cutoff_naive = _naive(cutoff)
    con.execute(
        EXPAND_USAGE_SQL,
        {
            "history_start": _naive(catalog.history_start),
            "cutoff": cutoff_naive,
            "sp_arn": SP_ARN,
            "sp_discount": SP_DISCOUNT,
            "ri_arn": RI_ARN,
            "ri_hourly_fee": RI_HOURLY_FEE,
        },
    )
    con.execute("alter table line_items add column tax_type varchar")
    adjust_period = catalog.periods[-2] if len(catalog.periods) > 1 else catalog.periods[-1]
    con.execute(
        MONTHLY_ROWS_SQL,
        {
            "cutoff": cutoff_naive,
            "periods": catalog.periods,
            "prod": PROD_ACCOUNT_ID,
            "sp_arn": SP_ARN,
            "sp_hourly": SP_HOURLY_COMMITMENT,
            "ri_arn": RI_ARN,
            "ri_hourly_fee": RI_HOURLY_FEE,
            "adjust_period": adjust_period,
        },
    )
    if with_tax:
        con.execute(TAX_ROWS_SQL, {"tax_rate": TAX_RATE})
    # CUR 2.0 keys tags as user_<key>, keeping the key's case.
    con.execute(
        "alter table line_items add column resource_tags map(varchar, varchar);"
        "update line_items set resource_tags = map_from_entries(list_transform(map_entries(tags), "
        "lambda e: {'key': 'user_' || e.key, 'value': e.value})) where tags is not null"
    )
    return con.execute("select count(*) from line_items").fetchone()[0]


def tag_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every original tag key on the bill (legacy CUR has one column per key)."""
    rows = con.execute(
        "select distinct unnest(map_keys(tags)) as k from line_items where tags is not null order by k"
    ).fetchall()
    return [r[0] for r in rows]
