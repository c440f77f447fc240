-- Fails when a recommendation promises to save more than the resource costs a month, or a
-- negative amount: every rule's saving is a share of the current monthly cost it reports
-- (docs/recommendations.md). A failure means a rule's arithmetic or its rates are wrong.
select
    recommendation_id,
    billing_period,
    recommendation_type,
    current_monthly_cost,
    estimated_monthly_savings
from {{ ref('recommendations') }}
where
    estimated_monthly_savings < 0
    or estimated_monthly_savings > current_monthly_cost
    or current_monthly_cost < 0
