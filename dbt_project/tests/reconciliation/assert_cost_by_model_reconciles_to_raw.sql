-- A row here is a billing period and currency whose billed or effective total in
-- marts.cost_by_model differs from raw.billing_line_items (split cost allocation rows excluded):
-- attribution lost, duplicated or moved cost between currencies, and every number built on the
-- mart is wrong by that amount. Compared exactly: both sides are DECIMAL(38, 10) sums.

-- Shown in Dagster as a check on cost_by_model.
{{ config(meta={'dagster': {'ref': {'name': 'cost_by_model'}}}) }}
with

raw_totals as (
    select billing_period, billing_currency, sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost
    from {{ source('raw', 'billing_line_items') }}
    where not is_split_cost_allocation
    group by billing_period, billing_currency
),

mart_totals as (
    select billing_period, billing_currency, sum(billed_cost) as billed_cost, sum(effective_cost) as effective_cost
    from {{ ref('cost_by_model') }}
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
