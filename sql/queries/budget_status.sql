-- Every budget in the latest billing period: spend so far, where the month will land (with an
-- 80% prediction interval whose coverage marts.budget_forecast_backtest measures) and the status
-- alerts use (ok, warning, critical). Each budget counts the cost billed in its own currency;
-- uncounted_currencies lists the others.
select
    budget_name,
    scope_type,
    scope_value,
    cost_basis,
    billing_currency,
    round(budget_amount, 2) as budget_amount,
    round(actual_cost, 2) as actual_cost,
    round(projected_cost, 2) as projected_cost,
    round(projected_low, 2) as projected_low,
    round(projected_high, 2) as projected_high,
    actual_pct,
    projected_pct,
    data_through_date,
    status,
    uncounted_currencies
from marts.budget_projection
where billing_period = (select max(periods.billing_period) from marts.budget_projection as periods)
order by case status when 'critical' then 0 when 'warning' then 1 else 2 end, projected_pct desc nulls last
