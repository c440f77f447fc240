-- A row here is a billing period and currency whose billed, amortized or net amortized total in
-- marts.cost_allocated differs from raw.billing_line_items (split cost allocation rows excluded),
-- or that still holds cost with no model, team and project: the shared-cost rule lost, duplicated
-- or left a dollar unowned, and every allocated figure is wrong by that amount. Compared exactly:
-- both sides are DECIMAL(38, 10) sums.

-- Shown in Dagster as a check on cost_allocated.
{{ config(meta={'dagster': {'ref': {'name': 'cost_allocated'}}}) }}
with

raw_totals as (
    select
        billing_period,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost
    from {{ source('raw', 'billing_line_items') }}
    where not is_split_cost_allocation
    group by billing_period, billing_currency
),

mart_totals as (
    select
        billing_period,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost,
        count(*) filter (
            where model_name = 'unattributed' and team = 'unattributed' and project = 'unattributed'
        ) as unowned_rows
    from {{ ref('cost_allocated') }}
    group by billing_period, billing_currency
)

select
    coalesce(raw_totals.billing_period, mart_totals.billing_period) as billing_period,
    coalesce(raw_totals.billing_currency, mart_totals.billing_currency) as billing_currency,
    raw_totals.billed_cost as raw_billed_cost,
    mart_totals.billed_cost as mart_billed_cost,
    raw_totals.effective_cost as raw_effective_cost,
    mart_totals.effective_cost as mart_effective_cost,
    raw_totals.net_effective_cost as raw_net_effective_cost,
    mart_totals.net_effective_cost as mart_net_effective_cost,
    mart_totals.unowned_rows
from raw_totals
full outer join mart_totals
    on
        raw_totals.billing_period = mart_totals.billing_period
        and raw_totals.billing_currency is not distinct from mart_totals.billing_currency
where raw_totals.billed_cost is distinct from mart_totals.billed_cost
    or raw_totals.effective_cost is distinct from mart_totals.effective_cost
    or raw_totals.net_effective_cost is distinct from mart_totals.net_effective_cost
    or mart_totals.unowned_rows > 0
