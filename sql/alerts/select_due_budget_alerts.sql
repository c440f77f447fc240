-- Budget alerts the warehouse decided are due (marts.budget_alerts, in the published copy), in the
-- order they are recorded and so sent: per budget, actual before forecast, lowest threshold first,
-- so an escalation always follows the alert it escalates from.
select
    alert_key,
    budget_name,
    scope_type,
    scope_value,
    billing_period,
    billing_currency,
    alert_kind,
    threshold_pct,
    escalated_from_pct,
    severity,
    budget_amount,
    actual_cost,
    actual_pct,
    projected_cost,
    projected_low,
    projected_high,
    projected_pct,
    data_through_date,
    drivers_label,
    top_drivers,
    due_until_date,
    is_final_figure
from marts.budget_alerts
order by budget_name, billing_period, billing_currency, alert_kind, threshold_pct
