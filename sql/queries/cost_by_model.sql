-- Cost per model in the latest billing period, largest first, with its share of the bill and what
-- evidence attributed it (a large 'unattributed' line means tags or SageMaker metadata are missing).
-- One row per model and currency: amounts in different currencies are never added up, and the
-- share is of the bill in the same currency.
with latest as (
    select max(billing_period) as billing_period from marts.cost_by_model
)

select
    model_name,
    billing_currency,
    string_agg(distinct team, ', ' order by team) as teams,
    round(sum(effective_cost), 2) as effective_cost,
    round(sum(billed_cost), 2) as billed_cost,
    round(100 * sum(effective_cost) / sum(sum(effective_cost)) over (partition by billing_currency), 1) as pct_of_total
from marts.cost_by_model
where billing_period = (select billing_period from latest)
group by model_name, billing_currency
order by billing_currency asc, effective_cost desc
