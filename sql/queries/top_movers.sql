-- The models whose effective cost changed most against the previous billing period (the open
-- month is partial: compare it with care, or use budget_status.sql for its projection). Each
-- model and currency is compared with the same currency's previous month.
select
    billing_period,
    model_name,
    billing_currency,
    round(previous_effective_cost, 2) as previous_effective_cost,
    round(effective_cost, 2) as effective_cost,
    round(effective_cost_change, 2) as effective_cost_change,
    effective_cost_change_pct
from marts.monthly_cost_summary
where billing_period = (select max(periods.billing_period) from marts.monthly_cost_summary as periods)
order by abs(effective_cost_change) desc
limit 10
