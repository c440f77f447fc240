-- Cost per model in the latest billing period, largest first, with its share of the bill and what
-- evidence attributed it (a large 'unattributed' line means tags or SageMaker metadata are missing).
with latest as (
    select max(billing_period) as billing_period from marts.cost_by_model
)

select
    model_name,
    string_agg(distinct team, ', ' order by team) as teams,
    round(sum(effective_cost), 2) as effective_cost,
    round(sum(billed_cost), 2) as billed_cost,
    round(100 * sum(effective_cost) / sum(sum(effective_cost)) over (), 1) as pct_of_total,
    min(billing_currency) as billing_currency,
from marts.cost_by_model
where billing_period = (select billing_period from latest)
group by model_name
order by effective_cost desc
