-- Every budget in the latest billing period with a complete day of data (on the 1st, the month that
-- just closed; with no such period, the latest): spend so far and the forecast month-end with its 80%
-- interval, as fractions of the budget so budgets of any size share one axis. A budget of 0 has no
-- fraction (NULL), and the table beside the chart shows its amounts.
select
    budget_name,
    scope_type,
    scope_value,
    cost_basis,
    billing_period,
    billing_currency,
    data_through_date,
    days_elapsed,
    days_in_period,
    budget_amount,
    actual_cost,
    projected_cost,
    projected_low,
    projected_high,
    actual_cost / nullif(budget_amount, 0) as actual_share,
    projected_cost / nullif(budget_amount, 0) as projected_share,
    projected_low / nullif(budget_amount, 0) as projected_low_share,
    projected_high / nullif(budget_amount, 0) as projected_high_share,
    status
from marts.budget_projection
where
    billing_period = coalesce(
        (
            select max(periods.billing_period) from marts.budget_projection as periods
            where periods.days_elapsed > 0
        ),
        (select max(periods.billing_period) from marts.budget_projection as periods)
    )
order by
    case status when 'critical' then 0 when 'warning' then 1 else 2 end asc,
    projected_share desc nulls last,
    budget_name asc
