-- The whole bill's daily effective cost over the last $days days of data with the cost anomalies
-- (increases, any scope) of each day: the anomaly chart draws the line and marks the days. One row
-- per day and currency.
with

daily as (
    select
        usage_date,
        billing_currency,
        sum(effective_cost) as effective_cost
    from marts.cost_by_model
    where usage_date > (select max(days.usage_date) from marts.cost_by_model as days) - $days::integer
    group by usage_date, billing_currency
),

anomalies as (
    select
        usage_date,
        billing_currency,
        list(
            {
                'scope_type': scope_type,
                'scope_value': scope_value,
                'actual_cost': actual_cost,
                'expected_cost': expected_cost,
                'impact_cost': impact_cost,
                'severity': severity,
                'is_alert_due': is_alert_due
            }
            order by impact_cost desc
        ) as anomalies
    from marts.cost_anomalies
    where direction = 'increase'
    group by usage_date, billing_currency
)

select
    daily.usage_date,
    daily.billing_currency,
    daily.effective_cost,
    coalesce(anomalies.anomalies, []) as anomalies
from daily
left join anomalies
    on daily.usage_date = anomalies.usage_date and daily.billing_currency = anomalies.billing_currency
order by daily.usage_date asc, daily.billing_currency asc
