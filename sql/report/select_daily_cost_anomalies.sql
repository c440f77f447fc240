-- The whole bill's daily effective cost over the last $days days of data with the cost anomalies
-- (increases, any scope) of each day: the anomaly chart draws the line and marks the days. One row
-- per day and currency, every day of the window included: a day the bill has no line for yet has a
-- NULL cost (a gap in the line), not 0 and not a straight line drawn across it.
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
),

currencies as (
    select distinct billing_currency from daily
),

spine as (
    select unnest(generate_series(min(usage_date), max(usage_date), interval '1 day')) as spine_day
    from daily
),

calendar as (
    select
        currencies.billing_currency,
        cast(spine.spine_day as date) as usage_date
    from currencies
    cross join spine
)

select
    calendar.usage_date,
    calendar.billing_currency,
    daily.effective_cost,
    coalesce(anomalies.anomalies, []) as anomalies
from calendar
left join daily
    on calendar.usage_date = daily.usage_date and calendar.billing_currency = daily.billing_currency
left join anomalies
    on calendar.usage_date = anomalies.usage_date and calendar.billing_currency = anomalies.billing_currency
order by calendar.usage_date asc, calendar.billing_currency asc
