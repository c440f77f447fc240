-- The billing period's most expensive models (amortized) in one currency, with their share of its
-- cost: the Markdown table on marts.cost_by_model's Dagster materializations.
with

models as (
    select
        model_name,
        sum(effective_cost) as effective_cost
    from marts.cost_by_model
    where billing_period = $billing_period and billing_currency = $billing_currency
    group by model_name
)

select
    model_name,
    round(effective_cost, 2) as effective_cost,
    round(100 * effective_cost / nullif(sum(effective_cost) over (), 0), 1) as share_pct
from models
order by effective_cost desc, model_name asc
limit $top
