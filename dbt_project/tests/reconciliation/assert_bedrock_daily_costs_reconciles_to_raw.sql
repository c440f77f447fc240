-- A row here is a billing period and currency whose billed or effective Bedrock total in
-- marts.bedrock_daily_costs differs from the bill's Bedrock lines in raw.billing_line_items (product
-- codes AmazonBedrock*, split cost allocation rows excluded): parsing or attribution lost,
-- duplicated or moved Bedrock cost. Compared exactly: both sides are DECIMAL(38, 10) sums.

-- Shown in Dagster as a check on bedrock_daily_costs.
{{ config(meta={'dagster': {'ref': {'name': 'bedrock_daily_costs'}}}) }}
with

raw_totals as (
    select billing_period, billing_currency, sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost
    from {{ source('raw', 'billing_line_items') }}
    where not is_split_cost_allocation and lower(service_code) like 'amazonbedrock%'
    group by billing_period, billing_currency
),

mart_totals as (
    select billing_period, billing_currency, sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost
    from {{ ref('bedrock_daily_costs') }}
    group by billing_period, billing_currency
)

select
    coalesce(raw_totals.billing_period, mart_totals.billing_period) as billing_period,
    coalesce(raw_totals.billing_currency, mart_totals.billing_currency) as billing_currency,
    raw_totals.billed_cost as raw_billed_cost,
    mart_totals.billed_cost as mart_billed_cost,
    raw_totals.effective_cost as raw_effective_cost,
    mart_totals.effective_cost as mart_effective_cost
from raw_totals
full outer join mart_totals
    on
        raw_totals.billing_period = mart_totals.billing_period
        and raw_totals.billing_currency is not distinct from mart_totals.billing_currency
where raw_totals.billed_cost is distinct from mart_totals.billed_cost
    or raw_totals.effective_cost is distinct from mart_totals.effective_cost
