-- Key figures of marts.cost_anomalies, shown on its Dagster materializations: how many unusual
-- increases (any scope) fell in the month of the latest data, how many of them are high, and how
-- many alerts are due now. Drops are recorded but never alert, so they are not counted.
select
    count(*) filter (
        where direction = 'increase'
        and date_trunc('month', usage_date) = (select date_trunc('month', max(latest.data_through_date)) from marts.cost_anomalies as latest)
    ) as open_month_anomalies,
    count(*) filter (
        where direction = 'increase' and severity = 'high'
        and date_trunc('month', usage_date) = (select date_trunc('month', max(latest.data_through_date)) from marts.cost_anomalies as latest)
    ) as open_month_high_anomalies,
    count(*) filter (where is_alert_due) as anomaly_alerts_due
from marts.cost_anomalies
