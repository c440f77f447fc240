-- What to change to spend less, largest estimated saving first: the current billing period's
-- recommendations with their evidence, current monthly cost, saving and how it was estimated
-- (docs/recommendations.md). basis is bill (the account's own costs and rates), price_list,
-- default or none; marts.recommendations.savings_basis has the whole sentence and the evidence.
select
    recommendation_type,
    resource_name,
    billing_currency,
    round(current_monthly_cost, 2) as current_monthly_cost,
    round(estimated_monthly_savings, 2) as estimated_monthly_savings,
    split_part(savings_basis, ':', 1) as basis,
    action
from marts.recommendations
where is_current
order by estimated_monthly_savings desc nulls last, current_monthly_cost desc, recommendation_id asc
