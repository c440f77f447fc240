-- Training cost against final metrics, one row per training job and metric: is the extra spend on
-- a model buying accuracy? cost_source says whether the cost is from the bill or estimated.
select
    model_name,
    training_job_name,
    metric['key'] as metric_name,
    round(metric['value'], 4) as metric_value,
    round(cost, 2) as training_cost,
    billing_currency,
    cost_source,
    instance_type,
    instance_count,
    is_managed_spot,
    spot_savings_pct,
    round(duration_seconds / 3600.0, 2) as duration_hours
from marts.training_job_costs,
    unnest(map_entries(coalesce(final_metrics, map()))) as m (metric)
order by model_name asc, metric_name asc, metric_value desc
