-- Key figures of marts.budget_projection, shown on its Dagster materializations: in the latest
-- billing period, how many budgets there are and how many are at warning or critical, the highest
-- forecast against budget, and the total budget's (the largest one of scope `total`) spend and
-- forecast against budget. No row when there are no budgets; the total's figures are NULL without
-- a total budget.
select
    billing_period as open_month,
    count(*) as budgets,
    count(*) filter (where status = 'critical') as budgets_critical,
    count(*) filter (where status = 'warning') as budgets_warning,
    round(max(projected_pct), 2) as max_projected_pct,
    round(arg_max(actual_pct, budget_amount) filter (where scope_type = 'total'), 2) as total_budget_actual_pct,
    round(arg_max(projected_pct, budget_amount) filter (where scope_type = 'total'), 2) as total_budget_projected_pct
from marts.budget_projection
where billing_period = (select max(latest.billing_period) from marts.budget_projection as latest)
group by billing_period
