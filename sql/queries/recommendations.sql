-- What to change to spend less, largest estimated saving first: the current billing period's
-- recommendations with their evidence, current monthly cost, saving and how it was estimated
-- (docs/recommendations.md).
select
    recommendation_type,
    resource_name,
    billing_currency,
    round(current_monthly_cost, 2) as current_monthly_cost,
    round(estimated_monthly_savings, 2) as estimated_monthly_savings,
    savings_basis,
    action
from marts.recommendations
where is_current
order by estimated_monthly_savings desc nulls last, current_monthly_cost desc, recommendation_id
