-- Cost anomalies the warehouse decided to announce (marts.cost_anomalies where is_alert_due, in the
-- published copy), oldest day first.
select
    alert_key,
    usage_date,
    scope_type,
    scope_value,
    billing_currency,
    actual_cost,
    expected_cost,
    impact_cost,
    impact_level,
    deviation,
    deviation_pct,
    severity,
    due_until_date,
    weekday_name,
    root_causes
from marts.cost_anomalies
where is_alert_due
order by usage_date, scope_type, scope_value, billing_currency
