-- Key figures of marts.cost_by_model, shown on its Dagster materializations (the Plots tab charts
-- them build after build): the open (latest) billing period's cost in its main currency (the one
-- with the most amortized cost; currencies are never added up) and the share of it no model owns.
-- The share is NULL when the month has no amortized cost yet (nothing to divide by).
with

open_month as (
    select
        billing_period,
        billing_currency,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost,
        coalesce(sum(effective_cost) filter (where model_name = 'unattributed'), 0) as unattributed_cost,
        count(distinct model_name) filter (where model_name != 'unattributed') as models
    from marts.cost_by_model
    where billing_period = (select max(latest.billing_period) from marts.cost_by_model as latest)
    group by billing_period, billing_currency
)

select
    billing_period as open_month,
    billing_currency,
    round(effective_cost, 2) as open_month_effective_cost,
    round(billed_cost, 2) as open_month_billed_cost,
    round(100 * unattributed_cost / nullif(effective_cost, 0), 2) as unattributed_pct,
    models as models_with_cost,
    count(*) over () as currencies
from open_month
order by effective_cost desc, billing_currency asc
limit 1
