"""The demo bill: every line item the demo organisation's AWS accounts are charged, in one DuckDB table.

`build_line_items` takes the catalog's usage streams (usage/: one row per resource and usage type,
with an hourly quantity over a time range, per service) and expands them with set-based DuckDB
SQL into daily CUR 2.0 line items, then adds the month-level rows: Savings Plan negations and
recurring fee, the RI fee, a credit, a refund and tax. The table uses CUR 2.0 column names;
exports.py projects it into CUR 2.0, legacy CUR and FOCUS, so every format carries the same rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.demo.catalog import PROD_ACCOUNT_ID, DemoCatalog
from pipelines.demo.usage import usage_specs
from pipelines.demo.usage.streams import naive

SP_DISCOUNT = 0.64  # SageMaker Savings Plan rate as a share of on-demand
SP_HOURLY_COMMITMENT = 2.5
SP_ARN = f"arn:aws:savingsplans::{PROD_ACCOUNT_ID}:savingsplan/6f1c2a0e-3b7d-4c59-9e2a-8d4b7f0c1a23"
RI_HOURLY_FEE = 0.634  # g5.xlarge, 1 year, no upfront
RI_ARN = f"arn:aws:ec2:us-east-1:{PROD_ACCOUNT_ID}:reserved-instances/4b2e8c1d-9a7f-4e3b-8c6d-2f1a0b9e7d54"
TAX_RATE = 0.06

PRODUCT_NAMES = {
    "AmazonSageMaker": "Amazon SageMaker",
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonS3": "Amazon Simple Storage Service",
    "MachineLearningSavingsPlans": "Machine Learning Savings Plans",
    "AmazonBedrock": "Amazon Bedrock",
    # Models sold through AWS Marketplace are a product each; the demo buys one.
    "AmazonBedrockFoundationModels": "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
}

GRANULARITIES = {"daily": "1 day", "hourly": "1 hour"}

# The canonical line items: CUR 2.0 columns plus helper columns (billing_period, region, tags).
# Hourly usage is summed per day ($step = 1 day, the default daily granularity) or kept per hour
# ($step = 1 hour, an hourly export); costs are rounded to 10 decimals like CUR.
EXPAND_USAGE_SQL = """
create or replace table line_items as
with
days as (
    select d as day_start, d + $step::interval as day_end
    from range($history_start::timestamp, $cutoff::timestamp, $step::interval) as t(d)
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
    iam_principal,
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
    con: duckdb.DuckDBPyConnection,
    catalog: DemoCatalog,
    cutoff: dt.datetime,
    with_tax: bool = True,
    anomalies: bool = False,
    granularity: str = "daily",
) -> int:
    """Create table `line_items` (canonical CUR 2.0 rows for every period) covering hours before cutoff.

    with_tax=False leaves out the Tax rows (an early delivery of the open month, before AWS estimated tax).
    anomalies=True adds the planted spikes (pipelines/demo/usage/anomalies.py).
    granularity: "daily" (one usage line per resource and day) or "hourly" (per hour, like an
    hourly CUR 2.0 export); the month-level rows are the same either way.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; choose from {', '.join(GRANULARITIES)}")
    con.register("specs_arrow", usage_specs(catalog, anomalies))
    con.execute("create or replace temp table specs as select * from specs_arrow")
    con.unregister("specs_arrow")
    cutoff_naive = naive(cutoff)
    con.execute(
        EXPAND_USAGE_SQL,
        {
            "history_start": naive(catalog.history_start),
            "cutoff": cutoff_naive,
            "step": GRANULARITIES[granularity],
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
    # CUR 2.0 keys tags as user_<key>, keeping the key's case; IAM principal tags keep their own
    # iamPrincipal/ prefix.
    con.execute(
        "alter table line_items add column resource_tags map(varchar, varchar);"
        "update line_items set resource_tags = map_from_entries(list_transform(map_entries(tags), "
        "lambda e: {'key': case when e.key like 'iamPrincipal/%' then e.key else 'user_' || e.key end, "
        "'value': e.value})) where tags is not null"
    )
    return con.execute("select count(*) from line_items").fetchone()[0]


def tag_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every original tag key on the bill (legacy CUR has one column per key)."""
    rows = con.execute(
        "select distinct unnest(map_keys(tags)) as k from line_items where tags is not null order by k"
    ).fetchall()
    return [r[0] for r in rows]
