-- Demo summary: every budget in the latest billing period, actual and projected against its amount.
select
    budget_name,
    scope_type,
    scope_value,
    billing_currency,
    budget_amount,
    round(actual_cost, 2) as actual_cost,
    round(projected_cost, 2) as projected_cost,
    round(actual_pct, 1) as actual_pct,
    round(projected_pct, 1) as projected_pct,
    status
from marts.budget_projection
where billing_period = (select max(billing_period) from marts.budget_projection)
order by projected_pct desc
