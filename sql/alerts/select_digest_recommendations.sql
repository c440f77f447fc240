-- The weekly recommendations digest (pipelines/lib/alerts/digest.py): the current billing period's
-- recommendations with a saving, largest first, at most $limit, from the published copy.
select
    recommendation_id,
    recommendation_type,
    billing_period,
    billing_currency,
    account_id,
    region,
    resource_name,
    model_name,
    team,
    evidence,
    current_monthly_cost,
    estimated_monthly_savings,
    savings_basis,
    confidence,
    action,
    first_seen_date,
    data_through_date
from marts.recommendations
where is_current and estimated_monthly_savings > 0
order by estimated_monthly_savings desc, recommendation_id asc
limit $limit
