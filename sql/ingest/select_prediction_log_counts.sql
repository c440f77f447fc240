-- Hourly prediction counts summed across all log files: one row per hour, endpoint, variant, model and
-- transform job.
select
    hour_start,
    endpoint_name,
    variant_name,
    model_name,
    transform_job_name,
    sum(predictions)::bigint as predictions
from prediction_log_counts
group by all
order by all
