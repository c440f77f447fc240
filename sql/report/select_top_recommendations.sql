-- The current billing period's recommendations that would save the most per month, for the
-- report's list (docs/recommendations.md): older periods' findings are history, not advice.
select
    recommendation_type,
    resource_name as resource,
    model_name as model,
    team,
    billing_currency,
    current_monthly_cost,
    estimated_monthly_savings,
    savings_basis,
    evidence,
    action
from marts.recommendations
where is_current
order by estimated_monthly_savings desc nulls last, current_monthly_cost desc, recommendation_id asc
limit $top_n
